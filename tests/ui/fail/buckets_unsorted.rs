// Bucket boundaries out of order.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Stt {
    #[metric(histogram = "demo.stt.ttfb", buckets = [0.1, 0.5, 0.25, 1.0])]
    ttfb: f64,
}

fn main() {}
