//! Session usage per (provider, model), as the Python framework's `ModelUsageCollector` keeps it
//! (`docs/PYTHON-PARITY.md` §6): what a session cost, independent of any exporter.

use std::fmt;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use crate::schema::{AgentMetrics, Metadata};

/// Defines a usage struct whose `Debug` drops zero values, as the Python usage `__repr__` does:
/// provider and model are always shown, every number only when it is not 0.
macro_rules! usage {
    ($(#[$doc:meta])* $name:ident, $tag:literal { $($(#[$fdoc:meta])* $field:ident: $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Default, PartialEq)]
        #[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
        #[cfg_attr(feature = "serde", serde(tag = "type", rename = $tag, default))]
        pub struct $name {
            /// The provider, `""` when the event had none.
            pub provider: String,
            /// The model, `""` when the event had none.
            pub model: String,
            $($(#[$fdoc])* pub $field: $ty,)*
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut s = f.debug_struct(stringify!($name));
                s.field("provider", &self.provider).field("model", &self.model);
                $(if self.$field != <$ty>::default() { s.field(stringify!($field), &self.$field); })*
                s.finish()
            }
        }

        impl $name {
            fn keyed(provider: &str, model: &str) -> Self {
                $name { provider: provider.to_owned(), model: model.to_owned(), ..Default::default() }
            }
        }
    };
}

usage!(
    /// LLM and realtime-model usage (`llm_usage`).
    LLMModelUsage, "llm_usage" {
        /// Input tokens.
        input_tokens: u64,
        /// Input tokens read from the cache.
        input_cached_tokens: u64,
        /// Input tokens written to the cache.
        input_cache_creation_tokens: u64,
        /// Input audio tokens.
        input_audio_tokens: u64,
        /// Cached input audio tokens.
        input_cached_audio_tokens: u64,
        /// Input text tokens.
        input_text_tokens: u64,
        /// Cached input text tokens.
        input_cached_text_tokens: u64,
        /// Input image tokens.
        input_image_tokens: u64,
        /// Cached input image tokens.
        input_cached_image_tokens: u64,
        /// Output tokens.
        output_tokens: u64,
        /// Output audio tokens.
        output_audio_tokens: u64,
        /// Output text tokens.
        output_text_tokens: u64,
        /// Output tokens spent on reasoning (part of `output_tokens`).
        output_reasoning_tokens: u64,
        /// Connected time of session-billed models, seconds.
        session_duration: f64,
    }
);

usage!(
    /// Text-to-speech usage (`tts_usage`).
    TTSModelUsage, "tts_usage" {
        /// Input tokens.
        input_tokens: u64,
        /// Output tokens.
        output_tokens: u64,
        /// Characters synthesized.
        characters_count: u64,
        /// Audio synthesized, seconds.
        audio_duration: f64,
    }
);

usage!(
    /// Speech-to-text usage (`stt_usage`).
    STTModelUsage, "stt_usage" {
        /// Input tokens.
        input_tokens: u64,
        /// The audio part of the input tokens.
        input_audio_tokens: u64,
        /// Output tokens.
        output_tokens: u64,
        /// Audio transcribed, seconds.
        audio_duration: f64,
    }
);

usage!(
    /// Interruption-detection usage (`interruption_usage`).
    InterruptionModelUsage, "interruption_usage" {
        /// Requests sent.
        total_requests: u64,
    }
);

usage!(
    /// End-of-turn model usage (`eot_usage`).
    EOTModelUsage, "eot_usage" {
        /// Requests sent.
        total_requests: u64,
    }
);

/// One entry of [`UsageCollector::flatten`]; in JSON, `type` selects the variant.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
// Each usage struct writes its own `type` tag; reading dispatches on it (see `tagged`).
#[cfg_attr(feature = "serde", serde(untagged))]
pub enum ModelUsage {
    /// LLM and realtime usage.
    Llm(LLMModelUsage),
    /// TTS usage.
    Tts(TTSModelUsage),
    /// STT usage.
    Stt(STTModelUsage),
    /// Interruption-detection usage.
    Interruption(InterruptionModelUsage),
    /// End-of-turn model usage.
    Eot(EOTModelUsage),
}

#[cfg(feature = "serde")]
mod tagged {
    use super::*;

    #[derive(Deserialize)]
    #[serde(tag = "type")]
    enum Tagged {
        #[serde(rename = "llm_usage")]
        Llm(LLMModelUsage),
        #[serde(rename = "tts_usage")]
        Tts(TTSModelUsage),
        #[serde(rename = "stt_usage")]
        Stt(STTModelUsage),
        #[serde(rename = "interruption_usage")]
        Interruption(InterruptionModelUsage),
        #[serde(rename = "eot_usage")]
        Eot(EOTModelUsage),
    }

    impl<'de> Deserialize<'de> for ModelUsage {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Ok(match Tagged::deserialize(d)? {
                Tagged::Llm(u) => ModelUsage::Llm(u),
                Tagged::Tts(u) => ModelUsage::Tts(u),
                Tagged::Stt(u) => ModelUsage::Stt(u),
                Tagged::Interruption(u) => ModelUsage::Interruption(u),
                Tagged::Eot(u) => ModelUsage::Eot(u),
            })
        }
    }
}

/// Usage of one kind, in first-seen order of (provider, model).
#[derive(Clone, Debug, Default)]
struct Table<T>(Vec<T>);

trait Keyed {
    fn key(&self) -> (&str, &str);
}

macro_rules! keyed {
    ($($ty:ty),*) => {$(
        impl Keyed for $ty {
            fn key(&self) -> (&str, &str) {
                (&self.provider, &self.model)
            }
        }
    )*};
}

keyed!(
    LLMModelUsage,
    TTSModelUsage,
    STTModelUsage,
    InterruptionModelUsage,
    EOTModelUsage
);

impl<T: Keyed> Table<T> {
    // Sessions use a handful of models, so a scan beats hashing an owned key per event.
    fn entry(&mut self, metadata: &Option<Metadata>, new: fn(&str, &str) -> T) -> &mut T {
        let (provider, model) = match metadata {
            Some(m) => (
                m.model_provider.as_deref().unwrap_or(""),
                m.model_name.as_deref().unwrap_or(""),
            ),
            None => ("", ""),
        };
        match self.0.iter().position(|u| u.key() == (provider, model)) {
            Some(i) => &mut self.0[i],
            None => {
                self.0.push(new(provider, model));
                self.0.last_mut().expect("just pushed")
            }
        }
    }
}

/// Folds a session's events into usage per (provider, model).
///
/// ```
/// use agent_metrics::{schema::*, usage::UsageCollector};
/// let mut usage = UsageCollector::default();
/// usage.collect(&AgentMetrics::Interruption(InterruptionMetrics {
///     timestamp: 0.0, total_duration: 0.1, prediction_duration: 0.05, detection_delay: 0.2,
///     num_interruptions: 1, num_backchannels: 0, num_requests: 3,
///     metadata: Some(Metadata::new("livekit", "adaptive interruption")),
/// }));
/// assert_eq!(
///     format!("{:?}", usage.flatten()),
///     r#"[Interruption(InterruptionModelUsage { provider: "livekit", model: "adaptive interruption", total_requests: 3 })]"#
/// );
/// ```
#[derive(Clone, Debug, Default)]
pub struct UsageCollector {
    llm: Table<LLMModelUsage>,
    tts: Table<TTSModelUsage>,
    stt: Table<STTModelUsage>,
    interruption: Table<InterruptionModelUsage>,
    eot: Table<EOTModelUsage>,
}

impl UsageCollector {
    /// Adds one event. VAD, end-of-utterance, decision and avatar events carry no usage.
    pub fn collect(&mut self, event: &AgentMetrics) {
        match event {
            AgentMetrics::Llm(e) => {
                let u = self.llm.entry(&e.metadata, LLMModelUsage::keyed);
                u.input_tokens += e.prompt_tokens;
                u.input_cached_tokens += e.prompt_cached_tokens;
                u.input_cache_creation_tokens += e.cache_creation_tokens;
                u.output_tokens += e.completion_tokens;
                u.output_reasoning_tokens += e.reasoning_tokens;
            }
            AgentMetrics::Realtime(e) => {
                let u = self.llm.entry(&e.metadata, LLMModelUsage::keyed);
                let input = &e.input_token_details;
                u.input_tokens += e.input_tokens;
                u.input_cached_tokens += input.cached_tokens;
                u.input_text_tokens += input.text_tokens;
                u.input_image_tokens += input.image_tokens;
                u.input_audio_tokens += input.audio_tokens;
                if let Some(cached) = &input.cached_tokens_details {
                    u.input_cached_text_tokens += cached.text_tokens;
                    u.input_cached_image_tokens += cached.image_tokens;
                    u.input_cached_audio_tokens += cached.audio_tokens;
                }
                u.output_tokens += e.output_tokens;
                u.output_text_tokens += e.output_token_details.text_tokens;
                u.output_audio_tokens += e.output_token_details.audio_tokens;
                u.session_duration += e.session_duration;
            }
            AgentMetrics::Tts(e) => {
                let u = self.tts.entry(&e.metadata, TTSModelUsage::keyed);
                u.input_tokens += e.input_tokens;
                u.output_tokens += e.output_tokens;
                u.characters_count += e.characters_count;
                u.audio_duration += e.audio_duration;
            }
            AgentMetrics::Stt(e) => {
                let u = self.stt.entry(&e.metadata, STTModelUsage::keyed);
                u.input_tokens += e.input_tokens;
                u.input_audio_tokens += e.input_audio_tokens;
                u.output_tokens += e.output_tokens;
                u.audio_duration += e.audio_duration;
            }
            AgentMetrics::Interruption(e) => {
                self.interruption
                    .entry(&e.metadata, InterruptionModelUsage::keyed)
                    .total_requests += e.num_requests;
            }
            AgentMetrics::EotInference(e) => {
                self.eot
                    .entry(&e.metadata, EOTModelUsage::keyed)
                    .total_requests += e.num_requests;
            }
            AgentMetrics::Vad(_)
            | AgentMetrics::Eou(_)
            | AgentMetrics::Decision(_)
            | AgentMetrics::Avatar(_) => {}
        }
    }

    /// Copies of every entry, in the order llm, tts, stt, interruption, eot.
    pub fn flatten(&self) -> Vec<ModelUsage> {
        let llm = self.llm.0.iter().cloned().map(ModelUsage::Llm);
        let tts = self.tts.0.iter().cloned().map(ModelUsage::Tts);
        let stt = self.stt.0.iter().cloned().map(ModelUsage::Stt);
        let interruption = self
            .interruption
            .0
            .iter()
            .cloned()
            .map(ModelUsage::Interruption);
        let eot = self.eot.0.iter().cloned().map(ModelUsage::Eot);
        llm.chain(tts)
            .chain(stt)
            .chain(interruption)
            .chain(eot)
            .collect()
    }
}
