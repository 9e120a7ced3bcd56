//! The `agent_session` example against a collector that cannot be reached (a black hole, and a
//! closed port): the same code path as the binary (simulation, then `exit::finish`) ends within
//! its bound and tells the user that the collector was unreachable; the binary then exits 0.
use agent_metrics_test_support::exit;
use agent_metrics_test_support::export_receiver as receiver;
use agent_metrics_test_support::sim;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use agent_metrics::MetricsRecorder;
use agent_metrics::export::{Env, Telemetry};

/// Slack for thread start-up and a loaded 2-core machine.
const SLACK: Duration = Duration::from_secs(2);

/// Runs the example's session against `url` and returns its closing message and how long the
/// shutdown took.
fn session_against(url: &str) -> (Option<String>, Duration) {
    let telemetry = Telemetry::builder()
        .env(Env::from_pairs([("OTEL_EXPORTER_OTLP_ENDPOINT", url)]))
        .build()
        .unwrap();
    let mut session = sim::Session::new(7, MetricsRecorder::new(telemetry.meter()));
    session.run(8, |_, _| {});
    sim::blocking_call(telemetry.meter());
    let start = Instant::now();
    let message = exit::finish(&telemetry);
    (message, start.elapsed())
}

#[test]
fn a_black_holed_collector_is_reported_within_the_bound() {
    let hole = receiver::Receiver::black_hole();
    let (message, took) = session_against(hole.url());
    assert!(took < exit::SHUTDOWN_TIMEOUT + SLACK, "took {took:?}");
    let message = message.expect("the failure is reported");
    assert!(message.contains("collector was unreachable"), "{message}");
    assert!(message.contains("did not answer"), "{message}");
    println!("example, black hole: shutdown {took:.2?}: {message}");
}

#[test]
fn a_closed_port_is_reported_within_the_bound() {
    let url = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let (message, took) = session_against(&url);
    assert!(took < exit::SHUTDOWN_TIMEOUT + SLACK, "took {took:?}");
    let message = message.expect("the failure is reported");
    assert!(message.contains("collector was unreachable"), "{message}");
    assert!(message.contains("refused"), "{message}");
    println!("example, closed port: shutdown {took:.2?}: {message}");
}
