//! The thresholds of a stall monitor: defaults, the environment rules of `docs/PYTHON-PARITY.md` §D7.2, the tick
//! and the severity rule of §D7.3.

use std::time::Duration;

use crate::schema::Severity;

/// Environment variable of the warn threshold, in milliseconds; `0` disables the monitor.
pub const WARN_ENV: &str = "LIVEKIT_AGENTS_LOOP_BLOCK_WARN_MS";
/// Environment variable of the error threshold, in milliseconds.
pub const ERROR_ENV: &str = "LIVEKIT_AGENTS_LOOP_BLOCK_ERROR_MS";

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

    /// Thresholds from the variables `lookup` returns, by the rules of `docs/PYTHON-PARITY.md` §D7.2:
    /// - unset or blank: the default;
    /// - not a finite number of milliseconds >= 0 that fits a `Duration`: the default, with a
    ///   warning;
    /// - warn = 0: disabled (`None`);
    /// - warn below [`MIN_WARN`](Self::MIN_WARN): raised to it, with a warning;
    /// - error below warn (after raising): warn for both, with a warning.
    ///
    /// ```
    /// use std::time::Duration;
    /// use agent_metrics::stall::{Thresholds, WARN_ENV};
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
    /// use agent_metrics::schema::Severity;
    /// use agent_metrics::stall::Thresholds;
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

pub(super) fn descheduled(lag: Duration, watchdog_gap: Duration) -> bool {
    watchdog_gap >= lag / 2
}

/// One threshold variable: milliseconds as a float, as Python's `float()` reads them, through
/// the crate's environment parser family (never panics: a value too large for a [`Duration`],
/// such as `1e30`, is unusable like any other, so the default applies with a warning).
fn env_duration(
    lookup: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: Duration,
) -> Duration {
    use crate::env_parse::{self as parse, Show};
    parse::setting(
        key,
        lookup(key).as_deref(),
        Show::Value,
        parse::float_millis,
    )
    .unwrap_or(default)
}
