//! One instrument's accumulator inside a cache entry: what a record writes instead of calling
//! the SDK with attributes, and what a collection drains into the SDK.
//!
//! Each entry belongs to one recording thread, so a record touches only lines that thread owns:
//! - integer sums are a running total only that thread writes (a load and a store, no locked
//!   instruction; a collection takes what it has not yet drained);
//! - histogram values and f64 sums go straight into the SDK's series bound to the entry's
//!   attributes, while no other thread records the same series (its values reach the SDK as
//!   the direct path's would: in recording order, in the interval they were recorded in). Once
//!   another thread makes an entry for the same attributes, both entries go through a small
//!   ring that each thread replays into the SDK when it is full, so that two threads on one
//!   series take the SDK's lock once per ring rather than fighting over it at every value.
//!   Collection drains whatever a ring holds, so a value lands in exactly one collection
//!   interval: the one whose collection starts after it was written.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge, Histogram, UpDownCounter};

use crate::contract::sdk_instrument::SdkInstrument;

/// Histogram values kept per entry before the recording thread replays them into the SDK.
pub(crate) const RING: usize = 32;

/// The accumulator of one instrument in one cached attribute set. Built by generated code on a
/// cache miss, through [`IntoCell::cell`]; written through [`IntoCell::put`].
pub struct Cell {
    kind: Kind,
    /// The full attributes (the job's included) this instrument records with.
    attrs: Box<[KeyValue]>,
}

enum Kind {
    CounterU64(Counter<u64>, Total),
    CounterF64(Series<f64, Counter<f64>>),
    UpDownI64(UpDownCounter<i64>, Total),
    UpDownF64(Series<f64, UpDownCounter<f64>>),
    HistogramU64(Series<u64, Histogram<u64>>),
    HistogramF64(Series<f64, Histogram<f64>>),
    GaugeU64(Gauge<u64>),
    GaugeI64(Gauge<i64>),
    GaugeF64(Gauge<f64>),
}

impl Cell {
    /// Moves what was recorded since the last drain into the SDK. Runs on the collecting thread
    /// (serialized by the registry's lock) or when the entry's owner is gone.
    pub(crate) fn drain(&self) {
        let attrs = &self.attrs[..];
        match &self.kind {
            Kind::CounterU64(c, total) => {
                let v = total.take();
                if v != 0 {
                    c.add(v, attrs);
                }
            }
            Kind::UpDownI64(c, total) => {
                let v = total.take() as i64;
                if v != 0 {
                    c.add(v, attrs);
                }
            }
            Kind::HistogramU64(series) => series.ring.drain(attrs, true),
            Kind::HistogramF64(series) => series.ring.drain(attrs, true),
            Kind::CounterF64(series) => series.ring.drain(attrs, true),
            Kind::UpDownF64(series) => series.ring.drain(attrs, true),
            Kind::GaugeU64(_) | Kind::GaugeI64(_) | Kind::GaugeF64(_) => {}
        }
    }

    /// Another thread records the same series: from now on values go through the ring.
    pub(crate) fn share(&self) {
        if let Some(shared) = self.shared() {
            shared.store(true, Ordering::Relaxed);
        }
    }

    /// The flag of a series written straight into the SDK until shared; `None` for the kinds
    /// that have none.
    pub(crate) fn shared(&self) -> Option<&AtomicBool> {
        match &self.kind {
            Kind::HistogramU64(series) => Some(&series.shared),
            Kind::HistogramF64(series) => Some(&series.shared),
            Kind::CounterF64(series) => Some(&series.shared),
            Kind::UpDownF64(series) => Some(&series.shared),
            _ => None,
        }
    }
}

/// An integer sum with one writer, the entry's thread: it adds with a load and a store (a
/// locked add was 9% of a cached `TTSMetrics` record under `perf`), and never resets the
/// total. A collection (serialized by the registry's lock, or after the owner is gone) takes
/// the difference from what it drained last, so every value lands in exactly one interval, the
/// one whose collection reads the total after it was written. Sums wrap, as the atomic's did.
struct Total {
    written: AtomicU64,
    drained: AtomicU64,
}

impl Total {
    fn new() -> Self {
        Total {
            written: AtomicU64::new(0),
            drained: AtomicU64::new(0),
        }
    }

