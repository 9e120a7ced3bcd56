//! The per-thread table of cache entries. Each thread finds its own entries with no shared
//! write: no lock, no reference count, so two threads on one attribute set never share a line.

use std::cell::RefCell;
use std::sync::Arc;

use opentelemetry::{KeyValue, Value};

use super::Entry;

/// Slots per thread; a power of two.
const SLOTS: usize = 64;
/// How many slots from the home slot a lookup checks.
const PROBE: usize = 4;

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
            && entry.key[..] == *self.key
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
                if let Some(Some(entry)) = table.slots.get((home + i) % SLOTS) {
                    if probe.matches(entry) {
                        f(entry);
                        return true;
                    }
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

/// A fast hash of an attribute list (FxHash's multiply-rotate over the values' bytes): only
/// to pick a slot; the entry's key is compared in full.
pub(super) fn hash(seed: u64, key: &[KeyValue]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = seed.wrapping_mul(K);
    let mut mix = |word: u64| h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    for kv in key {
        mix(kv.key.as_str().len() as u64);
        match &kv.value {
            Value::String(s) => {
                let bytes = s.as_str().as_bytes();
                mix(bytes.len() as u64);
                let mut chunks = bytes.chunks_exact(8);
                for chunk in &mut chunks {
                    let mut word = [0u8; 8];
                    word.copy_from_slice(chunk);
                    mix(u64::from_le_bytes(word));
                }
                let mut word = [0u8; 8];
                word[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
                mix(u64::from_le_bytes(word));
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
