//! Export: OTLP, LiveKit Cloud, Prometheus, the environment, secrets, shutdown and job flushing.
//!
//! One test binary per area: each binary links the whole dependency tree, so fewer binaries
//! build faster.

mod cloud;
mod env;
mod job_lifecycle;
mod otlp;
mod prometheus;
mod secrets;
mod shutdown;
mod spec;
