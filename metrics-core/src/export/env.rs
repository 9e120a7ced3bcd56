//! Reading the standard `OTEL_*` and `LIVEKIT_*` environment variables.
//!
//! Every read goes through [`Env`], so tests and embedders can pass a map instead of mutating
//! the process environment (`std::env::set_var` is `unsafe` in edition 2024, and racy in tests).
//! Empty values count as unset, as the OpenTelemetry specification asks.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry_sdk::metrics::Temporality;

use super::error::ExportError;
use super::secret::{Secret, redact_url};
use super::settings::Protocol;

/// Where settings are read from: the process environment, a map, or a closure.
///
/// ```
/// use agent_metrics_core::export::Env;
/// let env = Env::from_pairs([("OTEL_SERVICE_NAME", "my-agent")]);
/// assert_eq!(env.get("OTEL_SERVICE_NAME").as_deref(), Some("my-agent"));
/// assert_eq!(env.get("OTEL_SDK_DISABLED"), None);
/// ```
#[derive(Clone)]
pub struct Env(Source);

#[derive(Clone)]
enum Source {
    Process,
    Map(Arc<BTreeMap<String, String>>),
    Fn(Arc<Lookup>),
}

type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

impl Env {
    /// The process environment (the default).
    pub fn process() -> Self {
        Env(Source::Process)
    }

    /// Nothing set: only builder settings apply.
    pub fn empty() -> Self {
        Env(Source::Map(Arc::default()))
    }

    /// The given variables, and nothing else.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let map = pairs.into_iter().map(|(k, v)| (k.into(), v.into()));
        Env(Source::Map(Arc::new(map.collect())))
    }

    /// Whatever `lookup` returns for a variable name.
    pub fn from_fn(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Env(Source::Fn(Arc::new(lookup)))
    }

    /// The trimmed value of `name`; `None` when unset, empty or not UTF-8.
    pub fn get(&self, name: &str) -> Option<String> {
        let value = match &self.0 {
            Source::Process => std::env::var(name).ok(),
            Source::Map(map) => map.get(name).cloned(),
            Source::Fn(lookup) => lookup(name),
        }?;
        let value = value.trim();
        (!value.is_empty()).then(|| value.to_owned())
    }
}

impl Default for Env {
    fn default() -> Self {
        Env::process()
    }
}

// Values may be secrets (LIVEKIT_API_SECRET, OTEL_EXPORTER_OTLP_HEADERS): show names only.
impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Process => f.write_str("Env(process)"),
            Source::Map(map) => f.debug_tuple("Env").field(&map.keys()).finish(),
            Source::Fn(_) => f.write_str("Env(fn)"),
        }
    }
}

