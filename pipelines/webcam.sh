#!/usr/bin/env bash
# Webcam preview: the camera, painted, in a window. Late frames are dropped (QoS), so the
# preview stays live even when the CPU cannot paint every frame.
#     pipelines/webcam.sh                  CAMERA=/dev/video2 STYLE=x.jpg pipelines/webcam.sh
. "$(dirname "$0")/env.sh"
CAMERA=${CAMERA:-/dev/video0}
exec gst-launch-1.0 -e \
    v4l2src device="$CAMERA" ! videoconvert ! videoscale ! video/x-raw,width=640,height=360 \
    ! dinstyle style="$STYLE" processing-size="$SIZE" \
    ! videoconvert ! autovideosink
