// One inline instrument name declared twice with different units.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(histogram = "demo.tts.latency", unit = "s")]
    ttfb: f64,
    #[metric(histogram = "demo.tts.latency", unit = "ms")]
    total: f64,
}

fn main() {}
