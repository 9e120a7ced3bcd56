//! `TurnTracker`: one session's turns, joined, broken down, judged and counted.

use super::breakdown::{Breakdown, TurnStages};
use super::budget::{BudgetState, LatencyBudget, Verdict};
use crate::MetricsRecorder;
use crate::invalid;
use crate::schema::*;

/// How far a reply's `started_speaking_at - e2e_latency` may be from a user report's
/// `stopped_speaking_at` for the reply to answer that turn: the framework computes one from the
/// other, so only float rounding of epoch seconds separates them.
const JOIN_TOLERANCE: f64 = 0.005;

/// One analysed turn: its breakdown and what the budget says of it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TurnAnalysis {
    /// Which reply of the session this is, from 1.
    pub turn: u64,
    /// The turn's latency in parts.
    pub breakdown: Breakdown,
    /// The budget's verdict (nothing exceeded when the tracker has no budget).
    pub verdict: Verdict,
}

/// What a tracker saw in its session: the figures a summary prints.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TurnStats {
    /// Reply reports recorded.
    pub replies: u64,
    /// Replies broken down.
    pub breakdowns: u64,
    /// Replies that got no breakdown.
    pub skipped: u64,
    /// Seconds of each part over the broken-down turns, indexed by [`TurnPart`] as `usize`.
    pub part_seconds: [f64; TurnPart::ALL.len()],
    /// Seconds of end-to-end latency over the broken-down turns.
    pub e2e_seconds: f64,
    /// Agent turns by how they ended, indexed by [`TurnEndReason`] as `usize`.
    pub outcomes: [u64; 4],
    /// Times the user barged in.
    pub user_interruptions: u64,
    /// Times the agent spoke over the user.
    pub agent_interruptions: u64,
    /// Turns (or parts) over their budget.
    pub turns_over_budget: u64,
}

impl TurnStats {
    /// The share of the broken-down turns' time spent in `part`, 0 to 1.
    pub fn share(&self, part: TurnPart) -> f64 {
        if self.e2e_seconds > 0.0 {
            self.part_seconds[part as usize] / self.e2e_seconds
        } else {
            0.0
        }
    }

    /// How many agent turns ended with `reason`.
    pub fn outcome(&self, reason: TurnEndReason) -> u64 {
        self.outcomes[reason as usize]
    }
}

/// The user's side of a turn, waiting for the reply that answers it.
#[derive(Debug)]
struct PendingUser {
    stopped_speaking_at: Option<f64>,
    report: MetricsReport,
}

/// What the events since the last reply add to a report that lacks it: the first LLM (or
/// realtime) time to first token and TTS time to first byte, with their models, and the STT.
#[derive(Debug, Default)]
struct EventDetail {
    llm: Option<(f64, Option<Metadata>)>,
    tts: Option<(f64, Option<Metadata>)>,
    stt: Option<Metadata>,
}

/// One session's turns: records every report and event through a [`MetricsRecorder`] exactly
/// as the recorder alone would, and on top of it
/// - joins each reply's report with the user report of the turn it answers, breaks the turn's
///   latency down into parts that add up (`lk.agents.turn.latency_breakdown`), and counts the
///   replies it could not break down (`lk.agents.turn.breakdown_skipped`);
/// - records how each agent turn ended (`lk.agents.turn.outcomes`,
///   `lk.agents.turn.spoken_fraction`, `lk.agents.session.interruptions`);
/// - with a [`LatencyBudget`], judges each turn and the rolling p95, returns the verdict, and
///   counts what was exceeded by part (`lk.agents.turn.budget_exceeded`).
///
/// Use one tracker per session (job), from the task that records the session's reports: the
/// join is by order within the session, checked by timestamps (a reply answers the pending user
/// turn when its `started_speaking_at - e2e_latency` is that turn's `stopped_speaking_at`).
/// A reply with no matching user report (the first reply after a handoff) is still broken
/// down, with what it does not explain in `other`.
///
/// ```
/// use agent_metrics::capture::Capture;
/// use agent_metrics::schema::*;
/// use agent_metrics::turn::{LatencyBudget, TurnTracker};
/// use agent_metrics::MetricsRecorder;
///
/// let capture = Capture::cumulative();
/// let mut turns = TurnTracker::new(MetricsRecorder::new(capture.meter()))
///     .with_budget(LatencyBudget::new(1.0));
/// turns.record_report(&MetricsReport {
///     stopped_speaking_at: Some(100.0),
///     end_of_turn_delay: Some(0.5),
///     transcription_delay: Some(0.2),
///     ..Default::default()
/// });
/// let turn = turns
///     .record_report(&MetricsReport {
///         started_speaking_at: Some(101.2),
///         e2e_latency: Some(1.2),
///         llm_node_ttft: Some(0.4),
///         tts_node_ttfb: Some(0.2),
///         ..Default::default()
///     })
///     .unwrap();
/// assert_eq!(turn.breakdown.to_string(), "1.20 s = endpointing 0.50 + other 0.10 + llm_ttft 0.40 + tts_ttfb 0.20");
/// let breach = turn.verdict.turn.unwrap();
/// assert_eq!(breach.part, TurnPart::Endpointing); // the largest part of a slow turn
/// ```
#[derive(Debug)]
pub struct TurnTracker {
    recorder: MetricsRecorder,
    pending_user: Option<PendingUser>,
    detail: EventDetail,
    budget: Option<BudgetState>,
    last: TurnAnalysis,
    stats: TurnStats,
}

