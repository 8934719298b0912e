#!/usr/bin/env bash
# Webcam formats straight into the element against the videoconvert pipeline, side by side:
#
#   A: videotestsrc ! video/x-raw,format=F ! dinstyle ! fakesink
#   B: videotestsrc ! video/x-raw,format=F ! videoconvert ! dinstyle ! videoconvert ! F ! fakesink
#
# for F in YUY2 (USB webcams), NV12 and I420 (decoders), at 640x360 by default, every frame
# painted (not live, so no frame is dropped). A and B alternate ROUNDS times; the fps of each
# round and the median ratio A/B are printed as markdown rows.
#
#   benches/yuv.sh
#   SIZE=1280x720 FRAMES=60 ROUNDS=5 benches/yuv.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZE=${SIZE:-640x360}
FRAMES=${FRAMES:-150}
ROUNDS=${ROUNDS:-3}
STYLE=${STYLE:-preset:the-night-cafe}
cd "$ROOT"
. scripts/setup.sh >/dev/null
cargo build --release --locked -p gst-plugin-dinstyle >&2
export GST_PLUGIN_PATH=$ROOT/target/release
W=${SIZE%x*}
H=${SIZE#*x}

seconds() { # pipeline description -> wall seconds
    local t0 t1
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    gst-launch-1.0 -q $1 >/dev/null
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}

echo "| format | direct fps (A) | through videoconvert fps (B) | A / B |"
echo "|---|---|---|---|"
for F in YUY2 NV12 I420; do
    src="videotestsrc num-buffers=$FRAMES pattern=smpte ! video/x-raw,format=$F,width=$W,height=$H,framerate=30/1"
    a_pipe="$src ! dinstyle style=$STYLE ! fakesink"
    b_pipe="$src ! videoconvert ! dinstyle style=$STYLE ! videoconvert ! video/x-raw,format=$F ! fakesink"
    ratios=() a_fps=() b_fps=()
    for _ in $(seq "$ROUNDS"); do
        a=$(seconds "$a_pipe")
        b=$(seconds "$b_pipe")
        a_fps+=("$(awk -v n="$FRAMES" -v t="$a" 'BEGIN { print n / t }')")
        b_fps+=("$(awk -v n="$FRAMES" -v t="$b" 'BEGIN { print n / t }')")
        ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { print b / a }')")
    done
    median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR + 1) / 2)]}'; }
    printf '| %s | %.1f | %.1f | %.2f |\n' "$F" "$(median "${a_fps[@]}")" "$(median "${b_fps[@]}")" \
        "$(median "${ratios[@]}")"
done
