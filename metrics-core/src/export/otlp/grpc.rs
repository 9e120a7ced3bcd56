//! The OTLP/gRPC exporter: opentelemetry-proto's generated client on tonic, run on a tokio
//! runtime of the crate's own.
//!
//! Ours rather than opentelemetry-otlp's so that a failed delta batch can be carried over: its
//! exporter takes the SDK's `ResourceMetrics`, which cannot be built with carried points folded
//! in, while this one sends the protobuf request we fold them into
//! ([`crate::export::carry`]). It retries as the HTTP client does ([`crate::export::retry`]):
//! the OTLP specification's transient codes (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED,
//! ABORTED, OUT_OF_RANGE, DATA_LOSS, and RESOURCE_EXHAUSTED when the server says when to come back; and any status tonic made from a
//! transport error, which is no answer from the collector), within the export timeout.
//!
//! The runtime has one worker thread, so that gRPC works the same with no runtime, inside a
//! current-thread runtime (whose only thread a flush or shutdown would otherwise block while
//! tonic's tasks need it) and inside a multi-thread one. Exports run on the SDK's reader thread,
//! which is in no runtime, so blocking on ours there is allowed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use tonic::codec::CompressionEncoding;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

use crate::export::carry::send::{self, Answer};
use crate::export::error::ExportError;
use crate::export::health::ExportHealth;
use crate::export::retry::{self, RetryPolicy};
use crate::export::secret::Secret;
use crate::export::settings::PushSettings;

/// The tokio runtime gRPC exports run on; its threads wind down in the background when it is
/// dropped (dropping a runtime blocks, which panics inside another runtime, and the last
/// `Telemetry` may be dropped in async code).
struct GrpcRuntime(Option<tokio::runtime::Runtime>);

impl Drop for GrpcRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Exports to one OTLP/gRPC endpoint.
pub(crate) struct GrpcExporter {
    client: MetricsServiceClient<Channel>,
    metadata: MetadataMap,
    runtime: GrpcRuntime,
    temporality: Temporality,
    retry: RetryPolicy,
    /// How long one export may take, retries included.
    budget: Duration,
    /// How long one request may take.
    request_timeout: Duration,
    health: Arc<ExportHealth>,
}

impl std::fmt::Debug for GrpcExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.metadata.keys().map(|k| format!("{k:?}")).collect();
        f.debug_struct("GrpcExporter")
            .field("metadata", &names)
            .field("retry", &self.retry)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

fn build_error(reason: String) -> ExportError {
    ExportError::Build { reason }
}

/// The headers as gRPC metadata, marked sensitive.
pub(super) fn metadata(headers: &[(String, Secret)]) -> Result<MetadataMap, ExportError> {
    let mut metadata = MetadataMap::new();
    for (i, (name, value)) in headers.iter().enumerate() {
        let key = MetadataKey::from_bytes(name.to_ascii_lowercase().as_bytes());
        let value = MetadataValue::try_from(value.expose().as_str());
        let (Ok(key), Ok(mut value)) = (key, value) else {
            return Err(super::bad_header(i));
        };
        value.set_sensitive(true);
        metadata.insert(key, value);
    }
    Ok(metadata)
}

impl GrpcExporter {
    pub(crate) fn new(
        settings: &PushSettings,
        endpoint: &str,
        headers: Vec<(String, Secret)>,
        health: Arc<ExportHealth>,
    ) -> Result<Self, ExportError> {
        let metadata = metadata(&headers)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("agent-metrics-grpc")
            .enable_all()
            .build()
            .map_err(|e| build_error(format!("cannot start the gRPC runtime: {e}")))?;
        let mut target = Endpoint::from_shared(endpoint.to_owned())
            .map_err(|_| build_error("the gRPC endpoint is not a valid URI".to_owned()))?
            .user_agent(super::USER_AGENT_VALUE)
            .map_err(|e| build_error(e.to_string()))?
            .timeout(settings.request_timeout)
            .connect_timeout(settings.request_timeout);
        if endpoint.starts_with("https://") {
            let tls = super::tls::grpc_config();
            target = target
                .tls_config(tls)
                .map_err(|e| build_error(format!("cannot set up TLS: {e}")))?;
        }
        // The channel spawns its worker onto the runtime it is built in: ours.
        let channel = {
            let _inside = runtime.enter();
            target.connect_lazy()
        };
        let mut client = MetricsServiceClient::new(channel);
        if settings.gzip {
            client = client
                .send_compressed(CompressionEncoding::Gzip)
                .accept_compressed(CompressionEncoding::Gzip);
        }
        Ok(GrpcExporter {
            client,
            metadata,
            runtime: GrpcRuntime(Some(runtime)),
            temporality: settings.temporality,
            retry: settings.retry,
            budget: settings.timeout,
            request_timeout: settings.request_timeout,
            health,
        })
    }

