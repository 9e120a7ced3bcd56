//! What identifies an attribute set in the cache: the attributes the event's sources write,
//! read without taking a reference count. A shared string (`Arc<str>`, such as a model name)
//! is borrowed from the event, where building the attribute list would clone it and drop the
//! clone again (two atomic operations each, a third of a cached record's time); the other
//! values (static strings, numbers, bools) cost no atomic operation and are held as values.
//!
//! A key is not in the attributes' sorted order: each source writes its words in turn, which is
//! one fixed order per family of measurements, all a lookup needs.

use std::sync::Arc;

use arrayvec::ArrayVec;
use opentelemetry::{Key, KeyValue, StringValue, Value};

/// One attribute value of a key.
#[derive(Clone, Debug, PartialEq)]
pub enum Word<'a> {
    /// A shared string of the event: compared by address first, cloned only for a new entry.
    Shared(&'a Arc<str>),
    /// Any other value.
    Value(Value),
}

impl Word<'_> {
    fn into_value(self) -> Value {
        match self {
            Word::Shared(s) => Value::String(StringValue::from(Arc::clone(s))),
            Word::Value(v) => v,
        }
    }
}

/// One attribute of a key: its name and its [`Word`].
#[derive(Clone, Debug, PartialEq)]
pub struct KeyWord<'a> {
    /// The attribute's key.
    pub key: Key,
    /// Its value.
    pub word: Word<'a>,
}

/// A key on the stack, with room for `N` attributes (what the sources can write).
pub struct KeyBuf<'a, const N: usize> {
    words: ArrayVec<KeyWord<'a>, N>,
}

impl<'a, const N: usize> KeyBuf<'a, N> {
    /// An empty key.
    #[inline]
    pub fn new() -> Self {
        KeyBuf {
            words: ArrayVec::new(),
        }
    }

    /// Appends a word; beyond the declared keys (a hand-written set writing more), dropped.
    #[inline]
    pub fn push(&mut self, key: Key, word: Word<'a>) {
        let _ = self.words.try_push(KeyWord { key, word });
    }

    /// Appends attributes as values (what sets without a borrowing writer give).
    #[inline]
    pub fn extend_values(&mut self, attributes: impl IntoIterator<Item = KeyValue>) {
        for kv in attributes {
            self.push(kv.key, Word::Value(kv.value));
        }
    }

    /// The words written so far.
    #[inline]
    pub fn as_slice(&self) -> &[KeyWord<'a>] {
        &self.words
    }
}

impl<const N: usize> Default for KeyBuf<'_, N> {
    fn default() -> Self {
        Self::new()
    }
}

/// The owned form an entry keeps.
pub(super) fn to_owned(key: &[KeyWord<'_>]) -> Box<[KeyValue]> {
    key.iter()
        .map(|w| KeyValue::new(w.key.clone(), w.word.clone().into_value()))
        .collect()
}

/// Whether an entry's key equals a probe's, checking first whether strings are the very same
/// (a static key, a shared value): only different copies are compared byte by byte.
#[inline]
pub(super) fn same(stored: &[KeyValue], probe: &[KeyWord<'_>]) -> bool {
    stored.len() == probe.len()
        && stored.iter().zip(probe).all(|(s, p)| {
            same_str(s.key.as_str(), p.key.as_str())
                && match (&s.value, &p.word) {
                    (Value::String(a), Word::Shared(b)) => same_str(a.as_str(), b),
                    (Value::String(a), Word::Value(Value::String(b))) => {
                        same_str(a.as_str(), b.as_str())
                    }
                    (Value::Bool(a), Word::Value(Value::Bool(b))) => a == b,
                    (Value::I64(a), Word::Value(Value::I64(b))) => a == b,
                    (Value::F64(a), Word::Value(Value::F64(b))) => a.to_bits() == b.to_bits(),
                    (a, Word::Value(b)) => a == b,
                    _ => false,
                }
        })
}

/// A fast hash of a key (FxHash's multiply-rotate over the values' bytes): only to pick a
/// slot; the entry's key is compared in full.
#[inline]
pub(super) fn hash(seed: u64, key: &[KeyWord<'_>]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = seed.wrapping_mul(K);
    let mut mix = |word: u64| h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    // Keys are the same few static names for a family: the values alone pick the slot.
    for kw in key {
        match &kw.word {
            Word::Shared(s) => mix(edges(s.as_bytes())),
            Word::Value(Value::String(s)) => mix(edges(s.as_str().as_bytes())),
            Word::Value(Value::Bool(b)) => mix(u64::from(*b)),
            Word::Value(Value::I64(i)) => mix(*i as u64),
            Word::Value(Value::F64(f)) => mix(f.to_bits()),
            // Arrays hash by length only; equality still compares them in full.
            Word::Value(_) => mix(u64::MAX),
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
