//! End to end: the `agent_session` simulation exported over OTLP/HTTP to a real receiver on
//! 127.0.0.1, decoded with opentelemetry-proto's types. Every instrument of the schema arrives,
//! with delta temporality, seconds buckets and its attribute keys, and every counter total equals
//! what the session's usage collector summed from the same events.

use agent_metrics_test_support::export_receiver as receiver;
use agent_metrics_test_support::sim;

use std::collections::BTreeMap;
use std::time::Duration;

use agent_metrics::InstrumentKind;
use agent_metrics::MetricsRecorder;
use agent_metrics::catalog::Catalog;
use agent_metrics::export::{Env, Telemetry};
use agent_metrics::usage::ModelUsage;
use agent_metrics::worker::{self, Worker};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};

const TURNS: u32 = 6;

/// Totals per instrument and `provider/model`, summed over every export.
#[derive(Default)]
struct Exported {
    sums: BTreeMap<(String, String), f64>,
    histogram_counts: BTreeMap<String, u64>,
    keys: BTreeMap<String, Vec<Vec<String>>>,
    bounds: BTreeMap<String, Vec<f64>>,
    temporalities: BTreeMap<String, i32>,
}

fn model(attrs: &[KeyValue]) -> String {
    let get = |k: &str| {
        receiver::attrs(attrs)
            .into_iter()
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")).map(str::to_owned))
            .unwrap_or_default()
    };
    format!("{}/{}", get("model_provider"), get("model_name"))
}

fn keys(attrs: &[KeyValue]) -> Vec<String> {
    let mut keys: Vec<String> = attrs.iter().map(|kv| kv.key.clone()).collect();
    keys.sort();
    keys
}

fn collect(requests: &[receiver::Request]) -> Exported {
    let mut out = Exported::default();
    for (_, m) in receiver::metrics(requests) {
        if let Some(t) = receiver::temporality(&m) {
            out.temporalities.insert(m.name.clone(), t);
        }
        match m.data.as_ref().expect("metric data") {
            metric::Data::Sum(sum) => {
                for dp in &sum.data_points {
                    let value = match dp.value {
                        Some(number_data_point::Value::AsInt(v)) => v as f64,
                        Some(number_data_point::Value::AsDouble(v)) => v,
                        None => 0.0,
                    };
                    *out.sums
                        .entry((m.name.clone(), model(&dp.attributes)))
                        .or_default() += value;
                    out.keys
                        .entry(m.name.clone())
                        .or_default()
                        .push(keys(&dp.attributes));
                }
            }
            metric::Data::Histogram(h) => {
                for dp in &h.data_points {
                    *out.histogram_counts.entry(m.name.clone()).or_default() += dp.count;
                    out.bounds
                        .insert(m.name.clone(), dp.explicit_bounds.clone());
                    out.keys
                        .entry(m.name.clone())
                        .or_default()
                        .push(keys(&dp.attributes));
                }
            }
            metric::Data::Gauge(g) => {
                for dp in &g.data_points {
                    out.keys
                        .entry(m.name.clone())
                        .or_default()
                        .push(keys(&dp.attributes));
                }
            }
            other => panic!("{}: unexpected data {other:?}", m.name),
        }
    }
    out
}

