//! Bounded series in cumulative pipelines.
//!
//! A cumulative pipeline (the Prometheus endpoint, and OTLP export with cumulative temporality)
//! keeps every attribute set a series ever had, in memory and in every export, for the life of
//! the process. Job attribution ([`crate::job`]) adds `job_id` and `room_id` (and, for
//! simulations, their run and job ids) to every data point, so a worker that runs thousands of
//! jobs would grow series without bound until the cardinality limit folds everything new into the
//! overflow series. So, unless
//! [`cumulative_job_attributes(true)`](super::TelemetryBuilder::cumulative_job_attributes):
//! - the Prometheus reader lives in a provider of its own, fed through [`meter`]: every
//!   instrument records into the push (or embedded) pipeline as given, and into the pull
//!   pipeline without the per-job keys;
//! - a cumulative push pipeline is fed without them too (and then the Prometheus reader shares
//!   its provider).
//!
//! Either way each instrument has one series per bounded attribute set (model, provider, agent
//! name, ...) however many jobs run. The per-job identifiers stay where they are bounded: on
//! delta exports (each interval carries only its own jobs) and on the resource.

use std::borrow::Cow;
use std::sync::Arc;

use arrayvec::ArrayVec;
use opentelemetry::KeyValue;
use opentelemetry::metrics::{
    AsyncInstrument, AsyncInstrumentBuilder, Callback, Counter, Gauge, Histogram, HistogramBuilder,
    InstrumentBuilder, InstrumentProvider, Meter, ObservableCounter, ObservableGauge,
    ObservableUpDownCounter, UpDownCounter,
};

use crate::contract::sdk_instrument::{Custom, SdkInstrument};

/// The data-point attributes that name one job (or simulation run), and so grow without bound in
/// a cumulative pipeline. Agent name, cloud agent and deployment ids stay: a worker has one each.
pub const PER_JOB_KEYS: [&str; 4] = [
    "job_id",
    "room_id",
    "lk.simulation.job_id",
    "lk.simulation.run_id",
];

/// A meter recording into `primary` (if any) as given, and into `pull` without [`PER_JOB_KEYS`].
pub(crate) fn meter(primary: Option<Meter>, pull: Meter) -> Meter {
    Meter::new(Arc::new(FanOut { primary, pull }))
}

struct FanOut {
    primary: Option<Meter>,
    pull: Meter,
}

fn is_per_job(kv: &KeyValue) -> bool {
    PER_JOB_KEYS.contains(&kv.key.as_str())
}

/// Calls `f` with `attributes` minus the per-job keys; allocation-free for up to 16 attributes.
#[inline]
fn without_job<R>(attributes: &[KeyValue], f: impl FnOnce(&[KeyValue]) -> R) -> R {
    if !attributes.iter().any(is_per_job) {
        return f(attributes);
    }
    let kept = attributes.iter().filter(|kv| !is_per_job(kv)).cloned();
    if attributes.len() <= 16 {
        let buf: ArrayVec<KeyValue, 16> = kept.collect();
        f(&buf)
    } else {
        let buf: Vec<KeyValue> = kept.collect();
        f(&buf)
    }
}

/// One instrument of each pipeline: a value goes to `primary` as given and to `pull` without
/// the per-job keys.
struct Fan<I> {
    primary: Option<I>,
    pull: I,
}

/// A [`Fan`] bound to one attribute set: each pipeline's instrument bound to its own.
struct BoundFan<B> {
    primary: Option<B>,
    pull: B,
}

impl<T: Copy + 'static, I: SdkInstrument<T>> SdkInstrument<T> for Fan<I> {
    type Bound = BoundFan<I::Bound>;

    fn measure(&self, value: T, attributes: &[KeyValue]) {
        if let Some(primary) = &self.primary {
            primary.measure(value, attributes);
        }
        without_job(attributes, |kept| self.pull.measure(value, kept));
    }

    fn bind(&self, attributes: &[KeyValue]) -> Self::Bound {
        BoundFan {
            primary: self.primary.as_ref().map(|p| p.bind(attributes)),
            pull: without_job(attributes, |kept| self.pull.bind(kept)),
        }
    }

    fn measure_bound(bound: &Self::Bound, value: T) {
        if let Some(primary) = &bound.primary {
            I::measure_bound(primary, value);
        }
        I::measure_bound(&bound.pull, value);
    }
}

/// An observer that drops the per-job keys before passing a measurement on.
struct WithoutJob<'a, T>(&'a dyn AsyncInstrument<T>);

