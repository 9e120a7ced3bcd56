//! OTLP/HTTP export end to end, against the in-process receiver: what arrives on the wire.
#![cfg(feature = "otlp")]

use agent_metrics_test_support::export_receiver;

use std::time::Duration;

use agent_metrics_core::export::{Env, Mode, Protocol, Telemetry, Temporality};
use agent_metrics_core::opentelemetry::KeyValue;
use export_receiver::{Receiver, attrs, metrics, temporality};
use opentelemetry_proto::tonic::metrics::v1::{Metric, metric, number_data_point};

const WAIT: Duration = Duration::from_secs(10);
const BOUNDS: [f64; 7] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
const HOUR: Duration = Duration::from_secs(3600);

fn counter_value(metric: &Metric) -> Vec<(u64, Vec<String>)> {
    let Some(metric::Data::Sum(sum)) = &metric.data else {
        panic!("{} is not a sum", metric.name)
    };
    let value = |v: &Option<number_data_point::Value>| match v {
        Some(number_data_point::Value::AsInt(i)) => *i as u64,
        other => panic!("not an int: {other:?}"),
    };
    let points = sum.data_points.iter();
    points
        .map(|p| (value(&p.value), attrs(&p.attributes)))
        .collect()
}

fn model_attrs() -> [KeyValue; 2] {
    [
        KeyValue::new("model_name", "sonic-2"),
        KeyValue::new("model_provider", "cartesia"),
    ]
}

#[test]
fn delta_by_default_with_seconds_buckets_resource_scope_and_gzip() {
    let receiver = Receiver::start();
    let env = Env::from_pairs([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url()),
        ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test"),
    ]);
    let telemetry = Telemetry::builder()
        .env(env)
        .room_id("RM_1")
        .job_id("AJ_1")
        .agent_name("my-agent")
        .resource_attribute(KeyValue::new("lk.custom", "x"))
        .export_interval(HOUR) // only flush and shutdown export
        .gzip(true)
        .build()
        .unwrap();
    let Mode::Otlp(settings) = telemetry.mode() else {
        panic!("{:?}", telemetry.mode())
    };
    assert_eq!(settings.endpoint, format!("{}/v1/metrics", receiver.url()));
    assert_eq!(settings.protocol, Protocol::HttpProtobuf);
    assert_eq!(settings.temporality, Temporality::Delta);
    assert!(settings.gzip);

    let meter = telemetry.meter();
    let characters = meter
        .u64_counter("lk.agents.usage.tts_characters")
        .with_unit("{character}")
        .build();
    let latency = meter
        .f64_histogram("lk.agents.turn.e2e_latency")
        .with_unit("s")
        .with_boundaries(BOUNDS.to_vec())
        .build();
    characters.add(42, &model_attrs());
    latency.record(0.3, &[]);
    latency.record(0.7, &[]);
    telemetry.force_flush(WAIT).unwrap();
    characters.add(8, &model_attrs());
    telemetry.shutdown(WAIT).unwrap();

    let requests = receiver.wait_for(WAIT, |r| r.len() >= 2);
    assert_eq!(
        requests.len(),
        2,
        "one export per flush and one at shutdown"
    );
    for request in &requests {
        assert_eq!(request.path, "/v1/metrics");
        assert_eq!(
            request.header("content-type"),
            Some("application/x-protobuf")
        );
        assert_eq!(request.header("content-encoding"), Some("gzip"));
    }

    let first = requests[0].decode();
    let resource = first.resource_metrics[0].resource.as_ref().unwrap();
    let resource = attrs(&resource.attributes);
    for expected in [
        "service.name=livekit-agents",
        "room_id=RM_1",
        "job_id=AJ_1",
        "lk.agent_name=my-agent",
        "lk.custom=x",
        "deployment.environment=test",
        "telemetry.sdk.language=rust",
    ] {
        assert!(
            resource.contains(&expected.to_owned()),
            "{expected} in {resource:?}"
        );
    }

    let all = metrics(&requests);
    assert!(all.iter().all(|(scope, _)| scope == "livekit-agents"));
    let counters: Vec<_> = all
        .iter()
        .filter(|(_, m)| m.name == "lk.agents.usage.tts_characters")
        .map(|(_, m)| m)
        .collect();
    assert_eq!(counters.len(), 2);
    assert_eq!(counters[0].unit, "{character}");
    let model = vec![
        "model_name=sonic-2".to_owned(),
        "model_provider=cartesia".to_owned(),
    ];
    // Delta: the second export carries only what was added since the first.
    assert_eq!(counter_value(counters[0]), [(42, model.clone())]);
    assert_eq!(counter_value(counters[1]), [(8, model)]);
    assert!(counters.iter().all(|m| temporality(m) == Some(1)));

    let (_, histogram) = all
        .iter()
        .find(|(_, m)| m.name == "lk.agents.turn.e2e_latency")
        .expect("histogram exported");
    assert_eq!(temporality(histogram), Some(1));
    let Some(metric::Data::Histogram(h)) = &histogram.data else {
        panic!("not a histogram")
    };
    let point = &h.data_points[0];
    assert_eq!(point.explicit_bounds, BOUNDS);
    assert_eq!(point.count, 2);
    assert!((point.sum.unwrap() - 1.0).abs() < 1e-9);
    assert_eq!(point.bucket_counts, [0, 0, 0, 1, 1, 0, 0, 0]);
}

