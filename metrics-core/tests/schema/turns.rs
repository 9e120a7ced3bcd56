//! The turn analysis: breakdowns that add up (fixtures of the Python framework's reports, and
//! random timelines), the join of a turn's two reports, skipped and inconsistent turns,
//! outcomes, interruptions and the latency budget.

use agent_metrics_core::MetricsRecorder;
use agent_metrics_core::capture::{Capture, Point};
use agent_metrics_core::catalog::RulesConfig;
use agent_metrics_core::invalid::{self, Reason};
use agent_metrics_core::schema::*;
use agent_metrics_core::turn::{Breakdown, LatencyBudget, TurnStages, TurnTracker};
use proptest::prelude::*;

fn tracker(capture: &Capture) -> TurnTracker {
    TurnTracker::new(MetricsRecorder::new(capture.meter()))
}

/// The parts add up to the total, none is empty or negative, each appears once, in timeline
/// order.
fn assert_adds_up(b: &Breakdown) {
    let sum: f64 = b.parts().iter().map(|p| p.seconds).sum();
    assert!((sum - b.total()).abs() <= 1e-9, "{b}: parts sum to {sum}");
    assert!(b.parts().iter().all(|p| p.seconds > 0.0), "{b}");
    let order: Vec<usize> = b.parts().iter().map(|p| p.part as usize).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{b}: {order:?}");
}

#[cfg(feature = "serde")]
fn sum_of(points: &[Point], name: &str) -> f64 {
    points
        .iter()
        .filter(|p| p.name == name)
        .map(|p| p.value.as_histogram().unwrap().sum)
        .sum()
}

fn total_of(points: &[Point], name: &str, key: &str, value: &str) -> u64 {
    points
        .iter()
        .filter(|p| p.name == name && p.attr(key).as_deref() == Some(value))
        .map(|p| p.value.as_u64().unwrap())
        .sum()
}

#[cfg(feature = "serde")]
#[test]
fn every_reply_of_the_python_history_breaks_down_into_parts_that_add_up() {
    const HISTORY: &str = include_str!("fixtures/python_history.json");
    let history: serde_json::Value = serde_json::from_str(HISTORY).unwrap();
    let capture = Capture::cumulative();
    let mut turns = tracker(&capture);
    let mut shown = Vec::new();
    for item in history["items"].as_array().unwrap() {
        let report: MetricsReport = serde_json::from_value(item["metrics"].clone()).unwrap();
        if let Some(turn) = turns.record_report(&report) {
            assert_adds_up(&turn.breakdown);
            assert_eq!(turn.breakdown.total(), report.e2e_latency.unwrap());
            shown.push(turn.breakdown.to_string());
        }
    }
    assert_eq!(
        shown,
        [
            // Joined with its user report: the transcript was ready before the decision.
            "1.41 s = endpointing 0.51 + on_user_turn_completed 0.00 + other 0.04 + llm_ttft 0.51 + sentence_aggregation 0.09 + tts_ttfb 0.25 + playback_start 0.00",
            // The final transcript landed 0.13 s after the decision.
            "1.53 s = endpointing 0.60 + transcription 0.13 + on_user_turn_completed 0.01 + other 0.04 + llm_ttft 0.39 + sentence_aggregation 0.07 + tts_ttfb 0.30 + playback_start 0.00",
            // Preemptive: the LLM started at 0.12 s, before the decision at 0.65 s; the overlap
            // counts once, for the reply.
            "0.84 s = endpointing 0.12 + llm_ttft 0.45 + sentence_aggregation 0.07 + tts_ttfb 0.20",
            // say() after a handoff, answering the pending user turn.
            "1.90 s = endpointing 0.45 + other 1.14 + tts_ttfb 0.31 + playback_start 0.00",
            // A realtime reply with no user report and no stage: all of it unexplained.
            "0.62 s = other 0.62",
            "0.80 s = other 0.30 + llm_ttft 0.30 + tts_ttfb 0.20",
        ]
    );
    let stats = turns.stats();
    assert_eq!((stats.replies, stats.breakdowns, stats.skipped), (7, 6, 1));

    // Exported: the per-part sums add up to the e2e sum of the same turns.
    let points = capture.collect();
    let parts = sum_of(&points, "lk.agents.turn.latency_breakdown");
    let e2e = sum_of(&points, "lk.agents.turn.e2e_latency");
    assert!((parts - e2e).abs() < 1e-9, "{parts} vs {e2e}");
    assert_eq!(
        total_of(
            &points,
            "lk.agents.turn.breakdown_skipped",
            "reason",
            "missing_e2e"
        ),
        1
    );
    // A service part names its model; the others name none.
    let llm = points
        .iter()
        .find(|p| {
            p.name == "lk.agents.turn.latency_breakdown"
                && p.attr("part").as_deref() == Some("llm_ttft")
                && p.attr("model_name").as_deref() == Some("gpt-4o-mini")
        })
        .unwrap();
    assert_eq!(
        llm.attr_pairs(),
        [
            "model_name=gpt-4o-mini",
            "model_provider=openai",
            "owner=service",
            "part=llm_ttft"
        ]
    );
}

