//! The derive's runtime contract: what `#[derive(AgentMetric)]` implements and what the code it
//! generates calls. Nothing here knows the LiveKit schema.
//!
//! - `metric`: the [`AgentMetric`](crate::AgentMetric) trait, [`Handles`](crate::Handles),
//!   [`Bound`](crate::Bound);
//! - `instrument`: the const [`Instrument`](crate::Instrument) definitions and descriptors;
//! - `value`: which field types an instrument takes ([`MetricValue`](crate::MetricValue));
//! - `attributes`: attribute sets, values, views and the stack buffer they are written to;
//! - `plan`: the compile-time merge of several sources' sorted keys;
//! - `compact`: the compact `Debug` of nested values;
//! - `definition`: what differs between two definitions of one instrument name, and the
//!   warning when both are built into handles;
//! - `sdk_instrument`: the SDK instruments recorded into, bound to one attribute set or not (the
//!   one place that knows the `bound` feature);
//! - [`cache`]: the per-thread cache of resolved attribute sets behind the default `record`;
//! - [`bound`], [`invalid`], [`job`]: bound instruments, the invalid-value policy and the
//!   current job's attributes, added to every measurement;
//! - `self_metrics`: the instruments the library records about itself (declared here, below
//!   the invalid-value policy that records one and the exporters and rules that read them).

pub(crate) mod attributes;
pub mod bound;
pub mod cache;
pub(crate) mod compact;
pub(crate) mod definition;
pub(crate) mod instrument;
pub mod invalid;
pub mod job;
pub(crate) mod metric;
pub(crate) mod plan;
pub(crate) mod sdk_instrument;
pub mod self_metrics;
pub(crate) mod value;
