//! The compatibility gate: the catalog against the released one (`docs/catalog.json`). A
//! breaking change (an instrument removed or renamed; its kind, value type, unit or buckets
//! changed; an attribute key removed or renamed) fails unless `docs/catalog-breaking.txt`
//! accepts it; additive changes pass, and are told.

use agent_metrics::catalog::Catalog;

const RELEASED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/catalog.json");
const ACCEPTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/catalog-breaking.txt");

#[test]
fn no_unacknowledged_breaking_change_since_the_released_catalog() {
    let released = std::fs::read_to_string(RELEASED).unwrap();
    // Both GenAI modes: an opt-in's instrument, once released, is gated like any other.
    let diff = Catalog::schema_with_opt_ins().diff(&released).unwrap();
    let accepted_file = std::fs::read_to_string(ACCEPTED).unwrap();
    let accepted: Vec<&str> = accepted_file
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let breaking: Vec<String> = diff.breaking().map(ToString::to_string).collect();
    let unaccepted: Vec<&String> = breaking
        .iter()
        .filter(|c| !accepted.contains(&c.as_str()))
        .collect();
    assert!(
        unaccepted.is_empty(),
        "breaking changes since the released catalog (docs/catalog.json):\n{}\nundo them, or \
         accept each by adding its line to docs/catalog-breaking.txt",
        unaccepted
            .iter()
            .map(|c| format!("  {c}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let stale: Vec<&&str> = accepted
        .iter()
        .filter(|a| !breaking.iter().any(|b| b == *a))
        .collect();
    assert!(
        stale.is_empty(),
        "docs/catalog-breaking.txt accepts changes the diff no longer shows; remove: {stale:?}"
    );
    if diff.changes().is_empty() {
        return;
    }
    eprintln!(
        "{diff}docs/catalog.json is the released catalog; at the next release refresh it with \
         `cargo run --example catalog -- --format json > docs/catalog.json` and empty \
         docs/catalog-breaking.txt"
    );
}
