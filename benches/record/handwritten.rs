//! What a careful user writes by hand with OpenTelemetry for each benched event: instruments
//! built once, attributes in one fixed sorted order, the Python framework's guards. The
//! derived `record` is compared with these.

#[cfg(feature = "bound")]
use agent_metrics::opentelemetry::metrics::BoundHistogram;
use agent_metrics::opentelemetry::metrics::{Counter, Histogram, Meter};
use agent_metrics::opentelemetry::{KeyValue, Value};
use agent_metrics::schema::genai::{self, ProviderName, gen_ai_provider_name};
use agent_metrics::schema::*;
use agent_metrics::{Instrument, InstrumentKind};

fn u64_counter(meter: &Meter, i: Instrument) -> Counter<u64> {
    debug_assert_eq!(i.kind, InstrumentKind::Counter);
    meter
        .u64_counter(i.name)
        .with_unit(i.unit)
        .with_description(i.description)
        .build()
}

fn f64_counter(meter: &Meter, name: &'static str, unit: &'static str) -> Counter<f64> {
    meter.f64_counter(name).with_unit(unit).build()
}

fn histogram(meter: &Meter, i: Instrument) -> Histogram<f64> {
    meter
        .f64_histogram(i.name)
        .with_unit(i.unit)
        .with_description(i.description)
        .with_boundaries(i.buckets.to_vec())
        .build()
}

fn latency(meter: &Meter, name: &'static str) -> Histogram<f64> {
    meter
        .f64_histogram(name)
        .with_unit("s")
        .with_boundaries(LATENCY_BUCKETS.to_vec())
        .build()
}

/// `model_name`, `model_provider`, in key order (the benched events always carry both).
fn model(name: Option<&Name>, provider: Option<&Name>) -> [KeyValue; 2] {
    [
        KeyValue::new("model_name", name.expect("set").clone()),
        KeyValue::new("model_provider", provider.expect("set").clone()),
    ]
}

/// `TTSMetrics`: two counters and the acquire-time histogram.
pub(crate) struct Tts {
    characters: Counter<u64>,
    audio: Counter<f64>,
    acquire: Histogram<f64>,
}

impl Tts {
    pub(crate) fn new(meter: &Meter) -> Self {
        Tts {
            characters: meter
                .u64_counter("lk.agents.usage.tts_characters")
                .with_unit("{character}")
                .build(),
            audio: f64_counter(meter, "lk.agents.usage.tts_audio_duration", "s"),
            acquire: histogram(meter, CONNECTION_ACQUIRE_TIME),
        }
    }

    pub(crate) fn record(&self, e: &TTSMetrics) {
        let meta = e
            .metadata
            .as_ref()
            .expect("the plugin always sets metadata");
        let model = model(meta.model_name.as_ref(), meta.model_provider.as_ref());
        if e.characters_count > 0 {
            self.characters.add(e.characters_count, &model);
        }
        if e.audio_duration > 0.0 {
            self.audio.add(e.audio_duration, &model);
        }
        if e.acquire_time > 0.0 {
            let reused = if e.connection_reused { "true" } else { "false" };
            let [name, provider] = model;
            let attrs = [KeyValue::new("connection_reused", reused), name, provider];
            self.acquire.record(e.acquire_time, &attrs);
        }
    }
}

/// `MetricsReport`: five turn histograms, labelled with three different models.
pub(crate) struct Report {
    transcription: Histogram<f64>,
    end_of_turn: Histogram<f64>,
    llm_ttft: Histogram<f64>,
    tts_ttfb: Histogram<f64>,
    e2e: Histogram<f64>,
}

impl Report {
    pub(crate) fn new(meter: &Meter) -> Self {
        Report {
            transcription: latency(meter, "lk.agents.turn.transcription_delay"),
            end_of_turn: latency(meter, "lk.agents.turn.end_of_turn_delay"),
            llm_ttft: latency(meter, "lk.agents.turn.llm_ttft"),
            tts_ttfb: latency(meter, "lk.agents.turn.tts_ttfb"),
            e2e: latency(meter, "lk.agents.turn.e2e_latency"),
        }
    }

