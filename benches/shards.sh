#!/usr/bin/env bash
# Sharded batch against one process, side by side on this machine: 12 generated 640x360 clips of
# 45-210 frames (30 fps, H.264), painted once by one `dinstyle video --manifest` process and once
# by SHARDS processes at the same time (`--shard K/SHARDS`), each into its own empty folder.
# Prints and appends to benches/shards/shards-DATE.tsv: wall seconds of each, the frames each
# shard got (the split balances frames, not files), and that every output has its input's
# frame count.
#
# With PIN=1 every process is pinned to one CPU (taskset), shard K to CPU K mod the CPUs: one
# process on one CPU against SHARDS processes spread over all of them, a small stand-in for one
# machine against several (without it, one process already uses every CPU of this machine).
#
#   benches/shards.sh                  # 3 shards
#   SHARDS=2 PIN=1 benches/shards.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARDS=${SHARDS:-3}
PIN=${PIN:-0}
CPUS=$(nproc)
cd "$ROOT"
. scripts/setup.sh >/dev/null
cargo build --release --locked -p dinstyle-cli >&2
D=$ROOT/target/release/dinstyle
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/clips"
: > "$WORK/catalogue.tsv"
total=0
for i in $(seq 0 11); do
    frames=$((45 + (i * 7) % 12 * 15))
    gst-launch-1.0 -q videotestsrc num-buffers=$frames pattern=$((i % 19)) \
        ! video/x-raw,width=640,height=360,framerate=30/1 ! videoconvert \
        ! video/x-raw,format=I420 ! x264enc speed-preset=ultrafast ! h264parse ! mp4mux \
        ! filesink location="$WORK/clips/c$i.mp4"
    printf 'clips/c%d.mp4\tout/c%d.mp4\n' "$i" "$i" >> "$WORK/catalogue.tsv"
    total=$((total + frames))
done
now() { date +%s.%N; }
prepare() {  # DIR: the manifest and the clips, before any process reads them
    mkdir -p "$1"; cp "$WORK/catalogue.tsv" "$1/"; ln -s "$WORK/clips" "$1/clips"
}
run_one() {  # DIR CPU [--shard K/N]
    local dir=$1 cpu=$2; shift 2
    local pin=()
    [ "$PIN" = 1 ] && pin=(taskset -c "$cpu")
    (cd "$dir" && "${pin[@]}" "$D" video --manifest catalogue.tsv --style preset:the-night-cafe \
        --report-dir reports -q "$@")
}
prepare "$WORK/one"; prepare "$WORK/sharded"
t0=$(now); run_one "$WORK/one" 0; t1=$(now)
pids=()
for k in $(seq 0 $((SHARDS - 1))); do
    run_one "$WORK/sharded" $((k % CPUS)) --shard "$k/$SHARDS" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
t2=$(now)
one=$(echo "$t1 - $t0" | bc); sharded=$(echo "$t2 - $t1" | bc)
frames_of() { "$D" video --summarize "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["frames"])'; }
split=$(for f in "$WORK"/sharded/reports/*.jsonl; do
    python3 -c 'import json,sys; print(sum(json.loads(l)["frames"] for l in open(sys.argv[1])))' "$f"; done | paste -sd/)
# every output there, and every input frame painted once in each run
check=ok
for i in $(seq 0 11); do
    for dir in one sharded; do [ -s "$WORK/$dir/out/c$i.mp4" ] || check="missing $dir/c$i.mp4"; done
done
for dir in one sharded; do
    [ "$(frames_of "$WORK/$dir/reports")" = "$total" ] || check="$dir: frames differ from the inputs' $total"
done
mkdir -p benches/shards
OUT=benches/shards/shards-$(date -u +%Y-%m-%dT%H%M).tsv
{
    echo "# $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%FT%TZ); benches/shards.sh (SHARDS=$SHARDS PIN=$PIN)"
    printf 'clips\tframes\tone_process_s\tshards\tsharded_s\tratio\tframes_per_shard\toutputs\n'
    printf '12\t%s\t%.1f\t%s\t%.1f\t%.2f\t%s\t%s\n' "$(frames_of "$WORK/one/reports")" "$one" "$SHARDS" "$sharded" \
        "$(echo "$one / $sharded" | bc -l)" "$split" "$check"
} | tee "$OUT"
