//! `MetricsRecorder`: the handles of every schema type, built once, shared by every component.

use std::fmt;
use std::sync::Arc;

use opentelemetry::metrics::Meter;

use crate::metric::{AgentMetric, Handles};
use crate::schema::*;

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

macro_rules! schema_handles {
    ($($field:ident: $ty:ty),* $(,)?) => {
        /// One handle set per schema type.
        struct SchemaHandles {
            $($field: Handles<$ty>,)*
        }

        impl SchemaHandles {
            fn new(meter: &Meter) -> Self {
                SchemaHandles { $($field: <$ty>::handles(meter),)* }
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
    };
}

schema_handles! {
    stt: STTMetrics,
    llm: LLMMetrics,
    decision: DecisionMetrics,
    tts: TTSMetrics,
    vad: VADMetrics,
    eou: EOUMetrics,
    eot_inference: EOTInferenceMetrics,
    realtime: RealtimeModelMetrics,
    interruption: InterruptionMetrics,
    avatar: AvatarMetrics,
    report: MetricsReport,
    tool: ToolExecutionMetrics,
    agent: AgentInvocationMetrics,
    event_loop: EventLoopBlocked,
}

/// A value the recorder can record: every schema event, [`AgentMetrics`] and [`MetricsReport`].
pub trait Recordable {
    /// Records `self` through `recorder`.
    fn record_with(&self, recorder: &MetricsRecorder);
}

impl Recordable for AgentMetrics {
    fn record_with(&self, recorder: &MetricsRecorder) {
        match self {
            AgentMetrics::Stt(e) => e.record_with(recorder),
            AgentMetrics::Llm(e) => e.record_with(recorder),
            AgentMetrics::Decision(e) => e.record_with(recorder),
            AgentMetrics::Tts(e) => e.record_with(recorder),
            AgentMetrics::Vad(e) => e.record_with(recorder),
            AgentMetrics::Eou(e) => e.record_with(recorder),
            AgentMetrics::EotInference(e) => e.record_with(recorder),
            AgentMetrics::Realtime(e) => e.record_with(recorder),
            AgentMetrics::Interruption(e) => e.record_with(recorder),
            AgentMetrics::Avatar(e) => e.record_with(recorder),
        }
    }
}

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
