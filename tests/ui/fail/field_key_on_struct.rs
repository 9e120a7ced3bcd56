// `unit`, a field-level key, written on the struct.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
#[metric(unit = "s")]
struct Tts {
    #[metric(counter = "demo.tts.audio")]
    audio: f64,
}

fn main() {}
