//! One instrument's accumulator inside a cache entry: what a record writes instead of calling
//! the SDK with attributes, and what a collection drains into the SDK.
//!
//! Each entry belongs to one recording thread, so a record touches only lines that thread owns:
//! - integer sums are a running total only that thread writes (a load and a store, no locked
//!   instruction; a collection takes what it has not yet drained);
//! - histogram values and f64 sums go straight into the SDK's series bound to the entry's
//!   attributes, while no other thread records the same series (its values reach the SDK as
//!   the direct path's would: in recording order, in the interval they were recorded in). Once
//!   another thread makes an entry for the same attributes, each of those entries puts its
//!   values in a ring, and the threads take turns replaying their rings into the SDK, a batch
//!   at a time, so that two threads on one series do not fight over the SDK's lock at every
//!   value. Collection drains whatever a ring holds, so a value lands in exactly one collection
//!   interval: the one whose collection starts after it was written.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge, Histogram, UpDownCounter};

use crate::contract::sdk_instrument::SdkInstrument;

/// The most values a ring holds: a full ring is replayed into the SDK at once. 4 KiB per
/// series that two threads record (a series one thread records has no ring); with at most
/// [`super::MAX_ENTRIES`] entries per set of handles, that bounds what rings can hold.
pub(crate) const RING: usize = 512;
/// Values a ring holds before its thread replays them, if no other thread is replaying the
/// same series then; otherwise the thread goes on filling its ring, up to [`RING`]. Larger
/// batches hand the SDK's series (its lock and buckets) from one core to the other less often:
/// `stress` with two threads on one set measured 30 M events/s with one ring of 32 values per
/// thread and no turns, 12 M with batches of 128 and no turns, 44 M with turns.
const REPLAY_AT: u64 = 128;

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
            // A series' ring, if it has one; gauges record at once and have nothing to drain.
            _ => {
                if let Some(series) = self.series() {
                    series.drain(attrs);
                }
            }
        }
    }

    /// Another thread records the same series, through `peers` (the same instrument's cells in
    /// the other threads' entries for these attributes): from now on values go through a ring,
    /// and this cell and its peers take turns replaying theirs into the SDK.
    pub(crate) fn share<'a>(&'a self, peers: impl IntoIterator<Item = &'a Cell> + Clone) {
        let series = || {
            std::iter::once(self)
                .chain(peers.clone())
                .filter_map(Cell::series)
        };
        let turn = series()
            .find_map(SharedSeries::turn)
            .cloned()
            .unwrap_or_default();
        series().for_each(|series| series.share(&turn));
    }

    /// Whether this cell's values go through a ring (`false` for the kinds that have none).
    #[cfg(test)]
    pub(crate) fn is_shared(&self) -> bool {
        self.series().is_some_and(|series| series.turn().is_some())
    }

    fn series(&self) -> Option<&dyn SharedSeries> {
        match &self.kind {
            Kind::HistogramU64(series) => Some(series),
            Kind::HistogramF64(series) => Some(series),
            Kind::CounterF64(series) => Some(series),
            Kind::UpDownF64(series) => Some(series),
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
/// entry's attributes while the thread is the only one recording these attributes, through a
/// ring once another thread records them too. The binding is made with the first value, so
/// that a series the entry never records is not exported, and lives as long as the entry: the
/// cache drops an entry that saw no value for a whole collection interval, which gives the
/// series back to the SDK to evict under delta temporality.
struct Series<T, I: SdkInstrument<T>> {
    instrument: I,
    bound: OnceLock<I::Bound>,
    /// Made when the series is shared; boxed, since most series never are and a ring holds
    /// [`RING`] values.
    ring: OnceLock<Box<Ring<T, I>>>,
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
            ring: OnceLock::new(),
        }
    }

    #[inline(always)]
    fn push(&self, value: T, attrs: &[KeyValue]) {
        if let Some(ring) = self.ring.get() {
            ring.push(value, attrs);
        } else {
            let bound = self.bound.get_or_init(|| self.instrument.bind(attrs));
            I::measure_bound(bound, value);
        }
    }
}

/// A series of any number type, as sharing and collection see it (cold paths, so a `dyn`).
trait SharedSeries {
    /// The replay turn of this series' ring, once it has one.
    fn turn(&self) -> Option<&Arc<Turn>>;
    /// Sends the values from now on through a ring that replays in `turn`.
    fn share(&self, turn: &Arc<Turn>);
    /// Replays what the ring holds (at a collection, or when the entry's owner is gone).
    fn drain(&self, attrs: &[KeyValue]);
}

impl<T: RingNumber, I: SdkInstrument<T> + Clone> SharedSeries for Series<T, I> {
    fn turn(&self) -> Option<&Arc<Turn>> {
        self.ring.get().map(|ring| &ring.turn)
    }

    fn share(&self, turn: &Arc<Turn>) {
        self.ring
            .get_or_init(|| Box::new(Ring::new(&self.instrument, Arc::clone(turn))));
    }

    fn drain(&self, attrs: &[KeyValue]) {
        if let Some(ring) = self.ring.get() {
            ring.drain(attrs, true);
        }
    }
}

/// Set while a thread replays a ring of one series into the SDK: every entry's ring for the
/// same attributes holds the same flag. On a line of its own (the threads read it while they
/// wait for their turn), and so is each ring: with a ring's head on the flag's line, two
/// threads on one series made 25 M events/s in `stress` instead of 44 M.
#[derive(Default)]
#[repr(align(64))]
struct Turn(AtomicBool);

