// An i64 field measured by a (monotonic) counter.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Queue {
    #[metric(counter = "demo.queue.delta")]
    delta: i64,
}

fn main() {}
