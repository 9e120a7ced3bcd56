// An i64 field measured by a counter, on a struct with attributes (whose records go through the
// attribute cache): still one error, on the type, naming no item of the library's internals.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Queue {
    #[attr(key = "queue.name")]
    name: &'static str,
    #[metric(counter = "demo.queue.delta", attributes(name))]
    delta: i64,
}

fn main() {}
