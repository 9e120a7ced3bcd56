//! The names our Prometheus endpoint really writes, for every unit and kind, are the ones the
//! catalog says ([`CatalogEntry::prometheus_name`], `prometheus_labels`): the dashboards and
//! rules generated from it query series that exist.
//!
//! [`CatalogEntry::prometheus_name`]: agent_metrics_core::catalog::CatalogEntry::prometheus_name

use std::time::Duration;

use agent_metrics_core::catalog::Catalog;
use agent_metrics_core::export::{Env, Telemetry};
use agent_metrics_core::schema::Metadata;
use agent_metrics_core::{AgentMetric, InstrumentKind};
use agent_metrics_test_support::scrape::{check_names, http_get, record_each, series};

/// The units and kinds the schema does not use: the example plugin's (`By`, `{reconnect}`),
/// and the others the translation treats apart (`ms`, `1`, a rate, an up-down counter, gauges,
/// floats and dotted keys).
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[metric(crate = agent_metrics_core, attributes = metadata)]
struct OtherUnits {
    /// Frame sizes
    #[metric(histogram = "probe.frame_size", unit = "By", buckets = [320.0, 960.0])]
    frame_size: u64,
    /// Reconnects
    #[metric(counter = "probe.reconnects", unit = "{reconnect}")]
    reconnects: u64,
    /// Queue wait in milliseconds
    #[metric(histogram = "probe.queue.wait", unit = "ms", buckets = [5.0, 50.0])]
    wait_ms: f64,
    /// Buffer fill
    #[metric(gauge = "probe.buffer.fill", unit = "1")]
    fill: f64,
    /// Throughput
    #[metric(gauge = "probe.throughput", unit = "By/s")]
    throughput: i64,
    /// Streams open
    #[metric(up_down_counter = "probe.streams", unit = "{stream}", attributes("probe.region" = "eu"))]
    streams: i64,
    /// Audio sent
    #[metric(counter = "probe.audio_sent", unit = "s")]
    audio_sent: f64,
    /// Plain count, no unit
    #[metric(counter = "probe.plain")]
    plain: u64,
    #[metric(default)]
    metadata: Option<Metadata>,
}

#[test]
fn exported_names_are_the_catalogs_for_every_unit_and_kind() {
    let mut catalog = Catalog::schema();
    catalog.add::<OtherUnits>();
    let mut units: Vec<&str> = catalog
        .entries()
        .iter()
        .map(|e| e.instrument.unit)
        .collect();
    units.sort_unstable();
    units.dedup();
    for unit in ["s", "{token}", "By", "ms", "1", "By/s", ""] {
        assert!(units.contains(&unit), "{unit} is covered: {units:?}");
    }
    let kinds = [
        InstrumentKind::Counter,
        InstrumentKind::Histogram,
        InstrumentKind::Gauge,
        InstrumentKind::UpDownCounter,
    ];
    for kind in kinds {
        assert!(catalog.entries().iter().any(|e| e.instrument.kind == kind));
    }

    let telemetry = Telemetry::builder()
        .env(Env::empty())
        .prometheus("127.0.0.1:0".parse().unwrap())
        .build()
        .unwrap();
    record_each(&catalog, telemetry.meter());
    let (status, text) = http_get(telemetry.prometheus_addr().unwrap(), "/metrics");
    assert_eq!(status, 200, "{text}");
    let scraped = series(&text);
    if let Err(wrong) = check_names(&catalog, &scraped) {
        panic!("the exporter's names differ from the catalog's:\n{wrong}\n\n{text}");
    }
    telemetry.shutdown(Duration::from_secs(5)).unwrap();
}
