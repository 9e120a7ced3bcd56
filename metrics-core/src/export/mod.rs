//! Exporting: the [`Telemetry`] handle, which owns the meter provider of one export setup.
//!
//! # Where things are
//!
//! Building a telemetry reads like the derive: settings, a plan computed without side effects,
//! then a start that follows it.
//!
//! | file | what it holds |
//! |---|---|
//! | `builder.rs` | [`TelemetryBuilder`]: the caller's settings, and `build` (plan, then start) |
//! | `plan/` | decide: which exporter, where Prometheus sits, where per-job keys are dropped, the resource, every configuration error at once; its tests are the mode table |
//! | `start.rs` | start: builds the providers, readers and meter the plan names |
//! | `mod.rs` | this handle: [`Telemetry`], flush, shutdown, drop |
//! | `job_end.rs` | [`Telemetry::finish_job`]: a job's end waits for its data to be exported |
//! | **push** | |
//! | `otlp/` | the OTLP exporter: `http.rs` (our client for opentelemetry-otlp), `grpc.rs` (our tonic exporter), `tls.rs` |
//! | `retry.rs` | which failures are retried, backoff, `Retry-After` ([`RetryPolicy`]) |
//! | `health/` | what became of each export: counters, one warning per outage, [`ExportStats`] |
//! | `carry/` | carry-over: a failed delta batch merged into the next export |
//! | `overflow.rs` | the warning when an instrument reaches its cardinality limit |
//! | `cloud.rs` | LiveKit Cloud: its endpoint and access tokens ([`LiveKitCloud`]) |
//! | `secret.rs` | [`Secret`]: credentials kept out of `Debug`, logs and errors |
//! | **pull** | |
//! | `prometheus.rs` | the `GET /metrics` endpoint and its threads |
//! | `pull.rs` | the meter that feeds a cumulative pipeline without the per-job keys ([`PER_JOB_KEYS`]) |
//! | **settings** | |
//! | `env/` | [`Env`] and the `OTEL_*` / `LIVEKIT_*` variables, read through `crate::env_parse` |
//! | `settings.rs` | [`Mode`], [`Protocol`], [`PushSettings`]: what a built telemetry does |
//! | `instance.rs` | `service.instance.id` ([`process_instance_id`]) |
//! | `error.rs` | [`ExportError`] |
//!
//! # Words
//!
//! | word | means |
//! |---|---|
//! | mode | what a built telemetry does with measurements ([`Mode`]): push, pull, embedded, user-provided, disabled |
//! | plan | the decision `build` computes from the settings and the environment, before anything starts |
//! | push / pull | we send exports (OTLP, LiveKit Cloud) / a scraper fetches them (Prometheus) |
//! | primary exporter | the one push or embedded reader a telemetry has; Prometheus may sit beside it |
//! | per-job keys | `job_id`, `room_id` and the other job attributes ([`PER_JOB_KEYS`]), dropped from cumulative pipelines |
//! | failed for good | an export that still fails after its retries |
//! | carried over | a failed delta batch's points, merged into the next export |
//! | dropped | points the collector will never receive, always counted |
//!
//! Modes (see [`TelemetryBuilder`] for how one is chosen):
//! - **OTLP** over HTTP/protobuf (default; uncompressed unless gzip is asked for; `http://` and
//!   `https://` through rustls) or gRPC (cargo feature `grpc`; it runs on a tokio runtime of the
//!   crate's own, so it works with no runtime and inside a current-thread or multi-thread one);
//! - **LiveKit Cloud**: OTLP/HTTP to `{observability_url}/observability/metrics/otlp/v0` with a
//!   Bearer JWT re-minted before it expires (`LiveKitCloud`, cargo feature `otlp`);
//! - **Prometheus** pull endpoint (cargo feature `prometheus`), alone or next to a push target;
//!   like every cumulative pipeline it carries no per-job attributes (`job_id`, `room_id`, ...), so
//!   its series stay bounded however many jobs a worker runs
//!   ([`TelemetryBuilder::cumulative_job_attributes`] keeps them);
//! - **embedded**: an in-process reader ([`Telemetry::capture`]) when nothing is configured;
//! - **user-provided**: [`Telemetry::from_meter`] / [`Telemetry::from_provider`] record through the
//!   caller's pipeline, which we never shut down (LiveKit #6931);
//! - **disabled**: `OTEL_SDK_DISABLED=true`, a no-op meter.
//!
//! Push exports use delta temporality unless told otherwise (LiveKit PR #5314) and run every
//! 30 s on the SDK's reader thread, so recording never waits for the network: a slow or
//! black-holed collector blocks that thread, never a `record` call.
//!
//! # Failures
//!
//! A push export that fails for a transient reason (HTTP 429, 502, 503, 504, a refused or
//! broken connection; the OTLP specification's transient gRPC codes) is retried with
//! exponential backoff and jitter, honouring `Retry-After` (gRPC's RetryInfo), until its
//! [export timeout](TelemetryBuilder::export_timeout) (10 s by default) runs out; see
//! [`RetryPolicy`]. Meanwhile new measurements keep aggregating in memory and go out with the
//! next export.
//!
//! Under delta temporality (the default) an export that still fails is **carried over**: its
//! data points are merged into the next export, one point per series (deltas add, gauges keep
//! their newest value, the merged point spans both intervals), at most the cardinality limit of
//! each instrument, so a collector outage of any length loses nothing and costs memory bounded
//! by the series. Under cumulative temporality nothing is carried over: the next export carries
//! the totals. What each answer gets:
//!
//! | after the retries | the batch (with what it carried over) |
//! |---|---|
//! | accepted | delivered; points a partial success rejects are dropped and counted, not re-sent |
//! | no answer; HTTP 429, 502, 503, 504; gRPC UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, ABORTED, OUT_OF_RANGE, DATA_LOSS, RESOURCE_EXHAUSTED with RetryInfo | carried over (delta), or dropped and counted (cumulative: the next export has the totals) |
//! | HTTP 400, 401, 403, 404, 413, any other 4xx, 500, 501; every other gRPC code | dropped and counted once, never sent again: it would be refused again |
//!
//! What is still carried over when the pipeline shuts down is dropped, counted, and named in
//! one warning. A collector that accepts a batch but answers after the timeout gets it again
//! with the next export (OTLP delivery is at least once).
//!
//! Nothing is silent: one `tracing` warning per outage (saying whether the points were carried
//! over or dropped), an info line when exports recover, `Telemetry::export_stats` in process,
//! and these counters exported with the data (their own increments are carried over failed
//! batches, so the collector sees every failure once it is back):
//!
//! | counter | unit | what |
//! |---|---|---|
//! | `agent_metrics.export.failures` | `{export}` | exports that failed after their retries |
//! | `agent_metrics.export.carried` | `{data_point}` | data points of failed exports carried over into the next |
//! | `agent_metrics.export.dropped` | `{data_point}` | data points the collector will never receive |
//! | `agent_metrics.export.retries` | `{retry}` | requests retried after a transient failure |
//! | `agent_metrics.dropped_values` | `{value}` | invalid values dropped at record time ([`crate::invalid`]) |
//!
//! # Lifecycle
//!
//! - [`Telemetry::shutdown`] exports what is left and returns within its timeout (plus a few
//!   milliseconds) even if the collector hangs: the SDK's own shutdown ignores its timeout, so
//!   it runs on a helper thread that is left behind on timeout. Retries of the final export stop
//!   at 90% of the timeout (of 5 s at most, the SDK's own wait), so that a failure comes back as
//!   [`ExportError::Export`] saying why (refused, no answer, HTTP status) rather than as
//!   [`ExportError::Timeout`], which remains possible when a request is already hanging.
//! - A second `shutdown`, from any clone, returns `Ok(())` at once, whatever the first returned.
//! - `force_flush` after `shutdown` is [`ExportError::AlreadyShutdown`]; a flush racing a
//!   shutdown from another thread returns that or the flush's own outcome.
//! - Recording after shutdown, through old or new instruments, is silently dropped: never a
//!   panic, and not counted as an export drop.
//! - A recorder used from many threads while another shuts down: no call blocks or panics; what
//!   was recorded before `shutdown` was called is exported, what races the final collection may
//!   or may not be, what comes after is dropped.
//! - Dropping the last clone of a `Telemetry` that was not shut down shuts it down, bounded by
//!   [`DROP_SHUTDOWN_TIMEOUT`], and logs a warning if that final export fails.
//! - A user-provided meter or provider is never flushed or shut down by us.
//! - `Telemetry::export_stats` (feature `otlp`) stays readable after shutdown.
//! - If the SDK's reader thread dies anyway (a panic in an observable callback: the SDK does not
//!   restart it), `ExportStats::reader_stopped` says so, one `tracing` error is logged, and
//!   `force_flush` and `shutdown` return [`ExportError::Export`] saying so at once. A panic in
//!   the exporter itself is caught and counted as a failed export.
//!
//! Secrets (API secret, JWT, header values) are held in [`Secret`] and never appear in any
//! `Debug` or `Display` of this module's types, in errors or in log lines.

