//! Bounded series on cumulative OTLP too (what Prometheus' own OTLP receiver needs).

use super::*;

// --- bounded series on cumulative OTLP too (what Prometheus' own OTLP receiver needs) ---

/// Data points of `name` in `request`, as (attributes, count) of a histogram.
fn histogram_points(request: &Request, name: &str) -> Vec<(Vec<String>, u64)> {
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    let mut out = Vec::new();
    for rm in request.decode().resource_metrics {
        for sm in rm.scope_metrics {
            for m in sm.metrics.into_iter().filter(|m| m.name == name) {
                let Some(Data::Histogram(h)) = m.data else {
                    panic!("{name} is not a histogram")
                };
                assert_eq!(h.aggregation_temporality, 2, "cumulative");
                out.extend(
                    h.data_points
                        .iter()
                        .map(|p| (attrs(&p.attributes), p.count)),
                );
            }
        }
    }
    out
}

fn turns(telemetry: &Telemetry, jobs: usize) {
    use agent_metrics_core::MetricsRecorder;
    use agent_metrics_core::job::Job;
    use agent_metrics_core::schema::MetricsReport;
    let recorder = MetricsRecorder::new(telemetry.meter());
    for i in 0..jobs {
        let _in_job = Job::new(format!("RM_{i}"), format!("AJ_{i}")).enter();
        recorder.record(&MetricsReport {
            e2e_latency: Some(0.7),
            ..Default::default()
        });
    }
}

/// With cumulative temporality (as Prometheus' OTLP receiver needs), 3,000 jobs (more than the
/// SDK's default cardinality limit of 2,000) export one series, with every turn counted and no
/// overflow series; the per-job ids come back with `cumulative_job_attributes(true)`.
#[test]
fn cumulative_otlp_keeps_one_series_per_instrument_whatever_the_number_of_jobs() {
    const JOBS: usize = 3_000;
    let receiver = Receiver::start();
    let env = Env::from_pairs([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url()),
        (
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            "cumulative",
        ),
    ]);
    let telemetry = Telemetry::builder()
        .env(env.clone())
        .export_interval(HOUR)
        .build()
        .unwrap();
    turns(&telemetry, JOBS);
    telemetry.force_flush(WAIT).unwrap();
    telemetry.shutdown(WAIT).unwrap();
    let request = receiver.accepted().pop().unwrap();
    let points = histogram_points(&request, "lk.agents.turn.e2e_latency");
    println!("cumulative OTLP after {JOBS} jobs: {points:?}");
    assert_eq!(points, [(Vec::<String>::new(), JOBS as u64)]);

    let receiver = Receiver::start();
    let env = Env::from_pairs([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url()),
        (
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            "cumulative",
        ),
    ]);
    let telemetry = Telemetry::builder()
        .env(env)
        .cumulative_job_attributes(true)
        .export_interval(HOUR)
        .build()
        .unwrap();
    turns(&telemetry, 10);
    telemetry.shutdown(WAIT).unwrap();
    let request = receiver.accepted().pop().unwrap();
    let points = histogram_points(&request, "lk.agents.turn.e2e_latency");
    assert_eq!(points.len(), 10);
    assert!(
        points
            .iter()
            .all(|(a, _)| a.iter().any(|kv| kv.starts_with("job_id=AJ_")))
    );
}
