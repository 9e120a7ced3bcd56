//! Export defaults and environment handling as the OpenTelemetry specification asks (issue 13):
//! compression, every `OTEL_*` variable with good, bad and empty values, the parser family under
//! arbitrary input, the headers LiveKit Cloud requests carry whatever the process environment
//! holds, and bounded series on the Prometheus endpoint.
//!
//! Settings come through [`Env`] maps, never the process environment; the one test that needs
//! process variables (the OTLP crate reads some by itself) runs its body in a child process of
//! this binary, so no other test of the binary can see them.
#![cfg(feature = "otlp")]

mod export_receiver;
#[cfg(feature = "prometheus")]
mod fixtures;

use std::fmt::{Debug, Write as _};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_metrics_core::export::{Env, LiveKitCloud, Mode, Protocol, Telemetry, Temporality};
use agent_metrics_core::stall::{ERROR_ENV, Thresholds, WARN_ENV};
use export_receiver::{Behaviour, Receiver, Request, attrs};
use proptest::prelude::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

const WAIT: Duration = Duration::from_secs(10);
const HOUR: Duration = Duration::from_secs(3600);

// --- log capture (scoped to the calling thread, so tests do not see each other's lines) ---

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<(Level, String)>>>);

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl Subscriber for Logs {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut text = Message(String::new());
        event.record(&mut text);
        let level = *event.metadata().level();
        self.0.lock().unwrap().push((level, text.0));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// `f`'s result and the warnings logged on this thread while it ran.
fn warnings<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
    let logs = Logs::default();
    let result = tracing::subscriber::with_default(logs.clone(), f);
    let lines = logs.0.lock().unwrap();
    let warned = lines.iter().filter(|(level, _)| *level == Level::WARN);
    (result, warned.map(|(_, text)| text.clone()).collect())
}

// --- what a build does ---

/// What a telemetry built from an environment does, as far as the tests look.
#[derive(Clone, Debug, PartialEq)]
struct Observed {
    mode: &'static str,
    endpoint: String,
    protocol: Option<Protocol>,
    temporality: Option<Temporality>,
    interval: Option<Duration>,
    timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    gzip: Option<bool>,
    /// Headers of the exported request other than the transport's own, `name=value`.
    headers: Vec<String>,
    /// Resource attributes of the exported request, without `telemetry.sdk.*`.
    resource: Vec<String>,
}

/// Headers every request carries whatever is configured.
const TRANSPORT: [&str; 5] = [
    "host",
    "content-length",
    "accept",
    "user-agent",
    "content-type",
];

fn extra_headers(request: &Request) -> Vec<String> {
    let mut out: Vec<String> = request
        .headers
        .iter()
        .filter(|(name, _)| !TRANSPORT.contains(&name.as_str()))
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    out.sort();
    out
}

fn resource(request: &Request) -> Vec<String> {
    let decoded = request.decode();
    let resource = decoded.resource_metrics[0].resource.clone().unwrap();
    let mut out = attrs(&resource.attributes);
    out.retain(|kv| !kv.starts_with("telemetry.sdk."));
    out
}

/// Builds from `pairs` (with the receiver's URL substituted for `{url}`), records one value,
/// flushes when the endpoint is the receiver's, and returns what happened with the warnings.
fn observe(pairs: &[(&str, &str)]) -> (Observed, Vec<String>) {
    let receiver = Receiver::start();
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.replace("{url}", receiver.url())))
        .collect();
    let (telemetry, warned) = warnings(|| {
        // The default interval (30 s): only the flush exports within a test.
        Telemetry::builder()
            .env(Env::from_pairs(pairs))
            .build()
            .expect("environment values never make build fail")
    });
    let mut observed = Observed {
        mode: "",
        endpoint: String::new(),
        protocol: None,
        temporality: None,
        interval: None,
        timeout: None,
        request_timeout: None,
        gzip: None,
        headers: Vec::new(),
        resource: Vec::new(),
    };
    match telemetry.mode() {
        Mode::Otlp(s) => {
            observed.mode = "otlp";
            observed.endpoint = s.endpoint.clone();
            observed.protocol = Some(s.protocol);
            observed.temporality = Some(s.temporality);
            observed.interval = Some(s.interval);
            observed.timeout = Some(s.timeout);
            observed.request_timeout = Some(s.request_timeout);
            observed.gzip = Some(s.gzip);
        }
        Mode::Disabled => observed.mode = "disabled",
        Mode::Embedded => observed.mode = "embedded",
        other => panic!("unexpected mode {other:?}"),
    }
    if !observed.endpoint.starts_with(receiver.url()) {
        // Nothing listens there (or not ours): do not wait for the final export.
        telemetry.shutdown(Duration::from_millis(200)).ok();
        return (observed, warned);
    }
    telemetry.meter().u64_counter("probe").build().add(1, &[]);
    telemetry.force_flush(WAIT).expect("flush to the receiver");
    let request = receiver.accepted().pop().expect("one export");
    observed.headers = extra_headers(&request);
    observed.resource = resource(&request);
    telemetry.shutdown(WAIT).ok();
    (observed, warned)
}