mod builder;
#[cfg(feature = "otlp")]
mod carry;
#[cfg(feature = "otlp")]
mod cloud;
mod env;
mod error;
#[cfg(feature = "otlp")]
mod health;
mod instance;
mod job_end;
#[cfg(feature = "otlp")]
mod otlp;
#[cfg(feature = "otlp")]
mod overflow;
mod plan;
#[cfg(feature = "prometheus")]
mod prometheus;
mod pull;
mod retry;
mod secret;
mod settings;
mod start;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use opentelemetry::metrics::{Meter, NoopMeterProvider};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::SdkMeterProvider;

pub use builder::{
    DEFAULT_EXPORT_INTERVAL, DEFAULT_EXPORT_TIMEOUT, DEFAULT_SERVICE_NAME, TelemetryBuilder,
};
#[cfg(feature = "otlp")]
pub use cloud::{LiveKitCloud, METRICS_PATH as LIVEKIT_METRICS_PATH, ObservabilityTokens};
pub use env::Env;
pub use error::ExportError;
#[cfg(feature = "otlp")]
pub use health::{EXPORT_CARRIED, EXPORT_DROPPED, EXPORT_FAILURES, EXPORT_RETRIES, ExportStats};
pub use instance::{SERVICE_INSTANCE_ID, process_instance_id};
pub use opentelemetry_sdk::metrics::Temporality;
pub use pull::PER_JOB_KEYS;
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use settings::{Mode, Protocol, PushSettings};

