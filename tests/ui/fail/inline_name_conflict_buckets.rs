// One histogram name declared twice with different buckets.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Stt {
    /// Audio per request
    #[metric(histogram = "acme.stt.audio", unit = "s", buckets = [1.0, 10.0, 60.0], long_durations)]
    audio: f64,
    /// Audio per request
    #[metric(histogram = "acme.stt.audio", unit = "s", buckets = [5.0, 30.0, 120.0], long_durations)]
    streamed_audio: f64,
}

fn main() {}
