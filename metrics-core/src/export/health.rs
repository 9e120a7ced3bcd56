//! What happened to exports: counted, logged once per outage, and exported as self-metrics.
//!
//! A batch that still fails after its retries is carried over into the next export when the
//! pipeline has a [`CarryOver`] (delta temporality over OTLP/HTTP: the client tells us with
//! [`Outcome`]); otherwise it is dropped, since the SDK's reader has no queue. Either way it is
//! never silent:
//! - the first failure of an outage logs one `tracing` warning (with the reason of the last
//!   attempt: refused, timed out, HTTP status, and whether the points were carried over or
//!   dropped); later failures log at debug level, and the recovery logs an info line with how
//!   many exports and data points the outage cost;
//! - the counters [`EXPORT_FAILURES`], [`EXPORT_DROPPED`], [`EXPORT_CARRIED`] and
//!   [`EXPORT_RETRIES`] are exported with the data, and read in process with
//!   [`Telemetry::export_stats`](super::Telemetry::export_stats).
//!
//! Under delta temporality the self-metrics' own increments travel in the batches that may
//! fail: they are carried over with the rest, or, where nothing is carried over, whatever a
//! dropped batch held of them is added back for the next export. The collector eventually sees
//! every failure once it is reachable again.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::Poll;
use std::time::{Duration, Instant};

use opentelemetry::metrics::{Counter, Meter};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;

use super::carry::CarryOver;
use super::overflow::OverflowWatch;
use crate::Instrument;
use crate::catalog::self_metrics;

/// Counter of exports that failed after their retries: `{export}`.
pub const EXPORT_FAILURES: &str = self_metrics::EXPORT_FAILURES.name;
/// Counter of data points in those failed exports, i.e. dropped: `{data_point}`.
pub const EXPORT_DROPPED: &str = self_metrics::EXPORT_DROPPED.name;
/// Counter of export requests retried after a transient failure: `{retry}`.
pub const EXPORT_RETRIES: &str = self_metrics::EXPORT_RETRIES.name;
/// Counter of data points of failed exports carried over into the next one: `{data_point}`.
pub const EXPORT_CARRIED: &str = self_metrics::EXPORT_CARRIED.name;

/// Totals since a push [`Telemetry`](super::Telemetry) was built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportStats {
    /// Exports that reached the collector.
    pub exported: u64,
    /// Exports that failed after their retries.
    pub failed: u64,
    /// Data points the collector never received: in failed exports that were not carried over,
    /// refused by the collector, or still carried over at shutdown (the self-metrics' own
    /// points excepted, which are always carried over).
    pub dropped_points: u64,
    /// Data points of failed exports carried over into the next export, summed over the
    /// failures (a series carried over three failures counts three times).
    pub carried_points: u64,
    /// Data points carried over right now: at most one per series.
    pub carry_over_points: u64,
    /// The most data points ever carried over at once.
    pub carry_over_peak: u64,
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
    carried: Counter<u64>,
    retries: Counter<u64>,
}

/// What became of a batch that failed, as the HTTP client saw it: set before the exporter
/// returns its error, read by [`Reported`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A transient failure: `held` points are carried over now, `lost` could not be.
    Carried { held: u64, lost: u64 },
    /// A non-retryable answer: `dropped` points are gone, the self-metrics' `held` carried over.
    Refused { dropped: u64, held: u64 },
}

/// The shared state of one push pipeline: the exporter, its HTTP client and the `Telemetry`.
pub(crate) struct ExportHealth {
    /// Redacted, for log lines.
    endpoint: String,
    exported: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    carried: AtomicU64,
    retries: AtomicU64,
    failing: AtomicBool,
    reader_stopped: AtomicBool,
    /// Failures, drops and points carried over in the current outage, for the recovery line.
    outage: Mutex<(u64, u64, u64)>,
    /// What the client made of the current export, if it failed.
    outcome: Mutex<Option<Outcome>>,
    /// Partial successes seen (the first is warned about, the rest logged at debug level).
    rejections: AtomicU64,
    carry: Option<CarryOver>,
    /// Why the last attempt failed, in our words (never the client's message, which may quote
    /// a URL with credentials in its query).
    last_error: Mutex<Option<String>>,
    shutdown_deadline: OnceLock<Instant>,
    metrics: OnceLock<SelfMetrics>,
    overflow: OverflowWatch,
}