use crate::MetricsRecorder;
use crate::capture::{Capture, scoped_meter};
use crate::schema::GenAiConventions;

/// How long dropping an un-shut-down [`Telemetry`] waits for its final export.
pub const DROP_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the SDK's periodic reader waits for its final export at shutdown (hard-coded in
/// opentelemetry_sdk 0.33): retries must end before, for the outcome to be reported.
#[cfg(feature = "otlp")]
const SDK_SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// The export setup of a process or job: hands out the [`Meter`] to record with, and flushes and
/// shuts down what it built. Cheap to clone; clones share one pipeline.
///
/// ```
/// use std::time::Duration;
/// use agent_metrics::export::{Env, Telemetry};
///
/// // Nothing configured in this environment: the embedded in-process reader.
/// let telemetry = Telemetry::builder().env(Env::empty()).build()?;
/// let counter = telemetry.meter().u64_counter("lk.agents.usage.tts_characters").build();
/// counter.add(42, &[]);
/// let points = telemetry.capture().expect("embedded mode").collect();
/// assert_eq!(points[0].value.as_u64(), Some(42));
/// telemetry.shutdown(Duration::from_secs(5))?;
/// # Ok::<(), agent_metrics::export::ExportError>(())
/// ```
#[derive(Clone)]
pub struct Telemetry {
    inner: Arc<Inner>,
}

struct Inner {
    meter: Meter,
    mode: Mode,
    conventions: GenAiConventions,
    /// A provider we built, so ours to flush and shut down; `None` for user-provided and disabled.
    provider: Option<SdkMeterProvider>,
    /// The Prometheus reader's own provider, next to `provider` (see `pull`).
    pull: Option<SdkMeterProvider>,
    capture: Option<Capture>,
    #[cfg(feature = "prometheus")]
    prometheus: std::sync::Mutex<Option<prometheus::PrometheusServer>>,
    prometheus_addr: Option<SocketAddr>,
    shut_down: AtomicBool,
    #[cfg(feature = "otlp")]
    health: Option<Arc<health::ExportHealth>>,
    /// Reports `agent_metrics.dropped_values` until shutdown begins (later drops go to another
    /// pipeline, or wait for the next one).
    dropped_values: std::sync::Mutex<Option<crate::invalid::Registration>>,
}

/// What the builder hands over.
#[derive(Default)]
pub(crate) struct Parts {
    meter: Option<Meter>,
    conventions: GenAiConventions,
    provider: Option<SdkMeterProvider>,
    pull: Option<SdkMeterProvider>,
    capture: Option<Capture>,
    #[cfg(feature = "prometheus")]
    prometheus: Option<prometheus::PrometheusServer>,
    prometheus_addr: Option<SocketAddr>,
    #[cfg(feature = "otlp")]
    health: Option<Arc<health::ExportHealth>>,
}

