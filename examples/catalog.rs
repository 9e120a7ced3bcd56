//! Prints every instrument of the schema.
//!
//! `cargo run --example catalog` prints a Markdown table; `-- --format json` a JSON array;
//! `-- --format grafana` a Grafana dashboard over a Prometheus data source (histograms as p50/p95
//! by their attributes, counters as rates), with the names and labels Prometheus shows. The
//! output comes from the catalog's own API (`Catalog::to_json`, `Catalog::grafana_dashboard`),
//! which a plugin calls on its extended catalog the same way.

use agent_metrics::catalog::Catalog;
use serde_json::Value;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let format = match args.as_slice() {
        [] => "markdown",
        [flag, value] if flag == "--format" => value.as_str(),
        _ => usage(),
    };
    let catalog = Catalog::schema();
    match format {
        "markdown" | "md" => print!("{}", catalog.docs_markdown()),
        "json" => println!("{}", pretty(&catalog.to_json())),
        "grafana" => println!("{}", pretty(&catalog.grafana_dashboard())),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!("usage: catalog [--format markdown|json|grafana]");
    std::process::exit(2)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON values always serialize")
}
