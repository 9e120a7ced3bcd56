//! The runtime helpers: the connection pool and the stall monitor.
//!
//! One test binary per area: each binary links the whole dependency tree, so fewer binaries
//! build faster.

mod cache;
mod pool;
mod stall;
