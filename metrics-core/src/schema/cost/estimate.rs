//! Applying a price table to a session's usage: what each model is billed for, and the totals.

use super::{ModelPrice, PriceTable};
use crate::usage::{ModelUsage, UsageCollector};

impl PriceTable {
    /// Applies the table to every model of `usage`, in [`UsageCollector::flatten`]'s order.
    pub fn estimate(&self, usage: &UsageCollector) -> CostEstimate {
        let models = usage
            .flatten()
            .iter()
            .map(|usage| self.model_cost(usage))
            .collect();
        CostEstimate {
            currency: self.currency.clone(),
            as_of: self.as_of.clone(),
            models,
        }
    }

    fn model_cost(&self, usage: &ModelUsage) -> ModelCost {
        let (kind, provider, model) = usage_key(usage);
        let listed = self.get(provider, model);
        let none = ModelPrice::default();
        let price = listed.unwrap_or(&none);
        let mut cost = ModelCost {
            kind,
            provider: provider.to_owned(),
            model: model.to_owned(),
            listed: listed.is_some(),
            charges: Vec::new(),
            unpriced: Vec::new(),
        };
        for (quantity, amount) in quantities(usage, price) {
            if amount <= 0.0 {
                continue;
            }
            match price.unit_price(quantity) {
                Some(unit) => cost.charges.push(Charge {
                    quantity,
                    amount,
                    cost: amount * unit,
                }),
                None => cost.unpriced.push((quantity, amount)),
            }
        }
        cost
    }
}

fn usage_key(usage: &ModelUsage) -> (&'static str, &str, &str) {
    match usage {
        ModelUsage::Llm(u) => ("llm", &u.provider, &u.model),
        ModelUsage::Tts(u) => ("tts", &u.provider, &u.model),
        ModelUsage::Stt(u) => ("stt", &u.provider, &u.model),
        ModelUsage::Interruption(u) => ("interruption", &u.provider, &u.model),
        ModelUsage::Eot(u) => ("eot", &u.provider, &u.model),
    }
}

/// What `usage` is billed for under `price`. Token totals include their cached and audio parts
/// (as the framework's plugins report them), so each part priced apart is taken out of the total
/// it belongs to, and a part with no price of its own stays in that total.
fn quantities(usage: &ModelUsage, price: &ModelPrice) -> Vec<(Quantity, f64)> {
    use Quantity::*;
    let split_audio_in = price.audio_input_per_million.is_some();
    let split_audio_out = price.audio_output_per_million.is_some();
    let split_writes = price.cache_write_per_million.is_some();
    let tokens = |n: u64| n as f64;
    match usage {
        ModelUsage::Llm(u) => {
            let input = u.input_tokens;
            let audio_in = if split_audio_in {
                u.input_audio_tokens.min(input)
            } else {
                0
            };
            let audio_cached = if split_audio_in {
                u.input_cached_audio_tokens.min(audio_in)
            } else {
                0
            };
            let rest = input - audio_in;
            let cached = u
                .input_cached_tokens
                .min(input)
                .saturating_sub(audio_cached)
                .min(rest);
            let writes = if split_writes {
                u.input_cache_creation_tokens.min(rest - cached)
            } else {
                0
            };
            let audio_out = if split_audio_out {
                u.output_audio_tokens.min(u.output_tokens)
            } else {
                0
            };
            vec![
                (InputTokens, tokens(rest - cached - writes)),
                (CachedInputTokens, tokens(cached)),
                (CacheWriteTokens, tokens(writes)),
                (AudioInputTokens, tokens(audio_in - audio_cached)),
                (CachedAudioInputTokens, tokens(audio_cached)),
                (OutputTokens, tokens(u.output_tokens - audio_out)),
                (AudioOutputTokens, tokens(audio_out)),
                (SessionSeconds, u.session_duration),
            ]
        }
        ModelUsage::Tts(u) => vec![
            (InputTokens, tokens(u.input_tokens)),
            (OutputTokens, tokens(u.output_tokens)),
            (Characters, tokens(u.characters_count)),
            (AudioSeconds, u.audio_duration),
        ],
        ModelUsage::Stt(u) => {
            let audio_in = if split_audio_in {
                u.input_audio_tokens.min(u.input_tokens)
            } else {
                0
            };
            vec![
                (InputTokens, tokens(u.input_tokens - audio_in)),
                (AudioInputTokens, tokens(audio_in)),
                (OutputTokens, tokens(u.output_tokens)),
                (AudioSeconds, u.audio_duration),
            ]
        }
        ModelUsage::Interruption(u) => vec![(Requests, tokens(u.total_requests))],
        ModelUsage::Eot(u) => vec![(Requests, tokens(u.total_requests))],
    }
}

