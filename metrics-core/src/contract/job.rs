//! Job attribution: the attributes of the job a measurement belongs to, added to every data point
//! of every instrument (LiveKit 1.8.9, `docs/PYTHON-PARITY.md` §D3).
//!
//! A worker process may run several jobs at once, so a job's identity cannot live on the meter
//! provider's resource. Instead each job installs its [`Job`] for the code it runs: in async code
//! with [`Job::scope`] (a tokio task-local, inherited by nothing else, so two jobs on one runtime
//! never mix), in plain threads with [`Job::enter`]. Recording reads the current job at record
//! time; outside any job the attributes are empty. Reading it allocates nothing: the attribute
//! values are shared strings.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use opentelemetry::{Key, KeyValue, StringValue, Value};

use crate::contract::attributes::{AttrBuf, AttributeSet};

/// Every key a job may carry, sorted.
const KEYS: [&str; 9] = [
    "job_id",
    "lk.agent_name",
    "lk.cloud_agent_id",
    "lk.deployment_id",
    "lk.redaction.enabled",
    "lk.simulation.enabled",
    "lk.simulation.job_id",
    "lk.simulation.run_id",
    "room_id",
];

const JOB_ID: usize = 0;
const AGENT_NAME: usize = 1;
const CLOUD_AGENT_ID: usize = 2;
const DEPLOYMENT_ID: usize = 3;
const REDACTION: usize = 4;
const SIMULATION: usize = 5;
const SIMULATION_JOB_ID: usize = 6;
const SIMULATION_RUN_ID: usize = 7;
const ROOM_ID: usize = 8;

/// How many attributes a job can add: the capacity generated code reserves for them.
#[doc(hidden)]
pub const JOB_KEY_COUNT: usize = KEYS.len();

/// How long [`Telemetry::finish_job`](crate::Telemetry::finish_job) waits for the job's metrics to be exported (`docs/PYTHON-PARITY.md` §D4).
pub const JOB_FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// The attributes of one job, indexed like `KEYS`.
#[derive(Clone, Default)]
pub struct JobAttributes {
    values: [Option<Value>; KEYS.len()],
    /// Names these values for the attribute cache: given anew whenever the values change, never
    /// reused, never 0 (0 is "no job").
    id: u64,
}

impl JobAttributes {
    /// Whether `kv` is one of these attributes (key and value).
    pub(crate) fn holds(&self, kv: &KeyValue) -> bool {
        KEYS.iter()
            .position(|key| *key == kv.key.as_str())
            .is_some_and(|i| self.values[i].as_ref() == Some(&kv.value))
    }
}

impl PartialEq for JobAttributes {
    fn eq(&self, other: &Self) -> bool {
        self.values == other.values
    }
}

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl AttributeSet for JobAttributes {
    const KEYS: &'static [&'static str] = &KEYS;

    #[inline]
    fn push_attribute<const N: usize>(&self, index: usize, buf: &mut AttrBuf<N>) {
        if let Some(Some(value)) = self.values.get(index) {
            buf.push(KeyValue::new(
                Key::from_static_str(KEYS[index]),
                value.clone(),
            ));
        }
    }

    #[inline]
    fn push_all<const N: usize>(&self, buf: &mut AttrBuf<N>) {
        for (key, value) in KEYS.iter().zip(&self.values) {
            if let Some(value) = value {
                buf.push(KeyValue::new(Key::from_static_str(key), value.clone()));
            }
        }
    }
}

impl fmt::Debug for JobAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, value) in KEYS.iter().zip(&self.values) {
            if let Some(value) = value {
                map.entry(key, &crate::contract::compact::ValueDebug(value));
            }
        }
        map.finish()
    }
}

