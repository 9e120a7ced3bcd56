//! The worker's metrics (issue 23 item 2): running jobs exact under concurrent jobs on many
//! threads and tasks, a job counted once however many tasks it spans, outcomes, and the load.

use std::sync::{Arc, Barrier};

use agent_metrics_core::capture::{Capture, Point, PointValue};
use agent_metrics_core::job::Job;
use agent_metrics_core::worker::{JobOutcome, Worker};

const RUNNING: &str = "lk.agents.worker.running_jobs";
const STARTED: &str = "lk.agents.worker.jobs_started";
const ENDED: &str = "lk.agents.worker.jobs_ended";
const DURATION: &str = "lk.agents.worker.job_duration";
const LOAD: &str = "lk.agents.worker.load";

fn point(points: &[Point], name: &str, attrs: &[&str]) -> Option<Point> {
    points
        .iter()
        .find(|p| p.name == name && p.attr_pairs() == attrs)
        .cloned()
}

fn int(points: &[Point], name: &str, attrs: &[&str]) -> i64 {
    let p = point(points, name, attrs).unwrap_or_else(|| panic!("no {name} {attrs:?}"));
    match p.value {
        PointValue::U64(v) => v as i64,
        PointValue::I64(v) => v,
        other => panic!("{name}: not an integer: {other:?}"),
    }
}

/// Four threads each run 25 jobs at once; every job spans three tasks of a multi-thread
/// runtime, each of which starts (joins) the job's run. While all are running the worker counts
/// 100 jobs, not 300 (a count per task) nor fewer (a lost update); after they end, none. The
/// bug this catches: counting scopes or tasks instead of jobs, or a racy read-modify-write.
#[test]
fn running_jobs_are_exact_and_a_job_counts_once_however_many_tasks_it_spans() {
    const THREADS: usize = 4;
    const JOBS: usize = 25;
    const TASKS: usize = 3;
    let capture = Capture::cumulative();
    let worker = Worker::new(capture.meter());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let all_running = Arc::new(Barrier::new(THREADS + 1));
    let may_end = Arc::new(Barrier::new(THREADS + 1));
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (worker, handle) = (worker.clone(), runtime.handle().clone());
            let (all_running, may_end) = (all_running.clone(), may_end.clone());
            s.spawn(move || {
                let jobs: Vec<Job> = (0..JOBS)
                    .map(|j| Job::new(format!("RM_{t}_{j}"), format!("AJ_{t}_{j}")))
                    .collect();
                let runs: Vec<_> = handle.block_on(async {
                    let tasks: Vec<_> = jobs
                        .iter()
                        .flat_map(|job| (0..TASKS).map(move |_| job.clone()))
                        .map(|job| {
                            let worker = worker.clone();
                            tokio::spawn(async move { worker.start_job(&job) })
                        })
                        .collect();
                    let mut runs = Vec::new();
                    for task in tasks {
                        runs.push(task.await.unwrap());
                    }
                    runs
                });
                all_running.wait();
                may_end.wait();
                // Every task of a job ends it; only the first counts.
                for run in &runs {
                    run.end(JobOutcome::Completed);
                }
            });
        }
        all_running.wait();
        let total = (THREADS * JOBS) as i64;
        assert_eq!(worker.running_jobs(), total as u64);
        let points = capture.collect();
        assert_eq!(int(&points, RUNNING, &[]), total);
        assert_eq!(int(&points, STARTED, &[]), total);
        may_end.wait();
    });
    assert_eq!(worker.running_jobs(), 0);
    let points = capture.collect();
    assert_eq!(int(&points, RUNNING, &[]), 0);
    assert_eq!(
        int(&points, ENDED, &["outcome=completed"]),
        (THREADS * JOBS) as i64
    );
    let durations = point(&points, DURATION, &["outcome=completed"]).unwrap();
    assert_eq!(
        durations.value.as_histogram().unwrap().count,
        (THREADS * JOBS) as u64
    );
}

