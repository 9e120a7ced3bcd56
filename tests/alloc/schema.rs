//! Steady-state recording allocates nothing: 10,000 events of every schema type, through the
//! derived `record` and the bound path, outside a job and inside one (job attribution on every
//! data point), after one warm-up record that creates the series.

use agent_metrics::capture::Capture;
use agent_metrics::job::Job;
use agent_metrics::schema::GenAiConventions;
use agent_metrics::{AgentMetric, MetricsRecorder};
use agent_metrics_test_support::events;

fn allocations(work: impl FnOnce()) -> u64 {
    crate::allocations_in(work) as u64
}

const EVENTS: usize = 10_000;

#[test]
fn recording_every_type_allocates_nothing() {
    every_type_allocates_nothing(GenAiConventions::LiveKit);
}

/// The opt-in's views are built per record from the event (reference counts, no copies).
#[test]
fn recording_under_the_gen_ai_opt_in_allocates_nothing() {
    every_type_allocates_nothing(GenAiConventions::LatestExperimental);
}

fn every_type_allocates_nothing(conventions: GenAiConventions) {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::with_conventions(capture.meter(), conventions);
    let mut turn = events::turn();
    // Non-streaming STT, so that the opt-in records its operation duration too.
    turn.stt.duration = 0.4;
    let job = Job::new("RM_alloc", "AJ_alloc").agent_name("concierge");
    turn.record(&recorder);
    {
        let _in_job = job.enter();
        turn.record(&recorder);
    }
    let outside = allocations(|| {
        for _ in 0..EVENTS {
            turn.record(&recorder);
        }
    });
    let inside = allocations(|| {
        let _in_job = job.enter();
        for _ in 0..EVENTS {
            turn.record(&recorder);
        }
    });
    assert_eq!((outside, inside), (0, 0));
    // The records did reach the SDK: 10,001 + 10,001 per series of the STT audio counter.
    let stt = capture
        .collect()
        .into_iter()
        .filter(|p| p.name == "lk.agents.usage.stt_audio_duration")
        .count();
    assert_eq!(stt, 2);
}

fn bound_allocations<T: AgentMetric>(event: &T, capture: &Capture) -> u64 {
    let handles = T::handles(capture.meter());
    let bound = T::bind(&handles, event);
    event.record_bound(&bound);
    allocations(|| {
        for _ in 0..EVENTS {
            event.record_bound(&bound);
        }
    })
}

#[test]
fn the_bound_path_allocates_nothing() {
    let capture = Capture::cumulative();
    let t = events::turn();
    let job = Job::new("RM_bound", "AJ_bound");
    let _in_job = job.enter();
    let counts = [
        bound_allocations(&t.stt, &capture),
        bound_allocations(&t.llm, &capture),
        bound_allocations(&t.tts, &capture),
        bound_allocations(&t.realtime, &capture),
        bound_allocations(&t.interruption, &capture),
        bound_allocations(&t.user, &capture),
        bound_allocations(&t.assistant, &capture),
        bound_allocations(&t.tool, &capture),
        bound_allocations(&t.agent, &capture),
        bound_allocations(&t.blocked, &capture),
    ];
    assert_eq!(counts, [0; 10]);
}

/// Provider attempts (issue 23): recording one, its bucketed retry and fallback and its static
/// `error.type` included, allocates nothing once its series exist.
#[test]
fn recording_provider_attempts_allocates_nothing() {
    use agent_metrics::schema::{AttemptOutcome, Metadata, ProviderKind, ProviderRequest};

    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let (primary, fallback) = (
        Metadata::new("openai", "gpt-4o"),
        Metadata::new("anthropic", "claude"),
    );
    let mut request = ProviderRequest::new(ProviderKind::Llm);
    let failed = request
        .attempt(&primary, AttemptOutcome::RateLimited, 0.1)
        .error_type("http_429");
    let served = request.attempt(&fallback, AttemptOutcome::Success, 0.9);
    recorder.record(&failed);
    recorder.record(&served);
    let count = allocations(|| {
        for _ in 0..EVENTS {
            recorder.record(&failed);
            recorder.record(&served);
        }
    });
    assert_eq!(count, 0);
}
