//! Carry-over of failed delta exports, against a receiver we did not write (the OpenTelemetry
//! project's Python bindings, `test-support/receivers/otlp_receiver.py`): an outage longer than
//! the export timeout loses nothing, a refused batch is dropped once and not re-sent, memory is
//! bounded by the series, shutdown and flush stay bounded, and cumulative needs none of it.
#![cfg(feature = "otlp")]

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use agent_metrics_core::MetricsRecorder;
use agent_metrics_core::export::{
    EXPORT_CARRIED, EXPORT_DROPPED, EXPORT_FAILURES, ExportStats, Protocol, Temporality,
};
use agent_metrics_core::job::Job;
use agent_metrics_core::opentelemetry::KeyValue;
use agent_metrics_test_support::export_receiver::{Behaviour, Receiver};
use agent_metrics_test_support::python_otlp::{Export, Options, PythonReceiver, Wire};
use agent_metrics_test_support::reliability_support::{
    Total, Totals, exported, logs, push_builder, record_during, record_event, rss_kib, sum_totals,
};
use serde_json::Value;
use tracing::Level;

const HOUR: Duration = Duration::from_secs(3600);

fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value[key].as_array().map_or(&[], Vec::as_slice)
}

/// A 64-bit integer of protobuf's JSON mapping (a string), or a JSON number.
fn int(value: &Value) -> u64 {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| value.as_u64())
        .unwrap_or(0)
}

/// Every data point of the accepted exports, as `(metric name, metric kind, point)`.
fn points(exports: &[Export]) -> Vec<(String, &'static str, &Value)> {
    let mut out = Vec::new();
    for export in exports.iter().filter(|e| e.status == 200) {
        for (name, metric) in export.metrics() {
            for kind in ["sum", "histogram", "gauge"] {
                for point in array(&metric[kind], "data_points") {
                    out.push((name.to_owned(), kind, point));
                }
            }
        }
    }
    out
}

/// What the receiver stored, summed as `reliability_support::exported` sums: a counter's
/// values, a histogram's count and sum.
fn received(exports: &[Export]) -> Totals {
    let mut totals = Totals::new();
    for (name, kind, point) in points(exports) {
        let total = totals.entry(name).or_default();
        match kind {
            "sum" => {
                total.sum += point["as_double"]
                    .as_f64()
                    .unwrap_or_else(|| int(&point["as_int"]) as f64)
            }
            "histogram" => {
                total.count += int(&point["count"]);
                total.sum += point["sum"].as_f64().unwrap_or(0.0);
            }
            _ => {}
        }
    }
    totals
}

/// Per stream (metric and attribute set), the `(start, time)` of its delta points, sorted.
fn intervals(exports: &[Export]) -> BTreeMap<String, Vec<(u64, u64)>> {
    let mut streams: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    for (name, kind, point) in points(exports) {
        if kind == "gauge" {
            continue;
        }
        let mut attributes: Vec<String> = array(point, "attributes")
            .iter()
            .map(|kv| format!("{}={}", kv["key"], kv["value"]))
            .collect();
        attributes.sort();
        let interval = (
            int(&point["start_time_unix_nano"]),
            int(&point["time_unix_nano"]),
        );
        streams
            .entry(format!("{name}{{{}}}", attributes.join(",")))
            .or_default()
            .push(interval);
    }
    for list in streams.values_mut() {
        list.sort();
    }
    streams
}

