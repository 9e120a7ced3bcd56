// An attribute field typed String, which is not an attribute value type.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
#[metric(attributes = region)]
struct Call {
    #[metric(counter = "demo.calls")]
    calls: u64,
    #[attr]
    region: String,
}

fn main() {}