    /// Only the entry's thread calls this.
    #[inline(always)]
    fn add(&self, value: u64) {
        let written = self.written.load(Ordering::Relaxed);
        self.written
            .store(written.wrapping_add(value), Ordering::Release);
    }

    /// What was added since the previous call.
    fn take(&self) -> u64 {
        let written = self.written.load(Ordering::Acquire);
        written.wrapping_sub(self.drained.swap(written, Ordering::Relaxed))
    }
}

/// A number a histogram ring stores as bits.
trait RingNumber: Copy {
    fn to_bits(self) -> u64;
    fn from_bits(bits: u64) -> Self;
}

impl RingNumber for u64 {
    fn to_bits(self) -> u64 {
        self
    }
    fn from_bits(bits: u64) -> Self {
        bits
    }
}

impl RingNumber for f64 {
    fn to_bits(self) -> u64 {
        f64::to_bits(self)
    }
    fn from_bits(bits: u64) -> Self {
        f64::from_bits(bits)
    }
}

/// One SDK series written by one thread: straight into the SDK's instrument bound to the
/// entry's attributes while the thread is the only one recording these attributes, through
/// `ring` once another thread records them too (`shared`). The binding is made with the first
/// value, so that a series the entry never records is not exported, and lives as long as the
/// entry: the cache drops an entry that saw no value for a whole collection interval, which
/// gives the series back to the SDK to evict under delta temporality.
struct Series<T, I: SdkInstrument<T>> {
    instrument: I,
    bound: OnceLock<I::Bound>,
    shared: AtomicBool,
    ring: Ring<T, I>,
}

impl<T: RingNumber, I: SdkInstrument<T> + Clone> Series<T, I> {
    /// `used`: whether the record that makes the entry has a value for this instrument (then
    /// the series exists in the SDK already, and is bound at once).
    fn new(instrument: &I, attrs: &[KeyValue], used: bool) -> Self {
        let bound = OnceLock::new();
        if used {
            let _ = bound.set(instrument.bind(attrs));
        }
        Series {
            instrument: instrument.clone(),
            bound,
            shared: AtomicBool::new(false),
            ring: Ring::new(instrument),
        }
    }

    #[inline(always)]
    fn push(&self, value: T, attrs: &[KeyValue]) {
        if self.shared.load(Ordering::Relaxed) {
            self.ring.push(value, attrs);
        } else {
            let bound = self.bound.get_or_init(|| self.instrument.bind(attrs));
            I::measure_bound(bound, value);
        }
    }
}

/// Histogram values not yet in the SDK: one writer (the entry's thread) pushes at `head`; a
/// consumer (the writer when the ring is full, or a collection) replays `tail..head` under
/// `replay`'s lock and then moves `tail`. The writer reuses a slot only once `tail` has passed
/// it, so no value is replayed twice or lost.
///
/// `I` is a histogram, or an f64 sum (replayed value by value, so that the SDK adds the floats
/// in recording order and the sum is the one the direct path gives, to the last bit).
struct Ring<T, I: SdkInstrument<T>> {
    head: AtomicU64,
    tail: AtomicU64,
    /// In the ring itself, not behind a pointer: a push loads one address less.
    slots: [AtomicU64; RING],
    replay: Mutex<Replay<T, I>>,
}

/// The consumer side of a ring.
struct Replay<T, I: SdkInstrument<T>> {
    instrument: I,
    /// The instrument bound to the ring's attributes, while the series is in use.
    bound: Option<I::Bound>,
    /// `head` at the previous collection: equal to it now means the series was idle.
    seen: u64,
    _number: std::marker::PhantomData<fn(T)>,
}

impl<T: RingNumber, I: SdkInstrument<T> + Clone> Ring<T, I> {
    fn new(instrument: &I) -> Self {
        Ring {
            head: AtomicU64::new(0),
            tail: AtomicU64::new(0),
            slots: std::array::from_fn(|_| AtomicU64::new(0)),
            replay: Mutex::new(Replay {
                instrument: instrument.clone(),
                bound: None,
                seen: 0,
                _number: std::marker::PhantomData,
            }),
        }
    }

