// A misspelt shared instrument path.
use agent_metrics::{AgentMetric, Instrument};

mod schema {
    use agent_metrics::Instrument;
    pub const ACQUIRE_TIME: Instrument = Instrument::histogram("demo.connection.acquire_time");
}

const _: Instrument = schema::ACQUIRE_TIME;

#[derive(AgentMetric)]
struct Connect {
    #[metric(histogram = schema::AQUIRE_TIME)]
    acquire_time: f64,
}

fn main() {}
