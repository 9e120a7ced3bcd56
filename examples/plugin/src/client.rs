//! The client: options, the pool of WebSocket connections, and the handles built once.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use agent_metrics::opentelemetry::metrics::Meter;
use agent_metrics::schema::Metadata;
use agent_metrics::{AgentMetric, ConnectionPool, Handles, MetricsRecorder};
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async_with_config};

use crate::error::TtsError;
use crate::metrics::PluginMetrics;
use crate::stream::{Synthesis, SynthesizeStream};

/// The provider id on every event and data point.
pub const PROVIDER: &str = "exampletts";

/// The label of the plugin's `TTSMetrics`, `"<module>.<ClassName>"` as in the Python framework.
pub const LABEL: &str = "exampletts.TTS";

/// How long a close frame may take: the server may already be gone.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// One WebSocket connection to the TTS server.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How to reach the server and what to ask it for.
#[derive(Clone, Debug, PartialEq)]
pub struct TtsOptions {
    /// The server's WebSocket URL, `ws://host:port/path`.
    pub url: String,
    /// The voice model, reported as `model_name`.
    pub model: String,
    /// Sample rate of the 16-bit mono PCM the server sends, to turn bytes into seconds.
    pub sample_rate: u32,
    /// Time allowed for a handshake (and for waiting on a prewarm).
    pub connect_timeout: Duration,
    /// Time the server may stay silent in the middle of an answer.
    pub read_timeout: Duration,
    /// Close connections idle for longer than this (a sliding window, as most TTS plugins use).
    pub max_idle: Option<Duration>,
    /// Fresh connections tried when one turns out dead before any audio arrived (a server
    /// restart, an idle timeout on the server's side); a request is retried only then.
    pub max_reconnects: u32,
}

impl TtsOptions {
    /// Options for `model` at `url`, with 24 kHz audio and LiveKit's pool defaults.
    pub fn new(url: impl Into<String>, model: impl Into<String>) -> Self {
        TtsOptions {
            url: url.into(),
            model: model.into(),
            sample_rate: 24_000,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(10),
            max_idle: Some(Duration::from_secs(300)),
            max_reconnects: 2,
        }
    }
}

/// A TTS client. Cloning is cheap and shares the pool and the handles.
#[derive(Clone, Debug)]
pub struct TtsClient {
    shared: Arc<Shared>,
}

/// What the client's clones and streams share.
pub(crate) struct Shared {
    pub(crate) pool: ConnectionPool<Socket>,
    pub(crate) recorder: MetricsRecorder,
    pub(crate) plugin: Handles<PluginMetrics>,
    pub(crate) metadata: Metadata,
    pub(crate) options: TtsOptions,
    segments: AtomicU64,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("pool", &self.pool)
            .field("metadata", &self.metadata)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// A segment id unique within the client, for the events of streamed segments.
    pub(crate) fn next_segment_id(&self) -> String {
        format!("seg_{}", self.segments.fetch_add(1, Ordering::Relaxed))
    }
}

impl TtsClient {
    /// A client recording schema events through `recorder` (the framework's, shared by every
    /// component) and its own metrics on `meter`, whose handles are built here, once.
    pub fn new(options: TtsOptions, recorder: MetricsRecorder, meter: &Meter) -> Self {
        let url: Arc<str> = options.url.as_str().into();
        let pool = ConnectionPool::builder(move |_timeout| connect(url.clone()))
            .on_close(close)
            .connect_timeout(options.connect_timeout)
            .max_session_duration(options.max_idle)
            .mark_refreshed_on_get(true)
            .build();
        let shared = Shared {
            pool,
            recorder,
            plugin: PluginMetrics::handles(meter),
            metadata: Metadata::new(PROVIDER, options.model.as_str()),
            options,
            segments: AtomicU64::new(0),
        };
        TtsClient {
            shared: Arc::new(shared),
        }
    }

    /// The `model_provider` / `model_name` of everything this client records.
    pub fn metadata(&self) -> &Metadata {
        &self.shared.metadata
    }

    /// Connect in the background, so that the first synthesis finds a connection ready.
    pub fn prewarm(&self) {
        self.shared.pool.prewarm();
    }

    /// Synthesize `text` in one request (Python's `ChunkedStream`: `streamed = false`).
    pub async fn synthesize(&self, text: &str) -> Result<Synthesis, TtsError> {
        SynthesizeStream::open(self.shared.clone(), false)
            .await?
            .push(text)
            .await
    }

    /// A stream that synthesizes segments one after the other on one connection (Python's
    /// `SynthesizeStream`); only its first event carries the connection timing.
    pub async fn stream(&self) -> Result<SynthesizeStream, TtsError> {
        SynthesizeStream::open(self.shared.clone(), true).await
    }

    /// Close the idle connections and refuse new syntheses; streams in progress keep their
    /// connection until they are dropped.
    pub async fn close(&self) {
        self.shared.pool.close().await;
    }
}

/// The pool's connect callback: the WebSocket handshake. The pool bounds it by the connect
/// timeout (dropping this future), so it needs no timer of its own.
async fn connect(url: Arc<str>) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    // Nagle off: audio frames and the final message are small and latency is the point.
    let (socket, _response) = connect_async_with_config(&*url, None, true).await?;
    Ok(socket)
}

/// The pool's close callback: a polite close frame, bounded, as the peer may be gone.
async fn close(mut socket: Socket) {
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.close(None)).await;
}
