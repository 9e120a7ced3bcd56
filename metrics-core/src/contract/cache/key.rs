//! What identifies an attribute set in the cache: the values the event's sources write, and
//! which of their keys were written (the key's *shape*), read without taking a reference count
//! or copying a string.
//!
//! - An event's generated `record` always writes its sources in one order, each source's keys by
//!   their index in its `KEYS`: so which keys were written, as one bit per (source, index), says
//!   which key every value belongs to. The key names are never compared (comparing them was a
//!   byte loop, as a static name's address differs between the places it is inlined).
//! - A shared string (`Arc<str>`, such as a model name) is borrowed from the event, where
//!   building the attribute list clones it and drops the clone again (two atomic operations
//!   each). Every word is compared first as four integers (kind, bits, text address and length):
//!   equal, it is the same string (the entry holds it alive) or the same number, with no branch
//!   on the kind; only a string at another address is then compared byte by byte. Anything else
//!   (a hand-written set's arrays) is compared as a value.
//! - The probe side is `Copy`, so a record drops nothing.
//!
//! The words need only tell attribute sets apart: the attributes themselves are written once,
//! when the entry is made, by the same code as the direct path.

use std::sync::Arc;

use arrayvec::ArrayVec;
use opentelemetry::Value;

/// The hash's multiplier (FxHash's).
const HASH_K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// One attribute value written into a key.
#[derive(Clone, Debug, PartialEq)]
pub enum Word<'a> {
    /// A shared string of the event: compared by address first, cloned only for a new entry.
    Shared(&'a Arc<str>),
    /// A static string: compared by address first.
    Static(&'static str),
    /// Any other value.
    Value(Value),
}

/// A word as a key holds it: a copy, never a value to drop. A string is its text (a shared
/// string's bytes stay where the event keeps them), a number its bits.
#[derive(Clone, Copy)]
pub(super) struct Slot<'a> {
    kind: Kind,
    text: &'a str,
    /// A number's bits; for `Kind::Owned`, the index of the value in the key's owned values.
    bits: u64,
    /// Where `text` lives, for a new entry to keep.
    owner: Text<'a>,
}

#[derive(Clone, Copy)]
enum Text<'a> {
    None,
    Shared(&'a Arc<str>),
    Static(&'static str),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Bool,
    I64,
    F64,
    Owned,
}

impl<'a> Slot<'a> {
    #[inline(always)]
    fn text(text: &'a str, owner: Text<'a>) -> Self {
        Slot {
            kind: Kind::Str,
            text,
            bits: 0,
            owner,
        }
    }

    #[inline(always)]
    fn bits(kind: Kind, bits: u64) -> Self {
        Slot {
            kind,
            text: "",
            bits,
            owner: Text::None,
        }
    }
}

/// A key on the stack, with room for `N` words (what the sources can write).
pub struct KeyBuf<'a, const N: usize> {
    /// Bit `base + index` set for each word: which keys were written.
    shape: u64,
    /// Bits taken by the sources written so far.
    base: u32,
    /// A source wrote past its keys or past 64 bits: this key cannot be cached.
    wide: bool,
    slots: ArrayVec<Slot<'a>, N>,
    /// Values that are neither strings nor numbers (rare: a hand-written set's arrays).
    owned: ArrayVec<Value, N>,
}

impl<'a, const N: usize> KeyBuf<'a, N> {
    /// An empty key.
    #[inline]
    pub fn new() -> Self {
        KeyBuf {
            shape: 0,
            base: 0,
            wide: false,
            slots: ArrayVec::new(),
            owned: ArrayVec::new(),
        }
    }

    #[cold]
    fn push_owned(&mut self, value: Value) {
        let at = self.owned.len() as u64;
        self.owned.push(value);
        self.slots.push(Slot::bits(Kind::Owned, at));
    }

