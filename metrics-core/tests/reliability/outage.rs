//! Collector outages: retried per the OTLP spec, so a 5 s outage loses nothing; an outage longer
//! than the retry budget is carried over (delta temporality), warned about once, and reported by
//! the self-metrics once the collector is back. The third-party receiver's outage is in
//! `carry_over.rs`.
#![cfg(feature = "otlp")]

use agent_metrics_test_support::export_receiver;
use agent_metrics_test_support::reliability_support;

use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use agent_metrics_core::MetricsRecorder;
use agent_metrics_core::export::{
    EXPORT_CARRIED, EXPORT_DROPPED, EXPORT_FAILURES, EXPORT_RETRIES, Telemetry, TelemetryBuilder,
};
use export_receiver::{Behaviour, Receiver};
use reliability_support::{Totals, exported, logs, push_builder, record_during, record_event};
use tracing::Level;

const INTERVAL: Duration = Duration::from_millis(10);

/// Records the event stream on 2 threads while `script` runs, then shuts down. Returns what was
/// recorded and how long shutdown took.
fn run(builder: TelemetryBuilder, script: impl FnOnce()) -> (Telemetry, Totals, Duration) {
    let telemetry = builder.build().unwrap();
    let recorder = MetricsRecorder::new(telemetry.meter());
    let expected = record_during(script, |stream, done| {
        let recorder = recorder.clone();
        let mut expected = Totals::new();
        let mut i = 0;
        while !done.load(Ordering::Relaxed) {
            record_event(&recorder, stream, i, &mut expected);
            i += 1;
            if i % 200 == 0 {
                thread::sleep(Duration::from_millis(1));
            }
        }
        expected
    });
    let start = Instant::now();
    let result = telemetry.shutdown(Duration::from_secs(10));
    assert_eq!(result, Ok(()));
    (telemetry, expected, start.elapsed())
}

fn phase(receiver: &Receiver, behaviour: Behaviour, time: Duration) {
    receiver.set(behaviour);
    thread::sleep(time);
}

#[test]
fn a_five_second_outage_with_default_retries_loses_nothing() {
    let receiver = Receiver::start();
    let lines = logs();
    let ms = Duration::from_millis;
    let (telemetry, expected, shutdown) = run(push_builder(receiver.url(), INTERVAL), || {
        phase(&receiver, Behaviour::Accept, ms(1000));
        phase(&receiver, Behaviour::Fail(429, Some(1)), ms(1500));
        phase(&receiver, Behaviour::Fail(503, None), ms(1500));
        phase(&receiver, Behaviour::Refuse, ms(2000));
        phase(&receiver, Behaviour::Accept, ms(1000));
    });

    let requests = receiver.requests();
    let accepted = receiver.accepted();
    let (mut got, _) = exported(&accepted);
    got.retain(|name, _| expected.contains_key(name));
    assert_eq!(got, expected, "data was lost in the outage");
    let stats = telemetry.export_stats().unwrap();
    assert_eq!((stats.failed, stats.dropped_points), (0, 0), "{stats:?}");
    assert!(stats.retries >= 3, "{stats:?}");

    // Retry-After: 1 is honoured: every retry of a throttled request waits at least 1 s.
    let throttled: Vec<_> = requests.iter().filter(|r| r.status == 429).collect();
    assert!(!throttled.is_empty());
    for pair in requests.windows(2).filter(|p| p[0].status == 429) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= ms(950),
            "retried {gap:?} after a 429 with Retry-After: 1"
        );
    }
    assert!(requests.iter().any(|r| r.status == 503));
    let port = receiver.url().rsplit(':').next().unwrap().to_owned();
    let warnings = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.level == Level::WARN && l.text.contains(&format!("127.0.0.1:{port}")))
        .count();
    assert_eq!(warnings, 0, "nothing was dropped, so nothing to warn about");

    let histograms = expected.values().filter(|t| t.count > 0).count();
    println!(
        "outage: 5 s (1.5 s of 429 with Retry-After: 1, 1.5 s of 503, 2 s refused); {} requests, \
         {} accepted, {} retries, 0 failed exports; {} instruments equal ({histograms} histograms \
         by count and sum); shutdown {shutdown:.2?}",
        requests.len(),
        accepted.len(),
        stats.retries,
        expected.len(),
    );
}

#[test]
fn an_outage_beyond_the_retry_budget_is_carried_over_warned_once_and_exported() {
    let receiver = Receiver::start();
    let lines = logs();
    let ms = Duration::from_millis;
    // A 1 s budget (the export timeout) against a 3 s outage: some exports must give up.
    let builder = push_builder(receiver.url(), INTERVAL).export_timeout(ms(1000));
    let (telemetry, expected, _) = run(builder, || {
        phase(&receiver, Behaviour::Accept, ms(300));
        phase(&receiver, Behaviour::Fail(503, None), ms(3000));
        phase(&receiver, Behaviour::Accept, ms(700));
    });

    let stats = telemetry.export_stats().unwrap();
    assert!(stats.failed >= 1 && stats.carried_points > 0, "{stats:?}");
    assert_eq!(stats.dropped_points, 0, "{stats:?}");
    assert_eq!(stats.carry_over_points, 0, "all delivered: {stats:?}");
    let accepted = receiver.accepted();
    let (mut got, _) = exported(&accepted);
    let self_metric = |name: &str| got.get(name).map_or(0.0, |t| t.sum) as u64;
    // The self-metrics reach the collector once it is back, exactly (carried over with the rest).
    let exported_self = [
        EXPORT_FAILURES,
        EXPORT_DROPPED,
        EXPORT_CARRIED,
        EXPORT_RETRIES,
    ]
    .map(self_metric);
    assert_eq!(
        exported_self,
        [
            stats.failed,
            stats.dropped_points,
            stats.carried_points,
            stats.retries
        ]
    );
    got.retain(|name, _| expected.contains_key(name));
    assert_eq!(got, expected, "data was lost in the outage");

    // One warning for the outage, saying "carried over", one info line when it ends.
    let port = receiver.url().rsplit(':').next().unwrap().to_owned();
    let ours: Vec<_> = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.text.contains(&format!("127.0.0.1:{port}")))
        .cloned()
        .collect();
    let warnings: Vec<_> = ours.iter().filter(|l| l.level == Level::WARN).collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0].text.contains("HTTP 503"), "{:?}", warnings[0]);
    assert!(
        warnings[0].text.contains("carried over"),
        "{:?}",
        warnings[0]
    );
    assert!(
        !warnings[0].text.contains("dropped_points"),
        "{:?}",
        warnings[0]
    );
    let recovered = ours
        .iter()
        .filter(|l| l.level == Level::INFO && l.text.contains("metrics export recovered"));
    assert_eq!(recovered.count(), 1);

    println!(
        "outage beyond budget: 3 s of 503 against a 1 s budget: {} exports failed, {} data points \
         carried over (at most {} at once), {} dropped, {} retries; {} instruments equal; \
         self-metrics exported equal: {exported_self:?}; 1 warning",
        stats.failed,
        stats.carried_points,
        stats.carry_over_peak,
        stats.dropped_points,
        stats.retries,
        expected.len(),
    );
}
