// An empty description.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "demo.tts.characters", description = "")]
    characters: u64,
}

fn main() {}
