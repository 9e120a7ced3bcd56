//! The OTLP push exporter (HTTP/protobuf, or gRPC with the `grpc` feature), shared by the OTLP and
//! LiveKit Cloud modes.
//!
//! HTTP always goes through our own [`HeaderClient`] around reqwest's blocking client:
//! - it sets the configured headers and, for LiveKit Cloud, a fresh `Authorization: Bearer` JWT
//!   on every request (the exporter's own `with_headers` fixes them when it is built, so a token
//!   would expire after 6 h), all marked sensitive so that no `Debug` of a request shows them;
//! - being chosen explicitly, it cannot be swapped for an async client by cargo feature
//!   unification (`reqwest-client` elsewhere in the tree), which would panic without a runtime
//!   on the SDK's reader thread.
//!
//! Every exporter is wrapped in [`Reported`], which turns export failures (an unreachable or
//! failing collector) into one `tracing` warning per outage instead of silence.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderName, HeaderValue};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Compression, MetricExporter, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, Temporality};

use super::cloud::ObservabilityTokens;
use super::error::ExportError;
use super::secret::{Secret, redact_url};
use super::settings::{Protocol, PushSettings};

/// Everything needed to build one push exporter.
pub(crate) struct PushConfig {
    pub settings: PushSettings,
    /// The endpoint as configured (the one in `settings` is redacted for display).
    pub endpoint: String,
    pub headers: Vec<(String, Secret)>,
    pub tokens: Option<Arc<ObservabilityTokens>>,
}

/// The periodic reader that pushes to `config`'s endpoint.
pub(crate) fn reader(config: PushConfig) -> Result<PeriodicReader<Reported>, ExportError> {
    let PushConfig {
        settings,
        endpoint,
        mut headers,
        tokens,
    } = config;
    let (endpoint, basic_auth) = split_user_info(&endpoint);
    let has_auth = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
    if let Some(credentials) = basic_auth.filter(|_| !has_auth) {
        headers.push(("authorization".to_owned(), credentials));
    }
    let exporter = match settings.protocol {
        Protocol::HttpProtobuf => http_exporter(&settings, &endpoint, headers, tokens)?,
        Protocol::Grpc => grpc_exporter(&settings, &endpoint, headers)?,
    };
    let reported = Reported {
        inner: exporter,
        endpoint: settings.endpoint.clone(),
        failing: AtomicBool::new(false),
        failures: AtomicU64::new(0),
    };
    Ok(PeriodicReader::builder(reported)
        .with_interval(settings.interval)
        .build())
}

fn http_exporter(
    settings: &PushSettings,
    endpoint: &str,
    headers: Vec<(String, Secret)>,
    tokens: Option<Arc<ObservabilityTokens>>,
) -> Result<MetricExporter, ExportError> {
    let client = HeaderClient {
        inner: blocking_client(settings.timeout)?,
        headers: header_values(headers)?,
        tokens,
    };
    let mut builder = MetricExporter::builder()
        .with_temporality(settings.temporality)
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .with_timeout(settings.timeout)
        .with_http_client(client);
    if settings.gzip {
        builder = builder.with_compression(Compression::Gzip);
    }
    builder.build().map_err(|e| build_error(&e, endpoint))
}

#[cfg(feature = "grpc")]
fn grpc_exporter(
    settings: &PushSettings,
    endpoint: &str,
    headers: Vec<(String, Secret)>,
) -> Result<MetricExporter, ExportError> {
    use opentelemetry_otlp::WithTonicConfig;
    use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};

    // tonic's lazy channel spawns onto the current runtime and panics without one.
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(ExportError::NoTokioRuntime);
    }
    let mut metadata = MetadataMap::new();
    for (i, (name, value)) in headers.iter().enumerate() {
        let key = MetadataKey::from_bytes(name.to_ascii_lowercase().as_bytes());
        let value = MetadataValue::try_from(value.expose().as_str());
        let (Ok(key), Ok(value)) = (key, value) else {
            return Err(bad_header(i));
        };
        metadata.insert(key, value);
    }
    let mut builder = MetricExporter::builder()
        .with_temporality(settings.temporality)
        .with_tonic()
        .with_endpoint(endpoint)
        .with_timeout(settings.timeout)
        .with_metadata(metadata);
    if settings.gzip {
        builder = builder.with_compression(Compression::Gzip);
    }
    builder.build().map_err(|e| build_error(&e, endpoint))
}