#[test]
fn a_reply_answers_the_user_turn_whose_end_its_e2e_points_at() {
    let capture = Capture::cumulative();
    let mut turns = tracker(&capture);
    let user = |stopped: f64| MetricsReport {
        stopped_speaking_at: Some(stopped),
        end_of_turn_delay: Some(0.4),
        ..Default::default()
    };
    let reply = |started: f64, e2e: f64| MetricsReport {
        started_speaking_at: Some(started),
        e2e_latency: Some(e2e),
        llm_node_ttft: Some(0.3),
        ..Default::default()
    };
    turns.record_report(&user(100.0));
    // This reply answers an older turn (ended at 95 s): the pending one is kept for the next.
    let other = turns.record_report(&reply(101.0, 6.0)).unwrap();
    assert_eq!(
        other.breakdown.to_string(),
        "6.00 s = other 5.70 + llm_ttft 0.30"
    );
    let answer = turns.record_report(&reply(101.0, 1.0)).unwrap();
    assert_eq!(
        answer.breakdown.to_string(),
        "1.00 s = endpointing 0.40 + other 0.30 + llm_ttft 0.30"
    );
    // Consumed: the next reply has no user side.
    let next = turns.record_report(&reply(110.0, 1.0)).unwrap();
    assert_eq!(
        next.breakdown.to_string(),
        "1.00 s = other 0.70 + llm_ttft 0.30"
    );
}