impl Telemetry {
    /// Starts configuring a telemetry setup.
    pub fn builder() -> TelemetryBuilder {
        TelemetryBuilder::new()
    }

    /// Records through a meter the caller owns. Flush and shutdown are the caller's business:
    /// ours do nothing.
    pub fn from_meter(meter: Meter) -> Self {
        Self::unowned(meter, Mode::UserProvided)
    }

    /// Records through the caller's provider, with our instrumentation scope (`livekit-agents`).
    /// The provider is never flushed or shut down by us, and no handle to it is kept, so dropping
    /// this `Telemetry` cannot shut it down either.
    pub fn from_provider(provider: &SdkMeterProvider) -> Self {
        Self::unowned(scoped_meter(provider), Mode::UserProvided)
    }

    /// A no-op meter: what `OTEL_SDK_DISABLED=true` gives.
    pub fn disabled() -> Self {
        Self::unowned(scoped_meter(&NoopMeterProvider::new()), Mode::Disabled)
    }

    fn unowned(meter: Meter, mode: Mode) -> Self {
        let parts = Parts {
            meter: Some(meter),
            ..Parts::default()
        };
        Self::from_parts(mode, parts)
    }

    pub(crate) fn from_parts(mode: Mode, parts: Parts) -> Self {
        let meter = parts
            .meter
            .unwrap_or_else(|| scoped_meter(&NoopMeterProvider::new()));
        // A user's meter gets the self-metric too: dropped values must show wherever data goes.
        let dropped_values =
            (!matches!(mode, Mode::Disabled)).then(|| crate::invalid::register_scoped(&meter));
        Telemetry {
            inner: Arc::new(Inner {
                meter,
                mode,
                conventions: parts.conventions,
                provider: parts.provider,
                pull: parts.pull,
                capture: parts.capture,
                #[cfg(feature = "prometheus")]
                prometheus: std::sync::Mutex::new(parts.prometheus),
                prometheus_addr: parts.prometheus_addr,
                shut_down: AtomicBool::new(false),
                #[cfg(feature = "otlp")]
                health: parts.health,
                dropped_values: std::sync::Mutex::new(dropped_values),
            }),
        }
    }

    /// The meter to build instruments from; its scope is `livekit-agents`.
    pub fn meter(&self) -> &Meter {
        &self.inner.meter
    }

    /// The GenAI conventions the recorder follows: the builder's
    /// [`gen_ai_conventions`](TelemetryBuilder::gen_ai_conventions), else
    /// `OTEL_SEMCONV_STABILITY_OPT_IN`, else livekit-agents 1.8.9's. A telemetry made
    /// [`from_meter`](Self::from_meter) or [`from_provider`](Self::from_provider) has the default.
    pub fn gen_ai_conventions(&self) -> GenAiConventions {
        self.inner.conventions
    }

    /// A recorder of every schema event on [`meter`](Self::meter), following
    /// [`gen_ai_conventions`](Self::gen_ai_conventions). Build it once and clone it.
    pub fn recorder(&self) -> MetricsRecorder {
        MetricsRecorder::with_conventions(self.meter(), self.gen_ai_conventions())
    }

    /// What this telemetry does with what is recorded.
    pub fn mode(&self) -> &Mode {
        &self.inner.mode
    }

    /// The in-process reader, in embedded mode.
    pub fn capture(&self) -> Option<&Capture> {
        self.inner.capture.as_ref()
    }

    /// The address the Prometheus endpoint listens on, if one was configured.
    pub fn prometheus_addr(&self) -> Option<SocketAddr> {
        self.inner.prometheus_addr
    }

    /// What became of the exports so far, in push modes (OTLP, LiveKit Cloud); `None` otherwise.
    #[cfg(feature = "otlp")]
    pub fn export_stats(&self) -> Option<ExportStats> {
        self.inner.health.as_ref().map(|h| h.stats())
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shut_down(&self) -> bool {
        self.inner.shut_down.load(Ordering::Acquire)
    }

    /// Exports what was recorded so far, waiting at most `timeout`. On timeout the export goes
    /// on in the background and [`ExportError::Timeout`] is returned.
    pub fn force_flush(&self, timeout: Duration) -> Result<(), ExportError> {
        if self.is_shut_down() {
            return Err(ExportError::AlreadyShutdown);
        }
        match &self.inner.provider {
            Some(provider) => {
                let provider = provider.clone();
                let result = bounded("force_flush", timeout, move || provider.force_flush());
                // A shutdown from another thread can stop the reader under the flush.
                if result.is_err() && self.is_shut_down() {
                    return Err(ExportError::AlreadyShutdown);
                }
                self.inner.explain(result)
            }
            None => Ok(()),
        }
    }

    /// Exports what is left and stops exporting, returning within `timeout` (plus a few
    /// milliseconds) even when the collector hangs. Calling it again returns `Ok(())` at once.
    /// A user-provided meter or provider is left untouched.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), ExportError> {
        self.inner.shutdown(timeout)
    }
}

