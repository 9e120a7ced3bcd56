//! Every derive, used through a renamed dependency: nothing here may need `agent_metrics`.

use std::sync::Arc;
use std::time::Duration;

use metrics_facade::Instrument;

/// A shared instrument, declared once.
pub const ACQUIRE_TIME: Instrument = Instrument::histogram("demo.connection.acquire_time")
    .unit("s")
    .buckets(&[0.05, 0.5, 1.0]);

#[derive(Clone, Copy, Debug, PartialEq, metrics_facade::AttributeValue)]
#[metric(crate = metrics_facade)]
pub enum Stage {
    #[attr(value = "stt")]
    SpeechToText,
    EndOfTurn,
}

#[derive(Clone, Default, PartialEq, metrics_facade::Attributes)]
#[metric(crate = metrics_facade)]
pub struct Model {
    #[attr(skip_empty)]
    pub model_name: Option<Arc<str>>,
}

#[derive(Clone, Default, PartialEq, metrics_facade::AgentMetric)]
#[metric(crate = metrics_facade)]
pub struct Phases {
    #[metric(histogram = "demo.phase.ttfb", unit = "s", buckets = [0.1, 1.0])]
    pub ttfb: Duration,
}

#[derive(Clone, PartialEq, metrics_facade::AgentMetric)]
#[metric(crate = metrics_facade, attributes(model, stage, reused))]
pub struct Event {
    pub label: String,
    /// Characters synthesized.
    #[metric(counter = "demo.characters", unit = "{character}", skip_zero)]
    pub characters: u64,
    #[metric(histogram = ACQUIRE_TIME, attributes(reused), default)]
    pub acquire_time: f64,
    #[metric(up_down_counter = "demo.streams")]
    pub streams: i64,
    #[metric(gauge = "demo.queue")]
    pub queue: Option<f64>,
    #[metric(nested, default)]
    pub phases: Phases,
    #[attr]
    pub stage: Stage,
    #[attr(as_str)]
    pub reused: bool,
    #[metric(default)]
    pub model: Option<Model>,
}

/// Records one event: proves `handles` and `record` resolve through the renamed path too.
pub fn record_once(meter: &metrics_facade::opentelemetry::metrics::Meter, event: &Event) {
    use metrics_facade::AgentMetric;
    let handles = Event::handles(meter);
    event.record(&handles);
}
