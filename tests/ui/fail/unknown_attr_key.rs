// An unknown key (`rename`) in a field's #[attr(..)].
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
#[metric(attributes = region)]
struct Call {
    #[metric(counter = "demo.calls")]
    calls: u64,
    #[attr(rename = "cloud.region")]
    region: &'static str,
}

fn main() {}
