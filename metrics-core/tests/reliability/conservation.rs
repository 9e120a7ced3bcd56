//! Conservation under concurrency: 8 threads record a mixed stream of 1M events through one
//! `MetricsRecorder` while the pipeline exports every 10 ms with delta temporality to a receiver
//! on 127.0.0.1. After shutdown, the deltas the receiver accepted add up exactly to what was
//! recorded, for every counter and every histogram's count and sum: nothing is lost or counted
//! twice when collection races recording.
#![cfg(feature = "otlp")]

use agent_metrics_test_support::export_receiver;
use agent_metrics_test_support::reliability_support;

use std::sync::Barrier;
use std::time::{Duration, Instant};

use agent_metrics_core::MetricsRecorder;
use export_receiver::Receiver;
use reliability_support::{Totals, exported, push_builder, record_event};

const THREADS: u64 = 8;
const EVENTS: u64 = 1_000_000;

#[test]
fn every_recorded_value_is_exported_exactly_once() {
    let receiver = Receiver::start();
    let telemetry = push_builder(receiver.url(), Duration::from_millis(10))
        .build()
        .unwrap();
    let recorder = MetricsRecorder::new(telemetry.meter());

    let start = Instant::now();
    let barrier = Barrier::new(THREADS as usize);
    let per_thread: Vec<Totals> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|stream| {
                let (recorder, barrier) = (recorder.clone(), &barrier);
                s.spawn(move || {
                    let mut expected = Totals::new();
                    barrier.wait();
                    for i in 0..EVENTS / THREADS {
                        record_event(&recorder, stream, i, &mut expected);
                    }
                    expected
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let recording = start.elapsed();
    let exports_while_recording = receiver.requests().len();

    let stop = Instant::now();
    telemetry.shutdown(Duration::from_secs(10)).unwrap();
    let shutdown = stop.elapsed();

    let mut expected = Totals::new();
    for totals in per_thread {
        for (name, t) in totals {
            let total = expected.entry(name).or_default();
            total.count += t.count;
            total.sum += t.sum;
        }
    }
    let requests = receiver.requests();
    assert!(requests.iter().all(|r| r.status == 200));
    let (mut got, temporalities) = exported(&requests);
    got.retain(|name, _| expected.contains_key(name));
    for name in expected.keys() {
        assert_eq!(temporalities.get(name), Some(&1), "{name} is not delta");
    }
    assert_eq!(
        got, expected,
        "exported deltas differ from what was recorded"
    );
    let stats = telemetry.export_stats().expect("push mode");
    assert_eq!((stats.failed, stats.dropped_points), (0, 0));
    // The exports really ran while recording, not only at shutdown.
    assert!(
        exports_while_recording >= 3,
        "{exports_while_recording} exports during recording"
    );

    let histograms = expected.values().filter(|t| t.count > 0).count();
    println!(
        "conservation: {EVENTS} events on {THREADS} threads in {recording:.2?}; {} exports \
         ({exports_while_recording} during recording); {} instruments compared ({} counters, \
         {histograms} histograms by count and sum), all equal; shutdown took {shutdown:.2?}",
        requests.len(),
        expected.len(),
        expected.len() - histograms,
    );
}
