// Every instrument kind with every number type it takes, including aliases and narrow integers.
use agent_metrics::{AgentMetric, InstrumentKind, ValueType};
use std::time::Duration;

type Seconds = f64;

#[derive(AgentMetric)]
#[metric(no_debug)]
struct Everything {
    #[metric(counter = "demo.counter.u64")]
    c_u64: u64,
    #[metric(counter = "demo.counter.u32")]
    c_u32: u32,
    #[metric(counter = "demo.counter.usize")]
    c_usize: usize,
    #[metric(counter = "demo.counter.f64")]
    c_f64: Seconds,
    #[metric(counter = "demo.counter.f32")]
    c_f32: f32,
    #[metric(counter = "demo.counter.duration")]
    c_duration: Duration,
    #[metric(up_down_counter = "demo.up_down.i64")]
    u_i64: i64,
    #[metric(up_down_counter = "demo.up_down.i32")]
    u_i32: i32,
    #[metric(up_down_counter = "demo.up_down.f64")]
    u_f64: f64,
    #[metric(histogram = "demo.histogram.u64")]
    h_u64: u64,
    #[metric(histogram = "demo.histogram.f64", buckets = [-1, 0, 2.5])]
    h_f64: f64,
    #[metric(histogram = "demo.histogram.duration")]
    h_duration: Option<Duration>,
    #[metric(gauge = "demo.gauge.u64")]
    g_u64: u16,
    #[metric(gauge = "demo.gauge.i64")]
    g_i64: i8,
    #[metric(gauge = "demo.gauge.f64", cardinality_limit = 10)]
    g_f64: Option<f64>,
}

// `no_debug`: the user writes their own.
impl std::fmt::Debug for Everything {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Everything")
    }
}

fn main() {
    let kinds: Vec<_> = Everything::INSTRUMENTS
        .iter()
        .map(|d| (d.kind(), d.value_type))
        .collect();
    use InstrumentKind::*;
    use ValueType::*;
    assert_eq!(
        kinds,
        [
            (Counter, U64),
            (Counter, U64),
            (Counter, U64),
            (Counter, F64),
            (Counter, F64),
            (Counter, F64),
            (UpDownCounter, I64),
            (UpDownCounter, I64),
            (UpDownCounter, F64),
            (Histogram, U64),
            (Histogram, F64),
            (Histogram, F64),
            (Gauge, U64),
            (Gauge, I64),
            (Gauge, F64),
        ]
    );
    assert_eq!(
        Everything::INSTRUMENTS[10].instrument.buckets,
        [-1.0, 0.0, 2.5]
    );
    assert_eq!(
        Everything::INSTRUMENTS[14].instrument.cardinality_limit,
        Some(10)
    );
    let capture = agent_metrics::capture::Capture::cumulative();
    let handles = Everything::handles(capture.meter());
    Everything {
        c_u64: 1,
        c_u32: 1,
        c_usize: 1,
        c_f64: 1.0,
        c_f32: 1.0,
        c_duration: Duration::from_secs(1),
        u_i64: -1,
        u_i32: -1,
        u_f64: -1.0,
        h_u64: 1,
        h_f64: 1.0,
        h_duration: None,
        g_u64: 1,
        g_i64: -1,
        g_f64: Some(1.0),
    }
    .record(&handles);
    assert_eq!(capture.collect().len(), 14);
    assert_eq!(format!("{:?}", Everything::INSTRUMENTS.len()), "15");
}
