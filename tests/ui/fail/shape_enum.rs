// AgentMetric derived on an enum instead of an event struct.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
enum Event {
    Started,
    Stopped,
}

fn main() {}
