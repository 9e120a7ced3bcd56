//! One turn's latency, laid on one timeline and cut into named parts that add up.

use std::fmt;

use arrayvec::ArrayVec;

use crate::schema::{
    Metadata, MetricsReport, PartOwner, SkipReason, TURN_LATENCY_BREAKDOWN, TurnPart,
};
use crate::{Number, invalid};

/// How much larger than the whole a part may be before it counts as inconsistent: float
/// rounding of values computed from the same clock, never a real difference.
const SLACK: f64 = 1e-9;

/// What is known of one turn's stages, in seconds: the user side (from the user's report), the
/// reply side and the end-to-end latency (from the reply's report), and the models behind them.
///
/// ```
/// use agent_metrics::turn::TurnStages;
/// use agent_metrics::schema::TurnPart;
/// let stages = TurnStages {
///     e2e: Some(1.41),
///     end_of_turn_delay: Some(0.5),
///     transcription_delay: Some(0.6),
///     llm_ttft: Some(0.51),
///     tts_ttfb: Some(0.25),
///     ..Default::default()
/// };
/// let breakdown = stages.breakdown().unwrap();
/// assert_eq!(
///     breakdown.to_string(),
///     "1.41 s = endpointing 0.50 + transcription 0.10 + other 0.05 + llm_ttft 0.51 + tts_ttfb 0.25"
/// );
/// assert!((breakdown.parts().iter().map(|p| p.seconds).sum::<f64>() - 1.41).abs() < 1e-9);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TurnStages {
    /// The end-to-end latency: end of the user's speech to the start of the reply's playback.
    pub e2e: Option<f64>,
    /// End of speech to the end-of-turn decision.
    pub end_of_turn_delay: Option<f64>,
    /// End of speech to the final transcript.
    pub transcription_delay: Option<f64>,
    /// The `on_user_turn_completed` callback.
    pub on_user_turn_completed_delay: Option<f64>,
    /// Start of the LLM node to its first token.
    pub llm_ttft: Option<f64>,
    /// Start of the LLM node to the first sentence sent to TTS.
    pub llm_ttfs: Option<f64>,
    /// First text sent to TTS to its first audio.
    pub tts_ttfb: Option<f64>,
    /// Forwarding the first audio frame to playback started.
    pub playback_latency: Option<f64>,
    /// The STT of the user's turn.
    pub stt: Option<Metadata>,
    /// The LLM of the reply.
    pub llm: Option<Metadata>,
    /// The TTS of the reply.
    pub tts: Option<Metadata>,
}

impl TurnStages {
    /// The stages of a turn from its reports: the user side from `user` when given (else from
    /// `reply`, which may carry both, as one report per turn does), the rest from `reply`.
    pub fn from_reports(user: Option<&MetricsReport>, reply: &MetricsReport) -> Self {
        let mut stages = TurnStages::default();
        stages.set_user(user.unwrap_or(reply));
        stages.set_reply(reply);
        stages
    }

    /// Takes the user side of `report`.
    pub(crate) fn set_user(&mut self, report: &MetricsReport) {
        self.end_of_turn_delay = report.end_of_turn_delay;
        self.transcription_delay = report.transcription_delay;
        self.on_user_turn_completed_delay = report.on_user_turn_completed_delay;
        self.stt = report.stt_metadata.as_ref().map(Metadata::from);
    }

    /// Takes the reply side of `report`.
    pub(crate) fn set_reply(&mut self, report: &MetricsReport) {
        self.e2e = report.e2e_latency;
        self.llm_ttft = report.llm_node_ttft;
        self.llm_ttfs = report.llm_node_ttfs;
        self.tts_ttfb = report.tts_node_ttfb;
        self.playback_latency = report.playback_latency;
        self.llm = report.llm_metadata.as_ref().map(Metadata::from);
        self.tts = report.tts_metadata.as_ref().map(Metadata::from);
    }

