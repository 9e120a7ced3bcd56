//! The compact `Debug` the derive generates: defaults left out, attribute sets printed as
//! `{key: value}`, attribute fields as their values.

use super::runtime::{Metadata, Phases, Room, Stage, metadata};
use agent_metrics::AgentMetric;

#[derive(Clone, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
struct SttMetrics {
    label: String,
    request_id: String,
    #[metric(histogram = "test.debug.duration", unit = "s", default)]
    duration: f64,
    #[metric(counter = "test.debug.audio", unit = "s", default = 0.0)]
    audio_duration: f64,
    #[metric(default = true)]
    streamed: bool,
    #[metric(nested, default)]
    phases: Phases,
    #[metric(default)]
    metadata: Option<Metadata>,
}

fn stt(metadata: Option<Metadata>) -> SttMetrics {
    SttMetrics {
        label: "stt".into(),
        request_id: String::new(),
        duration: 0.0,
        audio_duration: 0.0,
        streamed: true,
        phases: Phases::default(),
        metadata,
    }
}

#[test]
fn debug_omits_defaults_and_prints_sets_compactly() {
    // Fields with no declared default are shown even when empty; defaults are not.
    assert_eq!(
        format!("{:?}", stt(None)),
        r#"SttMetrics { label: "stt", request_id: "" }"#
    );

    let full = SttMetrics {
        duration: 1.25,
        audio_duration: 3.0,
        streamed: false,
        phases: Phases {
            ttfb: 0.5,
            retries: 0,
        },
        ..stt(metadata("deepgram", "nova-3"))
    };
    assert_eq!(
        format!("{full:?}"),
        r#"SttMetrics { label: "stt", request_id: "", duration: 1.25, audio_duration: 3.0, streamed: false, phases: {ttfb: 0.5}, metadata: {model_name: "nova-3", model_provider: "deepgram"} }"#
    );

    // `skip_empty` keys with no value are left out of the compact set too.
    let partial = Metadata {
        model_name: None,
        model_provider: Some("openai".into()),
    };
    assert_eq!(
        format!("{:?}", stt(Some(partial))),
        r#"SttMetrics { label: "stt", request_id: "", metadata: {model_provider: "openai"} }"#
    );

    assert_eq!(
        format!("{:#?}", stt(metadata("deepgram", "nova-3"))),
        r#"SttMetrics {
    label: "stt",
    request_id: "",
    metadata: {
        model_name: "nova-3",
        model_provider: "deepgram",
    },
}"#
    );
}

#[derive(AgentMetric)]
#[metric(attributes(room, reused, stage))]
struct DebugAttrs {
    #[metric(counter = "test.debug_attrs.calls")]
    calls: u64,
    #[attr(as_str)]
    reused: bool,
    #[attr]
    stage: Stage,
    #[metric(default)]
    room: Room,
}

#[test]
fn debug_prints_attribute_fields_as_their_values() {
    let event = DebugAttrs {
        calls: 2,
        reused: true,
        stage: Stage::EndOfTurn,
        room: Room {
            room: "lobby",
            region: "",
            shard: Some(1),
        },
    };
    // `region` is an empty string without `skip_empty`: present, so shown.
    assert_eq!(
        format!("{event:?}"),
        r#"DebugAttrs { calls: 2, reused: true, stage: EndOfTurn, room: {room: "lobby", region: "", shard: 1} }"#
    );
}
