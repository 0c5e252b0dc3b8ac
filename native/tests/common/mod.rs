//! Helpers shared by the CLI tests: the binary under test, and its exit status
//! checked with the captured standard error returned.

use std::process::{Command, Output};

/// The `taxdistill` binary that cargo built for these tests.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_taxdistill"))
}

/// Asserts that the command succeeded; returns its standard error.
pub fn ok(out: Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{what} failed: {stderr}");
    stderr
}

/// Asserts that the command failed; returns its standard error (the error line).
#[allow(dead_code)] // not every test file uses every helper
pub fn fail(out: Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{what} should have failed");
    stderr
}
