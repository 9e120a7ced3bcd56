//! The Prometheus pull endpoint: `GET /metrics` in the text exposition format.
//!
//! `opentelemetry-prometheus` is a pull reader over a `prometheus::Registry` and has no server, so
//! this file serves it with std threads: scrapes are rare (every few seconds) and tiny, which
//! does not justify an HTTP framework and an async runtime. One thread accepts; each connection
//! gets a thread of its own (at most [`MAX_CONNECTIONS`] at once; more are answered 503 at once),
//! so a slow or stuck client never delays another scrape. A connection has [`HEAD_TIMEOUT`] in
//! all to send a request head of at most [`MAX_HEAD`] bytes, whatever it sends and however
//! slowly; then it is answered (408, 431) and closed. Every thread polls a stop flag, so that
//! [`PrometheusServer::stop`] joins them all and frees the port. Prometheus only understands
//! cumulative sums, so this reader is cumulative whatever the push exporter uses.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use opentelemetry_prometheus::PrometheusExporter;
use prometheus::{Encoder, Registry, TextEncoder};

use super::error::ExportError;

/// Write timeout of one answer.
const IO_TIMEOUT: Duration = Duration::from_secs(2);
/// The time a connection has to send its whole request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the threads look at the stop flag.
const POLL: Duration = Duration::from_millis(25);
/// Longest request head accepted.
const MAX_HEAD: usize = 8 * 1024;
/// Connections served at once.
const MAX_CONNECTIONS: usize = 64;

/// A running `/metrics` endpoint; stopped by [`stop`](Self::stop) or on drop.
pub(crate) struct PrometheusServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    /// Set once the listener is closed: the port is free.
    closed: Arc<AtomicBool>,
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
    let closed = Arc::new(AtomicBool::new(false));
    let (flag, port) = (Arc::clone(&stop), Arc::clone(&closed));
    let thread = thread::Builder::new()
        .name("agent-metrics-prometheus".to_owned())
        .spawn(move || serve(listener, &registry, &flag, &port))
        .map_err(|e| bind_error(format!("cannot start the server thread: {e}")))?;
    Ok((
        exporter,
        PrometheusServer {
            addr: local,
            stop,
            closed,
            thread: Some(thread),
        },
    ))
}

impl PrometheusServer {
    /// The address actually listened on (useful with port 0).
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and serving, and waits at most `timeout` for the threads (which end
    /// within [`POLL`] or so of the flag); the port is free once the accepting thread has ended.
    pub(crate) fn stop(&mut self, timeout: Duration) {
        self.stop.store(true, Ordering::Relaxed);
        let Some(thread) = self.thread.take() else {
            return;
        };
        let start = Instant::now();
        // The port is freed within a few polls of the flag, whatever the connections do: wait
        // for that even when `timeout` is shorter.
        let port_deadline = start + timeout.clamp(POLL * 8, POLL * 40);
        while !self.closed.load(Ordering::Acquire) && Instant::now() < port_deadline {
            thread::sleep(POLL / 5);
        }
        let deadline = super::retry::instant_after(start, timeout);
        while !thread.is_finished() && Instant::now() < deadline {
            thread::sleep(POLL / 5);
        }
        if thread.is_finished() {
            let _ = thread.join();
        } else {
            tracing::warn!(
                addr = %self.addr,
                "the Prometheus endpoint did not stop within {timeout:?}; it stops by itself soon"
            );
        }
    }
}

impl Drop for PrometheusServer {
    fn drop(&mut self) {
        self.stop(IO_TIMEOUT + HEAD_TIMEOUT);
    }
}

/// Accepts until stopped, a thread per connection; returns once every connection thread has
/// ended, dropping the listener (which frees the port).
fn serve(listener: TcpListener, registry: &Registry, stop: &Arc<AtomicBool>, closed: &AtomicBool) {
    let open = Arc::new(AtomicUsize::new(0));
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                connections.retain(|c| !c.is_finished());
                if open.load(Ordering::Acquire) >= MAX_CONNECTIONS {
                    busy(stream);
                    continue;
                }
                open.fetch_add(1, Ordering::AcqRel);
                let (registry, stop, count) =
                    (registry.clone(), Arc::clone(stop), Arc::clone(&open));
                let spawned = thread::Builder::new()
                    .name("agent-metrics-prometheus-scrape".to_owned())
                    .spawn(move || {
                        if let Err(error) = handle(stream, &registry, &stop) {
                            tracing::debug!(%error, "Prometheus scrape connection failed");
                        }
                        count.fetch_sub(1, Ordering::AcqRel);
                    });
                match spawned {
                    Ok(connection) => connections.push(connection),
                    Err(error) => {
                        open.fetch_sub(1, Ordering::AcqRel);
                        tracing::warn!(%error, "Prometheus endpoint cannot start a thread");
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(POLL),
            Err(error) => {
                tracing::warn!(%error, "Prometheus endpoint cannot accept connections");
                thread::sleep(POLL);
            }
        }
    }
    drop(listener);
    closed.store(true, Ordering::Release);
    for connection in connections {
        let _ = connection.join();
    }
}

/// Too many connections at once: a 503 without reading the request.
fn busy(stream: TcpStream) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_write_timeout(Some(POLL));
    let mut stream = &stream;
    let _ = respond(
        &mut stream,
        "503 Service Unavailable",
        "text/plain",
        b"too many connections\n",
    );
}

/// Reads a request head: at most [`MAX_HEAD`] bytes within [`HEAD_TIMEOUT`], in reads that wake
/// every [`POLL`] to look at the stop flag: the head, or the status to answer instead. An error
/// when the peer closed or broke the connection first.
fn read_head(stream: &TcpStream, stop: &AtomicBool) -> io::Result<Result<Vec<u8>, &'static str>> {
    let deadline = Instant::now() + HEAD_TIMEOUT;
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let now = Instant::now();
        if now >= deadline || stop.load(Ordering::Relaxed) {
            return Ok(Err("408 Request Timeout"));
        }
        stream.set_read_timeout(Some((deadline - now).min(POLL)))?;
        let room = (MAX_HEAD - head.len()).min(chunk.len());
        let n = match (&*stream).read(&mut chunk[..room]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        // Only the new bytes (and the three before) can complete the blank line.
        let from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        let tail = &head[from..];
        if tail.windows(4).any(|w| w == b"\r\n\r\n") || tail.windows(2).any(|w| w == b"\n\n") {
            return Ok(Ok(head));
        }
        if head.len() >= MAX_HEAD {
            return Ok(Err("431 Request Header Fields Too Large"));
        }
    }
}

fn handle(stream: TcpStream, registry: &Registry, stop: &AtomicBool) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let head = read_head(&stream, stop)?;
    let mut stream = &stream;
    let head = match head {
        Ok(head) => head,
        Err(status) => {
            respond(&mut stream, status, "text/plain", b"")?;
            linger(stream);
            return Ok(());
        }
    };
    let request_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let request_line = String::from_utf8_lossy(request_line);
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
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

/// Closes after an answer to a client still sending: the unread bytes would make the close a
/// reset, which can discard the answer in flight. Reads and drops at most [`MAX_HEAD`] bytes
/// for at most [`POLL`] * 4: a client that keeps sending gets its reset soon anyway.
fn linger(stream: &TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let deadline = Instant::now() + POLL * 4;
    let mut sink = [0u8; 1024];
    let mut drained = 0;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if left.is_zero() || drained >= MAX_HEAD || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match (&*stream).read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
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
