//! The plugin under concurrency and failure: each stream's own timing, a server restart.

use std::sync::Arc;
use std::time::Duration;

use crate::server::{
    Config, MODEL_ATTRS, TtsServer, acquire_histogram, assert_close, attempts, bounded, client,
    client_at, connection_of, points,
};
use agent_metrics_plugin_example::TtsError;

/// Handshake delay of the `n`th connection. Neighbours are `STEP` apart and a stream's
/// timing must fall within `SLACK` (< `STEP`) above its own delay, so a stream that reported
/// another connection's timing would fail.
fn delay(n: u64) -> Duration {
    Duration::from_millis(100) + STEP * n as u32
}
const STEP: Duration = Duration::from_millis(250);
const SLACK: Duration = Duration::from_millis(225);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_streams_each_report_their_own_connection() {
    const STREAMS: u64 = 6;
    bounded(async {
        let config = Config {
            handshake_delay: Arc::new(delay),
            ..Config::new(3, 960, Duration::ZERO)
        };
        let server = TtsServer::start(config).await;
        let (tts, capture) = client(&server);
        let tasks: Vec<_> = (0..STREAMS)
            .map(|i| {
                let tts = tts.clone();
                tokio::spawn(async move {
                    let mut stream = tts.stream().await.expect("a stream");
                    let first = stream.push(&format!("stream {i}")).await.expect("segment");
                    let second = stream.push("and more").await.expect("segment");
                    (first.metrics, second.metrics)
                })
            })
            .collect();
        let mut total = 0.0;
        let mut seen = Vec::new();
        for task in tasks {
            let (first, second) = task.await.expect("the stream task");
            let conn = connection_of(&first.request_id);
            assert_eq!(
                connection_of(&second.request_id),
                conn,
                "one connection per stream"
            );
            let took = Duration::from_secs_f64(first.acquire_time);
            assert!(
                took >= delay(conn) && took < delay(conn) + SLACK,
                "connection {conn} (handshake {:?}) reported {took:?}",
                delay(conn)
            );
            assert!(!first.connection_reused);
            assert_eq!(second.acquire_time, 0.0);
            total += first.acquire_time;
            seen.push(conn);
        }
        seen.sort_unstable();
        assert_eq!(
            seen,
            (0..STREAMS).collect::<Vec<_>>(),
            "all handshakes ran in parallel"
        );
        assert_eq!(server.stats().connections(), STREAMS);

        let (count, sum) = acquire_histogram(&capture, false);
        assert_eq!(count, STREAMS);
        assert_close(sum, total);
        assert_eq!(acquire_histogram(&capture, true).0, 0);
        tts.close().await;
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_breaks_the_connection_and_the_plugin_reconnects() {
    bounded(async {
        let config = Config::new(2, 960, Duration::from_millis(20));
        let server = TtsServer::start(config.clone()).await;
        let addr = server.addr();
        let (tts, capture) = client(&server);
        let before = tts.synthesize("before").await.expect("first synthesis");
        assert_eq!(before.metrics.request_id, "c0-r1");

        // The pooled connection dies with the server; a new server takes the same port.
        server.stop().await;
        let server = TtsServer::start_on(addr, config).await;
        let after = tts
            .synthesize("after")
            .await
            .expect("synthesis after the restart");

        // Served by the restarted server's first connection, after one reconnect.
        assert_eq!(after.metrics.request_id, "c0-r1");
        assert_eq!(server.stats().connections(), 1);
        assert_eq!((after.frames, after.metrics.characters_count), (2, 5));
        assert!(
            !after.metrics.connection_reused,
            "the reported timing is the new connection's"
        );
        assert!(after.metrics.acquire_time >= 0.02);

        let reconnects = points(&capture, "exampletts.reconnects");
        assert_eq!(reconnects.len(), 1);
        assert_eq!(reconnects[0].attr_pairs(), MODEL_ATTRS);
        assert_eq!(reconnects[0].value.as_u64(), Some(1));
        // Two handshakes reported; the dead connection's reuse served nothing and is not.
        let (count, sum) = acquire_histogram(&capture, false);
        assert_eq!(count, 2);
        assert_close(
            sum,
            before.metrics.acquire_time + after.metrics.acquire_time,
        );
        assert_eq!(acquire_histogram(&capture, true).0, 0);
        // The first synthesis, then the one that failed on the dead connection and was retried
        // on a fresh one: one failed attempt and one successful retry.
        assert_eq!(
            attempts(&capture),
            [
                "error connection_lost retry=0: 1",
                "success - retry=0: 1",
                "success - retry=1: 1",
            ]
        );

        // The new connection went back to the pool in good order.
        let again = tts
            .synthesize("again")
            .await
            .expect("reuse after the restart");
        assert_eq!(again.metrics.request_id, "c0-r2");
        assert!(again.metrics.connection_reused);
        tts.close().await;
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_stays_down_fails_the_synthesis() {
    bounded(async {
        let server = TtsServer::start(Config::new(1, 960, Duration::ZERO)).await;
        let (tts, capture) = client(&server);
        tts.synthesize("up").await.expect("first synthesis");
        server.stop().await;

        let error = tts.synthesize("down").await.expect_err("nobody listens");
        assert!(matches!(error, TtsError::Connect(_)), "{error:?}");
        // The dead connection was replaced by nothing: no reconnect counted, no timing.
        assert!(points(&capture, "exampletts.reconnects").is_empty());
        assert_eq!(acquire_histogram(&capture, false).0, 1);
        // The dead connection failed, then so did the handshake of its replacement.
        assert_eq!(
            attempts(&capture),
            [
                "error connect retry=1: 1",
                "error connection_lost retry=0: 1",
                "success - retry=0: 1",
            ]
        );
        tts.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_a_connect_error() {
    bounded(async {
        // A port that was just free: nothing listens there.
        let addr = TtsServer::start(Config::new(1, 1, Duration::ZERO)).await;
        let url = addr.url();
        addr.stop().await;
        let (tts, capture) = client_at(&url);
        let error = tts.synthesize("hello").await.expect_err("refused");
        assert!(matches!(error, TtsError::Connect(_)), "{error:?}");
        // A failed acquisition records no timing, only the failed attempt.
        let names: Vec<String> = capture.collect().into_iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "lk.agents.provider.attempt_duration",
                "lk.agents.provider.attempts"
            ]
        );
        assert_eq!(attempts(&capture), ["error connect retry=0: 1"]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synthesis_cancelled_mid_answer_does_not_return_its_connection() {
    bounded(async {
        let config = Config {
            frame_delay: Duration::from_millis(100),
            ..Config::new(5, 960, Duration::ZERO)
        };
        let server = TtsServer::start(config).await;
        let (tts, capture) = client(&server);
        let cut = tokio::time::timeout(Duration::from_millis(250), tts.synthesize("cut off")).await;
        assert!(cut.is_err(), "cancelled while frames were arriving");

        // The rest of that answer is still on its way: the connection is closed, not reused.
        let next = tts.synthesize("next").await.expect("a fresh connection");
        assert_eq!(next.metrics.request_id, "c1-r1");
        assert!(!next.metrics.connection_reused);
        assert_eq!(next.frames, 5);
        assert_eq!(acquire_histogram(&capture, true).0, 0);
        // The cancelled synthesis recorded the frames it received, but no event.
        let sizes = points(&capture, "exampletts.frame_size");
        let count = sizes[0].value.as_histogram().unwrap().count;
        assert!((5..5 + 5).contains(&count), "{count} frames");
        let characters = points(&capture, "lk.agents.usage.tts_characters");
        assert_eq!(
            characters[0].value.as_u64(),
            Some(4),
            "only \"next\" completed"
        );
        assert_eq!(
            attempts(&capture),
            ["cancelled - retry=0: 1", "success - retry=0: 1"]
        );
        tts.close().await;
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_whose_push_was_cancelled_reconnects() {
    bounded(async {
        let config = Config {
            frame_delay: Duration::from_millis(100),
            ..Config::new(3, 960, Duration::ZERO)
        };
        let server = TtsServer::start(config).await;
        let (tts, capture) = client(&server);
        let mut stream = tts.stream().await.expect("a stream");
        let cut = tokio::time::timeout(Duration::from_millis(150), stream.push("cut off")).await;
        assert!(cut.is_err(), "cancelled while frames were arriving");

        let next = stream.push("next").await.expect("on a new connection");
        assert_eq!(next.metrics.request_id, "c1-r1");
        // The first acquisition was never reported (no event completed): the new one is.
        assert!(!next.metrics.connection_reused && next.metrics.acquire_time > 0.0);
        assert_eq!(acquire_histogram(&capture, false).0, 1);
        let reconnects = points(&capture, "exampletts.reconnects");
        assert_eq!(reconnects[0].value.as_u64(), Some(1));
        drop(stream);
        tts.close().await;
        server.stop().await;
    })
    .await;
}
