//! The catalog as JSON: the instrument list, and a Grafana dashboard over a Prometheus data
//! source. Both take any [`Catalog`], so a plugin that adds its own types gets them for its
//! instruments too.

use serde_json::{Value, json};

use super::{Catalog, CatalogEntry};
use crate::InstrumentKind;

impl Catalog {
    /// Every instrument as a JSON array: name, kind, value type, unit, description, buckets,
    /// attribute keys and the fields that feed it, and `opt_in` on an opt-in's entries.
    pub fn to_json(&self) -> Value {
        self.entries()
            .iter()
            .map(|e| {
                let mut entry = json!({
                    "name": e.instrument.name,
                    "kind": e.instrument.kind.as_str(),
                    "value_type": e.value_type.as_str(),
                    "unit": e.instrument.unit,
                    "description": e.instrument.description,
                    "buckets": e.instrument.buckets,
                    "attributes": e.attributes,
                    "sources": e.sources.iter().map(ToString::to_string).collect::<Vec<_>>(),
                });
                // Only on an opt-in's entries, so that a default entry reads as it was released.
                if let Some(opt_in) = e.opt_in {
                    entry["opt_in"] = json!(opt_in);
                }
                entry
            })
            .collect()
    }

    /// A Grafana dashboard with one panel per instrument, querying the names and labels a
    /// Prometheus scrape shows ([`CatalogEntry::prometheus_name`],
    /// [`CatalogEntry::prometheus_labels`]): histograms as p50 and p95 by their attributes,
    /// counters and the rest as rates by their attributes. Titled for the schema (uid
    /// `agent-metrics`); a plugin's own dashboard takes [`grafana_dashboard_titled`](Self::grafana_dashboard_titled).
    pub fn grafana_dashboard(&self) -> Value {
        self.grafana_dashboard_titled(
            "Voice agents: latency, usage and connections",
            "agent-metrics",
        )
    }

    /// [`grafana_dashboard`](Self::grafana_dashboard) with its own `title` and Grafana `uid`,
    /// so that it can be imported beside the schema's.
    ///
    /// A catalog's [added](Catalog::added_entries) instruments (a plugin's own) come first, so
    /// that a plugin's dashboard opens on them, then the schema's under a row titled "Voice
    /// agent". The worker process's instruments ([`crate::worker`]) come last, under a row of
    /// their own titled "Worker": jobs running, started and ended, job duration, load, CPU,
    /// memory, each by `instance`, so that every worker shows apart.
    pub fn grafana_dashboard_titled(&self, title: &str, uid: &str) -> Value {
        let is_worker = |e: &&CatalogEntry| {
            crate::worker::ALL
                .iter()
                .any(|w| w.instrument == e.instrument)
        };
        let added = self.added_entries();
        let schema = &self.entries()[..self.entries().len() - added.len()];
        let (worker, agent): (Vec<&CatalogEntry>, Vec<&CatalogEntry>) =
            schema.iter().partition(is_worker);
        let mut panels: Vec<Value> = added.iter().map(|e| panel(e, false)).collect();
        if !panels.is_empty() && !schema.is_empty() {
            panels.push(
                json!({"type": "row", "title": "Voice agent", "collapsed": false, "panels": []}),
            );
        }
        let turn_views = super::turn_views::panels(self);
        let has_turn_views = !turn_views.is_empty();
        panels.extend(turn_views);
        if has_turn_views {
            panels.push(json!({"type": "row", "title": "Every instrument", "collapsed": false, "panels": []}));
        }
        panels.extend(agent.iter().map(|e| panel(e, false)));
        if !worker.is_empty() {
            panels
                .push(json!({"type": "row", "title": "Worker", "collapsed": false, "panels": []}));
            panels.extend(worker.iter().map(|e| panel(e, true)));
        }
        lay_out(&mut panels);
        json!({
            "title": title,
            "uid": uid,
            "schemaVersion": 39,
            "time": {"from": "now-6h", "to": "now"},
            "templating": {"list": [{
                "name": "datasource", "type": "datasource", "query": "prometheus",
                "label": "Prometheus"
            }]},
            "panels": panels,
        })
    }
}

/// Numbers the panels and places them: rows across the width, the others two abreast.
fn lay_out(panels: &mut [Value]) {
    let (mut y, mut column) = (0, 0);
    for (i, panel) in panels.iter_mut().enumerate() {
        let row = panel["type"] == "row";
        if row || column == 2 {
            if column > 0 {
                y += 8;
            }
            column = 0;
        }
        panel["id"] = json!(i + 1);
        panel["gridPos"] = if row {
            y += 1;
            json!({"h": 1, "w": 24, "x": 0, "y": y - 1})
        } else {
            column += 1;
            json!({"h": 8, "w": 12, "x": (column - 1) * 12, "y": y})
        };
    }
}

/// The panel of `e`. `per_instance` adds the `instance` label (the scrape target, or
/// `service.instance.id` through a collector) to the grouping: the worker row shows each worker
/// apart.
fn panel(e: &CatalogEntry, per_instance: bool) -> Value {
    let metric = e.prometheus_name();
    let mut labels = e.prometheus_labels();
    if per_instance {
        labels.insert(0, "instance".to_owned());
    }
    let legend: Vec<String> = labels.iter().map(|l| format!("{{{{{l}}}}}")).collect();
    let legend = legend.join(" ");
    let targets: Vec<Value> = match e.instrument.kind {
        InstrumentKind::Histogram => {
            let by: Vec<&str> = std::iter::once("le")
                .chain(labels.iter().map(String::as_str))
                .collect();
            let by = by.join(", ");
            [("0.5", "p50"), ("0.95", "p95")]
                .iter()
                .map(|(q, name)| {
                    json!({
                        "expr": format!("histogram_quantile({q}, sum by ({by}) (rate({metric}_bucket[$__rate_interval])))"),
                        "legendFormat": format!("{name} {legend}").trim_end().to_owned(),
                    })
                })
                .collect()
        }
        InstrumentKind::Gauge | InstrumentKind::UpDownCounter => vec![json!({
            "expr": format!("sum by ({}) ({metric})", labels.join(", ")),
            "legendFormat": legend,
        })],
        InstrumentKind::Counter => vec![json!({
            "expr": format!("sum by ({}) (rate({metric}[$__rate_interval]))", labels.join(", ")),
            "legendFormat": legend,
        })],
    };
    let unit = match e.instrument.unit {
        "s" => "s",
        "1" => "percentunit",
        "ms" => "ms",
        "By" => "bytes",
        _ => "short",
    };
    json!({
        "type": "timeseries",
        "title": e.label(),
        "description": e.instrument.description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": targets,
    })
}

/// Every PromQL expression of a dashboard's panels, with Grafana's `$__rate_interval` replaced by
/// `5m` so that Prometheus' own tools (`promtool check rules`) can check them.
pub fn panel_queries(dashboard: &Value) -> Vec<String> {
    dashboard["panels"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .filter_map(|t| t["expr"].as_str())
        .map(|e| e.replace("$__rate_interval", "5m"))
        .collect()
}
