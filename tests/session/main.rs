//! The `agent_session` example's simulation end to end: exported over OTLP/HTTP to a receiver,
//! against a collector that cannot be reached, and its cost from the shipped price table; the
//! example programs' command lines.

mod cost;
mod e2e_otlp;
mod genai_conventions;
mod programs;
mod turns;
mod unreachable;
