//! The price table: prices per (provider, model), and the price of one unit of a quantity.

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use super::Quantity;

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
/// (it is kept in [`ModelCost::unpriced`](super::ModelCost::unpriced)). Token prices are per million tokens, as providers
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

    pub(super) fn prices(&self) -> [(&'static str, Option<f64>); 11] {
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
    pub(super) fn unit_price(&self, quantity: Quantity) -> Option<f64> {
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
impl PriceTable {
    /// The prices of `provider`/`model`, matched exactly.
    pub fn get(&self, provider: &str, model: &str) -> Option<&ModelPrice> {
        self.models
            .iter()
            .find(|p| p.provider == provider && p.model == model)
    }
}
