//! The main job's turns: every turn's parts add up to its end-to-end latency, the exported
//! per-part sums add up to the exported e2e sum, every outcome happens, and the agent reacts to
//! its latency budget with a faster LLM whose turns are then within budget.

use agent_metrics::MetricsRecorder;
use agent_metrics::capture::Capture;
use agent_metrics::schema::{TurnEndReason, TurnPart};
use agent_metrics_test_support::sim;

fn histogram_sum(points: &[agent_metrics::capture::Point], name: &str) -> f64 {
    points
        .iter()
        .filter(|p| p.name == name)
        .map(|p| p.value.as_histogram().unwrap().sum)
        .sum()
}

#[test]
fn every_turn_of_the_main_job_adds_up_and_the_agent_acts_on_its_budget() {
    for seed in [7, 11, 23] {
        let capture = Capture::cumulative();
        let mut session = sim::Session::new(seed, MetricsRecorder::new(capture.meter()));
        let mut llm_ttft = Vec::new();
        let mut switched = Vec::new();
        session.run(12, |turn, log| {
            let b = &log.analysis.breakdown;
            let sum: f64 = b.parts().iter().map(|p| p.seconds).sum();
            assert!(
                (sum - b.total()).abs() <= 1e-9,
                "seed {seed} turn {turn}: {b}"
            );
            assert!(b.parts().iter().all(|p| p.seconds > 0.0), "{b}");
            llm_ttft.push(b.seconds(TurnPart::LlmTtft));
            if log.switched_to.is_some() {
                switched.push(turn);
            }
        });
        // The slow LLM blows its 1 s budget on the first turn; the agent switches once, and
        // every later turn's LLM is well within it.
        assert_eq!(switched, [0], "seed {seed}");
        assert!(llm_ttft[0] > 1.0);
        assert!(llm_ttft[1..].iter().all(|s| *s < 0.5), "{llm_ttft:?}");

        let stats = session.turn_stats();
        // 12 pipeline replies and 6 realtime ones are broken down; the greeting is not.
        assert_eq!((stats.breakdowns, stats.skipped), (18, 1));
        for reason in TurnEndReason::ALL {
            assert!(stats.outcome(reason) > 0, "seed {seed}: no {reason:?} turn");
        }
        assert!(stats.user_interruptions > 0 && stats.agent_interruptions > 0);
        let shares: f64 = TurnPart::ALL.iter().map(|p| stats.share(*p)).sum();
        assert!((shares - 1.0).abs() < 1e-9, "{shares}");

        let points = capture.collect();
        let parts = histogram_sum(&points, "lk.agents.turn.latency_breakdown");
        let e2e = histogram_sum(&points, "lk.agents.turn.e2e_latency");
        assert!((parts - e2e).abs() < 1e-9, "{parts} vs {e2e}");
        assert!((e2e - stats.e2e_seconds).abs() < 1e-9);
    }
}