// --- item 1: compression ---

/// Environment, builder `gzip`, expected `content-encoding`.
type Case = (
    &'static [(&'static str, &'static str)],
    Option<bool>,
    Option<&'static str>,
);

#[test]
fn compression_is_none_by_default_gzip_on_request_and_livekit_cloud_keeps_gzip() {
    let receiver = Receiver::start();
    let otlp = |pairs: &[(&str, &str)], gzip: Option<bool>| {
        let mut pairs = pairs.to_vec();
        pairs.push(("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url()));
        let mut builder = Telemetry::builder()
            .env(Env::from_pairs(pairs))
            .export_interval(HOUR);
        if let Some(gzip) = gzip {
            builder = builder.gzip(gzip);
        }
        builder.build().unwrap()
    };
    let cases: [Case; 7] = [
        (&[], None, None),
        (
            &[("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")],
            None,
            Some("gzip"),
        ),
        (
            &[("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "GZIP")],
            None,
            Some("gzip"),
        ),
        (
            &[
                ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
                ("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "none"),
            ],
            None,
            None,
        ),
        (&[], Some(true), Some("gzip")),
        (
            &[("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")],
            Some(false),
            None,
        ),
        (&[("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd")], None, None),
    ];
    let count = cases.len();
    for (i, (pairs, gzip, encoding)) in cases.into_iter().enumerate() {
        let telemetry = otlp(pairs, gzip);
        telemetry
            .meter()
            .u64_counter("c")
            .build()
            .add(i as u64 + 1, &[]);
        telemetry.force_flush(WAIT).unwrap();
        telemetry.shutdown(WAIT).unwrap();
        let request = receiver.accepted().pop().unwrap();
        assert_eq!(
            request.header("content-encoding"),
            encoding,
            "{pairs:?} {gzip:?}"
        );
        // The body is what the header says: decode() gunzips only when told.
        let decoded = request.decode();
        assert!(!decoded.resource_metrics.is_empty(), "{pairs:?}");
    }
    assert_eq!(receiver.accepted().len(), count);

    // LiveKit Cloud gzips, whatever the compression variables (meant for the user's collector).
    let cloud_receiver = Receiver::start();
    let telemetry = Telemetry::builder()
        .env(Env::from_pairs([(
            "OTEL_EXPORTER_OTLP_COMPRESSION",
            "none",
        )]))
        .livekit_cloud(LiveKitCloud::new(cloud_receiver.url(), "APIkey", "secret"))
        .export_interval(HOUR)
        .build()
        .unwrap();
    let Mode::LiveKitCloud(settings) = telemetry.mode() else {
        panic!("{:?}", telemetry.mode())
    };
    assert!(settings.gzip);
    telemetry.meter().u64_counter("c").build().add(1, &[]);
    telemetry.shutdown(WAIT).unwrap();
    let request = cloud_receiver.accepted().pop().unwrap();
    assert_eq!(request.path, "/observability/metrics/otlp/v0");
    assert_eq!(request.header("content-encoding"), Some("gzip"));
    assert!(!request.decode().resource_metrics.is_empty());
}

// --- item 2: every variable, good, bad and empty ---

/// One variable: a good value and how it shows, and an unusable value (`None`: every value is
/// usable). Values may contain `{url}`, the receiver's URL.
struct Row {
    var: &'static str,
    good: &'static str,
    check: fn(&Observed) -> bool,
    bad: Option<&'static str>,
}

const SECRET: &str = "s3cr3t-value";

const fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            var: "OTEL_SDK_DISABLED",
            good: "TRUE",
            check: |o| o.mode == "disabled",
            bad: Some("yes"),
        },
        Row {
            var: "OTEL_EXPORTER_OTLP_ENDPOINT",
            good: "{url}/base",
            check: |o| o.endpoint.ends_with("/base/v1/metrics") && o.headers.is_empty(),
            bad: Some("collector:4318"),
        },
        Row {
            var: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            good: "{url}/custom",
            check: |o| o.endpoint.ends_with("/custom") && !o.resource.is_empty(),
            bad: Some("ftp://{url}"),
        },
        Row {
            var: "OTEL_EXPORTER_OTLP_HEADERS",
            good: "x-tenant=acme%20corp",
            check: |o| o.headers == ["x-tenant=acme corp"],
            bad: Some("x-tenant=s3cr3t-value,broken"),
        },
        Row {
            var: "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
            good: "x-key=s3cr3t-value",
            check: |o| o.headers == [format!("x-key={SECRET}")],
            bad: Some("bad name=s3cr3t-value"),
        },
        Row {
            var: "OTEL_EXPORTER_OTLP_PROTOCOL",
            good: "HTTP/protobuf",
            check: |o| o.protocol == Some(Protocol::HttpProtobuf) && !o.resource.is_empty(),
            bad: Some("http/json"),
        },
        Row {
            var: "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
            good: "http/protobuf",
            check: |o| o.protocol == Some(Protocol::HttpProtobuf) && !o.resource.is_empty(),
            bad: Some("udp"),
        },
        Row {
            var: "OTEL_EXPORTER_OTLP_TIMEOUT",
            good: "2500",
            check: |o| o.timeout == Some(ms(2500)) && o.request_timeout == Some(ms(2500)),
            bad: Some("2.5s"),
        },
        Row {
            var: "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
            good: "1500",
            check: |o| o.timeout == Some(ms(1500)) && o.request_timeout == Some(ms(1500)),
            bad: Some("-1"),
        },
        Row {
            var: "OTEL_METRIC_EXPORT_TIMEOUT",
            good: "30000",
            check: |o| o.timeout == Some(ms(30_000)) && o.request_timeout == Some(ms(10_000)),
            bad: Some("0"),
        },
        Row {
            var: "OTEL_EXPORTER_OTLP_COMPRESSION",
            good: "gzip",
            check: |o| o.gzip == Some(true) && o.headers == ["content-encoding=gzip"],
            bad: Some("zstd"),
        },
        Row {
            var: "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
            good: "Gzip",
            check: |o| o.gzip == Some(true) && o.headers == ["content-encoding=gzip"],
            bad: Some("brotli"),
        },
        Row {
            var: "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            good: "Cumulative",
            check: |o| o.temporality == Some(Temporality::Cumulative),
            bad: Some("sometimes"),
        },
        Row {
            var: "OTEL_METRIC_EXPORT_INTERVAL",
            good: "1500",
            check: |o| o.interval == Some(ms(1500)),
            bad: Some("30s"),
        },
        Row {
            var: "OTEL_RESOURCE_ATTRIBUTES",
            good: "deployment.environment=prod,team=voice%20ai",
            check: |o| {
                o.resource
                    .contains(&"deployment.environment=prod".to_owned())
                    && o.resource.contains(&"team=voice ai".to_owned())
            },
            bad: Some("deployment.environment=prod,s3cr3t-value"),
        },
        Row {
            var: "OTEL_SERVICE_NAME",
            good: "my-agent",
            check: |o| o.resource.contains(&"service.name=my-agent".to_owned()),
            bad: None,
        },
    ]
}

#[test]
fn every_variable_with_good_bad_and_empty_values() {
    let base = ("OTEL_EXPORTER_OTLP_ENDPOINT", "{url}");
    let with = |var: &'static str, value: &'static str| -> Vec<(&'static str, &'static str)> {
        if var == base.0 {
            vec![(var, value)]
        } else {
            vec![base, (var, value)]
        }
    };
    let (defaults, warned) = observe(&[base]);
    assert!(warned.is_empty(), "{warned:?}");
    // The specification's defaults (and ours: delta, 30 s).
    assert_eq!(defaults.mode, "otlp");
    assert_eq!(defaults.protocol, Some(Protocol::HttpProtobuf));
    assert_eq!(defaults.gzip, Some(false));
    assert_eq!(defaults.temporality, Some(Temporality::Delta));
    assert_eq!(defaults.interval, Some(Duration::from_secs(30)));
    assert_eq!(defaults.timeout, Some(Duration::from_secs(10)));
    assert_eq!(defaults.request_timeout, Some(Duration::from_secs(10)));
    assert!(defaults.headers.is_empty(), "{:?}", defaults.headers);
    assert!(
        defaults
            .resource
            .contains(&"service.name=livekit-agents".to_owned())
    );
    // Receiver ports differ between runs: compare everything but the endpoint.
    let same = |a: &Observed, b: &Observed| {
        let strip = |o: &Observed| Observed {
            endpoint: String::new(),
            ..o.clone()
        };
        strip(a) == strip(b)
    };

    let mut checked = 0;
    for row in rows() {
        let (good, warned) = observe(&with(row.var, row.good));
        assert!((row.check)(&good), "{}={}: {good:?}", row.var, row.good);
        assert!(warned.is_empty(), "{}: {warned:?}", row.var);

        for empty in ["", "  "] {
            let (observed, warned) = observe(&with(row.var, empty));
            if row.var == base.0 {
                // Blank is unset: no endpoint at all, so the embedded reader.
                assert_eq!(observed.mode, "embedded");
            } else {
                assert!(
                    same(&observed, &defaults),
                    "{}={empty:?}: {observed:?}",
                    row.var
                );
            }
            assert!(warned.is_empty(), "{}: {warned:?}", row.var);
        }

        let Some(bad) = row.bad else { continue };
        let (observed, warned) = observe(&with(row.var, bad));
        assert_eq!(
            warned.len(),
            1,
            "{}={bad}: one warning, got {warned:?}",
            row.var
        );
        let warning = &warned[0];
        assert!(
            warning.contains(row.var) && warning.contains("default"),
            "{warning}"
        );
        assert!(!warning.contains(SECRET), "{warning}");
        if row.var == base.0 {
            // No usable endpoint: the specification's default one, still exporting.
            assert_eq!(observed.mode, "otlp");
            assert_eq!(observed.endpoint, "http://localhost:4318/v1/metrics");
        } else {
            assert!(
                same(&observed, &defaults),
                "{}={bad}: {observed:?}",
                row.var
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 15);
}

#[test]
fn the_signal_specific_variable_wins_and_a_bad_one_falls_back_to_the_generic_one() {
    let base = ("OTEL_EXPORTER_OTLP_ENDPOINT", "{url}");
    let (o, warned) = observe(&[
        base,
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "3000"),
        ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "soon"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-generic=1"),
        ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "x-metrics=2"),
    ]);
    assert_eq!(o.timeout, Some(Duration::from_secs(3)));
    assert_eq!(o.headers, ["x-metrics=2"]);
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(
        warned[0].contains("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT"),
        "{warned:?}"
    );

    // The export budget and the request timeout together.
    let (o, _) = observe(&[
        base,
        ("OTEL_METRIC_EXPORT_TIMEOUT", "20000"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"),
    ]);
    assert_eq!(o.timeout, Some(Duration::from_secs(20)));
    assert_eq!(o.request_timeout, Some(Duration::from_secs(2)));
}

/// `OTEL_METRIC_EXPORT_TIMEOUT` bounds a real export: against a collector that never answers, the
/// flush fails after about that long, not after the 10 s default.
#[test]
fn the_metric_export_timeout_bounds_an_export() {
    let receiver = Receiver::black_hole();
    let telemetry = Telemetry::builder()
        .env(Env::from_pairs([
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url()),
            ("OTEL_METRIC_EXPORT_TIMEOUT", "1200"),
        ]))
        .export_interval(HOUR)
        .build()
        .unwrap();
    telemetry.meter().u64_counter("c").build().add(1, &[]);
    let start = Instant::now();
    let result = telemetry.force_flush(Duration::from_secs(8));
    let elapsed = start.elapsed();
    assert!(result.is_err(), "{result:?}");
    println!("black-holed export with OTEL_METRIC_EXPORT_TIMEOUT=1200 failed after {elapsed:?}");
    assert!(
        elapsed >= Duration::from_millis(1000) && elapsed < Duration::from_secs(4),
        "{elapsed:?}"
    );
    receiver.set(Behaviour::Accept);
    telemetry.shutdown(Duration::from_secs(3)).ok();
}

#[test]
fn a_huge_stall_threshold_is_warned_about_not_a_panic() {
    let lookup = |value: &'static str| {
        move |key: &str| {
            [WARN_ENV, ERROR_ENV]
                .contains(&key)
                .then(|| value.to_owned())
        }
    };
    let (thresholds, warned) = warnings(|| Thresholds::from_lookup(lookup("1e30")));
    assert_eq!(thresholds, Some(Thresholds::DEFAULT));
    assert_eq!(warned.len(), 2, "{warned:?}");
    assert!(
        warned[0].contains(WARN_ENV) && warned[1].contains(ERROR_ENV),
        "{warned:?}"
    );
    // The largest value that fits is still a threshold.
    let (thresholds, warned) = warnings(|| Thresholds::from_lookup(lookup("1e15")));
    assert_eq!(
        thresholds.unwrap().warn,
        Duration::from_secs(1_000_000_000_000)
    );
    assert!(warned.is_empty(), "{warned:?}");
}

/// Every variable the crate reads.
const VARIABLES: [&str; 25] = [
    "OTEL_SDK_DISABLED",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
    "OTEL_METRIC_EXPORT_TIMEOUT",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
    "OTEL_METRIC_EXPORT_INTERVAL",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_SERVICE_NAME",
    "LIVEKIT_OBSERVABILITY_URL",
    "LIVEKIT_URL",
    "LIVEKIT_API_KEY",
    "LIVEKIT_API_SECRET",
    "LIVEKIT_AGENT_ID",
    "LIVEKIT_AGENT_DEPLOYMENT",
    WARN_ENV,
    ERROR_ENV,
    // Not a variable: a value for every variable at once.
    "*",
];

fn numberish() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,40}",
        any::<f64>().prop_map(|f| f.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        "-?[0-9]{1,400}(\\.[0-9]{0,20})?(e-?[0-9]{1,5})?",
        "(%[0-9a-fA-F+-]{0,2}|[a-z=,;:/ ]){0,30}",
        "(http|https|ftp)://[a-z@:%\\[\\]0-9./?#-]{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// No value of any variable makes the parsers panic or the build fail (embedded, so that no
    /// value sends anything anywhere; every variable is still read and parsed).
    #[test]
    fn arbitrary_values_never_panic_or_fail_the_build(var in 0..VARIABLES.len(), value in numberish()) {
        let name = VARIABLES[var];
        let value_for = value.clone();
        let env = Env::from_fn(move |key| (name == "*" || key == name).then(|| value_for.clone()));
        let telemetry = Telemetry::builder().env(env.clone()).embedded().build();
        let telemetry = telemetry.unwrap();
        prop_assert!(matches!(telemetry.mode(), Mode::Embedded | Mode::Disabled));
        telemetry.shutdown(Duration::from_secs(1)).unwrap();
        // LiveKit Cloud's reading of the same environment: a value or a clear error.
        let _ = LiveKitCloud::from_env(&env);
        let thresholds = Thresholds::from_lookup(|key| env.get(key));
        if let Some(t) = thresholds {
            prop_assert!(t.warn >= Thresholds::MIN_WARN && t.error >= t.warn);
        }
    }
}

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

