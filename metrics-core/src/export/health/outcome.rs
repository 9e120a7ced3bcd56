//! What each export's outcome does to the counts, the self-metrics and the logs: success,
//! failure (carried over or dropped), a partial success, what is left at shutdown; and
//! [`Reported`], the exporter wrapper that reports every outcome.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::Duration;

use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;

use super::{EXPORT_DROPPED, EXPORT_FAILURES, EXPORT_RETRIES, ExportHealth, Outcome};
use crate::catalog::self_metrics;
use crate::export::carry::CarryOver;

impl ExportHealth {
    /// `points` are dropped outside a failed export (a carried point that could not be folded
    /// into the batch, points a collector rejected in a partial success, or still carried over
    /// at shutdown).
    fn count_dropped(&self, points: u64) {
        if points == 0 {
            return;
        }
        self.dropped.fetch_add(points, Ordering::Relaxed);
        if let Some(m) = self.metrics.get() {
            m.dropped.add(points, &[]);
        }
        self.outage.lock().unwrap_or_else(|e| e.into_inner()).1 += points;
    }

    /// Carried points that could not be folded into the next batch (see `carry::merge`).
    pub(crate) fn lost_in_fold(&self, points: u64) {
        if points > 0 {
            tracing::debug!(
                endpoint = self.endpoint.as_str(),
                points,
                "carried-over data points could not be merged (their instrument changed kind or \
                 buckets) and are dropped"
            );
        }
        self.count_dropped(points);
    }

    /// The collector accepted an export but rejected `points` of it (an OTLP partial success):
    /// they are dropped, not sent again (the OTLP specification says not to retry them).
    pub(crate) fn rejected(&self, points: u64, message: &str) {
        self.count_dropped(points);
        let endpoint = self.endpoint.as_str();
        if self.rejections.fetch_add(1, Ordering::Relaxed) == 0 {
            tracing::warn!(
                endpoint,
                rejected_points = points,
                message,
                "the collector rejected data points of a metrics export (partial success): they \
                 are dropped, counted in agent_metrics.export.dropped, and not sent again \
                 (further rejections are logged at debug level)"
            );
        } else {
            tracing::debug!(
                endpoint,
                rejected_points = points,
                message,
                "partial success"
            );
        }
    }

    /// At shutdown: what is still carried over will never be exported; count it and say so.
    pub(crate) fn abandon_carry(&self) {
        let Some(points) = self.carry.as_ref().map(CarryOver::abandon) else {
            return;
        };
        if points == 0 {
            return;
        }
        self.count_dropped(points);
        tracing::warn!(
            endpoint = self.endpoint.as_str(),
            dropped_points = points,
            reason = self.attempt_error().unwrap_or_default().as_str(),
            "metrics exporter shut down with data points still carried over (the final export \
             failed): they are dropped"
        );
    }

    fn succeeded(&self, rm: &ResourceMetrics) {
        self.exported.fetch_add(1, Ordering::Relaxed);
        self.overflow.check(rm);
        if self.failing.swap(false, Ordering::Relaxed) {
            let (failed, dropped, carried) =
                std::mem::take(&mut *self.outage.lock().unwrap_or_else(|e| e.into_inner()));
            tracing::info!(
                endpoint = self.endpoint.as_str(),
                failed_exports = failed,
                carried_points = carried,
                dropped_points = dropped,
                "metrics export recovered"
            );
        }
    }

    fn failed(&self, rm: &ResourceMetrics, error: &dyn std::fmt::Display) {
        let outcome = self
            .outcome
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        // `readded`: the self-metrics' increments of a dropped batch that nothing carried over.
        let (dropped, carried, readded) = match outcome {
            Some(Outcome::Carried { held, lost }) => (lost, held, (0, 0, 0)),
            Some(Outcome::Refused { dropped, held }) => (dropped, held, (0, 0, 0)),
            None => {
                let (points, readded) = self.drop_batch(rm);
                (points, 0, readded)
            }
        };
        self.failed.fetch_add(1, Ordering::Relaxed);
        self.dropped.fetch_add(dropped, Ordering::Relaxed);
        self.carried.fetch_add(carried, Ordering::Relaxed);
        if let Some(m) = self.metrics.get() {
            m.failures.add(1 + readded.0, &[]);
            m.dropped.add(dropped + readded.1, &[]);
            if carried > 0 {
                m.carried.add(carried, &[]);
            }
            if readded.2 > 0 {
                m.retries.add(readded.2, &[]);
            }
        }
        let (outage_failed, outage_dropped, outage_carried) = {
            let mut outage = self.outage.lock().unwrap_or_else(|e| e.into_inner());
            outage.0 += 1;
            outage.1 += dropped;
            outage.2 += carried;
            *outage
        };
        let endpoint = self.endpoint.as_str();
        let reason = self.attempt_error().unwrap_or_else(|| error.to_string());
        if self.failing.swap(true, Ordering::Relaxed) {
            tracing::debug!(
                endpoint,
                %error,
                reason = reason.as_str(),
                outage_failed,
                outage_carried,
                outage_dropped,
                "metrics export failed again"
            );
            return;
        }
        let reason = reason.as_str();
        match outcome {
            Some(Outcome::Carried { held, lost: 0 }) => tracing::warn!(
                endpoint,
                %error,
                reason,
                carried_points = held,
                "metrics export failed after its retries; its data points are carried over into \
                 the next export (merged per series, so memory is bounded by the series, not by \
                 the outage) and counted in agent_metrics.export.carried: nothing is lost while \
                 exports keep being tried, and the agent keeps running (further failures are \
                 logged at debug level until an export succeeds)"
            ),
            Some(Outcome::Refused { .. }) => tracing::warn!(
                endpoint,
                %error,
                reason,
                dropped_points = dropped,
                "the collector refused a metrics export for good; its data points are dropped \
                 (not sent again) and counted in agent_metrics.export.dropped, and the next \
                 exports go on (further failures are logged at debug level until an export \
                 succeeds)"
            ),
            _ => tracing::warn!(
                endpoint,
                %error,
                reason,
                carried_points = carried,
                dropped_points = dropped,
                "metrics export failed after its retries; its data points are dropped and counted \
                 in agent_metrics.export.dropped, and the agent keeps running (further failures \
                 are logged at debug level until an export succeeds)"
            ),
        }
    }

