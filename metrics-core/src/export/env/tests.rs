use std::time::Duration;

use opentelemetry_sdk::metrics::Temporality;

use super::*;

fn read(pairs: &[(&str, &str)]) -> Result<EnvSettings, ExportError> {
    Ok(EnvSettings::read(&Env::from_pairs(pairs.iter().copied())))
}

#[test]
fn nothing_set_means_nothing_configured() {
    let s = read(&[]).unwrap();
    assert!(!s.disabled);
    assert_eq!(s.endpoint(Protocol::HttpProtobuf), None);
    assert!(s.headers.is_empty() && s.resource.is_empty());
    assert_eq!((s.protocol, s.temporality, s.interval), (None, None, None));
}

#[test]
fn base_endpoint_gets_the_signal_path_and_metrics_endpoint_is_verbatim() {
    let s = read(&[(ENDPOINT, "http://collector:4318/")]).unwrap();
    let http = s.endpoint(Protocol::HttpProtobuf).unwrap();
    assert_eq!(
        http,
        ("http://collector:4318/v1/metrics".to_owned(), ENDPOINT)
    );
    let grpc = s.endpoint(Protocol::Grpc).unwrap();
    assert_eq!(grpc.0, "http://collector:4318/");

    let s = read(&[
        (ENDPOINT, "http://a:1"),
        (METRICS_ENDPOINT, "https://b/custom"),
    ])
    .unwrap();
    let url = s.endpoint(Protocol::HttpProtobuf).unwrap();
    assert_eq!(url, ("https://b/custom".to_owned(), METRICS_ENDPOINT));
}

#[test]
fn malformed_endpoints_fall_back_to_the_next_variable_then_the_default() {
    for bad in [
        "localhost:4318",
        "ftp://h/x",
        "http://",
        "http://:80/x",
        "http://h:99999",
    ] {
        let s = read(&[(ENDPOINT, bad)]).unwrap();
        let url = s.endpoint(Protocol::HttpProtobuf);
        let want = ("http://localhost:4318/v1/metrics".to_owned(), ENDPOINT);
        assert_eq!(url, Some(want), "{bad}");
        let s = read(&[(METRICS_ENDPOINT, bad), (ENDPOINT, "http://c:1")]).unwrap();
        let url = s.endpoint(Protocol::HttpProtobuf).unwrap();
        assert_eq!(url.0, "http://c:1/v1/metrics", "{bad}");
    }
    let s = read(&[(ENDPOINT, "http://[::1]:4318")]).unwrap();
    assert_eq!(s.endpoint(Protocol::Grpc).unwrap().0, "http://[::1]:4318");
    let s = read(&[(ENDPOINT, "nope")]).unwrap();
    assert_eq!(s.endpoint(Protocol::Grpc).unwrap().0, DEFAULT_GRPC_ENDPOINT);
}

#[test]
fn headers_are_url_decoded_and_the_specific_variable_wins() {
    let s = read(&[(HEADERS, "authorization=Bearer%20abc, x-tenant = acme ,")]).unwrap();
    let headers: Vec<_> = s
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.expose().as_str()))
        .collect();
    assert_eq!(
        headers,
        [("authorization", "Bearer abc"), ("x-tenant", "acme")]
    );

    let s = read(&[(HEADERS, "a=1"), (METRICS_HEADERS, "b=2")]).unwrap();
    assert_eq!(s.headers.len(), 1);
    assert_eq!(s.headers[0].0, "b");
}

#[test]
fn bad_headers_are_ignored_as_a_whole() {
    for bad in ["novalue", "=x", "k=%zz", "k=%+1", "bad name=v", "k=a%0Ab"] {
        let s = read(&[(HEADERS, &format!("ok=s3cr3t,{bad}"))]).unwrap();
        assert!(s.headers.is_empty(), "{bad}");
        let reason = headers(&format!("ok=s3cr3t,{bad}")).unwrap_err();
        assert!(reason.contains("entry 2"), "{reason}");
        assert!(
            !reason.contains("s3cr3t") && !reason.contains(bad),
            "{reason}"
        );
    }
}

#[test]
fn protocols() {
    let grpc = read(&[(PROTOCOL, "grpc")]).unwrap().protocol;
    let want = if cfg!(feature = "grpc") {
        Some(Protocol::Grpc)
    } else {
        None
    };
    assert_eq!(grpc, want);
    let s = read(&[(PROTOCOL, "grpc"), (METRICS_PROTOCOL, "HTTP/protobuf")]).unwrap();
    assert_eq!(s.protocol, Some(Protocol::HttpProtobuf));
    // Unusable: the default (None here, http/protobuf in the builder), or the generic variable.
    for bad in ["http/json", "udp"] {
        assert_eq!(read(&[(PROTOCOL, bad)]).unwrap().protocol, None, "{bad}");
        let s = read(&[(METRICS_PROTOCOL, bad), (PROTOCOL, "http/protobuf")]).unwrap();
        assert_eq!(s.protocol, Some(Protocol::HttpProtobuf));
    }
}

