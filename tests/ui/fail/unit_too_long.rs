// A unit of more than 63 characters.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(
        counter = "demo.tts.characters",
        unit = "{xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx}"
    )]
    characters: u64,
}

fn main() {}
