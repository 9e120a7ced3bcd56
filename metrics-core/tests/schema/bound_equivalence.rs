//! `bind` + `record_bound` export exactly what `record` exports: the same events of every schema
//! type go through both paths into two captures, whose points must be identical. The bugs this
//! catches: a `record_bound` that records nothing, records with the wrong attributes (an event's
//! nested `Option`s, skipped empty or zero values, the GenAI view) or under the wrong job (a set
//! bound outside a job, or under another job, recorded inside one), and a bind that makes series
//! `record` would not. Runs with and without the `bound` feature (CI runs this binary on the
//! default features and on all of them; the portable fallback is what runs without it).

use agent_metrics_core::capture::{Capture, Point};
use agent_metrics_core::catalog::Catalog;
use agent_metrics_core::job::Job;
use agent_metrics_core::schema::*;
use agent_metrics_core::{AgentMetric, Handles};
use agent_metrics_test_support::events;

/// Where a scenario binds and where it records.
#[derive(Clone, Copy)]
struct Jobs<'a> {
    bind: Option<&'a Job>,
    record: Option<&'a Job>,
}

fn in_job<R>(job: Option<&Job>, f: impl FnOnce() -> R) -> R {
    let _guard = job.map(Job::enter);
    f()
}

/// One schema type's handles on both captures.
struct Both<T: AgentMetric> {
    derived: Handles<T>,
    bound: Handles<T>,
}

impl<T: AgentMetric> Both<T> {
    fn new(derived: &Capture, bound: &Capture) -> Self {
        Both {
            derived: T::handles(derived.meter()),
            bound: T::handles(bound.meter()),
        }
    }

    /// Each event twice through each path (the first record makes the cache entry, the second
    /// writes through it), each bound to itself as template.
    fn record(&self, events: &[T], jobs: Jobs<'_>) {
        for event in events {
            in_job(jobs.record, || {
                event.record(&self.derived);
                event.record(&self.derived);
            });
            let bound = in_job(jobs.bind, || T::bind(&self.bound, event));
            in_job(jobs.record, || {
                event.record_bound(&bound);
                event.record_bound(&bound);
            });
        }
    }
}

/// Every schema event type, each in the variants that take different recording paths.
struct Schema {
    stt: Both<STTMetrics>,
    llm: Both<LLMMetrics>,
    decision: Both<DecisionMetrics>,
    tts: Both<TTSMetrics>,
    vad: Both<VADMetrics>,
    eou: Both<EOUMetrics>,
    eot: Both<EOTInferenceMetrics>,
    realtime: Both<RealtimeModelMetrics>,
    interruption: Both<InterruptionMetrics>,
    avatar: Both<AvatarMetrics>,
    report: Both<MetricsReport>,
    tool: Both<ToolExecutionMetrics>,
    agent: Both<AgentInvocationMetrics>,
    blocked: Both<EventLoopBlocked>,
    turn_part: Both<TurnLatencyPart>,
    skipped: Both<TurnBreakdownSkipped>,
    outcome: Both<TurnOutcome>,
    budget: Both<BudgetExceeded>,
    attempt: Both<ProviderAttempt>,
}

impl Schema {
    fn new(derived: &Capture, bound: &Capture) -> Self {
        Schema {
            stt: Both::new(derived, bound),
            llm: Both::new(derived, bound),
            decision: Both::new(derived, bound),
            tts: Both::new(derived, bound),
            vad: Both::new(derived, bound),
            eou: Both::new(derived, bound),
            eot: Both::new(derived, bound),
            realtime: Both::new(derived, bound),
            interruption: Both::new(derived, bound),
            avatar: Both::new(derived, bound),
            report: Both::new(derived, bound),
            tool: Both::new(derived, bound),
            agent: Both::new(derived, bound),
            blocked: Both::new(derived, bound),
            turn_part: Both::new(derived, bound),
            skipped: Both::new(derived, bound),
            outcome: Both::new(derived, bound),
            budget: Both::new(derived, bound),
            attempt: Both::new(derived, bound),
        }
    }

