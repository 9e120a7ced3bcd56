//! The schema's instruments against spec §2.1: names, kinds, value types, units, attributes.

use std::collections::BTreeMap;

use agent_metrics_core::catalog::Catalog;
use agent_metrics_core::{InstrumentKind, ValueType};

const MODEL: &[&str] = &["model_name", "model_provider"];
const CONNECTION: &[&str] = &["connection_reused", "model_name", "model_provider"];

/// Spec §2.1, with our units for counts (UCUM annotations, which Prometheus drops from names).
const GOLDEN: &[(&str, InstrumentKind, ValueType, &str, &[&str])] = {
    use InstrumentKind::{Counter as C, Histogram as H};
    use ValueType::{F64, U64};
    &[
        ("lk.agents.turn.e2e_latency", H, F64, "s", MODEL),
        ("lk.agents.turn.llm_ttft", H, F64, "s", MODEL),
        ("lk.agents.turn.tts_ttfb", H, F64, "s", MODEL),
        ("lk.agents.turn.transcription_delay", H, F64, "s", MODEL),
        ("lk.agents.turn.end_of_turn_delay", H, F64, "s", MODEL),
        (
            "lk.agents.turn.on_user_turn_completed_delay",
            H,
            F64,
            "s",
            MODEL,
        ),
        ("lk.agents.usage.llm_input_tokens", C, U64, "{token}", MODEL),
        (
            "lk.agents.usage.llm_input_cached_tokens",
            C,
            U64,
            "{token}",
            MODEL,
        ),
        (
            "lk.agents.usage.llm_output_tokens",
            C,
            U64,
            "{token}",
            MODEL,
        ),
        (
            "lk.agents.usage.llm_input_audio_tokens",
            C,
            U64,
            "{token}",
            MODEL,
        ),
        (
            "lk.agents.usage.llm_input_text_tokens",
            C,
            U64,
            "{token}",
            MODEL,
        ),
        (
            "lk.agents.usage.llm_output_audio_tokens",
            C,
            U64,
            "{token}",
            MODEL,
        ),
        (
            "lk.agents.usage.llm_output_text_tokens",
            C,
            U64,
            "{token}",
            MODEL,
        ),
        ("lk.agents.usage.llm_session_duration", C, F64, "s", MODEL),
        (
            "lk.agents.usage.tts_characters",
            C,
            U64,
            "{character}",
            MODEL,
        ),
        ("lk.agents.usage.tts_audio_duration", C, F64, "s", MODEL),
        ("lk.agents.usage.stt_audio_duration", C, F64, "s", MODEL),
        (
            "lk.agents.usage.interruption_num_requests",
            C,
            U64,
            "{request}",
            MODEL,
        ),
        ("lk.agents.connection.acquire_time", H, F64, "s", CONNECTION),
    ]
};

#[test]
fn schema_has_exactly_the_19_instruments_of_the_spec() {
    let catalog = Catalog::schema();
    let actual: BTreeMap<_, _> = catalog
        .entries()
        .iter()
        .map(|e| {
            let i = &e.instrument;
            (i.name, (i.kind, e.value_type, i.unit, e.attributes))
        })
        .collect();
    let expected: BTreeMap<_, _> = GOLDEN
        .iter()
        .map(|&(name, kind, value, unit, attrs)| (name, (kind, value, unit, attrs)))
        .collect();
    assert_eq!(actual, expected);
    assert_eq!(catalog.entries().len(), 19);
}

#[test]
fn turn_histograms_keep_the_python_descriptions() {
    let catalog = Catalog::schema();
    let description = |name: &str| {
        catalog
            .entries()
            .iter()
            .find(|e| e.instrument.name == name)
            .map(|e| e.instrument.description)
            .unwrap()
    };
    assert_eq!(
        description("lk.agents.turn.e2e_latency"),
        "End-to-end turn latency"
    );
    assert_eq!(
        description("lk.agents.turn.on_user_turn_completed_delay"),
        "Time to invoke the on_user_turn_completed callback"
    );
    assert_eq!(
        description("lk.agents.connection.acquire_time"),
        "Time to acquire a connection (WebSocket only)"
    );
}

#[test]
fn no_two_fields_define_one_instrument_differently() {
    let catalog = Catalog::schema();
    assert!(catalog.conflicts().is_empty(), "{:#?}", catalog.conflicts());
}

#[test]
fn shared_instruments_name_every_field_that_feeds_them() {
    let catalog = Catalog::schema();
    let sources = |name: &str| -> Vec<String> {
        let e = catalog
            .entries()
            .iter()
            .find(|e| e.instrument.name == name)
            .unwrap();
        e.sources.iter().map(ToString::to_string).collect()
    };
    assert_eq!(
        sources("lk.agents.usage.llm_input_cached_tokens"),
        [
            "LLMMetrics.prompt_cached_tokens",
            "RealtimeModelMetrics.input_token_details.cached_tokens"
        ]
    );
    let mut acquire = sources("lk.agents.connection.acquire_time");
    acquire.sort();
    assert_eq!(
        acquire,
        [
            "RealtimeModelMetrics.acquire_time",
            "STTMetrics.acquire_time",
            "TTSMetrics.acquire_time"
        ]
    );
}

#[test]
fn histograms_use_seconds_buckets() {
    for e in Catalog::schema().entries() {
        if e.instrument.kind == InstrumentKind::Histogram {
            let b = e.instrument.buckets;
            assert!(!b.is_empty(), "{} has no buckets", e.instrument.name);
            assert!(*b.last().unwrap() <= 10.0, "{}: {b:?}", e.instrument.name);
            assert!(b[0] <= 0.05, "{}: {b:?}", e.instrument.name);
        }
    }
}
