// An instrument name that starts with a digit.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "2fa.attempts")]
    attempts: u64,
}

fn main() {}
