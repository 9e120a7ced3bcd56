//! The plugin against a real WebSocket server: what it exports for new and reused
//! connections, streams, usage, its own metrics, and its place in the catalog.

use std::time::Duration;

use crate::server::{
    Config, MODEL_ATTRS, TtsServer, acquire_histogram, assert_close, bounded, client, metadata,
    points,
};
use agent_metrics::InstrumentKind;
use agent_metrics_plugin_example::{LABEL, PluginMetrics, catalog};

/// The frame-size boundaries the plugin documents, written out (not its own constant, which a
/// change would move together with what it is compared to).
const FRAME_SIZES: [f64; 8] = [160.0, 320.0, 640.0, 960.0, 1920.0, 3840.0, 7680.0, 19200.0];

const HANDSHAKE_DELAY: Duration = Duration::from_millis(50);

fn config() -> Config {
    // 4 frames of 20 ms at 24 kHz.
    Config::new(4, 960, HANDSHAKE_DELAY)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_synthesis_reports_a_new_connection() {
    bounded(async {
        let server = TtsServer::start(config()).await;
        let (tts, capture) = client(&server);
        let synthesis = tts.synthesize("Hello world").await.expect("synthesized");

        let event = &synthesis.metrics;
        assert_eq!(event.label, LABEL);
        assert_eq!(event.request_id, "c0-r1");
        assert!(!event.streamed && !event.connection_reused);
        assert!(
            event.acquire_time >= HANDSHAKE_DELAY.as_secs_f64(),
            "{event:?}"
        );
        assert!(
            event.ttfb > 0.0 && event.ttfb <= event.duration,
            "{event:?}"
        );
        assert_eq!(event.metadata, Some(metadata()));
        assert_eq!((synthesis.frames, synthesis.audio.len()), (4, 4 * 960));

        let (count, sum) = acquire_histogram(&capture, false);
        assert_eq!(count, 1);
        assert_close(sum, event.acquire_time);
        assert_eq!(acquire_histogram(&capture, true), (0, 0.0));
        tts.close().await;
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_synthesis_reuses_the_pooled_connection() {
    bounded(async {
        let server = TtsServer::start(config()).await;
        let (tts, capture) = client(&server);
        let first = tts.synthesize("one").await.expect("first").metrics;
        let second = tts.synthesize("two").await.expect("second").metrics;

        assert_eq!(server.stats().connections(), 1);
        assert_eq!(
            second.request_id, "c0-r2",
            "same connection, second request"
        );
        assert!(second.connection_reused);
        // Measured, so recorded, unlike Python's 0.0; far below a handshake.
        assert!(second.acquire_time > 0.0 && second.acquire_time < first.acquire_time);

        let (count, sum) = acquire_histogram(&capture, true);
        assert_eq!(count, 1);
        assert_close(sum, second.acquire_time);
        assert_eq!(acquire_histogram(&capture, false).0, 1);
        tts.close().await;
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_reports_its_acquisition_once() {
    bounded(async {
        let server = TtsServer::start(config()).await;
        let (tts, capture) = client(&server);
        let mut stream = tts.stream().await.expect("a stream");
        let mut events = Vec::new();
        for text in ["First sentence.", "Second one.", "And a third."] {
            events.push(stream.push(text).await.expect("a segment").metrics);
        }
        drop(stream);

        assert!(events[0].acquire_time > 0.0);
        for later in &events[1..] {
            assert_eq!((later.acquire_time, later.connection_reused), (0.0, false));
        }
        assert!(events.iter().all(|e| e.streamed));
        let mut segments: Vec<_> = events.iter().map(|e| e.segment_id.clone()).collect();
        segments.dedup();
        assert_eq!(segments.len(), 3, "one segment id each: {segments:?}");
        let requests: Vec<_> = events.iter().map(|e| e.request_id.as_str()).collect();
        assert_eq!(requests, ["c0-r1", "c0-r2", "c0-r3"]);

        let (count, sum) = acquire_histogram(&capture, false);
        assert_eq!(count, 1, "three segments, one acquisition");
        assert_close(sum, events[0].acquire_time);
        assert_eq!(acquire_histogram(&capture, true).0, 0);
        tts.close().await;
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_counters_equal_the_sums() {
    bounded(async {
        let config = config();
        let server = TtsServer::start(config.clone()).await;
        let (tts, capture) = client(&server);
        // Characters, not bytes: "é" and "👋" count one each.
        let texts = ["Hi!", "Ça va ? 👋", "A somewhat longer sentence to speak."];
        let mut events = vec![tts.synthesize(texts[0]).await.expect("chunked").metrics];
        let mut stream = tts.stream().await.expect("a stream");
        for text in &texts[1..] {
            events.push(stream.push(text).await.expect("a segment").metrics);
        }

        let characters: u64 = texts.iter().map(|t| t.chars().count() as u64).sum();
        assert_eq!(characters, 3 + 9 + 36);
        assert_eq!(
            events.iter().map(|e| e.characters_count).sum::<u64>(),
            characters
        );
        let counted = points(&capture, "lk.agents.usage.tts_characters");
        assert_eq!(counted.len(), 1);
        assert_eq!(counted[0].attr_pairs(), MODEL_ATTRS);
        assert_eq!(counted[0].value.as_u64(), Some(characters));

        for event in &events {
            assert_close(event.audio_duration, config.audio_seconds());
        }
        let audio = points(&capture, "lk.agents.usage.tts_audio_duration");
        assert_eq!(audio.len(), 1);
        assert_eq!(audio[0].attr_pairs(), MODEL_ATTRS);
        assert_close(
            audio[0].value.as_f64().unwrap(),
            3.0 * config.audio_seconds(),
        );
        tts.close().await;
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_metrics_arrive_with_the_model_attributes() {
    bounded(async {
        let config = Config::new(5, 480, HANDSHAKE_DELAY);
        let server = TtsServer::start(config).await;
        let (tts, capture) = client(&server);
        for text in ["one", "two"] {
            tts.synthesize(text).await.expect("synthesized");
        }

        let sizes = points(&capture, "exampletts.frame_size");
        assert_eq!(sizes.len(), 1);
        assert_eq!(sizes[0].attr_pairs(), MODEL_ATTRS);
        assert_eq!(sizes[0].unit, "By");
        let h = sizes[0].value.as_histogram().expect("a histogram");
        assert_eq!((h.count, h.sum), (10, 10.0 * 480.0));
        assert_eq!(h.bounds, FRAME_SIZES);
        assert_eq!((h.min, h.max), (Some(480.0), Some(480.0)));
        // Nothing broke: no reconnect, and a zero count is never added.
        assert!(points(&capture, "exampletts.reconnects").is_empty());
        tts.close().await;
        server.stop().await;
    })
    .await;
}

#[test]
fn plugin_metrics_show_up_in_the_catalog() {
    let catalog = catalog();
    assert!(catalog.conflicts().is_empty(), "{:?}", catalog.conflicts());
    let entry = |name: &str| {
        catalog
            .entries()
            .iter()
            .find(|e| e.instrument.name == name)
            .unwrap_or_else(|| panic!("{name} is in the catalog"))
    };
    let reconnects = entry("exampletts.reconnects");
    assert_eq!(reconnects.instrument.kind, InstrumentKind::Counter);
    assert_eq!(reconnects.attributes, ["model_name", "model_provider"]);
    assert_eq!(
        reconnects.sources[0].to_string(),
        "PluginMetrics.reconnects"
    );
    let sizes = entry("exampletts.frame_size");
    assert_eq!(sizes.instrument.kind, InstrumentKind::Histogram);
    assert_eq!(sizes.instrument.unit, "By");
    assert_eq!(sizes.instrument.buckets, FRAME_SIZES);
    assert_eq!(
        sizes.instrument.description,
        "Size of each binary audio frame received"
    );
    // The schema's instruments are all still there, the plugin's come after them.
    let schema = agent_metrics::catalog::Catalog::schema();
    assert_eq!(catalog.entries().len(), schema.entries().len() + 2);
    assert_eq!(
        &catalog.entries()[..schema.entries().len()],
        schema.entries()
    );
    assert!(catalog.to_markdown().contains("`exampletts.frame_size`"));
    // The derive's own descriptors agree.
    assert_eq!(
        <PluginMetrics as agent_metrics::AgentMetric>::INSTRUMENTS.len(),
        2
    );
}
