// `unit = "bytes"`: OpenTelemetry's UCUM code for bytes is `By`.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Frame {
    #[metric(histogram = "demo.stt.frame_size", unit = "bytes", buckets = [512.0, 4096.0])]
    size: u64,
    #[metric(counter = "demo.stt.requests", unit = "requests")]
    requests: u64,
    #[metric(counter = "demo.stt.reconnects", unit = "reconnects")]
    reconnects: u64,
}

fn main() {}