// --- bounded series on cumulative OTLP too (what Prometheus' own OTLP receiver needs) ---

/// Data points of `name` in `request`, as (attributes, count) of a histogram.
fn histogram_points(request: &Request, name: &str) -> Vec<(Vec<String>, u64)> {
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    let mut out = Vec::new();
    for rm in request.decode().resource_metrics {
        for sm in rm.scope_metrics {
            for m in sm.metrics.into_iter().filter(|m| m.name == name) {
                let Some(Data::Histogram(h)) = m.data else {
                    panic!("{name} is not a histogram")
                };
                assert_eq!(h.aggregation_temporality, 2, "cumulative");
                out.extend(
                    h.data_points
                        .iter()
                        .map(|p| (attrs(&p.attributes), p.count)),
                );
            }
        }
    }
    out
}

fn turns(telemetry: &Telemetry, jobs: usize) {
    use agent_metrics_core::MetricsRecorder;
    use agent_metrics_core::job::Job;
    use agent_metrics_core::schema::MetricsReport;
    let recorder = MetricsRecorder::new(telemetry.meter());
    for i in 0..jobs {
        let _in_job = Job::new(format!("RM_{i}"), format!("AJ_{i}")).enter();
        recorder.record(&MetricsReport {
            e2e_latency: Some(0.7),
            ..Default::default()
        });
    }
}

