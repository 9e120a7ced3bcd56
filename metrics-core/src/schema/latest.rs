//! The `gen_ai_latest_experimental` opt-in ([`GenAiConventions::LatestExperimental`]): the
//! GenAI conventions as they stand, recorded from the same events as the default.
//!
//! The events stay as they are; each one the opt-in reads has a *view* here, an annotated
//! struct built from the event when it is recorded (reference counts only, nothing allocated)
//! whose fields carry the latest conventions' instruments and attributes. The views are the
//! opt-in's half of the schema table: read them to review names, buckets and attributes.
//! Where the opt-in redefines an instrument the default also has (`gen_ai.invoke_agent.duration`,
//! `gen_ai.execute_tool.duration`), the event's own handles are not built
//! ([`Latest::REPLACED`]), so a provider never sees one name with two definitions.

use super::genai::{self, operation};
use super::instruments::*;
use super::*;
use crate::{
    AgentMetric, AttributeValue, FieldPath, Handles as HandlesOf, Instrument, InstrumentDescriptor,
};

/// `gen_ai.invoke_agent.duration` buckets: the conventions' advice, 0.1 s doubling to 409.6 s.
pub(crate) const INVOKE_AGENT_BUCKETS: &[f64] = &[
    0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 204.8, 409.6,
];

/// `gen_ai.workflow.duration` buckets: the conventions' advice, 1 s to 2 h.
pub(crate) const WORKFLOW_BUCKETS: &[f64] = &[
    1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0,
];

const INVOKE_AGENT_DURATION: Instrument = Instrument::histogram("gen_ai.invoke_agent.duration")
    .unit("s")
    .description("Agent invocation duration")
    .buckets(INVOKE_AGENT_BUCKETS);

const EXECUTE_TOOL_DURATION: Instrument = Instrument::histogram("gen_ai.execute_tool.duration")
    .unit("s")
    .description("Tool execution duration")
    .buckets(GEN_AI_DURATION_BUCKETS);

const WORKFLOW_DURATION: Instrument = Instrument::histogram("gen_ai.workflow.duration")
    .unit("s")
    .description("Workflow duration")
    .long_duration_buckets(WORKFLOW_BUCKETS);

macro_rules! token_counter {
    ($name:ident, $suffix:literal, $description:literal) => {
        const $name: Instrument =
            Instrument::counter(concat!("gen_ai.client.inference.usage.", $suffix))
                .unit("{token}")
                .description($description);
    };
}
token_counter!(
    INPUT_TOKENS,
    "input_tokens",
    "Input tokens used by GenAI inference"
);
token_counter!(
    OUTPUT_TOKENS,
    "output_tokens",
    "Output tokens used by GenAI inference"
);
token_counter!(
    CACHE_READ_TOKENS,
    "cache_read.input_tokens",
    "Input tokens read from the provider's cache"
);
token_counter!(
    CACHE_WRITE_TOKENS,
    "cache_write.input_tokens",
    "Input tokens written to the provider's cache"
);
token_counter!(
    REASONING_TOKENS,
    "reasoning.output_tokens",
    "Output tokens spent on reasoning"
);

/// `gen_ai.agent.invocation.end_reason`: the conventions' three values. A [`TurnEndReason`]
/// of `cancelled` has no value of its own there and is reported as `interrupted` (see
/// [`GenAiConventions`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, AttributeValue)]
pub(crate) enum EndReason {
    Completed,
    Interrupted,
    SessionClosed,
}

impl From<TurnEndReason> for EndReason {
    fn from(reason: TurnEndReason) -> Self {
        match reason {
            TurnEndReason::Completed => EndReason::Completed,
            TurnEndReason::Interrupted | TurnEndReason::Cancelled => EndReason::Interrupted,
            TurnEndReason::SessionClosed => EndReason::SessionClosed,
        }
    }
}

/// `gen_ai.token.modality`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AttributeValue)]
pub(crate) enum Modality {
    Text,
    Audio,
    Image,
    Unknown,
}

