// A new user's connect latency: a `Duration` with bounds written in milliseconds. Every sample
// would land in the first bucket (5 s), so the bounds are refused, naming both ways out.
use agent_metrics::AgentMetric;
use std::time::Duration;

#[derive(AgentMetric)]
struct Connection {
    /// Time to connect.
    #[metric(histogram = "demo.connect.latency", buckets = [5, 10, 25, 50, 100, 250, 500, 1000])]
    connect: Duration,
}

fn main() {}
