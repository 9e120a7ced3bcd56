// An empty bucket list.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Stt {
    #[metric(histogram = "demo.stt.ttfb", buckets = [])]
    ttfb: f64,
}

fn main() {}