    fn record(&self, jobs: Jobs<'_>) {
        let turn = events::turn();
        let no_model = Metadata::default();
        let blank = Metadata::new("", "");
        self.stt.record(
            &[
                turn.stt.clone(),
                STTMetrics {
                    metadata: None,
                    ..turn.stt.clone()
                },
                STTMetrics {
                    metadata: Some(blank.clone()),
                    ..turn.stt.clone()
                },
                // A connection-timing event: no usage, a fresh connection.
                STTMetrics {
                    audio_duration: 0.0,
                    connection_reused: false,
                    acquire_time: 0.3,
                    ..turn.stt.clone()
                },
            ],
            jobs,
        );
        self.llm.record(
            &[
                turn.llm.clone(),
                // No first token (-1 is skipped), no prompt tokens (zero is skipped).
                LLMMetrics {
                    ttft: -1.0,
                    prompt_tokens: 0,
                    ..turn.llm.clone()
                },
                LLMMetrics {
                    metadata: None,
                    ..turn.llm.clone()
                },
                LLMMetrics {
                    metadata: Some(no_model.clone()),
                    ..turn.llm.clone()
                },
                // Invalid values are dropped (and counted) by both paths.
                LLMMetrics {
                    duration: f64::NAN,
                    ..turn.llm.clone()
                },
                LLMMetrics {
                    metadata: Some(Metadata::new(" Azure_OpenAI ", "gpt-4o")),
                    ..turn.llm.clone()
                },
            ],
            jobs,
        );
        self.decision.record(
            &[DecisionMetrics {
                duration: 0.1,
                input_tokens: Some(3),
                output_tokens: Some(1),
                metadata: Some(Metadata::new("openai", "gpt-4o-mini")),
                ..Default::default()
            }],
            jobs,
        );
        self.tts.record(
            &[
                turn.tts.clone(),
                TTSMetrics {
                    connection_reused: false,
                    ..turn.tts.clone()
                },
                TTSMetrics {
                    acquire_time: 0.0,
                    characters_count: 0,
                    ..turn.tts.clone()
                },
                TTSMetrics {
                    metadata: Some(Metadata {
                        model_provider: Some("cartesia".into()),
                        model_name: None,
                    }),
                    ..turn.tts.clone()
                },
            ],
            jobs,
        );
        self.vad.record(
            &[VADMetrics {
                idle_time: 0.5,
                inference_count: 10,
                metadata: Some(Metadata::new("silero", "vad")),
                ..Default::default()
            }],
            jobs,
        );
        self.eou.record(
            &[EOUMetrics {
                end_of_utterance_delay: 0.4,
                transcription_delay: 0.2,
                on_user_turn_completed_delay: 0.01,
                ..Default::default()
            }],
            jobs,
        );
        self.eot.record(
            &[EOTInferenceMetrics {
                timestamp: 1.0,
                total_duration: 0.05,
                detection_delay: 0.1,
                prediction_duration: 0.02,
                num_requests: 2,
                metadata: Some(Metadata::new("livekit", "turn-detector")),
            }],
            jobs,
        );
        let mut cached = turn.realtime.clone();
        cached.input_token_details.cached_tokens_details = Some(CachedTokenDetails {
            audio_tokens: 80,
            text_tokens: 20,
            image_tokens: 0,
        });
        self.realtime.record(
            &[
                turn.realtime.clone(),
                cached,
                RealtimeModelMetrics {
                    metadata: None,
                    ..turn.realtime.clone()
                },
                RealtimeModelMetrics {
                    session_duration: 12.5,
                    acquire_time: 0.02,
                    connection_reused: true,
                    ttft: -1.0,
                    ..turn.realtime.clone()
                },
            ],
            jobs,
        );
        self.interruption.record(
            &[
                turn.interruption.clone(),
                InterruptionMetrics {
                    num_requests: 0,
                    ..turn.interruption.clone()
                },
            ],
            jobs,
        );
        self.avatar.record(
            &[AvatarMetrics {
                playback_latency: 0.2,
                metadata: Some(Metadata::new("tavus", "phoenix")),
                ..Default::default()
            }],
            jobs,
        );
        self.report.record(
            &[
                turn.user.clone(),
                turn.assistant.clone(),
                // Latencies present with their metadata absent: recorded with no model.
                MetricsReport {
                    llm_metadata: None,
                    tts_metadata: Some(MetricsMetadata::default()),
                    ..turn.assistant.clone()
                },
                MetricsReport {
                    e2e_latency: Some(2.0),
                    ..Default::default()
                },
            ],
            jobs,
        );
        self.tool.record(
            &[
                turn.tool.clone(),
                ToolExecutionMetrics::new("lookup", 0.4, true),
                ToolExecutionMetrics::new("", 0.1, false),
            ],
            jobs,
        );
        self.agent.record(std::slice::from_ref(&turn.agent), jobs);
        self.blocked.record(
            &[
                turn.blocked.clone(),
                EventLoopBlocked {
                    duration: 2.5,
                    severity: Severity::Error,
                },
            ],
            jobs,
        );
        // The turn analysis' events: a service part with its model and a framework part
        // without one, every outcome field, both budget scopes.
        self.turn_part.record(
            &[
                TurnLatencyPart {
                    part: TurnPart::LlmTtft,
                    owner: PartOwner::Service,
                    duration: 0.4,
                    metadata: Some(Metadata::new("openai", "gpt-4o")),
                },
                TurnLatencyPart {
                    part: TurnPart::Other,
                    owner: PartOwner::Framework,
                    duration: 0.1,
                    metadata: None,
                },
            ],
            jobs,
        );
        self.skipped.record(
            &[TurnBreakdownSkipped {
                reason: SkipReason::Inconsistent,
                turns: 1,
            }],
            jobs,
        );
        self.outcome.record(
            &[
                TurnOutcome {
                    end_reason: TurnEndReason::Interrupted,
                    turns: 1,
                    spoken_fraction: Some(0.4),
                    user_interruptions: 1,
                    agent_interruptions: 0,
                },
                TurnOutcome {
                    end_reason: TurnEndReason::Completed,
                    turns: 1,
                    spoken_fraction: None,
                    user_interruptions: 0,
                    agent_interruptions: 1,
                },
            ],
            jobs,
        );
        self.budget.record(
            &[
                BudgetExceeded {
                    part: TurnPart::TtsTtfb,
                    scope: BudgetScope::Turn,
                    turns: 1,
                },
                BudgetExceeded {
                    part: TurnPart::LlmTtft,
                    scope: BudgetScope::RollingP95,
                    turns: 1,
                },
            ],
            jobs,
        );
        let mut request = ProviderRequest::new(ProviderKind::Llm);
        let primary = Metadata::new("openai", "gpt-4o");
        let fallback = Metadata::new("anthropic", "claude");
        let failed = request
            .attempt(&primary, AttemptOutcome::RateLimited, 0.1)
            .error_type("http_429");
        let served = request.attempt(&fallback, AttemptOutcome::Success, 0.9);
        self.attempt.record(&[failed, served], jobs);
    }
}

