//! The runtime helpers: the connection pool, the stall monitor and the worker.
//!
//! One test binary per area: each binary links the whole dependency tree, so fewer binaries
//! build faster.

mod cache;
mod pool;
mod stall;
mod worker;
