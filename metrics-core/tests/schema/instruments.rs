//! The schema's instruments against `docs/PYTHON-PARITY.md` §2.1 (the 19 of PR #4891) and `docs/PYTHON-PARITY.md` §D1.2 (the six
//! of livekit-agents 1.8.9): names, kinds, value types, units, attributes.

use std::collections::BTreeMap;

use agent_metrics_core::catalog::Catalog;
use agent_metrics_core::{InstrumentKind, ValueType};

const MODEL: &[&str] = &["model_name", "model_provider"];
const CONNECTION: &[&str] = &["connection_reused", "model_name", "model_provider"];
const GEN_AI_CLIENT: &[&str] = &[
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
];
const GEN_AI_TOKENS: &[&str] = &[
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.token.type",
];

/// `docs/PYTHON-PARITY.md` §2.1 then `docs/PYTHON-PARITY.md` §D1.2, with our units for the counters of counts (UCUM annotations,
/// which Prometheus drops from names).
const GOLDEN: &[(&str, InstrumentKind, ValueType, &str, &[&str])] = {
    use InstrumentKind::{Counter as C, Histogram as H};
    use ValueType::{F64, U64};
    &[
        ("lk.agents.turn.e2e_latency", H, F64, "s", MODEL),
        ("lk.agents.turn.llm_ttft", H, F64, "s", MODEL),
        ("lk.agents.turn.tts_ttfb", H, F64, "s", MODEL),
        ("lk.agents.turn.transcription_delay", H, F64, "s", MODEL),
        ("lk.agents.turn.end_of_turn_delay", H, F64, "s", MODEL),
        (
            "lk.agents.turn.on_user_turn_completed_delay",
            H,
            F64,
            "s",
            MODEL,
        ),
        ("lk.agents.usage.llm_input_tokens", C, U64, "{token}", MODEL),
        (
            "lk.agents.usage.llm_input_cached_tokens",
            C,
            U64,
            "{token}",
            MODEL,
        ),
        (
            "lk.agents.usage.llm_output_tokens",
            C,
            U64,
            "{token}",
            MODEL,
        ),
        (
            "lk.agents.usage.llm_input_audio_tokens",
            C,
            U64,
            "{token}",
            MODEL,
        ),
        (
            "lk.agents.usage.llm_input_text_tokens",
            C,
            U64,
            "{token}",
            MODEL,
        ),
        (
            "lk.agents.usage.llm_output_audio_tokens",
            C,
            U64,
            "{token}",
            MODEL,
        ),
        (
            "lk.agents.usage.llm_output_text_tokens",
            C,
            U64,
            "{token}",
            MODEL,
        ),
        ("lk.agents.usage.llm_session_duration", C, F64, "s", MODEL),
        (
            "lk.agents.usage.tts_characters",
            C,
            U64,
            "{character}",
            MODEL,
        ),
        ("lk.agents.usage.tts_audio_duration", C, F64, "s", MODEL),
        ("lk.agents.usage.stt_audio_duration", C, F64, "s", MODEL),
        (
            "lk.agents.usage.interruption_num_requests",
            C,
            U64,
            "{request}",
            MODEL,
        ),
        ("lk.agents.connection.acquire_time", H, F64, "s", CONNECTION),
        (
            "lk.agents.event_loop.blocked_duration",
            H,
            F64,
            "s",
            &["severity"],
        ),
        (
            "gen_ai.client.token.usage",
            H,
            U64,
            "{token}",
            GEN_AI_TOKENS,
        ),
        (
            "gen_ai.client.operation.duration",
            H,
            F64,
            "s",
            GEN_AI_CLIENT,
        ),
        (
            "gen_ai.client.operation.time_to_first_chunk",
            H,
            F64,
            "s",
            GEN_AI_CLIENT,
        ),
        (
            "gen_ai.execute_tool.duration",
            H,
            F64,
            "s",
            &["error.type", "gen_ai.operation.name", "gen_ai.tool.name"],
        ),
        (
            "gen_ai.invoke_agent.duration",
            H,
            F64,
            "s",
            &["gen_ai.agent.name", "gen_ai.operation.name"],
        ),
    ]
};

