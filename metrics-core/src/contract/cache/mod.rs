//! The attribute-set cache behind the default `record`: each distinct attribute set (the
//! event's attributes and the current job) is resolved once per thread, and every later record
//! with the same values writes into that set's accumulators instead of handing the SDK an
//! attribute list to hash and look up.
//!
//! - A record finds its entry in a small per-thread table (`local`): first the entry these
//!   handles last hit, its key compared with the event's attribute values as they are read;
//!   else a stack key of those values (`key`: shared strings borrowed, not cloned), a fast hash
//!   and one comparison. No lock, no reference count and no shared write, so threads never
//!   contend on an entry. One entry holds every cached measurement of the event (all its
//!   families of attributes), so a record makes one lookup however many families it has.
//! - Integer counters add to a running total of the entry that only its thread writes.
//!   Histogram values and f64 sums go straight into the SDK's series bound to the entry's
//!   attributes (through the SDK's bound instrument when the `bound` feature is on, the
//!   default), until another thread makes an entry for the same attributes: from then on each
//!   of those entries puts its values in a ring, and the threads take turns replaying their
//!   rings into the SDK a batch at a time, so that two threads on one series do not contend for
//!   the SDK's lock at every value. Gauges record straight away with the entry's attributes.
//! - Every collection of every reader first runs a callback that drains all entries into the
//!   SDK instruments, so each value lands in exactly one collection interval, and the SDK's
//!   cardinality limit and overflow series apply to what is drained, as they did to what was
//!   recorded.
//! - The cache is bounded: at most [`MAX_ENTRIES`] entries per set of handles and 256 per
//!   thread. A record that finds no room takes the direct path, and is counted
//!   ([`stats`]). An entry a thread drops (replaced, its job over, or the thread ended) is
//!   drained and freed by the next collection, or at once when the cache is full, so that many
//!   short jobs between two collections do not fill it with entries nobody writes.
//! - An entry no record used between two collections is stale: its thread drops it at its
//!   next record (of any event), and the collection after frees it, and with it its SDK
//!   bindings, so that under delta temporality the SDK evicts its idle series as it evicts any
//!   other. A thread that never records again keeps its stale entries (bound, so not evicted,
//!   and exported by no collection since they get no value) until it ends.
//!
//! # What a hit costs
//!
//! Reading the current job's id (a thread-local); borrowing the thread's table (held in the
//! thread-local itself) and taking the entry in the slot where these handles last hit: a
//! thread records the same models again and again, so this is usually the hit. If its handles
//! and job match, the event's words are compared with the entry's key as the generated code
//! writes them (`key::KeyCheck`): per attribute value, its kind, bits, text address and length
//! against the stored word's, with no key built and no hash. Otherwise the words are written
//! into a stack key (a pointer and length for a string, the bits of a number, and a shape bit),
//! hashed (two loads per string, whatever its length), and the entries from its home slot
//! compared, their hash first. Then per measurement one add to a word only this thread writes
//! (an integer counter: a load and a store, no locked instruction), or one value into the SDK's
//! bound series (a histogram or an f64 sum: the SDK's own cost, which the bound path pays too),
//! or, for a series two threads record, one ring slot, the ring replayed into the SDK's bound
//! instrument a batch at a time (`cell::REPLAY_AT`). No allocation, no reference count, no
//! locked instruction but the SDK's own.
//!
//! # Why a hit is correct
//!
//! An entry is found only under the same handles, the same job and an equal key; the key holds
//! every value of every attribute source the cached measurements name (each source once;
//! constants, the same for every record, left out), and its shape says which of each source's
//! keys were written, in the one order the generated code writes them. So equal keys mean equal
//! attribute sets: the entry's cells were built, on the miss, with the attributes the direct
//! path records with (the same code writes them), and a hit records with exactly those. Strings
//! are equal when they are the same bytes: the entry holds its shared strings alive, so an equal
//! address and length is the same string, and any other address is compared byte by byte.
//! The check of the last hit's entry is the same comparison made as the words come: each word
//! as a built key's would be compared, then the count of words and the shape.

