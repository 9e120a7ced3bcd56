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

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use opentelemetry::metrics::{Counter, Meter};

mod outcome;

pub(crate) use outcome::Reported;

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
