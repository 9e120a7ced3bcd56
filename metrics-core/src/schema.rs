//! The schema: every event type of the voice-agent framework and every instrument it feeds.
//!
//! This file reads as a table. The shared instruments come first (one `const` each, with the exact
//! name users' dashboards query), then one struct per event: an annotated field is a measurement,
//! its doc comment the description, `skip_zero` the Python framework's non-zero guard, and
//! `attributes(..)` the attribute sources it is labelled with. Fields with no annotation are data.
//!
//! Where we differ from the Python original on purpose:
//! - histograms carry buckets suited to seconds ([`LATENCY_BUCKETS`], [`ACQUIRE_BUCKETS`]) instead
//!   of the SDK's millisecond defaults, which put almost every sample in one bucket (spec §9.1);
//! - counts carry UCUM annotations as units (`{token}`, `{character}`, `{request}`), which
//!   Prometheus drops from names, so the exported series names stay the same;
//! - turn histograms are recorded when each turn's [`MetricsReport`] is complete, not in a burst
//!   at session end (see [`crate::MetricsRecorder`]).

use std::sync::Arc;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use opentelemetry::{Key, KeyValue, StringValue, Value};

use crate::genai::{self, ProviderName, gen_ai_provider_name, operation, token_type};
use crate::{AgentMetric, AttrBuf, AttributeValue, AttributeView, Attributes, Instrument};

/// A model or provider id: cheap to clone into every data point's attributes.
pub type ModelId = Arc<str>;

/// Buckets for turn latencies, in seconds: 50 ms to 10 s.
pub const LATENCY_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0];

/// Buckets for connection acquisition, in seconds: a reused connection takes microseconds, a new
/// WebSocket handshake tens to hundreds of milliseconds.
pub const ACQUIRE_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Buckets for GenAI token counts: the OpenTelemetry GenAI conventions' advice (powers of 4).
pub const GEN_AI_TOKEN_BUCKETS: &[f64] = &[
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];

/// Buckets for GenAI durations, in seconds: the GenAI conventions' advice (10 ms doubling).
pub const GEN_AI_DURATION_BUCKETS: &[f64] = &[
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/// Buckets for event-loop stalls, in seconds: from the lowest warning threshold the stall
/// monitor accepts (20 ms) up.
pub const BLOCKED_BUCKETS: &[f64] = &[0.02, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0];

// ---------------------------------------------------------------------------------------------
// Instruments fed by more than one field.

/// `lk.agents.usage.llm_input_tokens`: `LLMMetrics.prompt_tokens`, `RealtimeModelMetrics.input_tokens`.
pub const LLM_INPUT_TOKENS: Instrument = Instrument::counter("lk.agents.usage.llm_input_tokens")
    .unit("{token}")
    .description("LLM input tokens");

/// `lk.agents.usage.llm_input_cached_tokens`: cache reads of LLM and realtime models.
pub const LLM_INPUT_CACHED_TOKENS: Instrument =
    Instrument::counter("lk.agents.usage.llm_input_cached_tokens")
        .unit("{token}")
        .description("LLM cached input tokens");

/// `lk.agents.usage.llm_output_tokens`: `LLMMetrics.completion_tokens`, `RealtimeModelMetrics.output_tokens`.
pub const LLM_OUTPUT_TOKENS: Instrument = Instrument::counter("lk.agents.usage.llm_output_tokens")
    .unit("{token}")
    .description("LLM output tokens");

/// `lk.agents.connection.acquire_time`: STT, TTS and realtime connection acquisition.
pub const CONNECTION_ACQUIRE_TIME: Instrument =
    Instrument::histogram("lk.agents.connection.acquire_time")
        .unit("s")
        .description("Time to acquire a connection (WebSocket only)")
        .buckets(ACQUIRE_BUCKETS);

/// `gen_ai.client.token.usage`: LLM and realtime tokens, by `gen_ai.token.type`.
pub const GEN_AI_TOKEN_USAGE: Instrument = Instrument::histogram("gen_ai.client.token.usage")
    .unit("{token}")
    .description("Number of input and output tokens used by the GenAI operation")
    .buckets(GEN_AI_TOKEN_BUCKETS);

/// `gen_ai.client.operation.duration`: LLM and realtime response durations.
pub const GEN_AI_OPERATION_DURATION: Instrument =
    Instrument::histogram("gen_ai.client.operation.duration")
        .unit("s")
        .description("GenAI operation duration")
        .buckets(GEN_AI_DURATION_BUCKETS);

/// `gen_ai.client.operation.time_to_first_chunk`: LLM and realtime time to first chunk.
pub const GEN_AI_TIME_TO_FIRST_CHUNK: Instrument =
    Instrument::histogram("gen_ai.client.operation.time_to_first_chunk")
        .unit("s")
        .description("Time to first chunk of a streaming GenAI response")
        .buckets(GEN_AI_DURATION_BUCKETS);

// ---------------------------------------------------------------------------------------------
// Attribute sets.

/// Which model produced a value: the `model_provider` / `model_name` attributes of usage and
/// connection metrics. `None` and empty strings are left out (spec §2.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Attributes)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Metadata {
    /// The model id, as the plugin reports it.
    #[attr(skip_empty)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub model_name: Option<ModelId>,
    /// The provider id, as the plugin reports it.
    #[attr(skip_empty)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub model_provider: Option<ModelId>,
}

