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
//! `--help` lists the flags; a flag it does not know is a usage error (exit code 2).
//!
//! Everything comes from the catalog's own API (`Catalog::to_json`, `grafana_dashboard`,
//! `prometheus_rules`, `diff`), which a plugin calls on its extended catalog the same way.

use agent_metrics::catalog::{Catalog, RulesConfig};
use agent_metrics::schema::GenAiConventions;
use clap::{Parser, ValueEnum};
use serde_json::Value;

/// Prints every instrument of the schema, or an artifact generated from it.
#[derive(Parser)]
#[command(name = "catalog")]
struct Args {
    /// What to print
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    format: Format,
    /// Print the changes from an earlier `--format json` output; exit with 1 when one is breaking
    #[arg(long, value_name = "OLD.json")]
    diff: Option<String>,
    /// The turn latency SLO's target share (prometheus-rules)
    #[arg(long, value_name = "SHARE")]
    slo_target: Option<f64>,
    /// The turn latency SLO's threshold, a bucket bound of `lk.agents.turn.e2e_latency`
    /// (prometheus-rules)
    #[arg(long, value_name = "SECONDS")]
    slo_threshold: Option<f64>,
    /// Show what one GenAI mode emits: `default`, or an `OTEL_SEMCONV_STABILITY_OPT_IN` list
    /// such as `gen_ai_latest_experimental` (default: both modes, the opt-in's marked)
    #[arg(long, value_name = "MODE", value_parser = conventions)]
    conventions: Option<GenAiConventions>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// The Markdown reference (`docs/METRICS.md`)
    #[value(alias = "md")]
    Markdown,
    /// The JSON instrument list (`docs/catalog.json` is the released one)
    Json,
    /// One line per instrument: name, kind, unit, buckets, attribute keys
    List,
    /// A Grafana dashboard over a Prometheus data source
    Grafana,
    /// Prometheus recording rules and alerts
    PrometheusRules,
}

fn conventions(mode: &str) -> Result<GenAiConventions, String> {
    match mode {
        "default" => Ok(GenAiConventions::LiveKit),
        list => match GenAiConventions::from_opt_in(list) {
            GenAiConventions::LiveKit => Err(format!(
                "`{list}` opts in to nothing; use `default` or `gen_ai_latest_experimental`"
            )),
            latest => Ok(latest),
        },
    }
}

fn main() {
    let args = Args::parse();
    let mut config = RulesConfig::default();
    if let Some(target) = args.slo_target {
        config.turn_latency_target = target;
    }
    if let Some(threshold) = args.slo_threshold {
        config.turn_latency_threshold = threshold;
    }
    let catalog = args
        .conventions
        .map_or_else(Catalog::schema_with_opt_ins, Catalog::schema_for);
    if let Some(old) = args.diff {
        let old = std::fs::read_to_string(&old).unwrap_or_else(|e| fail(&format!("{old}: {e}")));
        let diff = catalog.diff(&old).unwrap_or_else(|e| fail(&e.to_string()));
        print!("{diff}");
        std::process::exit(i32::from(diff.is_breaking()));
    }
    match args.format {
        Format::Markdown => print!("{}", catalog.docs_markdown()),
        Format::Json => println!("{}", pretty(&catalog.to_json())),
        Format::List => catalog.entries().iter().for_each(|e| {
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
        Format::Grafana => println!("{}", pretty(&catalog.grafana_dashboard())),
        Format::PrometheusRules => match catalog.prometheus_rules(&config) {
            Ok(rules) => print!("{rules}"),
            Err(e) => fail(&e.to_string()),
        },
    }
}

fn fail(message: &str) -> ! {
    eprintln!("catalog: {message}");
    std::process::exit(2)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON values always serialize")
}
