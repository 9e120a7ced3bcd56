//! The one error type of the export layer.
//!
//! Messages name the setting at fault (an environment variable or a builder method) and what is
//! expected, and never carry a credential: URLs are shown without user info or query string, and
//! header values, API secrets and tokens are never part of a message.

use std::fmt;
use std::time::Duration;

/// Why building, flushing or shutting down a [`Telemetry`](super::Telemetry) failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportError {
    /// An environment variable holds a value that cannot be used.
    InvalidEnv {
        /// The variable, e.g. `OTEL_METRIC_EXPORT_INTERVAL`.
        var: &'static str,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// A builder setting cannot be used.
    InvalidConfig {
        /// The builder method or setting, e.g. `export_interval`.
        setting: &'static str,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// An endpoint is not an `http://` or `https://` URL with a host.
    InvalidEndpoint {
        /// Where it came from: an environment variable or a builder method.
        origin: &'static str,
        /// The URL, without user info or query string.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// A credential that the chosen mode needs is missing.
    MissingCredential {
        /// The environment variable (or builder argument) that should hold it.
        var: &'static str,
        /// The mode that needs it.
        needed_for: &'static str,
    },
    /// The setting asks for something this build does not support (a protocol, or a mode whose
    /// cargo feature is off).
    Unsupported {
        /// What was asked for and how to get it.
        what: String,
    },
    /// gRPC export was selected outside a tokio runtime. No longer returned: gRPC runs on a
    /// runtime of the crate's own.
    NoTokioRuntime,
    /// The exporter or its HTTP client could not be built.
    Build {
        /// The underlying reason.
        reason: String,
    },
    /// The Prometheus endpoint could not listen on its address.
    Bind {
        /// The address asked for.
        addr: String,
        /// The OS error.
        reason: String,
    },
    /// A flush or shutdown did not finish in time; it goes on in the background.
    Timeout {
        /// `"shutdown"` or `"force_flush"`.
        operation: &'static str,
        /// The bound that was exceeded.
        timeout: Duration,
    },
    /// A flush or shutdown finished, but the SDK or the collector reported a failure
    /// (for example an unreachable endpoint).
    Export {
        /// `"shutdown"` or `"force_flush"`.
        operation: &'static str,
        /// The SDK's message.
        reason: String,
    },
    /// `force_flush` after `shutdown`.
    AlreadyShutdown,
    /// More than one setting cannot be used: [`build`](super::TelemetryBuilder::build) checks
    /// every setting that applies and reports them all at once.
    Several {
        /// Each error (none of them `Several`), in the order the settings are checked.
        errors: Vec<ExportError>,
    },
}

impl ExportError {
    /// One error for `errors`: the error itself when there is one, else [`Self::Several`].
    pub(crate) fn all(mut errors: Vec<ExportError>) -> ExportError {
        match errors.len() {
            1 => errors.remove(0),
            _ => ExportError::Several { errors },
        }
    }
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::InvalidEnv { var, reason } => {
                write!(f, "invalid environment variable {var}: {reason}")
            }
            ExportError::InvalidConfig { setting, reason } => {
                write!(f, "invalid telemetry setting `{setting}`: {reason}")
            }
            ExportError::InvalidEndpoint {
                origin,
                url,
                reason,
            } => write!(f, "invalid endpoint `{url}` (from {origin}): {reason}"),
            ExportError::MissingCredential { var, needed_for } => {
                write!(f, "{needed_for} export needs {var}, which is not set")
            }
            ExportError::Unsupported { what } => write!(f, "unsupported: {what}"),
            ExportError::NoTokioRuntime => f.write_str(
                "OTLP/gRPC export needs a tokio runtime: build the Telemetry inside one \
                 (e.g. in #[tokio::main]) or use http/protobuf",
            ),
            ExportError::Build { reason } => {
                write!(f, "cannot build the metrics exporter: {reason}")
            }
            ExportError::Bind { addr, reason } => {
                write!(f, "cannot serve Prometheus metrics on {addr}: {reason}")
            }
            ExportError::Timeout { operation, timeout } => write!(
                f,
                "metrics {operation} did not finish within {timeout:?}; it goes on in the background"
            ),
            ExportError::Export { operation, reason } => {
                write!(f, "metrics {operation} failed: {reason}")
            }
            ExportError::AlreadyShutdown => f.write_str("telemetry is already shut down"),
            ExportError::Several { errors } => {
                write!(f, "{} telemetry settings cannot be used", errors.len())?;
                for (i, error) in errors.iter().enumerate() {
                    let separator = if i == 0 { ": " } else { "; " };
                    write!(f, "{separator}{}) {error}", i + 1)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ExportError {}