/// The model behind one turn's latencies: the attributes of turn histograms. Presence-based:
/// a key that is present is written even when empty (spec §2.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Attributes)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct MetricsMetadata {
    /// The model id.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub model_name: Option<ModelId>,
    /// The provider id.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub model_provider: Option<ModelId>,
}

/// The GenAI conventions' reading of a [`Metadata`] (delta spec §2.2): `gen_ai.provider.name`
/// normalized by [`gen_ai_provider_name`], and `gen_ai.request.model` and
/// `gen_ai.response.model` both the model name. No metadata, no attributes.
#[derive(Clone, Copy, Debug, Default)]
pub struct GenAiModel;

impl AttributeView<Option<Metadata>> for GenAiModel {
    const KEYS: &'static [&'static str] = &[
        genai::PROVIDER_NAME,
        genai::REQUEST_MODEL,
        genai::RESPONSE_MODEL,
    ];

    #[inline]
    fn push_attribute<const N: usize>(
        value: &Option<Metadata>,
        index: usize,
        buf: &mut AttrBuf<N>,
    ) {
        let Some(metadata) = value else {
            return;
        };
        let key = Key::from_static_str(Self::KEYS[index]);
        if index == 0 {
            let Some(provider) = &metadata.model_provider else {
                return;
            };
            let name = match gen_ai_provider_name(provider) {
                Some(ProviderName::Known(name)) => Value::from(name),
                // Unchanged: share the caller's string rather than copy it.
                Some(ProviderName::Other(name)) if name.len() == provider.len() => {
                    Value::String(StringValue::from(provider.clone()))
                }
                Some(ProviderName::Other(trimmed)) => Value::from(trimmed.to_owned()),
                None => return,
            };
            buf.push(KeyValue::new(key, name));
        } else if let Some(model) = metadata.model_name.as_ref().filter(|m| !m.is_empty()) {
            buf.push(KeyValue::new(
                key,
                Value::String(StringValue::from(model.clone())),
            ));
        }
    }
}

impl Metadata {
    /// Metadata for `provider` / `model`.
    pub fn new(provider: impl Into<ModelId>, model: impl Into<ModelId>) -> Self {
        Metadata {
            model_name: Some(model.into()),
            model_provider: Some(provider.into()),
        }
    }
}

impl MetricsMetadata {
    /// Turn metadata for `provider` / `model`.
    pub fn new(provider: impl Into<ModelId>, model: impl Into<ModelId>) -> Self {
        MetricsMetadata {
            model_name: Some(model.into()),
            model_provider: Some(provider.into()),
        }
    }
}

