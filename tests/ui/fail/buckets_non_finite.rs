// A bucket boundary that is not finite (1e400 overflows f64 to infinity).
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Stt {
    #[metric(histogram = "demo.stt.ttfb", buckets = [0.1, 1.0, 1e400])]
    ttfb: f64,
}

fn main() {}
