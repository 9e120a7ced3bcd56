//! Property tests over the attribute, Debug and value paths with arbitrary input: unicode,
//! control characters, empty and blank strings, 1 MB strings, and every kind of f64 (NaN, ±inf,
//! negative, huge, subnormal). Nothing panics; attributes carry exactly the strings given (empty
//! ones left out); sums are never poisoned (the `invalid` policy).
#![cfg(feature = "otlp")]

use agent_metrics_test_support::fixtures;

use agent_metrics_test_support::export_receiver;
use agent_metrics_test_support::reliability_support;

use std::time::Duration;

use agent_metrics_core::MetricsRecorder;
use agent_metrics_core::capture::{Capture, Point};
use agent_metrics_core::genai::{ProviderName, gen_ai_provider_name};
use agent_metrics_core::invalid::{self, MAX_VALUE};
use agent_metrics_core::opentelemetry::Value;
use agent_metrics_core::schema::*;
use export_receiver::{Receiver, attrs};
use proptest::prelude::*;
use reliability_support::push_builder;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[ \t\n\u{1c}\u{85}\u{3000}]{1,4}",
        any::<String>(),
        "\\PC{0,64}",
        "[a-zA-Z0-9 ._-]{1,24}",
    ]
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(f64::MIN_POSITIVE / 4.0),
        Just(MAX_VALUE),
        Just(MAX_VALUE * 1.000_001),
        -1e3..1e3f64,
        0.0..1e13f64,
    ]
}

fn tts(metadata: Option<Metadata>, audio: f64, chars: u64, acquire: f64) -> TTSMetrics {
    TTSMetrics {
        ttfb: audio,
        duration: audio,
        audio_duration: audio,
        characters_count: chars,
        acquire_time: acquire,
        ..fixtures::tts(metadata)
    }
}

fn string_attr(point: &Point, key: &str) -> Option<String> {
    match point.attributes.get(key)? {
        Value::String(s) => Some(s.as_str().to_owned()),
        other => panic!("{key} is not a string: {other:?}"),
    }
}

/// What `skip_empty` writes for an optional string: present and non-empty.
fn kept(s: &Option<String>) -> Option<String> {
    s.clone().filter(|s| !s.is_empty())
}

fn metadata(model: &Option<String>, provider: &Option<String>) -> Metadata {
    Metadata {
        model_name: model.as_deref().map(Into::into),
        model_provider: provider.as_deref().map(Into::into),
    }
}

