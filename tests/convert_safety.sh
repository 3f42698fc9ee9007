#!/usr/bin/env bash
# The converter never leaves a partial file and never touches an existing output unless it
# succeeds: a failed conversion (truncated safetensors, missing tensor, bad config) exits non-zero,
# leaves OUT byte-identical and no temp file behind; a successful one replaces OUT atomically.
# usage: tests/convert_safety.sh build/olmoe
set -u
olmoe=${1:-build/olmoe}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if [ "$1" = 0 ]; then pass=$((pass+1)); echo "ok   $2"; else fail=$((fail+1)); echo "FAIL $2"; fi; }

src=tests/data/olmoe_a
out=$tmp/out/model.gguf
mkdir -p "$tmp/out"
printf 'precious existing file\n' > "$out"
cp "$out" "$tmp/orig"

bad() {  # name, setup commands run in the broken copy $tmp/bad
    rm -rf "$tmp/bad"; cp -r "$src" "$tmp/bad"
    ( cd "$tmp/bad" && eval "$2" )
    "$olmoe" convert "$tmp/bad" "$out" --type q8_0 > "$tmp/log" 2>&1
    rc=$?
    left=$(ls "$tmp/out" | grep -v '^model.gguf$' | wc -l)
    cmp -s "$out" "$tmp/orig"; same=$?
    [ $rc -ne 0 ] && [ $rc -lt 128 ] && [ "$same" = 0 ] && [ "$left" = 0 ]
    check $? "$1: exit $rc, existing output untouched, no temp file left ($(tail -n 1 "$tmp/log" | cut -c1-100))"
}
bad "safetensors cut inside the header" 'truncate -s 5000 model.safetensors'
bad "safetensors missing its last 100 data bytes" 'truncate -s $(( $(stat -c %s model.safetensors) - 100 )) model.safetensors'
bad "safetensors header length past the end" 'printf "\377\377\377\377\377\377\0\0" | dd of=model.safetensors conv=notrunc 2>/dev/null'
bad "missing config.json" 'rm config.json'
bad "config with norm_topk_prob true" 'sed -i "s/\"norm_topk_prob\": false/\"norm_topk_prob\": true/" config.json'
bad "garbage config.json" 'printf "{not json" > config.json'
bad "missing lm_head" 'python3 -c "
import json,struct
b=open(\"model.safetensors\",\"rb\").read(); n=struct.unpack(\"<Q\",b[:8])[0]; h=json.loads(b[8:8+n])
h.pop(\"lm_head.weight\"); j=json.dumps(h).encode(); j+=b\" \"*(-len(j)%8)
open(\"model.safetensors\",\"wb\").write(struct.pack(\"<Q\",len(j))+j+b[8+n:])" 2>/dev/null || truncate -s 100 model.safetensors'

# success replaces the file
"$olmoe" convert "$src" "$out" --type f32 > "$tmp/log" 2>&1
rc=$?
head -c 4 "$out" | grep -q GGUF
check $(( rc != 0 || $? != 0 )) "a successful conversion replaces the output with a GGUF (exit $rc)"
left=$(ls "$tmp/out" | grep -v '^model.gguf$' | wc -l)
check $(( left != 0 )) "no temp file left after success"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
