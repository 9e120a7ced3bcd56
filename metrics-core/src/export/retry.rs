//! Retrying a failed export, as the OTLP specification asks: only transient failures (HTTP 429,
//! 502, 503 and 504, and connection errors) are retried, with exponential backoff and jitter, and
//! a server's `Retry-After` is honoured.
//!
//! Why our own loop rather than opentelemetry-otlp's (0.33.1 has one, also honouring
//! `Retry-After`): its default budget (3 retries, about 0.8 s) loses a delta interval to any
//! collector restart, a single attempt is not bounded by the export timeout, and its sleeps
//! cannot be cut short by a shutdown. Ours retries within the export timeout, gives each attempt
//! only the time left, and stops at the shutdown deadline so that `shutdown(timeout)` can report
//! the outcome instead of timing out.

// Without the `otlp` feature only the policy type is used (its builder setting is checked).
#![cfg_attr(not(feature = "otlp"), allow(dead_code))]

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant, SystemTime};

/// How a push exporter retries an export that failed for a transient reason.
///
/// The retries of one export all happen within its export timeout
/// ([`export_timeout`](super::TelemetryBuilder::export_timeout), 10 s by default): with the
/// defaults an export survives a collector outage of about 8 s. Delays grow exponentially from
/// `initial_backoff` to `max_backoff`, each drawn at random between half and all of its value (so
/// that many agents do not retry in step), and are never shorter than a `Retry-After` the
/// collector sent.
///
/// ```
/// use std::time::Duration;
/// use agent_metrics_core::export::RetryPolicy;
///
/// let policy = RetryPolicy::default().with_max_backoff(Duration::from_secs(5));
/// assert_eq!(policy.max_retries, 12);
/// assert_eq!(RetryPolicy::disabled().max_retries, 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 12; the export timeout usually ends them first).
    pub max_retries: u32,
    /// The delay before the first retry (default 200 ms).
    pub initial_backoff: Duration,
    /// The longest delay between two attempts, unless the collector asks for more with
    /// `Retry-After` (default 2 s, so that a recovered collector is seen within 2 s).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 12,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// One attempt per export, no retry.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Sets the number of retries after the first attempt.
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Sets the delay before the first retry.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Sets the longest delay between two attempts.
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The delay before retry number `retry` (0-based): `initial * 2^retry` capped at
    /// `max_backoff`, then scaled by a random factor in [0.5, 1].
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let full = self
            .initial_backoff
            .saturating_mul(1u32 << retry.min(20))
            .min(self.max_backoff.max(self.initial_backoff));
        let jitter = (random() % 1001) as f64 / 1000.0;
        full.mul_f64(0.5 + 0.5 * jitter)
    }

    /// The same policy in opentelemetry-otlp's terms, for the gRPC exporter, which retries by
    /// itself (within its export timeout).
    #[cfg(feature = "grpc")]
    pub(crate) fn to_otlp(self) -> opentelemetry_otlp::RetryPolicy {
        opentelemetry_otlp::RetryPolicy::default()
            .with_max_retries(self.max_retries as usize)
            .with_initial_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_max_jitter(self.initial_backoff / 2)
    }
}

/// Time an attempt is given even when the deadline has passed, so that the final export of a
/// late shutdown is still tried once.
const MIN_ATTEMPT: Duration = Duration::from_millis(250);

/// How often a backoff sleep checks whether a shutdown brought the deadline forward.
const SLEEP_SLICE: Duration = Duration::from_millis(50);