/// Empty, or only what Python's `str.strip()` removes.
fn blank(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// The valid values of the invalid-value policy for a counter or a histogram in seconds.
fn valid(v: f64) -> bool {
    (0.0..=MAX_VALUE).contains(&v)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn attributes_carry_exactly_the_strings_given(
        model in proptest::option::of(text()),
        provider in proptest::option::of(text()),
    ) {
        let capture = Capture::cumulative();
        let recorder = MetricsRecorder::new(capture.meter());
        let event = tts(Some(metadata(&model, &provider)), 0.0, 3, 0.0);
        let _ = format!("{event:?} {event:#?}");
        recorder.record(&event);
        let points = capture.collect();
        let point = points.iter().find(|p| p.name == "lk.agents.usage.tts_characters").unwrap();
        prop_assert_eq!(string_attr(point, "model_name"), kept(&model));
        prop_assert_eq!(string_attr(point, "model_provider"), kept(&provider));
        prop_assert_eq!(point.value.as_u64(), Some(3));
    }

    #[test]
    fn provider_normalization_never_panics_and_keeps_the_input(input in text()) {
        match gen_ai_provider_name(&input) {
            None => prop_assert!(blank(&input), "{input:?} is not blank"),
            Some(ProviderName::Known(name)) => prop_assert!(!name.is_empty()),
            Some(ProviderName::Other(name)) => {
                prop_assert!(!name.is_empty() && input.contains(name));
                prop_assert!(!name.starts_with(char::is_whitespace));
                prop_assert!(!name.ends_with(char::is_whitespace));
            }
        }
        // Through the GenAI view of an LLM event's metadata.
        let capture = Capture::cumulative();
        let recorder = MetricsRecorder::new(capture.meter());
        let llm = LLMMetrics {
            label: input.clone(),
            request_id: input.clone(),
            duration: 0.5,
            ttft: 0.25,
            completion_tokens: 1,
            prompt_tokens: 1,
            total_tokens: 2,
            speech_id: Some(input.clone()),
            metadata: Some(Metadata::new(input.as_str(), input.as_str())),
            ..Default::default()
        };
        let _ = format!("{llm:?} {llm:#?}");
        recorder.record(&llm);
        let points = capture.collect();
        let point = points.iter().find(|p| p.name == "gen_ai.client.operation.duration").unwrap();
        let expected = gen_ai_provider_name(&input).map(|p| p.as_str().to_owned());
        prop_assert_eq!(string_attr(point, "gen_ai.provider.name"), expected);
    }

    #[test]
    fn arbitrary_values_never_panic_nor_poison_sums(values in proptest::collection::vec(value(), 1..24)) {
        let capture = Capture::cumulative();
        invalid::register(capture.meter());
        let recorder = MetricsRecorder::new(capture.meter());
        let dropped_before: u64 = invalid::dropped_counts().values().sum();
        let metadata = Some(Metadata::new("p", "m"));
        for &v in &values {
            let event = tts(metadata.clone(), v, 1, v);
            let _ = format!("{event:?} {event:#?}");
            recorder.record(&event);
            let report = MetricsReport { e2e_latency: Some(v), ..MetricsReport::default() };
            let _ = format!("{report:?}");
            recorder.record(&report);
        }
        let points = capture.collect();
        for point in &points {
            let finite = match &point.value {
                agent_metrics_core::capture::PointValue::F64(v) => v.is_finite(),
                agent_metrics_core::capture::PointValue::Histogram(h) => h.sum.is_finite(),
                _ => true,
            };
            prop_assert!(finite, "{} poisoned: {:?}", point.name, point.value);
        }
        // The counter skips zeros and drops invalid values; the histogram drops invalid ones.
        let counted: f64 = values.iter().filter(|&&v| valid(v) && v != 0.0).sum();
        let audio = points.iter().find(|p| p.name == "lk.agents.usage.tts_audio_duration");
        prop_assert_eq!(audio.map_or(0.0, |p| p.value.as_f64().unwrap()), counted);
        let e2e = points.iter().find(|p| p.name == "lk.agents.turn.e2e_latency");
        let histogram_count = e2e.map_or(0, |p| p.value.as_histogram().unwrap().count);
        prop_assert_eq!(histogram_count, values.iter().filter(|&&v| valid(v)).count() as u64);
        // Every invalid value was counted as dropped (other tests may add to the counts too).
        let invalid = values.iter().filter(|&&v| !valid(v)).count() as u64;
        let dropped_after: u64 = invalid::dropped_counts().values().sum();
        prop_assert!(dropped_after - dropped_before >= 3 * invalid);
    }
}

#[test]
fn megabyte_strings_record_print_and_export() {
    let big = "é🦀x".repeat((1 << 20) / 7); // about 1 MiB of mixed-width UTF-8
    let receiver = Receiver::start();
    let telemetry = push_builder(receiver.url(), Duration::from_secs(3600))
        .build()
        .unwrap();
    let recorder = MetricsRecorder::new(telemetry.meter());
    let event = tts(Some(Metadata::new(big.as_str(), big.as_str())), 1.0, 5, 0.5);
    assert!(format!("{event:?}").len() > 2 * big.len());
    recorder.record(&event);
    telemetry.shutdown(Duration::from_secs(10)).unwrap();
    let exported = export_receiver::metrics(&receiver.requests());
    let (_, chars) = exported
        .iter()
        .find(|(_, m)| m.name == "lk.agents.usage.tts_characters")
        .expect("exported");
    let Some(opentelemetry_proto::tonic::metrics::v1::metric::Data::Sum(sum)) = &chars.data else {
        panic!("not a sum")
    };
    let attributes = attrs(&sum.data_points[0].attributes);
    assert_eq!(
        attributes,
        [format!("model_name={big}"), format!("model_provider={big}")]
    );
}
