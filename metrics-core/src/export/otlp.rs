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
//! Every exporter is wrapped in [`Reported`], which counts and reports what failed (see
//! [`super::health`]).

use std::fmt;
use std::io::Read as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderName, HeaderValue};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Compression, MetricExporter, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::metrics::PeriodicReader;

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
    } = config;
    settings.retry.validate()?;
    let (endpoint, basic_auth) = split_user_info(&endpoint);
    let has_auth = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
    if let Some(credentials) = basic_auth.filter(|_| !has_auth) {
        headers.push(("authorization".to_owned(), credentials));
    }
    let health = Arc::new(ExportHealth::new(settings.endpoint.clone()));
    let exporter = match settings.protocol {
        Protocol::HttpProtobuf => {
            http_exporter(&settings, &endpoint, headers, tokens, Arc::clone(&health))?
        }
        Protocol::Grpc => grpc_exporter(&settings, &endpoint, headers)?,
    };
    let reported = Reported {
        inner: exporter,
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
        retry: settings.retry,
        budget: settings.timeout,
        health,
    };
    let mut builder = MetricExporter::builder()
        .with_temporality(settings.temporality)
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .with_timeout(settings.timeout)
        .with_retry_policy(opentelemetry_otlp::RetryPolicy::disabled())
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
        .with_retry_policy(settings.retry.to_otlp())
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

/// reqwest's blocking client with our headers set at send time, retrying transient failures.
pub(crate) struct HeaderClient {
    inner: reqwest::blocking::Client,
    headers: Vec<(HeaderName, HeaderValue)>,
    tokens: Option<Arc<ObservabilityTokens>>,
    retry: RetryPolicy,
    /// How long one export may take, retries included.
    budget: Duration,
    health: Arc<ExportHealth>,
}

/// OTLP responses are a few bytes: only this much of one is read (the rest is dropped unread).
const MAX_RESPONSE_BYTES: u64 = 1 << 20;

/// One attempt's failure to get a response, and whether it is worth retrying.
type AttemptError = (HttpError, bool);

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
        // Blocking is fine here: the SDK runs exports on its own reader thread.
        let start = Instant::now();
        let result = retry::run(
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
        );
        result.map_err(|(error, _)| error)
    }
}

impl HeaderClient {
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
            .field("retry", &self.retry)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}
