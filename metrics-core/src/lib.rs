//! The runtime of `agent-metrics`: the traits `#[derive(AgentMetric)]` implements, and the
//! pieces recording and exporting build on. Most users depend on the `agent-metrics` facade.

// Generated code names `::agent_metrics::__private`; inside this crate that path is this crate.
extern crate self as agent_metrics;

mod attributes;
pub mod bound;
pub mod capture;
pub mod cardinality;
pub mod catalog;
mod compact;
pub mod connection;
pub mod export;
pub mod genai;
mod instrument;
pub mod invalid;
pub mod job;
mod metric;
pub mod plan;
pub mod pool;
mod recorder;
pub mod schema;
pub mod stall;
pub mod summary;
pub mod usage;
mod value;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use agent_metrics_derive::{AgentMetric, AttributeValue, Attributes};
pub use attributes::{AttrBuf, AttributeSet, AttributeValue, AttributeView, BoolAsStr};
pub use compact::{Compact, CompactDebug};
pub use export::{ExportError, Telemetry, TelemetryBuilder};
pub use instrument::{Instrument, InstrumentDescriptor, InstrumentKind, Source, ValueType};
pub use metric::{AgentMetric, Bound, Handles};
pub use plan::{Slot, merge_plan};
pub use pool::{Acquired, ConnectionPool, PoolBuilder, PoolError, PoolStatus};
pub use recorder::{MetricsRecorder, Recordable};
pub use value::{
    CounterNumber, GaugeNumber, HistogramNumber, MetricValue, Number, UpDownCounterNumber,
};

/// The rules every instrument definition follows (names, units, buckets), as `const fn`s.
pub use agent_metrics_rules as rules;

/// The OpenTelemetry API this crate is built on, so that users need no version of their own.
pub use opentelemetry;
