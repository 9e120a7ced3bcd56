//! Attribute sets and values, and the stack buffer measurements are recorded with.
//!
//! The SDK finds a series fastest when attributes always arrive in one order, and allocates a
//! sorted copy when they do not. So every measurement writes its attributes in sorted key order:
//! the order of each set's keys is fixed by its derive, and the interleaving of several sources
//! is planned while the constants are evaluated (`crate::contract::plan`), leaving no sorting at run time.

use std::sync::Arc;

use arrayvec::ArrayVec;
use opentelemetry::{KeyValue, StringValue, Value};

use crate::cache::{KeyWriter, Word};

/// A struct whose fields are attributes, such as the model `Metadata` (derive it with
/// `#[derive(Attributes)]`). `Option<T>` is a set too: `None` writes nothing.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an attribute set",
    label = "named as an attribute source, but it is not an attribute set",
    note = "derive `Attributes` on the type, or name a field marked `#[attr]` instead"
)]
pub trait AttributeSet {
    /// Every key the set can write, sorted and unique.
    const KEYS: &'static [&'static str];

    /// Writes the attribute for `KEYS[index]`, if it is present.
    fn push_attribute<const N: usize>(&self, index: usize, buf: &mut AttrBuf<N>);

    /// Writes every present attribute, in key order.
    #[inline]
    fn push_all<const N: usize>(&self, buf: &mut AttrBuf<N>) {
        for index in 0..Self::KEYS.len() {
            self.push_attribute(index, buf);
        }
    }

    /// Writes every present attribute as a word of the attribute cache's key, at its index in
    /// `KEYS`, borrowing shared strings (the derive writes this); by default, the values
    /// `push_attribute` writes.
    #[inline]
    fn push_words<'a, K: KeyWriter<'a>>(&'a self, key: &mut K) {
        for index in 0..Self::KEYS.len() {
            let mut buf = AttrBuf::new();
            self.push_attribute(index, &mut buf);
            push_written(key, index, buf);
        }
    }

    /// All present attributes, in key order. Allocates: for tests and tools, not the record path.
    fn to_attributes(&self) -> Vec<KeyValue> {
        let mut buf = AttrBuf::<64>::new();
        for index in 0..Self::KEYS.len() {
            self.push_attribute(index, &mut buf);
        }
        buf.as_slice().to_vec()
    }
}

#[diagnostic::do_not_recommend]
impl<T: AttributeSet> AttributeSet for Option<T> {
    const KEYS: &'static [&'static str] = T::KEYS;

    #[inline]
    fn push_attribute<const N: usize>(&self, index: usize, buf: &mut AttrBuf<N>) {
        if let Some(set) = self {
            set.push_attribute(index, buf);
        }
    }

    #[inline]
    fn push_all<const N: usize>(&self, buf: &mut AttrBuf<N>) {
        if let Some(set) = self {
            set.push_all(buf);
        }
    }

    #[inline]
    fn push_words<'a, K: KeyWriter<'a>>(&'a self, key: &mut K) {
        if let Some(set) = self {
            set.push_words(key);
        }
    }
}

/// Another way to read a field as attributes: `attributes(metadata as GenAiModel)` writes the
/// keys `GenAiModel` derives from the field, instead of the field's own. The view is a type with
/// no values; it only says how to read `T`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an attribute view of `{T}`",
    label = "named as `field as View`, but it cannot read this field",
    note = "implement `AttributeView<{T}>` for the view type"
)]
pub trait AttributeView<T: ?Sized> {
    /// Every key the view can write, sorted and unique.
    const KEYS: &'static [&'static str];

    /// Writes the attribute for `KEYS[index]` read from `value`, if present.
    fn push_attribute<const N: usize>(value: &T, index: usize, buf: &mut AttrBuf<N>);

    /// Writes every present attribute, in key order.
    #[inline]
    fn push_all<const N: usize>(value: &T, buf: &mut AttrBuf<N>) {
        for index in 0..Self::KEYS.len() {
            Self::push_attribute(value, index, buf);
        }
    }

    /// Writes every present attribute as a word of the attribute cache's key; by default, the
    /// attributes `push_all` writes. A view whose values are costly to compute can write the
    /// words of what it reads instead (the same words must mean the same attributes).
    #[inline]
    fn push_words<'a, K: KeyWriter<'a>>(value: &'a T, key: &mut K) {
        for index in 0..Self::KEYS.len() {
            let mut buf = AttrBuf::new();
            Self::push_attribute(value, index, &mut buf);
            push_written(key, index, buf);
        }
    }
}

/// The words of what `push_attribute` wrote for the key `index`: its value, if any. A second
/// value (a hand-written set writing a key it did not declare) makes the key one the cache
/// does not keep, so that such a record takes the direct path.
#[inline]
fn push_written<'a, K: KeyWriter<'a>>(key: &mut K, index: usize, buf: AttrBuf<2>) {
    if buf.len() > 1 {
        key.uncacheable();
        return;
    }
    for kv in buf.items {
        key.push(index, Word::Value(kv.value));
    }
}

/// A type an attribute's value can come from.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an attribute value",
    label = "not an attribute value type",
    note = "attribute values are Arc<str> (e.g. Name), &'static str, bool, i64, f64, an enum deriving `AttributeValue`, or an Option of these; a String would be copied on every record, so store an Arc<str>"
)]
pub trait AttributeValue {
    /// The value, or `None` to omit the attribute.
    fn attribute_value(&self) -> Option<Value>;

