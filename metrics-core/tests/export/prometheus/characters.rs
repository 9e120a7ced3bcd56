//! A real Prometheus server scrapes our endpoint, and its query API shows the TTS characters
//! counter with the values and labels we recorded.

use std::path::Path;
use std::time::Duration;

use agent_metrics_core::export::{Env, Telemetry};
use agent_metrics_core::opentelemetry::KeyValue;
use agent_metrics_test_support::scrape::http_get;

use super::server::{JOB, Prometheus};

const SERIES: &str = "lk_agents_usage_tts_characters_total";
const SCRAPE_WAIT: Duration = Duration::from_secs(30);

pub(super) fn run(binary: &Path) {
    let telemetry = Telemetry::builder()
        .env(Env::empty())
        .prometheus("127.0.0.1:0".parse().unwrap())
        .build()
        .unwrap();
    let ours = telemetry.prometheus_addr().unwrap();
    let characters = telemetry
        .meter()
        .u64_counter("lk.agents.usage.tts_characters")
        .with_unit("{character}")
        .build();
    let cartesia = [
        KeyValue::new("model_name", "sonic-2"),
        KeyValue::new("model_provider", "cartesia"),
    ];
    let eleven = [
        KeyValue::new("model_name", "eleven_flash_v2_5"),
        KeyValue::new("model_provider", "elevenlabs"),
    ];
    characters.add(42, &cartesia);
    characters.add(8, &cartesia);
    characters.add(7, &eleven);

    let (status, text) = http_get(ours, "/metrics");
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains(&format!("{SERIES}{{")),
        "our endpoint serves {SERIES}:\n{text}"
    );
    assert_eq!(http_get(ours, "/").0, 404);

    let mut prometheus = Prometheus::start(binary, ours);
    let result = prometheus.wait_for(&format!("both {SERIES} series"), SCRAPE_WAIT, |p| {
        p.query(SERIES).filter(|result| result.len() >= 2)
    });
    let mut found: Vec<(String, String, String, String)> = result
        .iter()
        .map(|series| {
            let label = |name: &str| series["metric"][name].as_str().unwrap_or("").to_owned();
            let value = series["value"][1].as_str().unwrap_or("").to_owned();
            (
                label("model_provider"),
                label("model_name"),
                label("job"),
                value,
            )
        })
        .collect();
    found.sort();
    let expected = [
        ("cartesia", "sonic-2", JOB, "50"),
        ("elevenlabs", "eleven_flash_v2_5", JOB, "7"),
    ]
    .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned()));
    assert_eq!(found, expected, "{result:#?}");
    assert!(
        result
            .iter()
            .all(|s| s["metric"]["otel_scope_name"] == "livekit-agents"),
        "{result:#?}"
    );

    telemetry.shutdown(Duration::from_secs(5)).unwrap();
    drop(prometheus);
}
