//! One conversation turn's worth of events of every schema type, shared by the `mix` bench and
//! the allocation test.

use agent_metrics::MetricsRecorder;
use agent_metrics::schema::*;

/// A TTS event with metadata, a reused connection and every instrument fed.
pub fn tts() -> TTSMetrics {
    TTSMetrics {
        label: "livekit.plugins.cartesia.tts.TTS".into(),
        request_id: "req".into(),
        timestamp: 1.0,
        ttfb: 0.2,
        duration: 1.0,
        audio_duration: 3.5,
        characters_count: 42,
        streamed: true,
        acquire_time: 0.08,
        connection_reused: true,
        metadata: Some(Metadata::new("cartesia", "sonic-2")),
        ..Default::default()
    }
}

/// Every event type of a turn, each feeding all its instruments.
pub struct Turn {
    /// Streaming STT usage.
    pub stt: STTMetrics,
    /// One LLM completion.
    pub llm: LLMMetrics,
    /// One synthesis over a reused connection.
    pub tts: TTSMetrics,
    /// One realtime response.
    pub realtime: RealtimeModelMetrics,
    /// One interruption-detection request.
    pub interruption: InterruptionMetrics,
    /// The user's turn latencies.
    pub user: MetricsReport,
    /// The assistant's turn latencies.
    pub assistant: MetricsReport,
    /// One tool execution.
    pub tool: ToolExecutionMetrics,
    /// One agent invocation.
    pub agent: AgentInvocationMetrics,
    /// One event-loop stall.
    pub blocked: EventLoopBlocked,
}

impl Turn {
    /// How many events [`Turn::record`] records.
    pub const EVENTS: u64 = 10;

    /// Records every event once.
    pub fn record(&self, r: &MetricsRecorder) {
        r.record(&self.stt);
        r.record(&self.llm);
        r.record(&self.tts);
        r.record(&self.realtime);
        r.record(&self.interruption);
        r.record(&self.user);
        r.record(&self.assistant);
        r.record(&self.tool);
        r.record(&self.agent);
        r.record(&self.blocked);
    }
}

/// One turn of every event type, each with every instrument it feeds set.
pub fn turn() -> Turn {
    let stt_meta = Metadata::new("deepgram", "nova-3");
    let llm_meta = Metadata::new("openai", "gpt-4o-mini");
    let stt = STTMetrics {
        label: "stt".into(),
        request_id: "r".into(),
        timestamp: 1.0,
        audio_duration: 2.5,
        streamed: true,
        acquire_time: 0.002,
        connection_reused: true,
        metadata: Some(stt_meta.clone()),
        ..Default::default()
    };
    let llm = LLMMetrics {
        label: "llm".into(),
        request_id: "r".into(),
        timestamp: 1.0,
        duration: 1.2,
        ttft: 0.4,
        completion_tokens: 60,
        prompt_tokens: 900,
        prompt_cached_tokens: 700,
        total_tokens: 960,
        tokens_per_second: 50.0,
        metadata: Some(llm_meta.clone()),
        ..Default::default()
    };
    let realtime = RealtimeModelMetrics {
        label: "rt".into(),
        request_id: "r".into(),
        timestamp: 1.0,
        duration: 1.5,
        ttft: 0.3,
        input_tokens: 500,
        output_tokens: 200,
        total_tokens: 700,
        tokens_per_second: 130.0,
        input_token_details: InputTokenDetails {
            audio_tokens: 450,
            text_tokens: 50,
            image_tokens: 0,
            cached_tokens: 100,
            cached_tokens_details: None,
        },
        output_token_details: OutputTokenDetails {
            text_tokens: 40,
            audio_tokens: 160,
            image_tokens: 0,
        },
        metadata: Some(Metadata::new("openai", "gpt-realtime")),
        ..Default::default()
    };
    let interruption = InterruptionMetrics {
        timestamp: 1.0,
        total_duration: 0.05,
        prediction_duration: 0.02,
        detection_delay: 0.2,
        num_interruptions: 1,
        num_requests: 3,
        metadata: Some(Metadata::new("livekit", "adaptive interruption")),
        ..Default::default()
    };
    let user = MetricsReport {
        transcription_delay: Some(0.2),
        end_of_turn_delay: Some(0.5),
        on_user_turn_completed_delay: Some(0.01),
        stt_metadata: Some(MetricsMetadata::from(&stt_meta)),
        ..Default::default()
    };
    let assistant = MetricsReport {
        llm_node_ttft: Some(0.4),
        tts_node_ttfb: Some(0.2),
        e2e_latency: Some(1.1),
        llm_metadata: Some(MetricsMetadata::from(&llm_meta)),
        tts_metadata: Some(MetricsMetadata::new("cartesia", "sonic-2")),
        ..Default::default()
    };
    let tool = ToolExecutionMetrics::new("lookup", 0.2, false);
    let agent = AgentInvocationMetrics {
        agent_name: "concierge".into(),
        duration: 3.0,
        ..Default::default()
    };
    Turn {
        stt,
        llm,
        tts: tts(),
        realtime,
        interruption,
        user,
        assistant,
        tool,
        agent,
        blocked: EventLoopBlocked {
            duration: 0.3,
            severity: Severity::Warning,
            ..Default::default()
        },
    }
}
