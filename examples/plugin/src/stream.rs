//! A synthesis stream: one pooled connection, segments sent one after the other, one
//! `TTSMetrics` per segment, the connection timing on the first only.

use std::mem;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use agent_metrics::connection::StreamTiming;
use agent_metrics::schema::TTSMetrics;
use agent_metrics::{Acquired, AgentMetric};
use futures_util::{SinkExt, StreamExt};
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;

use crate::attempts::Attempts;
use crate::client::{LABEL, Shared, Socket};
use crate::error::TtsError;
use crate::metrics::PluginMetrics;

/// One synthesized segment: the audio and the event recorded for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Synthesis {
    /// 16-bit mono PCM, the frames concatenated.
    pub audio: Vec<u8>,
    /// How many binary frames the server sent.
    pub frames: usize,
    /// The event already recorded, for the framework's `metrics_collected`.
    pub metrics: TTSMetrics,
}

/// Segments synthesized on one connection; see [`TtsClient::stream`](crate::TtsClient::stream).
///
/// Dropping it returns the connection to the pool, unless the last request failed or was cut
/// off midway (the stream dropped while [`push`](Self::push) was running): the server may
/// still be sending that answer, so the connection is closed rather than handed to the next
/// stream.
#[derive(Debug)]
pub struct SynthesizeStream {
    shared: Arc<Shared>,
    conn: Acquired<Socket>,
    timing: StreamTiming,
    streamed: bool,
    /// False while the connection may hold the unread rest of an answer: from a request sent
    /// until its answer is complete, and after a failure until the connection is replaced.
    clean: bool,
}

/// A failed round trip, and whether it may be retried on a fresh connection.
struct Failure {
    error: TtsError,
    retry: bool,
}

/// A complete answer.
struct Answer {
    request_id: String,
    audio: Vec<u8>,
    frames: usize,
    first_frame: Option<Instant>,
}

impl SynthesizeStream {
    pub(crate) async fn open(shared: Arc<Shared>, streamed: bool) -> Result<Self, TtsError> {
        let started = Instant::now();
        let conn = match shared.pool.acquire().await {
            Ok(conn) => conn,
            Err(error) => {
                let error = TtsError::from(error);
                Attempts::connect_failed(shared, started, &error);
                return Err(error);
            }
        };
        Ok(SynthesizeStream {
            timing: StreamTiming::new(&conn),
            shared,
            conn,
            streamed,
            clean: true,
        })
    }

    /// Synthesize one segment, record its `TTSMetrics` and return it with the audio.
    ///
    /// A connection that turns out dead before any audio arrived (the server restarted, or
    /// closed it while idle) is closed and replaced, and the segment sent again, up to
    /// `max_reconnects` times; each replacement counts in `exampletts.reconnects`, and the
    /// next event reports the new connection's timing. The dead connection's own acquisition
    /// is not reported, as it served nothing.
    ///
    /// Each try is one provider attempt (`lk.agents.provider.attempts`, kind `tts`): a failed
    /// one with its outcome and `error.type`, a retry with its retry index, and one cut off by
    /// the caller dropping this future as `cancelled`.
    pub async fn push(&mut self, text: &str) -> Result<Synthesis, TtsError> {
        let start = Instant::now();
        let mut attempts = Attempts::new(self.shared.clone());
        let mut reconnects = 0;
        let answer = loop {
            attempts.begin();
            if !self.clean
                && let Err(error) = self.reconnect().await
            {
                attempts.failed(&error);
                return Err(error);
            }
            self.clean = false;
            match round_trip(&mut self.conn, text, &self.shared).await {
                Ok(answer) => {
                    self.clean = true;
                    attempts.succeeded();
                    break answer;
                }
                Err(failure) => {
                    attempts.failed(&failure.error);
                    // Whatever happened, the connection's state is unknown: never reuse it.
                    self.conn.mark_broken();
                    if !failure.retry || reconnects == self.shared.options.max_reconnects {
                        return Err(failure.error);
                    }
                    reconnects += 1;
                }
            }
        };
        let metrics = self.event(text, &answer, start);
        self.shared.recorder.record(&metrics);
        Ok(Synthesis {
            audio: answer.audio,
            frames: answer.frames,
            metrics,
        })
    }

