#!/usr/bin/env bash
# The main job on bundled defaults, with the shipped model:
#  1. paints a public-domain photo (scikit-image's Chelsea the cat) in the style of Van Gogh's
#     Cafe Terrace at Night -> out.png (the `dinstyle image` command);
#  2. paints a short clip the project generates itself (GStreamer's moving test pattern) through
#     the `dinstyle` GStreamer element -> out.mp4 (pipelines/transcode.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
STYLE=assets/styles/vangogh_cafe_terrace_at_night_1888.webp
cargo run --release --locked --quiet -p dinstyle-cli -- image assets/photos/chelsea.png \
    --style "$STYLE" -o out.png
echo "demo: wrote out.png"

cargo build --release --locked --quiet -p gst-plugin-dinstyle
clip=$(mktemp --suffix=.mp4)
trap 'rm -f "$clip"' EXIT
gst-launch-1.0 -q videotestsrc num-buffers=90 pattern=smpte horizontal-speed=3 \
    ! video/x-raw,width=480,height=270,framerate=30/1 ! videoconvert ! video/x-raw,format=I420 \
    ! x264enc ! mp4mux ! filesink location="$clip"
STYLE="$STYLE" pipelines/transcode.sh "$clip" out.mp4 >/dev/null
echo "demo: wrote out.mp4 (3 s, 480x270)"
