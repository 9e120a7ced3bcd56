// `unit` given twice on one field.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "demo.tts.audio", unit = "s", unit = "ms")]
    audio: f64,
}

fn main() {}
