// A constant attribute source whose key is empty.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Call {
    #[metric(counter = "demo.calls", attributes("" = "chat"))]
    calls: u64,
}

fn main() {}
