//! A real Prometheus server on loopback that scrapes one target every second, and its HTTP query
//! API. Dropping it kills the server and removes its files, also when an assertion fails.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use agent_metrics_test_support::scrape::http_get;
use serde_json::Value;

/// The scrape job's name, Prometheus' `job` label.
pub(super) const JOB: &str = "agent-metrics";

pub(super) struct Prometheus {
    child: Child,
    dir: PathBuf,
    api: SocketAddr,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Prometheus {
    /// Starts `binary` scraping `target` every second, in a fresh temporary directory.
    pub(super) fn start(binary: &Path, target: SocketAddr) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "agent-metrics-prometheus-{}-{}",
            std::process::id(),
            now()
        ));
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: {JOB}\n    scrape_interval: 1s\n    \
             scrape_timeout: 1s\n    static_configs:\n      - targets: ['{target}']\n"
        );
        std::fs::write(dir.join("prometheus.yml"), config).unwrap();
        let api = TcpListener::bind("127.0.0.1:0")
            .and_then(|probe| probe.local_addr())
            .unwrap();
        let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
        let child = Command::new(binary)
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={api}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start prometheus");
        Prometheus { child, dir, api }
    }

    /// The result vector of the instant query `promql` now; `None` while the server is not
    /// answering or answers with an error.
    pub(super) fn query(&self, promql: &str) -> Option<Vec<Value>> {
        let (status, body) = http_get(self.api, &format!("/api/v1/query?query={}", encode(promql)));
        if status != 200 {
            return None;
        }
        let json: Value = serde_json::from_str(&body).expect("the query API answers JSON");
        json["data"]["result"].as_array().cloned()
    }

    /// Polls `check` every 250 ms until it gives a value, for at most `wait`; panics with the
    /// server's targets and log otherwise, or as soon as the server exits.
    pub(super) fn wait_for<T>(
        &mut self,
        what: &str,
        wait: Duration,
        mut check: impl FnMut(&Self) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("prometheus exited with {status}:\n{}", self.log_tail());
            }
            if let Some(found) = check(self) {
                return found;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let targets = http_get(self.api, "/api/v1/targets").1;
        panic!(
            "{what}: not within {wait:?}\ntargets: {targets}\nlog:\n{}",
            self.log_tail()
        );
    }

    /// Waits until Prometheus has scraped the target at a time after `after` (epoch seconds).
    pub(super) fn wait_for_scrape_after(&mut self, after: f64, wait: Duration) {
        // On the selector itself: over an expression (`up == 1`) `timestamp` is the query's time.
        let query = format!("timestamp(up{{job=\"{JOB}\"}})");
        self.wait_for(&format!("a scrape after {after}"), wait, |p| {
            let result = p.query(&query)?;
            let at: f64 = result.first()?["value"][1].as_str()?.parse().ok()?;
            (at > after).then_some(())
        });
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// Seconds since the epoch, as Prometheus timestamps samples.
pub(super) fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Percent-encodes a query parameter (everything but RFC 3986's unreserved characters).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