impl ExportHealth {
    /// The health of a pipeline to `endpoint` (redacted), carrying failed batches over when
    /// `carry` is given.
    pub(crate) fn new(endpoint: String, carry: Option<CarryOver>) -> Self {
        ExportHealth {
            endpoint,
            exported: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            carried: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            failing: AtomicBool::new(false),
            reader_stopped: AtomicBool::new(false),
            outage: Mutex::new((0, 0, 0)),
            outcome: Mutex::new(None),
            rejections: AtomicU64::new(0),
            carry,
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
        let counter = |i: Instrument| {
            meter
                .u64_counter(i.name)
                .with_unit(i.unit)
                .with_description(i.description)
                .build()
        };
        let _ = self.metrics.set(SelfMetrics {
            failures: counter(self_metrics::EXPORT_FAILURES),
            dropped: counter(self_metrics::EXPORT_DROPPED),
            carried: counter(self_metrics::EXPORT_CARRIED),
            retries: counter(self_metrics::EXPORT_RETRIES),
        });
    }

    pub(crate) fn stats(&self) -> ExportStats {
        let (carry_over_points, carry_over_peak) = self.carry.as_ref().map_or((0, 0), |c| c.size());
        ExportStats {
            exported: self.exported.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            dropped_points: self.dropped.load(Ordering::Relaxed),
            carried_points: self.carried.load(Ordering::Relaxed),
            carry_over_points,
            carry_over_peak,
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

    /// The carry-over of this pipeline, if it has one.
    pub(crate) fn carry(&self) -> Option<&CarryOver> {
        self.carry.as_ref()
    }

    /// What the client made of the failed export under way.
    pub(crate) fn set_outcome(&self, outcome: Outcome) {
        *self.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
    }

    /// `points` are dropped outside a failed export (a carried point that could not be folded
    /// into the batch, points a collector rejected in a partial success, or still carried over
    /// at shutdown).
    fn count_dropped(&self, points: u64) {
        if points == 0 {
            return;
        }
        self.dropped.fetch_add(points, Ordering::Relaxed);
        if let Some(m) = self.metrics.get() {
            m.dropped.add(points, &[]);
        }
        self.outage.lock().unwrap_or_else(|e| e.into_inner()).1 += points;
    }

    /// Carried points that could not be folded into the next batch (see `carry::merge`).
    pub(crate) fn lost_in_fold(&self, points: u64) {
        if points > 0 {
            tracing::debug!(
                endpoint = self.endpoint.as_str(),
                points,
                "carried-over data points could not be merged (their instrument changed kind or \
                 buckets) and are dropped"
            );
        }
        self.count_dropped(points);
    }

    /// The collector accepted an export but rejected `points` of it (an OTLP partial success):
    /// they are dropped, not sent again (the OTLP specification says not to retry them).
    pub(crate) fn rejected(&self, points: u64, message: &str) {
        self.count_dropped(points);
        let endpoint = self.endpoint.as_str();
        if self.rejections.fetch_add(1, Ordering::Relaxed) == 0 {
            tracing::warn!(
                endpoint,
                rejected_points = points,
                message,
                "the collector rejected data points of a metrics export (partial success): they \
                 are dropped, counted in agent_metrics.export.dropped, and not sent again \
                 (further rejections are logged at debug level)"
            );
        } else {
            tracing::debug!(
                endpoint,
                rejected_points = points,
                message,
                "partial success"
            );
        }
    }

    /// At shutdown: what is still carried over will never be exported; count it and say so.
    pub(crate) fn abandon_carry(&self) {
        let Some(points) = self.carry.as_ref().map(CarryOver::abandon) else {
            return;
        };
        if points == 0 {
            return;
        }
        self.count_dropped(points);
        tracing::warn!(
            endpoint = self.endpoint.as_str(),
            dropped_points = points,
            reason = self.attempt_error().unwrap_or_default().as_str(),
            "metrics exporter shut down with data points still carried over (the final export \
             failed): they are dropped"
        );
    }

    fn succeeded(&self, rm: &ResourceMetrics) {
        self.exported.fetch_add(1, Ordering::Relaxed);
        self.overflow.check(rm);
        if self.failing.swap(false, Ordering::Relaxed) {
            let (failed, dropped, carried) =
                std::mem::take(&mut *self.outage.lock().unwrap_or_else(|e| e.into_inner()));
            tracing::info!(
                endpoint = self.endpoint.as_str(),
                failed_exports = failed,
                carried_points = carried,
                dropped_points = dropped,
                "metrics export recovered"
            );
        }
    }

    fn failed(&self, rm: &ResourceMetrics, error: &dyn std::fmt::Display) {
        let outcome = self
            .outcome
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        // `readded`: the self-metrics' increments of a dropped batch that nothing carried over.
        let (dropped, carried, readded) = match outcome {
            Some(Outcome::Carried { held, lost }) => (lost, held, (0, 0, 0)),
            Some(Outcome::Refused { dropped, held }) => (dropped, held, (0, 0, 0)),
            None => {
                let (points, readded) = self.drop_batch(rm);
                (points, 0, readded)
            }
        };
        self.failed.fetch_add(1, Ordering::Relaxed);
        self.dropped.fetch_add(dropped, Ordering::Relaxed);
        self.carried.fetch_add(carried, Ordering::Relaxed);
        if let Some(m) = self.metrics.get() {
            m.failures.add(1 + readded.0, &[]);
            m.dropped.add(dropped + readded.1, &[]);
            if carried > 0 {
                m.carried.add(carried, &[]);
            }
            if readded.2 > 0 {
                m.retries.add(readded.2, &[]);
            }
        }
        let (outage_failed, outage_dropped, outage_carried) = {
            let mut outage = self.outage.lock().unwrap_or_else(|e| e.into_inner());
            outage.0 += 1;
            outage.1 += dropped;
            outage.2 += carried;
            *outage
        };
        let endpoint = self.endpoint.as_str();
        let reason = self.attempt_error().unwrap_or_else(|| error.to_string());
        if self.failing.swap(true, Ordering::Relaxed) {
            tracing::debug!(
                endpoint,
                %error,
                reason = reason.as_str(),
                outage_failed,
                outage_carried,
                outage_dropped,
                "metrics export failed again"
            );
            return;
        }
        let reason = reason.as_str();
        match outcome {
            Some(Outcome::Carried { held, lost: 0 }) => tracing::warn!(
                endpoint,
                %error,
                reason,
                carried_points = held,
                "metrics export failed after its retries; its data points are carried over into \
                 the next export (merged per series, so memory is bounded by the series, not by \
                 the outage) and counted in agent_metrics.export.carried: nothing is lost while \
                 exports keep being tried, and the agent keeps running (further failures are \
                 logged at debug level until an export succeeds)"
            ),
            Some(Outcome::Refused { .. }) => tracing::warn!(
                endpoint,
                %error,
                reason,
                dropped_points = dropped,
                "the collector refused a metrics export for good; its data points are dropped \
                 (not sent again) and counted in agent_metrics.export.dropped, and the next \
                 exports go on (further failures are logged at debug level until an export \
                 succeeds)"
            ),
            _ => tracing::warn!(
                endpoint,
                %error,
                reason,
                carried_points = carried,
                dropped_points = dropped,
                "metrics export failed after its retries; its data points are dropped and counted \
                 in agent_metrics.export.dropped, and the agent keeps running (further failures \
                 are logged at debug level until an export succeeds)"
            ),
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
    pub(crate) inner: super::otlp::PushExporter,
    pub(crate) health: Arc<ExportHealth>,
}

impl std::fmt::Debug for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reported")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl PushMetricExporter for Reported {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        // A reason or outcome left from an earlier export must not explain this one.
        *self
            .health
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
        *self
            .health
            .outcome
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
        // The SDK calls this after its final export: nothing carried over can go out any more.
        self.health.abandon_carry();
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}
