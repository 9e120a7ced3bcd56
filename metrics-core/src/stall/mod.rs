//! A stall monitor for a tokio runtime: the counterpart of LiveKit Agents' event-loop monitor
//! (`docs/PYTHON-PARITY.md` §D7).
//!
//! Synchronous work on the runtime that runs an agent (a blocking HTTP client in a tool, a large
//! computation, a `std::thread::sleep`) is heard as latency. Two pieces find it:
//! - a **heartbeat** task on the runtime sleeps one `tick` at a time. When the runtime could not
//!   run it, it wakes late; the lateness `now - (previous beat + tick)` is the block, measured to
//!   within one tick once the block has ended;
//! - a **watchdog** thread wakes every tick, picks up each lag at or above the warn threshold
//!   and reports it once: a point on `lk.agents.event_loop.blocked_duration`
//!   ([`EventLoopBlocked`], with the attributes of the monitor's [`Job`] if it has one) and a
//!   `tracing` warning. It also measures how long the runtime has failed to run the heartbeat and how late
//!   it itself woke meanwhile: when both threads stood still, the process was descheduled (host
//!   contention, a CPU quota, a suspended machine), which is never an `error`.
//!
//! The heartbeat path is one clock read and one atomic store per tick; recording and
//! logging happen on the watchdog thread.
//!
//! The monitor sees a runtime that cannot run its tasks: the thread of a current-thread runtime,
//! or every worker of a multi-thread one. A current-thread runtime must be driven (sit in
//! `block_on`) for as long as the monitor runs, or its idle time counts as a block.

mod thresholds;
mod watch;

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use opentelemetry::metrics::Meter;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tracing::Dispatch;

use crate::AgentMetric;
use crate::job::Job;
use crate::schema::EventLoopBlocked;
use watch::{Shared, Watchdog};

pub use thresholds::{ERROR_ENV, Thresholds, WARN_ENV};

/// Configures and starts a [`StallMonitor`].
#[derive(Clone, Debug)]
pub struct StallMonitorBuilder {
    thresholds: Option<Thresholds>,
    tick: Option<Duration>,
    name: &'static str,
    job: Option<Job>,
}

/// A running stall monitor; dropping it stops the heartbeat task and the watchdog thread.
///
/// ```
/// use std::time::Duration;
/// use agent_metrics::capture::Capture;
/// use agent_metrics::stall::StallMonitor;
///
/// let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// let capture = Capture::cumulative();
/// let monitor = StallMonitor::builder()
///     .warn(Duration::from_millis(100))
///     .name("job")
///     .start(rt.handle(), capture.meter());
/// rt.block_on(async {
///     tokio::time::sleep(Duration::from_millis(50)).await;
///     std::thread::sleep(Duration::from_millis(150)); // blocks the runtime
///     tokio::time::sleep(Duration::from_millis(100)).await;
/// });
/// drop(monitor); // reports a block that ended before it, then stops
/// let points = capture.collect();
/// assert_eq!(points[0].name, "lk.agents.event_loop.blocked_duration");
/// assert!(points[0].value.as_histogram().unwrap().sum >= 0.1);
/// ```
#[derive(Debug)]
pub struct StallMonitor {
    running: Option<Running>,
}

#[derive(Debug)]
struct Running {
    shared: Arc<Shared>,
    thresholds: Thresholds,
    heartbeat: JoinHandle<()>,
    watchdog: Option<thread::JoinHandle<()>>,
}

impl StallMonitor {
    /// A builder with the default thresholds (100 ms / 500 ms), not the environment's: call
    /// [`from_env`](StallMonitorBuilder::from_env) for those.
    pub fn builder() -> StallMonitorBuilder {
        StallMonitorBuilder {
            thresholds: Some(Thresholds::DEFAULT),
            tick: None,
            name: "runtime",
            job: None,
        }
    }