/// What the environment says, parsed and checked; `None` means "not set".
#[derive(Clone, Debug, Default)]
pub(crate) struct EnvSettings {
    pub disabled: bool,
    /// `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, used verbatim.
    pub metrics_endpoint: Option<String>,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`, a base URL.
    pub base_endpoint: Option<String>,
    pub headers: Vec<(String, Secret)>,
    pub protocol: Option<Protocol>,
    pub temporality: Option<Temporality>,
    pub interval: Option<Duration>,
    pub timeout: Option<Duration>,
    pub gzip: Option<bool>,
    pub resource: Vec<(String, String)>,
    pub service_name: Option<String>,
    pub livekit: LiveKitEnv,
}

/// The `LIVEKIT_*` variables.
#[derive(Clone, Debug, Default)]
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
pub(crate) struct LiveKitEnv {
    pub observability_url: Option<String>,
    pub url: Option<String>,
    pub api_key: Option<String>,
    pub api_secret: Option<Secret>,
    pub agent_id: Option<String>,
    pub deployment_id: Option<String>,
}

const METRICS_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
const ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
const METRICS_HEADERS: &str = "OTEL_EXPORTER_OTLP_METRICS_HEADERS";
const HEADERS: &str = "OTEL_EXPORTER_OTLP_HEADERS";
const METRICS_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL";
const PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
const METRICS_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT";
const TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TIMEOUT";
const METRICS_COMPRESSION: &str = "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION";
const COMPRESSION: &str = "OTEL_EXPORTER_OTLP_COMPRESSION";
const TEMPORALITY: &str = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
const INTERVAL: &str = "OTEL_METRIC_EXPORT_INTERVAL";

impl EnvSettings {
    /// Reads and checks every variable; the first bad one is the error.
    pub(crate) fn read(env: &Env) -> Result<Self, ExportError> {
        // The signal-specific variable replaces the generic one, as in the OTLP exporter spec.
        let pick = |specific: &'static str, generic: &'static str| {
            env.get(specific)
                .map(|v| (specific, v))
                .or_else(|| env.get(generic).map(|v| (generic, v)))
        };
        let headers = match pick(METRICS_HEADERS, HEADERS) {
            Some((var, value)) => parse_headers(var, &value)?,
            None => Vec::new(),
        };
        let protocol = match pick(METRICS_PROTOCOL, PROTOCOL) {
            Some((var, value)) => Some(parse_protocol(var, &value)?),
            None => None,
        };
        let timeout = match pick(METRICS_TIMEOUT, TIMEOUT) {
            Some((var, value)) => Some(parse_millis(var, &value)?),
            None => None,
        };
        let gzip = match pick(METRICS_COMPRESSION, COMPRESSION) {
            Some((var, value)) => Some(parse_compression(var, &value)?),
            None => None,
        };
        let resource = match env.get("OTEL_RESOURCE_ATTRIBUTES") {
            Some(value) => parse_pairs(&value).map_err(|reason| ExportError::InvalidEnv {
                var: "OTEL_RESOURCE_ATTRIBUTES",
                reason,
            })?,
            None => Vec::new(),
        };
        let metrics_endpoint = env.get(METRICS_ENDPOINT);
        if let Some(url) = &metrics_endpoint {
            check_endpoint(METRICS_ENDPOINT, url)?;
        }
        let base_endpoint = env.get(ENDPOINT);
        if let Some(url) = &base_endpoint {
            check_endpoint(ENDPOINT, url)?;
        }
        Ok(EnvSettings {
            disabled: env
                .get("OTEL_SDK_DISABLED")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            metrics_endpoint,
            base_endpoint,
            headers,
            protocol,
            temporality: env
                .get(TEMPORALITY)
                .map(|v| parse_temporality(TEMPORALITY, &v))
                .transpose()?,
            interval: env
                .get(INTERVAL)
                .map(|v| parse_millis(INTERVAL, &v))
                .transpose()?,
            timeout,
            gzip,
            resource,
            service_name: env.get("OTEL_SERVICE_NAME"),
            livekit: LiveKitEnv {
                observability_url: env.get("LIVEKIT_OBSERVABILITY_URL"),
                url: env.get("LIVEKIT_URL"),
                api_key: env.get("LIVEKIT_API_KEY"),
                api_secret: env.get("LIVEKIT_API_SECRET").map(Secret::new),
                agent_id: env.get("LIVEKIT_AGENT_ID"),
                deployment_id: env.get("LIVEKIT_AGENT_DEPLOYMENT"),
            },
        })
    }

    /// The metrics URL the environment asks for, and the variable it came from: the
    /// signal-specific one verbatim, else the base one with `/v1/metrics` appended (OTLP/HTTP
    /// only: gRPC uses the base URL as it is).
    pub(crate) fn endpoint(&self, protocol: Protocol) -> Option<(String, &'static str)> {
        if let Some(url) = &self.metrics_endpoint {
            return Some((url.clone(), METRICS_ENDPOINT));
        }
        let base = self.base_endpoint.as_deref()?;
        Some(match protocol {
            Protocol::HttpProtobuf => (signal_url(base), ENDPOINT),
            Protocol::Grpc => (base.to_owned(), ENDPOINT),
        })
    }
}

/// `base` with `/v1/metrics` appended, as the OTLP/HTTP spec does with `OTEL_EXPORTER_OTLP_ENDPOINT`.
pub(crate) fn signal_url(base: &str) -> String {
    format!("{}/v1/metrics", base.trim_end_matches('/'))
}

/// Checks that `url` is an `http://` or `https://` URL with a host, so that a typo is a build
/// error instead of a silent export failure every 30 s.
pub(crate) fn check_endpoint(origin: &'static str, url: &str) -> Result<(), ExportError> {
    let invalid = |reason: &str| ExportError::InvalidEndpoint {
        origin,
        url: redact_url(url),
        reason: reason.to_owned(),
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(invalid("expected an http:// or https:// URL"));
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(invalid("the scheme must be http or https"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.is_empty() || host.starts_with(':') {
        return Err(invalid("the URL has no host"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("the URL contains whitespace"));
    }
    if let Some((_, port)) = host.rsplit_once(':').filter(|_| !host.ends_with(']'))
        && port.parse::<u16>().is_err()
    {
        return Err(invalid("the port is not a number from 0 to 65535"));
    }
    Ok(())
}

fn parse_protocol(var: &'static str, value: &str) -> Result<Protocol, ExportError> {
    match value.to_ascii_lowercase().as_str() {
        "http/protobuf" => Ok(Protocol::HttpProtobuf),
        "grpc" => Ok(Protocol::Grpc),
        "http/json" => Err(ExportError::Unsupported {
            what: format!("{var}=http/json: use http/protobuf (the default) or grpc"),
        }),
        _ => Err(ExportError::InvalidEnv {
            var,
            reason: format!("`{value}` is not one of http/protobuf, grpc"),
        }),
    }
}

pub(crate) fn parse_temporality(
    var: &'static str,
    value: &str,
) -> Result<Temporality, ExportError> {
    match value.to_ascii_lowercase().as_str() {
        "delta" => Ok(Temporality::Delta),
        "cumulative" => Ok(Temporality::Cumulative),
        "lowmemory" => Ok(Temporality::LowMemory),
        _ => Err(ExportError::InvalidEnv {
            var,
            reason: format!("`{value}` is not one of delta, cumulative, lowmemory"),
        }),
    }
}

fn parse_millis(var: &'static str, value: &str) -> Result<Duration, ExportError> {
    match value.parse::<u64>() {
        Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
        _ => Err(ExportError::InvalidEnv {
            var,
            reason: format!("`{value}` is not a positive number of milliseconds"),
        }),
    }
}

fn parse_compression(var: &'static str, value: &str) -> Result<bool, ExportError> {
    match value.to_ascii_lowercase().as_str() {
        "gzip" => Ok(true),
        "none" => Ok(false),
        _ => Err(ExportError::InvalidEnv {
            var,
            reason: format!("`{value}` is not one of gzip, none"),
        }),
    }
}

// Header values are credentials more often than not: errors name the entry, never its content.
fn parse_headers(var: &'static str, value: &str) -> Result<Vec<(String, Secret)>, ExportError> {
    let pairs = parse_pairs(value).map_err(|reason| ExportError::InvalidEnv { var, reason })?;
    pairs
        .into_iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let valid_name = name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !valid_name {
                return Err(ExportError::InvalidEnv {
                    var,
                    reason: format!("entry {} does not have a valid header name", i + 1),
                });
            }
            if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
                return Err(ExportError::InvalidEnv {
                    var,
                    reason: format!("entry {} has control characters in its value", i + 1),
                });
            }
            Ok((name, Secret::new(value)))
        })
        .collect()
}

/// `k1=v1,k2=v2` with percent-encoded keys and values (W3C baggage style, as the spec uses for
/// `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS`). Errors never quote the input.
pub(crate) fn parse_pairs(value: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, entry) in value.split(',').enumerate() {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let Some((key, val)) = entry.split_once('=') else {
            return Err(format!("entry {} is not key=value", i + 1));
        };
        let decoded = percent_decode(key.trim()).zip(percent_decode(val.trim()));
        let Some((key, val)) = decoded.filter(|(k, _)| !k.is_empty()) else {
            return Err(format!(
                "entry {} has an empty key or bad percent-encoding",
                i + 1
            ));
        };
        out.push((key, val));
    }
    Ok(out)
}

pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut iter = s.bytes();
    while let Some(b) = iter.next() {
        if b == b'%' {
            let hex = [iter.next()?, iter.next()?];
            bytes.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
#[path = "env_tests.rs"]
mod tests;