    #[inline(always)]
    fn push(&self, value: T, attrs: &[KeyValue]) {
        let head = self.head.load(Ordering::Relaxed);
        if head.wrapping_sub(self.tail.load(Ordering::Acquire)) >= RING as u64 {
            self.drain(attrs, false);
        }
        self.slots[head as usize % RING].store(value.to_bits(), Ordering::Relaxed);
        self.head.store(head.wrapping_add(1), Ordering::Release);
    }

    /// Replays the ring into the SDK. At a collection, a series that saw no value since the
    /// previous one gives its SDK binding back, so that the SDK can evict it as it evicts any
    /// idle series under delta temporality; it binds again when next used.
    #[cold]
    fn drain(&self, attrs: &[KeyValue], collecting: bool) {
        let mut replay = self
            .replay
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let replay = &mut *replay;
        let head = self.head.load(Ordering::Acquire);
        let tail = self.tail.load(Ordering::Relaxed);
        if head != tail {
            let bound = replay
                .bound
                .get_or_insert_with(|| replay.instrument.bind(attrs));
            let mut at = tail;
            while at != head {
                let value = T::from_bits(self.slots[at as usize % RING].load(Ordering::Relaxed));
                I::measure_bound(bound, value);
                at = at.wrapping_add(1);
            }
            self.tail.store(head, Ordering::Release);
        }
        if collecting {
            if head == replay.seen {
                replay.bound = None;
            }
            replay.seen = head;
        }
    }
}

/// An instrument handle a cache entry can hold: every handle type the derive generates.
pub trait IntoCell {
    /// The number the instrument records.
    type Number: Copy;

    /// The accumulator for this instrument, recording with `attrs`; `used` says whether the
    /// record that makes it has a value for this instrument.
    fn cell(&self, attrs: &[KeyValue], used: bool) -> Cell;

    /// Records `value` into `cell`, which this instrument's [`IntoCell::cell`] made. Generated
    /// code names the handle, so a write checks one kind instead of choosing among all of
    /// them. A cell of another kind cannot be reached (each cell is built from the handle its
    /// measurement records into); such a write is ignored rather than a panic.
    fn put(&self, value: Self::Number, cell: &Cell);
}

macro_rules! into_cell {
    ($(
        $ty:ty, $n:ty => |$i:ident, $a:ident, $u:ident| $kind:expr;
        put |$v:ident, $c:ident| $put:expr;
    )*) => {$(
        impl IntoCell for $ty {
            type Number = $n;

            fn cell(&self, attrs: &[KeyValue], used: bool) -> Cell {
                let ($i, $a, $u) = (self, attrs, used);
                Cell { kind: $kind, attrs: attrs.into() }
            }

            #[inline(always)]
            fn put(&self, $v: $n, $c: &Cell) {
                $put
            }
        }
    )*};
}

