//! Why an acquisition failed.

use std::error::Error;
use std::fmt;
use std::time::Duration;

/// A type-erased error from the connect callback.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// Why [`ConnectionPool::acquire`](super::ConnectionPool::acquire) returned no connection.
///
/// `Display` never includes the connect callback's own message, which may hold credentials or
/// URLs with tokens; it is available through [`Error::source`] for whoever chooses to print it.
#[derive(Debug)]
#[non_exhaustive]
pub enum PoolError {
    /// The connect callback failed; the error it returned is the [`source`](Error::source).
    Connect(BoxError),
    /// No connection was ready within this timeout.
    Timeout(Duration),
    /// The pool was closed before or during the acquisition.
    Closed,
    /// Called outside a tokio runtime, which the pool needs to run handshakes and timers.
    NoRuntime,
    /// The connect callback panicked.
    ConnectPanicked,
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::Connect(_) => f.write_str("connection pool: the connect callback failed"),
            PoolError::Timeout(t) => write!(f, "connection pool: no connection within {t:?}"),
            PoolError::Closed => f.write_str("connection pool: closed"),
            PoolError::NoRuntime => f.write_str("connection pool: not inside a tokio runtime"),
            PoolError::ConnectPanicked => {
                f.write_str("connection pool: the connect callback panicked")
            }
        }
    }
}

impl Error for PoolError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            PoolError::Connect(e) => Some(&**e),
            _ => None,
        }
    }
}

/// A failed handshake, as the handshake task sees it.
#[derive(Debug)]
pub(super) enum Failure {
    /// `type_name` is what gets logged when nobody waits for the result: never the message.
    Connect {
        type_name: &'static str,
        error: BoxError,
    },
    Timeout(Duration),
}

impl Failure {
    pub(super) fn connect<E: Into<BoxError>>(error: E) -> Self {
        Failure::Connect {
            type_name: std::any::type_name::<E>(),
            error: error.into(),
        }
    }

    /// Log a failure nobody will see otherwise, with only the error's type: details could hold
    /// credentials (LiveKit 1.8.9 logs the exception type name for the same reason).
    pub(super) fn log(&self, what: &'static str, warn: bool) {
        let kind = match self {
            Failure::Connect { type_name, .. } => *type_name,
            Failure::Timeout(_) => "timeout",
        };
        if warn {
            tracing::warn!(error_type = kind, "connection pool: {what} failed");
        } else {
            tracing::debug!(error_type = kind, "connection pool: {what} failed");
        }
    }
}

impl From<Failure> for PoolError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Connect { error, .. } => PoolError::Connect(error),
            Failure::Timeout(t) => PoolError::Timeout(t),
        }
    }
}
