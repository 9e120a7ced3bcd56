//! Provider attempts: one call to an STT, LLM, TTS or realtime provider, of a request that may be
//! retried on the same model or handed to a fallback model.
//!
//! Words used here: a *request* is what the agent asked for (one completion, one synthesis); an
//! *attempt* is one call to one model in serving it; the *retry index* counts the earlier
//! attempts of the request on the same model; the *fallback position* is the model's place in
//! the order the request tried models (0 for the first). The model that *served* the request is
//! the one whose attempt succeeded: its usage event carries that model's [`Metadata`]
//! ([`ProviderRequest::served_by`]), so tokens, characters and audio seconds are never charged to
//! the model that failed.
//!
//! Only bounded values become attributes: the retry index and fallback position are bucketed
//! (`0`, `1`, `2`, `3+`), the error type is a `&'static str` (a class such as `http_429` or
//! `connection_refused`, never a message, which could hold ids or secrets and grows series
//! without bound), and the duration histogram leaves out everything but kind, model and outcome,
//! since each of its series costs a bucket count.

use std::time::Duration;

use opentelemetry::{Key, StringValue, Value};

use super::attributes::Metadata;
use super::instruments::GEN_AI_DURATION_BUCKETS;
use crate::{AgentMetric, AttrBuf, AttributeValue, AttributeView};

/// What kind of provider an attempt called: the `kind` attribute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, AttributeValue)]
pub enum ProviderKind {
    /// Speech to text.
    Stt,
    /// A language model.
    #[default]
    Llm,
    /// Text to speech.
    Tts,
    /// A realtime (speech to speech) model.
    Realtime,
}

/// How an attempt ended: the `outcome` attribute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, AttributeValue)]
pub enum AttemptOutcome {
    /// The provider answered; the request was served by this attempt.
    #[default]
    Success,
    /// The provider failed (a refused connection, a 5xx, a malformed answer).
    Error,
    /// No answer within the time allowed.
    Timeout,
    /// The provider refused for its rate limit or quota (HTTP 429 and the like).
    RateLimited,
    /// The agent gave up on it (the user interrupted, the session closed).
    Cancelled,
}

impl AttemptOutcome {
    /// Whether the attempt served the request.
    pub fn is_success(self) -> bool {
        self == AttemptOutcome::Success
    }
}

/// One attempt at a provider. Recorded as `lk.agents.provider.attempts` (by kind, model,
/// outcome, error type, retry index and fallback position, bucketed) and
/// `lk.agents.provider.attempt_duration` (by kind, model and outcome).
///
/// Build it with [`ProviderAttempt::new`], or let a [`ProviderRequest`] number the attempts of
/// one request.
///
/// ```
/// use agent_metrics::{capture::Capture, schema::*, MetricsRecorder};
/// let capture = Capture::cumulative();
/// let recorder = MetricsRecorder::new(capture.meter());
/// let attempt = ProviderAttempt::new(
///     ProviderKind::Llm,
///     Metadata::new("openai", "gpt-4o"),
///     AttemptOutcome::RateLimited,
///     0.12,
/// )
/// .error_type("http_429");
/// recorder.record(&attempt);
/// let points = capture.collect();
/// let count = points.iter().find(|p| p.name == "lk.agents.provider.attempts").unwrap();
/// assert_eq!(
///     count.attr_pairs(),
///     ["error.type=http_429", "fallback=0", "kind=llm", "model_name=gpt-4o",
///      "model_provider=openai", "outcome=rate_limited", "retry=0"]
/// );
/// ```
#[derive(Clone, PartialEq, AgentMetric)]
pub struct ProviderAttempt {
    /// STT, LLM, TTS or realtime.
    #[attr]
    pub kind: ProviderKind,
    /// The provider and model this attempt called.
    pub metadata: Metadata,
    /// How it ended.
    #[attr]
    pub outcome: AttemptOutcome,
    /// Earlier attempts of the same request on the same model (0 for the first).
    #[metric(default)]
    pub retry: u32,
    /// The model's place among the models the request tried (0 for the first, 1 for the first
    /// fallback, ...).
    #[metric(default)]
    pub fallback: u32,
    /// Provider attempts, by outcome
    #[metric(counter = "lk.agents.provider.attempts", unit = "{attempt}", skip_zero, default = 1,
             attributes(kind, metadata, outcome, error_type, retry as RetryBucket,
                        fallback as FallbackBucket))]
    pub count: u64,
    /// Duration of one provider attempt
    #[metric(histogram = "lk.agents.provider.attempt_duration", unit = "s",
             buckets = GEN_AI_DURATION_BUCKETS, skip_negative, attributes(kind, metadata, outcome))]
    pub duration: f64,
    /// A low-cardinality class of the failure (`http_429`, `connection_refused`): `error.type`
    /// in the OpenTelemetry conventions' sense. Static, so that no message can become a label.
    #[attr(key = "error.type")]
    #[metric(default)]
    pub error_type: Option<&'static str>,
}

