use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value;
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Gauge, Histogram, HistogramDataPoint, NumberDataPoint, ResourceMetrics,
    ScopeMetrics, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;

use super::*;

const DELTA: i32 = AggregationTemporality::Delta as i32;
const CUMULATIVE: i32 = AggregationTemporality::Cumulative as i32;

fn attr(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..KeyValue::default()
    }
}

fn point(series: &str, value: i64, (start, time): (u64, u64)) -> NumberDataPoint {
    NumberDataPoint {
        attributes: vec![attr("job", series), attr("model", "m")],
        start_time_unix_nano: start,
        time_unix_nano: time,
        value: Some(Value::AsInt(value)),
        ..Default::default()
    }
}

fn sum(name: &str, temporality: i32, points: Vec<NumberDataPoint>) -> Metric {
    Metric {
        name: name.to_owned(),
        data: Some(Data::Sum(Sum {
            data_points: points,
            aggregation_temporality: temporality,
            is_monotonic: true,
        })),
        ..Default::default()
    }
}

fn batch_in(scope: &str, metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![attr("service.name", "svc")],
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: scope.to_owned(),
                    ..Default::default()
                }),
                metrics,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

fn batch(metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    batch_in("livekit-agents", metrics)
}

/// `(series, value, start, time)` of every number point of `name`, sorted by series.
fn numbers(batch: &ExportMetricsServiceRequest, name: &str) -> Vec<(String, i64, u64, u64)> {
    let mut out = Vec::new();
    for rm in &batch.resource_metrics {
        for sm in &rm.scope_metrics {
            for m in sm.metrics.iter().filter(|m| m.name == name) {
                let points = match &m.data {
                    Some(Data::Sum(s)) => &s.data_points,
                    Some(Data::Gauge(g)) => &g.data_points,
                    _ => continue,
                };
                for p in points {
                    let series = match p.attributes[0]
                        .value
                        .as_ref()
                        .and_then(|v| v.value.as_ref())
                    {
                        Some(any_value::Value::StringValue(s)) => s.clone(),
                        Some(any_value::Value::BoolValue(_)) => "overflow".to_owned(),
                        _ => String::new(),
                    };
                    let Some(Value::AsInt(v)) = p.value else {
                        continue;
                    };
                    out.push((series, v, p.start_time_unix_nano, p.time_unix_nano));
                }
            }
        }
    }
    out.sort();
    out
}

fn carry() -> CarryOver {
    CarryOver::new(BTreeMap::new())
}

/// A carry-over holding the delta sum `c`'s two series, `a` = 3 and `b` = 1, over (10, 20).
fn holding_two_points_of_c() -> CarryOver {
    let carry = carry();
    carry.keep(
        batch(vec![sum(
            "c",
            DELTA,
            vec![point("a", 3, (10, 20)), point("b", 1, (10, 20))],
        )]),
        |_| true,
    );
    carry
}

#[test]
fn a_failed_batch_folds_into_the_next_one_spanning_the_gap() {
    let carry = carry();
    let kept = carry.keep(
        batch(vec![sum("c", DELTA, vec![point("a", 3, (10, 20))])]),
        |_| true,
    );
    assert_eq!(kept, Kept { held: 1, lost: 0 });
    let mut next = batch(vec![sum("c", DELTA, vec![point("a", 5, (20, 30))])]);
    assert_eq!(carry.release_into(&mut next), 0);
    assert_eq!(numbers(&next, "c"), [("a".to_owned(), 8, 10, 30)]);
    assert_eq!(
        carry.size(),
        (0, 1),
        "released: nothing held, peak remembered"
    );
}

