//! The schema's shared definitions: bucket boundaries, and the instruments more than one field
//! feeds (declared once, so their fields cannot disagree).

use crate::Instrument;

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
