//! The derive at run time: every instrument kind, name, unit, bucket, attribute and `Debug`
//! string; a crate that renames the facade; and `docs/METRICS.md` kept in step with the catalog.

mod cases;
mod debug;
mod docs;
mod renamed_facade;
mod runtime;
