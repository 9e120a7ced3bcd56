//! A third-party OTLP receiver, over gRPC or HTTP/protobuf: `receivers/otlp_receiver.py`, the
//! OpenTelemetry project's Python protobuf bindings (`opentelemetry-proto`) served by `grpcio` or
//! Python's HTTP server, from PyPI (`.ci/run` installs them). Nothing of it is shared with the
//! Rust exporter, so what it decodes is what any OTLP receiver would. Over HTTP it refuses
//! compressed bodies (415), as several receivers do.

use std::io::{BufRead, BufReader, Write as _};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Set to `1` (as CI does) to fail, rather than skip, when Python or its packages are missing.
pub const REQUIRE: &str = "AGENT_METRICS_REQUIRE_THIRD_PARTY";

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/receivers/otlp_receiver.py");

/// One export request as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Export {
    /// The gRPC metadata or HTTP headers, names in lower case, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The `ExportMetricsServiceRequest`, as protobuf's JSON mapping with the .proto field
    /// names (`resource_metrics`, `data_points`, `as_int` as a string).
    pub request: Value,
}

impl Export {
    /// Every metric of the request, as `(name, metric object)`.
    pub fn metrics(&self) -> Vec<(&str, &Value)> {
        let mut out = Vec::new();
        for rm in array(&self.request, "resource_metrics") {
            for sm in array(rm, "scope_metrics") {
                for m in array(sm, "metrics") {
                    out.push((m["name"].as_str().unwrap_or(""), m));
                }
            }
        }
        out
    }

    /// The sum of the integer points of the sum `name`; `None` when the request has none.
    pub fn int_total(&self, name: &str) -> Option<i64> {
        let mut total = None;
        for (_, m) in self.metrics().into_iter().filter(|(n, _)| *n == name) {
            for p in array(&m["sum"], "data_points") {
                // int64 is a JSON string in protobuf's mapping.
                if let Some(v) = p["as_int"].as_str().and_then(|v| v.parse::<i64>().ok()) {
                    *total.get_or_insert(0) += v;
                }
            }
        }
        total
    }

    /// The sum of the sums of the histogram `name`'s points; `None` when the request has none.
    pub fn histogram_sum(&self, name: &str) -> Option<f64> {
        let mut total = None;
        for (_, m) in self.metrics().into_iter().filter(|(n, _)| *n == name) {
            for p in array(&m["histogram"], "data_points") {
                *total.get_or_insert(0.0) += p["sum"].as_f64().unwrap_or(f64::NAN);
            }
        }
        total
    }

    /// The value of header `key`, if sent.
    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value[key].as_array().map_or(&[], Vec::as_slice)
}

/// The receiver's wire protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    /// OTLP/gRPC, on `http://ADDR`.
    Grpc,
    /// OTLP/HTTP with protobuf bodies, on `http://ADDR/v1/metrics`; compressed bodies refused.
    Http,
}

/// The running receiver; stopped (stdin closed, then killed) on drop.
pub struct PythonReceiver {
    /// Where it listens, on 127.0.0.1.
    pub addr: SocketAddr,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    exports: Vec<Export>,
    refused: Vec<u16>,
}

impl PythonReceiver {
    /// Starts the receiver for `wire`. `None` (the test skips) when `python3`, `grpcio` or
    /// `opentelemetry-proto` is missing and [`REQUIRE`] is not set; panics when it is.
    pub fn start(wire: Wire) -> Option<Self> {
        let protocol = match wire {
            Wire::Grpc => "grpc",
            Wire::Http => "http",
        };
        let mut child = match Command::new("python3")
            .arg(SCRIPT)
            .args(["--protocol", protocol, "--timeout", "120"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => return skip(&format!("cannot run python3: {e}")),
        };
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let port = lines
            .recv_timeout(Duration::from_secs(20))
            .ok()
            .and_then(|line| serde_json::from_str::<Value>(&line).ok())
            .and_then(|v| v["listening"].as_u64());
        let Some(port) = port else {
            let _ = child.kill();
            let out = child
                .wait_with_output()
                .map(|o| o.stderr)
                .unwrap_or_default();
            return skip(&format!(
                "the Python OTLP receiver did not start (pip install grpcio opentelemetry-proto):\n{}",
                String::from_utf8_lossy(&out)
            ));
        };
        let stdin = child.stdin.take();
        Some(PythonReceiver {
            addr: SocketAddr::from(([127, 0, 0, 1], port as u16)),
            child,
            stdin,
            lines,
            exports: Vec::new(),
            refused: Vec::new(),
        })
    }

    /// Every export received so far, waiting up to `wait` for at least `at_least` of them.
    pub fn exports(&mut self, at_least: usize, wait: Duration) -> &[Export] {
        self.wait(wait, |r| r.exports.len() >= at_least);
        &self.exports
    }

    /// The status of every HTTP request refused so far (415 for a compressed body), waiting up
    /// to `wait` for at least `at_least` of them.
    pub fn refused(&mut self, at_least: usize, wait: Duration) -> &[u16] {
        self.wait(wait, |r| r.refused.len() >= at_least);
        &self.refused
    }

    fn wait(&mut self, wait: Duration, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + wait;
        loop {
            while let Ok(line) = self.lines.try_recv() {
                let v: Value = serde_json::from_str(&line).expect("the receiver prints JSON");
                if let Some(status) = v["refused"].as_u64() {
                    self.refused.push(status as u16);
                    continue;
                }
                let headers = array(&v, "headers")
                    .iter()
                    .map(|kv| {
                        let s = |i: usize| kv[i].as_str().unwrap_or("").to_owned();
                        (s(0), s(1))
                    })
                    .collect();
                self.exports.push(Export {
                    headers,
                    request: v["request"].clone(),
                });
            }
            if done(self) || Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for PythonReceiver {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.flush();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn skip<T>(why: &str) -> Option<T> {
    assert!(
        std::env::var(REQUIRE).map_or(true, |v| v != "1"),
        "{REQUIRE}=1 but {why}"
    );
    eprintln!("skipped: {why} (set {REQUIRE}=1 to fail instead)");
    None
}
