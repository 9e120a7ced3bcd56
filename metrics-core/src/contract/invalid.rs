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
//! `instrument` and `reason`) by a [`Telemetry`](crate::Telemetry) (or wherever [`register`] is
//! called): each drop once, by one pipeline however many exist (the newest). The first drop of each
//! instrument and reason logs a `tracing` warning. Recording never panics.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, OnceLock};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Meter};

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
    /// Contradicts another value of the same event: a part of a turn's latency larger than the
    /// whole turn (see [`turn`](crate::turn)).
    Inconsistent,
}

impl Reason {
    /// The `reason` attribute: `nan`, `infinite`, `negative`, `too_large`, `inconsistent`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::NaN => "nan",
            Reason::Infinite => "infinite",
            Reason::Negative => "negative",
            Reason::TooLarge => "too_large",
            Reason::Inconsistent => "inconsistent",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type Counts = BTreeMap<(&'static str, Reason), u64>;

/// Drops since the process started; the pipelines that report them, newest last; the drops that
/// came while none was registered.
#[derive(Default)]
struct Ledger {
    total: Counts,
    counters: Vec<(u64, Counter<u64>)>,
    unreported: Counts,
    next_id: u64,
}

fn lock() -> MutexGuard<'static, Ledger> {
    static LEDGER: OnceLock<Mutex<Ledger>> = OnceLock::new();
    LEDGER
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn report(counter: &Counter<u64>, instrument: &'static str, reason: Reason, count: u64) {
    counter.add(
        count,
        &[
            KeyValue::new("instrument", instrument),
            KeyValue::new("reason", reason.as_str()),
        ],
    );
}

/// Counts one dropped value, and reports it through the newest registered pipeline. Only
/// invalid values come here, so the lock is off the fast path; it is released before the
/// counter and the log run (a subscriber may record, and so come back here).
pub(crate) fn dropped(instrument: &'static str, reason: Reason) {
    let (first, counter) = {
        let mut ledger = lock();
        let count = ledger.total.entry((instrument, reason)).or_insert(0);
        *count += 1;
        let first = *count == 1;
        let counter = ledger.counters.last().map(|(_, counter)| counter.clone());
        if counter.is_none() {
            *ledger.unreported.entry((instrument, reason)).or_insert(0) += 1;
        }
        (first, counter)
    };
    if let Some(counter) = counter {
        report(&counter, instrument, reason, 1);
    }
    if first {
        tracing::warn!(
            instrument,
            %reason,
            "dropped an invalid metric value; later drops of this kind are only counted in agent_metrics.dropped_values"
        );
    }
}

/// Reports again drops whose report was lost with a failed export (delta temporality).
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
pub(crate) fn report_again(instrument: &str, reason: &str, count: u64) {
    let (key, counter) = {
        let mut ledger = lock();
        let Some(key) = ledger
            .total
            .keys()
            .find(|(i, r)| *i == instrument && r.as_str() == reason)
            .copied()
        else {
            return;
        };
        let counter = ledger.counters.last().map(|(_, counter)| counter.clone());
        if counter.is_none() {
            *ledger.unreported.entry(key).or_insert(0) += count;
        }
        (key, counter)
    };
    if let Some(counter) = counter {
        report(&counter, key.0, key.1, count);
    }
}

/// Values dropped since the process started, per instrument and reason.
pub fn dropped_counts() -> BTreeMap<(&'static str, Reason), u64> {
    lock().total.clone()
}

/// Reports `agent_metrics.dropped_values` on `meter` from now on, for good (use it on a provider
/// that lives as long as the process). Each drop is reported once in the process, by the newest
/// registered pipeline, so that several pipelines never report the same drop; drops that come
/// while no pipeline is registered are reported by the next one. A
/// [`Telemetry`](crate::Telemetry) registers its pipeline by itself, until it is shut down or
/// dropped.
pub fn register(meter: &Meter) {
    std::mem::forget(register_scoped(meter));
}

/// A registered pipeline: it reports the drops until it is dropped. A plain counter, so nothing
/// (no callback) is left in the provider after it, and registering the same provider again
/// continues the same series.
pub(crate) struct Registration {
    id: u64,
}

/// [`register`], until the returned registration is dropped.
pub(crate) fn register_scoped(meter: &Meter) -> Registration {
    let definition = super::self_metrics::DROPPED_VALUES;
    let counter = meter
        .u64_counter(definition.name)
        .with_unit(definition.unit)
        .with_description(definition.description)
        .build();
    let (id, backlog) = {
        let mut ledger = lock();
        let id = ledger.next_id;
        ledger.next_id += 1;
        ledger.counters.push((id, counter.clone()));
        (id, std::mem::take(&mut ledger.unreported))
    };
    for ((instrument, reason), count) in backlog {
        report(&counter, instrument, reason, count);
    }
    Registration { id }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let removed = {
            let mut ledger = lock();
            let at = ledger.counters.iter().position(|(id, _)| *id == self.id);
            at.map(|at| ledger.counters.remove(at))
        };
        // The counter (SDK code) is released outside the lock.
        drop(removed);
    }
}
