//! The compact Debug of `docs/PYTHON-PARITY.md` §5, with exact strings.

use agent_metrics_test_support::fixtures;

use agent_metrics_core::schema::*;
use agent_metrics_core::usage::UsageCollector;

/// `docs/PYTHON-PARITY.md` §5, first example: the dedicated connection event of a streaming STT.
#[test]
fn stt_connection_event() {
    let event = STTMetrics {
        label: "lk.stt".into(),
        timestamp: 1.5,
        streamed: true,
        acquire_time: 0.12,
        metadata: Some(Metadata::new("deepgram", "nova-3")),
        ..Default::default()
    };
    assert_eq!(
        format!("{event:?}"),
        r#"STTMetrics { label: "lk.stt", request_id: "", timestamp: 1.5, duration: 0.0, audio_duration: 0.0, streamed: true, acquire_time: 0.12, metadata: {model_name: "nova-3", model_provider: "deepgram"} }"#
    );
}

/// `docs/PYTHON-PARITY.md` §5, second example: the zero-usage event of a realtime (re)connect.
#[test]
fn realtime_connection_event() {
    let event = RealtimeModelMetrics {
        timestamp: 2.0,
        acquire_time: 0.3,
        ..fixtures::realtime(Some(Metadata {
            model_name: Some("gpt-realtime".into()),
            model_provider: None,
        }))
    };
    assert_eq!(
        format!("{event:?}"),
        r#"RealtimeModelMetrics { request_id: "", timestamp: 2.0, input_token_details: {}, output_token_details: {}, acquire_time: 0.3, metadata: {model_name: "gpt-realtime"} }"#
    );
}

#[test]
fn nested_defaults_are_dropped_recursively() {
    let details = InputTokenDetails {
        audio_tokens: 3,
        cached_tokens_details: Some(CachedTokenDetails::default()),
        ..Default::default()
    };
    let event = RealtimeModelMetrics {
        label: "rt".into(),
        request_id: "r".into(),
        ttft: 0.25,
        input_token_details: details,
        ..Default::default()
    };
    assert_eq!(
        format!("{event:?}"),
        r#"RealtimeModelMetrics { label: "rt", request_id: "r", timestamp: 0.0, ttft: 0.25, input_token_details: {audio_tokens: 3, cached_tokens_details: {}}, output_token_details: {} }"#
    );
}

#[test]
fn required_fields_show_even_when_zero_and_an_explicit_default_hides() {
    let event = EOTInferenceMetrics {
        num_requests: 1,
        ..Default::default()
    };
    assert_eq!(
        format!("{event:?}"),
        "EOTInferenceMetrics { timestamp: 0.0, total_duration: 0.0, detection_delay: 0.0, prediction_duration: 0.0 }"
    );
}

#[test]
fn turn_report_shows_present_keys_only() {
    let report = MetricsReport {
        e2e_latency: Some(0.8),
        llm_metadata: Some(MetricsMetadata::new("openai", "gpt-4o")),
        ..Default::default()
    };
    assert_eq!(
        format!("{report:?}"),
        r#"MetricsReport { e2e_latency: Some(0.8), llm_metadata: {model_name: "gpt-4o", model_provider: "openai"} }"#
    );
}

#[test]
fn usage_debug_drops_zero_values() {
    let mut usage = UsageCollector::default();
    usage.collect(&AgentMetrics::Llm(LLMMetrics {
        label: "l".into(),
        request_id: "r".into(),
        duration: 1.0,
        ttft: 0.1,
        completion_tokens: 5,
        prompt_tokens: 3,
        total_tokens: 8,
        tokens_per_second: 5.0,
        metadata: Some(Metadata::new("openai", "gpt-4o")),
        ..Default::default()
    }));
    assert_eq!(
        format!("{:?}", usage.flatten()),
        r#"[Llm(LLMModelUsage { provider: "openai", model: "gpt-4o", input_tokens: 3, output_tokens: 5 })]"#
    );
}
