// A u64 field measured by an up-down counter, which takes signed numbers.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Queue {
    #[metric(up_down_counter = "demo.queue.depth")]
    depth: u64,
}

fn main() {}
