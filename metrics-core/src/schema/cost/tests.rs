use super::*;
use crate::schema::*;
use crate::usage::UsageCollector;

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
        text.contains("not priced: stt acme/ears-1: not in the price table (12.500 audio seconds)"),
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
