//! Decide: what a [`TelemetryBuilder`] and the environment ask for, as plain data.
//!
//! [`Plan::new`] reads the builder and the parsed environment ([`EnvSettings`], a value, so tests
//! need no process environment) and answers "with these settings, what runs?": the primary
//! exporter, where Prometheus sits, which pipeline records without the per-job keys, the
//! resource, the cardinality limits, the push settings. It has no side effect (no thread, no
//! socket, no log line) and checks every setting that applies, returning all the errors at once,
//! as the derive's `check` does. [`start`](super::start) then follows the plan.
//!
//! Precedence (see [`TelemetryBuilder`] for the user's view): disabled wins over everything;
//! then the builder's target (the last call wins); then `OTEL_EXPORTER_OTLP_[METRICS_]ENDPOINT`;
//! then LiveKit Cloud from `LIVEKIT_*`; then embedded, unless a Prometheus endpoint is the only
//! thing configured. A setting that does not apply is not checked (an embedded build ignores a
//! broken `LIVEKIT_URL`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::resource::TelemetryResourceDetector;

use super::TelemetryBuilder;
use super::builder::{
    DEFAULT_EXPORT_INTERVAL, DEFAULT_EXPORT_TIMEOUT, DEFAULT_SERVICE_NAME, Target,
};
#[cfg(feature = "otlp")]
use super::cloud::{LiveKitCloud, ObservabilityTokens};
use super::env::{EnvSettings, check_endpoint, signal_url};
use super::error::ExportError;
use super::instance::{SERVICE_INSTANCE_ID, process_instance_id};
use super::secret::{Secret, redact_url};
use super::settings::{Mode, Protocol, PushSettings};
use crate::catalog::Catalog;
use crate::schema::GenAiConventions;

/// What [`start`](super::start) builds.
// Made once per telemetry and moved once: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Plan {
    /// `disable()` or `OTEL_SDK_DISABLED=true`: a no-op meter, nothing else.
    Disabled,
    /// One meter provider (and maybe a second one for Prometheus) to build and start.
    Start(Pipelines),
}

/// The pipelines of an enabled telemetry.
#[derive(Debug)]
pub(crate) struct Pipelines {
    /// The first reader of the main provider.
    pub primary: Primary,
    /// A Prometheus endpoint next to a push or embedded primary.
    pub prometheus: Option<Prometheus>,
    /// What the main provider is fed: with the per-job keys, or without them.
    pub job_keys: JobKeys,
    /// The resource of every provider.
    pub resource: Resource,
    /// The schema under `conventions` and the declared plugin types: the cardinality view.
    pub catalog: Catalog,
    /// The GenAI conventions the recorder follows.
    pub conventions: GenAiConventions,
}

/// The main provider's first reader, which names the [`Mode`].
#[derive(Debug)]
pub(crate) enum Primary {
    /// Push over OTLP, to a collector or to LiveKit Cloud.
    Push(Push),
    /// The in-process reader, with this temporality (cumulative unless the builder says).
    Embedded(Temporality),
    /// Prometheus alone: its reader is the main provider's only one.
    Prometheus(SocketAddr),
}

/// Where a Prometheus reader next to the primary one sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prometheus {
    /// A reader on the main provider: it sees what the main provider is fed.
    Shared(SocketAddr),
    /// A reader on a provider of its own, fed without the per-job keys while the main provider
    /// keeps them (see `pull`).
    Own(SocketAddr),
}

/// Whether the main provider is fed the per-job keys ([`PER_JOB_KEYS`](super::PER_JOB_KEYS)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JobKeys {
    /// As recorded.
    Kept,
    /// Without them: the main provider is cumulative (a cumulative push, or Prometheus alone)
    /// and `cumulative_job_attributes` is off.
    Stripped,
}

/// Which push destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Destination {
    /// An OTLP collector.
    Otlp,
    /// LiveKit Cloud, with a Bearer JWT on every request.
    #[cfg_attr(not(feature = "otlp"), allow(dead_code))]
    LiveKitCloud,
}

