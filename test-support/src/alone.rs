//! Running one test in a process of its own: for a test that reads a process-wide figure (the
//! attribute cache's entry count, say), which the other tests of its binary, running at the same
//! time, would change.

/// The environment variable that tells the child it is the child.
pub const CHILD: &str = "AGENT_METRICS_TEST_ALONE";

/// Whether this process is the child [`run_alone`] started.
pub fn is_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Runs the ignored test `test` (its path in the binary, e.g. `cardinality::alone_body`) in a
/// child process of this test binary, alone, and panics with its output unless it ran and
/// passed. Returns its standard output.
pub fn run_alone(test: &str) -> String {
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = std::process::Command::new(exe)
        .args([
            "--exact",
            test,
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD, "1")
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{test} failed alone:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("1 passed"), "{test} did not run:\n{stdout}");
    stdout
}
