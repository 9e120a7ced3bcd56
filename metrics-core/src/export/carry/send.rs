//! The carry-over around one export, whatever the transport: what is held is folded into the
//! batch before it is sent, and what the collector answered (after the retries) decides what
//! is held after.
//!
//! | answer | the batch (what was carried over included) |
//! |---|---|
//! | accepted | delivered; points a partial success rejects are dropped and counted, not re-sent |
//! | transient (HTTP 429, 502, 503, 504; gRPC UNAVAILABLE, DEADLINE_EXCEEDED, ...; no answer) | carried over into the next export |
//! | anything else (HTTP 400, 401, 403, 404, 413, 500; gRPC INVALID_ARGUMENT, UNAUTHENTICATED, ...) | dropped and counted; only the self-metrics are carried over |
//!
//! What a collector refuses for good would be refused again: carrying it over would poison
//! every following export. A collector that accepts a batch but answers after the export
//! timeout gets it again with the next export (OTLP delivery is at least once, as with any
//! retry).

use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest,
};

use super::{CarryOver, count_points};
use crate::catalog::self_metrics;
use crate::export::health::{ExportHealth, Outcome};

/// What became of a batch, after the retries.
pub(crate) enum Answer {
    /// The collector has it, except what a partial success says it rejected.
    Accepted(Option<ExportMetricsPartialSuccess>),
    /// No answer, or one worth trying again.
    Transient,
    /// An answer saying it will never take this batch.
    Refused,
}

/// Whether `name` is one of our self-metrics, which are carried over whatever happens (their
/// increments are what says a batch was dropped).
fn is_self_metric(name: &str) -> bool {
    self_metrics::ALL.iter().any(|i| i.name == name)
}

/// Sends `batch` with what `carry` holds folded in, through `send` (which retries and says
/// what became of it), and holds or counts what did not arrive. Returns what `send` returned.
pub(crate) fn send<R>(
    health: &ExportHealth,
    carry: &CarryOver,
    mut batch: ExportMetricsServiceRequest,
    send: impl FnOnce(&ExportMetricsServiceRequest) -> (R, Answer),
) -> R {
    health.lost_in_fold(carry.release_into(&mut batch));
    let (result, answer) = send(&batch);
    let outcome = match answer {
        Answer::Accepted(partial) => {
            report_rejected(health, partial);
            return result;
        }
        Answer::Transient => {
            let kept = carry.keep(batch, |_| true);
            Outcome::Carried {
                held: kept.held,
                lost: kept.lost,
            }
        }
        Answer::Refused => {
            let points = count_points(&batch);
            let kept = carry.keep(batch, is_self_metric);
            Outcome::Refused {
                dropped: points.saturating_sub(kept.held),
                held: kept.held,
            }
        }
    };
    health.set_outcome(outcome);
    result
}

/// Counts what a partial success rejected.
pub(crate) fn report_rejected(health: &ExportHealth, partial: Option<ExportMetricsPartialSuccess>) {
    if let Some(partial) = partial
        && partial.rejected_data_points > 0
    {
        health.rejected(partial.rejected_data_points as u64, &partial.error_message);
    }
}
