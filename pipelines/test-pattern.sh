#!/usr/bin/env bash
# Live preview without a camera: GStreamer's moving test pattern, painted, in a window.
#     pipelines/test-pattern.sh                 STYLE=painting.jpg pipelines/test-pattern.sh
. "$(dirname "$0")/env.sh"
exec gst-launch-1.0 -e \
    videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1 \
    ! videoconvert ! dinstyle style="$STYLE" processing-size="$SIZE" \
    ! videoconvert ! autovideosink
