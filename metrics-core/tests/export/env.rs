//! How the builder and the environment choose the mode and its settings (no network needed:
//! building an exporter does not connect).

use std::time::Duration;

#[cfg(feature = "otlp")]
use agent_metrics_core::export::{
    DEFAULT_EXPORT_INTERVAL, DEFAULT_EXPORT_TIMEOUT, Protocol, PushSettings, Temporality,
};
use agent_metrics_core::export::{Env, ExportError, Mode, Telemetry};

fn build(pairs: &[(&str, &str)]) -> Result<Telemetry, ExportError> {
    Telemetry::builder()
        .env(Env::from_pairs(pairs.iter().copied()))
        .build()
}

#[cfg(feature = "otlp")]
fn push_settings(telemetry: &Telemetry) -> &PushSettings {
    match telemetry.mode() {
        Mode::Otlp(settings) | Mode::LiveKitCloud(settings) => settings,
        other => panic!("not a push mode: {other:?}"),
    }
}

#[test]
fn handles_are_send_sync_and_clone() {
    fn check<T: Send + Sync + Clone + std::fmt::Debug>() {}
    check::<Telemetry>();
    check::<agent_metrics_core::export::TelemetryBuilder>();
    check::<Env>();
    check::<ExportError>();
}

#[test]
fn nothing_configured_is_the_embedded_reader() {
    let telemetry = build(&[]).unwrap();
    assert_eq!(telemetry.mode(), &Mode::Embedded);
    assert!(telemetry.capture().is_some());
    assert_eq!(telemetry.mode().to_string(), "embedded (in-process reader)");
}

#[cfg(feature = "otlp")]
#[test]
fn otlp_defaults() {
    let telemetry = build(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]).unwrap();
    let settings = push_settings(&telemetry);
    assert!(matches!(telemetry.mode(), Mode::Otlp(_)));
    assert_eq!(settings.endpoint, "http://collector:4318/v1/metrics");
    assert_eq!(settings.protocol, Protocol::HttpProtobuf);
    assert_eq!(settings.temporality, Temporality::Delta);
    assert_eq!(settings.interval, DEFAULT_EXPORT_INTERVAL);
    assert_eq!(settings.timeout, DEFAULT_EXPORT_TIMEOUT);
    assert!(!settings.gzip, "the spec's default compression is none");
    assert_eq!(DEFAULT_EXPORT_INTERVAL, Duration::from_secs(30));
    assert!(telemetry.capture().is_none());
    let shown = telemetry.mode().to_string();
    assert!(
        shown.contains("http/protobuf") && shown.contains("30s"),
        "{shown}"
    );
}

#[cfg(feature = "otlp")]
#[test]
fn builder_settings_win_over_the_environment() {
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://from-env:4318"),
        ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "1000"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
    ];
    let telemetry = Telemetry::builder()
        .env(Env::from_pairs(env))
        .otlp_metrics_endpoint("https://from-builder/otlp")
        .temporality(Temporality::Cumulative)
        .export_interval(Duration::from_secs(5))
        .export_timeout(Duration::from_secs(3))
        .gzip(false)
        .build()
        .unwrap();
    let settings = push_settings(&telemetry);
    assert_eq!(settings.endpoint, "https://from-builder/otlp");
    assert_eq!(settings.temporality, Temporality::Cumulative);
    assert_eq!(settings.interval, Duration::from_secs(5));
    assert_eq!(settings.timeout, Duration::from_secs(3));
    assert!(!settings.gzip);

    let from_env = build(&env).unwrap();
    let settings = push_settings(&from_env);
    assert_eq!(settings.interval, Duration::from_secs(1));
    assert_eq!(settings.timeout, Duration::from_secs(2));
}

#[cfg(feature = "otlp")]
#[test]
fn https_endpoints_build_with_rustls() {
    let telemetry = build(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel.example.com")]).unwrap();
    assert_eq!(
        push_settings(&telemetry).endpoint,
        "https://otel.example.com/v1/metrics"
    );
}

#[test]
fn bad_builder_settings_are_errors() {
    // Unusable environment values are warned about and replaced by defaults: see export_spec.rs.
    let zero = Telemetry::builder()
        .env(Env::empty())
        .export_interval(Duration::ZERO)
        .build();
    assert!(matches!(
        zero,
        Err(ExportError::InvalidConfig {
            setting: "export_interval",
            ..
        })
    ));

    let err = Telemetry::builder()
        .env(Env::empty())
        .otlp_endpoint("collector:4318")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            ExportError::InvalidEndpoint {
                origin: "otlp_endpoint",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("http:// or https://"), "{err}");
}

#[cfg(feature = "grpc")]
#[test]
fn grpc_needs_no_tokio_runtime_and_uses_the_base_url_verbatim() {
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
    ];
    let telemetry = build(&env).unwrap();
    let settings = push_settings(&telemetry);
    assert_eq!(settings.protocol, Protocol::Grpc);
    assert_eq!(settings.endpoint, "http://collector:4317");
    drop(telemetry);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let telemetry = runtime.block_on(async { build(&env) }).unwrap();
    assert_eq!(push_settings(&telemetry).protocol, Protocol::Grpc);
    telemetry.shutdown(Duration::from_secs(2)).ok();
    drop(runtime);
}

#[cfg(all(feature = "otlp", not(feature = "grpc")))]
#[test]
fn grpc_without_the_feature_says_which_feature() {
    let err = Telemetry::builder()
        .env(Env::empty())
        .otlp_endpoint("http://collector:4317")
        .protocol(Protocol::Grpc)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("`grpc` cargo feature"), "{err}");
}

#[cfg(not(feature = "prometheus"))]
#[test]
fn prometheus_without_the_feature_says_which_feature() {
    let addr = "127.0.0.1:0".parse().unwrap();
    let err = Telemetry::builder()
        .env(Env::empty())
        .prometheus(addr)
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("`prometheus` cargo feature"),
        "{err}"
    );
}

#[cfg(feature = "prometheus")]
#[test]
fn prometheus_alone_or_next_to_a_push_target() {
    let addr = "127.0.0.1:0".parse().unwrap();
    let alone = Telemetry::builder()
        .env(Env::empty())
        .prometheus(addr)
        .build()
        .unwrap();
    let bound = alone.prometheus_addr().expect("listening");
    assert_ne!(bound.port(), 0);
    assert_eq!(alone.mode(), &Mode::Prometheus(bound));
    alone.shutdown(Duration::from_secs(2)).unwrap();

    let env = Env::from_pairs([("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")]);
    let both = Telemetry::builder()
        .env(env)
        .prometheus(addr)
        .build()
        .unwrap();
    assert!(matches!(both.mode(), Mode::Otlp(_)));
    assert!(both.prometheus_addr().is_some());
    both.shutdown(Duration::from_secs(2)).ok();

    let embedded = Telemetry::builder()
        .env(Env::empty())
        .embedded()
        .prometheus(addr)
        .build()
        .unwrap();
    assert_eq!(embedded.mode(), &Mode::Embedded);
    assert!(embedded.capture().is_some() && embedded.prometheus_addr().is_some());
    embedded.shutdown(Duration::from_secs(2)).unwrap();
}
