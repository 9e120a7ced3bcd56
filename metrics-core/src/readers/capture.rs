//! An in-process metric reader that turns what the SDK aggregated into plain data points.
//!
//! [`Telemetry`](crate::Telemetry) falls back to it when no exporter is configured (the
//! embedded mode, [`Telemetry::capture`](crate::Telemetry::capture)); it prints nothing itself.
//! Tests read what they recorded through it (`Capture::cumulative()`, build handles from
//! [`Capture::meter`], then [`Capture::collect`]), and a program can print the points with
//! [`summary_table`](crate::summary::summary_table), as the `agent_session` example does. It
//! wraps the SDK's `ManualReader`, so nothing runs in the background and a collection happens
//! exactly when [`Capture::collect`] is called.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use opentelemetry::metrics::{Meter, MeterProvider};
use opentelemetry::{InstrumentationScope, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{
    InstrumentKind as SdkKind, ManualReader, Pipeline, SdkMeterProvider, Temporality,
};

/// The instrumentation scope every meter of this crate uses, as in the Python framework.
pub const SCOPE_NAME: &str = "livekit-agents";

/// A meter with our instrumentation scope, `livekit-agents`.
pub(crate) fn scoped_meter(provider: &impl MeterProvider) -> Meter {
    provider.meter_with_scope(InstrumentationScope::builder(SCOPE_NAME).build())
}

/// A `ManualReader` that can be shared between the provider and its owner.
#[derive(Clone, Debug)]
pub struct SharedReader(Arc<ManualReader>);

impl SharedReader {
    /// A reader with the given temporality.
    pub fn new(temporality: Temporality) -> Self {
        SharedReader(Arc::new(
            ManualReader::builder()
                .with_temporality(temporality)
                .build(),
        ))
    }
}

impl MetricReader for SharedReader {
    fn register_pipeline(&self, pipeline: Weak<Pipeline>) {
        self.0.register_pipeline(pipeline)
    }
    fn collect(&self, rm: &mut ResourceMetrics) -> OTelSdkResult {
        self.0.collect(rm)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
    fn temporality(&self, kind: SdkKind) -> Temporality {
        self.0.temporality(kind)
    }
}

/// A meter provider with an in-process reader.
///
/// ```
/// use agent_metrics::capture::Capture;
/// let capture = Capture::cumulative();
/// let counter = capture.meter().u64_counter("demo.requests").build();
/// counter.add(2, &[]);
/// let points = capture.collect();
/// assert_eq!(points[0].value.as_u64(), Some(2));
/// ```
#[derive(Clone, Debug)]
pub struct Capture {
    provider: SdkMeterProvider,
    reader: SharedReader,
    meter: Meter,
}

impl Capture {
    /// Cumulative temporality: each collection holds the totals so far.
    pub fn cumulative() -> Self {
        Self::with_temporality(Temporality::Cumulative)
    }

    /// Delta temporality: each collection holds what was recorded since the previous one.
    pub fn delta() -> Self {
        Self::with_temporality(Temporality::Delta)
    }

    /// A capture with the given temporality.
    pub fn with_temporality(temporality: Temporality) -> Self {
        Self::with_builder(SdkMeterProvider::builder(), temporality)
    }

    /// A capture over a provider builder the caller configured (views, resource).
    pub fn with_builder(
        builder: opentelemetry_sdk::metrics::MeterProviderBuilder,
        temporality: Temporality,
    ) -> Self {
        let reader = SharedReader::new(temporality);
        let provider = builder.with_reader(reader.clone()).build();
        let meter = scoped_meter(&provider);
        Capture {
            provider,
            reader,
            meter,
        }
    }

    /// The meter to build handles from.
    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    /// The provider, e.g. to shut it down.
    pub fn provider(&self) -> &SdkMeterProvider {
        &self.provider
    }

    /// Collects now; an error (a shut-down provider) gives no points.
    pub fn collect(&self) -> Vec<Point> {
        let mut rm = ResourceMetrics::default();
        if self.reader.collect(&mut rm).is_err() {
            return Vec::new();
        }
        points(&rm)
    }
}

/// One exported data point, flattened: instrument facts, attributes and value.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Instrument name.
    pub name: String,
    /// Unit, or `""`.
    pub unit: String,
    /// Description, or `""`.
    pub description: String,
    /// Attributes, sorted by key.
    pub attributes: BTreeMap<String, Value>,
    /// The aggregated value.
    pub value: PointValue,
    /// Delta or cumulative; gauges report `None`.
    pub temporality: Option<Temporality>,
}

impl Point {
    /// The attribute `key` as a string (`Display` of the value), if present.
    pub fn attr(&self, key: &str) -> Option<String> {
        self.attributes.get(key).map(|v| v.to_string())
    }

    /// The attributes as `key=value` strings, sorted: handy in assertions.
    pub fn attr_pairs(&self) -> Vec<String> {
        self.attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }
}

/// The value of a [`Point`].
#[derive(Clone, Debug, PartialEq)]
pub enum PointValue {
    /// A u64 sum or gauge.
    U64(u64),
    /// An i64 sum or gauge.
    I64(i64),
    /// An f64 sum or gauge.
    F64(f64),
    /// A histogram (values converted to f64).
    Histogram(HistogramValue),
}

impl PointValue {
    /// The u64 value of a u64 sum or gauge.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            PointValue::U64(v) => Some(*v),
            _ => None,
        }
    }

    /// The value of an f64 sum or gauge.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            PointValue::F64(v) => Some(*v),
            _ => None,
        }
    }

    /// The histogram, if this is one.
    pub fn as_histogram(&self) -> Option<&HistogramValue> {
        match self {
            PointValue::Histogram(h) => Some(h),
            _ => None,
        }
    }
}

