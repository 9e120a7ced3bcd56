//! Property test: generated credentials (API secret, the JWT minted from it, header values,
//! passwords and tokens in URLs) never appear in the `Debug`, `Display`, error or log output of
//! any config or exporter type, at any log level, on the success, retry and failure paths.
#![cfg(feature = "otlp")]

use agent_metrics_test_support::export_receiver;
use agent_metrics_test_support::reliability_support;

use std::fmt::{Debug, Display};
use std::net::TcpListener;
use std::time::Duration;

use agent_metrics_core::export::{
    Env, ExportError, LiveKitCloud, ObservabilityTokens, RetryPolicy, Secret, Telemetry,
};
use export_receiver::{Behaviour, Receiver};
use proptest::prelude::*;
use reliability_support::logs;

#[derive(Clone, Debug)]
struct Credentials {
    api_secret: String,
    header: String,
    bearer: String,
    password: String,
    query_token: String,
    retry: bool,
}

fn credentials() -> impl Strategy<Value = Credentials> {
    let value = "[A-Za-z0-9+/=._~-]{16,48}";
    let url_part = "[A-Za-z0-9._~-]{16,32}";
    (value, value, value, url_part, url_part, any::<bool>()).prop_map(
        |(api_secret, header, bearer, password, query_token, retry)| Credentials {
            api_secret,
            header,
            bearer,
            password,
            query_token,
            retry,
        },
    )
}

/// Every printable form of the credentials, and of the JWT minted from the API secret.
fn forbidden(c: &Credentials) -> Vec<String> {
    let token = ObservabilityTokens::new("APIkey", c.api_secret.as_str())
        .current()
        .expose()
        .clone();
    let signature = token.rsplit('.').next().unwrap().to_owned();
    vec![
        c.api_secret.clone(),
        c.header.clone(),
        c.bearer.clone(),
        format!("Bearer {}", c.bearer),
        c.password.clone(),
        c.query_token.clone(),
        token,
        signature,
    ]
}

fn check(text: &str, forbidden: &[String]) -> Result<(), TestCaseError> {
    for secret in forbidden {
        prop_assert!(
            !text.contains(secret.as_str()),
            "`{secret}` shown in: {text}"
        );
    }
    Ok(())
}

fn printed(value: &(impl Debug + Display)) -> String {
    format!("{value:?} {value:#?} {value}")
}

fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// Builds the OTLP and LiveKit Cloud pipelines with `c`'s credentials, exports (to a collector
/// answering 401, and to a closed port), shuts down, and returns everything they printed.
fn exercise(c: &Credentials, collector: &Receiver) -> Vec<String> {
    let mut out = Vec::new();
    let env = Env::from_pairs([
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            format!("authorization=Bearer%20{}", c.bearer),
        ),
        ("LIVEKIT_API_KEY", "APIkey".to_owned()),
        ("LIVEKIT_API_SECRET", c.api_secret.clone()),
    ]);
    out.push(format!("{env:?}"));
    let (scheme, rest) = collector.url().split_once("://").unwrap();
    let url = format!(
        "{scheme}://user:{}@{rest}/v1/metrics?token={}",
        c.password, c.query_token
    );
    let retry = if c.retry {
        RetryPolicy::default()
    } else {
        RetryPolicy::disabled()
    };
    let otlp = Telemetry::builder()
        .env(env.clone())
        .otlp_metrics_endpoint(url)
        .header("x-api-key", c.header.as_str())
        .retry(retry);
    let cloud = LiveKitCloud::new(refused_url(), "APIkey", c.api_secret.as_str());
    out.push(format!("{cloud:?} {:?}", cloud.tokens()));
    let tokens = cloud.tokens();
    let token = tokens.current();
    out.push(format!("{tokens:?} {}", printed(&token)));
    let cloud = Telemetry::builder()
        .env(Env::empty())
        .livekit_cloud(cloud)
        .retry(retry);
    for builder in [otlp, cloud] {
        out.push(format!("{builder:?} {builder:#?}"));
        let telemetry = builder
            .export_interval(Duration::from_secs(3600))
            .export_timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        out.push(format!("{telemetry:?} {}", printed(telemetry.mode())));
        telemetry.meter().u64_counter("c").build().add(1, &[]);
        let flushed = telemetry.force_flush(Duration::from_secs(3));
        out.push(format!("{flushed:?}"));
        if let Err(error) = telemetry.shutdown(Duration::from_millis(300)) {
            out.push(printed(&error));
        }
        out.push(format!("{:?}", telemetry.export_stats()));
    }
    // An unusable header variable is a warning (checked with the other log lines), not an error.
    let warned = Telemetry::builder()
        .env(Env::from_pairs([(
            "OTEL_EXPORTER_OTLP_HEADERS",
            format!("ok={},broken{}", c.header, c.password),
        )]))
        .embedded()
        .build()
        .unwrap();
    out.push(format!("{warned:?}"));
    // Configuration errors that involve the credentials.
    let errors: Vec<ExportError> = vec![
        Telemetry::builder()
            .env(Env::empty())
            .header(format!("bad name {}", c.header), c.bearer.as_str())
            .otlp_endpoint("http://127.0.0.1:1")
            .build()
            .unwrap_err(),
        Telemetry::builder()
            .env(Env::empty())
            .otlp_metrics_endpoint(format!("ftp://u:{}@h/?token={}", c.password, c.query_token))
            .build()
            .unwrap_err(),
    ];
    out.extend(errors.iter().map(printed));
    out.push(printed(&Secret::new(c.api_secret.clone())));
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20))]

    #[test]
    fn generated_credentials_never_show(c in credentials()) {
        let lines = logs();
        let collector = Receiver::spawn(Behaviour::Fail(401, None));
        let forbidden = forbidden(&c);
        for text in exercise(&c, &collector) {
            check(&text, &forbidden)?;
        }
        // The collector did get them: the test would be vacuous otherwise.
        let request = collector.requests().into_iter().next().expect("a request");
        prop_assert_eq!(request.header("x-api-key"), Some(c.header.as_str()));
        // Log lines of every test so far, at every level (the subscriber enables TRACE).
        let lines = lines.lock().unwrap();
        prop_assert!(lines.iter().any(|l| l.text.contains("HTTP 401")));
        for line in lines.iter() {
            check(&line.text, &forbidden)?;
        }
    }
}
