//! Carry-over: what a delta export that failed for good held is folded into the next export of
//! the same pipeline instead of being dropped.
//!
//! Words used here:
//! - a **batch** is one export request (`ExportMetricsServiceRequest`);
//! - a **series** is one metric's points with one attribute set, under one resource and scope;
//! - to **fold** an older point into a newer one of the same series is to merge them by the
//!   data model's rules ([`merge`]): deltas add, gauges keep the newest, and the merged point
//!   spans both intervals, so a receiver sees one point covering the outage and a stream's
//!   points never overlap;
//! - what is **held** is the carry-over between two exports: at most one point per series
//!   (folded, never queued), and at most the cardinality limit of each instrument, past which
//!   points fold into the `otel.metric.overflow=true` series as the SDK's own aggregation does.
//!   Memory grows with the series, not with the length of an outage.
//!
//! Cumulative points are never held: the next export carries the totals.
//!
//! It works on the OTLP protobuf messages, not on the SDK's `ResourceMetrics`, which the SDK
//! gives no way to build: the HTTP client folds the held points into the body it sends
//! ([`http`]), the gRPC exporter into the request it sends ([`send`] is the part they share).

pub(crate) mod http;
mod merge;
pub(crate) mod send;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{Metric, metric::Data};
use prost::Message as _;

use merge::{Fold, Point, fold, is_delta};

use crate::cardinality::{DEFAULT_LIMIT, OVERFLOW_KEY};

/// The points held between two exports of one pipeline, bounded per instrument.
#[derive(Debug)]
pub(crate) struct CarryOver {
    held: Mutex<Held>,
    /// Declared cardinality limits by instrument name; [`DEFAULT_LIMIT`] for the others.
    limits: BTreeMap<&'static str, usize>,
}

#[derive(Debug, Default)]
struct Held {
    batch: ExportMetricsServiceRequest,
    points: u64,
    peak: u64,
}

/// What [`CarryOver::keep`] did with a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Kept {
    /// Points held now (the whole carry-over, not only this batch's).
    pub held: u64,
    /// Points that could not be held: counted as dropped.
    pub lost: u64,
}

impl CarryOver {
    pub(crate) fn new(limits: BTreeMap<&'static str, usize>) -> Self {
        CarryOver {
            held: Mutex::new(Held::default()),
            limits,
        }
    }

    /// Folds what is held into `batch`, which now carries it; nothing is held any more.
    /// Returns the points lost in the fold (see [`merge`]).
    pub(crate) fn release_into(&self, batch: &mut ExportMetricsServiceRequest) -> u64 {
        let older = {
            let mut held = self.lock();
            held.points = 0;
            std::mem::take(&mut held.batch)
        };
        fold_batch(older, batch)
    }

    /// Holds the delta and gauge points of `batch`, which failed for good, whose metric name
    /// passes `wanted`; the rest is not held (cumulative points are not needed; what `wanted`
    /// refuses is the caller's to count).
    pub(crate) fn keep(
        &self,
        mut batch: ExportMetricsServiceRequest,
        wanted: impl Fn(&str) -> bool,
    ) -> Kept {
        retain_metrics(&mut batch, |m| wanted(&m.name) && carried_kind(m));
        let mut held = self.lock();
        let older = std::mem::take(&mut held.batch);
        let mut lost = fold_batch(older, &mut batch);
        for metric in metrics_mut(&mut batch) {
            let limit = self.limits.get(metric.name.as_str()).copied();
            lost += bound(metric, limit.unwrap_or(DEFAULT_LIMIT));
        }
        held.points = count_points(&batch);
        held.peak = held.peak.max(held.points);
        held.batch = batch;
        Kept {
            held: held.points,
            lost,
        }
    }

    /// Drops everything held; returns how many points that was.
    pub(crate) fn abandon(&self) -> u64 {
        let mut held = self.lock();
        held.batch = ExportMetricsServiceRequest::default();
        std::mem::take(&mut held.points)
    }

