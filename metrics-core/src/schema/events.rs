//! The schema as a table: one struct per event (the instruments several fields share are in
//! `instruments.rs`, the attribute sets in `attributes.rs`).
//!
//! An annotated field is a measurement: its doc comment is the description, `skip_zero` the
//! Python framework's non-zero guard, `attributes(..)` the attribute sources it is labelled with,
//! `#[metric(default)]` the value its `Debug` leaves out. Fields with no annotation are data.
//! Nothing else lives here: the JSON shape is in `json.rs`, constructors and the GenAI view of
//! [`Metadata`] in `metadata.rs`, the list of event types in `list.rs`.

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use super::GenAiModel;
use super::attributes::*;
use super::genai::{self, operation, token_type};
use super::instruments::*;
use crate::AgentMetric;

/// One LLM completion (`llm_metrics`), emitted after a stream ends.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename = "llm_metrics"))]
pub struct LLMMetrics {
    /// `"<module>.<ClassName>"` of the LLM.
    pub label: String,
    /// Id of the last chunk.
    pub request_id: String,
    /// Emission time, epoch seconds.
    pub timestamp: f64,
    /// Stream start until the last chunk, seconds.
    #[metric(histogram = GEN_AI_OPERATION_DURATION, skip_zero, skip_negative,
             attributes(metadata as GenAiModel, genai::OPERATION_NAME = operation::CHAT))]
    pub duration: f64,
    /// Time to the first generated token, seconds; -1 when none was generated.
    #[metric(histogram = GEN_AI_TIME_TO_FIRST_CHUNK, skip_negative,
             attributes(metadata as GenAiModel, genai::OPERATION_NAME = operation::CHAT))]
    pub ttft: f64,
    /// Whether the stream was cancelled.
    pub cancelled: bool,
    /// Output tokens.
    #[metric(counter = LLM_OUTPUT_TOKENS, skip_zero)]
    #[metric(histogram = GEN_AI_TOKEN_USAGE, skip_zero,
             attributes(metadata as GenAiModel, genai::OPERATION_NAME = operation::CHAT,
                        genai::TOKEN_TYPE = token_type::OUTPUT))]
    pub completion_tokens: u64,
    /// Input tokens.
    #[metric(counter = LLM_INPUT_TOKENS, skip_zero)]
    #[metric(histogram = GEN_AI_TOKEN_USAGE, skip_zero,
             attributes(metadata as GenAiModel, genai::OPERATION_NAME = operation::CHAT,
                        genai::TOKEN_TYPE = token_type::INPUT))]
    pub prompt_tokens: u64,
    /// Input tokens read from the provider's cache.
    #[metric(counter = LLM_INPUT_CACHED_TOKENS, skip_zero)]
    pub prompt_cached_tokens: u64,
    /// Input tokens written to the provider's cache.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub cache_creation_tokens: u64,
    /// Output tokens spent on hidden reasoning (already part of `completion_tokens`).
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub reasoning_tokens: u64,
    /// All tokens.
    pub total_tokens: u64,
    /// `completion_tokens / duration`.
    pub tokens_per_second: f64,
    /// The speech this completion belongs to.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub speech_id: Option<String>,
    /// The model that produced it.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub metadata: Option<Metadata>,
}

