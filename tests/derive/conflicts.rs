//! Two definitions of one instrument name in two types (two plugins, or a plugin and the
//! schema): the catalog lists each conflict with what differs, building the second type's
//! handles logs one warning naming both fields and what differs, and a plugin's dashboard
//! opens on its own panels.

use agent_metrics::capture::Capture;
use agent_metrics::catalog::Catalog;
use agent_metrics::schema::STTMetrics;
use agent_metrics::{AgentMetric, MetricsRecorder};
use agent_metrics_test_support::reliability_support::logs;

/// One plugin counts its STT requests...
#[derive(Clone, Default, PartialEq, AgentMetric)]
struct AcmeRequests {
    /// STT requests
    #[metric(counter = "acme.stt.requests", unit = "{request}")]
    requests: u64,
}

/// ...another times them under the same name.
#[derive(Clone, Default, PartialEq, AgentMetric)]
struct AcmeLatency {
    /// STT requests
    #[metric(histogram = "acme.stt.requests", unit = "s", buckets = [0.1, 0.5, 2.0])]
    latency: f64,
}

/// A plugin feeding the schema's STT audio counter in milliseconds.
#[derive(Clone, Default, PartialEq, AgentMetric)]
struct AcmeAudio {
    /// The amount of audio processed by STT
    #[metric(counter = "lk.agents.usage.stt_audio_duration", unit = "ms")]
    audio_ms: f64,
}

/// The warnings logged so far that name `instrument`.
fn warnings_about(instrument: &str) -> Vec<String> {
    let needle = format!("instrument `{instrument}` is defined twice");
    let lines = logs().lock().unwrap().clone();
    lines
        .into_iter()
        .filter(|l| l.level.to_string() == "WARN" && l.text.contains(&needle))
        .map(|l| l.text)
        .collect()
}

#[test]
fn the_catalog_says_what_differs() {
    let mut catalog = Catalog::schema();
    catalog
        .add::<AcmeRequests>()
        .add::<AcmeLatency>()
        .add::<AcmeAudio>();
    let conflicts: Vec<String> = catalog.conflicts().iter().map(|c| c.to_string()).collect();
    assert_eq!(
        conflicts,
        [
            "`acme.stt.requests`: `AcmeRequests.requests` and `AcmeLatency.latency` differ in \
             kind (counter vs histogram), unit (`{request}` vs `s`), buckets ([] vs [0.1, 0.5, \
             2.0]), value type (u64 vs f64)",
            "`lk.agents.usage.stt_audio_duration`: `STTMetrics.audio_duration` and \
             `AcmeAudio.audio_ms` differ in unit (`s` vs `ms`), attributes ([\"model_name\", \
             \"model_provider\"] vs []), description",
        ]
    );
    assert_eq!(catalog.conflicts()[0].differences.len(), 4);
}

#[test]
fn building_a_second_definition_warns_once_naming_both_types() {
    logs();
    let capture = Capture::cumulative();
    let _first = AcmeRequests::handles(capture.meter());
    assert!(
        warnings_about("acme.stt.requests").is_empty(),
        "one definition so far"
    );
    let _second = AcmeLatency::handles(capture.meter());
    let _again = AcmeLatency::handles(capture.meter());
    let _on_another_meter = AcmeLatency::handles(Capture::cumulative().meter());
    let warnings = warnings_about("acme.stt.requests");
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    let warning = &warnings[0];
    for part in [
        "`AcmeRequests.requests`",
        "`AcmeLatency.latency`",
        "kind (counter vs histogram)",
        "unit (`{request}` vs `s`)",
        "buckets ([] vs [0.1, 0.5, 2.0])",
    ] {
        assert!(warning.contains(part), "{part} in {warning}");
    }

    // A plugin feeding a schema instrument with another unit, after the recorder was built.
    let _recorder = MetricsRecorder::new(capture.meter());
    let _plugin = AcmeAudio::handles(capture.meter());
    let warnings = warnings_about("lk.agents.usage.stt_audio_duration");
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].contains("`STTMetrics.audio_duration`"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[0].contains("unit (`s` vs `ms`)"),
        "{}",
        warnings[0]
    );
    // The schema's own types agree with each other: building them warns about nothing.
    let _stt = STTMetrics::handles(capture.meter());
    let all = logs().lock().unwrap().clone();
    let schema_warnings: Vec<_> = all
        .iter()
        .filter(|l| l.text.contains("is defined twice") && !l.text.contains("Acme"))
        .collect();
    assert!(schema_warnings.is_empty(), "{schema_warnings:#?}");
}

#[cfg(feature = "serde")]
#[test]
fn a_plugin_dashboard_opens_on_the_plugin_panels() {
    let mut catalog = Catalog::schema();
    catalog.add::<AcmeLatency>();
    let dashboard = catalog.grafana_dashboard_titled("Acme STT", "acme-stt");
    let titles: Vec<&str> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert!(titles[0].contains("acme.stt.requests"), "{titles:?}");
    assert_eq!(titles[1], "Voice agent");
    let at = |title: &str| titles.iter().position(|t| *t == title).unwrap();
    assert!(at("Voice agent") < at("Every instrument") && at("Every instrument") < at("Worker"));
    // The schema alone keeps its layout: no plugin panels, no "Voice agent" row.
    let schema = Catalog::schema().grafana_dashboard();
    assert!(
        schema["panels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["title"] != "Voice agent")
    );
}
