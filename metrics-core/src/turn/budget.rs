//! The latency budget: thresholds per turn and per part, and the rolling p50/p95 of the job's
//! last turns, evaluated as each turn's breakdown is known.

use super::breakdown::Breakdown;
use crate::catalog::RulesConfig;
use crate::schema::{BudgetScope, TurnPart};

/// How slow a turn may be: the whole turn, each part, and the rolling p95 over the last turns.
///
/// Build it from the [`RulesConfig`] that generates the SLO alert rules, so that the agent and
/// the alerts agree on what "too slow" means:
///
/// ```
/// use agent_metrics::catalog::RulesConfig;
/// use agent_metrics::schema::TurnPart;
/// use agent_metrics::turn::LatencyBudget;
/// let rules = RulesConfig::default().part_threshold(TurnPart::LlmTtft, 1.0);
/// let budget = LatencyBudget::from_rules(&rules).window(20);
/// assert_eq!(budget.turn_threshold(), 2.0);
/// assert_eq!(budget.part_threshold(TurnPart::LlmTtft), Some(1.0));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyBudget {
    turn: f64,
    p95: f64,
    parts: [Option<f64>; TurnPart::ALL.len()],
    window: usize,
    min_turns: usize,
}

impl LatencyBudget {
    /// A budget of `turn_seconds` for a turn's end-to-end latency and for the rolling p95, with
    /// no per-part threshold, over the last 20 turns (judged from the 5th).
    pub fn new(turn_seconds: f64) -> Self {
        LatencyBudget {
            turn: turn_seconds,
            p95: turn_seconds,
            parts: [None; TurnPart::ALL.len()],
            window: 20,
            min_turns: 5,
        }
    }

    /// The budget the SLO rules promise: [`RulesConfig::turn_latency_threshold`] per turn and
    /// for the rolling p95, and [`RulesConfig::part_thresholds`] per part.
    pub fn from_rules(config: &RulesConfig) -> Self {
        config.part_thresholds.iter().fold(
            Self::new(config.turn_latency_threshold),
            |budget, &(part, s)| budget.part(part, s),
        )
    }

    /// A threshold for one part, seconds.
    pub fn part(mut self, part: TurnPart, seconds: f64) -> Self {
        self.parts[part as usize] = Some(seconds);
        self
    }

    /// The rolling p95's threshold, when it differs from the turn's.
    pub fn p95(mut self, seconds: f64) -> Self {
        self.p95 = seconds;
        self
    }

    /// How many of the job's last turns the rolling percentiles cover (at least 1); they are
    /// judged once `min(turns, 5)` turns are known.
    pub fn window(mut self, turns: usize) -> Self {
        self.window = turns.max(1);
        self.min_turns = self.window.min(5);
        self
    }

    /// The end-to-end threshold of one turn, seconds.
    pub fn turn_threshold(&self) -> f64 {
        self.turn
    }

    /// The threshold of `part`, if it has one.
    pub fn part_threshold(&self, part: TurnPart) -> Option<f64> {
        self.parts[part as usize]
    }
}

/// A budget exceeded, and the part that blew it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Breach {
    /// A turn (or one of its parts), or the rolling p95.
    pub scope: BudgetScope,
    /// The part that blew it: a part over its own threshold (the one furthest over), else the
    /// largest part of the slow turn (or of the slowest turns, for the rolling p95).
    pub part: TurnPart,
    /// The measured seconds: the part's, the turn's, or the rolling p95.
    pub seconds: f64,
    /// The threshold it exceeded, seconds.
    pub threshold: f64,
}

/// The rolling percentiles of the end-to-end latency over the job's last turns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rolling {
    /// How many turns they cover.
    pub turns: usize,
    /// The median, seconds.
    pub p50: f64,
    /// The 95th percentile (nearest rank), seconds.
    pub p95: f64,
}

/// What the budget says of one turn.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Verdict {
    /// The turn, or one of its parts, exceeded its threshold.
    pub turn: Option<Breach>,
    /// The rolling p95 is over its threshold (reported on every turn while it is).
    pub rolling_p95: Option<Breach>,
    /// The rolling percentiles, once enough turns are known.
    pub rolling: Option<Rolling>,
}

impl Verdict {
    /// Whether anything is over budget.
    pub fn exceeded(&self) -> bool {
        self.turn.is_some() || self.rolling_p95.is_some()
    }
}

