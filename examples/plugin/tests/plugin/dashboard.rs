//! The plugin's own instruments get what the schema's get, through the same catalog API: a
//! Grafana panel each, over the names and labels a Prometheus scrape shows, valid to promtool.

use agent_metrics::catalog::panel_queries;
use agent_metrics_plugin_example::catalog;
use agent_metrics_test_support::promtool;

#[test]
fn the_plugins_instruments_get_dashboard_panels_promtool_accepts() {
    let catalog = catalog();
    let queries = panel_queries(&catalog.grafana_dashboard());
    let ours: Vec<_> = catalog
        .entries()
        .iter()
        .filter(|e| e.instrument.name.starts_with("exampletts."))
        .collect();
    assert!(ours.len() >= 2, "the plugin declares its own instruments");
    for e in &ours {
        let name = e.prometheus_name();
        assert!(
            queries.iter().any(|q| q.contains(&name)),
            "no panel for {name}"
        );
    }
    let frame = ours
        .iter()
        .find(|e| e.instrument.unit == "By")
        .expect("a histogram in bytes");
    assert!(
        frame.prometheus_name().ends_with("_bytes"),
        "{}",
        frame.prometheus_name()
    );
    if let Some(promtool) = promtool::binary() {
        promtool::check_queries(&promtool, &queries).unwrap();
    }
}