#[test]
fn the_turn_events_fill_what_a_report_lacks() {
    let capture = Capture::cumulative();
    let mut turns = tracker(&capture);
    turns.record_event(&AgentMetrics::Realtime(RealtimeModelMetrics {
        ttft: 0.4,
        metadata: Some(Metadata::new("openai", "gpt-realtime")),
        ..Default::default()
    }));
    let turn = turns
        .record_report(&MetricsReport {
            started_speaking_at: Some(50.0),
            e2e_latency: Some(0.5),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        turn.breakdown.to_string(),
        "0.50 s = other 0.10 + llm_ttft 0.40"
    );
    let part = &turn.breakdown.parts()[1];
    assert_eq!(part.model, Some(Metadata::new("openai", "gpt-realtime")));
}

#[test]
fn replies_without_e2e_or_timestamps_or_with_inconsistent_values_are_counted_not_broken_down() {
    let capture = Capture::cumulative();
    let mut turns = tracker(&capture);
    let before = |reason| {
        invalid::dropped_counts()
            .get(&("lk.agents.turn.latency_breakdown", reason))
            .copied()
            .unwrap_or(0)
    };
    let (inconsistent, nan, negative) = (
        before(Reason::Inconsistent),
        before(Reason::NaN),
        before(Reason::Negative),
    );
    let reply = |e2e: Option<f64>, ttft: f64| MetricsReport {
        started_speaking_at: Some(10.0),
        e2e_latency: e2e,
        llm_node_ttft: Some(ttft),
        ..Default::default()
    };
    assert!(turns.record_report(&reply(None, 0.3)).is_none());
    let no_timestamp = MetricsReport {
        started_speaking_at: None,
        ..reply(Some(1.0), 0.3)
    };
    assert!(turns.record_report(&no_timestamp).is_none());
    // A part larger than the whole, a NaN part, a negative part, ttfs before ttft.
    assert!(turns.record_report(&reply(Some(1.0), 1.5)).is_none());
    assert!(turns.record_report(&reply(Some(1.0), f64::NAN)).is_none());
    assert!(turns.record_report(&reply(Some(1.0), -0.1)).is_none());
    let ttfs_first = MetricsReport {
        llm_node_ttfs: Some(0.2),
        ..reply(Some(1.0), 0.3)
    };
    assert!(turns.record_report(&ttfs_first).is_none());

    let points = capture.collect();
    let skipped = |reason| {
        total_of(
            &points,
            "lk.agents.turn.breakdown_skipped",
            "reason",
            reason,
        )
    };
    assert_eq!(skipped("missing_e2e"), 1);
    assert_eq!(skipped("missing_timestamps"), 1);
    assert_eq!(skipped("inconsistent"), 4);
    assert!(
        points
            .iter()
            .all(|p| p.name != "lk.agents.turn.latency_breakdown")
    );
    // Counted with their reasons (other tests may drop too: compare from a baseline).
    assert_eq!(before(Reason::Inconsistent) - inconsistent, 2);
    assert_eq!(before(Reason::NaN) - nan, 1);
    assert_eq!(before(Reason::Negative) - negative, 1);
    assert_eq!(turns.stats().skipped, 6);
}

#[test]
fn outcomes_spoken_fractions_and_interruptions_are_counted() {
    let capture = Capture::cumulative();
    let mut turns = tracker(&capture);
    let turn = |end_reason, spoken_fraction, interrupted_user| AgentInvocationMetrics {
        agent_name: "concierge".into(),
        duration: 2.0,
        end_reason,
        spoken_fraction,
        interrupted_user,
        ..Default::default()
    };
    turns.turn_ended(&turn(Some(TurnEndReason::Completed), None, false));
    turns.turn_ended(&turn(Some(TurnEndReason::Completed), None, true));
    turns.turn_ended(&turn(Some(TurnEndReason::Interrupted), Some(0.25), false));
    turns.turn_ended(&turn(Some(TurnEndReason::Interrupted), Some(1.5), false));
    turns.turn_ended(&turn(Some(TurnEndReason::Cancelled), None, false));
    turns.turn_ended(&turn(Some(TurnEndReason::SessionClosed), Some(0.5), false));
    // No outcome known: only the 1.8.9 duration is recorded.
    turns.turn_ended(&turn(None, Some(0.5), false));

    let points = capture.collect();
    let outcome = |r| total_of(&points, "lk.agents.turn.outcomes", "end_reason", r);
    assert_eq!(
        [
            outcome("completed"),
            outcome("interrupted"),
            outcome("cancelled"),
            outcome("session_closed")
        ],
        [2, 2, 1, 1]
    );
    let by = |who| {
        total_of(
            &points,
            "lk.agents.session.interruptions",
            "interrupted_by",
            who,
        )
    };
    assert_eq!((by("user"), by("agent")), (2, 1));
    let fractions: Vec<(String, u64, f64)> = points
        .iter()
        .filter(|p| p.name == "lk.agents.turn.spoken_fraction")
        .map(|p| {
            let h = p.value.as_histogram().unwrap();
            (p.attr("end_reason").unwrap(), h.count, h.sum)
        })
        .collect();
    // 1.5 is not a fraction: dropped and counted, never recorded.
    assert_eq!(
        fractions,
        [
            ("interrupted".to_owned(), 1, 0.25),
            ("session_closed".to_owned(), 1, 0.5)
        ]
    );
    let invocations = points
        .iter()
        .find(|p| p.name == "gen_ai.invoke_agent.duration")
        .unwrap();
    assert_eq!(invocations.value.as_histogram().unwrap().count, 7);
    let stats = turns.stats();
    assert_eq!(stats.outcome(TurnEndReason::Interrupted), 2);
    assert_eq!(
        (stats.user_interruptions, stats.agent_interruptions),
        (2, 1)
    );
}

/// A reply of `e2e` seconds whose LLM took `ttft` of them.
fn reply(at: f64, e2e: f64, ttft: f64) -> MetricsReport {
    MetricsReport {
        started_speaking_at: Some(at),
        e2e_latency: Some(e2e),
        llm_node_ttft: Some(ttft),
        tts_node_ttfb: Some(0.1),
        ..Default::default()
    }
}

#[test]
fn the_budget_names_the_part_that_blew_it_and_counts_each_breach() {
    let capture = Capture::cumulative();
    let rules = RulesConfig::default().part_threshold(TurnPart::TtsTtfb, 0.05);
    let mut turns = tracker(&capture).with_budget(LatencyBudget::from_rules(&rules).window(5));
    // The TTS over its own threshold, in a turn within the 2 s budget.
    let v = turns.record_report(&reply(1.0, 1.0, 0.3)).unwrap().verdict;
    let breach = v.turn.unwrap();
    assert_eq!((breach.part, breach.threshold), (TurnPart::TtsTtfb, 0.05));
    assert!((breach.seconds - 0.1).abs() < 1e-9);
    assert_eq!(breach.scope, BudgetScope::Turn);
    assert!(v.rolling.is_none(), "too few turns to judge a p95");

    let mut turns = tracker(&capture).with_budget(LatencyBudget::new(2.0).window(6));
    // A slow turn over the whole-turn budget: the largest part is named.
    let v = turns.record_report(&reply(10.0, 2.5, 1.9)).unwrap().verdict;
    assert_eq!(v.turn.unwrap().part, TurnPart::LlmTtft);
    for i in 0..3 {
        let v = turns
            .record_report(&reply(20.0 + f64::from(i), 1.0, 0.2))
            .unwrap()
            .verdict;
        assert!(v.turn.is_none());
    }
    // Five turns: p95 (nearest rank) is the slowest, 2.5 s, over 2 s: one episode starts.
    let v = turns.record_report(&reply(30.0, 1.0, 0.2)).unwrap().verdict;
    let rolling = v.rolling.unwrap();
    assert_eq!((rolling.turns, rolling.p50, rolling.p95), (5, 1.0, 2.5));
    let p95 = v.rolling_p95.unwrap();
    assert_eq!(
        (p95.part, p95.scope),
        (TurnPart::LlmTtft, BudgetScope::RollingP95)
    );
    // Still over on the next turn (reported again, not counted again), then back within once
    // the slow turn leaves the window of six.
    assert!(
        turns
            .record_report(&reply(31.0, 1.0, 0.2))
            .unwrap()
            .verdict
            .rolling_p95
            .is_some()
    );
    let v = turns.record_report(&reply(32.0, 1.0, 0.2)).unwrap().verdict;
    assert!(v.rolling_p95.is_none() && !v.exceeded());

    let points = capture.collect();
    let exceeded = |part, scope| {
        points
            .iter()
            .filter(|p| {
                p.name == "lk.agents.turn.budget_exceeded"
                    && p.attr("part").as_deref() == Some(part)
                    && p.attr("scope").as_deref() == Some(scope)
            })
            .map(|p| p.value.as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(exceeded("tts_ttfb", "turn"), 1);
    assert_eq!(exceeded("llm_ttft", "turn"), 1);
    assert_eq!(exceeded("llm_ttft", "rolling_p95"), 1);
}

#[test]
fn attribute_values_and_names_agree() {
    for part in TurnPart::ALL {
        assert_eq!(
            agent_metrics_core::AttributeValue::attribute_value(&part)
                .unwrap()
                .as_str(),
            part.as_str()
        );
    }
    for reason in TurnEndReason::ALL {
        assert_eq!(
            agent_metrics_core::AttributeValue::attribute_value(&reason)
                .unwrap()
                .as_str(),
            reason.as_str()
        );
    }
}

fn stage() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![Just(None), (0.0f64..3.0).prop_map(Some)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random timelines: overlapping chains (preemptive generation, even before the end of
    /// speech), missing stages, transcripts after the decision. A breakdown, when there is one,
    /// adds up; there is none exactly when a value is larger than the whole or ttfs < ttft.
    #[test]
    fn random_timelines_add_up_or_are_refused(
        e2e in 0.0f64..4.0,
        eot in stage(), transcript in stage(), callback in stage(),
        ttft in stage(), ttfs in stage(), ttfb in stage(), playback in stage(),
    ) {
        let stages = TurnStages {
            e2e: Some(e2e),
            end_of_turn_delay: eot,
            transcription_delay: transcript,
            on_user_turn_completed_delay: callback,
            llm_ttft: ttft,
            llm_ttfs: ttfs,
            tts_ttfb: ttfb,
            playback_latency: playback,
            ..Default::default()
        };
        let too_large = [eot, transcript, callback, ttft, ttfs, ttfb, playback]
            .iter()
            .flatten()
            .any(|v| *v > e2e + 1e-9);
        let backwards = matches!((ttft, ttfs), (Some(a), Some(b)) if b + 1e-9 < a);
        match stages.breakdown() {
            Ok(b) => {
                prop_assert!(!too_large && !backwards);
                assert_adds_up(&b);
            }
            Err(skip) => {
                prop_assert!(too_large || backwards);
                prop_assert_eq!(skip.reason, SkipReason::Inconsistent);
                prop_assert_eq!(skip.invalid, Some(Reason::Inconsistent));
            }
        }
    }

    /// Reports in any order, with any values (out-of-order timestamps, NaN, negatives, missing
    /// keys): the tracker never panics, and what it breaks down adds up.
    #[test]
    fn reports_in_any_order_never_panic(
        reports in prop::collection::vec(
            (prop::option::of(-5.0f64..5.0), prop::option::of(0.0f64..3.0),
             prop::option::of(-1.0f64..2.0), prop::option::of(prop_oneof![Just(f64::NAN), -1.0f64..2.0]),
             prop::option::of(95.0f64..105.0), prop::option::of(95.0f64..105.0)),
            1..12),
    ) {
        let capture = Capture::delta();
        let mut turns = tracker(&capture).with_budget(LatencyBudget::new(1.0).window(3));
        for (e2e, eot, transcript, ttft, started, stopped) in reports {
            let report = MetricsReport {
                e2e_latency: e2e,
                end_of_turn_delay: eot,
                transcription_delay: transcript,
                llm_node_ttft: ttft,
                started_speaking_at: started,
                stopped_speaking_at: stopped,
                ..Default::default()
            };
            if let Some(turn) = turns.record_report(&report) {
                assert_adds_up(&turn.breakdown);
            }
        }
        let _ = capture.collect();
    }
}
