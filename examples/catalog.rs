//! Prints every instrument of the schema, or an artifact generated from it.
//!
//! - `cargo run --example catalog`: the Markdown reference (`docs/METRICS.md`);
//! - `-- --format json`: the JSON instrument list (`docs/catalog.json` is the released one);
//! - `-- --format grafana`: a Grafana dashboard over a Prometheus data source;
//! - `-- --format prometheus-rules [--slo-target 0.99] [--slo-threshold 2]`: Prometheus
//!   recording rules and alerts, with the turn latency SLO's target and threshold (seconds, a
//!   bucket bound of `lk.agents.turn.e2e_latency`);
//! - `-- --diff OLD.json`: the changes from an earlier `--format json` output, each breaking or
//!   additive; exits with 1 when one is breaking;
//! - `-- --format list`: one line per instrument (name, kind, unit, buckets, attribute keys).
//!
//! The catalog shown holds both GenAI modes: the default instruments (livekit-agents 1.8.9's),
//! then those of the `gen_ai_latest_experimental` opt-in that differ, marked as such
//! (`Catalog::schema_with_opt_ins`). `--conventions default` or
//! `--conventions gen_ai_latest_experimental` shows what one mode emits instead
//! (`Catalog::schema_for`).
//!
//! Everything comes from the catalog's own API (`Catalog::to_json`, `grafana_dashboard`,
//! `prometheus_rules`, `diff`), which a plugin calls on its extended catalog the same way.

use agent_metrics::catalog::{Catalog, RulesConfig};
use agent_metrics::schema::GenAiConventions;
use serde_json::Value;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut format = String::from("markdown");
    let mut diff = None;
    let mut config = RulesConfig::default();
    let mut conventions = None;
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--format" => format = value(),
            "--diff" => diff = Some(value()),
            "--slo-target" => config.turn_latency_target = number(&value()),
            "--slo-threshold" => config.turn_latency_threshold = number(&value()),
            "--conventions" => {
                conventions = Some(match value().as_str() {
                    "default" => GenAiConventions::LiveKit,
                    list => match GenAiConventions::from_opt_in(list) {
                        GenAiConventions::LiveKit => usage(),
                        latest => latest,
                    },
                })
            }
            _ => usage(),
        }
    }
    let catalog = conventions.map_or_else(Catalog::schema_with_opt_ins, Catalog::schema_for);
    if let Some(old) = diff {
        let old = std::fs::read_to_string(&old).unwrap_or_else(|e| fail(&format!("{old}: {e}")));
        let diff = catalog.diff(&old).unwrap_or_else(|e| fail(&e.to_string()));
        print!("{diff}");
        std::process::exit(i32::from(diff.is_breaking()));
    }
    match format.as_str() {
        "markdown" | "md" => print!("{}", catalog.docs_markdown()),
        "json" => println!("{}", pretty(&catalog.to_json())),
        "list" => catalog.entries().iter().for_each(|e| {
            let unit = if e.instrument.unit.is_empty() {
                "-"
            } else {
                e.instrument.unit
            };
            println!(
                "{} {} {unit} {:?} [{}]",
                e.label(),
                e.instrument.kind,
                e.instrument.buckets,
                e.attributes.join(", ")
            )
        }),
        "grafana" => println!("{}", pretty(&catalog.grafana_dashboard())),
        "prometheus-rules" => match catalog.prometheus_rules(&config) {
            Ok(rules) => print!("{rules}"),
            Err(e) => fail(&e.to_string()),
        },
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: catalog [--format markdown|json|list|grafana|prometheus-rules] \
         [--conventions default|gen_ai_latest_experimental] \
         [--slo-target SHARE] [--slo-threshold SECONDS] [--diff OLD.json]"
    );
    std::process::exit(2)
}

fn fail(message: &str) -> ! {
    eprintln!("catalog: {message}");
    std::process::exit(2)
}

fn number(s: &str) -> f64 {
    s.parse()
        .unwrap_or_else(|_| fail(&format!("not a number: {s}")))
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON values always serialize")
}