impl TurnTracker {
    /// A tracker recording through `recorder`, with no budget.
    pub fn new(recorder: MetricsRecorder) -> Self {
        TurnTracker {
            recorder,
            pending_user: None,
            detail: EventDetail::default(),
            budget: None,
            last: TurnAnalysis::default(),
            stats: TurnStats::default(),
        }
    }

    /// Judges every turn against `budget`.
    pub fn with_budget(mut self, budget: LatencyBudget) -> Self {
        self.budget = Some(BudgetState::new(budget));
        self
    }

    /// The recorder the tracker records through.
    pub fn recorder(&self) -> &MetricsRecorder {
        &self.recorder
    }

    /// What the tracker saw so far.
    pub fn stats(&self) -> &TurnStats {
        &self.stats
    }

    /// Records a usage event as the recorder does, and keeps what it tells of the current turn
    /// (time to first token or byte, and the models) for a reply report that lacks it.
    pub fn record_event(&mut self, event: &AgentMetrics) {
        self.recorder.record(event);
        let detail = &mut self.detail;
        match event {
            AgentMetrics::Llm(e) if e.ttft >= 0.0 && detail.llm.is_none() => {
                detail.llm = Some((e.ttft, e.metadata.clone()));
            }
            AgentMetrics::Realtime(e) if e.ttft >= 0.0 && detail.llm.is_none() => {
                detail.llm = Some((e.ttft, e.metadata.clone()));
            }
            AgentMetrics::Tts(e) if e.ttfb > 0.0 && detail.tts.is_none() => {
                detail.tts = Some((e.ttfb, e.metadata.clone()));
            }
            AgentMetrics::Stt(e) if e.metadata.is_some() => detail.stt = e.metadata.clone(),
            _ => {}
        }
    }

    /// Records a turn's report as the recorder does; for a reply's report, also breaks the turn
    /// down, records the parts and judges the turn. Returns the analysis of a reply that could
    /// be broken down; `None` for a user's report (kept until its reply) and for a reply that
    /// could not (counted in `lk.agents.turn.breakdown_skipped`).
    pub fn record_report(&mut self, report: &MetricsReport) -> Option<&TurnAnalysis> {
        self.recorder.record(report);
        if !is_reply(report) {
            if TurnStages::has_user_side(report) || report.stt_metadata.is_some() {
                self.pending_user = Some(PendingUser {
                    stopped_speaking_at: report.stopped_speaking_at,
                    report: report.clone(),
                });
            }
            return None;
        }
        self.stats.replies += 1;
        let stages = self.stages(report);
        let detail = std::mem::take(&mut self.detail);
        let stages = match stages {
            Ok(stages) => stages.with_detail(detail),
            Err(reason) => return self.skip(reason, None),
        };
        match stages.breakdown() {
            Ok(breakdown) => {
                self.analyse(breakdown);
                Some(&self.last)
            }
            Err(skip) => self.skip(skip.reason, skip.invalid),
        }
    }