    /// Swap the connection, failed or left mid-answer by a cancelled `push`, for a new one.
    async fn reconnect(&mut self) -> Result<(), TtsError> {
        // Before the await: a stream dropped while acquiring must not return it either.
        self.conn.mark_broken();
        let fresh = self.shared.pool.acquire().await?;
        self.timing.acquired(&fresh);
        // Dropping the old guard closes its connection.
        drop(mem::replace(&mut self.conn, fresh));
        self.clean = true;
        PluginMetrics::reconnect(&self.shared.metadata).record(&self.shared.plugin);
        Ok(())
    }

    fn event(&mut self, text: &str, answer: &Answer, start: Instant) -> TTSMetrics {
        let bytes_per_second = f64::from(self.shared.options.sample_rate) * 2.0;
        let mut event = TTSMetrics {
            label: LABEL.to_owned(),
            request_id: answer.request_id.clone(),
            timestamp: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |t| t.as_secs_f64()),
            // From the call, reconnects included: the delay the listener hears.
            ttfb: answer
                .first_frame
                .map_or(-1.0, |at| (at - start).as_secs_f64()),
            duration: start.elapsed().as_secs_f64(),
            audio_duration: answer.audio.len() as f64 / bytes_per_second,
            characters_count: text.chars().count() as u64,
            streamed: self.streamed,
            segment_id: self.streamed.then(|| self.shared.next_segment_id()),
            metadata: Some(self.shared.metadata.clone()),
            ..Default::default()
        };
        self.timing.stamp(&mut event);
        event
    }
}

impl Drop for SynthesizeStream {
    fn drop(&mut self) {
        if !self.clean {
            self.conn.mark_broken();
        }
    }
}

/// Send `text`, then read binary audio frames until `done <request id>`.
///
/// Protocol errors and server refusals are not retried: a new connection would not change
/// them. A lost connection is, but only before the first frame, so no audio is ever doubled.
async fn round_trip(socket: &mut Socket, text: &str, shared: &Shared) -> Result<Answer, Failure> {
    let lost = |error: TtsError, audio: &[u8]| Failure {
        retry: error.is_connection_lost() && audio.is_empty(),
        error,
    };
    let mut audio = Vec::new();
    if let Err(e) = socket.send(Message::text(text)).await {
        return Err(lost(TtsError::WebSocket(e), &audio));
    }
    let (mut frames, mut first_frame) = (0, None);
    let read_timeout = shared.options.read_timeout;
    loop {
        let message = match timeout(read_timeout, socket.next()).await {
            Err(_) => return Err(lost(TtsError::Timeout(read_timeout), &audio)),
            Ok(None) => return Err(lost(TtsError::Closed, &audio)),
            Ok(Some(Err(e))) => return Err(lost(TtsError::WebSocket(e), &audio)),
            Ok(Some(Ok(message))) => message,
        };
        match message {
            Message::Binary(frame) => {
                first_frame.get_or_insert_with(Instant::now);
                frames += 1;
                PluginMetrics::frame(frame.len(), &shared.metadata).record(&shared.plugin);
                audio.extend_from_slice(&frame);
            }
            Message::Text(line) => {
                return match line.as_str().split_once(' ') {
                    Some(("done", id)) => Ok(Answer {
                        request_id: id.to_owned(),
                        audio,
                        frames,
                        first_frame,
                    }),
                    Some(("error", why)) => Err(lost(TtsError::Server(why.to_owned()), &audio)),
                    _ => Err(lost(TtsError::Protocol(line.as_str().to_owned()), &audio)),
                };
            }
            Message::Close(_) => return Err(lost(TtsError::Closed, &audio)),
            // Pings are answered by tungstenite on the next read.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
    }
}