impl Inner {
    fn shutdown(&self, timeout: Duration) -> Result<(), ExportError> {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        drop(
            self.dropped_values
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take(),
        );
        #[cfg_attr(not(any(feature = "otlp", feature = "prometheus")), allow(unused_variables))]
        let start = Instant::now();
        #[cfg(feature = "otlp")]
        if let Some(health) = &self.health {
            // Retries stop early enough for the outcome to come back before `timeout`.
            health.begin_shutdown(start + timeout.min(SDK_SHUTDOWN_WAIT).mul_f64(0.9));
        }
        let result = match &self.provider {
            Some(provider) => {
                let provider = provider.clone();
                let pull = self.pull.clone();
                bounded("shutdown", timeout, move || {
                    let result = provider.shutdown();
                    // A pull reader only: nothing to export, nothing that can hang.
                    if let Some(pull) = pull {
                        let _ = pull.shutdown();
                    }
                    result
                })
            }
            None => Ok(()),
        };
        let result = self.explain(result);
        #[cfg(feature = "prometheus")]
        if let Some(mut server) = self
            .prometheus
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            server.stop(timeout.saturating_sub(start.elapsed()));
        }
        result
    }

    /// The SDK only says "Failed to shutdown": replace that with why the last attempt failed.
    fn explain(&self, result: Result<(), ExportError>) -> Result<(), ExportError> {
        #[cfg(feature = "otlp")]
        if let (Err(error), Some(health)) = (&result, &self.health)
            && health.reader_stopped()
        {
            let operation = match error {
                ExportError::Export { operation, .. } | ExportError::Timeout { operation, .. } => {
                    operation
                }
                _ => "export",
            };
            let reason = health::READER_STOPPED.to_owned();
            return Err(ExportError::Export { operation, reason });
        }
        #[cfg(feature = "otlp")]
        if let (Err(ExportError::Export { operation, .. }), Some(health)) = (&result, &self.health)
            && let Some(reason) = health.failure_reason()
        {
            let operation = *operation;
            return Err(ExportError::Export { operation, reason });
        }
        result
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if self.provider.is_none() || self.shut_down.load(Ordering::Acquire) {
            return;
        }
        if let Err(error) = self.shutdown(DROP_SHUTDOWN_TIMEOUT) {
            tracing::warn!(%error, "metrics telemetry dropped without shutdown; final export failed");
        }
    }
}

impl fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telemetry")
            .field("mode", &self.inner.mode)
            .field("prometheus_addr", &self.inner.prometheus_addr)
            .field("shut_down", &self.is_shut_down())
            .finish_non_exhaustive()
    }
}

/// Runs `work` on a helper thread and waits at most `timeout` for it: the SDK's flush and
/// shutdown block for as long as the exporter does, whatever timeout they are given.
fn bounded(
    operation: &'static str,
    timeout: Duration,
    work: impl FnOnce() -> OTelSdkResult + Send + 'static,
) -> Result<(), ExportError> {
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name(format!("agent-metrics-{operation}"))
        .spawn(move || {
            let _ = tx.send(work());
        });
    if let Err(e) = spawned {
        let reason = format!("cannot start a thread: {e}");
        return Err(ExportError::Export { operation, reason });
    }
    match rx.recv_timeout(timeout) {
        Ok(Ok(())) | Ok(Err(OTelSdkError::AlreadyShutdown)) => Ok(()),
        Ok(Err(error)) => Err(ExportError::Export {
            operation,
            reason: error.to_string(),
        }),
        Err(RecvTimeoutError::Timeout) => Err(ExportError::Timeout { operation, timeout }),
        Err(RecvTimeoutError::Disconnected) => Err(ExportError::Export {
            operation,
            reason: "the exporter panicked".to_owned(),
        }),
    }
}
