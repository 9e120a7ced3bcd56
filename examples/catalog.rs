//! Prints every instrument of the schema.
//!
//! `cargo run --example catalog` prints a Markdown table; `-- --format json` a JSON array;
//! `-- --format grafana` a Grafana dashboard over a Prometheus data source (histograms as p50/p95
//! by model, counters as rates by model).

use agent_metrics::InstrumentKind;
use agent_metrics::catalog::{Catalog, CatalogEntry};
use serde_json::{Value, json};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let format = match args.as_slice() {
        [] => "markdown",
        [flag, value] if flag == "--format" => value.as_str(),
        _ => usage(),
    };
    let catalog = Catalog::schema();
    match format {
        "markdown" | "md" => print!("{}", catalog.docs_markdown()),
        "json" => println!("{}", pretty(&json_entries(&catalog))),
        "grafana" => println!("{}", pretty(&grafana(&catalog))),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!("usage: catalog [--format markdown|json|grafana]");
    std::process::exit(2)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON values always serialize")
}

fn json_entries(catalog: &Catalog) -> Value {
    catalog
        .entries()
        .iter()
        .map(|e| {
            json!({
                "name": e.instrument.name,
                "kind": e.instrument.kind.as_str(),
                "value_type": e.value_type.as_str(),
                "unit": e.instrument.unit,
                "description": e.instrument.description,
                "attributes": e.attributes,
                "sources": e.sources.iter().map(ToString::to_string).collect::<Vec<_>>(),
            })
        })
        .collect()
}

fn grafana(catalog: &Catalog) -> Value {
    let panels: Vec<Value> = catalog
        .entries()
        .iter()
        .enumerate()
        .map(|(i, e)| panel(i, e))
        .collect();
    json!({
        "title": "Voice agents: latency, usage and connections",
        "uid": "agent-metrics",
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [{
            "name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"
        }]},
        "panels": panels,
    })
}

fn panel(index: usize, e: &CatalogEntry) -> Value {
    let metric = e.prometheus_name();
    let by = e.attributes.join(", ");
    let targets = match e.instrument.kind {
        InstrumentKind::Histogram => ["0.5", "0.95"]
            .iter()
            .map(|q| {
                json!({
                    "expr": format!("histogram_quantile({q}, sum by (le, {by}) (rate({metric}_bucket[$__rate_interval])))"),
                    "legendFormat": format!("p{} {{{{model_provider}}}}/{{{{model_name}}}}", &q[2..]),
                })
            })
            .collect::<Vec<_>>(),
        _ => vec![json!({
            "expr": format!("sum by ({by}) (rate({metric}[$__rate_interval]))"),
            "legendFormat": "{{model_provider}}/{{model_name}}",
        })],
    };
    let unit = if e.instrument.unit == "s" {
        "s"
    } else {
        "short"
    };
    json!({
        "id": index + 1,
        "type": "timeseries",
        "title": e.instrument.name,
        "description": e.instrument.description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": (index % 2) * 12, "y": (index / 2) * 8},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": targets,
    })
}
