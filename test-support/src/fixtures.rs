//! Events for the tests of this crate: complete, valid, and adjusted per test with struct update
//! syntax, so each test states only the fields it is about.

use agent_metrics::schema::{Metadata, RealtimeModelMetrics, STTMetrics, TTSMetrics};

/// A streamed synthesis by `metadata`'s model that feeds nothing: no characters, no audio, no
/// connection timing.
pub fn tts(metadata: Option<Metadata>) -> TTSMetrics {
    TTSMetrics {
        label: "tts".into(),
        request_id: "r".into(),
        ttfb: 0.1,
        duration: 0.5,
        streamed: true,
        metadata,
        ..Default::default()
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
        streamed: true,
        metadata,
        ..Default::default()
    }
}

/// A realtime response by `metadata`'s model with every field at its default: no tokens, no
/// duration, `ttft` -1.
pub fn realtime(metadata: Option<Metadata>) -> RealtimeModelMetrics {
    RealtimeModelMetrics {
        ttft: -1.0,
        metadata,
        ..Default::default()
    }
}
