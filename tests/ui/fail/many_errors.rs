// Several mistakes in one struct: all of them are reported by one compile.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Tts {
    #[metric(counter = "9lives", unit = "µs")]
    characters: u64,
    #[metric(histogram = "demo.tts.ttfb", buckets = [1.0, 0.5])]
    ttfb: f64,
    #[metric(gauge = "demo.tts.queue", colour = "red")]
    queue: i64,
    #[metric(counter = "demo.tts.audio", attributes(nothing))]
    audio: f64,
}

fn main() {}
