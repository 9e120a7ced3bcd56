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
use crate::env_parse::{self as parse, Ignored, Show};
use crate::schema::GenAiConventions;

/// Where settings are read from: the process environment, a map, or a closure.
///
/// ```
/// use agent_metrics::export::Env;
/// let env = Env::from_pairs([("OTEL_SERVICE_NAME", "my-agent")]);
/// assert_eq!(env.get("OTEL_SERVICE_NAME").as_deref(), Some("my-agent"));
/// assert_eq!(env.get("OTEL_SDK_DISABLED"), None);
/// ```
#[derive(Clone)]
pub struct Env(Vars);

#[derive(Clone)]
enum Vars {
    Process,
    Map(Arc<BTreeMap<String, String>>),
    Fn(Arc<Lookup>),
}

type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

impl Env {
    /// The process environment (the default).
    pub fn process() -> Self {
        Env(Vars::Process)
    }

    /// Nothing set: only builder settings apply.
    pub fn empty() -> Self {
        Env(Vars::Map(Arc::default()))
    }

    /// The given variables, and nothing else.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let map = pairs.into_iter().map(|(k, v)| (k.into(), v.into()));
        Env(Vars::Map(Arc::new(map.collect())))
    }

    /// Whatever `lookup` returns for a variable name.
    pub fn from_fn(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Env(Vars::Fn(Arc::new(lookup)))
    }

    /// The trimmed value of `name`; `None` when unset, empty or not UTF-8.
    pub fn get(&self, name: &str) -> Option<String> {
        let value = match &self.0 {
            Vars::Process => std::env::var(name).ok(),
            Vars::Map(map) => map.get(name).cloned(),
            Vars::Fn(lookup) => lookup(name),
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
            Vars::Process => f.write_str("Env(process)"),
            Vars::Map(map) => f.debug_tuple("Env").field(&map.keys()).finish(),
            Vars::Fn(_) => f.write_str("Env(fn)"),
        }
    }
}

/// What the environment says, parsed and checked; `None` means "not set or not usable" (an
/// unusable value is in `ignored`, to be warned about, see [`crate::env_parse`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct EnvSettings {
    pub disabled: bool,
    /// `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, used verbatim.
    pub metrics_endpoint: Option<String>,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`, a base URL.
    pub base_endpoint: Option<String>,
    /// An endpoint variable was set but none was usable: the specification's default applies.
    pub default_endpoint: bool,
    pub headers: Vec<(String, Secret)>,
    pub protocol: Option<Protocol>,
    pub temporality: Option<Temporality>,
    pub interval: Option<Duration>,
    /// `OTEL_EXPORTER_OTLP_[METRICS_]TIMEOUT`: one request.
    pub timeout: Option<Duration>,
    /// `OTEL_METRIC_EXPORT_TIMEOUT`: one export, retries included.
    pub export_timeout: Option<Duration>,
    pub gzip: Option<bool>,
    pub resource: Vec<(String, String)>,
    pub service_name: Option<String>,
    /// `OTEL_SEMCONV_STABILITY_OPT_IN`; `None` when unset.
    pub gen_ai_conventions: Option<GenAiConventions>,
    pub livekit: LiveKitEnv,
    /// The unusable values, in the order read: each is one warning, and its default applies.
    pub ignored: Vec<Ignored>,
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

pub(crate) const METRICS_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
pub(crate) const ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
pub(crate) const METRICS_HEADERS: &str = "OTEL_EXPORTER_OTLP_METRICS_HEADERS";
pub(crate) const HEADERS: &str = "OTEL_EXPORTER_OTLP_HEADERS";
pub(crate) const METRICS_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL";
pub(crate) const PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
pub(crate) const METRICS_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT";
pub(crate) const TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TIMEOUT";
pub(crate) const METRICS_COMPRESSION: &str = "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION";
pub(crate) const COMPRESSION: &str = "OTEL_EXPORTER_OTLP_COMPRESSION";
pub(crate) const TEMPORALITY: &str = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
pub(crate) const INTERVAL: &str = "OTEL_METRIC_EXPORT_INTERVAL";
pub(crate) const EXPORT_TIMEOUT: &str = "OTEL_METRIC_EXPORT_TIMEOUT";
pub(crate) const RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
pub(crate) const SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
pub(crate) const SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
pub(crate) const SEMCONV_OPT_IN: &str = GenAiConventions::ENV;

/// The base URL the specification gives OTLP/HTTP (`http://localhost:4318`).
pub(crate) const DEFAULT_HTTP_ENDPOINT: &str = "http://localhost:4318";
/// The base URL the specification gives OTLP/gRPC (`http://localhost:4317`).
pub(crate) const DEFAULT_GRPC_ENDPOINT: &str = "http://localhost:4317";

fn protocol(text: &str) -> Result<Protocol, String> {
    if text.eq_ignore_ascii_case("http/json") {
        return Err("http/json is not supported by this exporter".to_owned());
    }
    let protocol = parse::choice(
        text,
        &[
            ("http/protobuf", Protocol::HttpProtobuf),
            ("grpc", Protocol::Grpc),
        ],
    )?;
    if protocol == Protocol::Grpc && !cfg!(feature = "grpc") {
        return Err("grpc needs the `grpc` cargo feature of agent-metrics-core".to_owned());
    }
    Ok(protocol)
}

pub(crate) fn temporality(text: &str) -> Result<Temporality, String> {
    parse::choice(
        text,
        &[
            ("delta", Temporality::Delta),
            ("cumulative", Temporality::Cumulative),
            ("lowmemory", Temporality::LowMemory),
        ],
    )
}

