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

pub use crate::bound::{BoundCounter, BoundGauge, BoundHistogram, BoundUpDownCounter};
pub use crate::cache::{AttributeCache, Cell, IntoCell, KeyBuf, KeyCheck, KeyWriter, Word};
pub use crate::contract::attributes::{
    AttrBuf, AttributeSet, AttributeValue, AttributeView, BoolAsStr,
};
pub use crate::contract::compact::{Compact, CompactDebug, Key as MapKey};
pub use crate::contract::definition::building_handles;
pub use crate::contract::instrument::{
    FieldPath, Instrument, InstrumentDescriptor, InstrumentKind,
};
pub use crate::contract::metric::AgentMetric;
pub use crate::contract::plan::{Slot, key_count, merge_plan, merged_keys, run_side, source_order};
pub use crate::contract::value::{
    AnyBoundaries, AnyUnit, CounterNumber, GaugeNumber, HistogramNumber, MetricValue, Number,
    UpDownCounterNumber, check_field_unit, check_seconds_buckets, unit_or,
};
pub use crate::job::{JOB_KEY_COUNT, JobAttributes, current_job_id, job_id, with_job};

// Generated code names a field's trait facts only through fully qualified paths on the field's
// own type (`<T as MetricValue>::number(..)`), never through helpers generic over the field type:
// a field of the wrong type then fails with one error on the type, which rustc reports once
// however many items repeat it, where each bounded helper would add an error of its own. The
// types of generated struct fields go one step further, through a constant: when the constant
// fails, the types built on it are errors rustc does not report again (a projection there would
// be checked anew in every signature and auto-trait bound that mentions the struct).

/// The value to record, read with `<T as MetricValue>::number`: `None` for an absent `Option`,
/// for the `skip_zero` / `skip_negative` guards, and for an invalid value (see
/// [`crate::invalid`]), which is counted instead.
#[inline(always)]
pub fn measure<N: Number>(
    value: Option<N>,
    instrument: &Instrument,
    skip_zero: bool,
    skip_negative: bool,
) -> Option<N> {
    let v = value?;
    if skip_zero && v == N::ZERO {
        return None;
    }
    if skip_negative && v < N::ZERO {
        return None;
    }
    match N::check(v, instrument) {
        None => Some(v),
        Some(reason) => {
            crate::invalid::dropped(instrument.name, reason);
            None
        }
    }
}

/// A number type, selected by its [`ValueType`](crate::contract::instrument::ValueType) discriminant:
/// handle types are written `Counter<NumberOf<{ __V_field }>>`, `__V_field` being the
/// discriminant of the field's number type.
pub struct ByValueType<const V: u8>;

/// See [`ByValueType`].
pub trait SelectNumber {
    /// The number type.
    type Number: Number;
}

impl SelectNumber for ByValueType<{ crate::contract::instrument::ValueType::U64 as u8 }> {
    type Number = u64;
}

impl SelectNumber for ByValueType<{ crate::contract::instrument::ValueType::I64 as u8 }> {
    type Number = i64;
}

impl SelectNumber for ByValueType<{ crate::contract::instrument::ValueType::F64 as u8 }> {
    type Number = f64;
}

/// The number type whose `ValueType` discriminant is `V`.
pub type NumberOf<const V: u8> = <ByValueType<V> as SelectNumber>::Number;

/// A measured field's type `T`, named through the constant that proved it a [`MetricValue`]
/// (`V`, its number's `ValueType` discriminant): when `T` is none, the proof is the one error.
pub type ValueOf<const V: u8, T> = <ProvenValue<V, T> as ProvenMetricValue>::Value;

/// See [`ValueOf`].
pub struct ProvenValue<const V: u8, T: ?Sized>(core::marker::PhantomData<T>);

/// See [`ValueOf`].
pub trait ProvenMetricValue {
    /// The proven field type.
    type Value: MetricValue + ?Sized;
}

impl<const V: u8, T: MetricValue + ?Sized> ProvenMetricValue for ProvenValue<V, T> {
    type Value = T;
}

/// `T`, named through a constant that proved it has a trait (`OK`): generated code writes
/// `<Checked<{ PROOF }, T> as Trait>`, so that when `T` lacks the trait, the proof is the one
/// error (see the note above).
pub type Checked<const OK: bool, T> = <Proven<OK, T> as ProvenType>::Type;

/// See [`Checked`].
pub trait ProvenType {
    /// The proven type.
    type Type: ?Sized;
}

