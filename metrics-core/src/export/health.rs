//! What happened to exports: counted, logged once per outage, and exported as self-metrics.
//!
//! A batch that still fails after its retries is dropped, since the SDK's reader has no queue;
//! with delta temporality its interval is lost. That is never silent:
//! - the first failure of an outage logs one `tracing` warning (with the reason of the last
//!   attempt: refused, timed out, HTTP status); later failures log at debug level, and the
//!   recovery logs an info line with how many exports and data points the outage cost;
//! - the counters [`EXPORT_FAILURES`], [`EXPORT_DROPPED`] and [`EXPORT_RETRIES`] are exported
//!   with the data, and read in process with [`Telemetry::export_stats`](super::Telemetry::export_stats).
//!
//! Under delta temporality the self-metrics' own increments travel in the batches that may be
//! dropped, so whatever a dropped batch held of them is added back for the next export: the
//! collector eventually sees every drop once it is reachable again.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::Poll;
use std::time::{Duration, Instant};

use opentelemetry::metrics::{Counter, Meter};
use opentelemetry_otlp::MetricExporter;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;

use super::overflow::OverflowWatch;
use crate::catalog::self_metrics;
use crate::{CounterNumber, Instrument};

/// Counter of exports that failed after their retries: `{export}`.
pub const EXPORT_FAILURES: &str = self_metrics::EXPORT_FAILURES.name;
/// Counter of data points in those failed exports, i.e. dropped: `{data_point}`.
pub const EXPORT_DROPPED: &str = self_metrics::EXPORT_DROPPED.name;
/// Counter of export requests retried after a transient failure: `{retry}`.
pub const EXPORT_RETRIES: &str = self_metrics::EXPORT_RETRIES.name;

/// Totals since a push [`Telemetry`](super::Telemetry) was built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportStats {
    /// Exports that reached the collector.
    pub exported: u64,
    /// Exports that failed after their retries.
    pub failed: u64,
    /// Data points in the failed exports (the self-metrics' own points excepted, which are
    /// carried over): what the collector never received.
    pub dropped_points: u64,
    /// Requests retried after a transient failure.
    pub retries: u64,
    /// Whether the SDK's periodic reader thread, which runs the exports, died (a panic, e.g. in
    /// an observable callback): nothing is exported any more, and flush and shutdown say so.
    pub reader_stopped: bool,
}

/// Why flush and shutdown fail once the reader thread is gone.
pub(crate) const READER_STOPPED: &str = "the SDK's periodic reader thread has stopped (it \
     panicked, see the error logged then); nothing is exported any more";

/// The name the SDK gives its periodic reader thread.
const READER_THREAD: &str = "OpenTelemetry.Metrics.PeriodicReader";

thread_local! {
    /// On a reader thread: tells its pipeline's health when the thread ends.
    static READER_WATCH: std::cell::RefCell<Option<ReaderWatch>> =
        const { std::cell::RefCell::new(None) };
}

/// Dropped when the reader thread ends (thread-local destructors run after a panic too).
struct ReaderWatch(Weak<ExportHealth>);

impl Drop for ReaderWatch {
    fn drop(&mut self) {
        if let Some(health) = self.0.upgrade() {
            health.reader_exited();
        }
    }
}

struct SelfMetrics {
    failures: Counter<u64>,
    dropped: Counter<u64>,
    retries: Counter<u64>,
}

/// The shared state of one push pipeline: the exporter, its HTTP client and the `Telemetry`.
pub(crate) struct ExportHealth {
    /// Redacted, for log lines.
    endpoint: String,
    exported: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    retries: AtomicU64,
    failing: AtomicBool,
    reader_stopped: AtomicBool,
    /// Failures and drops of the current outage, for the recovery line.
    outage: Mutex<(u64, u64)>,
    /// Why the last attempt failed, in our words (never the client's message, which may quote
    /// a URL with credentials in its query).
    last_error: Mutex<Option<String>>,
    shutdown_deadline: OnceLock<Instant>,
    metrics: OnceLock<SelfMetrics>,
    overflow: OverflowWatch,
}

impl ExportHealth {
    pub(crate) fn new(endpoint: String) -> Self {
        ExportHealth {
            endpoint,
            exported: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            failing: AtomicBool::new(false),
            reader_stopped: AtomicBool::new(false),
            outage: Mutex::new((0, 0)),
            last_error: Mutex::new(None),
            shutdown_deadline: OnceLock::new(),
            metrics: OnceLock::new(),
            overflow: OverflowWatch::default(),
        }
    }

