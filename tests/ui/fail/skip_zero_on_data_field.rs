// skip_zero and unit on a field that feeds no instrument.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "demo.tts.characters")]
    characters: u64,
    #[metric(skip_zero)]
    retries: u64,
    #[metric(unit = "s")]
    ttfb: f64,
}

fn main() {}