/// With cumulative temporality (as Prometheus' OTLP receiver needs), 3,000 jobs (more than the
/// SDK's default cardinality limit of 2,000) export one series, with every turn counted and no
/// overflow series; the per-job ids come back with `cumulative_job_attributes(true)`.
#[test]
fn cumulative_otlp_keeps_one_series_per_instrument_whatever_the_number_of_jobs() {
    const JOBS: usize = 3_000;
    let receiver = Receiver::start();
    let env = Env::from_pairs([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url()),
        (
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            "cumulative",
        ),
    ]);
    let telemetry = Telemetry::builder()
        .env(env.clone())
        .export_interval(HOUR)
        .build()
        .unwrap();
    turns(&telemetry, JOBS);
    telemetry.force_flush(WAIT).unwrap();
    telemetry.shutdown(WAIT).unwrap();
    let request = receiver.accepted().pop().unwrap();
    let points = histogram_points(&request, "lk.agents.turn.e2e_latency");
    println!("cumulative OTLP after {JOBS} jobs: {points:?}");
    assert_eq!(points, [(Vec::<String>::new(), JOBS as u64)]);

    let receiver = Receiver::start();
    let env = Env::from_pairs([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url()),
        (
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            "cumulative",
        ),
    ]);
    let telemetry = Telemetry::builder()
        .env(env)
        .cumulative_job_attributes(true)
        .export_interval(HOUR)
        .build()
        .unwrap();
    turns(&telemetry, 10);
    telemetry.shutdown(WAIT).unwrap();
    let request = receiver.accepted().pop().unwrap();
    let points = histogram_points(&request, "lk.agents.turn.e2e_latency");
    assert_eq!(points.len(), 10);
    assert!(
        points
            .iter()
            .all(|(a, _)| a.iter().any(|kv| kv.starts_with("job_id=AJ_")))
    );
}

