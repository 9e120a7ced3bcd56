//! LiveKit Cloud export: endpoint, Bearer JWT checked with the secret at a local receiver, token
//! refresh, and the credential errors.
#![cfg(feature = "otlp")]

use agent_metrics_test_support::export_receiver;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_metrics_core::export::{
    Env, ExportError, LiveKitCloud, Mode, ObservabilityTokens, Protocol, Telemetry, Temporality,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use export_receiver::{Receiver, metrics};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

const API_KEY: &str = "APIkey123";
const API_SECRET: &str = "cloud-secret-that-signs";
const WAIT: Duration = Duration::from_secs(10);

/// Verifies an HS256 JWT with `secret`; returns (header, claims).
fn verify(token: &str, secret: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWS has three parts");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    let signature = URL_SAFE_NO_PAD
        .decode(parts[2])
        .expect("base64url signature");
    mac.verify_slice(&signature)
        .expect("signature verifies with the API secret");
    let json = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    (json(parts[0]), json(parts[1]))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn check_claims(claims: &Value) {
    assert_eq!(claims["iss"], API_KEY);
    assert_eq!(claims["observability"]["write"], true);
    let (iat, nbf, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["nbf"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert_eq!(exp - iat, 6 * 3600);
    assert_eq!(nbf, iat);
    assert!(iat.abs_diff(now()) < 120, "iat is now");
}

#[test]
fn exports_to_the_observability_url_with_a_valid_bearer_jwt() {
    let receiver = Receiver::start();
    let env = Env::from_pairs([
        ("LIVEKIT_OBSERVABILITY_URL", receiver.url()),
        ("LIVEKIT_URL", "wss://ignored.livekit.cloud"),
        ("LIVEKIT_API_KEY", API_KEY),
        ("LIVEKIT_API_SECRET", API_SECRET),
    ]);
    let telemetry = Telemetry::builder()
        .env(env)
        .export_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    let Mode::LiveKitCloud(settings) = telemetry.mode() else {
        panic!("{:?}", telemetry.mode())
    };
    let endpoint = format!("{}/observability/metrics/otlp/v0", receiver.url());
    assert_eq!(settings.endpoint, endpoint);
    assert_eq!(settings.protocol, Protocol::HttpProtobuf);
    assert_eq!(settings.temporality, Temporality::Delta);

    let counter = telemetry
        .meter()
        .u64_counter("lk.agents.usage.tts_characters")
        .build();
    counter.add(7, &[]);
    telemetry.force_flush(WAIT).unwrap();
    counter.add(1, &[]);
    telemetry.shutdown(WAIT).unwrap();

    let requests = receiver.wait_for(WAIT, |r| r.len() >= 2);
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.path, "/observability/metrics/otlp/v0");
        assert_eq!(request.header("content-encoding"), Some("gzip"));
        let auth = request
            .header("authorization")
            .expect("authorization header");
        let token = auth.strip_prefix("Bearer ").expect("Bearer scheme");
        let (header, claims) = verify(token, API_SECRET);
        assert_eq!(header["alg"], "HS256");
        check_claims(&claims);
    }
    assert_eq!(metrics(&requests).len(), 2);
}

#[test]
fn livekit_cloud_urls_map_to_https_hosts() {
    for (url, expected) in [
        (
            "wss://my-app-x1.livekit.cloud",
            Some("https://my-app-x1.livekit.cloud"),
        ),
        (
            "https://Agent.Staging.LiveKit.Run:443/rtc",
            Some("https://agent.staging.livekit.run"),
        ),
        ("ws://localhost:7880", None),
        ("wss://livekit.cloud.example.com", None),
    ] {
        assert_eq!(
            LiveKitCloud::observability_url_for(url).as_deref(),
            expected,
            "{url}"
        );
    }
    let env = Env::from_pairs([
        ("LIVEKIT_URL", "wss://my-app.livekit.cloud"),
        ("LIVEKIT_API_KEY", API_KEY),
        ("LIVEKIT_API_SECRET", API_SECRET),
    ]);
    let telemetry = Telemetry::builder().env(env).build().unwrap();
    let Mode::LiveKitCloud(settings) = telemetry.mode() else {
        panic!()
    };
    assert_eq!(
        settings.endpoint,
        "https://my-app.livekit.cloud/observability/metrics/otlp/v0"
    );
    assert_eq!(settings.interval, Duration::from_secs(30));
    // Self-hosted LiveKit without LIVEKIT_OBSERVABILITY_URL: no cloud export.
    let env = Env::from_pairs([
        ("LIVEKIT_URL", "ws://localhost:7880"),
        ("LIVEKIT_API_KEY", API_KEY),
    ]);
    let telemetry = Telemetry::builder().env(env).build().unwrap();
    assert_eq!(telemetry.mode(), &Mode::Embedded);
}

#[test]
fn the_otlp_variables_win_over_livekit_cloud() {
    let env = Env::from_pairs([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
        ("LIVEKIT_URL", "wss://my-app.livekit.cloud"),
    ]);
    let telemetry = Telemetry::builder().env(env).build().unwrap();
    assert!(
        matches!(telemetry.mode(), Mode::Otlp(_)),
        "{:?}",
        telemetry.mode()
    );
}

#[test]
fn missing_credentials_and_bad_urls_are_builder_errors() {
    let cases = [
        (
            vec![("LIVEKIT_OBSERVABILITY_URL", "https://o.example")],
            "LIVEKIT_API_KEY",
        ),
        (
            vec![
                ("LIVEKIT_URL", "wss://a.livekit.cloud"),
                ("LIVEKIT_API_KEY", API_KEY),
            ],
            "LIVEKIT_API_SECRET",
        ),
    ];
    for (pairs, var) in cases {
        let err = Telemetry::builder()
            .env(Env::from_pairs(pairs))
            .build()
            .unwrap_err();
        assert!(
            matches!(err, ExportError::MissingCredential { var: v, .. } if v == var),
            "{err:?}"
        );
        assert!(err.to_string().contains(var) && err.to_string().contains("LiveKit Cloud"));
    }
    let no_secret = LiveKitCloud::new("https://o.example", API_KEY, "");
    let err = Telemetry::builder()
        .env(Env::empty())
        .livekit_cloud(no_secret)
        .build();
    assert!(matches!(
        err,
        Err(ExportError::MissingCredential {
            var: "LIVEKIT_API_SECRET",
            ..
        })
    ));

    let bad_url = LiveKitCloud::new("o.example", API_KEY, API_SECRET);
    let err = Telemetry::builder()
        .env(Env::empty())
        .livekit_cloud(bad_url)
        .build()
        .unwrap_err();
    assert!(
        matches!(err, ExportError::InvalidEndpoint { .. }),
        "{err:?}"
    );
    let env = Env::from_pairs([
        ("LIVEKIT_OBSERVABILITY_URL", "not a url"),
        ("LIVEKIT_API_KEY", API_KEY),
        ("LIVEKIT_API_SECRET", API_SECRET),
    ]);
    let err = Telemetry::builder().env(env).build().unwrap_err();
    assert!(
        err.to_string().contains("LIVEKIT_OBSERVABILITY_URL"),
        "{err}"
    );
}

#[test]
fn tokens_are_reused_then_reminted_five_minutes_before_expiry() {
    let tokens = ObservabilityTokens::new(API_KEY, API_SECRET);
    let t0 = UNIX_EPOCH + Duration::from_secs(now());
    let first = tokens.current_at(t0);
    let (_, claims) = verify(first.expose(), API_SECRET);
    check_claims(&claims);
    let almost = t0 + Duration::from_secs(6 * 3600 - 5 * 60 - 1);
    assert_eq!(
        tokens.current_at(almost),
        first,
        "still more than 5 min to go"
    );
    let due = t0 + Duration::from_secs(6 * 3600 - 5 * 60);
    let second = tokens.current_at(due);
    assert_ne!(second, first);
    let (_, claims) = verify(second.expose(), API_SECRET);
    let minted_at = due.duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(claims["iat"], minted_at);
    assert_eq!(claims["exp"], minted_at + 6 * 3600, "a fresh 6 h token");
    assert_eq!(tokens.current_at(due + Duration::from_secs(60)), second);
}
