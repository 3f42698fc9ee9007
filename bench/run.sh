#!/bin/sh
# Model benchmark: synthesize full-size OLMoE-1B-7B GGUFs (if missing) and run `olmoe bench` on
# each type and thread count; the JSON lines go to $OUT/results.jsonl and a table is printed.
#
#   bench/run.sh [extra olmoe-bench options, e.g. --kernels avx2]
#
# Environment (defaults): OLMOE=build/olmoe  OUT=build/bench  TYPES="q4_0 q8_0"  THREADS="1 2"
#                         P=128 (prompt)  N=64 (generated)  REPS=3
# The synthetic models (3.9 GB q4_0, 7.4 GB q8_0) stay in $OUT; never commit them.
set -e
cd "$(dirname "$0")/.."
OLMOE=${OLMOE:-build/olmoe}
OUT=${OUT:-build/bench}
TYPES=${TYPES:-"q4_0 q8_0"}
THREADS=${THREADS:-"1 2"}
P=${P:-128}
N=${N:-64}
REPS=${REPS:-3}

[ -x "$OLMOE" ] || make "$OLMOE"
mkdir -p "$OUT"
for t in $TYPES; do
    f="$OUT/olmoe-1b-7b-$t.gguf"
    if [ ! -f "$f" ]; then
        "$OLMOE" synth "$f" --preset olmoe-1b-7b --type "$t"
    fi
done

res="$OUT/results.jsonl"
: > "$res"
for t in $TYPES; do
    for th in $THREADS; do
        log="$OUT/bench-$t-${th}t.log"
        echo "== $t, $th thread(s)"
        "$OLMOE" bench -m "$OUT/olmoe-1b-7b-$t.gguf" -t "$th" -p "$P" -n "$N" -r "$REPS" "$@" > "$log" 2>&1 || { cat "$log"; exit 1; }
        sed '$d' "$log"
        tail -n 1 "$log" >> "$res"
    done
done

echo
echo "results: $res"
awk '
function num(k,   m) { if (match($0, "\"" k "\": -?[0-9.eE+-]+")) { m = substr($0, RSTART, RLENGTH); sub(/.*: /, "", m); return m + 0 } return -1 }
function str(k,   m) { if (match($0, "\"" k "\": \"[^\"]*\"")) { m = substr($0, RSTART, RLENGTH); sub(/^[^:]*: "/, "", m); sub(/"$/, "", m); return m } return "?" }
BEGIN { printf "%-5s %3s %-7s %9s %9s %9s %9s %8s %9s %8s %8s\n", "type", "thr", "kernel", "prefill", "decode", "BW GB/s", "roofline", "frac", "load+1st", "RSS MB", "file MB" }
{ printf "%-5s %3d %-7s %9.2f %9.2f %9.2f %9.2f %7.1f%% %8.3fs %8.0f %8.0f\n", str("type"), num("threads"), str("kernel"),
         num("prefill_tok_s"), num("decode_tok_s"), num("bandwidth_gbs"), num("roofline_tok_s"), 100 * num("roofline_frac"),
         num("load_first_token_s"), num("rss_mb"), num("file_mb") }' "$res"
