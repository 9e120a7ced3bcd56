//! The schema's attribute sets and values: which model, tool or severity a measurement is
//! labelled with.

use std::sync::Arc;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use crate::{AttributeValue, Attributes};

/// A model or provider id: cheap to clone into every data point's attributes.
pub type ModelId = Arc<str>;

/// Which model produced a value: the `model_provider` / `model_name` attributes of usage and
/// connection metrics. `None` and empty strings are left out, as the Python framework's
/// `_to_attributes` skips falsy values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Attributes)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct Metadata {
    /// The model id, as the plugin reports it.
    #[attr(skip_empty)]
    pub model_name: Option<ModelId>,
    /// The provider id, as the plugin reports it.
    #[attr(skip_empty)]
    pub model_provider: Option<ModelId>,
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
    pub model_name: Option<ModelId>,
    /// The provider id.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub model_provider: Option<ModelId>,
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
