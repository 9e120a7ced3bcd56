//! Hostile or buggy peers at the network edges, and the remaining fault paths (issue 14): a
//! collector asking to wait forever, answers that break after a 2xx, a reader thread that dies,
//! Prometheus clients that never finish, dropped-value counts across pipelines, and locks or
//! borrows held while user or logging code runs. Every test prints the figure it measures.
#![cfg(feature = "otlp")]

use agent_metrics_test_support::on_event::OnEvent;
use agent_metrics_test_support::{export_receiver, fixtures, reliability_support};

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use agent_metrics_core::capture::{Capture, Point};
use agent_metrics_core::export::{Env, ExportError, RetryPolicy, Telemetry};
use agent_metrics_core::job::Job;
use agent_metrics_core::schema::*;
use agent_metrics_core::{AgentMetric, MetricsRecorder};
use export_receiver::{Behaviour, Receiver};
use reliability_support::{logs, push_builder};
use tracing::Level;

/// Runs `f` on its own thread and waits at most `timeout`: a deadlock or hang fails the test
/// instead of stalling it (the stuck thread is left behind).
fn within<R: Send + 'static>(
    timeout: Duration,
    what: &str,
    f: impl FnOnce() -> R + Send + 'static,
) -> R {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(timeout) {
        Ok(result) => result,
        Err(_) => panic!("{what}: no result within {timeout:?} (deadlock or hang)"),
    }
}

/// Held by every test here that builds a `Telemetry`: drops are reported by the newest pipeline,
/// so the dropped-values test must not see another test's pipeline appear.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn record_one(telemetry: &Telemetry) {
    MetricsRecorder::new(telemetry.meter()).record(&TTSMetrics {
        characters_count: 10,
        ..fixtures::tts(fixtures::sonic())
    });
}

// ---------------------------------------------------------------------------------------------
// 1. Durations from outside: Retry-After and the retry policy.

