//! A readable table of collected points, for a program to print what its in-process reader
//! collected (the `agent_session` example prints it at the end of a run when no collector is
//! configured). The library never prints it on its own.

use std::fmt::Write as _;

use crate::capture::{Point, PointValue};

/// Renders `points` as a plain-text table: per instrument and attribute set, the count, sum and
/// p50/p95 (estimated from the buckets) of histograms, and the totals of counters and gauges.
/// Attributes every point carries (a job's ids, typically) are printed once, above the table.
///
/// ```
/// use agent_metrics::{capture::Capture, summary::summary_table};
/// use agent_metrics::opentelemetry::KeyValue;
/// let capture = Capture::cumulative();
/// let requests = capture.meter().u64_counter("demo.requests").build();
/// requests.add(3, &[KeyValue::new("job_id", "AJ_1"), KeyValue::new("route", "/a")]);
/// requests.add(4, &[KeyValue::new("job_id", "AJ_1"), KeyValue::new("route", "/b")]);
/// let table = summary_table(&capture.collect());
/// assert!(table.starts_with("every point: job_id=AJ_1\n"));
/// assert!(table.contains("route=/a"));
/// assert!(!table.contains("job_id=AJ_1 route"));
/// ```
pub fn summary_table(points: &[Point]) -> String {
    let common: Vec<String> = match points.split_first() {
        Some((first, rest)) if points.len() > 1 => first
            .attr_pairs()
            .into_iter()
            .filter(|pair| rest.iter().all(|p| p.attr_pairs().contains(pair)))
            .collect(),
        _ => Vec::new(),
    };
    let rows: Vec<[String; 6]> = points.iter().map(|p| row(p, &common)).collect();
    let headers = [
        "instrument",
        "attributes",
        "count",
        "sum / total",
        "p50",
        "p95",
    ];
    let mut widths = headers.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    if !common.is_empty() {
        let _ = writeln!(out, "every point: {}\n", common.join(" "));
    }
    let line = |out: &mut String, cells: &[&str]| {
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            // Text columns align left, numbers right.
            if i < 2 {
                let _ = write!(out, "{cell:<w$}  ");
            } else {
                let _ = write!(out, "{cell:>w$}  ");
            }
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('\n');
    };
    line(&mut out, &headers);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(
        &mut out,
        &rule.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    for r in &rows {
        line(&mut out, &r.iter().map(String::as_str).collect::<Vec<_>>());
    }
    out
}

fn row(p: &Point, common: &[String]) -> [String; 6] {
    let unit = if p.unit.is_empty() || p.unit.starts_with('{') {
        String::new()
    } else {
        format!(" {}", p.unit)
    };
    let own: Vec<String> = p
        .attr_pairs()
        .into_iter()
        .filter(|pair| !common.contains(pair))
        .collect();
    let attrs = if own.is_empty() {
        "-".to_owned()
    } else {
        own.join(" ")
    };
    let (count, total, p50, p95) = match &p.value {
        PointValue::Histogram(h) => {
            let q = |q: f64| {
                h.quantile(q)
                    .map(|v| format!("{v:.3}{unit}"))
                    .unwrap_or_else(|| "-".into())
            };
            (
                h.count.to_string(),
                format!("{:.3}{unit}", h.sum),
                q(0.5),
                q(0.95),
            )
        }
        PointValue::U64(v) => ("".into(), format!("{v}{unit}"), "".into(), "".into()),
        PointValue::I64(v) => ("".into(), format!("{v}{unit}"), "".into(), "".into()),
        PointValue::F64(v) => ("".into(), format!("{v:.3}{unit}"), "".into(), "".into()),
    };
    [p.name.clone(), attrs, count, total, p50, p95]
}
