//! The four instrument kinds, in one table: the attribute key that names each, how messages call
//! it, and the runtime items its code is generated with. Parsing, messages and expansion all read
//! this table, so adding a kind is one row here (and its items in `__private`).

use crate::symbol::{COUNTER, GAUGE, HISTOGRAM, Symbol, UP_DOWN_COUNTER};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter,
    Histogram,
    Gauge,
    UpDownCounter,
}

pub(crate) struct KindSpec {
    pub kind: Kind,
    /// The key on a field (`counter = ..`); also the `Instrument` constructor and, as
    /// `build_<keyword>`, the builder method.
    pub keyword: Symbol,
    /// As messages name it, with its article.
    pub noun: &'static str,
    /// The `InstrumentKind` variant.
    pub variant: &'static str,
    /// The handle type (`__p::Counter<N>`) and the bound one.
    pub handle: &'static str,
    pub bound: &'static str,
    /// The trait of the numbers this kind takes, which builds the handle.
    pub number_trait: &'static str,
    /// The recording method of the handle.
    pub record: &'static str,
}

/// In the order messages list them.
pub(crate) const KINDS: [KindSpec; 4] = [
    KindSpec {
        kind: Kind::Counter,
        keyword: COUNTER,
        noun: "a counter",
        variant: "Counter",
        handle: "Counter",
        bound: "BoundCounter",
        number_trait: "CounterNumber",
        record: "add",
    },
    KindSpec {
        kind: Kind::Histogram,
        keyword: HISTOGRAM,
        noun: "a histogram",
        variant: "Histogram",
        handle: "Histogram",
        bound: "BoundHistogram",
        number_trait: "HistogramNumber",
        record: "record",
    },
    KindSpec {
        kind: Kind::Gauge,
        keyword: GAUGE,
        noun: "a gauge",
        variant: "Gauge",
        handle: "Gauge",
        bound: "BoundGauge",
        number_trait: "GaugeNumber",
        record: "record",
    },
    KindSpec {
        kind: Kind::UpDownCounter,
        keyword: UP_DOWN_COUNTER,
        noun: "an up-down counter",
        variant: "UpDownCounter",
        handle: "UpDownCounter",
        bound: "BoundUpDownCounter",
        number_trait: "UpDownCounterNumber",
        record: "add",
    },
];

impl Kind {
    pub(crate) fn spec(self) -> &'static KindSpec {
        KINDS
            .iter()
            .find(|s| s.kind == self)
            .expect("every kind is in the table")
    }

    /// The kind a field key names, if it names one.
    pub(crate) fn from_path(path: &syn::Path) -> Option<Kind> {
        KINDS.iter().find(|s| path == s.keyword).map(|s| s.kind)
    }
}

/// "`counter = ..`, `histogram = ..`, `gauge = ..` or `up_down_counter = ..`", for messages.
pub(crate) fn alternatives() -> String {
    let keys: Vec<String> = KINDS
        .iter()
        .map(|s| format!("`{} = ..`", s.keyword))
        .collect();
    let (last, rest) = keys.split_last().expect("four kinds");
    format!("{} or {last}", rest.join(", "))
}