/// Everything needed to build one push exporter.
pub(crate) struct Push {
    pub destination: Destination,
    pub settings: PushSettings,
    /// The endpoint as configured (the one in `settings` is redacted for display).
    #[cfg_attr(not(feature = "otlp"), allow(dead_code))]
    pub endpoint: String,
    #[cfg_attr(not(feature = "otlp"), allow(dead_code))]
    pub headers: Vec<(String, Secret)>,
    /// LiveKit Cloud's token source.
    #[cfg(feature = "otlp")]
    pub tokens: Option<std::sync::Arc<ObservabilityTokens>>,
    /// The declared cardinality limits by instrument, which bound the carry-over.
    #[cfg_attr(not(feature = "otlp"), allow(dead_code))]
    pub limits: BTreeMap<&'static str, usize>,
}

// The endpoint may carry credentials and header values are secrets: show what is safe.
impl std::fmt::Debug for Push {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Push")
            .field("destination", &self.destination)
            .field("settings", &self.settings)
            .field("headers", &names)
            .finish_non_exhaustive()
    }
}

impl Push {
    /// The mode this push names.
    pub(crate) fn mode(&self) -> Mode {
        match self.destination {
            Destination::Otlp => Mode::Otlp(self.settings.clone()),
            Destination::LiveKitCloud => Mode::LiveKitCloud(self.settings.clone()),
        }
    }
}

