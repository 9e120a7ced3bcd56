//! Recording cost: the derive's generated `record` against the OpenTelemetry code a careful user
//! writes by hand, for the same `TTSMetrics` event (two counters and the acquire-time histogram,
//! attributes `model_provider`, `model_name`, `connection_reused`), on the same meter provider
//! (a manual reader, so no export runs during the measurement).
//!
//! The `mix` group records one conversation turn's worth of events of every type.
//!
//! Run: `cargo bench --bench record` (default features, `bound` included; with
//! `--no-default-features --features serde,otlp` the cache replays histograms through the SDK's
//! unbound `record` and `record/bound` uses the portable fallback). Compare ratios from one run,
//! since the machine is shared and noisy.
//!
//! RESULTS (2 shared vCPUs, AMD EPYC, rustc 1.95.0; one run, medians, default features):
//! handwritten 259.8 ns, derived 70.5 ns (0.271x: the attribute cache), bound 28.4 ns,
//! mix/turn 1.97 µs for 10 events. See BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use agent_metrics::capture::Capture;
use agent_metrics::opentelemetry::KeyValue;
use agent_metrics::opentelemetry::metrics::{Counter, Histogram};
use agent_metrics::schema::TTSMetrics;
use agent_metrics::{AgentMetric, Handles, MetricsRecorder};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use agent_metrics_test_support::events;

fn event() -> TTSMetrics {
    events::tts()
}

/// What a careful user writes by hand: instruments built once, attributes in one fixed sorted
/// order, the non-zero guards of the Python framework.
struct Handwritten {
    characters: Counter<u64>,
    audio: Counter<f64>,
    acquire: Histogram<f64>,
}

impl Handwritten {
    fn new(meter: &opentelemetry::metrics::Meter) -> Self {
        Handwritten {
            characters: meter
                .u64_counter("lk.agents.usage.tts_characters")
                .with_unit("{character}")
                .with_description("TTS characters synthesized")
                .build(),
            audio: meter
                .f64_counter("lk.agents.usage.tts_audio_duration")
                .with_unit("s")
                .with_description("TTS audio duration")
                .build(),
            acquire: meter
                .f64_histogram("lk.agents.connection.acquire_time")
                .with_unit("s")
                .with_description("Time to acquire a connection (WebSocket only)")
                .with_boundaries(agent_metrics::schema::ACQUIRE_BUCKETS.to_vec())
                .build(),
        }
    }

    fn record(&self, e: &TTSMetrics) {
        let meta = e
            .metadata
            .as_ref()
            .expect("the plugin always sets metadata");
        let name = meta.model_name.clone().expect("set");
        let provider = meta.model_provider.clone().expect("set");
        let model = [
            KeyValue::new("model_name", name),
            KeyValue::new("model_provider", provider),
        ];
        if e.characters_count > 0 {
            self.characters.add(e.characters_count, &model);
        }
        if e.audio_duration > 0.0 {
            self.audio.add(e.audio_duration, &model);
        }
        if e.acquire_time > 0.0 {
            let reused = if e.connection_reused { "true" } else { "false" };
            let [name, provider] = model;
            let attrs = [KeyValue::new("connection_reused", reused), name, provider];
            self.acquire.record(e.acquire_time, &attrs);
        }
    }
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

fn record(c: &mut Criterion) {
    let capture = Capture::cumulative();
    let hand = Handwritten::new(capture.meter());
    let handles: Handles<TTSMetrics> = TTSMetrics::handles(capture.meter());
    let e = event();
    let bound = TTSMetrics::bind(&handles, &e);
    // Create every series before measuring, as a long-running agent has.
    hand.record(&e);
    e.record(&handles);

    let mut group = c.benchmark_group("record");
    group.bench_function("handwritten", |b| b.iter(|| hand.record(black_box(&e))));
    group.bench_function("derived", |b| b.iter(|| black_box(&e).record(&handles)));
    group.bench_function("bound", |b| b.iter(|| black_box(&e).record_bound(&bound)));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = record, mixed
}
criterion_main!(benches);
