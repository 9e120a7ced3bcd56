// An unknown key in the struct-level #[metric(..)].
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
#[metric(prefix = "lk.agents")]
struct Tts {
    #[metric(counter = "demo.tts.characters")]
    characters: u64,
}

fn main() {}
