//! The simulated voice-agent session behind the `agent_session` example, shared with the
//! end-to-end test: a seeded RNG drives pipeline turns (two providers per stage), interruption
//! detection, pooled connections (new and reused), tool calls, agent turns and a realtime
//! session, all inside one job (on a worker, when given one), so that every instrument of the
//! schema is recorded at least once; [`blocking_call`] stalls a real runtime for the event-loop histogram.

use std::time::Duration;

use agent_metrics::catalog::RulesConfig;
use agent_metrics::job::Job;
use agent_metrics::opentelemetry::metrics::Meter;
use agent_metrics::schema::*;
use agent_metrics::stall::StallMonitor;
use agent_metrics::turn::{LatencyBudget, TurnAnalysis, TurnStats, TurnTracker};
use agent_metrics::usage::UsageCollector;
use agent_metrics::worker::{JobOutcome, Worker};
use agent_metrics::{AttributeValue, MetricsRecorder};

/// The two STT (provider, model) pairs the session alternates between.
pub const STT: [(&str, &str); 2] = [
    ("deepgram", "nova-3"),
    ("assemblyai", "universal-streaming"),
];
/// The two LLMs.
pub const LLM: [(&str, &str); 2] = [("openai", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4")];
/// The two TTS voices.
pub const TTS: [(&str, &str); 2] = [("cartesia", "sonic-2"), ("elevenlabs", "eleven_flash_v2_5")];
/// The LLM the agent starts with (slow to first token), and the one it moves to when its
/// latency budget is exceeded.
const SLOW_LLM: usize = 1;
const FAST_LLM: usize = 0;
/// The realtime model.
pub const REALTIME: (&str, &str) = ("openai", "gpt-realtime");

/// The simulated session: a seeded RNG, the turn tracker (which records through the recorder),
/// the session's usage and a clock.
pub struct Session {
    rng: fastrand::Rng,
    turns: TurnTracker,
    /// Usage summed from every event recorded.
    pub usage: UsageCollector,
    /// Epoch seconds of the simulated clock.
    now: f64,
    /// Which providers already hold a pooled connection.
    stt_connected: [bool; 2],
    tts_connected: [bool; 2],
    /// The LLM the agent answers with: the slow one until the latency budget says otherwise.
    llm: usize,
    /// Every provider attempt recorded, for the summary.
    pub attempts: Vec<ProviderAttempt>,
    /// The worker the session's job runs on, if any.
    worker: Option<Worker>,
}

/// What one pipeline turn showed: its analysis, and the agent's reaction to its budget.
pub struct TurnLog<'a> {
    /// The turn's breakdown and the budget's verdict.
    pub analysis: &'a TurnAnalysis,
    /// The LLM the agent switched to after this turn, if the budget made it switch.
    pub switched_to: Option<(&'static str, &'static str)>,
}

/// The latency budget of the simulated agent: the SLO's 2 s per turn, and 1 s for the LLM's
/// time to first token, from the same config that generates the alert rules.
pub fn rules() -> RulesConfig {
    RulesConfig::default().part_threshold(TurnPart::LlmTtft, 1.0)
}

/// How many responses the realtime session of a run of `turns` pipeline turns gives.
pub fn realtime_responses(turns: u32) -> u32 {
    turns.div_ceil(2).max(2)
}

/// A turn tracker judging turns against [`rules`].
fn tracker(recorder: MetricsRecorder) -> TurnTracker {
    TurnTracker::new(recorder).with_budget(LatencyBudget::from_rules(&rules()))
}

impl Session {
    /// A session recording through `recorder`, its randomness fixed by `seed`.
    pub fn new(seed: u64, recorder: MetricsRecorder) -> Self {
        Session {
            rng: fastrand::Rng::with_seed(seed),
            turns: tracker(recorder),
            usage: UsageCollector::default(),
            now: 1_767_225_600.0,
            stt_connected: [false; 2],
            tts_connected: [false; 2],
            llm: SLOW_LLM,
            attempts: Vec::new(),
            worker: None,
        }
    }

    /// Runs the session's job on `worker`: each [`run`](Self::run) is one job, started and
    /// ended (completed) on it.
    pub fn on_worker(mut self, worker: Worker) -> Self {
        self.worker = Some(worker);
        self
    }

    /// The job the simulated session runs in: its attributes label every data point.
    pub fn job() -> Job {
        Job::new("RM_simulated", "AJ_simulated").agent_name("concierge")
    }

    /// What the session's turn tracker saw: breakdown shares, outcomes, interruptions.
    pub fn turn_stats(&self) -> &TurnStats {
        self.turns.stats()
    }

    /// One conversation: a greeting, `turns` pipeline turns, then a realtime session of about
    /// half as many responses, all in [`Session::job`]. `on_turn` sees each pipeline turn's
    /// analysis. Each run starts with the slow LLM and a new turn tracker (so
    /// [`turn_stats`](Self::turn_stats) tells of the last run); usage adds up over runs.
    pub fn run(&mut self, turns: u32, mut on_turn: impl FnMut(u32, &TurnLog<'_>)) {
        let job = Self::job();
        let _in_job = job.enter();
        let started = self.now;
        self.turns = tracker(self.turns.recorder().clone());
        self.llm = SLOW_LLM;
        let running = self.worker.as_ref().map(|w| w.start_job(&job));
        self.greeting();
        for turn in 0..turns {
            self.pipeline_turn(turn, &mut on_turn);
        }
        self.realtime_session(realtime_responses(turns));
        // A background LLM call (a summary of the call), after the last reply: its time to
        // first token belongs to no turn.
        self.rate_limited_fallback(turns);
        // The session closes normally (`gen_ai.workflow.duration` under the GenAI opt-in).
        self.turns.recorder().record(&SessionMetrics {
            workflow_name: "concierge".into(),
            duration: self.now - started,
            error_type: None,
        });
        if let Some(running) = running {
            running.end(JobOutcome::Completed);
        }
    }

    fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.rng.f64()
    }

    /// Records a usage event and folds it into the session usage, as the framework does.
    fn emit(&mut self, event: AgentMetrics) {
        self.turns.record_event(&event);
        self.usage.collect(&event);
    }

    /// A pooled connection: a new WebSocket takes a handshake, a reused one microseconds.
    fn acquire(&mut self, connected: bool) -> (f64, bool) {
        if connected {
            (self.range(0.0002, 0.003), true)
        } else {
            (self.range(0.08, 0.35), false)
        }
    }

    /// `session.say()` greets the user: the reply answers no user turn, so its report has no
    /// `e2e_latency` and gets no breakdown (counted as skipped).
    fn greeting(&mut self) {
        let tts_meta = Metadata::new(TTS[0].0, TTS[0].1);
        let report = MetricsReport {
            started_speaking_at: Some(self.now),
            stopped_speaking_at: Some(self.now + 2.0),
            tts_node_ttfb: Some(self.range(0.1, 0.3)),
            tts_metadata: Some(MetricsMetadata::from(&tts_meta)),
            ..Default::default()
        };
        let analysed = self.turns.record_report(&report).is_some();
        debug_assert!(!analysed, "a greeting answers no user turn");
        self.now += 2.5;
    }

    /// One pipeline turn: the user speaks, the turn detector decides, the agent thinks and
    /// answers (preemptively now and then), and the turn ends completed, interrupted or with a
    /// cancelled preemptive reply; the agent reacts to its latency budget.
    pub fn pipeline_turn(&mut self, turn: u32, on_turn: &mut impl FnMut(u32, &TurnLog<'_>)) {
        let (s, t) = ((turn % 2) as usize, ((turn + 1) % 2) as usize);
        let l = self.llm;
        let stt_meta = Metadata::new(STT[s].0, STT[s].1);
        let llm_meta = Metadata::new(LLM[l].0, LLM[l].1);
        let tts_meta = Metadata::new(TTS[t].0, TTS[t].1);

        // The user speaks; a streaming STT reports its connection first, then its usage.
        let speech = self.range(0.8, 4.0);
        self.now += speech;
        let (acquire_time, reused) = self.acquire(self.stt_connected[s]);
        self.stt_connected[s] = true;
        let event = AgentMetrics::Stt(STTMetrics::connection_acquired(
            "livekit.plugins.stt.STT",
            self.now,
            (Duration::from_secs_f64(acquire_time), reused),
            Some(stt_meta.clone()),
        ));
        self.emit(event);
        let event = AgentMetrics::Stt(STTMetrics {
            label: "livekit.plugins.stt.STT".into(),
            request_id: format!("stt-{turn}"),
            timestamp: self.now,
            audio_duration: speech,
            streamed: true,
            metadata: Some(stt_meta.clone()),
            ..Default::default()
        });
        self.emit(event);
        let event = AgentMetrics::Vad(VADMetrics {
            label: "livekit.plugins.silero.VAD".into(),
            timestamp: self.now,
            idle_time: self.range(0.0, 0.5),
            inference_duration_total: self.range(0.005, 0.02),
            inference_count: 31,
            metadata: Some(Metadata::new("silero", "silero-vad")),
            ..Default::default()
        });
        self.emit(event);

        // The end of the user's turn, in seconds after the user stopped speaking: the final
        // transcript usually lands before the end-of-turn decision, every fourth turn after it.
        let user_stopped = self.now;
        let end_of_turn_delay = self.range(0.3, 0.7);
        let transcription_delay = if turn % 4 == 3 {
            end_of_turn_delay + self.range(0.05, 0.2)
        } else {
            self.range(0.05, end_of_turn_delay)
        };
        let callback = self.range(0.001, 0.02);
        let event = AgentMetrics::EotInference(EOTInferenceMetrics {
            timestamp: self.now,
            total_duration: self.range(0.02, 0.08),
            detection_delay: end_of_turn_delay,
            prediction_duration: self.range(0.01, 0.03),
            num_requests: 1,
            metadata: Some(Metadata::new("livekit", "turn-detector")),
            ..Default::default()
        });
        self.emit(event);
        // The user's report: its delays are recorded now, not at session end.
        self.turns.record_report(&MetricsReport {
            started_speaking_at: Some(user_stopped - speech),
            stopped_speaking_at: Some(user_stopped),
            transcription_delay: Some(transcription_delay),
            end_of_turn_delay: Some(end_of_turn_delay),
            on_user_turn_completed_delay: Some(callback),
            stt_metadata: Some(MetricsMetadata::from(&stt_meta)),
            ..Default::default()
        });
        let committed = end_of_turn_delay.max(transcription_delay) + callback;

        // Every third turn the reply is generated preemptively, from the final transcript,
        // before the turn is committed; a first preemptive attempt is cancelled.
        let preemptive = turn % 3 == 2;
        if preemptive {
            let duration = self.range(0.05, 0.2);
            self.turns.turn_ended(&AgentInvocationMetrics {
                agent_name: "concierge".into(),
                duration,
                end_reason: Some(TurnEndReason::Cancelled),
                ..Default::default()
            });
        }
        let llm_start = if preemptive {
            transcription_delay
        } else {
            committed + self.range(0.01, 0.08)
        };

        // The agent thinks and answers.
        let ttft = if l == SLOW_LLM {
            self.range(1.05, 1.6)
        } else {
            self.range(0.2, 0.45)
        };
        let aggregation = self.range(0.02, 0.15);
        let completion = self.rng.u64(20..120);
        let prompt = 300 + u64::from(turn) * 90;
        let event = AgentMetrics::Llm(LLMMetrics {
            label: "livekit.plugins.llm.LLM".into(),
            request_id: format!("llm-{turn}"),
            timestamp: self.now,
            duration: ttft + completion as f64 / 60.0,
            ttft,
            completion_tokens: completion,
            prompt_tokens: prompt,
            prompt_cached_tokens: if turn > 0 { prompt - 120 } else { 0 },
            total_tokens: prompt + completion,
            tokens_per_second: 60.0,
            speech_id: Some(format!("speech-{turn}")),
            metadata: Some(llm_meta.clone()),
            ..Default::default()
        });
        self.emit(event);
        let ttfb = self.range(0.1, 0.4);
        let (acquire_time, reused) = self.acquire(self.tts_connected[t]);
        self.tts_connected[t] = true;
        let characters = completion * 4;
        let audio = characters as f64 / 15.0;
        let event = AgentMetrics::Tts(TTSMetrics {
            label: "livekit.plugins.tts.TTS".into(),
            request_id: format!("tts-{turn}"),
            timestamp: self.now,
            ttfb,
            duration: audio * 0.4,
            audio_duration: audio,
            characters_count: characters,
            streamed: true,
            acquire_time,
            connection_reused: reused,
            segment_id: Some(format!("seg-{turn}")),
            speech_id: Some(format!("speech-{turn}")),
            metadata: Some(tts_meta.clone()),
            ..Default::default()
        });
        self.emit(event);
        // A preemptive reply plays once the turn is committed; the first frame then takes a
        // few milliseconds to reach the listener.
        let first_audio = (llm_start + ttft + aggregation + ttfb).max(committed);
        let playback = self.range(0.005, 0.03);
        let e2e = first_audio + playback;
        self.now = user_stopped + e2e;

        // Every other turn the LLM calls a tool first; now and then the tool fails.
        if turn.is_multiple_of(2) {
            let tool = if turn.is_multiple_of(4) {
                "lookup_weather"
            } else {
                "book_table"
            };
            let took = self.range(0.02, 0.6);
            let failed = self.rng.f64() < 0.25 || turn == 2;
            self.turns.recorder().record(&ToolExecutionMetrics {
                tool_type: Some(ToolType::Function),
                agent_name: Some("concierge".into()),
                ..ToolExecutionMetrics::new(tool, took, failed)
            });
        }

        // The reply's report, once it has started speaking.
        let analysis = self.turns.record_report(&MetricsReport {
            started_speaking_at: Some(self.now),
            stopped_speaking_at: Some(self.now + audio),
            llm_node_ttft: Some(ttft),
            llm_node_ttfs: Some(ttft + aggregation),
            tts_node_ttfb: Some(ttfb),
            playback_latency: Some(playback),
            e2e_latency: Some(e2e),
            llm_metadata: Some(MetricsMetadata::from(&llm_meta)),
            tts_metadata: Some(MetricsMetadata::from(&tts_meta)),
            ..Default::default()
        });
        // The agent acts on its budget: a turn whose LLM blew it moves to the fast LLM.
        let switch = analysis.is_some_and(|a| {
            a.verdict.turn.is_some_and(|b| b.part == TurnPart::LlmTtft) && self.llm == SLOW_LLM
        });
        if let Some(analysis) = analysis {
            let switched_to = switch.then_some(LLM[FAST_LLM]);
            on_turn(
                turn,
                &TurnLog {
                    analysis,
                    switched_to,
                },
            );
        }
        if switch {
            self.llm = FAST_LLM;
        }

        // The user barges in now and then; the adaptive detector reports its requests, and
        // the turn ends interrupted part-way through its audio.
        let interrupted = turn == 1 || self.rng.f64() < 0.3;
        let spoken = if interrupted {
            self.range(0.2, 0.8)
        } else {
            1.0
        };
        if interrupted {
            let event = AgentMetrics::Interruption(InterruptionMetrics {
                timestamp: self.now,
                total_duration: self.range(0.03, 0.1),
                prediction_duration: self.range(0.01, 0.05),
                detection_delay: self.range(0.1, 0.4),
                num_interruptions: 1,
                num_requests: self.rng.u64(1..6),
                metadata: Some(Metadata::new("livekit", "adaptive interruption")),
                ..Default::default()
            });
            self.emit(event);
        }
        self.now += audio * spoken;
        // One agent turn: from the start of the reply until its speech is done. Now and then
        // the agent started speaking while the user was still finishing (it interrupted).
        let interrupted_user = turn == 2 || self.rng.f64() < 0.1;
        self.turns.turn_ended(&AgentInvocationMetrics {
            agent_name: "concierge".into(),
            duration: e2e - llm_start.min(e2e) + audio * spoken,
            end_reason: Some(if interrupted {
                TurnEndReason::Interrupted
            } else {
                TurnEndReason::Completed
            }),
            spoken_fraction: interrupted.then_some(spoken),
            interrupted_user,
            ..Default::default()
        });
    }

    /// An LLM call rate-limited by the first LLM twice (a retry after backoff), then served by
    /// the second as a fallback: three attempts, and the usage goes to the model that served.
    pub fn rate_limited_fallback(&mut self, turn: u32) {
        let (primary, fallback) = (
            Metadata::new(LLM[0].0, LLM[0].1),
            Metadata::new(LLM[1].0, LLM[1].1),
        );
        let mut request = ProviderRequest::new(ProviderKind::Llm);
        for _ in 0..2 {
            let refused = self.range(0.05, 0.2);
            self.now += refused + self.range(0.2, 0.5); // the refusal, then the backoff
            let attempt = request.attempt(&primary, AttemptOutcome::RateLimited, refused);
            self.record_attempt(attempt.error_type("http_429"));
        }
        let ttft = self.range(0.3, 0.9);
        let completion = self.rng.u64(20..120);
        let duration = ttft + completion as f64 / 60.0;
        self.now += duration;
        let attempt = request.attempt(&fallback, AttemptOutcome::Success, duration);
        self.record_attempt(attempt);
        let prompt = 300 + u64::from(turn) * 90;
        let event = AgentMetrics::Llm(LLMMetrics {
            label: "livekit.agents.llm.FallbackAdapter".into(),
            request_id: format!("llm-fallback-{turn}"),
            timestamp: self.now,
            duration,
            ttft,
            completion_tokens: completion,
            prompt_tokens: prompt,
            total_tokens: prompt + completion,
            tokens_per_second: 60.0,
            metadata: request.served_by().cloned(),
            ..Default::default()
        });
        self.emit(event);
    }

    fn record_attempt(&mut self, attempt: ProviderAttempt) {
        self.turns.recorder().record(&attempt);
        self.attempts.push(attempt);
    }

    /// The attempts recorded, counted by (kind, provider/model, outcome), in first-seen order.
    pub fn attempts_by_outcome(&self) -> Vec<(String, u64)> {
        let mut counts: Vec<(String, u64)> = Vec::new();
        for a in &self.attempts {
            let m = &a.metadata;
            let value = |v: &dyn AttributeValue| v.attribute_value().map(|v| v.to_string());
            let key = format!(
                "{} {}/{} {}",
                value(&a.kind).unwrap_or_default(),
                m.model_provider.as_deref().unwrap_or(""),
                m.model_name.as_deref().unwrap_or(""),
                value(&a.outcome).unwrap_or_default(),
            );
            match counts.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += a.count,
                None => counts.push((key, a.count)),
            }
        }
        counts
    }

    /// A realtime-model session: a (re)connect, then `responses` responses.
    pub fn realtime_session(&mut self, responses: u32) {
        let meta = Metadata::new(REALTIME.0, REALTIME.1);
        let label = "livekit.plugins.openai.realtime.RealtimeModel";
        let acquire = Duration::from_secs_f64(self.range(0.15, 0.4));
        let connection = |timing: (Duration, bool), now: f64| {
            RealtimeModelMetrics::connection_acquired(label, now, timing, Some(meta.clone()))
        };
        self.emit(AgentMetrics::Realtime(connection(
            (acquire, false),
            self.now,
        )));
        let started = self.now;
        for i in 0..responses {
            let (audio_in, text_in) = (self.rng.u64(200..800), self.rng.u64(20..80));
            let (audio_out, text_out) = (self.rng.u64(100..400), self.rng.u64(10..60));
            let cached = if i > 0 { self.rng.u64(50..150) } else { 0 };
            let duration = self.range(0.8, 2.5);
            self.now += duration + self.range(1.0, 3.0);
            let mut event = connection((Duration::ZERO, false), self.now);
            event.acquire_time = 0.0;
            event.request_id = format!("resp-{i}");
            event.duration = duration;
            event.ttft = self.range(0.25, 0.6);
            event.input_tokens = audio_in + text_in;
            event.output_tokens = audio_out + text_out;
            event.total_tokens = event.input_tokens + event.output_tokens;
            event.tokens_per_second = event.output_tokens as f64 / duration;
            event.input_token_details = InputTokenDetails {
                audio_tokens: audio_in,
                text_tokens: text_in,
                cached_tokens: cached,
                cached_tokens_details: Some(CachedTokenDetails {
                    audio_tokens: cached / 2,
                    text_tokens: cached - cached / 2,
                    image_tokens: 0,
                }),
                ..Default::default()
            };
            event.output_token_details = OutputTokenDetails {
                text_tokens: text_out,
                audio_tokens: audio_out,
                ..Default::default()
            };
            let last = i + 1 == responses;
            if last {
                // Session-billed models report the connected time once, at the end.
                event.session_duration = self.now - started;
            }
            let ttft = event.ttft;
            self.emit(AgentMetrics::Realtime(event));
            // The reply's report: realtime replies carry only e2e and timestamps (no model),
            // so the breakdown takes the model's time to first token from its event.
            let e2e = ttft + self.range(0.05, 0.2);
            self.turns.record_report(&MetricsReport {
                started_speaking_at: Some(self.now),
                stopped_speaking_at: Some(self.now + duration),
                e2e_latency: Some(e2e),
                ..Default::default()
            });
            // The session closes while the last response is still playing.
            self.turns.turn_ended(&AgentInvocationMetrics {
                agent_name: "concierge".into(),
                duration,
                end_reason: Some(if last {
                    TurnEndReason::SessionClosed
                } else {
                    TurnEndReason::Completed
                }),
                spoken_fraction: last.then_some(0.5),
                ..Default::default()
            });
        }
    }
}

/// A plugin doing blocking I/O on the async runtime: a real 150 ms stall of a tokio runtime,
/// which the stall monitor reports as `lk.agents.event_loop.blocked_duration` (severity
/// `warning`), attributed to the session's job.
pub fn blocking_call(meter: &Meter) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime");
    let monitor = StallMonitor::builder()
        .name("agent_session")
        .job(Session::job())
        .start(runtime.handle(), meter);
    runtime.block_on(async {
        // Let the heartbeat start ticking, stall, then let it see the stall.
        tokio::time::sleep(Duration::from_millis(60)).await;
        std::thread::sleep(Duration::from_millis(150));
        tokio::time::sleep(Duration::from_millis(60)).await;
    });
    drop(monitor);
}
