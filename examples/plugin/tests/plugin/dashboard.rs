//! The plugin's own instruments get what the schema's get, through the same catalog API: a
//! Grafana panel each, over the names and labels a Prometheus scrape shows, valid to promtool;
//! and those names are the ones the real Prometheus exporter writes.

use std::time::Duration;

use agent_metrics::Telemetry;
use agent_metrics::catalog::panel_queries;
use agent_metrics::export::Env;
use agent_metrics_plugin_example::catalog;
use agent_metrics_test_support::promtool;
use agent_metrics_test_support::scrape::{check_names, http_get, record_each, series};

#[test]
fn the_exporter_writes_the_names_the_plugins_catalog_says() {
    let catalog = catalog();
    let telemetry = Telemetry::builder()
        .env(Env::empty())
        .prometheus("127.0.0.1:0".parse().unwrap())
        .build()
        .unwrap();
    record_each(&catalog, telemetry.meter());
    let (status, text) = http_get(telemetry.prometheus_addr().unwrap(), "/metrics");
    assert_eq!(status, 200, "{text}");
    let scraped = series(&text);
    assert!(
        scraped.contains_key("exampletts_frame_size_bytes_bucket"),
        "{text}"
    );
    assert!(
        scraped.contains_key("exampletts_reconnects_total"),
        "{text}"
    );
    if let Err(wrong) = check_names(&catalog, &scraped) {
        panic!("the exporter's names differ from the catalog's:\n{wrong}\n\n{text}");
    }
    telemetry.shutdown(Duration::from_secs(5)).unwrap();
}

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