/// One turn in the window: its end-to-end latency and the seconds of each part.
type Sample = (f64, [f64; TurnPart::ALL.len()]);

/// The budget and the job's last turns. Its buffers are allocated once, at the window's size,
/// so judging a turn allocates nothing.
#[derive(Debug)]
pub(crate) struct BudgetState {
    budget: LatencyBudget,
    ring: Vec<Sample>,
    next: usize,
    scratch: Vec<f64>,
    p95_over: bool,
}

impl BudgetState {
    pub(crate) fn new(budget: LatencyBudget) -> Self {
        BudgetState {
            ring: Vec::with_capacity(budget.window),
            scratch: Vec::with_capacity(budget.window),
            next: 0,
            p95_over: false,
            budget,
        }
    }

    /// Judges `breakdown`, adds it to the window; the second value says whether the rolling p95
    /// has just gone over (a new episode, counted once).
    pub(crate) fn judge(&mut self, breakdown: &Breakdown) -> (Verdict, bool) {
        let mut parts = [0.0; TurnPart::ALL.len()];
        for part in breakdown.parts() {
            parts[part.part as usize] = part.seconds;
        }
        let sample = (breakdown.total(), parts);
        if self.ring.len() < self.budget.window {
            self.ring.push(sample);
        } else {
            self.ring[self.next] = sample;
        }
        self.next = (self.next + 1) % self.budget.window;

        let mut verdict = Verdict {
            turn: self.judge_turn(breakdown),
            ..Verdict::default()
        };
        let mut started = false;
        if self.ring.len() >= self.budget.min_turns {
            let rolling = self.rolling();
            verdict.rolling = Some(rolling);
            let over = rolling.p95 > self.budget.p95;
            if over {
                verdict.rolling_p95 = Some(Breach {
                    scope: BudgetScope::RollingP95,
                    part: self.tail_part(rolling.p95),
                    seconds: rolling.p95,
                    threshold: self.budget.p95,
                });
            }
            started = over && !self.p95_over;
            self.p95_over = over;
        }
        (verdict, started)
    }

    fn judge_turn(&self, breakdown: &Breakdown) -> Option<Breach> {
        let over_part = breakdown
            .parts()
            .iter()
            .filter_map(|p| {
                let threshold = self.budget.part_threshold(p.part)?;
                (p.seconds > threshold).then_some((p, threshold))
            })
            .max_by(|(a, ta), (b, tb)| (a.seconds - ta).total_cmp(&(b.seconds - tb)));
        if let Some((part, threshold)) = over_part {
            return Some(Breach {
                scope: BudgetScope::Turn,
                part: part.part,
                seconds: part.seconds,
                threshold,
            });
        }
        (breakdown.total() > self.budget.turn).then(|| Breach {
            scope: BudgetScope::Turn,
            part: breakdown.largest().map_or(TurnPart::Other, |p| p.part),
            seconds: breakdown.total(),
            threshold: self.budget.turn,
        })
    }

    fn rolling(&mut self) -> Rolling {
        self.scratch.clear();
        self.scratch.extend(self.ring.iter().map(|(e2e, _)| *e2e));
        Rolling {
            turns: self.scratch.len(),
            p50: nearest_rank(&mut self.scratch, 0.50),
            p95: nearest_rank(&mut self.scratch, 0.95),
        }
    }

    /// The part with the most time in the turns at or above the rolling p95.
    fn tail_part(&self, p95: f64) -> TurnPart {
        let mut sums = [0.0; TurnPart::ALL.len()];
        for (_, parts) in self.ring.iter().filter(|(e2e, _)| *e2e >= p95) {
            for (sum, seconds) in sums.iter_mut().zip(parts) {
                *sum += seconds;
            }
        }
        TurnPart::ALL
            .into_iter()
            .zip(sums)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(TurnPart::Other, |(part, _)| part)
    }
}

/// The nearest-rank percentile of `values` (not empty); reorders them.
fn nearest_rank(values: &mut [f64], q: f64) -> f64 {
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    let (_, value, _) = values.select_nth_unstable_by(rank - 1, f64::total_cmp);
    *value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(nearest_rank(&mut v, 0.95), 19.0);
        assert_eq!(nearest_rank(&mut v, 0.50), 10.0);
        assert_eq!(nearest_rank(&mut [3.0], 0.95), 3.0);
    }
}