impl Default for ProviderAttempt {
    fn default() -> Self {
        ProviderAttempt {
            kind: ProviderKind::default(),
            metadata: Metadata::default(),
            outcome: AttemptOutcome::default(),
            retry: 0,
            fallback: 0,
            count: 1,
            duration: 0.0,
            error_type: None,
        }
    }
}

impl ProviderAttempt {
    /// The first attempt (retry 0, fallback 0) of a `kind` request to `metadata`'s model, which
    /// ended with `outcome` after `duration` seconds.
    pub fn new(
        kind: ProviderKind,
        metadata: Metadata,
        outcome: AttemptOutcome,
        duration: f64,
    ) -> Self {
        ProviderAttempt {
            kind,
            metadata,
            outcome,
            duration,
            ..Default::default()
        }
    }

    /// With the `error.type` of a failed attempt.
    pub fn error_type(mut self, error_type: &'static str) -> Self {
        self.error_type = Some(error_type);
        self
    }
}

/// The attempts of one request, across retries and fallbacks: numbers each attempt (retry index
/// and fallback position) and remembers which model served the request.
///
/// ```
/// use agent_metrics::schema::*;
/// let (primary, fallback) = (Metadata::new("openai", "gpt-4o"), Metadata::new("anthropic", "claude"));
/// let mut request = ProviderRequest::new(ProviderKind::Llm);
/// let first = request.attempt(&primary, AttemptOutcome::RateLimited, 0.1);
/// let second = request.attempt(&primary, AttemptOutcome::Timeout, 5.0);
/// let third = request.attempt(&fallback, AttemptOutcome::Success, 0.8);
/// assert_eq!((second.retry, second.fallback), (1, 0));
/// assert_eq!((third.retry, third.fallback), (0, 1));
/// // The usage event of this request carries the fallback's metadata.
/// assert_eq!(request.served_by(), Some(&fallback));
/// # let _ = first;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderRequest {
    kind: ProviderKind,
    /// The models tried, in order, each with its attempts so far.
    tried: Vec<(Metadata, u32)>,
    served: Option<usize>,
}

impl ProviderRequest {
    /// A request to a provider of `kind`, before its first attempt.
    pub fn new(kind: ProviderKind) -> Self {
        ProviderRequest {
            kind,
            tried: Vec::new(),
            served: None,
        }
    }

    /// The next attempt, at `metadata`'s model, which ended with `outcome` after `duration`
    /// seconds: numbered from the attempts before it. Record what it returns.
    pub fn attempt(
        &mut self,
        metadata: &Metadata,
        outcome: AttemptOutcome,
        duration: f64,
    ) -> ProviderAttempt {
        let position = match self.tried.iter().position(|(m, _)| m == metadata) {
            Some(position) => position,
            None => {
                self.tried.push((metadata.clone(), 0));
                self.tried.len() - 1
            }
        };
        let retry = self.tried[position].1;
        self.tried[position].1 = retry.saturating_add(1);
        if outcome.is_success() {
            self.served = Some(position);
        }
        ProviderAttempt {
            kind: self.kind,
            metadata: metadata.clone(),
            outcome,
            retry,
            fallback: u32::try_from(position).unwrap_or(u32::MAX),
            duration,
            ..Default::default()
        }
    }

    /// [`attempt`](Self::attempt) with a measured duration.
    pub fn attempt_took(
        &mut self,
        metadata: &Metadata,
        outcome: AttemptOutcome,
        took: Duration,
    ) -> ProviderAttempt {
        self.attempt(metadata, outcome, took.as_secs_f64())
    }

    /// The model whose attempt succeeded: what the request's usage event must carry. `None`
    /// until an attempt succeeds.
    pub fn served_by(&self) -> Option<&Metadata> {
        self.served.map(|i| &self.tried[i].0)
    }

    /// How many attempts were made.
    pub fn attempts(&self) -> u32 {
        self.tried
            .iter()
            .map(|(_, n)| *n)
            .fold(0, u32::saturating_add)
    }
}

/// `0`, `1`, `2` or `3+`: an index as a bounded attribute value.
fn bucket(index: u32) -> Value {
    Value::String(StringValue::from(match index {
        0 => "0",
        1 => "1",
        2 => "2",
        _ => "3+",
    }))
}

macro_rules! bucket_view {
    ($(#[$doc:meta])* $name:ident, $key:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;

        // Not one of the views a user's `field as View` mistake should be pointed to.
        #[diagnostic::do_not_recommend]
        impl AttributeView<u32> for $name {
            const KEYS: &'static [&'static str] = &[$key];

            #[inline]
            fn push_attribute<const N: usize>(value: &u32, index: usize, buf: &mut AttrBuf<N>) {
                if index == 0 {
                    buf.push(opentelemetry::KeyValue::new(Key::from_static_str($key), bucket(*value)));
                }
            }
        }
    };
}

bucket_view!(
    /// The retry index as the `retry` attribute, bucketed: `0`, `1`, `2`, `3+`.
    RetryBucket,
    "retry"
);
bucket_view!(
    /// The fallback position as the `fallback` attribute, bucketed: `0`, `1`, `2`, `3+`.
    FallbackBucket,
    "fallback"
);
