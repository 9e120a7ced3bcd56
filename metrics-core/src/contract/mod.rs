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
//!
//! # Words
//!
//! One word per idea, across the crate, its docs and its tests:
//!
//! | word | means | not to be confused with |
//! |---|---|---|
//! | instrument | an OpenTelemetry instrument, declared once as a const [`Instrument`](crate::Instrument) | |
//! | kind | an instrument's kind: counter, up-down counter, histogram, gauge ([`InstrumentKind`](crate::InstrumentKind)) | a service's type (llm, stt, tts) is a *service kind*: [`ProviderKind`](crate::schema::ProviderKind) |
//! | measurement | one field feeding one instrument; its [`FieldPath`](crate::FieldPath) says which (`Type.field`) | |
//! | attribute source | where a measurement's attributes come from: `attributes(field, field as View, "key" = "value")` | |
//! | handles | one type's SDK instruments, built once on a meter ([`Handles`](crate::Handles)) | |
//! | direct path | recording straight into the SDK instrument with the measurement's attributes, as hand-written OpenTelemetry code does | |
//! | attribute cache | what `record` goes through before the direct path: one entry per attribute set and thread ([`cache::AttributeCache`](crate::cache::AttributeCache)) | |
//! | bound | resolved to one attribute set ahead of time: [`Bound`](crate::Bound) handles from `bind`, the SDK's bound instruments | bucket *boundaries*, a *limit* |
//! | boundaries | a histogram's explicit bucket boundaries (`buckets = [..]`, [`AnyBoundaries`](crate::AnyBoundaries)) | |
//! | limit | a maximum count: the cardinality limit, the cache's [`MAX_ENTRIES`](crate::cache::MAX_ENTRIES) | |
//! | SDK instrument | the OpenTelemetry SDK object a value is recorded into, bound or not (`sdk_instrument`) | |
//! | job | the room and job a measurement belongs to ([`job`](crate::job)) | a worker's *jobs* count the same jobs |
//! | invalid value | NaN, infinite, negative where not allowed, or too large: refused and counted ([`invalid`](crate::invalid)) | |

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