/// What we add beyond livekit-agents 1.8.9, under names of our own or the OpenTelemetry
/// conventions' (`process.*`): the turn analysis, provider attempts and the worker (additive in
/// the catalog).
const BEYOND: &[(&str, InstrumentKind, ValueType, &str, &[&str])] = {
    use InstrumentKind::{Counter as C, Gauge as G, Histogram as H, UpDownCounter as U};
    use ValueType::{F64, I64, U64};
    &[
        (
            "lk.agents.provider.attempts",
            C,
            U64,
            "{attempt}",
            &[
                "error.type",
                "fallback",
                "kind",
                "model_name",
                "model_provider",
                "outcome",
                "retry",
            ],
        ),
        (
            "lk.agents.provider.attempt_duration",
            H,
            F64,
            "s",
            &["kind", "model_name", "model_provider", "outcome"],
        ),
        ("lk.agents.worker.running_jobs", U, I64, "{job}", &[]),
        ("lk.agents.worker.jobs_started", C, U64, "{job}", &[]),
        ("lk.agents.worker.jobs_ended", C, U64, "{job}", &["outcome"]),
        ("lk.agents.worker.job_duration", H, F64, "s", &["outcome"]),
        ("lk.agents.worker.load", G, F64, "1", &[]),
        ("process.cpu.time", C, F64, "s", &["cpu.mode"]),
        ("process.memory.usage", U, I64, "By", &[]),
        (
            "lk.agents.turn.latency_breakdown",
            H,
            F64,
            "s",
            &["model_name", "model_provider", "owner", "part"],
        ),
        (
            "lk.agents.turn.breakdown_skipped",
            C,
            U64,
            "{turn}",
            &["reason"],
        ),
        ("lk.agents.turn.outcomes", C, U64, "{turn}", &["end_reason"]),
        (
            "lk.agents.turn.spoken_fraction",
            H,
            F64,
            "1",
            &["end_reason"],
        ),
        (
            "lk.agents.session.interruptions",
            C,
            U64,
            "{interruption}",
            &["interrupted_by"],
        ),
        (
            "lk.agents.turn.budget_exceeded",
            C,
            U64,
            "{turn}",
            &["part", "scope"],
        ),
    ]
};

#[test]
fn schema_has_exactly_the_25_instruments_of_the_spec_and_ours() {
    let catalog = Catalog::schema();
    let actual: BTreeMap<_, _> = catalog
        .entries()
        .iter()
        .map(|e| {
            let i = &e.instrument;
            (i.name, (i.kind, e.value_type, i.unit, e.attributes))
        })
        .collect();
    let expected: BTreeMap<_, _> = GOLDEN
        .iter()
        .chain(BEYOND)
        .map(|&(name, kind, value, unit, attrs)| (name, (kind, value, unit, attrs)))
        .collect();
    assert_eq!(actual, expected);
    assert_eq!(catalog.entries().len(), 25 + BEYOND.len());
}

#[test]
fn turn_histograms_keep_the_python_descriptions() {
    let catalog = Catalog::schema();
    let description = |name: &str| {
        catalog
            .entries()
            .iter()
            .find(|e| e.instrument.name == name)
            .map(|e| e.instrument.description)
            .unwrap()
    };
    assert_eq!(
        description("lk.agents.turn.e2e_latency"),
        "End-to-end turn latency"
    );
    assert_eq!(
        description("lk.agents.turn.on_user_turn_completed_delay"),
        "Time to invoke the on_user_turn_completed callback"
    );
    assert_eq!(
        description("lk.agents.connection.acquire_time"),
        "Time to acquire a connection (WebSocket only)"
    );
}

#[test]
fn no_two_fields_define_one_instrument_differently() {
    let catalog = Catalog::schema();
    assert!(catalog.conflicts().is_empty(), "{:#?}", catalog.conflicts());
}

#[test]
fn shared_instruments_name_every_field_that_feeds_them() {
    let catalog = Catalog::schema();
    let sources = |name: &str| -> Vec<String> {
        let e = catalog
            .entries()
            .iter()
            .find(|e| e.instrument.name == name)
            .unwrap();
        e.sources.iter().map(ToString::to_string).collect()
    };
    assert_eq!(
        sources("lk.agents.usage.llm_input_cached_tokens"),
        [
            "LLMMetrics.prompt_cached_tokens",
            "RealtimeModelMetrics.input_token_details.cached_tokens"
        ]
    );
    let mut acquire = sources("lk.agents.connection.acquire_time");
    acquire.sort();
    assert_eq!(
        acquire,
        [
            "RealtimeModelMetrics.acquire_time",
            "STTMetrics.acquire_time",
            "TTSMetrics.acquire_time"
        ]
    );
}

/// The SDK's default boundaries, meant for milliseconds (`docs/PYTHON-PARITY.md` §2.4).
const SDK_DEFAULT_BUCKETS: &[f64] = &[
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0,
    10000.0,
];

#[test]
fn every_histogram_has_buckets_for_its_unit() {
    for e in Catalog::schema().entries() {
        if e.instrument.kind != InstrumentKind::Histogram {
            continue;
        }
        let (name, b) = (e.instrument.name, e.instrument.buckets);
        assert!(!b.is_empty() && b != SDK_DEFAULT_BUCKETS, "{name}: {b:?}");
        if e.instrument.unit == "s" {
            // Seconds: the first boundary resolves sub-second latencies.
            assert!(b[0] <= 0.1 && *b.last().unwrap() >= 5.0, "{name}: {b:?}");
        }
    }
}

