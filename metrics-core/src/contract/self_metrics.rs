//! The instruments the library records about itself: what a push pipeline lost, and what the
//! recorder refused. They are fed by no event field, so they are not in [`Catalog::schema`];
//! they are declared here once, in the contract layer, for the recording path that refuses
//! values, the export code that builds them and the alert rules that watch them
//! ([`Catalog::prometheus_rules`]), which must agree on every name and unit. The catalog
//! re-exports this module as `catalog::self_metrics`.
//!
//! [`Catalog::schema`]: crate::catalog::Catalog::schema
//! [`Catalog::prometheus_rules`]: crate::catalog::Catalog::prometheus_rules

use crate::Instrument;

/// Exports that failed after their retries: their data points were carried over into the next
/// export (delta temporality over OTLP/HTTP) or dropped.
pub const EXPORT_FAILURES: Instrument = Instrument::counter("agent_metrics.export.failures")
    .unit("{export}")
    .description(
        "Metric exports that failed after their retries; their data points were carried over \
         into the next export, or dropped",
    );

/// Data points the collector will never receive: in failed exports that could not be carried
/// over, refused by the collector, or still carried over at shutdown.
pub const EXPORT_DROPPED: Instrument = Instrument::counter("agent_metrics.export.dropped")
    .unit("{data_point}")
    .description("Data points dropped because their export failed and could not be carried over");

/// Data points of failed exports carried over into the next export (counted at each failed
/// export, so a series carried over three failures counts three times).
pub const EXPORT_CARRIED: Instrument = Instrument::counter("agent_metrics.export.carried")
    .unit("{data_point}")
    .description(
        "Data points of failed exports carried over, merged per series, into the next export",
    );

/// Export requests retried after a transient failure.
pub const EXPORT_RETRIES: Instrument = Instrument::counter("agent_metrics.export.retries")
    .unit("{retry}")
    .description("Export requests retried after a transient failure");

/// Metric values dropped as invalid, by instrument and reason.
pub const DROPPED_VALUES: Instrument = Instrument::counter("agent_metrics.dropped_values")
    .unit("{value}")
    .description("Metric values dropped as invalid (NaN, infinite, negative, too large, or inconsistent with the rest of their event)");

/// Every self-metric.
pub const ALL: [Instrument; 5] = [
    EXPORT_FAILURES,
    EXPORT_DROPPED,
    EXPORT_CARRIED,
    EXPORT_RETRIES,
    DROPPED_VALUES,
];
