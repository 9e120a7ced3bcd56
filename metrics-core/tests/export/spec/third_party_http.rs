//! The main job over OTLP/HTTP, configured as a new user would (the endpoint and nothing else),
//! against a third-party receiver that refuses compressed bodies (issue 13, finding 1).

use agent_metrics_core::export::Env;
use agent_metrics_test_support::python_otlp::{PythonReceiver, Wire};

use super::{WAIT, main_job};

#[test]
fn the_main_job_reaches_a_third_party_http_receiver_that_refuses_gzip() {
    let Some(mut receiver) = PythonReceiver::start(Wire::Http) else {
        return;
    };
    let env = Env::from_pairs([(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        format!("http://{}", receiver.addr),
    )]);
    let job = main_job::run(env);
    let exports = receiver.exports(2, WAIT);
    job.assert_delivered(exports, "HTTP, defaults");
    for export in exports {
        assert_eq!(
            export.header("content-encoding"),
            None,
            "uncompressed by default"
        );
        assert_eq!(
            export.header("content-type"),
            Some("application/x-protobuf")
        );
    }
}

#[test]
fn the_receiver_really_refuses_gzip() {
    let Some(mut receiver) = PythonReceiver::start(Wire::Http) else {
        return;
    };
    let env = Env::from_pairs([
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://{}", receiver.addr),
        ),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip".to_owned()),
    ]);
    let telemetry = agent_metrics_core::export::Telemetry::builder()
        .env(env)
        .build()
        .expect("builds");
    telemetry
        .meter()
        .u64_counter("gzip.probe")
        .build()
        .add(1, &[]);
    let flushed = telemetry.force_flush(WAIT);
    // The receiver itself answered 415 (a dead receiver fails the flush too, and refuses
    // nothing), and the flush fails saying so.
    assert_eq!(receiver.refused(1, WAIT), [415], "{flushed:?}");
    let error = flushed
        .expect_err("a refused export fails the flush")
        .to_string();
    assert!(error.contains("415"), "{error}");
    assert!(
        receiver
            .exports(1, std::time::Duration::from_millis(300))
            .is_empty()
    );
    let _ = telemetry.shutdown(WAIT);
}
