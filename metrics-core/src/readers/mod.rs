//! In-process readers: what a program or a test reads back without a collector.
//!
//! - [`capture`]: a reader that turns what the SDK aggregated into plain data points;
//! - [`summary`]: a readable table of those points.

pub mod capture;
pub mod summary;
