// A Duration field declared in milliseconds, though a Duration always records seconds.
use agent_metrics::AgentMetric;
use std::time::Duration;

#[derive(AgentMetric)]
struct Stt {
    #[metric(histogram = "demo.stt.ttfb", unit = "ms")]
    ttfb: Duration,
}

fn main() {}
