//! What a session cost: a price table the user supplies, applied to [`UsageCollector`]'s totals.
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

use std::fmt;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use crate::usage::{ModelUsage, UsageCollector};

/// Prices per (provider, model), in one currency.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct PriceTable {
    /// The currency every price is in (`"USD"`); printed with the estimate, never converted.
    pub currency: String,
    /// The date the prices were read off the providers' pages, printed with the estimate.
    #[cfg_attr(feature = "serde", serde(default))]
    pub as_of: Option<String>,
    /// Free text: where the prices come from.
    #[cfg_attr(feature = "serde", serde(default))]
    pub note: Option<String>,
    /// One entry per (provider, model), matched exactly against the events' `Metadata`.
    pub models: Vec<ModelPrice>,
}

/// The prices of one model. A price left out means the model is not billed for that quantity
/// (it is kept in [`ModelCost::unpriced`]). Token prices are per million tokens, as providers
/// publish them; token totals include their cached and audio parts, and a part priced apart is
/// taken out of the total it belongs to.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct ModelPrice {
    /// `Metadata::model_provider`.
    pub provider: String,
    /// `Metadata::model_name`.
    pub model: String,
    /// Input tokens not read from the cache (text, and audio too when no audio price is given).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub input_per_million: Option<f64>,
    /// Input tokens read from the cache; without it they cost `input_per_million` (no discount).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub cached_input_per_million: Option<f64>,
    /// Input tokens written to the cache; without it they cost `input_per_million`.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub cache_write_per_million: Option<f64>,
    /// Output tokens (text, and audio too when no audio output price is given).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub output_per_million: Option<f64>,
    /// Audio input tokens (realtime models); with it, audio input is priced apart from text.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub audio_input_per_million: Option<f64>,
    /// Cached audio input tokens; without it they cost `audio_input_per_million`.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub cached_audio_input_per_million: Option<f64>,
    /// Audio output tokens; with it, audio output is priced apart from text.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub audio_output_per_million: Option<f64>,
    /// Characters synthesized (TTS).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub per_character: Option<f64>,
    /// Seconds of audio synthesized (TTS) or transcribed (STT).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub per_audio_second: Option<f64>,
    /// Connected seconds of session-billed realtime models.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub per_session_second: Option<f64>,
    /// Requests (interruption detection, end-of-turn models).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub per_request: Option<f64>,
}

impl ModelPrice {
    /// A model with no prices yet; set the ones it has with `..ModelPrice::new(..)`.
    pub fn new(provider: &str, model: &str) -> Self {
        ModelPrice {
            provider: provider.to_owned(),
            model: model.to_owned(),
            ..Default::default()
        }
    }

    fn prices(&self) -> [(&'static str, Option<f64>); 11] {
        [
            ("input_per_million", self.input_per_million),
            ("cached_input_per_million", self.cached_input_per_million),
            ("cache_write_per_million", self.cache_write_per_million),
            ("output_per_million", self.output_per_million),
            ("audio_input_per_million", self.audio_input_per_million),
            (
                "cached_audio_input_per_million",
                self.cached_audio_input_per_million,
            ),
            ("audio_output_per_million", self.audio_output_per_million),
            ("per_character", self.per_character),
            ("per_audio_second", self.per_audio_second),
            ("per_session_second", self.per_session_second),
            ("per_request", self.per_request),
        ]
    }

    /// The price of one unit of `quantity`, after the documented fallbacks.
    fn unit_price(&self, quantity: Quantity) -> Option<f64> {
        let per_million = |price: Option<f64>| price.map(|p| p / 1e6);
        match quantity {
            Quantity::InputTokens => per_million(self.input_per_million),
            Quantity::CachedInputTokens => {
                per_million(self.cached_input_per_million.or(self.input_per_million))
            }
            Quantity::CacheWriteTokens => {
                per_million(self.cache_write_per_million.or(self.input_per_million))
            }
            Quantity::OutputTokens => per_million(self.output_per_million),
            Quantity::AudioInputTokens => per_million(self.audio_input_per_million),
            Quantity::CachedAudioInputTokens => per_million(
                self.cached_audio_input_per_million
                    .or(self.audio_input_per_million),
            ),
            Quantity::AudioOutputTokens => per_million(self.audio_output_per_million),
            Quantity::Characters => self.per_character,
            Quantity::AudioSeconds => self.per_audio_second,
            Quantity::SessionSeconds => self.per_session_second,
            Quantity::Requests => self.per_request,
        }
    }
}

/// Why a price table cannot be used.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PriceError {
    /// The JSON does not parse, or has a field this table does not know (a misspelled price
    /// would otherwise be silently unpriced).
    Json(String),
    /// A price is negative, NaN or infinite.
    Invalid {
        /// The model's provider.
        provider: String,
        /// The model.
        model: String,
        /// The price's field name.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// Two entries for one (provider, model): which one applies would be a guess.
    Duplicate {
        /// The model's provider.
        provider: String,
        /// The model.
        model: String,
    },
}

impl fmt::Display for PriceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PriceError::Json(why) => write!(f, "price table: {why}"),
            PriceError::Invalid {
                provider,
                model,
                field,
                value,
            } => write!(
                f,
                "price table: {provider}/{model}: `{field}` is {value}; prices are finite and not negative"
            ),
            PriceError::Duplicate { provider, model } => {
                write!(f, "price table: {provider}/{model} is listed twice")
            }
        }
    }
}

