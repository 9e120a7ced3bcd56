//! Issue 13 item 5: with a real Prometheus scraping our endpoint while the simulated session
//! runs, every query of the schema's Grafana dashboard returns data through Prometheus' HTTP API,
//! the worker row's included (issue 23: the session's jobs run on a worker).
//!
//! The session runs twice, with a scrape between and one after: a rate (and so every histogram
//! quantile) needs two samples of a series that grew between them. The panels' `$__rate_interval`
//! is `5m` here (`panel_queries`), which holds both scrapes.

use std::path::Path;
use std::time::Duration;

use agent_metrics_core::MetricsRecorder;
use agent_metrics_core::catalog::{Catalog, panel_queries};
use agent_metrics_core::export::{Env, Telemetry};
use agent_metrics_core::job::Job;
use agent_metrics_core::worker::{JobOutcome, Worker};
use agent_metrics_test_support::sim;
use serde_json::Value;

use super::server::{Prometheus, now};

/// From the server's start to its first scrape, and between scrapes (1 s apart).
const SCRAPE_WAIT: Duration = Duration::from_secs(20);

pub(super) fn run(binary: &Path) {
    let telemetry = Telemetry::builder()
        .env(Env::empty())
        .prometheus("127.0.0.1:0".parse().unwrap())
        .build()
        .unwrap();
    let worker = Worker::builder().max_jobs(4).build(telemetry.meter());
    let mut session =
        sim::Session::new(5, MetricsRecorder::new(telemetry.meter())).on_worker(worker.clone());
    // A job that runs while Prometheus scrapes, so that the worker row's running jobs and load
    // are above zero; each session is another job, started and ended between the scrapes.
    let long_job = worker.start_job(&Job::new("RM_long", "AJ_long"));
    let run_session = |session: &mut sim::Session| {
        session.run(6, |_, _| {});
        sim::blocking_call(telemetry.meter());
        now()
    };
    let recorded = run_session(&mut session);
    let mut prometheus = Prometheus::start(binary, telemetry.prometheus_addr().unwrap());
    prometheus.wait_for_scrape_after(recorded, SCRAPE_WAIT);
    let recorded = run_session(&mut session);
    prometheus.wait_for_scrape_after(recorded, SCRAPE_WAIT);

    let queries = panel_queries(&Catalog::schema().grafana_dashboard());
    let empty: Vec<String> = queries
        .iter()
        .filter_map(|query| {
            let result = prometheus.query(query);
            let has_data = result.as_deref().is_some_and(|series| {
                series.iter().any(|s| {
                    let value = s["value"][1].as_str().and_then(|v| v.parse::<f64>().ok());
                    value.is_some_and(|v| v.is_finite() && v > 0.0)
                })
            });
            (!has_data).then(|| format!("{query}\n  => {}", answer(result.as_deref())))
        })
        .collect();
    assert!(
        empty.is_empty(),
        "{} of {} panel queries return no positive, finite value:\n{}",
        empty.len(),
        queries.len(),
        empty.join("\n")
    );
    long_job.end(JobOutcome::Completed);
    telemetry.shutdown(Duration::from_secs(5)).unwrap();
}

fn answer(result: Option<&[Value]>) -> String {
    match result {
        None => "an error".to_owned(),
        Some(series) => Value::from(series.to_vec()).to_string(),
    }
}
