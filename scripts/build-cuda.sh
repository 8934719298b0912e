#!/usr/bin/env bash
# Builds dinstyle with CUDA (`--features cuda`): the CLI and the GStreamer element, into
# target/cuda/release (so the CPU build in target/release stays). The toolchain comes from
# scripts/cuda-env.sh (CUDA 13.0 wheels, no system CUDA needed); building needs no GPU.
#
#   scripts/build-cuda.sh            # release build, kernels for CUDA_COMPUTE_CAP (default 90)
#   scripts/build-cuda.sh --check    # type-check only (what CI runs; still compiles Candle's kernels)
#
# To run the result on a GPU machine, its CUDA 13 libraries must be found: either the same
# wheels (`. scripts/cuda-env.sh` there) or the system's, e.g.
#   LD_LIBRARY_PATH=$(dirname "$(find / -name 'libcublas.so.13*' -print -quit 2>/dev/null)") \
#       target/cuda/release/dinstyle image photo.jpg --style painting.jpg --device cuda -o out.png
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
. scripts/cuda-env.sh
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target/cuda}
if [ "${1:-}" = "--check" ]; then
    cargo clippy --release --locked --workspace --all-targets --features dinstyle-cli/cuda -- -D warnings
else
    cargo build --release --locked -p dinstyle-cli -p gst-plugin-dinstyle --features dinstyle-cli/cuda
    echo "built: $CARGO_TARGET_DIR/release/dinstyle and $CARGO_TARGET_DIR/release/libgstdinstyle.so" >&2
fi
