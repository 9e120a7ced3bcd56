//! The Python framework's JSON shape, where serde's derives alone do not give it.
//!
//! Reading is tolerant the way the Python models are across releases: a field the Python model
//! gives a default may be missing (as fields added in a later release are) and an unknown field
//! is ignored; a field the Python model requires must be present.

use serde::Deserialize;

use super::*;

/// `STTMetrics` as JSON carries it: `total_tokens` may be absent, and is then derived (an
/// explicit value, even 0, is kept, as the Python model's validator does). The fields the Python
/// model requires (those `STTMetrics`' `Debug` always shows) must be present; the others default.
/// A field added to `STTMetrics` is added here too: the `From` impl below names every field, so
/// the build fails until it is.
#[derive(Deserialize)]
pub(super) struct SttJson {
    label: String,
    request_id: String,
    timestamp: f64,
    duration: f64,
    audio_duration: f64,
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    total_tokens: Option<u64>,
    #[serde(default)]
    input_audio_tokens: u64,
    streamed: bool,
    #[serde(default)]
    acquire_time: f64,
    #[serde(default)]
    connection_reused: bool,
    #[serde(default)]
    metadata: Option<Metadata>,
}

impl From<SttJson> for STTMetrics {
    fn from(j: SttJson) -> Self {
        STTMetrics {
            total_tokens: j
                .total_tokens
                .unwrap_or(j.input_tokens.saturating_add(j.output_tokens)),
            label: j.label,
            request_id: j.request_id,
            timestamp: j.timestamp,
            duration: j.duration,
            audio_duration: j.audio_duration,
            input_tokens: j.input_tokens,
            output_tokens: j.output_tokens,
            input_audio_tokens: j.input_audio_tokens,
            streamed: j.streamed,
            acquire_time: j.acquire_time,
            connection_reused: j.connection_reused,
            metadata: j.metadata,
        }
    }
}

/// `RealtimeModelMetrics.ttft` when absent: no first token.
pub(super) fn minus_one() -> f64 {
    -1.0
}

/// `EOTInferenceMetrics.num_requests` when absent: one request.
pub(super) fn one() -> u64 {
    1
}

macro_rules! tagged_union {
    (
        union { $($field:ident: $variant:ident($ty:ty) = $tag:literal,)* }
        others { $($_other:ident: $_other_ty:ty,)* }
    ) => {
        /// Reading an event dispatches on its `type` tag: a struct's own tag is only written by
        /// serde, never checked, so the union checks it.
        #[derive(Deserialize)]
        #[serde(tag = "type")]
        enum Tagged {
            $(
                #[serde(rename = $tag)]
                $variant($ty),
            )*
        }

        impl<'de> Deserialize<'de> for AgentMetrics {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(match Tagged::deserialize(d)? {
                    $(Tagged::$variant(e) => AgentMetrics::$variant(e),)*
                })
            }
        }
    };
}

with_event_types!(tagged_union);

#[cfg(test)]
mod tests {
    use super::*;

    /// The tag each struct writes is the one the union reads it back by.
    #[test]
    fn every_event_writes_the_tag_the_union_reads() {
        macro_rules! check_tags {
            (
                union { $($field:ident: $variant:ident($ty:ty) = $tag:literal,)* }
                others { $($_other:ident: $_other_ty:ty,)* }
            ) => {$(
                let event = AgentMetrics::from(<$ty>::default());
                let json = serde_json::to_value(&event).unwrap();
                assert_eq!(json["type"], $tag, "{}", stringify!($ty));
                assert_eq!(event.type_tag(), $tag);
                let back: AgentMetrics = serde_json::from_value(json).unwrap();
                assert_eq!(back, event);
            )*};
        }
        with_event_types!(check_tags);
    }
}
