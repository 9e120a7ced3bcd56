//! The per-thread table of cache entries. Each thread finds its own entries with no shared
//! write: no lock, no reference count, so two threads on one attribute set never share a line.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use std::sync::atomic::Ordering;

use super::key::KeyRef;
use super::{EPOCH, Entry};

/// Slots per thread; a power of two, and at most 256 (a slot's index is a `u8` in `recent`).
const SLOTS: usize = 256;
const _: () = assert!(SLOTS.is_power_of_two() && SLOTS <= 256);
/// How many slots from the home slot a lookup checks.
const PROBE: usize = 8;
/// Sets of handles whose last hit a table remembers (by the handles' id, modulo); a power of two.
const RECENT: usize = 16;

/// What identifies a cached attribute set: the handles it belongs to, the current job and the
/// attributes the event wrote.
#[derive(Clone, Copy)]
pub(super) struct Probe<'a> {
    pub front: u64,
    pub job: u64,
    pub key: KeyRef<'a>,
}

impl Probe<'_> {
    /// The hash that picks the key's home slot.
    #[inline(always)]
    pub(super) fn hash(&self) -> u64 {
        self.key.hash(self.front ^ self.job)
    }

    #[inline(always)]
    fn matches(&self, entry: &Entry) -> bool {
        entry.front == self.front && entry.job == self.job && entry.key.is(&self.key)
    }
}

struct Table {
    /// In the thread-local itself, not behind a pointer: a lookup loads one address less.
    slots: [Option<Arc<Entry>>; SLOTS],
    /// The slot of the last hit of each set of handles (by id, modulo [`RECENT`]), tried first:
    /// a thread records one attribute set of a type again and again (its models), and then
    /// the event's words are compared with that entry's key as they are written, with no key
    /// built and no hash. Only a hint: the slot's entry is compared in full.
    recent: [Cell<u8>; RECENT],
    /// The collections' count ([`EPOCH`]) when this table last dropped its stale entries.
    epoch: u64,
}

impl Table {
    /// Drops the entries a collection found idle for a whole interval, if a collection marked
    /// any since the last time.
    fn drop_stale(&mut self) {
        let epoch = EPOCH.load(Ordering::Acquire);
        if epoch == self.epoch {
            return;
        }
        self.epoch = epoch;
        for slot in self.slots.iter_mut() {
            if slot
                .as_ref()
                .is_some_and(|e| e.stale.load(Ordering::Relaxed))
                && let Some(old) = slot.take()
            {
                old.retire();
            }
        }
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        // The thread is ending: its entries get no more writes, and the next collection
        // drains and drops them. Each is let go as soon as it is retired: a full registry frees
        // retired entries at once, and an entry still held here after that would be memory
        // beyond the cache's bound, up to a table's worth while the thread ends.
        for entry in self.slots.iter_mut().filter_map(Option::take) {
            entry.retire();
            drop(entry);
        }
    }
}

thread_local! {
    static TABLE: RefCell<Table> = const {
        RefCell::new(Table {
            slots: [const { None }; SLOTS],
            recent: [const { Cell::new(0) }; RECENT],
            epoch: 0,
        })
    };
}

/// Runs `f` on the entry these handles (`front`) last hit on this thread, if it is under `job`
/// and `is_key` says it holds the event's key. `false` otherwise, or when the table cannot be
/// used (re-entered, or the thread is ending).
#[inline]
pub(super) fn with_recent(
    front: u64,
    job: u64,
    is_key: impl FnOnce(&Entry) -> bool,
    f: impl FnOnce(&Entry),
) -> bool {
    TABLE
        .try_with(|table| {
            let Ok(table) = table.try_borrow() else {
                return false;
            };
            // After a collection, the lookup by hash drops the stale entries first.
            if table.epoch != EPOCH.load(Ordering::Relaxed) {
                return false;
            }
            let recent = table.recent[front as usize % RECENT].get();
            match &table.slots[usize::from(recent)] {
                Some(entry) if entry.front == front && entry.job == job && is_key(entry) => {
                    entry.used.store(true, Ordering::Relaxed);
                    f(entry);
                    true
                }
                _ => false,
            }
        })
        .unwrap_or(false)
}

/// Runs `f` on this thread's entry for `probe`, found by its hash, and remembers its slot as
/// the handles' last hit. `false` when there is none, or when the table cannot be used.
#[inline]
pub(super) fn with_entry(probe: &Probe<'_>, f: impl FnOnce(&Entry)) -> bool {
    TABLE
        .try_with(|table| {
            match table.try_borrow_mut() {
                Ok(mut table) => table.drop_stale(),
                Err(_) => return false,
            }
            let Ok(table) = table.try_borrow() else {
                return false;
            };
            let hash = probe.hash();
            for i in 0..PROBE {
                let at = (hash as usize + i) % SLOTS;
                if let Some(entry) = &table.slots[at]
                    && entry.hash == hash
                    && probe.matches(entry)
                {
                    table.recent[probe.front as usize % RECENT].set(at as u8);
                    entry.used.store(true, Ordering::Relaxed);
                    f(entry);
                    return true;
                }
            }
            false
        })
        .unwrap_or(false)
}

/// Puts `entry` in this thread's table: in a free slot of its probe window, else in place of
/// the home slot's entry, which is retired. `false` if the table cannot be used.
pub(super) fn insert(entry: Arc<Entry>) -> bool {
    TABLE
        .try_with(|table| {
            let Ok(mut table) = table.try_borrow_mut() else {
                return false;
            };
            let home = entry.hash as usize;
            let free = (0..PROBE)
                .map(|i| (home + i) % SLOTS)
                .find(|&s| table.slots[s].is_none());
            let slot = free.unwrap_or(home % SLOTS);
            table.recent[entry.front as usize % RECENT].set(slot as u8);
            if let Some(old) = table.slots[slot].replace(entry) {
                old.retire();
            }
            true
        })
        .unwrap_or(false)
}

/// Retires this thread's entries of `front` made under another job than `job`. Called when the
/// cache is full, where they are most likely entries of jobs that are over; an entry of a job
/// still running is made again at its next record.
pub(super) fn retire_other_jobs(front: u64, job: u64) {
    let _ = TABLE.try_with(|table| {
        let Ok(mut table) = table.try_borrow_mut() else {
            return;
        };
        for slot in table.slots.iter_mut() {
            if slot
                .as_ref()
                .is_some_and(|e| e.front == front && e.job != job)
                && let Some(old) = slot.take()
            {
                old.retire();
            }
        }
    });
}
