// A misspelt key (`units`) in a field's #[metric(..)].
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "demo.tts.audio", units = "s")]
    audio: f64,
}

fn main() {}