#[test]
fn one_point_per_series_however_many_exports_fail() {
    let carry = carry();
    for i in 0..50u64 {
        let times = (i * 10 + 10, i * 10 + 20);
        let points = vec![point("a", 1, times), point("b", 2, times)];
        let mut failed = batch(vec![sum("c", DELTA, points)]);
        carry.release_into(&mut failed);
        let kept = carry.keep(failed, |_| true);
        assert_eq!(kept.held, 2, "export {i}");
    }
    let mut next = batch(vec![]);
    carry.release_into(&mut next);
    assert_eq!(
        numbers(&next, "c"),
        [
            ("a".to_owned(), 50, 10, 510),
            ("b".to_owned(), 100, 10, 510)
        ]
    );
}

#[test]
fn attribute_order_does_not_split_a_series() {
    let carry = carry();
    carry.keep(
        batch(vec![sum("c", DELTA, vec![point("a", 3, (10, 20))])]),
        |_| true,
    );
    let mut reordered = point("a", 5, (20, 30));
    reordered.attributes.reverse();
    let mut next = batch(vec![sum("c", DELTA, vec![reordered])]);
    carry.release_into(&mut next);
    let Some(Data::Sum(s)) = &next.resource_metrics[0].scope_metrics[0].metrics[0].data else {
        panic!("a sum")
    };
    assert_eq!(s.data_points.len(), 1);
    assert_eq!(s.data_points[0].value, Some(Value::AsInt(8)));
}

#[test]
fn series_metrics_and_scopes_missing_from_the_next_batch_are_added_to_it() {
    let carry = carry();
    let failed = batch(vec![
        sum(
            "c",
            DELTA,
            vec![point("a", 3, (10, 20)), point("gone", 4, (10, 20))],
        ),
        sum("quiet", DELTA, vec![point("a", 1, (10, 20))]),
    ]);
    carry.keep(failed, |_| true);
    carry.keep(
        batch_in(
            "plugin",
            vec![sum("p", DELTA, vec![point("a", 9, (10, 20))])],
        ),
        |_| true,
    );
    assert_eq!(carry.size().0, 4);

    let mut next = batch(vec![sum("c", DELTA, vec![point("a", 5, (20, 30))])]);
    carry.release_into(&mut next);
    assert_eq!(
        numbers(&next, "c"),
        [("a".to_owned(), 8, 10, 30), ("gone".to_owned(), 4, 10, 20)]
    );
    assert_eq!(numbers(&next, "quiet"), [("a".to_owned(), 1, 10, 20)]);
    assert_eq!(numbers(&next, "p"), [("a".to_owned(), 9, 10, 20)]);
    let scopes = &next.resource_metrics[0].scope_metrics;
    assert_eq!(
        scopes.len(),
        2,
        "one resource, the plugin's scope added to it"
    );
}

#[test]
fn gauges_keep_the_newest_value() {
    let gauge = |value, time| Metric {
        name: "g".to_owned(),
        data: Some(Data::Gauge(Gauge {
            data_points: vec![point("a", value, (0, time))],
        })),
        ..Default::default()
    };
    let carry = carry();
    carry.keep(batch(vec![gauge(7, 20)]), |_| true);
    let mut next = batch(vec![gauge(4, 30)]);
    carry.release_into(&mut next);
    assert_eq!(numbers(&next, "g"), [("a".to_owned(), 4, 0, 30)]);
}

#[test]
fn cumulative_points_are_not_held() {
    let carry = carry();
    let failed = batch(vec![
        sum("total", CUMULATIVE, vec![point("a", 40, (0, 20))]),
        sum("c", DELTA, vec![point("a", 3, (10, 20))]),
    ]);
    assert_eq!(carry.keep(failed, |_| true).held, 1);
    let mut next = batch(vec![]);
    carry.release_into(&mut next);
    assert!(
        numbers(&next, "total").is_empty(),
        "the next export has the total"
    );
}

#[test]
fn only_the_wanted_metrics_are_held() {
    let carry = carry();
    let failed = batch(vec![
        sum(
            "agent_metrics.export.failures",
            DELTA,
            vec![point("a", 1, (10, 20))],
        ),
        sum("c", DELTA, vec![point("a", 3, (10, 20))]),
    ]);
    let kept = carry.keep(failed, |name| name.starts_with("agent_metrics."));
    assert_eq!(kept.held, 1);
}

