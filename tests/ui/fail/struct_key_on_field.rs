// `no_debug`, a struct-level key, written on a field.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "demo.tts.characters", no_debug)]
    characters: u64,
}

fn main() {}
