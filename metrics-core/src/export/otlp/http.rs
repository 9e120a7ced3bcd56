//! OTLP/HTTP: opentelemetry-otlp's exporter sending through our own [`HeaderClient`] around
//! reqwest's blocking client, which sets exactly our headers, compresses, and retries transient
//! failures (see [`super`] for why it is ours).

use std::fmt;
use std::io::Read as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use http::{HeaderName, HeaderValue};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{MetricExporter, WithExportConfig, WithHttpConfig};

use crate::export::cloud::ObservabilityTokens;
use crate::export::error::ExportError;
use crate::export::health::ExportHealth;
use crate::export::retry::{self, RetryPolicy};
use crate::export::secret::{Secret, redact_url};
use crate::export::settings::PushSettings;

pub(super) fn exporter(
    settings: &PushSettings,
    endpoint: &str,
    headers: Vec<(String, Secret)>,
    tokens: Option<Arc<ObservabilityTokens>>,
    health: Arc<ExportHealth>,
) -> Result<MetricExporter, ExportError> {
    let client = HeaderClient {
        inner: blocking_client(settings.timeout)?,
        headers: header_values(&headers)?,
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

// The exporter's messages quote the endpoint as given; show it redacted instead.
fn build_error(error: &dyn std::error::Error, endpoint: &str) -> ExportError {
    ExportError::Build {
        reason: error.to_string().replace(endpoint, &redact_url(endpoint)),
    }
}

pub(super) fn header_values(
    headers: &[(String, Secret)],
) -> Result<Vec<(HeaderName, HeaderValue)>, ExportError> {
    headers
        .iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| super::bad_header(i))?;
            let mut value =
                HeaderValue::from_str(value.expose()).map_err(|_| super::bad_header(i))?;
            value.set_sensitive(true);
            Ok((name, value))
        })
        .collect()
}

// reqwest's blocking client starts a runtime of its own and must not be built on a thread that
// is inside one (e.g. a `#[tokio::main]` caller), so it is built on a short-lived thread.
pub(super) fn blocking_client(timeout: Duration) -> Result<reqwest::blocking::Client, ExportError> {
    let build = move || -> Result<_, String> {
        reqwest::blocking::Client::builder()
            .timeout(timeout)
            .tls_backend_preconfigured(super::tls::config()?)
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

/// OTLP responses are a few bytes: only this much of one is read (the rest is dropped unread).
const MAX_RESPONSE_BYTES: u64 = 1 << 20;

/// One attempt's failure to get a response, and whether it is worth retrying.
type AttemptError = (HttpError, bool);

#[async_trait]
impl HttpClient for HeaderClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        crate::export::carry::http::send(&self.health, request, |request| self.send(request))
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
        map.insert(
            USER_AGENT,
            HeaderValue::from_static(super::USER_AGENT_VALUE),
        );
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
