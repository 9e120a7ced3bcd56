//! The schema's per-turn report: the latencies of one conversation turn, each recorded once when
//! the turn is complete, labelled with the model that caused it.

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use super::attributes::MetricsMetadata;
use super::instruments::LATENCY_BUCKETS;
use crate::AgentMetric;

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