    /// Records an agent turn as the recorder does, and how it ended: the outcome, the spoken
    /// fraction (dropped and counted in `agent_metrics.dropped_values` outside 0 to 1), and the
    /// session's interruptions by the user and by the agent.
    pub fn turn_ended(&mut self, turn: &AgentInvocationMetrics) {
        self.recorder.record(turn);
        let spoken_fraction = turn.spoken_fraction.filter(|f| {
            let valid = (0.0..=1.0).contains(f);
            if !valid {
                let reason = if f.is_nan() {
                    invalid::Reason::NaN
                } else {
                    invalid::Reason::Inconsistent
                };
                invalid::dropped(TURN_SPOKEN_FRACTION.name, reason);
            }
            valid
        });
        let interrupted = turn.end_reason == Some(TurnEndReason::Interrupted);
        let outcome = TurnOutcome {
            end_reason: turn.end_reason.unwrap_or_default(),
            turns: u64::from(turn.end_reason.is_some()),
            spoken_fraction: spoken_fraction.filter(|_| turn.end_reason.is_some()),
            user_interruptions: u64::from(interrupted),
            agent_interruptions: u64::from(turn.interrupted_user),
        };
        self.recorder.record(&outcome);
        if let Some(reason) = turn.end_reason {
            self.stats.outcomes[reason as usize] += 1;
        }
        self.stats.user_interruptions += outcome.user_interruptions;
        self.stats.agent_interruptions += outcome.agent_interruptions;
    }

    /// The stages of the turn `reply` answers, or why it cannot be placed.
    fn stages(&mut self, reply: &MetricsReport) -> Result<TurnStages, SkipReason> {
        let e2e = reply.e2e_latency.ok_or(SkipReason::MissingE2e)?;
        let started = reply
            .started_speaking_at
            .ok_or(SkipReason::MissingTimestamps)?;
        let mut stages = TurnStages::default();
        if TurnStages::has_user_side(reply) {
            stages.set_user(reply);
        } else if let Some(pending) = self.pending_user.take() {
            let answers = pending
                .stopped_speaking_at
                .is_none_or(|stopped| ((started - e2e) - stopped).abs() <= JOIN_TOLERANCE);
            if answers {
                stages.set_user(&pending.report);
            } else {
                // Another turn's: it may still be answered by a later reply.
                self.pending_user = Some(pending);
            }
        }
        stages.set_reply(reply);
        Ok(stages)
    }

    fn skip(
        &mut self,
        reason: SkipReason,
        invalid: Option<invalid::Reason>,
    ) -> Option<&TurnAnalysis> {
        self.stats.skipped += 1;
        if let Some(why) = invalid {
            invalid::dropped(TURN_LATENCY_BREAKDOWN.name, why);
        }
        self.recorder
            .record(&TurnBreakdownSkipped { reason, turns: 1 });
        None
    }

    fn analyse(&mut self, breakdown: Breakdown) {
        for part in breakdown.parts() {
            self.recorder.record(&TurnLatencyPart {
                part: part.part,
                owner: part.owner(),
                duration: part.seconds,
                metadata: part.model.clone(),
            });
            self.stats.part_seconds[part.part as usize] += part.seconds;
        }
        self.stats.breakdowns += 1;
        self.stats.e2e_seconds += breakdown.total();
        let verdict = match &mut self.budget {
            Some(budget) => {
                let (verdict, p95_started) = budget.judge(&breakdown);
                if let Some(breach) = verdict.turn {
                    self.stats.turns_over_budget += 1;
                    self.count_breach(breach.part, breach.scope);
                }
                if let (Some(breach), true) = (verdict.rolling_p95, p95_started) {
                    self.count_breach(breach.part, breach.scope);
                }
                verdict
            }
            None => Verdict::default(),
        };
        self.last = TurnAnalysis {
            turn: self.stats.replies,
            breakdown,
            verdict,
        };
    }

    fn count_breach(&self, part: TurnPart, scope: BudgetScope) {
        self.recorder.record(&BudgetExceeded {
            part,
            scope,
            turns: 1,
        });
    }
}

/// Whether `report` is a reply's (the assistant message's) rather than the user's.
fn is_reply(report: &MetricsReport) -> bool {
    report.e2e_latency.is_some()
        || report.llm_node_ttft.is_some()
        || report.llm_node_ttfs.is_some()
        || report.llm_node_tps.is_some()
        || report.tts_node_ttfb.is_some()
        || report.playback_latency.is_some()
        || report.llm_metadata.is_some()
        || report.tts_metadata.is_some()
        || report.provider_request_ids.is_some()
}

impl TurnStages {
    /// Fills what the reply's report lacks from the turn's events.
    fn with_detail(mut self, detail: EventDetail) -> Self {
        if let Some((ttft, model)) = detail.llm
            && self.llm_ttft.is_none()
            && self.llm_ttfs.is_none()
        {
            self.llm_ttft = Some(ttft);
            self.llm = self.llm.or(model);
        }
        if let Some((ttfb, model)) = detail.tts
            && self.tts_ttfb.is_none()
        {
            self.tts_ttfb = Some(ttfb);
            self.tts = self.tts.or(model);
        }
        self.stt = self.stt.or(detail.stt);
        self
    }
}
