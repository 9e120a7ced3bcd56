// unit, description and buckets written next to a shared instrument, which already defines them.
use agent_metrics::{AgentMetric, Instrument};

const ACQUIRE_TIME: Instrument = Instrument::histogram("demo.connection.acquire_time").unit("s");

#[derive(AgentMetric)]
struct Connect {
    #[metric(histogram = ACQUIRE_TIME, unit = "ms", description = "Acquire time", buckets = [0.1, 1.0])]
    acquire_time: f64,
}

fn main() {}