impl From<&Metadata> for MetricsMetadata {
    fn from(m: &Metadata) -> Self {
        MetricsMetadata {
            model_name: m.model_name.clone(),
            model_provider: m.model_provider.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Events.

/// One LLM completion (`llm_metrics`), emitted after a stream ends.
#[derive(Clone, PartialEq, AgentMetric)]
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
#[derive(Clone, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(tag = "type", rename = "stt_metrics", from = "SttJson")
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

/// `STTMetrics` as JSON carries it: `total_tokens` may be absent, and is then derived.
#[cfg(feature = "serde")]
#[derive(Deserialize)]
struct SttJson {
    label: String,
    request_id: String,
    timestamp: f64,
    duration: f64,
    audio_duration: f64,
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    total_tokens: Option<u64>,
    #[serde(default)]
    input_audio_tokens: u64,
    streamed: bool,
    #[serde(default)]
    acquire_time: f64,
    #[serde(default)]
    connection_reused: bool,
    #[serde(default)]
    metadata: Option<Metadata>,
}

#[cfg(feature = "serde")]
impl From<SttJson> for STTMetrics {
    fn from(j: SttJson) -> Self {
        STTMetrics {
            total_tokens: j
                .total_tokens
                .unwrap_or(j.input_tokens.saturating_add(j.output_tokens)),
            label: j.label,
            request_id: j.request_id,
            timestamp: j.timestamp,
            duration: j.duration,
            audio_duration: j.audio_duration,
            input_tokens: j.input_tokens,
            output_tokens: j.output_tokens,
            input_audio_tokens: j.input_audio_tokens,
            streamed: j.streamed,
            acquire_time: j.acquire_time,
            connection_reused: j.connection_reused,
            metadata: j.metadata,
        }
    }
}

/// One text-to-speech synthesis (`tts_metrics`).
#[derive(Clone, PartialEq, AgentMetric)]
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
    /// Whether the synthesis was cancelled.
    pub cancelled: bool,
    /// TTS characters synthesized
    #[metric(
        counter = "lk.agents.usage.tts_characters",
        unit = "{character}",
        skip_zero
    )]
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
#[derive(Clone, PartialEq, AgentMetric)]
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
/// delays are recorded from the turn's [`MetricsReport`].
#[derive(Clone, PartialEq, AgentMetric)]
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
#[cfg_attr(
    feature = "serde",
    serde(tag = "type", rename = "realtime_model_metrics")
)]
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
    #[metric(
        counter = "lk.agents.usage.llm_session_duration",
        unit = "s",
        skip_zero,
        default
    )]
    #[cfg_attr(feature = "serde", serde(default))]
    pub session_duration: f64,
    /// Time to the first audio token, seconds; -1 when none.
    #[metric(default = -1.0)]
    #[metric(histogram = GEN_AI_TIME_TO_FIRST_CHUNK, skip_negative,
             attributes(metadata as GenAiModel, genai::OPERATION_NAME = operation::GENERATE_CONTENT))]
    #[cfg_attr(feature = "serde", serde(default = "minus_one"))]
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

#[cfg(feature = "serde")]
fn minus_one() -> f64 {
    -1.0
}

/// Adaptive interruption detection (`interruption_metrics`).
#[derive(Clone, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(tag = "type", rename = "interruption_metrics")
)]
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
    #[metric(
        counter = "lk.agents.usage.interruption_num_requests",
        unit = "{request}",
        skip_zero
    )]
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
#[cfg_attr(
    feature = "serde",
    serde(tag = "type", rename = "eot_inference_metrics")
)]
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
    #[cfg_attr(feature = "serde", serde(default = "one"))]
    pub num_requests: u64,
    /// The turn-detector model.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub metadata: Option<Metadata>,
}

#[cfg(feature = "serde")]
fn one() -> u64 {
    1
}

/// Avatar playback (`avatar_metrics`). Feeds no instrument.
#[derive(Clone, PartialEq, AgentMetric)]
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
#[derive(Clone, PartialEq, AgentMetric)]
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

/// The `error.type` of a failed tool execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, AttributeValue)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ToolErrorType {
    /// The tool raised, was cancelled, or returned an error output.
    ToolError,
}

