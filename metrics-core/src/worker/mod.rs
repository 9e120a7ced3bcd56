//! Metrics of the agent worker process (livekit/agents#5443): the jobs it runs, its load, and
//! the process's CPU and memory, on whatever pipeline its meter belongs to (OTLP and `/metrics`
//! alike).
//!
//! Words used here: a *job* is one [`Job`] (one room, one agent session); a *run* is the time a
//! worker spends on it, from [`Worker::start_job`] to [`RunningJob::end`]. A job spans as many
//! tasks and threads as it likes: every `start_job` for a job already running returns a handle
//! to the same run, so the job is counted once.
//!
//! | instrument | kind | unit | attributes |
//! |---|---|---|---|
//! | `lk.agents.worker.running_jobs` | up-down counter | `{job}` | |
//! | `lk.agents.worker.jobs_started` | counter | `{job}` | |
//! | `lk.agents.worker.jobs_ended` | counter | `{job}` | `outcome` |
//! | `lk.agents.worker.job_duration` | histogram | `s` | `outcome` |
//! | `lk.agents.worker.load` | gauge (observed at each collection) | `1` | |
//! | `process.cpu.time` | counter (observed) | `s` | `cpu.mode` (`user`, `system`) |
//! | `process.memory.usage` | up-down counter (observed) | `By` | |
//!
//! None carries per-job attributes: they describe the process, so two workers with the same
//! settings are told apart by their resource's `service.instance.id` (see
//! [`TelemetryBuilder`](crate::TelemetryBuilder)).
//!
//! The load is the user's load function ([`WorkerBuilder::load_fn`]) or, by default, the larger
//! of the process's CPU use (CPU seconds per second of wall time, over the available cores,
//! since the previous reading at least a second earlier) and, with
//! [`WorkerBuilder::max_jobs`], running jobs over that capacity. It is clamped to 0..=1; a
//! value that is not a number is not reported, and a load function that panics reports nothing
//! for that collection (one warning), never taking down the export. The process figures come
//! from `/proc` and exist on Linux only; elsewhere those two instruments report nothing and the
//! default load counts jobs only.

mod instruments;
mod load;
mod process;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, Meter, UpDownCounter};

pub use instruments::*;

use crate::job::Job;
use crate::{AttributeValue, CounterNumber, HistogramNumber, UpDownCounterNumber};
use load::CpuSample;

/// How a job ended: the `outcome` attribute of `jobs_ended` and `job_duration`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, AttributeValue)]
pub enum JobOutcome {
    /// The session ended normally.
    Completed,
    /// The job failed; also what a run whose every handle was dropped without
    /// [`RunningJob::end`] reports (a panic in the job, a forgotten end).
    Failed,
    /// The worker cancelled it (draining, shutting down).
    Cancelled,
}

/// A user's load function: 0 idle, 1 full.
type LoadFn = Box<dyn Fn() -> f64 + Send + Sync>;

/// Configures a [`Worker`].
#[must_use = "call .build(meter) to get a Worker"]
pub struct WorkerBuilder {
    max_jobs: Option<u32>,
    load_fn: Option<LoadFn>,
}

impl fmt::Debug for WorkerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerBuilder")
            .field("max_jobs", &self.max_jobs)
            .field("load_fn", &self.load_fn.is_some())
            .finish()
    }
}

impl WorkerBuilder {
    /// How many jobs the worker takes at most: the default load counts running jobs against it.
    pub fn max_jobs(mut self, max_jobs: u32) -> Self {
        self.max_jobs = (max_jobs > 0).then_some(max_jobs);
        self
    }

    /// The worker's load, read at every collection instead of the default (as the Python
    /// framework's `load_fnc`): 0 idle, 1 full.
    pub fn load_fn(mut self, load: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        self.load_fn = Some(Box::new(load));
        self
    }