impl<T: ?Sized> ProvenType for Proven<true, T> {
    type Type = T;
}

/// A type that a constant has proved to be an agent metric (`OK`).
pub struct Proven<const OK: bool, T: ?Sized>(core::marker::PhantomData<T>);

/// See [`Proven`].
pub trait ProvenMetric {
    /// The proven metric type.
    type Metric: AgentMetric;
}

impl<T: AgentMetric> ProvenMetric for Proven<true, T> {
    type Metric = T;
}

/// A nested field's type `T`, named through the constant that proved it an agent metric.
pub type NestedMetric<const OK: bool, T> = <Proven<OK, T> as ProvenMetric>::Metric;

/// [`Compact`] for a type that a constant has proved to be an attribute set or a metric (`OK`).
pub struct CompactIf<'a, const OK: bool, T: ?Sized>(pub &'a T);

impl<T: CompactDebug + ?Sized> fmt::Debug for CompactIf<'_, true, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_compact(f)
    }
}

pub use crate::contract::compact::ValueDebug;
pub use core::default::Default;
pub use core::ops::FnMut;

/// A `#[metric(default = expr)]` value, comparable with the field's type `T`.
#[diagnostic::on_unimplemented(
    message = "`default = ..` is a `{Self}`, which cannot be compared with the field's `{T}`",
    label = "not comparable with `{T}`",
    note = "`Debug` leaves the field out when it equals this value: write a value of the field's type (e.g. `default = 0` for a number), or `default` alone for `Default::default()`"
)]
pub trait DefaultOf<T: ?Sized> {
    /// Whether `value` equals this default.
    fn equals(&self, value: &T) -> bool;
}

// Not recommended, so that a failure names `DefaultOf` (our message), not `PartialEq`.
#[diagnostic::do_not_recommend]
impl<D: ?Sized, T: PartialEq<D> + ?Sized> DefaultOf<T> for D {
    #[inline]
    fn equals(&self, value: &T) -> bool {
        value == self
    }
}

/// Whether a field equals its `#[metric(default = expr)]`. The default comes first, so that a
/// default of the wrong type is reported on the expression the derive spans it with.
#[inline]
pub fn equals_default<D: DefaultOf<T> + ?Sized, T: ?Sized>(default: &D, value: &T) -> bool {
    default.equals(value)
}

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
        d.source = FieldPath {
            type_name: parent,
            via,
            field: d.source.field,
        };
    }
    d
}

// A data field whose type is an attribute set, named in no `attributes(..)`: its attributes would
// be recorded nowhere, which is the mistake of leaving the field out of the list. Only the
// compiler knows whether the type is a set, so the derive asks it by autoref specialization: the
// generated `(&&SetProbe::<T>::NEW).probe()` picks `ProbeSet` when `T` is a set (and returns
// `UnlistedAttributeSet`, which `expect_listed` refuses), `ProbeData` otherwise.

/// See the note above.
pub struct SetProbe<T: ?Sized>(core::marker::PhantomData<T>);

impl<T: ?Sized> SetProbe<T> {
    /// The probe of `T`.
    pub const NEW: Self = SetProbe(core::marker::PhantomData);
}

/// What the probe of an attribute set returns.
pub struct UnlistedAttributeSet;

/// See the note above.
pub trait ProbeSet {
    /// `UnlistedAttributeSet`.
    fn probe(&self) -> UnlistedAttributeSet {
        UnlistedAttributeSet
    }
}

impl<T: AttributeSet + ?Sized> ProbeSet for &SetProbe<T> {}

/// See the note above.
pub trait ProbeData {
    /// Nothing: plain data.
    fn probe(&self) {}
}

impl<T: ?Sized> ProbeData for SetProbe<T> {}

/// The probe's result for a field that is no attribute set.
#[diagnostic::on_unimplemented(
    message = "this field holds an attribute set that no measurement lists, so its attributes would be recorded nowhere",
    label = "an attribute set that no `attributes(..)` names",
    note = "list the field in the `attributes(..)` of the measurements it describes, or in the struct's `#[metric(attributes(..))]`"
)]
pub trait ListedOrData {}

// Not recommended: the only impl is no advice to the user.
#[diagnostic::do_not_recommend]
impl ListedOrData for () {}

/// Fails to compile for `UnlistedAttributeSet` (see the note above).
#[inline(always)]
pub fn expect_listed<R: ListedOrData>(_: R) {}
