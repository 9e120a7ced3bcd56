//! The price table the repository ships prices every model of the main job's session, and the
//! estimate adds up to what its lines say.

use agent_metrics::MetricsRecorder;
use agent_metrics::capture::Capture;
use agent_metrics::cost::PriceTable;
use agent_metrics_test_support::sim;

const PRICES: &str = include_str!("../../examples/prices.json");

#[test]
fn the_shipped_prices_cover_the_whole_simulated_session() {
    let prices = PriceTable::from_json(PRICES).expect("examples/prices.json is a valid table");
    assert!(
        prices.as_of.is_some() && prices.note.as_deref().unwrap_or("").contains("EXAMPLE"),
        "the shipped prices are dated and say they are examples"
    );
    let capture = Capture::cumulative();
    let mut session = sim::Session::new(7, MetricsRecorder::new(capture.meter()));
    session.run(8, |_, _| {});

    let estimate = prices.estimate(&session.usage);
    let unpriced: Vec<_> = estimate.unpriced_models().map(|m| &m.model).collect();
    assert!(unpriced.is_empty(), "not priced: {unpriced:?}");
    assert_eq!(estimate.models.len(), session.usage.flatten().len());
    let lines: f64 = estimate.models.iter().map(|m| m.total()).sum();
    assert!(estimate.total() > 0.0 && (estimate.total() - lines).abs() < 1e-12);
    let text = estimate.to_string();
    for (provider, model) in sim::LLM.iter().chain(&sim::TTS).chain(&sim::STT) {
        assert!(text.contains(&format!("{provider}/{model} ")), "{text}");
    }
    assert!(text.contains("session total "), "{text}");
}
