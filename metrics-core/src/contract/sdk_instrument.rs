//! An SDK instrument we record into, bound to one attribute set or not: the counters,
//! up-down counters, histograms and gauges behind the attribute cache's rings
//! (`cache::cell`), the bound path ([`bound`](crate::bound)) and the Prometheus fan-out
//! (`export::pull`), which is itself such an instrument.
//!
//! This is the only place that knows whether the `bound` feature is on. With it, binding gives
//! OpenTelemetry's bound instrument (experimental in 0.33), which resolves the series once and
//! then records with no lookup. Without it, binding keeps the attributes beside the instrument
//! ([`Portable`]), and each value is recorded through the SDK's usual lookup: the same points,
//! without the speed.

use opentelemetry::KeyValue;
#[cfg(feature = "bound")]
use opentelemetry::metrics::BoundSyncInstrument;
use opentelemetry::metrics::{Counter, Gauge, Histogram, SyncInstrument, UpDownCounter};

/// A synchronous instrument recording numbers of type `T`, with attributes given at each value
/// or bound once.
pub(crate) trait SdkInstrument<T>: Send + Sync + 'static {
    /// The instrument bound to one attribute set. With the `bound` feature, the SDK makes its
    /// series when this is made: bind when a value is at hand, not before.
    type Bound: Send + Sync + 'static;

    /// Records `value` with `attributes`.
    fn measure(&self, value: T, attributes: &[KeyValue]);

    /// Binds to `attributes`.
    fn bind(&self, attributes: &[KeyValue]) -> Self::Bound;

    /// Records `value` with the attributes `bound` was bound to.
    fn measure_bound(bound: &Self::Bound, value: T);
}

/// Without the `bound` feature, a bound instrument: the instrument and its attributes.
#[cfg(not(feature = "bound"))]
pub(crate) struct Portable<I> {
    instrument: I,
    attributes: Box<[KeyValue]>,
}

macro_rules! sdk_instrument {
    ($($ty:ident => $bound:ident, $method:ident;)*) => {$(
        impl<T: Clone + 'static> SdkInstrument<T> for $ty<T> {
            #[cfg(feature = "bound")]
            type Bound = opentelemetry::metrics::$bound<T>;
            #[cfg(not(feature = "bound"))]
            type Bound = Portable<$ty<T>>;

            #[inline]
            fn measure(&self, value: T, attributes: &[KeyValue]) {
                self.$method(value, attributes);
            }

            #[cfg(feature = "bound")]
            fn bind(&self, attributes: &[KeyValue]) -> Self::Bound {
                $ty::bind(self, attributes)
            }

            #[cfg(not(feature = "bound"))]
            fn bind(&self, attributes: &[KeyValue]) -> Self::Bound {
                Portable {
                    instrument: self.clone(),
                    attributes: attributes.into(),
                }
            }

            #[cfg(feature = "bound")]
            #[inline]
            fn measure_bound(bound: &Self::Bound, value: T) {
                bound.$method(value);
            }

            #[cfg(not(feature = "bound"))]
            #[inline]
            fn measure_bound(bound: &Self::Bound, value: T) {
                bound.instrument.$method(value, &bound.attributes);
            }
        }
    )*};
}

sdk_instrument! {
    Counter => BoundCounter, add;
    UpDownCounter => BoundUpDownCounter, add;
    Histogram => BoundHistogram, record;
    Gauge => BoundGauge, record;
}

/// An instrument of our own behind the SDK's handle types (`Counter::new(Arc::new(Custom(..)))`):
/// the SDK's handles call it for every value, and for `bind` when the `bound` feature is on.
pub(crate) struct Custom<I>(pub I);

impl<T: 'static, I: SdkInstrument<T>> SyncInstrument<T> for Custom<I> {
    #[inline]
    fn measure(&self, value: T, attributes: &[KeyValue]) {
        self.0.measure(value, attributes);
    }

    #[cfg(feature = "bound")]
    fn bind(&self, attributes: &[KeyValue]) -> Box<dyn BoundSyncInstrument<T> + Send + Sync> {
        Box::new(CustomBound::<I, T> {
            bound: self.0.bind(attributes),
            _number: std::marker::PhantomData,
        })
    }
}

/// What [`Custom`] hands the SDK as its bound instrument.
#[cfg(feature = "bound")]
struct CustomBound<I: SdkInstrument<T>, T> {
    bound: I::Bound,
    _number: std::marker::PhantomData<fn(T)>,
}

#[cfg(feature = "bound")]
impl<T: 'static, I: SdkInstrument<T>> BoundSyncInstrument<T> for CustomBound<I, T> {
    #[inline]
    fn measure(&self, value: T) {
        I::measure_bound(&self.bound, value);
    }
}
