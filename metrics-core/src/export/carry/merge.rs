//! How an older point of a series folds into a newer one, per the OTLP data model.
//!
//! A delta stream has a single writer and non-overlapping intervals, so two delta points of one
//! series add up to one point spanning both intervals: its start is the earlier start, its time
//! the later time. What cannot add keeps the newest point:
//!
//! | data | delta | cumulative / gauge |
//! |---|---|---|
//! | sum | values add | newest |
//! | histogram | buckets, count and sum add; min and max combine (bounds must agree) | newest |
//! | exponential histogram | buckets, zero count, count and sum add (scales must agree) | newest |
//! | gauge, summary | | newest |
//!
//! A fold that keeps the newest point because the two disagree (other bounds, other scale, an
//! integer against a double) loses the older one: it reports it, to be counted as dropped.

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::exponential_histogram_data_point::Buckets;
use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value;
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, ExponentialHistogramDataPoint, HistogramDataPoint, NumberDataPoint,
    SummaryDataPoint,
};

/// Whether a fold kept both points (`Kept`) or only the newest (`Lost`: the older is dropped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fold {
    Kept,
    Lost,
}

/// One data point of any kind: what the folds need of it.
pub(super) trait Point: Sized {
    fn attributes(&self) -> &[KeyValue];
    fn set_attributes(&mut self, attributes: Vec<KeyValue>);
    fn times(&self) -> (u64, u64);
    fn set_times(&mut self, start: u64, time: u64);
    /// Adds `older`'s delta into `self`; `Lost` when they cannot add.
    fn add(&mut self, older: &Self) -> Fold;
}

/// Whether a temporality (an `AggregationTemporality` value) is delta.
pub(super) fn is_delta(temporality: i32) -> bool {
    temporality == AggregationTemporality::Delta as i32
}

/// Folds `older` into `newer`: added when both are deltas, else the newest is kept.
pub(super) fn fold<P: Point>(older: P, newer: &mut P, delta: bool) -> Fold {
    let ((old_start, old_time), (new_start, new_time)) = (older.times(), newer.times());
    if !delta {
        if old_time > new_time {
            *newer = older;
        }
        return Fold::Kept;
    }
    let folded = newer.add(&older);
    if folded == Fold::Kept {
        newer.set_times(earliest(old_start, new_start), old_time.max(new_time));
    }
    folded
}

/// The earlier of two start times, 0 meaning "unknown".
fn earliest(a: u64, b: u64) -> u64 {
    match (a, b) {
        (0, t) | (t, 0) => t,
        (a, b) => a.min(b),
    }
}

