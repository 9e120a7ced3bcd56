// A unit containing white space.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "demo.tts.audio", unit = "audio seconds")]
    audio: f64,
}

fn main() {}
