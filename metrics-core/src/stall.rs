//! A stall monitor for a tokio runtime: the counterpart of LiveKit Agents' event-loop monitor
//! (delta spec §7).
//!
//! Synchronous work on the runtime that runs an agent (a blocking HTTP client in a tool, a large
//! computation, a `std::thread::sleep`) is heard as latency. Two pieces find it:
//! - a **heartbeat** task on the runtime sleeps one `tick` at a time. When the runtime could not
//!   run it, it wakes late; the lateness `now - (previous beat + tick)` is the block, measured to
//!   within one tick once the block has ended;
//! - a **watchdog** thread wakes every tick, picks up each lag at or above the warn threshold
//!   and reports it once: a point on `lk.agents.event_loop.blocked_duration` and a `tracing`
//!   warning. It also measures how long the runtime has failed to run the heartbeat and how late
//!   it itself woke meanwhile: when both threads stood still, the process was descheduled (host
//!   contention, a CPU quota, a suspended machine), which is never an `error`.
//!
//! The heartbeat path is one clock read and one relaxed atomic store per tick; recording and
//! logging happen on the watchdog thread.
//!
//! The monitor sees a runtime that cannot run its tasks: the thread of a current-thread runtime,
//! or every worker of a multi-thread one. A current-thread runtime must be driven (sit in
//! `block_on`) for as long as the monitor runs, or its idle time counts as a block.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use opentelemetry::metrics::Meter;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tracing::Dispatch;

use crate::{AgentMetric, AttributeValue, Handles};

/// Environment variable of the warn threshold, in milliseconds; `0` disables the monitor.
pub const WARN_ENV: &str = "LIVEKIT_AGENTS_LOOP_BLOCK_WARN_MS";
/// Environment variable of the error threshold, in milliseconds.
pub const ERROR_ENV: &str = "LIVEKIT_AGENTS_LOOP_BLOCK_ERROR_MS";

/// Buckets of `lk.agents.event_loop.blocked_duration`, in seconds: every value is at least the
/// warn threshold (20 ms or more).
pub const BLOCKED_BUCKETS: &[f64] = &[
    0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// How bad a block was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, AttributeValue)]
pub enum Severity {
    /// At or above the warn threshold.
    Warning,
    /// At or above the error threshold, and the process was not descheduled.
    Error,
}

impl Severity {
    /// `"warning"` or `"error"`, as recorded.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One block of the runtime, as recorded (attributes: `severity` only, as in 1.8.9).
#[derive(Clone, PartialEq, AgentMetric)]
#[metric(attributes(severity))]
pub struct LoopBlocked {
    /// Duration of synchronous blocks detected on an agent event loop
    #[metric(
        histogram = "lk.agents.event_loop.blocked_duration",
        unit = "s",
        buckets = BLOCKED_BUCKETS
    )]
    pub duration: f64,
    /// `warning` or `error`.
    #[attr]
    pub severity: Severity,
}

/// When a block is reported, and when it is an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// Blocks at least this long are reported.
    pub warn: Duration,
    /// Blocks at least this long are errors, unless the process was descheduled.
    pub error: Duration,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds::DEFAULT
    }
}

impl Thresholds {
    /// 100 ms and 500 ms.
    pub const DEFAULT: Thresholds = Thresholds {
        warn: Duration::from_millis(100),
        error: Duration::from_millis(500),
    };

    /// The smallest warn threshold the environment may set: below it, the tick granularity is
    /// the block size.
    pub const MIN_WARN: Duration = Duration::from_millis(20);

    /// Thresholds from [`WARN_ENV`] and [`ERROR_ENV`]; `None` when the monitor is disabled.
    pub fn from_env() -> Option<Thresholds> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Thresholds from the variables `lookup` returns, by the rules of delta §7.2:
    /// - unset or blank: the default;
    /// - not a finite number of milliseconds >= 0: the default, with a warning;
    /// - warn = 0: disabled (`None`);
    /// - warn below [`MIN_WARN`](Self::MIN_WARN): raised to it, with a warning;
    /// - error below warn (after raising): warn for both, with a warning.
    ///
    /// ```
    /// use std::time::Duration;
    /// use agent_metrics_core::stall::{Thresholds, WARN_ENV};
    ///
    /// let env = |key: &str| (key == WARN_ENV).then(|| "250".to_owned());
    /// let t = Thresholds::from_lookup(env).unwrap();
    /// assert_eq!(t.warn, Duration::from_millis(250));
    /// assert_eq!(t.error, Duration::from_millis(500));
    /// assert_eq!(t.tick(), Duration::from_millis(50));
    /// assert_eq!(Thresholds::from_lookup(|_| Some("0".into())), None);
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Option<Thresholds> {
        let mut warn = env_duration(&lookup, WARN_ENV, Self::DEFAULT.warn);
        let mut error = env_duration(&lookup, ERROR_ENV, Self::DEFAULT.error);
        if warn.is_zero() {
            return None;
        }
        if warn < Self::MIN_WARN {
            tracing::warn!(
                "{WARN_ENV} ({} ms) is below {} ms; using {} ms",
                warn.as_secs_f64() * 1e3,
                Self::MIN_WARN.as_millis(),
                Self::MIN_WARN.as_millis()
            );
            warn = Self::MIN_WARN;
        }
        if error < warn {
            tracing::warn!(
                "{ERROR_ENV} ({} ms) is below {WARN_ENV} ({} ms); using the warn threshold for both",
                error.as_secs_f64() * 1e3,
                warn.as_secs_f64() * 1e3
            );
            error = warn;
        }
        Some(Thresholds { warn, error })
    }

