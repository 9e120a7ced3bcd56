//! A crate that renames the facade (`metrics_facade = { package = "agent-metrics" }`) and sets
//! `#[metric(crate = metrics_facade)]` builds: generated code names no `::agent_metrics` path.
//!
//! The crate lives in `tests/renamed-facade` with its own `[workspace]`, so it is built by a
//! nested `cargo build` rather than as part of this workspace.

use std::path::Path;
use std::process::Command;

#[test]
fn derives_work_through_a_renamed_facade() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let krate = root.join("tests/renamed-facade");
    // Resolving from the workspace's lock keeps the nested build offline and on the versions
    // this workspace was tested with; the copy is git-ignored.
    std::fs::copy(root.join("Cargo.lock"), krate.join("Cargo.lock")).expect("copy Cargo.lock");
    let output = Command::new(env!("CARGO"))
        .args(["build", "--offline", "--quiet", "--manifest-path"])
        .arg(krate.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", root.join("target/renamed-facade"))
        // Set for this test binary by the outer cargo; the nested build must pick its own.
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .env_remove("CARGO_MANIFEST_DIR")
        .env_remove("CARGO_PRIMARY_PACKAGE")
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "building tests/renamed-facade failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
