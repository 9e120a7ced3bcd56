// attributes(..) naming a measured field instead of an attribute.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "demo.tts.characters", attributes(audio))]
    characters: u64,
    #[metric(counter = "demo.tts.audio", unit = "s")]
    audio: f64,
}

fn main() {}
