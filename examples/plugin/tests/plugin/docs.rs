//! The artifacts the plugin ships are generated from its catalog through the catalog's API and
//! kept current: `docs/METRICS.md` and the Grafana dashboard `docs/dashboard.json`.

use std::path::Path;

use agent_metrics_plugin_example::{catalog, docs_markdown};

/// Compares `path` with `expected`, rewriting it first under `UPDATE_DOCS=1`.
fn check_current(path: &str, expected: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "{} is stale: run `UPDATE_DOCS=1 cargo test -p agent-metrics-plugin-example docs`",
        path.display()
    );
}

#[test]
fn docs_metrics_md_is_current_and_lists_the_plugins_instruments() {
    let page = docs_markdown();
    for name in ["exampletts.frame_size", "exampletts.reconnects"] {
        assert!(
            page.contains(&format!("| `{name}` |")),
            "{name} in the table"
        );
    }
    // The frame sizes are bytes, listed under their own unit, never among the seconds.
    let bytes = page.find("### `By` (bytes)").expect("a bytes section");
    let seconds = page.find("### `s` (seconds)").expect("a seconds section");
    let frame = page.find("- `exampletts.frame_size`").unwrap();
    assert!(
        frame > bytes && (seconds > frame || seconds < bytes),
        "{page}"
    );
    assert!(page.contains("| `exampletts.frame_size` | `exampletts_frame_size_bytes` |"));
    assert!(page.contains("| `exampletts.reconnects` | `exampletts_reconnects_total` |"));
    check_current("docs/METRICS.md", &page);
}

#[test]
fn docs_dashboard_json_is_current_with_a_panel_per_instrument() {
    let catalog = catalog();
    // A dashboard of its own next to the schema's: its own uid and title.
    let dashboard = catalog.grafana_dashboard_titled("Voice agents with exampletts", "exampletts");
    let panels = dashboard["panels"].as_array().expect("panels");
    let rows = panels.iter().filter(|p| p["type"] == "row").count();
    assert_eq!(
        rows, 4,
        "the schema's row, the turns', every instrument's, the worker's"
    );
    // The plugin's own panels first: the dashboard opens on them.
    let first_row = panels.iter().position(|p| p["type"] == "row").unwrap();
    assert_eq!(panels[first_row]["title"], "Voice agent");
    let own: Vec<&str> = panels[..first_row]
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert!(
        own.iter().all(|t| t.starts_with("exampletts.")) && own.len() >= 2,
        "{own:?}"
    );
    // The turns' row has four panels (time by part, share by part, p95 by part, outcomes).
    assert_eq!(panels.len() - rows, 4 + catalog.entries().len());
    for name in ["exampletts.frame_size", "exampletts.reconnects"] {
        assert!(
            panels.iter().any(|p| p["title"] == name),
            "a panel for {name}"
        );
    }
    let frame = panels
        .iter()
        .find(|p| p["title"] == "exampletts.frame_size")
        .unwrap();
    let legends: Vec<&str> = frame["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["legendFormat"].as_str())
        .collect();
    assert_eq!(
        legends,
        [
            "p50 {{model_name}} {{model_provider}}",
            "p95 {{model_name}} {{model_provider}}"
        ]
    );
    assert_eq!(frame["fieldConfig"]["defaults"]["unit"], "bytes");
    check_current("docs/dashboard.json", &format!("{dashboard:#}\n"));
}