into_cell! {
    // A zero creates a counter's series in the SDK at once, as the direct path does.
    Counter<u64>, u64 => |i, _a, _u| Kind::CounterU64(i.clone(), Total::new());
    put |v, cell| if let Kind::CounterU64(c, total) = &cell.kind {
        if v == 0 { c.add(0, &cell.attrs) } else { total.add(v) }
    };
    Counter<f64>, f64 => |i, a, u| Kind::CounterF64(Series::new(i, a, u));
    put |v, cell| if let Kind::CounterF64(series) = &cell.kind { series.push(v, &cell.attrs) };
    UpDownCounter<i64>, i64 => |i, _a, _u| Kind::UpDownI64(i.clone(), Total::new());
    put |v, cell| if let Kind::UpDownI64(c, total) = &cell.kind {
        if v == 0 { c.add(0, &cell.attrs) } else { total.add(v as u64) }
    };
    UpDownCounter<f64>, f64 => |i, a, u| Kind::UpDownF64(Series::new(i, a, u));
    put |v, cell| if let Kind::UpDownF64(series) = &cell.kind { series.push(v, &cell.attrs) };
    Histogram<u64>, u64 => |i, a, u| Kind::HistogramU64(Series::new(i, a, u));
    put |v, cell| if let Kind::HistogramU64(series) = &cell.kind { series.push(v, &cell.attrs) };
    Histogram<f64>, f64 => |i, a, u| Kind::HistogramF64(Series::new(i, a, u));
    put |v, cell| if let Kind::HistogramF64(series) = &cell.kind { series.push(v, &cell.attrs) };
    Gauge<u64>, u64 => |i, _a, _u| Kind::GaugeU64(i.clone());
    put |v, cell| if let Kind::GaugeU64(g) = &cell.kind { g.record(v, &cell.attrs) };
    Gauge<i64>, i64 => |i, _a, _u| Kind::GaugeI64(i.clone());
    put |v, cell| if let Kind::GaugeI64(g) = &cell.kind { g.record(v, &cell.attrs) };
    Gauge<f64>, f64 => |i, _a, _u| Kind::GaugeF64(i.clone());
    put |v, cell| if let Kind::GaugeF64(g) = &cell.kind { g.record(v, &cell.attrs) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Capture;

    /// A series written straight into the SDK, then through its ring once shared (with
    /// collections in between): every value reaches the SDK once, the float sum added in
    /// recording order.
    #[test]
    fn a_series_shared_midway_neither_loses_nor_repeats_a_value() {
        let capture = Capture::cumulative();
        let histogram = capture.meter().f64_histogram("test.series").build();
        let seconds = capture.meter().f64_counter("test.seconds").build();
        let attrs = [KeyValue::new("k", "v")];
        let (series, sum) = (histogram.cell(&attrs, false), seconds.cell(&attrs, false));
        let values: Vec<f64> = (1..=1000).map(|v| v as f64 * 0.1).collect();
        for (i, &v) in values.iter().enumerate() {
            if i == 500 {
                series.share();
                sum.share();
            }
            histogram.put(v, &series);
            seconds.put(v, &sum);
            if i % 300 == 0 {
                series.drain();
                sum.drain();
            }
        }
        series.drain();
        sum.drain();
        let points = capture.collect();
        let h = points
            .iter()
            .find_map(|p| p.value.as_histogram())
            .expect("the histogram is exported");
        assert_eq!(h.count, 1000);
        let sequential = values.iter().fold(0.0, |s, v| s + v);
        assert_eq!(h.sum, sequential);
        let exported = points.iter().find_map(|p| p.value.as_f64());
        assert_eq!(exported, Some(sequential));
    }

    /// A writer pushing through many ring wraps while another thread drains as fast as it can:
    /// every value reaches the SDK exactly once.
    #[test]
    fn racing_drains_neither_lose_nor_repeat_a_value() {
        const VALUES: u64 = 50_000;
        let capture = Capture::delta();
        let histogram = capture.meter().u64_histogram("test.ring").build();
        let counter = capture.meter().u64_counter("test.total").build();
        let attrs = [KeyValue::new("k", "v")];
        // Cumulative, so that its last point is the SDK's own running sum.
        let cumulative = Capture::cumulative();
        let seconds = cumulative.meter().f64_counter("test.seconds").build();
        let (ring, total) = (histogram.cell(&attrs, true), counter.cell(&attrs, true));
        let float = seconds.cell(&attrs, true);
        // As when another thread records the same attributes: values go through the rings.
        ring.share();
        float.share();
        let done = AtomicBool::new(false);
        let mut exported_count = 0;
        let mut exported_sum = 0.0;
        let mut exported_total = 0;
        std::thread::scope(|s| {
            s.spawn(|| {
                for v in 1..=VALUES {
                    histogram.put(v, &ring);
                    counter.put(v, &total);
                    seconds.put(v as f64 * 0.1, &float);
                }
                done.store(true, Ordering::Release);
            });
            loop {
                let finished = done.load(Ordering::Acquire);
                ring.drain();
                total.drain();
                float.drain();
                for p in capture.collect() {
                    if let Some(h) = p.value.as_histogram() {
                        exported_count += h.count;
                        exported_sum += h.sum;
                    } else if let Some(v) = p.value.as_u64() {
                        exported_total += v;
                    }
                }
                if finished {
                    break;
                }
            }
        });
        let exported_float = cumulative.collect()[0].value.as_f64();
        let expected = VALUES * (VALUES + 1) / 2;
        assert_eq!(exported_count, VALUES);
        assert_eq!(exported_sum, expected as f64);
        assert_eq!(exported_total, expected);
        // Added in recording order, as the direct path adds them: equal to the last bit.
        let sequential = (1..=VALUES).fold(0.0, |sum, v| sum + v as f64 * 0.1);
        assert_eq!(exported_float, Some(sequential));
    }
}
