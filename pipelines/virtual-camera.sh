#!/usr/bin/env bash
# An OBS / browser / video-call camera: the webcam, painted, written to a v4l2loopback device
# that other programs open as a normal camera.
#
#     sudo apt-get install v4l2loopback-dkms            # once
#     sudo modprobe v4l2loopback video_nr=10 card_label="dinstyle" exclusive_caps=1
#     pipelines/virtual-camera.sh                       # then pick "dinstyle" in OBS
#
# exclusive_caps=1 makes the device show up as a capture device only once we write to it
# (Chrome and OBS need that). The leaky queue keeps only the newest camera frame, so delay never
# piles up when painting is slower than the camera; the element reports its processing time as
# latency. YUY2 is the format virtual-camera consumers read most widely.
. "$(dirname "$0")/env.sh"
CAMERA=${CAMERA:-/dev/video0}
OUTPUT=${OUTPUT:-/dev/video10}
exec gst-launch-1.0 -e \
    v4l2src device="$CAMERA" ! videoconvert ! videoscale ! video/x-raw,width=640,height=360 \
    ! queue leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0 \
    ! dinstyle style="$STYLE" processing-size="$SIZE" \
    ! videoconvert ! video/x-raw,format=YUY2 ! v4l2sink device="$OUTPUT" sync=false
