//! The one list of schema event types, and the union of the framework's events built from it.
//!
//! Every place that must name each event type (the [`AgentMetrics`] union, its JSON tags, the
//! recorder's handles, the catalog) expands [`with_event_types!`] instead of writing the list
//! again, so an event added here is recorded, read from JSON and documented everywhere.

use super::*;

/// Calls the macro `$m` with every schema type: first the members of [`AgentMetrics`] (handle
/// name, variant, type and the `type` tag of the Python framework's JSON), then the types
/// recorded on their own.
macro_rules! with_event_types {
    ($m:ident) => {
        $m! {
            union {
                stt: Stt(STTMetrics) = "stt_metrics",
                llm: Llm(LLMMetrics) = "llm_metrics",
                decision: Decision(DecisionMetrics) = "decision_metrics",
                tts: Tts(TTSMetrics) = "tts_metrics",
                vad: Vad(VADMetrics) = "vad_metrics",
                eou: Eou(EOUMetrics) = "eou_metrics",
                eot_inference: EotInference(EOTInferenceMetrics) = "eot_inference_metrics",
                realtime: Realtime(RealtimeModelMetrics) = "realtime_model_metrics",
                interruption: Interruption(InterruptionMetrics) = "interruption_metrics",
                avatar: Avatar(AvatarMetrics) = "avatar_metrics",
            }
            others {
                report: MetricsReport,
                tool: ToolExecutionMetrics,
                agent: AgentInvocationMetrics,
                event_loop: EventLoopBlocked,
                turn_part: TurnLatencyPart,
                turn_skipped: TurnBreakdownSkipped,
                turn_outcome: TurnOutcome,
                budget_exceeded: BudgetExceeded,
                session: SessionMetrics,
                provider_attempt: ProviderAttempt,
            }
        }
    };
}
pub(crate) use with_event_types;

macro_rules! define_union {
    (
        union { $($field:ident: $variant:ident($ty:ty) = $tag:literal,)* }
        others { $($_other:ident: $_other_ty:ty,)* }
    ) => {
        /// Any metrics event, as the framework's `metrics_collected` delivers them. In JSON, the
        /// `type` field selects the variant, as in the Python union.
        ///
        /// Reading any input, however malformed, returns an error rather than panicking. Limits,
        /// those of `serde_json`: nesting deeper than 127 levels is refused (so no input can
        /// overflow the stack); strings and arrays have no limit of their own and cost their
        /// length once, so cap the size of untrusted input before parsing it.
        #[derive(Clone, Debug, PartialEq)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize))]
        // Each event writes its own `type` tag, so the enum adds nothing when serializing.
        #[cfg_attr(feature = "serde", serde(untagged))]
        pub enum AgentMetrics {
            $(
                #[doc = concat!("`", $tag, "`.")]
                $variant($ty),
            )*
        }

        $(
            impl From<$ty> for AgentMetrics {
                fn from(event: $ty) -> Self {
                    AgentMetrics::$variant(event)
                }
            }
        )*

        impl AgentMetrics {
            /// The `type` tag this event carries in the Python framework's JSON.
            pub fn type_tag(&self) -> &'static str {
                match self {
                    $(AgentMetrics::$variant(_) => $tag,)*
                }
            }
        }
    };
}

with_event_types!(define_union);
