// Two fields of one type feed one instrument name as a counter and as a histogram: the SDK
// would keep whichever it saw first and drop the other's values.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Stt {
    #[metric(counter = "acme.stt.requests", unit = "{request}")]
    requests: u64,
    #[metric(histogram = "acme.stt.requests", unit = "s", buckets = [0.1, 1.0])]
    latency: f64,
}

fn main() {}
