#!/usr/bin/env bash
# The main job on bundled defaults: paints a public-domain photo (scikit-image's Chelsea the cat)
# in the style of Van Gogh's Cafe Terrace at Night with the shipped model, into out.png.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
cargo run --release --locked --quiet --bin dinstyle -- image assets/photos/chelsea.png \
    --style assets/styles/vangogh_cafe_terrace_at_night_1888.webp -o out.png
echo "demo: wrote out.png"
