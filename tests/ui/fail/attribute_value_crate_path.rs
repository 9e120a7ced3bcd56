// A bad `crate = ..` on an AttributeValue enum is reported, once: the enum, used as an attribute
// below, gets a fallback impl, so its use adds no error of its own.
use agent_metrics::{AgentMetric, AttributeValue};

#[derive(Clone, Copy, Debug, PartialEq, AttributeValue)]
#[metric(crate = "agent_metrics")]
enum Lane {
    Realtime,
}

#[derive(AgentMetric)]
#[metric(attributes(lane))]
struct Request {
    #[metric(counter = "demo.requests")]
    count: u64,
    #[attr]
    lane: Lane,
}

fn main() {}
