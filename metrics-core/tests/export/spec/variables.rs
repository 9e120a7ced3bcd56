//! Compression and every `OTEL_*` variable, good, bad and empty; the parser family under arbitrary input.

use super::*;

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
