//! `docs/METRICS.md` is generated from the catalog; this fails when it is stale.

use agent_metrics::catalog::Catalog;

#[test]
fn metrics_md_matches_the_catalog() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/METRICS.md");
    let expected = Catalog::schema_with_opt_ins().docs_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/METRICS.md is stale: run `UPDATE_DOCS=1 cargo test --test derive docs`"
    );
}