    /// The value, or `None` to omit the attribute, an empty string included
    /// (`#[attr(skip_empty)]`).
    #[inline]
    fn non_empty_value(&self) -> Option<Value> {
        match self.attribute_value() {
            Some(Value::String(s)) if s.as_str().is_empty() => None,
            other => other,
        }
    }

    /// The value as a word of the attribute cache's key (a shared string borrowed, not
    /// cloned), or `None` to omit the attribute.
    #[inline]
    fn attribute_word(&self) -> Option<Word<'_>> {
        self.attribute_value().map(Word::Value)
    }

    /// [`attribute_word`](Self::attribute_word), `None` for an empty string too.
    #[inline]
    fn non_empty_word(&self) -> Option<Word<'_>> {
        self.non_empty_value().map(Word::Value)
    }
}

impl AttributeValue for Arc<str> {
    #[inline]
    fn attribute_value(&self) -> Option<Value> {
        Some(Value::String(StringValue::from(Arc::clone(self))))
    }

    #[inline]
    fn non_empty_value(&self) -> Option<Value> {
        // Checked before the value is built: an empty string costs no reference count.
        (!self.is_empty()).then(|| Value::String(StringValue::from(Arc::clone(self))))
    }

    #[inline]
    fn attribute_word(&self) -> Option<Word<'_>> {
        Some(Word::Shared(self))
    }

    #[inline]
    fn non_empty_word(&self) -> Option<Word<'_>> {
        (!self.is_empty()).then_some(Word::Shared(self))
    }
}

impl AttributeValue for &'static str {
    #[inline]
    fn attribute_value(&self) -> Option<Value> {
        Some(Value::String(StringValue::from(*self)))
    }

    #[inline]
    fn non_empty_value(&self) -> Option<Value> {
        (!self.is_empty()).then(|| Value::String(StringValue::from(*self)))
    }

    #[inline]
    fn attribute_word(&self) -> Option<Word<'_>> {
        Some(Word::Static(self))
    }

    #[inline]
    fn non_empty_word(&self) -> Option<Word<'_>> {
        (!self.is_empty()).then_some(Word::Static(self))
    }
}

impl AttributeValue for bool {
    #[inline]
    fn attribute_value(&self) -> Option<Value> {
        Some(Value::Bool(*self))
    }
}

impl AttributeValue for i64 {
    #[inline]
    fn attribute_value(&self) -> Option<Value> {
        Some(Value::I64(*self))
    }
}

impl AttributeValue for f64 {
    #[inline]
    fn attribute_value(&self) -> Option<Value> {
        Some(Value::F64(*self))
    }
}

impl<T: AttributeValue> AttributeValue for Option<T> {
    #[inline]
    fn attribute_value(&self) -> Option<Value> {
        self.as_ref().and_then(T::attribute_value)
    }

    #[inline]
    fn non_empty_value(&self) -> Option<Value> {
        self.as_ref().and_then(T::non_empty_value)
    }

    #[inline]
    fn attribute_word(&self) -> Option<Word<'_>> {
        self.as_ref().and_then(T::attribute_word)
    }

    #[inline]
    fn non_empty_word(&self) -> Option<Word<'_>> {
        self.as_ref().and_then(T::non_empty_word)
    }
}

/// A bool written as the string `"true"` / `"false"` (`#[attr(as_str)]`), as the Python
/// framework writes `connection_reused`.
#[diagnostic::on_unimplemented(
    message = "`#[attr(as_str)]` needs a bool field, not `{Self}`",
    label = "`as_str` writes a bool as \"true\" / \"false\"",
    note = "remove `as_str`, or make the field a bool"
)]
pub trait BoolAsStr {
    /// `"true"` or `"false"`.
    fn bool_str(&self) -> Option<Value>;

    /// The bool as a word of the attribute cache's key.
    #[inline]
    fn bool_word(&self) -> Option<Word<'static>> {
        self.bool_str().map(Word::Value)
    }
}

impl BoolAsStr for bool {
    #[inline]
    fn bool_str(&self) -> Option<Value> {
        Some(Value::String(StringValue::from(if *self {
            "true"
        } else {
            "false"
        })))
    }

    #[inline]
    fn bool_word(&self) -> Option<Word<'static>> {
        Some(Word::Value(Value::Bool(*self)))
    }
}

impl BoolAsStr for Option<bool> {
    #[inline]
    fn bool_str(&self) -> Option<Value> {
        self.as_ref().and_then(BoolAsStr::bool_str)
    }

    #[inline]
    fn bool_word(&self) -> Option<Word<'static>> {
        self.as_ref().and_then(BoolAsStr::bool_word)
    }
}

/// A fixed-capacity attribute list on the stack: recording never allocates for it.
pub struct AttrBuf<const N: usize> {
    items: ArrayVec<KeyValue, N>,
}

impl<const N: usize> AttrBuf<N> {
    /// An empty buffer.
    #[inline]
    pub fn new() -> Self {
        AttrBuf {
            items: ArrayVec::new(),
        }
    }

    /// Appends an attribute. The derive sizes every buffer for all the keys it can hold, so a
    /// full buffer means a hand-written `AttributeSet` pushed keys it did not declare: the extra
    /// ones are dropped, never a panic on the record path.
    #[inline]
    pub fn push(&mut self, kv: KeyValue) {
        let _ = self.items.try_push(kv);
    }

    /// The attributes written so far.
    #[inline]
    pub fn as_slice(&self) -> &[KeyValue] {
        &self.items
    }

    /// How many attributes were written.
    #[inline]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether none were written.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl<const N: usize> Default for AttrBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}
