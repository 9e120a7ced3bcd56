//! Reliability: outages and carry-over, black holes, cardinality, conservation under load, fuzzed values, lifecycles and secrets under faults.
//!
//! One test binary per area: each binary links the whole dependency tree, so fewer binaries
//! build faster.

mod blackhole;
mod cardinality;
mod carry_over;
mod conservation;
mod edges;
mod fuzz;
mod lifecycle;
mod outage;
mod secrets;