// --- item 6 of issue 13: bounded series on the Prometheus endpoint ---

#[cfg(feature = "prometheus")]
mod pull {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::time::{Duration, Instant};

    use agent_metrics_core::MetricsRecorder;
    use agent_metrics_core::export::{Env, PER_JOB_KEYS, Telemetry};
    use agent_metrics_core::job::Job;
    use agent_metrics_core::schema::{Metadata, MetricsReport, TTSMetrics};

    use super::export_receiver::{Receiver, attrs, metrics};
    use super::fixtures;
    use super::{HOUR, WAIT};

    fn scrape(addr: SocketAddr) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        write!(
            stream,
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        body.to_owned()
    }

    /// The series lines of a scrape (`name{labels} value`), without comments.
    fn series(body: &str) -> Vec<&str> {
        body.lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    }

    /// One job: a TTS request and a turn, as a session records them.
    fn run_job(recorder: &MetricsRecorder, i: usize) {
        let job = Job::new(format!("RM_{i}"), format!("AJ_{i}")).agent_name("support");
        let _in_job = job.enter();
        let provider = if i.is_multiple_of(2) {
            "cartesia"
        } else {
            "elevenlabs"
        };
        recorder.record(&TTSMetrics {
            characters_count: 10,
            audio_duration: 1.0,
            ..fixtures::tts(Some(Metadata::new(provider, "sonic-2")))
        });
        recorder.record(&MetricsReport {
            e2e_latency: Some(0.5 + (i % 7) as f64 / 10.0),
            ..Default::default()
        });
    }

