// User types named like the std and OpenTelemetry items generated code uses do not capture it.
#![allow(dead_code, non_camel_case_types)]

use ::agent_metrics::{AgentMetric, Attributes};
use std::sync::Arc;

struct Option;
struct Result;
struct KeyValue;
struct Meter;
struct Some;
struct None;
struct Default;
struct Vec;
struct Value;
struct Key;
struct PartialEq;
struct fmt;
struct usize;
struct str;
struct bool;
struct __p;
mod core {}
mod agent_metrics {}
mod opentelemetry {}

#[derive(Clone, std::default::Default, std::cmp::PartialEq, Attributes)]
struct Metadata {
    #[attr(skip_empty)]
    model_name: std::option::Option<Arc<std::primitive::str>>,
}

#[derive(AgentMetric)]
#[metric(attributes(metadata, reused))]
struct Event {
    #[metric(counter = "demo.characters", skip_zero, default)]
    characters: u64,
    #[metric(histogram = "demo.ttfb", buckets = [0.1, 1.0], default = 0.0)]
    ttfb: f64,
    #[metric(gauge = "demo.queue")]
    queue: std::option::Option<i64>,
    #[attr(as_str)]
    reused: std::primitive::bool,
    #[metric(default)]
    metadata: std::option::Option<Metadata>,
}

fn main() {
    let capture = ::agent_metrics::capture::Capture::cumulative();
    let handles = Event::handles(capture.meter());
    let event = Event {
        characters: 2,
        ttfb: 0.0,
        queue: std::option::Option::Some(4),
        reused: false,
        metadata: std::option::Option::Some(Metadata {
            model_name: std::option::Option::Some("nova-3".into()),
        }),
    };
    event.record(&handles);
    assert_eq!(capture.collect().len(), 3);
    assert_eq!(
        format!("{event:?}"),
        r#"Event { characters: 2, queue: Some(4), reused: false, metadata: {model_name: "nova-3"} }"#
    );
}
