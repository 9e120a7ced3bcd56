// A String field measured by a histogram.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Stt {
    #[metric(histogram = "demo.stt.transcript")]
    transcript: String,
}

fn main() {}