/// How long the third-party receiver is down: `AGENT_METRICS_OUTAGE_SECS`, else 8 s (four times
/// the export timeout below, so that several exports fail for good; the 60 s run is
/// `AGENT_METRICS_OUTAGE_SECS=60`).
fn outage() -> Duration {
    let secs = std::env::var("AGENT_METRICS_OUTAGE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    Duration::from_secs(secs)
}

/// Records the event stream on 2 threads, each entering a new job every 500 ms (so new series
/// keep appearing, as jobs come and go on a worker), while `script` runs.
fn record_with_churn(recorder: &MetricsRecorder, script: impl FnOnce()) -> Totals {
    record_during(script, |stream, done| {
        let recorder = recorder.clone();
        let mut expected = Totals::new();
        let (mut i, mut jobs) = (0, 0);
        while !done.load(Ordering::Relaxed) {
            let job = Job::new(format!("RM_{stream}"), format!("AJ_{stream}_{jobs}"));
            let _in_job = job.enter();
            jobs += 1;
            let until = Instant::now() + Duration::from_millis(500);
            while Instant::now() < until && !done.load(Ordering::Relaxed) {
                record_event(&recorder, stream, i, &mut expected);
                i += 1;
                if i % 50 == 0 {
                    thread::sleep(Duration::from_millis(1));
                }
            }
        }
        expected
    })
}

fn require_receiver(options: Options) -> Option<PythonReceiver> {
    PythonReceiver::start_with(Wire::Http, options)
}

#[test]
fn a_third_party_receiver_down_longer_than_the_export_timeout_loses_nothing() {
    // Shortened from the defaults (30 s interval, 10 s timeout) to keep the test short: the
    // outage is still four times the export timeout.
    receiver_down(Wire::Http, outage(), Duration::from_secs(2));
}

#[cfg(feature = "grpc")]
#[test]
fn over_grpc_too() {
    receiver_down(Wire::Grpc, Duration::from_secs(4), Duration::from_secs(1));
}

/// The third-party receiver is up, stopped gracefully (as a rolling restart does) for
/// `outage`, then restarted on its port, while 2 threads record with job churn; exports time
/// out after `timeout`. Everything recorded arrives, exactly, with no overlapping points.
fn receiver_down(wire: Wire, outage: Duration, timeout: Duration) {
    let Some(first) = PythonReceiver::start_with(wire, Options::default()) else {
        return;
    };
    let lines = logs();
    let port = first.addr.port();
    let url = format!("http://{}", first.addr);
    let mut builder = push_builder(&url, Duration::from_millis(250)).export_timeout(timeout);
    if wire == Wire::Grpc {
        builder = builder.protocol(Protocol::Grpc).otlp_metrics_endpoint(&url);
    }
    let telemetry = builder.build().unwrap();
    let recorder = MetricsRecorder::new(telemetry.meter());
    let mut before = Vec::new();
    let mut restarted = None;
    let mut peak_during_outage = 0;
    let expected = record_with_churn(&recorder, || {
        thread::sleep(Duration::from_millis(1500));
        before = first.stop();
        let down = Instant::now();
        while down.elapsed() < outage {
            thread::sleep(Duration::from_millis(250));
            let stats = telemetry.export_stats().unwrap();
            peak_during_outage = peak_during_outage.max(stats.carry_over_points);
        }
        restarted = PythonReceiver::start_with(wire, Options { port, answer: None });
        thread::sleep(Duration::from_millis(2000));
    });
    let start = Instant::now();
    assert_eq!(telemetry.shutdown(Duration::from_secs(10)), Ok(()));
    let shutdown = start.elapsed();
    let after = restarted.expect("the receiver restarts on its port").stop();
    let stats = telemetry.export_stats().unwrap();

    let all: Vec<Export> = before.iter().chain(&after).cloned().collect();
    let got = received(&all);
    for (name, want) in &expected {
        assert_eq!(
            got.get(name),
            Some(want),
            "{name}: received vs recorded ({stats:?})"
        );
    }
    assert!(
        stats.failed >= 2,
        "several exports failed for good: {stats:?}"
    );
    assert_eq!(stats.dropped_points, 0, "{stats:?}");
    assert!(
        stats.carried_points > 0 && stats.carry_over_points == 0,
        "{stats:?}"
    );
    let self_metric = |name: &str| got.get(name).map_or(0, |t: &Total| t.sum as u64);
    assert_eq!(self_metric(EXPORT_FAILURES), stats.failed);
    assert_eq!(self_metric(EXPORT_CARRIED), stats.carried_points);
    assert_eq!(self_metric(EXPORT_DROPPED), 0);

    // The data model: one writer per stream, intervals that never overlap; the point that
    // carried the outage spans it.
    let streams = intervals(&all);
    let mut overlaps = Vec::new();
    let mut longest = 0;
    for (stream, list) in &streams {
        for pair in list.windows(2) {
            if pair[1].0 < pair[0].1 {
                overlaps.push(format!("{stream}: {:?} then {:?}", pair[0], pair[1]));
            }
        }
        longest = list
            .iter()
            .map(|(s, t)| t - s)
            .max()
            .unwrap_or(0)
            .max(longest);
    }
    assert!(
        overlaps.is_empty(),
        "{} overlapping: {overlaps:#?}",
        overlaps.len()
    );
    // The batch that went through may have been collected before the restart, while its
    // export was retrying: a timeout and an interval short of the outage at most.
    let longest = Duration::from_nanos(longest);
    let spans = outage.saturating_sub(timeout + Duration::from_millis(250));
    assert!(longest >= spans, "no point spans the outage: {longest:?}");

    let ours: Vec<_> = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.level == Level::WARN && l.text.contains(&format!("127.0.0.1:{port}")))
        .cloned()
        .collect();
    assert_eq!(ours.len(), 1, "{ours:#?}");
    assert!(ours[0].text.contains("carried over"), "{:?}", ours[0]);

    let characters = "lk.agents.usage.tts_characters";
    let points_total: usize = streams.values().map(Vec::len).sum();
    println!(
        "third-party {wire:?} receiver down {outage:?} (export timeout {timeout:?}, interval 250 ms, 2 \
         threads, a new job every 500 ms per thread): {characters} recorded {} received {}; \
         {} instruments equal (histograms by count and sum); {} exports failed for good, {} \
         data points carried over, {} dropped, peak carry-over {} points ({} during the outage \
         by polling); {} streams, {points_total} points, 0 overlapping, longest point {longest:.1?}; \
         {} requests before the outage, {} after; shutdown {shutdown:.2?}",
        expected[characters].sum,
        got[characters].sum,
        expected.len(),
        stats.failed,
        stats.carried_points,
        stats.dropped_points,
        stats.carry_over_peak,
        peak_during_outage,
        streams.len(),
        before.len(),
        after.len(),
    );
}