    /// `(points held now, most points ever held)`.
    pub(crate) fn size(&self) -> (u64, u64) {
        let held = self.lock();
        (held.points, held.peak)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        // The state is whole between statements: a panic elsewhere cannot leave it half-built.
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether a metric's points are worth holding: deltas, and gauges (whose newest value a delta
/// pipeline reports only in the interval it was set).
fn carried_kind(metric: &Metric) -> bool {
    match &metric.data {
        Some(Data::Sum(s)) => is_delta(s.aggregation_temporality),
        Some(Data::Histogram(h)) => is_delta(h.aggregation_temporality),
        Some(Data::ExponentialHistogram(h)) => is_delta(h.aggregation_temporality),
        Some(Data::Gauge(_)) => true,
        Some(Data::Summary(_)) | None => false,
    }
}

/// The data points of a batch.
pub(crate) fn count_points(batch: &ExportMetricsServiceRequest) -> u64 {
    batch
        .resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .map(|m| data_points(m.data.as_ref()))
        .sum()
}

fn data_points(data: Option<&Data>) -> u64 {
    (match data {
        Some(Data::Sum(s)) => s.data_points.len(),
        Some(Data::Gauge(g)) => g.data_points.len(),
        Some(Data::Histogram(h)) => h.data_points.len(),
        Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
        Some(Data::Summary(s)) => s.data_points.len(),
        None => 0,
    }) as u64
}

/// Removes the metrics `keep` refuses, and the scopes and resources left empty.
pub(crate) fn retain_metrics(
    batch: &mut ExportMetricsServiceRequest,
    keep: impl Fn(&Metric) -> bool,
) {
    for rm in &mut batch.resource_metrics {
        for sm in &mut rm.scope_metrics {
            sm.metrics.retain(&keep);
        }
        rm.scope_metrics.retain(|sm| !sm.metrics.is_empty());
    }
    batch
        .resource_metrics
        .retain(|rm| !rm.scope_metrics.is_empty());
}

fn metrics_mut(batch: &mut ExportMetricsServiceRequest) -> impl Iterator<Item = &mut Metric> {
    batch
        .resource_metrics
        .iter_mut()
        .flat_map(|rm| &mut rm.scope_metrics)
        .flat_map(|sm| &mut sm.metrics)
}

/// Folds every point of `older` into the point of the same series in `newer`, or adds it there.
/// Returns the points lost (see [`merge`]).
fn fold_batch(older: ExportMetricsServiceRequest, newer: &mut ExportMetricsServiceRequest) -> u64 {
    let mut lost = 0;
    for rm in older.resource_metrics {
        let same = |r: &&mut _| {
            let r: &opentelemetry_proto::tonic::metrics::v1::ResourceMetrics = r;
            r.resource == rm.resource && r.schema_url == rm.schema_url
        };
        let Some(target) = newer.resource_metrics.iter_mut().find(same) else {
            newer.resource_metrics.push(rm);
            continue;
        };
        for sm in rm.scope_metrics {
            let Some(scope) = target
                .scope_metrics
                .iter_mut()
                .find(|s| s.scope == sm.scope && s.schema_url == sm.schema_url)
            else {
                target.scope_metrics.push(sm);
                continue;
            };
            for metric in sm.metrics {
                match scope.metrics.iter_mut().find(|m| m.name == metric.name) {
                    Some(newer) => lost += fold_metric(metric, newer),
                    None => scope.metrics.push(metric),
                }
            }
        }
    }
    lost
}

/// Folds the points of one metric into the same metric of a newer batch. A metric whose kind
/// or temporality changed keeps the newer points; the older are lost.
fn fold_metric(older: Metric, newer: &mut Metric) -> u64 {
    match (older.data, &mut newer.data) {
        (Some(Data::Sum(o)), Some(Data::Sum(n)))
            if o.aggregation_temporality == n.aggregation_temporality =>
        {
            let delta = is_delta(n.aggregation_temporality);
            fold_points(o.data_points, &mut n.data_points, delta)
        }
        (Some(Data::Histogram(o)), Some(Data::Histogram(n)))
            if o.aggregation_temporality == n.aggregation_temporality =>
        {
            let delta = is_delta(n.aggregation_temporality);
            fold_points(o.data_points, &mut n.data_points, delta)
        }
        (Some(Data::ExponentialHistogram(o)), Some(Data::ExponentialHistogram(n)))
            if o.aggregation_temporality == n.aggregation_temporality =>
        {
            let delta = is_delta(n.aggregation_temporality);
            fold_points(o.data_points, &mut n.data_points, delta)
        }
        (Some(Data::Gauge(o)), Some(Data::Gauge(n))) => {
            fold_points(o.data_points, &mut n.data_points, false)
        }
        (Some(Data::Summary(o)), Some(Data::Summary(n))) => {
            fold_points(o.data_points, &mut n.data_points, false)
        }
        (older, newer @ None) => {
            *newer = older;
            0
        }
        (older, Some(_)) => data_points(older.as_ref()),
    }
}

/// The identity of a series within its metric: its attributes, in key order.
fn series_key(attributes: &[KeyValue]) -> Vec<u8> {
    let mut sorted: Vec<&KeyValue> = attributes.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    let mut key = Vec::new();
    for kv in sorted {
        // Writing into a Vec cannot fail.
        let _ = kv.encode_length_delimited(&mut key);
    }
    key
}

fn fold_points<P: Point>(older: Vec<P>, newer: &mut Vec<P>, delta: bool) -> u64 {
    let mut index: HashMap<Vec<u8>, usize> = newer
        .iter()
        .enumerate()
        .map(|(i, p)| (series_key(p.attributes()), i))
        .collect();
    let mut lost = 0;
    for point in older {
        let key = series_key(point.attributes());
        match index.get(&key) {
            Some(&i) => lost += u64::from(fold(point, &mut newer[i], delta) == Fold::Lost),
            None => {
                index.insert(key, newer.len());
                newer.push(point);
            }
        }
    }
    lost
}

fn is_overflow(point: &impl Point) -> bool {
    point.attributes().iter().any(|kv| kv.key == OVERFLOW_KEY)
}

fn overflow_attributes() -> Vec<KeyValue> {
    vec![KeyValue {
        key: OVERFLOW_KEY.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::BoolValue(true)),
        }),
        ..KeyValue::default()
    }]
}