#[test]
fn the_session_arrives_whole_at_an_otlp_receiver() {
    let receiver = receiver::Receiver::start();
    let telemetry = Telemetry::builder()
        .env(Env::empty())
        .otlp_endpoint(receiver.url())
        .export_interval(Duration::from_millis(200))
        .build()
        .expect("OTLP telemetry");
    let worker = Worker::new(telemetry.meter());
    let mut session =
        sim::Session::new(11, MetricsRecorder::new(telemetry.meter())).on_worker(worker);
    session.run(TURNS, |_, _| {});
    sim::blocking_call(telemetry.meter());
    telemetry
        .shutdown(Duration::from_secs(10))
        .expect("final export");

    let requests = receiver.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(r.path, "/v1/metrics");
        assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
    }
    let exported = collect(&requests);
    let catalog = Catalog::schema();

    // Every instrument arrived, with delta temporality: the simulation's events feed all but
    // the event-loop histogram, which its real stall feeds, and the worker's. Up-down counters
    // are cumulative whatever the preference (the SDK's rule), and gauges have no temporality.
    let is_worker = |name: &str| worker::ALL.iter().any(|w| w.instrument.name == name);
    for e in catalog.entries() {
        let name = e.instrument.name;
        let expected = match e.instrument.kind {
            InstrumentKind::UpDownCounter => Some(&2),
            InstrumentKind::Gauge => None,
            _ => Some(&1),
        };
        assert_eq!(exported.temporalities.get(name), expected, "{name}");
        assert!(exported.keys.contains_key(name), "{name} arrived");
    }

    // Every data point carries the instrument's attribute keys and the job's (the simulation
    // always knows its models; only a successful tool or attempt has no `error.type`, a
    // realtime reply's e2e names no model as in livekit-agents 1.8.9, only a `service` part of
    // a turn's breakdown has one; the worker's describe the process, not a job), and histograms
    // carry the buckets of the schema.
    let optional = |instrument: &str, key: &str| {
        key == "error.type"
            || (matches!(
                instrument,
                "lk.agents.turn.e2e_latency" | "lk.agents.turn.latency_breakdown"
            ) && key.starts_with("model_"))
    };
    for e in catalog.entries() {
        let points = &exported.keys[e.instrument.name];
        let job_keys: &[&str] = if is_worker(e.instrument.name) {
            &[]
        } else {
            &["job_id", "lk.agent_name", "room_id"]
        };
        let mut expected: Vec<String> = e
            .attributes
            .iter()
            .chain(job_keys)
            .map(|k| k.to_string())
            .collect();
        expected.sort();
        for point_keys in points {
            let mut expected = expected.clone();
            expected.retain(|k| !optional(e.instrument.name, k) || point_keys.contains(k));
            assert_eq!(point_keys, &expected, "{}", e.instrument.name);
        }
        if !e.instrument.buckets.is_empty() {
            assert_eq!(
                exported.bounds[e.instrument.name], e.instrument.buckets,
                "{}",
                e.instrument.name
            );
        }
    }

    // One point per pipeline turn in each turn histogram, and an e2e for each realtime reply.
    for name in [
        "lk.agents.turn.llm_ttft",
        "lk.agents.turn.transcription_delay",
    ] {
        assert_eq!(exported.histogram_counts[name], u64::from(TURNS), "{name}");
    }
    assert_eq!(
        exported.histogram_counts["lk.agents.turn.e2e_latency"],
        u64::from(TURNS + sim::realtime_responses(TURNS))
    );

    // Counter totals equal the usage the collector summed from the same events.
    let sum = |name: &str, provider: &str, model: &str| {
        exported
            .sums
            .get(&(
                format!("lk.agents.usage.{name}"),
                format!("{provider}/{model}"),
            ))
            .copied()
            .unwrap_or(0.0)
    };
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(1.0);
    let mut checked = 0;
    for usage in session.usage.flatten() {
        match usage {
            ModelUsage::Llm(u) => {
                let (p, m) = (u.provider.as_str(), u.model.as_str());
                assert_eq!(
                    sum("llm_input_tokens", p, m),
                    u.input_tokens as f64,
                    "{p}/{m}"
                );
                assert_eq!(
                    sum("llm_input_cached_tokens", p, m),
                    u.input_cached_tokens as f64
                );
                assert_eq!(sum("llm_output_tokens", p, m), u.output_tokens as f64);
                assert_eq!(
                    sum("llm_input_audio_tokens", p, m),
                    u.input_audio_tokens as f64
                );
                assert_eq!(
                    sum("llm_input_text_tokens", p, m),
                    u.input_text_tokens as f64
                );
                assert_eq!(
                    sum("llm_output_audio_tokens", p, m),
                    u.output_audio_tokens as f64
                );
                assert_eq!(
                    sum("llm_output_text_tokens", p, m),
                    u.output_text_tokens as f64
                );
                assert!(close(sum("llm_session_duration", p, m), u.session_duration));
            }
            ModelUsage::Tts(u) => {
                let (p, m) = (u.provider.as_str(), u.model.as_str());
                assert_eq!(sum("tts_characters", p, m), u.characters_count as f64);
                assert!(close(sum("tts_audio_duration", p, m), u.audio_duration));
            }
            ModelUsage::Stt(u) => {
                assert!(close(
                    sum("stt_audio_duration", &u.provider, &u.model),
                    u.audio_duration
                ));
            }
            ModelUsage::Interruption(u) => {
                let total = sum("interruption_num_requests", &u.provider, &u.model);
                assert_eq!(total, u.total_requests as f64);
            }
            ModelUsage::Eot(_) => continue,
        }
        checked += 1;
    }
    // Two providers per pipeline stage, the realtime model, the interruption detector.
    assert_eq!(checked, 2 + 2 + 2 + 1 + 1);
}
