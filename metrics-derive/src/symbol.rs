//! Every attribute keyword the derives accept, named once.

use std::fmt;

use syn::Path;

#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Symbol(pub &'static str);

pub const METRIC: Symbol = Symbol("metric");
pub const ATTR: Symbol = Symbol("attr");

pub const COUNTER: Symbol = Symbol("counter");
pub const UP_DOWN_COUNTER: Symbol = Symbol("up_down_counter");
pub const HISTOGRAM: Symbol = Symbol("histogram");
pub const GAUGE: Symbol = Symbol("gauge");
pub const UNIT: Symbol = Symbol("unit");
pub const DESCRIPTION: Symbol = Symbol("description");
pub const BUCKETS: Symbol = Symbol("buckets");
pub const SKIP_ZERO: Symbol = Symbol("skip_zero");
pub const SKIP_NEGATIVE: Symbol = Symbol("skip_negative");
pub const ATTRIBUTES: Symbol = Symbol("attributes");
pub const DEFAULT: Symbol = Symbol("default");
pub const NESTED: Symbol = Symbol("nested");
pub const CARDINALITY_LIMIT: Symbol = Symbol("cardinality_limit");
pub const CRATE: Symbol = Symbol("crate");
pub const NO_DEBUG: Symbol = Symbol("no_debug");

pub const KEY: Symbol = Symbol("key");
pub const AS_STR: Symbol = Symbol("as_str");
pub const SKIP_EMPTY: Symbol = Symbol("skip_empty");
pub const VALUE: Symbol = Symbol("value");

/// The keys of `#[metric(..)]` on the struct.
pub const STRUCT_KEYS: &[Symbol] = &[ATTRIBUTES, CRATE, NO_DEBUG];
/// The keys of `#[metric(..)]` on a field besides the instrument kinds (see `kind::KINDS`).
pub const MEASURE_KEYS: &[Symbol] = &[
    UNIT,
    DESCRIPTION,
    BUCKETS,
    SKIP_ZERO,
    SKIP_NEGATIVE,
    ATTRIBUTES,
    DEFAULT,
    NESTED,
    CARDINALITY_LIMIT,
];
/// The keys of `#[attr(..)]` on a field.
pub const ATTR_KEYS: &[Symbol] = &[KEY, AS_STR, SKIP_EMPTY];

/// Every key `#[metric(..)]` takes on a field, kinds first.
pub fn field_keys() -> impl Iterator<Item = Symbol> {
    crate::kind::KINDS
        .iter()
        .map(|k| k.keyword)
        .chain(MEASURE_KEYS.iter().copied())
}

/// `a, b, c`, for messages.
pub fn list(keys: impl IntoIterator<Item = Symbol>) -> String {
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
