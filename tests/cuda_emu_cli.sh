#!/usr/bin/env bash
# run / chat / score / perplexity with --device cuda in build/cuda/olmoe-emu (the CUDA kernels run on
# the CPU: tools/cuda/emu) against build/olmoe's own forward pass, on the bundled model.
# The GPU path quantizes activations to int8 as olmoe.h's Q8_0 path does and keeps an fp16 KV cache,
# so the reference is build/olmoe --kv f16. What must agree, and why:
#   - greedy text (run, chat turns reusing the cached conversation, run with --opt-out) and a seeded
#     sampled run: identical bytes. The logits differ only in rounding (relative L2 ~1e-7 on this
#     model, tools/cuda/test_parity), far below this model's top-1 margins and the sampler's steps.
#   - score: the same picks and accuracy line; each choice's log-likelihood within 0.05 per scored
#     token. perplexity: within 5e-3 relative. Summed over many tokens, an expert choice decided by a
#     near-tie of router probabilities may go the other way (as between olmoe.h's own SIMD and scalar
#     paths, whose perplexity on this text differs by ~2e-3), and a rare token's log-probability moves
#     by a few hundredths.
#   - the path is announced once on stderr; --routes with --device cuda is refused; a weight type the
#     GPU path lacks is an error under --device cuda and a CPU fallback, same text, under auto.
#   usage: tests/cuda_emu_cli.sh BUILD_DIR     (needs BUILD/olmoe and BUILD/cuda/olmoe-emu)
set -u
B=${1:-build}
cpu=$B/olmoe
gpu=$B/cuda/olmoe-emu
M=models/austen-olmoe-q8_0.gguf
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
for b in "$cpu" "$gpu"; do [ -x "$b" ] || { echo "FAIL $b is not built"; echo "0 passed, 1 failed"; exit 1; }; done

# same DESC ARGS...: stdout of the GPU run (--device cuda) equals the CPU's (--kv f16)
same() {
    local desc=$1
    shift
    "$gpu" "$@" --device cuda >"$tmp/g.out" 2>"$tmp/g.err" </dev/null
    local sg=$?
    "$cpu" "$@" --kv f16 >"$tmp/c.out" 2>"$tmp/c.err" </dev/null
    local sc=$?
    if [ $sg -eq 0 ] && [ $sc -eq 0 ] && [ -s "$tmp/c.out" ] && cmp -s "$tmp/g.out" "$tmp/c.out"; then ok "$desc: identical ($(wc -c <"$tmp/c.out") bytes)"
    else bad "$desc: exit $sg/$sc; GPU: $(head -c 160 "$tmp/g.out" | tr '\n' ' ') | CPU: $(head -c 160 "$tmp/c.out" | tr '\n' ' ') | $(grep -v '^\[' "$tmp/g.err" | head -c 200)"; fi
}

P="It is a truth universally acknowledged"
same "run greedy" run -m "$M" -p "$P" -n 24 --temp 0 -s 1
n=$(grep -c '^\[gpu\] forward pass on ' "$tmp/g.err")
if [ "$n" = 1 ] && grep -q '| cuda: .*]$' "$tmp/g.err"; then ok "run --device cuda says once that the forward pass is on the GPU, and its timing line names it"
else bad "run --device cuda: $n '[gpu] forward pass' lines; stderr: $(head -c 300 "$tmp/g.err")"; fi
same "run sampled (--temp 0.8 --seed 42)" run -m "$M" -p "She was" -n 16 --temp 0.8 -s 42
same "run --opt-out 1,3 greedy" run -m "$M" -p "$P" -n 16 --temp 0 -s 1 --opt-out 1,3
printf 'How do you do?\nAnd your sister?\n' > "$tmp/chat.in"
"$gpu" chat -m "$M" -n 12 --temp 0 -s 1 --device cuda <"$tmp/chat.in" >"$tmp/g.out" 2>"$tmp/g.err"; sg=$?
"$cpu" chat -m "$M" -n 12 --temp 0 -s 1 --kv f16 <"$tmp/chat.in" >"$tmp/c.out" 2>"$tmp/c.err"; sc=$?
if [ $sg -eq 0 ] && [ $sc -eq 0 ] && [ -s "$tmp/c.out" ] && cmp -s "$tmp/g.out" "$tmp/c.out"; then ok "chat: two greedy turns, the second reusing the cached conversation, identical"
else bad "chat: exit $sg/$sc; GPU: $(head -c 200 "$tmp/g.out" | tr '\n' ' ') | CPU: $(head -c 200 "$tmp/c.out" | tr '\n' ' ')"; fi

