// AgentMetric derived on a union.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
union Bits {
    count: u64,
    seconds: f64,
}

fn main() {}