    /// The key as the cache reads it.
    #[inline(always)]
    pub(crate) fn view(&self) -> KeyRef<'_> {
        KeyRef {
            shape: self.shape,
            wide: self.wide,
            slots: &self.slots,
            owned: &self.owned,
        }
    }
}

impl<const N: usize> Default for KeyBuf<'_, N> {
    fn default() -> Self {
        Self::new()
    }
}

/// Where the generated code writes an event's words: a key being built ([`KeyBuf`]), or the
/// key of the entry a thread last hit, compared as the words come ([`KeyCheck`]). The same
/// code writes both, so a hit on the entry of the last hit builds no key.
pub trait KeyWriter<'a> {
    /// Writes the word of the current source's key `index` (its index in the source's `KEYS`).
    fn push(&mut self, index: usize, word: Word<'a>);

    /// Ends a source that can write `keys` keys: the next source's indices start after them.
    fn end_source(&mut self, keys: usize);

    /// Marks the key as one the cache does not keep (its words cannot tell its attribute sets
    /// apart): the record takes the direct path.
    fn uncacheable(&mut self);
}

impl<'a, const N: usize> KeyWriter<'a> for KeyBuf<'a, N> {
    #[inline(always)]
    fn push(&mut self, index: usize, word: Word<'a>) {
        let bit = self.base as usize + index;
        if bit >= 64 || self.slots.is_full() {
            self.wide = true;
            return;
        }
        self.shape |= 1 << bit;
        let slot = match word {
            Word::Shared(s) => Slot::text(s, Text::Shared(s)),
            Word::Static(s) => Slot::text(s, Text::Static(s)),
            Word::Value(v) => {
                let slot = match number(&v) {
                    Some((kind, bits)) => Slot::bits(kind, bits),
                    None => return self.push_owned(v),
                };
                // A number owns nothing: skip the out-of-line drop of a `Value` (1-2% of a
                // cached `TTSMetrics` record, whose `connection_reused` is a bool).
                std::mem::forget(v);
                slot
            }
        };
        self.slots.push(slot);
    }

    #[inline(always)]
    fn end_source(&mut self, keys: usize) {
        self.base = self.base.saturating_add(keys as u32);
    }

    fn uncacheable(&mut self) {
        self.wide = true;
    }
}

/// A number's kind and bits; `None` for a value that is no number.
#[inline(always)]
fn number(value: &Value) -> Option<(Kind, u64)> {
    match *value {
        Value::Bool(b) => Some((Kind::Bool, u64::from(b))),
        Value::I64(i) => Some((Kind::I64, i as u64)),
        Value::F64(f) => Some((Kind::F64, f.to_bits())),
        _ => None,
    }
}

/// An entry's key compared with the words an event writes, as they are written: equal when
/// the event writes the same keys (shape) and the same words, in the same order. Nothing is
/// copied and no hash is computed: this is how a record finds the entry it last hit.
pub struct KeyCheck<'e> {
    stored: &'e Stored,
    /// The next stored word to compare.
    at: usize,
    shape: u64,
    base: u32,
    same: bool,
}

impl<'e> KeyCheck<'e> {
    pub(super) fn new(stored: &'e Stored) -> Self {
        KeyCheck {
            stored,
            at: 0,
            shape: 0,
            base: 0,
            same: true,
        }
    }

    /// Whether the words written are the entry's key.
    #[inline(always)]
    pub(super) fn matched(&self) -> bool {
        self.same && self.at == self.stored.words.len() && self.shape == self.stored.shape
    }
}

impl<'a> KeyWriter<'a> for KeyCheck<'_> {
    #[inline(always)]
    fn push(&mut self, index: usize, word: Word<'a>) {
        let bit = self.base as usize + index;
        // A key past 64 bits is wide, and no entry has a wide key.
        let Some(stored) = self.stored.words.get(self.at).filter(|_| bit < 64) else {
            self.same = false;
            return;
        };
        self.shape |= 1 << bit;
        self.at += 1;
        self.same &= stored.is_word(word);
    }

    #[inline(always)]
    fn end_source(&mut self, keys: usize) {
        self.base = self.base.saturating_add(keys as u32);
    }

    fn uncacheable(&mut self) {
        // No entry holds such a key.
        self.same = false;
    }
}