/// An explicit-bucket histogram data point.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramValue {
    /// Number of recorded values.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
    /// The smallest, if recorded.
    pub min: Option<f64>,
    /// The largest, if recorded.
    pub max: Option<f64>,
    /// Bucket upper bounds (inclusive).
    pub bounds: Vec<f64>,
    /// `bounds.len() + 1` counts.
    pub bucket_counts: Vec<u64>,
}

impl HistogramValue {
    /// The `q` quantile (0..=1) estimated from the buckets by linear interpolation, clamped to
    /// min/max; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * self.count as f64;
        let (min, max) = (self.min.unwrap_or(0.0), self.max.unwrap_or(f64::MAX));
        let mut seen = 0.0;
        for (i, &n) in self.bucket_counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let next = seen + n as f64;
            if rank <= next {
                let lower = if i == 0 {
                    min
                } else {
                    self.bounds[i - 1].max(min)
                };
                let upper = self.bounds.get(i).copied().unwrap_or(max).min(max);
                let within = (rank - seen) / n as f64;
                return Some(lower + (upper - lower) * within);
            }
            seen = next;
        }
        self.max
    }
}

impl fmt::Display for PointValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PointValue::U64(v) => write!(f, "{v}"),
            PointValue::I64(v) => write!(f, "{v}"),
            PointValue::F64(v) => write!(f, "{v}"),
            PointValue::Histogram(h) => write!(f, "count={} sum={}", h.count, h.sum),
        }
    }
}

/// Flattens collected metrics into points, sorted by name then attributes.
pub fn points(rm: &ResourceMetrics) -> Vec<Point> {
    let mut out = Vec::new();
    for sm in rm.scope_metrics() {
        for m in sm.metrics() {
            let mut push = |attrs: &mut dyn Iterator<Item = &opentelemetry::KeyValue>,
                            value: PointValue,
                            temporality: Option<Temporality>| {
                out.push(Point {
                    name: m.name().to_owned(),
                    unit: m.unit().to_owned(),
                    description: m.description().to_owned(),
                    attributes: attrs
                        .map(|kv| (kv.key.as_str().to_owned(), kv.value.clone()))
                        .collect(),
                    value,
                    temporality,
                });
            };
            macro_rules! numeric {
                ($data:expr, $variant:ident) => {
                    match $data {
                        MetricData::Sum(s) => {
                            for dp in s.data_points() {
                                push(
                                    &mut dp.attributes(),
                                    PointValue::$variant(dp.value()),
                                    Some(s.temporality()),
                                );
                            }
                        }
                        MetricData::Gauge(g) => {
                            for dp in g.data_points() {
                                push(&mut dp.attributes(), PointValue::$variant(dp.value()), None);
                            }
                        }
                        MetricData::Histogram(h) => {
                            for dp in h.data_points() {
                                let value = HistogramValue {
                                    count: dp.count(),
                                    sum: dp.sum() as f64,
                                    min: dp.min().map(|v| v as f64),
                                    max: dp.max().map(|v| v as f64),
                                    bounds: dp.bounds().collect(),
                                    bucket_counts: dp.bucket_counts().collect(),
                                };
                                push(
                                    &mut dp.attributes(),
                                    PointValue::Histogram(value),
                                    Some(h.temporality()),
                                );
                            }
                        }
                        MetricData::ExponentialHistogram(_) => {}
                    }
                };
            }
            match m.data() {
                AggregatedMetrics::U64(d) => numeric!(d, U64),
                AggregatedMetrics::I64(d) => numeric!(d, I64),
                AggregatedMetrics::F64(d) => numeric!(d, F64),
            }
        }
    }
    out.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then_with(|| a.attr_pairs().cmp(&b.attr_pairs()))
    });
    out
}