impl<T> AsyncInstrument<T> for WithoutJob<'_, T> {
    fn observe(&self, value: T, attributes: &[KeyValue]) {
        without_job(attributes, |kept| self.0.observe(value, kept));
    }
}

type Meta = (
    Cow<'static, str>,
    Option<Cow<'static, str>>,
    Option<Cow<'static, str>>,
);

macro_rules! sync_instrument {
    ($fn:ident, $builder:ident, $ty:ident, $t:ty) => {
        fn $fn(&self, builder: $builder<'_, $ty<$t>>) -> $ty<$t> {
            let meta: Meta = (builder.name, builder.description, builder.unit);
            let build = |meter: &Meter| {
                let mut b = meter.$fn(meta.0.clone());
                if let Some(d) = &meta.1 {
                    b = b.with_description(d.clone());
                }
                if let Some(u) = &meta.2 {
                    b = b.with_unit(u.clone());
                }
                b.build()
            };
            let fan = Fan {
                primary: self.primary.as_ref().map(build),
                pull: build(&self.pull),
            };
            $ty::new(Arc::new(Custom(fan)))
        }
    };
}

macro_rules! histogram {
    ($fn:ident, $t:ty) => {
        fn $fn(&self, builder: HistogramBuilder<'_, Histogram<$t>>) -> Histogram<$t> {
            let meta: Meta = (builder.name, builder.description, builder.unit);
            let boundaries = builder.boundaries;
            let build = |meter: &Meter| {
                let mut b = meter.$fn(meta.0.clone());
                if let Some(d) = &meta.1 {
                    b = b.with_description(d.clone());
                }
                if let Some(u) = &meta.2 {
                    b = b.with_unit(u.clone());
                }
                if let Some(bounds) = &boundaries {
                    b = b.with_boundaries(bounds.clone());
                }
                b.build()
            };
            let fan = Fan {
                primary: self.primary.as_ref().map(build),
                pull: build(&self.pull),
            };
            Histogram::new(Arc::new(Custom(fan)))
        }
    };
}

macro_rules! observable {
    ($fn:ident, $ty:ident, $t:ty) => {
        fn $fn(&self, builder: AsyncInstrumentBuilder<'_, $ty<$t>, $t>) -> $ty<$t> {
            let meta: Meta = (builder.name, builder.description, builder.unit);
            let callbacks: Arc<Vec<Callback<$t>>> = Arc::new(builder.callbacks);
            let build = |meter: &Meter, filter: bool| {
                let mut b = meter.$fn(meta.0.clone());
                if let Some(d) = &meta.1 {
                    b = b.with_description(d.clone());
                }
                if let Some(u) = &meta.2 {
                    b = b.with_unit(u.clone());
                }
                if !callbacks.is_empty() {
                    let callbacks = Arc::clone(&callbacks);
                    b = b.with_callback(move |observer| {
                        for callback in callbacks.iter() {
                            if filter {
                                callback(&WithoutJob(observer));
                            } else {
                                callback(observer);
                            }
                        }
                    });
                }
                let _ = b.build();
            };
            if let Some(primary) = &self.primary {
                build(primary, false);
            }
            build(&self.pull, true);
            $ty::new()
        }
    };
}

impl InstrumentProvider for FanOut {
    sync_instrument!(u64_counter, InstrumentBuilder, Counter, u64);
    sync_instrument!(f64_counter, InstrumentBuilder, Counter, f64);
    sync_instrument!(i64_up_down_counter, InstrumentBuilder, UpDownCounter, i64);
    sync_instrument!(f64_up_down_counter, InstrumentBuilder, UpDownCounter, f64);
    sync_instrument!(u64_gauge, InstrumentBuilder, Gauge, u64);
    sync_instrument!(i64_gauge, InstrumentBuilder, Gauge, i64);
    sync_instrument!(f64_gauge, InstrumentBuilder, Gauge, f64);
    histogram!(f64_histogram, f64);
    histogram!(u64_histogram, u64);
    observable!(u64_observable_counter, ObservableCounter, u64);
    observable!(f64_observable_counter, ObservableCounter, f64);
    observable!(i64_observable_up_down_counter, ObservableUpDownCounter, i64);
    observable!(f64_observable_up_down_counter, ObservableUpDownCounter, f64);
    observable!(u64_observable_gauge, ObservableGauge, u64);
    observable!(i64_observable_gauge, ObservableGauge, i64);
    observable!(f64_observable_gauge, ObservableGauge, f64);
}
