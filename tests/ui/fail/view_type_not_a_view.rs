// `field as View` naming a type that is not an AttributeView of the field.
use agent_metrics::{AgentMetric, Attributes};
use std::sync::Arc;

#[derive(Clone, Debug, Default, PartialEq, Attributes)]
struct Metadata {
    model_name: Option<Arc<str>>,
}

struct ModelOnly;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "demo.tts.characters", attributes(metadata as ModelOnly))]
    characters: u64,
    metadata: Option<Metadata>,
}

fn main() {}
