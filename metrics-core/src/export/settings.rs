//! The plain data describing what a built [`Telemetry`](super::Telemetry) does: which mode it
//! chose, where it pushes, with which protocol, temporality and interval.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use opentelemetry_sdk::metrics::Temporality;

use super::retry::RetryPolicy;

/// The OTLP transport.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// OTLP/HTTP with protobuf bodies (`http/protobuf`).
    #[default]
    HttpProtobuf,
    /// OTLP/gRPC (`grpc`); needs the `grpc` cargo feature (and no runtime of the caller's).
    Grpc,
}

impl Protocol {
    /// The `OTEL_EXPORTER_OTLP_PROTOCOL` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::Grpc => "grpc",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a push exporter (OTLP or LiveKit Cloud) is set up.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PushSettings {
    /// The full metrics URL, shown without user info or query string.
    pub endpoint: String,
    /// The transport.
    pub protocol: Protocol,
    /// Delta (the default, as LiveKit PR #5314) or cumulative.
    pub temporality: Temporality,
    /// Time between two exports (default 30 s).
    pub interval: Duration,
    /// Timeout of one export, retries included (default 10 s; `OTEL_METRIC_EXPORT_TIMEOUT`,
    /// else `OTEL_EXPORTER_OTLP_[METRICS_]TIMEOUT`).
    pub timeout: Duration,
    /// Timeout of one request within an export: `OTEL_EXPORTER_OTLP_[METRICS_]TIMEOUT`, at most
    /// `timeout`.
    pub request_timeout: Duration,
    /// Whether request bodies are gzip-compressed: no by default for OTLP, as the specification
    /// says (`OTEL_EXPORTER_OTLP_COMPRESSION`); yes for LiveKit Cloud.
    pub gzip: bool,
    /// How transient failures are retried, within `timeout`.
    pub retry: RetryPolicy,
}

/// What a [`Telemetry`](super::Telemetry) does with what is recorded.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Mode {
    /// Pushed over OTLP to a collector.
    Otlp(PushSettings),
    /// Pushed over OTLP/HTTP to LiveKit Cloud, with a Bearer JWT.
    LiveKitCloud(PushSettings),
    /// Only served on the Prometheus pull endpoint.
    Prometheus(SocketAddr),
    /// Kept in process: read it with [`Telemetry::capture`](super::Telemetry::capture).
    Embedded,
    /// Recorded through a meter or provider the caller owns; never shut down by us.
    UserProvided,
    /// `OTEL_SDK_DISABLED=true` or [`disable`](super::TelemetryBuilder::disable): a no-op meter.
    Disabled,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Otlp(p) | Mode::LiveKitCloud(p) => {
                let what = if matches!(self, Mode::Otlp(_)) {
                    "OTLP"
                } else {
                    "LiveKit Cloud"
                };
                write!(
                    f,
                    "{what} {} to {} every {:?} ({:?} temporality)",
                    p.protocol, p.endpoint, p.interval, p.temporality
                )
            }
            Mode::Prometheus(addr) => {
                write!(f, "Prometheus pull endpoint on http://{addr}/metrics")
            }
            Mode::Embedded => f.write_str("embedded (in-process reader)"),
            Mode::UserProvided => f.write_str("user-provided meter"),
            Mode::Disabled => f.write_str("disabled"),
        }
    }
}
