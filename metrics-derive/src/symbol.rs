//! Every attribute keyword the derives accept, named once.

use std::fmt;

use syn::Path;

#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Symbol(pub &'static str);

pub(crate) const METRIC: Symbol = Symbol("metric");
pub(crate) const ATTR: Symbol = Symbol("attr");

pub(crate) const COUNTER: Symbol = Symbol("counter");
pub(crate) const UP_DOWN_COUNTER: Symbol = Symbol("up_down_counter");
pub(crate) const HISTOGRAM: Symbol = Symbol("histogram");
pub(crate) const GAUGE: Symbol = Symbol("gauge");
pub(crate) const UNIT: Symbol = Symbol("unit");
pub(crate) const DESCRIPTION: Symbol = Symbol("description");
pub(crate) const BUCKETS: Symbol = Symbol("buckets");
pub(crate) const BUCKETS_MS: Symbol = Symbol("buckets_ms");
pub(crate) const LONG_DURATIONS: Symbol = Symbol("long_durations");
pub(crate) const SKIP_ZERO: Symbol = Symbol("skip_zero");
pub(crate) const SKIP_NEGATIVE: Symbol = Symbol("skip_negative");
pub(crate) const ATTRIBUTES: Symbol = Symbol("attributes");
pub(crate) const DEFAULT: Symbol = Symbol("default");
pub(crate) const NESTED: Symbol = Symbol("nested");
pub(crate) const CARDINALITY_LIMIT: Symbol = Symbol("cardinality_limit");
pub(crate) const CRATE: Symbol = Symbol("crate");
pub(crate) const NO_DEBUG: Symbol = Symbol("no_debug");

pub(crate) const KEY: Symbol = Symbol("key");
pub(crate) const AS_STR: Symbol = Symbol("as_str");
pub(crate) const SKIP_EMPTY: Symbol = Symbol("skip_empty");
pub(crate) const VALUE: Symbol = Symbol("value");

/// The keys of `#[metric(..)]` on the struct.
pub(crate) const STRUCT_KEYS: &[Symbol] = &[ATTRIBUTES, CRATE, NO_DEBUG];
/// The keys of `#[metric(..)]` on a field besides the instrument kinds (see `kind::KINDS`).
pub(crate) const MEASURE_KEYS: &[Symbol] = &[
    UNIT,
    DESCRIPTION,
    BUCKETS,
    BUCKETS_MS,
    LONG_DURATIONS,
    SKIP_ZERO,
    SKIP_NEGATIVE,
    ATTRIBUTES,
    DEFAULT,
    NESTED,
    CARDINALITY_LIMIT,
];
/// The keys of `#[attr(..)]` on a field.
pub(crate) const ATTR_KEYS: &[Symbol] = &[KEY, AS_STR, SKIP_EMPTY];

/// `a, b, c`, for messages.
pub(crate) fn list(keys: impl IntoIterator<Item = Symbol>) -> String {
    keys.into_iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl PartialEq<Symbol> for &Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
