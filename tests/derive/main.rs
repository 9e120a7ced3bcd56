//! The derive at run time: every instrument kind, name, unit, bucket, attribute and `Debug`
//! string; a crate that renames the facade; and the artifacts generated from the catalog kept in
//! step with it: `docs/METRICS.md`, the Prometheus rules (with their promtool tests) and the
//! compatibility gate against the released `docs/catalog.json`.

mod cases;
#[cfg(feature = "serde")]
mod compat;
mod conflicts;
mod debug;
mod docs;
mod renamed_facade;
mod rules;
mod runtime;
