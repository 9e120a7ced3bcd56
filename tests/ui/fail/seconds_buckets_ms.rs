// A histogram declared in seconds whose bounds are all above 10: milliseconds by mistake.
use agent_metrics::{AgentMetric, Instrument};

const SHARED: Instrument = Instrument::histogram("demo.shared").buckets(&[50.0, 100.0]).unit("s");

#[derive(AgentMetric)]
struct Stt {
    #[metric(histogram = "demo.stt.ttfb", unit = "s", buckets = [50.0, 100.0, 250.0])]
    ttfb: f64,
    #[metric(histogram = SHARED)]
    shared: f64,
}

fn main() {}
