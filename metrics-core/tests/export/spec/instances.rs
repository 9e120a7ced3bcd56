//! Many workers, one collector (issue 23 item 2): three worker processes with identical settings
//! export to one third-party receiver, and every stream is told apart by its resource's
//! `service.instance.id`; an id the user sets is kept.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};

use agent_metrics_core::MetricsRecorder;
use agent_metrics_core::export::{Env, SERVICE_INSTANCE_ID, TelemetryBuilder};
use agent_metrics_core::job::Job;
use agent_metrics_core::schema::{AttemptOutcome, Metadata, ProviderAttempt, ProviderKind};
use agent_metrics_core::worker::{JobOutcome, Worker};
use agent_metrics_test_support::python_otlp::{Export, PythonReceiver, Wire};
use serde_json::Value;

use super::*;

const CHILD_MARKER: &str = "AGENT_METRICS_INSTANCE_CHILD";
const WORKERS: usize = 3;

/// Starts three copies of `child_worker` with the same environment, each exporting once to a
/// Python OTLP receiver. Every stream (metric and point attributes: the worker's and the job's,
/// identical in the three) arrives three times, each under a resource of its own; the three
/// resources differ in `service.instance.id` only, a random v4 UUID. The bug this catches: two
/// processes exporting the same streams under one resource, which a collector's delta-to-
/// cumulative step would add up as one writer's.
#[test]
fn three_workers_with_identical_settings_are_told_apart_by_their_resource() {
    let Some(mut receiver) = PythonReceiver::start(Wire::Http) else {
        return;
    };
    let exe = std::env::current_exe().unwrap();
    let name = match module_path!().split_once("::") {
        Some((_, module)) => format!("{module}::child_worker"),
        None => "child_worker".to_owned(),
    };
    let children: Vec<_> = (0..WORKERS)
        .map(|_| {
            Command::new(&exe)
                .args(["--exact", name.as_str(), "--ignored", "--nocapture"])
                .args(["--test-threads", "1"])
                .env(CHILD_MARKER, "1")
                .env(
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    format!("http://{}", receiver.addr),
                )
                .env("OTEL_SERVICE_NAME", "voice-worker")
                .env_remove("OTEL_RESOURCE_ATTRIBUTES")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
        assert!(
            stdout.contains("1 passed"),
            "the child did not run:\n{stdout}"
        );
    }
    let exports = receiver.exports(WORKERS, WAIT).to_vec();
    assert_eq!(
        exports.len(),
        WORKERS,
        "one export per worker, at its shutdown"
    );

    let resources: Vec<BTreeMap<String, String>> = exports.iter().map(resource_of).collect();
    let ids: BTreeSet<&str> = resources
        .iter()
        .map(|r| r[SERVICE_INSTANCE_ID].as_str())
        .collect();
    assert_eq!(ids.len(), WORKERS, "{resources:#?}");
    for id in &ids {
        assert!(is_uuid_v4(id), "{id}");
    }
    let without_id = |r: &BTreeMap<String, String>| {
        let mut r = r.clone();
        r.remove(SERVICE_INSTANCE_ID);
        r
    };
    assert!(
        resources
            .iter()
            .all(|r| without_id(r) == without_id(&resources[0])),
        "identical settings, identical resources but for the id: {resources:#?}"
    );
    assert_eq!(resources[0]["service.name"], "voice-worker");

    // Stream -> the instance ids it arrived under.
    let mut streams: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (export, resource) in exports.iter().zip(&resources) {
        for stream in streams_of(export) {
            streams
                .entry(stream)
                .or_default()
                .push(resource[SERVICE_INSTANCE_ID].clone());
        }
    }
    for name in [
        "lk.agents.worker.running_jobs",
        "lk.agents.worker.jobs_started",
        "lk.agents.worker.jobs_ended",
        "lk.agents.worker.job_duration",
        "lk.agents.provider.attempts",
        "lk.agents.usage.llm_input_tokens",
    ] {
        assert!(
            streams.keys().any(|s| s.starts_with(&format!("{name} "))),
            "{name} exported: {:#?}",
            streams.keys()
        );
    }
    for (stream, under) in &streams {
        let distinct: BTreeSet<&String> = under.iter().collect();
        assert_eq!(
            (under.len(), distinct.len()),
            (WORKERS, WORKERS),
            "{stream}: once per worker, each under its own resource"
        );
    }
}

#[test]
#[ignore = "run by three_workers_with_identical_settings_are_told_apart_by_their_resource"]
fn child_worker() {
    assert!(
        std::env::var_os(CHILD_MARKER).is_some(),
        "only meaningful in the child processes the parent test starts"
    );
    // Settings from the process environment only, identical in every child.
    let telemetry = Telemetry::builder()
        .export_interval(HOUR)
        .build()
        .expect("telemetry");
    let worker = Worker::new(telemetry.meter());
    let recorder = MetricsRecorder::new(telemetry.meter());
    // The same job ids in every child, as replays of one room would have.
    let job = Job::new("RM_same", "AJ_same");
    let run = worker.start_job(&job);
    {
        let _in_job = job.enter();
        let model = Metadata::new("openai", "gpt-4o");
        recorder.record(&ProviderAttempt::new(
            ProviderKind::Llm,
            model.clone(),
            AttemptOutcome::Success,
            0.5,
        ));
        recorder.record(&agent_metrics_core::schema::LLMMetrics {
            prompt_tokens: 10,
            metadata: Some(model),
            ..Default::default()
        });
    }
    run.end(JobOutcome::Completed);
    telemetry.shutdown(WAIT).expect("the final export");
}

/// An id the user sets, in `OTEL_RESOURCE_ATTRIBUTES` or on the builder (which wins), is kept.
#[test]
fn a_service_instance_id_the_user_sets_is_kept() {
    let id = |builder: TelemetryBuilder| {
        let receiver = Receiver::start();
        let telemetry = builder.otlp_endpoint(receiver.url()).build().unwrap();
        telemetry.meter().u64_counter("probe").build().add(1, &[]);
        telemetry.force_flush(WAIT).unwrap();
        let request = receiver.accepted().pop().expect("one export");
        telemetry.shutdown(WAIT).ok();
        resource(&request)
            .into_iter()
            .filter_map(|kv| kv.strip_prefix("service.instance.id=").map(str::to_owned))
            .collect::<Vec<_>>()
    };
    let env = || Env::from_pairs([("OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=worker-7")]);
    assert_eq!(id(Telemetry::builder().env(env())), ["worker-7"]);
    assert_eq!(
        id(Telemetry::builder()
            .env(env())
            .service_instance_id("worker-8")),
        ["worker-8"]
    );
    let random = id(Telemetry::builder().env(Env::empty()));
    assert_eq!(random, [agent_metrics_core::export::process_instance_id()]);
}

fn resource_of(export: &Export) -> BTreeMap<String, String> {
    let rm = &export.request["resource_metrics"][0];
    rm["resource"]["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|kv| (kv["key"].as_str().unwrap().to_owned(), value(&kv["value"])))
        .collect()
}

fn value(v: &Value) -> String {
    v.as_object()
        .and_then(|o| o.values().next())
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        .unwrap_or_default()
}

/// `name {k=v, ...}` of every data point of the export.
fn streams_of(export: &Export) -> Vec<String> {
    let mut out = Vec::new();
    for (name, metric) in export.metrics() {
        for kind in ["sum", "gauge", "histogram"] {
            for point in metric[kind]["data_points"].as_array().into_iter().flatten() {
                let mut attrs: Vec<String> = point["attributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|kv| format!("{}={}", kv["key"].as_str().unwrap(), value(&kv["value"])))
                    .collect();
                attrs.sort();
                out.push(format!("{name} {{{}}}", attrs.join(", ")));
            }
        }
    }
    out
}

fn is_uuid_v4(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && id.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        && groups[2].starts_with('4')
        && groups[3].starts_with(['8', '9', 'a', 'b'])
}
