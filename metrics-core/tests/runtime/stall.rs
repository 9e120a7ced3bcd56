//! The stall monitor against a runtime blocked on purpose, and its configuration rules.
//!
//! Timing assertions are lower bounds plus generous upper bounds: the machine may be loaded.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_metrics_core::AgentMetric;
use agent_metrics_core::capture::{Capture, Point};
use agent_metrics_core::job::Job;
use agent_metrics_core::schema::{EventLoopBlocked, Severity};
use agent_metrics_core::stall::{ERROR_ENV, StallMonitor, Thresholds, WARN_ENV};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

const NAME: &str = "lk.agents.event_loop.blocked_duration";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
}

/// Blocks the runtime's only thread for each of `blocks`, letting it run in between. Returns
/// how long each block really lasted, in seconds (a loaded machine oversleeps).
fn run_with_blocks(rt: &tokio::runtime::Runtime, blocks: &[Duration]) -> Vec<f64> {
    rt.block_on(async {
        tokio::time::sleep(ms(100)).await;
        let mut lasted = Vec::new();
        for &block in blocks {
            let start = Instant::now();
            std::thread::sleep(block);
            lasted.push(start.elapsed().as_secs_f64());
            tokio::time::sleep(ms(150)).await;
        }
        lasted
    })
}

/// Collects until `n` points exist (the watchdog reports within a tick) or 5 s passed.
fn wait_for_points(capture: &Capture, n: usize) -> Vec<Point> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let points = capture.collect();
        if points.len() >= n || Instant::now() > deadline {
            return points;
        }
        std::thread::sleep(ms(10));
    }
}

#[test]
fn blocks_are_recorded_once_with_their_duration_and_severity() {
    let rt = current_thread();
    let capture = Capture::cumulative();
    let logs = Logs::default();
    let monitor = tracing::subscriber::with_default(logs.clone(), || {
        StallMonitor::builder()
            .name("test-job")
            .start(rt.handle(), capture.meter())
    });
    assert_eq!(monitor.thresholds(), Some(Thresholds::DEFAULT));

    let lasted = run_with_blocks(&rt, &[ms(300), ms(700)]);
    let points = wait_for_points(&capture, 2);
    drop(monitor);

    assert_eq!(points.len(), 2, "{points:#?}");
    let by_severity = |severity: &str| {
        let p = points
            .iter()
            .find(|p| p.attr("severity").as_deref() == Some(severity))
            .unwrap_or_else(|| panic!("no {severity} point in {points:#?}"));
        assert_eq!(p.name, NAME);
        assert_eq!(p.unit, "s");
        assert_eq!(
            p.description,
            "Duration of synchronous blocks detected on an agent event loop"
        );
        assert_eq!(p.attributes.len(), 1, "severity only: {:?}", p.attr_pairs());
        let h = p.value.as_histogram().expect("histogram").clone();
        assert_eq!(h.count, 1, "one report per block");
        h.sum
    };
    // A block is measured from the last on-time beat (at most a tick before it began) plus a
    // tick, so it can read up to one tick (20 ms) short of what the test measured; late by no
    // more than the runtime takes to run the beat once the block ends. The upper bound is well
    // under the other block's 300 ms, so a watchdog that adds up the lag of several blocks
    // fails here.
    let reported = [by_severity("warning"), by_severity("error")];
    for (reported, lasted) in reported.into_iter().zip(lasted) {
        assert!(
            (lasted - 0.03..lasted + 0.2).contains(&reported),
            "reported {reported} s for a block of {lasted} s"
        );
    }

    let logs = logs.take();
    assert_eq!(logs.len(), 2, "{logs:#?}");
    for (log, severity) in logs.iter().zip(["warning", "error"]) {
        assert_eq!(log.level, Level::WARN);
        assert!(
            log.message.contains("tokio runtime `test-job` blocked for"),
            "{log:?}"
        );
        assert!(
            log.fields.contains(&format!("severity={severity}")),
            "{log:?}"
        );
        assert!(
            log.fields.iter().any(|f| f.starts_with("duration_s=0.")),
            "{log:?}"
        );
    }
}

#[test]
fn reports_carry_the_job_of_the_monitor() {
    let rt = current_thread();
    let capture = Capture::cumulative();
    let monitor = StallMonitor::builder()
        .job(Job::new("RM_kitchen", "AJ_42").agent_name("support"))
        .start(rt.handle(), capture.meter());
    run_with_blocks(&rt, &[ms(200)]);
    let points = wait_for_points(&capture, 1);
    drop(monitor);
    assert_eq!(points.len(), 1, "{points:#?}");
    assert_eq!(
        points[0].attr_pairs(),
        [
            "job_id=AJ_42",
            "lk.agent_name=support",
            "room_id=RM_kitchen",
            "severity=warning"
        ]
    );
}

#[test]
fn nothing_is_reported_when_nothing_blocks() {
    let rt = current_thread();
    let capture = Capture::cumulative();
    let logs = Logs::default();
    // A higher threshold than the default: a loaded machine can delay a thread by 100 ms.
    let monitor = tracing::subscriber::with_default(logs.clone(), || {
        StallMonitor::builder()
            .warn(ms(250))
            .start(rt.handle(), capture.meter())
    });
    rt.block_on(async {
        for _ in 0..20 {
            tokio::time::sleep(ms(25)).await;
            tokio::task::yield_now().await;
        }
    });
    std::thread::sleep(ms(50));
    drop(monitor);
    assert_eq!(capture.collect(), []);
    assert!(logs.take().is_empty());
}