/// Keeps at most `limit` series of a metric (the overflow series on top, as in the SDK): the
/// first ones, which the newest batch put first; the rest fold into the overflow series.
/// Returns the points lost.
fn bound(metric: &mut Metric, limit: usize) -> u64 {
    match &mut metric.data {
        Some(Data::Sum(s)) => bound_points(
            &mut s.data_points,
            limit,
            is_delta(s.aggregation_temporality),
        ),
        Some(Data::Histogram(h)) => bound_points(
            &mut h.data_points,
            limit,
            is_delta(h.aggregation_temporality),
        ),
        Some(Data::ExponentialHistogram(h)) => bound_points(
            &mut h.data_points,
            limit,
            is_delta(h.aggregation_temporality),
        ),
        Some(Data::Gauge(g)) => bound_points(&mut g.data_points, limit, false),
        Some(Data::Summary(s)) => bound_points(&mut s.data_points, limit, false),
        None => 0,
    }
}

fn bound_points<P: Point>(points: &mut Vec<P>, limit: usize, delta: bool) -> u64 {
    if points.len() <= limit {
        return 0;
    }
    let mut kept = Vec::with_capacity(limit + 1);
    let mut overflow: Option<P> = None;
    let mut lost = 0;
    let mut series = 0;
    for mut point in points.drain(..) {
        let spill = is_overflow(&point) || series >= limit;
        if !spill {
            series += 1;
            kept.push(point);
            continue;
        }
        point.set_attributes(overflow_attributes());
        match overflow.as_mut() {
            Some(into) => lost += u64::from(fold(point, into, delta) == Fold::Lost),
            None => overflow = Some(point),
        }
    }
    kept.extend(overflow);
    *points = kept;
    lost
}

#[cfg(test)]
mod tests;