#[cfg(not(feature = "grpc"))]
fn grpc_exporter(
    _: &PushSettings,
    _: &str,
    _: Vec<(String, Secret)>,
) -> Result<MetricExporter, ExportError> {
    Err(ExportError::Unsupported {
        what: "OTLP/gRPC needs the `grpc` cargo feature of agent-metrics-core".to_owned(),
    })
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
    let decoded = super::env::percent_decode(user_info).unwrap_or_else(|| user_info.to_owned());
    let credentials = format!("Basic {}", STANDARD.encode(decoded));
    let stripped = format!("{scheme}://{host}{}", &rest[authority_end..]);
    (stripped, Some(Secret::new(credentials)))
}

// The exporter's messages quote the endpoint as given; show it redacted instead.
fn build_error(error: &dyn std::error::Error, endpoint: &str) -> ExportError {
    ExportError::Build {
        reason: error.to_string().replace(endpoint, &redact_url(endpoint)),
    }
}

fn bad_header(index: usize) -> ExportError {
    ExportError::InvalidConfig {
        setting: "header",
        reason: format!(
            "header {} is not a valid HTTP header name and value",
            index + 1
        ),
    }
}

fn header_values(
    headers: Vec<(String, Secret)>,
) -> Result<Vec<(HeaderName, HeaderValue)>, ExportError> {
    headers
        .into_iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad_header(i))?;
            let mut value = HeaderValue::from_str(value.expose()).map_err(|_| bad_header(i))?;
            value.set_sensitive(true);
            Ok((name, value))
        })
        .collect()
}

// reqwest's blocking client starts a runtime of its own and must not be built on a thread that
// is inside one (e.g. a `#[tokio::main]` caller), so it is built on a short-lived thread.
fn blocking_client(timeout: Duration) -> Result<reqwest::blocking::Client, ExportError> {
    let build = move || {
        reqwest::blocking::Client::builder()
            .timeout(timeout)
            .build()
    };
    let failed = |reason: String| ExportError::Build { reason };
    std::thread::Builder::new()
        .name("agent-metrics-http-init".to_owned())
        .spawn(build)
        .map_err(|e| failed(format!("cannot start a thread: {e}")))?
        .join()
        .map_err(|_| failed("building the HTTP client panicked".to_owned()))?
        .map_err(|e| failed(format!("cannot build the HTTP client: {e}")))
}

/// reqwest's blocking client with our headers set at send time.
pub(crate) struct HeaderClient {
    inner: reqwest::blocking::Client,
    headers: Vec<(HeaderName, HeaderValue)>,
    tokens: Option<Arc<ObservabilityTokens>>,
}

#[async_trait]
impl HttpClient for HeaderClient {
    async fn send_bytes(&self, mut request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let map = request.headers_mut();
        for (name, value) in &self.headers {
            map.insert(name.clone(), value.clone());
        }
        if let Some(tokens) = &self.tokens {
            let token = tokens.current();
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))?;
            value.set_sensitive(true);
            map.insert(http::header::AUTHORIZATION, value);
        }
        self.inner.send_bytes(request).await
    }
}

impl fmt::Debug for HeaderClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("HeaderClient")
            .field("headers", &names)
            .field("bearer_token", &self.tokens.is_some())
            .finish_non_exhaustive()
    }
}

/// An exporter that reports failures through `tracing`: a warning when an outage starts, debug
/// lines while it lasts, and an info line when exports succeed again.
pub(crate) struct Reported {
    inner: MetricExporter,
    endpoint: String,
    failing: AtomicBool,
    failures: AtomicU64,
}

impl PushMetricExporter for Reported {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let result = self.inner.export(metrics).await;
        let endpoint = self.endpoint.as_str();
        match &result {
            Err(error) => {
                let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        endpoint,
                        %error,
                        "metrics export failed; this batch is dropped and the agent keeps running \
                         (further failures are logged at debug level until an export succeeds)"
                    );
                } else {
                    tracing::debug!(endpoint, %error, failures, "metrics export failed again");
                }
            }
            Ok(()) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!(endpoint, "metrics export recovered");
                }
            }
        }
        result
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}
