//! The carry-over around one OTLP/HTTP request: what is held is folded into the body before it
//! is sent, and what the answer says decides what is held after.
//!
//! | answer (after the retries) | the batch (what was carried over included) |
//! |---|---|
//! | 2xx | delivered; points a partial success rejects are dropped and counted, not re-sent |
//! | 429, 502, 503, 504, no answer | carried over into the next export |
//! | any other status (400, 401, 403, 404, 413, 500, ...) | dropped and counted; only the self-metrics are carried over |
//!
//! What a collector refuses for good would be refused again: carrying it over would poison
//! every following export.

use opentelemetry_http::{Bytes, HttpError, Request, Response};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use prost::Message as _;

use super::count_points;
use crate::catalog::self_metrics;
use crate::export::health::{ExportHealth, Outcome};
use crate::export::retry;

/// Whether `name` is one of our self-metrics, which are carried over whatever happens (their
/// increments are what says a batch was dropped).
fn is_self_metric(name: &str) -> bool {
    self_metrics::ALL.iter().any(|i| i.name == name)
}

/// Sends `request` through `send` (which retries), carrying over as the table above says.
/// `send` returns the last response, or the last error and whether it was transient.
pub(crate) fn send(
    health: &ExportHealth,
    request: Request<Bytes>,
    send: impl FnOnce(Request<Bytes>) -> Result<Response<Bytes>, (HttpError, bool)>,
) -> Result<Response<Bytes>, HttpError> {
    let carry = health.carry();
    let (parts, body) = request.into_parts();
    // An encoded body (only if another crate turns on the exporter's compression) is sent as it
    // is: the client decompresses it, after this.
    let decoded = match carry {
        Some(_) if !parts.headers.contains_key(http::header::CONTENT_ENCODING) => {
            ExportMetricsServiceRequest::decode(&body[..]).ok()
        }
        _ => None,
    };
    let (Some(carry), Some(mut batch)) = (carry, decoded) else {
        let result = send(Request::from_parts(parts, body));
        if let Ok(response) = &result {
            report_rejected(health, response);
        }
        return result.map_err(|(error, _)| error);
    };
    health.lost_in_fold(carry.release_into(&mut batch));
    let result = send(Request::from_parts(
        parts,
        Bytes::from(batch.encode_to_vec()),
    ));
    let transient = match &result {
        Ok(response) if response.status().is_success() => {
            report_rejected(health, response);
            return result.map_err(|(error, _)| error);
        }
        Ok(response) => retry::retryable_status(response.status().as_u16()),
        Err((_, transient)) => *transient,
    };
    let outcome = if transient {
        let kept = carry.keep(batch, |_| true);
        Outcome::Carried {
            held: kept.held,
            lost: kept.lost,
        }
    } else {
        let points = count_points(&batch);
        let kept = carry.keep(batch, is_self_metric);
        Outcome::Refused {
            dropped: points.saturating_sub(kept.held),
            held: kept.held,
        }
    };
    health.set_outcome(outcome);
    result.map_err(|(error, _)| error)
}

/// Counts what a partial success rejected.
fn report_rejected(health: &ExportHealth, response: &Response<Bytes>) {
    let Ok(answer) = ExportMetricsServiceResponse::decode(&response.body()[..]) else {
        return;
    };
    if let Some(partial) = answer.partial_success
        && partial.rejected_data_points > 0
    {
        health.rejected(partial.rejected_data_points as u64, &partial.error_message);
    }
}
