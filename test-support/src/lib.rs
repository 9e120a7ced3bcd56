//! What the workspace's tests, benches and examples share, in one place (never published):
//!
//! - [`sim`]: the simulated agent session the `agent_session` example runs, and [`exit`], how
//!   that example ends;
//! - [`export_receiver`]: an in-process OTLP/HTTP receiver that decodes what we export (it proves
//!   our encoder agrees with the OTLP protobuf definitions, not that third-party receivers
//!   accept it: the export tests run against those too);
//! - [`fixtures`] and [`events`]: complete, valid events, adjusted per test with struct update
//!   syntax;
//! - [`reliability_support`]: pipelines, totals and log capture for the fault tests;
//! - [`promtool`]: generated PromQL checked by Prometheus' own `promtool`;
//! - [`python_otlp`]: a third-party OTLP receiver, gRPC or HTTP (the OpenTelemetry Python
//!   protobuf bindings served by `grpcio` or Python's HTTP server);
//! - [`scrape`]: a Prometheus endpoint read as Prometheus reads it, against the catalog's names;
//! - [`on_event`]: a `tracing` subscriber that hands each event to a closure;
//! - [`alone`]: one test run in a child process, away from the others of its binary.

pub mod alone;
pub mod events;
pub mod exit;
pub mod export_receiver;
pub mod fixtures;
pub mod on_event;
pub mod promtool;
pub mod python_otlp;
pub mod reliability_support;
pub mod scrape;
pub mod sim;
