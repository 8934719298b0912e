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
# enough that one alone leaves most of it idle (launch-bound at these sizes). The paintings'
# statistics are computed once, before the runs, into one cache they all read.
set -uo pipefail
cd "$(dirname "$0")"
OUT=${1:?usage: gpu_lease.sh OUT [MINUTES]}
MINUTES=${2:-7}
PY=${PYTHON:-python3}
INIT=${INIT:-../din-mobile.safetensors}
BATCH=${BATCH:-32}
# y9's loss (models/README.md, "y9"), with half as many styles per batch as photos, 4x y9's:
# what the style path lacks is seeing each style more often (README, "y9's kernels hold it back")
COMMON=(--data "${DATA:-gpu/data}" --vgg gpu/vgg16_relu4_1_f16.pt --config din-modulated --init "$INIT"
        --cache runs/cache --loss balanced --octaves 2 --style-size 256 --structure-pool 2
        --structure-weight 100 --identity-style-sizes 128,160 --upscaled-style-weight 8 --upscaled-window 64
        --param-lr-mult 1 --warmup 100 --ema 0.999 --batch "$BATCH" --styles-per-batch "$(( BATCH / 2 ))"
        --save-every-min 2 --log-every 100)
# name, content crop, then the options that set the run apart (later options win)
RUNS=(
    "g1 128 --style-weight 20 --identity-weight 3 --temporal-weight 40 --lr 3e-4"
    "g2 128 --style-weight 20 --identity-weight 3 --temporal-weight 40 --lr 3e-4 --frozen content_encoder,decoder"
    "g3 128 --style-weight 20 --identity-weight 3 --temporal-weight 0 --upscaled-style-weight 0 --lr 3e-4 --frozen content_encoder,decoder"
    "g4 128 --style-weight 30 --identity-weight 3 --temporal-weight 40 --lr 3e-4"
)
mkdir -p "$OUT" runs
gpu_memory() { nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader || true; }
gpu_memory | tee "$OUT/gpu.txt"
threads=$(( $(nproc) / ${#RUNS[@]} )); [ "$threads" -ge 1 ] || threads=1
iteration=$("$PY" -c "import sys; from safetensors import safe_open; \
print(safe_open(sys.argv[1], 'pt').metadata().get('iterations', 0))" "$INIT")  # where the cosines start
# fills runs/cache (two steps timed, nothing written) so that the runs' minutes go to training
"$PY" train.py "${COMMON[@]}" --threads "$(nproc)" --bench 1 >runs/cache.out 2>&1 || tail -5 runs/cache.out
pids=()
for run in "${RUNS[@]}"; do
    read -r name crop options <<<"$run"
    # shellcheck disable=SC2086  # the run's options split into words on purpose
    PYTHONUNBUFFERED=1 "$PY" train.py "${COMMON[@]}" --ckpt "runs/$name.ckpt" --threads "$threads" \
        --iters 999999 --decay-from "$iteration" --crop "$crop" $options \
        --fit-minutes "$MINUTES" --max-minutes "$(awk "BEGIN{print $MINUTES + 0.5}")" \
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
