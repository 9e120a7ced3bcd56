//! The plugin's own instruments get the schema's other artifacts through the same catalog API
//! (its docs and dashboard: `docs.rs`): recording rules promtool accepts, and the compatibility
//! gate against the plugin's released catalog (`examples/plugin/catalog.json`), which a breaking
//! change to its instruments fails. At a release, `RELEASE_CATALOG=1 cargo test -p
//! agent-metrics-plugin-example --test plugin artifacts` refreshes it.

use agent_metrics::catalog::{Catalog, RulesConfig};
use agent_metrics_plugin_example::catalog;
use agent_metrics_test_support::promtool;

fn ours(catalog: &Catalog) -> Vec<&agent_metrics::catalog::CatalogEntry> {
    catalog
        .entries()
        .iter()
        .filter(|e| e.instrument.name.starts_with("exampletts."))
        .collect()
}

#[test]
fn the_plugins_instruments_get_recording_rules_promtool_accepts() {
    let catalog = catalog();
    let rules = catalog.prometheus_rules(&RulesConfig::default()).unwrap();
    let ours = ours(&catalog);
    assert!(ours.len() >= 2, "the plugin declares its own instruments");
    for e in ours {
        let name = e.prometheus_name();
        let records: Vec<&str> = rules
            .lines()
            .filter(|l| l.contains("record:") && l.contains(name.trim_end_matches("_total")))
            .collect();
        let want = if name.ends_with("_total") { 1 } else { 3 };
        assert_eq!(records.len(), want, "{name}: {records:?}");
        let aggregated = if want == 1 {
            format!("sum by (job, model_name, model_provider) (rate({name}[5m]))")
        } else {
            format!("sum by (job, le, model_name, model_provider) (rate({name}_bucket[5m]))")
        };
        assert!(rules.contains(&aggregated), "{aggregated}");
    }
    // The schema's SLO and health alerts come along, for the plugin's agents too.
    assert!(rules.contains("alert: 'AgentTurnLatencyBudgetBurnFast'"));
    if let Some(promtool) = promtool::binary() {
        promtool::check_rules(&promtool, &rules).unwrap();
    }
}

const RELEASED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/catalog.json");

#[test]
fn no_breaking_change_to_the_plugins_released_instruments() {
    if std::env::var_os("RELEASE_CATALOG").is_some() {
        let json = serde_json::to_string_pretty(&catalog().to_json()).unwrap();
        std::fs::write(RELEASED, json + "\n").unwrap();
    }
    let released = std::fs::read_to_string(RELEASED).unwrap();
    let diff = catalog().diff(&released).unwrap();
    // The schema's own changes are the schema's gate to judge (docs/catalog.json).
    let breaking: Vec<String> = diff
        .breaking()
        .filter(|c| c.instrument().starts_with("exampletts."))
        .map(ToString::to_string)
        .collect();
    assert!(
        breaking.is_empty(),
        "breaking changes to the plugin's instruments since examples/plugin/catalog.json: \
         {breaking:#?}"
    );
}

#[test]
fn the_gate_catches_a_broken_plugin_catalog() {
    let catalog = catalog();
    let mut released = catalog.to_json();
    for e in released.as_array_mut().unwrap() {
        if e["name"] == "exampletts.frame_size" {
            e["buckets"] = serde_json::json!([160.0, 320.0]);
        }
        if e["name"] == "exampletts.reconnects" {
            e["attributes"] = serde_json::json!(["model_name", "model_provider", "region"]);
        }
    }
    let diff = catalog.diff(&released.to_string()).unwrap();
    assert!(diff.is_breaking());
    let lines: Vec<String> = diff.changes().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "exampletts.reconnects: attribute `region` removed",
            "exampletts.frame_size: buckets changed from [160.0, 320.0] to \
             [160.0, 320.0, 640.0, 960.0, 1920.0, 3840.0, 7680.0, 19200.0]",
        ]
    );
    // Against the schema alone, the plugin only adds.
    let schema = Catalog::schema().to_json().to_string();
    let diff = catalog.diff(&schema).unwrap();
    assert!(!diff.is_breaking(), "{diff}");
    assert_eq!(diff.additive().count(), ours(&catalog).len());
}
