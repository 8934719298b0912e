#!/usr/bin/env bash
# Builds the dinstyle GStreamer element and installs it where GStreamer finds it for this user
# (~/.local/share/gstreamer-1.0/plugins, searched by default), or system-wide with --system
# (the Debian multiarch plugin folder; needs root). Afterwards `gst-inspect-1.0 dinstyle` works
# without GST_PLUGIN_PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
cargo build --release --locked -p gst-plugin-dinstyle
. pipelines/env.sh  # TARGET: cargo's build folder
lib="$TARGET/release/libgstdinstyle.so"
if [ "${1:-}" = "--system" ]; then
    dest=$(pkg-config --variable=pluginsdir gstreamer-1.0)
else
    dest=${XDG_DATA_HOME:-$HOME/.local/share}/gstreamer-1.0/plugins
fi
mkdir -p "$dest"
install -m 0644 "$lib" "$dest/"
echo "installed $dest/libgstdinstyle.so"
gst-inspect-1.0 dinstyle >/dev/null && echo "gst-inspect-1.0 dinstyle: found"
