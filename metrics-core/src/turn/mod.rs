//! Why a turn was slow, and how it ended: each turn's latency in parts that add up, its
//! outcome, and a latency budget the agent can act on. [`TurnTracker`] does all three for one
//! session, on top of recording every report and event exactly as [`MetricsRecorder`] does.
//!
//! # The timeline
//!
//! A turn's end-to-end latency (`e2e_latency`) runs from the end of the user's speech to the
//! start of the reply's playback. The framework reports it in two reports: the user's (end of
//! turn, transcription, `on_user_turn_completed`) and the reply's (LLM, TTS, playback, e2e).
//! [`TurnStages`] lays both on one timeline, in seconds from the end of speech:
//!
//! ```text
//!  user stops                                                         reply plays
//!  speaking                                                            (e2e_latency)
//!  |--- endpointing ---|- transcription -|- callback -|- other -|- llm_ttft -|- sentence -|- tts_ttfb -|- playback -|
//!  0                  eot               td         +cb                    ttft     aggregation      ttfb       start
//!  \_____________ the user's stages, forward from 0 ___________/          \____ the reply's stages, backward from e2e ____/
//! ```
//!
//! - **endpointing** (owner `setting`): the silence the turn detector waited for, up to its
//!   end-of-turn decision (`end_of_turn_delay`).
//! - **transcription** (`service`, the STT): the wait for the final transcript *after* the
//!   decision. A transcript that arrived before the decision was ready in time, and costs the
//!   turn nothing.
//! - **on_user_turn_completed** (`framework`): the callback.
//! - **llm_ttft** (`service`, the LLM), **sentence_aggregation** (`framework`: first token to
//!   the first sentence sent to TTS, `llm_node_ttfs - llm_node_ttft`), **tts_ttfb** (`service`,
//!   the TTS), **playback_start** (`transport`: `playback_latency`), laid end to end backward
//!   from the start of playback.
//! - **other** (`framework`): the time between the two chains that no stage explains, never
//!   spread over the others.
//!
//! Where the chains overlap (a preemptive generation started before the end-of-turn decision,
//! or even before the user stopped speaking), each instant is counted once, for the reply's
//! stage: the reply was what the turn waited on last. The parts (those longer than zero) add up
//! to `e2e_latency` to within float rounding, none is negative, and the model that owns a
//! `service` part is named with its `model_provider` and `model_name`.
//!
//! A reply without `e2e_latency` (a `say()` answering no user turn), or without
//! `started_speaking_at`, gets no breakdown and is counted in `lk.agents.turn.breakdown_skipped`;
//! so is a turn with a NaN, infinite or negative value, or a part longer than the whole turn,
//! which is also counted in `agent_metrics.dropped_values` with its reason. Nothing panics.
//!
//! # Exported
//!
//! | instrument | what |
//! |---|---|
//! | `lk.agents.turn.latency_breakdown` | histogram (s) by `part`, `owner`, `model_provider`, `model_name`: per interval, its sum over parts equals `lk.agents.turn.e2e_latency`'s sum for the same turns |
//! | `lk.agents.turn.breakdown_skipped` | counter by `reason` |
//! | `lk.agents.turn.outcomes` | counter by `end_reason`: `completed`, `interrupted`, `cancelled`, `session_closed` |
//! | `lk.agents.turn.spoken_fraction` | histogram (1) by `end_reason` |
//! | `lk.agents.session.interruptions` | counter by `interrupted_by`: `user`, `agent` (per session through the job attributes) |
//! | `lk.agents.turn.budget_exceeded` | counter by `part` and `scope` (`turn`, `rolling_p95`) |
//!
//! [`MetricsRecorder`]: crate::MetricsRecorder

mod breakdown;
mod budget;
mod tracker;

pub use breakdown::{Breakdown, Part, Skip, TurnStages};
pub use budget::{Breach, LatencyBudget, Rolling, Verdict};
pub use tracker::{TurnAnalysis, TurnStats, TurnTracker};
