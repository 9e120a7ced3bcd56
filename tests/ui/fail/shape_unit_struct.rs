// AgentMetric derived on a unit struct, which has nothing to record.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Heartbeat;

fn main() {}