/// A key, borrowed from its [`KeyBuf`].
#[derive(Clone, Copy)]
pub(crate) struct KeyRef<'a> {
    pub(super) shape: u64,
    pub(super) wide: bool,
    slots: &'a [Slot<'a>],
    owned: &'a [Value],
}

/// The owned form an entry keeps.
pub(super) struct Stored {
    shape: u64,
    words: Box<[StoredWord]>,
}

/// A word of an entry: what a probe's [`Slot`] is compared with first (the kind, the bits, the
/// text's address and length: equal means the same word), and what keeps the text alive and
/// is compared when they differ.
struct StoredWord {
    kind: Kind,
    bits: u64,
    addr: usize,
    len: usize,
    owner: Owner,
}

enum Owner {
    None,
    Shared(Arc<str>),
    Static(&'static str),
    Value(Value),
}

impl KeyRef<'_> {
    pub(super) fn to_stored(self) -> Stored {
        let words = self
            .slots
            .iter()
            .map(|slot| StoredWord {
                kind: slot.kind,
                bits: slot.bits,
                // No text is at address 0: an owned value never passes the first comparison.
                addr: if slot.kind == Kind::Owned {
                    0
                } else {
                    slot.text.as_ptr() as usize
                },
                len: slot.text.len(),
                owner: match slot.owner {
                    Text::Shared(shared) => Owner::Shared(Arc::clone(shared)),
                    Text::Static(text) => Owner::Static(text),
                    Text::None if slot.kind == Kind::Owned => {
                        Owner::Value(self.owned[slot.bits as usize].clone())
                    }
                    Text::None => Owner::None,
                },
            })
            .collect();
        Stored {
            shape: self.shape,
            words,
        }
    }

    /// A fast hash of the shape and the values: only to pick a slot; the entry's key is
    /// compared in full. Computed only when the slot of the last hit did not match (see
    /// `local::with_entry`). Each word is multiplied on its own and folded in with a rotate and
    /// a xor, so the multiplications run side by side instead of one after another (FxHash
    /// chains them: a multiply's latency per word, the hash's whole cost on a long key); one
    /// multiply at the end mixes the total.
    #[inline(always)]
    pub(super) fn hash(&self, seed: u64) -> u64 {
        let mut h = (seed ^ self.shape).wrapping_mul(HASH_K);
        let mut mix = |word: u64| h = h.rotate_left(5) ^ word.wrapping_mul(HASH_K);
        for slot in self.slots {
            match slot.kind {
                Kind::Str => mix(edges(slot.text.as_bytes())),
                Kind::Owned => match &self.owned[slot.bits as usize] {
                    Value::String(s) => mix(edges(s.as_str().as_bytes())),
                    // Arrays hash alike; equality still compares them in full.
                    _ => mix(u64::MAX),
                },
                _ => mix(slot.bits),
            }
        }
        // The low bits pick the slot: fold the high ones in.
        let h = (h ^ (h >> 29)).wrapping_mul(HASH_K);
        h ^ (h >> 32)
    }
}

impl Stored {
    /// Whether this is `key`: the same keys written (shape), then the same words. Equal kind,
    /// bits, text address and length are the same word (one shared string, or the same static
    /// text); only a string at another address is compared byte by byte.
    #[inline(always)]
    pub(super) fn is(&self, key: &KeyRef<'_>) -> bool {
        if self.shape != key.shape || self.words.len() != key.slots.len() {
            return false;
        }
        for (stored, slot) in self.words.iter().zip(key.slots) {
            let same = (stored.kind == slot.kind)
                & (stored.bits == slot.bits)
                & (stored.addr == slot.text.as_ptr() as usize)
                & (stored.len == slot.text.len());
            if !same && !stored.same_slow(slot, key.owned) {
                return false;
            }
        }
        true
    }
}

