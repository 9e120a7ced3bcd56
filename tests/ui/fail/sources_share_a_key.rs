// Two attribute sources of one measurement both write the key `model_name`.
use agent_metrics::{AgentMetric, Attributes};
use std::sync::Arc;

#[derive(Clone, Default, PartialEq, Attributes)]
struct Metadata {
    model_name: Option<Arc<str>>,
    model_provider: Option<Arc<str>>,
}

#[derive(AgentMetric)]
#[metric(attributes(metadata, model_name))]
struct Tts {
    #[metric(counter = "demo.tts.characters")]
    characters: u64,
    metadata: Option<Metadata>,
    #[attr]
    model_name: &'static str,
}

fn main() {}