/// One speech-to-text usage report (`stt_metrics`). A streaming STT also emits one with zero usage
/// right after acquiring its connection, carrying only the timing.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(tag = "type", rename = "stt_metrics", from = "super::json::SttJson")
)]
pub struct STTMetrics {
    /// The STT's label.
    pub label: String,
    /// Request id; `""` for connection-timing events.
    pub request_id: String,
    /// Emission time, epoch seconds.
    pub timestamp: f64,
    /// Request duration of `recognize()`, seconds; 0 when streaming.
    pub duration: f64,
    /// STT audio duration
    #[metric(counter = "lk.agents.usage.stt_audio_duration", unit = "s", skip_zero)]
    pub audio_duration: f64,
    /// Input tokens of a token-billed STT.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub input_tokens: u64,
    /// Output tokens of a token-billed STT.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub output_tokens: u64,
    /// `input_tokens + output_tokens` unless given (when read from JSON without it, it is
    /// derived, as the Python model's validator does, saturating at `u64::MAX`).
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub total_tokens: u64,
    /// The audio part of `input_tokens`.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub input_audio_tokens: u64,
    /// Whether this came from a stream (WebSocket).
    pub streamed: bool,
    /// Time to acquire the connection, seconds.
    #[metric(histogram = CONNECTION_ACQUIRE_TIME, attributes(metadata, connection_reused), skip_zero, default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub acquire_time: f64,
    /// Whether the connection came out of a pool.
    #[attr(as_str)]
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub connection_reused: bool,
    /// The model that produced it.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub metadata: Option<Metadata>,
}

/// One text-to-speech synthesis (`tts_metrics`).
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename = "tts_metrics"))]
pub struct TTSMetrics {
    /// The TTS's label.
    pub label: String,
    /// Request id.
    pub request_id: String,
    /// Emission time, epoch seconds.
    pub timestamp: f64,
    /// Time to the first audio frame, seconds; -1 when none.
    pub ttfb: f64,
    /// Start until the final frame, seconds.
    pub duration: f64,
    /// TTS audio duration
    #[metric(counter = "lk.agents.usage.tts_audio_duration", unit = "s", skip_zero)]
    pub audio_duration: f64,
    /// Test only: a field a later release adds, compiled in by `--cfg agent_metrics_schema_probe`
    /// so that CI proves code building events the documented way keeps compiling.
    #[cfg(agent_metrics_schema_probe)]
    #[metric(counter = "lk.agents.usage.tts_schema_probe", unit = "{probe}", skip_zero, default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub schema_probe: u64,
    /// Whether the synthesis was cancelled.
    pub cancelled: bool,
    /// TTS characters synthesized
    #[metric(counter = "lk.agents.usage.tts_characters", unit = "{character}", skip_zero)]
    pub characters_count: u64,
    /// Input tokens of a token-billed TTS.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub input_tokens: u64,
    /// Output tokens of a token-billed TTS.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub output_tokens: u64,
    /// False for a chunked synthesis, true for a stream.
    pub streamed: bool,
    /// Time to acquire the connection, seconds: set on the first event of a stream only.
    #[metric(histogram = CONNECTION_ACQUIRE_TIME, attributes(metadata, connection_reused), skip_zero, default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub acquire_time: f64,
    /// Whether the connection came out of a pool.
    #[attr(as_str)]
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub connection_reused: bool,
    /// The segment of a stream.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub segment_id: Option<String>,
    /// The speech this synthesis belongs to.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub speech_id: Option<String>,
    /// The model that produced it.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub metadata: Option<Metadata>,
}

/// Voice-activity detection load (`vad_metrics`), about once a second. Feeds no instrument.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename = "vad_metrics"))]
pub struct VADMetrics {
    /// The VAD's label.
    pub label: String,
    /// Emission time, epoch seconds.
    pub timestamp: f64,
    /// Time since the last VAD activity, seconds.
    pub idle_time: f64,
    /// Summed inference time over the window, seconds.
    pub inference_duration_total: f64,
    /// Inferences in the window.
    pub inference_count: u64,
    /// The VAD model.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub metadata: Option<Metadata>,
}

/// End-of-utterance timing of one user turn (`eou_metrics`). Feeds no instrument: the same
/// delays are recorded from the turn's [`MetricsReport`](super::MetricsReport).
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename = "eou_metrics"))]
pub struct EOUMetrics {
    /// Emission time, epoch seconds.
    pub timestamp: f64,
    /// End of speech until the end-of-turn decision, seconds.
    pub end_of_utterance_delay: f64,
    /// End of speech until the final transcript, seconds.
    pub transcription_delay: f64,
    /// Time in the `on_user_turn_completed` callback, seconds.
    pub on_user_turn_completed_delay: f64,
    /// The speech this turn belongs to.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub speech_id: Option<String>,
    /// The turn detector.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub metadata: Option<Metadata>,
}

