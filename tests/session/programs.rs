//! The examples behave like programs: `--help` prints usage and exits 0; a flag they do not
//! know is one error line and the usage on stderr, exit code 2, and no panic.
//!
//! The examples are built by a nested `cargo build` with this test binary's profile and features,
//! so that `cargo test --test session` checks the binaries it runs are current (a no-op after
//! `cargo test --workspace`, which builds the examples anyway).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const EXAMPLES: [&str; 3] = ["agent_session", "catalog", "stress"];

/// The built examples' directory, after building them once per test binary.
fn examples() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let features: Vec<&str> = [
            ("serde", cfg!(feature = "serde")),
            ("otlp", cfg!(feature = "otlp")),
            ("tls-aws-lc", cfg!(feature = "tls-aws-lc")),
            ("grpc", cfg!(feature = "grpc")),
            ("prometheus", cfg!(feature = "prometheus")),
            ("bound", cfg!(feature = "bound")),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect();
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--offline", "--quiet", "--no-default-features"])
            .arg(format!("--features={}", features.join(",")))
            .arg("--manifest-path")
            .arg(root.join("Cargo.toml"));
        for example in EXAMPLES {
            cargo.args(["--example", example]);
        }
        if !cfg!(debug_assertions) {
            cargo.arg("--release");
        }
        let output = cargo.output().expect("run cargo");
        assert!(
            output.status.success(),
            "building the examples failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        // This binary is `<target>/<profile>/deps/session-<hash>`.
        let exe = std::env::current_exe().expect("the test binary's path");
        let profile = exe
            .parent()
            .and_then(Path::parent)
            .expect("<target>/<profile>");
        profile.join("examples")
    })
}

fn run(example: &str, args: &[&str]) -> Output {
    Command::new(examples().join(example))
        .args(args)
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .output()
        .unwrap_or_else(|e| panic!("run {example}: {e}"))
}

#[test]
fn help_prints_usage_and_exits_0() {
    for example in EXAMPLES {
        let out = run(example, &["--help"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{example} --help: {out:?}");
        assert!(
            stdout.contains(&format!("Usage: {example} [OPTIONS]")),
            "{stdout}"
        );
        assert!(stdout.contains("-h, --help"), "{stdout}");
    }
}

#[test]
fn an_unknown_flag_is_a_usage_error_with_exit_code_2() {
    for example in EXAMPLES {
        let out = run(example, &["--no-such-flag"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{example} --no-such-flag: {stderr}"
        );
        let errors: Vec<_> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(
            errors,
            ["error: unexpected argument '--no-such-flag' found"],
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("Usage: {example} [OPTIONS]")),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.stdout.is_empty(), "{example} ran anyway");
    }
}

#[test]
fn a_bad_value_is_a_usage_error_with_exit_code_2() {
    let cases: [(&str, &[&str], &str); 4] = [
        ("agent_session", &["--turns", "1"], "1 is not in 2.."),
        (
            "agent_session",
            &["--prices", "no/such/prices.json"],
            "cannot read the price table",
        ),
        (
            "catalog",
            &["--format", "yaml"],
            "invalid value 'yaml' for '--format <FORMAT>'",
        ),
        (
            "stress",
            &["--threads", "many"],
            "invalid value 'many' for '--threads <N>'",
        ),
    ];
    for (example, args, why) in cases {
        let out = run(example, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{example} {args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(why),
            "{stderr}"
        );
    }
}