    /// Builds the self-metrics on the pipeline's own meter, once it exists, and the watch on the
    /// reader thread: a callback that observes nothing, run by the reader before any export
    /// (ours is the first callback registered, so it runs before any of the user's).
    pub(crate) fn register(self: &Arc<Self>, meter: &Meter) {
        let health = Arc::downgrade(self);
        let _watch = meter
            .u64_observable_gauge("agent_metrics.export.reader_watch")
            .with_callback(move |_| watch_reader(&health))
            .build();
        let counter = |i: Instrument| u64::build_counter(meter, &i);
        let _ = self.metrics.set(SelfMetrics {
            failures: counter(self_metrics::EXPORT_FAILURES),
            dropped: counter(self_metrics::EXPORT_DROPPED),
            retries: counter(self_metrics::EXPORT_RETRIES),
        });
    }

    pub(crate) fn stats(&self) -> ExportStats {
        ExportStats {
            exported: self.exported.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            dropped_points: self.dropped.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            reader_stopped: self.reader_stopped(),
        }
    }

    /// Whether the reader thread died (see [`ExportStats::reader_stopped`]).
    pub(crate) fn reader_stopped(&self) -> bool {
        self.reader_stopped.load(Ordering::Acquire)
    }

    /// The reader thread ended: expected after a shutdown, otherwise it died.
    fn reader_exited(&self) {
        if self.shutdown_deadline.get().is_some()
            || self.reader_stopped.swap(true, Ordering::AcqRel)
        {
            return;
        }
        tracing::error!(
            endpoint = self.endpoint.as_str(),
            "the metrics reader thread stopped (a panic, see above): nothing is exported any \
             more, and flush and shutdown return an error saying so"
        );
    }

    /// Retries stop at `deadline` from now on; the first call wins.
    pub(crate) fn begin_shutdown(&self, deadline: Instant) {
        let _ = self.shutdown_deadline.set(deadline);
    }

    /// When the retries of an export that started at `start` must stop.
    pub(crate) fn deadline(&self, start: Instant, budget: Duration) -> Instant {
        let own = super::retry::instant_after(start, budget);
        self.shutdown_deadline.get().map_or(own, |&d| d.min(own))
    }

    pub(crate) fn retried(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        if let Some(m) = self.metrics.get() {
            m.retries.add(1, &[]);
        }
    }

    pub(crate) fn attempt_failed(&self, why: String) {
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
    }

    /// Why the last attempt failed, if the last export failed.
    pub(crate) fn last_error(&self) -> Option<String> {
        if !self.failing.load(Ordering::Relaxed) {
            return None;
        }
        self.attempt_error()
    }

    /// Why exports fail, and where to: for the error of a flush or shutdown.
    pub(crate) fn failure_reason(&self) -> Option<String> {
        let why = self.last_error()?;
        Some(format!("{why} ({})", self.endpoint))
    }

    fn attempt_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn succeeded(&self, rm: &ResourceMetrics) {
        self.exported.fetch_add(1, Ordering::Relaxed);
        self.overflow.check(rm);
        if self.failing.swap(false, Ordering::Relaxed) {
            let (failed, dropped) =
                std::mem::take(&mut *self.outage.lock().unwrap_or_else(|e| e.into_inner()));
            tracing::info!(
                endpoint = self.endpoint.as_str(),
                failed_exports = failed,
                dropped_points = dropped,
                "metrics export recovered"
            );
        }
    }

