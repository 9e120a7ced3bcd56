//! The schema: instruments, recording rules, Debug, JSON, GenAI attributes, invalid values and job attribution.
//!
//! One test binary per area: each binary links the whole dependency tree, so fewer binaries
//! build faster.

mod attempts;
mod bound_equivalence;
mod debug;
mod genai_provider;
mod instruments;
mod invalid_values;
mod job_attribution;
mod json;
mod parity_1_8_9;
mod recording;
mod turns;
