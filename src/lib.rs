//! # agent-metrics
//!
//! OpenTelemetry metrics for real-time voice agents: turn latencies, model usage and connection
//! timing, matching LiveKit Agents' instrument names. One schema file declares every event type
//! with `#[derive(AgentMetric)]`; the derive generates the instrument descriptors, the handles,
//! an allocation-free `record` and a compact `Debug`.
//!
//! ```
//! use std::sync::Arc;
//! use agent_metrics::{AgentMetric, Attributes};
//!
//! #[derive(Clone, Default, PartialEq, Attributes)]
//! pub struct Model {
//!     #[attr(skip_empty)]
//!     pub model_name: Option<Arc<str>>,
//! }
//!
//! #[derive(Clone, PartialEq, AgentMetric)]
//! #[metric(attributes = model)]
//! pub struct Synthesis {
//!     pub label: String,
//!     /// Characters synthesized.
//!     #[metric(counter = "demo.tts.characters", unit = "{character}", skip_zero)]
//!     pub characters: u64,
//!     /// Time to the first audio frame.
//!     #[metric(histogram = "demo.tts.ttfb", buckets = [0.1, 0.25, 0.5, 1.0])]
//!     pub ttfb: std::time::Duration,
//!     #[metric(default)]
//!     pub model: Option<Model>,
//! }
//!
//! let event = Synthesis {
//!     label: "tts".into(),
//!     characters: 12,
//!     ttfb: std::time::Duration::from_millis(150),
//!     model: None,
//! };
//! assert_eq!(
//!     format!("{event:?}"),
//!     "Synthesis { label: \"tts\", characters: 12, ttfb: 150ms }"
//! );
//! assert_eq!(Synthesis::INSTRUMENTS[1].unit(), "s"); // a Duration records seconds
//! ```
//!
//! Downstream crates depend on this crate only: generated code reaches the runtime through
//! `agent_metrics::__private`, which also re-exports `opentelemetry`.

pub use agent_metrics_core::*;

#[doc(hidden)]
pub use agent_metrics_core::__private;
