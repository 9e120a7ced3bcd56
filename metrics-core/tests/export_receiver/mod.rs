//! A pure-Rust OTLP/HTTP receiver on 127.0.0.1 for the export tests: it records every request
//! (path, headers, raw body) and answers 200, or, black-holed, reads requests and never answers.
//! Everything is bounded: sockets have timeouts, waits have deadlines, and the threads stop when
//! the receiver is dropped.

#![allow(dead_code)] // each test binary uses a different part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{Metric, metric};
use prost::Message;

/// One received HTTP request.
#[derive(Clone, Debug)]
pub struct Request {
    pub path: String,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
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

pub struct Receiver {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    /// Answers every request with 200.
    pub fn start() -> Self {
        Self::spawn(true)
    }

    /// Accepts connections and reads requests but never answers.
    pub fn black_hole() -> Self {
        Self::spawn(false)
    }

    fn spawn(answer: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (reqs, flag) = (Arc::clone(&requests), Arc::clone(&stop));
        thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (reqs, flag) = (Arc::clone(&reqs), Arc::clone(&flag));
                        thread::spawn(move || serve(stream, &reqs, &flag, answer));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Receiver {
            url,
            requests,
            stop,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
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
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(stream: TcpStream, requests: &Mutex<Vec<Request>>, stop: &AtomicBool, answer: bool) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut reader = BufReader::new(&stream);
    let started = Instant::now();
    // Keep-alive: several requests per connection, until EOF, stop, or 60 s.
    while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(60) {
        match read_request(&mut reader, stop) {
            Some(request) => {
                requests.lock().unwrap().push(request);
                if answer {
                    let response = "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\n\
                                    content-length: 0\r\n\r\n";
                    if (&stream).write_all(response.as_bytes()).is_err() {
                        return;
                    }
                }
            }
            None if answer => return,
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
