//! Reporting connection timing exactly once per acquisition.
//!
//! A plugin that acquires a connection (from a [`ConnectionPool`](crate::ConnectionPool), or
//! by dialing one itself) reports how long it took in the `acquire_time` / `connection_reused`
//! fields of a schema event, which feed the `lk.agents.connection.acquire_time` histogram.
//! Each acquisition must be reported once, or the histogram counts it several times:
//!
//! - **STT** emits a dedicated zero-usage event, [`STTMetrics::connection_acquired`] (`docs/PYTHON-PARITY.md`
//!   §1.2), right after acquiring; its usage events carry no timing.
//! - **Realtime** sessions do the same after every (re)connect,
//!   [`RealtimeModelMetrics::connection_acquired`] (`docs/PYTHON-PARITY.md` §1.6).
//! - **TTS** attaches the timing to the first [`TTSMetrics`] of a stream only, through a
//!   [`StreamTiming`] the stream holds. The Python framework copies it onto every segment's
//!   event, so a stream of `n` segments records its acquisition `n` times (`docs/PYTHON-PARITY.md` §1.3); here
//!   the later events carry `acquire_time = 0`, which the histogram's `> 0` guard skips.
//!
//! # Difference from Python: reused connections are recorded
//!
//! Python reports a reused connection with `acquire_time = 0.0`, which the `> 0` guard drops,
//! so the `connection_reused="true"` series of the histogram is always empty (`docs/PYTHON-PARITY.md` §9.2). Our
//! pool measures every acquisition, reuse included ([`Acquired::acquire_time`]), so reused
//! acquisitions are recorded with their (small) measured time: the series shows how often
//! connections are reused and what waiting for a prewarm costs. A dashboard that counted
//! acquisitions as "new connections" should now filter on `connection_reused="false"`.
//!
//! ```
//! use std::time::Duration;
//! use agent_metrics::connection::StreamTiming;
//! use agent_metrics::schema::{Metadata, STTMetrics};
//!
//! // Right after acquiring (`&acquired` works too): one event that carries only the timing.
//! let timing = (Duration::from_millis(120), false);
//! let metadata = Some(Metadata::new("deepgram", "nova-3"));
//! let event = STTMetrics::connection_acquired("deepgram.STT", 1.7e9, timing, metadata);
//! assert_eq!((event.acquire_time, event.audio_duration), (0.12, 0.0));
//!
//! // A TTS stream: the first event gets the timing, the next ones do not.
//! let mut timing = StreamTiming::new((Duration::from_millis(80), true));
//! assert_eq!(timing.take().map(|t| t.reused()), Some(true));
//! assert_eq!(timing.take(), None);
//! ```

use std::time::Duration;

use crate::pool::Acquired;
use crate::schema::{Metadata, RealtimeModelMetrics, STTMetrics, TTSMetrics};

/// How one connection was acquired: the time it took and whether it existed before.
///
/// Made from an [`Acquired`] guard (`(&acquired).into()`), or from `(Duration, bool)` for a
/// connection the plugin dials itself (`reused = false`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnectionTiming {
    acquire_time: Duration,
    reused: bool,
}

impl ConnectionTiming {
    /// The timing of an acquisition that took `acquire_time`.
    pub const fn new(acquire_time: Duration, reused: bool) -> Self {
        ConnectionTiming {
            acquire_time,
            reused,
        }
    }

    /// The measured time.
    pub const fn acquire_time(&self) -> Duration {
        self.acquire_time
    }

    /// Whether the connection existed before this acquisition.
    pub const fn reused(&self) -> bool {
        self.reused
    }

    /// The time in seconds, as the events carry it, never `0.0`.
    ///
    /// Every acquisition takes some time; a reading of exactly zero comes from a paused or
    /// coarse clock, and reporting it as `0.0` would make the histogram's `> 0` guard drop an
    /// acquisition that happened. It is reported as one nanosecond instead, below every bucket.
    pub fn seconds(&self) -> f64 {
        self.acquire_time.max(Duration::from_nanos(1)).as_secs_f64()
    }