    /// 10,000 jobs in one worker: `/metrics` keeps the series count of the first jobs, with no
    /// job label and no overflow series, while the OTLP delta exports carry every job's ids.
    #[test]
    fn ten_thousand_jobs_keep_a_bounded_number_of_series_on_metrics() {
        const JOBS: usize = 10_000;
        let receiver = Receiver::start();
        let telemetry = Telemetry::builder()
            .env(Env::from_pairs([(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                receiver.url(),
            )]))
            .prometheus("127.0.0.1:0".parse().unwrap())
            .export_interval(HOUR)
            .build()
            .unwrap();
        let addr = telemetry.prometheus_addr().unwrap();
        let recorder = MetricsRecorder::new(telemetry.meter());
        let start = Instant::now();
        let mut after_10 = 0;
        for i in 0..JOBS {
            run_job(&recorder, i);
            if i == 9 {
                after_10 = series(&scrape(addr)).len();
            }
            // The push side exports every 1,000 jobs, as a delta interval would.
            if i % 1000 == 999 {
                telemetry.force_flush(WAIT).unwrap();
            }
        }
        let elapsed = start.elapsed();
        let body = scrape(addr);
        let lines = series(&body);
        if std::env::var_os("SHOW_SCRAPE").is_some() {
            println!("{body}");
        }
        println!(
            "{JOBS} jobs in {elapsed:?}: {} series on /metrics ({after_10} after 10 jobs), {} bytes",
            lines.len(),
            body.len()
        );
        assert!(after_10 > 0);
        assert_eq!(lines.len(), after_10, "series grew with the jobs");
        for key in PER_JOB_KEYS {
            let label = key.replace('.', "_");
            assert!(!body.contains(&format!("{label}=")), "{label} on /metrics");
        }
        assert!(!body.contains("overflow"), "overflow series on /metrics");
        assert!(
            body.contains("lk_agent_name=\"support\""),
            "bounded job attributes stay"
        );
        // The values are all there: every job's characters (split between the two providers)
        // and every turn.
        let total = |prefix: &str| -> f64 {
            let matching = lines.iter().filter(|l| l.starts_with(prefix));
            matching
                .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
                .sum()
        };
        let characters = total("lk_agents_usage_tts_characters_total{");
        assert_eq!(characters, 10.0 * JOBS as f64, "{body}");
        let turns = total("lk_agents_turn_e2e_latency_seconds_count{");
        assert_eq!(turns, JOBS as f64, "{body}");

        // OTLP (delta) keeps per-job attribution: every job's id arrived, no overflow.
        telemetry.shutdown(WAIT).unwrap();
        let exported = metrics(&receiver.accepted());
        let mut jobs = std::collections::BTreeSet::new();
        for (_, metric) in &exported {
            if let Some(opentelemetry_proto::tonic::metrics::v1::metric::Data::Histogram(h)) =
                &metric.data
            {
                for point in &h.data_points {
                    let attrs = attrs(&point.attributes);
                    assert!(!attrs.iter().any(|a| a.contains("overflow")), "{attrs:?}");
                    jobs.extend(attrs.into_iter().filter(|a| a.starts_with("job_id=")));
                }
            }
        }
        assert_eq!(jobs.len(), JOBS);
    }

