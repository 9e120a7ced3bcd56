// A String field named as an attribute source: it is not an attribute set.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "demo.tts.characters", attributes(label))]
    characters: u64,
    label: String,
}

fn main() {}
