//! The carry-over around one OTLP/HTTP request: the body the exporter encoded is decoded, sent
//! with what is held folded in ([`super::send`]), and the HTTP answer classified.

use opentelemetry_http::{Bytes, HttpError, Request, Response};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use prost::Message as _;

use super::send::{self, Answer};
use crate::export::health::ExportHealth;
use crate::export::retry;

type Sent = Result<Response<Bytes>, (HttpError, bool)>;

/// Sends `request` through `send` (which retries: it returns the last response, or the last
/// error and whether it was transient), carrying over when the pipeline does.
pub(crate) fn send(
    health: &ExportHealth,
    request: Request<Bytes>,
    send: impl FnOnce(Request<Bytes>) -> Sent,
) -> Result<Response<Bytes>, HttpError> {
    let (parts, body) = request.into_parts();
    // An encoded body (only if another crate turns on the exporter's compression) is sent as it
    // is: the client decompresses it, after this.
    let decoded = match health.carry() {
        Some(carry) if !parts.headers.contains_key(http::header::CONTENT_ENCODING) => {
            ExportMetricsServiceRequest::decode(&body[..])
                .ok()
                .map(|batch| (carry, batch))
        }
        _ => None,
    };
    let Some((carry, batch)) = decoded else {
        let result = send(Request::from_parts(parts, body));
        if let Ok(response) = &result {
            send::report_rejected(health, partial_success(response));
        }
        return result.map_err(|(error, _)| error);
    };
    let result = send::send(health, carry, batch, |batch| {
        let result = send(Request::from_parts(
            parts,
            Bytes::from(batch.encode_to_vec()),
        ));
        let answer = match &result {
            Ok(response) if response.status().is_success() => {
                Answer::Accepted(partial_success(response))
            }
            Ok(response) if retry::retryable_status(response.status().as_u16()) => {
                Answer::Transient
            }
            Err((_, true)) => Answer::Transient,
            _ => Answer::Refused,
        };
        (result, answer)
    });
    result.map_err(|(error, _)| error)
}

fn partial_success(response: &Response<Bytes>) -> Option<ExportMetricsPartialSuccess> {
    ExportMetricsServiceResponse::decode(&response.body()[..])
        .ok()?
        .partial_success
}
