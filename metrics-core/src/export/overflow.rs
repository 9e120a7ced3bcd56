//! Warning when an instrument reaches its cardinality limit: a push export looks at what it
//! sends for the overflow series (see [`crate::cardinality`]).

use std::collections::HashSet;
use std::sync::Mutex;

use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, Metric, MetricData, ResourceMetrics};

use crate::cardinality::OVERFLOW_KEY;

/// Warns once per instrument when a collection holds its overflow series (push exports watch
/// what they send).
#[derive(Debug, Default)]
pub(crate) struct OverflowWatch {
    warned: Mutex<HashSet<String>>,
}

impl OverflowWatch {
    /// Looks for overflow series in `rm` and warns about instruments not warned about yet.
    pub(crate) fn check(&self, rm: &ResourceMetrics) {
        for sm in rm.scope_metrics() {
            for metric in sm.metrics().filter(|m| has_overflow(m)) {
                // The lock is released before logging: a subscriber may run anything.
                let first = self
                    .warned
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(metric.name().to_owned());
                if first {
                    tracing::warn!(
                        instrument = metric.name(),
                        "metric cardinality limit reached: measurements with new attribute sets \
                         are merged into the series otel.metric.overflow=true (declare a \
                         cardinality_limit in the schema to change the limit; warned once per \
                         instrument)"
                    );
                }
            }
        }
    }
}

fn is_overflow<'a>(mut attrs: impl Iterator<Item = &'a KeyValue>) -> bool {
    attrs.any(|kv| kv.key.as_str() == OVERFLOW_KEY && kv.value == Value::Bool(true))
}

fn has_overflow(metric: &Metric) -> bool {
    macro_rules! any_point {
        ($data:expr) => {
            match $data {
                MetricData::Sum(s) => s.data_points().any(|p| is_overflow(p.attributes())),
                MetricData::Gauge(g) => g.data_points().any(|p| is_overflow(p.attributes())),
                MetricData::Histogram(h) => h.data_points().any(|p| is_overflow(p.attributes())),
                MetricData::ExponentialHistogram(h) => {
                    h.data_points().any(|p| is_overflow(p.attributes()))
                }
            }
        };
    }
    match metric.data() {
        AggregatedMetrics::U64(d) => any_point!(d),
        AggregatedMetrics::I64(d) => any_point!(d),
        AggregatedMetrics::F64(d) => any_point!(d),
    }
}
