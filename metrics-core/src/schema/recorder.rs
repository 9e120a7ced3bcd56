//! `MetricsRecorder`: the handles of every schema type, built once, shared by every component.

use std::fmt;
use std::sync::Arc;

use opentelemetry::metrics::Meter;

use super::latest::{self, Latest};
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
/// use agent_metrics::{capture::Capture, schema::*, MetricsRecorder};
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
///
/// The `gen_ai.*` instruments follow livekit-agents 1.8.9 unless built with
/// [`with_conventions`](Self::with_conventions) (see [`GenAiConventions`]).
#[derive(Clone)]
pub struct MetricsRecorder {
    handles: Arc<SchemaHandles>,
    conventions: GenAiConventions,
}

impl fmt::Debug for MetricsRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsRecorder")
            .field("conventions", &self.conventions)
            .finish_non_exhaustive()
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
        /// One handle set per schema type (`None` where the conventions in use redefine the
        /// type's instruments), and the opt-in's views.
        struct SchemaHandles {
            $($field: Option<Handles<$ty>>,)*
            $($other: Option<Handles<$other_ty>>,)*
            latest: Option<latest::Handles>,
        }

        impl SchemaHandles {
            fn new(meter: &Meter, conventions: GenAiConventions) -> Self {
                let latest = conventions == GenAiConventions::LatestExperimental;
                SchemaHandles {
                    $($field: (!(latest && <$ty as Latest>::REPLACED))
                        .then(|| <$ty>::handles(meter)),)*
                    $($other: (!(latest && <$other_ty as Latest>::REPLACED))
                        .then(|| <$other_ty>::handles(meter)),)*
                    latest: latest.then(|| latest::Handles::new(meter)),
                }
            }
        }

        $(
            impl Recordable for $ty {
                #[inline]
                fn record_with(&self, recorder: &MetricsRecorder) {
                    recorder.record_both(self, &recorder.handles.$field);
                }
            }
        )*
        $(
            impl Recordable for $other_ty {
                #[inline]
                fn record_with(&self, recorder: &MetricsRecorder) {
                    recorder.record_both(self, &recorder.handles.$other);
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
    /// Builds the instruments of every schema type on `meter`, with the GenAI conventions of
    /// livekit-agents 1.8.9.
    pub fn new(meter: &Meter) -> Self {
        Self::with_conventions(meter, GenAiConventions::LiveKit)
    }

    /// Builds the instruments of every schema type on `meter`, with the given GenAI
    /// conventions: [`GenAiConventions::LatestExperimental`] is the
    /// `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental` opt-in.
    ///
    /// ```
    /// use agent_metrics::{capture::Capture, schema::*, MetricsRecorder};
    /// let capture = Capture::cumulative();
    /// let recorder =
    ///     MetricsRecorder::with_conventions(capture.meter(), GenAiConventions::LatestExperimental);
    /// recorder.record(&SessionMetrics {
    ///     workflow_name: "support-agent".into(),
    ///     duration: 312.0,
    ///     ..Default::default()
    /// });
    /// assert_eq!(capture.collect()[0].name, "gen_ai.workflow.duration");
    /// ```
    pub fn with_conventions(meter: &Meter, conventions: GenAiConventions) -> Self {
        MetricsRecorder {
            handles: Arc::new(SchemaHandles::new(meter, conventions)),
            conventions,
        }
    }

    /// The GenAI conventions this recorder follows.
    pub fn conventions(&self) -> GenAiConventions {
        self.conventions
    }

    /// Records `event` into its own instruments (unless the conventions in use redefine them)
    /// and into the opt-in's views.
    #[inline]
    fn record_both<E: AgentMetric + Latest>(&self, event: &E, own: &Option<Handles<E>>) {
        if let Some(own) = own {
            event.record(own);
        }
        if let Some(latest) = &self.handles.latest {
            event.record_latest(latest);
        }
    }

    /// Records an event (any schema type, [`AgentMetrics`] or a turn's [`MetricsReport`]).
    #[inline]
    pub fn record<E: Recordable + ?Sized>(&self, event: &E) {
        event.record_with(self);
    }
}
