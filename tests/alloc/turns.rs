//! Judging turns allocates nothing once warm: a `TurnTracker` with a latency budget joins each
//! user report with its reply, breaks the turn down, records the parts, keeps the rolling
//! percentiles and records the outcome, all on buffers sized once.

use agent_metrics::MetricsRecorder;
use agent_metrics::capture::Capture;
use agent_metrics::job::Job;
use agent_metrics::schema::*;
use agent_metrics::turn::{LatencyBudget, TurnTracker};

/// One turn `i` of a session: the user's report, the reply's, and how the agent turn ended.
fn turn(
    turns: &mut TurnTracker,
    i: u32,
    user: &MetricsReport,
    reply: &MetricsReport,
    agent: &Name,
) -> bool {
    let at = f64::from(i) * 10.0;
    turns.record_report(&MetricsReport {
        stopped_speaking_at: Some(at),
        ..user.clone()
    });
    let slow = turns
        .record_report(&MetricsReport {
            started_speaking_at: Some(at + 1.2),
            ..reply.clone()
        })
        .is_some_and(|t| t.verdict.exceeded());
    turns.turn_ended(&AgentInvocationMetrics {
        agent_name: agent.clone(),
        duration: 3.0,
        end_reason: Some(if i.is_multiple_of(3) {
            TurnEndReason::Interrupted
        } else {
            TurnEndReason::Completed
        }),
        spoken_fraction: Some(0.5),
        ..Default::default()
    });
    slow
}

#[test]
fn judging_turns_allocates_nothing_once_warm() {
    let capture = Capture::cumulative();
    let mut turns = TurnTracker::new(MetricsRecorder::new(capture.meter())).with_budget(
        LatencyBudget::new(1.0)
            .part(TurnPart::LlmTtft, 0.3)
            .window(20),
    );
    let stt = MetricsMetadata::new("deepgram", "nova-3");
    let user = MetricsReport {
        end_of_turn_delay: Some(0.5),
        transcription_delay: Some(0.2),
        on_user_turn_completed_delay: Some(0.01),
        stt_metadata: Some(stt),
        ..Default::default()
    };
    let reply = MetricsReport {
        e2e_latency: Some(1.2),
        llm_node_ttft: Some(0.4),
        llm_node_ttfs: Some(0.45),
        tts_node_ttfb: Some(0.2),
        llm_metadata: Some(MetricsMetadata::new("openai", "gpt-4o-mini")),
        tts_metadata: Some(MetricsMetadata::new("cartesia", "sonic-2")),
        ..Default::default()
    };
    let agent: Name = "concierge".into();
    let job = Job::new("RM_alloc", "AJ_alloc");
    let _in_job = job.enter();
    // Warm: every series exists and the window is full.
    for i in 0..30 {
        turn(&mut turns, i, &user, &reply, &agent);
    }
    let mut slow = 0;
    let allocated = crate::allocations_in(|| {
        for i in 30..1_030 {
            slow += u32::from(turn(&mut turns, i, &user, &reply, &agent));
        }
    });
    assert_eq!(allocated, 0);
    // The work was done: every turn over its LLM budget, every part recorded.
    assert_eq!(slow, 1_000);
    assert_eq!(turns.stats().breakdowns, 1_030);
}