impl Plan {
    /// The plan for `builder` in the environment `env`, or every configuration error.
    pub(crate) fn new(
        builder: &TelemetryBuilder,
        env: &EnvSettings,
    ) -> Result<Plan, Vec<ExportError>> {
        if builder.disabled || env.disabled {
            return Ok(Plan::Disabled);
        }
        let mut errors = Vec::new();
        for (setting, value) in [
            ("export_interval", builder.interval),
            ("export_timeout", builder.timeout),
        ] {
            if value == Some(Duration::ZERO) {
                let reason = "must be greater than zero".to_owned();
                errors.push(ExportError::InvalidConfig { setting, reason });
            }
        }
        let conventions = builder
            .gen_ai_conventions
            .or(env.gen_ai_conventions)
            .unwrap_or_default();
        let catalog = builder.catalog(conventions);
        let push = push(builder, env, &catalog, &mut errors);
        if let Some(push) = &push {
            check_push(push, &mut errors);
        }
        if builder.prometheus.is_some() && !cfg!(feature = "prometheus") {
            errors.push(unsupported(NEEDS_PROMETHEUS));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let (primary, prometheus, job_keys) = readers(builder, push);
        Ok(Plan::Start(Pipelines {
            primary,
            prometheus,
            job_keys,
            resource: resource(builder, env),
            catalog,
            conventions,
        }))
    }
}

/// Where each reader sits and what the main provider is fed. Cumulative pipelines get no
/// per-job attributes (see `pull`) unless `cumulative_job_attributes` says so: a cumulative push
/// (or Prometheus alone) is fed without them, and Prometheus shares its provider; next to a
/// delta push or the embedded reader, Prometheus gets a provider of its own.
fn readers(
    builder: &TelemetryBuilder,
    push: Option<Push>,
) -> (Primary, Option<Prometheus>, JobKeys) {
    let keep = builder.cumulative_job_attributes;
    let stripped_unless_kept = if keep {
        JobKeys::Kept
    } else {
        JobKeys::Stripped
    };
    let beside = |shared: bool| {
        builder.prometheus.map(|addr| {
            if shared {
                Prometheus::Shared(addr)
            } else {
                Prometheus::Own(addr)
            }
        })
    };
    match (push, builder.prometheus) {
        (Some(push), _) if push.settings.temporality == Temporality::Cumulative => {
            (Primary::Push(push), beside(true), stripped_unless_kept)
        }
        (Some(push), _) => (Primary::Push(push), beside(keep), JobKeys::Kept),
        // Prometheus alone, unless `.embedded()` keeps the in-process reader next to it.
        (None, Some(addr)) if !matches!(builder.target, Some(Target::Embedded)) => {
            (Primary::Prometheus(addr), None, stripped_unless_kept)
        }
        (None, _) => {
            let temporality = builder.temporality.unwrap_or(Temporality::Cumulative);
            (Primary::Embedded(temporality), beside(keep), JobKeys::Kept)
        }
    }
}

/// What a build without the `otlp` cargo feature cannot do.
pub(super) const NEEDS_OTLP: &str =
    "OTLP export needs the `otlp` cargo feature of agent-metrics-core";
/// What a build without the `grpc` cargo feature cannot do.
pub(super) const NEEDS_GRPC: &str =
    "OTLP/gRPC needs the `grpc` cargo feature of agent-metrics-core";
/// What a build without the `prometheus` cargo feature cannot do.
pub(super) const NEEDS_PROMETHEUS: &str =
    "the Prometheus endpoint needs the `prometheus` cargo feature of agent-metrics-core";

/// The error for what this build cannot do. The plan reports it; the starting code's
/// fallbacks for a missing feature return it too, though the plan never lets one through.
pub(super) fn unsupported(what: &str) -> ExportError {
    let what = what.to_owned();
    ExportError::Unsupported { what }
}

/// What this build cannot do for `push`, its retry policy and its headers.
fn check_push(push: &Push, errors: &mut Vec<ExportError>) {
    if !cfg!(feature = "otlp") {
        errors.push(unsupported(NEEDS_OTLP));
    } else if push.settings.protocol == Protocol::Grpc && !cfg!(feature = "grpc") {
        errors.push(unsupported(NEEDS_GRPC));
    } else {
        #[cfg(feature = "otlp")]
        errors.extend(super::otlp::check_headers(push.settings.protocol, &push.headers).err());
    }
    errors.extend(push.settings.retry.validate().err());
}

/// The push exporter asked for, if any. A target whose endpoint or credentials are wrong is
/// still returned (with its errors in `errors`), so that its other settings are checked too.
fn push(
    builder: &TelemetryBuilder,
    env: &EnvSettings,
    catalog: &Catalog,
    errors: &mut Vec<ExportError>,
) -> Option<Push> {
    let protocol = builder.protocol.or(env.protocol).unwrap_or_default();
    let otlp = |url: String, origin: &'static str, errors: &mut Vec<ExportError>| {
        errors.extend(check_endpoint(origin, &url).err());
        let mut headers = builder.headers.clone();
        for (name, value) in &env.headers {
            if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                headers.push((name.clone(), value.clone()));
            }
        }
        let settings = settings(builder, env, &url, protocol, Destination::Otlp);
        Some(Push {
            destination: Destination::Otlp,
            settings,
            endpoint: url,
            headers,
            #[cfg(feature = "otlp")]
            tokens: None,
            limits: crate::cardinality::limits(catalog),
        })
    };
    match &builder.target {
        Some(Target::Embedded) => None,
        Some(Target::Otlp { url, verbatim }) => {
            let origin = match *verbatim {
                true => "otlp_metrics_endpoint",
                false => "otlp_endpoint",
            };
            let url = match (verbatim, protocol) {
                (false, Protocol::HttpProtobuf) => signal_url(url),
                _ => url.clone(),
            };
            otlp(url, origin, errors)
        }
        #[cfg(feature = "otlp")]
        Some(Target::Cloud(cloud)) => Some(cloud_push(builder, env, cloud, catalog, errors)),
        None => {
            if let Some((url, origin)) = env.endpoint(protocol) {
                return otlp(url, origin, errors);
            }
            #[cfg(feature = "otlp")]
            match LiveKitCloud::from_livekit_env(&env.livekit) {
                Ok(Some(cloud)) => return Some(cloud_push(builder, env, &cloud, catalog, errors)),
                Ok(None) => {}
                Err(error) => errors.push(error),
            }
            None
        }
    }
}