mod cell;
mod key;
mod local;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use opentelemetry::metrics::{Meter, ObservableGauge};

pub use cell::{Cell, IntoCell};
pub use key::{KeyBuf, KeyCheck, KeyWriter, Word};

/// The most entries one set of handles keeps (all threads together).
pub const MAX_ENTRIES: usize = 512;

/// The name of the observable instrument whose callback drains the cache at each collection.
/// It never reports a value, so it is never exported.
pub const DRAIN_INSTRUMENT: &str = "agent_metrics.cache.drain";

static NEXT_CACHE: AtomicU64 = AtomicU64::new(1);
/// Counts collections that marked idle entries stale: a thread whose table has seen an older
/// count drops its stale entries before its next lookup by hash (`local`).
static EPOCH: AtomicU64 = AtomicU64::new(0);
static DIRECT_RECORDS: AtomicU64 = AtomicU64::new(0);
static ENTRIES: AtomicUsize = AtomicUsize::new(0);

/// How the cache is doing, for the whole process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheStats {
    /// Entries alive now.
    pub entries: usize,
    /// Records that found the cache full and took the direct path.
    pub direct_records: u64,
    /// The former name of `direct_records`.
    #[deprecated(since = "0.2.0", note = "renamed `direct_records`")]
    pub fallbacks: u64,
}

/// The cache's counters (see [`CacheStats`]).
pub fn stats() -> CacheStats {
    let direct_records = DIRECT_RECORDS.load(Ordering::Relaxed);
    #[allow(deprecated)]
    CacheStats {
        entries: ENTRIES.load(Ordering::Relaxed),
        direct_records,
        fallbacks: direct_records,
    }
}

/// One cached attribute set of an event's measurements, on one thread.
pub(crate) struct Entry {
    front: u64,
    job: u64,
    hash: u64,
    /// The words of the attributes the event wrote (without the job's), compared on lookup.
    key: key::Stored,
    cells: Box<[Cell]>,
    /// Set by each record through the entry, cleared by each collection: still clear at the
    /// next one, the entry was idle for a whole interval.
    used: AtomicBool,
    /// Idle for a whole interval: its thread drops it (and its SDK bindings with it) instead of
    /// recording through it again, so that the SDK can evict its series.
    stale: AtomicBool,
    /// Set by the owning thread when it will write no more.
    retired: AtomicBool,
    /// The registry's count of retired entries not yet removed.
    retired_in_registry: Arc<AtomicUsize>,
}

