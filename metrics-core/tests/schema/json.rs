//! Events in the Python framework's JSON shape (pydantic `model_dump(mode="json")`): its field
//! names and `type` tags, so a Rust agent and Python tooling can exchange them.
#![cfg(feature = "serde")]

use agent_metrics_core::schema::*;
use serde_json::{Value, json};

fn round_trip(python: Value) -> AgentMetrics {
    let event: AgentMetrics = serde_json::from_value(python.clone()).expect("parses");
    let back = serde_json::to_value(&event).unwrap();
    assert_eq!(back, python, "re-serialized differently");
    event
}

#[test]
fn tts_event_from_python() {
    let event = round_trip(json!({
        "type": "tts_metrics", "label": "livekit.plugins.cartesia.tts.TTS", "request_id": "req_1",
        "timestamp": 1712000000.5, "ttfb": 0.21, "duration": 1.2, "audio_duration": 3.5,
        "cancelled": false, "characters_count": 42, "input_tokens": 0, "output_tokens": 0,
        "streamed": true, "acquire_time": 0.08, "connection_reused": false,
        "segment_id": "seg_1", "speech_id": null,
        "metadata": {"model_name": "sonic-2", "model_provider": "cartesia"}
    }));
    let AgentMetrics::Tts(tts) = event else {
        panic!("not TTS: {event:?}")
    };
    assert_eq!(tts.characters_count, 42);
    assert_eq!(tts.metadata, Some(Metadata::new("cartesia", "sonic-2")));
}

#[test]
fn every_type_tag_selects_its_variant() {
    let cases = [
        (
            json!({"type": "stt_metrics", "label": "s", "request_id": "", "timestamp": 1.0, "duration": 0.0,
                "audio_duration": 0.0, "input_tokens": 0, "output_tokens": 0, "total_tokens": 0,
                "input_audio_tokens": 0, "streamed": true, "acquire_time": 0.1,
                "connection_reused": false, "metadata": null}),
            "Stt",
        ),
        (
            json!({"type": "llm_metrics", "label": "l", "request_id": "r", "timestamp": 1.0, "duration": 1.0,
                "ttft": 0.2, "cancelled": false, "completion_tokens": 5, "prompt_tokens": 3,
                "prompt_cached_tokens": 0, "cache_creation_tokens": 0, "reasoning_tokens": 0,
                "total_tokens": 8, "tokens_per_second": 5.0, "speech_id": "sp", "metadata": null}),
            "Llm",
        ),
        (
            json!({"type": "vad_metrics", "label": "v", "timestamp": 1.0, "idle_time": 0.5,
                "inference_duration_total": 0.01, "inference_count": 31, "metadata": null}),
            "Vad",
        ),
        (
            json!({"type": "eou_metrics", "timestamp": 1.0, "end_of_utterance_delay": 0.4,
                "transcription_delay": 0.2, "on_user_turn_completed_delay": 0.0, "speech_id": null,
                "metadata": null}),
            "Eou",
        ),
        (
            json!({"type": "interruption_metrics", "timestamp": 1.0, "total_duration": 0.1,
                "prediction_duration": 0.05, "detection_delay": 0.3, "num_interruptions": 1,
                "num_backchannels": 0, "num_requests": 2,
                "metadata": {"model_name": "adaptive interruption", "model_provider": "livekit"}}),
            "Interruption",
        ),
        (
            json!({"type": "eot_inference_metrics", "timestamp": 1.0, "total_duration": 0.1,
                "detection_delay": 0.2, "prediction_duration": 0.05, "num_requests": 1, "metadata": null}),
            "EotInference",
        ),
        (
            json!({"type": "avatar_metrics", "timestamp": 1.0, "playback_latency": 0.1,
                "session_started_time": 1.0, "avatar_joined_time": null, "metadata": null}),
            "Avatar",
        ),
        (
            json!({"type": "decision_metrics", "label": "d", "request_id": "r", "timestamp": 1.0,
                "duration": 0.3, "input_tokens": 10, "output_tokens": null, "metadata": null}),
            "Decision",
        ),
        (
            json!({"type": "realtime_model_metrics", "label": "", "request_id": "", "timestamp": 2.0,
                "duration": 0.0, "session_duration": 0.0, "ttft": -1.0, "cancelled": false,
                "input_tokens": 0, "output_tokens": 0, "total_tokens": 0, "tokens_per_second": 0.0,
                "input_token_details": {"audio_tokens": 0, "text_tokens": 0, "image_tokens": 0,
                                        "cached_tokens": 0, "cached_tokens_details": null},
                "output_token_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0},
                "acquire_time": 0.3, "connection_reused": false,
                "metadata": {"model_name": "gpt-realtime", "model_provider": null}}),
            "Realtime",
        ),
    ];
    for (json, variant) in cases {
        let event = round_trip(json);
        let debug = format!("{event:?}");
        assert!(debug.starts_with(&format!("{variant}(")), "{debug}");
    }
}

