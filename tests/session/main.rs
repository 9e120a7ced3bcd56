//! The `agent_session` example's simulation end to end: exported over OTLP/HTTP to a receiver,
//! and against a collector that cannot be reached.

mod e2e_otlp;
mod unreachable;
