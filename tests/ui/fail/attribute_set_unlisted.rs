// A field holding an attribute set that no `attributes(..)` names: its model labels would be
// recorded nowhere. Only the compiler knows the type is a set (here behind an alias).
use agent_metrics::{AgentMetric, Attributes};

#[derive(Clone, Debug, Default, PartialEq, Attributes)]
struct Metadata {
    #[attr(skip_empty)]
    model_name: Option<&'static str>,
}

type Model = Option<Metadata>;

#[derive(AgentMetric)]
struct Stt {
    #[metric(counter = "demo.stt.reconnects")]
    reconnects: u64,
    label: String,
    metadata: Model,
}

fn main() {}