// LiveKit Cloud takes OTLP/HTTP protobuf only; the OTEL headers are for the user's collector.
#[cfg(feature = "otlp")]
fn cloud_push(
    builder: &TelemetryBuilder,
    env: &EnvSettings,
    cloud: &LiveKitCloud,
    catalog: &Catalog,
    errors: &mut Vec<ExportError>,
) -> Push {
    errors.extend(cloud.problems());
    let endpoint = cloud.metrics_endpoint();
    let destination = Destination::LiveKitCloud;
    Push {
        destination,
        settings: settings(builder, env, &endpoint, Protocol::HttpProtobuf, destination),
        endpoint,
        headers: builder.headers.clone(),
        tokens: Some(std::sync::Arc::new(cloud.tokens())),
        limits: crate::cardinality::limits(catalog),
    }
}

/// A push exporter's settings: the builder's, else the environment's, else our defaults.
fn settings(
    builder: &TelemetryBuilder,
    env: &EnvSettings,
    endpoint: &str,
    protocol: Protocol,
    destination: Destination,
) -> PushSettings {
    // The export's budget: the builder's, else the SDK's `OTEL_METRIC_EXPORT_TIMEOUT`, else the
    // exporter's request timeout (our documented default); each request within it is bounded
    // by the exporter's timeout variable.
    let timeout = builder
        .timeout
        .or(env.export_timeout)
        .or(env.timeout)
        .unwrap_or(DEFAULT_EXPORT_TIMEOUT);
    let request_timeout = match builder.timeout {
        Some(timeout) => timeout,
        None => env.timeout.unwrap_or(DEFAULT_EXPORT_TIMEOUT).min(timeout),
    };
    PushSettings {
        endpoint: redact_url(endpoint),
        protocol,
        temporality: builder
            .temporality
            .or(env.temporality)
            .unwrap_or(Temporality::Delta),
        interval: builder
            .interval
            .or(env.interval)
            .unwrap_or(DEFAULT_EXPORT_INTERVAL),
        timeout,
        request_timeout,
        // LiveKit Cloud gzips, and the OTEL compression variable is for the user's collector;
        // generic OTLP sends uncompressed bodies unless told otherwise (the specification's
        // default for OTEL_EXPORTER_OTLP_COMPRESSION is none).
        gzip: match destination {
            Destination::LiveKitCloud => builder.gzip.unwrap_or(true),
            Destination::Otlp => builder.gzip.or(env.gzip).unwrap_or(false),
        },
        retry: builder.retry.unwrap_or_default(),
    }
}

/// The resource: `OTEL_RESOURCE_ATTRIBUTES`, the LiveKit agent and deployment ids, the builder's
/// attributes (which win), `service.instance.id` and `service.name`.
fn resource(builder: &TelemetryBuilder, env: &EnvSettings) -> Resource {
    let mut attrs: BTreeMap<String, KeyValue> = BTreeMap::new();
    let mut put = |kv: KeyValue| {
        attrs.insert(kv.key.as_str().to_owned(), kv);
    };
    for (key, value) in &env.resource {
        put(KeyValue::new(key.clone(), value.clone()));
    }
    let lk = &env.livekit;
    for (key, value) in [
        ("lk.cloud_agent_id", &lk.agent_id),
        ("lk.deployment_id", &lk.deployment_id),
    ] {
        if let Some(value) = value {
            put(KeyValue::new(key, value.clone()));
        }
    }
    for kv in &builder.resource {
        put(kv.clone());
    }
    // Set by the user (builder or OTEL_RESOURCE_ATTRIBUTES), or this process's own.
    if !attrs.contains_key(SERVICE_INSTANCE_ID) {
        let id = process_instance_id();
        attrs.insert(
            SERVICE_INSTANCE_ID.to_owned(),
            KeyValue::new(SERVICE_INSTANCE_ID, id),
        );
    }
    let from_attributes = attrs.get("service.name").map(|kv| kv.value.to_string());
    let service_name = builder
        .service_name
        .clone()
        .or_else(|| env.service_name.clone())
        .or(from_attributes)
        .unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_owned());
    Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_attributes(attrs.into_values())
        .with_service_name(service_name)
        .build()
}

#[cfg(test)]
mod tests;
