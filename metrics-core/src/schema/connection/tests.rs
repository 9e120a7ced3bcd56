//! Unit tests of `connection`: the events built, and what reaches the histogram.

use super::*;
use crate::MetricsRecorder;
use crate::capture::{Capture, Point};
use crate::schema::{CONNECTION_ACQUIRE_TIME, InputTokenDetails, OutputTokenDetails};

fn metadata() -> Option<Metadata> {
    Some(Metadata::new("acme", "voice-1"))
}

fn tts_event(characters_count: u64) -> TTSMetrics {
    TTSMetrics {
        label: "acme.TTS".into(),
        request_id: "r".into(),
        ttfb: 0.1,
        duration: 0.5,
        audio_duration: 1.0,
        characters_count,
        streamed: true,
        metadata: metadata(),
        ..Default::default()
    }
}

fn acquire_points(capture: &Capture) -> Vec<Point> {
    capture
        .collect()
        .into_iter()
        .filter(|p| p.name == CONNECTION_ACQUIRE_TIME.name)
        .collect()
}

fn histogram(point: &Point) -> (u64, f64) {
    let h = point.value.as_histogram().expect("a histogram");
    (h.count, h.sum)
}

#[test]
fn stt_connection_event_has_zero_usage_and_the_timing() {
    let event = STTMetrics::connection_acquired("acme.STT", 12.5, (ms(250), false), metadata());
    assert_eq!(event.request_id, "");
    assert_eq!((event.duration, event.audio_duration), (0.0, 0.0));
    assert_eq!(event.total_tokens, 0);
    assert!(event.streamed);
    assert_eq!((event.acquire_time, event.connection_reused), (0.25, false));
    assert_eq!((event.label.as_str(), event.timestamp), ("acme.STT", 12.5));

    let capture = Capture::cumulative();
    MetricsRecorder::new(capture.meter()).record(&event);
    let points = capture.collect();
    // Only the histogram: the zero usage adds no counter point.
    assert_eq!(points.len(), 1, "{points:?}");
    assert_eq!(points[0].name, "lk.agents.connection.acquire_time");
    assert_eq!(
        points[0].attr_pairs(),
        [
            "connection_reused=false",
            "model_name=voice-1",
            "model_provider=acme"
        ]
    );
    assert_eq!(histogram(&points[0]), (1, 0.25));
}

#[test]
fn realtime_connection_event_reports_reuse_as_measured() {
    let event =
        RealtimeModelMetrics::connection_acquired("acme.Realtime", 3.0, (ms(40), true), metadata());
    assert_eq!(event.request_id, "");
    assert_eq!((event.input_tokens, event.output_tokens), (0, 0));
    assert_eq!(event.input_token_details, InputTokenDetails::default());
    assert_eq!(event.output_token_details, OutputTokenDetails::default());
    assert_eq!(event.ttft, -1.0);
    assert_eq!((event.acquire_time, event.connection_reused), (0.04, true));

    let capture = Capture::cumulative();
    MetricsRecorder::new(capture.meter()).record(&event);
    let points = acquire_points(&capture);
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].attr("connection_reused").as_deref(), Some("true"));
    // Nothing but the histogram.
    assert_eq!(capture.collect().len(), 1);
}

#[test]
fn tts_stream_reports_its_acquisition_on_the_first_event_only() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let mut timing = StreamTiming::new((ms(300), false));
    let events: Vec<TTSMetrics> = (1..=4)
        .map(|n| {
            let mut event = tts_event(n);
            timing.stamp(&mut event);
            recorder.record(&event);
            event
        })
        .collect();
    assert_eq!(
        (events[0].acquire_time, events[0].connection_reused),
        (0.3, false)
    );
    for later in &events[1..] {
        assert_eq!((later.acquire_time, later.connection_reused), (0.0, false));
    }
    let points = acquire_points(&capture);
    assert_eq!(points.len(), 1);
    assert_eq!(histogram(&points[0]), (1, 0.3));
    // The usage of every segment is still counted.
    let characters = capture
        .collect()
        .into_iter()
        .find(|p| p.name == "lk.agents.usage.tts_characters")
        .expect("characters counted");
    assert_eq!(characters.value.as_u64(), Some(1 + 2 + 3 + 4));
}

#[test]
fn a_reconnect_mid_stream_is_reported_on_the_next_event() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let mut timing = StreamTiming::new((ms(100), true));
    for segment in 0..4 {
        if segment == 2 {
            timing.acquired((ms(500), false));
        }
        let mut event = tts_event(1);
        timing.stamp(&mut event);
        recorder.record(&event);
    }
    let points = acquire_points(&capture);
    let by_reuse: Vec<(String, (u64, f64))> = points
        .iter()
        .map(|p| (p.attr("connection_reused").unwrap(), histogram(p)))
        .collect();
    assert_eq!(
        by_reuse,
        [
            ("false".to_owned(), (1, 0.5)),
            ("true".to_owned(), (1, 0.1))
        ]
    );
}

#[test]
fn an_acquisition_not_yet_reported_is_replaced_by_a_newer_one() {
    let mut timing = StreamTiming::new((ms(1), true));
    assert!(timing.is_pending());
    timing.acquired((ms(2), false));
    assert_eq!(timing.take(), Some(ConnectionTiming::new(ms(2), false)));
    assert!(!timing.is_pending());
    assert_eq!(StreamTiming::default().take(), None);
}

#[test]
fn a_zero_reading_is_still_recorded() {
    // A reuse under a paused clock measures exactly zero; dropping it would empty the
    // `connection_reused="true"` series again.
    let timing = ConnectionTiming::new(Duration::ZERO, true);
    assert!(timing.seconds() > 0.0 && timing.seconds() < ACQUIRE_MIN_BUCKET);
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let mut event = tts_event(1);
    StreamTiming::new(timing).stamp(&mut event);
    recorder.record(&event);
    let points = acquire_points(&capture);
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].attr("connection_reused").as_deref(), Some("true"));
    assert_eq!(points[0].value.as_histogram().unwrap().bucket_counts[0], 1);
}

#[tokio::test(start_paused = true)]
async fn timing_comes_from_the_pool_guard() {
    let pool = crate::ConnectionPool::builder(|_| async {
        tokio::time::sleep(ms(200)).await;
        Ok::<_, std::io::Error>(())
    })
    .build();
    let first = pool.acquire().await.expect("connects");
    let timing = ConnectionTiming::from(&first);
    assert_eq!((timing.acquire_time(), timing.reused()), (ms(200), false));
    drop(first);
    let again = pool.acquire().await.expect("reuses");
    let event = STTMetrics::connection_acquired("acme.STT", 0.0, &again, metadata());
    assert!(event.connection_reused);
    assert!(event.acquire_time > 0.0);
    drop(again);
    pool.close().await;
}

const ACQUIRE_MIN_BUCKET: f64 = crate::schema::ACQUIRE_BUCKETS[0];

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