/// `gen_ai.operation.name` of the operations the views record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AttributeValue)]
pub(crate) enum Operation {
    Chat,
    GenerateContent,
    SpeechToText,
    TextToSpeech,
}

// ---------------------------------------------------------------------------------------------
// The views. Each is named for what it measures; `Latest::FED_BY` names the event it is read
// from, and its fields are named as the event's, so the catalog shows the event's fields.

/// An agent turn: [`AgentInvocationMetrics`].
#[derive(Clone, PartialEq, AgentMetric)]
pub(crate) struct InvokeAgent {
    #[attr(key = "gen_ai.agent.name")]
    agent_name: Name,
    #[attr(key = "error.type")]
    error_type: Option<Name>,
    #[attr(key = "gen_ai.agent.invocation.end_reason")]
    end_reason: Option<EndReason>,
    #[metric(histogram = INVOKE_AGENT_DURATION,
             attributes(agent_name, error_type, end_reason,
                        genai::OPERATION_NAME = operation::INVOKE_AGENT))]
    duration: f64,
}

/// A tool execution: [`ToolExecutionMetrics`].
#[derive(Clone, PartialEq, AgentMetric)]
pub(crate) struct ExecuteTool {
    #[attr(key = "gen_ai.tool.name")]
    tool_name: Name,
    #[attr(key = "gen_ai.tool.type")]
    tool_type: Option<ToolType>,
    #[attr(key = "gen_ai.agent.name")]
    agent_name: Option<Name>,
    #[attr(key = "error.type")]
    error_type: Option<ToolErrorType>,
    #[metric(histogram = EXECUTE_TOOL_DURATION,
             attributes(tool_name, tool_type, agent_name, error_type,
                        genai::OPERATION_NAME = operation::EXECUTE_TOOL))]
    duration: f64,
}

/// A session: [`SessionMetrics`].
#[derive(Clone, PartialEq, AgentMetric)]
pub(crate) struct Workflow {
    #[attr(key = "gen_ai.workflow.name")]
    workflow_name: Name,
    #[attr(key = "error.type")]
    error_type: Option<Name>,
    #[metric(histogram = WORKFLOW_DURATION, skip_negative, attributes(workflow_name, error_type))]
    duration: f64,
}

/// An STT or TTS request: `gen_ai.client.operation.duration` with `speech_to_text` or
/// `text_to_speech`, under the same guard as `chat` (only durations above 0: a streaming STT
/// reports 0).
#[derive(Clone, PartialEq, AgentMetric)]
pub(crate) struct SpeechOperation {
    metadata: Option<Metadata>,
    #[attr(key = "gen_ai.operation.name")]
    operation: Operation,
    #[metric(histogram = GEN_AI_OPERATION_DURATION, skip_zero, skip_negative,
             attributes(metadata as GenAiModel, operation))]
    duration: f64,
}

/// The token counters of one LLM completion ([`LLMMetrics`]), whose tokens are text: a
/// pipeline LLM reads the transcript and writes what the TTS speaks.
#[derive(Clone, PartialEq, AgentMetric)]
#[metric(attributes(metadata as GenAiModel, operation, modality))]
pub(crate) struct LlmTokens {
    metadata: Option<Metadata>,
    #[attr(key = "gen_ai.operation.name")]
    operation: Operation,
    #[attr(key = "gen_ai.token.modality")]
    modality: Modality,
    #[metric(counter = INPUT_TOKENS, skip_zero)]
    prompt_tokens: u64,
    #[metric(counter = OUTPUT_TOKENS, skip_zero)]
    completion_tokens: u64,
    #[metric(counter = CACHE_READ_TOKENS, skip_zero)]
    prompt_cached_tokens: u64,
    #[metric(counter = CACHE_WRITE_TOKENS, skip_zero)]
    cache_creation_tokens: u64,
    #[metric(counter = REASONING_TOKENS, skip_zero)]
    reasoning_tokens: u64,
}