#[test]
fn a_retry_after_of_u64_max_neither_panics_nor_waits() {
    let _serial = serial();
    let receiver = Receiver::spawn(Behaviour::Fail(429, Some(u64::MAX)));
    let telemetry = push_builder(receiver.url(), Duration::from_secs(3600))
        .export_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    record_one(&telemetry);
    let start = Instant::now();
    let first = telemetry.force_flush(Duration::from_secs(10));
    let waited = start.elapsed();
    println!("retry-after u64::MAX: export gave up after {waited:?} (export timeout 2 s)");
    let Err(ExportError::Export { reason, .. }) = &first else {
        panic!("expected an export error, got {first:?}");
    };
    assert!(reason.contains("429"), "{reason}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    // The reader survived: the next export goes out.
    receiver.set(Behaviour::Accept);
    record_one(&telemetry);
    assert_eq!(telemetry.force_flush(Duration::from_secs(10)), Ok(()));
    let stats = telemetry.export_stats().unwrap();
    assert!(!stats.reader_stopped);
    assert_eq!((stats.exported, stats.failed), (1, 1));
    assert_eq!(telemetry.shutdown(Duration::from_secs(5)), Ok(()));
}

#[test]
fn retry_policies_out_of_range_are_refused_at_build() {
    let _serial = serial();
    let receiver = Receiver::start();
    let huge = Duration::from_secs(u64::MAX);
    for policy in [
        RetryPolicy::default().with_max_backoff(huge),
        RetryPolicy::default()
            .with_initial_backoff(Duration::MAX)
            .with_max_backoff(Duration::MAX),
        RetryPolicy::default().with_initial_backoff(Duration::MAX),
    ] {
        let built = push_builder(receiver.url(), Duration::from_secs(3600))
            .retry(policy)
            .build();
        let Err(
            error @ ExportError::InvalidConfig {
                setting: "retry", ..
            },
        ) = &built
        else {
            panic!("{policy:?}: expected an invalid retry setting, got {built:?}");
        };
        println!("retry policy {policy:?} refused: {error}");
    }
}

#[test]
fn huge_builder_durations_neither_panic_nor_hang() {
    let _serial = serial();
    let receiver = Receiver::start();
    let start = Instant::now();
    let telemetry = push_builder(receiver.url(), Duration::MAX)
        .export_timeout(Duration::MAX)
        .build()
        .unwrap();
    record_one(&telemetry);
    let flushed = telemetry.force_flush(Duration::MAX);
    receiver.set(Behaviour::Fail(503, Some(u64::MAX)));
    record_one(&telemetry);
    let shut = within(
        Duration::from_secs(10),
        "shutdown(Duration::MAX)",
        move || telemetry.shutdown(Duration::MAX),
    );
    let took = start.elapsed();
    println!(
        "Duration::MAX as interval, export timeout and flush/shutdown timeout: flush {flushed:?}, \
         shutdown {shut:?} (503 with Retry-After u64::MAX), {took:?} in all"
    );
    assert_eq!(flushed, Ok(()));
    // The final export fails (503) after retries bounded by the SDK's 5 s shutdown wait.
    assert!(matches!(shut, Err(ExportError::Export { .. })), "{shut:?}");
    assert!(took < Duration::from_secs(8), "{took:?}");
}

// ---------------------------------------------------------------------------------------------
// 4. 2xx answers: never retried, body read with a cap.

/// A one-trick collector on 127.0.0.1: answers every request with `answer`, counts requests.
struct RawCollector {
    url: String,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl RawCollector {
    fn start(answer: fn(&mut TcpStream)) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, halt) = (Arc::clone(&requests), Arc::clone(&stop));
        thread::spawn(move || {
            let until = Instant::now() + Duration::from_secs(60);
            while !halt.load(Ordering::Relaxed) && Instant::now() < until {
                let Ok((mut stream, _)) = listener.accept() else {
                    thread::sleep(Duration::from_millis(5));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(2)))
                    .unwrap();
                if read_request(&mut stream) {
                    count.fetch_add(1, Ordering::SeqCst);
                    answer(&mut stream);
                }
            }
        });
        RawCollector {
            url,
            requests,
            stop,
        }
    }
}

