//! Which edition of the OpenTelemetry GenAI semantic conventions the `gen_ai.*` instruments
//! follow: livekit-agents 1.8.9's (the default, so that dashboards built on it keep working) or
//! the conventions as they stand now, behind the standard opt-in switch
//! `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`.

use core::fmt;

/// The GenAI conventions the recorder emits. Whoever builds handles must know it: pass it to
/// [`MetricsRecorder::with_conventions`](crate::MetricsRecorder::with_conventions), or let
/// [`Telemetry::recorder`](crate::Telemetry::recorder) do it (the builder reads
/// `OTEL_SEMCONV_STABILITY_OPT_IN`, or takes
/// [`gen_ai_conventions`](crate::TelemetryBuilder::gen_ai_conventions)).
///
/// What [`LatestExperimental`](Self::LatestExperimental) changes (everything else, the
/// `lk.agents.*` instruments included, stays as livekit-agents 1.8.9 emits it):
///
/// | instrument | default (livekit-agents 1.8.9) | `gen_ai_latest_experimental` |
/// |---|---|---|
/// | `gen_ai.invoke_agent.duration` | buckets 0.01 to 81.92 s; `gen_ai.agent.name` | buckets 0.1 to 409.6 s; also `error.type` and `gen_ai.agent.invocation.end_reason` |
/// | `gen_ai.execute_tool.duration` | `gen_ai.tool.name`, `error.type` | also `gen_ai.tool.type` and `gen_ai.agent.name` |
/// | `gen_ai.workflow.duration` | not emitted | one point per session ([`SessionMetrics`](super::SessionMetrics)), buckets 1 s to 2 h |
/// | `gen_ai.client.operation.duration` | `chat`, `generate_content` | also `speech_to_text` (STT) and `text_to_speech` (TTS) |
/// | `gen_ai.client.inference.usage.*` | not emitted | token counters by `gen_ai.token.modality`, beside `gen_ai.client.token.usage` |
///
/// A turn's [`TurnEndReason`](super::TurnEndReason) maps onto the conventions' three end
/// reasons: `completed`, `interrupted`, `session_closed`. The conventions have no `cancelled`:
/// a cancelled turn (its reply was dropped before it finished, for a newer user turn or by the
/// application) ended early because something else took precedence, which is what
/// `interrupted` means there, so it is reported as `interrupted`.
///
/// ```
/// use agent_metrics::schema::GenAiConventions;
/// assert_eq!(GenAiConventions::from_opt_in("http, gen_ai_latest_experimental"),
///            GenAiConventions::LatestExperimental);
/// assert_eq!(GenAiConventions::from_opt_in("http/dup"), GenAiConventions::LiveKit);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GenAiConventions {
    /// As livekit-agents 1.8.9 emits them (the default).
    #[default]
    LiveKit,
    /// The conventions as they stand (Development status), `gen_ai_latest_experimental`.
    LatestExperimental,
}

impl GenAiConventions {
    /// The variable every OpenTelemetry SDK reads the opt-ins from.
    pub const ENV: &'static str = "OTEL_SEMCONV_STABILITY_OPT_IN";
    /// The entry of [`ENV`](Self::ENV) that selects [`LatestExperimental`](Self::LatestExperimental).
    pub const LATEST_EXPERIMENTAL: &'static str = "gen_ai_latest_experimental";

    /// Reads an `OTEL_SEMCONV_STABILITY_OPT_IN` value: a comma-separated list, entries trimmed
    /// and compared exactly, as the OpenTelemetry SDKs do. Entries for other conventions (`http`,
    /// `database/dup`, ...) belong to other instrumentations and are ignored.
    pub fn from_opt_in(list: &str) -> Self {
        if list
            .split(',')
            .any(|entry| entry.trim() == Self::LATEST_EXPERIMENTAL)
        {
            GenAiConventions::LatestExperimental
        } else {
            GenAiConventions::LiveKit
        }
    }

    /// The opt-in entry that selects these conventions, `None` for the default.
    pub const fn opt_in(self) -> Option<&'static str> {
        match self {
            GenAiConventions::LiveKit => None,
            GenAiConventions::LatestExperimental => Some(Self::LATEST_EXPERIMENTAL),
        }
    }
}

impl fmt::Display for GenAiConventions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.opt_in().unwrap_or("default"))
    }
}
