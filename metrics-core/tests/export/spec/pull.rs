use std::net::SocketAddr;
use std::time::{Duration, Instant};

use agent_metrics_core::MetricsRecorder;
use agent_metrics_core::export::{Env, PER_JOB_KEYS, Telemetry};
use agent_metrics_core::job::Job;
use agent_metrics_core::schema::{Metadata, MetricsReport, TTSMetrics};

use agent_metrics_test_support::scrape::http_get;

use super::export_receiver::{Receiver, attrs, metrics};
use super::fixtures;
use super::{HOUR, WAIT};

fn scrape(addr: SocketAddr) -> String {
    let (status, body) = http_get(addr, "/metrics");
    assert_eq!(status, 200, "{body}");
    body
}

/// The series lines of a scrape (`name{labels} value`), without comments.
fn series(body: &str) -> Vec<&str> {
    body.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// One job: a TTS request and a turn, as a session records them.
fn run_job(recorder: &MetricsRecorder, i: usize) {
    let job = Job::new(format!("RM_{i}"), format!("AJ_{i}")).agent_name("support");
    let _in_job = job.enter();
    let provider = if i.is_multiple_of(2) {
        "cartesia"
    } else {
        "elevenlabs"
    };
    recorder.record(&TTSMetrics {
        characters_count: 10,
        audio_duration: 1.0,
        ..fixtures::tts(Some(Metadata::new(provider, "sonic-2")))
    });
    recorder.record(&MetricsReport {
        e2e_latency: Some(0.5 + (i % 7) as f64 / 10.0),
        ..Default::default()
    });
}

/// 10,000 jobs in one worker: `/metrics` keeps the series count of the first jobs, with no
/// job label and no overflow series, while the OTLP delta exports carry every job's ids.
#[test]
fn ten_thousand_jobs_keep_a_bounded_number_of_series_on_metrics() {
    const JOBS: usize = 10_000;
    let receiver = Receiver::start();
    let telemetry = Telemetry::builder()
        .env(Env::from_pairs([(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            receiver.url(),
        )]))
        .prometheus("127.0.0.1:0".parse().unwrap())
        .export_interval(HOUR)
        .build()
        .unwrap();
    let addr = telemetry.prometheus_addr().unwrap();
    let recorder = MetricsRecorder::new(telemetry.meter());
    let start = Instant::now();
    let mut after_10 = 0;
    for i in 0..JOBS {
        run_job(&recorder, i);
        if i == 9 {
            after_10 = series(&scrape(addr)).len();
        }
        // The push side exports every 1,000 jobs, as a delta interval would.
        if i % 1000 == 999 {
            telemetry.force_flush(WAIT).unwrap();
        }
    }
    let elapsed = start.elapsed();
    let body = scrape(addr);
    let lines = series(&body);
    if std::env::var_os("SHOW_SCRAPE").is_some() {
        println!("{body}");
    }
    println!(
        "{JOBS} jobs in {elapsed:?}: {} series on /metrics ({after_10} after 10 jobs), {} bytes",
        lines.len(),
        body.len()
    );
    assert!(after_10 > 0);
    assert_eq!(lines.len(), after_10, "series grew with the jobs");
    for key in PER_JOB_KEYS {
        let label = key.replace('.', "_");
        assert!(!body.contains(&format!("{label}=")), "{label} on /metrics");
    }
    assert!(!body.contains("overflow"), "overflow series on /metrics");
    assert!(
        body.contains("lk_agent_name=\"support\""),
        "bounded job attributes stay"
    );
    // The values are all there: every job's characters (split between the two providers)
    // and every turn.
    let total = |prefix: &str| -> f64 {
        let matching = lines.iter().filter(|l| l.starts_with(prefix));
        matching
            .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
            .sum()
    };
    let characters = total("lk_agents_usage_tts_characters_total{");
    assert_eq!(characters, 10.0 * JOBS as f64, "{body}");
    let turns = total("lk_agents_turn_e2e_latency_seconds_count{");
    assert_eq!(turns, JOBS as f64, "{body}");

    // OTLP (delta) keeps per-job attribution: every job's id arrived, no overflow.
    telemetry.shutdown(WAIT).unwrap();
    let exported = metrics(&receiver.accepted());
    let mut jobs = std::collections::BTreeSet::new();
    for (_, metric) in &exported {
        if let Some(opentelemetry_proto::tonic::metrics::v1::metric::Data::Histogram(h)) =
            &metric.data
        {
            for point in &h.data_points {
                let attrs = attrs(&point.attributes);
                assert!(!attrs.iter().any(|a| a.contains("overflow")), "{attrs:?}");
                jobs.extend(attrs.into_iter().filter(|a| a.starts_with("job_id=")));
            }
        }
    }
    assert_eq!(jobs.len(), JOBS);
}

/// With the opt-in, `/metrics` has per-job series again (for a process that runs one job).
#[test]
fn job_attributes_on_metrics_are_an_opt_in() {
    let telemetry = Telemetry::builder()
        .env(Env::empty())
        .prometheus("127.0.0.1:0".parse().unwrap())
        .cumulative_job_attributes(true)
        .build()
        .unwrap();
    let recorder = MetricsRecorder::new(telemetry.meter());
    let addr = telemetry.prometheus_addr().unwrap();
    run_job(&recorder, 0);
    let one = series(&scrape(addr)).len();
    for i in 1..10 {
        run_job(&recorder, i);
    }
    let body = scrape(addr);
    assert!(body.contains("job_id=\"AJ_9\"") && body.contains("room_id=\"RM_9\""));
    // Every job's series kept apart: each of the ten jobs has as many as the first had, and
    // the lines with no job (the process' own) are the same as after the first job.
    let lines = series(&body);
    let of_job = |i: usize| {
        let id = format!("job_id=\"AJ_{i}\"");
        lines.iter().filter(|l| l.contains(&id)).count()
    };
    let per_job = of_job(0);
    assert!(per_job > 0, "{body}");
    assert_eq!(
        (0..10).map(of_job).collect::<Vec<_>>(),
        [per_job; 10],
        "{body}"
    );
    assert_eq!(lines.len(), one + 9 * per_job, "{body}");
    telemetry.shutdown(Duration::from_secs(2)).unwrap();
}

/// Bound instruments (the `bound` feature) go through the same split.
#[cfg(feature = "bound")]
#[test]
fn bound_instruments_drop_the_job_attributes_on_metrics_too() {
    use agent_metrics_core::opentelemetry::KeyValue;
    let receiver = Receiver::start();
    let telemetry = Telemetry::builder()
        .env(Env::from_pairs([(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            receiver.url(),
        )]))
        .prometheus("127.0.0.1:0".parse().unwrap())
        .export_interval(HOUR)
        .build()
        .unwrap();
    let counter = telemetry.meter().u64_counter("bound.requests").build();
    for job in 0..50 {
        let attrs = [
            KeyValue::new("job_id", format!("AJ_{job}")),
            KeyValue::new("route", "/a"),
        ];
        counter.bind(&attrs).add(2);
    }
    let body = scrape(telemetry.prometheus_addr().unwrap());
    let lines: Vec<_> = series(&body)
        .into_iter()
        .filter(|l| l.starts_with("bound_requests"))
        .collect();
    assert_eq!(lines.len(), 1, "{body}");
    assert!(
        lines[0].contains("route=\"/a\"") && lines[0].ends_with(" 100"),
        "{body}"
    );
    telemetry.shutdown(WAIT).unwrap();
    let exported = metrics(&receiver.accepted());
    let (_, metric) = exported
        .iter()
        .find(|(_, m)| m.name == "bound.requests")
        .unwrap();
    let Some(opentelemetry_proto::tonic::metrics::v1::metric::Data::Sum(sum)) = &metric.data else {
        panic!("{metric:?}")
    };
    assert_eq!(sum.data_points.len(), 50, "OTLP keeps one series per job");
}
