// A Duration behind an alias, declared in milliseconds: the rule follows the type, not its
// spelling, so this fails like a plain `Duration` does.
use agent_metrics::AgentMetric;

type Latency = std::time::Duration;

#[derive(AgentMetric)]
struct Stt {
    #[metric(histogram = "demo.stt.ttfb", unit = "ms")]
    ttfb: Latency,
}

fn main() {}
