//! The two halves of a running monitor: the heartbeat task on the runtime and the watchdog
//! thread that reports what it measured.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use tokio::time::Sleep;

use super::Thresholds;
use super::thresholds::descheduled;
use crate::schema::{EventLoopBlocked, Severity};
use crate::{AgentMetric, Handles};

/// What the heartbeat hands the watchdog: atomics only, so the runtime never waits on a lock.
#[derive(Debug)]
pub(super) struct Shared {
    origin: Instant,
    /// Time of the latest heartbeat, nanoseconds since `origin`.
    beat: AtomicU64,
    /// The largest reportable lag not yet picked up, nanoseconds; 0 = none.
    lag: AtomicU64,
    stop: AtomicBool,
}

impl Shared {
    pub(super) fn new() -> Self {
        Shared {
            origin: Instant::now(),
            beat: AtomicU64::new(0),
            lag: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        }
    }

    /// Asks the watchdog to exit at its next wake-up.
    pub(super) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    fn nanos(&self, t: Instant) -> u64 {
        u64::try_from(t.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Sleeps one `tick` at a time and publishes each lateness of at least `warn`.
pub(super) async fn heartbeat(
    shared: Arc<Shared>,
    mut sleep: Pin<Box<Sleep>>,
    tick: Duration,
    warn: Duration,
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
        if lag >= warn {
            let nanos = u64::try_from(lag.as_nanos()).unwrap_or(u64::MAX);
            shared.lag.fetch_max(nanos, Ordering::Relaxed);
        }
        // Release: a watchdog that sees this beat also sees the lag published before it.
        shared.beat.store(shared.nanos(now), Ordering::Release);
    }
}

pub(super) struct Watchdog {
    shared: Arc<Shared>,
    thresholds: Thresholds,
    tick: Duration,
    name: &'static str,
    handles: Handles<EventLoopBlocked>,
    logs: LogLimiter,
}

impl Watchdog {
    pub(super) fn new(
        shared: Arc<Shared>,
        thresholds: Thresholds,
        tick: Duration,
        name: &'static str,
        handles: Handles<EventLoopBlocked>,
    ) -> Self {
        Watchdog {
            shared,
            thresholds,
            tick,
            name,
            handles,
            logs: LogLimiter::default(),
        }
    }

    pub(super) fn run(mut self) {
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
        EventLoopBlocked {
            duration: lag.as_secs_f64(),
            severity,
            ..Default::default()
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
            severity = match severity {
                Severity::Warning => "warning",
                Severity::Error => "error",
            },
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
