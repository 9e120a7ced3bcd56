//! [`TelemetryBuilder`]: the caller's settings. [`build`](TelemetryBuilder::build) reads the
//! environment, decides what runs ([`super::plan`]) and starts it ([`super::start`]).

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::Temporality;

#[cfg(feature = "otlp")]
use super::cloud::LiveKitCloud;
use super::env::{Env, EnvSettings};
use super::error::ExportError;
use super::plan::Plan;
use super::retry::RetryPolicy;
use super::secret::{Secret, redact_url};
use super::settings::Protocol;
use crate::catalog::Catalog;
use crate::contract::metric::AgentMetric;
use crate::schema::GenAiConventions;

/// `service.name` unless the caller or `OTEL_SERVICE_NAME` says otherwise.
pub const DEFAULT_SERVICE_NAME: &str = "livekit-agents";
/// Time between two pushes, as in the Python framework.
pub const DEFAULT_EXPORT_INTERVAL: Duration = Duration::from_secs(30);
/// Timeout of one export request, retries included (the OTLP default).
pub const DEFAULT_EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Configures and builds a [`Telemetry`](super::Telemetry).
///
/// Each setting comes from a builder method if called, else from its environment variable
/// (read through [`Env`]), else from our default. The mode is chosen in this order:
/// 1. disabled, by [`disable`](Self::disable) or `OTEL_SDK_DISABLED=true`: a no-op meter;
/// 2. a target set on the builder: [`otlp_endpoint`](Self::otlp_endpoint),
///    [`otlp_metrics_endpoint`](Self::otlp_metrics_endpoint), `livekit_cloud`,
///    [`embedded`](Self::embedded) (the last call wins);
/// 3. `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` (verbatim) or `OTEL_EXPORTER_OTLP_ENDPOINT`
///    (`/v1/metrics` appended for http/protobuf): OTLP;
/// 4. `LIVEKIT_OBSERVABILITY_URL`, or a `LIVEKIT_URL` whose host ends in `.livekit.cloud` or
///    `.livekit.run`: LiveKit Cloud, which then needs `LIVEKIT_API_KEY` and
///    `LIVEKIT_API_SECRET` (the OTLP variables win because they are the standard, explicit way
///    to point metrics somewhere);
/// 5. otherwise the embedded in-process reader, unless a Prometheus endpoint is configured.
///
/// A Prometheus endpoint ([`prometheus`](Self::prometheus)) is served next to whatever push
/// target applies.
///
/// The resource holds `service.name` (builder, else `OTEL_SERVICE_NAME`, else `service.name` in
/// `OTEL_RESOURCE_ATTRIBUTES`, else `livekit-agents`), the `telemetry.sdk.*` attributes,
/// `OTEL_RESOURCE_ATTRIBUTES`, `lk.cloud_agent_id` / `lk.deployment_id` from
/// `LIVEKIT_AGENT_ID` / `LIVEKIT_AGENT_DEPLOYMENT`, and the builder's attributes, which win;
/// and `service.instance.id`: the builder's ([`service_instance_id`](Self::service_instance_id)),
/// else `OTEL_RESOURCE_ATTRIBUTES`', else a random UUID drawn once per process
/// ([`process_instance_id`](super::process_instance_id)), so that workers with identical
/// settings export streams a collector tells apart.
/// Unlike the Python framework, `OTEL_SERVICE_NAME` may replace `livekit-agents`: it is the
/// standard way for an operator to name a service.
///
/// We add `OTEL_EXPORTER_OTLP_HEADERS` to OTLP requests, not to LiveKit Cloud ones (they are
/// meant for the user's collector); LiveKit Cloud always uses http/protobuf with gzip. Requests
/// carry exactly the headers configured here (and the content type, encoding and user agent),
/// even though the OTLP crate also reads `OTEL_EXPORTER_OTLP_HEADERS` and
/// `OTEL_EXPORTER_OTLP_COMPRESSION` from the process environment by itself: [`Env`] is the only
/// source of settings.
///
/// Every `OTEL_*` variable follows the OpenTelemetry SDK environment-variable specification: a
/// blank value counts as unset, and an unusable one (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`,
/// one bad entry in `OTEL_RESOURCE_ATTRIBUTES`, a malformed endpoint, ...) logs one `tracing`
/// warning naming the variable and is ignored, so that the default applies: it never makes
/// [`build`](Self::build) fail. Builder settings, being code, are checked and are errors, all
/// of them at once ([`ExportError::Several`] when more than one is wrong).
///
/// ```
/// use std::time::Duration;
/// use agent_metrics::export::{Env, Mode, Telemetry};
///
/// let telemetry = Telemetry::builder()
///     .env(Env::empty()) // ignore the process environment (e.g. in tests)
///     .room_id("RM_123")
///     .job_id("AJ_456")
///     .export_interval(Duration::from_secs(10))
///     .build()?;
/// assert_eq!(telemetry.mode(), &Mode::Embedded);
/// telemetry.shutdown(Duration::from_secs(5))?;
/// # Ok::<(), agent_metrics::export::ExportError>(())
/// ```
#[derive(Clone)]
#[must_use = "call .build() to get a Telemetry"]
pub struct TelemetryBuilder {
    pub(super) env: Env,
    pub(super) service_name: Option<String>,
    pub(super) resource: Vec<KeyValue>,
    pub(super) temporality: Option<Temporality>,
    pub(super) interval: Option<Duration>,
    pub(super) timeout: Option<Duration>,
    pub(super) gzip: Option<bool>,
    pub(super) protocol: Option<Protocol>,
    pub(super) target: Option<Target>,
    pub(super) headers: Vec<(String, Secret)>,
    pub(super) prometheus: Option<SocketAddr>,
    pub(super) cumulative_job_attributes: bool,
    pub(super) disabled: bool,
    pub(super) retry: Option<RetryPolicy>,
    /// Plugin types whose declared cardinality limits apply, next to the schema's.
    pub(super) metric_types: Vec<fn(&mut Catalog)>,
    pub(super) gen_ai_conventions: Option<GenAiConventions>,
}

