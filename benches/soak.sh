#!/usr/bin/env bash
# Soak: the element in a live pipeline (videotestsrc is-live=true, 640x360 at 30 fps,
# processing-size 270) for SECONDS (an hour by default), styles and properties changed every
# 2 s (every style kind, alpha, mask, mask-style, stability, colour, cross-fades), resident
# memory and fps sampled every 10 s. Writes benches/soak/soak-DATE.tsv (the machine and the date
# in its header) and exits 1 if memory grows by more than 8 MiB over the warm-up's peak
# (the first tenth, 30-300 s). The test suite runs the same code for two minutes
# (plugin/tests/soak.rs).
#
#   benches/soak.sh            # one hour
#   benches/soak.sh 600        # ten minutes
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_TO_RUN=${1:-3600}
cd "$ROOT"
. scripts/setup.sh >/dev/null
cargo build --release --locked -p gst-plugin-dinstyle --example soak >&2
mkdir -p benches/soak
OUT=benches/soak/soak-$(date -u +%Y-%m-%dT%H%M).tsv
echo "writing $OUT" >&2
target/release/examples/soak "$SECONDS_TO_RUN" "$OUT"