#[test]
fn temporality_interval_timeout_compression() {
    let s = read(&[
        (TEMPORALITY, "Cumulative"),
        (INTERVAL, "1500"),
        (TIMEOUT, "250"),
        (COMPRESSION, "none"),
    ])
    .unwrap();
    assert_eq!(s.temporality, Some(Temporality::Cumulative));
    assert_eq!(s.interval, Some(Duration::from_millis(1500)));
    assert_eq!(s.timeout, Some(Duration::from_millis(250)));
    assert_eq!(s.gzip, Some(false));
    assert_eq!(
        read(&[(TEMPORALITY, "delta")]).unwrap().temporality,
        Some(Temporality::Delta)
    );

    let s = read(&[
        (TEMPORALITY, "sometimes"),
        (INTERVAL, "0"),
        (METRICS_TIMEOUT, "30s"),
        (TIMEOUT, "40"),
        (COMPRESSION, "zstd"),
        (EXPORT_TIMEOUT, "-1"),
    ])
    .unwrap();
    assert_eq!((s.temporality, s.interval, s.gzip), (None, None, None));
    assert_eq!(s.timeout, Some(Duration::from_millis(40)));
    assert_eq!(s.export_timeout, None);
    let s = read(&[(EXPORT_TIMEOUT, "2500")]).unwrap();
    assert_eq!(s.export_timeout, Some(Duration::from_millis(2500)));
}

#[test]
fn resource_attributes_service_name_and_disabled() {
    let s = read(&[
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment=prod,team=voice%20ai",
        ),
        ("OTEL_SERVICE_NAME", "my-agent"),
        ("OTEL_SDK_DISABLED", "TRUE"),
    ])
    .unwrap();
    assert!(s.disabled);
    assert_eq!(s.service_name.as_deref(), Some("my-agent"));
    let expected = [("deployment.environment", "prod"), ("team", "voice ai")];
    let got: Vec<_> = s
        .resource
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(got, expected);

    assert!(!read(&[("OTEL_SDK_DISABLED", "false")]).unwrap().disabled);
    assert!(!read(&[("OTEL_SDK_DISABLED", "1")]).unwrap().disabled);
    let bad = read(&[("OTEL_RESOURCE_ATTRIBUTES", "a=1,novalue")]).unwrap();
    assert!(bad.resource.is_empty());
}

#[test]
fn empty_values_count_as_unset() {
    let s = read(&[(ENDPOINT, "  "), (PROTOCOL, ""), ("LIVEKIT_API_SECRET", "")]).unwrap();
    assert_eq!(s.endpoint(Protocol::HttpProtobuf), None);
    assert_eq!(s.protocol, None);
    assert!(s.livekit.api_secret.is_none());
}

#[test]
fn env_debug_shows_names_only() {
    let env = Env::from_pairs([("LIVEKIT_API_SECRET", "s3cr3t")]);
    let text = format!("{env:?}");
    assert!(
        text.contains("LIVEKIT_API_SECRET") && !text.contains("s3cr3t"),
        "{text}"
    );
    let from_fn = Env::from_fn(|name| (name == "X").then(|| "1".to_owned()));
    assert_eq!(from_fn.get("X").as_deref(), Some("1"));
    assert_eq!(format!("{from_fn:?}"), "Env(fn)");
}

#[test]
fn semconv_opt_in_is_a_comma_separated_list() {
    use crate::schema::GenAiConventions::{LatestExperimental, LiveKit};
    let conventions = |value: &str| read(&[(SEMCONV_OPT_IN, value)]).unwrap().gen_ai_conventions;
    assert_eq!(
        conventions("gen_ai_latest_experimental"),
        Some(LatestExperimental)
    );
    assert_eq!(
        conventions("http/dup, gen_ai_latest_experimental ,database"),
        Some(LatestExperimental)
    );
    // Other instrumentations' entries, and near misses, leave the default.
    assert_eq!(conventions("http,database/dup"), Some(LiveKit));
    assert_eq!(conventions("gen_ai_latest"), Some(LiveKit));
    assert_eq!(conventions("GEN_AI_LATEST_EXPERIMENTAL"), Some(LiveKit));
    assert_eq!(conventions(" "), None, "blank is unset");
    assert_eq!(read(&[]).unwrap().gen_ai_conventions, None);
}
