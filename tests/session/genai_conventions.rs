//! Both GenAI modes through a third-party OTLP receiver (the Python one of `test-support`): a
//! turn of every event, a tool call, a cancelled turn and a session are recorded through
//! `Telemetry::recorder`, and what arrives is checked against the mode's catalog
//! (`Catalog::schema_for`): every instrument, with its kind, unit, buckets and attribute keys,
//! and no instrument of the other mode.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use agent_metrics::InstrumentKind;
use agent_metrics::catalog::{Catalog, CatalogEntry};
use agent_metrics::export::{Env, Telemetry};
use agent_metrics::schema::*;
use agent_metrics_test_support::events;
use agent_metrics_test_support::python_otlp::{Export, PythonReceiver, Wire};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(20);
const OPT_IN: &str = "OTEL_SEMCONV_STABILITY_OPT_IN";

/// One data point: its attributes, and its value (sums) or count (histograms).
#[derive(Debug)]
struct Point {
    attributes: BTreeMap<String, String>,
    value: f64,
}

/// One metric as received.
#[derive(Debug, Default)]
struct Received {
    kind: &'static str,
    unit: String,
    bounds: BTreeSet<Vec<u64>>,
    points: Vec<Point>,
}

/// Records one session's worth of events in the mode the environment selects, and returns what
/// the receiver got, by metric name.
fn run(opt_in: Option<&str>) -> Option<BTreeMap<String, Received>> {
    let mut receiver = PythonReceiver::start(Wire::Http)?;
    let mut env = vec![(
        "OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(),
        format!("http://{}", receiver.addr),
    )];
    if let Some(list) = opt_in {
        env.push((OPT_IN.to_owned(), list.to_owned()));
    }
    let telemetry = Telemetry::builder()
        .env(Env::from_pairs(env))
        .build()
        .expect("builds");
    let recorder = telemetry.recorder();

    let mut turn = events::turn();
    // A non-streaming STT request, so that it has a duration.
    turn.stt.duration = 0.7;
    turn.realtime.session_duration = 60.0;
    turn.llm.cache_creation_tokens = 30;
    turn.llm.reasoning_tokens = 12;
    turn.tool.tool_type = Some(ToolType::Function);
    turn.tool.agent_name = Some("concierge".into());
    turn.record(&recorder);
    recorder.record(&AgentInvocationMetrics {
        agent_name: "concierge".into(),
        duration: 140.0,
        end_reason: Some(TurnEndReason::Cancelled),
        error_type: Some("timeout".into()),
        ..Default::default()
    });
    recorder.record(&SessionMetrics {
        workflow_name: "concierge".into(),
        duration: 1500.0,
        ..Default::default()
    });
    telemetry.shutdown(WAIT).expect("flushed");
    Some(collect(receiver.exports(1, WAIT)))
}

fn collect(exports: &[Export]) -> BTreeMap<String, Received> {
    let mut out: BTreeMap<String, Received> = BTreeMap::new();
    for export in exports {
        for (name, m) in export.metrics() {
            let r = out.entry(name.to_owned()).or_default();
            r.unit = m["unit"].as_str().unwrap_or("").to_owned();
            let (kind, data) = if m["histogram"].is_object() {
                ("histogram", &m["histogram"])
            } else {
                ("sum", &m["sum"])
            };
            r.kind = kind;
            for p in data["data_points"].as_array().into_iter().flatten() {
                let attributes = p["attributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|kv| {
                        let v = &kv["value"];
                        let v = v["string_value"]
                            .as_str()
                            .map_or_else(|| v.to_string(), str::to_owned);
                        (kv["key"].as_str().unwrap_or("").to_owned(), v)
                    })
                    .collect();
                let value = if kind == "histogram" {
                    let bounds = p["explicit_bounds"].as_array().into_iter().flatten();
                    // Bounds compared in thousandths, exactly.
                    r.bounds.insert(
                        bounds
                            .map(|b| (b.as_f64().unwrap() * 1000.0).round() as u64)
                            .collect(),
                    );
                    number(&p["count"])
                } else {
                    p["as_int"]
                        .as_str()
                        .map_or_else(|| number(&p["as_double"]), |v| v.parse().unwrap())
                };
                r.points.push(Point { attributes, value });
            }
        }
    }
    out
}

fn number(v: &Value) -> f64 {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0.0)
}

/// Every `gen_ai.*` instrument of the mode's catalog arrived, and no other; every instrument
/// that arrived is the catalog's, with its kind, unit and buckets, and every point's keys are
/// the catalog's (a point leaves out an optional key it has no value for).
fn assert_matches_catalog(received: &BTreeMap<String, Received>, catalog: &Catalog, mode: &str) {
    let entries: BTreeMap<&str, &CatalogEntry> = catalog
        .entries()
        .iter()
        .map(|e| (e.instrument.name, e))
        .collect();
    let gen_ai = |names: Vec<&str>| -> BTreeSet<String> {
        names
            .into_iter()
            .filter(|n| n.starts_with("gen_ai."))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        gen_ai(received.keys().map(String::as_str).collect()),
        gen_ai(entries.keys().copied().collect()),
        "{mode}: the GenAI instruments that arrived are the catalog's"
    );
    for (name, r) in received
        .iter()
        .filter(|(n, _)| n.starts_with("lk.agents.") || n.starts_with("gen_ai."))
    {
        let e = entries
            .get(name.as_str())
            .unwrap_or_else(|| panic!("{mode}: {name} is not in the catalog"));
        let kind = match e.instrument.kind {
            InstrumentKind::Histogram => "histogram",
            _ => "sum",
        };
        assert_eq!(r.kind, kind, "{mode}: {name}");
        assert_eq!(r.unit, e.instrument.unit, "{mode}: {name}");
        if kind == "histogram" {
            let bounds: Vec<u64> = e
                .instrument
                .buckets
                .iter()
                .map(|b| (b * 1000.0).round() as u64)
                .collect();
            assert_eq!(r.bounds, BTreeSet::from([bounds]), "{mode}: {name}");
        }
        for p in &r.points {
            let keys: BTreeSet<&str> = p.attributes.keys().map(String::as_str).collect();
            let allowed: BTreeSet<&str> = e.attributes.iter().copied().collect();
            assert!(
                keys.is_subset(&allowed),
                "{mode}: {name}: {keys:?} not in {allowed:?}"
            );
        }
    }
}

