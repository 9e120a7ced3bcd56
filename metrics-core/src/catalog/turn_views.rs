//! What the turn analysis ([`crate::turn`]) adds to the generated artifacts: the share of turn
//! time each part takes, an alert for a part that dominates a slow p95, and the dashboard's
//! "where turn time goes" and "how turns end" panels. Each is generated only when the catalog
//! holds the instruments it queries.

use super::rules::{Alert, RATE, Yaml, round};
use super::{Catalog, CatalogEntry, RulesConfig};

/// The breakdown histogram.
const BREAKDOWN: &str = "lk.agents.turn.latency_breakdown";
/// The outcome counter.
#[cfg(feature = "serde")]
const OUTCOMES: &str = "lk.agents.turn.outcomes";

/// The breakdown's and the end-to-end histogram's Prometheus names, when the catalog has both.
fn breakdown_and_e2e(catalog: &Catalog) -> Option<(String, String)> {
    let name = |n: &str| catalog.entry(n).map(CatalogEntry::prometheus_name);
    Some((name(BREAKDOWN)?, name(super::rules::TURN_LATENCY)?))
}

/// The p95 of the end-to-end latency per job over the rules' window.
fn e2e_p95(e2e: &str) -> String {
    format!("histogram_quantile(0.95, sum by (job, le) (rate({e2e}_bucket[{RATE}])))")
}

/// The share of each part, and the alert for a part that dominates a slow p95.
pub(super) fn rules(out: &mut Yaml, catalog: &Catalog, config: &RulesConfig) {
    let Some((breakdown, e2e)) = breakdown_and_e2e(catalog) else {
        return;
    };
    out.group("agent-metrics:turn-latency-breakdown");
    let share = format!("job_part:{breakdown}:share_rate{RATE}");
    out.record(
        &share,
        &format!(
            "sum by (job, part) (rate({breakdown}_sum[{RATE}])) / on (job) group_left () \
             sum by (job) (rate({breakdown}_sum[{RATE}]))"
        ),
    );
    let part_p95 = format!("job_part:{breakdown}:p95_rate{RATE}");
    out.record(
        &part_p95,
        &format!(
            "histogram_quantile(0.95, sum by (job, part, le) (rate({breakdown}_bucket[{RATE}])))"
        ),
    );
    let dominant = config.dominant_part_share;
    let threshold = config.turn_latency_threshold;
    out.alert(&Alert {
        name: "AgentTurnLatencyDominatedByPart",
        expr: &format!(
            "{part_p95} > on (job) group_left () ({dominant} * {p95}) and on (job) {p95} > {threshold}",
            p95 = e2e_p95(&e2e),
        ),
        labels: &[("severity", "ticket")],
        annotations: &[
            (
                "summary",
                "{{ $labels.part }} dominates the slow turns of {{ $labels.job }}",
            ),
            (
                "description",
                &format!(
                    "The p95 end-to-end turn latency of {{{{ $labels.job }}}} is above \
                     {threshold} s, and the p95 of its {{{{ $labels.part }}}} part alone is \
                     more than {}% of it: make that part faster first (its owner is a \
                     provider's model, a setting, the framework or the transport; see the \
                     `owner` label).",
                    round(dominant * 100.0)
                ),
            ),
        ],
    });
}

/// The dashboard's turn row, placed first: where turn time goes (average seconds per turn by
/// part, stacked to the average end-to-end latency; each part's share), and how turns end.
#[cfg(feature = "serde")]
pub(super) fn panels(catalog: &Catalog) -> Vec<serde_json::Value> {
    use serde_json::json;
    let Some((breakdown, e2e)) = breakdown_and_e2e(catalog) else {
        return Vec::new();
    };
    let rate = |m: &str| format!("rate({m}[$__rate_interval])");
    let stacked = |title: &str, description: &str, unit: &str, expr: String, legend: &str| {
        json!({
            "type": "timeseries",
            "title": title,
            "description": description,
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "fieldConfig": {"defaults": {"unit": unit, "custom": {"stacking": {"mode": "normal"}, "fillOpacity": 60}}, "overrides": []},
            "targets": [{"expr": expr, "legendFormat": legend}],
        })
    };
    let mut panels = vec![
        json!({"type": "row", "title": "Turns: where the time goes, and how they end", "collapsed": false, "panels": []}),
        stacked(
            "Where turn time goes (seconds per turn, by part)",
            "Average seconds per turn spent in each part of the latency breakdown; stacked, the parts add up to the average end-to-end latency.",
            "s",
            format!(
                "sum by (part) ({}) / on () group_left () sum ({})",
                rate(&format!("{breakdown}_sum")),
                rate(&format!("{e2e}_count"))
            ),
            "{{part}}",
        ),
        stacked(
            "Share of turn time by part",
            "Each part's share of all turn time; a part whose share grows is what made turns slower.",
            "percentunit",
            format!(
                "sum by (part) ({r}) / on () group_left () sum ({r})",
                r = rate(&format!("{breakdown}_sum"))
            ),
            "{{part}}",
        ),
        json!({
            "type": "timeseries",
            "title": "p95 of each part",
            "description": "The 95th percentile of each part, beside the end-to-end p95: the part closest to it dominates the slow turns.",
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "fieldConfig": {"defaults": {"unit": "s"}, "overrides": []},
            "targets": [
                {"expr": format!("histogram_quantile(0.95, sum by (le, part) ({}))", rate(&format!("{breakdown}_bucket"))), "legendFormat": "{{part}}"},
                {"expr": format!("histogram_quantile(0.95, sum by (le) ({}))", rate(&format!("{e2e}_bucket"))), "legendFormat": "end to end"},
            ],
        }),
    ];
    if let Some(outcomes) = catalog.entry(OUTCOMES).map(CatalogEntry::prometheus_name) {
        panels.push(stacked(
            "How turns end (share)",
            "Agent turns by end reason: completed, interrupted (the user barged in), cancelled (the framework dropped the reply), session_closed.",
            "percentunit",
            format!(
                "sum by (end_reason) ({r}) / on () group_left () sum ({r})",
                r = rate(&outcomes)
            ),
            "{{end_reason}}",
        ));
    }
    panels
}
