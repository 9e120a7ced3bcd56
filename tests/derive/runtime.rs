//! What the derives generate, observed from the outside: the points an in-process reader
//! collects after `record`, the `INSTRUMENTS` descriptors and the compact `Debug`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use agent_metrics::capture::{Capture, Point, PointValue};
use agent_metrics::opentelemetry::Value;
use agent_metrics::{
    AgentMetric, AttributeValue, Attributes, FieldPath, Instrument, InstrumentKind, ValueType,
};

/// Which model produced a value.
#[derive(Clone, Default, PartialEq, Attributes)]
pub(crate) struct Metadata {
    #[attr(skip_empty)]
    pub model_name: Option<Arc<str>>,
    #[attr(skip_empty)]
    pub model_provider: Option<Arc<str>>,
}

pub(crate) fn metadata(provider: &str, name: &str) -> Option<Metadata> {
    Some(Metadata {
        model_name: Some(name.into()),
        model_provider: Some(provider.into()),
    })
}

/// The only point named `name`; panics with everything collected when there is not exactly one.
pub(crate) fn point<'a>(points: &'a [Point], name: &str) -> &'a Point {
    let found: Vec<_> = points.iter().filter(|p| p.name == name).collect();
    assert_eq!(found.len(), 1, "one point named {name} in {points:#?}");
    found[0]
}

pub(crate) fn names(points: &[Point]) -> Vec<&str> {
    points.iter().map(|p| p.name.as_str()).collect()
}

pub(crate) fn attrs(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[derive(AgentMetric)]
struct AllKinds {
    #[metric(counter = "test.kinds.counter_u64")]
    counter_u64: u64,
    #[metric(counter = "test.kinds.counter_f64")]
    counter_f64: f64,
    #[metric(histogram = "test.kinds.histogram_f64", buckets = [1.0, 2.0])]
    histogram_f64: f64,
    #[metric(histogram = "test.kinds.histogram_u64", buckets = [10.0, 100.0])]
    histogram_u64: u64,
    #[metric(up_down_counter = "test.kinds.up_down_i64")]
    up_down_i64: i64,
    #[metric(up_down_counter = "test.kinds.up_down_f64")]
    up_down_f64: f64,
    #[metric(gauge = "test.kinds.gauge_u64")]
    gauge_u64: u64,
    #[metric(gauge = "test.kinds.gauge_i64")]
    gauge_i64: i64,
    #[metric(gauge = "test.kinds.gauge_f64")]
    gauge_f64: f64,
}

#[test]
fn every_instrument_kind_and_number_type_records() {
    let capture = Capture::cumulative();
    let handles = AllKinds::handles(capture.meter());
    let first = AllKinds {
        counter_u64: 3,
        counter_f64: 0.5,
        histogram_f64: 1.5,
        histogram_u64: 50,
        up_down_i64: 4,
        up_down_f64: 2.5,
        gauge_u64: 7,
        gauge_i64: -7,
        gauge_f64: 0.25,
    };
    first.record(&handles);
    AllKinds {
        counter_u64: 2,
        counter_f64: 0.25,
        histogram_f64: 0.5,
        histogram_u64: 500,
        up_down_i64: -6,
        up_down_f64: -1.0,
        gauge_u64: 9,
        gauge_i64: -9,
        gauge_f64: 0.75,
    }
    .record(&handles);

    let points = capture.collect();
    assert_eq!(points.len(), 9, "{points:#?}");
    let value = |name: &str| point(&points, name).value.clone();
    assert_eq!(value("test.kinds.counter_u64"), PointValue::U64(5));
    assert_eq!(value("test.kinds.counter_f64"), PointValue::F64(0.75));
    assert_eq!(value("test.kinds.up_down_i64"), PointValue::I64(-2));
    assert_eq!(value("test.kinds.up_down_f64"), PointValue::F64(1.5));
    // Gauges keep the last value.
    assert_eq!(value("test.kinds.gauge_u64"), PointValue::U64(9));
    assert_eq!(value("test.kinds.gauge_i64"), PointValue::I64(-9));
    assert_eq!(value("test.kinds.gauge_f64"), PointValue::F64(0.75));

    let f = value("test.kinds.histogram_f64");
    let f = f.as_histogram().expect("f64 histogram");
    assert_eq!((f.count, f.sum), (2, 2.0));
    assert_eq!(f.bounds, [1.0, 2.0]);
    assert_eq!(f.bucket_counts, [1, 1, 0]);
    let u = value("test.kinds.histogram_u64");
    let u = u.as_histogram().expect("u64 histogram");
    assert_eq!((u.count, u.sum), (2, 550.0));
    assert_eq!(u.bounds, [10.0, 100.0]);
    assert_eq!(u.bucket_counts, [0, 1, 1]);

    let kinds: Vec<_> = AllKinds::INSTRUMENTS
        .iter()
        .map(|d| (d.kind(), d.value_type))
        .collect();
    use InstrumentKind::*;
    use ValueType::*;
    assert_eq!(
        kinds,
        [
            (Counter, U64),
            (Counter, F64),
            (Histogram, F64),
            (Histogram, U64),
            (UpDownCounter, I64),
            (UpDownCounter, F64),
            (Gauge, U64),
            (Gauge, I64),
            (Gauge, F64),
        ]
    );
}

#[derive(AgentMetric)]
struct Described {
    /// Characters sent to the synthesizer.
    ///
    /// Counted before normalisation.
    #[metric(counter = "test.described.characters", unit = "{character}")]
    characters: u64,
    /// This doc comment loses to the explicit description.
    #[metric(
        histogram = "test.described.ttfb",
        unit = "s",
        description = "Time to first byte",
        buckets = [0.05, 0.1, 0.5]
    )]
    ttfb: f64,
    #[metric(gauge = "test.described.bare")]
    bare: f64,
}

