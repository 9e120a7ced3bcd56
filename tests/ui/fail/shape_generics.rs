// AgentMetric derived on a generic struct: instruments must be fixed at compile time.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Latency<T> {
    #[metric(histogram = "demo.latency")]
    value: T,
}

fn main() {}