/// Cached input tokens of a realtime response, by modality.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct CachedTokenDetails {
    /// Cached audio tokens.
    #[metric(default)]
    pub audio_tokens: u64,
    /// Cached text tokens.
    #[metric(default)]
    pub text_tokens: u64,
    /// Cached image tokens.
    #[metric(default)]
    pub image_tokens: u64,
}

/// Input tokens of a realtime response, by modality. Labelled with the response's metadata.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct InputTokenDetails {
    /// LLM input audio tokens
    #[metric(
        counter = "lk.agents.usage.llm_input_audio_tokens",
        unit = "{token}",
        skip_zero,
        default
    )]
    pub audio_tokens: u64,
    /// LLM input text tokens
    #[metric(
        counter = "lk.agents.usage.llm_input_text_tokens",
        unit = "{token}",
        skip_zero,
        default
    )]
    pub text_tokens: u64,
    /// Input image tokens.
    #[metric(default)]
    pub image_tokens: u64,
    /// Input tokens read from the cache.
    #[metric(counter = LLM_INPUT_CACHED_TOKENS, skip_zero, default)]
    pub cached_tokens: u64,
    /// The cached tokens by modality.
    #[metric(nested, default)]
    pub cached_tokens_details: Option<CachedTokenDetails>,
}

/// Output tokens of a realtime response, by modality. Labelled with the response's metadata.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct OutputTokenDetails {
    /// LLM output text tokens
    #[metric(
        counter = "lk.agents.usage.llm_output_text_tokens",
        unit = "{token}",
        skip_zero,
        default
    )]
    pub text_tokens: u64,
    /// LLM output audio tokens
    #[metric(
        counter = "lk.agents.usage.llm_output_audio_tokens",
        unit = "{token}",
        skip_zero,
        default
    )]
    pub audio_tokens: u64,
    /// Output image tokens (no longer emitted by realtime models).
    #[metric(default)]
    pub image_tokens: u64,
}

/// One realtime-model response (`realtime_model_metrics`). A session also emits one with zero
/// usage after every (re)connect, carrying only the connection timing.
#[derive(Clone, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename = "realtime_model_metrics"))]
pub struct RealtimeModelMetrics {
    /// The model's label.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub label: String,
    /// Response id; `""` for connection-timing events.
    pub request_id: String,
    /// Response creation time, epoch seconds.
    pub timestamp: f64,
    /// Response created until done, seconds.
    #[metric(default)]
    #[metric(histogram = GEN_AI_OPERATION_DURATION, skip_zero, skip_negative,
             attributes(metadata as GenAiModel, genai::OPERATION_NAME = operation::GENERATE_CONTENT))]
    #[cfg_attr(feature = "serde", serde(default))]
    pub duration: f64,
    /// LLM session duration (for session-based billing)
    #[metric(counter = "lk.agents.usage.llm_session_duration", unit = "s", skip_zero, default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub session_duration: f64,
    /// Time to the first audio token, seconds; -1 when none.
    #[metric(default = -1.0)]
    #[metric(histogram = GEN_AI_TIME_TO_FIRST_CHUNK, skip_negative,
             attributes(metadata as GenAiModel, genai::OPERATION_NAME = operation::GENERATE_CONTENT))]
    #[cfg_attr(feature = "serde", serde(default = "super::json::minus_one"))]
    pub ttft: f64,
    /// Whether the response was cancelled.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub cancelled: bool,
    /// Input tokens, text and audio.
    #[metric(counter = LLM_INPUT_TOKENS, skip_zero, default)]
    #[metric(histogram = GEN_AI_TOKEN_USAGE, skip_zero,
             attributes(metadata as GenAiModel, genai::OPERATION_NAME = operation::GENERATE_CONTENT,
                        genai::TOKEN_TYPE = token_type::INPUT))]
    #[cfg_attr(feature = "serde", serde(default))]
    pub input_tokens: u64,
    /// Output tokens.
    #[metric(counter = LLM_OUTPUT_TOKENS, skip_zero, default)]
    #[metric(histogram = GEN_AI_TOKEN_USAGE, skip_zero,
             attributes(metadata as GenAiModel, genai::OPERATION_NAME = operation::GENERATE_CONTENT,
                        genai::TOKEN_TYPE = token_type::OUTPUT))]
    #[cfg_attr(feature = "serde", serde(default))]
    pub output_tokens: u64,
    /// All tokens.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub total_tokens: u64,
    /// Output tokens per second.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub tokens_per_second: f64,
    /// Input tokens by modality.
    #[metric(nested)]
    pub input_token_details: InputTokenDetails,
    /// Output tokens by modality.
    #[metric(nested)]
    pub output_token_details: OutputTokenDetails,
    /// Time to acquire the connection, seconds.
    #[metric(histogram = CONNECTION_ACQUIRE_TIME, attributes(metadata, connection_reused), skip_zero, default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub acquire_time: f64,
    /// Whether the connection was reused (realtime sessions always connect anew).
    #[attr(as_str)]
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub connection_reused: bool,
    /// The model that produced it.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub metadata: Option<Metadata>,
}

