//! A slow or black-holed collector: recording never waits for an export, and `shutdown(timeout)`
//! returns within its bound with an error that says what happened. (The record-latency ratio is
//! measured by `benches/outage.rs` in the root package.)
#![cfg(feature = "otlp")]

use agent_metrics_test_support::export_receiver;
use agent_metrics_test_support::reliability_support;

use std::time::{Duration, Instant};

use agent_metrics_core::MetricsRecorder;
use agent_metrics_core::export::ExportError;
use export_receiver::Receiver;
use reliability_support::{Totals, push_builder, record_event};

/// Slack for thread start-up and a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(1500);

/// Records `events` events and returns (mean, max) time per `record` call.
fn record_latency(recorder: &MetricsRecorder, events: u64) -> (Duration, Duration) {
    let mut expected = Totals::new();
    let mut max = Duration::ZERO;
    let start = Instant::now();
    for i in 0..events {
        let t = Instant::now();
        record_event(recorder, 0, i, &mut expected);
        max = max.max(t.elapsed());
    }
    (start.elapsed() / events as u32, max)
}

#[test]
fn recording_never_waits_for_a_black_holed_collector() {
    const EVENTS: u64 = 100_000;
    let healthy = Receiver::start();
    let hole = Receiver::black_hole();
    let mut results = Vec::new();
    for receiver in [&healthy, &hole] {
        let telemetry = push_builder(receiver.url(), Duration::from_millis(10))
            .build()
            .unwrap();
        let recorder = MetricsRecorder::new(telemetry.meter());
        // Let the first export start: against the black hole it hangs for the whole budget.
        record_event(&recorder, 1, 0, &mut Totals::new());
        receiver.wait_for(Duration::from_secs(5), |r| !r.is_empty());
        results.push(record_latency(&recorder, EVENTS));
        let _ = telemetry.shutdown(Duration::from_millis(200));
    }
    assert_eq!(hole.requests().len(), 1, "one export, hung the whole time");
    let [(healthy_mean, healthy_max), (hole_mean, hole_max)] = results[..] else {
        unreachable!()
    };
    let ratio = hole_mean.as_secs_f64() / healthy_mean.as_secs_f64();
    // An export blocked for 10 s would show in the worst call; scheduling noise stays far below.
    assert!(
        hole_max < Duration::from_millis(500),
        "a record took {hole_max:?}"
    );
    assert!(
        ratio < 5.0,
        "recording {ratio:.2}x slower during the outage"
    );
    println!(
        "black hole: {EVENTS} events per run; mean record {healthy_mean:.2?} healthy vs \
         {hole_mean:.2?} black-holed (ratio {ratio:.2}); worst call {healthy_max:.2?} vs {hole_max:.2?}"
    );
}

#[test]
fn shutdown_returns_within_its_bound_and_says_why() {
    let hole = Receiver::black_hole();
    for bound in [500, 2000, 6000].map(Duration::from_millis) {
        let telemetry = push_builder(hole.url(), Duration::from_secs(3600))
            .build()
            .unwrap();
        let recorder = MetricsRecorder::new(telemetry.meter());
        record_event(&recorder, 0, 0, &mut Totals::new());
        let start = Instant::now();
        let result = telemetry.shutdown(bound);
        let took = start.elapsed();
        assert!(took < bound + SLACK, "shutdown({bound:?}) took {took:?}");
        match result {
            Err(ExportError::Export { reason, .. }) => {
                assert!(reason.contains("did not answer"), "{reason}");
                assert!(reason.contains(hole.url()), "{reason}");
            }
            Err(ExportError::Timeout { .. }) => {}
            other => panic!("{other:?}"),
        }
        println!("black hole: shutdown({bound:?}) returned in {took:.2?}");
    }
}