/// Every histogram's boundaries, written out: a change to a bucket constant (which dashboards'
/// `le` labels depend on) fails here, where comparing with the constant itself could not.
#[test]
fn every_histogram_has_its_documented_buckets() {
    const LATENCY: &[f64] = &[0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0];
    const GEN_AI_SECONDS: &[f64] = &[
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ];
    let expected: &[(&str, &[f64])] = &[
        ("lk.agents.turn.e2e_latency", LATENCY),
        ("lk.agents.turn.end_of_turn_delay", LATENCY),
        ("lk.agents.turn.llm_ttft", LATENCY),
        ("lk.agents.turn.on_user_turn_completed_delay", LATENCY),
        ("lk.agents.turn.transcription_delay", LATENCY),
        ("lk.agents.turn.tts_ttfb", LATENCY),
        ("lk.agents.turn.latency_breakdown", LATENCY),
        (
            "lk.agents.turn.spoken_fraction",
            &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
        ),
        ("lk.agents.provider.attempt_duration", GEN_AI_SECONDS),
        (
            "lk.agents.worker.job_duration",
            &[
                0.1, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0,
            ],
        ),
        (
            "lk.agents.connection.acquire_time",
            &[
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ],
        ),
        (
            "lk.agents.event_loop.blocked_duration",
            &[0.02, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0],
        ),
        ("gen_ai.client.operation.duration", GEN_AI_SECONDS),
        (
            "gen_ai.client.operation.time_to_first_chunk",
            GEN_AI_SECONDS,
        ),
        ("gen_ai.execute_tool.duration", GEN_AI_SECONDS),
        ("gen_ai.invoke_agent.duration", GEN_AI_SECONDS),
        (
            "gen_ai.client.token.usage",
            &[
                1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0,
                4194304.0, 16777216.0, 67108864.0,
            ],
        ),
    ];
    let mut actual: Vec<(&str, &[f64])> = Catalog::schema()
        .entries()
        .iter()
        .filter(|e| e.instrument.kind == InstrumentKind::Histogram)
        .map(|e| (e.instrument.name, e.instrument.buckets))
        .collect();
    let mut expected = expected.to_vec();
    actual.sort_by_key(|(name, _)| *name);
    expected.sort_by_key(|(name, _)| *name);
    assert_eq!(actual, expected, "a new histogram needs a row here");
}

/// Every panel of the generated Grafana dashboard is valid PromQL to Prometheus' own parser, and
/// names the metric and labels a scrape shows (`gen_ai_operation_name`, never the dotted key).
#[cfg(feature = "serde")]
#[test]
fn every_grafana_panel_is_promql_over_the_scraped_names() {
    use agent_metrics_core::catalog::panel_queries;
    use agent_metrics_test_support::promtool;

    // Both GenAI modes: the opt-in's panels too.
    let catalog = Catalog::schema_with_opt_ins();
    let queries = panel_queries(&catalog.grafana_dashboard());
    let histograms = catalog
        .entries()
        .iter()
        .filter(|e| e.instrument.kind == InstrumentKind::Histogram)
        .count();
    // The turn row's five queries (time by part, share by part, p95 by part and end to end,
    // outcomes), then one panel per instrument.
    assert_eq!(
        queries.len(),
        5 + catalog.entries().len() + histograms,
        "p50 and p95 per histogram"
    );
    for e in catalog.entries() {
        let name = e.prometheus_name();
        assert!(
            queries.iter().any(|q| q.contains(&name)),
            "no panel queries {name}"
        );
        for label in e.prometheus_labels() {
            assert!(!label.contains('.'), "{label}");
        }
    }
    assert!(
        queries.iter().all(|q| !q.contains("gen_ai.")),
        "{queries:#?}"
    );
    if let Some(promtool) = promtool::binary() {
        promtool::check_queries(&promtool, &queries).unwrap();
    }
}

/// The dashboard's worker row: a row panel titled "Worker", then one panel per worker
/// instrument and nothing else, after every other panel (a Grafana row holds the panels below
/// it, so anything after the worker's would be folded into its row).
#[cfg(feature = "serde")]
#[test]
fn the_dashboard_ends_with_a_worker_row() {
    use agent_metrics_core::worker;

    let dashboard = Catalog::schema().grafana_dashboard();
    let panels = dashboard["panels"].as_array().unwrap();
    let row = panels.iter().rposition(|p| p["type"] == "row").unwrap();
    assert_eq!(panels[row]["title"], "Worker");
    let below: Vec<&str> = panels[row + 1..]
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = worker::ALL.iter().map(|w| w.instrument.name).collect();
    let mut sorted = below.clone();
    sorted.sort_unstable();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort_unstable();
    assert_eq!(sorted, expected_sorted);
    // Panels below the row start below it, and none overlaps another.
    let y = |p: &serde_json::Value| p["gridPos"]["y"].as_u64().unwrap();
    assert!(panels[row + 1..].iter().all(|p| y(p) > y(&panels[row])));
    assert!(panels[..row].iter().all(|p| y(p) < y(&panels[row])));
    let mut cells: Vec<(u64, u64)> = panels
        .iter()
        .filter(|p| p["type"] != "row")
        .map(|p| (y(p), p["gridPos"]["x"].as_u64().unwrap()))
        .collect();
    cells.sort_unstable();
    cells.dedup();
    let rows = panels.iter().filter(|p| p["type"] == "row").count();
    assert_eq!(cells.len(), panels.len() - rows, "overlapping panels");
    eprintln!("worker row: {below:?}");
}
