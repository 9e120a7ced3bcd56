//! Our `/metrics` endpoint, read as Prometheus reads it:
//!
//! - [`names`]: every instrument of the schema, and of a type using the other units and kinds,
//!   is scraped under [`CatalogEntry::prometheus_name`] with its `prometheus_labels`;
//! - [`characters`]: a real Prometheus server scrapes the endpoint on loopback, and its query
//!   API shows the TTS characters counter with the right value and labels;
//! - [`dashboard`]: with a real Prometheus scraping while the simulated session runs, every
//!   query of the schema's Grafana dashboard returns data through the query API.
//!
//! Needs the `prometheus` feature, and for the last two a `prometheus` binary (on PATH or
//! /usr/bin/prometheus; Debian: `apt-get install -y prometheus`). Without them the tests print a
//! note and pass, unless `AGENT_METRICS_REQUIRE_PROMETHEUS=1` (as in CI), where they fail with
//! the reason.
//!
//! [`CatalogEntry::prometheus_name`]: agent_metrics_core::catalog::CatalogEntry::prometheus_name

use std::path::{Path, PathBuf};

#[cfg(feature = "prometheus")]
mod characters;
#[cfg(feature = "prometheus")]
mod dashboard;
#[cfg(feature = "prometheus")]
mod names;
#[cfg(feature = "prometheus")]
mod server;

const REQUIRE: &str = "AGENT_METRICS_REQUIRE_PROMETHEUS";

fn required() -> bool {
    std::env::var(REQUIRE).is_ok_and(|v| v == "1")
}

fn prometheus_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("prometheus"))
        .chain([PathBuf::from("/usr/bin/prometheus")])
        .find(|candidate| candidate.is_file())
}

/// Runs `test` with the `prometheus` binary, or skips (fails under [`REQUIRE`]) without it.
#[cfg_attr(not(feature = "prometheus"), allow(dead_code))]
fn with_prometheus(test: fn(&Path)) {
    let Some(binary) = prometheus_binary() else {
        assert!(
            !required(),
            "{REQUIRE}=1 but there is no `prometheus` binary on PATH or at /usr/bin/prometheus \
             (Debian: apt-get install -y prometheus)"
        );
        eprintln!("skipped: no `prometheus` binary (set {REQUIRE}=1 to fail instead)");
        return;
    };
    test(&binary);
}

#[cfg(not(feature = "prometheus"))]
#[test]
fn real_prometheus_scrapes_our_endpoint() {
    assert!(
        !required(),
        "{REQUIRE}=1 but agent-metrics-core was built without its `prometheus` feature \
         (run with --features prometheus or --all-features)"
    );
    eprintln!("skipped: built without the `prometheus` feature (set {REQUIRE}=1 to fail instead)");
}

#[cfg(feature = "prometheus")]
#[test]
fn real_prometheus_scrapes_our_endpoint() {
    with_prometheus(characters::run);
}

#[cfg(feature = "prometheus")]
#[test]
fn every_dashboard_panel_returns_data_from_real_prometheus() {
    with_prometheus(dashboard::run);
}
