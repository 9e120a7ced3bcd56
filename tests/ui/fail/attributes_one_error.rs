// One mistake in an attribute set is one error: the set gets a fallback impl, so the metric
// that uses it as a source compiles on.
use agent_metrics::{AgentMetric, Attributes};

#[derive(Clone, Default, PartialEq, Attributes)]
struct Model {
    #[attr(key = "")]
    name: Option<&'static str>,
}

#[derive(Clone, PartialEq, AgentMetric)]
#[metric(attributes(model))]
struct Request {
    #[metric(counter = "demo.requests")]
    count: u64,
    #[metric(default)]
    model: Option<Model>,
}

fn main() {}