/// One job's identity, to attribute measurements to it.
///
/// ```
/// use agent_metrics::{capture::Capture, job::Job, schema::*, MetricsRecorder};
/// let capture = Capture::cumulative();
/// let recorder = MetricsRecorder::new(capture.meter());
/// let job = Job::new("RM_kitchen", "AJ_42").agent_name("support");
/// {
///     let _in_job = job.enter();
///     recorder.record(&MetricsReport { e2e_latency: Some(0.7), ..Default::default() });
/// }
/// let point = &capture.collect()[0];
/// assert_eq!(point.attr_pairs(), ["job_id=AJ_42", "lk.agent_name=support", "room_id=RM_kitchen"]);
/// ```
#[derive(Clone, Debug)]
pub struct Job {
    attributes: Arc<JobAttributes>,
}

fn text(value: impl Into<Arc<str>>) -> Option<Value> {
    let value: Arc<str> = value.into();
    // Python adds these only when truthy: an empty id is no id.
    (!value.is_empty()).then(|| Value::String(StringValue::from(value)))
}

impl Job {
    /// A job in room `room_id` (the room SID) with id `job_id`.
    pub fn new(room_id: impl Into<Arc<str>>, job_id: impl Into<Arc<str>>) -> Self {
        let mut attributes = JobAttributes::default();
        attributes.values[ROOM_ID] = text(room_id);
        attributes.values[JOB_ID] = text(job_id);
        attributes.id = next_id();
        Job {
            attributes: Arc::new(attributes),
        }
    }

    fn with(mut self, index: usize, value: Option<Value>) -> Self {
        let attributes = Arc::make_mut(&mut self.attributes);
        attributes.values[index] = value;
        attributes.id = next_id();
        self
    }

    /// `lk.agent_name`, for an explicitly dispatched agent; ignored when empty.
    pub fn agent_name(self, name: impl Into<Arc<str>>) -> Self {
        self.with(AGENT_NAME, text(name))
    }

    /// `lk.cloud_agent_id` (LiveKit Cloud sets `LIVEKIT_AGENT_ID`); ignored when empty.
    pub fn cloud_agent_id(self, id: impl Into<Arc<str>>) -> Self {
        self.with(CLOUD_AGENT_ID, text(id))
    }

    /// `lk.deployment_id` (`LIVEKIT_AGENT_DEPLOYMENT`); ignored when empty.
    pub fn deployment_id(self, id: impl Into<Arc<str>>) -> Self {
        self.with(DEPLOYMENT_ID, text(id))
    }

    /// Takes `lk.cloud_agent_id` and `lk.deployment_id` from `LIVEKIT_AGENT_ID` and
    /// `LIVEKIT_AGENT_DEPLOYMENT`, as the Python framework does, through `lookup`.
    pub fn with_cloud_env(self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        let job = match lookup("LIVEKIT_AGENT_ID") {
            Some(id) => self.cloud_agent_id(id),
            None => self,
        };
        match lookup("LIVEKIT_AGENT_DEPLOYMENT") {
            Some(id) => job.deployment_id(id),
            None => job,
        }
    }

    /// Marks a simulation run: `lk.simulation.enabled=true`, its run id and, when not empty, its
    /// job id. An empty run id is no simulation (the Python framework requires one).
    pub fn simulation(self, run_id: impl Into<Arc<str>>, job_id: impl Into<Arc<str>>) -> Self {
        let Some(run_id) = text(run_id) else {
            return self;
        };
        self.with(SIMULATION, Some(Value::Bool(true)))
            .with(SIMULATION_RUN_ID, Some(run_id))
            .with(SIMULATION_JOB_ID, text(job_id))
    }

    /// `lk.redaction.enabled=true` when redaction is on; nothing when off (never `false`).
    pub fn redaction(self, enabled: bool) -> Self {
        self.with(REDACTION, enabled.then_some(Value::Bool(true)))
    }

    /// Names this job's run on a worker: the same for every clone, different for another job.
    pub(crate) fn run_key(&self) -> u64 {
        self.attributes.id
    }

    /// The attributes, in key order.
    pub fn attributes(&self) -> &JobAttributes {
        &self.attributes
    }

    /// The attributes as key-value pairs, in key order (allocates: for tests and tools).
    pub fn to_attributes(&self) -> Vec<KeyValue> {
        self.attributes.to_attributes()
    }