    /// Whether `report` carries anything of the user's side of a turn.
    pub(crate) fn has_user_side(report: &MetricsReport) -> bool {
        report.end_of_turn_delay.is_some()
            || report.transcription_delay.is_some()
            || report.on_user_turn_completed_delay.is_some()
    }

    /// Every duration with the part it would start: checked before anything is laid out.
    fn durations(&self) -> [(Option<f64>, TurnPart); 7] {
        [
            (self.end_of_turn_delay, TurnPart::Endpointing),
            (self.transcription_delay, TurnPart::Transcription),
            (
                self.on_user_turn_completed_delay,
                TurnPart::OnUserTurnCompleted,
            ),
            (self.llm_ttft, TurnPart::LlmTtft),
            (self.llm_ttfs, TurnPart::SentenceAggregation),
            (self.tts_ttfb, TurnPart::TtsTtfb),
            (self.playback_latency, TurnPart::PlaybackStart),
        ]
    }

    /// The turn's breakdown (see [the timeline](super#the-timeline)), or why there is none.
    pub fn breakdown(&self) -> Result<Breakdown, Skip> {
        let total = self.e2e.ok_or(Skip {
            reason: SkipReason::MissingE2e,
            invalid: None,
        })?;
        check(total)?;
        for (value, _) in self.durations() {
            if let Some(value) = value {
                check(value)?;
                if value > total + SLACK {
                    return Err(Skip::inconsistent(invalid::Reason::Inconsistent));
                }
            }
        }
        if let (Some(ttft), Some(ttfs)) = (self.llm_ttft, self.llm_ttfs)
            && ttfs + SLACK < ttft
        {
            // The first sentence cannot come before the first token.
            return Err(Skip::inconsistent(invalid::Reason::Inconsistent));
        }
        Ok(self.lay_out(total))
    }

    /// The user's stages forward from the end of speech, the reply's backward from the start
    /// of playback, `other` between them; where they overlap, the reply's stage keeps the time.
    fn lay_out(&self, total: f64) -> Breakdown {
        let mut user: ArrayVec<Span, 3> = ArrayVec::new();
        let eot = self.end_of_turn_delay.unwrap_or(0.0);
        let transcript = self.transcription_delay.unwrap_or(0.0);
        user.push(Span::new(TurnPart::Endpointing, 0.0, eot, None));
        // The transcript only delays the turn when it lands after the end-of-turn decision.
        user.push(Span::new(
            TurnPart::Transcription,
            eot,
            eot.max(transcript),
            self.stt.as_ref(),
        ));
        let committed = eot.max(transcript);
        let user_end = committed + self.on_user_turn_completed_delay.unwrap_or(0.0);
        user.push(Span::new(
            TurnPart::OnUserTurnCompleted,
            committed,
            user_end,
            None,
        ));

        // Backward from the end: playback, TTS, sentence aggregation, LLM.
        let (first_token, aggregation) = match (self.llm_ttft, self.llm_ttfs) {
            (Some(ttft), Some(ttfs)) => (Some(ttft), Some((ttfs - ttft).max(0.0))),
            // Without the first token, the whole wait for the first sentence is the LLM's.
            (None, ttfs) => (ttfs, None),
            (ttft, None) => (ttft, None),
        };
        let backward = [
            (TurnPart::PlaybackStart, self.playback_latency, None),
            (TurnPart::TtsTtfb, self.tts_ttfb, self.tts.as_ref()),
            (TurnPart::SentenceAggregation, aggregation, None),
            (TurnPart::LlmTtft, first_token, self.llm.as_ref()),
        ];
        let mut reply: ArrayVec<Span, 4> = ArrayVec::new();
        let mut at = total;
        for (part, seconds, model) in backward {
            if let Some(seconds) = seconds {
                reply.push(Span::new(part, at - seconds, at, model));
                at -= seconds;
            }
        }
        let reply_start = at.max(0.0);

        let mut breakdown = Breakdown {
            total,
            parts: ArrayVec::new(),
        };
        let user_cut = reply_start.min(total);
        for span in &user {
            breakdown.push(span.clipped(0.0, user_cut));
        }
        breakdown.push(Span::new(
            TurnPart::Other,
            user_end.min(user_cut),
            reply_start,
            None,
        ));
        for span in reply.iter().rev() {
            breakdown.push(span.clipped(reply_start, total));
        }
        breakdown
    }
}

