//! The schema's attribute sets and values: which model, tool or severity a measurement is
//! labelled with.

use std::sync::Arc;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use crate::{AttributeValue, Attributes};

/// A name many events share (a model, a provider, a tool, an agent, an error type): cheap to
/// clone into every data point's attributes.
pub type Name = Arc<str>;

/// The former name of [`Name`], which names more than models.
#[deprecated(since = "0.2.0", note = "renamed `Name`: it names tools, agents and error types too")]
pub type ModelId = Name;

/// Which model produced a value: the `model_provider` / `model_name` attributes of usage and
/// connection metrics. `None` and empty strings are left out, as the Python framework's
/// `_to_attributes` skips falsy values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Attributes)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct Metadata {
    /// The model id, as the plugin reports it.
    #[attr(skip_empty)]
    pub model_name: Option<Name>,
    /// The provider id, as the plugin reports it.
    #[attr(skip_empty)]
    pub model_provider: Option<Name>,
}

/// The model behind one turn's latencies: the attributes of turn histograms. Presence-based:
/// a key that is present is written even when empty (the Python framework checks `in`, not
/// truthiness, for turn metadata).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Attributes)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct MetricsMetadata {
    /// The model id.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub model_name: Option<Name>,
    /// The provider id.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub model_provider: Option<Name>,
}

/// The `error.type` of a failed tool execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, AttributeValue)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ToolErrorType {
    /// The tool raised, was cancelled, or returned an error output.
    ToolError,
}

/// How long a stall of the async runtime was: `warning` from 100 ms, `error` from 500 ms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, AttributeValue)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Severity {
    /// At least the warning threshold.
    #[default]
    Warning,
    /// At least the error threshold.
    Error,
}

/// How an agent turn ended: the GenAI voice conventions' `gen_ai.agent.invocation.end_reason`
/// values, plus `cancelled`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, AttributeValue)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum TurnEndReason {
    /// The reply was spoken to the end.
    #[default]
    Completed,
    /// The user barged in while the agent was speaking.
    Interrupted,
    /// The framework dropped the reply before or while it was spoken (a newer reply replaced it,
    /// a preemptive generation was discarded, the reply failed).
    Cancelled,
    /// The session closed while the agent was speaking.
    SessionClosed,
}

impl TurnEndReason {
    /// Every end reason.
    pub const ALL: [TurnEndReason; 4] = [
        TurnEndReason::Completed,
        TurnEndReason::Interrupted,
        TurnEndReason::Cancelled,
        TurnEndReason::SessionClosed,
    ];

    /// The attribute value: `completed`, `interrupted`, `cancelled` or `session_closed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TurnEndReason::Completed => "completed",
            TurnEndReason::Interrupted => "interrupted",
            TurnEndReason::Cancelled => "cancelled",
            TurnEndReason::SessionClosed => "session_closed",
        }
    }
}

/// One named part of a turn's latency breakdown, in the order the parts happen (see
/// [`turn`](crate::turn) for the timeline).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, AttributeValue)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum TurnPart {
    /// The silence the turn detector waited for after the user stopped speaking, until its
    /// end-of-turn decision (the endpointing delay the user configured, and the detector).
    Endpointing,
    /// Waiting for the final transcript after the end-of-turn decision (the STT).
    Transcription,
    /// The `on_user_turn_completed` callback.
    OnUserTurnCompleted,
    /// Time no measured stage explains, between the user's stages and the reply's.
    #[default]
    Other,
    /// The LLM's time to first token.
    LlmTtft,
    /// First token to the first sentence sent to TTS (the framework's sentence aggregation).
    SentenceAggregation,
    /// The TTS's time to first byte.
    TtsTtfb,
    /// Forwarding the first audio frame until playback started (the audio transport).
    PlaybackStart,
}

impl TurnPart {
    /// Every part, in timeline order.
    pub const ALL: [TurnPart; 8] = [
        TurnPart::Endpointing,
        TurnPart::Transcription,
        TurnPart::OnUserTurnCompleted,
        TurnPart::Other,
        TurnPart::LlmTtft,
        TurnPart::SentenceAggregation,
        TurnPart::TtsTtfb,
        TurnPart::PlaybackStart,
    ];

    /// The attribute value, e.g. `llm_ttft`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TurnPart::Endpointing => "endpointing",
            TurnPart::Transcription => "transcription",
            TurnPart::OnUserTurnCompleted => "on_user_turn_completed",
            TurnPart::LlmTtft => "llm_ttft",
            TurnPart::SentenceAggregation => "sentence_aggregation",
            TurnPart::TtsTtfb => "tts_ttfb",
            TurnPart::PlaybackStart => "playback_start",
            TurnPart::Other => "other",
        }
    }

    /// Who owns this part's time.
    pub const fn owner(self) -> PartOwner {
        match self {
            TurnPart::Endpointing => PartOwner::Setting,
            TurnPart::Transcription | TurnPart::LlmTtft | TurnPart::TtsTtfb => PartOwner::Service,
            TurnPart::OnUserTurnCompleted | TurnPart::SentenceAggregation | TurnPart::Other => {
                PartOwner::Framework
            }
            TurnPart::PlaybackStart => PartOwner::Transport,
        }
    }
}

/// Who owns a part of a turn's latency: the `owner` attribute of the breakdown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, AttributeValue)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum PartOwner {
    /// A provider's model (named by the `model_provider` and `model_name` attributes).
    Service,
    /// A setting of the agent (the endpointing delay).
    Setting,
    /// The framework's own work, or the user's code it runs.
    #[default]
    Framework,
    /// Moving audio to the listener.
    Transport,
}

/// Why a turn's latency breakdown was not recorded: the `reason` attribute of
/// `lk.agents.turn.breakdown_skipped`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, AttributeValue)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum SkipReason {
    /// The reply's report has no `e2e_latency` (a `say()` that answered no user turn).
    #[default]
    MissingE2e,
    /// The reply's report has no `started_speaking_at`, so the turn cannot be placed in time.
    MissingTimestamps,
    /// A value is NaN, infinite, negative, or a part is larger than the whole turn.
    Inconsistent,
}

/// What exceeded a latency budget: the `scope` attribute of `lk.agents.turn.budget_exceeded`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, AttributeValue)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum BudgetScope {
    /// One turn, or one part of it, took longer than its threshold.
    #[default]
    Turn,
    /// The rolling p95 over the job's last turns exceeded the threshold.
    RollingP95,
}

/// `gen_ai.tool.type`: what kind of tool ran (the GenAI conventions' values). Labels
/// `gen_ai.execute_tool.duration` under the `gen_ai_latest_experimental` opt-in only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, AttributeValue)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ToolType {
    /// A function the agent's code defines and runs (a function tool).
    #[default]
    Function,
    /// A tool run by an agent-side extension, e.g. an MCP server.
    Extension,
    /// A tool that reads a data store (retrieval).
    Datastore,
}
