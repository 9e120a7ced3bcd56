// The derives in a crate with strict lints: generated code adds no unsafe code, no public item
// without docs, no needless qualification, no unused result and no type without Debug.
#![forbid(unsafe_code)]
#![deny(
    missing_docs,
    unreachable_pub,
    unused_qualifications,
    unused_results,
    missing_debug_implementations
)]
//! A crate of events.

use agent_metrics::{AgentMetric, AttributeValue, Attributes, Instrument};

/// Shared by the events below.
pub const DEPTH: Instrument = Instrument::gauge("demo.strict.depth").unit("{item}");

/// The lane of a request.
#[derive(Clone, Copy, Debug, PartialEq, AttributeValue)]
pub enum Lane {
    /// Served now.
    Realtime,
}

/// The model.
#[derive(Clone, Debug, Default, PartialEq, Attributes)]
pub struct Model {
    /// Its name.
    #[attr(skip_empty)]
    pub name: Option<&'static str>,
}

/// A request.
#[derive(Clone, PartialEq, AgentMetric)]
#[metric(attributes(model, lane))]
pub struct Request {
    /// Time to the answer.
    #[metric(histogram = "demo.strict.latency", buckets = [0.1, 1.0], skip_zero)]
    pub latency: std::time::Duration,
    /// Items waiting.
    #[metric(gauge = DEPTH)]
    pub depth: u64,
    /// The lane.
    #[attr]
    pub lane: Lane,
    /// The model.
    #[metric(default)]
    pub model: Option<Model>,
    /// Nested.
    #[metric(nested)]
    pub inner: Inner,
}

/// Nested in a request.
#[derive(Clone, PartialEq, AgentMetric)]
pub struct Inner {
    /// Retries.
    #[metric(counter = "demo.strict.retries", unit = "{retry}")]
    pub retries: u64,
}

fn main() {
    assert_eq!(Request::INSTRUMENTS.len(), 2);
}
