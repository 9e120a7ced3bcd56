//! Provider attempts (issue 23 item 1): attempts by outcome, bounded attributes, and usage under
//! fallback charged to the model that served.

use agent_metrics_core::MetricsRecorder;
use agent_metrics_core::capture::{Capture, Point};
use agent_metrics_core::schema::*;
use agent_metrics_core::usage::{ModelUsage, UsageCollector};

const ATTEMPTS: &str = "lk.agents.provider.attempts";
const DURATION: &str = "lk.agents.provider.attempt_duration";

fn points(capture: &Capture, name: &str) -> Vec<Point> {
    capture
        .collect()
        .into_iter()
        .filter(|p| p.name == name)
        .collect()
}

/// The attempts counter's value for `model` and `outcome`; 0 when it has no point.
fn attempts(points: &[Point], model: &str, outcome: &str) -> u64 {
    points
        .iter()
        .filter(|p| {
            p.attr("model_name").as_deref() == Some(model)
                && p.attr("outcome").as_deref() == Some(outcome)
        })
        .map(|p| p.value.as_u64().unwrap())
        .sum()
}

/// A request to model A is rate-limited, falls back to model B, which answers: the LLM usage
/// (counters and the session's usage) is B's alone, and A shows one failed attempt. The bug this
/// catches: the usage event labelled with the model first asked (or the adapter's), so that A is
/// billed for B's tokens.
#[test]
fn usage_under_fallback_goes_to_the_model_that_served() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let mut usage = UsageCollector::default();
    let (a, b) = (
        Metadata::new("openai", "model-a"),
        Metadata::new("anthropic", "model-b"),
    );

    let mut request = ProviderRequest::new(ProviderKind::Llm);
    recorder.record(
        &request
            .attempt(&a, AttemptOutcome::RateLimited, 0.05)
            .error_type("http_429"),
    );
    recorder.record(&request.attempt(&b, AttemptOutcome::Success, 0.9));
    let event = AgentMetrics::Llm(LLMMetrics {
        prompt_tokens: 120,
        completion_tokens: 30,
        duration: 0.9,
        metadata: request.served_by().cloned(),
        ..Default::default()
    });
    recorder.record(&event);
    usage.collect(&event);

    let counted = points(&capture, ATTEMPTS);
    assert_eq!(attempts(&counted, "model-a", "rate_limited"), 1);
    assert_eq!(attempts(&counted, "model-a", "success"), 0);
    assert_eq!(attempts(&counted, "model-b", "success"), 1);
    assert_eq!(counted.len(), 2, "one series per attempt: {counted:#?}");
    let fallback = counted
        .iter()
        .find(|p| p.attr("model_name").as_deref() == Some("model-b"))
        .unwrap();
    assert_eq!(fallback.attr("fallback").as_deref(), Some("1"));
    assert_eq!(fallback.attr("retry").as_deref(), Some("0"));
    assert_eq!(fallback.attr("error.type"), None);

    for name in [
        "lk.agents.usage.llm_input_tokens",
        "lk.agents.usage.llm_output_tokens",
    ] {
        let usage_points = points(&capture, name);
        assert_eq!(usage_points.len(), 1, "{name}");
        assert_eq!(
            usage_points[0].attr_pairs(),
            ["model_name=model-b", "model_provider=anthropic"],
            "{name}"
        );
    }
    let flat = usage.flatten();
    assert_eq!(flat.len(), 1, "{flat:?}");
    let ModelUsage::Llm(llm) = &flat[0] else {
        panic!("{flat:?}")
    };
    assert_eq!(
        (llm.model.as_str(), llm.input_tokens, llm.output_tokens),
        ("model-b", 120, 30)
    );
}

/// Retries are numbered per model and bucketed: the fifth attempt at one model is `retry=3+`,
/// so a retry loop cannot grow series without bound.
#[test]
fn retries_are_bucketed_and_the_duration_histogram_stays_narrow() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let model = Metadata::new("deepgram", "nova-3");
    let mut request = ProviderRequest::new(ProviderKind::Stt);
    let mut retries = Vec::new();
    for _ in 0..6 {
        let attempt = request.attempt(&model, AttemptOutcome::Timeout, 1.0);
        retries.push(attempt.retry);
        recorder.record(&attempt.error_type("timeout"));
    }
    assert_eq!(retries, [0, 1, 2, 3, 4, 5]);
    assert_eq!(request.attempts(), 6);
    assert_eq!(request.served_by(), None, "nothing served");

    let counted = points(&capture, ATTEMPTS);
    let mut buckets: Vec<(String, u64)> = counted
        .iter()
        .map(|p| (p.attr("retry").unwrap(), p.value.as_u64().unwrap()))
        .collect();
    buckets.sort();
    assert_eq!(
        buckets,
        [
            ("0".to_owned(), 1),
            ("1".to_owned(), 1),
            ("2".to_owned(), 1),
            ("3+".to_owned(), 3)
        ]
    );
    // Every retry in one duration series: kind, model and outcome only.
    let durations = points(&capture, DURATION);
    assert_eq!(durations.len(), 1);
    assert_eq!(
        durations[0].attr_pairs(),
        [
            "kind=stt",
            "model_name=nova-3",
            "model_provider=deepgram",
            "outcome=timeout"
        ]
    );
    assert_eq!(durations[0].value.as_histogram().unwrap().count, 6);
}

/// A negative or NaN duration is not a duration: the histogram skips it (NaN is dropped and
/// counted as invalid), and the attempt is still counted.
#[test]
fn a_bad_duration_still_counts_the_attempt() {
    let capture = Capture::cumulative();
    let recorder = MetricsRecorder::new(capture.meter());
    let model = Metadata::new("cartesia", "sonic-2");
    for duration in [-1.0, f64::NAN] {
        recorder.record(&ProviderAttempt::new(
            ProviderKind::Tts,
            model.clone(),
            AttemptOutcome::Cancelled,
            duration,
        ));
    }
    let counted = points(&capture, ATTEMPTS);
    assert_eq!(attempts(&counted, "sonic-2", "cancelled"), 2);
    assert!(points(&capture, DURATION).is_empty());
}

#[test]
fn debug_leaves_out_the_defaults() {
    let attempt = ProviderAttempt::new(
        ProviderKind::Realtime,
        Metadata::new("openai", "gpt-realtime"),
        AttemptOutcome::Success,
        0.4,
    );
    assert_eq!(
        format!("{attempt:?}"),
        r#"ProviderAttempt { kind: Realtime, metadata: {model_name: "gpt-realtime", model_provider: "openai"}, outcome: Success, duration: 0.4 }"#
    );
}
