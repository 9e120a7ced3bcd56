//! Invalid values (NaN, ±inf, negative where values cannot be, absurdly large): dropped, never a
//! panic or a poisoned sum, and counted per instrument and reason.

use agent_metrics_test_support::fixtures;

use agent_metrics_core::capture::{Capture, PointValue};
use agent_metrics_core::invalid::{self, Reason};
use agent_metrics_core::schema::*;
use agent_metrics_core::{AgentMetric, MetricsRecorder};

fn tts(audio: f64, chars: u64, acquire: f64) -> TTSMetrics {
    TTSMetrics {
        audio_duration: audio,
        characters_count: chars,
        acquire_time: acquire,
        ..fixtures::tts(fixtures::sonic())
    }
}

/// Run alone, in a process of its own: the drop counts are process-wide, so that every count
/// below is exact.
#[test]
fn invalid_values_are_dropped_counted_and_exported() {
    agent_metrics_test_support::alone::run_alone("invalid_values::dropped_counted_exported_alone");
}

#[test]
#[ignore = "run alone by invalid_values_are_dropped_counted_and_exported"]
fn dropped_counted_exported_alone() {
    assert!(agent_metrics_test_support::alone::is_child());
    let capture = Capture::cumulative();
    invalid::register(capture.meter());
    let recorder = MetricsRecorder::new(capture.meter());
    let audio = "lk.agents.usage.tts_audio_duration";
    let acquire = "lk.agents.connection.acquire_time";
    let chars = "lk.agents.usage.tts_characters";
    assert!(invalid::dropped_counts().is_empty());

    recorder.record(&tts(f64::NAN, 1, 0.0));
    recorder.record(&tts(f64::INFINITY, 1, 0.0));
    recorder.record(&tts(f64::NEG_INFINITY, 1, 0.0));
    recorder.record(&tts(-2.0, 1, -0.5));
    recorder.record(&tts(1.5, u64::MAX, 0.2));
    recorder.record(&tts(1e300, 1, f64::NAN));

    let expected = [
        ((audio, Reason::NaN), 1),
        ((audio, Reason::Infinite), 2),
        ((audio, Reason::Negative), 1),
        ((audio, Reason::TooLarge), 1),
        ((acquire, Reason::Negative), 1),
        ((acquire, Reason::NaN), 1),
        ((chars, Reason::TooLarge), 1),
    ];
    let mut counts: Vec<_> = invalid::dropped_counts().into_iter().collect();
    let mut want = expected.to_vec();
    counts.sort_by_key(|((i, r), _)| (*i, r.as_str()));
    want.sort_by_key(|((i, r), _)| (*i, r.as_str()));
    assert_eq!(counts, want);

    let points = capture.collect();
    let value = |name: &str| {
        points
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.clone())
    };
    // Only the valid values made it: sums stay finite.
    assert_eq!(value(audio).and_then(|v| v.as_f64()), Some(1.5));
    assert_eq!(value(chars).and_then(|v| v.as_u64()), Some(5));
    let h = value(acquire).unwrap().as_histogram().unwrap().clone();
    assert_eq!((h.count, h.sum), (1, 0.2));
    // The self-metric reports every drop once, by instrument and reason.
    let mut exported: Vec<_> = points
        .iter()
        .filter(|p| p.name == "agent_metrics.dropped_values")
        .map(|p| {
            let (instrument, reason) = (p.attr("instrument").unwrap(), p.attr("reason").unwrap());
            ((instrument, reason), p.value.as_u64().unwrap())
        })
        .collect();
    exported.sort();
    let mut want: Vec<_> = expected
        .iter()
        .map(|((i, r), n)| ((i.to_string(), r.as_str().to_owned()), *n))
        .collect();
    want.sort();
    assert_eq!(exported, want);
}

#[test]
fn up_down_counters_and_gauges_take_negative_values() {
    #[derive(Clone, PartialEq, AgentMetric)]
    #[metric(crate = agent_metrics_core)]
    struct Level {
        #[metric(up_down_counter = "test.queue.depth")]
        change: i64,
        #[metric(gauge = "test.temperature", unit = "Cel")]
        temperature: f64,
    }
    let capture = Capture::cumulative();
    let handles = Level::handles(capture.meter());
    Level {
        change: -3,
        temperature: -12.5,
    }
    .record(&handles);
    let points = capture.collect();
    let value = |name: &str| {
        points
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.clone())
    };
    assert_eq!(value("test.queue.depth"), Some(PointValue::I64(-3)));
    assert_eq!(value("test.temperature"), Some(PointValue::F64(-12.5)));
}