    /// The heartbeat period for these thresholds: a fifth of warn, within 20 to 50 ms.
    pub fn tick(&self) -> Duration {
        (self.warn / 5).clamp(Duration::from_millis(20), Duration::from_millis(50))
    }

    /// The severity of a block of `lag` during which the watchdog thread itself woke up to
    /// `watchdog_gap` late. A watchdog starved for half the block means the whole process was
    /// descheduled, which is never an error. (The Python monitor also requires that the loop
    /// thread burned under half the block in CPU; Rust has no portable per-thread CPU clock, so
    /// a starved watchdog decides alone.)
    ///
    /// ```
    /// use std::time::Duration;
    /// use agent_metrics_core::stall::{Severity, Thresholds};
    ///
    /// let t = Thresholds::DEFAULT;
    /// let ms = Duration::from_millis;
    /// assert_eq!(t.severity(ms(300), ms(0)), Severity::Warning);
    /// assert_eq!(t.severity(ms(700), ms(5)), Severity::Error);
    /// assert_eq!(t.severity(ms(700), ms(400)), Severity::Warning);
    /// ```
    pub fn severity(&self, lag: Duration, watchdog_gap: Duration) -> Severity {
        if lag >= self.error && !descheduled(lag, watchdog_gap) {
            Severity::Error
        } else {
            Severity::Warning
        }
    }
}

fn descheduled(lag: Duration, watchdog_gap: Duration) -> bool {
    watchdog_gap >= lag / 2
}

/// One threshold variable: milliseconds as a float, as Python's `float()` reads them.
fn env_duration(
    lookup: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: Duration,
) -> Duration {
    let Some(raw) = lookup(key) else {
        return default;
    };
    let text = raw.trim();
    if text.is_empty() {
        return default;
    }
    match text.parse::<f64>() {
        Ok(ms) if ms.is_finite() && ms >= 0.0 => Duration::from_secs_f64(ms / 1e3),
        _ => {
            tracing::warn!(
                "invalid {key}={raw:?}, expected a finite number of milliseconds >= 0; using {} ms",
                default.as_millis()
            );
            default
        }
    }
}

/// Configures and starts a [`StallMonitor`].
#[derive(Clone, Debug)]
pub struct StallMonitorBuilder {
    thresholds: Option<Thresholds>,
    tick: Option<Duration>,
    name: &'static str,
}

/// A running stall monitor; dropping it stops the heartbeat task and the watchdog thread.
///
/// ```
/// use std::time::Duration;
/// use agent_metrics_core::capture::Capture;
/// use agent_metrics_core::stall::StallMonitor;
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

/// What the heartbeat hands the watchdog: atomics only, so the runtime never waits on a lock.
#[derive(Debug)]
struct Shared {
    origin: Instant,
    /// Time of the latest heartbeat, nanoseconds since `origin`.
    beat: AtomicU64,
    /// The largest reportable lag not yet picked up, nanoseconds; 0 = none.
    lag: AtomicU64,
    stop: AtomicBool,
}

impl Shared {
    fn nanos(&self, t: Instant) -> u64 {
        u64::try_from(t.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX)
    }
}