#[derive(Clone)]
pub(super) enum Target {
    Otlp {
        url: String,
        verbatim: bool,
    },
    #[cfg(feature = "otlp")]
    Cloud(LiveKitCloud),
    Embedded,
}

impl TelemetryBuilder {
    /// Reads the environment, checks every setting and starts the exporter. When several
    /// settings are wrong, the error is [`ExportError::Several`], naming each.
    ///
    /// Nothing is sent here, so an unreachable collector is not an error; it shows up as a
    /// `tracing` warning at the first failed export, and in the result of
    /// [`Telemetry::force_flush`](super::Telemetry::force_flush) and
    /// [`Telemetry::shutdown`](super::Telemetry::shutdown).
    pub fn build(self) -> Result<super::Telemetry, ExportError> {
        let env = EnvSettings::read(&self.env);
        env.warn_ignored();
        let plan = Plan::new(&self, &env).map_err(ExportError::all)?;
        super::start::start(plan)
    }

    pub(crate) fn new() -> Self {
        TelemetryBuilder {
            env: Env::process(),
            service_name: None,
            resource: Vec::new(),
            temporality: None,
            interval: None,
            timeout: None,
            gzip: None,
            protocol: None,
            target: None,
            headers: Vec::new(),
            prometheus: None,
            cumulative_job_attributes: false,
            disabled: false,
            retry: None,
            metric_types: Vec::new(),
            gen_ai_conventions: None,
        }
    }

    /// Where `OTEL_*` and `LIVEKIT_*` settings are read from (default: the process environment).
    pub fn env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// The `service.name` resource attribute (default `livekit-agents`, or `OTEL_SERVICE_NAME`).
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// The `service.instance.id` resource attribute (default: `OTEL_RESOURCE_ATTRIBUTES`', else
    /// a random UUID per process). Give every process its own: two processes with one id
    /// write the same delta streams, whose points a collector merges wrongly.
    pub fn service_instance_id(self, id: impl Into<String>) -> Self {
        self.resource_attribute(KeyValue::new("service.instance.id", id.into()))
    }

