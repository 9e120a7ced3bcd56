//! A pure-Rust OTLP/HTTP receiver on 127.0.0.1 for the export tests: it records every request
//! (path, headers, raw body, when it came and what it was answered) and behaves as told, switchable
//! at any time to simulate an outage: answer 200, answer an error status (with or without
//! `Retry-After`), refuse connections (the port is closed), or black-hole (read requests and never
//! answer). Everything is bounded: sockets have timeouts, waits have deadlines, and the threads
//! stop when the receiver is dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{Metric, metric};
use prost::Message;

/// What the receiver does with the next request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Answer 200.
    Accept,
    /// Answer this status, with `Retry-After: <seconds>` if given.
    Fail(u16, Option<u64>),
    /// Close the port: new connections are refused and open ones dropped unanswered.
    Refuse,
    /// Read requests and never answer.
    BlackHole,
}

/// One received HTTP request.
#[derive(Clone, Debug)]
pub struct Request {
    /// The request path.
    pub path: String,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
    /// The body as received (compressed or not).
    pub body: Vec<u8>,
    /// When it was read.
    pub at: Instant,
    /// The status it was answered with; 0 when it was not answered.
    pub status: u16,
}

impl Request {
    /// The value of header `name` (any case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body, gunzipped if `content-encoding: gzip`, decoded as an OTLP metrics request.
    pub fn decode(&self) -> ExportMetricsServiceRequest {
        let body = if self.header("content-encoding") == Some("gzip") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&self.body[..])
                .read_to_end(&mut out)
                .expect("gzip body");
            out
        } else {
            self.body.clone()
        };
        ExportMetricsServiceRequest::decode(&body[..]).expect("OTLP protobuf body")
    }
}

struct Shared {
    requests: Mutex<Vec<Request>>,
    behaviour: Mutex<Behaviour>,
    stop: AtomicBool,
}

impl Shared {
    fn behaviour(&self) -> Behaviour {
        *self.behaviour.lock().unwrap()
    }
}

/// An OTLP/HTTP receiver on 127.0.0.1 that keeps every request; stopped when dropped.
pub struct Receiver {
    url: String,
    shared: Arc<Shared>,
}

impl Receiver {
    /// Answers every request with 200.
    pub fn start() -> Self {
        Self::spawn(Behaviour::Accept)
    }

    /// Accepts connections and reads requests but never answers.
    pub fn black_hole() -> Self {
        Self::spawn(Behaviour::BlackHole)
    }

    /// A receiver that answers as `behaviour` says.
    pub fn spawn(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            behaviour: Mutex::new(behaviour),
            stop: AtomicBool::new(false),
        });
        let state = Arc::clone(&shared);
        thread::spawn(move || accept_loop(Some(listener), addr, &state));
        Receiver {
            url: format!("http://{addr}"),
            shared,
        }
    }

    /// Changes what the receiver does from now on.
    pub fn set(&self, behaviour: Behaviour) {
        *self.shared.behaviour.lock().unwrap() = behaviour;
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request read so far, answered or not.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The requests answered 200: what a collector would have stored.
    pub fn accepted(&self) -> Vec<Request> {
        let requests = self.shared.requests.lock().unwrap();
        requests
            .iter()
            .filter(|r| r.status == 200)
            .cloned()
            .collect()
    }

    /// Waits until `done` holds for the requests so far, at most `timeout`.
    pub fn wait_for(&self, timeout: Duration, done: impl Fn(&[Request]) -> bool) -> Vec<Request> {
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.requests();
            if done(&requests) || Instant::now() > deadline {
                return requests;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

/// Accepts connections; in `Refuse` the listener is closed, and reopened on the same port after.
fn accept_loop(mut listener: Option<TcpListener>, addr: SocketAddr, shared: &Arc<Shared>) {
    while !shared.stop.load(Ordering::Relaxed) {
        let refusing = shared.behaviour() == Behaviour::Refuse;
        if refusing {
            listener = None;
        } else if listener.is_none() {
            // std sets SO_REUSEADDR, so the port can be bound again at once.
            listener = TcpListener::bind(addr).ok();
        }
        let Some(open) = &listener else {
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        open.set_nonblocking(true).unwrap();
        match open.accept() {
            Ok((stream, _)) => {
                let shared = Arc::clone(shared);
                thread::spawn(move || serve(stream, &shared));
            }
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut reader = BufReader::new(&stream);
    let started = Instant::now();
    // Keep-alive: several requests per connection, until EOF, stop, or 60 s.
    while !shared.stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(60) {
        let behaviour = shared.behaviour();
        match read_request(&mut reader, &shared.stop) {
            Some(mut request) => {
                // What the receiver does is decided when the request has arrived.
                let behaviour = shared.behaviour();
                let response = match behaviour {
                    Behaviour::Accept => Some((200, "OK", None)),
                    Behaviour::Fail(status, retry_after) => {
                        Some((status, "Unavailable", retry_after))
                    }
                    Behaviour::Refuse | Behaviour::BlackHole => None,
                };
                request.status = response.map_or(0, |(status, _, _)| status);
                shared.requests.lock().unwrap().push(request);
                match response {
                    Some((status, reason, retry_after)) => {
                        let retry_after = retry_after
                            .map(|s| format!("retry-after: {s}\r\n"))
                            .unwrap_or_default();
                        let response = format!(
                            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/x-protobuf\r\n\
                             {retry_after}content-length: 0\r\n\r\n"
                        );
                        if (&stream).write_all(response.as_bytes()).is_err() {
                            return;
                        }
                    }
                    None if behaviour == Behaviour::Refuse => return,
                    None => {}
                }
            }
            None if behaviour != Behaviour::BlackHole => return,
            // A black hole keeps the connection open without answering until told to stop.
            None => thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn read_request(reader: &mut BufReader<&TcpStream>, stop: &AtomicBool) -> Option<Request> {
    let mut line = String::new();
    // Idle connections time out on read every 200 ms; keep waiting while not stopped.
    loop {
        match reader.read_line(&mut line) {
            Ok(0) => return None,
            Ok(_) => break,
            Err(_) if !stop.load(Ordering::Relaxed) && line.is_empty() => continue,
            Err(_) => return None,
        }
    }
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        path,
        headers,
        body,
        at: Instant::now(),
        status: 0,
    })
}

/// Every metric of every request, in arrival order.
pub fn metrics(requests: &[Request]) -> Vec<(String, Metric)> {
    let mut out = Vec::new();
    for request in requests {
        for rm in request.decode().resource_metrics {
            for sm in rm.scope_metrics {
                let scope = sm.scope.map(|s| s.name).unwrap_or_default();
                out.extend(sm.metrics.into_iter().map(|m| (scope.clone(), m)));
            }
        }
    }
    out
}

/// The temporality of a sum or histogram (1 = delta, 2 = cumulative).
pub fn temporality(metric: &Metric) -> Option<i32> {
    match metric.data.as_ref()? {
        metric::Data::Sum(s) => Some(s.aggregation_temporality),
        metric::Data::Histogram(h) => Some(h.aggregation_temporality),
        _ => None,
    }
}

/// `key=value` strings, sorted: attribute order on the wire is not stable.
pub fn attrs(kvs: &[KeyValue]) -> Vec<String> {
    let mut out: Vec<String> = kvs
        .iter()
        .map(|kv| format!("{}={}", kv.key, show(kv.value.as_ref())))
        .collect();
    out.sort();
    out
}

fn show(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}
