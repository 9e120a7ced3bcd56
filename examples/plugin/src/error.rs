//! What a synthesis can fail with.

use std::fmt;
use std::time::Duration;

use agent_metrics::PoolError;
use agent_metrics::schema::AttemptOutcome;
use tokio_tungstenite::tungstenite;

/// Why a synthesis failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum TtsError {
    /// No connection could be acquired (the server is down, the handshake timed out).
    Connect(PoolError),
    /// The connection failed during the request, after the retries on fresh connections.
    WebSocket(tungstenite::Error),
    /// The server closed the connection before answering.
    Closed,
    /// The server answered with an error message.
    Server(String),
    /// The server sent something outside the protocol.
    Protocol(String),
    /// The server went quiet for longer than the read timeout.
    Timeout(Duration),
}

impl fmt::Display for TtsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TtsError::Connect(e) => write!(f, "cannot connect to the TTS server: {e}"),
            TtsError::WebSocket(e) => write!(f, "TTS connection failed: {e}"),
            TtsError::Closed => f.write_str("the TTS server closed the connection"),
            TtsError::Server(message) => write!(f, "the TTS server refused: {message}"),
            TtsError::Protocol(message) => write!(f, "unexpected TTS message: {message}"),
            TtsError::Timeout(after) => write!(f, "no answer from the TTS server in {after:?}"),
        }
    }
}

impl std::error::Error for TtsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TtsError::Connect(e) => Some(e),
            TtsError::WebSocket(e) => Some(e),
            _ => None,
        }
    }
}

impl From<PoolError> for TtsError {
    fn from(e: PoolError) -> Self {
        TtsError::Connect(e)
    }
}

impl TtsError {
    /// Whether the connection itself is gone, so that a fresh one may succeed where it failed.
    pub(crate) fn is_connection_lost(&self) -> bool {
        matches!(self, TtsError::WebSocket(_) | TtsError::Closed)
    }
}

impl TtsError {
    /// How the provider attempt that failed with this error ended, and its `error.type`: a
    /// fixed class, never the message (which may quote the server or the URL).
    pub(crate) fn attempt_outcome(&self) -> (AttemptOutcome, &'static str) {
        match self {
            TtsError::Connect(PoolError::Timeout(_)) | TtsError::Timeout(_) => {
                (AttemptOutcome::Timeout, "timeout")
            }
            TtsError::Connect(PoolError::Closed) => (AttemptOutcome::Cancelled, "closed"),
            TtsError::Connect(_) => (AttemptOutcome::Error, "connect"),
            TtsError::WebSocket(_) | TtsError::Closed => (AttemptOutcome::Error, "connection_lost"),
            TtsError::Server(_) => (AttemptOutcome::Error, "server_error"),
            TtsError::Protocol(_) => (AttemptOutcome::Error, "protocol"),
        }
    }
}
