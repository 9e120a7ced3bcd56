//! A real Prometheus server scrapes our `/metrics` endpoint on loopback, and its query API shows
//! the TTS characters counter with the right value and labels.
//!
//! Needs the `prometheus` feature and a `prometheus` binary (on PATH or /usr/bin/prometheus;
//! Debian: `apt-get install -y prometheus`). Without them the test prints a note and passes,
//! unless `AGENT_METRICS_REQUIRE_PROMETHEUS=1` (as in CI), where it fails with the reason.

use std::path::PathBuf;

const REQUIRE: &str = "AGENT_METRICS_REQUIRE_PROMETHEUS";

fn required() -> bool {
    std::env::var(REQUIRE).is_ok_and(|v| v == "1")
}

fn prometheus_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("prometheus"))
        .chain([PathBuf::from("/usr/bin/prometheus")])
        .find(|candidate| candidate.is_file())
}

#[cfg(not(feature = "prometheus"))]
#[test]
fn real_prometheus_scrapes_our_endpoint() {
    assert!(
        !required(),
        "{REQUIRE}=1 but agent-metrics-core was built without its `prometheus` feature \
         (run with --features prometheus or --all-features)"
    );
    eprintln!("skipped: built without the `prometheus` feature (set {REQUIRE}=1 to fail instead)");
    let _ = prometheus_binary;
}

#[cfg(feature = "prometheus")]
#[test]
fn real_prometheus_scrapes_our_endpoint() {
    let Some(binary) = prometheus_binary() else {
        assert!(
            !required(),
            "{REQUIRE}=1 but there is no `prometheus` binary on PATH or at /usr/bin/prometheus \
             (Debian: apt-get install -y prometheus)"
        );
        eprintln!("skipped: no `prometheus` binary (set {REQUIRE}=1 to fail instead)");
        return;
    };
    real::run(&binary);
}

#[cfg(feature = "prometheus")]
mod real {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    use agent_metrics_core::export::{Env, Telemetry};
    use agent_metrics_core::opentelemetry::KeyValue;
    use serde_json::Value;

    const SERIES: &str = "lk_agents_usage_tts_characters_total";
    const SCRAPE_WAIT: Duration = Duration::from_secs(30);

    /// Kills the server and removes its files, also when an assertion fails.
    struct Guard {
        child: Option<Child>,
        dir: PathBuf,
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            if let Some(mut child) = self.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    pub(super) fn run(binary: &Path) {
        let telemetry = Telemetry::builder()
            .env(Env::empty())
            .prometheus("127.0.0.1:0".parse().unwrap())
            .build()
            .unwrap();
        let ours = telemetry.prometheus_addr().unwrap();
        let characters = telemetry
            .meter()
            .u64_counter("lk.agents.usage.tts_characters")
            .with_unit("{character}")
            .build();
        let cartesia = [
            KeyValue::new("model_name", "sonic-2"),
            KeyValue::new("model_provider", "cartesia"),
        ];
        let eleven = [
            KeyValue::new("model_name", "eleven_flash_v2_5"),
            KeyValue::new("model_provider", "elevenlabs"),
        ];
        characters.add(42, &cartesia);
        characters.add(8, &cartesia);
        characters.add(7, &eleven);

        let (status, text) = get(ours, "/metrics");
        assert_eq!(status, 200, "{text}");
        assert!(
            text.contains(&format!("{SERIES}{{")),
            "our endpoint serves {SERIES}:\n{text}"
        );
        assert_eq!(get(ours, "/").0, 404);

        let dir = std::env::temp_dir().join(format!(
            "agent-metrics-prometheus-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let mut guard = Guard {
            child: None,
            dir: dir.clone(),
        };
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: agent-metrics\n    scrape_interval: 1s\n    \
             scrape_timeout: 1s\n    static_configs:\n      - targets: ['{ours}']\n"
        );
        std::fs::write(dir.join("prometheus.yml"), config).unwrap();
        let api: SocketAddr = {
            let probe = TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap()
        };
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
        guard.child = Some(child);

        let result = wait_for_series(api, &mut guard);
        let mut found: Vec<(String, String, String, String)> = result
            .iter()
            .map(|series| {
                let label = |name: &str| series["metric"][name].as_str().unwrap_or("").to_owned();
                let value = series["value"][1].as_str().unwrap_or("").to_owned();
                (
                    label("model_provider"),
                    label("model_name"),
                    label("job"),
                    value,
                )
            })
            .collect();
        found.sort();
        let expected = [
            ("cartesia", "sonic-2", "agent-metrics", "50"),
            ("elevenlabs", "eleven_flash_v2_5", "agent-metrics", "7"),
        ]
        .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned()));
        assert_eq!(found, expected, "{result:#?}");
        assert!(
            result
                .iter()
                .all(|s| s["metric"]["otel_scope_name"] == "livekit-agents"),
            "{result:#?}"
        );

        telemetry.shutdown(Duration::from_secs(5)).unwrap();
        drop(guard);
    }

    /// Polls the query API until both series are there, at most [`SCRAPE_WAIT`].
    fn wait_for_series(api: SocketAddr, guard: &mut Guard) -> Vec<Value> {
        let deadline = Instant::now() + SCRAPE_WAIT;
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Some(Ok(Some(status))) = guard.child.as_mut().map(Child::try_wait) {
                panic!("prometheus exited with {status}:\n{}", log_tail(&guard.dir));
            }
            if let Ok(mut stream) = TcpStream::connect_timeout(&api, Duration::from_millis(500)) {
                let (status, body) =
                    request(&mut stream, api, &format!("/api/v1/query?query={SERIES}"));
                if status == 200 {
                    let json: Value = serde_json::from_str(&body).expect("query API answers JSON");
                    let result = json["data"]["result"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    if result.len() >= 2 {
                        return result;
                    }
                }
                last = body;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let targets = TcpStream::connect(api)
            .map(|mut s| request(&mut s, api, "/api/v1/targets").1)
            .unwrap_or_default();
        panic!(
            "no {SERIES} series in Prometheus within {SCRAPE_WAIT:?}\nlast answer: {last}\n\
             targets: {targets}\nlog:\n{}",
            log_tail(&guard.dir)
        );
    }

    fn log_tail(dir: &Path) -> String {
        let log = std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    fn get(addr: SocketAddr, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap();
        request(&mut stream, addr, path)
    }

    /// A minimal HTTP/1.1 GET (Connection: close), chunked bodies included.
    fn request(stream: &mut TcpStream, addr: SocketAddr, path: &str) -> (u16, String) {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        if stream.write_all(head.as_bytes()).is_err() {
            return (0, String::new());
        }
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let Some((head, body)) = raw.split_once("\r\n\r\n") else {
            return (0, raw);
        };
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let chunked = head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked");
        (
            status,
            if chunked {
                dechunk(body)
            } else {
                body.to_owned()
            },
        )
    }

    fn dechunk(mut body: &str) -> String {
        let mut out = String::new();
        while let Some((size, rest)) = body.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if size == 0 || rest.len() < size {
                break;
            }
            out.push_str(&rest[..size]);
            body = rest[size..].trim_start_matches("\r\n");
        }
        out
    }
}
