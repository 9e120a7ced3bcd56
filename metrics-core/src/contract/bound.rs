//! Instruments bound to one attribute set: what [`AgentMetric::bind`](crate::AgentMetric::bind)
//! builds.
//!
//! With the `bound` feature these wrap OpenTelemetry's bound instruments (experimental in 0.33),
//! which resolve the attribute set once and then record with no lookup at all. Without it they
//! keep the resolved attributes next to the instrument, so recording still skips reading and
//! cloning the event's attribute values but the SDK looks the series up as usual. Both export
//! exactly what the unbound path would.

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge, Histogram, UpDownCounter};

macro_rules! bound {
    ($(#[$doc:meta])* $name:ident, $instrument:ident, $method:ident) => {
        $(#[$doc])*
        pub struct $name<T> {
            #[cfg(feature = "bound")]
            inner: opentelemetry::metrics::$name<T>,
            #[cfg(not(feature = "bound"))]
            inner: ($instrument<T>, Box<[KeyValue]>),
        }

        impl<T: Clone> $name<T> {
            /// Binds `instrument` to `attributes`.
            pub fn bind(instrument: &$instrument<T>, attributes: &[KeyValue]) -> Self {
                #[cfg(feature = "bound")]
                let inner = instrument.bind(attributes);
                #[cfg(not(feature = "bound"))]
                let inner = (instrument.clone(), attributes.into());
                $name { inner }
            }

            /// Records `value` with the bound attributes.
            #[inline]
            pub fn $method(&self, value: T) {
                #[cfg(feature = "bound")]
                self.inner.$method(value);
                #[cfg(not(feature = "bound"))]
                self.inner.0.$method(value, &self.inner.1);
            }
        }

        impl<T> std::fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($name))
            }
        }
    };
}

bound!(
    /// A counter bound to one attribute set.
    BoundCounter, Counter, add
);
bound!(
    /// An up-down counter bound to one attribute set.
    BoundUpDownCounter, UpDownCounter, add
);
bound!(
    /// A histogram bound to one attribute set.
    BoundHistogram, Histogram, record
);
bound!(
    /// A gauge bound to one attribute set.
    BoundGauge, Gauge, record
);
