//! The worker's instruments, declared once for the code that records them ([`Worker`]) and for
//! the catalog, the alert rules and the dashboard, which must agree on every name and unit.
//!
//! [`Worker`]: super::Worker

use crate::{FieldPath, Instrument, ValueType};

/// Buckets for job durations, in seconds: from a job that failed at once (100 ms) to two hours.
pub const JOB_DURATION_BUCKETS: &[f64] = &[
    0.1, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0,
];

/// Jobs running on the worker now: each counts once, however many tasks and threads it spans.
pub const RUNNING_JOBS: Instrument = Instrument::up_down_counter("lk.agents.worker.running_jobs")
    .unit("{job}")
    .description("Jobs running on the worker now");

/// Jobs the worker started.
pub const JOBS_STARTED: Instrument = Instrument::counter("lk.agents.worker.jobs_started")
    .unit("{job}")
    .description("Jobs started on the worker");

/// Jobs that ended, by `outcome`.
pub const JOBS_ENDED: Instrument = Instrument::counter("lk.agents.worker.jobs_ended")
    .unit("{job}")
    .description("Jobs ended on the worker, by outcome");

/// How long each job ran, by `outcome`.
pub const JOB_DURATION: Instrument = Instrument::histogram("lk.agents.worker.job_duration")
    .unit("s")
    .description("Duration of a job, from its start to its end")
    .buckets(JOB_DURATION_BUCKETS);

/// The worker's load, 0 to 1: the user's load function, or the default (see `Worker`).
pub const LOAD: Instrument = Instrument::gauge("lk.agents.worker.load")
    .unit("1")
    .description("Worker load, from 0 (idle) to 1 (full)");

/// CPU time of the process, by `cpu.mode` (`user`, `system`): the OpenTelemetry conventions'
/// `process.cpu.time`. Linux only.
pub const PROCESS_CPU_TIME: Instrument = Instrument::counter("process.cpu.time")
    .unit("s")
    .description("Total CPU seconds of the process, by mode");

/// Resident memory of the process: the conventions' `process.memory.usage`. Linux only.
pub const PROCESS_MEMORY_USAGE: Instrument = Instrument::up_down_counter("process.memory.usage")
    .unit("By")
    .description("The amount of physical memory in use by the process");

/// One worker instrument as the catalog lists it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkerInstrument {
    /// The definition.
    pub instrument: Instrument,
    /// The number type recorded.
    pub value_type: ValueType,
    /// Its attribute keys, sorted.
    pub attributes: &'static [&'static str],
    /// What feeds it, for the catalog's "fed by" column.
    pub source: FieldPath,
}

const fn fed_by(field: &'static str) -> FieldPath {
    FieldPath {
        type_name: "Worker",
        via: "",
        field,
    }
}

/// Every instrument a [`Worker`](super::Worker) records.
pub const ALL: [WorkerInstrument; 7] = [
    WorkerInstrument {
        instrument: RUNNING_JOBS,
        value_type: ValueType::I64,
        attributes: &[],
        source: fed_by("start_job"),
    },
    WorkerInstrument {
        instrument: JOBS_STARTED,
        value_type: ValueType::U64,
        attributes: &[],
        source: fed_by("start_job"),
    },
    WorkerInstrument {
        instrument: JOBS_ENDED,
        value_type: ValueType::U64,
        attributes: &["outcome"],
        source: fed_by("end"),
    },
    WorkerInstrument {
        instrument: JOB_DURATION,
        value_type: ValueType::F64,
        attributes: &["outcome"],
        source: fed_by("end"),
    },
    WorkerInstrument {
        instrument: LOAD,
        value_type: ValueType::F64,
        attributes: &[],
        source: fed_by("load"),
    },
    WorkerInstrument {
        instrument: PROCESS_CPU_TIME,
        value_type: ValueType::F64,
        attributes: &["cpu.mode"],
        source: fed_by("process"),
    },
    WorkerInstrument {
        instrument: PROCESS_MEMORY_USAGE,
        value_type: ValueType::I64,
        attributes: &[],
        source: fed_by("process"),
    },
];
