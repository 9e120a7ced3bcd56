//! Recording an event allocates nothing once its series exist: attributes go through a stack
//! buffer in sorted key order, `Arc<str>` values are shared rather than copied, and the SDK finds
//! an existing series from a borrowed, already sorted slice.

use std::hint::black_box;
use std::sync::Arc;

use agent_metrics::capture::Capture;
use agent_metrics::{AgentMetric, Attributes};

use crate::allocations_in;

#[derive(Clone, Default, PartialEq, Attributes)]
struct Metadata {
    #[attr(skip_empty)]
    model_name: Option<Arc<str>>,
    #[attr(skip_empty)]
    model_provider: Option<Arc<str>>,
}

#[derive(Clone, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
struct TtsMetrics {
    label: String,
    #[metric(counter = "test.alloc.audio_duration", unit = "s", skip_zero)]
    audio_duration: f64,
    #[metric(counter = "test.alloc.characters", unit = "{character}", skip_zero)]
    characters: u64,
    #[metric(
        histogram = "test.alloc.acquire_time",
        unit = "s",
        buckets = [0.05, 0.1, 0.5, 1.0],
        attributes(metadata, connection_reused),
        skip_zero
    )]
    acquire_time: f64,
    #[attr(as_str)]
    connection_reused: bool,
    #[metric(default)]
    metadata: Option<Metadata>,
}

fn event(connection_reused: bool, metadata: &Option<Metadata>) -> TtsMetrics {
    TtsMetrics {
        label: "tts".to_owned(),
        audio_duration: 1.25,
        characters: 42,
        acquire_time: 0.2,
        connection_reused,
        metadata: metadata.clone(),
    }
}

#[test]
fn recording_after_warm_up_allocates_nothing() {
    let capture = Capture::cumulative();
    let handles = TtsMetrics::handles(capture.meter());
    let metadata = Some(Metadata {
        model_name: Some("sonic-2".into()),
        model_provider: Some("cartesia".into()),
    });
    // Built before counting: the events themselves (their `String` label) are not the subject.
    let events = [
        event(true, &metadata),
        event(false, &metadata),
        event(false, &None),
    ];
    // Warm-up: the first record of each attribute set creates its series, which allocates.
    for e in &events {
        e.record(&handles);
    }

    let allocations = allocations_in(|| {
        for i in 0..10_000 {
            black_box(&events[i % events.len()]).record(black_box(&handles));
        }
    });
    assert_eq!(allocations, 0, "allocations in 10,000 records");

    // The counting itself works, and the records above were not optimised away.
    assert!(allocations_in(|| drop(black_box(vec![1u8]))) > 0);
    let points = capture.collect();
    let characters: u64 = points
        .iter()
        .filter(|p| p.name == "test.alloc.characters")
        .filter_map(|p| p.value.as_u64())
        .sum();
    assert_eq!(characters, 42 * (10_000 + events.len() as u64));
    let acquire = points
        .iter()
        .filter(|p| p.name == "test.alloc.acquire_time")
        .count();
    assert_eq!(acquire, 3, "one series per attribute set: {points:#?}");
}