/// A billed quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Quantity {
    /// Input tokens not read from or written to the cache.
    InputTokens,
    /// Input tokens read from the cache.
    CachedInputTokens,
    /// Input tokens written to the cache.
    CacheWriteTokens,
    /// Output tokens.
    OutputTokens,
    /// Audio input tokens not read from the cache.
    AudioInputTokens,
    /// Audio input tokens read from the cache.
    CachedAudioInputTokens,
    /// Audio output tokens.
    AudioOutputTokens,
    /// Characters synthesized.
    Characters,
    /// Seconds of audio.
    AudioSeconds,
    /// Connected seconds of a realtime session.
    SessionSeconds,
    /// Requests.
    Requests,
}

/// One priced quantity of one model.
#[derive(Clone, Debug, PartialEq)]
pub struct Charge {
    /// What was billed.
    pub quantity: Quantity,
    /// How much of it (tokens, characters, seconds or requests).
    pub amount: f64,
    /// `amount` times its price, in the table's currency.
    pub cost: f64,
}

/// The estimate for one model of the session.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelCost {
    /// `llm`, `tts`, `stt`, `interruption` or `eot`: which usage table the model is in.
    pub kind: &'static str,
    /// The provider.
    pub provider: String,
    /// The model.
    pub model: String,
    /// Whether the price table lists the model at all.
    pub listed: bool,
    /// The priced quantities.
    pub charges: Vec<Charge>,
    /// Usage with no price: all of it when the model is not listed; for a listed model, the
    /// quantities its entry does not price (a voice billed per character has audio seconds too),
    /// which it is not billed for.
    pub unpriced: Vec<(Quantity, f64)>,
}

impl ModelCost {
    /// The sum of the charges; unpriced usage adds nothing.
    pub fn total(&self) -> f64 {
        self.charges.iter().map(|c| c.cost).sum()
    }

    /// Whether the table prices this model's usage: it lists the model, and when the model was
    /// used, at least one of its quantities has a price (an entry that prices nothing the model
    /// used is as good as a missing one).
    pub fn is_priced(&self) -> bool {
        self.listed && (!self.charges.is_empty() || self.unpriced.is_empty())
    }
}

/// The estimate for a session: one [`ModelCost`] per model used.
#[derive(Clone, Debug, PartialEq)]
pub struct CostEstimate {
    /// The table's currency.
    pub currency: String,
    /// The table's date.
    pub as_of: Option<String>,
    /// Every model of the session's usage.
    pub models: Vec<ModelCost>,
}

impl CostEstimate {
    /// The session's priced total; see [`is_complete`](Self::is_complete) for what it leaves out.
    pub fn total(&self) -> f64 {
        self.models.iter().map(ModelCost::total).sum()
    }

    /// Whether every model of the session [is priced](ModelCost::is_priced), so that
    /// [`total`](Self::total) covers the whole session.
    pub fn is_complete(&self) -> bool {
        self.models.iter().all(ModelCost::is_priced)
    }

    /// The models the table does not price, to report rather than guess.
    pub fn unpriced_models(&self) -> impl Iterator<Item = &ModelCost> {
        self.models.iter().filter(|m| !m.is_priced())
    }
}
