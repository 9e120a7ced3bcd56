// Shared instruments declared once in a schema module and named by path from two structs.
use agent_metrics::{AgentMetric, Instrument};

mod schema {
    use agent_metrics::Instrument;

    pub const ACQUIRE_TIME: Instrument = Instrument::histogram("demo.connection.acquire_time")
        .unit("s")
        .description("Time to acquire a connection")
        .buckets(&[0.05, 0.1, 0.5, 1.0]);

    pub const CHARACTERS: Instrument = Instrument::counter("demo.tts.characters")
        .unit("{character}")
        .cardinality_limit(100);
}

const QUEUE: Instrument = Instrument::gauge("demo.queue");

#[derive(AgentMetric)]
struct Stt {
    #[metric(histogram = schema::ACQUIRE_TIME, skip_zero)]
    acquire_time: std::time::Duration,
    #[metric(gauge = QUEUE)]
    queue: u64,
}

#[derive(AgentMetric)]
struct Tts {
    #[metric(histogram = crate::schema::ACQUIRE_TIME)]
    acquire_time: f64,
    #[metric(counter = schema::CHARACTERS)]
    characters: u32,
}

fn main() {
    assert_eq!(Stt::INSTRUMENTS[0].instrument, schema::ACQUIRE_TIME);
    assert_eq!(Tts::INSTRUMENTS[1].instrument.cardinality_limit, Some(100));
    let capture = agent_metrics::capture::Capture::cumulative();
    Stt {
        acquire_time: std::time::Duration::from_millis(200),
        queue: 1,
    }
    .record(&Stt::handles(capture.meter()));
    Tts {
        acquire_time: 0.3,
        characters: 12,
    }
    .record(&Tts::handles(capture.meter()));
    let points = capture.collect();
    let acquire = points
        .iter()
        .find(|p| p.name == "demo.connection.acquire_time")
        .unwrap();
    assert_eq!(acquire.value.as_histogram().map(|h| h.count), Some(2));
}
