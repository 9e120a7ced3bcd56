//! Retrying a failed export, as the OTLP specification asks: only transient failures (HTTP 429,
//! 502, 503 and 504, gRPC's transient codes, and connection errors) are retried, with exponential
//! backoff and jitter, and a server's `Retry-After` is honoured. What still fails after the
//! retries is carried over into the next export under delta temporality ([`super::carry`]).
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

use super::error::ExportError;

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
/// use agent_metrics::export::RetryPolicy;
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

    /// Sets the delay before the first retry (at most 1 h, and at most `max_backoff`: checked
    /// when the `Telemetry` is built).
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Sets the longest delay between two attempts (at most 1 h: checked when the `Telemetry`
    /// is built).
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Checks the policy, when the `Telemetry` is built: both delays at most
    /// [`MAX_POLICY_BACKOFF`], and `initial_backoff <= max_backoff`.
    pub(crate) fn validate(&self) -> Result<(), ExportError> {
        let invalid = |reason: String| {
            Err(ExportError::InvalidConfig {
                setting: "retry",
                reason,
            })
        };
        for (name, value) in [
            ("initial_backoff", self.initial_backoff),
            ("max_backoff", self.max_backoff),
        ] {
            if value > MAX_POLICY_BACKOFF {
                return invalid(format!(
                    "{name} is {value:?}; it must be at most {MAX_POLICY_BACKOFF:?}"
                ));
            }
        }
        if self.initial_backoff > self.max_backoff {
            return invalid(format!(
                "initial_backoff ({:?}) must not exceed max_backoff ({:?})",
                self.initial_backoff, self.max_backoff
            ));
        }
        Ok(())
    }

    /// The delay before retry number `retry` (0-based): `initial * 2^retry` capped at
    /// `max_backoff`, then scaled by a random factor in [0.5, 1]. Never panics, whatever the
    /// (public) fields hold: the delay is also capped at [`MAX_POLICY_BACKOFF`].
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let full = self
            .initial_backoff
            .saturating_mul(1u32 << retry.min(20))
            .min(self.max_backoff.max(self.initial_backoff))
            .min(MAX_POLICY_BACKOFF);
        let jitter = (random() % 1001) as f64 / 1000.0;
        full.mul_f64(0.5 + 0.5 * jitter)
    }
}

/// The longest `initial_backoff` or `max_backoff` a policy may have: longer would outlast any
/// sensible export timeout, and is refused when the `Telemetry` is built.
pub(crate) const MAX_POLICY_BACKOFF: Duration = Duration::from_secs(3600);

/// The longest wait a server's `Retry-After` can impose, as opentelemetry-otlp caps it; the export
/// deadline may cut it shorter.
pub(crate) const MAX_SERVER_DELAY: Duration = Duration::from_secs(30);

/// `at + d`, saturating far in the future instead of overflowing (`Instant + Duration` panics).
pub(crate) fn instant_after(at: Instant, d: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    at.checked_add(d)
        .or_else(|| at.checked_add(FAR))
        .unwrap_or(at)
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
            .max(server_delay.unwrap_or_default().min(MAX_SERVER_DELAY));
        // A retry that could not start before the deadline is not worth waiting for; nor is one
        // earlier than the collector asked for.
        let wake = instant_after(Instant::now(), delay);
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
/// The delay a `Retry-After` header asks for: delay-seconds or an HTTP date (RFC 9110 §10.2.3),
/// at most [`MAX_SERVER_DELAY`]. Unparsable values are ignored, as the header is advisory.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    // Digits only (no sign): longer than u64 is just "very long".
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds).min(MAX_SERVER_DELAY));
    }
    if value.len() > 64 {
        return None;
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(now)
            .unwrap_or_default()
            .min(MAX_SERVER_DELAY),
    )
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
        // What a server asks for is capped, however large.
        let max = Some(MAX_SERVER_DELAY);
        assert_eq!(parse_retry_after("18446744073709551615", now), max);
        assert_eq!(parse_retry_after("99999999999999999999999999", now), max);
        assert_eq!(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), max);
    }

    #[test]
    fn policies_are_validated_and_never_panic() {
        let huge = RetryPolicy::default().with_max_backoff(Duration::MAX);
        let max_initial = RetryPolicy::default()
            .with_initial_backoff(Duration::MAX)
            .with_max_backoff(Duration::MAX);
        let inverted = RetryPolicy::default().with_initial_backoff(Duration::from_secs(5));
        for policy in [huge, max_initial, inverted] {
            let error = policy.validate().unwrap_err().to_string();
            assert!(error.contains("retry"), "{error}");
            for retry in [0, 1, 31, u32::MAX] {
                assert!(policy.backoff(retry) <= MAX_POLICY_BACKOFF);
            }
        }
        assert_eq!(RetryPolicy::default().validate(), Ok(()));
        assert_eq!(RetryPolicy::disabled().validate(), Ok(()));
        let now = Instant::now();
        assert!(instant_after(now, Duration::MAX) > now);
    }

    #[cfg(feature = "otlp")]
    fn retry_after_values() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        // Dates from 1970 to 9999 (what `HttpDate` can format), in the three HTTP forms.
        let date = (0u64..253_402_300_800, 0u32..4).prop_map(|(secs, form)| {
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
            let text = httpdate::HttpDate::from(at).to_string();
            match form {
                0 => text,
                1 => text.replace(" GMT", " UTC"),
                2 => text.to_lowercase(),
                _ => format!(" {text} "),
            }
        });
        // Dates out of range, far past and far future, and impossible days and times.
        let odd_date = (any::<i64>(), 0u32..40, 0u32..100)
            .prop_map(|(year, day, hour)| format!("Sun, {day:02} Nov {year} {hour:02}:61:60 GMT"));
        prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|n| n.to_string()),
            (0u32..60, any::<u128>()).prop_map(|(d, n)| format!("{n}{}", "9".repeat(d as usize))),
            date,
            odd_date,
            any::<String>(),
            "[0-9 .eE+-]{0,40}",
        ]
    }

    #[cfg(feature = "otlp")]
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn any_retry_after_gives_a_bounded_delay(value in retry_after_values()) {
            let now = SystemTime::now();
            if let Some(delay) = parse_retry_after(&value, now) {
                proptest::prop_assert!(delay <= MAX_SERVER_DELAY, "{value:?}: {delay:?}");
            }
        }
    }

    #[cfg(feature = "otlp")]
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// The whole loop, with a server asking for any delay: it ends by the deadline.
        #[test]
        fn any_retry_after_ends_by_the_deadline(value in retry_after_values()) {
            let budget = Duration::from_millis(30);
            let start = Instant::now();
            let deadline = start + budget;
            let delay = parse_retry_after(&value, SystemTime::now());
            let policy = RetryPolicy::default().with_initial_backoff(Duration::from_millis(1));
            let _ = run(&policy, || deadline, |_| false, |_| Some(delay), || {});
            let waited = start.elapsed();
            proptest::prop_assert!(waited < budget + SLEEP_SLICE, "{value:?}: {waited:?}");
        }
    }

    /// The figure for BENCHMARKS.md: the longest wait any `Retry-After` can cause.
    #[cfg(feature = "otlp")]
    #[test]
    fn the_longest_server_delay_is_capped() {
        let now = SystemTime::now();
        let worst = [
            "18446744073709551615",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "-1",
            "1.5",
        ]
        .iter()
        .filter_map(|v| parse_retry_after(v, now))
        .max()
        .unwrap();
        println!("retry-after: longest wait any header can ask for: {worst:?}");
        assert_eq!(worst, MAX_SERVER_DELAY);
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
