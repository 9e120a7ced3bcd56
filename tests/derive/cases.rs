//! Derive cases a user reaches from outside the schema, observed at run time: raw identifiers in
//! the catalog, a `macro_rules!`-generated family of events recording, and the unit checks the
//! derive and `Instrument` share.

use std::time::Duration;

use agent_metrics::capture::Capture;
use agent_metrics::catalog::Catalog;
use agent_metrics::{AgentMetric, Instrument, checks};

#[derive(Clone, PartialEq, AgentMetric)]
struct Raw {
    #[metric(counter = "test.raw.type")]
    r#type: u64,
}

#[test]
fn raw_fields_feed_the_catalog_under_their_plain_names() {
    let mut catalog = Catalog::new();
    let _ = catalog.add::<Raw>();
    let entry = &catalog.entries()[0];
    let fed_by: Vec<String> = entry.sources.iter().map(|s| s.to_string()).collect();
    assert_eq!(fed_by, ["Raw.type"]);
    assert_eq!(format!("{:?}", Raw { r#type: 3 }), "Raw { type: 3 }");
}

macro_rules! latency_event {
    ($ty:ident, $name:literal, [$($bound:literal),*]) => {
        #[derive(Clone, PartialEq, AgentMetric)]
        struct $ty {
            #[metric(histogram = $name, buckets = [$($bound),*])]
            latency: Duration,
        }
    };
}

latency_event!(SttLatency, "test.family.stt", [0.1, 0.5]);
latency_event!(TtsLatency, "test.family.tts", [0.2, 1.0]);

#[test]
fn a_macro_generated_family_records_in_seconds() {
    let capture = Capture::cumulative();
    SttLatency {
        latency: Duration::from_millis(250),
    }
    .record(&SttLatency::handles(capture.meter()));
    TtsLatency {
        latency: Duration::from_millis(750),
    }
    .record(&TtsLatency::handles(capture.meter()));
    let mut names: Vec<String> = capture.collect().into_iter().map(|p| p.name).collect();
    names.sort();
    assert_eq!(names, ["test.family.stt", "test.family.tts"]);
    assert_eq!(SttLatency::INSTRUMENTS[0].unit(), "s");
    assert_eq!(TtsLatency::INSTRUMENTS[0].instrument.buckets, &[0.2, 1.0]);
}

#[test]
fn unit_checks_are_shared_with_instrument_constants() {
    const FRAME: Instrument = Instrument::histogram("test.frame").unit("By");
    assert_eq!(FRAME.unit, "By");
    assert!(checks::check_unit("bytes").unwrap_err().contains("\"By\""));
    assert!(
        checks::check_unit("requests")
            .unwrap_err()
            .contains("{request}")
    );
    assert!(checks::check_unit("{request}").is_ok());
    assert!(checks::seconds_buckets_ambiguous(
        "s",
        &[50.0, 100.0, 250.0],
        false
    ));
    assert!(!checks::seconds_buckets_ambiguous(
        "s",
        &[30.0, 60.0, 3600.0],
        true
    ));
    assert!(!checks::seconds_buckets_ambiguous(
        "ms",
        &[50.0, 100.0, 250.0],
        false
    ));
}
