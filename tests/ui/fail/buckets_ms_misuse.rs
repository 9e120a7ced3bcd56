// `buckets_ms` converts milliseconds to seconds: not for a histogram in another unit, not
// together with `buckets` or `long_durations`, and only as a list.
use agent_metrics::AgentMetric;

const BOUNDS: &[f64] = &[5.0, 10.0];

#[derive(AgentMetric)]
struct Stt {
    #[metric(histogram = "demo.stt.ttfb", unit = "ms", buckets_ms = [5, 10, 25])]
    ttfb: f64,
    #[metric(histogram = "demo.stt.final", buckets = [0.1, 0.5], buckets_ms = [5, 10])]
    finalization: f64,
    #[metric(histogram = "demo.stt.connect", long_durations, buckets_ms = [5, 10])]
    connect: f64,
    #[metric(histogram = "demo.stt.audio", buckets_ms = BOUNDS)]
    audio: f64,
}

fn main() {}