impl StoredWord {
    /// Whether this is `word`, as [`Stored::is`] compares a slot: by kind, bits, text address
    /// and length, and only a string at another address byte by byte.
    #[inline(always)]
    fn is_word(&self, word: Word<'_>) -> bool {
        let text = |text: &str| {
            self.kind == Kind::Str
                && ((self.addr == text.as_ptr() as usize) & (self.len == text.len())
                    || self.same_text(text))
        };
        match word {
            Word::Shared(s) => text(s),
            Word::Static(s) => text(s),
            Word::Value(v) => match number(&v) {
                Some((kind, bits)) => {
                    std::mem::forget(v);
                    self.kind == kind && self.bits == bits
                }
                None => matches!(&self.owner, Owner::Value(a) if *a == v),
            },
        }
    }

    #[cold]
    fn same_text(&self, text: &str) -> bool {
        match &self.owner {
            Owner::Shared(a) => **a == *text,
            Owner::Static(a) => *a == text,
            _ => false,
        }
    }

    #[cold]
    fn same_slow(&self, slot: &Slot<'_>, owned: &[Value]) -> bool {
        match (&self.owner, slot.kind) {
            (_, Kind::Str) => self.same_text(slot.text),
            (Owner::Value(a), Kind::Owned) => *a == owned[slot.bits as usize],
            _ => false,
        }
    }
}