/// Adaptive interruption detection (`interruption_metrics`).
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename = "interruption_metrics"))]
pub struct InterruptionMetrics {
    /// Emission time, epoch seconds.
    pub timestamp: f64,
    /// Latest inference round trip, seconds.
    pub total_duration: f64,
    /// Latest model-side inference time, seconds.
    pub prediction_duration: f64,
    /// Onset of speech until the final prediction, seconds.
    pub detection_delay: f64,
    /// 1 if this event is an interruption.
    pub num_interruptions: u64,
    /// 1 if this event is a backchannel.
    pub num_backchannels: u64,
    /// Interruption detection requests
    #[metric(counter = "lk.agents.usage.interruption_num_requests", unit = "{request}", skip_zero)]
    pub num_requests: u64,
    /// The detector model.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub metadata: Option<Metadata>,
}

/// End-of-turn model inference (`eot_inference_metrics`). Feeds no instrument.
#[derive(Clone, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename = "eot_inference_metrics"))]
pub struct EOTInferenceMetrics {
    /// Emission time, epoch seconds.
    pub timestamp: f64,
    /// Inference round trip, seconds.
    pub total_duration: f64,
    /// Onset until the prediction, seconds.
    pub detection_delay: f64,
    /// Model-side inference time, seconds.
    pub prediction_duration: f64,
    /// Requests sent.
    #[metric(default = 1)]
    #[cfg_attr(feature = "serde", serde(default = "super::json::one"))]
    pub num_requests: u64,
    /// The turn-detector model.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub metadata: Option<Metadata>,
}

/// Avatar playback (`avatar_metrics`). Feeds no instrument.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename = "avatar_metrics"))]
pub struct AvatarMetrics {
    /// Emission time, epoch seconds.
    pub timestamp: f64,
    /// Forwarding the first frame until playback started, seconds.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub playback_latency: f64,
    /// When the avatar session started, epoch seconds.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub session_started_time: Option<f64>,
    /// When the avatar joined the room, epoch seconds.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub avatar_joined_time: Option<f64>,
    /// The avatar provider.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub metadata: Option<Metadata>,
}