/// Runs `attempt` until it succeeds, fails for good, or the policy or the deadline says stop.
///
/// - `deadline` is read again before every decision, since a shutdown can bring it forward;
/// - `attempt` gets the time left before the deadline (at least [`MIN_ATTEMPT`]);
/// - `retry_after` says whether a result is worth retrying: `None` for success or a permanent
///   failure, `Some(server_delay)` for a transient one;
/// - `on_retry` is called before each retry.
///
/// Returns the last result.
pub(crate) fn run<R>(
    policy: &RetryPolicy,
    deadline: impl Fn() -> Instant,
    mut attempt: impl FnMut(Duration) -> R,
    retry_after: impl Fn(&R) -> Option<Option<Duration>>,
    mut on_retry: impl FnMut(),
) -> R {
    let mut retries = 0;
    loop {
        let left = deadline().saturating_duration_since(Instant::now());
        let result = attempt(left.max(MIN_ATTEMPT));
        let Some(server_delay) = retry_after(&result) else {
            return result;
        };
        if retries >= policy.max_retries {
            return result;
        }
        let delay = policy
            .backoff(retries)
            .max(server_delay.unwrap_or_default());
        // A retry that could not start before the deadline is not worth waiting for; nor is one
        // earlier than the collector asked for.
        let wake = Instant::now() + delay;
        if wake >= deadline() {
            return result;
        }
        loop {
            let now = Instant::now();
            if now >= wake {
                break;
            }
            if now >= deadline() {
                return result;
            }
            std::thread::sleep((wake - now).min(SLEEP_SLICE));
        }
        retries += 1;
        on_retry();
    }
}

/// Whether an HTTP status is worth retrying, per the OTLP/HTTP specification.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

#[cfg(feature = "otlp")]
/// The delay a `Retry-After` header asks for: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
/// Unparsable values are ignored, as the header is advisory.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

/// A random u64 without a dependency: std's per-process random hash keys, mixed with the clock.
fn random() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    hasher.write_u32(nanos);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_stays_capped() {
        let policy = RetryPolicy::default();
        for retry in 0..30 {
            let full =
                Duration::from_millis(200 * (1u64 << retry.min(10))).min(Duration::from_secs(2));
            let delay = policy.backoff(retry);
            assert!(delay >= full / 2 && delay <= full, "{retry}: {delay:?}");
        }
    }

    #[cfg(feature = "otlp")]
    #[test]
    fn retry_after_takes_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(parse_retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
        let later = "Sun, 06 Nov 1994 08:49:47 GMT";
        assert_eq!(parse_retry_after(later, now), Some(Duration::from_secs(10)));
        let past = "Sun, 06 Nov 1994 08:00:00 GMT";
        assert_eq!(parse_retry_after(past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for status in [429, 502, 503, 504] {
            assert!(retryable_status(status));
        }
        for status in [200, 400, 401, 403, 404, 413, 500, 501] {
            assert!(!retryable_status(status));
        }
    }

    #[test]
    fn the_loop_stops_at_success_permanent_failure_retries_or_deadline() {
        let fast = RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(2));
        let far = || Instant::now() + Duration::from_secs(60);
        let calls = &Cell::new(0);
        let retries = &Cell::new(0);
        let transient_until = |n: u32| {
            move |_: Duration| {
                calls.set(calls.get() + 1);
                calls.get() > n
            }
        };
        let verdict = |ok: &bool| (!ok).then_some(None);
        let on_retry = || retries.set(retries.get() + 1);

        assert!(run(&fast, far, transient_until(3), verdict, on_retry));
        assert_eq!((calls.get(), retries.get()), (4, 3));

        calls.set(0);
        let limited = fast.with_max_retries(2);
        assert!(!run(&limited, far, transient_until(5), verdict, || {}));
        assert_eq!(calls.get(), 3);

        calls.set(0);
        let permanent = |_: &bool| None;
        assert!(!run(&fast, far, transient_until(5), permanent, || {}));
        assert_eq!(calls.get(), 1);

        // A Retry-After longer than the time left ends the loop at once.
        calls.set(0);
        let soon = Instant::now() + Duration::from_millis(500);
        let later = |ok: &bool| (!ok).then_some(Some(Duration::from_secs(5)));
        let start = Instant::now();
        assert!(!run(&fast, || soon, transient_until(5), later, || {}));
        assert_eq!(calls.get(), 1);
        assert!(start.elapsed() < Duration::from_millis(400));
    }
}