impl Drop for RawCollector {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads one request head and its `content-length` body.
fn read_request(stream: &mut TcpStream) -> bool {
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 * 1024 || !matches!(stream.read(&mut byte), Ok(1)) {
            return false;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    stream.read_exact(&mut body).is_ok()
}

fn accepted_export(answer: fn(&mut TcpStream), what: &str) {
    let _serial = serial();
    let collector = RawCollector::start(answer);
    let telemetry = push_builder(&collector.url, Duration::from_secs(3600))
        .export_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    record_one(&telemetry);
    let start = Instant::now();
    let flushed = telemetry.force_flush(Duration::from_secs(10));
    let took = start.elapsed();
    let sent = collector.requests.load(Ordering::SeqCst);
    let stats = telemetry.export_stats().unwrap();
    println!("{what}: {sent} request(s), flush {flushed:?} in {took:?}, {stats:?}");
    assert_eq!(flushed, Ok(()));
    assert_eq!(sent, 1, "an accepted batch was sent again");
    assert_eq!((stats.exported, stats.failed, stats.retries), (1, 0, 0));
    let _ = telemetry.shutdown(Duration::from_secs(3));
}

#[test]
fn an_accepted_export_whose_body_breaks_is_not_sent_again() {
    accepted_export(
        |stream| {
            // Promises 1000 bytes, sends 10, closes: the body read fails after the 2xx.
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n0123456789");
        },
        "200 with a broken body",
    );
}

#[test]
fn an_accepted_export_with_a_huge_body_is_a_success() {
    accepted_export(
        |stream| {
            // 4 MiB: past the 1 MiB read cap.
            let body = vec![b'x'; 4 << 20];
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        },
        "200 with a 4 MiB body",
    );
}

// ---------------------------------------------------------------------------------------------
// 2. The SDK's reader thread dies anyway.

#[test]
fn a_dead_reader_thread_is_reported_and_flush_says_so() {
    let _serial = serial();
    let lines = logs();
    let receiver = Receiver::start();
    let telemetry = push_builder(receiver.url(), Duration::from_millis(50))
        .build()
        .unwrap();
    let armed = Arc::new(AtomicBool::new(false));
    let trigger = Arc::clone(&armed);
    // A user's callback that panics: it runs on the SDK's reader thread, which it kills.
    let _gauge = telemetry
        .meter()
        .u64_observable_gauge("test.panicking_gauge")
        .with_callback(move |_| {
            if trigger.load(Ordering::Relaxed) {
                panic!("a user callback panicked (on purpose)");
            }
        })
        .build();
    record_one(&telemetry);
    receiver.wait_for(Duration::from_secs(5), |r| !r.is_empty());
    let start = Instant::now();
    armed.store(true, Ordering::Relaxed);
    while !telemetry.export_stats().unwrap().reader_stopped
        && start.elapsed() < Duration::from_secs(5)
    {
        thread::sleep(Duration::from_millis(5));
    }
    let noticed = start.elapsed();
    assert!(telemetry.export_stats().unwrap().reader_stopped);
    let errors = || {
        lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.level == Level::ERROR && l.text.contains("reader thread stopped"))
            .count()
    };
    assert_eq!(errors(), 1);
    let start = Instant::now();
    let flushed = telemetry.force_flush(Duration::from_secs(10));
    let flush_took = start.elapsed();
    let start = Instant::now();
    let shut = telemetry.shutdown(Duration::from_secs(10));
    let shutdown_took = start.elapsed();
    println!(
        "dead reader thread: noticed {noticed:?} after the panic (50 ms interval); flush failed \
         in {flush_took:?}, shutdown in {shutdown_took:?}"
    );
    for result in [&flushed, &shut] {
        let Err(ExportError::Export { reason, .. }) = result else {
            panic!("expected an export error, got {result:?}");
        };
        assert!(reason.contains("reader thread has stopped"), "{reason}");
    }
    assert!(flush_took < Duration::from_secs(1) && shutdown_took < Duration::from_secs(1));
    assert_eq!(errors(), 1, "logged once");
}

// ---------------------------------------------------------------------------------------------
// 6. agent_metrics.dropped_values across pipelines.

const TOO_LARGE_CHARS: &str = "lk.agents.usage.tts_characters";

/// Records `n` values dropped as too large, on an instrument and reason no other test here uses.
fn drop_values(telemetry: &Telemetry, n: u64) {
    let recorder = MetricsRecorder::new(telemetry.meter());
    for _ in 0..n {
        recorder.record(&TTSMetrics {
            characters_count: u64::MAX,
            ..fixtures::tts(fixtures::sonic())
        });
    }
}

fn reported(points: &[Point]) -> u64 {
    points
        .iter()
        .filter(|p| p.name == "agent_metrics.dropped_values")
        .filter(|p| p.attr("instrument").as_deref() == Some(TOO_LARGE_CHARS))
        .filter(|p| p.attr("reason").as_deref() == Some("too_large"))
        .filter_map(|p| p.value.as_u64())
        .sum()
}

fn embedded() -> Telemetry {
    Telemetry::builder().env(Env::empty()).build().unwrap()
}

#[test]
fn each_dropped_value_is_reported_once_whatever_the_pipelines() {
    let _serial = serial();
    // Three pipelines built and dropped in turn: each reports its own drops, not the history.
    let mut seen = Vec::new();
    for n in [2, 3, 4] {
        let telemetry = embedded();
        drop_values(&telemetry, n);
        seen.push(reported(&telemetry.capture().unwrap().collect()));
        telemetry.shutdown(Duration::from_secs(5)).unwrap();
    }
    // Two alive at once: each drop is reported by one of them, never by both.
    let (a, b) = (embedded(), embedded());
    drop_values(&a, 5);
    let both =
        reported(&a.capture().unwrap().collect()) + reported(&b.capture().unwrap().collect());
    // A user's provider wrapped three times in turn: one series that grows by the drops.
    let user = Capture::cumulative();
    let mut user_seen = Vec::new();
    for _ in 0..3 {
        let telemetry = Telemetry::from_meter(user.meter().clone());
        drop_values(&telemetry, 1);
        user_seen.push(reported(&user.collect()));
    }
    println!(
        "dropped_values: 3 pipelines in turn reported {seen:?} for [2, 3, 4] drops; 2 at once \
         reported {both} for 5; a user provider wrapped 3 times read {user_seen:?} for 1 drop each"
    );
    assert_eq!(seen, [2, 3, 4]);
    assert_eq!(both, 5);
    assert_eq!(user_seen, [1, 2, 3]);
}

#[test]
fn drops_in_a_failed_export_are_reported_again() {
    use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
    let _serial = serial();
    let receiver = Receiver::spawn(Behaviour::Fail(400, None));
    let telemetry = push_builder(receiver.url(), Duration::from_secs(3600))
        .build()
        .unwrap();
    let recorder = MetricsRecorder::new(telemetry.meter());
    for _ in 0..3 {
        recorder.record(&TTSMetrics {
            audio_duration: f64::INFINITY,
            ..fixtures::tts(fixtures::sonic())
        });
    }
    assert!(telemetry.force_flush(Duration::from_secs(10)).is_err());
    receiver.set(Behaviour::Accept);
    assert_eq!(telemetry.force_flush(Duration::from_secs(10)), Ok(()));
    let mut reported = 0;
    for (_, m) in export_receiver::metrics(&receiver.accepted()) {
        let Some(metric::Data::Sum(sum)) = &m.data else {
            continue;
        };
        for dp in sum
            .data_points
            .iter()
            .filter(|_| m.name == "agent_metrics.dropped_values")
        {
            let attrs = export_receiver::attrs(&dp.attributes);
            if attrs.contains(&"instrument=lk.agents.usage.tts_audio_duration".to_owned())
                && attrs.contains(&"reason=infinite".to_owned())
                && let Some(number_data_point::Value::AsInt(v)) = dp.value
            {
                reported += v;
            }
        }
    }
    println!("dropped_values: 3 drops in an export refused with 400, {reported} reported after");
    assert_eq!(reported, 3);
    telemetry.shutdown(Duration::from_secs(5)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// 7. No lock or borrow held across logging or user code.

/// A `tracing` subscriber that records a metric from inside the event it is given, as a
/// subscriber exporting logs as metrics would.
fn recording_subscriber(
    recorder: MetricsRecorder,
    events: Arc<AtomicUsize>,
) -> impl tracing::Subscriber {
    OnEvent(move |event: &tracing::Event<'_>| {
        let meta = event.metadata();
        if *meta.level() != Level::WARN || !meta.target().starts_with("agent_metrics_core") {
            return;
        }
        // Once: a NaN on another instrument, dropped and warned about in turn.
        if events.fetch_add(1, Ordering::SeqCst) == 0 {
            recorder.record(&MetricsReport {
                llm_node_ttft: Some(f64::NAN),
                ..MetricsReport::default()
            });
        }
    })
}

#[test]
fn a_subscriber_that_records_a_metric_does_not_deadlock() {
    let events = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&events);
    let start = Instant::now();
    within(
        Duration::from_secs(5),
        "recording from a subscriber",
        move || {
            let capture = Capture::cumulative();
            let recorder = MetricsRecorder::new(capture.meter());
            let subscriber = recording_subscriber(recorder.clone(), count);
            tracing::subscriber::with_default(subscriber, || {
                // The first negative value of this instrument: warned about, under no lock.
                recorder.record(&MetricsReport {
                    e2e_latency: Some(-1.0),
                    ..MetricsReport::default()
                });
            });
        },
    );
    let took = start.elapsed();
    println!("a subscriber recording a metric from a drop warning: returned in {took:?}");
    // The negative value's warning, once. The NaN the subscriber recorded from inside it is
    // warned about too, but `tracing` does not hand an event raised within a subscriber's own
    // handler back to that subscriber.
    assert_eq!(
        events.load(Ordering::SeqCst),
        1,
        "the warning reached the subscriber once"
    );
}

/// An attribute value whose conversion enters a job: user code run while recording.
#[derive(Clone, Debug, PartialEq)]
struct Reentrant;

impl agent_metrics_core::AttributeValue for Reentrant {
    fn attribute_value(&self) -> Option<opentelemetry::Value> {
        let _inner = Job::new("RM_inner", "AJ_inner").enter();
        Some(opentelemetry::Value::from("reentrant"))
    }
}

#[derive(Clone, PartialEq, AgentMetric)]
#[metric(crate = agent_metrics_core)]
struct Probe {
    #[attr(key = "probe")]
    probe: Reentrant,
    #[metric(counter = "test.edges.probes", unit = "{probe}", attributes(probe))]
    count: u64,
}

fn probe_points(capture: &Capture) -> Vec<Vec<String>> {
    capture
        .collect()
        .iter()
        .filter(|p| p.name == "test.edges.probes")
        .map(|p| p.attr_pairs())
        .collect()
}

#[test]
fn entering_a_job_from_attribute_code_does_not_panic() {
    let capture = Capture::cumulative();
    let handles = Probe::handles(capture.meter());
    let job = Job::new("RM_outer", "AJ_outer");
    let _outer = job.enter();
    let start = Instant::now();
    let recorded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Probe {
            probe: Reentrant,
            count: 1,
        }
        .record(&handles);
    }));
    let took = start.elapsed();
    println!("Job::enter inside AttributeValue code while recording: {recorded:?} in {took:?}");
    assert!(recorded.is_ok(), "recording panicked");
    assert_eq!(
        probe_points(&capture),
        [["job_id=AJ_outer", "probe=reentrant", "room_id=RM_outer"]]
    );
}

