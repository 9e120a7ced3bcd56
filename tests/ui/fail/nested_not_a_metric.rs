// `nested` on a field whose type is not an AgentMetric.
use agent_metrics::AgentMetric;

#[derive(Default, PartialEq)]
struct Timing {
    ttfb: f64,
}

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "demo.tts.characters")]
    characters: u64,
    #[metric(nested)]
    timing: Timing,
}

fn main() {}