#[test]
fn cumulative_verbatim_endpoint_headers_and_no_compression_from_env() {
    let receiver = Receiver::start();
    let endpoint = format!("{}/custom/metrics", receiver.url());
    let env = Env::from_pairs([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"),
        ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", endpoint.as_str()),
        (
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            "cumulative",
        ),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-api-key=abc%20def,x-tenant=acme",
        ),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "none"),
        ("OTEL_SERVICE_NAME", "my-service"),
    ]);
    let telemetry = Telemetry::builder()
        .env(env)
        .header("x-tenant", "from-builder")
        .export_interval(HOUR)
        .build()
        .unwrap();
    let counter = telemetry
        .meter()
        .u64_counter("lk.agents.usage.llm_input_tokens")
        .build();
    counter.add(5, &[]);
    telemetry.force_flush(WAIT).unwrap();
    counter.add(3, &[]);
    telemetry.shutdown(WAIT).unwrap();

    let requests = receiver.wait_for(WAIT, |r| r.len() >= 2);
    assert_eq!(requests.len(), 2);
    let request = &requests[0];
    assert_eq!(request.path, "/custom/metrics");
    assert_eq!(request.header("content-encoding"), None);
    assert_eq!(request.header("x-api-key"), Some("abc def"));
    assert_eq!(
        request.header("x-tenant"),
        Some("from-builder"),
        "builder wins over env"
    );
    let resource = request.decode().resource_metrics[0]
        .resource
        .clone()
        .unwrap();
    assert!(attrs(&resource.attributes).contains(&"service.name=my-service".to_owned()));

    let values: Vec<_> = metrics(&requests)
        .iter()
        .map(|(_, m)| (temporality(m), counter_value(m)[0].0))
        .collect();
    assert_eq!(
        values,
        [(Some(2), 5), (Some(2), 8)],
        "cumulative: totals so far"
    );
}

/// Three exports at the 200 ms interval, with no flush: the n-th no earlier than n intervals
/// after the start (a timer never fires early), and all three within 3 s (the default interval
/// is 60 s; a value read in the wrong unit would be 200 s).
#[test]
fn exports_periodically_at_the_configured_interval() {
    const INTERVAL: Duration = Duration::from_millis(200);
    for from_env in [false, true] {
        let receiver = Receiver::start();
        let mut pairs = vec![("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url().to_owned())];
        let mut builder = Telemetry::builder();
        if from_env {
            pairs.push(("OTEL_METRIC_EXPORT_INTERVAL", "200".to_owned()));
        } else {
            builder = builder.export_interval(INTERVAL);
        }
        let start = std::time::Instant::now();
        let telemetry = builder.env(Env::from_pairs(pairs)).build().unwrap();
        let Mode::Otlp(settings) = telemetry.mode() else {
            panic!()
        };
        assert_eq!(settings.interval, INTERVAL);
        let counter = telemetry.meter().u64_counter("periodic").build();
        // A value in every interval, so that no export is skipped for want of data.
        let requests = loop {
            counter.add(1, &[]);
            let requests = receiver.requests();
            if requests.len() >= 3 || start.elapsed() > Duration::from_secs(3) {
                break requests;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(
            requests.len() >= 3,
            "{} periodic exports in 3 s (env: {from_env})",
            requests.len()
        );
        for (n, request) in (1u32..).zip(&requests[..3]) {
            let after = request.at.duration_since(start);
            assert!(
                after >= INTERVAL * n,
                "export {n} after {after:?} (env: {from_env})"
            );
        }
        telemetry.shutdown(WAIT).unwrap();
    }
}

#[test]
fn builder_endpoint_gets_the_signal_path() {
    let receiver = Receiver::start();
    let telemetry = Telemetry::builder()
        .env(Env::empty())
        .otlp_endpoint(format!("{}/", receiver.url()))
        .build()
        .unwrap();
    telemetry.meter().u64_counter("c").build().add(1, &[]);
    telemetry.shutdown(WAIT).unwrap();
    let requests = receiver.wait_for(WAIT, |r| !r.is_empty());
    assert_eq!(requests[0].path, "/v1/metrics");
}

#[test]
fn user_info_in_the_endpoint_becomes_basic_auth() {
    let receiver = Receiver::start();
    let (scheme, host) = receiver.url().split_once("://").unwrap();
    let telemetry = Telemetry::builder()
        .env(Env::empty())
        .otlp_endpoint(format!("{scheme}://user:p%40ss@{host}"))
        .build()
        .unwrap();
    let Mode::Otlp(settings) = telemetry.mode() else {
        panic!()
    };
    assert_eq!(
        settings.endpoint,
        format!("{scheme}://***@{host}/v1/metrics")
    );
    telemetry.meter().u64_counter("c").build().add(1, &[]);
    telemetry.shutdown(WAIT).unwrap();
    let requests = receiver.wait_for(WAIT, |r| !r.is_empty());
    // base64("user:p@ss")
    assert_eq!(
        requests[0].header("authorization"),
        Some("Basic dXNlcjpwQHNz")
    );
}