impl Entry {
    fn retire(&self) {
        if !self.retired.swap(true, Ordering::Release) {
            self.retired_in_registry.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn drain(&self) {
        self.cells.iter().for_each(Cell::drain);
    }

    /// Whether this entry is one for (`front`, `job`, `hash`, `key`) that its thread still uses.
    fn is_for(&self, probe: &local::Probe<'_>, hash: u64) -> bool {
        self.hash == hash
            && !self.retired.load(Ordering::Relaxed)
            && self.front == probe.front
            && self.job == probe.job
            && self.key.is(&probe.key)
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        ENTRIES.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Every entry of one set of handles, for the collection callback.
struct Registry {
    entries: Mutex<Vec<Arc<Entry>>>,
    /// `entries.len()`, readable without the lock, to refuse a new entry cheaply when full.
    len: AtomicUsize,
    /// Entries retired by their threads and still held here: room a full registry can make
    /// without waiting for the next collection.
    retired: Arc<AtomicUsize>,
}

impl Registry {
    /// Drains every entry into the SDK (at each collection), and frees the retired ones.
    fn drain(&self) {
        self.sweep(true);
    }

    /// Drains and frees the retired entries only: a registry filled by entries of finished jobs
    /// (or replaced ones) between two collections makes room at once instead of sending every
    /// new attribute set down the direct path until the next collection. Their values land in
    /// the current interval, as the next collection would have put them.
    fn prune(&self) {
        if self.retired.load(Ordering::Relaxed) > 0 {
            self.sweep(false);
        }
    }

    fn sweep(&self, all: bool) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let mut freed = 0;
        entries.retain(|entry| {
            // Read before draining: a retired entry's last writes happened before the flag.
            let retired = entry.retired.load(Ordering::Acquire);
            if all || retired {
                entry.drain();
            }
            if all && !entry.used.swap(false, Ordering::Relaxed) {
                entry.stale.store(true, Ordering::Relaxed);
            }
            freed += usize::from(retired);
            !retired
        });
        self.retired.fetch_sub(freed, Ordering::Relaxed);
        self.len.store(entries.len(), Ordering::Relaxed);
        if all {
            // After the flags: a thread that sees the new count sees them.
            EPOCH.fetch_add(1, Ordering::Release);
        }
    }
}

/// The cache of one set of handles: a field of every generated `Handles`. Built with the
/// handles, on the same meter, whose collections drain it.
pub struct AttributeCache {
    id: u64,
    registry: Arc<Registry>,
    _drain: ObservableGauge<u64>,
}

/// The former name of [`AttributeCache`].
#[deprecated(since = "0.2.0", note = "renamed `AttributeCache`")]
pub type Front = AttributeCache;

impl std::fmt::Debug for AttributeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttributeCache")
            .field("entries", &self.registry.len.load(Ordering::Relaxed))
            .finish()
    }
}

impl AttributeCache {
    /// An empty cache whose entries `meter`'s collections drain.
    pub fn new(meter: &Meter) -> Self {
        let registry = Arc::new(Registry {
            entries: Mutex::new(Vec::new()),
            len: AtomicUsize::new(0),
            retired: Arc::new(AtomicUsize::new(0)),
        });
        // The callback holds the registry weakly: handles dropped, it does nothing.
        let weak: Weak<Registry> = Arc::downgrade(&registry);
        let drain = meter
            .u64_observable_gauge(DRAIN_INSTRUMENT)
            .with_description("Drains the agent-metrics attribute cache; reports nothing")
            .with_callback(move |_| {
                if let Some(registry) = weak.upgrade() {
                    registry.drain();
                }
            })
            .build();
        AttributeCache {
            id: NEXT_CACHE.fetch_add(1, Ordering::Relaxed),
            registry,
            _drain: drain,
        }
    }

