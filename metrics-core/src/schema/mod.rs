//! The LiveKit schema: every event type of the voice-agent framework, the instruments they feed,
//! and the helpers built on them.
//!
//! - `instruments.rs`, `attributes.rs`, `events.rs` and `report.rs` are the table: buckets and
//!   shared instruments, the attribute sets, one annotated struct per event, and the per-turn
//!   report. Read them to review
//!   names, units, buckets and attributes.
//! - `list.rs` is the one list of event types; the [`AgentMetrics`] union, the JSON tags, the
//!   [`MetricsRecorder`](crate::MetricsRecorder) and the catalog are generated from it.
//! - `json.rs` holds what the Python framework's JSON shape needs beyond serde's derives,
//!   `metadata.rs` the constructors, non-zero defaults and the GenAI view of [`Metadata`].
//! - `conventions.rs` is the choice of GenAI conventions ([`GenAiConventions`]); `latest.rs` the
//!   `gen_ai_latest_experimental` opt-in's half of the table: a view of each event it reads,
//!   with the current conventions' instruments, recorded beside (or instead of) the event's own.
//! - `attempt.rs` holds provider attempts ([`ProviderAttempt`]) and the numbering of a
//!   request's retries and fallbacks ([`ProviderRequest`]).
//! - [`genai`], [`usage`], [`cost`] and [`connection`] are the helpers plugins and sessions use.
//!
//! # Words
//!
//! | word | means |
//! |---|---|
//! | event | one of the framework's metric types (`TTSMetrics`, `LLMMetrics`, ..): the [`AgentMetrics`] union's variants |
//! | report | a turn's [`MetricsReport`], with its latencies in seconds |
//! | usage | the totals per model a session adds up ([`usage`]) |
//! | name | a shared string naming a model, a tool, an agent or an error type ([`Name`]) |
//! | service kind | what a provider serves: llm, stt, tts, realtime ([`ProviderKind`]) |
//! | attempt | one try of one request on one model; *retry* and *fallback* number the tries ([`ProviderAttempt`]) |
//! | conventions | which GenAI semantic conventions are recorded beside the framework's own ([`GenAiConventions`]) |
//! | part | one stage of a turn's latency; the parts add up to the turn's ([`crate::turn`]) |
//!
//! # Building an event
//!
//! Every event implements `Default`. Name the fields you have and let the rest default, so that a
//! field added in a later release (the Python framework adds them with defaults too) does not
//! break your build:
//!
//! ```
//! use agent_metrics::schema::{Metadata, TTSMetrics};
//! let event = TTSMetrics {
//!     label: "acme.TTS".into(),
//!     request_id: "req-1".into(),
//!     ttfb: 0.21,
//!     characters_count: 42,
//!     metadata: Some(Metadata::new("acme", "voice-1")),
//!     ..Default::default()
//! };
//! assert_eq!(event.acquire_time, 0.0);
//! ```
//!
//! The Python model's required fields (for `TTSMetrics`: `label`, `request_id`, `timestamp`,
//! `ttfb`, `duration`, `audio_duration`, `cancelled`, `characters_count`, `streamed`) are the ones
//! whose `Debug` is always shown: a forgotten one prints as `0` or `""`.
//!
//! # Where we differ from the Python original on purpose
//!
//! - Histograms carry buckets suited to seconds ([`LATENCY_BUCKETS`], [`ACQUIRE_BUCKETS`])
//!   instead of the SDK's defaults, which are meant for milliseconds: with seconds recorded,
//!   almost every sample would land in the first bucket (`[0, 5)`).
//! - Counts carry UCUM annotations as units (`{token}`, `{character}`, `{request}`), which
//!   Prometheus drops from names, so the exported series names stay the same.
//! - Turn histograms are recorded when each turn's [`MetricsReport`] is complete, not in a burst
//!   at session end (see [`MetricsRecorder`](crate::MetricsRecorder)).

mod attempt;
mod attributes;
pub mod connection;
mod conventions;
pub mod cost;
#[cfg(all(test, feature = "serde"))]
mod defaults;
mod events;
pub mod genai;
mod instruments;
#[cfg(feature = "serde")]
mod json;
mod latest;
mod list;
mod metadata;
mod provider_memo;
pub(crate) mod recorder;
mod report;
mod turn;
pub mod usage;

pub use attempt::*;
pub use attributes::*;
pub use conventions::GenAiConventions;
pub use events::*;
pub use instruments::*;
pub(crate) use latest::visit_instruments as visit_latest_instruments;
pub use list::AgentMetrics;
pub(crate) use list::with_event_types;
pub use metadata::GenAiModel;
pub use report::MetricsReport;
pub use turn::*;
