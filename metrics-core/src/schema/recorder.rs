//! `MetricsRecorder`: the handles of every schema type, built once, shared by every component.

use std::fmt;
use std::sync::Arc;

use opentelemetry::metrics::Meter;

use super::*;
use crate::{AgentMetric, Handles};

/// Records schema events into their instruments.
///
/// Build it once from the meter of the installed provider and clone it into every component:
/// a clone is one reference count. Recording never allocates and never blocks on export.
///
/// Usage events (`LLMMetrics`, `TTSMetrics`, ..) are recorded as they arrive, like the Python
/// framework's `collect_usage`. A turn's [`MetricsReport`] is recorded once, when that turn is
/// complete (the user's turn when it is committed, the assistant's when it has spoken), so turn
/// latencies reach the backend within one export interval instead of in a burst at session end.
///
/// ```
/// use agent_metrics_core::{capture::Capture, schema::*, MetricsRecorder};
/// let capture = Capture::cumulative();
/// let recorder = MetricsRecorder::new(capture.meter());
/// recorder.record(&MetricsReport {
///     e2e_latency: Some(0.8),
///     llm_metadata: Some(MetricsMetadata::new("openai", "gpt-4o")),
///     ..Default::default()
/// });
/// let points = capture.collect();
/// assert_eq!(points[0].name, "lk.agents.turn.e2e_latency");
/// ```
#[derive(Clone)]
pub struct MetricsRecorder {
    handles: Arc<SchemaHandles>,
}

impl fmt::Debug for MetricsRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsRecorder").finish_non_exhaustive()
    }
}

/// A value the recorder can record: every schema event, [`AgentMetrics`] and [`MetricsReport`].
pub trait Recordable {
    /// Records `self` through `recorder`.
    fn record_with(&self, recorder: &MetricsRecorder);
}

macro_rules! schema_handles {
    (
        union { $($field:ident: $variant:ident($ty:ty) = $tag:literal,)* }
        others { $($other:ident: $other_ty:ty,)* }
    ) => {
        /// One handle set per schema type.
        struct SchemaHandles {
            $($field: Handles<$ty>,)*
            $($other: Handles<$other_ty>,)*
        }

        impl SchemaHandles {
            fn new(meter: &Meter) -> Self {
                SchemaHandles {
                    $($field: <$ty>::handles(meter),)*
                    $($other: <$other_ty>::handles(meter),)*
                }
            }
        }

        $(
            impl Recordable for $ty {
                #[inline]
                fn record_with(&self, recorder: &MetricsRecorder) {
                    AgentMetric::record(self, &recorder.handles.$field);
                }
            }
        )*
        $(
            impl Recordable for $other_ty {
                #[inline]
                fn record_with(&self, recorder: &MetricsRecorder) {
                    AgentMetric::record(self, &recorder.handles.$other);
                }
            }
        )*

        impl Recordable for AgentMetrics {
            fn record_with(&self, recorder: &MetricsRecorder) {
                match self {
                    $(AgentMetrics::$variant(e) => e.record_with(recorder),)*
                }
            }
        }
    };
}

with_event_types!(schema_handles);

impl MetricsRecorder {
    /// Builds the instruments of every schema type on `meter`.
    pub fn new(meter: &Meter) -> Self {
        MetricsRecorder {
            handles: Arc::new(SchemaHandles::new(meter)),
        }
    }

    /// Records an event (any schema type, [`AgentMetrics`] or a turn's [`MetricsReport`]).
    #[inline]
    pub fn record<E: Recordable + ?Sized>(&self, event: &E) {
        event.record_with(self);
    }
}
