// Bucket boundaries on a counter, which has no buckets.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "demo.tts.audio", unit = "s", buckets = [1.0, 10.0])]
    audio: f64,
}

fn main() {}
