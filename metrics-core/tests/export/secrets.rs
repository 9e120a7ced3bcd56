//! Credentials never show up in `Debug`, `Display`, errors or log lines of the export layer.
#![cfg(feature = "otlp")]

use agent_metrics_test_support::reliability_support;

use std::fmt::Debug;
use std::net::TcpListener;
use std::time::Duration;

use agent_metrics_core::export::{
    Env, ExportError, LiveKitCloud, ObservabilityTokens, Secret, Telemetry, TelemetryBuilder,
};

const API_SECRET: &str = "SECRET-api-0xdeadbeef";
const HEADER_VALUE: &str = "SECRET-header-value";
const URL_PASSWORD: &str = "SECRET-url-password";
const URL_TOKEN: &str = "SECRET-url-query";
/// Every JWT starts with the base64url of `{"`.
const JWT_PREFIX: &str = "eyJ";

fn assert_clean(what: &str, text: &str) {
    for secret in [
        API_SECRET,
        HEADER_VALUE,
        URL_PASSWORD,
        URL_TOKEN,
        JWT_PREFIX,
        "SECRET-",
    ] {
        assert!(!text.contains(secret), "{what} shows `{secret}`: {text}");
    }
}

fn debug(what: &str, value: &impl Debug) {
    assert_clean(what, &format!("{value:?} {value:#?}"));
}

fn both(what: &str, value: &(impl Debug + std::fmt::Display)) {
    debug(what, value);
    assert_clean(what, &value.to_string());
}

/// A port nobody listens on.
fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

fn secret_env(otlp_url: &str) -> Env {
    Env::from_pairs([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp_url.to_owned()),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            format!("authorization=Bearer%20{HEADER_VALUE}"),
        ),
        ("LIVEKIT_URL", "wss://a.livekit.cloud".to_owned()),
        ("LIVEKIT_API_KEY", "APIkey".to_owned()),
        ("LIVEKIT_API_SECRET", API_SECRET.to_owned()),
    ])
}

fn url_with_credentials(base: &str) -> String {
    let (scheme, rest) = base.split_once("://").unwrap();
    format!("{scheme}://user:{URL_PASSWORD}@{rest}/v1/metrics?token={URL_TOKEN}")
}

fn cloud(url: &str) -> LiveKitCloud {
    LiveKitCloud::new(url, "APIkey", API_SECRET)
}

#[test]
fn config_builder_and_telemetry_types_print_no_secret() {
    let secret = Secret::new(API_SECRET.to_owned());
    both("Secret", &secret);
    debug("Env", &secret_env("http://h:4318"));

    let tokens = ObservabilityTokens::new("APIkey", API_SECRET);
    let token = tokens.current();
    assert!(token.expose().starts_with(JWT_PREFIX));
    both("token", &token);
    debug("ObservabilityTokens with a cached token", &tokens);
    debug(
        "LiveKitCloud",
        &cloud(&url_with_credentials("https://o.example")),
    );

    let builders: [TelemetryBuilder; 3] = [
        Telemetry::builder().env(secret_env("http://h:4318")),
        Telemetry::builder()
            .env(Env::empty())
            .otlp_metrics_endpoint(url_with_credentials("http://h:4318"))
            .header("x-api-key", HEADER_VALUE),
        Telemetry::builder()
            .env(Env::empty())
            .livekit_cloud(cloud("https://o.example")),
    ];
    for builder in builders {
        debug("TelemetryBuilder", &builder);
        let telemetry = builder
            .export_interval(Duration::from_secs(3600))
            .build()
            .unwrap();
        debug("Telemetry", &telemetry);
        both("Mode", telemetry.mode());
        telemetry.shutdown(Duration::from_millis(100)).ok();
    }
}

#[test]
fn errors_print_no_secret() {
    let mut errors: Vec<ExportError> = Vec::new();
    let mut push = |result: Result<Telemetry, ExportError>| errors.push(result.unwrap_err());
    // Unusable environment values are warnings, not errors: export_spec.rs checks that those
    // never show a secret either.
    let spaced = format!("http://user:{URL_PASSWORD}@h /x?token={URL_TOKEN}");
    push(
        Telemetry::builder()
            .env(Env::empty())
            .otlp_metrics_endpoint(spaced)
            .build(),
    );
    push(
        Telemetry::builder()
            .env(Env::empty())
            .header("bad name", HEADER_VALUE)
            .otlp_endpoint("http://h")
            .build(),
    );
    let no_key = LiveKitCloud::new(
        format!("https://o.example/?token={URL_TOKEN}"),
        "",
        API_SECRET,
    );
    push(
        Telemetry::builder()
            .env(Env::empty())
            .livekit_cloud(no_key)
            .build(),
    );
    let bad_cloud = LiveKitCloud::new(format!("o.example?token={URL_TOKEN}"), "k", API_SECRET);
    push(
        Telemetry::builder()
            .env(Env::empty())
            .livekit_cloud(bad_cloud)
            .build(),
    );

    // A failing export, from the real path.
    // A short export timeout bounds the retries against the refused port.
    let telemetry = Telemetry::builder()
        .env(Env::empty())
        .livekit_cloud(cloud(&refused_url()))
        .export_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    telemetry.meter().u64_counter("c").build().add(1, &[]);
    errors.push(telemetry.shutdown(Duration::from_secs(8)).unwrap_err());

    assert_eq!(errors.len(), 5);
    for error in &errors {
        both("ExportError", error);
    }
}

#[test]
fn log_lines_print_no_secret() {
    let lines = reliability_support::logs();
    let url = url_with_credentials(&refused_url());
    let otlp = Telemetry::builder()
        .env(secret_env(&refused_url()))
        .otlp_metrics_endpoint(url)
        .header("x-api-key", HEADER_VALUE)
        .export_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let cloud = Telemetry::builder()
        .env(Env::empty())
        .livekit_cloud(cloud(&refused_url()))
        .export_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    for telemetry in [otlp, cloud] {
        telemetry.meter().u64_counter("c").build().add(1, &[]);
        assert!(telemetry.force_flush(Duration::from_secs(8)).is_err());
        drop(telemetry); // the drop-time shutdown may log too
    }
    let lines = lines.lock().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.text.contains("metrics export failed")),
        "the failure is reported: {lines:#?}"
    );
    for line in lines.iter() {
        assert_clean("log line", &line.text);
    }
}