impl Turn {
    /// Takes the turn if no thread holds it. A load first: while another thread replays, the
    /// flag stays in this core's cache instead of moving to it at every try.
    fn take(&self) -> bool {
        !self.0.load(Ordering::Relaxed) && !self.0.swap(true, Ordering::Acquire)
    }

    fn give_back(&self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Values not yet in the SDK: one writer (the entry's thread) pushes at `head`; a consumer
/// (the writer when it replays, or a collection) replays `tail..head` under `replay`'s lock
/// and then moves `tail`. The writer reuses a slot only once `tail` has passed it, so no value
/// is replayed twice or lost.
///
/// `I` is a histogram, or an f64 sum (replayed value by value, so that the SDK adds the floats
/// in recording order and the sum is the one the direct path gives, to the last bit).
#[repr(align(64))]
struct Ring<T, I: SdkInstrument<T>> {
    head: AtomicU64,
    tail: AtomicU64,
    turn: Arc<Turn>,
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
    fn new(instrument: &I, turn: Arc<Turn>) -> Self {
        Ring {
            head: AtomicU64::new(0),
            tail: AtomicU64::new(0),
            turn,
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
        let held = head.wrapping_sub(self.tail.load(Ordering::Acquire));
        if held >= REPLAY_AT {
            self.replay_in_turn(attrs, held);
        }
        self.slots[head as usize % RING].store(value.to_bits(), Ordering::Relaxed);
        self.head.store(head.wrapping_add(1), Ordering::Release);
    }

    /// Replays the ring, holding `held` values, unless another thread is replaying the same
    /// series and the ring has room left: two replays at once would take the SDK's lock in
    /// turns, value by value, its line moving between the cores each time. A full ring is
    /// replayed at once, turn or not.
    #[cold]
    fn replay_in_turn(&self, attrs: &[KeyValue], held: u64) {
        if held >= RING as u64 {
            self.drain(attrs, false);
        } else if self.turn.take() {
            self.drain(attrs, false);
            self.turn.give_back();
        }
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
pub(super) mod tests {
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
                series.share([]);
                sum.share([]);
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
        ring.share([]);
        float.share([]);
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

    /// The values the SDK holds for the histograms `capture` collects (what reached it, straight
    /// or replayed from a ring).
    pub(in crate::contract::cache) fn replayed(capture: &Capture) -> u64 {
        capture
            .collect()
            .iter()
            .filter_map(|p| p.value.as_histogram().map(|h| h.count))
            .sum()
    }

    /// While another thread holds the series' turn, a ring keeps its values up to its size,
    /// then replays them all at once; with the turn free, it replays every `REPLAY_AT` values.
    #[test]
    fn a_ring_waits_for_its_turn_until_it_is_full() {
        let capture = Capture::cumulative();
        let histogram = capture.meter().u64_histogram("test.turn").build();
        let cell = histogram.cell(&[KeyValue::new("k", "v")], false);
        cell.share([]);
        let turn = Arc::clone(cell.series().and_then(SharedSeries::turn).expect("a ring"));
        turn.0.store(true, Ordering::Relaxed);
        for v in 0..RING as u64 {
            histogram.put(v, &cell);
        }
        assert_eq!(
            replayed(&capture),
            0,
            "the turn is taken and the ring has room"
        );
        histogram.put(0, &cell);
        assert_eq!(
            replayed(&capture),
            RING as u64,
            "a full ring replays anyway"
        );
        turn.0.store(false, Ordering::Relaxed);
        for v in 0..=REPLAY_AT {
            histogram.put(v, &cell);
        }
        assert_eq!(replayed(&capture), RING as u64 + REPLAY_AT);
        assert!(!turn.0.load(Ordering::Relaxed), "the turn is given back");
    }

    /// Two threads on one series take turns replaying while a third drains and collects: every
    /// value reaches the SDK exactly once.
    #[test]
    fn two_threads_taking_turns_neither_lose_nor_repeat_a_value() {
        const VALUES: u64 = 100_000;
        let capture = Capture::delta();
        let histogram = capture.meter().u64_histogram("test.turns").build();
        let attrs = [KeyValue::new("k", "v")];
        let cells = [histogram.cell(&attrs, true), histogram.cell(&attrs, true)];
        cells[1].share([&cells[0]]);
        assert!(cells.iter().all(Cell::is_shared));
        let done = AtomicU64::new(0);
        let (mut count, mut sum) = (0, 0.0);
        std::thread::scope(|s| {
            for cell in &cells {
                let (histogram, done) = (&histogram, &done);
                s.spawn(move || {
                    for v in 1..=VALUES {
                        histogram.put(v, cell);
                    }
                    done.fetch_add(1, Ordering::Release);
                });
            }
            loop {
                let finished = done.load(Ordering::Acquire) == 2;
                cells.iter().for_each(Cell::drain);
                for p in capture.collect() {
                    if let Some(h) = p.value.as_histogram() {
                        count += h.count;
                        sum += h.sum;
                    }
                }
                if finished {
                    break;
                }
            }
        });
        assert_eq!(count, 2 * VALUES);
        assert_eq!(sum, (VALUES * (VALUES + 1)) as f64);
    }
}