#[test]
fn histograms_fold_buckets_count_sum_min_max() {
    let hist = |counts: Vec<u64>, sum, min, max, times: (u64, u64)| Metric {
        name: "h".to_owned(),
        data: Some(Data::Histogram(Histogram {
            data_points: vec![HistogramDataPoint {
                attributes: vec![attr("job", "a")],
                start_time_unix_nano: times.0,
                time_unix_nano: times.1,
                count: counts.iter().sum(),
                sum: Some(sum),
                bucket_counts: counts,
                explicit_bounds: vec![1.0],
                min: Some(min),
                max: Some(max),
                ..Default::default()
            }],
            aggregation_temporality: DELTA,
        })),
        ..Default::default()
    };
    let carry = carry();
    carry.keep(
        batch(vec![hist(vec![2, 1], 3.5, 0.25, 2.0, (10, 20))]),
        |_| true,
    );
    let mut next = batch(vec![hist(vec![0, 1], 4.0, 4.0, 4.0, (20, 30))]);
    carry.release_into(&mut next);
    let Some(Data::Histogram(h)) = &next.resource_metrics[0].scope_metrics[0].metrics[0].data
    else {
        panic!("a histogram")
    };
    let p = &h.data_points[0];
    assert_eq!(
        (p.bucket_counts.as_slice(), p.count, p.sum, p.min, p.max),
        (&[2, 2][..], 4, Some(7.5), Some(0.25), Some(4.0))
    );
    assert_eq!((p.start_time_unix_nano, p.time_unix_nano), (10, 30));
}

#[test]
fn past_the_cardinality_limit_series_fold_into_the_overflow_series() {
    let carry = CarryOver::new(BTreeMap::from([("c", 3)]));
    let points = |n: usize, value| {
        (0..n)
            .map(|i| point(&format!("s{i}"), value, (10, 20)))
            .collect::<Vec<_>>()
    };
    let kept = carry.keep(batch(vec![sum("c", DELTA, points(5, 1))]), |_| true);
    assert_eq!(
        kept,
        Kept { held: 4, lost: 0 },
        "3 series and the overflow series"
    );
    // A later failure with new series: still bounded, still every unit kept.
    let kept = carry.keep(batch(vec![sum("c", DELTA, points(8, 2))]), |_| true);
    assert_eq!(kept.held, 4);
    let mut next = batch(vec![]);
    carry.release_into(&mut next);
    let got = numbers(&next, "c");
    let total: i64 = got.iter().map(|p| p.1).sum();
    assert_eq!(total, 5 + 16, "{got:?}");
    assert!(got.iter().any(|p| p.0 == "overflow"), "{got:?}");

    // Instruments that declare no limit get the SDK's default.
    let default = CarryOver::new(BTreeMap::new());
    let kept = default.keep(
        batch(vec![sum("d", DELTA, points(DEFAULT_LIMIT + 10, 1))]),
        |_| true,
    );
    assert_eq!(kept.held, DEFAULT_LIMIT as u64 + 1);
}

#[test]
fn a_kind_change_keeps_the_newer_points_and_counts_the_older_lost() {
    let carry = holding_two_points_of_c();
    let gauge = Metric {
        name: "c".to_owned(),
        data: Some(Data::Gauge(Gauge {
            data_points: vec![point("a", 9, (0, 30))],
        })),
        ..Default::default()
    };
    let mut next = batch(vec![gauge]);
    assert_eq!(carry.release_into(&mut next), 2);
    assert_eq!(numbers(&next, "c"), [("a".to_owned(), 9, 0, 30)]);
}

#[test]
fn abandoning_reports_what_was_held() {
    let carry = holding_two_points_of_c();
    assert_eq!(carry.abandon(), 2);
    assert_eq!(carry.size(), (0, 2));
    let mut next = batch(vec![]);
    carry.release_into(&mut next);
    assert_eq!(count_points(&next), 0);
}
