//! `docs/rules/agent-metrics.rules.yml` is the Prometheus rules file generated from the catalog
//! with the default SLO; this fails when it is stale, and runs Prometheus' own checks on it: its
//! syntax (`promtool check rules`) and the unit tests next to it (`promtool test rules`), whose
//! synthetic series must fire each alert and must leave it silent.

use std::path::Path;

use agent_metrics::catalog::{Catalog, RulesConfig};
use agent_metrics_test_support::promtool;

#[test]
fn the_rules_file_is_current_and_passes_its_promtool_tests() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let path = dir.join("agent-metrics.rules.yml");
    let expected = Catalog::schema()
        .prometheus_rules(&RulesConfig::default())
        .unwrap();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/rules/agent-metrics.rules.yml is stale: run `UPDATE_DOCS=1 cargo test --test derive`"
    );
    let Some(promtool) = promtool::binary() else {
        return;
    };
    let checked = promtool::check_rules(&promtool, &actual).unwrap();
    assert!(checked.contains("SUCCESS"), "{checked}");
    let tested = promtool::test_rules(&promtool, &dir.join("agent-metrics.test.yml"))
        .unwrap_or_else(|out| panic!("promtool test rules failed:\n{out}"));
    assert!(tested.contains("SUCCESS"), "{tested}");
}