    /// The `room_id` resource attribute. The resource is per provider: with several concurrent
    /// jobs in one process, record job identity as measurement attributes instead.
    pub fn room_id(self, room_id: impl Into<String>) -> Self {
        self.resource_attribute(KeyValue::new("room_id", room_id.into()))
    }

    /// The `job_id` resource attribute (same caveat as [`room_id`](Self::room_id)).
    pub fn job_id(self, job_id: impl Into<String>) -> Self {
        self.resource_attribute(KeyValue::new("job_id", job_id.into()))
    }

    /// The `lk.agent_name` resource attribute.
    pub fn agent_name(self, agent_name: impl Into<String>) -> Self {
        self.resource_attribute(KeyValue::new("lk.agent_name", agent_name.into()))
    }

    /// Any other resource attribute; a later value for the same key wins.
    pub fn resource_attribute(mut self, attribute: KeyValue) -> Self {
        self.resource.push(attribute);
        self
    }

    /// Delta (the default) or cumulative; overrides
    /// `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`. Also applies to the embedded reader,
    /// which is otherwise cumulative so that every read shows totals.
    pub fn temporality(mut self, temporality: Temporality) -> Self {
        self.temporality = Some(temporality);
        self
    }

    /// Time between pushes (default 30 s); overrides `OTEL_METRIC_EXPORT_INTERVAL`.
    pub fn export_interval(mut self, interval: Duration) -> Self {
        self.interval = Some(interval);
        self
    }

    /// Timeout of one export, retries included (default 10 s); overrides
    /// `OTEL_METRIC_EXPORT_TIMEOUT` (the whole export) and `OTEL_EXPORTER_OTLP_TIMEOUT` (each
    /// request, by default also the whole export).
    pub fn export_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How a push export retries transient failures (HTTP 429, 502, 503, 504, connection
    /// errors) within its [`export_timeout`](Self::export_timeout); see [`RetryPolicy`] for the
    /// defaults, which ride out a collector outage of about 8 s.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Declares a metric type of a plugin, so that the cardinality limits its instruments
    /// declare apply (those of the schema's own types always do; see
    /// [`cardinality`](crate::cardinality)).
    pub fn metric_type<T: AgentMetric>(mut self) -> Self {
        fn add<T: AgentMetric>(catalog: &mut Catalog) {
            catalog.add::<T>();
        }
        self.metric_types.push(add::<T>);
        self
    }

    /// The GenAI conventions the recorder follows ([`Telemetry::recorder`](super::Telemetry::recorder));
    /// overrides `OTEL_SEMCONV_STABILITY_OPT_IN`, whose entry `gen_ai_latest_experimental`
    /// selects [`GenAiConventions::LatestExperimental`]. The default is livekit-agents 1.8.9's.
    ///
    /// ```
    /// use agent_metrics::export::{Env, Telemetry};
    /// use agent_metrics::schema::GenAiConventions;
    ///
    /// let env = Env::from_pairs([("OTEL_SEMCONV_STABILITY_OPT_IN", "http,gen_ai_latest_experimental")]);
    /// let telemetry = Telemetry::builder().env(env.clone()).build()?;
    /// assert_eq!(telemetry.gen_ai_conventions(), GenAiConventions::LatestExperimental);
    /// assert_eq!(telemetry.recorder().conventions(), GenAiConventions::LatestExperimental);
    ///
    /// let telemetry = Telemetry::builder()
    ///     .env(env)
    ///     .gen_ai_conventions(GenAiConventions::LiveKit)
    ///     .build()?;
    /// assert_eq!(telemetry.recorder().conventions(), GenAiConventions::LiveKit);
    /// # Ok::<(), agent_metrics::export::ExportError>(())
    /// ```
    pub fn gen_ai_conventions(mut self, conventions: GenAiConventions) -> Self {
        self.gen_ai_conventions = Some(conventions);
        self
    }

    /// The schema under `conventions` and the declared plugin types.
    pub(super) fn catalog(&self, conventions: GenAiConventions) -> Catalog {
        let mut catalog = Catalog::schema_for(conventions);
        for add in &self.metric_types {
            add(&mut catalog);
        }
        catalog
    }

    /// Gzip request bodies; overrides `OTEL_EXPORTER_OTLP_[METRICS_]COMPRESSION`. The default is
    /// off for OTLP, as the specification says (some receivers reject gzip), and on for LiveKit
    /// Cloud.
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = Some(gzip);
        self
    }