/// The token counters of one realtime response ([`RealtimeModelMetrics`]), one view per
/// modality of its token details; what the details leave unexplained is `unknown`, so the
/// modalities add up to the response's totals.
#[derive(Clone, PartialEq, AgentMetric)]
#[metric(attributes(metadata as GenAiModel, operation, modality))]
pub(crate) struct RealtimeTokens {
    metadata: Option<Metadata>,
    #[attr(key = "gen_ai.operation.name")]
    operation: Operation,
    #[attr(key = "gen_ai.token.modality")]
    modality: Modality,
    #[metric(counter = INPUT_TOKENS, skip_zero)]
    input_tokens: u64,
    #[metric(counter = OUTPUT_TOKENS, skip_zero)]
    output_tokens: u64,
    #[metric(counter = CACHE_READ_TOKENS, skip_zero)]
    cached_tokens: u64,
}

// ---------------------------------------------------------------------------------------------
// Recording.

/// The handles of every view, built once per recorder under the opt-in.
pub(crate) struct Handles {
    invoke_agent: HandlesOf<InvokeAgent>,
    execute_tool: HandlesOf<ExecuteTool>,
    workflow: HandlesOf<Workflow>,
    speech: HandlesOf<SpeechOperation>,
    llm_tokens: HandlesOf<LlmTokens>,
    realtime_tokens: HandlesOf<RealtimeTokens>,
}

impl Handles {
    pub(crate) fn new(meter: &opentelemetry::metrics::Meter) -> Self {
        Handles {
            invoke_agent: InvokeAgent::handles(meter),
            execute_tool: ExecuteTool::handles(meter),
            workflow: Workflow::handles(meter),
            speech: SpeechOperation::handles(meter),
            llm_tokens: LlmTokens::handles(meter),
            realtime_tokens: RealtimeTokens::handles(meter),
        }
    }
}

/// What a schema event records under the opt-in, beside (or, when [`REPLACED`](Self::REPLACED),
/// instead of) its own instruments. Every schema type implements it; most record nothing more.
pub(crate) trait Latest {
    /// Whether the opt-in redefines this type's own instruments: its handles are then not built.
    const REPLACED: bool = false;

    /// Records the views of `self`.
    #[inline]
    fn record_latest(&self, _handles: &Handles) {}
}

macro_rules! nothing_more {
    ($($ty:ty),* $(,)?) => { $(impl Latest for $ty {})* };
}
nothing_more!(
    VADMetrics,
    EOUMetrics,
    EOTInferenceMetrics,
    InterruptionMetrics,
    AvatarMetrics,
    DecisionMetrics,
    MetricsReport,
    EventLoopBlocked,
    TurnLatencyPart,
    TurnBreakdownSkipped,
    TurnOutcome,
    BudgetExceeded,
    ProviderAttempt,
);

impl Latest for AgentInvocationMetrics {
    const REPLACED: bool = true;

    fn record_latest(&self, handles: &Handles) {
        InvokeAgent {
            agent_name: self.agent_name.clone(),
            error_type: self.error_type.clone(),
            end_reason: self.end_reason.map(EndReason::from),
            duration: self.duration,
        }
        .record(&handles.invoke_agent);
    }
}

impl Latest for ToolExecutionMetrics {
    const REPLACED: bool = true;

    fn record_latest(&self, handles: &Handles) {
        ExecuteTool {
            tool_name: self.tool_name.clone(),
            tool_type: self.tool_type,
            agent_name: self.agent_name.clone(),
            error_type: self.error_type,
            duration: self.duration,
        }
        .record(&handles.execute_tool);
    }
}

impl Latest for SessionMetrics {
    fn record_latest(&self, handles: &Handles) {
        Workflow {
            workflow_name: self.workflow_name.clone(),
            error_type: self.error_type.clone(),
            duration: self.duration,
        }
        .record(&handles.workflow);
    }
}

