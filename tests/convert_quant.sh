#!/usr/bin/env bash
# convert --type with a llama.cpp file type (q4_k_m, ...) writes the same tensors as converting to
# f32 and then `olmoe quantize` (whose output test-quants checks byte for byte against
# llama-quantize): the same per-type tensor counts and bytes, and bit-identical logits.
#   usage: tests/convert_quant.sh BUILD/olmoe
set -u
bin=${1:-build/olmoe}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
src=tests/data/olmoe_k
ids=$(tr -s ' \n' ',' < "$src/tokens.txt" | cut -d, -f1-16)
if ! timeout 60 "$bin" convert "$src" "$tmp/f32.gguf" --type f32 >/dev/null 2>"$tmp/err"; then
    echo "FAIL convert $src --type f32: $(head -c 300 "$tmp/err")"; echo "0 passed, 1 failed"; exit 1
fi
for t in q4_k_m q4_k_s q5_k_m q6_k q3_k_m q2_k q4_1 q5_0 q5_1 iq4_nl iq4_xs; do
    if timeout 120 "$bin" quantize "$tmp/f32.gguf" "$tmp/q.gguf" "$t" >/dev/null 2>"$tmp/err" &&
       timeout 120 "$bin" convert "$src" "$tmp/c.gguf" --type "$t" >/dev/null 2>>"$tmp/err"; then
        "$bin" info "$tmp/q.gguf" | grep -E '^  [A-Za-z0-9_]+ +[0-9]+ tensors|^file type' > "$tmp/iq"
        "$bin" info "$tmp/c.gguf" | grep -E '^  [A-Za-z0-9_]+ +[0-9]+ tensors|^file type' > "$tmp/ic"
        "$bin" logits -m "$tmp/q.gguf" -t "$ids" > "$tmp/lq" 2>/dev/null
        "$bin" logits -m "$tmp/c.gguf" -t "$ids" > "$tmp/lc" 2>/dev/null
        if [ -s "$tmp/iq" ] && cmp -s "$tmp/iq" "$tmp/ic" && [ -s "$tmp/lq" ] && cmp -s "$tmp/lq" "$tmp/lc"; then
            pass=$((pass + 1)); echo "ok   convert --type $t = convert f32 + quantize $t: $(grep -c tensors "$tmp/ic") tensor types, same bytes per type, identical logits"
        else
            fail=$((fail + 1)); echo "FAIL convert --type $t differs from quantize $t: $(tr '\n' ' ' < "$tmp/ic") vs $(tr '\n' ' ' < "$tmp/iq")"
        fi
    else
        fail=$((fail + 1)); echo "FAIL $t: $(head -c 300 "$tmp/err")"
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
