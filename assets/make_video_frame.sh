#!/usr/bin/env bash
# Makes assets/video-before-after.jpg, the README's picture of the element at work: frame 45 of
# the clip scripts/demo.sh paints (GStreamer's moving test pattern, 480x270), as it enters the
# dinstyle element and as it leaves it, in the style of Cafe Terrace at Night. Re-run after the
# shipped weights change. Needs GStreamer's base/good plugins and a Python with Pillow (PYTHON,
# default python3; the training venv has it).
#
#   assets/make_video_frame.sh
#   PYTHON=models/train/.venv/bin/python assets/make_video_frame.sh
set -euo pipefail
cd "$(dirname "$0")/.."
STYLE=$PWD/assets/styles/vangogh_cafe_terrace_at_night_1888.webp
. pipelines/env.sh
cargo build --release --locked --quiet -p gst-plugin-dinstyle
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
FRAME=45
# The same source caps as scripts/demo.sh; tee keeps the frame before and after the element.
gst-launch-1.0 -q videotestsrc num-buffers=$((FRAME + 1)) pattern=smpte horizontal-speed=3 \
    ! video/x-raw,width=480,height=270,framerate=30/1 ! videoconvert ! video/x-raw,format=RGB \
    ! tee name=t \
    t. ! queue ! pngenc ! multifilesink location="$tmp/before_%03d.png" \
    t. ! queue ! dinstyle style="$STYLE" ! videoconvert ! pngenc \
    ! multifilesink location="$tmp/after_%03d.png"
"${PYTHON:-python3}" - "$tmp/before_$(printf %03d $FRAME).png" "$tmp/after_$(printf %03d $FRAME).png" \
    assets/video-before-after.jpg <<'PY'
import sys
from PIL import Image

before, after = (Image.open(p).convert("RGB") for p in sys.argv[1:3])
gap = 8
out = Image.new("RGB", (before.width + gap + after.width, before.height), "white")
out.paste(before, (0, 0))
out.paste(after, (before.width + gap, 0))
out.save(sys.argv[3], quality=90)
PY
echo "wrote assets/video-before-after.jpg"