    /// Builds the instruments on `meter` (the meter of the process's telemetry).
    pub fn build(self, meter: &Meter) -> Worker {
        let inner = Arc::new(Inner {
            running: AtomicI64::new(0),
            running_jobs: i64::build_up_down_counter(meter, &RUNNING_JOBS),
            started: u64::build_counter(meter, &JOBS_STARTED),
            ended: u64::build_counter(meter, &JOBS_ENDED),
            duration: f64::build_histogram(meter, &JOB_DURATION),
            runs: Mutex::new(HashMap::new()),
            max_jobs: self.max_jobs,
            load_fn: self.load_fn,
            cpu: Mutex::new(CpuSample::now()),
            load_panicked: AtomicBool::new(false),
        });
        observe(meter, &inner);
        Worker { inner }
    }
}

/// The metrics of one worker process: build it once, from the meter of the process's
/// telemetry, and call [`start_job`](Self::start_job) for every job. Cloning is cheap.
///
/// ```
/// use agent_metrics::{capture::Capture, job::Job, worker::{JobOutcome, Worker}};
/// let capture = Capture::cumulative();
/// let worker = Worker::builder().max_jobs(4).build(capture.meter());
/// let job = Job::new("RM_1", "AJ_1");
/// let run = worker.start_job(&job);
/// let same = worker.start_job(&job); // another task of the same job: counted once
/// assert_eq!(worker.running_jobs(), 1);
/// assert!(worker.load() >= 0.25);
/// run.end(JobOutcome::Completed);
/// drop(same);
/// assert_eq!(worker.running_jobs(), 0);
/// let points = capture.collect();
/// let ended = points.iter().find(|p| p.name == "lk.agents.worker.jobs_ended").unwrap();
/// assert_eq!(ended.attr_pairs(), ["outcome=completed"]);
/// ```
#[derive(Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("running_jobs", &self.running_jobs())
            .field("max_jobs", &self.inner.max_jobs)
            .finish_non_exhaustive()
    }
}

struct Inner {
    /// Runs started and not ended: what `running_jobs` adds up to, for the load.
    running: AtomicI64,
    running_jobs: UpDownCounter<i64>,
    started: Counter<u64>,
    ended: Counter<u64>,
    duration: Histogram<f64>,
    /// The runs not ended, by job: a job started again while running joins its run.
    runs: Mutex<HashMap<u64, Weak<Run>>>,
    max_jobs: Option<u32>,
    load_fn: Option<LoadFn>,
    cpu: Mutex<CpuSample>,
    load_panicked: AtomicBool,
}

impl Worker {
    /// A worker with the default load and no job limit, on `meter`.
    pub fn new(meter: &Meter) -> Self {
        Self::builder().build(meter)
    }

    /// Configures a worker.
    pub fn builder() -> WorkerBuilder {
        WorkerBuilder {
            max_jobs: None,
            load_fn: None,
        }
    }

    /// Starts `job`'s run, or joins it if the job is running already (from another task or
    /// thread): a job counts once however many tasks call this. The run ends with the first
    /// [`RunningJob::end`] on any of its handles, or as [`JobOutcome::Failed`] when the last
    /// handle is dropped without one.
    pub fn start_job(&self, job: &Job) -> RunningJob {
        let key = job.run_key();
        let mut runs = self.inner.runs.lock().unwrap_or_else(|e| e.into_inner());
        // Taken out of the lock's scope before it could be dropped: dropping the last handle of
        // an ended run locks `runs` again.
        let existing = runs.get(&key).and_then(Weak::upgrade);
        if let Some(run) = existing
            .as_ref()
            .filter(|r| !r.ended.load(Ordering::Acquire))
        {
            let run = Arc::clone(run);
            drop(runs);
            return RunningJob { run };
        }
        let run = Arc::new(Run {
            worker: Arc::clone(&self.inner),
            key,
            started: Instant::now(),
            ended: AtomicBool::new(false),
        });
        runs.insert(key, Arc::downgrade(&run));
        self.inner.running.fetch_add(1, Ordering::AcqRel);
        drop(runs);
        drop(existing);
        self.inner.running_jobs.add(1, &[]);
        self.inner.started.add(1, &[]);
        RunningJob { run }
    }