#[test]
fn a_zero_warn_threshold_disables_the_monitor() {
    let rt = current_thread();
    let capture = Capture::cumulative();
    let monitor = StallMonitor::builder()
        .warn(Duration::ZERO)
        .start(rt.handle(), capture.meter());
    assert!(!monitor.is_running());
    run_with_blocks(&rt, &[ms(150)]);
    assert_eq!(capture.collect(), []);

    let monitor = StallMonitor::builder()
        .thresholds(None)
        .start(rt.handle(), capture.meter());
    assert_eq!(monitor.thresholds(), None);
}

#[test]
#[should_panic(expected = "timers are disabled")]
fn a_runtime_without_timers_fails_at_start() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let _monitor = StallMonitor::builder().start(rt.handle(), Capture::cumulative().meter());
}

#[test]
fn error_below_warn_uses_warn_for_both() {
    let rt = current_thread();
    let capture = Capture::cumulative();
    let monitor = StallMonitor::builder()
        .warn(ms(200))
        .error(ms(50))
        .start(rt.handle(), capture.meter());
    assert_eq!(
        monitor.thresholds(),
        Some(Thresholds {
            warn: ms(200),
            error: ms(200)
        })
    );
}

#[test]
fn the_instrument_is_declared_by_the_derive() {
    let [d] = EventLoopBlocked::INSTRUMENTS else {
        panic!("one instrument");
    };
    assert_eq!(d.name(), NAME);
    assert_eq!(d.unit(), "s");
}

// --- Configuration from the environment, through a lookup closure.

/// Environment variables as `(name, value)` pairs.
type Vars = &'static [(&'static str, &'static str)];

fn env(vars: Vars) -> impl Fn(&str) -> Option<String> {
    move |key| {
        vars.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[test]
fn environment_rules() {
    let t = |warn, error| {
        Some(Thresholds {
            warn: ms(warn),
            error: ms(error),
        })
    };
    let cases: &[(Vars, Option<Thresholds>)] = &[
        (&[], t(100, 500)),
        (&[(WARN_ENV, ""), (ERROR_ENV, "  ")], t(100, 500)),
        (&[(WARN_ENV, "250"), (ERROR_ENV, "1000")], t(250, 1000)),
        (
            &[(WARN_ENV, " 150.5 ")],
            Some(Thresholds {
                warn: Duration::from_micros(150_500),
                error: ms(500),
            }),
        ),
        (&[(WARN_ENV, "1e2")], t(100, 500)),
        (&[(WARN_ENV, "0")], None),
        (&[(WARN_ENV, "0.0"), (ERROR_ENV, "900")], None),
        // Invalid values fall back to the default, not to "disabled".
        (&[(WARN_ENV, "fast")], t(100, 500)),
        (&[(WARN_ENV, "-5")], t(100, 500)),
        (&[(WARN_ENV, "inf")], t(100, 500)),
        (&[(WARN_ENV, "NaN")], t(100, 500)),
        (&[(ERROR_ENV, "soon")], t(100, 500)),
        (&[(ERROR_ENV, "-1")], t(100, 500)),
        // Error below warn: warn for both.
        (&[(WARN_ENV, "300"), (ERROR_ENV, "200")], t(300, 300)),
        (&[(ERROR_ENV, "0")], t(100, 100)),
        // Warn below 20 ms is raised first, then error is compared with it.
        (&[(WARN_ENV, "5")], t(20, 500)),
        (&[(WARN_ENV, "10"), (ERROR_ENV, "15")], t(20, 20)),
    ];
    for (vars, want) in cases {
        assert_eq!(Thresholds::from_lookup(env(vars)), *want, "{vars:?}");
    }
}

#[test]
fn tick_is_a_fifth_of_warn_within_20_to_50_ms() {
    let tick = |warn| {
        Thresholds {
            warn: ms(warn),
            error: ms(warn),
        }
        .tick()
    };
    assert_eq!(tick(100), ms(20));
    assert_eq!(tick(20), ms(20));
    assert_eq!(tick(150), ms(30));
    assert_eq!(tick(250), ms(50));
    assert_eq!(tick(10_000), ms(50));
}

#[test]
fn severity_rules() {
    let t = Thresholds::DEFAULT;
    assert_eq!(t.severity(ms(100), ms(0)), Severity::Warning);
    assert_eq!(t.severity(ms(499), ms(0)), Severity::Warning);
    assert_eq!(t.severity(ms(500), ms(0)), Severity::Error);
    assert_eq!(t.severity(ms(5000), ms(2499)), Severity::Error);
    // The watchdog starved for half the block: descheduled, never an error.
    assert_eq!(t.severity(ms(5000), ms(2500)), Severity::Warning);
}

// --- A subscriber that keeps WARN events.

#[derive(Clone, Debug)]
struct Log {
    level: Level,
    message: String,
    fields: Vec<String>,
}

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<Log>>>);

impl Logs {
    fn take(&self) -> Vec<Log> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

impl Visit for Log {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields.push(format!("{}={value}", field.name()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.fields.push(format!("{}={value:?}", field.name()));
        }
    }
}

impl Subscriber for Logs {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::WARN
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut log = Log {
            level: *event.metadata().level(),
            message: String::new(),
            fields: Vec::new(),
        };
        event.record(&mut log);
        self.0.lock().unwrap().push(log);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}
