//! One process-lifetime telemetry, several jobs (`docs/PYTHON-PARITY.md` §D4): each job's end flushes what it
//! recorded, the pipeline lives on for the next job, and each job's points carry its own ids
//! (with PR #4891, later jobs of a process lost their metrics or carried the first job's ids).

#![cfg(feature = "otlp")]

use agent_metrics_test_support::export_receiver;

use std::time::Duration;

use agent_metrics_core::MetricsRecorder;
use agent_metrics_core::export::{Env, Telemetry};
use agent_metrics_core::job::Job;
use agent_metrics_core::schema::MetricsReport;
use export_receiver::{Receiver, attrs, metrics};

#[test]
fn each_job_flushes_its_own_points_and_the_pipeline_lives_on() {
    let receiver = Receiver::start();
    let telemetry = Telemetry::builder()
        .env(Env::empty())
        .otlp_endpoint(receiver.url())
        // Long enough that only the jobs' flushes export.
        .export_interval(Duration::from_secs(600))
        .build()
        .unwrap();
    let recorder = MetricsRecorder::new(telemetry.meter());
    for (room, job_id) in [("RM_first", "AJ_1"), ("RM_second", "AJ_2")] {
        let job = Job::new(room, job_id);
        {
            let _in_job = job.enter();
            recorder.record(&MetricsReport {
                e2e_latency: Some(0.5),
                ..Default::default()
            });
        }
        telemetry.finish_job(job).expect("the job's flush");
    }
    assert!(!telemetry.is_shut_down());

    let exported = metrics(&receiver.requests());
    let rooms: Vec<Vec<String>> = exported
        .iter()
        .filter(|(_, m)| m.name == "lk.agents.turn.e2e_latency")
        .flat_map(|(_, m)| match m.data.as_ref() {
            Some(opentelemetry_proto::tonic::metrics::v1::metric::Data::Histogram(h)) => h
                .data_points
                .iter()
                .map(|dp| attrs(&dp.attributes))
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    // Delta: the second flush carries only the second job's point.
    assert_eq!(
        rooms,
        [
            vec!["job_id=AJ_1".to_owned(), "room_id=RM_first".to_owned()],
            vec!["job_id=AJ_2".to_owned(), "room_id=RM_second".to_owned()],
        ]
    );
    telemetry.shutdown(Duration::from_secs(5)).unwrap();
}
