//! Reading a Prometheus endpoint as Prometheus does: a minimal HTTP GET, the series and label
//! names of the exposition text, and one measurement for every instrument of a catalog, so that
//! a scrape shows them all and the names the exporter really writes can be compared with
//! [`CatalogEntry::prometheus_name`](agent_metrics::catalog::CatalogEntry::prometheus_name).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use agent_metrics::catalog::Catalog;
use agent_metrics::opentelemetry::KeyValue;
use agent_metrics::opentelemetry::metrics::Meter;
use agent_metrics::{
    CounterNumber, GaugeNumber, HistogramNumber, InstrumentKind, UpDownCounterNumber, ValueType,
};

/// Records 1 into an instrument built from each entry of `catalog` (its name, kind, value type,
/// unit and buckets, as the derive builds it), with every attribute key of the entry set to `x`.
pub fn record_each(catalog: &Catalog, meter: &Meter) {
    for e in catalog.entries() {
        let i = &e.instrument;
        let attrs: Vec<KeyValue> = e
            .attributes
            .iter()
            .map(|key| KeyValue::new(*key, "x"))
            .collect();
        match (i.kind, e.value_type) {
            (InstrumentKind::Counter, ValueType::F64) => {
                f64::build_counter(meter, i).add(1.0, &attrs)
            }
            (InstrumentKind::Counter, _) => u64::build_counter(meter, i).add(1, &attrs),
            (InstrumentKind::Histogram, ValueType::F64) => {
                f64::build_histogram(meter, i).record(1.0, &attrs)
            }
            (InstrumentKind::Histogram, _) => u64::build_histogram(meter, i).record(1, &attrs),
            (InstrumentKind::UpDownCounter, ValueType::F64) => {
                f64::build_up_down_counter(meter, i).add(1.0, &attrs)
            }
            (InstrumentKind::UpDownCounter, _) => {
                i64::build_up_down_counter(meter, i).add(1, &attrs)
            }
            (InstrumentKind::Gauge, ValueType::F64) => {
                f64::build_gauge(meter, i).record(1.0, &attrs)
            }
            (InstrumentKind::Gauge, ValueType::I64) => i64::build_gauge(meter, i).record(1, &attrs),
            (InstrumentKind::Gauge, ValueType::U64) => u64::build_gauge(meter, i).record(1, &attrs),
        }
    }
}

/// Every series name of an exposition text, with the label names its samples carry.
pub fn series(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let end = line.find(['{', ' ']).unwrap_or(line.len());
        let labels = out.entry(line[..end].to_owned()).or_default();
        if let Some(inner) = line[end..]
            .strip_prefix('{')
            .and_then(|rest| rest.rsplit_once('}'))
        {
            labels.extend(label_names(inner.0));
        }
    }
    out
}

/// The names of `a="1",b="x\"y"`, skipping quoted values (escapes included).
fn label_names(inner: &str) -> Vec<String> {
    let (mut names, mut name, mut quoted, mut escaped) = (Vec::new(), String::new(), false, false);
    for c in inner.chars() {
        match (quoted, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => quoted = false,
            (true, false, _) => {}
            (false, _, '"') => quoted = true,
            (false, _, '=') => names.push(std::mem::take(&mut name)),
            (false, _, ',') => {}
            (false, _, c) => name.push(c),
        }
    }
    names
}

/// `GET path` over HTTP/1.1 (`Connection: close`, chunked bodies decoded): the status (0 when
/// the connection failed) and the body.
pub fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return (0, String::new());
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(head.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let Some((head, body)) = raw.split_once("\r\n\r\n") else {
        return (0, raw);
    };
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// Checks that a scrape of what [`record_each`] recorded shows every entry of `catalog` under
/// its [`prometheus_name`](agent_metrics::catalog::CatalogEntry::prometheus_name) (histograms
/// as `_bucket`, `_sum` and `_count`) with its
/// [`prometheus_labels`](agent_metrics::catalog::CatalogEntry::prometheus_labels); the error
/// lists every mismatch with the names the exporter wrote instead.
pub fn check_names(
    catalog: &Catalog,
    scraped: &BTreeMap<String, BTreeSet<String>>,
) -> Result<(), String> {
    let mut wrong = Vec::new();
    for e in catalog.entries() {
        let name = e.prometheus_name();
        let names: Vec<String> = if e.instrument.kind == InstrumentKind::Histogram {
            ["_bucket", "_sum", "_count"]
                .iter()
                .map(|s| format!("{name}{s}"))
                .collect()
        } else {
            vec![name.clone()]
        };
        for series in names {
            match scraped.get(&series) {
                None => {
                    // What the exporter wrote for this instrument instead, to show in the error.
                    let stem = name.split('_').take(3).collect::<Vec<_>>().join("_");
                    let near: Vec<&String> =
                        scraped.keys().filter(|k| k.starts_with(&stem)).collect();
                    wrong.push(format!(
                        "{} ({} in `{}`): no series {series}; scraped {near:?}",
                        e.instrument.name, e.instrument.kind, e.instrument.unit
                    ));
                }
                Some(labels) => {
                    for label in e.prometheus_labels() {
                        if !labels.contains(&label) {
                            wrong.push(format!("{series}: no label {label}; scraped {labels:?}"));
                        }
                    }
                }
            }
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("\n"))
    }
}
