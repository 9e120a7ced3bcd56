//! The mode table, row by row: what the plan says runs for each combination of settings, and
//! which settings are errors. Only the plan is computed: no port is bound, no thread started.

use super::*;
#[cfg(feature = "otlp")]
use crate::export::LiveKitCloud;
use crate::export::env::Env;
#[cfg(feature = "otlp")]
use crate::export::retry::RetryPolicy;

#[cfg_attr(all(feature = "prometheus", not(feature = "grpc")), allow(dead_code))]
const PROMETHEUS: &str = "127.0.0.1:9464";

/// The builder a row's inputs describe: six columns, `-` when absent.
/// - otlp: `http` or `grpc`: `OTEL_EXPORTER_OTLP_ENDPOINT` (and `OTEL_EXPORTER_OTLP_PROTOCOL`);
/// - cloud: `LIVEKIT_URL` on `.livekit.cloud`, with an API key and secret;
/// - prom: `.prometheus(127.0.0.1:9464)`;
/// - embedded: `.embedded()`;
/// - temporality: `delta` or `cumulative`: `.temporality(..)`;
/// - keep: `.cumulative_job_attributes(true)`.
#[cfg(all(feature = "grpc", feature = "prometheus"))]
fn builder(inputs: &str) -> TelemetryBuilder {
    let columns: Vec<&str> = inputs.split_whitespace().collect();
    let [otlp, cloud, prom, embedded, temporality, keep] = columns[..] else {
        panic!("a row has six input columns: {inputs:?}");
    };
    let mut env = Vec::new();
    match otlp {
        "-" => {}
        "http" => env.push(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")),
        "grpc" => env.extend([
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ]),
        other => panic!("otlp column: {other}"),
    }
    if cloud == "cloud" {
        env.extend([
            ("LIVEKIT_URL", "wss://my-app.livekit.cloud"),
            ("LIVEKIT_API_KEY", "APIkey"),
            ("LIVEKIT_API_SECRET", "secret"),
        ]);
    }
    let mut builder = TelemetryBuilder::new().env(Env::from_pairs(env));
    if prom == "prom" {
        builder = builder.prometheus(PROMETHEUS.parse().unwrap());
    }
    if embedded == "embedded" {
        builder = builder.embedded();
    }
    match temporality {
        "-" => {}
        "delta" => builder = builder.temporality(Temporality::Delta),
        "cumulative" => builder = builder.temporality(Temporality::Cumulative),
        other => panic!("temporality column: {other}"),
    }
    builder.cumulative_job_attributes(keep == "keep")
}

fn plan(builder: &TelemetryBuilder) -> (Result<Plan, Vec<ExportError>>, EnvSettings) {
    let env = EnvSettings::read(&builder.env);
    (Plan::new(builder, &env), env)
}

/// `primary | Prometheus next to it | per-job keys`, or the errors.
fn summary(result: &Result<Plan, Vec<ExportError>>) -> String {
    let pipelines = match result {
        Err(errors) => {
            let errors: Vec<_> = errors.iter().map(short).collect();
            return format!("errors: {}", errors.join(", "));
        }
        Ok(Plan::Disabled) => return "disabled".to_owned(),
        Ok(Plan::Start(pipelines)) => pipelines,
    };
    let primary = match &pipelines.primary {
        Primary::Push(push) => {
            let to = match push.destination {
                Destination::Otlp => "OTLP",
                Destination::LiveKitCloud => "Cloud",
            };
            let s = &push.settings;
            let temporality = format!("{:?}", s.temporality).to_lowercase();
            format!("push {to} {} {temporality}", s.protocol)
        }
        Primary::Embedded(temporality) => {
            format!("embedded {}", format!("{temporality:?}").to_lowercase())
        }
        Primary::Prometheus(_) => "Prometheus alone".to_owned(),
    };
    let prometheus = match pipelines.prometheus {
        None => "-",
        Some(Prometheus::Shared(_)) => "Prometheus shared",
        Some(Prometheus::Own(_)) => "Prometheus own",
    };
    let keys = match (pipelines.job_keys, pipelines.prometheus) {
        (JobKeys::Stripped, _) => "keys stripped",
        (JobKeys::Kept, Some(Prometheus::Own(_))) => "keys stripped from Prometheus",
        (JobKeys::Kept, _) => "keys kept",
    };
    format!("{primary} | {prometheus} | {keys}")
}

/// An error as the tables show it: its kind and the setting, variable or feature it names.
fn short(error: &ExportError) -> String {
    match error {
        ExportError::InvalidConfig { setting, .. } => format!("config {setting}"),
        ExportError::InvalidEndpoint { origin, .. } => format!("endpoint {origin}"),
        ExportError::MissingCredential { var, .. } => format!("missing {var}"),
        ExportError::Unsupported { what } => {
            let feature = what.split('`').nth(1).unwrap_or(what);
            format!("feature {feature}")
        }
        other => format!("{other:?}"),
    }
}

/// Every combination of the six inputs: `otlp cloud prom embedded temporality keep ->
/// primary | Prometheus next to it | where the per-job keys are stripped`.
///
/// What the rows say: the OTLP variables win over LiveKit Cloud's, `.embedded()` wins over
/// both; push temporality is delta unless set; the embedded reader is cumulative unless set;
/// Prometheus alone when nothing else is configured; a cumulative pipeline records without
/// the per-job keys unless `keep` (a cumulative push and Prometheus then share a provider), and
/// next to a delta push or the embedded reader Prometheus gets a provider of its own.
#[cfg(all(feature = "grpc", feature = "prometheus"))]
#[rustfmt::skip]
const MODES: &[&str] = &[
//   otlp  cloud  prom  embedded  temporality keep -> primary | Prometheus next to it | per-job keys
    "-     -      -     -         -           -    -> embedded cumulative | - | keys kept",
    "-     -      -     -         -           keep -> embedded cumulative | - | keys kept",
    "-     -      -     -         delta       -    -> embedded delta | - | keys kept",
    "-     -      -     -         delta       keep -> embedded delta | - | keys kept",
    "-     -      -     -         cumulative  -    -> embedded cumulative | - | keys kept",
    "-     -      -     -         cumulative  keep -> embedded cumulative | - | keys kept",
    "-     -      -     embedded  -           -    -> embedded cumulative | - | keys kept",
    "-     -      -     embedded  -           keep -> embedded cumulative | - | keys kept",
    "-     -      -     embedded  delta       -    -> embedded delta | - | keys kept",
    "-     -      -     embedded  delta       keep -> embedded delta | - | keys kept",
    "-     -      -     embedded  cumulative  -    -> embedded cumulative | - | keys kept",
    "-     -      -     embedded  cumulative  keep -> embedded cumulative | - | keys kept",
    "-     -      prom  -         -           -    -> Prometheus alone | - | keys stripped",
    "-     -      prom  -         -           keep -> Prometheus alone | - | keys kept",
    "-     -      prom  -         delta       -    -> Prometheus alone | - | keys stripped",
    "-     -      prom  -         delta       keep -> Prometheus alone | - | keys kept",
    "-     -      prom  -         cumulative  -    -> Prometheus alone | - | keys stripped",
    "-     -      prom  -         cumulative  keep -> Prometheus alone | - | keys kept",
    "-     -      prom  embedded  -           -    -> embedded cumulative | Prometheus own | keys stripped from Prometheus",
    "-     -      prom  embedded  -           keep -> embedded cumulative | Prometheus shared | keys kept",
    "-     -      prom  embedded  delta       -    -> embedded delta | Prometheus own | keys stripped from Prometheus",
    "-     -      prom  embedded  delta       keep -> embedded delta | Prometheus shared | keys kept",
    "-     -      prom  embedded  cumulative  -    -> embedded cumulative | Prometheus own | keys stripped from Prometheus",
    "-     -      prom  embedded  cumulative  keep -> embedded cumulative | Prometheus shared | keys kept",
    "-     cloud  -     -         -           -    -> push Cloud http/protobuf delta | - | keys kept",
    "-     cloud  -     -         -           keep -> push Cloud http/protobuf delta | - | keys kept",
    "-     cloud  -     -         delta       -    -> push Cloud http/protobuf delta | - | keys kept",
    "-     cloud  -     -         delta       keep -> push Cloud http/protobuf delta | - | keys kept",
    "-     cloud  -     -         cumulative  -    -> push Cloud http/protobuf cumulative | - | keys stripped",
    "-     cloud  -     -         cumulative  keep -> push Cloud http/protobuf cumulative | - | keys kept",
    "-     cloud  -     embedded  -           -    -> embedded cumulative | - | keys kept",
    "-     cloud  -     embedded  -           keep -> embedded cumulative | - | keys kept",
    "-     cloud  -     embedded  delta       -    -> embedded delta | - | keys kept",
    "-     cloud  -     embedded  delta       keep -> embedded delta | - | keys kept",
    "-     cloud  -     embedded  cumulative  -    -> embedded cumulative | - | keys kept",
    "-     cloud  -     embedded  cumulative  keep -> embedded cumulative | - | keys kept",
    "-     cloud  prom  -         -           -    -> push Cloud http/protobuf delta | Prometheus own | keys stripped from Prometheus",
    "-     cloud  prom  -         -           keep -> push Cloud http/protobuf delta | Prometheus shared | keys kept",
    "-     cloud  prom  -         delta       -    -> push Cloud http/protobuf delta | Prometheus own | keys stripped from Prometheus",
    "-     cloud  prom  -         delta       keep -> push Cloud http/protobuf delta | Prometheus shared | keys kept",
    "-     cloud  prom  -         cumulative  -    -> push Cloud http/protobuf cumulative | Prometheus shared | keys stripped",
    "-     cloud  prom  -         cumulative  keep -> push Cloud http/protobuf cumulative | Prometheus shared | keys kept",
    "-     cloud  prom  embedded  -           -    -> embedded cumulative | Prometheus own | keys stripped from Prometheus",
    "-     cloud  prom  embedded  -           keep -> embedded cumulative | Prometheus shared | keys kept",
    "-     cloud  prom  embedded  delta       -    -> embedded delta | Prometheus own | keys stripped from Prometheus",
    "-     cloud  prom  embedded  delta       keep -> embedded delta | Prometheus shared | keys kept",
    "-     cloud  prom  embedded  cumulative  -    -> embedded cumulative | Prometheus own | keys stripped from Prometheus",
    "-     cloud  prom  embedded  cumulative  keep -> embedded cumulative | Prometheus shared | keys kept",
    "http  -      -     -         -           -    -> push OTLP http/protobuf delta | - | keys kept",
    "http  -      -     -         -           keep -> push OTLP http/protobuf delta | - | keys kept",
    "http  -      -     -         delta       -    -> push OTLP http/protobuf delta | - | keys kept",
    "http  -      -     -         delta       keep -> push OTLP http/protobuf delta | - | keys kept",
    "http  -      -     -         cumulative  -    -> push OTLP http/protobuf cumulative | - | keys stripped",
    "http  -      -     -         cumulative  keep -> push OTLP http/protobuf cumulative | - | keys kept",
    "http  -      -     embedded  -           -    -> embedded cumulative | - | keys kept",
    "http  -      -     embedded  -           keep -> embedded cumulative | - | keys kept",
    "http  -      -     embedded  delta       -    -> embedded delta | - | keys kept",
    "http  -      -     embedded  delta       keep -> embedded delta | - | keys kept",
    "http  -      -     embedded  cumulative  -    -> embedded cumulative | - | keys kept",
    "http  -      -     embedded  cumulative  keep -> embedded cumulative | - | keys kept",
    "http  -      prom  -         -           -    -> push OTLP http/protobuf delta | Prometheus own | keys stripped from Prometheus",
    "http  -      prom  -         -           keep -> push OTLP http/protobuf delta | Prometheus shared | keys kept",
    "http  -      prom  -         delta       -    -> push OTLP http/protobuf delta | Prometheus own | keys stripped from Prometheus",
    "http  -      prom  -         delta       keep -> push OTLP http/protobuf delta | Prometheus shared | keys kept",
    "http  -      prom  -         cumulative  -    -> push OTLP http/protobuf cumulative | Prometheus shared | keys stripped",
    "http  -      prom  -         cumulative  keep -> push OTLP http/protobuf cumulative | Prometheus shared | keys kept",
    "http  -      prom  embedded  -           -    -> embedded cumulative | Prometheus own | keys stripped from Prometheus",
    "http  -      prom  embedded  -           keep -> embedded cumulative | Prometheus shared | keys kept",
    "http  -      prom  embedded  delta       -    -> embedded delta | Prometheus own | keys stripped from Prometheus",
    "http  -      prom  embedded  delta       keep -> embedded delta | Prometheus shared | keys kept",
    "http  -      prom  embedded  cumulative  -    -> embedded cumulative | Prometheus own | keys stripped from Prometheus",
    "http  -      prom  embedded  cumulative  keep -> embedded cumulative | Prometheus shared | keys kept",
    "http  cloud  -     -         -           -    -> push OTLP http/protobuf delta | - | keys kept",
    "http  cloud  -     -         -           keep -> push OTLP http/protobuf delta | - | keys kept",
    "http  cloud  -     -         delta       -    -> push OTLP http/protobuf delta | - | keys kept",
    "http  cloud  -     -         delta       keep -> push OTLP http/protobuf delta | - | keys kept",
    "http  cloud  -     -         cumulative  -    -> push OTLP http/protobuf cumulative | - | keys stripped",
    "http  cloud  -     -         cumulative  keep -> push OTLP http/protobuf cumulative | - | keys kept",
    "http  cloud  -     embedded  -           -    -> embedded cumulative | - | keys kept",
    "http  cloud  -     embedded  -           keep -> embedded cumulative | - | keys kept",
    "http  cloud  -     embedded  delta       -    -> embedded delta | - | keys kept",
    "http  cloud  -     embedded  delta       keep -> embedded delta | - | keys kept",
    "http  cloud  -     embedded  cumulative  -    -> embedded cumulative | - | keys kept",
    "http  cloud  -     embedded  cumulative  keep -> embedded cumulative | - | keys kept",
    "http  cloud  prom  -         -           -    -> push OTLP http/protobuf delta | Prometheus own | keys stripped from Prometheus",
    "http  cloud  prom  -         -           keep -> push OTLP http/protobuf delta | Prometheus shared | keys kept",
    "http  cloud  prom  -         delta       -    -> push OTLP http/protobuf delta | Prometheus own | keys stripped from Prometheus",
    "http  cloud  prom  -         delta       keep -> push OTLP http/protobuf delta | Prometheus shared | keys kept",
    "http  cloud  prom  -         cumulative  -    -> push OTLP http/protobuf cumulative | Prometheus shared | keys stripped",
    "http  cloud  prom  -         cumulative  keep -> push OTLP http/protobuf cumulative | Prometheus shared | keys kept",
    "http  cloud  prom  embedded  -           -    -> embedded cumulative | Prometheus own | keys stripped from Prometheus",
    "http  cloud  prom  embedded  -           keep -> embedded cumulative | Prometheus shared | keys kept",
    "http  cloud  prom  embedded  delta       -    -> embedded delta | Prometheus own | keys stripped from Prometheus",
    "http  cloud  prom  embedded  delta       keep -> embedded delta | Prometheus shared | keys kept",
    "http  cloud  prom  embedded  cumulative  -    -> embedded cumulative | Prometheus own | keys stripped from Prometheus",
    "http  cloud  prom  embedded  cumulative  keep -> embedded cumulative | Prometheus shared | keys kept",
    "grpc  -      -     -         -           -    -> push OTLP grpc delta | - | keys kept",
    "grpc  -      -     -         -           keep -> push OTLP grpc delta | - | keys kept",
    "grpc  -      -     -         delta       -    -> push OTLP grpc delta | - | keys kept",
    "grpc  -      -     -         delta       keep -> push OTLP grpc delta | - | keys kept",
    "grpc  -      -     -         cumulative  -    -> push OTLP grpc cumulative | - | keys stripped",
    "grpc  -      -     -         cumulative  keep -> push OTLP grpc cumulative | - | keys kept",
    "grpc  -      -     embedded  -           -    -> embedded cumulative | - | keys kept",
    "grpc  -      -     embedded  -           keep -> embedded cumulative | - | keys kept",
    "grpc  -      -     embedded  delta       -    -> embedded delta | - | keys kept",
    "grpc  -      -     embedded  delta       keep -> embedded delta | - | keys kept",
    "grpc  -      -     embedded  cumulative  -    -> embedded cumulative | - | keys kept",
    "grpc  -      -     embedded  cumulative  keep -> embedded cumulative | - | keys kept",
    "grpc  -      prom  -         -           -    -> push OTLP grpc delta | Prometheus own | keys stripped from Prometheus",
    "grpc  -      prom  -         -           keep -> push OTLP grpc delta | Prometheus shared | keys kept",
    "grpc  -      prom  -         delta       -    -> push OTLP grpc delta | Prometheus own | keys stripped from Prometheus",
    "grpc  -      prom  -         delta       keep -> push OTLP grpc delta | Prometheus shared | keys kept",
    "grpc  -      prom  -         cumulative  -    -> push OTLP grpc cumulative | Prometheus shared | keys stripped",
    "grpc  -      prom  -         cumulative  keep -> push OTLP grpc cumulative | Prometheus shared | keys kept",
    "grpc  -      prom  embedded  -           -    -> embedded cumulative | Prometheus own | keys stripped from Prometheus",
    "grpc  -      prom  embedded  -           keep -> embedded cumulative | Prometheus shared | keys kept",
    "grpc  -      prom  embedded  delta       -    -> embedded delta | Prometheus own | keys stripped from Prometheus",
    "grpc  -      prom  embedded  delta       keep -> embedded delta | Prometheus shared | keys kept",
    "grpc  -      prom  embedded  cumulative  -    -> embedded cumulative | Prometheus own | keys stripped from Prometheus",
    "grpc  -      prom  embedded  cumulative  keep -> embedded cumulative | Prometheus shared | keys kept",
    "grpc  cloud  -     -         -           -    -> push OTLP grpc delta | - | keys kept",
    "grpc  cloud  -     -         -           keep -> push OTLP grpc delta | - | keys kept",
    "grpc  cloud  -     -         delta       -    -> push OTLP grpc delta | - | keys kept",
    "grpc  cloud  -     -         delta       keep -> push OTLP grpc delta | - | keys kept",
    "grpc  cloud  -     -         cumulative  -    -> push OTLP grpc cumulative | - | keys stripped",
    "grpc  cloud  -     -         cumulative  keep -> push OTLP grpc cumulative | - | keys kept",
    "grpc  cloud  -     embedded  -           -    -> embedded cumulative | - | keys kept",
    "grpc  cloud  -     embedded  -           keep -> embedded cumulative | - | keys kept",
    "grpc  cloud  -     embedded  delta       -    -> embedded delta | - | keys kept",
    "grpc  cloud  -     embedded  delta       keep -> embedded delta | - | keys kept",
    "grpc  cloud  -     embedded  cumulative  -    -> embedded cumulative | - | keys kept",
    "grpc  cloud  -     embedded  cumulative  keep -> embedded cumulative | - | keys kept",
    "grpc  cloud  prom  -         -           -    -> push OTLP grpc delta | Prometheus own | keys stripped from Prometheus",
    "grpc  cloud  prom  -         -           keep -> push OTLP grpc delta | Prometheus shared | keys kept",
    "grpc  cloud  prom  -         delta       -    -> push OTLP grpc delta | Prometheus own | keys stripped from Prometheus",
    "grpc  cloud  prom  -         delta       keep -> push OTLP grpc delta | Prometheus shared | keys kept",
    "grpc  cloud  prom  -         cumulative  -    -> push OTLP grpc cumulative | Prometheus shared | keys stripped",
    "grpc  cloud  prom  -         cumulative  keep -> push OTLP grpc cumulative | Prometheus shared | keys kept",
    "grpc  cloud  prom  embedded  -           -    -> embedded cumulative | Prometheus own | keys stripped from Prometheus",
    "grpc  cloud  prom  embedded  -           keep -> embedded cumulative | Prometheus shared | keys kept",
    "grpc  cloud  prom  embedded  delta       -    -> embedded delta | Prometheus own | keys stripped from Prometheus",
    "grpc  cloud  prom  embedded  delta       keep -> embedded delta | Prometheus shared | keys kept",
    "grpc  cloud  prom  embedded  cumulative  -    -> embedded cumulative | Prometheus own | keys stripped from Prometheus",
    "grpc  cloud  prom  embedded  cumulative  keep -> embedded cumulative | Prometheus shared | keys kept",
];

#[cfg(all(feature = "grpc", feature = "prometheus"))]
#[test]
fn the_mode_table() {
    let mut seen = std::collections::BTreeSet::new();
    let mut wrong = Vec::new();
    for row in MODES {
        let (inputs, expected) = row.split_once("->").expect("inputs -> expected");
        let key: Vec<_> = inputs.split_whitespace().collect();
        assert!(seen.insert(key.join(" ")), "a second row for {inputs}");
        let (result, env) = plan(&builder(inputs));
        assert!(env.ignored.is_empty(), "{inputs}: {:?}", env.ignored);
        let got = summary(&result);
        if got != expected.trim() {
            wrong.push(format!("{:<40} -> {got}", key.join(" ")));
        }
    }
    assert!(wrong.is_empty(), "rows that differ:\n{}", wrong.join("\n"));
    // Every combination has its row.
    let mut missing = Vec::new();
    for otlp in ["-", "http", "grpc"] {
        for cloud in ["-", "cloud"] {
            for prom in ["-", "prom"] {
                for embedded in ["-", "embedded"] {
                    for temporality in ["-", "delta", "cumulative"] {
                        for keep in ["-", "keep"] {
                            let key = [otlp, cloud, prom, embedded, temporality, keep].join(" ");
                            if !seen.contains(&key) {
                                let got = summary(&plan(&builder(&key)).0);
                                missing.push(format!("{key:<40} -> {got}"));
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "rows missing:\n{}", missing.join("\n"));
}

/// The rows where something is wrong or ignored: `what is set -> the plan's summary` (with
/// `ignored:` the unusable environment values, each one warning), or every error at once.
#[rustfmt::skip]
#[allow(clippy::type_complexity)]
const PROBLEMS: &[(&str, fn() -> TelemetryBuilder, &str)] = &[
    ("zero interval and zero timeout", || base().export_interval(Duration::ZERO).export_timeout(Duration::ZERO), "errors: config export_interval, config export_timeout"),
    ("zero interval, embedded", || base().embedded().export_interval(Duration::ZERO), "errors: config export_interval"),
    #[cfg(feature = "otlp")]
    ("bad endpoint, bad retry, bad header", || base().otlp_endpoint("collector:4318").retry(inverted_retry()).header("bad name", "v"), "errors: endpoint otlp_endpoint, config header, config retry"),
    #[cfg(feature = "otlp")]
    ("Cloud: no key, URL without scheme", || base().livekit_cloud(LiveKitCloud::new("o.example", "", "secret")), "errors: missing LIVEKIT_API_KEY, endpoint LiveKitCloud::new"),
    #[cfg(feature = "otlp")]
    ("Cloud: no key, no secret", || base().livekit_cloud(LiveKitCloud::new("https://o.example", "", "")), "errors: missing LIVEKIT_API_KEY"),
    #[cfg(feature = "otlp")]
    ("Cloud from env: no key, no secret", || env(&[("LIVEKIT_OBSERVABILITY_URL", "https://o.example")]), "errors: missing LIVEKIT_API_KEY"),
    #[cfg(feature = "otlp")]
    ("Cloud from env: bad URL, zero interval", || env(&[("LIVEKIT_OBSERVABILITY_URL", "not a url"), ("LIVEKIT_API_KEY", "k"), ("LIVEKIT_API_SECRET", "s")]).export_interval(Duration::ZERO), "errors: config export_interval, endpoint LIVEKIT_OBSERVABILITY_URL"),
    ("disabled wins over bad settings", || base().disable().export_interval(Duration::ZERO).otlp_endpoint("collector"), "disabled"),
    ("OTEL_SDK_DISABLED=true wins too", || env(&[("OTEL_SDK_DISABLED", "true")]).export_timeout(Duration::ZERO), "disabled"),
    ("embedded ignores a broken LiveKit env", || env(&[("LIVEKIT_URL", "wss://a.livekit.cloud")]).embedded(), "embedded cumulative | - | keys kept"),
    #[cfg(feature = "otlp")]
    ("OTLP env wins over a broken LiveKit env", || env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), ("LIVEKIT_URL", "wss://a.livekit.cloud")]), "push OTLP http/protobuf delta | - | keys kept"),
    #[cfg(feature = "otlp")]
    ("bad env values are ignored, all reported", || env(&[("OTEL_METRIC_EXPORT_INTERVAL", "30s"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"), ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "sometimes"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")]), "push OTLP http/protobuf delta | - | keys kept; ignored: OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, OTEL_METRIC_EXPORT_INTERVAL"),
    #[cfg(feature = "otlp")]
    ("an unusable endpoint variable: the spec's default", || env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")]), "push OTLP http/protobuf delta | - | keys kept; ignored: OTEL_EXPORTER_OTLP_ENDPOINT"),
    #[cfg(feature = "otlp")]
    ("env errors and builder errors at once", || env(&[("OTEL_METRIC_EXPORT_INTERVAL", "0")]).otlp_metrics_endpoint("ftp://c").export_timeout(Duration::ZERO), "errors: config export_timeout, endpoint otlp_metrics_endpoint; ignored: OTEL_METRIC_EXPORT_INTERVAL"),
    #[cfg(not(feature = "otlp"))]
    ("OTLP without the feature", || base().otlp_endpoint("http://c:4318"), "errors: feature otlp"),
    #[cfg(all(feature = "otlp", not(feature = "grpc")))]
    ("gRPC without the feature", || base().otlp_endpoint("http://c:4317").protocol(Protocol::Grpc), "errors: feature grpc"),
    #[cfg(not(feature = "prometheus"))]
    ("Prometheus without the feature", || base().prometheus(PROMETHEUS.parse().unwrap()), "errors: feature prometheus"),
];

fn base() -> TelemetryBuilder {
    TelemetryBuilder::new().env(Env::empty())
}

fn env(pairs: &[(&'static str, &'static str)]) -> TelemetryBuilder {
    TelemetryBuilder::new().env(Env::from_pairs(pairs.iter().copied()))
}

#[cfg(feature = "otlp")]
fn inverted_retry() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_secs(2),
        max_backoff: Duration::from_secs(1),
        ..RetryPolicy::default()
    }
}

#[test]
fn every_problem_at_once() {
    let mut wrong = Vec::new();
    for (what, builder, expected) in PROBLEMS {
        let (result, env) = plan(&builder());
        let mut got = summary(&result);
        if !env.ignored.is_empty() {
            let vars: Vec<_> = env.ignored.iter().map(|i| i.var.as_str()).collect();
            got = format!("{got}; ignored: {}", vars.join(", "));
        }
        if got != *expected {
            wrong.push(format!("{what}: {got}"));
        }
    }
    assert!(wrong.is_empty(), "rows that differ:\n{}", wrong.join("\n"));
}

/// What the plan holds besides the pipelines: the settings a push uses, the resource, the
/// GenAI conventions and the cardinality limits, each from the builder, else the environment,
/// else the default.
#[cfg(feature = "otlp")]
#[test]
fn settings_resource_conventions_and_limits() {
    let with = |pairs: &[(&'static str, &'static str)]| {
        let builder = env(pairs).otlp_endpoint("https://user:pw@c:4318");
        match plan(&builder).0 {
            Ok(Plan::Start(pipelines)) => pipelines,
            other => panic!("{other:?}"),
        }
    };
    let push = |p: &Pipelines| match &p.primary {
        Primary::Push(push) => push.settings.clone(),
        other => panic!("{other:?}"),
    };
    let defaults = with(&[]);
    let s = push(&defaults);
    assert_eq!(
        s.endpoint, "https://***@c:4318/v1/metrics",
        "shown without credentials"
    );
    assert_eq!(
        (s.interval, s.timeout, s.request_timeout),
        (
            DEFAULT_EXPORT_INTERVAL,
            DEFAULT_EXPORT_TIMEOUT,
            DEFAULT_EXPORT_TIMEOUT
        )
    );
    assert!(!s.gzip);
    assert_eq!(defaults.conventions, GenAiConventions::default());
    let name = |p: &Pipelines| {
        p.resource
            .get(&"service.name".into())
            .map(|v| v.to_string())
    };
    assert_eq!(name(&defaults).as_deref(), Some(DEFAULT_SERVICE_NAME));
    assert!(defaults.resource.get(&SERVICE_INSTANCE_ID.into()).is_some());
    let Primary::Push(push_plan) = &defaults.primary else {
        unreachable!()
    };
    assert_eq!(
        push_plan.limits,
        crate::cardinality::limits(&defaults.catalog)
    );

    let from_env = with(&[
        ("OTEL_METRIC_EXPORT_INTERVAL", "1500"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"),
        ("OTEL_METRIC_EXPORT_TIMEOUT", "20000"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
        ("OTEL_SERVICE_NAME", "my-agent"),
        (
            "OTEL_SEMCONV_STABILITY_OPT_IN",
            "gen_ai_latest_experimental",
        ),
        ("LIVEKIT_AGENT_ID", "CA_1"),
    ]);
    let s = push(&from_env);
    assert_eq!(
        (s.interval, s.timeout, s.request_timeout),
        (
            Duration::from_millis(1500),
            Duration::from_secs(20),
            Duration::from_secs(2)
        )
    );
    assert!(s.gzip);
    assert_eq!(from_env.conventions, GenAiConventions::LatestExperimental);
    assert_eq!(name(&from_env).as_deref(), Some("my-agent"));
    assert_eq!(
        from_env
            .resource
            .get(&"lk.cloud_agent_id".into())
            .map(|v| v.to_string())
            .as_deref(),
        Some("CA_1")
    );
}

/// `build` returns every error in one value, so that a user fixes them in one go; one error
/// stays itself (the export tests match on single variants).
#[test]
fn build_reports_several_errors_in_one() {
    let err = base()
        .export_interval(Duration::ZERO)
        .export_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    let ExportError::Several { errors } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.len(), 2);
    let text = err.to_string();
    assert!(
        text.starts_with("2 telemetry settings cannot be used: 1) ")
            && text.contains("`export_interval`")
            && text.contains("; 2) ")
            && text.contains("`export_timeout`"),
        "{text}"
    );
    let one = base().export_interval(Duration::ZERO).build().unwrap_err();
    assert!(matches!(one, ExportError::InvalidConfig { .. }), "{one:?}");
}
