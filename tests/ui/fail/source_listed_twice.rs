// The same attribute source listed twice.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
#[metric(attributes(region, region))]
struct Call {
    #[metric(counter = "demo.calls")]
    calls: u64,
    #[attr]
    region: &'static str,
}

fn main() {}
