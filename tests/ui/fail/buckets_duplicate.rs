// A bucket boundary listed twice.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Stt {
    #[metric(histogram = "demo.stt.ttfb", buckets = [0.1, 0.5, 0.5, 1.0])]
    ttfb: f64,
}

fn main() {}