    /// Runs `future` as part of this job: everything it records carries the job's attributes.
    /// Tasks it spawns do not inherit the job; wrap them too.
    pub async fn scope<F: Future>(&self, future: F) -> F::Output {
        let _active = Active::new();
        TASK_JOB.scope(Arc::clone(&self.attributes), future).await
    }

    /// Makes this job current on this thread until the guard is dropped, for code outside async
    /// tasks. Inside a [`scope`](Self::scope), the scope's job wins.
    ///
    /// Guards may be dropped in any order: the current job is always the most recently entered
    /// one whose guard is still alive.
    pub fn enter(&self) -> JobGuard {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        // No borrow of the cell is ever held while other code runs (see `with_job`).
        THREAD_JOB.with(|cell| cell.borrow_mut().push((id, Arc::clone(&self.attributes))));
        JobGuard {
            id,
            _active: Active::new(),
            _not_send: std::marker::PhantomData,
        }
    }
}

/// Ends its job's turn as the thread's job when dropped. Not `Send`: it belongs to its thread.
#[must_use = "the job is current only while the guard lives"]
pub struct JobGuard {
    id: u64,
    _active: Active,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        let id = self.id;
        // Removed wherever it is: a guard dropped out of order leaves the others' jobs current.
        let removed = THREAD_JOB.try_with(|cell| {
            let mut entered = cell.borrow_mut();
            entered
                .iter()
                .rposition(|(entry, _)| *entry == id)
                .map(|i| entered.remove(i))
        });
        // The job's attributes are dropped outside the borrow.
        drop(removed);
    }
}

impl fmt::Debug for JobGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JobGuard")
    }
}

/// How many job scopes and guards are alive in the process. While there are none, recording
/// skips the task-local and thread-local lookups: one relaxed load instead.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// Counts one live scope or guard, also when a scoped future is dropped before it finishes.
struct Active;

impl Active {
    fn new() -> Self {
        ACTIVE.fetch_add(1, Ordering::Relaxed);
        Active
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        ACTIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

tokio::task_local! {
    static TASK_JOB: Arc<JobAttributes>;
}

thread_local! {
    /// The jobs entered on this thread and not left yet, by guard id; the last is current.
    static THREAD_JOB: RefCell<Vec<(u64, Arc<JobAttributes>)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with the current job's attributes: the task's scope, else the thread's job, else
/// none. This is what every generated `record` calls.
#[doc(hidden)]
#[inline]
pub fn with_job<R>(f: impl FnOnce(Option<&JobAttributes>) -> R) -> R {
    // A job entered on this thread or scoped on this task is counted before this runs, so the
    // relaxed load cannot miss it.
    if ACTIVE.load(Ordering::Relaxed) == 0 {
        return f(None);
    }
    // The job is taken out (a reference count, no allocation) before `f` runs: `f` runs user
    // code (`AttributeValue`, `AttributeView`), which may enter or scope a job itself.
    let job = TASK_JOB.try_with(Arc::clone).ok().or_else(|| {
        THREAD_JOB
            .try_with(|cell| {
                cell.try_borrow()
                    .ok()
                    .and_then(|entered| entered.last().map(|(_, job)| Arc::clone(job)))
            })
            .ok()
            .flatten()
    });
    f(job.as_deref())
}

/// The cache's name for the current job's attributes (the job [`with_job`] would give), or 0
/// outside any job. Reads the job in place: no reference count is taken.
#[doc(hidden)]
#[inline]
pub fn current_job_id() -> u64 {
    if ACTIVE.load(Ordering::Relaxed) == 0 {
        return 0;
    }
    TASK_JOB.try_with(|job| job.id).ok().unwrap_or_else(|| {
        THREAD_JOB
            .try_with(|cell| {
                cell.try_borrow()
                    .ok()
                    .and_then(|entered| entered.last().map(|(_, job)| job.id))
            })
            .ok()
            .flatten()
            .unwrap_or(0)
    })
}

/// The cache's name for `job`: what [`current_job_id`] gives while `job` is current.
#[doc(hidden)]
#[inline]
pub fn job_id(job: Option<&JobAttributes>) -> u64 {
    job.map_or(0, |job| job.id)
}
