use std::time::{Duration, Instant};

use agent_metrics_core::schema::AgentMetrics;
use agent_metrics_core::usage::ModelUsage;
use proptest::prelude::*;
use serde_json::{Value, json};

/// One valid event of each kind the tests know, to mutate.
fn valid_events() -> Vec<Value> {
    vec![
        json!({"type": "stt_metrics", "label": "s", "request_id": "", "timestamp": 1.0,
            "duration": 0.0, "audio_duration": 0.0, "input_tokens": 0, "output_tokens": 0,
            "input_audio_tokens": 0, "streamed": true, "acquire_time": 0.1,
            "connection_reused": false, "metadata": null}),
        json!({"type": "tts_metrics", "label": "t", "request_id": "r", "timestamp": 1.5,
            "ttfb": 0.2, "duration": 1.2, "audio_duration": 3.5, "cancelled": false,
            "characters_count": 42, "input_tokens": 0, "output_tokens": 0, "streamed": true,
            "acquire_time": 0.08, "connection_reused": false, "segment_id": "seg",
            "speech_id": null, "metadata": {"model_name": "m", "model_provider": "p"}}),
        json!({"type": "llm_metrics", "label": "l", "request_id": "r", "timestamp": 1.0,
            "duration": 1.0, "ttft": 0.1, "cancelled": false, "completion_tokens": 1,
            "prompt_tokens": 2, "prompt_cached_tokens": 0, "total_tokens": 3,
            "tokens_per_second": 1.0, "speech_id": null, "metadata": null}),
        json!({"type": "eou_metrics", "timestamp": 1.0, "end_of_utterance_delay": 0.5,
            "transcription_delay": 0.2, "on_user_turn_completed_delay": 0.1,
            "speech_id": "s", "metadata": null}),
        json!({"type": "llm_usage", "provider": "p", "model": "m", "input_tokens": 1,
            "output_tokens": 2}),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        Just(json!(u64::MAX)),
        Just(json!(-1)),
        Just(json!(1e308)),
        ".{0,20}".prop_map(Value::from),
        prop::sample::select(vec![
            "stt_metrics",
            "tts_metrics",
            "llm_metrics",
            "vad_metrics",
            "eou_metrics",
            "realtime_model_metrics",
            "avatar_metrics",
            "llm_usage",
            "tts_usage",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid event with one field replaced, removed, or a field added.
fn mutated() -> impl Strategy<Value = Value> {
    (
        0..valid_events().len(),
        any::<prop::sample::Index>(),
        0u8..3,
        any_json(),
    )
        .prop_map(|(event, field, how, value)| {
            let mut event = valid_events()[event].clone();
            let map = event.as_object_mut().unwrap();
            let key = map.keys().nth(field.index(map.len())).unwrap().clone();
            match how {
                0 => map.insert(key, value),
                1 => map.remove(&key),
                _ => map.insert("unknown_field".to_owned(), value),
            };
            event
        })
}

fn parse_everything(json: &[u8]) {
    let _ = serde_json::from_slice::<AgentMetrics>(json);
    let _ = serde_json::from_slice::<ModelUsage>(json);
    let _ = serde_json::from_slice::<Vec<AgentMetrics>>(json);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        parse_everything(&bytes);
    }

    #[test]
    fn arbitrary_json_values_never_panic(value in prop_oneof![any_json(), mutated()]) {
        let _ = serde_json::from_value::<AgentMetrics>(value.clone());
        let _ = serde_json::from_value::<ModelUsage>(value.clone());
        parse_everything(value.to_string().as_bytes());
    }
}

#[test]
fn token_counts_at_the_limit_and_deep_or_long_input_are_handled() {
    // No total_tokens: derived from the two counts, which must not overflow.
    let stt = json!({"type": "stt_metrics", "label": "s", "request_id": "", "timestamp": 1.0,
        "duration": 0.0, "audio_duration": 0.0, "input_tokens": u64::MAX,
        "output_tokens": u64::MAX, "input_audio_tokens": 0, "streamed": true,
        "acquire_time": 0.1, "connection_reused": false, "metadata": null});
    let parsed = std::panic::catch_unwind(|| serde_json::from_value::<AgentMetrics>(stt));
    assert!(matches!(parsed, Ok(Ok(_))), "{parsed:?}");
    // Nesting: serde_json stops at depth 128, so no input can overflow the stack.
    let start = Instant::now();
    // (In a field read before the `type` tag, which serde buffers: the deepest path.)
    let deep = format!(
        r#"{{"label": {}{}, "type": "tts_metrics"}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let error = serde_json::from_str::<AgentMetrics>(&deep).unwrap_err();
    assert!(error.to_string().contains("recursion limit"), "{error}");
    let deepest_ok = (1..200)
        .rev()
        .find(|&d| {
            let nested = format!("{}1{}", "[".repeat(d), "]".repeat(d));
            serde_json::from_str::<Value>(&nested).is_ok()
        })
        .unwrap();
    // Strings: no limit of their own; one costs its length once (8 MiB label here).
    let label = "x".repeat(8 << 20);
    let mut long = valid_events()[1].clone();
    long["label"] = Value::from(label.as_str());
    let long = serde_json::to_vec(&long).unwrap();
    let parsed = serde_json::from_slice::<AgentMetrics>(&long).map(|_| ());
    let took = start.elapsed();
    println!(
        "serde: 100000-deep input refused ({error}); deepest accepted {deepest_ok}; an 8 MiB \
         label parsed {parsed:?}; {took:?}"
    );
    assert_eq!(deepest_ok, 127);
    assert!(parsed.is_ok());
    assert!(took < Duration::from_secs(20));
}