#[test]
fn name_unit_description_and_buckets_are_exported() {
    let capture = Capture::cumulative();
    let handles = Described::handles(capture.meter());
    Described {
        characters: 12,
        ttfb: 0.2,
        bare: 1.0,
    }
    .record(&handles);
    let points = capture.collect();

    let characters = point(&points, "test.described.characters");
    assert_eq!(characters.unit, "{character}");
    // Doc lines are trimmed and joined with spaces; blank lines are dropped.
    assert_eq!(
        characters.description,
        "Characters sent to the synthesizer. Counted before normalisation."
    );

    let ttfb = point(&points, "test.described.ttfb");
    assert_eq!(ttfb.unit, "s");
    assert_eq!(ttfb.description, "Time to first byte");
    let h = ttfb.value.as_histogram().expect("histogram");
    assert_eq!(h.bounds, [0.05, 0.1, 0.5]);
    assert_eq!(h.bucket_counts, [0, 0, 1, 0]);

    let bare = point(&points, "test.described.bare");
    assert_eq!((bare.unit.as_str(), bare.description.as_str()), ("", ""));
}

#[derive(AgentMetric)]
struct Guards {
    #[metric(counter = "test.guards.optional")]
    optional: Option<f64>,
    #[metric(counter = "test.guards.skip_zero", skip_zero)]
    skip_zero: u64,
    #[metric(counter = "test.guards.keep_zero")]
    keep_zero: u64,
    #[metric(histogram = "test.guards.optional_skip_zero", skip_zero)]
    optional_skip_zero: Option<u64>,
}

