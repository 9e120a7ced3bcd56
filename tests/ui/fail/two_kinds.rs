// Two instrument kinds on one field.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "demo.tts.audio", histogram = "demo.tts.audio_hist")]
    audio: f64,
}

fn main() {}
