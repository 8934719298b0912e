//! Running the `dinstyle` binary from the integration tests.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `dinstyle ARGS` in `dir`, with a style cache of the tests' own (not the user's).
pub fn dinstyle(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dinstyle"))
        .args(args)
        .current_dir(dir)
        .env(
            "DINSTYLE_CACHE_DIR",
            std::env::temp_dir().join("dinstyle-cli-test-cache"),
        )
        .output()
        .expect("run dinstyle")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