fn sorted(mut points: Vec<Point>) -> Vec<Point> {
    points.sort_by_key(|p| (p.name.clone(), p.attr_pairs()));
    points
}

/// Records every type through both paths in each scenario, and compares the two captures.
fn assert_same_points(scenarios: &[Jobs<'_>]) -> Vec<Point> {
    let (derived, bound) = (Capture::cumulative(), Capture::cumulative());
    let schema = Schema::new(&derived, &bound);
    for &jobs in scenarios {
        schema.record(jobs);
    }
    let (derived, bound) = (sorted(derived.collect()), sorted(bound.collect()));
    for (d, b) in derived.iter().zip(&bound) {
        assert_eq!(d, b, "record and record_bound differ");
    }
    assert_eq!(
        derived.len(),
        bound.len(),
        "record and record_bound made different series"
    );
    derived
}

/// Every schema instrument got a value, so that no instrument is left out of the comparison
/// (a new event type, or a new field, fails here until it is added to `Schema::record`).
fn assert_every_instrument(points: &[Point]) {
    // The worker's instruments are fed by the process, not by an event.
    let by_event = |name: &&str| {
        !agent_metrics_core::worker::ALL
            .iter()
            .any(|w| w.instrument.name == *name)
    };
    let missing: Vec<&str> = Catalog::schema()
        .entries()
        .iter()
        .map(|e| e.instrument.name)
        .filter(by_event)
        .filter(|name| !points.iter().any(|p| p.name == *name))
        .collect();
    assert!(
        missing.is_empty(),
        "no event of this test feeds {missing:?}"
    );
}

#[test]
fn outside_any_job() {
    let points = assert_same_points(&[Jobs {
        bind: None,
        record: None,
    }]);
    assert_every_instrument(&points);
    assert!(points.iter().all(|p| p.attr("job_id").is_none()));
}

#[test]
fn bound_and_recorded_inside_a_job() {
    let job = Job::new("RM_equal", "AJ_equal").agent_name("concierge");
    let points = assert_same_points(&[Jobs {
        bind: Some(&job),
        record: Some(&job),
    }]);
    assert_every_instrument(&points);
    assert!(
        points
            .iter()
            .all(|p| p.attr("job_id").as_deref() == Some("AJ_equal"))
    );
}

/// The plugin pattern: handles (and a bound set) made in a constructor, where no job is
/// current, then used inside each job. Every point carries the job it was recorded in.
#[test]
fn bound_outside_a_job_recorded_inside_one() {
    let job = Job::new("RM_later", "AJ_later");
    let points = assert_same_points(&[Jobs {
        bind: None,
        record: Some(&job),
    }]);
    assert_every_instrument(&points);
    assert!(
        points
            .iter()
            .all(|p| p.attr("job_id").as_deref() == Some("AJ_later"))
    );
    assert!(
        points
            .iter()
            .all(|p| p.attr("room_id").as_deref() == Some("RM_later"))
    );
}

/// A set bound in one job and recorded in another, or after its job: attributed to where it
/// was recorded, never to the job it was bound in.
#[test]
fn bound_in_one_job_recorded_in_another_or_none() {
    let first = Job::new("RM_first", "AJ_first").redaction(true);
    let second = Job::new("RM_second", "AJ_second").agent_name("support");
    let points = assert_same_points(&[
        Jobs {
            bind: Some(&first),
            record: Some(&second),
        },
        Jobs {
            bind: Some(&first),
            record: None,
        },
        Jobs {
            bind: Some(&second),
            record: Some(&second),
        },
    ]);
    assert!(
        points
            .iter()
            .all(|p| p.attr("job_id").as_deref() != Some("AJ_first"))
    );
    assert!(
        points
            .iter()
            .all(|p| p.attr("lk.redaction.enabled").is_none())
    );
    assert!(points.iter().any(|p| p.attr("job_id").is_none()));
}
