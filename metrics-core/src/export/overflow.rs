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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use opentelemetry::metrics::MeterProvider as _;
    use opentelemetry_sdk::metrics::reader::MetricReader as _;
    use opentelemetry_sdk::metrics::{Instrument, SdkMeterProvider, Stream, Temporality};

    use super::*;
    use crate::capture::SharedReader;

    /// A subscriber that looks, from inside the warning, whether the watch's lock is free: a
    /// subscriber may run anything, a metric export included.
    struct Probe {
        watch: Arc<OverflowWatch>,
        events: Arc<AtomicUsize>,
        free: Arc<AtomicUsize>,
    }

    impl tracing::Subscriber for Probe {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, _: &tracing::Event<'_>) {
            self.events.fetch_add(1, Ordering::SeqCst);
            if self.watch.warned.try_lock().is_ok() {
                self.free.fetch_add(1, Ordering::SeqCst);
            }
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[test]
    fn the_warning_is_logged_with_no_lock_held() {
        let reader = SharedReader::new(Temporality::Cumulative);
        let provider = SdkMeterProvider::builder()
            .with_reader(reader.clone())
            .with_view(|_: &Instrument| Stream::builder().with_cardinality_limit(2).build().ok())
            .build();
        let counter = provider
            .meter("test")
            .u64_counter("test.overflowing")
            .build();
        for i in 0..5 {
            counter.add(1, &[KeyValue::new("k", i64::from(i))]);
        }
        let mut rm = ResourceMetrics::default();
        reader.collect(&mut rm).unwrap();
        let watch = Arc::new(OverflowWatch::default());
        let (events, free) = (Arc::default(), Arc::<AtomicUsize>::default());
        let probe = Probe {
            watch: Arc::clone(&watch),
            events: Arc::clone(&events),
            free: Arc::clone(&free),
        };
        tracing::subscriber::with_default(probe, || {
            watch.check(&rm);
            watch.check(&rm);
        });
        let (events, free) = (events.load(Ordering::SeqCst), free.load(Ordering::SeqCst));
        println!("overflow watch: {events} warning(s), lock free during {free} of them");
        assert_eq!((events, free), (1, 1));
    }
}