fn compression(text: &str) -> Result<bool, String> {
    if text.eq_ignore_ascii_case("zstd") {
        return Err("zstd is not supported by this exporter (gzip and none are)".to_owned());
    }
    parse::choice(text, &[("gzip", true), ("none", false)])
}

/// Reads variables through the parser family, gathering the unusable values.
struct Reader<'a> {
    env: &'a Env,
    ignored: Vec<Ignored>,
}

impl Reader<'_> {
    /// The first of `vars` that is set and usable.
    fn pick<T>(
        &mut self,
        vars: &[&str],
        show: Show,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        vars.iter().find_map(|var| {
            parse::value(var, self.env.get(var).as_deref(), show, &parse).unwrap_or_else(
                |unusable| {
                    self.ignored.push(unusable);
                    None
                },
            )
        })
    }
}

/// [`parse::pairs`] whose keys are HTTP header names and whose values have no control characters.
fn headers(value: &str) -> Result<Vec<(String, Secret)>, String> {
    let entries = parse::pairs(value)?;
    let mut out = Vec::with_capacity(entries.len());
    for (i, (name, value)) in entries.into_iter().enumerate() {
        let valid_name = name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid_name {
            return Err(format!("entry {} does not have a valid header name", i + 1));
        }
        if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(format!(
                "entry {} has control characters in its value",
                i + 1
            ));
        }
        out.push((name, Secret::new(value)));
    }
    Ok(out)
}

impl EnvSettings {
    /// Reads every variable; an unusable one is left unset, so that its default applies, and
    /// recorded in `ignored` (see [`crate::env_parse`]): reading logs nothing. The
    /// signal-specific variable replaces the generic one, as in the OTLP exporter
    /// specification; when it is unusable, the generic one applies.
    pub(crate) fn read(env: &Env) -> Self {
        let mut r = Reader {
            env,
            ignored: Vec::new(),
        };
        let endpoint = |url: &str| parse::url(url).map(|()| url.to_owned());
        let metrics_endpoint = r.pick(&[METRICS_ENDPOINT], Show::Hidden, endpoint);
        let base_endpoint = r.pick(&[ENDPOINT], Show::Hidden, endpoint);
        let any_endpoint = [METRICS_ENDPOINT, ENDPOINT]
            .iter()
            .any(|var| env.get(var).is_some());
        EnvSettings {
            disabled: r
                .pick(&[SDK_DISABLED], Show::Value, parse::boolean)
                .unwrap_or(false),
            default_endpoint: any_endpoint && metrics_endpoint.is_none() && base_endpoint.is_none(),
            metrics_endpoint,
            base_endpoint,
            headers: r
                .pick(&[METRICS_HEADERS, HEADERS], Show::Hidden, headers)
                .unwrap_or_default(),
            protocol: r.pick(&[METRICS_PROTOCOL, PROTOCOL], Show::Value, protocol),
            temporality: r.pick(&[TEMPORALITY], Show::Value, temporality),
            interval: r.pick(&[INTERVAL], Show::Value, parse::millis),
            timeout: r.pick(&[METRICS_TIMEOUT, TIMEOUT], Show::Value, parse::millis),
            export_timeout: r.pick(&[EXPORT_TIMEOUT], Show::Value, parse::millis),
            gzip: r.pick(
                &[METRICS_COMPRESSION, COMPRESSION],
                Show::Value,
                compression,
            ),
            resource: r
                .pick(&[RESOURCE_ATTRIBUTES], Show::Hidden, parse::pairs)
                .unwrap_or_default(),
            service_name: env.get(SERVICE_NAME),
            // A list naming other conventions is not unusable (those entries are for other
            // instrumentations): no warning, the GenAI default applies.
            gen_ai_conventions: env
                .get(SEMCONV_OPT_IN)
                .map(|list| GenAiConventions::from_opt_in(&list)),
            livekit: LiveKitEnv {
                observability_url: env.get("LIVEKIT_OBSERVABILITY_URL"),
                url: env.get("LIVEKIT_URL"),
                api_key: env.get("LIVEKIT_API_KEY"),
                api_secret: env.get("LIVEKIT_API_SECRET").map(Secret::new),
                agent_id: env.get("LIVEKIT_AGENT_ID"),
                deployment_id: env.get("LIVEKIT_AGENT_DEPLOYMENT"),
            },
            ignored: r.ignored,
        }
    }

    /// Logs one warning per unusable value.
    pub(crate) fn warn_ignored(&self) {
        for ignored in &self.ignored {
            ignored.warn();
        }
    }

    /// The metrics URL the environment asks for, and the variable it came from: the
    /// signal-specific one verbatim, else the base one with `/v1/metrics` appended (OTLP/HTTP
    /// only: gRPC uses the base URL as it is), else the specification's default when an endpoint
    /// variable was set but unusable.
    pub(crate) fn endpoint(&self, protocol: Protocol) -> Option<(String, &'static str)> {
        if let Some(url) = &self.metrics_endpoint {
            return Some((url.clone(), METRICS_ENDPOINT));
        }
        let base = match (&self.base_endpoint, protocol) {
            (Some(base), _) => base.as_str(),
            (None, _) if !self.default_endpoint => return None,
            (None, Protocol::HttpProtobuf) => DEFAULT_HTTP_ENDPOINT,
            (None, Protocol::Grpc) => DEFAULT_GRPC_ENDPOINT,
        };
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

/// Checks that `url` (from the builder or a `LIVEKIT_*` variable) is an `http://` or `https://`
/// URL with a host, so that a typo is a build error instead of a silent export failure every 30 s.
pub(crate) fn check_endpoint(origin: &'static str, url: &str) -> Result<(), ExportError> {
    parse::url(url).map_err(|reason| ExportError::InvalidEndpoint {
        origin,
        url: redact_url(url),
        reason,
    })
}

#[cfg(test)]
mod tests;
