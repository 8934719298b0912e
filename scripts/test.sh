#!/usr/bin/env bash
# The test suite: formatting, lints, and every test of the library, the CLI and the GStreamer
# element (release build, shared with the demo).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
cargo fmt --all --check
cargo clippy --release --locked --workspace --all-targets -- -D warnings
cargo test --release --locked --workspace
