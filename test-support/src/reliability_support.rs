//! Shared by the `reliability_*` tests: a deterministic mixed event stream that knows what each
//! event should add to every instrument, the same totals summed from what a receiver accepted,
//! a push `Telemetry` to a URL, and a `tracing` subscriber that keeps every event.

use std::collections::BTreeMap;
use std::fmt::{Debug, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use agent_metrics::MetricsRecorder;
use agent_metrics::export::{Env, Telemetry, TelemetryBuilder, Temporality};
use agent_metrics::schema::*;
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata as TraceMetadata, Subscriber};

use crate::export_receiver::{self, Request};

/// What a stream added to one instrument: a counter's sum, or a histogram's count and sum.
/// Values are multiples of 1/8 far below 2^50, so every f64 addition is exact in any order.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Total {
    /// Data points (histograms) or 0 (counters).
    pub count: u64,
    /// The summed values.
    pub sum: f64,
}

/// Totals by instrument name.
pub type Totals = BTreeMap<String, Total>;

const MODELS: [(&str, &str); 4] = [
    ("openai", "gpt-4o-mini"),
    ("anthropic", "claude-sonnet-4"),
    ("cartesia", "sonic-2"),
    ("deepgram", "nova-3"),
];

fn add(totals: &mut Totals, name: &str, value: f64, histogram: bool) {
    let total = totals.entry(name.to_owned()).or_default();
    total.sum += value;
    total.count += u64::from(histogram);
}

/// Records event `i` of stream `stream` (five event types in turn, four models) and adds to
/// `expected` what it feeds each instrument.
pub fn record_event(recorder: &MetricsRecorder, stream: u64, i: u64, expected: &mut Totals) {
    let k = stream.wrapping_mul(1_000_003).wrapping_add(i);
    let eighths = |m: u64| ((k / 7 + m) % 16 + 1) as f64 / 8.0; // 0.125 ..= 2.0
    let (provider, model) = MODELS[(k % 4) as usize];
    let metadata = Some(Metadata::new(provider, model));
    match k % 5 {
        0 => {
            let (audio, chars, acquire) = (eighths(1), k % 100 + 1, eighths(2));
            recorder.record(&TTSMetrics {
                label: "tts".into(),
                ttfb: 0.25,
                duration: 0.5,
                audio_duration: audio,
                characters_count: chars,
                streamed: true,
                acquire_time: acquire,
                connection_reused: k.is_multiple_of(2),
                metadata,
                ..Default::default()
            });
            add(expected, "lk.agents.usage.tts_audio_duration", audio, false);
            add(
                expected,
                "lk.agents.usage.tts_characters",
                chars as f64,
                false,
            );
            add(expected, "lk.agents.connection.acquire_time", acquire, true);
        }
        1 => {
            let (audio, acquire) = (eighths(3), eighths(4));
            recorder.record(&STTMetrics {
                label: "stt".into(),
                audio_duration: audio,
                streamed: true,
                acquire_time: acquire,
                metadata,
                ..Default::default()
            });
            add(expected, "lk.agents.usage.stt_audio_duration", audio, false);
            add(expected, "lk.agents.connection.acquire_time", acquire, true);
        }
        2 => {
            let (duration, ttft) = (eighths(5), eighths(6));
            let (completion, prompt, cached) = (k % 50 + 1, k % 300 + 1, k % 10 + 1);
            recorder.record(&LLMMetrics {
                label: "llm".into(),
                duration,
                ttft,
                completion_tokens: completion,
                prompt_tokens: prompt,
                prompt_cached_tokens: cached,
                total_tokens: completion + prompt,
                metadata,
                ..Default::default()
            });
            add(expected, "gen_ai.client.operation.duration", duration, true);
            add(
                expected,
                "gen_ai.client.operation.time_to_first_chunk",
                ttft,
                true,
            );
            add(
                expected,
                "lk.agents.usage.llm_output_tokens",
                completion as f64,
                false,
            );
            add(
                expected,
                "lk.agents.usage.llm_input_tokens",
                prompt as f64,
                false,
            );
            add(
                expected,
                "lk.agents.usage.llm_input_cached_tokens",
                cached as f64,
                false,
            );
            add(
                expected,
                "gen_ai.client.token.usage",
                completion as f64,
                true,
            );
            add(expected, "gen_ai.client.token.usage", prompt as f64, true);
        }
        3 => {
            let (e2e, ttft) = (eighths(7), eighths(8));
            recorder.record(&MetricsReport {
                e2e_latency: Some(e2e),
                llm_node_ttft: Some(ttft),
                llm_metadata: Some(MetricsMetadata::new(provider, model)),
                ..MetricsReport::default()
            });
            add(expected, "lk.agents.turn.e2e_latency", e2e, true);
            add(expected, "lk.agents.turn.llm_ttft", ttft, true);
        }
        _ => {
            let duration = eighths(9);
            recorder.record(&ToolExecutionMetrics::new(
                model,
                duration,
                k.is_multiple_of(3),
            ));
            add(expected, "gen_ai.execute_tool.duration", duration, true);
        }
    }
}

