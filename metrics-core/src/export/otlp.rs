//! The OTLP push exporter (HTTP/protobuf, or gRPC with the `grpc` feature), shared by the OTLP and
//! LiveKit Cloud modes.
//!
//! HTTP always goes through our own [`HeaderClient`] around reqwest's blocking client:
//! - it sets the configured headers and, for LiveKit Cloud, a fresh `Authorization: Bearer` JWT
//!   on every request (the exporter's own `with_headers` fixes them when it is built, so a token
//!   would expire after 6 h), all marked sensitive so that no `Debug` of a request shows them;
//! - it retries transient failures within the export timeout (see [`super::retry`]); the
//!   exporter's own retries are turned off so that the two do not multiply;
//! - being chosen explicitly, it cannot be swapped for an async client by cargo feature
//!   unification (`reqwest-client` elsewhere in the tree), which would panic without a runtime
//!   on the SDK's reader thread.
//!
//! gRPC goes through our own exporter ([`super::grpc`]). Every exporter is wrapped in
//! [`Reported`], which counts and reports what failed (see [`super::health`]); under delta
//! temporality both carry failed batches over ([`super::carry`]).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderName, HeaderValue};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{MetricExporter, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, Temporality};

use super::carry::CarryOver;
use super::cloud::ObservabilityTokens;
use super::error::ExportError;
use super::health::{ExportHealth, Reported};
use super::retry::{self, RetryPolicy};
use super::secret::{Secret, redact_url};
use super::settings::{Protocol, PushSettings};

/// Everything needed to build one push exporter.
pub(crate) struct PushConfig {
    pub settings: PushSettings,
    /// The endpoint as configured (the one in `settings` is redacted for display).
    pub endpoint: String,
    pub headers: Vec<(String, Secret)>,
    pub tokens: Option<Arc<ObservabilityTokens>>,
    /// The declared cardinality limits by instrument, which bound the carry-over.
    pub limits: BTreeMap<&'static str, usize>,
}

/// The periodic reader that pushes to `config`'s endpoint, and the health it reports to.
pub(crate) fn reader(
    config: PushConfig,
) -> Result<(PeriodicReader<Reported>, Arc<ExportHealth>), ExportError> {
    let PushConfig {
        settings,
        endpoint,
        mut headers,
        tokens,
        limits,
    } = config;
    settings.retry.validate()?;
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
        Protocol::HttpProtobuf => PushExporter::Http(http_exporter(
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

fn http_exporter(
    settings: &PushSettings,
    endpoint: &str,
    headers: Vec<(String, Secret)>,
    tokens: Option<Arc<ObservabilityTokens>>,
    health: Arc<ExportHealth>,
) -> Result<MetricExporter, ExportError> {
    let client = HeaderClient {
        inner: blocking_client(settings.timeout)?,
        headers: header_values(headers)?,
        tokens,
        gzip: settings.gzip,
        retry: settings.retry,
        budget: settings.timeout,
        request_timeout: settings.request_timeout,
        health,
    };
    // No `with_compression`: the client compresses (see `HeaderClient::prepare`).
    MetricExporter::builder()
        .with_temporality(settings.temporality)
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .with_timeout(settings.timeout)
        .with_retry_policy(opentelemetry_otlp::RetryPolicy::disabled())
        .with_http_client(client)
        .build()
        .map_err(|e| build_error(&e, endpoint))
}

/// The exporter of one pipeline: opentelemetry-otlp's over HTTP, ours over gRPC.
#[derive(Debug)]
pub(crate) enum PushExporter {
    Http(MetricExporter),
    #[cfg(feature = "grpc")]
    Grpc(super::grpc::GrpcExporter),
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
    super::grpc::GrpcExporter::new(settings, endpoint, headers, health).map(PushExporter::Grpc)
}

#[cfg(not(feature = "grpc"))]
fn grpc_exporter(
    _: &PushSettings,
    _: &str,
    _: Vec<(String, Secret)>,
    _: Arc<ExportHealth>,
) -> Result<PushExporter, ExportError> {
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
    let decoded = crate::env_parse::percent_decode(user_info).unwrap_or_else(|| user_info.to_owned());
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

pub(crate) fn bad_header(index: usize) -> ExportError {
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
    let build = move || -> Result<_, String> {
        reqwest::blocking::Client::builder()
            .timeout(timeout)
            .tls_backend_preconfigured(tls_config()?)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))
    };
    let failed = |reason: String| ExportError::Build { reason };
    std::thread::Builder::new()
        .name("agent-metrics-http-init".to_owned())
        .spawn(build)
        .map_err(|e| failed(format!("cannot start a thread: {e}")))?
        .join()
        .map_err(|_| failed("building the HTTP client panicked".to_owned()))?
        .map_err(failed)
}

/// The TLS configuration of every HTTPS export: rustls with the crypto provider the process has
/// installed, or else the one this build selected (ring by default, aws-lc-rs with the
/// `tls-aws-lc` feature), verifying certificates as the platform does.
fn tls_config() -> Result<rustls::ClientConfig, String> {
    use rustls_platform_verifier::BuilderVerifierExt as _;
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(selected_provider()));
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_platform_verifier())
        .map(|builder| builder.with_no_client_auth())
        .map_err(|e| format!("cannot set up TLS: {e}"))
}

