//! Recording cost: the derive's generated `record` and the bound path against the OpenTelemetry
//! code a careful user writes by hand (`record/handwritten.rs`), for three events, on the same
//! meter provider (a manual reader, so no export runs during the measurement):
//! - `tts`: a `TTSMetrics` (two counters and the acquire-time histogram; attributes
//!   `model_provider`, `model_name`, `connection_reused`);
//! - `report`: a `MetricsReport` (five turn histograms, labelled with three different models);
//! - `llm`: an `LLMMetrics` (three token counters, and the GenAI duration, first-chunk and token
//!   histograms with the conventions' attributes).
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
use agent_metrics::schema::*;
use agent_metrics::{AgentMetric, Handles, MetricsRecorder};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use agent_metrics_test_support::events;

/// The three ways of recording `event`, in the group `name`; every series is created before
/// measuring, as a long-running agent has them.
fn compare<T: AgentMetric>(
    c: &mut Criterion,
    name: &str,
    event: &T,
    capture: &Capture,
    hand: impl Fn(&T),
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
    let tts = handwritten::Tts::new(capture.meter());
    compare(c, "tts", &events::tts(), &capture, |e| tts.record(e));
    let report_hand = handwritten::Report::new(capture.meter());
    compare(c, "report", &report(), &capture, |e| report_hand.record(e));
    let llm = handwritten::Llm::new(capture.meter());
    compare(c, "llm", &events::turn().llm, &capture, |e| llm.record(e));
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