#[test]
fn none_and_skipped_zeros_record_nothing() {
    let capture = Capture::cumulative();
    let handles = Guards::handles(capture.meter());
    Guards {
        optional: None,
        skip_zero: 0,
        keep_zero: 0,
        optional_skip_zero: Some(0),
    }
    .record(&handles);
    let points = capture.collect();
    // A zero without `skip_zero` is a measurement: the series exists with value 0.
    assert_eq!(names(&points), ["test.guards.keep_zero"]);
    assert_eq!(points[0].value, PointValue::U64(0));

    Guards {
        optional: Some(1.5),
        skip_zero: 4,
        keep_zero: 1,
        optional_skip_zero: Some(3),
    }
    .record(&handles);
    let points = capture.collect();
    assert_eq!(
        point(&points, "test.guards.optional").value,
        PointValue::F64(1.5)
    );
    assert_eq!(
        point(&points, "test.guards.skip_zero").value,
        PointValue::U64(4)
    );
    let h = point(&points, "test.guards.optional_skip_zero");
    assert_eq!(h.value.as_histogram().map(|h| h.count), Some(1));
}

#[derive(AgentMetric)]
struct Timings {
    #[metric(histogram = "test.duration.implied", buckets = [0.5, 1.0, 2.0])]
    implied: Duration,
    #[metric(histogram = "test.duration.explicit", unit = "s")]
    explicit: Option<Duration>,
}

#[test]
fn a_duration_records_f64_seconds() {
    let capture = Capture::cumulative();
    let handles = Timings::handles(capture.meter());
    Timings {
        implied: Duration::from_millis(1500),
        explicit: Some(Duration::from_micros(250)),
    }
    .record(&handles);
    let points = capture.collect();

    let implied = point(&points, "test.duration.implied");
    assert_eq!(implied.unit, "s");
    let h = implied.value.as_histogram().expect("histogram");
    assert_eq!((h.count, h.sum), (1, 1.5));
    assert_eq!(h.bucket_counts, [0, 0, 1, 0]);

    let explicit = point(&points, "test.duration.explicit");
    assert_eq!(explicit.unit, "s");
    assert_eq!(explicit.value.as_histogram().map(|h| h.sum), Some(0.00025));

    assert_eq!(Timings::INSTRUMENTS[0].unit(), "s");
    assert_eq!(Timings::INSTRUMENTS[0].value_type, ValueType::F64);
}

/// An attribute value that is one of a few known strings.
#[derive(Clone, Copy, Debug, PartialEq, AttributeValue)]
pub(crate) enum Stage {
    #[attr(value = "stt")]
    SpeechToText,
    EndOfTurn,
}

/// `skip_empty` drops `""`; without it, presence alone decides (`None` drops, `""` stays).
#[derive(Clone, Default, PartialEq, Attributes)]
pub(crate) struct Room {
    #[attr(skip_empty)]
    pub(crate) room: &'static str,
    pub(crate) region: &'static str,
    #[attr(key = "room.shard")]
    pub(crate) shard: Option<i64>,
}

#[derive(AgentMetric)]
#[metric(attributes(room, reused, stage, streaming))]
struct Tagged {
    #[metric(counter = "test.tagged.calls")]
    calls: u64,
    #[attr(as_str)]
    reused: bool,
    #[attr(key = "pipeline.stage")]
    stage: Stage,
    #[attr]
    streaming: bool,
    room: Room,
}

fn tagged(room: Room, reused: bool, stage: Stage) -> Tagged {
    Tagged {
        calls: 1,
        reused,
        stage,
        streaming: true,
        room,
    }
}

#[test]
fn attribute_values_keys_and_presence() {
    let capture = Capture::cumulative();
    let handles = Tagged::handles(capture.meter());
    let room = Room {
        room: "",
        region: "",
        shard: None,
    };
    tagged(room, true, Stage::SpeechToText).record(&handles);
    let room = Room {
        room: "lobby",
        region: "eu",
        shard: Some(3),
    };
    tagged(room, false, Stage::EndOfTurn).record(&handles);

    let points = capture.collect();
    assert_eq!(points.len(), 2, "{points:#?}");
    let mut sets: Vec<_> = points.iter().map(|p| p.attributes.clone()).collect();
    sets.sort_by_key(|s| s.len());
    assert_eq!(
        sets[0],
        attrs(&[
            ("pipeline.stage", Value::from("stt")),
            ("region", Value::from("")),
            ("reused", Value::from("true")),
            ("streaming", Value::Bool(true)),
        ])
    );
    assert_eq!(
        sets[1],
        attrs(&[
            ("pipeline.stage", Value::from("end_of_turn")),
            ("region", Value::from("eu")),
            ("reused", Value::from("false")),
            ("room", Value::from("lobby")),
            ("room.shard", Value::I64(3)),
            ("streaming", Value::Bool(true)),
        ])
    );
    assert!(points.iter().all(|p| p.value == PointValue::U64(1)));
}

