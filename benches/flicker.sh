#!/usr/bin/env bash
# Flicker of the dinstyle element on real clips: the warping error of models/train/flicker.py
# (mean |frame t+g - frame t warped by the source's optical flow|, RGB in [0, 1], occluded pixels
# left out) of each clip and of its stylized version, at frame gaps 1 and 10. The source's own
# error is the floor; stylized/source near 1 means no added flicker. One markdown row per clip.
#
#   benches/flicker.sh
#   MODEL=my.safetensors EXTRA="stability=0.8" benches/flicker.sh
#   STYLE=preset:the-harvest FRAMES=60 VIDEOS=~/clips benches/flicker.sh
#
# VIDEOS: folder of .mp4/.avi clips (default ../shared/data/video beside the checkout).
# FRAMES: first N frames of each clip (150). STYLE: style spec (preset:the-night-cafe).
# MODEL: .safetensors model (unset: the bundled one). EXTRA: more element properties, verbatim.
# WORK: where decoded and stylized frames go (/tmp/dinstyle-flicker); never inside the repo, the
# clips' licences forbid copies. PYTHON: needs models/train/requirements.txt (OpenCV, numpy).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VIDEOS=${VIDEOS:-$ROOT/../shared/data/video}
FRAMES=${FRAMES:-150}
STYLE=${STYLE:-preset:the-night-cafe}
WORK=${WORK:-/tmp/dinstyle-flicker}
if [ -z "${PYTHON:-}" ]; then
    if [ -x /work/venv/bin/python ]; then PYTHON=/work/venv/bin/python; else PYTHON=python3; fi
fi
if ! "$PYTHON" -c "import cv2, numpy" 2>/dev/null; then
    echo "flicker: $PYTHON lacks OpenCV/numpy; set PYTHON to a venv with" \
        "models/train/requirements.txt installed" >&2
    exit 1
fi
# Always build: a no-op when up to date, and the numbers must be of the element as it is now.
(cd "$ROOT" && cargo build --release -p gst-plugin-dinstyle) >&2
. "$ROOT/pipelines/env.sh"  # sets GST_PLUGIN_PATH (STYLE is already set, so it keeps ours)

# Stop decoding soon after FRAMES frames when identity can (GStreamer >= 1.16); else decode whole
# clips. GStreamer 1.22's eos-after=N passes N-1 intact frames, then drops one and lets the
# decoder's frames in flight through, so ask for 1 more and cut exactly with flicker.py --frames.
limit=()
# Not `grep -q`: it exits at the first match, and pipefail then sees gst-inspect's SIGPIPE.
if gst-inspect-1.0 identity 2>/dev/null | grep eos-after >/dev/null; then
    limit=(! identity eos-after=$((FRAMES + 1)))
fi
model=()
[ -n "${MODEL:-}" ] && model=(model="$MODEL")

echo "$(date -u +%F) style=$STYLE model=${MODEL:-bundled} extra=${EXTRA:-none}," \
    "first $FRAMES frames; $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
echo
echo "| clip | frames | source gap 1 | stylized gap 1 | source gap 10 | stylized gap 10 | stylized/source gap 1 |"
echo "|---|---|---|---|---|---|---|"
failed=0
shopt -s nullglob
for clip in "$VIDEOS"/*.mp4 "$VIDEOS"/*.avi; do
    name=$(basename "$clip")
    dir="$WORK/${name%.*}"
    # Stale frames of an earlier, longer run would be read as part of this one.
    rm -rf "$dir/source" "$dir/stylized"
    mkdir -p "$dir/source" "$dir/stylized"
    start=$SECONDS
    # The clip's own frame rate, so that the element sees real timestamps.
    rate=$(gst-discoverer-1.0 "$clip" 2>/dev/null | sed -n 's/^ *Frame rate: *//p;T;q' || true)
    # The element paints the decoded PNGs (exactly FRAMES of them: stop-index is inclusive), so
    # both sequences hold the same frames. multifilesink does not sync to the clock: no QoS drops.
    # shellcheck disable=SC2086  # EXTRA is a list of properties, split on purpose
    if ! gst-launch-1.0 -q filesrc location="$clip" ! decodebin ! videoconvert "${limit[@]}" \
            ! video/x-raw,format=RGB ! pngenc compression-level=1 \
            ! multifilesink location="$dir/source/%05d.png" >&2 ||
        ! gst-launch-1.0 -q multifilesrc location="$dir/source/%05d.png" stop-index=$((FRAMES - 1)) \
            caps="image/png,framerate=${rate:-30/1}" ! pngdec ! videoconvert \
            ! dinstyle style="$STYLE" "${model[@]}" ${EXTRA:-} \
            ! videoconvert ! video/x-raw,format=RGB ! pngenc compression-level=1 \
            ! multifilesink location="$dir/stylized/%05d.png" >&2; then
        echo "| $name | gst-launch failed | | | | | |"
        failed=1
        continue
    fi
    painted=$SECONDS
    if ! "$PYTHON" "$ROOT/models/train/flicker.py" "$dir/source" "$dir/stylized" \
            --frames "$FRAMES" --gaps 1,10 --json "$dir/flicker.json" >&2; then
        echo "| $name | flicker.py failed | | | | | |"
        failed=1
        continue
    fi
    echo "$name: $((painted - start)) s decode+stylize, $((SECONDS - painted)) s flicker.py" >&2
    "$PYTHON" - "$name" "$dir/flicker.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
g1, g10 = r["gaps"]["1"], r["gaps"]["10"]
print(f"| {sys.argv[1]} | {r['frames']} | {g1['source']:.4f} | {g1['stylized']:.4f} | "
      f"{g10['source']:.4f} | {g10['stylized']:.4f} | {g1['ratio']:.2f} |")
PY
done
echo "frames in $WORK; total $SECONDS s" >&2
exit "$failed"
