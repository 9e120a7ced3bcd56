// `default = expr` whose value cannot be compared with the field: the error is on the expression.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "demo.tts.characters", default = "zero")]
    characters: u64,
}

fn main() {}
