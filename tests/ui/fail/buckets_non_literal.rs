// A bucket boundary that is an expression rather than a number literal.
use agent_metrics::AgentMetric;

const HALF: f64 = 0.5;

#[derive(AgentMetric)]
struct Stt {
    #[metric(histogram = "demo.stt.ttfb", buckets = [0.1, HALF, 1.0])]
    ttfb: f64,
}

fn main() {}
