//! A tiny WebSocket TTS server on 127.0.0.1 that speaks the plugin's protocol, and helpers
//! shared by the plugin's tests.

// Each test binary uses its own subset of the helpers.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use agent_metrics::capture::{Capture, Point};
use agent_metrics::{MetricsRecorder, schema::Metadata};
use agent_metrics_plugin_example::{TtsClient, TtsOptions};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_tungstenite::tungstenite::Message;

/// Sample rate the server's PCM is declared at (the client's default).
pub(crate) const SAMPLE_RATE: u32 = 24_000;

/// Each test gives up after this, rather than hanging CI.
const TEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What the server answers with.
#[derive(Clone)]
pub(crate) struct Config {
    /// Binary frames per request.
    pub frames: usize,
    /// Bytes per frame.
    pub frame_bytes: usize,
    /// Pause before each frame.
    pub frame_delay: Duration,
    /// Delay before the WebSocket handshake of the `n`th connection accepted (from 0).
    pub handshake_delay: Arc<dyn Fn(u64) -> Duration + Send + Sync>,
}

impl Config {
    /// `frames` frames of `frame_bytes` per request, handshakes delayed by `delay`.
    pub(crate) fn new(frames: usize, frame_bytes: usize, delay: Duration) -> Self {
        Config {
            frames,
            frame_bytes,
            frame_delay: Duration::ZERO,
            handshake_delay: Arc::new(move |_| delay),
        }
    }

    /// Seconds of audio in one answer.
    pub(crate) fn audio_seconds(&self) -> f64 {
        (self.frames * self.frame_bytes) as f64 / (f64::from(SAMPLE_RATE) * 2.0)
    }
}

/// Counts the server keeps.
#[derive(Default)]
pub(crate) struct Stats {
    connections: AtomicU64,
    requests: AtomicU64,
}

impl Stats {
    /// Connections accepted.
    pub(crate) fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    /// Requests answered.
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

/// A running server; [`stop`](Self::stop) kills it and every connection without a close frame,
/// as a crash or a restart would.
pub(crate) struct TtsServer {
    addr: SocketAddr,
    stats: Arc<Stats>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl TtsServer {
    /// Listen on a free port of 127.0.0.1.
    pub(crate) async fn start(config: Config) -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap(), config).await
    }

    /// Listen on `addr` (a restarted server takes its predecessor's port).
    pub(crate) async fn start_on(addr: SocketAddr, config: Config) -> Self {
        let listener = TcpListener::bind(addr).await.expect("bind the test server");
        let addr = listener.local_addr().unwrap();
        let stats = Arc::new(Stats::default());
        let (shutdown, stopped) = watch::channel(false);
        let task = tokio::spawn(serve(listener, config, stats.clone(), stopped));
        TtsServer {
            addr,
            stats,
            shutdown,
            task,
        }
    }

    /// Where it listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL a client connects to.
    pub(crate) fn url(&self) -> String {
        format!("ws://{}/tts", self.addr)
    }

    /// Its counts.
    pub(crate) fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Close the listener and drop every connection; returns once they are all gone.
    pub(crate) async fn stop(self) {
        let _ = self.shutdown.send(true);
        self.task.await.expect("the server task ends cleanly");
    }
}

async fn serve(
    listener: TcpListener,
    config: Config,
    stats: Arc<Stats>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                let n = stats.connections.fetch_add(1, Ordering::SeqCst);
                connections.spawn(connection(tcp, n, config.clone(), stats.clone()));
            }
        }
    }
    drop(listener);
    // Aborted mid-flight: the sockets are dropped with no close frame.
    connections.shutdown().await;
}