    /// What identifies `key`'s entry under `job`: `None` for a key its words cannot tell
    /// apart (wider than its buffer), which takes the direct path.
    #[inline(always)]
    fn probe<'a, const N: usize>(
        &self,
        job: u64,
        key: &'a KeyBuf<'_, N>,
    ) -> Option<local::Probe<'a>> {
        let key = key.view();
        (!key.wide).then_some(local::Probe {
            front: self.id,
            job,
            key,
        })
    }

    /// Records through the entry these handles last hit on this thread, when it is under `job`
    /// and `words` writes its key: runs `put` on its cells and returns `true`. `false`
    /// otherwise: the caller then builds the key and looks it up with [`record`](Self::record).
    #[inline]
    pub fn record_recent(
        &self,
        job: u64,
        words: impl FnOnce(&mut KeyCheck<'_>),
        put: impl FnOnce(&[Cell]),
    ) -> bool {
        local::with_recent(
            self.id,
            job,
            |entry| {
                let mut check = KeyCheck::new(&entry.key);
                words(&mut check);
                check.matched()
            },
            |entry| put(&entry.cells),
        )
    }

    /// Records through this thread's entry for (`job`, `key`), found by the key's hash: runs
    /// `put` on its cells and returns `true`, or returns `false` when there is no such entry
    /// yet.
    #[inline]
    pub fn record<const N: usize>(
        &self,
        job: u64,
        key: &KeyBuf<'_, N>,
        put: impl FnOnce(&[Cell]),
    ) -> bool {
        self.probe(job, key)
            .is_some_and(|probe| local::with_entry(&probe, |entry| put(&entry.cells)))
    }

    /// Whether a new entry may be made under `job`: `false` (and counted) when this front is
    /// full, so that the caller records through the direct path without building cells. A full
    /// front first frees the entries their threads retired, then this thread's entries of other
    /// jobs (finished jobs, most likely), so that many short jobs between two collections keep
    /// the cache working.
    #[inline]
    pub fn has_room(&self, job: u64) -> bool {
        let full = || self.registry.len.load(Ordering::Relaxed) >= MAX_ENTRIES;
        if full() {
            self.registry.prune();
        }
        if full() {
            local::retire_other_jobs(self.id, job);
            self.registry.prune();
        }
        if full() {
            DIRECT_RECORDS.fetch_add(1, Ordering::Relaxed);
            false
        } else {
            true
        }
    }

    /// Makes this thread's entry for (`job`, `key`) with `cells`, for the next records with
    /// these attributes. Nothing when there is no room (counted).
    pub fn insert<const N: usize>(&self, job: u64, key: &KeyBuf<'_, N>, cells: Vec<Cell>) {
        let Some(probe) = self.probe(job, key) else {
            // Not told apart by its words: every record of it takes the direct path.
            return;
        };
        let entry = {
            let mut entries = self
                .registry
                .entries
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if entries.len() >= MAX_ENTRIES {
                drop(entries);
                DIRECT_RECORDS.fetch_add(1, Ordering::Relaxed);
                return;
            }
            ENTRIES.fetch_add(1, Ordering::Relaxed);
            let hash = probe.hash();
            // Another thread's entry for the same attributes: both record through their rings
            // from now on, rather than contending for the SDK's series at every value.
            let twins: Vec<&Arc<Entry>> =
                entries.iter().filter(|e| e.is_for(&probe, hash)).collect();
            if !twins.is_empty() {
                for (i, cell) in cells.iter().enumerate() {
                    cell.share(twins.iter().map(|twin| &twin.cells[i]));
                }
            }
            let entry = Arc::new(Entry {
                front: self.id,
                job,
                hash,
                key: probe.key.to_stored(),
                cells: cells.into_boxed_slice(),
                used: AtomicBool::new(true),
                stale: AtomicBool::new(false),
                retired: AtomicBool::new(false),
                retired_in_registry: Arc::clone(&self.registry.retired),
            });
            entries.push(Arc::clone(&entry));
            self.registry.len.store(entries.len(), Ordering::Relaxed);
            entry
        };
        if !local::insert(Arc::clone(&entry)) {
            // No table on this thread (it is ending, or re-entered): the entry goes unused.
            entry.retire();
        }
    }
}

impl Drop for AttributeCache {
    fn drop(&mut self) {
        // The handles are gone, so no more writes: hand everything left to the SDK now.
        self.registry.drain();
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::KeyValue;

    use super::*;
    use crate::capture::Capture;

    /// Per entry, whether its series goes through its ring.
    fn shared(cache: &AttributeCache) -> Vec<bool> {
        let entries = cache.registry.entries.lock().unwrap();
        entries.iter().map(|e| e.cells[0].is_shared()).collect()
    }

    /// A thread alone on an attribute set records straight into the SDK; once a second thread
    /// makes an entry for the same attributes, both go through their rings. An entry of other
    /// attributes stays direct.
    #[test]
    fn a_second_thread_on_one_attribute_set_turns_both_entries_to_rings() {
        let capture = Capture::delta();
        let histogram = capture.meter().f64_histogram("test.latency").build();
        let cache = AttributeCache::new(capture.meter());
        let insert = |model: &str| {
            let text: Arc<str> = Arc::from(model);
            let mut key = KeyBuf::<1>::new();
            key.push(0, Word::Shared(&text));
            key.end_source(1);
            let cell = histogram.cell(&[KeyValue::new("model", text.clone())], true);
            cache.insert(0, &key, vec![cell]);
            histogram.put(
                0.5,
                &cache.registry.entries.lock().unwrap().last().unwrap().cells[0],
            );
        };
        insert("sonic-2");
        assert_eq!(shared(&cache), [false]);
        std::thread::scope(|s| {
            s.spawn(|| insert("sonic-3"));
        });
        assert_eq!(shared(&cache), [false, false]);
        std::thread::scope(|s| {
            s.spawn(|| insert("sonic-2"));
        });
        assert_eq!(shared(&cache), [true, false, true]);
        // Every value reached the SDK once, straight or through a ring.
        assert_eq!(cell::tests::replayed(&capture), 3);
    }
}
