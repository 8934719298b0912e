#!/usr/bin/env bash
# Side-by-side training runs on a lent GPU machine for a fixed number of minutes, each resuming
# the shipped weights, then their exported models and logs in OUT:
#
#     models/train/gpu_lease.sh OUT [MINUTES]        # from the repository root, on the GPU machine
#
# What it needs there, prepared here (both ignored, carried by the `device` tool's `carry`):
#     python pack_data.py -o gpu/data --content-side 224 --styles 3000 --quality 70   # ~46 MB
#     python vgg.py --compact cache/vgg16_relu4_3.pt -o gpu/vgg16_relu4_1_f16.pt        # ~6 MB
# Each run gets an equal share of the CPU cores and fits its cosine into MINUTES (train.py
# --fit-minutes; the iterations it chose are in its log). The runs share one GPU: they are small
# enough that one alone leaves most of it idle (launch-bound at these sizes).
set -uo pipefail
cd "$(dirname "$0")"
OUT=${1:?usage: gpu_lease.sh OUT [MINUTES]}
MINUTES=${2:-7}
PY=${PYTHON:-python3}
INIT=${INIT:-../din-mobile.safetensors}
COMMON=(--data "${DATA:-gpu/data}" --vgg gpu/vgg16_relu4_1_f16.pt --config din-modulated --init "$INIT"
        --loss balanced --octaves 2 --temporal-weight 30 --param-lr-mult 1 --lr 2e-4 --warmup 100
        --batch "${BATCH:-32}" --styles-per-batch "$(( ${BATCH:-32} / 2 ))" --style-size 256
        --structure-pool 2 --save-every-min 2
        --fit-minutes "$MINUTES" --max-minutes "$(awk "BEGIN{print $MINUTES + 0.5}")" --log-every 100)
# name: crop; structure, style and identity weights; the sides the identity's photo is encoded at
# (train.py --identity-style-sizes: without the 256 of the paintings, `alpha` 0 loses the photo)
RUNS=(
    "g1 128 550 180 60 128,192,256"
    "g2 128 650 200 60 128,192,256"
    "g3 192 400 160 60 192,256"
    "g4 128 600 240 80 128,192,256"
)
mkdir -p "$OUT" runs
gpu_memory() { nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader || true; }
gpu_memory | tee "$OUT/gpu.txt"
threads=$(( $(nproc) / ${#RUNS[@]} )); [ "$threads" -ge 1 ] || threads=1
iteration=$("$PY" -c "import sys; from safetensors import safe_open; \
print(safe_open(sys.argv[1], 'pt').metadata().get('iterations', 0))" "$INIT")  # where the cosines start
pids=()
for run in "${RUNS[@]}"; do
    read -r name crop structure style identity identity_sizes <<<"$run"
    PYTHONUNBUFFERED=1 "$PY" train.py "${COMMON[@]}" --ckpt "runs/$name.ckpt" --cache "runs/cache-$name" \
        --threads "$threads" --iters 999999 --decay-from "$iteration" --crop "$crop" \
        --structure-weight "$structure" --style-weight "$style" --identity-weight "$identity" \
        --identity-style-sizes "$identity_sizes" \
        >"runs/$name.out" 2>&1 &
    pids+=($!)
done
sleep 120 && gpu_memory >>"$OUT/gpu.txt" &
for pid in "${pids[@]}"; do wait "$pid"; done
for run in "${RUNS[@]}"; do
    read -r name _ <<<"$run"
    tail -3 "runs/$name.out"
    [ -f "runs/$name.ckpt" ] && "$PY" export.py --ckpt "runs/$name.ckpt" -o "$OUT/$name.safetensors"
done
tar czf "$OUT/logs.tgz" runs/*.out runs/*.log.jsonl
ls -la "$OUT"