/// The length and the first and last eight bytes of `bytes` (overlapping when shorter), in one
/// word: enough to spread model names over the slots, at a fixed cost whatever their length.
#[inline(always)]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A key written by `ops`: `Some(word)` at an index, or `(keys, None)` to end a source.
    fn key<'a>(ops: Vec<(usize, Option<Word<'a>>)>) -> KeyBuf<'a, 4> {
        let mut key = KeyBuf::new();
        for (n, word) in ops {
            match word {
                Some(word) => key.push(n, word),
                None => key.end_source(n),
            }
        }
        key
    }

    /// Two sources: the same value under another key, or from the other source, is another
    /// key; the same values from other allocations are the same key.
    #[test]
    fn the_shape_tells_keys_apart_and_values_compare_by_content() {
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("gpt-4o"), Arc::from("gpt-4o"));
        let first = key(vec![(0, Some(Word::Shared(&a))), (2, None), (1, None)]);
        let first_hash = first.view().hash(7);
        let first = first.view().to_stored();
        let same = key(vec![(0, Some(Word::Shared(&b))), (2, None), (1, None)]);
        assert!(first.is(&same.view()));
        // Equal keys find the same slot, wherever their strings live.
        assert_eq!(same.view().hash(7), first_hash);
        let other_key = key(vec![(1, Some(Word::Shared(&a))), (2, None), (1, None)]);
        assert!(!first.is(&other_key.view()));
        let other_source = key(vec![(2, None), (0, Some(Word::Shared(&a))), (1, None)]);
        assert!(!first.is(&other_source.view()));
        // A string is a string, shared or static.
        let static_text = key(vec![
            (0, Some(Word::Static("gpt-4o"))),
            (2, None),
            (1, None),
        ]);
        assert!(first.is(&static_text.view()));
        assert_eq!(static_text.view().hash(7), first_hash);
        let other_text = key(vec![(0, Some(Word::Static("gpt-4"))), (2, None), (1, None)]);
        assert!(!first.is(&other_text.view()));
    }

    #[test]
    fn numbers_compare_by_type_and_bits_and_other_values_by_value() {
        let word = |v: Value| key(vec![(0, Some(Word::Value(v)))]);
        let nan = word(Value::F64(f64::NAN));
        assert!(
            nan.view()
                .to_stored()
                .is(&word(Value::F64(f64::NAN)).view())
        );
        let one = word(Value::I64(1)).view().to_stored();
        assert!(!one.is(&word(Value::Bool(true)).view()));
        let text = word(Value::from("x".to_string())).view().to_stored();
        assert!(text.is(&word(Value::from("x")).view()));
        assert!(!text.is(&word(Value::from("y")).view()));
    }

    /// Whether `ops`, written into a check of `stored`, match it.
    fn checks(stored: &Stored, ops: Vec<(usize, Option<Word<'_>>)>) -> bool {
        let mut check = KeyCheck::new(stored);
        for (n, word) in ops {
            match word {
                Some(word) => check.push(n, word),
                None => check.end_source(n),
            }
        }
        check.matched()
    }

    /// The check of an entry's key, made as the words come, agrees with comparing a built key:
    /// same words from other allocations match; another key, source, value, kind, count of
    /// words or shape does not.
    #[test]
    fn a_check_as_the_words_come_agrees_with_a_built_key() {
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("gpt-4o"), Arc::from("gpt-4o"));
        /// The model from the first source, a flag from the second.
        fn two(model: Word<'_>) -> Vec<(usize, Option<Word<'_>>)> {
            let flag = Word::Value(Value::Bool(true));
            vec![(0, Some(model)), (2, None), (1, Some(flag)), (2, None)]
        }
        let stored = key(two(Word::Shared(&a))).view().to_stored();
        let shared = |s| two(Word::Shared(s));
        assert!(checks(&stored, shared(&a)));
        assert!(checks(&stored, shared(&b)));
        assert!(checks(&stored, two(Word::Static("gpt-4o"))));
        assert!(!checks(&stored, two(Word::Static("gpt-4"))));
        assert!(!checks(&stored, two(Word::Value(Value::from("gpt-4o")))));
        // The same values under other keys, or one word fewer or more.
        let moved = vec![
            (1, Some(Word::Shared(&a))),
            (2, None),
            (1, Some(Word::Value(Value::Bool(true)))),
            (2, None),
        ];
        assert!(!checks(&stored, moved));
        assert!(!checks(
            &stored,
            vec![(0, Some(Word::Shared(&a))), (2, None)]
        ));
        let mut longer = shared(&a);
        longer.push((0, Some(Word::Value(Value::I64(1)))));
        assert!(!checks(&stored, longer));
        // A number compares by kind and bits; any other value by value.
        let flag = |v: Value| vec![(0, Some(Word::Value(v)))];
        let one = key(flag(Value::I64(1))).view().to_stored();
        assert!(checks(&one, flag(Value::I64(1))));
        assert!(!checks(&one, flag(Value::Bool(true))));
        assert!(!checks(&one, flag(Value::F64(1.0))));
        let text = key(flag(Value::from("x".to_string()))).view().to_stored();
        assert!(checks(&text, flag(Value::from("x"))));
        assert!(!checks(&text, flag(Value::from("y"))));
        // A key no entry can hold never matches.
        let mut check = KeyCheck::new(&one);
        check.push(0, Word::Value(Value::I64(1)));
        check.uncacheable();
        assert!(!check.matched());
        let mut past = KeyCheck::new(&one);
        past.end_source(64);
        past.push(0, Word::Value(Value::I64(1)));
        assert!(!past.matched());
    }

    /// More words than the buffer holds, or keys past 64 bits, mark the key uncacheable
    /// rather than dropping a word that tells two sets apart.
    #[test]
    fn a_key_past_its_room_is_wide() {
        let mut key = KeyBuf::<1>::new();
        key.push(0, Word::Static("a"));
        key.push(1, Word::Static("b"));
        assert!(key.view().wide);
        let mut key = KeyBuf::<1>::new();
        key.end_source(64);
        key.push(0, Word::Static("a"));
        assert!(key.view().wide);
    }
}
