//! What the attribute sets and events offer beyond the table: constructors, the defaults that
//! are not zero, and the GenAI conventions' view of [`Metadata`].

use opentelemetry::{Key, KeyValue, StringValue, Value};

use super::*;
use super::{genai, provider_memo};
use crate::cache::KeyWriter;
use crate::{AttrBuf, AttributeSet, AttributeView};

/// The GenAI conventions' reading of a [`Metadata`] (`docs/PYTHON-PARITY.md` §D2.2): `gen_ai.provider.name`
/// normalized by [`gen_ai_provider_name`](genai::gen_ai_provider_name) (remembered per thread), and `gen_ai.request.model` and
/// `gen_ai.response.model` both the model name. No metadata, no attributes.
#[derive(Clone, Copy, Debug, Default)]
pub struct GenAiModel;

impl AttributeView<Option<Metadata>> for GenAiModel {
    const KEYS: &'static [&'static str] = &[
        genai::PROVIDER_NAME,
        genai::REQUEST_MODEL,
        genai::RESPONSE_MODEL,
    ];

    #[inline]
    fn push_attribute<const N: usize>(
        value: &Option<Metadata>,
        index: usize,
        buf: &mut AttrBuf<N>,
    ) {
        let Some(metadata) = value else {
            return;
        };
        let key = Key::from_static_str(Self::KEYS[index]);
        if index == 0 {
            let Some(provider) = &metadata.model_provider else {
                return;
            };
            if let Some(name) = provider_memo::provider_value(provider) {
                buf.push(KeyValue::new(key, name));
            }
        } else if let Some(model) = metadata.model_name.as_ref().filter(|m| !m.is_empty()) {
            buf.push(KeyValue::new(
                key,
                Value::String(StringValue::from(model.clone())),
            ));
        }
    }

    /// The metadata's own words: the view's attributes are a function of it alone, so a cached
    /// record neither normalizes the provider nor clones the model name.
    #[inline]
    fn push_words<'a, K: KeyWriter<'a>>(value: &'a Option<Metadata>, key: &mut K) {
        AttributeSet::push_words(value, key);
    }
}

impl Metadata {
    /// Metadata for `provider` / `model`.
    pub fn new(provider: impl Into<Name>, model: impl Into<Name>) -> Self {
        Metadata {
            model_name: Some(model.into()),
            model_provider: Some(provider.into()),
        }
    }
}

impl MetricsMetadata {
    /// Turn metadata for `provider` / `model`.
    pub fn new(provider: impl Into<Name>, model: impl Into<Name>) -> Self {
        MetricsMetadata {
            model_name: Some(model.into()),
            model_provider: Some(provider.into()),
        }
    }
}

impl From<&Metadata> for MetricsMetadata {
    fn from(m: &Metadata) -> Self {
        MetricsMetadata {
            model_name: m.model_name.clone(),
            model_provider: m.model_provider.clone(),
        }
    }
}

impl From<&MetricsMetadata> for Metadata {
    /// Usage metadata from turn metadata; an empty id is then left out of the attributes.
    fn from(m: &MetricsMetadata) -> Self {
        Metadata {
            model_name: m.model_name.clone(),
            model_provider: m.model_provider.clone(),
        }
    }
}

impl ToolExecutionMetrics {
    /// An execution of `tool_name` that took `duration` seconds and failed or not.
    pub fn new(tool_name: impl Into<Name>, duration: f64, is_error: bool) -> Self {
        ToolExecutionMetrics {
            tool_name: tool_name.into(),
            duration,
            error_type: is_error.then_some(ToolErrorType::ToolError),
            tool_type: None,
            agent_name: None,
        }
    }
}

// The Python models' defaults that are not zero: a realtime response with no first audio token
// has `ttft` -1, and an end-of-turn inference is one request.

impl Default for RealtimeModelMetrics {
    fn default() -> Self {
        RealtimeModelMetrics {
            label: String::new(),
            request_id: String::new(),
            timestamp: 0.0,
            duration: 0.0,
            session_duration: 0.0,
            ttft: -1.0,
            cancelled: false,
            input_tokens: 0,
            output_tokens: 0,
            total_tokens: 0,
            tokens_per_second: 0.0,
            input_token_details: InputTokenDetails::default(),
            output_token_details: OutputTokenDetails::default(),
            acquire_time: 0.0,
            connection_reused: false,
            metadata: None,
        }
    }
}

impl Default for EOTInferenceMetrics {
    fn default() -> Self {
        EOTInferenceMetrics {
            timestamp: 0.0,
            total_duration: 0.0,
            detection_delay: 0.0,
            prediction_duration: 0.0,
            num_requests: 1,
            metadata: None,
        }
    }
}