async fn connection(tcp: TcpStream, n: u64, config: Config, stats: Arc<Stats>) {
    tokio::time::sleep((config.handshake_delay)(n)).await;
    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
        return;
    };
    let mut requests = 0;
    while let Some(Ok(message)) = ws.next().await {
        match message {
            Message::Text(_) => {
                requests += 1;
                for _ in 0..config.frames {
                    tokio::time::sleep(config.frame_delay).await;
                    let frame = Message::binary(vec![0u8; config.frame_bytes]);
                    if ws.send(frame).await.is_err() {
                        return;
                    }
                }
                // Counted before `done` is sent, so a client that saw `done` sees the count.
                stats.requests.fetch_add(1, Ordering::SeqCst);
                let done = Message::text(format!("done c{n}-r{requests}"));
                if ws.send(done).await.is_err() {
                    return;
                }
            }
            Message::Close(_) => return,
            _ => {}
        }
    }
}

/// The connection index `n` in a request id `c{n}-r{m}`.
pub(crate) fn connection_of(request_id: &str) -> u64 {
    let (conn, _) = request_id.split_once('-').expect("c{n}-r{m}");
    conn.trim_start_matches('c')
        .parse()
        .expect("a connection index")
}

/// A client of `server` recording into a fresh capture.
pub(crate) fn client(server: &TtsServer) -> (TtsClient, Capture) {
    client_at(&server.url())
}

/// A client of the server at `url` recording into a fresh capture.
pub(crate) fn client_at(url: &str) -> (TtsClient, Capture) {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let mut options = TtsOptions::new(url, "voice-1");
    options.connect_timeout = Duration::from_secs(5);
    options.read_timeout = Duration::from_secs(5);
    (TtsClient::new(options, recorder, capture.meter()), capture)
}

/// The metadata attributes every point of the plugin carries.
pub(crate) const MODEL_ATTRS: [&str; 2] = ["model_name=voice-1", "model_provider=exampletts"];

/// The model attributes plus `connection_reused`.
pub(crate) fn acquire_attrs(reused: bool) -> Vec<String> {
    let mut attrs = vec![format!("connection_reused={reused}")];
    attrs.extend(MODEL_ATTRS.map(String::from));
    attrs
}

/// The metadata the client reports.
pub(crate) fn metadata() -> Metadata {
    Metadata::new("exampletts", "voice-1")
}

/// The points of instrument `name`.
pub(crate) fn points(capture: &Capture, name: &str) -> Vec<Point> {
    capture
        .collect()
        .into_iter()
        .filter(|p| p.name == name)
        .collect()
}

/// The `lk.agents.connection.acquire_time` histogram for `connection_reused = reused`, as
/// (count, sum); (0, 0) when it has no point.
pub(crate) fn acquire_histogram(capture: &Capture, reused: bool) -> (u64, f64) {
    let attrs = acquire_attrs(reused);
    points(capture, "lk.agents.connection.acquire_time")
        .iter()
        .find(|p| p.attr_pairs() == attrs)
        .map_or((0, 0.0), |p| {
            let h = p.value.as_histogram().expect("a histogram");
            (h.count, h.sum)
        })
}

/// Run a test body, failing it if it takes longer than [`TEST_TIMEOUT`].
pub(crate) async fn bounded<T>(body: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_TIMEOUT, body)
        .await
        .expect("the test finished in time")
}

/// `a` and `b` equal up to rounding.
pub(crate) fn assert_close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

/// The plugin's provider attempts as `outcome error.type retry=N: count`, sorted; each also
/// carries the model and `kind=tts`, which this checks.
pub(crate) fn attempts(capture: &Capture) -> Vec<String> {
    let mut out: Vec<String> = points(capture, "lk.agents.provider.attempts")
        .iter()
        .map(|p| {
            assert_eq!(p.attr("kind").as_deref(), Some("tts"));
            assert_eq!(p.attr("model_name").as_deref(), Some("voice-1"));
            assert_eq!(p.attr("model_provider").as_deref(), Some("exampletts"));
            format!(
                "{} {} retry={}: {}",
                p.attr("outcome").unwrap(),
                p.attr("error.type").unwrap_or_else(|| "-".to_owned()),
                p.attr("retry").unwrap(),
                p.value.as_u64().unwrap()
            )
        })
        .collect();
    out.sort();
    out
}
