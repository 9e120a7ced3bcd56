// A Duration records seconds however its type is spelled: an alias, a qualified path, a
// re-export, an Option of an alias. The unit is implied, and `unit = "s"` may say it again.
use agent_metrics::AgentMetric;

type Latency = std::time::Duration;
type MaybeLatency = Option<Latency>;

mod clock {
    pub use core::time::Duration as Elapsed;
}

#[derive(AgentMetric)]
struct Turn {
    #[metric(histogram = "demo.turn.alias", buckets = [0.1, 1.0])]
    alias: Latency,
    #[metric(histogram = "demo.turn.qualified")]
    qualified: ::core::time::Duration,
    #[metric(histogram = "demo.turn.reexport", unit = "s")]
    reexport: clock::Elapsed,
    #[metric(histogram = "demo.turn.optional", buckets = [0.25, 10.0, 60.0])]
    optional: MaybeLatency,
}

fn main() {
    for d in Turn::INSTRUMENTS {
        assert_eq!(d.unit(), "s", "{}", d.name());
    }
}
