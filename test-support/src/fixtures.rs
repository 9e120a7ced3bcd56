//! Events for the tests of this crate: complete, valid, and adjusted per test with struct update
//! syntax, so each test states only the fields it is about.

use agent_metrics::schema::{
    InputTokenDetails, Metadata, OutputTokenDetails, RealtimeModelMetrics, STTMetrics, TTSMetrics,
};

/// A streamed synthesis by `metadata`'s model that feeds nothing: no characters, no audio, no
/// connection timing.
pub fn tts(metadata: Option<Metadata>) -> TTSMetrics {
    TTSMetrics {
        label: "tts".into(),
        request_id: "r".into(),
        timestamp: 0.0,
        ttfb: 0.1,
        duration: 0.5,
        audio_duration: 0.0,
        cancelled: false,
        characters_count: 0,
        input_tokens: 0,
        output_tokens: 0,
        streamed: true,
        acquire_time: 0.0,
        connection_reused: false,
        segment_id: None,
        speech_id: None,
        metadata,
    }
}

/// Cartesia's sonic-2, the model most tests label their events with.
pub fn sonic() -> Option<Metadata> {
    Some(Metadata::new("cartesia", "sonic-2"))
}

/// A streamed recognition by `metadata`'s model that feeds nothing: no audio, no timing.
pub fn stt(metadata: Option<Metadata>) -> STTMetrics {
    STTMetrics {
        label: "stt".into(),
        request_id: String::new(),
        timestamp: 0.0,
        duration: 0.0,
        audio_duration: 0.0,
        input_tokens: 0,
        output_tokens: 0,
        total_tokens: 0,
        input_audio_tokens: 0,
        streamed: true,
        acquire_time: 0.0,
        connection_reused: false,
        metadata,
    }
}

/// A realtime response by `metadata`'s model with every field at its default: no tokens, no
/// duration, `ttft` -1.
pub fn realtime(metadata: Option<Metadata>) -> RealtimeModelMetrics {
    RealtimeModelMetrics {
        label: String::new(),
        request_id: String::new(),
        timestamp: 0.0,
        duration: 0.0,
        session_duration: 0.0,
        ttft: -1.0,
        cancelled: false,
        input_tokens: 0,
        output_tokens: 0,
        total_tokens: 0,
        tokens_per_second: 0.0,
        input_token_details: InputTokenDetails::default(),
        output_token_details: OutputTokenDetails::default(),
        acquire_time: 0.0,
        connection_reused: false,
        metadata,
    }
}