    /// Jobs running now.
    pub fn running_jobs(&self) -> u64 {
        self.inner.running.load(Ordering::Acquire).max(0) as u64
    }

    /// The load as `lk.agents.worker.load` reports it (the user's function or the default),
    /// clamped to 0..=1; `NaN` when the load function gave no number or panicked.
    pub fn load(&self) -> f64 {
        self.inner.load()
    }
}

/// A job's run on a worker. Clone it into every task of the job; see [`Worker::start_job`].
#[derive(Clone)]
pub struct RunningJob {
    run: Arc<Run>,
}

impl fmt::Debug for RunningJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningJob")
            .field("elapsed", &self.run.started.elapsed())
            .field("ended", &self.run.ended.load(Ordering::Acquire))
            .finish()
    }
}

impl RunningJob {
    /// Ends the run with `outcome`: the first call, from any handle, counts; later ones do
    /// nothing.
    pub fn end(&self, outcome: JobOutcome) {
        self.run.end(outcome);
    }

    /// How long the job has been running.
    pub fn elapsed(&self) -> Duration {
        self.run.started.elapsed()
    }
}

struct Run {
    worker: Arc<Inner>,
    key: u64,
    started: Instant,
    ended: AtomicBool,
}

impl Run {
    fn end(&self, outcome: JobOutcome) {
        if self.ended.swap(true, Ordering::AcqRel) {
            return;
        }
        let worker = &self.worker;
        {
            let mut runs = worker.runs.lock().unwrap_or_else(|e| e.into_inner());
            if runs
                .get(&self.key)
                .is_some_and(|w| std::ptr::eq(w.as_ptr(), self))
            {
                runs.remove(&self.key);
            }
        }
        worker.running.fetch_sub(1, Ordering::AcqRel);
        worker.running_jobs.add(-1, &[]);
        let attrs = [KeyValue::new(
            "outcome",
            outcome.attribute_value().unwrap_or_else(|| "failed".into()),
        )];
        worker.ended.add(1, &attrs);
        worker
            .duration
            .record(self.started.elapsed().as_secs_f64(), &attrs);
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.end(JobOutcome::Failed);
    }
}

/// Registers the observed instruments; their callbacks hold the worker weakly, so a dropped
/// worker stops reporting its load (the process figures go on while the meter lives).
fn observe(meter: &Meter, inner: &Arc<Inner>) {
    let worker = Arc::downgrade(inner);
    let _load = meter
        .f64_observable_gauge(LOAD.name)
        .with_unit(LOAD.unit)
        .with_description(LOAD.description)
        .with_callback(move |observer| {
            if let Some(worker) = worker.upgrade() {
                let load = worker.load();
                if load.is_finite() {
                    observer.observe(load, &[]);
                }
            }
        })
        .build();
    if !cfg!(target_os = "linux") {
        return;
    }
    let _cpu = meter
        .f64_observable_counter(PROCESS_CPU_TIME.name)
        .with_unit(PROCESS_CPU_TIME.unit)
        .with_description(PROCESS_CPU_TIME.description)
        .with_callback(|observer| {
            if let Some((user, system)) = process::cpu_times() {
                observer.observe(user, &[KeyValue::new("cpu.mode", "user")]);
                observer.observe(system, &[KeyValue::new("cpu.mode", "system")]);
            }
        })
        .build();
    let _memory = meter
        .i64_observable_up_down_counter(PROCESS_MEMORY_USAGE.name)
        .with_unit(PROCESS_MEMORY_USAGE.unit)
        .with_description(PROCESS_MEMORY_USAGE.description)
        .with_callback(|observer| {
            if let Some(bytes) = process::resident_bytes() {
                observer.observe(i64::try_from(bytes).unwrap_or(i64::MAX), &[]);
            }
        })
        .build();
}
