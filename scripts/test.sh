#!/usr/bin/env bash
# The test suite: formatting, lints, and every test of the library, the CLI and the GStreamer
# element (release build, shared with the demo); then the CUDA build is type-checked and linted
# so that it cannot rot (no GPU needed; DINSTYLE_SKIP_CUDA=1 skips it, e.g. while iterating).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
cargo fmt --all --check
cargo clippy --release --locked --workspace --all-targets -- -D warnings
cargo test --release --locked --workspace
if [ "${DINSTYLE_SKIP_CUDA:-0}" != 1 ]; then
    scripts/build-cuda.sh --check
fi
