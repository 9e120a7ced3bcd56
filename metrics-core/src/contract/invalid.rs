//! What happens to a value that cannot be a measurement.
//!
//! Policy, the same for every instrument:
//! - NaN and ±infinity are dropped: one would poison a histogram's sum and a counter's total
//!   for good;
//! - a value whose magnitude exceeds [`MAX_VALUE`] (10¹², a trillion tokens or 31,700 years) is
//!   dropped as absurd: it would swamp every real value of its series and can overflow a u64 sum;
//! - a negative value is dropped from a counter (counters only grow) and from a histogram in
//!   seconds (a negative duration is a clock error); up-down counters and gauges take negatives.
//!
//! A dropped value is never silent: it is counted per instrument and reason, readable with
//! [`dropped_counts`] and exported as the counter `agent_metrics.dropped_values` (attributes
//! `instrument` and `reason`) by every [`Telemetry`](crate::Telemetry) (or wherever
//! [`register`] is called), and the first drop of each instrument and reason logs a `tracing`
//! warning. Recording never panics.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};

use opentelemetry::KeyValue;
use opentelemetry::metrics::Meter;

/// The largest magnitude recorded: beyond it a value is dropped as absurd.
pub const MAX_VALUE: f64 = 1e12;

/// Why a value was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// Not a number.
    NaN,
    /// Positive or negative infinity.
    Infinite,
    /// Below zero where values cannot be.
    Negative,
    /// Larger than [`MAX_VALUE`].
    TooLarge,
}

impl Reason {
    /// The `reason` attribute: `nan`, `infinite`, `negative`, `too_large`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::NaN => "nan",
            Reason::Infinite => "infinite",
            Reason::Negative => "negative",
            Reason::TooLarge => "too_large",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type Counts = BTreeMap<(&'static str, Reason), u64>;

fn counts() -> &'static Mutex<Counts> {
    static COUNTS: OnceLock<Mutex<Counts>> = OnceLock::new();
    COUNTS.get_or_init(Mutex::default)
}

/// Counts one dropped value. Only invalid values come here, so the lock is off the fast path.
pub(crate) fn dropped(instrument: &'static str, reason: Reason) {
    let mut counts = counts().lock().unwrap_or_else(|e| e.into_inner());
    let count = counts.entry((instrument, reason)).or_insert(0);
    *count += 1;
    if *count == 1 {
        tracing::warn!(
            instrument,
            %reason,
            "dropped an invalid metric value; later drops of this kind are only counted in agent_metrics.dropped_values"
        );
    }
}

/// Values dropped since the process started, per instrument and reason.
pub fn dropped_counts() -> BTreeMap<(&'static str, Reason), u64> {
    counts().lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Registers `agent_metrics.dropped_values` on `meter`: the counts above, read at each
/// collection. Call it once per meter provider ([`Telemetry`](crate::Telemetry) does).
pub fn register(meter: &Meter) {
    let _counter = meter
        .u64_observable_counter("agent_metrics.dropped_values")
        .with_unit("{value}")
        .with_description("Metric values dropped as invalid (NaN, infinite, negative or too large)")
        .with_callback(|observer| {
            for ((instrument, reason), count) in dropped_counts() {
                observer.observe(
                    count,
                    &[
                        KeyValue::new("instrument", instrument),
                        KeyValue::new("reason", reason.as_str()),
                    ],
                );
            }
        })
        .build();
}
