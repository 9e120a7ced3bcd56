//! From builder settings and the environment to a running pipeline: which mode applies, the
//! push exporter's settings, the resource, and the readers of the provider.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{MeterProviderBuilder, SdkMeterProvider, Temporality};
use opentelemetry_sdk::resource::TelemetryResourceDetector;

use super::builder::{
    DEFAULT_EXPORT_INTERVAL, DEFAULT_EXPORT_TIMEOUT, DEFAULT_SERVICE_NAME, Target,
};
#[cfg(feature = "otlp")]
use super::cloud::LiveKitCloud;
use super::env::EnvSettings;
use super::error::ExportError;
use super::instance::{SERVICE_INSTANCE_ID, process_instance_id};
use super::secret::{Secret, redact_url};
use super::settings::{Mode, Protocol, PushSettings};
use super::{Parts, Telemetry, TelemetryBuilder};
use crate::capture::{Capture, scoped_meter};

impl TelemetryBuilder {
    /// Reads the environment, checks every setting and starts the exporter.
    ///
    /// Nothing is sent here, so an unreachable collector is not an error; it shows up as a
    /// `tracing` warning at the first failed export, and in the result of
    /// [`Telemetry::force_flush`] and [`Telemetry::shutdown`].
    pub fn build(self) -> Result<Telemetry, ExportError> {
        let env = EnvSettings::read(&self.env);
        env.warn_ignored();
        if self.disabled || env.disabled {
            return Ok(Telemetry::disabled());
        }
        for (setting, value) in [
            ("export_interval", self.interval),
            ("export_timeout", self.timeout),
        ] {
            if value == Some(Duration::ZERO) {
                let reason = "must be greater than zero".to_owned();
                return Err(ExportError::InvalidConfig { setting, reason });
            }
        }
        let conventions = self
            .gen_ai_conventions
            .or(env.gen_ai_conventions)
            .unwrap_or_default();
        #[cfg_attr(not(feature = "otlp"), allow(unused_mut))]
        let mut push = self.push_target(&env)?;
        #[cfg(feature = "otlp")]
        if let Some((_, config)) = &mut push {
            config.limits = crate::cardinality::limits(&self.catalog(conventions));
        }
        let new_provider = || {
            let provider = SdkMeterProvider::builder().with_resource(self.resource(&env));
            match crate::cardinality::view(&self.catalog(conventions)) {
                Some(view) => provider.with_view(view),
                None => provider,
            }
        };
        let mut provider = new_provider();
        let mut parts = Parts {
            conventions,
            ..Parts::default()
        };
        let mode = match push {
            Some((cloud, config)) => {
                let settings = config.settings.clone();
                provider = provider.with_reader(push_reader(config, &mut parts)?);
                if cloud {
                    Mode::LiveKitCloud(settings)
                } else {
                    Mode::Otlp(settings)
                }
            }
            // An explicit `.embedded()` keeps the in-process reader next to Prometheus.
            None => match (self.prometheus, &self.target) {
                (Some(addr), None) => Mode::Prometheus(addr),
                _ => Mode::Embedded,
            },
        };
        // Cumulative pipelines get no per-job attributes (see `pull`), unless asked for: a
        // cumulative push pipeline is fed without them (and the Prometheus reader can share its
        // provider); otherwise the Prometheus reader gets a provider of its own.
        let filter_primary = !self.cumulative_job_attributes
            && matches!(&mode, Mode::Otlp(s) | Mode::LiveKitCloud(s)
                if s.temporality == Temporality::Cumulative);
        let mut pull = None;
        if let Some(addr) = self.prometheus {
            if self.cumulative_job_attributes || filter_primary {
                provider = start_prometheus(provider, addr, &mut parts)?;
            } else {
                pull = Some(start_prometheus(new_provider(), addr, &mut parts)?.build());
            }
        }
        let mode = match (mode, parts.prometheus_addr) {
            (Mode::Prometheus(_), Some(bound)) => Mode::Prometheus(bound),
            (mode, _) => mode,
        };
        let alone = matches!(mode, Mode::Prometheus(_));
        let meter = if let Some(only) = pull.take_if(|_| alone) {
            // Prometheus alone: its provider is the only one.
            let meter = super::pull::meter(None, scoped_meter(&only));
            parts.provider = Some(only);
            meter
        } else {
            let primary = if mode == Mode::Embedded {
                let temporality = self.temporality.unwrap_or(Temporality::Cumulative);
                let capture = Capture::with_builder(provider, temporality);
                parts.provider = Some(capture.provider().clone());
                let meter = capture.meter().clone();
                parts.capture = Some(capture);
                meter
            } else {
                let provider = provider.build();
                let meter = scoped_meter(&provider);
                parts.provider = Some(provider);
                meter
            };
            match (&pull, &parts.provider) {
                (Some(pull), _) => super::pull::meter(Some(primary), scoped_meter(pull)),
                (None, Some(provider)) if filter_primary => {
                    super::pull::meter(None, scoped_meter(provider))
                }
                _ => primary,
            }
        };
        #[cfg(feature = "otlp")]
        if let Some(health) = &parts.health {
            health.register(&meter);
        }
        parts.meter = Some(meter);
        parts.pull = pull;
        Ok(Telemetry::from_parts(mode, parts))
    }

