#!/usr/bin/env bash
# The one prepared run of the CUDA path on a GPU machine that has only the working tree (no build
# outputs, no network). About 5-7 minutes on a fresh H100:
#   1. builds build/olmoe, then build/olmoe-cuda and build/cuda/test_parity for sm_90 only (one
#      architecture: half the nvcc time), the ptxas check (make cuda-check, sm_90) and the host tests;
#   2. writes the parity models: OLMoE-1B-7B shapes with 2 layers (q4_0, q8_0; f16, bf16 and f32 with
#      a 8192-token vocabulary), a FlexOlmo (flexolmo-mini q4_0, q8_0), the OLMoE/FlexOlmo fixtures
#      of tests/data in every type, the bundled models/austen-olmoe-q8_0.gguf and its q4_0 requantization
#      (olmoe quantize: a q6_K output head);
#   3. build/cuda/test_parity on all of them, then under compute-sanitizer memcheck and racecheck on
#      the small ones (skipped with a note when compute-sanitizer is not installed);
#   4. full-size synthetic OLMoE-1B-7B q4_0 and q8_0 (olmoe synth), build/olmoe-cuda bench at decode
#      depth 0, 512 and 2048 (prefill of 512 tokens at depth 0), each beside the HBM roofline the
#      bench measures in the same process (device-to-device copies of 2 GiB);
#   5. a table (markdown) and the raw JSON lines to $OUT when set, else build/cuda/results/.
# Exits nonzero when a build, the parity test or a sanitizer run fails (the table is still written).
#   usage: tools/cuda/gpu_check.sh        (from anywhere; QUICK=1 skips the full-size benchmark)
set -uo pipefail
cd "$(dirname "$0")/../.."
RES=${OUT:-build/cuda/results}
mkdir -p "$RES" build/cuda/models
LOG=$RES/gpu_check.log
: > "$LOG"
M=build/cuda/models
J=$(nproc 2>/dev/null || echo 4)
ARCH="-gencode arch=compute_90,code=sm_90"
status=0
say() { echo "== $*" | tee -a "$LOG"; }
run() { echo "\$ $*" >> "$LOG"; "$@" 2>&1 | tee -a "$LOG"; return "${PIPESTATUS[0]}"; }
fail() { echo "FAIL $*" | tee -a "$LOG"; status=1; }
t0=$(date +%s)

say "machine: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs"
run nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.memory --format=csv || true
export PATH=$PATH:/usr/local/cuda/bin

run nvcc --version | tail -2 || true

say "1. build (sm_90)"
run make -j"$J" build/olmoe >/dev/null || { fail "make build/olmoe"; exit 1; }
run make -j2 cuda CUDA_ARCH="$ARCH" || { fail "make cuda"; exit 1; }
run make cuda-check CUDA_ARCH="$ARCH" | tail -3 || fail "make cuda-check"
run make test-cuda-host | tail -1 || fail "make test-cuda-host"

say "2. parity models"
FIX=""
for f in olmoe_b olmoe_c flex_a flex_b; do
    for t in f32 f16 bf16 q8_0 q4_0; do FIX="$FIX build/fixtures/$f-$t.gguf"; done
done
run make -j"$J" $FIX >/dev/null || fail "fixtures"
synth() { [ -f "$1" ] || run build/olmoe synth "$@" >/dev/null || fail "synth $1"; }
synth $M/p1b7b-q4_0.gguf --preset olmoe-1b-7b --layers 2 --type q4_0 --seed 7
synth $M/p1b7b-q8_0.gguf --preset olmoe-1b-7b --layers 2 --type q8_0 --seed 7
synth $M/p1b7b-f16.gguf --preset olmoe-1b-7b --layers 2 --vocab 8192 --type f16 --seed 7
synth $M/p1b7b-bf16.gguf --preset olmoe-1b-7b --layers 2 --vocab 8192 --type bf16 --seed 7
synth $M/p1b7b-f32.gguf --preset olmoe-1b-7b --layers 2 --vocab 8192 --type f32 --seed 7
synth $M/pflex-q4_0.gguf --preset flexolmo-mini --type q4_0 --seed 7
synth $M/pflex-q8_0.gguf --preset flexolmo-mini --type q8_0 --seed 7
# a Q6_K output head (llama.cpp's q4_0 recipe) and all-Q6_K matrices (q6_k, experts included: their
# inputs quantized per 256 as olmoe.h's Q8_K) when the quantize command is there
Q6K=""
if run build/olmoe quantize models/austen-olmoe-q8_0.gguf $M/austen-q4_0.gguf q4_0 >/dev/null 2>&1; then Q6K=$M/austen-q4_0.gguf; fi
if run build/olmoe quantize models/austen-olmoe-q8_0.gguf $M/austen-q6_k.gguf q6_k >/dev/null 2>&1; then Q6K="$Q6K $M/austen-q6_k.gguf"; fi
SMALL="build/fixtures/olmoe_b-q8_0.gguf build/fixtures/flex_b-q4_0.gguf build/fixtures/olmoe_c-f16.gguf $M/pflex-q4_0.gguf"

