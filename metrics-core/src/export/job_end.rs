//! Ending a job: the telemetry waits for what the job recorded to be exported. It lives here,
//! not on [`Job`], because the contract layer knows no exporter.

use super::{ExportError, Telemetry};
use crate::job::{JOB_FLUSH_TIMEOUT, Job};

impl Telemetry {
    /// Ends `job`: waits at most [`JOB_FLUSH_TIMEOUT`] for what it recorded to be exported
    /// (`docs/PYTHON-PARITY.md` §D4). The telemetry itself lives on for the next job of the
    /// process; it is shut down once, at process exit, and a provider the user installed never is.
    ///
    /// ```
    /// use agent_metrics::Telemetry;
    /// use agent_metrics::job::Job;
    ///
    /// let telemetry = Telemetry::disabled();
    /// let job = Job::new("RM_room", "AJ_job");
    /// // ... record inside `job.enter()` or `job.scope(..)` ...
    /// telemetry.finish_job(job).unwrap();
    /// ```
    pub fn finish_job(&self, job: Job) -> Result<(), ExportError> {
        // The job's attributes are already on every point it recorded; what is left is the flush.
        drop(job);
        self.force_flush(JOB_FLUSH_TIMEOUT)
    }
}

impl Job {
    /// Ends the job and waits for its export.
    #[deprecated(
        since = "0.2.0",
        note = "use `telemetry.finish_job(job)`: a job does not know the telemetry that exports it"
    )]
    pub fn finish(&self, telemetry: &Telemetry) -> Result<(), ExportError> {
        telemetry.finish_job(self.clone())
    }
}
