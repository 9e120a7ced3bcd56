//! How an estimate reads: one line per priced model, the total, then what is not priced.

use std::fmt;

use super::{CostEstimate, ModelCost, Quantity};

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Quantity::InputTokens => "input tokens",
            Quantity::CachedInputTokens => "cached input tokens",
            Quantity::CacheWriteTokens => "cache write tokens",
            Quantity::OutputTokens => "output tokens",
            Quantity::AudioInputTokens => "audio input tokens",
            Quantity::CachedAudioInputTokens => "cached audio input tokens",
            Quantity::AudioOutputTokens => "audio output tokens",
            Quantity::Characters => "characters",
            Quantity::AudioSeconds => "audio seconds",
            Quantity::SessionSeconds => "session seconds",
            Quantity::Requests => "requests",
        })
    }
}
/// One line per priced model, the session total, then every model the table does not price.
impl fmt::Display for CostEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |m: &ModelCost| format!("{} {}/{}", m.kind, m.provider, m.model);
        let width = self.models.iter().map(|m| name(m).len()).max().unwrap_or(0);
        let currency = &self.currency;
        for m in self.models.iter().filter(|m| m.is_priced()) {
            writeln!(f, "  {:<width$}  {:>12.6} {currency}", name(m), m.total())?;
        }
        let total = if self.is_complete() {
            "session total"
        } else {
            "session total (priced models only)"
        };
        writeln!(f, "  {total:<width$}  {:>12.6} {currency}", self.total())?;
        for m in self.unpriced_models() {
            let usage = m
                .unpriced
                .iter()
                .map(|(quantity, amount)| format!("{} {quantity}", Amount(*amount)))
                .collect::<Vec<_>>()
                .join(", ");
            let why = if m.listed {
                "the price table has no price for its usage"
            } else {
                "not in the price table"
            };
            writeln!(f, "  not priced: {}: {why} ({usage})", name(m))?;
        }
        Ok(())
    }
}

/// Whole amounts as integers, fractional ones (seconds) to the millisecond.
struct Amount(f64);

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.fract() == 0.0 {
            write!(f, "{:.0}", self.0)
        } else {
            write!(f, "{:.3}", self.0)
        }
    }
}