#[derive(Clone, Default, PartialEq, AgentMetric)]
pub(crate) struct Phases {
    #[metric(histogram = "test.nested.ttfb", unit = "s", buckets = [0.1, 1.0])]
    pub(crate) ttfb: f64,
    #[metric(counter = "test.nested.retries", skip_zero, default)]
    pub(crate) retries: u64,
}

#[derive(Clone, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
struct Request {
    #[metric(counter = "test.nested.requests")]
    requests: u64,
    #[metric(nested, default)]
    phases: Phases,
    #[metric(nested)]
    optional_phases: Option<Phases>,
    #[metric(default)]
    metadata: Option<Metadata>,
}

#[test]
fn a_nested_metric_records_with_the_parents_attributes() {
    let capture = Capture::cumulative();
    let handles = Request::handles(capture.meter());
    Request {
        requests: 1,
        phases: Phases {
            ttfb: 0.5,
            retries: 2,
        },
        optional_phases: None,
        metadata: metadata("deepgram", "nova-3"),
    }
    .record(&handles);
    let points = capture.collect();
    assert_eq!(
        names(&points),
        [
            "test.nested.requests",
            "test.nested.retries",
            "test.nested.ttfb"
        ]
    );
    for p in &points {
        assert_eq!(
            p.attr_pairs(),
            ["model_name=nova-3", "model_provider=deepgram"],
            "{}",
            p.name
        );
    }
    assert_eq!(
        point(&points, "test.nested.retries").value,
        PointValue::U64(2)
    );

    // A present `Option` of a nested metric records too, into the same instruments.
    Request {
        requests: 1,
        phases: Phases::default(),
        optional_phases: Some(Phases {
            ttfb: 0.05,
            retries: 0,
        }),
        metadata: metadata("deepgram", "nova-3"),
    }
    .record(&handles);
    let points = capture.collect();
    let ttfb = point(&points, "test.nested.ttfb");
    assert_eq!(ttfb.value.as_histogram().map(|h| h.count), Some(3));

    // Nested descriptors are given as the parent records them: under its attribute keys, with
    // the path through the parent as their source.
    let mut visited = Vec::new();
    Request::visit_instruments(&mut |d| visited.push((d.source.to_string(), d.attributes)));
    let keys: &[&str] = &["model_name", "model_provider"];
    assert_eq!(
        visited,
        [
            ("Request.requests".to_owned(), keys),
            ("Request.phases.ttfb".to_owned(), keys),
            ("Request.phases.retries".to_owned(), keys),
            ("Request.optional_phases.ttfb".to_owned(), keys),
            ("Request.optional_phases.retries".to_owned(), keys),
        ]
    );
}

/// Declared once and fed by two event types.
const ACQUIRE_TIME: Instrument = Instrument::histogram("test.shared.acquire_time")
    .unit("s")
    .description("Time to acquire a connection")
    .buckets(&[0.1, 1.0]);

#[derive(AgentMetric)]
struct SttConnect {
    #[metric(histogram = ACQUIRE_TIME, attributes(metadata))]
    acquire_time: f64,
    metadata: Option<Metadata>,
}

#[derive(AgentMetric)]
#[metric(attributes = metadata)]
struct TtsConnect {
    #[metric(histogram = ACQUIRE_TIME, skip_zero)]
    acquire_time: Duration,
    metadata: Option<Metadata>,
}