    /// Whether it runs: `false` when the warn threshold was zero.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// The thresholds in effect, `None` when disabled.
    pub fn thresholds(&self) -> Option<Thresholds> {
        self.running.as_ref().map(|r| r.thresholds)
    }
}

impl StallMonitorBuilder {
    /// The warn threshold; zero disables the monitor.
    pub fn warn(mut self, warn: Duration) -> Self {
        let error = self
            .thresholds
            .map_or(Thresholds::DEFAULT.error, |t| t.error);
        self.thresholds = Some(Thresholds { warn, error });
        self
    }

    /// The error threshold; below warn, warn is used.
    pub fn error(mut self, error: Duration) -> Self {
        let warn = self.thresholds.map_or(Thresholds::DEFAULT.warn, |t| t.warn);
        self.thresholds = Some(Thresholds { warn, error });
        self
    }

    /// Both thresholds; `None` disables the monitor.
    pub fn thresholds(mut self, thresholds: Option<Thresholds>) -> Self {
        self.thresholds = thresholds;
        self
    }

    /// The thresholds of [`WARN_ENV`] and [`ERROR_ENV`] (see [`Thresholds::from_lookup`]).
    pub fn from_env(self) -> Self {
        self.thresholds(Thresholds::from_env())
    }

    /// The heartbeat period, instead of [`Thresholds::tick`]. It is also the resolution of a
    /// measurement and of the watchdog's wake-ups.
    pub fn tick(mut self, tick: Duration) -> Self {
        self.tick = Some(tick);
        self
    }

    /// Which runtime this is (`"worker"`, `"job"`), for the log and the watchdog thread's name.
    pub fn name(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// The job whose attributes the reports carry, as the Python monitor reports in the job's
    /// context. Without one, as on a worker's own runtime, they carry `severity` only.
    pub fn job(mut self, job: Job) -> Self {
        self.job = Some(job);
        self
    }

    /// Starts the heartbeat on `runtime` and the watchdog thread, recording into `meter`. Logs
    /// go to the `tracing` dispatcher current here.
    ///
    /// # Panics
    /// If the runtime has no timers (`enable_time`), or the thread cannot be spawned.
    pub fn start(self, runtime: &Handle, meter: &Meter) -> StallMonitor {
        let Some(thresholds) = self.thresholds.filter(|t| !t.warn.is_zero()) else {
            return StallMonitor { running: None };
        };
        let thresholds = Thresholds {
            error: thresholds.error.max(thresholds.warn),
            ..thresholds
        };
        let tick = self
            .tick
            .unwrap_or_else(|| thresholds.tick())
            .max(Duration::from_millis(1));
        let shared = Arc::new(Shared::new());
        // Created here so that a runtime without timers fails in the caller, not in a task.
        let sleep = {
            let _enter = runtime.enter();
            Box::pin(tokio::time::sleep(tick))
        };
        let heartbeat = runtime.spawn(watch::heartbeat(
            Arc::clone(&shared),
            sleep,
            tick,
            thresholds.warn,
        ));
        let watchdog = Watchdog::new(
            Arc::clone(&shared),
            thresholds,
            tick,
            self.name,
            EventLoopBlocked::handles(meter),
        );
        let job = self.job;
        let dispatch = tracing::dispatcher::get_default(Dispatch::clone);
        let watchdog = thread::Builder::new()
            .name(format!("stall-watchdog-{}", self.name))
            .spawn(move || {
                let _job = job.as_ref().map(Job::enter);
                tracing::dispatcher::with_default(&dispatch, || watchdog.run())
            })
            .expect("spawn the stall watchdog thread");
        StallMonitor {
            running: Some(Running {
                shared,
                thresholds,
                heartbeat,
                watchdog: Some(watchdog),
            }),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shared.stop();
        self.heartbeat.abort();
        if let Some(watchdog) = self.watchdog.take() {
            watchdog.thread().unpark();
            // A panicked watchdog has nothing left to clean up.
            let _ = watchdog.join();
        }
    }
}