#[test]
fn job_guards_dropped_out_of_order_leave_no_ended_job_current() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let record = || {
        recorder.record(&MetricsReport {
            e2e_latency: Some(0.5),
            ..MetricsReport::default()
        })
    };
    let jobs = |capture: &Capture| -> Vec<String> {
        capture
            .collect()
            .iter()
            .filter(|p| p.name == "lk.agents.turn.e2e_latency")
            .map(|p| p.attr("job_id").unwrap_or_default())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let a = Job::new("RM_a", "AJ_a").enter();
    let b = Job::new("RM_b", "AJ_b").enter();
    drop(a); // out of order: B is still entered, A has ended
    record();
    let after_a = jobs(&capture);
    drop(b);
    let c = Job::new("RM_c", "AJ_c").enter();
    drop(c);
    record();
    let after_all = jobs(&capture);
    println!(
        "job guards dropped out of order: current job after A ends {after_a:?}, after all {after_all:?}"
    );
    assert_eq!(after_a, ["AJ_b"]);
    // The second record has no job at all: A (ended) must not have come back.
    assert_eq!(after_all, ["", "AJ_b"]);
}

// ---------------------------------------------------------------------------------------------
// 3. The Prometheus endpoint against slow, endless and many clients.

#[cfg(feature = "prometheus")]
mod prometheus_edge;

// ---------------------------------------------------------------------------------------------
// 8. Events from JSON (the Python framework's shape): never a panic, whatever the input.

#[cfg(feature = "serde")]
mod json_edge;
