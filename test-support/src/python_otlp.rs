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
    /// The HTTP status it was answered with (200 unless [`Options::answer`] said otherwise).
    pub status: u16,
    /// The request's number (from 1) in the order they came, which requests may be printed out
    /// of (they are printed after they are answered).
    pub seq: u64,
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

/// How to start a receiver; `Options::default()` is what [`PythonReceiver::start`] uses.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// The port to listen on, on 127.0.0.1 (0: any free one).
    pub port: u16,
    /// Over HTTP: answer request number `.0` (from 1) with status `.1` instead of 200.
    pub answer: Option<(usize, u16)>,
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
    /// Whether it said it stopped (see [`stop`](Self::stop)).
    stopped: bool,
}

impl PythonReceiver {
    /// Starts the receiver for `wire`. `None` (the test skips) when `python3`, `grpcio` or
    /// `opentelemetry-proto` is missing and [`REQUIRE`] is not set; panics when it is.
    pub fn start(wire: Wire) -> Option<Self> {
        Self::start_with(wire, Options::default())
    }

    /// [`start`](Self::start), with `options`.
    pub fn start_with(wire: Wire, options: Options) -> Option<Self> {
        let protocol = match wire {
            Wire::Grpc => "grpc",
            Wire::Http => "http",
        };
        let mut command = Command::new("python3");
        command
            .arg(SCRIPT)
            .args(["--protocol", protocol, "--timeout", "300"])
            .args(["--port", &options.port.to_string()]);
        if let Some((n, status)) = options.answer {
            command.args(["--answer", &format!("{n}:{status}")]);
        }
        let mut child = match command
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
            stopped: false,
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
                if v["stopped"].as_bool() == Some(true) {
                    self.stopped = true;
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
                    status: v["status"].as_u64().map_or(200, |s| s as u16),
                    seq: v["seq"].as_u64().unwrap_or(0),
                });
            }
            // Printed once answered, so possibly out of order.
            self.exports.sort_by_key(|e| e.seq);
            if done(self) || Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl PythonReceiver {
    /// Stops the receiver gracefully, as a collector's rolling restart does: it accepts no new
    /// connection and answers every request it has read before it exits, so every request is
    /// either answered or never read. Returns every export it received. Panics if it does not
    /// stop within 30 s.
    pub fn stop(mut self) -> Vec<Export> {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = stdin.write_all(b"stop\n");
            let _ = stdin.flush();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.stopped {
            assert!(Instant::now() < deadline, "the receiver did not stop");
            self.exports(usize::MAX, Duration::from_millis(50));
        }
        let _ = self.child.wait();
        std::mem::take(&mut self.exports)
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
