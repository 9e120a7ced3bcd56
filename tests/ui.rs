//! Compile-time behaviour of the derives: every misuse in `ui/fail` is rejected with the message
//! in its `.stderr`, and every hygiene case in `ui/pass` builds and runs.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test --test ui`, then read each
//! changed `.stderr`: it is the text a user sees.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