#[cfg(not(feature = "tls-aws-lc"))]
fn selected_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

#[cfg(feature = "tls-aws-lc")]
fn selected_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// reqwest's blocking client with our headers set at send time, retrying transient failures.
pub(crate) struct HeaderClient {
    inner: reqwest::blocking::Client,
    headers: Vec<(HeaderName, HeaderValue)>,
    tokens: Option<Arc<ObservabilityTokens>>,
    /// Whether bodies are sent gzip-compressed.
    gzip: bool,
    retry: RetryPolicy,
    /// How long one export may take, retries included.
    budget: Duration,
    /// How long one request may take.
    request_timeout: Duration,
    health: Arc<ExportHealth>,
}

/// The `User-Agent` of our requests.
pub(crate) const USER_AGENT_VALUE: &str = concat!("agent-metrics/", env!("CARGO_PKG_VERSION"));

/// OTLP responses are a few bytes: only this much of one is read (the rest is dropped unread).
const MAX_RESPONSE_BYTES: u64 = 1 << 20;

/// One attempt's failure to get a response, and whether it is worth retrying.
type AttemptError = (HttpError, bool);

#[async_trait]
impl HttpClient for HeaderClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        super::carry::http::send(&self.health, request, |request| self.send(request))
    }
}

impl HeaderClient {
    /// Sends `request` with retries: the last response, or the last error and whether it was
    /// transient.
    fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, AttemptError> {
        let request = self.prepare(request).map_err(|e| (e, false))?;
        // Blocking is fine here: the SDK runs exports on its own reader thread.
        let start = Instant::now();
        retry::run(
            &self.retry,
            || self.health.deadline(start, self.budget),
            |timeout| self.attempt(&request, timeout),
            |result| match result {
                Ok(response) if retry::retryable_status(response.status().as_u16()) => Some(
                    response
                        .headers()
                        .get(http::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| retry::parse_retry_after(v, SystemTime::now())),
                ),
                Err((_, transient)) => transient.then_some(None),
                Ok(_) => None,
            },
            || self.health.retried(),
        )
    }

