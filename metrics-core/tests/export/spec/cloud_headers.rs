//! LiveKit Cloud requests carry exactly their own headers, whatever the process environment holds.

use super::*;

// --- item 3: LiveKit Cloud requests carry exactly their own headers ---

const CHILD_MARKER: &str = "AGENT_METRICS_EXPORT_SPEC_CHILD";
const LEAKED: &str = "SECRET-for-the-users-collector";

/// Runs `child_process_headers` in a child process whose environment holds OTEL header and
/// compression variables, as a process that also runs another SDK would.
#[test]
fn livekit_cloud_requests_carry_exactly_their_own_headers_whatever_the_process_environment() {
    let exe = std::env::current_exe().unwrap();
    // The test's path within its binary, whichever binary this file ends up in.
    let name = match module_path!().split_once("::") {
        Some((_, module)) => format!("{module}::child_process_headers"),
        None => "child_process_headers".to_owned(),
    };
    let output = std::process::Command::new(exe)
        .args(["--exact", name.as_str(), "--ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .env(CHILD_MARKER, "1")
        .env(
            "OTEL_EXPORTER_OTLP_HEADERS",
            format!("x-user-key={LEAKED},authorization=Basic%20{LEAKED}"),
        )
        .env(
            "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
            format!("x-metrics-key={LEAKED}"),
        )
        .env("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run:\n{stdout}"
    );
    assert!(stdout.contains("child checked 2 requests"), "{stdout}");
    if cfg!(feature = "grpc") {
        assert!(
            stdout.contains("child checked the gRPC metadata"),
            "{stdout}"
        );
    }
}

#[test]
#[ignore = "run by livekit_cloud_requests_carry_exactly_their_own_headers_whatever_the_process_environment"]
fn child_process_headers() {
    assert!(
        std::env::var_os(CHILD_MARKER).is_some(),
        "only meaningful in the child process the parent test starts"
    );
    let cloud = Receiver::start();
    let telemetry = Telemetry::builder() // the process environment, as by default
        .livekit_cloud(LiveKitCloud::new(cloud.url(), "APIkey", "api-secret"))
        .export_interval(HOUR)
        .build()
        .unwrap();
    telemetry.meter().u64_counter("c").build().add(1, &[]);
    telemetry.shutdown(WAIT).unwrap();
    let request = cloud.accepted().pop().expect("an export to LiveKit Cloud");
    let mut names: Vec<&str> = request.headers.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "accept",
            "authorization",
            "content-encoding",
            "content-length",
            "content-type",
            "host",
            "user-agent"
        ],
        "{:?}",
        request.headers
    );
    assert!(
        request
            .header("authorization")
            .unwrap()
            .starts_with("Bearer ey")
    );
    assert_eq!(
        request.header("content-type"),
        Some("application/x-protobuf")
    );
    assert_eq!(request.header("content-encoding"), Some("gzip"));
    assert!(!request.headers.iter().any(|(_, v)| v.contains(LEAKED)));
    assert!(!request.decode().resource_metrics.is_empty());

    // A generic OTLP target configured through an Env map sees none of the process variables
    // either: neither their headers nor their compression.
    let otlp = Receiver::start();
    let telemetry = Telemetry::builder()
        .env(Env::from_pairs([(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            otlp.url(),
        )]))
        .export_interval(HOUR)
        .build()
        .unwrap();
    telemetry.meter().u64_counter("c").build().add(1, &[]);
    telemetry.shutdown(WAIT).unwrap();
    let request = otlp.accepted().pop().expect("an export");
    assert_eq!(extra_headers(&request), Vec::<String>::new());
    assert!(!request.decode().resource_metrics.is_empty());
    println!("child checked 2 requests");

    // And over gRPC: exactly the configured metadata.
    #[cfg(feature = "grpc")]
    {
        let server = grpc::Server::start();
        let telemetry = Telemetry::builder()
            .env(Env::from_pairs([
                (
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    format!("http://{}", server.addr),
                ),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_owned()),
            ]))
            .header("x-configured", "yes")
            .export_interval(HOUR)
            .build()
            .unwrap();
        telemetry.meter().u64_counter("c").build().add(1, &[]);
        telemetry.shutdown(WAIT).unwrap();
        let received = server.received();
        let (metadata, _) = received.last().expect("a gRPC export");
        assert!(
            !metadata.iter().any(|(_, v)| v.contains(LEAKED)),
            "{metadata:?}"
        );
        assert!(
            !metadata.iter().any(|(k, _)| k.contains("x-user-key")),
            "{metadata:?}"
        );
        assert!(
            metadata
                .iter()
                .any(|(k, v)| k == "x-configured" && v == "yes")
        );
        println!("child checked the gRPC metadata");
    }
}