    /// The data points of a failed batch, and the delta increments of our self-metrics it held
    /// `(failures, dropped, retries)`, which are carried over instead of dropped (as are those of
    /// `agent_metrics.dropped_values`, reported again).
    fn drop_batch(&self, rm: &ResourceMetrics) -> (u64, (u64, u64, u64)) {
        let mut points = 0u64;
        let mut carried = (0, 0, 0);
        for sm in rm.scope_metrics() {
            for metric in sm.metrics() {
                // Drops of invalid values are reported again, by the newest pipeline.
                if metric.name() == self_metrics::DROPPED_VALUES.name
                    && let AggregatedMetrics::U64(MetricData::Sum(sum)) = metric.data()
                    && sum.temporality() == Temporality::Delta
                {
                    for point in sum.data_points() {
                        let attr = |key: &str| {
                            point
                                .attributes()
                                .find(|kv| kv.key.as_str() == key)
                                .map(|kv| kv.value.as_str())
                        };
                        if let (Some(instrument), Some(reason)) =
                            (attr("instrument"), attr("reason"))
                        {
                            crate::invalid::report_again(&instrument, &reason, point.value());
                        }
                    }
                    continue;
                }
                let slot = match metric.name() {
                    EXPORT_FAILURES => Some(&mut carried.0),
                    EXPORT_DROPPED => Some(&mut carried.1),
                    EXPORT_RETRIES => Some(&mut carried.2),
                    _ => None,
                };
                match (slot, metric.data()) {
                    (Some(slot), AggregatedMetrics::U64(MetricData::Sum(sum))) => {
                        if sum.temporality() == Temporality::Delta {
                            *slot += sum.data_points().map(|p| p.value()).sum::<u64>();
                        }
                    }
                    (_, data) => points += point_count(data),
                }
            }
        }
        (points, carried)
    }
}

fn point_count(data: &AggregatedMetrics) -> u64 {
    macro_rules! count {
        ($data:expr) => {
            match $data {
                MetricData::Sum(s) => s.data_points().count(),
                MetricData::Gauge(g) => g.data_points().count(),
                MetricData::Histogram(h) => h.data_points().count(),
                MetricData::ExponentialHistogram(h) => h.data_points().count(),
            }
        };
    }
    (match data {
        AggregatedMetrics::U64(d) => count!(d),
        AggregatedMetrics::I64(d) => count!(d),
        AggregatedMetrics::F64(d) => count!(d),
    }) as u64
}

/// The OTLP exporter, with every outcome reported to the pipeline's [`ExportHealth`].
pub(crate) struct Reported {
    pub(crate) inner: crate::export::otlp::PushExporter,
    pub(crate) health: Arc<ExportHealth>,
}

impl std::fmt::Debug for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reported")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl PushMetricExporter for Reported {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        // A reason or outcome left from an earlier export must not explain this one.
        *self
            .health
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
        *self
            .health
            .outcome
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
        // A panic in the exporter must not kill the reader thread, which has no restart.
        let mut export = Box::pin(self.inner.export(metrics));
        let result = std::future::poll_fn(|cx| {
            match std::panic::catch_unwind(AssertUnwindSafe(|| export.as_mut().poll(cx))) {
                Ok(poll) => poll,
                Err(_) => Poll::Ready(Err(OTelSdkError::InternalFailure(
                    "the exporter panicked".to_owned(),
                ))),
            }
        })
        .await;
        match &result {
            Ok(()) => self.health.succeeded(metrics),
            Err(error) => self.health.failed(metrics, error),
        }
        result
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        // The SDK calls this after its final export: nothing carried over can go out any more.
        self.health.abandon_carry();
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}
