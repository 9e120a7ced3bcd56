//! The OTLP push exporter (HTTP/protobuf, or gRPC with the `grpc` feature), shared by the OTLP and
//! LiveKit Cloud modes.
//!
//! One concept per file: `http` (opentelemetry-otlp's exporter over our own client), `grpc` (our
//! own exporter on tonic), `tls` (rustls for both). This file picks between them and wraps the
//! result in the reader the SDK drives.
//!
//! HTTP always goes through our own [`HeaderClient`](http::HeaderClient) around reqwest's
//! blocking client:
//! - it sets the configured headers and, for LiveKit Cloud, a fresh `Authorization: Bearer` JWT
//!   on every request (the exporter's own `with_headers` fixes them when it is built, so a token
//!   would expire after 6 h), all marked sensitive so that no `Debug` of a request shows them;
//! - it retries transient failures within the export timeout (see [`super::retry`]); the
//!   exporter's own retries are turned off so that the two do not multiply;
//! - being chosen explicitly, it cannot be swapped for an async client by cargo feature
//!   unification (`reqwest-client` elsewhere in the tree), which would panic without a runtime
//!   on the SDK's reader thread.
//!
//! gRPC goes through our own exporter ([`grpc`]). Every exporter is wrapped in
//! [`Reported`], which counts and reports what failed (see [`super::health`]); under delta
//! temporality both carry failed batches over ([`super::carry`]).

#[cfg(feature = "grpc")]
mod grpc;
mod http;
mod tls;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use opentelemetry_otlp::MetricExporter;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, Temporality};

use super::carry::CarryOver;
use super::error::ExportError;
use super::health::{ExportHealth, Reported};
use super::plan::Push;
use super::secret::Secret;
use super::settings::{Protocol, PushSettings};

/// The periodic reader that pushes to `push`'s endpoint, and the health it reports to.
pub(crate) fn reader(
    push: Push,
) -> Result<(PeriodicReader<Reported>, Arc<ExportHealth>), ExportError> {
    let Push {
        settings,
        endpoint,
        mut headers,
        tokens,
        limits,
        destination: _,
    } = push;
    let (endpoint, basic_auth) = split_user_info(&endpoint);
    let has_auth = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
    if let Some(credentials) = basic_auth.filter(|_| !has_auth) {
        headers.push(("authorization".to_owned(), credentials));
    }
    // A cumulative export carries the totals anyway: only delta pipelines carry over.
    let carry = (settings.temporality != Temporality::Cumulative).then(|| CarryOver::new(limits));
    let health = Arc::new(ExportHealth::new(settings.endpoint.clone(), carry));
    let inner = match settings.protocol {
        Protocol::HttpProtobuf => PushExporter::Http(http::exporter(
            &settings,
            &endpoint,
            headers,
            tokens,
            Arc::clone(&health),
        )?),
        Protocol::Grpc => grpc_exporter(&settings, &endpoint, headers, Arc::clone(&health))?,
    };
    let reported = Reported {
        inner,
        health: Arc::clone(&health),
    };
    let reader = PeriodicReader::builder(reported)
        .with_interval(settings.interval)
        .build();
    Ok((reader, health))
}

/// The exporter of one pipeline: opentelemetry-otlp's over HTTP, ours over gRPC.
#[derive(Debug)]
pub(crate) enum PushExporter {
    Http(MetricExporter),
    #[cfg(feature = "grpc")]
    Grpc(grpc::GrpcExporter),
}

impl PushMetricExporter for PushExporter {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        match self {
            PushExporter::Http(e) => e.export(metrics).await,
            #[cfg(feature = "grpc")]
            PushExporter::Grpc(e) => e.export(metrics).await,
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        match self {
            PushExporter::Http(e) => e.force_flush(),
            #[cfg(feature = "grpc")]
            PushExporter::Grpc(e) => e.force_flush(),
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            PushExporter::Http(e) => e.shutdown_with_timeout(timeout),
            #[cfg(feature = "grpc")]
            PushExporter::Grpc(e) => e.shutdown_with_timeout(timeout),
        }
    }

    fn temporality(&self) -> Temporality {
        match self {
            PushExporter::Http(e) => e.temporality(),
            #[cfg(feature = "grpc")]
            PushExporter::Grpc(e) => e.temporality(),
        }
    }
}

#[cfg(feature = "grpc")]
fn grpc_exporter(
    settings: &PushSettings,
    endpoint: &str,
    headers: Vec<(String, Secret)>,
    health: Arc<ExportHealth>,
) -> Result<PushExporter, ExportError> {
    grpc::GrpcExporter::new(settings, endpoint, headers, health).map(PushExporter::Grpc)
}

#[cfg(not(feature = "grpc"))]
fn grpc_exporter(
    _: &PushSettings,
    _: &str,
    _: Vec<(String, Secret)>,
    _: Arc<ExportHealth>,
) -> Result<PushExporter, ExportError> {
    Err(super::plan::unsupported(super::plan::NEEDS_GRPC))
}

/// The endpoint without `user:password@`, and that user info as a Basic `authorization` value.
///
/// The HTTP stack would send it as Basic auth anyway, but it also keeps the URL, user info and
/// all, in its connection-pool keys, which its trace-level logs print.
fn split_user_info(endpoint: &str) -> (String, Option<Secret>) {
    let Some((scheme, rest)) = endpoint.split_once("://") else {
        return (endpoint.to_owned(), None);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some((user_info, host)) = rest[..authority_end].rsplit_once('@') else {
        return (endpoint.to_owned(), None);
    };
    let decoded =
        crate::env_parse::percent_decode(user_info).unwrap_or_else(|| user_info.to_owned());
    let credentials = format!("Basic {}", STANDARD.encode(decoded));
    let stripped = format!("{scheme}://{host}{}", &rest[authority_end..]);
    (stripped, Some(Secret::new(credentials)))
}

/// The `User-Agent` of our requests.
pub(crate) const USER_AGENT_VALUE: &str = concat!("agent-metrics/", env!("CARGO_PKG_VERSION"));

/// Checks that `headers` can be sent over `protocol` (the first that cannot is the error), with
/// the conversion the exporter makes.
pub(crate) fn check_headers(
    protocol: Protocol,
    headers: &[(String, Secret)],
) -> Result<(), ExportError> {
    match protocol {
        Protocol::HttpProtobuf => http::header_values(headers).map(drop),
        #[cfg(feature = "grpc")]
        Protocol::Grpc => grpc::metadata(headers).map(drop),
        // Without the feature the plan reports gRPC itself as unsupported.
        #[cfg(not(feature = "grpc"))]
        Protocol::Grpc => Ok(()),
    }
}

pub(crate) fn bad_header(index: usize) -> ExportError {
    ExportError::InvalidConfig {
        setting: "header",
        reason: format!(
            "header {} is not a valid HTTP header name and value",
            index + 1
        ),
    }
}