    /// Sends `batch` with retries: the last answer.
    fn send(
        &self,
        batch: &ExportMetricsServiceRequest,
    ) -> Result<ExportMetricsServiceResponse, Status> {
        let start = Instant::now();
        retry::run(
            &self.retry,
            || self.health.deadline(start, self.budget),
            |timeout| self.attempt(batch, timeout),
            |result| match result {
                Ok(_) => None,
                Err(status) => transient(status),
            },
            || self.health.retried(),
        )
    }

    fn attempt(
        &self,
        batch: &ExportMetricsServiceRequest,
        timeout: Duration,
    ) -> Result<ExportMetricsServiceResponse, Status> {
        let Some(runtime) = &self.runtime.0 else {
            return Err(Status::failed_precondition("the gRPC runtime is gone"));
        };
        let timeout = timeout.min(self.request_timeout);
        let mut request = tonic::Request::new(batch.clone());
        *request.metadata_mut() = self.metadata.clone();
        request.set_timeout(timeout);
        let mut client = self.client.clone();
        let answer = runtime
            .block_on(async move { tokio::time::timeout(timeout, client.export(request)).await });
        let status = match answer {
            Ok(Ok(response)) => return Ok(response.into_inner()),
            Ok(Err(status)) => status,
            Err(_) => Status::deadline_exceeded("no answer within the request timeout"),
        };
        self.health.attempt_failed(match status.code() {
            Code::DeadlineExceeded => format!("the collector did not answer within {timeout:.1?}"),
            Code::Unavailable => "cannot reach the collector (gRPC UNAVAILABLE)".to_owned(),
            code => format!("the collector answered gRPC {code:?}"),
        });
        Err(status)
    }
}

/// Whether a gRPC status is worth retrying, per the OTLP specification, and after how long
/// the server asked (`Some(None)`: retry with the policy's backoff).
fn transient(status: &Status) -> Option<Option<Duration>> {
    // A status tonic made from a transport error (a connection reset or refused, a stream the
    // server dropped while stopping) is no answer from the collector, whatever its code.
    if std::error::Error::source(status).is_some() {
        return Some(None);
    }
    let delay = status.get_details_retry_info().and_then(|r| r.retry_delay);
    match status.code() {
        Code::ResourceExhausted => delay.map(Some),
        Code::Unavailable
        | Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::DataLoss => Some(delay.map(|d| d.min(retry::MAX_SERVER_DELAY))),
        _ => None,
    }
}

impl PushMetricExporter for GrpcExporter {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let batch = ExportMetricsServiceRequest::from(metrics);
        let result = match self.health.carry() {
            Some(carry) => send::send(&self.health, carry, batch, |batch| {
                let result = self.send(batch);
                let answer = match &result {
                    Ok(response) => Answer::Accepted(response.partial_success.clone()),
                    Err(status) if transient(status).is_some() => Answer::Transient,
                    Err(_) => Answer::Refused,
                };
                (result, answer)
            }),
            None => {
                let result = self.send(&batch);
                if let Ok(response) = &result {
                    send::report_rejected(&self.health, response.partial_success.clone());
                }
                result
            }
        };
        result.map(|_| ()).map_err(|status| {
            OTelSdkError::InternalFailure(format!("gRPC export failed: {:?}", status.code()))
        })
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
        Ok(())
    }

    fn temporality(&self) -> Temporality {
        self.temporality
    }
}
