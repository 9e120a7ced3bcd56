// A Duration histogram with bounds in milliseconds: every sample would land in the first bucket.
use agent_metrics::AgentMetric;
use std::time::Duration;

#[derive(AgentMetric)]
struct Stt {
    #[metric(histogram = "demo.stt.finalization", buckets = [50.0, 100.0, 250.0])]
    finalization: Duration,
}

fn main() {}