    /// The push exporter to build, if any: `(is LiveKit Cloud, config)`.
    fn push_target(&self, env: &EnvSettings) -> Result<Option<(bool, PushConfig)>, ExportError> {
        let protocol = self.protocol.or(env.protocol).unwrap_or_default();
        // The export's budget: the builder's, else the SDK's `OTEL_METRIC_EXPORT_TIMEOUT`, else the
        // exporter's request timeout (our documented default); each request within it is bounded
        // by the exporter's timeout variable.
        let timeout = self
            .timeout
            .or(env.export_timeout)
            .or(env.timeout)
            .unwrap_or(DEFAULT_EXPORT_TIMEOUT);
        let request_timeout = match self.timeout {
            Some(timeout) => timeout,
            None => env.timeout.unwrap_or(DEFAULT_EXPORT_TIMEOUT).min(timeout),
        };
        // `cloud`: LiveKit Cloud gzips, and the OTEL compression variable is for the user's
        // collector; generic OTLP sends uncompressed bodies unless told otherwise (the spec's
        // default for OTEL_EXPORTER_OTLP_COMPRESSION is none).
        let settings = |endpoint: &str, protocol, cloud: bool| PushSettings {
            endpoint: redact_url(endpoint),
            protocol,
            temporality: self
                .temporality
                .or(env.temporality)
                .unwrap_or(Temporality::Delta),
            interval: self
                .interval
                .or(env.interval)
                .unwrap_or(DEFAULT_EXPORT_INTERVAL),
            timeout,
            request_timeout,
            gzip: match cloud {
                true => self.gzip.unwrap_or(true),
                false => self.gzip.or(env.gzip).unwrap_or(false),
            },
            retry: self.retry.unwrap_or_default(),
        };
        let otlp = |endpoint: String, origin| {
            super::env::check_endpoint(origin, &endpoint)?;
            let mut headers = self.headers.clone();
            for (name, value) in &env.headers {
                if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                    headers.push((name.clone(), value.clone()));
                }
            }
            Ok::<_, ExportError>(Some((
                false,
                PushConfig::otlp(settings(&endpoint, protocol, false), endpoint, headers),
            )))
        };
        match &self.target {
            Some(Target::Embedded) => Ok(None),
            Some(Target::Otlp { url, verbatim }) => {
                let origin = if *verbatim {
                    "otlp_metrics_endpoint"
                } else {
                    "otlp_endpoint"
                };
                let url = match (verbatim, protocol) {
                    (false, Protocol::HttpProtobuf) => super::env::signal_url(url),
                    _ => url.clone(),
                };
                otlp(url, origin)
            }
            #[cfg(feature = "otlp")]
            Some(Target::Cloud(cloud)) => self.cloud(cloud, &settings),
            None => {
                if let Some((url, origin)) = env.endpoint(protocol) {
                    return otlp(url, origin);
                }
                #[cfg(feature = "otlp")]
                if let Some(cloud) = LiveKitCloud::from_livekit_env(&env.livekit)? {
                    return self.cloud(&cloud, &settings);
                }
                Ok(None)
            }
        }
    }

    // LiveKit Cloud takes OTLP/HTTP protobuf only; the OTEL headers are for the user's collector.
    #[cfg(feature = "otlp")]
    fn cloud(
        &self,
        cloud: &LiveKitCloud,
        settings: &dyn Fn(&str, Protocol, bool) -> PushSettings,
    ) -> Result<Option<(bool, PushConfig)>, ExportError> {
        let endpoint = cloud.check()?;
        let mut config = PushConfig::otlp(
            settings(&endpoint, Protocol::HttpProtobuf, true),
            endpoint,
            self.headers.clone(),
        );
        config.tokens = Some(std::sync::Arc::new(cloud.tokens()));
        Ok(Some((true, config)))
    }

    fn resource(&self, env: &EnvSettings) -> Resource {
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
        for kv in &self.resource {
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
        let service_name = self
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
}

#[cfg(feature = "otlp")]
use super::otlp::PushConfig;

/// Without the `otlp` feature a push target is still resolved, so that its settings are checked
/// and the error names the missing feature (see `push_reader`).
#[cfg(not(feature = "otlp"))]
struct PushConfig {
    settings: PushSettings,
}

impl PushConfig {
    fn otlp(settings: PushSettings, endpoint: String, headers: Vec<(String, Secret)>) -> Self {
        #[cfg(feature = "otlp")]
        return PushConfig {
            settings,
            endpoint,
            headers,
            tokens: None,
            limits: BTreeMap::new(),
        };
        #[cfg(not(feature = "otlp"))]
        {
            let _ = (endpoint, headers);
            PushConfig { settings }
        }
    }
}

#[cfg(feature = "otlp")]
fn push_reader(
    config: PushConfig,
    parts: &mut Parts,
) -> Result<impl opentelemetry_sdk::metrics::reader::MetricReader, ExportError> {
    let (reader, health) = super::otlp::reader(config)?;
    parts.health = Some(health);
    Ok(reader)
}

#[cfg(not(feature = "otlp"))]
fn push_reader(_: PushConfig, _: &mut Parts) -> Result<crate::capture::SharedReader, ExportError> {
    Err(ExportError::Unsupported {
        what: "OTLP export needs the `otlp` cargo feature of agent-metrics-core".to_owned(),
    })
}

#[cfg(feature = "prometheus")]
fn start_prometheus(
    provider: MeterProviderBuilder,
    addr: SocketAddr,
    parts: &mut Parts,
) -> Result<MeterProviderBuilder, ExportError> {
    let (reader, server) = super::prometheus::start(addr)?;
    parts.prometheus_addr = Some(server.addr());
    parts.prometheus = Some(server);
    Ok(provider.with_reader(reader))
}

#[cfg(not(feature = "prometheus"))]
fn start_prometheus(
    _: MeterProviderBuilder,
    _: SocketAddr,
    _: &mut Parts,
) -> Result<MeterProviderBuilder, ExportError> {
    Err(ExportError::Unsupported {
        what: "the Prometheus endpoint needs the `prometheus` cargo feature of agent-metrics-core"
            .to_owned(),
    })
}
