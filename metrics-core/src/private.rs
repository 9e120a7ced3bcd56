//! Everything generated code names, behind one path (`::agent_metrics::__private`), so that a
//! crate using the derive needs no other dependency and no prelude. Not a public API.

pub use core::cmp::PartialEq;
pub use core::convert::From;
pub use core::fmt;
pub use core::option::Option::{self, None, Some};
pub use core::primitive::{bool, str, u8, usize};
pub use std::vec::Vec;

pub use opentelemetry;
pub use opentelemetry::metrics::{Counter, Gauge, Histogram, Meter, UpDownCounter};
pub use opentelemetry::{Key, KeyValue, Value};

pub use crate::attributes::{
    AttrBuf, AttributeSet, AttributeValue, AttributeView, BoolAsStr, non_empty,
};
pub use crate::bound::{BoundCounter, BoundGauge, BoundHistogram, BoundUpDownCounter};
pub use crate::compact::{Compact, CompactDebug, Key as MapKey};
pub use crate::instrument::{Instrument, InstrumentDescriptor, InstrumentKind, Source};
pub use crate::job::{JOB_KEY_COUNT, JobAttributes, with_job};
pub use crate::metric::AgentMetric;
pub use crate::plan::{
    Slot, is_sorted_unique, key_count, merge_plan, merged_keys, run_side, source_order,
};
pub use crate::value::{
    CounterNumber, GaugeNumber, HistogramNumber, MetricValue, Number, UpDownCounterNumber, unit_of,
};

/// The value type a field records.
pub const fn value_type<T: MetricValue + ?core::marker::Sized>() -> crate::instrument::ValueType {
    <T::Number as Number>::VALUE_TYPE
}

/// The value to record: `None` for an absent `Option`, for the `skip_zero` / `skip_negative`
/// guards, and for an invalid value (see [`crate::invalid`]), which is counted instead.
#[inline(always)]
pub fn measure<T: MetricValue + ?core::marker::Sized>(
    value: &T,
    instrument: &Instrument,
    skip_zero: bool,
    skip_negative: bool,
) -> Option<T::Number> {
    let v = value.number()?;
    if skip_zero && v == <T::Number as Number>::ZERO {
        return None;
    }
    if skip_negative && v < <T::Number as Number>::ZERO {
        return None;
    }
    match <T::Number as Number>::check(v, instrument) {
        None => Some(v),
        Some(reason) => {
            crate::invalid::dropped(instrument.name, reason);
            None
        }
    }
}

/// Builds a counter for a field of type `T`.
pub fn counter<T: MetricValue + ?core::marker::Sized>(
    meter: &Meter,
    i: &Instrument,
) -> Counter<T::Number>
where
    T::Number: CounterNumber,
{
    <T::Number as CounterNumber>::build_counter(meter, i)
}

/// Builds an up-down counter for a field of type `T`.
pub fn up_down_counter<T: MetricValue + ?core::marker::Sized>(
    meter: &Meter,
    i: &Instrument,
) -> UpDownCounter<T::Number>
where
    T::Number: UpDownCounterNumber,
{
    <T::Number as UpDownCounterNumber>::build_up_down_counter(meter, i)
}

/// Builds a histogram for a field of type `T`.
pub fn histogram<T: MetricValue + ?core::marker::Sized>(
    meter: &Meter,
    i: &Instrument,
) -> Histogram<T::Number>
where
    T::Number: HistogramNumber,
{
    <T::Number as HistogramNumber>::build_histogram(meter, i)
}

/// Builds a gauge for a field of type `T`.
pub fn gauge<T: MetricValue + ?core::marker::Sized>(
    meter: &Meter,
    i: &Instrument,
) -> Gauge<T::Number>
where
    T::Number: GaugeNumber,
{
    <T::Number as GaugeNumber>::build_gauge(meter, i)
}

pub use crate::compact::ValueDebug;
pub use core::default::Default;
pub use core::ops::FnMut;

/// Whether `value` equals its type's default: the Debug rule for `#[metric(default)]`.
#[inline]
pub fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// A nested field's descriptor as its parent records it (see `AgentMetric::visit_instruments`).
pub fn through_parent(
    mut d: InstrumentDescriptor,
    parent: &'static str,
    via: &'static str,
    inherited: &'static [&'static str],
) -> InstrumentDescriptor {
    if d.attributes.is_empty() {
        d.attributes = inherited;
    }
    if d.source.via.is_empty() {
        d.source = Source {
            type_name: parent,
            via,
            field: d.source.field,
        };
    }
    d
}
