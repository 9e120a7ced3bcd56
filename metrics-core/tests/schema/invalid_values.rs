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

fn count(instrument: &str, reason: Reason) -> u64 {
    invalid::dropped_counts()
        .into_iter()
        .find(|((i, r), _)| *i == instrument && *r == reason)
        .map_or(0, |(_, n)| n)
}

#[test]
fn invalid_values_are_dropped_counted_and_exported() {
    let capture = Capture::cumulative();
    invalid::register(capture.meter());
    let recorder = MetricsRecorder::new(capture.meter());
    let audio = "lk.agents.usage.tts_audio_duration";
    let acquire = "lk.agents.connection.acquire_time";
    let chars = "lk.agents.usage.tts_characters";
    let before = [
        count(audio, Reason::NaN),
        count(audio, Reason::Infinite),
        count(audio, Reason::Negative),
        count(acquire, Reason::Negative),
        count(chars, Reason::TooLarge),
    ];

    recorder.record(&tts(f64::NAN, 1, 0.0));
    recorder.record(&tts(f64::INFINITY, 1, 0.0));
    recorder.record(&tts(f64::NEG_INFINITY, 1, 0.0));
    recorder.record(&tts(-2.0, 1, -0.5));
    recorder.record(&tts(1.5, u64::MAX, 0.2));
    recorder.record(&tts(1e300, 1, f64::NAN));

    let after = [
        count(audio, Reason::NaN),
        count(audio, Reason::Infinite),
        count(audio, Reason::Negative),
        count(acquire, Reason::Negative),
        count(chars, Reason::TooLarge),
    ];
    assert_eq!(
        after,
        [
            before[0] + 1,
            before[1] + 2,
            before[2] + 1,
            before[3] + 1,
            before[4] + 1
        ]
    );
    assert!(count(audio, Reason::TooLarge) >= 1);
    assert!(count(acquire, Reason::NaN) >= 1);

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
    // The self-metric reports the drops by instrument and reason.
    let dropped: Vec<_> = points
        .iter()
        .filter(|p| p.name == "agent_metrics.dropped_values")
        .collect();
    let nan_audio = dropped
        .iter()
        .find(|p| {
            p.attr("instrument").as_deref() == Some(audio)
                && p.attr("reason").as_deref() == Some("nan")
        })
        .expect("NaN audio drops exported");
    assert!(nan_audio.value.as_u64().unwrap() >= 1);
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
