//! Instruments bound to one attribute set: what [`AgentMetric::bind`](crate::AgentMetric::bind)
//! builds.
//!
//! With the `bound` feature these wrap OpenTelemetry's bound instruments (experimental in 0.33),
//! which resolve the attribute set once and then record with no lookup at all. Without it they
//! keep the resolved attributes next to the instrument (`contract::sdk_instrument`), so
//! recording still skips reading and cloning the event's attribute values but the SDK looks the
//! series up as usual. Both export exactly what the direct path would:
//! - the SDK's bound series is made at the first value, not at `bind`, so binding a template
//!   whose measurement is absent (or skipped) makes no empty series `record` would not make;
//! - the job is the one current when a value is recorded, as for `record`: a set bound under
//!   the job it records in takes the fast path; one bound outside any job (a plugin binds in its
//!   constructor) or under another job records its own attributes with the current job's added,
//!   through the SDK's lookup.

use std::sync::OnceLock;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge, Histogram, UpDownCounter};

use crate::contract::attributes::AttrBuf;
use crate::contract::sdk_instrument::SdkInstrument;
use crate::job::{self, JOB_KEY_COUNT, JobAttributes};

/// The attributes of a bound set, as bound and as recorded under another job.
struct Attributes {
    /// As bound: the bound job's included.
    bound: Box<[KeyValue]>,
    /// Without the bound job's: what a record under another job adds the current job's to.
    own: Box<[KeyValue]>,
    /// The cache's name of the job bound under ([`job::job_id`]; 0 for none).
    job: u64,
}

impl Attributes {
    fn new(attributes: &[KeyValue], job: Option<&JobAttributes>) -> Self {
        let own = attributes
            .iter()
            .filter(|kv| !job.is_some_and(|job| job.holds(kv)))
            .cloned()
            .collect();
        Attributes {
            bound: attributes.into(),
            own,
            job: job::job_id(job),
        }
    }
}

/// Runs `f` with `own` and the current job's attributes merged in key order (both are sorted),
/// the order the derived `record` writes them in.
fn with_current_job(own: &[KeyValue], f: impl FnOnce(&[KeyValue])) {
    job::with_job(|job| {
        let mut job_buf = AttrBuf::<JOB_KEY_COUNT>::new();
        if let Some(job) = job {
            crate::AttributeSet::push_all(job, &mut job_buf);
        }
        let mut merged = AttrBuf::<MERGED>::new();
        if own.len() + job_buf.len() > MERGED {
            // More attributes than any schema type has: correct, at the cost of an allocation.
            let mut all: Vec<KeyValue> = own.iter().chain(job_buf.as_slice()).cloned().collect();
            all.sort_by(|a, b| a.key.as_str().cmp(b.key.as_str()));
            return f(&all);
        }
        let (mut a, mut b) = (own.iter().peekable(), job_buf.as_slice().iter().peekable());
        while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
            let next = if x.key.as_str() <= y.key.as_str() {
                a.next()
            } else {
                b.next()
            };
            merged.push(next.cloned().expect("peeked"));
        }
        a.chain(b).for_each(|kv| merged.push(kv.clone()));
        f(merged.as_slice())
    });
}

/// Room on the stack for a bound set's own attributes and a job's.
const MERGED: usize = 16 + JOB_KEY_COUNT;

macro_rules! bound {
    ($(#[$doc:meta])* $name:ident, $instrument:ident, $method:ident) => {
        $(#[$doc])*
        pub struct $name<T: Clone + 'static> {
            instrument: $instrument<T>,
            attributes: Attributes,
            /// The SDK's bound instrument, made at the first value.
            sdk: OnceLock<<$instrument<T> as SdkInstrument<T>>::Bound>,
        }

        impl<T: Clone + 'static> $name<T> {
            /// Binds `instrument` to `attributes`, recorded as given whatever job is current.
            pub fn bind(instrument: &$instrument<T>, attributes: &[KeyValue]) -> Self {
                Self::bind_in_job(instrument, attributes, None)
            }

            /// Binds `instrument` to `attributes`, made under `job` (whose attributes they
            /// hold): see [`record_in_job`](Self::record_in_job).
            #[doc(hidden)]
            pub fn bind_in_job(
                instrument: &$instrument<T>,
                attributes: &[KeyValue],
                job: Option<&JobAttributes>,
            ) -> Self {
                $name {
                    instrument: instrument.clone(),
                    attributes: Attributes::new(attributes, job),
                    sdk: OnceLock::new(),
                }
            }

            /// Records `value` with the bound attributes.
            #[inline]
            pub fn $method(&self, value: T) {
                let bound = self
                    .sdk
                    .get_or_init(|| SdkInstrument::bind(&self.instrument, &self.attributes.bound));
                <$instrument<T> as SdkInstrument<T>>::measure_bound(bound, value);
            }

            /// Records `value` as the derived `record` would under the current job, named `job`
            /// ([`current_job_id`](crate::job::current_job_id)): through the bound instrument
            /// when it is the job bound under, else with the current job's attributes instead.
            #[doc(hidden)]
            #[inline]
            pub fn record_in_job(&self, value: T, job: u64) {
                if job == self.attributes.job {
                    self.$method(value);
                } else {
                    self.record_elsewhere(value);
                }
            }

            #[cold]
            fn record_elsewhere(&self, value: T) {
                with_current_job(&self.attributes.own, |attributes| {
                    self.instrument.$method(value, attributes)
                });
            }
        }

        impl<T: Clone + 'static> std::fmt::Debug for $name<T> {
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
