// A non-ASCII unit ("µs").
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Vad {
    #[metric(histogram = "demo.vad.inference", unit = "µs")]
    inference: f64,
}

fn main() {}
