//! The runtime of `agent-metrics`: the traits `#[derive(AgentMetric)]` implements, the LiveKit
//! schema, and the pieces recording and exporting build on. Most users depend on the
//! `agent-metrics` facade, which re-exports all of this.
//!
//! # Where things are
//!
//! | folder | what it holds |
//! |---|---|
//! | `contract/` | the derive's runtime contract: [`AgentMetric`], [`Instrument`], [`MetricValue`], attribute sets, the attribute [`cache`], [`bound`], [`invalid`], [`job`] |
//! | `schema/` | the LiveKit [`schema`]: the event table, the [`AgentMetrics`](schema::AgentMetrics) union, [`MetricsRecorder`], [`usage`], [`connection`], [`genai`] |
//! | `catalog/` | every instrument of the schema and of plugin types ([`catalog`]), and the [`cardinality`] views |
//! | `readers/` | in-process readers: [`capture`] and [`summary`] |
//! | `export/` | [`Telemetry`]: OTLP, LiveKit Cloud, Prometheus and the embedded default |
//! | `pool/` | [`ConnectionPool`] with acquire timing |
//! | `stall/` | the async-runtime [`stall`] monitor |
//! | `turn/` | each [`turn`]'s latency in parts that add up, its outcome, and the latency budget |
//! | `worker/` | the agent [`worker`] process: jobs, load, CPU and memory |
//! | `env_parse.rs` | the parsers of environment values (durations, booleans, URLs, `k=v` lists), shared by `export/` and `stall/` |
//!
//! Layers depend downwards only: `contract/` knows nothing of the schema; the schema is written
//! with the derive; the catalog, readers and exporters read what both declare. What two layers
//! share sits below both: `export/` and `stall/` read environment variables through
//! `env_parse.rs`, which knows neither.

// On docs.rs (`--cfg docsrs`, nightly), items behind a feature carry its badge, from their `cfg`.
#![cfg_attr(docsrs, feature(doc_cfg))]

// Generated code names `::agent_metrics::__private`; inside this crate that path is this crate.
extern crate self as agent_metrics;

pub mod catalog;
mod contract;
mod env_parse;
pub mod export;
pub mod pool;
mod readers;
pub mod schema;
pub mod stall;
pub mod turn;
pub mod worker;

#[doc(hidden)]
pub mod __private;

pub use agent_metrics_derive::{AgentMetric, AttributeValue, Attributes};
pub use catalog::cardinality;
pub use contract::attributes::{AttrBuf, AttributeSet, AttributeValue, AttributeView, BoolAsStr};
pub use contract::compact::{Compact, CompactDebug};
#[allow(deprecated)]
pub use contract::instrument::Source;
pub use contract::instrument::{
    FieldPath, Instrument, InstrumentDescriptor, InstrumentKind, ValueType,
};
pub use contract::metric::{AgentMetric, Bound, Handles};
#[allow(deprecated)]
pub use contract::value::AnyBounds;
pub use contract::value::{
    AnyBoundaries, AnyUnit, CounterNumber, GaugeNumber, HistogramNumber, MetricValue, Number,
    UpDownCounterNumber,
};
pub use contract::{bound, cache, invalid, job};
pub use export::{ExportError, Telemetry, TelemetryBuilder};
pub use pool::{Acquired, ConnectionPool, PoolBuilder, PoolError, PoolStatus};
pub use readers::{capture, summary};
pub use schema::recorder::{MetricsRecorder, Recordable};
pub use schema::{connection, cost, genai, usage};
pub use worker::Worker;

/// The checks every instrument definition passes (name syntax, units, bucket boundaries), as
/// `const fn`s. ("Rules" means Prometheus rules:
/// [`Catalog::prometheus_rules`](catalog::Catalog::prometheus_rules).)
pub use agent_metrics_checks as checks;

/// The former name of [`checks`].
#[deprecated(since = "0.2.0", note = "renamed `checks`: \"rules\" means Prometheus rules")]
pub mod rules {
    pub use agent_metrics_checks::*;
}

/// The OpenTelemetry API this crate is built on, so that users need no version of their own.
pub use opentelemetry;
