// attributes(..) naming a field the struct does not have.
use agent_metrics::{AgentMetric, Attributes};
use std::sync::Arc;

#[derive(Clone, Default, PartialEq, Attributes)]
struct Metadata {
    model_name: Option<Arc<str>>,
}

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "demo.tts.characters", attributes(metdata))]
    characters: u64,
    metadata: Option<Metadata>,
}

fn main() {}
