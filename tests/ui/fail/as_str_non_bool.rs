// `as_str` on an attribute field that is not a bool.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
#[metric(attributes = retries)]
struct Call {
    #[metric(counter = "demo.calls")]
    calls: u64,
    #[attr(as_str)]
    retries: i64,
}

fn main() {}