    fn failed(&self, rm: &ResourceMetrics, error: &dyn std::fmt::Display) {
        let (points, carried) = self.drop_batch(rm);
        self.failed.fetch_add(1, Ordering::Relaxed);
        self.dropped.fetch_add(points, Ordering::Relaxed);
        if let Some(m) = self.metrics.get() {
            m.failures.add(1 + carried.0, &[]);
            m.dropped.add(points + carried.1, &[]);
            if carried.2 > 0 {
                m.retries.add(carried.2, &[]);
            }
        }
        let (outage_failed, outage_dropped) = {
            let mut outage = self.outage.lock().unwrap_or_else(|e| e.into_inner());
            outage.0 += 1;
            outage.1 += points;
            *outage
        };
        let endpoint = self.endpoint.as_str();
        let reason = self.attempt_error().unwrap_or_else(|| error.to_string());
        if !self.failing.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                endpoint,
                %error,
                reason = reason.as_str(),
                dropped_points = points,
                "metrics export failed after its retries; its data points are dropped and counted \
                 in agent_metrics.export.dropped, and the agent keeps running (further failures \
                 are logged at debug level until an export succeeds)"
            );
        } else {
            tracing::debug!(
                endpoint,
                %error,
                reason = reason.as_str(),
                outage_failed,
                outage_dropped,
                "metrics export failed again"
            );
        }
    }

    /// The data points of a failed batch, and the delta increments of our self-metrics it held
    /// `(failures, dropped, retries)`, which are carried over instead of dropped (as are those of
    /// `agent_metrics.dropped_values`, reported again).
    fn drop_batch(&self, rm: &ResourceMetrics) -> (u64, (u64, u64, u64)) {
        let mut points = 0u64;
        let mut carried = (0, 0, 0);
        for sm in rm.scope_metrics() {
            for metric in sm.metrics() {
                // Drops of invalid values are reported again, by the newest pipeline.
                if metric.name() == self_metrics::DROPPED_VALUES.name
                    && let AggregatedMetrics::U64(MetricData::Sum(sum)) = metric.data()
                    && sum.temporality() == Temporality::Delta
                {
                    for point in sum.data_points() {
                        let attr = |key: &str| {
                            point
                                .attributes()
                                .find(|kv| kv.key.as_str() == key)
                                .map(|kv| kv.value.as_str())
                        };
                        if let (Some(instrument), Some(reason)) =
                            (attr("instrument"), attr("reason"))
                        {
                            crate::invalid::report_again(&instrument, &reason, point.value());
                        }
                    }
                    continue;
                }
                let slot = match metric.name() {
                    EXPORT_FAILURES => Some(&mut carried.0),
                    EXPORT_DROPPED => Some(&mut carried.1),
                    EXPORT_RETRIES => Some(&mut carried.2),
                    _ => None,
                };
                match (slot, metric.data()) {
                    (Some(slot), AggregatedMetrics::U64(MetricData::Sum(sum))) => {
                        if sum.temporality() == Temporality::Delta {
                            *slot += sum.data_points().map(|p| p.value()).sum::<u64>();
                        }
                    }
                    (_, data) => points += point_count(data),
                }
            }
        }
        (points, carried)
    }
}

/// Run by every collection: on the reader thread, arms the watch once.
fn watch_reader(health: &Weak<ExportHealth>) {
    if std::thread::current().name() != Some(READER_THREAD) {
        return;
    }
    let _ = READER_WATCH.try_with(|watch| {
        if let Ok(mut watch) = watch.try_borrow_mut()
            && watch.is_none()
        {
            *watch = Some(ReaderWatch(Weak::clone(health)));
        }
    });
}

fn point_count(data: &AggregatedMetrics) -> u64 {
    macro_rules! count {
        ($data:expr) => {
            match $data {
                MetricData::Sum(s) => s.data_points().count(),
                MetricData::Gauge(g) => g.data_points().count(),
                MetricData::Histogram(h) => h.data_points().count(),
                MetricData::ExponentialHistogram(h) => h.data_points().count(),
            }
        };
    }
    (match data {
        AggregatedMetrics::U64(d) => count!(d),
        AggregatedMetrics::I64(d) => count!(d),
        AggregatedMetrics::F64(d) => count!(d),
    }) as u64
}

/// The OTLP exporter, with every outcome reported to the pipeline's [`ExportHealth`].
pub(crate) struct Reported {
    pub(crate) inner: MetricExporter,
    pub(crate) health: Arc<ExportHealth>,
}

impl PushMetricExporter for Reported {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        // A reason left from an earlier export must not explain this one.
        *self
            .health
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
        // A panic in the exporter must not kill the reader thread, which has no restart.
        let mut export = Box::pin(self.inner.export(metrics));
        let result = std::future::poll_fn(|cx| {
            match std::panic::catch_unwind(AssertUnwindSafe(|| export.as_mut().poll(cx))) {
                Ok(poll) => poll,
                Err(_) => Poll::Ready(Err(OTelSdkError::InternalFailure(
                    "the exporter panicked".to_owned(),
                ))),
            }
        })
        .await;
        match &result {
            Ok(()) => self.health.succeeded(metrics),
            Err(error) => self.health.failed(metrics, error),
        }
        result
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}
