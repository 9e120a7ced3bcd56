// `long_durations` acknowledges seconds bounds from 1 s up: only on a histogram in seconds that
// has bounds.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Session {
    #[metric(counter = "demo.session.count", long_durations)]
    count: u64,
    #[metric(histogram = "demo.session.length", unit = "s", long_durations)]
    length: f64,
    #[metric(histogram = "demo.session.bytes", unit = "By", long_durations, buckets = [1024, 4096])]
    bytes: u64,
}

fn main() {}
