//! Which field types an instrument can record, and how each number type builds its instruments.
//!
//! The derive never looks at a field's type by name: it asks these traits, so type aliases work
//! and a wrong type is a trait error whose message (`#[diagnostic::on_unimplemented]`) says what
//! to write instead.

use std::time::Duration;

use opentelemetry::metrics::{Counter, Gauge, Histogram, Meter, UpDownCounter};

use crate::contract::instrument::{Instrument, InstrumentKind, ValueType};
use crate::invalid::{MAX_VALUE, Reason};

/// A number OpenTelemetry records: `u64`, `i64` or `f64`.
pub trait Number: Copy + PartialEq + PartialOrd + Send + Sync + 'static {
    /// The exported value type.
    const VALUE_TYPE: ValueType;
    /// Zero, for `skip_zero`.
    const ZERO: Self;

    /// Why `self` must not be recorded into `instrument`, if it must not (see
    /// [`crate::invalid`] for the policy).
    fn check(self, instrument: &Instrument) -> Option<Reason>;
}

impl Number for u64 {
    const VALUE_TYPE: ValueType = ValueType::U64;
    const ZERO: Self = 0;

    #[inline(always)]
    fn check(self, _: &Instrument) -> Option<Reason> {
        (self > MAX_VALUE as u64).then_some(Reason::TooLarge)
    }
}

impl Number for i64 {
    const VALUE_TYPE: ValueType = ValueType::I64;
    const ZERO: Self = 0;

    #[inline(always)]
    fn check(self, instrument: &Instrument) -> Option<Reason> {
        if self.unsigned_abs() > MAX_VALUE as u64 {
            Some(Reason::TooLarge)
        } else if self < 0 && must_not_go_down(instrument) {
            Some(Reason::Negative)
        } else {
            None
        }
    }
}

impl Number for f64 {
    const VALUE_TYPE: ValueType = ValueType::F64;
    const ZERO: Self = 0.0;

    #[inline(always)]
    fn check(self, instrument: &Instrument) -> Option<Reason> {
        // One comparison for every valid value: it is false for NaN, infinities and the absurd.
        if self.abs() <= MAX_VALUE {
            return (self < 0.0 && must_not_go_down(instrument)).then_some(Reason::Negative);
        }
        Some(if self.is_nan() {
            Reason::NaN
        } else if self.is_infinite() {
            Reason::Infinite
        } else {
            Reason::TooLarge
        })
    }
}

/// Counters only grow, and a negative duration is a clock error, not a measurement.
#[inline(always)]
fn must_not_go_down(instrument: &Instrument) -> bool {
    matches!(instrument.kind, InstrumentKind::Counter)
        || (matches!(instrument.kind, InstrumentKind::Histogram) && instrument.unit == "s")
}

/// A field type an instrument can record: integers, floats, `Duration` (as f64 seconds) and
/// `Option` of any of them (`None` records nothing).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded by an instrument",
    label = "not a number an instrument can record",
    note = "instruments record u64, u32, usize, i64, i32, f64, f32 or std::time::Duration (as seconds), or an Option of one of these (None is skipped); keep other fields as plain data"
)]
pub trait MetricValue {
    /// The number recorded.
    type Number: Number;
    /// The unit this type implies, if any: `Duration` is always recorded in seconds, so its
    /// `UNIT` is `Some("s")`. The derive checks a field's declared unit against this constant at
    /// compile time, so the rule follows the type through aliases and re-exports.
    const UNIT: Option<&'static str> = None;
    /// The value to record, or `None` to record nothing.
    fn number(&self) -> Option<Self::Number>;
}

macro_rules! metric_value {
    ($($ty:ty => $num:ty),* $(,)?) => {$(
        impl MetricValue for $ty {
            type Number = $num;
            #[inline]
            fn number(&self) -> Option<$num> {
                Some(*self as $num)
            }
        }
    )*};
}

metric_value!(u64 => u64, u32 => u64, u16 => u64, u8 => u64, usize => u64,
              i64 => i64, i32 => i64, i16 => i64, i8 => i64, f64 => f64, f32 => f64);

