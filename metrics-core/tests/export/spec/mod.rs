//! Export defaults and environment handling as the OpenTelemetry specification asks (issue 13):
//! compression, every `OTEL_*` variable with good, bad and empty values, the parser family under
//! arbitrary input, the headers LiveKit Cloud requests carry whatever the process environment
//! holds, and bounded series on the Prometheus endpoint.
//!
//! Settings come through [`Env`] maps, never the process environment; the one test that needs
//! process variables (the OTLP crate reads some by itself) runs its body in a child process of
//! this binary, so no other test of the binary can see them.
#![cfg(feature = "otlp")]

use agent_metrics_test_support::export_receiver;
#[cfg(feature = "prometheus")]
use agent_metrics_test_support::fixtures;
use agent_metrics_test_support::on_event::OnEvent;

use std::fmt::{Debug, Write as _};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_metrics_core::export::{Env, LiveKitCloud, Mode, Protocol, Telemetry, Temporality};
use agent_metrics_core::stall::{ERROR_ENV, Thresholds, WARN_ENV};
use export_receiver::{Behaviour, Receiver, Request, attrs};
use proptest::prelude::*;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};

const WAIT: Duration = Duration::from_secs(10);
const HOUR: Duration = Duration::from_secs(3600);

// --- log capture (scoped to the calling thread, so tests do not see each other's lines) ---

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<(Level, String)>>>);

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl Logs {
    /// A subscriber that appends every event, with its level, to these logs.
    fn subscriber(&self) -> impl Subscriber {
        let lines = Arc::clone(&self.0);
        OnEvent(move |event: &Event<'_>| {
            let mut text = Message(String::new());
            event.record(&mut text);
            let level = *event.metadata().level();
            lines.lock().unwrap().push((level, text.0));
        })
    }
}

/// `f`'s result and the warnings logged on this thread while it ran.
fn warnings<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
    let logs = Logs::default();
    let result = tracing::subscriber::with_default(logs.subscriber(), f);
    let lines = logs.0.lock().unwrap();
    let warned = lines.iter().filter(|(level, _)| *level == Level::WARN);
    (result, warned.map(|(_, text)| text.clone()).collect())
}

// --- what a build does ---

/// What a telemetry built from an environment does, as far as the tests look.
#[derive(Clone, Debug, PartialEq)]
struct Observed {
    mode: &'static str,
    endpoint: String,
    protocol: Option<Protocol>,
    temporality: Option<Temporality>,
    interval: Option<Duration>,
    timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    gzip: Option<bool>,
    /// Headers of the exported request other than the transport's own, `name=value`.
    headers: Vec<String>,
    /// Resource attributes of the exported request, without `telemetry.sdk.*`.
    resource: Vec<String>,
}

/// Headers every request carries whatever is configured.
const TRANSPORT: [&str; 5] = [
    "host",
    "content-length",
    "accept",
    "user-agent",
    "content-type",
];

fn extra_headers(request: &Request) -> Vec<String> {
    let mut out: Vec<String> = request
        .headers
        .iter()
        .filter(|(name, _)| !TRANSPORT.contains(&name.as_str()))
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    out.sort();
    out
}

fn resource(request: &Request) -> Vec<String> {
    let decoded = request.decode();
    let resource = decoded.resource_metrics[0].resource.clone().unwrap();
    let mut out = attrs(&resource.attributes);
    out.retain(|kv| !kv.starts_with("telemetry.sdk."));
    out
}

/// Builds from `pairs` (with the receiver's URL substituted for `{url}`), records one value,
/// flushes when the endpoint is the receiver's, and returns what happened with the warnings.
fn observe(pairs: &[(&str, &str)]) -> (Observed, Vec<String>) {
    let receiver = Receiver::start();
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.replace("{url}", receiver.url())))
        .collect();
    let (telemetry, warned) = warnings(|| {
        // The default interval (30 s): only the flush exports within a test.
        Telemetry::builder()
            .env(Env::from_pairs(pairs))
            .build()
            .expect("environment values never make build fail")
    });
    let mut observed = Observed {
        mode: "",
        endpoint: String::new(),
        protocol: None,
        temporality: None,
        interval: None,
        timeout: None,
        request_timeout: None,
        gzip: None,
        headers: Vec::new(),
        resource: Vec::new(),
    };
    match telemetry.mode() {
        Mode::Otlp(s) => {
            observed.mode = "otlp";
            observed.endpoint = s.endpoint.clone();
            observed.protocol = Some(s.protocol);
            observed.temporality = Some(s.temporality);
            observed.interval = Some(s.interval);
            observed.timeout = Some(s.timeout);
            observed.request_timeout = Some(s.request_timeout);
            observed.gzip = Some(s.gzip);
        }
        Mode::Disabled => observed.mode = "disabled",
        Mode::Embedded => observed.mode = "embedded",
        other => panic!("unexpected mode {other:?}"),
    }
    if !observed.endpoint.starts_with(receiver.url()) {
        // Nothing listens there (or not ours): do not wait for the final export.
        telemetry.shutdown(Duration::from_millis(200)).ok();
        return (observed, warned);
    }
    telemetry.meter().u64_counter("probe").build().add(1, &[]);
    telemetry.force_flush(WAIT).expect("flush to the receiver");
    let request = receiver.accepted().pop().expect("one export");
    observed.headers = extra_headers(&request);
    observed.resource = resource(&request);
    telemetry.shutdown(WAIT).ok();
    (observed, warned)
}

mod cloud_headers;
mod cumulative;
mod instances;
mod main_job;
mod third_party_http;
mod variables;

// --- item 6 of issue 13: bounded series on the Prometheus endpoint ---

#[cfg(feature = "prometheus")]
mod pull;

// --- item 4 of issue 13: gRPC with no runtime, on a current-thread and a multi-thread runtime ---

/// End to end against a receiver the project did not write: the OpenTelemetry collector service
/// generated by opentelemetry-proto, served by tonic's HTTP/2 server on 127.0.0.1.
#[cfg(feature = "grpc")]
pub(crate) mod grpc;
