//! What a session cost: a price table the user supplies, applied to the totals of
//! [`UsageCollector`](crate::usage::UsageCollector).
//!
//! Prices change and differ per contract, so none are built in and none are fetched: the table
//! is the user's (JSON with the `serde` feature, see `PriceTable::from_json`, or built in code).
//! A model the table does not list is reported as not priced, never guessed; so is a listed model
//! whose entry prices none of what it used. A listed model is billed for the quantities its entry
//! prices and nothing else (a voice billed per character is not billed for its audio seconds).
//!
//! ```
//! use agent_metrics::cost::{ModelPrice, PriceTable};
//! use agent_metrics::schema::{AgentMetrics, Metadata, TTSMetrics};
//! use agent_metrics::usage::UsageCollector;
//!
//! let mut usage = UsageCollector::default();
//! usage.collect(&AgentMetrics::Tts(TTSMetrics {
//!     characters_count: 1_000,
//!     metadata: Some(Metadata::new("acme", "voice-1")),
//!     ..Default::default()
//! }));
//! let prices = PriceTable {
//!     currency: "USD".into(),
//!     models: vec![ModelPrice {
//!         per_character: Some(0.000_03),
//!         ..ModelPrice::new("acme", "voice-1")
//!     }],
//!     ..Default::default()
//! };
//! let estimate = prices.estimate(&usage);
//! assert!((estimate.total() - 0.03).abs() < 1e-12);
//! assert!(estimate.is_complete());
//! ```
//!
//! `table` holds the prices, `read` their JSON reading and validation, `estimate` the priced
//! usage and `report` how an estimate is printed.

mod estimate;
mod read;
mod report;
mod table;
#[cfg(test)]
mod tests;

pub use estimate::{Charge, CostEstimate, ModelCost, Quantity};
pub use read::PriceError;
pub use table::{ModelPrice, PriceTable};