impl MetricValue for Duration {
    type Number = f64;
    const UNIT: Option<&'static str> = Some("s");
    #[inline]
    fn number(&self) -> Option<f64> {
        Some(self.as_secs_f64())
    }
}

impl<T: MetricValue> MetricValue for Option<T> {
    type Number = T::Number;
    const UNIT: Option<&'static str> = T::UNIT;
    #[inline]
    fn number(&self) -> Option<T::Number> {
        self.as_ref().and_then(T::number)
    }
}

impl<T: MetricValue + ?Sized> MetricValue for &T {
    type Number = T::Number;
    const UNIT: Option<&'static str> = T::UNIT;
    #[inline]
    fn number(&self) -> Option<T::Number> {
        (**self).number()
    }
}

/// The unit a field records in: the declared one, else the one its type implies
/// (`<T as MetricValue>::UNIT`), else none.
#[doc(hidden)]
pub const fn unit_or(declared: &'static str, implied: Option<&'static str>) -> &'static str {
    match implied {
        Some(unit) if declared.is_empty() => unit,
        _ => declared,
    }
}

/// Fails the build when a field's declared unit contradicts the one its type implies
/// (`unit = "ms"` on a `Duration`, however the type is spelled): the derive evaluates this in a
/// constant spanned on the `unit` token.
#[doc(hidden)]
pub const fn check_field_unit(declared: &'static str, implied: Option<&'static str>) {
    if let Err(why) = crate::checks::check_implied_unit(declared, implied) {
        panic!("{}", why);
    }
}

/// Fails the build when a histogram recorded in seconds (declared, or implied by a `Duration`
/// field) has bounds that start at 1 or more with no `long_durations`: the check of bounds the
/// derive cannot read (a constant's), whose type only the compiler knows.
#[doc(hidden)]
pub const fn check_seconds_buckets(
    unit: &'static str,
    buckets: &'static [f64],
    long_durations: bool,
) {
    if crate::checks::seconds_buckets_ambiguous(unit, buckets, long_durations) {
        panic!("{}", crate::checks::SECONDS_OR_MILLIS);
    }
}

/// Field types that may declare a unit other than seconds: every number type. Not `Duration`,
/// which is always recorded as seconds: `#[metric(histogram = "x", unit = "ms")]` on a `Duration`
/// field fails on its `unit` with this trait's message.
#[diagnostic::on_unimplemented(
    message = "a Duration is always recorded as seconds: remove `unit` (it is \"s\"), or store the value as a number in the unit you want",
    label = "a `{Self}` cannot be recorded in this unit"
)]
pub trait AnyUnit: MetricValue {
    /// Names the trait in a check the derive generates.
    #[doc(hidden)]
    const ANY_UNIT: () = ();
}

/// Field types whose histogram bounds are taken as written: every number type. Not `Duration`,
/// which is recorded in seconds, so that bounds starting at 1 or more (milliseconds or seconds?)
/// fail on its `buckets` with this trait's message unless written `buckets_ms = [..]` or
/// acknowledged with `long_durations`.
#[diagnostic::on_unimplemented(
    message = "a `{Self}` is recorded in seconds, and these bucket bounds start at 1 or more, which reads as milliseconds as much as seconds",
    label = "milliseconds or seconds?",
    note = "if they are milliseconds, write them as `buckets_ms = [..]` (converted to seconds); if they are seconds (a call or session length), add `long_durations`"
)]
pub trait AnyBoundaries: MetricValue {
    /// Names the trait in a check the derive generates.
    #[doc(hidden)]
    const ANY_BOUNDARIES: () = ();
}

/// The former name of [`AnyBoundaries`].
#[deprecated(since = "0.2.0", note = "renamed `AnyBoundaries`: \"bound\" means bound handles")]
pub trait AnyBounds: AnyBoundaries {}

#[allow(deprecated)]
impl<T: AnyBoundaries + ?Sized> AnyBounds for T {}