impl StallMonitor {
    /// A builder with the default thresholds (100 ms / 500 ms), not the environment's: call
    /// [`from_env`](StallMonitorBuilder::from_env) for those.
    pub fn builder() -> StallMonitorBuilder {
        StallMonitorBuilder {
            thresholds: Some(Thresholds::DEFAULT),
            tick: None,
            name: "runtime",
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
        let shared = Arc::new(Shared {
            origin: Instant::now(),
            beat: AtomicU64::new(0),
            lag: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        // Created here so that a runtime without timers fails in the caller, not in a task.
        let sleep = {
            let _enter = runtime.enter();
            Box::pin(tokio::time::sleep(tick))
        };
        let heartbeat = runtime.spawn(heartbeat(Arc::clone(&shared), sleep, tick, thresholds));
        let watchdog = Watchdog {
            shared: Arc::clone(&shared),
            thresholds,
            tick,
            name: self.name,
            handles: LoopBlocked::handles(meter),
            logs: LogLimiter::default(),
        };
        let dispatch = tracing::dispatcher::get_default(Dispatch::clone);
        let watchdog = thread::Builder::new()
            .name(format!("stall-watchdog-{}", self.name))
            .spawn(move || tracing::dispatcher::with_default(&dispatch, || watchdog.run()))
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
        self.shared.stop.store(true, Ordering::Relaxed);
        self.heartbeat.abort();
        if let Some(watchdog) = self.watchdog.take() {
            watchdog.thread().unpark();
            // A panicked watchdog has nothing left to clean up.
            let _ = watchdog.join();
        }
    }
}

async fn heartbeat(
    shared: Arc<Shared>,
    mut sleep: std::pin::Pin<Box<tokio::time::Sleep>>,
    tick: Duration,
    thresholds: Thresholds,
) {
    // Armed on the first poll, not at start: a runtime not yet driven is not blocked.
    let mut last = Instant::now();
    shared.beat.store(shared.nanos(last), Ordering::Relaxed);
    loop {
        sleep.as_mut().reset((last + tick).into());
        sleep.as_mut().await;
        let now = Instant::now();
        let lag = now.saturating_duration_since(last + tick);
        last = now;
        if lag >= thresholds.warn {
            let nanos = u64::try_from(lag.as_nanos()).unwrap_or(u64::MAX);
            shared.lag.fetch_max(nanos, Ordering::Relaxed);
        }
        // Release: a watchdog that sees this beat also sees the lag published before it.
        shared.beat.store(shared.nanos(now), Ordering::Release);
    }
}

struct Watchdog {
    shared: Arc<Shared>,
    thresholds: Thresholds,
    tick: Duration,
    name: &'static str,
    handles: Handles<LoopBlocked>,
    logs: LogLimiter,
}

impl Watchdog {
    fn run(mut self) {
        let mut last_wake = Instant::now();
        // The watchdog's own worst lateness since the runtime last ran the heartbeat on time.
        let mut starved = Duration::ZERO;
        // Past this gap a block is under way, as when the Python watchdog samples the stack.
        let under_way = self
            .thresholds
            .warn
            .saturating_sub(self.tick)
            .max(self.tick);
        loop {
            thread::park_timeout(self.tick);
            let stop = self.shared.stop.load(Ordering::Relaxed);
            let now = Instant::now();
            starved = starved.max(now.saturating_duration_since(last_wake + self.tick));
            last_wake = now;
            let beat = self.shared.beat.load(Ordering::Acquire);
            let lag = self.shared.lag.swap(0, Ordering::Relaxed);
            if lag > 0 {
                self.report(Duration::from_nanos(lag), starved, now);
                starved = Duration::ZERO;
            } else if self.shared.nanos(now).saturating_sub(beat) < under_way.as_nanos() as u64 {
                starved = Duration::ZERO;
            }
            // Checked after the pick-up, so that a block that ended just before the monitor was
            // dropped is still reported.
            if stop {
                return;
            }
        }
    }

    fn report(&mut self, lag: Duration, starved: Duration, now: Instant) {
        let severity = self.thresholds.severity(lag, starved);
        LoopBlocked {
            duration: lag.as_secs_f64(),
            severity,
        }
        .record(&self.handles);
        // As in 1.8.9: every block is recorded, but a descheduled process logs nothing (the code
        // on the runtime is not at fault) and logs are limited to 5 a minute.
        if descheduled(lag, starved) {
            return;
        }
        let Some(suppressed) = self.logs.allow(now) else {
            return;
        };
        tracing::warn!(
            monitor = self.name,
            duration_s = lag.as_secs_f64(),
            severity = severity.as_str(),
            threshold_s = self.thresholds.warn.as_secs_f64(),
            watchdog_gap_s = starved.as_secs_f64(),
            suppressed,
            "tokio runtime `{}` blocked for {:.0} ms; synchronous work on the runtime delays audio \
             and turn handling, move it to spawn_blocking or an async client",
            self.name,
            lag.as_secs_f64() * 1e3,
        );
    }
}

/// At most [`LogLimiter::PER_MINUTE`] logs in any 60 s window. Only the watchdog uses it.
#[derive(Default)]
struct LogLimiter {
    recent: [Option<Instant>; LogLimiter::PER_MINUTE],
    next: usize,
    suppressed: u64,
}

impl LogLimiter {
    const PER_MINUTE: usize = 5;

    /// `Some(logs suppressed since the previous one)` when a log may go out now.
    fn allow(&mut self, now: Instant) -> Option<u64> {
        let oldest = self.recent[self.next];
        if oldest.is_some_and(|t| now.saturating_duration_since(t) < Duration::from_secs(60)) {
            self.suppressed += 1;
            return None;
        }
        self.recent[self.next] = Some(now);
        self.next = (self.next + 1) % Self::PER_MINUTE;
        Some(std::mem::take(&mut self.suppressed))
    }
}
