//! Lifecycle under load and misuse: shutdown twice, record after shutdown, drop without shutdown,
//! and a recorder used from many threads while another shuts the pipeline down. Never a panic,
//! never a hang, and the behaviour documented in `export`'s module docs.
#![cfg(feature = "otlp")]

use agent_metrics_test_support::export_receiver;
use agent_metrics_test_support::reliability_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use agent_metrics_core::MetricsRecorder;
use agent_metrics_core::export::{DROP_SHUTDOWN_TIMEOUT, ExportError};
use export_receiver::Receiver;
use reliability_support::{Totals, exported, logs, push_builder, record_event};
use tracing::Level;

const WAIT: Duration = Duration::from_secs(10);
const SLACK: Duration = Duration::from_millis(1500);

#[test]
fn many_threads_record_while_another_shuts_down() {
    const THREADS: u64 = 8;
    let receiver = Receiver::start();
    let telemetry = push_builder(receiver.url(), Duration::from_millis(10))
        .build()
        .unwrap();
    let recorder = MetricsRecorder::new(telemetry.meter());
    let shutting_down = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    let (results, shutdown) = thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|stream| {
                let (recorder, shutting_down, stop) = (recorder.clone(), &shutting_down, &stop);
                s.spawn(move || {
                    // (recorded before the shutdown began, recorded in all)
                    let (mut before, mut all) = (Totals::new(), Totals::new());
                    let mut i = 0;
                    while !stop.load(Ordering::SeqCst) {
                        record_event(&recorder, stream, i, &mut all);
                        if !shutting_down.load(Ordering::SeqCst) {
                            before = all.clone();
                        }
                        i += 1;
                    }
                    (before, all)
                })
            })
            .collect();
        thread::sleep(Duration::from_millis(300));
        // Flushing from another thread during the shutdown is harmless too.
        let flusher = {
            let telemetry = telemetry.clone();
            s.spawn(move || telemetry.force_flush(WAIT))
        };
        shutting_down.store(true, Ordering::SeqCst);
        let start = Instant::now();
        let result = telemetry.shutdown(WAIT);
        let took = start.elapsed();
        thread::sleep(Duration::from_millis(200)); // recording after shutdown
        stop.store(true, Ordering::SeqCst);
        let flushed = flusher.join().unwrap();
        assert!(
            matches!(flushed, Ok(()) | Err(ExportError::AlreadyShutdown)),
            "{flushed:?}"
        );
        assert_eq!(result, Ok(()));
        let results: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        (results, took)
    });

    let (mut before, mut all) = (Totals::new(), Totals::new());
    for (b, a) in results {
        for (into, from) in [(&mut before, b), (&mut all, a)] {
            for (name, t) in from {
                let total = into.entry(name).or_default();
                total.count += t.count;
                total.sum += t.sum;
            }
        }
    }
    let (got, _) = exported(&receiver.requests());
    for (name, low) in &before {
        let high = all[name];
        let got = got.get(name).copied().unwrap_or_default();
        assert!(
            got.sum >= low.sum && got.sum <= high.sum,
            "{name}: {got:?} not in {low:?}..{high:?}"
        );
        assert!(got.count >= low.count && got.count <= high.count, "{name}");
    }
    let after_shutdown: u64 =
        all.values().map(|t| t.count).sum::<u64>() - before.values().map(|t| t.count).sum::<u64>();
    println!(
        "lifecycle: {THREADS} threads recording through shutdown (took {shutdown:.2?}); every \
         value recorded before it is exported; {after_shutdown} histogram values recorded during \
         or after it, silently dropped or exported, no panic"
    );
}

#[test]
fn shutdown_twice_and_record_after_shutdown_against_a_dead_collector() {
    let url = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let telemetry = push_builder(&url, Duration::from_secs(3600))
        .build()
        .unwrap();
    let recorder = MetricsRecorder::new(telemetry.meter());
    record_event(&recorder, 0, 0, &mut Totals::new());
    let first = telemetry.shutdown(Duration::from_secs(1));
    assert!(first.is_err(), "the collector is down: {first:?}");
    let start = Instant::now();
    assert_eq!(
        telemetry.shutdown(WAIT),
        Ok(()),
        "a second shutdown is a no-op"
    );
    assert!(start.elapsed() < Duration::from_millis(100));
    assert_eq!(
        telemetry.force_flush(WAIT),
        Err(ExportError::AlreadyShutdown)
    );
    // Recording after shutdown, with old and new handles: dropped, not counted as export drops.
    let stats = telemetry.export_stats().unwrap();
    record_event(&recorder, 0, 1, &mut Totals::new());
    record_event(
        &MetricsRecorder::new(telemetry.meter()),
        0,
        2,
        &mut Totals::new(),
    );
    assert_eq!(telemetry.export_stats(), Some(stats));
}

#[test]
fn dropping_without_shutdown_is_bounded_and_warns_when_the_export_fails() {
    let lines = logs();
    let hole = Receiver::black_hole();
    let telemetry = push_builder(hole.url(), Duration::from_secs(3600))
        .build()
        .unwrap();
    record_event(
        &MetricsRecorder::new(telemetry.meter()),
        0,
        0,
        &mut Totals::new(),
    );
    let start = Instant::now();
    drop(telemetry);
    let took = start.elapsed();
    assert!(took < DROP_SHUTDOWN_TIMEOUT + SLACK, "drop took {took:?}");
    let port = hole.url().rsplit(':').next().unwrap().to_owned();
    let warned = lines.lock().unwrap().iter().any(|l| {
        l.level == Level::WARN
            && l.text.contains("dropped without shutdown")
            && l.text.contains(&format!("127.0.0.1:{port}"))
    });
    assert!(warned, "the failed final export is reported");
    println!("lifecycle: drop without shutdown against a black hole returned in {took:.2?}");
}
