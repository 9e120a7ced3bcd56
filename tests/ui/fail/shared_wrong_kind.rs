// A field that says `histogram = X` where X is a counter.
use agent_metrics::{AgentMetric, Instrument};

const CHARACTERS: Instrument = Instrument::counter("demo.tts.characters");

#[derive(AgentMetric)]
struct Tts {
    #[metric(histogram = CHARACTERS)]
    characters: u64,
}

fn main() {}
