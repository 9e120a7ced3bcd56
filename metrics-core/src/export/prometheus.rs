//! The Prometheus pull endpoint: `GET /metrics` in the text exposition format.
//!
//! `opentelemetry-prometheus` is a pull reader over a `prometheus::Registry` and has no server, so
//! this file serves it with one std thread: scrapes are rare (every few seconds) and tiny, which
//! does not justify an HTTP framework and an async runtime. Connections are handled one at a time
//! with short socket timeouts, so a stuck client delays the next scrape by at most
//! [`IO_TIMEOUT`], and the loop polls a stop flag so that shutdown ends the thread promptly.
//! Prometheus only understands cumulative sums, so this reader is cumulative whatever the push
//! exporter uses.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use opentelemetry_prometheus::PrometheusExporter;
use prometheus::{Encoder, Registry, TextEncoder};

use super::error::ExportError;

/// Read and write timeout of one scrape connection.
const IO_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the accept loop looks at the stop flag.
const POLL: Duration = Duration::from_millis(25);
/// Longest request head accepted.
const MAX_HEAD: usize = 8 * 1024;

/// A running `/metrics` endpoint; stopped by [`stop`](Self::stop) or on drop.
pub(crate) struct PrometheusServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// The reader to register with the provider and the server that exposes what it collects.
pub(crate) fn start(
    addr: SocketAddr,
) -> Result<(PrometheusExporter, PrometheusServer), ExportError> {
    let bind_error = |reason: String| ExportError::Bind {
        addr: addr.to_string(),
        reason,
    };
    let registry = Registry::new();
    let exporter = opentelemetry_prometheus::exporter()
        .with_registry(registry.clone())
        .build()
        .map_err(|e| ExportError::Build {
            reason: e.to_string(),
        })?;
    let listener = TcpListener::bind(addr).map_err(|e| bind_error(e.to_string()))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| bind_error(e.to_string()))?;
    let local = listener
        .local_addr()
        .map_err(|e| bind_error(e.to_string()))?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let thread = thread::Builder::new()
        .name("agent-metrics-prometheus".to_owned())
        .spawn(move || serve(&listener, &registry, &flag))
        .map_err(|e| bind_error(format!("cannot start the server thread: {e}")))?;
    Ok((
        exporter,
        PrometheusServer {
            addr: local,
            stop,
            thread: Some(thread),
        },
    ))
}

impl PrometheusServer {
    /// The address actually listened on (useful with port 0).
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and waits for the thread, at most `timeout`.
    pub(crate) fn stop(&mut self, timeout: Duration) {
        self.stop.store(true, Ordering::Relaxed);
        let Some(thread) = self.thread.take() else {
            return;
        };
        let deadline = Instant::now() + timeout;
        while !thread.is_finished() && Instant::now() < deadline {
            thread::sleep(POLL / 5);
        }
        if thread.is_finished() {
            let _ = thread.join();
        }
    }
}

impl Drop for PrometheusServer {
    fn drop(&mut self) {
        self.stop(IO_TIMEOUT + POLL);
    }
}

fn serve(listener: &TcpListener, registry: &Registry, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Err(error) = handle(stream, registry) {
                    tracing::debug!(%error, "Prometheus scrape connection failed");
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(POLL),
            Err(error) => {
                tracing::warn!(%error, "Prometheus endpoint cannot accept connections");
                thread::sleep(POLL);
            }
        }
    }
}

fn handle(stream: TcpStream, registry: &Registry) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Skip the headers: nothing in them changes the answer.
    let mut head = request_line.len();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        head += n;
        if n == 0 || line == "\r\n" || line == "\n" || head > MAX_HEAD {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let mut stream = &stream;
    match (method, path) {
        ("GET", "/metrics") => {
            let mut body = Vec::new();
            if let Err(error) = TextEncoder::new().encode(&registry.gather(), &mut body) {
                tracing::warn!(%error, "cannot encode metrics for Prometheus");
                return respond(&mut stream, "500 Internal Server Error", "text/plain", b"");
            }
            respond(&mut stream, "200 OK", prometheus::TEXT_FORMAT, &body)
        }
        (_, "/metrics") => respond(&mut stream, "405 Method Not Allowed", "text/plain", b""),
        _ => respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            b"try /metrics\n",
        ),
    }
}

fn respond(
    stream: &mut &TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()
}