/// The points of `name` whose attributes include every pair of `having`.
fn values(received: &BTreeMap<String, Received>, name: &str, having: &[(&str, &str)]) -> Vec<f64> {
    received[name]
        .points
        .iter()
        .filter(|p| {
            having
                .iter()
                .all(|(k, v)| p.attributes.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|p| p.value)
        .collect()
}

#[test]
fn by_default_the_gen_ai_instruments_are_those_of_livekit_agents_1_8_9() {
    // An opt-in list for other conventions leaves the GenAI default alone.
    let Some(received) = run(Some("http, database/dup")) else {
        return;
    };
    assert_matches_catalog(&received, &Catalog::schema(), "default");
    let invoke = &received["gen_ai.invoke_agent.duration"];
    assert_eq!(
        invoke.bounds.iter().next().unwrap()[0],
        10,
        "1.8.9's 0.01 s first bound"
    );
    for p in &invoke.points {
        assert!(!p.attributes.contains_key("error.type"), "{p:?}");
        assert!(
            !p.attributes
                .contains_key("gen_ai.agent.invocation.end_reason")
        );
    }
    let tool = &received["gen_ai.execute_tool.duration"];
    assert!(
        tool.points
            .iter()
            .all(|p| !p.attributes.contains_key("gen_ai.tool.type"))
    );
    let ops = values(
        &received,
        "gen_ai.client.operation.duration",
        &[("gen_ai.operation.name", "speech_to_text")],
    );
    assert!(ops.is_empty(), "no STT operation by default");
}

#[test]
fn the_opt_in_emits_the_conventions_as_they_stand() {
    let Some(received) = run(Some(" http ,gen_ai_latest_experimental")) else {
        return;
    };
    let catalog = Catalog::schema_for(GenAiConventions::LatestExperimental);
    assert_matches_catalog(&received, &catalog, "gen_ai_latest_experimental");

    // Turns: the conventions' buckets, the end reason (cancelled reads as interrupted) and
    // the error type.
    let invoke = &received["gen_ai.invoke_agent.duration"];
    assert_eq!(invoke.bounds.iter().next().unwrap().last(), Some(&409_600));
    let cancelled = values(
        &received,
        "gen_ai.invoke_agent.duration",
        &[
            ("gen_ai.agent.invocation.end_reason", "interrupted"),
            ("error.type", "timeout"),
        ],
    );
    assert_eq!(cancelled, [1.0]);

    // Tools: type and agent.
    let tool = values(
        &received,
        "gen_ai.execute_tool.duration",
        &[
            ("gen_ai.tool.type", "function"),
            ("gen_ai.agent.name", "concierge"),
            ("gen_ai.tool.name", "lookup"),
        ],
    );
    assert_eq!(tool, [1.0]);

    // The session, and STT and TTS as operations.
    let workflow = values(
        &received,
        "gen_ai.workflow.duration",
        &[("gen_ai.workflow.name", "concierge")],
    );
    assert_eq!(workflow, [1.0]);
    for op in [
        "speech_to_text",
        "text_to_speech",
        "chat",
        "generate_content",
    ] {
        let points = values(
            &received,
            "gen_ai.client.operation.duration",
            &[("gen_ai.operation.name", op)],
        );
        assert_eq!(points, [1.0], "{op}");
    }

    // Tokens by modality, beside the histogram of 1.8.9, which is still there.
    let tokens = |counter: &str, op: &str, modality: &str| {
        values(
            &received,
            &format!("gen_ai.client.inference.usage.{counter}"),
            &[
                ("gen_ai.operation.name", op),
                ("gen_ai.token.modality", modality),
            ],
        )
    };
    assert_eq!(tokens("input_tokens", "generate_content", "audio"), [450.0]);
    assert_eq!(tokens("input_tokens", "generate_content", "text"), [50.0]);
    assert_eq!(
        tokens("output_tokens", "generate_content", "audio"),
        [160.0]
    );
    assert_eq!(tokens("output_tokens", "generate_content", "text"), [40.0]);
    assert_eq!(
        tokens("cache_read.input_tokens", "generate_content", "unknown"),
        [100.0]
    );
    assert_eq!(tokens("input_tokens", "chat", "text"), [900.0]);
    assert_eq!(tokens("cache_write.input_tokens", "chat", "text"), [30.0]);
    assert_eq!(tokens("reasoning.output_tokens", "chat", "text"), [12.0]);
    assert!(
        tokens("input_tokens", "generate_content", "image").is_empty(),
        "zero is skipped"
    );
    let usage = values(
        &received,
        "gen_ai.client.token.usage",
        &[("gen_ai.token.type", "input")],
    );
    assert_eq!(usage.len(), 2, "chat and generate_content, as by default");
}
