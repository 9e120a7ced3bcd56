//! Lifecycle: bounded flush and shutdown against a hung or absent collector, shutdown twice,
//! recording after shutdown, drop without shutdown, and user-provided pipelines left alone.
#![cfg(feature = "otlp")]

use agent_metrics_test_support::export_receiver;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use agent_metrics_core::capture::Capture;
use agent_metrics_core::export::{Env, ExportError, Mode, Telemetry};
use export_receiver::Receiver;

const WAIT: Duration = Duration::from_secs(10);
/// Slack for thread start-up and a loaded 2-core machine.
const SLACK: Duration = Duration::from_secs(2);

fn otlp_to(url: &str) -> Telemetry {
    Telemetry::builder()
        .env(Env::from_pairs([("OTEL_EXPORTER_OTLP_ENDPOINT", url)]))
        .export_interval(Duration::from_secs(3600))
        .build()
        .unwrap()
}

#[test]
fn shutdown_and_flush_return_within_their_bound_when_the_collector_hangs() {
    let receiver = Receiver::black_hole();
    let telemetry = otlp_to(receiver.url());
    telemetry.meter().u64_counter("c").build().add(1, &[]);

    let bound = Duration::from_millis(500);
    let start = Instant::now();
    let flushed = telemetry.force_flush(bound);
    let took = start.elapsed();
    assert!(took < bound + SLACK, "force_flush took {took:?}");
    assert_eq!(
        flushed,
        Err(ExportError::Timeout {
            operation: "force_flush",
            timeout: bound
        })
    );
    receiver.wait_for(WAIT, |r| !r.is_empty());
    assert!(
        !receiver.requests().is_empty(),
        "the export reached the collector"
    );

    let bound = Duration::from_secs(1);
    let start = Instant::now();
    let result = telemetry.shutdown(bound);
    let took = start.elapsed();
    assert!(took < bound + SLACK, "shutdown took {took:?}");
    assert!(
        matches!(
            result,
            Err(ExportError::Timeout {
                operation: "shutdown",
                ..
            })
        ),
        "{result:?}"
    );
    assert!(telemetry.is_shut_down());
}

#[test]
fn an_unreachable_collector_is_an_error_not_a_panic() {
    // A port that was just free: connections are refused.
    let url = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let telemetry = otlp_to(&url);
    telemetry.meter().u64_counter("c").build().add(1, &[]);
    let bound = Duration::from_secs(8);
    let start = Instant::now();
    let result = telemetry.shutdown(bound);
    assert!(start.elapsed() < bound + SLACK);
    let err = result.unwrap_err();
    assert!(
        matches!(
            err,
            ExportError::Export {
                operation: "shutdown",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("metrics shutdown failed"),
        "{err}"
    );
}

#[test]
fn shutdown_twice_flush_after_and_record_after_do_not_panic() {
    let receiver = Receiver::start();
    let telemetry = otlp_to(receiver.url());
    let counter = telemetry.meter().u64_counter("c").build();
    counter.add(1, &[]);
    assert_eq!(telemetry.shutdown(WAIT), Ok(()));
    assert_eq!(
        telemetry.shutdown(WAIT),
        Ok(()),
        "a second shutdown is a no-op"
    );
    assert_eq!(
        telemetry.clone().shutdown(WAIT),
        Ok(()),
        "clones share the state"
    );
    assert_eq!(
        telemetry.force_flush(WAIT),
        Err(ExportError::AlreadyShutdown)
    );
    counter.add(1, &[]); // silently dropped
    telemetry.meter().u64_counter("late").build().add(1, &[]);
    let requests = receiver.wait_for(Duration::from_millis(300), |r| r.len() > 1);
    assert_eq!(requests.len(), 1, "nothing is exported after shutdown");
}

#[test]
fn dropping_the_last_clone_exports_what_is_left() {
    let receiver = Receiver::start();
    let telemetry = otlp_to(receiver.url());
    let clone = telemetry.clone();
    telemetry.meter().u64_counter("c").build().add(1, &[]);
    drop(telemetry);
    assert!(receiver.requests().is_empty(), "a clone is still alive");
    drop(clone);
    assert_eq!(receiver.wait_for(WAIT, |r| !r.is_empty()).len(), 1);
}

#[test]
fn user_provided_pipelines_are_never_shut_down() {
    let user = Capture::cumulative();
    let telemetry = Telemetry::from_provider(user.provider());
    assert_eq!(telemetry.mode(), &Mode::UserProvided);
    let counter = telemetry.meter().u64_counter("user.c").build();
    counter.add(2, &[]);
    assert_eq!(telemetry.force_flush(WAIT), Ok(()));
    assert_eq!(telemetry.shutdown(WAIT), Ok(()));
    drop(telemetry);
    counter.add(3, &[]);
    assert_eq!(
        user.collect()[0].value.as_u64(),
        Some(5),
        "the provider still records"
    );
    assert!(
        user.provider().force_flush().is_ok(),
        "and is not shut down"
    );

    let user = Capture::cumulative();
    let telemetry = Telemetry::from_meter(user.meter().clone());
    telemetry.meter().u64_counter("user.m").build().add(1, &[]);
    telemetry.shutdown(WAIT).unwrap();
    drop(telemetry);
    assert_eq!(user.collect().len(), 1);
    assert!(user.provider().force_flush().is_ok());
}

#[test]
fn embedded_mode_reads_in_process_and_stops_at_shutdown() {
    let telemetry = Telemetry::builder().env(Env::empty()).build().unwrap();
    assert_eq!(telemetry.mode(), &Mode::Embedded);
    let capture = telemetry.capture().expect("embedded capture").clone();
    let counter = telemetry.meter().u64_counter("e").build();
    counter.add(2, &[]);
    counter.add(3, &[]);
    assert_eq!(
        capture.collect()[0].value.as_u64(),
        Some(5),
        "cumulative by default"
    );
    telemetry.shutdown(WAIT).unwrap();
    counter.add(1, &[]);
    assert!(capture.collect().is_empty());
}

#[test]
fn disabled_mode_records_nothing() {
    let env = Env::from_pairs([
        ("OTEL_SDK_DISABLED", "true"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"),
    ]);
    let telemetry = Telemetry::builder().env(env).build().unwrap();
    assert_eq!(telemetry.mode(), &Mode::Disabled);
    assert!(telemetry.capture().is_none());
    telemetry.meter().u64_counter("d").build().add(1, &[]);
    assert_eq!(telemetry.force_flush(WAIT), Ok(()));
    assert_eq!(telemetry.shutdown(WAIT), Ok(()));
    let disabled = Telemetry::builder()
        .env(Env::empty())
        .disable()
        .build()
        .unwrap();
    assert_eq!(disabled.mode(), &Mode::Disabled);
}

#[test]
fn works_from_inside_a_tokio_runtime() {
    // As in a `#[tokio::main]` agent: nothing may block the runtime's thread for long, panic on
    // blocking-client use, or deadlock a current-thread runtime.
    let receiver = Receiver::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let telemetry = otlp_to(receiver.url());
        telemetry.meter().u64_counter("c").build().add(1, &[]);
        telemetry.force_flush(WAIT).unwrap();
        telemetry.meter().u64_counter("c").build().add(1, &[]);
        drop(telemetry); // shuts down on drop
    });
    assert_eq!(receiver.wait_for(WAIT, |r| r.len() >= 2).len(), 2);
}
