//! How the `agent_session` example ends, shared with the test that runs it against an
//! unreachable collector: the final export is bounded, and a failure is told to the user without
//! failing the run, since the agent's work is done whatever happens to its metrics.

use std::time::Duration;

use agent_metrics::export::Telemetry;

/// How long the final export may take before we give up on the collector.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// Shuts `telemetry` down within [`SHUTDOWN_TIMEOUT`]; the line to show the user when the final
/// export failed.
pub fn finish(telemetry: &Telemetry) -> Option<String> {
    let error = telemetry.shutdown(SHUTDOWN_TIMEOUT).err()?;
    Some(format!(
        "agent_session: the metrics collector was unreachable, so this run's metrics were not \
         exported: {error}"
    ))
}