#[test]
fn a_batch_the_receiver_refuses_is_dropped_once_and_the_next_go_through() {
    let Some(mut receiver) = require_receiver(Options {
        port: 0,
        answer: Some((3, 400)),
    }) else {
        return;
    };
    let telemetry = push_builder(&format!("http://{}", receiver.addr), HOUR)
        .build()
        .unwrap();
    let recorder = MetricsRecorder::new(telemetry.meter());
    let mut recorded = Vec::new();
    for batch in 0..5u64 {
        let mut expected = Totals::new();
        for i in 0..40 {
            record_event(&recorder, 0, batch * 1000 + i, &mut expected);
        }
        recorded.push(expected);
        let flushed = telemetry.force_flush(Duration::from_secs(10));
        assert_eq!(flushed.is_err(), batch == 2, "flush {batch}: {flushed:?}");
    }
    telemetry.shutdown(Duration::from_secs(10)).unwrap();
    let mut exports = receiver.exports(5, Duration::from_secs(10)).to_vec();
    exports.sort_by_key(|e| e.seq);
    let statuses: Vec<u16> = exports.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [200, 200, 400, 200, 200], "no retry, no re-send");

    let stats = telemetry.export_stats().unwrap();
    let refused = Export {
        status: 200,
        ..exports[2].clone()
    };
    let refused_points = points(std::slice::from_ref(&refused)).len() as u64;
    assert_eq!((stats.failed, stats.carried_points), (1, 0), "{stats:?}");
    assert_eq!(stats.dropped_points, refused_points, "{stats:?}");

    // Delivered: everything but the refused batch, exactly; the refused batch is what the
    // third flush held, exactly.
    let got = received(&exports);
    let delivered = recorded.iter().enumerate().filter(|(i, _)| *i != 2);
    let want = sum_totals(delivered.map(|(_, batch)| batch.clone()));
    for (name, t) in &want {
        assert_eq!(got.get(name), Some(t), "{name}");
    }
    assert_eq!(
        received(&[refused]).get("lk.agents.usage.tts_characters"),
        recorded[2].get("lk.agents.usage.tts_characters")
    );
    let self_metric = |name: &str| got.get(name).map_or(0, |t| t.sum as u64);
    assert_eq!(self_metric(EXPORT_DROPPED), refused_points);
    assert_eq!(self_metric(EXPORT_FAILURES), 1);
    println!(
        "HTTP 400 to the third of 5 exports: {refused_points} data points dropped and counted, \
         not retried nor re-sent; the 4 others delivered exactly ({} instruments)",
        want.len()
    );
}

