// Two #[attr] attributes on one field.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
#[metric(attributes = region)]
struct Call {
    #[metric(counter = "demo.calls")]
    calls: u64,
    #[attr(key = "cloud.region")]
    #[attr(skip_empty)]
    region: &'static str,
}

fn main() {}