    /// The request as it goes out: exactly our headers (content type, encoding if gzip, user
    /// agent, the configured headers and LiveKit Cloud's `Authorization`), whatever the exporter
    /// added from the process environment (opentelemetry-otlp reads `OTEL_EXPORTER_OTLP_HEADERS`
    /// and `OTEL_EXPORTER_OTLP_COMPRESSION` by itself), and the body compressed as configured.
    fn prepare(&self, request: Request<Bytes>) -> Result<Request<Bytes>, HttpError> {
        use http::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, USER_AGENT};
        let (parts, body) = request.into_parts();
        // Only possible if another crate turns on the exporter's `gzip-http` feature.
        let body = match parts.headers.get(CONTENT_ENCODING) {
            None => body,
            Some(v) if v.as_bytes().eq_ignore_ascii_case(b"gzip") => {
                let mut raw = Vec::new();
                flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut raw)?;
                Bytes::from(raw)
            }
            Some(_) => return Err("the exporter used an unexpected content encoding".into()),
        };
        let body = if self.gzip {
            use std::io::Write as _;
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 4 + 64),
                flate2::Compression::default(),
            );
            encoder.write_all(&body)?;
            Bytes::from(encoder.finish()?)
        } else {
            body
        };
        let mut out = Request::new(body);
        *out.method_mut() = parts.method;
        *out.uri_mut() = parts.uri;
        let map = out.headers_mut();
        map.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-protobuf"),
        );
        if self.gzip {
            map.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        map.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        for (name, value) in &self.headers {
            map.insert(name.clone(), value.clone());
        }
        if let Some(tokens) = &self.tokens {
            let token = tokens.current();
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))?;
            value.set_sensitive(true);
            map.insert(AUTHORIZATION, value);
        }
        Ok(out)
    }

    fn attempt(
        &self,
        request: &Request<Bytes>,
        timeout: Duration,
    ) -> Result<Response<Bytes>, AttemptError> {
        let mut copy = Request::new(request.body().clone());
        *copy.method_mut() = request.method().clone();
        *copy.uri_mut() = request.uri().clone();
        *copy.headers_mut() = request.headers().clone();
        let mut outgoing: reqwest::blocking::Request = copy
            .try_into()
            .map_err(|e| (Box::new(e) as HttpError, false))?;
        let timeout = timeout.min(self.request_timeout);
        *outgoing.timeout_mut() = Some(timeout);
        let mut response = match self.inner.execute(outgoing) {
            Ok(response) => response,
            Err(error) => {
                self.health.attempt_failed(describe(&error, timeout));
                return Err((Box::new(error), true));
            }
        };
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let mut body = Vec::new();
        let read = response.take(MAX_RESPONSE_BYTES).read_to_end(&mut body);
        // The collector has accepted the batch: nothing about the body can undo that, and
        // sending it again would count it twice. The body (a partial-success notice at most) is
        // only worth its first MiB; past that, or on a read error, it is dropped.
        if status.is_success() {
            if read.is_err() {
                tracing::debug!("the collector accepted the export; reading its answer failed");
                body.clear();
            }
            let mut out = Response::new(Bytes::from(body));
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            return Ok(out);
        }
        if let Err(error) = read {
            self.health
                .attempt_failed(format!("reading the response failed: {}", error.kind()));
            return Err((Box::new(error), true));
        }
        self.health
            .attempt_failed(format!("the collector answered HTTP {status}"));
        let mut out = Response::new(Bytes::from(body));
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

/// Why a request got no response, without the client's message: it quotes the URL, query and
/// all, where credentials may hide.
fn describe(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return format!("the collector did not answer within {timeout:.1?}");
    }
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return format!("cannot reach the collector: {}", io.kind());
        }
        source = e.source();
    }
    if error.is_connect() {
        "cannot connect to the collector".to_owned()
    } else {
        "the request to the collector failed".to_owned()
    }
}

impl fmt::Debug for HeaderClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("HeaderClient")
            .field("headers", &names)
            .field("bearer_token", &self.tokens.is_some())
            .field("gzip", &self.gzip)
            .field("retry", &self.retry)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HTTPS exports need a TLS configuration whichever provider the build selected, and with no
    /// provider installed by the process.
    #[test]
    fn the_selected_tls_provider_builds_a_client() {
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
        let config = tls_config().expect("a TLS configuration");
        assert!(config.crypto_provider().cipher_suites.len() > 1);
        blocking_client(Duration::from_secs(1)).expect("an HTTPS-capable client");
    }
}