/// A run whose every handle is dropped without `end` (a panicking job) ends as failed; a job
/// started again after it ended is a new run.
#[test]
fn a_run_dropped_without_end_fails_and_a_restart_is_a_new_run() {
    let capture = Capture::cumulative();
    let worker = Worker::new(capture.meter());
    let job = Job::new("RM_1", "AJ_1");
    let run = worker.start_job(&job);
    let other_task = run.clone();
    drop(run);
    assert_eq!(worker.running_jobs(), 1, "a handle is still alive");
    drop(other_task);
    assert_eq!(worker.running_jobs(), 0);
    let again = worker.start_job(&job);
    again.end(JobOutcome::Cancelled);
    again.end(JobOutcome::Completed); // too late: the first end counts
    let points = capture.collect();
    assert_eq!(int(&points, STARTED, &[]), 2);
    assert_eq!(int(&points, ENDED, &["outcome=failed"]), 1);
    assert_eq!(int(&points, ENDED, &["outcome=cancelled"]), 1);
    assert!(point(&points, ENDED, &["outcome=completed"]).is_none());
}

fn load_point(worker_load: impl Fn() -> f64 + Send + Sync + 'static) -> Option<f64> {
    let capture = Capture::cumulative();
    let _worker = Worker::builder()
        .load_fn(worker_load)
        .build(capture.meter());
    point(&capture.collect(), LOAD, &[]).map(|p| p.value.as_f64().unwrap())
}

/// The user's load function is reported as it is, clamped to 0..=1; no number, or a panic,
/// reports nothing (and never stops the collection).
#[test]
fn the_load_function_is_reported_clamped_and_a_bad_one_reports_nothing() {
    assert_eq!(load_point(|| 0.42), Some(0.42));
    assert_eq!(load_point(|| 7.0), Some(1.0));
    assert_eq!(load_point(|| -1.0), Some(0.0));
    assert_eq!(load_point(|| f64::NAN), None);
    assert_eq!(load_point(|| panic!("a broken load function")), None);
}

/// Without a load function, running jobs count against `max_jobs`.
#[test]
fn the_default_load_counts_running_jobs_against_the_capacity() {
    let capture = Capture::cumulative();
    let worker = Worker::builder().max_jobs(2).build(capture.meter());
    let runs: Vec<_> = (0..2)
        .map(|i| worker.start_job(&Job::new(format!("RM_{i}"), "AJ")))
        .collect();
    assert_eq!(worker.load(), 1.0);
    let load = point(&capture.collect(), LOAD, &[]).unwrap();
    assert_eq!(load.value.as_f64(), Some(1.0));
    drop(runs);
    // With no job left, only CPU use keeps the load up. Other tests of this binary can hold the
    // process's CPU at 100% of a small machine for a while, so the load is read again (each
    // reading spans at least a second of CPU time) until that passes, for at most 60 s.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut load = worker.load();
    while load >= 1.0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(1100));
        load = worker.load();
    }
    assert!(load < 1.0, "the load stayed at {load} with no job running");
    assert_eq!(worker.running_jobs(), 0);
}

/// The process figures, on Linux: resident memory above zero, CPU time by mode.
#[test]
fn process_cpu_and_memory_are_reported_on_linux() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let capture = Capture::cumulative();
    let _worker = Worker::new(capture.meter());
    let points = capture.collect();
    assert!(int(&points, "process.memory.usage", &[]) > 1024 * 1024);
    for mode in ["cpu.mode=user", "cpu.mode=system"] {
        let cpu = point(&points, "process.cpu.time", &[mode]).unwrap();
        assert!(cpu.value.as_f64().unwrap() >= 0.0);
        assert_eq!(cpu.unit, "s");
    }
}

/// The default load follows the process's CPU use: a thread spinning for over a second (the
/// shortest window the default reads) shows up in it. Loose bound: on a busy machine the thread
/// gets only part of a core.
#[test]
fn the_default_load_follows_cpu_use() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let capture = Capture::cumulative();
    let worker = Worker::new(capture.meter());
    let start = std::time::Instant::now();
    let mut spins = 0u64;
    while start.elapsed() < std::time::Duration::from_millis(1200) {
        spins = std::hint::black_box(spins.wrapping_add(1));
    }
    let load = worker.load();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    assert!(
        load > 0.05 / cores,
        "load {load} after a second of spinning"
    );
    assert!(load <= 1.0);
}
