// A shared instrument whose definition breaks the rules (bucket boundaries out of order).
use agent_metrics::{AgentMetric, Instrument};

const TTFB: Instrument = Instrument::histogram("demo.stt.ttfb").buckets(&[0.5, 0.1]);

#[derive(AgentMetric)]
struct Stt {
    #[metric(histogram = TTFB)]
    ttfb: f64,
}

fn main() {}