/// One function-tool execution: from just before the tool runs until its output is built,
/// errors and cancellation included.
#[derive(Clone, PartialEq, AgentMetric)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct ToolExecutionMetrics {
    /// The function's name.
    #[attr(key = "gen_ai.tool.name")]
    pub tool_name: ModelId,
    /// Tool execution duration
    #[metric(histogram = "gen_ai.execute_tool.duration", unit = "s", buckets = GEN_AI_DURATION_BUCKETS,
             attributes(tool_name, error_type, genai::OPERATION_NAME = operation::EXECUTE_TOOL))]
    pub duration: f64,
    /// `tool_error` when the execution's output is an error.
    #[attr(key = "error.type")]
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub error_type: Option<ToolErrorType>,
}

impl ToolExecutionMetrics {
    /// An execution of `tool_name` that took `duration` seconds and failed or not.
    pub fn new(tool_name: impl Into<ModelId>, duration: f64, is_error: bool) -> Self {
        ToolExecutionMetrics {
            tool_name: tool_name.into(),
            duration,
            error_type: is_error.then_some(ToolErrorType::ToolError),
        }
    }
}

/// One agent turn (one speech), whatever the number of LLM steps and tool rounds it took.
#[derive(Clone, PartialEq, AgentMetric)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct AgentInvocationMetrics {
    /// The agent's label: its id, `default_agent` for the plain agent.
    #[attr(key = "gen_ai.agent.name")]
    pub agent_name: ModelId,
    /// Agent invocation duration
    #[metric(histogram = "gen_ai.invoke_agent.duration", unit = "s", buckets = GEN_AI_DURATION_BUCKETS,
             attributes(agent_name, genai::OPERATION_NAME = operation::INVOKE_AGENT))]
    pub duration: f64,
}

/// How long a stall of the async runtime was: `warning` from 100 ms, `error` from 500 ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, AttributeValue)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Severity {
    /// At least the warning threshold.
    Warning,
    /// At least the error threshold.
    Error,
}

/// One stall of the async runtime: a time during which it could not run its timers.
#[derive(Clone, PartialEq, AgentMetric)]
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

/// The latencies of one conversation turn (a chat message's `metrics`). Keys are present only
/// when known; each present delay is recorded once, labelled with the model that caused it.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct MetricsReport {
    /// When speaking started, epoch seconds.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub started_speaking_at: Option<f64>,
    /// When speaking stopped, epoch seconds.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub stopped_speaking_at: Option<f64>,
    /// Time from end of speech to transcript available
    #[metric(histogram = "lk.agents.turn.transcription_delay", unit = "s", buckets = LATENCY_BUCKETS, attributes(stt_metadata), default)]
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub transcription_delay: Option<f64>,
    /// Time from end of speech to turn decision
    #[metric(histogram = "lk.agents.turn.end_of_turn_delay", unit = "s", buckets = LATENCY_BUCKETS, attributes(stt_metadata), default)]
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub end_of_turn_delay: Option<f64>,
    /// Time to invoke the on_user_turn_completed callback
    #[metric(histogram = "lk.agents.turn.on_user_turn_completed_delay", unit = "s", buckets = LATENCY_BUCKETS, attributes(stt_metadata), default)]
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub on_user_turn_completed_delay: Option<f64>,
    /// Pipeline-level LLM time to first token
    #[metric(histogram = "lk.agents.turn.llm_ttft", unit = "s", buckets = LATENCY_BUCKETS, attributes(llm_metadata), default)]
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub llm_node_ttft: Option<f64>,
    /// LLM output tokens per second over the streaming window.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub llm_node_tps: Option<f64>,
    /// Time to the first sentence sent to TTS, seconds.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub llm_node_ttfs: Option<f64>,
    /// Pipeline-level TTS time to first byte
    #[metric(histogram = "lk.agents.turn.tts_ttfb", unit = "s", buckets = LATENCY_BUCKETS, attributes(tts_metadata), default)]
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tts_node_ttfb: Option<f64>,
    /// Forwarding the first audio frame until playback started, seconds.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub playback_latency: Option<f64>,
    /// End-to-end turn latency
    #[metric(histogram = "lk.agents.turn.e2e_latency", unit = "s", buckets = LATENCY_BUCKETS, attributes(llm_metadata), default)]
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub e2e_latency: Option<f64>,
    /// The provider's request ids of this turn.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub provider_request_ids: Option<Vec<String>>,
    /// The LLM of the reply.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub llm_metadata: Option<MetricsMetadata>,
    /// The TTS of the reply.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tts_metadata: Option<MetricsMetadata>,
    /// The STT of the user turn.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub stt_metadata: Option<MetricsMetadata>,
}