// The traits' messages say what to write; a list of the types that have them would not.
macro_rules! unitless {
    ($($ty:ty),*) => {$(
        #[diagnostic::do_not_recommend]
        impl AnyUnit for $ty {}
        #[diagnostic::do_not_recommend]
        impl AnyBoundaries for $ty {}
    )*};
}

unitless!(u64, u32, u16, u8, usize, i64, i32, i16, i8, f64, f32);

#[diagnostic::do_not_recommend]
impl<T: AnyUnit> AnyUnit for Option<T> {}
#[diagnostic::do_not_recommend]
impl<T: AnyBoundaries> AnyBoundaries for Option<T> {}
#[diagnostic::do_not_recommend]
impl<T: AnyUnit + ?Sized> AnyUnit for &T {}
#[diagnostic::do_not_recommend]
impl<T: AnyBoundaries + ?Sized> AnyBoundaries for &T {}

/// Numbers a counter can take.
#[diagnostic::on_unimplemented(
    message = "a counter cannot record `{Self}` values",
    label = "counters are monotonic: they take u64 or f64",
    note = "use an unsigned or float field, or `up_down_counter` for a value that can go down"
)]
pub trait CounterNumber: Number {
    /// Builds the counter.
    fn build_counter(meter: &Meter, instrument: &Instrument) -> Counter<Self>;
}

/// Numbers an up-down counter can take.
#[diagnostic::on_unimplemented(
    message = "an up-down counter cannot record `{Self}` values",
    label = "up-down counters take i64 or f64",
    note = "use a signed or float field, or `counter` for a value that only grows"
)]
pub trait UpDownCounterNumber: Number {
    /// Builds the up-down counter.
    fn build_up_down_counter(meter: &Meter, instrument: &Instrument) -> UpDownCounter<Self>;
}

/// Numbers a histogram can take.
#[diagnostic::on_unimplemented(
    message = "a histogram cannot record `{Self}` values",
    label = "histograms take u64 or f64",
    note = "use an unsigned, float or Duration field"
)]
pub trait HistogramNumber: Number {
    /// Builds the histogram.
    fn build_histogram(meter: &Meter, instrument: &Instrument) -> Histogram<Self>;
}

/// Numbers a gauge can take (all three).
pub trait GaugeNumber: Number {
    /// Builds the gauge.
    fn build_gauge(meter: &Meter, instrument: &Instrument) -> Gauge<Self>;
}

// Each arm names the SDK's builder method for one kind and number type; the unit and
// description are only passed when declared, exactly as the Python framework does.
macro_rules! builders {
    ($trait:ident :: $fn:ident -> $handle:ident { $($num:ty => $method:ident),* }) => {$(
        // The trait's note already says which numbers it takes; a list would point in here.
        #[diagnostic::do_not_recommend]
        impl $trait for $num {
            fn $fn(meter: &Meter, i: &Instrument) -> $handle<Self> {
                let mut b = meter.$method(i.name);
                if !i.unit.is_empty() { b = b.with_unit(i.unit); }
                if !i.description.is_empty() { b = b.with_description(i.description); }
                builders!(@buckets b i $handle);
                b.build()
            }
        }
    )*};
    (@buckets $b:ident $i:ident Histogram) => {
        if !$i.buckets.is_empty() { $b = $b.with_boundaries($i.buckets.to_vec()); }
    };
    (@buckets $b:ident $i:ident $other:ident) => {};
}

builders!(CounterNumber::build_counter -> Counter { u64 => u64_counter, f64 => f64_counter });
builders!(UpDownCounterNumber::build_up_down_counter -> UpDownCounter {
    i64 => i64_up_down_counter, f64 => f64_up_down_counter });
builders!(HistogramNumber::build_histogram -> Histogram { u64 => u64_histogram, f64 => f64_histogram });
builders!(GaugeNumber::build_gauge -> Gauge { u64 => u64_gauge, i64 => i64_gauge, f64 => f64_gauge });