fn speech(metadata: &Option<Metadata>, operation: Operation, duration: f64, handles: &Handles) {
    SpeechOperation {
        metadata: metadata.clone(),
        operation,
        duration,
    }
    .record(&handles.speech);
}

impl Latest for STTMetrics {
    fn record_latest(&self, handles: &Handles) {
        speech(
            &self.metadata,
            Operation::SpeechToText,
            self.duration,
            handles,
        );
    }
}

impl Latest for TTSMetrics {
    fn record_latest(&self, handles: &Handles) {
        speech(
            &self.metadata,
            Operation::TextToSpeech,
            self.duration,
            handles,
        );
    }
}

impl Latest for LLMMetrics {
    fn record_latest(&self, handles: &Handles) {
        LlmTokens {
            metadata: self.metadata.clone(),
            operation: Operation::Chat,
            modality: Modality::Text,
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.completion_tokens,
            prompt_cached_tokens: self.prompt_cached_tokens,
            cache_creation_tokens: self.cache_creation_tokens,
            reasoning_tokens: self.reasoning_tokens,
        }
        .record(&handles.llm_tokens);
    }
}

impl Latest for RealtimeModelMetrics {
    fn record_latest(&self, handles: &Handles) {
        let (input, output) = (&self.input_token_details, &self.output_token_details);
        let cached = input.cached_tokens_details.clone().unwrap_or_default();
        let by_modality = [
            (
                Modality::Text,
                input.text_tokens,
                output.text_tokens,
                cached.text_tokens,
            ),
            (
                Modality::Audio,
                input.audio_tokens,
                output.audio_tokens,
                cached.audio_tokens,
            ),
            (
                Modality::Image,
                input.image_tokens,
                output.image_tokens,
                cached.image_tokens,
            ),
        ];
        let explained = |pick: fn(&(Modality, u64, u64, u64)) -> u64| {
            by_modality.iter().map(pick).fold(0u64, u64::saturating_add)
        };
        let unknown = (
            Modality::Unknown,
            self.input_tokens.saturating_sub(explained(|m| m.1)),
            self.output_tokens.saturating_sub(explained(|m| m.2)),
            input.cached_tokens.saturating_sub(explained(|m| m.3)),
        );
        for (modality, input_tokens, output_tokens, cached_tokens) in
            by_modality.into_iter().chain([unknown])
        {
            RealtimeTokens {
                metadata: self.metadata.clone(),
                operation: Operation::GenerateContent,
                modality,
                input_tokens,
                output_tokens,
                cached_tokens,
            }
            .record(&handles.realtime_tokens);
        }
    }
}

/// Visits the opt-in's descriptors, each under the event that feeds it.
pub(crate) fn visit_instruments(visit: &mut dyn FnMut(InstrumentDescriptor)) {
    fn fed_by<V: AgentMetric>(
        event: &'static str,
        via: fn(&str) -> &'static str,
        visit: &mut dyn FnMut(InstrumentDescriptor),
    ) {
        V::visit_instruments(&mut |mut d| {
            d.source = FieldPath {
                type_name: event,
                via: via(d.source.field),
                ..d.source
            };
            visit(d);
        });
    }
    let top = |_: &str| "";
    fed_by::<InvokeAgent>("AgentInvocationMetrics", top, visit);
    fed_by::<ExecuteTool>("ToolExecutionMetrics", top, visit);
    fed_by::<Workflow>("SessionMetrics", top, visit);
    fed_by::<SpeechOperation>("STTMetrics", top, visit);
    fed_by::<SpeechOperation>("TTSMetrics", top, visit);
    fed_by::<LlmTokens>("LLMMetrics", top, visit);
    // The cached tokens are the input details' (split further by their own details).
    let realtime = |field: &str| match field {
        "cached_tokens" => "input_token_details",
        _ => "",
    };
    fed_by::<RealtimeTokens>("RealtimeModelMetrics", realtime, visit);
}