# score: same picks and accuracy; log-likelihoods within 0.05 a token
cat >"$tmp/s.jsonl" <<'EOF'
{"context": "It is a truth universally acknowledged, that a single man", "choices": [" must be in want of a wife.", " is a horse."], "gold": 0}
EOF
"$gpu" score -m "$M" --jsonl "$tmp/s.jsonl" -c 64 --device cuda >"$tmp/g.out" 2>"$tmp/g.err"; sg=$?
"$cpu" score -m "$M" --jsonl "$tmp/s.jsonl" -c 64 --kv f16 >"$tmp/c.out" 2>"$tmp/c.err"; sc=$?
# every "ll X, N tok" pair, and the lines without their numbers
lls() { grep -o 'll [-0-9.]*, [0-9]* tok' "$1" | awk '{print $2+0, $3+0}'; }
strip() { sed -E 's/ll [-0-9.]+/ll _/g' "$1"; }
if [ $sg -eq 0 ] && [ $sc -eq 0 ] && grep -q '^accuracy' "$tmp/c.out" && [ "$(strip "$tmp/g.out")" = "$(strip "$tmp/c.out")" ] &&
   paste <(lls "$tmp/g.out") <(lls "$tmp/c.out") | awk 'NF != 4 { exit 1 } { d = $1 - $3; if (d < 0) d = -d; if (d > 0.05 * $2) exit 1; n++ } END { exit n ? 0 : 1 }'; then
    ok "score: the same picks and accuracy, log-likelihoods within 0.05 a token ($(lls "$tmp/g.out" | tr '\n' ' ')vs $(lls "$tmp/c.out" | tr '\n' ' '))"
else bad "score: exit $sg/$sc; GPU: $(tr '\n' ' ' <"$tmp/g.out") | CPU: $(tr '\n' ' ' <"$tmp/c.out")"; fi

# perplexity within 5e-3 relative
printf 'It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.\n' >"$tmp/pp.txt"
"$gpu" perplexity -m "$M" -f "$tmp/pp.txt" -c 16 --device cuda >"$tmp/g.out" 2>"$tmp/g.err"; sg=$?
"$cpu" perplexity -m "$M" -f "$tmp/pp.txt" -c 16 --kv f16 >"$tmp/c.out" 2>"$tmp/c.err"; sc=$?
pg=$(awk '/^perplexity/ {print $2}' "$tmp/g.out"); pc=$(awk '/^perplexity/ {print $2}' "$tmp/c.out")
if [ $sg -eq 0 ] && [ $sc -eq 0 ] && [ -n "$pg" ] && [ -n "$pc" ] && awk -v a="$pg" -v b="$pc" 'BEGIN { d = (a - b) / b; if (d < 0) d = -d; exit !(d <= 5e-3) }'; then
    ok "perplexity: GPU $pg, CPU $pc (within 5e-3 relative)"
else bad "perplexity: exit $sg/$sc; GPU '$pg' CPU '$pc' $(grep -v '^\[' "$tmp/g.err" | head -c 200)"; fi

# --routes traces the CPU forward pass: refused with --device cuda, the CPU under auto
"$gpu" run -m "$M" -p "$P" -n 2 --temp 0 -s 1 --routes --device cuda >"$tmp/g.out" 2>"$tmp/g.err"; sg=$?
if [ $sg -eq 2 ] && grep -q -- '--routes' "$tmp/g.err"; then ok "run --routes --device cuda is refused (exit 2): $(grep -- --routes "$tmp/g.err" | head -1)"
else bad "run --routes --device cuda: exit $sg: $(head -c 200 "$tmp/g.err")"; fi
"$gpu" run -m "$M" -p "$P" -n 2 --temp 0 -s 1 --routes >"$tmp/g.out" 2>"$tmp/g.err"; sg=$?
if [ $sg -eq 0 ] && grep -q 'running on the CPU' "$tmp/g.err" && ! grep -q 'forward pass on' "$tmp/g.err"; then ok "run --routes under --device auto runs on the CPU and says so"
else bad "run --routes (auto): exit $sg: $(head -c 300 "$tmp/g.err")"; fi

# a weight type the GPU path lacks (q4_K): an error under --device cuda, the CPU under auto
if "$cpu" quantize "$M" "$tmp/k.gguf" q4_k_s >/dev/null 2>&1; then
    "$gpu" run -m "$tmp/k.gguf" -p "$P" -n 4 --temp 0 --device cuda >"$tmp/g.out" 2>"$tmp/g.err"; sg=$?
    if [ $sg -eq 1 ] && grep -q -i 'q4_k' "$tmp/g.err"; then ok "--device cuda on a q4_K model: exit 1 naming the type ($(grep -v '^\[' "$tmp/g.err" | head -1))"
    else bad "--device cuda on a q4_K model: exit $sg: $(head -c 300 "$tmp/g.err")"; fi
    "$gpu" run -m "$tmp/k.gguf" -p "$P" -n 4 --temp 0 >"$tmp/g.out" 2>"$tmp/g.err"; sg=$?
    "$cpu" run -m "$tmp/k.gguf" -p "$P" -n 4 --temp 0 >"$tmp/c.out" 2>/dev/null
    if [ $sg -eq 0 ] && grep -q 'running on the CPU' "$tmp/g.err" && cmp -s "$tmp/g.out" "$tmp/c.out"; then ok "--device auto on a q4_K model falls back to the CPU (same text)"
    else bad "--device auto on a q4_K model: exit $sg: $(head -c 300 "$tmp/g.err")"; fi
else bad "olmoe quantize q4_k_s failed"; fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
