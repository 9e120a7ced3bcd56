//! The per-thread table of cache entries. Each thread finds its own entries with no shared
//! write: no lock, no reference count, so two threads on one attribute set never share a line.

use std::cell::RefCell;
use std::sync::Arc;

use opentelemetry::{KeyValue, Value};

use super::Entry;

/// Slots per thread; a power of two.
const SLOTS: usize = 256;
/// How many slots from the home slot a lookup checks.
const PROBE: usize = 8;

/// What identifies a cached attribute set: the handles it belongs to, the family of
/// measurements within them, the current job and the attributes the event wrote.
#[derive(Clone, Copy)]
pub(super) struct Probe<'a> {
    pub front: u64,
    pub family: u32,
    pub job: u64,
    pub hash: u64,
    pub key: &'a [KeyValue],
}

impl Probe<'_> {
    fn matches(&self, entry: &Entry) -> bool {
        entry.hash == self.hash
            && entry.front == self.front
            && entry.family == self.family
            && entry.job == self.job
            && same_attributes(&entry.key, self.key)
    }
}

struct Table {
    slots: Vec<Option<Arc<Entry>>>,
}

impl Drop for Table {
    fn drop(&mut self) {
        // The thread is ending: its entries get no more writes, and the next collection
        // drains and drops them.
        for entry in self.slots.iter().flatten() {
            entry.retire();
        }
    }
}

thread_local! {
    static TABLE: RefCell<Table> = const { RefCell::new(Table { slots: Vec::new() }) };
}

/// Runs `f` on this thread's entry for `probe`, if there is one. `false` when there is none,
/// or when the table cannot be used (re-entered, or the thread is ending).
#[inline]
pub(super) fn with_entry(probe: &Probe<'_>, f: impl FnOnce(&Entry)) -> bool {
    TABLE
        .try_with(|table| {
            let Ok(table) = table.try_borrow() else {
                return false;
            };
            let home = probe.hash as usize;
            for i in 0..PROBE {
                if let Some(Some(entry)) = table.slots.get((home + i) % SLOTS)
                    && probe.matches(entry)
                {
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
            if table.slots.is_empty() {
                table.slots = (0..SLOTS).map(|_| None).collect();
            }
            let home = entry.hash as usize;
            let free = (0..PROBE)
                .map(|i| (home + i) % SLOTS)
                .find(|&s| table.slots[s].is_none());
            let slot = free.unwrap_or(home % SLOTS);
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

/// A fast hash of an attribute list (FxHash's multiply-rotate over the values' bytes): only
/// to pick a slot; the entry's key is compared in full.
pub(super) fn hash(seed: u64, key: &[KeyValue]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = seed.wrapping_mul(K);
    let mut mix = |word: u64| h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    // Keys are the same few static names for a family: the values alone pick the slot.
    for kv in key {
        match &kv.value {
            Value::String(s) => {
                // Length and the first and last eight bytes: enough to spread model names over
                // the slots, at a fixed cost whatever their length.
                mix(edges(s.as_str().as_bytes()));
            }
            Value::Bool(b) => mix(u64::from(*b)),
            Value::I64(i) => mix(*i as u64),
            Value::F64(f) => mix(f.to_bits()),
            // Arrays hash by length only; equality still compares them in full.
            _ => mix(u64::MAX),
        }
    }
    // The low bits pick the slot: fold the high ones in.
    h ^ (h >> 32)
}

/// The length and the first and last eight bytes of `bytes` (overlapping when shorter), in one
/// word: enough to spread model names over the slots, at a fixed cost whatever their length.
#[inline]
fn edges(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let word = |at: usize, width: usize| {
        let mut w = [0u8; 8];
        w[..width].copy_from_slice(&bytes[at..at + width]);
        u64::from_le_bytes(w)
    };
    let mixed = if n >= 8 {
        word(0, 8) ^ word(n - 8, 8).rotate_left(29)
    } else if n >= 4 {
        word(0, 4) ^ (word(n - 4, 4) << 32)
    } else {
        bytes.iter().fold(0, |w, &b| (w << 8) | u64::from(b))
    };
    mixed ^ ((n as u64) << 56)
}

/// Whether two attribute lists are equal, checking first whether the strings are the very
/// same (a static key, a shared value): only different copies are compared byte by byte.
#[inline]
fn same_attributes(a: &[KeyValue], b: &[KeyValue]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            same_str(x.key.as_str(), y.key.as_str())
                && match (&x.value, &y.value) {
                    (Value::String(p), Value::String(q)) => same_str(p.as_str(), q.as_str()),
                    (Value::Bool(p), Value::Bool(q)) => p == q,
                    (Value::I64(p), Value::I64(q)) => p == q,
                    (Value::F64(p), Value::F64(q)) => p.to_bits() == q.to_bits(),
                    (p, q) => p == q,
                }
        })
}

#[inline]
fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    if std::ptr::eq(a.as_ptr(), b.as_ptr()) {
        return true;
    }
    // Keys and values are short, and a static key's address differs between the places it was
    // inlined: compare a word at a time here rather than through a call to memcmp.
    let n = a.len();
    if n < 8 {
        return a == b;
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let mut at = 0;
    while at + 8 <= n {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    // The last, overlapping, word covers the tail.
    word(a, n - 8) == word(b, n - 8)
}
