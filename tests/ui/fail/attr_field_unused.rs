// An attribute given to no measurement, and struct attributes that every measurement overrides:
// both would silently be recorded nowhere.
use agent_metrics::{AgentMetric, Attributes};

#[derive(Clone, Default, PartialEq, Attributes)]
struct Metadata {
    model_name: Option<&'static str>,
}

#[derive(AgentMetric)]
#[metric(attributes = metadata)]
struct Tts {
    #[metric(counter = "demo.tts.characters", attributes(region))]
    characters: u64,
    #[attr]
    region: &'static str,
    #[attr]
    reused: bool,
    metadata: Metadata,
}

fn main() {}