    /// Each histogram with its value and its attributes, in the Python framework's order.
    fn values<'a>(
        &'a self,
        e: &MetricsReport,
        models: &'a [[KeyValue; 2]; 3],
    ) -> [(&'a Histogram<f64>, Option<f64>, &'a [KeyValue; 2]); 5] {
        let [stt, llm, tts] = models;
        [
            (&self.transcription, e.transcription_delay, stt),
            (&self.end_of_turn, e.end_of_turn_delay, stt),
            (&self.llm_ttft, e.llm_node_ttft, llm),
            (&self.tts_ttfb, e.tts_node_ttfb, tts),
            (&self.e2e, e.e2e_latency, llm),
        ]
    }

    /// `model_name`, `model_provider` of the STT, the LLM and the TTS.
    fn models(e: &MetricsReport) -> [[KeyValue; 2]; 3] {
        let of = |m: &Option<MetricsMetadata>| {
            let m = m.as_ref().expect("the benched report has every model");
            model(m.model_name.as_ref(), m.model_provider.as_ref())
        };
        [
            of(&e.stt_metadata),
            of(&e.llm_metadata),
            of(&e.tts_metadata),
        ]
    }

    pub(crate) fn record(&self, e: &MetricsReport) {
        let models = Self::models(e);
        for (histogram, value, attrs) in self.values(e, &models) {
            if let Some(v) = value {
                histogram.record(v, attrs);
            }
        }
    }

    /// `e`'s five series bound once, for [`SdkFloor`].
    #[cfg(feature = "bound")]
    pub(crate) fn bind(&self, e: &MetricsReport) -> SdkFloor {
        let models = Self::models(e);
        SdkFloor(self.values(e, &models).map(|(h, _, attrs)| h.bind(attrs)))
    }
}

/// A report's five values straight into OpenTelemetry's bound histograms: no check, no job,
/// no lookup. Only the SDK's own aggregation (a bucket search and a locked update per value)
/// is left, which every path that records into OpenTelemetry pays: the floor of any recording.
#[cfg(feature = "bound")]
pub(crate) struct SdkFloor([BoundHistogram<f64>; 5]);

#[cfg(feature = "bound")]
impl SdkFloor {
    pub(crate) fn record(&self, e: &MetricsReport) {
        let values = [
            e.transcription_delay,
            e.end_of_turn_delay,
            e.llm_node_ttft,
            e.tts_node_ttfb,
            e.e2e_latency,
        ];
        for (histogram, value) in self.0.iter().zip(values) {
            if let Some(v) = value {
                histogram.record(v);
            }
        }
    }
}

/// `LLMMetrics`: three token counters and the GenAI duration, first-chunk and token histograms.
pub(crate) struct Llm {
    input: Counter<u64>,
    output: Counter<u64>,
    cached: Counter<u64>,
    duration: Histogram<f64>,
    ttft: Histogram<f64>,
    tokens: Histogram<u64>,
}

impl Llm {
    pub(crate) fn new(meter: &Meter) -> Self {
        Llm {
            input: u64_counter(meter, LLM_INPUT_TOKENS),
            output: u64_counter(meter, LLM_OUTPUT_TOKENS),
            cached: u64_counter(meter, LLM_INPUT_CACHED_TOKENS),
            duration: histogram(meter, GEN_AI_OPERATION_DURATION),
            ttft: histogram(meter, GEN_AI_TIME_TO_FIRST_CHUNK),
            tokens: meter
                .u64_histogram(GEN_AI_TOKEN_USAGE.name)
                .with_unit(GEN_AI_TOKEN_USAGE.unit)
                .with_boundaries(GEN_AI_TOKEN_USAGE.buckets.to_vec())
                .build(),
        }
    }

    pub(crate) fn record(&self, e: &LLMMetrics) {
        let meta = e
            .metadata
            .as_ref()
            .expect("the plugin always sets metadata");
        let model_attrs = model(meta.model_name.as_ref(), meta.model_provider.as_ref());
        for (counter, value) in [
            (&self.output, e.completion_tokens),
            (&self.input, e.prompt_tokens),
            (&self.cached, e.prompt_cached_tokens),
        ] {
            if value > 0 {
                counter.add(value, &model_attrs);
            }
        }
        // The GenAI conventions' attributes, in key order: operation, provider, models, type.
        let provider = match meta
            .model_provider
            .as_deref()
            .and_then(gen_ai_provider_name)
        {
            Some(ProviderName::Known(name)) => Value::from(name),
            Some(ProviderName::Other(name)) => name.to_owned().into(),
            None => unreachable!("the benched event has a provider"),
        };
        let name = meta.model_name.clone().expect("set");
        let genai_attrs = [
            KeyValue::new(genai::OPERATION_NAME, genai::operation::CHAT),
            KeyValue::new(genai::PROVIDER_NAME, provider),
            KeyValue::new(genai::REQUEST_MODEL, name.clone()),
            KeyValue::new(genai::RESPONSE_MODEL, name),
        ];
        if e.duration > 0.0 {
            self.duration.record(e.duration, &genai_attrs);
        }
        if e.ttft >= 0.0 {
            self.ttft.record(e.ttft, &genai_attrs);
        }
        for (value, kind) in [
            (e.completion_tokens, genai::token_type::OUTPUT),
            (e.prompt_tokens, genai::token_type::INPUT),
        ] {
            if value > 0 {
                let [op, provider, request, response] = genai_attrs.clone();
                let attrs = [
                    op,
                    provider,
                    request,
                    response,
                    KeyValue::new(genai::TOKEN_TYPE, kind),
                ];
                self.tokens.record(value, &attrs);
            }
        }
    }
}
