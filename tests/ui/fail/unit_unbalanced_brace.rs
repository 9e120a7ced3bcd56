// A unit annotation whose `{` is never closed.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "demo.tts.characters", unit = "{character")]
    characters: u64,
}

fn main() {}