/// A value that cannot be laid on a timeline: what the recording path refuses for a seconds
/// histogram (NaN, infinite, negative, absurdly large), by the same policy.
fn check(value: f64) -> Result<(), Skip> {
    match value.check(&TURN_LATENCY_BREAKDOWN) {
        Some(reason) => Err(Skip::inconsistent(reason)),
        None => Ok(()),
    }
}

/// One stage placed on the turn's timeline, in seconds from the end of the user's speech.
struct Span<'a> {
    part: TurnPart,
    start: f64,
    end: f64,
    model: Option<&'a Metadata>,
}

impl<'a> Span<'a> {
    fn new(part: TurnPart, start: f64, end: f64, model: Option<&'a Metadata>) -> Self {
        Span {
            part,
            start,
            end,
            model,
        }
    }

    fn clipped(&self, low: f64, high: f64) -> Span<'a> {
        Span::new(
            self.part,
            self.start.max(low),
            self.end.min(high),
            self.model,
        )
    }
}

/// Why a turn has no breakdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Skip {
    /// The `reason` of `lk.agents.turn.breakdown_skipped`.
    pub reason: SkipReason,
    /// For an inconsistent turn: the `reason` counted in `agent_metrics.dropped_values`.
    pub invalid: Option<invalid::Reason>,
}

impl Skip {
    fn inconsistent(reason: invalid::Reason) -> Self {
        Skip {
            reason: SkipReason::Inconsistent,
            invalid: Some(reason),
        }
    }
}

/// One part of a breakdown.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// Which part.
    pub part: TurnPart,
    /// Its duration, seconds, above zero.
    pub seconds: f64,
    /// For a `service` part: the model that owns it, when the report names it.
    pub model: Option<Metadata>,
}

impl Part {
    /// Who owns this part's time.
    pub fn owner(&self) -> PartOwner {
        self.part.owner()
    }
}

/// A turn's latency in named parts, in timeline order, that add up to its end-to-end latency.
/// Parts of zero length are left out; each part appears at most once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Breakdown {
    total: f64,
    parts: ArrayVec<Part, 8>,
}

impl Breakdown {
    fn push(&mut self, span: Span<'_>) {
        let seconds = span.end - span.start;
        if seconds > 0.0 {
            self.parts.push(Part {
                part: span.part,
                seconds,
                model: span.model.cloned(),
            });
        }
    }

    /// The end-to-end latency the parts add up to, seconds.
    pub fn total(&self) -> f64 {
        self.total
    }

    /// The parts, in timeline order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The seconds of `part` in this turn; 0 when the turn has none.
    pub fn seconds(&self, part: TurnPart) -> f64 {
        self.parts
            .iter()
            .find(|p| p.part == part)
            .map_or(0.0, |p| p.seconds)
    }

    /// The longest part.
    pub fn largest(&self) -> Option<&Part> {
        self.parts
            .iter()
            .max_by(|a, b| a.seconds.total_cmp(&b.seconds))
    }
}

/// `1.41 s = endpointing 0.50 + transcription 0.10 + llm_ttft 0.51 + ...`
impl fmt::Display for Breakdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2} s =", self.total)?;
        for (i, part) in self.parts.iter().enumerate() {
            let plus = if i == 0 { "" } else { " +" };
            write!(f, "{plus} {} {:.2}", part.part.as_str(), part.seconds)?;
        }
        if self.parts.is_empty() {
            f.write_str(" 0")?;
        }
        Ok(())
    }
}