    /// With the opt-in, `/metrics` has per-job series again (for a process that runs one job).
    #[test]
    fn job_attributes_on_metrics_are_an_opt_in() {
        let telemetry = Telemetry::builder()
            .env(Env::empty())
            .prometheus("127.0.0.1:0".parse().unwrap())
            .cumulative_job_attributes(true)
            .build()
            .unwrap();
        let recorder = MetricsRecorder::new(telemetry.meter());
        let addr = telemetry.prometheus_addr().unwrap();
        run_job(&recorder, 0);
        let one = series(&scrape(addr)).len();
        for i in 1..10 {
            run_job(&recorder, i);
        }
        let body = scrape(addr);
        assert!(body.contains("job_id=\"AJ_9\"") && body.contains("room_id=\"RM_9\""));
        assert!(
            series(&body).len() > one * 5,
            "{one} then {}",
            series(&body).len()
        );
        telemetry.shutdown(Duration::from_secs(2)).unwrap();
    }

    /// Bound instruments (the `bound` feature) go through the same split.
    #[cfg(feature = "bound")]
    #[test]
    fn bound_instruments_drop_the_job_attributes_on_metrics_too() {
        use agent_metrics_core::opentelemetry::KeyValue;
        let receiver = Receiver::start();
        let telemetry = Telemetry::builder()
            .env(Env::from_pairs([(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                receiver.url(),
            )]))
            .prometheus("127.0.0.1:0".parse().unwrap())
            .export_interval(HOUR)
            .build()
            .unwrap();
        let counter = telemetry.meter().u64_counter("bound.requests").build();
        for job in 0..50 {
            let attrs = [
                KeyValue::new("job_id", format!("AJ_{job}")),
                KeyValue::new("route", "/a"),
            ];
            counter.bind(&attrs).add(2);
        }
        let body = scrape(telemetry.prometheus_addr().unwrap());
        let lines: Vec<_> = series(&body)
            .into_iter()
            .filter(|l| l.starts_with("bound_requests"))
            .collect();
        assert_eq!(lines.len(), 1, "{body}");
        assert!(
            lines[0].contains("route=\"/a\"") && lines[0].ends_with(" 100"),
            "{body}"
        );
        telemetry.shutdown(WAIT).unwrap();
        let exported = metrics(&receiver.accepted());
        let (_, metric) = exported
            .iter()
            .find(|(_, m)| m.name == "bound.requests")
            .unwrap();
        let Some(opentelemetry_proto::tonic::metrics::v1::metric::Data::Sum(sum)) = &metric.data
        else {
            panic!("{metric:?}")
        };
        assert_eq!(sum.data_points.len(), 50, "OTLP keeps one series per job");
    }
}

// --- item 4 of issue 13: gRPC with no runtime, on a current-thread and a multi-thread runtime ---

