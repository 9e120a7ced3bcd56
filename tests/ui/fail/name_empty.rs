// An empty instrument name.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "")]
    characters: u64,
}

fn main() {}