/// One call of a decision model (`decision_metrics`). Feeds no instrument.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename = "decision_metrics"))]
pub struct DecisionMetrics {
    /// The model's label.
    pub label: String,
    /// Request id.
    pub request_id: String,
    /// Emission time, epoch seconds.
    pub timestamp: f64,
    /// First attempt until the response, retries included, seconds.
    pub duration: f64,
    /// Input tokens, when reported.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub input_tokens: Option<u64>,
    /// Output tokens, when reported.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub output_tokens: Option<u64>,
    /// The model that answered.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub metadata: Option<Metadata>,
}

/// One function-tool execution: from just before the tool runs until its output is built,
/// errors and cancellation included.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct ToolExecutionMetrics {
    /// The function's name.
    #[attr(key = "gen_ai.tool.name")]
    pub tool_name: Name,
    /// Tool execution duration
    #[metric(histogram = "gen_ai.execute_tool.duration", unit = "s", buckets = GEN_AI_DURATION_BUCKETS,
             attributes(tool_name, error_type, genai::OPERATION_NAME = operation::EXECUTE_TOOL))]
    pub duration: f64,
    /// `tool_error` when the execution's output is an error.
    #[attr(key = "error.type")]
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub error_type: Option<ToolErrorType>,
    /// What kind of tool it is: `gen_ai.tool.type` under the `gen_ai_latest_experimental`
    /// opt-in (see [`GenAiConventions`](super::GenAiConventions)); livekit-agents 1.8.9 does not
    /// label it. `None` leaves the attribute out.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub tool_type: Option<ToolType>,
    /// The agent that called the tool: `gen_ai.agent.name` under the opt-in.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub agent_name: Option<Name>,
}

/// One agent turn (one speech), whatever the number of LLM steps and tool rounds it took.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct AgentInvocationMetrics {
    /// The agent's label: its id, `default_agent` for the plain agent.
    #[attr(key = "gen_ai.agent.name")]
    pub agent_name: Name,
    /// Agent invocation duration
    #[metric(histogram = "gen_ai.invoke_agent.duration", unit = "s", buckets = GEN_AI_DURATION_BUCKETS,
             attributes(agent_name, genai::OPERATION_NAME = operation::INVOKE_AGENT))]
    pub duration: f64,
    /// How the turn ended, when the framework knows it. Recorded by
    /// [`TurnTracker::turn_ended`](crate::turn::TurnTracker::turn_ended) into
    /// `lk.agents.turn.outcomes`; recording this event alone exports only the duration, as
    /// livekit-agents 1.8.9 does.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub end_reason: Option<TurnEndReason>,
    /// For a turn that did not complete: the fraction of its reply's audio that was played,
    /// from 0 to 1, when known.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub spoken_fraction: Option<f64>,
    /// The agent started this turn's reply while the user was still speaking (the agent
    /// interrupted the user).
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub interrupted_user: bool,
    /// Why the turn failed, a low-cardinality class (an exception type, `timeout`): `error.type`
    /// under the `gen_ai_latest_experimental` opt-in; livekit-agents 1.8.9 does not label it.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub error_type: Option<Name>,
}

/// One agent session, from its start until it closed: `gen_ai.workflow.duration` under the
/// `gen_ai_latest_experimental` opt-in (see [`GenAiConventions`](super::GenAiConventions)).
/// livekit-agents 1.8.9 has no session metric, so by default it feeds no instrument.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct SessionMetrics {
    /// The session's name, low cardinality (the agent's name, not a room or job id):
    /// `gen_ai.workflow.name`.
    pub workflow_name: Name,
    /// Start until close, seconds.
    pub duration: f64,
    /// Why the session failed, a low-cardinality class: `error.type`. `None` for a session that
    /// closed normally.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub error_type: Option<Name>,
}

/// One stall of the async runtime: a time during which it could not run its timers.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct EventLoopBlocked {
    /// Duration of synchronous blocks detected on an agent event loop
    #[metric(histogram = "lk.agents.event_loop.blocked_duration", unit = "s",
             buckets = BLOCKED_BUCKETS, attributes(severity))]
    pub duration: f64,
    /// How bad it was.
    #[attr]
    pub severity: Severity,
}