/// 2,000 series of a counter and a histogram, recorded again and again while every export
/// fails: what is held stays one point per series, and memory stays flat however long it lasts.
#[test]
fn two_thousand_series_carried_over_a_long_outage_stay_bounded() {
    // Resident memory is process-wide: measured in a process of its own, away from the other
    // tests of this binary.
    agent_metrics_test_support::alone::run_alone(
        "carry_over::two_thousand_series_carried_over_a_long_outage_stay_bounded_alone",
    );
}

#[test]
#[ignore = "run alone by two_thousand_series_carried_over_a_long_outage_stay_bounded"]
fn two_thousand_series_carried_over_a_long_outage_stay_bounded_alone() {
    assert!(agent_metrics_test_support::alone::is_child());
    const SERIES: usize = 2000;
    let receiver = Receiver::spawn(Behaviour::Refuse);
    let telemetry = push_builder(receiver.url(), Duration::from_millis(20))
        .export_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let counter = telemetry
        .meter()
        .u64_counter("test.carried.requests")
        .build();
    let histogram = telemetry
        .meter()
        .f64_histogram("test.carried.latency")
        .build();
    let attributes: Vec<[KeyValue; 1]> = (0..SERIES)
        .map(|i| [KeyValue::new("series", i as i64)])
        .collect();
    let (mut recorded, mut slowest) = (0u64, Duration::ZERO);
    // Records every series until `n` more exports have failed; the stats and RSS then.
    let mut record_until_failed = |n: u64| -> (ExportStats, u64) {
        let target = telemetry.export_stats().unwrap().failed + n;
        let deadline = Instant::now() + Duration::from_secs(120);
        while telemetry.export_stats().unwrap().failed < target {
            assert!(Instant::now() < deadline, "exports stopped failing");
            let start = Instant::now();
            for attrs in &attributes {
                counter.add(1, attrs);
                histogram.record(0.25, attrs);
            }
            recorded += 1;
            slowest = slowest.max(start.elapsed());
            thread::sleep(Duration::from_millis(5));
        }
        (telemetry.export_stats().unwrap(), rss_kib())
    };
    let (warm, rss_warm) = record_until_failed(10);
    let (long, rss_long) = record_until_failed(100);

    let bound = 2 * SERIES as u64 + 10; // both instruments, their overflow and the self-metrics
    assert!(long.carry_over_peak <= bound, "{long:?}");
    assert!(long.carry_over_points >= 2 * SERIES as u64, "{long:?}");
    assert_eq!(long.dropped_points, 0, "{long:?}");
    // A queue would grow by a batch (2,000 counter and 2,000 histogram points, over 1 MB
    // decoded) per failed export: 100 more failures would be over 100 MB.
    let growth = rss_long.saturating_sub(rss_warm);
    assert!(
        growth < 16 * 1024,
        "memory grew {growth} KiB over 100 failed exports"
    );
    // Recording never waits for the exporter, whose every export takes its 100 ms budget.
    assert!(
        slowest < Duration::from_secs(2),
        "a round of 4,000 records took {slowest:?}"
    );
    println!(
        "2,000 series x 2 instruments, every export failing: after {} failed exports {} points \
         held, RSS {rss_warm} KiB; after {} failed exports {} points held (peak {}), RSS \
         {rss_long} KiB ({growth} KiB growth); {recorded} rounds of 4,000 records, slowest \
         round {slowest:.2?}",
        warm.failed,
        warm.carry_over_points,
        long.failed,
        long.carry_over_points,
        long.carry_over_peak,
    );
    drop(receiver);
}

