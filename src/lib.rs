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
//!
//! # Where things are
//!
//! This facade re-exports three crates, which downstream code never names:
//!
//! | crate (folder) | what it holds |
//! |---|---|
//! | `agent-metrics-core` (`metrics-core/`) | the runtime, by layer: `contract/` (what the derive implements and calls), `schema/` (the LiveKit event table, its JSON shape, the recorder, usage, connection timing), `catalog/`, `readers/` ([`capture`], [`summary`]), `export/` ([`Telemetry`]), `pool/` ([`ConnectionPool`]), `stall/` |
//! | `agent-metrics-derive` (`metrics-derive/`) | the derives: `ast.rs` builds the model, `check.rs` validates it, `expand/` generates |
//! | `agent-metrics-checks` (`metrics-checks/`) | the name, unit and bucket checks both of them apply |
//!
//! # The derive, key by key
//!
//! On the struct, `#[metric(..)]` takes:
//!
//! | key | meaning |
//! |---|---|
//! | `attributes = field` / `attributes(a, b)` | the attribute sources of measurements that name none |
//! | `crate = path` | where the runtime is, when this crate is renamed (`crate = metrics`) |
//! | `no_debug` | no `Debug` / `CompactDebug` (write your own) |
//!
//! On a field, each `#[metric(..)]` that names an instrument is one measurement (a field may
//! feed several instruments):
//!
//! | key | meaning |
//! |---|---|
//! | `counter` / `histogram` / `gauge` / `up_down_counter` `= "name"` | an instrument defined here |
//! | `counter = SHARED` (a path) | a shared [`Instrument`] constant; its kind must match |
//! | `unit = "s"` | UCUM unit; a `Duration` field is always `s` |
//! | `description = ".."` | otherwise the field's doc comment |
//! | `buckets = [0.1, 0.5]` / `buckets = CONST` | histogram boundaries, in the histogram's unit |
//! | `buckets_ms = [5, 10, 25]` | boundaries written in milliseconds for a histogram in seconds: converted (the catalog shows `[0.005, 0.01, 0.025]`), and the unit is `s` |
//! | `long_durations` | acknowledges seconds boundaries that start at 1 s or more (a call or session length) |
//! | `skip_zero` / `skip_negative` | do not record 0 / values below 0 |
//! | `attributes(source, ..)` | this measurement's attribute sources (see below); `attributes()` for none |
//! | `cardinality_limit = N` | at most N attribute sets per collection |
//! | `default` / `default = expr` | the value `Debug` leaves out (any field) |
//! | `nested` | the field is itself an `AgentMetric`, recorded with the parent's attributes |
//!
//! Bounds in seconds that start at 1 or more read as milliseconds as much as seconds
//! (`[5, 10, 25, .., 1000]` is a connect latency in ms; `[30, 60, .., 3600]` a call length in
//! s), and no threshold tells them apart, so a histogram in seconds (`unit = "s"`, or a
//! `Duration` field) with such bounds says which it means: `buckets_ms = [..]`, or
//! `long_durations` (a shared [`Instrument`]: `.long_duration_buckets(..)`). Otherwise it does
//! not compile, with a message naming both.
//!
//! ```
//! use std::time::Duration;
//! use agent_metrics::AgentMetric;
//!
//! #[derive(Clone, PartialEq, AgentMetric)]
//! struct Call {
//!     /// Time to connect.
//!     #[metric(histogram = "demo.call.connect", buckets_ms = [5, 10, 25, 50, 100, 250, 500, 1000])]
//!     connect: Duration,
//!     /// Call length.
//!     #[metric(histogram = "demo.call.length", long_durations,
//!              buckets = [30, 60, 120, 300, 600, 1800, 3600])]
//!     length: Duration,
//! }
//! // The catalog (and so the docs, the JSON and the dashboards) shows seconds.
//! let mut catalog = agent_metrics::catalog::Catalog::new();
//! catalog.add::<Call>();
//! let connect = &catalog.entries()[0];
//! assert_eq!(connect.instrument.buckets[..2], [0.005, 0.01]);
//! assert_eq!(connect.instrument.unit, "s");
//! ```
//!
//! An attribute source is a field holding an attribute set (`#[derive(Attributes)]`, `Option`
//! of one), a field marked `#[attr]` (one attribute: `#[attr(key = "..", as_str, skip_empty)]`),
//! `field as View` (a field read through an [`AttributeView`]), or a constant
//! `"key" = "value"` (either side may be a `&str` constant's path). Attributes are written in
//! sorted key order, planned at compile time, together with the current [`job`]'s attributes.
//!
//! ```
//! use std::sync::Arc;
//! use agent_metrics::capture::Capture;
//! use agent_metrics::{AgentMetric, AttributeValue, Attributes, Instrument};
//!
//! /// Shared by every struct that reports a queue's depth.
//! const QUEUE_DEPTH: Instrument = Instrument::up_down_counter("demo.queue.depth").unit("{item}");
//!
//! #[derive(Clone, Copy, Debug, PartialEq, AttributeValue)]
//! enum Lane {
//!     Realtime,
//!     #[attr(value = "batch")]
//!     Background,
//! }
//!
//! #[derive(Clone, Default, PartialEq, Attributes)]
//! struct Worker {
//!     #[attr(key = "worker.id")]
//!     id: Option<Arc<str>>,
//! }
//!
//! #[derive(Clone, PartialEq, AgentMetric)]
//! #[metric(attributes(worker, lane))]
//! struct QueueChange {
//!     #[metric(up_down_counter = QUEUE_DEPTH)]
//!     delta: i64,
//!     /// Time the item waited.
//!     #[metric(histogram = "demo.queue.wait", unit = "s", buckets = [0.01, 0.1, 1.0], skip_negative)]
//!     #[metric(histogram = "demo.queue.wait.by_lane", unit = "s", buckets = [0.01, 0.1, 1.0],
//!              attributes(lane, "queue" = "main"))]
//!     wait: f64,
//!     #[attr]
//!     lane: Lane,
//!     #[metric(default)]
//!     worker: Option<Worker>,
//! }
//!
//! let capture = Capture::cumulative();
//! let handles = QueueChange::handles(capture.meter());
//! let event = QueueChange {
//!     delta: 1,
//!     wait: 0.05,
//!     lane: Lane::Background,
//!     worker: Some(Worker { id: Some("w1".into()) }),
//! };
//! event.record(&handles);
//! let points = capture.collect();
//! let by_lane = points.iter().find(|p| p.name == "demo.queue.wait.by_lane").unwrap();
//! assert_eq!(by_lane.attr_pairs(), ["lane=batch", "queue=main"]);
//! let depth = points.iter().find(|p| p.name == "demo.queue.depth").unwrap();
//! assert_eq!(depth.attr_pairs(), ["lane=batch", "worker.id=w1"]);
//! assert_eq!(
//!     format!("{event:?}"),
//!     r#"QueueChange { delta: 1, wait: 0.05, lane: Background, worker: {id: "w1"} }"#
//! );
//! ```
//!
//! Every misuse is a compile error on the offending token that says what to write instead
//! (`tests/ui/fail/` holds one case of each).
//!
//! Some rules in detail:
//! - `unit` is a UCUM code as OpenTelemetry writes it (`s`, `ms`, `By`, `{request}`). Everyday
//!   spellings (`bytes`, `seconds`, `requests`) and plain words are refused, with the code to
//!   write. A field whose type implies a unit takes no other: a `Duration` is always `s`, however
//!   the type is spelled (alias, re-export, `Option`).
//! - A histogram in seconds (a `Duration` field or `unit = "s"`) whose boundaries are all above
//!   10 is refused: write seconds (`[0.05, 0.1, 0.25]`, not `[50, 100, 250]`). `Instrument`
//!   constants follow the same rule.
//! - Every attribute must reach a measurement: an `#[attr]` field that no `attributes(..)` lists,
//!   a data field holding an attribute set that none lists, and struct-level `attributes` that
//!   every measurement overrides are compile errors.
//! - `default = expr` must be comparable with the field's type (`PartialEq`).
//! - Every value can come from a `macro_rules!` fragment (`$name:literal`), so a macro can
//!   generate a family of events. Raw identifiers are shown without `r#` in `Debug`, the catalog
//!   and default attribute keys. A misspelled key or source field gets a "did you mean".

// On docs.rs (`--cfg docsrs`, nightly), items behind a feature carry its badge, from their `cfg`.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use agent_metrics_core::*;

#[doc(hidden)]
pub use agent_metrics_core::__private;

/// The README's examples, compiled and run as doctests (`cargo test --doc`), so that what it
/// shows is code that exists.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
