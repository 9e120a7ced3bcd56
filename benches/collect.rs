//! Collection cost of the attribute cache: one collection and OTLP encoding (what a periodic
//! export does before sending) with the cache full, against the same collection with no cache.
//!
//! Both providers hold the same series: every schema type recorded with many distinct models,
//! tools and agents (more than `cache::MAX_ENTRIES` attribute sets per type). In `full`, the
//! recording threads stay alive (parked), so their entries stay in the cache, up to its bound
//! for every set of handles, and each collection drains all of them first; in `empty`, the
//! threads ended, and the first collection freed their entries. The difference is what the
//! cache's drain adds to the SDK's own collection and encoding.
//!
//! Run: `cargo bench --bench collect`. RESULTS: see BENCHMARKS.md ("Collection").

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use agent_metrics::MetricsRecorder;
use agent_metrics::cache;
use agent_metrics::capture::SharedReader;
use agent_metrics::schema::*;
use criterion::{Criterion, criterion_group, criterion_main};
use opentelemetry::metrics::MeterProvider;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{SdkMeterProvider, Temporality};
use prost::Message;

use agent_metrics_test_support::events;

/// Distinct attribute sets per schema type: more than one set of handles keeps.
const SETS: usize = 640;
/// Recording threads; each holds about a hundred entries (its table has 256 slots).
const THREADS: usize = 128;

/// Every schema type that feeds instruments, with model (or tool, agent) number `m`.
fn record(recorder: &MetricsRecorder, m: usize) {
    let turn = events::turn();
    let model = Metadata::new("provider", format!("model-{m}"));
    let report_model = MetricsMetadata::new("provider", format!("model-{m}"));
    let metadata = Some(model.clone());
    recorder.record(&STTMetrics {
        metadata: metadata.clone(),
        ..turn.stt
    });
    recorder.record(&LLMMetrics {
        metadata: metadata.clone(),
        ..turn.llm
    });
    recorder.record(&TTSMetrics {
        metadata: metadata.clone(),
        ..turn.tts
    });
    recorder.record(&RealtimeModelMetrics {
        metadata: metadata.clone(),
        ..turn.realtime
    });
    recorder.record(&InterruptionMetrics {
        metadata,
        ..turn.interruption
    });
    recorder.record(&MetricsReport {
        stt_metadata: Some(report_model.clone()),
        llm_metadata: Some(report_model.clone()),
        tts_metadata: Some(report_model),
        ..turn.assistant
    });
    recorder.record(&ToolExecutionMetrics::new(format!("tool-{m}"), 0.2, false));
    recorder.record(&AgentInvocationMetrics {
        agent_name: format!("agent-{m}").into(),
        duration: 1.0,
        ..Default::default()
    });
    recorder.record(&turn.blocked);
}

/// A provider with every set recorded; `keep` parks the recording threads until `release`
/// passes, so that their cache entries stay.
struct Setup {
    reader: SharedReader,
    _provider: SdkMeterProvider,
    release: Option<Arc<Barrier>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Setup {
    fn new(keep: bool) -> Self {
        let reader = SharedReader::new(Temporality::Cumulative);
        let provider = SdkMeterProvider::builder()
            .with_reader(reader.clone())
            .build();
        let recorder = MetricsRecorder::new(&provider.meter("bench"));
        let recorded = Arc::new(Barrier::new(THREADS + 1));
        let release = Arc::new(Barrier::new(THREADS + 1));
        let threads = (0..THREADS)
            .map(|t| {
                let (recorder, recorded, release) = (
                    recorder.clone(),
                    Arc::clone(&recorded),
                    Arc::clone(&release),
                );
                std::thread::spawn(move || {
                    for m in (t..SETS).step_by(THREADS) {
                        record(&recorder, m);
                    }
                    recorded.wait();
                    if keep {
                        release.wait();
                    }
                })
            })
            .collect();
        recorded.wait();
        let mut setup = Setup {
            reader,
            _provider: provider,
            release: keep.then_some(release),
            threads,
        };
        if !keep {
            setup.threads.drain(..).for_each(|t| t.join().unwrap());
        }
        // The first collection drains what the records left and frees the ended threads' entries.
        setup.collect();
        setup
    }

    /// The data points of one collection, per instrument.
    fn points(&self) -> Vec<(String, usize)> {
        let mut rm = ResourceMetrics::default();
        self.reader.collect(&mut rm).expect("collects");
        let request = ExportMetricsServiceRequest::from(&rm);
        let mut out = Vec::new();
        for rm in &request.resource_metrics {
            for sm in &rm.scope_metrics {
                for m in &sm.metrics {
                    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
                    let n = match &m.data {
                        Some(Data::Sum(s)) => s.data_points.len(),
                        Some(Data::Histogram(h)) => h.data_points.len(),
                        Some(Data::Gauge(g)) => g.data_points.len(),
                        _ => 0,
                    };
                    out.push((m.name.clone(), n));
                }
            }
        }
        out.sort();
        out
    }

    /// One collection, encoded as the OTLP exporter sends it; returns the encoded size.
    fn collect(&self) -> usize {
        let mut rm = ResourceMetrics::default();
        self.reader.collect(&mut rm).expect("collects");
        ExportMetricsServiceRequest::from(&rm).encode_to_vec().len()
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release.wait();
        }
        self.threads.drain(..).for_each(|t| t.join().unwrap());
    }
}

fn collection(c: &mut Criterion) {
    let before = cache::stats().entries;
    let full = Setup::new(true);
    let entries = cache::stats().entries - before;
    let empty = Setup::new(false);
    let full_size = full.collect();
    // The same number of series per instrument (which sets `gen_ai.client.token.usage` keeps
    // under its cardinality limit of 2,000 depends on the threads' order, not on the cache).
    assert_eq!(full.points(), empty.points(), "both hold the same series");
    println!("cache entries kept: {entries}; encoded collection: {full_size} bytes");
    let mut group = c.benchmark_group("collect");
    group.bench_function("empty", |b| b.iter(|| black_box(empty.collect())));
    group.bench_function("full", |b| b.iter(|| black_box(full.collect())));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = collection
}
criterion_main!(benches);
