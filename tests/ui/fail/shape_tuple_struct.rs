// AgentMetric derived on a tuple struct, whose fields have no names to annotate.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Latency(f64, u64);

fn main() {}
