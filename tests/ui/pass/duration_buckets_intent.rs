// Bucket bounds whose unit intent is stated: milliseconds converted to seconds, long durations
// acknowledged inline and on a shared instrument, and the catalog's view of them.
use std::time::Duration;

use agent_metrics::{AgentMetric, Instrument};

const WORKFLOW: Instrument = Instrument::histogram("demo.workflow.duration")
    .unit("s")
    .long_duration_buckets(&[1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0]);

#[derive(Clone, PartialEq, AgentMetric)]
struct Call {
    /// Time to connect.
    #[metric(histogram = "demo.call.connect", buckets_ms = [5, 10, 25, 50, 100, 250, 500, 1000])]
    connect: Duration,
    /// Time to first audio, in seconds as a number.
    #[metric(histogram = "demo.call.first_audio", buckets_ms = [50, 100, 250, 500.5])]
    first_audio: f64,
    /// Call length.
    #[metric(histogram = "demo.call.length", long_durations,
             buckets = [30, 60, 120, 300, 600, 1800, 3600])]
    length: Duration,
    /// Session length, in seconds.
    #[metric(histogram = "demo.session.length", unit = "s", long_durations,
             buckets = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200])]
    session: f64,
    #[metric(histogram = WORKFLOW)]
    workflow: Duration,
}

fn main() {
    let d = Call::INSTRUMENTS;
    assert_eq!(
        d[0].instrument.buckets,
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0]
    );
    assert_eq!(d[1].instrument.buckets, [0.05, 0.1, 0.25, 0.5005]);
    assert_eq!((d[0].unit(), d[1].unit()), ("s", "s"));
    assert_eq!(d[2].instrument.buckets[0], 30.0);
    assert!(d[2].instrument.long_durations && d[3].instrument.long_durations);
    assert_eq!(d[4].instrument.buckets.last(), Some(&7200.0));
}