    /// Sets `event`'s timing fields.
    pub fn apply_to(&self, event: &mut TTSMetrics) {
        event.acquire_time = self.seconds();
        event.connection_reused = self.reused;
    }
}

impl<T: Send + 'static> From<&Acquired<T>> for ConnectionTiming {
    fn from(acquired: &Acquired<T>) -> Self {
        ConnectionTiming::new(acquired.acquire_time(), acquired.reused())
    }
}

impl From<(Duration, bool)> for ConnectionTiming {
    fn from((acquire_time, reused): (Duration, bool)) -> Self {
        ConnectionTiming::new(acquire_time, reused)
    }
}

/// The acquisition timing a TTS stream has not reported yet.
///
/// A stream makes one when it acquires its connection, and passes every [`TTSMetrics`] it
/// emits through [`stamp`](Self::stamp): the first gets the timing, later ones get
/// `acquire_time = 0.0` and `connection_reused = false` (the defaults, left out of `Debug`),
/// as no acquisition happened for them. A stream that reconnects mid-way calls
/// [`acquired`](Self::acquired), and the next event reports the new connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamTiming {
    pending: Option<ConnectionTiming>,
}

impl StreamTiming {
    /// Timing to report on the stream's next event.
    pub fn new(timing: impl Into<ConnectionTiming>) -> Self {
        StreamTiming {
            pending: Some(timing.into()),
        }
    }

    /// A new acquisition: reported on the next event. It replaces one not reported yet,
    /// because the event describes the connection that served it.
    pub fn acquired(&mut self, timing: impl Into<ConnectionTiming>) {
        self.pending = Some(timing.into());
    }

    /// The unreported timing, once; `None` afterwards.
    pub fn take(&mut self) -> Option<ConnectionTiming> {
        self.pending.take()
    }

    /// Whether an acquisition is waiting to be reported.
    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Sets `event`'s timing fields: the pending acquisition, or zero if it was reported.
    pub fn stamp(&mut self, event: &mut TTSMetrics) {
        match self.take() {
            Some(timing) => timing.apply_to(event),
            None => {
                event.acquire_time = 0.0;
                event.connection_reused = false;
            }
        }
    }
}

impl STTMetrics {
    /// The dedicated zero-usage event a streaming STT emits right after acquiring its
    /// connection (`docs/PYTHON-PARITY.md` §1.2): `request_id` empty, no duration or audio, `streamed`, and the
    /// timing. Usage events of the stream then leave `acquire_time` at 0.
    pub fn connection_acquired(
        label: impl Into<String>,
        timestamp: f64,
        timing: impl Into<ConnectionTiming>,
        metadata: Option<Metadata>,
    ) -> Self {
        let timing = timing.into();
        STTMetrics {
            label: label.into(),
            timestamp,
            streamed: true,
            acquire_time: timing.seconds(),
            connection_reused: timing.reused(),
            metadata,
            ..Default::default()
        }
    }
}

impl RealtimeModelMetrics {
    /// The zero-usage event a realtime session emits after every (re)connect (`docs/PYTHON-PARITY.md` §1.6):
    /// `request_id` empty, no tokens, and the timing. Python always reports
    /// `connection_reused = false`; this reports what was measured, which is `false` for a
    /// session that dials itself and may be `true` for one served by a pool.
    pub fn connection_acquired(
        label: impl Into<String>,
        timestamp: f64,
        timing: impl Into<ConnectionTiming>,
        metadata: Option<Metadata>,
    ) -> Self {
        let timing = timing.into();
        RealtimeModelMetrics {
            label: label.into(),
            timestamp,
            ttft: -1.0,
            acquire_time: timing.seconds(),
            connection_reused: timing.reused(),
            metadata,
            ..Default::default()
        }
    }
}
#[cfg(test)]
mod tests;