/// The totals of several streams (threads, batches) added up.
pub fn sum_totals(parts: impl IntoIterator<Item = Totals>) -> Totals {
    let mut sum = Totals::new();
    for (name, t) in parts.into_iter().flatten() {
        let total = sum.entry(name).or_default();
        total.count += t.count;
        total.sum += t.sum;
    }
    sum
}

/// Runs `stream(index, &done)` on 2 threads while `script` runs, then sets `done` and adds up
/// what the threads recorded. Each stream records until `done` is set and returns its totals.
pub fn record_during(
    script: impl FnOnce(),
    stream: impl Fn(u64, &AtomicBool) -> Totals + Sync,
) -> Totals {
    let done = AtomicBool::new(false);
    let recorded = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2u64)
            .map(|index| {
                let (stream, done) = (&stream, &done);
                s.spawn(move || stream(index, done))
            })
            .collect();
        script();
        done.store(true, Ordering::Relaxed);
        workers
            .into_iter()
            .map(|w| w.join().unwrap())
            .collect::<Vec<_>>()
    });
    sum_totals(recorded)
}

/// Sums every data point of every request: what the collector stored, under delta temporality.
/// Returns the totals and the temporalities seen (1 = delta, 2 = cumulative).
pub fn exported(requests: &[Request]) -> (Totals, BTreeMap<String, i32>) {
    let mut totals = Totals::new();
    let mut temporalities = BTreeMap::new();
    for (_, m) in export_receiver::metrics(requests) {
        if let Some(t) = export_receiver::temporality(&m) {
            temporalities.insert(m.name.clone(), t);
        }
        match m.data.as_ref().expect("metric data") {
            metric::Data::Sum(sum) => {
                for dp in &sum.data_points {
                    let value = match dp.value {
                        Some(number_data_point::Value::AsInt(v)) => v as f64,
                        Some(number_data_point::Value::AsDouble(v)) => v,
                        None => 0.0,
                    };
                    add(&mut totals, &m.name, value, false);
                }
            }
            metric::Data::Histogram(h) => {
                for dp in &h.data_points {
                    let total = totals.entry(m.name.clone()).or_default();
                    total.count += dp.count;
                    total.sum += dp.sum.unwrap_or_default();
                }
            }
            _ => {}
        }
    }
    (totals, temporalities)
}

/// A push `Telemetry` to `url` (base URL), exporting every `interval` with delta temporality.
pub fn push_builder(url: &str, interval: Duration) -> TelemetryBuilder {
    Telemetry::builder()
        .env(Env::from_pairs([("OTEL_EXPORTER_OTLP_ENDPOINT", url)]))
        .export_interval(interval)
        .temporality(Temporality::Delta)
}

/// Resident memory of this process, from /proc/self/status, in KiB.
pub fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// One `tracing` event: level, target and every field as `name=value`.
#[derive(Clone, Debug)]
pub struct Line {
    /// The level.
    pub level: Level,
    /// Target and fields, as text.
    pub text: String,
}

/// Installs (once per test binary) a global subscriber keeping every event and span field at
/// every level, and returns the lines so far (shared by every test of the binary).
pub fn logs() -> Arc<Mutex<Vec<Line>>> {
    static LINES: OnceLock<Arc<Mutex<Vec<Line>>>> = OnceLock::new();
    LINES
        .get_or_init(|| {
            let lines = Arc::new(Mutex::new(Vec::new()));
            let subscriber = Recorder(Arc::clone(&lines));
            tracing::subscriber::set_global_default(subscriber).expect("first subscriber");
            lines
        })
        .clone()
}

struct Recorder(Arc<Mutex<Vec<Line>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl Recorder {
    fn push(&self, level: Level, text: String) {
        self.0.lock().unwrap().push(Line { level, text });
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &TraceMetadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields(format!("span {}", span.metadata().name()));
        span.record(&mut fields);
        self.push(*span.metadata().level(), fields.0);
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut fields = Fields("record".to_owned());
        values.record(&mut fields);
        self.push(Level::TRACE, fields.0);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        let mut fields = Fields(format!("{} {}", meta.level(), meta.target()));
        event.record(&mut fields);
        self.push(*meta.level(), fields.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}