say "3. parity"
run build/cuda/test_parity --tokens 40 $M/p1b7b-q4_0.gguf $M/p1b7b-q8_0.gguf $M/p1b7b-f16.gguf $M/p1b7b-bf16.gguf \
    $M/p1b7b-f32.gguf $M/pflex-q4_0.gguf $M/pflex-q8_0.gguf models/austen-olmoe-q8_0.gguf $Q6K $FIX > "$RES/parity.txt"
rc=$?
{ [ $rc = 0 ] && ! grep -q '^FAIL' "$RES/parity.txt"; } || fail "parity (exit $rc, see parity.txt)"
grep '^FAIL' "$RES/parity.txt" | head -20 | tee -a "$LOG"
# a GPU that the CUDA runtime cannot use (e.g. a driver older than the toolkit) must not pass as a skip
if grep -q '^skip:' "$RES/parity.txt" && nvidia-smi -L >/dev/null 2>&1; then
    fail "nvidia-smi lists a GPU but the CUDA runtime finds none: $(head -1 "$RES/parity.txt")"
fi
tail -1 "$RES/parity.txt" | tee -a "$LOG"
CS=$(command -v compute-sanitizer || true)
if [ -n "$CS" ]; then
    for tool in memcheck racecheck; do
        say "3. parity under compute-sanitizer --tool $tool (small models, 12 tokens)"
        timeout 150 "$CS" --tool "$tool" --error-exitcode 3 build/cuda/test_parity --tokens 12 $SMALL > "$RES/sanitizer-$tool.txt" 2>&1
        rc=$?
        tail -3 "$RES/sanitizer-$tool.txt" | tee -a "$LOG"
        [ $rc = 0 ] || fail "compute-sanitizer $tool (exit $rc, see sanitizer-$tool.txt)"
    done
else
    say "compute-sanitizer not installed: sanitizer runs skipped"
fi

say "4. bench: full-size synthetic OLMoE-1B-7B ($(( $(date +%s) - t0 )) s so far)"
JSON=$RES/bench.jsonl
: > "$JSON"
if [ "${QUICK:-0}" != 1 ]; then
    for t in q4_0 q8_0; do
        synth $M/olmoe-1b-7b-$t.gguf --preset olmoe-1b-7b --type $t --seed 42
        for depth in 0 512 2048; do
            P=0; [ $depth = 0 ] && P=512
            if run build/olmoe-cuda bench -m $M/olmoe-1b-7b-$t.gguf --device cuda -p $P -n 128 -r 3 --depth $depth \
                   --bw-mb 2048 --bw-reps 4 > "$RES/bench-$t-$depth.txt"; then
                tail -1 "$RES/bench-$t-$depth.txt" >> "$JSON"
                grep -E '^(prefill|decode|device)' "$RES/bench-$t-$depth.txt" | tee -a "$LOG"
            else
                fail "bench $t depth $depth"; tail -3 "$RES/bench-$t-$depth.txt" | tee -a "$LOG"
            fi
        done
        rm -f $M/olmoe-1b-7b-$t.gguf   # 4-7 GB each: the disk holds one at a time
    done
fi

say "5. table"
TABLE=$RES/cuda_bench.md
jnum() { sed -n "s/.*\"$2\": \([-0-9.e+]*\).*/\1/p" <<< "$1"; }
jstr() { sed -n "s/.*\"$2\": \"\([^\"]*\)\".*/\1/p" <<< "$1"; }
{
    echo "GPU forward pass of build/olmoe-cuda, $(date -u +%Y-%m-%d), $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)."
    echo "Full-size synthetic OLMoE-1B-7B (olmoe synth, seed 42), batch 1 decode of 128 tokens after DEPTH cached tokens"
    echo "(median of 3), prefill of 512 tokens; roofline = device-to-device copy bandwidth (read + written, 2 GiB, same"
    echo "process) / bytes read per decoded token (active weights + fp16 KV cache)."
    echo
    echo "| type | depth | prefill 512 tok/s | decode tok/s | ms/token | HBM GB/s (copy) | MB/token | roofline tok/s | of roofline |"
    echo "|---|---|---|---|---|---|---|---|---|"
    while read -r l; do
        [ -n "$l" ] || continue
        printf '| %s | %s | %s | %.0f | %.3f | %.0f | %.1f | %.0f | %.0f%% |\n' "$(jstr "$l" type)" "$(jnum "$l" decode_depth)" \
            "$( [ "$(jnum "$l" n_prompt)" = 0 ] && echo - || printf '%.0f' "$(jnum "$l" prefill_tok_s)")" \
            "$(jnum "$l" decode_tok_s)" "$(jnum "$l" decode_ms_per_tok_median)" "$(jnum "$l" bandwidth_gbs)" \
            "$(awk "BEGIN{print $(jnum "$l" bytes_per_token)/1e6}")" "$(jnum "$l" roofline_tok_s)" \
            "$(awk "BEGIN{print 100*$(jnum "$l" roofline_frac)}")"
    done < "$JSON"
    echo
    echo "Parity: $(tail -1 "$RES/parity.txt" 2>/dev/null)"
} > "$TABLE"
cat "$TABLE" | tee -a "$LOG"
say "done in $(( $(date +%s) - t0 )) s, status $status"
exit $status