    /// The OTLP transport (default http/protobuf); overrides `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// Push over OTLP to a collector's base URL; `/v1/metrics` is appended for http/protobuf,
    /// as with `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub fn otlp_endpoint(mut self, base_url: impl Into<String>) -> Self {
        let url = base_url.into();
        self.target = Some(Target::Otlp {
            url,
            verbatim: false,
        });
        self
    }

    /// Push over OTLP to this exact URL, as with `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`.
    pub fn otlp_metrics_endpoint(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.target = Some(Target::Otlp {
            url,
            verbatim: true,
        });
        self
    }

    /// A header sent with every OTLP request (e.g. an API key); wins over the same name in
    /// `OTEL_EXPORTER_OTLP_HEADERS`. The value is kept in a [`Secret`].
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Secret>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Push to LiveKit Cloud.
    #[cfg(feature = "otlp")]
    pub fn livekit_cloud(mut self, cloud: LiveKitCloud) -> Self {
        self.target = Some(Target::Cloud(cloud));
        self
    }

    /// Keep metrics in process (read them with [`Telemetry::capture`](super::Telemetry::capture)), whatever the environment
    /// says about endpoints.
    pub fn embedded(mut self) -> Self {
        self.target = Some(Target::Embedded);
        self
    }

    /// Also serve `GET /metrics` for Prometheus on `addr` (port 0 picks a free port, see
    /// [`Telemetry::prometheus_addr`](super::Telemetry::prometheus_addr)). Needs the `prometheus` feature.
    pub fn prometheus(mut self, addr: SocketAddr) -> Self {
        self.prometheus = Some(addr);
        self
    }

    /// Whether cumulative pipelines keep the per-job attributes (`job_id`, `room_id` and the
    /// simulation run and job ids, [`PER_JOB_KEYS`](super::PER_JOB_KEYS)) on every series
    /// (default no). Cumulative pipelines are the Prometheus endpoint and OTLP or LiveKit Cloud
    /// export with cumulative temporality: they keep every series they ever saw, so with the job
    /// attributes a worker that runs many jobs grows series without bound. Without them each
    /// instrument has one series per bounded attribute set (model, provider, agent name, ...),
    /// and the per-job identifiers stay on delta exports and the resource. Turn it on for a
    /// process that runs one job (or a few). The embedded reader always keeps them.
    pub fn cumulative_job_attributes(mut self, keep: bool) -> Self {
        self.cumulative_job_attributes = keep;
        self
    }

    /// Record nothing: [`Telemetry::meter`](super::Telemetry::meter) is a no-op meter.
    pub fn disable(mut self) -> Self {
        self.disabled = true;
        self
    }
}

// Endpoints may carry credentials in user info or query; header values are Secrets.
impl fmt::Debug for TelemetryBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = match &self.target {
            None => "from environment".to_owned(),
            Some(Target::Otlp { url, .. }) => format!("OTLP {}", redact_url(url)),
            #[cfg(feature = "otlp")]
            Some(Target::Cloud(cloud)) => format!("{cloud:?}"),
            Some(Target::Embedded) => "embedded".to_owned(),
        };
        f.debug_struct("TelemetryBuilder")
            .field("env", &self.env)
            .field("target", &target)
            .field("service_name", &self.service_name)
            .field("resource", &self.resource)
            .field("protocol", &self.protocol)
            .field("temporality", &self.temporality)
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("headers", &self.headers)
            .field("prometheus", &self.prometheus)
            .field("cumulative_job_attributes", &self.cumulative_job_attributes)
            .field("disabled", &self.disabled)
            .field("retry", &self.retry)
            .field("metric_types", &self.metric_types.len())
            .field("gen_ai_conventions", &self.gen_ai_conventions)
            .finish()
    }
}
