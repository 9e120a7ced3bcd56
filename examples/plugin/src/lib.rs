//! An example vendor TTS plugin, written the way a downstream crate uses `agent-metrics`.
//!
//! - It depends on `agent-metrics` only: the derive's generated code and the `Meter` type come
//!   through it, so the plugin never pins an `opentelemetry` version of its own.
//! - It keeps its WebSocket connections in a [`ConnectionPool`](agent_metrics::ConnectionPool)
//!   and reports each acquisition once, on the first
//!   [`TTSMetrics`](agent_metrics::schema::TTSMetrics) of a stream
//!   ([`StreamTiming`](agent_metrics::connection::StreamTiming)). Reused connections are
//!   reported too, with their measured time, unlike Python's `0.0`.
//! - It records schema events through the framework's
//!   [`MetricsRecorder`](agent_metrics::MetricsRecorder), and its own [`PluginMetrics`] under
//!   its own prefix (`exampletts.*`), which [`catalog`] lists next to the schema's; its
//!   reference page ([`docs_markdown`], shipped as `docs/METRICS.md`) and Grafana dashboard
//!   (`docs/dashboard.json`) are generated from that catalog by the catalog's own API.
//! - It reports every call to the server as a provider attempt
//!   ([`ProviderAttempt`](agent_metrics::schema::ProviderAttempt), kind `tts`): a connection that
//!   fails and is retried on a fresh one is one failed attempt (`error.type` `connection_lost`)
//!   and one successful one; a handshake that fails is an attempt too, and a synthesis cancelled
//!   by its caller ends its attempt as `cancelled`.
//!
//! # Protocol
//!
//! The server speaks a minimal protocol over one WebSocket per connection, one request at a
//! time: the client sends the text to synthesize as a text message; the server answers with
//! binary messages of 16-bit mono PCM at the configured sample rate, then the text message
//! `done <request id>` (or `error <reason>`). A connection serves any number of requests.
//!
//! ```no_run
//! use agent_metrics::{MetricsRecorder, capture::Capture};
//! use agent_metrics_plugin_example::{TtsClient, TtsOptions};
//!
//! # async fn run() -> Result<(), agent_metrics_plugin_example::TtsError> {
//! let capture = Capture::delta(); // in an agent: the meter of the installed provider
//! let recorder = MetricsRecorder::new(capture.meter());
//! let options = TtsOptions::new("ws://127.0.0.1:9000/tts", "voice-1");
//! let tts = TtsClient::new(options, recorder, capture.meter());
//! tts.prewarm();
//! let mut stream = tts.stream().await?;
//! let first = stream.push("Hello there.").await?; // carries the acquisition timing
//! let second = stream.push("How can I help?").await?; // does not
//! assert_eq!(second.metrics.acquire_time, 0.0);
//! # let _ = first;
//! # Ok(())
//! # }
//! ```

mod attempts;
mod client;
mod error;
mod metrics;
mod stream;

pub use client::{LABEL, PROVIDER, Socket, TtsClient, TtsOptions};
pub use error::TtsError;
pub use metrics::{FRAME_SIZE_BUCKETS, PluginMetrics, catalog, docs_markdown};
pub use stream::{Synthesis, SynthesizeStream};

/// The README's examples, compiled and run as doctests, so that what it shows works.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