/// Shutdown and flush during an outage stay bounded by their timeouts; what is still carried
/// over at shutdown is counted as dropped and named in one log line.
#[test]
fn shutdown_during_an_outage_is_bounded_and_counts_what_is_still_carried() {
    let receiver = Receiver::spawn(Behaviour::Refuse);
    let lines = logs();
    let telemetry = push_builder(receiver.url(), Duration::from_millis(50))
        .export_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let counter = telemetry
        .meter()
        .u64_counter("test.carried.shutdown")
        .build();
    let deadline = Instant::now() + Duration::from_secs(60);
    while telemetry.export_stats().unwrap().carry_over_points == 0 {
        assert!(Instant::now() < deadline, "nothing was carried over");
        counter.add(1, &[KeyValue::new("k", "v")]);
        thread::sleep(Duration::from_millis(20));
    }
    let start = Instant::now();
    assert!(telemetry.force_flush(Duration::from_secs(1)).is_err());
    let flush = start.elapsed();
    assert!(flush < Duration::from_secs(2), "flush took {flush:?}");
    counter.add(1, &[KeyValue::new("k", "v")]);
    let start = Instant::now();
    assert!(telemetry.shutdown(Duration::from_secs(1)).is_err());
    let shutdown = start.elapsed();
    assert!(
        shutdown < Duration::from_secs(2),
        "shutdown took {shutdown:?}"
    );
    let stats = telemetry.export_stats().unwrap();
    assert_eq!(stats.carry_over_points, 0, "{stats:?}");
    assert!(stats.dropped_points > 0, "{stats:?}");
    let named: Vec<_> = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| {
            l.level == Level::WARN
                && l.text
                    .contains(receiver.url().trim_start_matches("http://"))
                && l.text.contains("still carried over")
        })
        .cloned()
        .collect();
    assert_eq!(named.len(), 1, "{named:#?}");
    println!(
        "shutdown during an outage: flush {flush:.2?}, shutdown {shutdown:.2?} (1 s each); \
         {} points dropped at shutdown, named in 1 warning",
        stats.dropped_points
    );
}

/// Cumulative temporality needs no carry-over: the first export after an outage has the totals.
#[test]
fn a_cumulative_export_after_an_outage_has_the_full_totals() {
    let receiver = Receiver::spawn(Behaviour::Refuse);
    let telemetry = push_builder(receiver.url(), HOUR)
        .temporality(Temporality::Cumulative)
        .export_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let recorder = MetricsRecorder::new(telemetry.meter());
    let mut expected = Totals::new();
    for i in 0..200 {
        record_event(&recorder, 0, i, &mut expected);
        if i % 50 == 49 {
            assert!(telemetry.force_flush(Duration::from_secs(5)).is_err());
        }
    }
    let stats = telemetry.export_stats().unwrap();
    assert_eq!((stats.failed, stats.carried_points), (4, 0), "{stats:?}");
    receiver.set(Behaviour::Accept);
    telemetry.force_flush(Duration::from_secs(5)).unwrap();
    let accepted = receiver.accepted();
    let (got, temporalities) = exported(&accepted[accepted.len() - 1..]);
    assert!(temporalities.values().all(|t| *t == 2), "{temporalities:?}");
    for (name, want) in &expected {
        assert_eq!(got.get(name), Some(want), "{name}");
    }
    telemetry.shutdown(Duration::from_secs(5)).unwrap();
}
