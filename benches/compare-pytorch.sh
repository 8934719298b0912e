#!/usr/bin/env bash
# Side-by-side throughput of the Rust engine and the same network in PyTorch, on this machine,
# in one run: the two alternate ROUNDS times so that machine noise hits both alike.
#
#   benches/compare-pytorch.sh                       # 360p on the CPU
#   SIZES=360p,720p ROUNDS=5 benches/compare-pytorch.sh
#   DEVICE=cuda TORCH_ARGS=--half benches/compare-pytorch.sh
#
# PYTHON must have the training requirements (models/train/requirements.txt: torch, safetensors).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SIZES=${SIZES:-360p}
ROUNDS=${ROUNDS:-3}
FRAMES=${FRAMES:-50}
DEVICE=${DEVICE:-cpu}
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c "import torch, safetensors" 2>/dev/null; then
    echo "compare-pytorch: $PYTHON lacks torch/safetensors; set PYTHON to a venv with" \
        "models/train/requirements.txt installed" >&2
    exit 1
fi
FEATURES=()
[ "$DEVICE" != cpu ] && FEATURES=(--features cuda)
cargo build --release --locked -p dinstyle-cli "${FEATURES[@]}" >&2
DINSTYLE=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/dinstyle
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for r in $(seq "$ROUNDS"); do
    "$DINSTYLE" bench --csv --sizes "$SIZES" --frames "$FRAMES" --device "$DEVICE" |
        grep -v '^style-encoding' | tail -n +2 >>"$OUT/rust.csv"
    # shellcheck disable=SC2086
    "$PYTHON" benches/pytorch_reference.py --sizes "$SIZES" --frames "$FRAMES" --device "$DEVICE" \
        ${TORCH_ARGS:-} | grep -v '^style-encoding' | tail -n +2 >>"$OUT/torch.csv"
    echo "round $r of $ROUNDS done" >&2
done
echo "$(date -u +%F) $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores), $ROUNDS rounds x $FRAMES frames"
"$PYTHON" - "$OUT/rust.csv" "$OUT/torch.csv" <<'PY'
import csv, statistics, sys
def medians(path):
    rows = {}
    for r in csv.reader(open(path)):
        rows.setdefault((int(r[1]), int(r[2])), []).append((r[0], float(r[4])))
    return {k: (v[0][0], statistics.median(ms for _, ms in v)) for k, v in rows.items()}
rust, torch = medians(sys.argv[1]), medians(sys.argv[2])
print(f"{'size':>10}  {'dinstyle ms':>11}  {'pytorch ms':>10}  {'speed-up':>8}")
for size in sorted(rust):
    (rp, r), (tp, t) = rust[size], torch[size]
    print(f"{size[0]:>5}x{size[1]:<4}  {r:>11.1f}  {t:>10.1f}  {t / r:>7.2f}x")
print(f"dinstyle: {rp}\npytorch:  {tp}")
PY