#[test]
fn defaulted_fields_may_be_missing_as_in_older_python_releases() {
    // A PR #4891-era STT event: no token fields.
    let event: AgentMetrics = serde_json::from_value(json!({
        "type": "stt_metrics", "label": "s", "request_id": "r", "timestamp": 1.0, "duration": 0.5,
        "audio_duration": 2.0, "streamed": false
    }))
    .unwrap();
    let AgentMetrics::Stt(stt) = event else {
        panic!()
    };
    assert_eq!(
        (stt.input_tokens, stt.acquire_time, stt.connection_reused),
        (0, 0.0, false)
    );
    // Realtime's ttft defaults to -1 and the token details to zeros.
    let event: AgentMetrics = serde_json::from_value(json!({
        "type": "realtime_model_metrics", "request_id": "", "timestamp": 2.0,
        "input_token_details": {}, "output_token_details": {}
    }))
    .unwrap();
    let AgentMetrics::Realtime(rt) = event else {
        panic!()
    };
    assert_eq!(rt.ttft, -1.0);
}

/// JSON from a newer Python release: fields this crate does not know yet are ignored, and the
/// rest reads as usual; JSON from an older one lacks fields added since, which take their
/// defaults. Either way the event records the same values.
#[test]
fn events_from_newer_and_older_releases_read_into_the_current_types() {
    let current = json!({
        "type": "llm_metrics", "label": "openai.LLM", "request_id": "r", "timestamp": 1.0,
        "duration": 1.5, "ttft": 0.3, "cancelled": false, "completion_tokens": 20,
        "prompt_tokens": 100, "prompt_cached_tokens": 10, "cache_creation_tokens": 0,
        "reasoning_tokens": 5, "total_tokens": 120, "tokens_per_second": 13.3,
        "speech_id": "sp", "metadata": {"model_name": "gpt-4o", "model_provider": "openai"}
    });
    let expected: AgentMetrics = serde_json::from_value(current.clone()).unwrap();

    let mut newer = current.clone();
    newer["thinking_budget_tokens"] = json!(64);
    newer["metadata"]["model_region"] = json!("eu");
    assert_eq!(
        serde_json::from_value::<AgentMetrics>(newer).unwrap(),
        expected
    );

    let mut older = current.as_object().unwrap().clone();
    for added_later in ["reasoning_tokens", "cache_creation_tokens", "speech_id"] {
        older.remove(added_later);
    }
    let AgentMetrics::Llm(llm) =
        serde_json::from_value::<AgentMetrics>(Value::Object(older)).unwrap()
    else {
        panic!("not an LLM event")
    };
    let AgentMetrics::Llm(want) = &expected else {
        unreachable!()
    };
    assert_eq!(
        (
            llm.reasoning_tokens,
            llm.cache_creation_tokens,
            llm.speech_id
        ),
        (0, 0, None)
    );
    assert_eq!(
        (llm.prompt_tokens, llm.completion_tokens, &llm.metadata),
        (100, 20, &want.metadata)
    );

    // A field every release requires is still required: its absence is an error, not a zero.
    let mut broken = current.as_object().unwrap().clone();
    broken.remove("prompt_tokens");
    assert!(serde_json::from_value::<AgentMetrics>(Value::Object(broken)).is_err());
}

#[test]
fn a_wrong_tag_is_rejected() {
    let wrong = json!({"type": "llm_metrics", "label": "v", "timestamp": 1.0, "idle_time": 0.5,
                       "inference_duration_total": 0.01, "inference_count": 31});
    assert!(serde_json::from_value::<AgentMetrics>(wrong).is_err());
    let unknown = json!({"type": "gpu_metrics", "timestamp": 1.0});
    assert!(serde_json::from_value::<AgentMetrics>(unknown).is_err());
}

#[test]
fn turn_report_keeps_only_present_keys() {
    let python = json!({
        "started_speaking_at": 10.0, "stopped_speaking_at": 12.0, "e2e_latency": 0.8,
        "llm_node_ttft": 0.3, "tts_node_ttfb": 0.2,
        "llm_metadata": {"model_name": "gpt-4o", "model_provider": "openai"},
        "tts_metadata": {"model_name": "sonic-2", "model_provider": "cartesia"}
    });
    let report: MetricsReport = serde_json::from_value(python.clone()).unwrap();
    assert_eq!(report.e2e_latency, Some(0.8));
    assert_eq!(report.transcription_delay, None);
    assert_eq!(serde_json::to_value(&report).unwrap(), python);
}

#[test]
fn usage_serializes_with_its_type_tag() {
    use agent_metrics_core::usage::{ModelUsage, TTSModelUsage};
    let usage = ModelUsage::Tts(TTSModelUsage {
        provider: "cartesia".into(),
        model: "sonic-2".into(),
        characters_count: 42,
        audio_duration: 3.5,
        ..Default::default()
    });
    assert_eq!(
        serde_json::to_value(&usage).unwrap(),
        json!({"type": "tts_usage", "provider": "cartesia", "model": "sonic-2", "input_tokens": 0,
               "output_tokens": 0, "characters_count": 42, "audio_duration": 3.5})
    );
    let eot =
        json!({"type": "eot_usage", "provider": "livekit", "model": "eou", "total_requests": 3});
    let parsed: ModelUsage = serde_json::from_value(eot.clone()).unwrap();
    assert!(matches!(parsed, ModelUsage::Eot(_)), "{parsed:?}");
    assert_eq!(serde_json::to_value(&parsed).unwrap(), eot);
}