/// End to end against a receiver the project did not write: the OpenTelemetry collector service
/// generated by opentelemetry-proto, served by tonic's HTTP/2 server on 127.0.0.1.
#[cfg(feature = "grpc")]
pub(crate) mod grpc {
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use agent_metrics_core::export::{Env, Mode, Protocol, Telemetry};
    use agent_metrics_core::opentelemetry::KeyValue;
    use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
        MetricsService, MetricsServiceServer,
    };
    use opentelemetry_proto::tonic::collector::metrics::v1::{
        ExportMetricsServiceRequest, ExportMetricsServiceResponse,
    };
    use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
    use tokio::sync::oneshot;

    use super::{HOUR, WAIT};

    type Received = Arc<Mutex<Vec<(Vec<(String, String)>, ExportMetricsServiceRequest)>>>;

    #[derive(Clone, Default)]
    struct Collector(Received);

    #[tonic::async_trait]
    impl MetricsService for Collector {
        async fn export(
            &self,
            request: tonic::Request<ExportMetricsServiceRequest>,
        ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
            let metadata = request.metadata().clone().into_headers();
            let headers = metadata
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                .collect();
            self.0.lock().unwrap().push((headers, request.into_inner()));
            Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
        }
    }

    /// The receiver, on a thread and runtime of its own; stopped on drop.
    pub(crate) struct Server {
        pub(crate) addr: SocketAddr,
        received: Received,
        stop: Option<oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl Server {
        pub(crate) fn start() -> Self {
            let collector = Collector::default();
            let received = Arc::clone(&collector.0);
            let (addr_tx, addr_rx) = std::sync::mpsc::channel();
            let (stop, stopped) = oneshot::channel::<()>();
            let thread = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let addr = SocketAddr::from(([127, 0, 0, 1], 0));
                    let incoming = tonic::transport::server::TcpIncoming::bind(addr).unwrap();
                    addr_tx.send(incoming.local_addr().unwrap()).unwrap();
                    tonic::transport::Server::builder()
                        .serve_with_incoming_shutdown(
                            // As a collector does: gzip accepted, not required.
                            MetricsServiceServer::new(collector)
                                .accept_compressed(tonic::codec::CompressionEncoding::Gzip),
                            incoming,
                            async move {
                                let _ = stopped.await;
                            },
                        )
                        .await
                        .unwrap();
                });
            });
            let addr = addr_rx
                .recv_timeout(WAIT)
                .expect("the gRPC receiver starts");
            Server {
                addr,
                received,
                stop: Some(stop),
                thread: Some(thread),
            }
        }

        pub(crate) fn received(&self) -> Vec<(Vec<(String, String)>, ExportMetricsServiceRequest)> {
            self.received.lock().unwrap().clone()
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            if let Some(stop) = self.stop.take() {
                let _ = stop.send(());
            }
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }

    /// Sum of the integer points of `name` in `request`, with their job attribution checked.
    fn counter_total(request: &ExportMetricsServiceRequest, name: &str) -> Option<i64> {
        let mut total = None;
        for rm in &request.resource_metrics {
            for sm in &rm.scope_metrics {
                for m in sm.metrics.iter().filter(|m| m.name == name) {
                    let Some(metric::Data::Sum(sum)) = &m.data else {
                        panic!("{name} is not a sum")
                    };
                    assert_eq!(sum.aggregation_temporality, 1, "delta");
                    for p in &sum.data_points {
                        if let Some(number_data_point::Value::AsInt(v)) = p.value {
                            *total.get_or_insert(0) += v;
                        }
                    }
                }
            }
        }
        total
    }

    #[derive(Clone, Copy, Debug)]
    enum Setting {
        NoRuntime,
        CurrentThread,
        MultiThread,
    }

    /// Builds, records, flushes, records again and shuts down, all from the caller's context
    /// (inside the runtime's `block_on` for the runtime settings: a flush or shutdown there
    /// blocks the runtime's thread, the case that deadlocked a current-thread runtime).
    fn session(addr: SocketAddr) -> (Duration, Duration) {
        let env = Env::from_pairs([
            ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{addr}")),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_owned()),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=acme".to_owned()),
        ]);
        let telemetry = Telemetry::builder()
            .env(env)
            .export_interval(HOUR)
            .build()
            .expect("gRPC builds in every setting");
        let Mode::Otlp(settings) = telemetry.mode() else {
            panic!("{:?}", telemetry.mode())
        };
        assert_eq!(settings.protocol, Protocol::Grpc);
        let counter = telemetry.meter().u64_counter("grpc.requests").build();
        let latency = telemetry.meter().f64_histogram("grpc.latency").build();
        counter.add(3, &[KeyValue::new("route", "/a")]);
        latency.record(0.25, &[]);
        let start = Instant::now();
        telemetry.force_flush(WAIT).expect("flush");
        let flushed = start.elapsed();
        counter.add(4, &[KeyValue::new("route", "/a")]);
        let start = Instant::now();
        telemetry.shutdown(WAIT).expect("shutdown");
        (flushed, start.elapsed())
    }

    #[test]
    fn grpc_delivers_with_no_runtime_and_on_current_and_multi_thread_runtimes() {
        for setting in [
            Setting::NoRuntime,
            Setting::CurrentThread,
            Setting::MultiThread,
        ] {
            let server = Server::start();
            let addr = server.addr;
            let (flushed, shut) = match setting {
                Setting::NoRuntime => session(addr),
                Setting::CurrentThread => tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(async move { session(addr) }),
                Setting::MultiThread => tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(async move { session(addr) }),
            };
            println!("gRPC {setting:?}: flush {flushed:?}, shutdown {shut:?}");
            let received = server.received();
            assert_eq!(
                received.len(),
                2,
                "{setting:?}: one export per flush and at shutdown"
            );
            let totals: Vec<_> = received
                .iter()
                .map(|(_, r)| counter_total(r, "grpc.requests"))
                .collect();
            assert_eq!(totals, [Some(3), Some(4)], "{setting:?}: delta values");
            let first = &received[0].1;
            let names: Vec<&str> = first.resource_metrics[0].scope_metrics[0]
                .metrics
                .iter()
                .map(|m| m.name.as_str())
                .collect();
            assert!(names.contains(&"grpc.latency"), "{setting:?}: {names:?}");
            let headers = &received[0].0;
            assert!(
                headers.iter().any(|(k, v)| k == "x-tenant" && v == "acme"),
                "{setting:?}: {headers:?}"
            );
            assert!(flushed < WAIT && shut < WAIT, "{setting:?}");
        }
    }
}
