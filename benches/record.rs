//! Recording cost: the derive's generated `record` and the bound path against the OpenTelemetry
//! code a careful user writes by hand (`record/handwritten.rs`), for three events, on the same
//! meter provider (a manual reader, so no export runs during the measurement):
//! - `tts`: a `TTSMetrics` (two counters and the acquire-time histogram; attributes
//!   `model_provider`, `model_name`, `connection_reused`);
//! - `report`: a `MetricsReport` (five turn histograms, labelled with three different models);
//! - `llm`: an `LLMMetrics` (three token counters, and the GenAI duration, first-chunk and token
//!   histograms with the conventions' attributes).
//!
//! `report/sdk_floor` records the report's five values straight into OpenTelemetry's bound
//! histograms, with no check, job or lookup: the SDK's own aggregation, which every path pays.
//!
//! The `*_in_job` groups record the same events through `record` and `record_bound` inside a job
//! (`room_id`, `job_id`), as an agent records every turn and usage event: the second pass of the
//! Python comparison (`benches/python/livekit_record.py`).
//!
//! The `mix` group records one conversation turn's worth of events of every type.
//!
//! Run: `cargo bench --bench record` (default features, `bound` included; with
//! `--no-default-features --features serde,otlp` the cache replays histograms through the SDK's
//! unbound `record` and the bound path uses the portable fallback). Compare ratios from one run,
//! since the machine is shared and noisy.
//!
//! RESULTS: see BENCHMARKS.md ("Recording"), one run on 2 shared vCPUs (AMD EPYC), rustc 1.95.0.

#[path = "record/handwritten.rs"]
mod handwritten;

use std::hint::black_box;
use std::time::Duration;

use agent_metrics::capture::Capture;
use agent_metrics::job::Job;
use agent_metrics::schema::*;
use agent_metrics::{AgentMetric, Handles, MetricsRecorder};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use agent_metrics_test_support::events;

/// The three ways of recording `event`, in the group `name`, and `floor` when given; every
/// series is created before measuring, as a long-running agent has them.
fn compare<T: AgentMetric>(
    c: &mut Criterion,
    name: &str,
    event: &T,
    capture: &Capture,
    hand: impl Fn(&T),
    floor: Option<&dyn Fn(&T)>,
) {
    let handles: Handles<T> = T::handles(capture.meter());
    let bound = T::bind(&handles, event);
    hand(event);
    event.record(&handles);
    event.record_bound(&bound);
    let mut group = c.benchmark_group(name);
    group.bench_function("handwritten", |b| b.iter(|| hand(black_box(event))));
    group.bench_function("derived", |b| b.iter(|| black_box(event).record(&handles)));
    group.bench_function("bound", |b| {
        b.iter(|| black_box(event).record_bound(&bound))
    });
    if let Some(floor) = floor {
        floor(event);
        group.bench_function("sdk_floor", |b| b.iter(|| floor(black_box(event))));
    }
    group.finish();
}

/// `record` and `bind`/`record_bound` of `event` inside a job, in the group `{name}_in_job`.
fn in_job<T: AgentMetric>(c: &mut Criterion, name: &str, event: &T, capture: &Capture) {
    let job = Job::new("RM_bench", "AJ_bench");
    let _current = job.enter();
    let handles: Handles<T> = T::handles(capture.meter());
    let bound = T::bind(&handles, event);
    event.record(&handles);
    event.record_bound(&bound);
    let mut group = c.benchmark_group(format!("{name}_in_job"));
    group.bench_function("derived", |b| b.iter(|| black_box(event).record(&handles)));
    group.bench_function("bound", |b| {
        b.iter(|| black_box(event).record_bound(&bound))
    });
    group.finish();
}

/// A report with five latencies and three models: the user's and the assistant's turn in one.
fn report() -> MetricsReport {
    let turn = events::turn();
    MetricsReport {
        transcription_delay: turn.user.transcription_delay,
        end_of_turn_delay: turn.user.end_of_turn_delay,
        stt_metadata: turn.user.stt_metadata,
        ..turn.assistant
    }
}

fn record(c: &mut Criterion) {
    let capture = Capture::cumulative();
    let (tts, report, llm) = (events::tts(), report(), events::turn().llm);
    let tts_hand = handwritten::Tts::new(capture.meter());
    compare(c, "tts", &tts, &capture, |e| tts_hand.record(e), None);
    let report_hand = handwritten::Report::new(capture.meter());
    #[cfg(feature = "bound")]
    let floor = report_hand.bind(&report);
    #[cfg(feature = "bound")]
    let floor: Option<&dyn Fn(&MetricsReport)> = Some(&|e| floor.record(e));
    #[cfg(not(feature = "bound"))]
    let floor = None;
    compare(
        c,
        "report",
        &report,
        &capture,
        |e| report_hand.record(e),
        floor,
    );
    let llm_hand = handwritten::Llm::new(capture.meter());
    compare(c, "llm", &llm, &capture, |e| llm_hand.record(e), None);
    in_job(c, "tts", &tts, &capture);
    in_job(c, "report", &report, &capture);
    in_job(c, "llm", &llm, &capture);
}

fn mixed(c: &mut Criterion) {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let turn = events::turn();
    turn.record(&recorder);
    let mut group = c.benchmark_group("mix");
    group.throughput(Throughput::Elements(events::Turn::EVENTS));
    group.bench_function("turn", |b| b.iter(|| black_box(&turn).record(&recorder)));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = record, mixed
}
criterion_main!(benches);
