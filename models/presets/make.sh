#!/usr/bin/env bash
# Re-makes the bundled presets from the public-domain paintings in assets/styles with the
# bundled model (run after the shipped weights change; tests/styles.rs checks they match).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked -p dinstyle-cli
while read -r name image; do
    target/release/dinstyle encode-style "assets/styles/$image" --device cpu \
        -o "models/presets/$name.dinstyle"
done <<'LIST'
cafe-terrace        vangogh_cafe_terrace_at_night_1888.webp
the-night-cafe      vangogh_the_night_cafe_1888.webp
langlois-bridge     vangogh_langlois_bridge_arles_1888.webp
church-at-auvers    vangogh_church_at_auvers_1890.webp
pere-tanguy         vangogh_portrait_of_pere_tanguy_1887.webp
the-harvest         vangogh_the_harvest_1888.webp
LIST
# The kernel-file fuzzer's seed is one of them (tests/fuzz_corpus.rs loads it with the bundled model).
cp models/presets/the-night-cafe.dinstyle fuzz/seeds/kernel_file/
# The CLI and the element carry the presets inside them (include_bytes!): build again so that they
# carry the new ones.
cargo build --release --locked -p dinstyle-cli
