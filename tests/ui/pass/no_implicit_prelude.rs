// The derives in a crate without the prelude: generated code names nothing it does not bring.
#![no_implicit_prelude]

use ::agent_metrics::{AgentMetric, AttributeValue, Attributes, Instrument};

const ACQUIRE_TIME: Instrument = Instrument::histogram("demo.connection.acquire_time")
    .unit("s")
    .buckets(&[0.1, 1.0]);

#[derive(
    ::core::clone::Clone,
    ::core::marker::Copy,
    ::core::cmp::PartialEq,
    ::core::fmt::Debug,
    AttributeValue,
)]
enum Stage {
    #[attr(value = "stt")]
    SpeechToText,
    EndOfTurn,
}

#[derive(::core::clone::Clone, ::core::default::Default, ::core::cmp::PartialEq, Attributes)]
struct Metadata {
    #[attr(skip_empty)]
    model_name: ::core::option::Option<::std::sync::Arc<str>>,
    #[attr(key = "provider")]
    model_provider: ::core::option::Option<&'static str>,
}

#[derive(::core::clone::Clone, ::core::default::Default, ::core::cmp::PartialEq, AgentMetric)]
struct Phases {
    #[metric(histogram = "demo.phase.ttfb", unit = "s", buckets = [0.1, 0.5])]
    ttfb: ::core::time::Duration,
}

#[derive(AgentMetric)]
#[metric(attributes(metadata, stage, reused))]
struct Event {
    label: ::std::string::String,
    /// Characters synthesized.
    #[metric(counter = "demo.characters", unit = "{character}", skip_zero, default)]
    characters: u64,
    #[metric(up_down_counter = "demo.streams", default = 0)]
    streams: i64,
    #[metric(gauge = "demo.queue")]
    queue: ::core::option::Option<f64>,
    #[metric(histogram = ACQUIRE_TIME, attributes(reused))]
    acquire_time: f64,
    #[metric(nested, default)]
    phases: Phases,
    #[attr]
    stage: Stage,
    #[attr(as_str)]
    reused: bool,
    #[metric(default)]
    metadata: ::core::option::Option<Metadata>,
}

fn main() {
    let capture = ::agent_metrics::capture::Capture::cumulative();
    let handles = Event::handles(capture.meter());
    let event = Event {
        label: ::std::borrow::ToOwned::to_owned("tts"),
        characters: 3,
        streams: 1,
        queue: ::core::option::Option::None,
        acquire_time: 0.2,
        phases: ::core::default::Default::default(),
        stage: Stage::EndOfTurn,
        reused: true,
        metadata: ::core::option::Option::None,
    };
    event.record(&handles);
    ::std::assert_eq!(capture.collect().len(), 4);
    ::std::assert_eq!(
        ::std::format!("{event:?}"),
        "Event { label: \"tts\", characters: 3, streams: 1, queue: None, acquire_time: 0.2, stage: EndOfTurn, reused: true }"
    );
    let _ = Stage::SpeechToText;
}