impl std::error::Error for PriceError {}

impl PriceTable {
    /// Reads a table from JSON (the shape of `examples/prices.json`) and [validates](Self::validate) it.
    #[cfg(feature = "serde")]
    pub fn from_json(text: &str) -> Result<Self, PriceError> {
        let table: PriceTable =
            serde_json::from_str(text).map_err(|e| PriceError::Json(e.to_string()))?;
        table.validate()?;
        Ok(table)
    }

    /// Every price finite and not negative; every (provider, model) listed once.
    pub fn validate(&self) -> Result<(), PriceError> {
        for (i, entry) in self.models.iter().enumerate() {
            for (field, price) in entry.prices() {
                if let Some(value) = price.filter(|p| !p.is_finite() || *p < 0.0) {
                    return Err(PriceError::Invalid {
                        provider: entry.provider.clone(),
                        model: entry.model.clone(),
                        field,
                        value,
                    });
                }
            }
            if self.models[..i]
                .iter()
                .any(|e| (&e.provider, &e.model) == (&entry.provider, &entry.model))
            {
                return Err(PriceError::Duplicate {
                    provider: entry.provider.clone(),
                    model: entry.model.clone(),
                });
            }
        }
        Ok(())
    }

    /// The prices of `provider`/`model`, matched exactly.
    pub fn get(&self, provider: &str, model: &str) -> Option<&ModelPrice> {
        self.models
            .iter()
            .find(|p| p.provider == provider && p.model == model)
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    fn usage(events: &[AgentMetrics]) -> UsageCollector {
        let mut usage = UsageCollector::default();
        events.iter().for_each(|e| usage.collect(e));
        usage
    }

    fn llm(provider: &str, model: &str, prompt: u64, cached: u64, writes: u64) -> AgentMetrics {
        AgentMetrics::Llm(LLMMetrics {
            prompt_tokens: prompt,
            prompt_cached_tokens: cached,
            cache_creation_tokens: writes,
            completion_tokens: 100,
            metadata: Some(Metadata::new(provider, model)),
            ..Default::default()
        })
    }

    fn table(models: Vec<ModelPrice>) -> PriceTable {
        PriceTable {
            currency: "USD".into(),
            models,
            ..Default::default()
        }
    }

    #[test]
    fn cached_tokens_cost_the_input_price_unless_discounted() {
        let usage = usage(&[llm("p", "m", 1_000_000, 400_000, 0)]);
        let plain = ModelPrice {
            input_per_million: Some(1.0),
            output_per_million: Some(10.0),
            ..ModelPrice::new("p", "m")
        };
        let discounted = ModelPrice {
            cached_input_per_million: Some(0.1),
            ..plain.clone()
        };
        assert!(close(
            table(vec![plain]).estimate(&usage).total(),
            1.0 + 0.001
        ));
        let estimate = table(vec![discounted]).estimate(&usage);
        assert!(close(estimate.total(), 0.6 + 0.04 + 0.001));
        assert!(estimate.is_complete());
    }

    #[test]
    fn cache_writes_are_taken_out_of_input_only_when_priced_apart() {
        let usage = usage(&[llm("p", "m", 1_000_000, 200_000, 300_000)]);
        let price = ModelPrice {
            input_per_million: Some(3.0),
            cached_input_per_million: Some(0.3),
            output_per_million: Some(15.0),
            ..ModelPrice::new("p", "m")
        };
        let writes = ModelPrice {
            cache_write_per_million: Some(3.75),
            ..price.clone()
        };
        let out = 100.0 * 15.0 / 1e6;
        let without = table(vec![price]).estimate(&usage).total();
        assert!(close(without, 0.8 * 3.0 + 0.2 * 0.3 + out));
        let with = table(vec![writes]).estimate(&usage).total();
        assert!(close(with, 0.5 * 3.0 + 0.2 * 0.3 + 0.3 * 3.75 + out));
    }

    #[test]
    fn audio_tokens_are_priced_apart_when_the_table_says_so() {
        let event = AgentMetrics::Realtime(RealtimeModelMetrics {
            input_tokens: 1_000,
            input_token_details: InputTokenDetails {
                audio_tokens: 800,
                text_tokens: 200,
                cached_tokens: 300,
                cached_tokens_details: Some(CachedTokenDetails {
                    audio_tokens: 100,
                    text_tokens: 200,
                    ..Default::default()
                }),
                ..Default::default()
            },
            output_tokens: 500,
            output_token_details: OutputTokenDetails {
                audio_tokens: 400,
                text_tokens: 100,
                ..Default::default()
            },
            session_duration: 10.0,
            metadata: Some(Metadata::new("openai", "rt")),
            ..Default::default()
        });
        let usage = usage(&[event]);
        let text_only = ModelPrice {
            input_per_million: Some(4.0),
            cached_input_per_million: Some(0.4),
            output_per_million: Some(16.0),
            ..ModelPrice::new("openai", "rt")
        };
        let audio = ModelPrice {
            audio_input_per_million: Some(32.0),
            cached_audio_input_per_million: Some(0.5),
            audio_output_per_million: Some(64.0),
            ..text_only.clone()
        };
        // Without audio prices every token is a text token, and the session seconds are unbilled.
        let estimate = table(vec![text_only]).estimate(&usage);
        assert!(close(
            estimate.total(),
            (700.0 * 4.0 + 300.0 * 0.4 + 500.0 * 16.0) / 1e6
        ));
        assert_eq!(
            estimate.models[0].unpriced,
            vec![(Quantity::SessionSeconds, 10.0)]
        );
        assert!(estimate.is_complete());
        let estimate = table(vec![audio]).estimate(&usage);
        let text = 0.0 * 4.0 + 200.0 * 0.4;
        let audio_in = 700.0 * 32.0 + 100.0 * 0.5;
        let out = 100.0 * 16.0 + 400.0 * 64.0;
        assert!(close(estimate.total(), (text + audio_in + out) / 1e6));
    }

    #[test]
    fn a_model_missing_from_the_table_is_reported_not_guessed() {
        let stt = AgentMetrics::Stt(STTMetrics {
            audio_duration: 12.5,
            metadata: Some(Metadata::new("acme", "ears-1")),
            ..Default::default()
        });
        let usage = usage(&[llm("p", "m", 1_000, 0, 0), stt]);
        let prices = table(vec![ModelPrice {
            input_per_million: Some(1.0),
            output_per_million: Some(1.0),
            ..ModelPrice::new("p", "m")
        }]);
        let estimate = prices.estimate(&usage);
        assert!(!estimate.is_complete());
        assert!(close(estimate.total(), 1_100.0 / 1e6));
        let missing: Vec<_> = estimate.unpriced_models().map(|m| &m.model).collect();
        assert_eq!(missing, ["ears-1"]);
        let text = estimate.to_string();
        assert!(text.contains("  llm p/m"), "{text}");
        assert!(
            text.contains("session total (priced models only)"),
            "{text}"
        );
        assert!(
            text.contains(
                "not priced: stt acme/ears-1: not in the price table (12.500 audio seconds)"
            ),
            "{text}"
        );
        assert!(!text.contains("stt acme/ears-1  "), "{text}");
    }

    #[test]
    fn an_entry_that_prices_nothing_the_model_used_is_reported() {
        let tts = AgentMetrics::Tts(TTSMetrics {
            characters_count: 40,
            metadata: Some(Metadata::new("acme", "voice")),
            ..Default::default()
        });
        let prices = table(vec![ModelPrice {
            per_audio_second: Some(0.01),
            ..ModelPrice::new("acme", "voice")
        }]);
        let estimate = prices.estimate(&usage(&[tts]));
        assert!(!estimate.is_complete());
        assert!(
            estimate.to_string().contains(
                "not priced: tts acme/voice: the price table has no price for its usage (40 characters)"
            ),
            "{estimate}"
        );
    }

    #[test]
    fn prices_must_be_finite_non_negative_and_listed_once() {
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let prices = table(vec![ModelPrice {
                per_request: Some(bad),
                ..ModelPrice::new("p", "m")
            }]);
            assert!(matches!(
                prices.validate(),
                Err(PriceError::Invalid {
                    field: "per_request",
                    ..
                })
            ));
        }
        let twice = table(vec![ModelPrice::new("p", "m"), ModelPrice::new("p", "m")]);
        assert_eq!(
            twice.validate().unwrap_err().to_string(),
            "price table: p/m is listed twice"
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn json_tables_refuse_unknown_fields() {
        let ok = r#"{"currency": "EUR", "models": [
            {"provider": "p", "model": "m", "per_request": 0.5}]}"#;
        let table = PriceTable::from_json(ok).unwrap();
        assert_eq!(table.get("p", "m").unwrap().per_request, Some(0.5));
        let typo = r#"{"currency": "EUR", "models": [
            {"provider": "p", "model": "m", "per_requests": 0.5}]}"#;
        let error = PriceTable::from_json(typo).unwrap_err().to_string();
        assert!(error.contains("unknown field `per_requests`"), "{error}");
        let negative = r#"{"currency": "EUR", "models": [
            {"provider": "p", "model": "m", "per_request": -0.5}]}"#;
        assert!(matches!(
            PriceTable::from_json(negative),
            Err(PriceError::Invalid { .. })
        ));
    }
}
