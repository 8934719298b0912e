# Sourced by the pipeline scripts: builds the dinstyle GStreamer plugin if needed and points
# GStreamer at it. STYLE defaults to a bundled public-domain Van Gogh painting.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The build folder as cargo sees it (CARGO_TARGET_DIR may move it).
TARGET=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
if [ ! -f "$TARGET/release/libgstdinstyle.so" ]; then
    (cd "$ROOT" && cargo build --release -p gst-plugin-dinstyle)
fi
export GST_PLUGIN_PATH="$TARGET/release${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
STYLE=${STYLE:-$ROOT/assets/styles/vangogh_the_night_cafe_1888.webp}
# Stylize at this shorter side and scale back (the element's default): strokes in proportion to
# the picture at any resolution, and a 720p or 1080p camera keeps its frame rate on 2 cores.
SIZE=${SIZE:-288}
