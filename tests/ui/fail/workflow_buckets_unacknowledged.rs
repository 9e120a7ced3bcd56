// The GenAI conventions' workflow buckets (1 s to 2 h) on a histogram declared in seconds: a
// long duration, refused until acknowledged with `long_durations`.
use agent_metrics::AgentMetric;

#[derive(AgentMetric)]
struct Session {
    /// Session length.
    #[metric(histogram = "demo.session.length", unit = "s",
             buckets = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200])]
    length: f64,
}

fn main() {}
