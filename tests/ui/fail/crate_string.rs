// `crate = "string"` instead of a path.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
#[metric(crate = "agent_metrics")]
struct Tts {
    #[metric(counter = "demo.tts.characters")]
    characters: u64,
}

fn main() {}
