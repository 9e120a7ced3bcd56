// An instrument name with a character OpenTelemetry does not allow (`:`).
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "lk.agents:tts_characters")]
    characters: u64,
}

fn main() {}
