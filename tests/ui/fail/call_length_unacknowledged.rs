// A call length in seconds through a `Duration`: bounds that start at 1 s or more read as
// milliseconds as much as seconds, so without `long_durations` they are refused.
use agent_metrics::AgentMetric;
use std::time::Duration;

#[derive(AgentMetric)]
struct Call {
    /// Call length.
    #[metric(histogram = "demo.call.length", buckets = [30, 60, 120, 300, 600, 1800, 3600])]
    length: Duration,
}

fn main() {}
