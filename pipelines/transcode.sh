#!/usr/bin/env bash
# Paints a video file into an MP4 (H.264, plus AAC audio when the input has sound). Nothing is
# dropped: every input frame comes out painted. (`dinstyle video IN --style X -o OUT` does the
# same, with a progress bar.)
#     pipelines/transcode.sh holiday.mp4 holiday-painted.mp4
. "$(dirname "$0")/env.sh"
IN=${1:?usage: transcode.sh INPUT OUTPUT.mp4}
OUT=${2:?usage: transcode.sh INPUT OUTPUT.mp4}
audio=()
# A muxer waits for every linked stream, so the audio branch exists only when there is audio.
if gst-discoverer-1.0 "$IN" 2>/dev/null | grep -q "audio #"; then
    audio=(dec. ! queue ! audioconvert ! audioresample ! avenc_aac ! queue ! mux.)
fi
exec gst-launch-1.0 -e \
    filesrc location="$IN" ! decodebin name=dec \
    dec. ! queue ! videoconvert ! dinstyle style="$STYLE" processing-size="$SIZE" \
         ! videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=medium ! h264parse ! queue ! mp4mux name=mux \
    ! filesink location="$OUT" \
    "${audio[@]}"
