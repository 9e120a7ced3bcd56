//! The schema's turn analysis: what [`TurnTracker`](crate::turn::TurnTracker) records beyond the
//! Python framework's per-turn histograms. Every instrument here is new (additive): the default
//! output for livekit-agents 1.8.9's events is unchanged.

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use super::attributes::*;
use super::instruments::LATENCY_BUCKETS;
use crate::{AgentMetric, Instrument};

/// Buckets for fractions from 0 to 1.
pub const FRACTION_BUCKETS: &[f64] = &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

/// `lk.agents.turn.latency_breakdown`: the parts of each turn's end-to-end latency.
pub const TURN_LATENCY_BREAKDOWN: Instrument = Instrument::histogram(
    "lk.agents.turn.latency_breakdown",
)
.unit("s")
.description(
    "One part of a turn's end-to-end latency; the parts of a turn add up to its e2e_latency",
)
.buckets(LATENCY_BUCKETS);

/// `lk.agents.turn.spoken_fraction`: how much of a reply was heard.
pub const TURN_SPOKEN_FRACTION: Instrument =
    Instrument::histogram("lk.agents.turn.spoken_fraction")
        .unit("1")
        .description("Fraction of a turn's reply audio played before the turn ended")
        .buckets(FRACTION_BUCKETS);

/// One part of one turn's latency breakdown. Over any interval, the sum of
/// `lk.agents.turn.latency_breakdown` over all parts equals the sum of
/// `lk.agents.turn.e2e_latency` for the same turns.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct TurnLatencyPart {
    /// Which part.
    #[attr]
    pub part: TurnPart,
    /// Who owns the part's time.
    #[attr]
    pub owner: PartOwner,
    /// The part's seconds.
    #[metric(histogram = TURN_LATENCY_BREAKDOWN, attributes(part, owner, metadata))]
    pub duration: f64,
    /// The model that owns the part, for a `service` part.
    #[metric(default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub metadata: Option<Metadata>,
}

/// A turn whose latency breakdown was not recorded, and why.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct TurnBreakdownSkipped {
    /// Why.
    #[attr]
    pub reason: SkipReason,
    /// Reply reports that got no latency breakdown, by reason
    #[metric(
        counter = "lk.agents.turn.breakdown_skipped",
        unit = "{turn}",
        attributes(reason),
        skip_zero
    )]
    pub turns: u64,
}

/// How one agent turn ended, and who interrupted whom.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct TurnOutcome {
    /// How the turn ended.
    #[attr]
    pub end_reason: TurnEndReason,
    /// Agent turns by how they ended
    #[metric(
        counter = "lk.agents.turn.outcomes",
        unit = "{turn}",
        attributes(end_reason),
        skip_zero
    )]
    pub turns: u64,
    /// The fraction of the reply's audio played, 0 to 1.
    #[metric(histogram = TURN_SPOKEN_FRACTION, attributes(end_reason), default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub spoken_fraction: Option<f64>,
    /// The user barged in (1) or not (0).
    #[metric(counter = SESSION_INTERRUPTIONS, attributes("interrupted_by" = "user"), skip_zero, default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub user_interruptions: u64,
    /// The agent started speaking over the user (1) or not (0).
    #[metric(counter = SESSION_INTERRUPTIONS, attributes("interrupted_by" = "agent"), skip_zero, default)]
    #[cfg_attr(feature = "serde", serde(default))]
    pub agent_interruptions: u64,
}

/// `lk.agents.session.interruptions`: interruptions by the user and by the agent; per session
/// through the job attributes.
pub const SESSION_INTERRUPTIONS: Instrument = Instrument::counter(
    "lk.agents.session.interruptions",
)
.unit("{interruption}")
.description(
    "Interruptions, by who interrupted: the user barging in, or the agent speaking over the user",
);

/// A latency budget exceeded by a turn, or by the rolling p95 of the job's last turns.
#[derive(Clone, Default, PartialEq, AgentMetric)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct BudgetExceeded {
    /// The part that blew the budget: the part over its own threshold, or the largest part of a
    /// turn over the whole-turn threshold.
    #[attr]
    pub part: TurnPart,
    /// A single turn, or the rolling p95.
    #[attr]
    pub scope: BudgetScope,
    /// Latency budgets exceeded, by the part that blew them
    #[metric(
        counter = "lk.agents.turn.budget_exceeded",
        unit = "{turn}",
        attributes(part, scope),
        skip_zero
    )]
    pub turns: u64,
}
