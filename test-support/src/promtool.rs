//! Checks PromQL with Prometheus' own `promtool` (Debian's `prometheus` package ships it), so that
//! generated dashboards and rules are judged by the parser users' Prometheus runs.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Set to `1` (as CI does) to fail, rather than skip, when `promtool` is missing.
pub const REQUIRE: &str = "AGENT_METRICS_REQUIRE_PROMETHEUS";

/// `promtool` on `PATH` or at `/usr/bin/promtool`; `None` when neither exists and [`REQUIRE`] is
/// not set (the test then skips); panics when it is set.
pub fn binary() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("promtool"))
        .chain([PathBuf::from("/usr/bin/promtool")])
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var(REQUIRE).map_or(true, |v| v != "1"),
            "{REQUIRE}=1 but there is no `promtool` (Debian's `prometheus` package ships it)"
        );
        eprintln!("skipped: no `promtool` (set {REQUIRE}=1 to fail instead)");
    }
    found
}

/// Runs `promtool check rules` on one recording rule per query; the error is promtool's output.
pub fn check_queries(promtool: &Path, queries: &[String]) -> Result<(), String> {
    let mut rules = String::from("groups:\n  - name: generated\n    rules:\n");
    for (i, q) in queries.iter().enumerate() {
        let quoted = q.replace('\'', "''");
        rules.push_str(&format!(
            "      - record: generated:query_{i}\n        expr: '{quoted}'\n"
        ));
    }
    check_rules(promtool, &rules).map(drop)
}

/// Runs `promtool check rules` on the rules file `yaml`; the output, or the error with the file.
pub fn check_rules(promtool: &Path, yaml: &str) -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("agent-metrics-promtool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file = dir.join(format!("rules-{}.yml", fastrand::u64(..)));
    std::fs::write(&file, yaml).map_err(|e| e.to_string())?;
    let out = run(promtool, &["check", "rules"], &file);
    let _ = std::fs::remove_file(&file);
    out.map_err(|e| format!("{e}\n--- rules ---\n{yaml}"))
}

/// Runs `promtool test rules` on the unit-test file `tests` (its `rule_files` are relative to
/// it); promtool's output, as the error when a test fails.
pub fn test_rules(promtool: &Path, tests: &Path) -> Result<String, String> {
    run(promtool, &["test", "rules"], tests)
}

fn run(promtool: &Path, args: &[&str], file: &Path) -> Result<String, String> {
    let out = Command::new(promtool)
        .args(args)
        .arg(file)
        .output()
        .map_err(|e| format!("cannot run promtool: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}