#[test]
fn a_shared_instrument_fed_by_two_structs_is_one_series() {
    let capture = Capture::cumulative();
    let stt = SttConnect::handles(capture.meter());
    let tts = TtsConnect::handles(capture.meter());
    SttConnect {
        acquire_time: 0.25,
        metadata: metadata("deepgram", "nova-3"),
    }
    .record(&stt);
    TtsConnect {
        acquire_time: Duration::from_millis(500),
        metadata: metadata("deepgram", "nova-3"),
    }
    .record(&tts);
    let points = capture.collect();
    let p = point(&points, "test.shared.acquire_time");
    assert_eq!(p.unit, "s");
    assert_eq!(p.description, "Time to acquire a connection");
    let h = p.value.as_histogram().expect("histogram");
    assert_eq!((h.count, h.sum), (2, 0.75));
    assert_eq!(h.bounds, [0.1, 1.0]);

    // Same definition, value type and keys: the condition for feeding one stream.
    assert!(SttConnect::INSTRUMENTS[0].same_definition(&TtsConnect::INSTRUMENTS[0]));
}

#[derive(AgentMetric)]
struct Catalogued {
    /// Seconds of audio.
    #[metric(counter = "test.catalog.audio", unit = "s", attributes(metadata))]
    audio: f64,
    #[metric(histogram = ACQUIRE_TIME, attributes(metadata, reused))]
    acquire_time: f64,
    #[metric(gauge = "test.catalog.queue")]
    queue: i64,
    #[attr(as_str, key = "connection_reused")]
    reused: bool,
    metadata: Option<Metadata>,
}

#[test]
fn descriptors_describe_every_measurement() {
    let [audio, acquire, queue] = Catalogued::INSTRUMENTS else {
        panic!("three descriptors: {:#?}", Catalogued::INSTRUMENTS);
    };

    assert_eq!(audio.instrument, {
        Instrument::counter("test.catalog.audio")
            .unit("s")
            .description("Seconds of audio.")
    });
    assert_eq!(audio.value_type, ValueType::F64);
    assert_eq!(audio.attributes, ["model_name", "model_provider"]);
    assert_eq!(
        audio.source,
        FieldPath {
            type_name: "Catalogued",
            via: "",
            field: "audio"
        }
    );
    assert_eq!(audio.source.to_string(), "Catalogued.audio");

    assert_eq!(acquire.instrument, ACQUIRE_TIME);
    assert_eq!(acquire.instrument.buckets, [0.1, 1.0]);
    // Keys of a set and of a field, merged into one sorted list.
    assert_eq!(
        acquire.attributes,
        ["connection_reused", "model_name", "model_provider"]
    );
    assert_eq!(acquire.source.field, "acquire_time");

    assert_eq!(queue.kind(), InstrumentKind::Gauge);
    assert_eq!(queue.value_type, ValueType::I64);
    assert!(queue.attributes.is_empty());
    assert_eq!(queue.instrument.cardinality_limit, None);
}

/// `attributes()` on one measurement opts it out of the struct's default sources: it records
/// with no attributes of its own, next to measurements that have them.
#[derive(Clone, PartialEq, AgentMetric)]
#[metric(attributes = metadata)]
struct OptOut {
    #[metric(counter = "test.opt_out.labelled")]
    labelled: u64,
    #[metric(counter = "test.opt_out.bare", attributes())]
    bare: u64,
    #[metric(default)]
    metadata: Option<Metadata>,
}

#[test]
fn an_empty_attribute_list_records_without_attributes() {
    let capture = Capture::cumulative();
    let handles = OptOut::handles(capture.meter());
    OptOut {
        labelled: 1,
        bare: 2,
        metadata: metadata("cartesia", "sonic-2"),
    }
    .record(&handles);
    let points = capture.collect();
    assert_eq!(
        point(&points, "test.opt_out.labelled").attr_pairs(),
        ["model_name=sonic-2", "model_provider=cartesia"]
    );
    assert!(point(&points, "test.opt_out.bare").attributes.is_empty());
    assert_eq!(OptOut::INSTRUMENTS[1].attributes, &[] as &[&str]);
}