fn min_of(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_of(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn sum_of(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

macro_rules! common {
    () => {
        fn attributes(&self) -> &[KeyValue] {
            &self.attributes
        }
        fn set_attributes(&mut self, attributes: Vec<KeyValue>) {
            self.attributes = attributes;
        }
        fn times(&self) -> (u64, u64) {
            (self.start_time_unix_nano, self.time_unix_nano)
        }
        fn set_times(&mut self, start: u64, time: u64) {
            self.start_time_unix_nano = start;
            self.time_unix_nano = time;
        }
    };
}

impl Point for NumberDataPoint {
    common!();
    fn add(&mut self, older: &Self) -> Fold {
        // A counter past i64::MAX cannot be sent; saturate rather than wrap to a negative.
        self.value = match (older.value, self.value) {
            (Some(Value::AsInt(a)), Some(Value::AsInt(b))) => {
                Some(Value::AsInt(a.saturating_add(b)))
            }
            (Some(Value::AsDouble(a)), Some(Value::AsDouble(b))) => Some(Value::AsDouble(a + b)),
            (None, value) => value,
            (value, None) => value,
            _ => return Fold::Lost,
        };
        Fold::Kept
    }
}

impl Point for HistogramDataPoint {
    common!();
    fn add(&mut self, older: &Self) -> Fold {
        if older.explicit_bounds != self.explicit_bounds
            || older.bucket_counts.len() != self.bucket_counts.len()
        {
            return Fold::Lost;
        }
        for (mine, theirs) in self.bucket_counts.iter_mut().zip(&older.bucket_counts) {
            *mine = mine.saturating_add(*theirs);
        }
        self.count = self.count.saturating_add(older.count);
        self.sum = sum_of(older.sum, self.sum);
        self.min = min_of(older.min, self.min);
        self.max = max_of(older.max, self.max);
        Fold::Kept
    }
}

impl Point for ExponentialHistogramDataPoint {
    common!();
    fn add(&mut self, older: &Self) -> Fold {
        if older.scale != self.scale || older.zero_threshold != self.zero_threshold {
            return Fold::Lost;
        }
        add_buckets(&mut self.positive, &older.positive);
        add_buckets(&mut self.negative, &older.negative);
        self.zero_count = self.zero_count.saturating_add(older.zero_count);
        self.count = self.count.saturating_add(older.count);
        self.sum = sum_of(older.sum, self.sum);
        self.min = min_of(older.min, self.min);
        self.max = max_of(older.max, self.max);
        Fold::Kept
    }
}

/// Adds two runs of exponential buckets of one scale, aligned on their offsets.
fn add_buckets(mine: &mut Option<Buckets>, theirs: &Option<Buckets>) {
    let Some(theirs) = theirs.as_ref().filter(|b| !b.bucket_counts.is_empty()) else {
        return;
    };
    let Some(own) = mine.as_mut().filter(|b| !b.bucket_counts.is_empty()) else {
        *mine = Some(theirs.clone());
        return;
    };
    let end = |b: &Buckets| i64::from(b.offset) + b.bucket_counts.len() as i64;
    let offset = own.offset.min(theirs.offset);
    let len = (end(own).max(end(theirs)) - i64::from(offset)) as usize;
    let mut counts = vec![0u64; len];
    for b in [&*own, theirs] {
        let shift = (i64::from(b.offset) - i64::from(offset)) as usize;
        for (slot, n) in counts[shift..].iter_mut().zip(&b.bucket_counts) {
            *slot = slot.saturating_add(*n);
        }
    }
    *own = Buckets {
        offset,
        bucket_counts: counts,
    };
}

impl Point for SummaryDataPoint {
    common!();
    // Summaries are cumulative quantiles: they never add.
    fn add(&mut self, _: &Self) -> Fold {
        Fold::Lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(value: i64, start: u64, time: u64) -> NumberDataPoint {
        NumberDataPoint {
            start_time_unix_nano: start,
            time_unix_nano: time,
            value: Some(Value::AsInt(value)),
            ..Default::default()
        }
    }

    fn histogram(
        counts: [u64; 3],
        sum: f64,
        min: f64,
        max: f64,
        times: (u64, u64),
    ) -> HistogramDataPoint {
        HistogramDataPoint {
            start_time_unix_nano: times.0,
            time_unix_nano: times.1,
            count: counts.iter().sum(),
            sum: Some(sum),
            bucket_counts: counts.to_vec(),
            explicit_bounds: vec![1.0, 5.0],
            min: Some(min),
            max: Some(max),
            ..Default::default()
        }
    }

    #[test]
    fn delta_sums_add_and_span_both_intervals() {
        let mut newer = int(5, 20, 30);
        assert_eq!(fold(int(3, 10, 20), &mut newer, true), Fold::Kept);
        assert_eq!(
            (newer.value, newer.times()),
            (Some(Value::AsInt(8)), (10, 30))
        );

        let mut double = NumberDataPoint {
            value: Some(Value::AsDouble(0.5)),
            ..int(0, 20, 30)
        };
        let older = NumberDataPoint {
            value: Some(Value::AsDouble(0.25)),
            ..int(0, 10, 20)
        };
        fold(older, &mut double, true);
        assert_eq!(double.value, Some(Value::AsDouble(0.75)));
    }

    #[test]
    fn a_sum_past_i64_saturates_and_a_type_change_loses_the_older_point() {
        let mut newer = int(i64::MAX, 20, 30);
        fold(int(1, 10, 20), &mut newer, true);
        assert_eq!(newer.value, Some(Value::AsInt(i64::MAX)));

        let mut double = NumberDataPoint {
            value: Some(Value::AsDouble(1.0)),
            ..int(0, 20, 30)
        };
        assert_eq!(fold(int(3, 10, 20), &mut double, true), Fold::Lost);
        assert_eq!(double.value, Some(Value::AsDouble(1.0)));
        assert_eq!(
            double.times(),
            (20, 30),
            "a lost fold leaves the newer interval"
        );
    }

    #[test]
    fn histograms_add_buckets_count_sum_and_combine_min_max() {
        let mut newer = histogram([1, 0, 2], 13.0, 0.5, 6.0, (20, 30));
        let older = histogram([0, 3, 1], 20.0, 2.0, 9.0, (10, 20));
        assert_eq!(fold(older, &mut newer, true), Fold::Kept);
        assert_eq!(newer.bucket_counts, [1, 3, 3]);
        assert_eq!((newer.count, newer.sum), (7, Some(33.0)));
        assert_eq!((newer.min, newer.max), (Some(0.5), Some(9.0)));
        assert_eq!(newer.times(), (10, 30));

        // No min/max recorded on one side: the other's stands.
        let mut bare = HistogramDataPoint {
            min: None,
            max: None,
            ..histogram([0, 0, 1], 6.0, 0.0, 0.0, (20, 30))
        };
        fold(
            histogram([1, 0, 0], 0.5, 0.5, 0.5, (10, 20)),
            &mut bare,
            true,
        );
        assert_eq!((bare.min, bare.max), (Some(0.5), Some(0.5)));
    }

    #[test]
    fn histograms_with_other_bounds_keep_the_newest() {
        let mut newer = histogram([1, 0, 2], 13.0, 0.5, 6.0, (20, 30));
        let mut older = histogram([0, 3, 1], 20.0, 2.0, 9.0, (10, 20));
        older.explicit_bounds = vec![1.0, 10.0];
        assert_eq!(fold(older, &mut newer, true), Fold::Lost);
        assert_eq!((newer.count, newer.times()), (3, (20, 30)));
    }

    #[test]
    fn exponential_buckets_add_aligned_on_their_offsets() {
        let point =
            |offset, counts: &[u64], zero, times: (u64, u64)| ExponentialHistogramDataPoint {
                start_time_unix_nano: times.0,
                time_unix_nano: times.1,
                count: counts.iter().sum::<u64>() + zero,
                zero_count: zero,
                scale: 2,
                positive: Some(Buckets {
                    offset,
                    bucket_counts: counts.to_vec(),
                }),
                ..Default::default()
            };
        let mut newer = point(3, &[1, 1], 1, (20, 30));
        assert_eq!(
            fold(point(1, &[2, 0, 5], 2, (10, 20)), &mut newer, true),
            Fold::Kept
        );
        let positive = newer.positive.as_ref().unwrap();
        assert_eq!(
            (positive.offset, positive.bucket_counts.as_slice()),
            (1, &[2, 0, 6, 1][..])
        );
        assert_eq!((newer.count, newer.zero_count), (12, 3));

        let mut other_scale = point(0, &[1], 0, (20, 30));
        other_scale.scale = 3;
        assert_eq!(
            fold(point(0, &[1], 0, (10, 20)), &mut other_scale, true),
            Fold::Lost
        );
    }

    #[test]
    fn gauges_and_cumulative_points_keep_the_newest() {
        let mut newer = int(7, 0, 30);
        assert_eq!(fold(int(3, 0, 20), &mut newer, false), Fold::Kept);
        assert_eq!(newer.value, Some(Value::AsInt(7)));
        // Whichever side holds it, the newest time wins.
        let mut stale = int(3, 0, 20);
        fold(int(7, 0, 30), &mut stale, false);
        assert_eq!(
            (stale.value, stale.times()),
            (Some(Value::AsInt(7)), (0, 30))
        );
    }

    #[test]
    fn the_earliest_known_start_is_kept() {
        assert_eq!(earliest(0, 5), 5);
        assert_eq!(earliest(5, 0), 5);
        assert_eq!(earliest(7, 5), 5);
    }
}