/// Any metrics event, as the framework's `metrics_collected` delivers them. In JSON, the
/// `type` field selects the variant, as in the Python union.
///
/// Reading any input, however malformed, returns an error rather than panicking. Limits, those
/// of `serde_json`: nesting deeper than 127 levels is refused (so no input can overflow the
/// stack); strings and arrays have no limit of their own and cost their length once, so cap the
/// size of untrusted input before parsing it.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
// Each event writes its own `type` tag, so the enum adds nothing when serializing.
#[cfg_attr(feature = "serde", serde(untagged))]
pub enum AgentMetrics {
    /// `stt_metrics`.
    Stt(STTMetrics),
    /// `llm_metrics`.
    Llm(LLMMetrics),
    /// `decision_metrics`.
    Decision(DecisionMetrics),
    /// `tts_metrics`.
    Tts(TTSMetrics),
    /// `vad_metrics`.
    Vad(VADMetrics),
    /// `eou_metrics`.
    Eou(EOUMetrics),
    /// `eot_inference_metrics`.
    EotInference(EOTInferenceMetrics),
    /// `realtime_model_metrics`.
    Realtime(RealtimeModelMetrics),
    /// `interruption_metrics`.
    Interruption(InterruptionMetrics),
    /// `avatar_metrics`.
    Avatar(AvatarMetrics),
}

/// Reading an event dispatches on its `type` tag: a struct's own tag is only written by serde,
/// never checked, so the enum checks it.
#[cfg(feature = "serde")]
mod tagged {
    use super::*;

    #[derive(Deserialize)]
    #[serde(tag = "type")]
    enum Tagged {
        #[serde(rename = "stt_metrics")]
        Stt(STTMetrics),
        #[serde(rename = "llm_metrics")]
        Llm(LLMMetrics),
        #[serde(rename = "decision_metrics")]
        Decision(DecisionMetrics),
        #[serde(rename = "tts_metrics")]
        Tts(TTSMetrics),
        #[serde(rename = "vad_metrics")]
        Vad(VADMetrics),
        #[serde(rename = "eou_metrics")]
        Eou(EOUMetrics),
        #[serde(rename = "eot_inference_metrics")]
        EotInference(EOTInferenceMetrics),
        #[serde(rename = "realtime_model_metrics")]
        Realtime(RealtimeModelMetrics),
        #[serde(rename = "interruption_metrics")]
        Interruption(InterruptionMetrics),
        #[serde(rename = "avatar_metrics")]
        Avatar(AvatarMetrics),
    }

    impl<'de> Deserialize<'de> for AgentMetrics {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Ok(match Tagged::deserialize(d)? {
                Tagged::Stt(e) => e.into(),
                Tagged::Llm(e) => e.into(),
                Tagged::Decision(e) => e.into(),
                Tagged::Tts(e) => e.into(),
                Tagged::Vad(e) => e.into(),
                Tagged::Eou(e) => e.into(),
                Tagged::EotInference(e) => e.into(),
                Tagged::Realtime(e) => e.into(),
                Tagged::Interruption(e) => e.into(),
                Tagged::Avatar(e) => e.into(),
            })
        }
    }
}

macro_rules! from_event {
    ($($variant:ident($ty:ty)),* $(,)?) => {$(
        impl From<$ty> for AgentMetrics {
            fn from(event: $ty) -> Self {
                AgentMetrics::$variant(event)
            }
        }
    )*};
}

from_event!(
    Stt(STTMetrics),
    Llm(LLMMetrics),
    Decision(DecisionMetrics),
    Tts(TTSMetrics),
    Vad(VADMetrics),
    Eou(EOUMetrics),
    EotInference(EOTInferenceMetrics),
    Realtime(RealtimeModelMetrics),
    Interruption(InterruptionMetrics),
    Avatar(AvatarMetrics),
);
