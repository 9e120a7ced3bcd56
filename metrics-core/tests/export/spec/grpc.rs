use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_metrics_core::export::{Env, Mode, Protocol, Telemetry};
use agent_metrics_core::opentelemetry::KeyValue;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
use tokio::sync::oneshot;

use agent_metrics_test_support::python_otlp::{PythonReceiver, Wire};

use super::main_job;

use super::{HOUR, WAIT};

type Received = Arc<Mutex<Vec<(Vec<(String, String)>, ExportMetricsServiceRequest)>>>;

#[derive(Clone, Default)]
struct Collector(Received);

#[tonic::async_trait]
impl MetricsService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        let metadata = request.metadata().clone().into_headers();
        let headers = metadata
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        self.0.lock().unwrap().push((headers, request.into_inner()));
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// The receiver, on a thread and runtime of its own; stopped on drop.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    received: Received,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub(crate) fn start() -> Self {
        let collector = Collector::default();
        let received = Arc::clone(&collector.0);
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let addr = SocketAddr::from(([127, 0, 0, 1], 0));
                let incoming = tonic::transport::server::TcpIncoming::bind(addr).unwrap();
                addr_tx.send(incoming.local_addr().unwrap()).unwrap();
                tonic::transport::Server::builder()
                    .serve_with_incoming_shutdown(
                        // As a collector does: gzip accepted, not required.
                        MetricsServiceServer::new(collector)
                            .accept_compressed(tonic::codec::CompressionEncoding::Gzip),
                        incoming,
                        async move {
                            let _ = stopped.await;
                        },
                    )
                    .await
                    .unwrap();
            });
        });
        let addr = addr_rx
            .recv_timeout(WAIT)
            .expect("the gRPC receiver starts");
        Server {
            addr,
            received,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub(crate) fn received(&self) -> Vec<(Vec<(String, String)>, ExportMetricsServiceRequest)> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Sum of the integer points of `name` in `request`, with their job attribution checked.
fn counter_total(request: &ExportMetricsServiceRequest, name: &str) -> Option<i64> {
    let mut total = None;
    for rm in &request.resource_metrics {
        for sm in &rm.scope_metrics {
            for m in sm.metrics.iter().filter(|m| m.name == name) {
                let Some(metric::Data::Sum(sum)) = &m.data else {
                    panic!("{name} is not a sum")
                };
                assert_eq!(sum.aggregation_temporality, 1, "delta");
                for p in &sum.data_points {
                    if let Some(number_data_point::Value::AsInt(v)) = p.value {
                        *total.get_or_insert(0) += v;
                    }
                }
            }
        }
    }
    total
}

#[derive(Clone, Copy, Debug)]
enum Setting {
    NoRuntime,
    CurrentThread,
    MultiThread,
}

const SETTINGS: [Setting; 3] = [
    Setting::NoRuntime,
    Setting::CurrentThread,
    Setting::MultiThread,
];

impl Setting {
    /// Runs `body` with no runtime, or inside `block_on` of a new runtime of this kind.
    fn run<T: Send + 'static>(self, body: impl FnOnce() -> T + Send + 'static) -> T {
        let runtime = match self {
            Setting::NoRuntime => return body(),
            Setting::CurrentThread => tokio::runtime::Builder::new_current_thread(),
            Setting::MultiThread => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                builder.worker_threads(2);
                builder
            }
        }
        .enable_all()
        .build()
        .unwrap();
        runtime.block_on(async move { body() })
    }
}

fn grpc_env(addr: SocketAddr) -> Env {
    Env::from_pairs([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{addr}")),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_owned()),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=acme".to_owned()),
    ])
}

/// Builds, records, flushes, records again and shuts down, all from the caller's context
/// (inside the runtime's `block_on` for the runtime settings: a flush or shutdown there
/// blocks the runtime's thread, the case that deadlocked a current-thread runtime).
fn session(addr: SocketAddr) -> (Duration, Duration) {
    let telemetry = Telemetry::builder()
        .env(grpc_env(addr))
        .export_interval(HOUR)
        .build()
        .expect("gRPC builds in every setting");
    let Mode::Otlp(settings) = telemetry.mode() else {
        panic!("{:?}", telemetry.mode())
    };
    assert_eq!(settings.protocol, Protocol::Grpc);
    let counter = telemetry.meter().u64_counter("grpc.requests").build();
    let latency = telemetry.meter().f64_histogram("grpc.latency").build();
    counter.add(3, &[KeyValue::new("route", "/a")]);
    latency.record(0.25, &[]);
    let start = Instant::now();
    telemetry.force_flush(WAIT).expect("flush");
    let flushed = start.elapsed();
    counter.add(4, &[KeyValue::new("route", "/a")]);
    let start = Instant::now();
    telemetry.shutdown(WAIT).expect("shutdown");
    (flushed, start.elapsed())
}

#[test]
fn grpc_delivers_with_no_runtime_and_on_current_and_multi_thread_runtimes() {
    for setting in SETTINGS {
        let server = Server::start();
        let addr = server.addr;
        let (flushed, shut) = setting.run(move || session(addr));
        println!("gRPC {setting:?}: flush {flushed:?}, shutdown {shut:?}");
        let received = server.received();
        assert_eq!(
            received.len(),
            2,
            "{setting:?}: one export per flush and at shutdown"
        );
        let totals: Vec<_> = received
            .iter()
            .map(|(_, r)| counter_total(r, "grpc.requests"))
            .collect();
        assert_eq!(totals, [Some(3), Some(4)], "{setting:?}: delta values");
        let first = &received[0].1;
        let names: Vec<&str> = first.resource_metrics[0].scope_metrics[0]
            .metrics
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        assert!(names.contains(&"grpc.latency"), "{setting:?}: {names:?}");
        let headers = &received[0].0;
        assert!(
            headers.iter().any(|(k, v)| k == "x-tenant" && v == "acme"),
            "{setting:?}: {headers:?}"
        );
        assert!(flushed < WAIT && shut < WAIT, "{setting:?}");
    }
}

/// The main job over gRPC, to a receiver we did not write, with no runtime and inside
/// `block_on` of both runtime kinds.
#[test]
fn the_main_job_reaches_a_third_party_grpc_receiver_in_every_setting() {
    for setting in SETTINGS {
        let Some(mut receiver) = PythonReceiver::start(Wire::Grpc) else {
            return;
        };
        let addr = receiver.addr;
        let job = setting.run(move || main_job::run(grpc_env(addr)));
        let exports = receiver.exports(2, WAIT);
        job.assert_delivered(exports, &format!("{setting:?}"));
        for export in exports {
            assert_eq!(export.header("x-tenant"), Some("acme"), "{setting:?}");
        }
    }
}
