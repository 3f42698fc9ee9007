#!/usr/bin/env bash
# Bad input to the CLI: every case runs build/olmoe under `timeout`, asserts the exit status and
# that stderr names the cause. A hang (exit 124) or a crash (128 and above) always fails. Covers
# perplexity (directory, stdin/pipe, empty, 1 token, -c 1), convert (FIFO inputs, duplicate
# expert names, what the loader refuses), chat (no message cap, long lines, NUL bytes, context
# full), score (a reason for every refused item or choice, no `accuracy 0/0`) and --check-tensors
# (every model-loading command refuses a NaN/Inf block scale, naming tensor and block).
#   usage: tests/cli_input.sh [OLMOE_BINARY]      (default build/olmoe)
set -u
bin=${1:-build/olmoe}
limit=${CLI_INPUT_TIMEOUT:-10}
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=199"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=199:print_stacktrace=1"
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$bin" ] || { echo "cli_input: $bin is not an executable"; echo "0 passed, 1 failed"; exit 1; }
out=$tmp/stdout
err=$tmp/stderr

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
why() { # the status in words, for a failure line
    if [ "$1" -eq 124 ]; then echo "TIMEOUT after ${limit}s"
    elif [ "$1" -ge 128 ]; then echo "CRASH (signal $(($1 - 128)))"
    else echo "exit $1"; fi
}
# t DESC WANT REGEX CMD...: stdin from $IN (default /dev/null). WANT 0: exit 0; WANT err: exit
# 1..123 and stderr matches REGEX (extended, case-insensitive). Leaves stdout/stderr in $out/$err.
t() {
    local desc=$1 want=$2 re=$3
    shift 3
    timeout "$limit" "$@" <"${IN:-/dev/null}" >"$out" 2>"$err"
    local st=$?
    local msg
    msg=$(grep -v '^\[' "$err" | head -c 200 | tr '\n' ' ')
    if [ "$want" = 0 ]; then
        if [ $st -eq 0 ] && grep -q -i -E -- "$re" "$out" "$err"; then ok "$desc"; else bad "$desc: $(why $st), want 0: $msg"; fi
    else
        if [ $st -ge 1 ] && [ $st -lt 124 ] && grep -q -i -E -- "$re" "$err"; then ok "$desc: $msg"
        else bad "$desc: $(why $st), want an error matching /$re/: $msg"; fi
    fi
    return 0
}

# a small model with a long context (the fixture olmoe_a, max_position_embeddings 8192)
src=tests/data/olmoe_a
mkdir -p "$tmp/hf"
cp "$src"/config.json "$src"/tokenizer.json "$src"/tokenizer_config.json "$src"/model.safetensors "$tmp/hf/"
sed -i 's/"max_position_embeddings": 4096/"max_position_embeddings": 8192/' "$tmp/hf/config.json"
M=$tmp/m.gguf
if ! timeout 60 "$bin" convert "$tmp/hf" "$M" --type f32 >"$tmp/conv.log" 2>&1; then
    cat "$tmp/conv.log"; echo "cli_input: cannot convert $src"; echo "0 passed, 1 failed"; exit 1
fi

# ---- perplexity ---------------------------------------------------------------------------
text=$tmp/text.txt
for i in 1 2 3 4 5 6 7 8; do echo "It is a truth universally acknowledged, that a single man in possession of a good fortune."; done >"$text"
: >"$tmp/empty.txt"
printf 'a' >"$tmp/one.txt"
t "perplexity -f DIRECTORY" err 'director' "$bin" perplexity -m "$M" -f "$tmp"
t "perplexity -f missing file" err 'no such file' "$bin" perplexity -m "$M" -f "$tmp/no-such.txt"
IN=$text t "perplexity -f - reads standard input" 0 '^perplexity [0-9]' "$bin" perplexity -m "$M" -f -
timeout "$limit" bash -c 'cat "$1" | "$2" perplexity -m "$3" -f /dev/stdin' _ "$text" "$bin" "$M" >"$out" 2>"$err"
st=$?
if [ $st -eq 0 ] && grep -q '^perplexity [0-9]' "$out"; then ok "perplexity -f /dev/stdin from a pipe"; else bad "perplexity -f /dev/stdin from a pipe: $(why $st): $(head -c 200 "$err")"; fi
t "perplexity on an empty file" err 'empty' "$bin" perplexity -m "$M" -f "$tmp/empty.txt"
IN=$tmp/empty.txt t "perplexity on empty standard input" err 'empty' "$bin" perplexity -m "$M" -f -
t "perplexity on a 1-token file" err '1 token' "$bin" perplexity -m "$M" -f "$tmp/one.txt"
t "perplexity -c 1" err '(-c|window).*(at least 2|too small)' "$bin" perplexity -m "$M" -f "$text" -c 1
t "perplexity -c abc" err '-c.*abc' "$bin" perplexity -m "$M" -f "$text" -c abc
t "perplexity -c -5" err '-c.*-5' "$bin" perplexity -m "$M" -f "$text" -c -5
t "perplexity on a good file" 0 '^perplexity [0-9]' "$bin" perplexity -m "$M" -f "$text" -c 64

# ---- convert --------------------------------------------------------------------------------
cout=$tmp/cout/model.gguf
mkdir -p "$tmp/cout"
printf 'precious existing file\n' >"$cout"
cp "$cout" "$tmp/corig"
# cv DESC REGEX SETUP [EXTRA ARGS...]: SETUP runs in a fresh copy $tmp/bad of the fixture; the
# conversion must fail naming the cause, leave the existing output as it was and no temp file.
cv() {
    local desc=$1 re=$2 setup=$3
    shift 3
    rm -rf "$tmp/bad"
    cp -r "$tmp/hf" "$tmp/bad"
    cp "$tmp/corig" "$cout"
    (cd "$tmp/bad" && eval "$setup")
    t "convert: $desc" err "$re" "$bin" convert "$tmp/bad" "$cout" --type f32 "$@"
    if cmp -s "$cout" "$tmp/corig" && [ "$(ls "$tmp/cout" | wc -l)" = 1 ]; then ok "convert: $desc: output untouched, no temp file"
    else bad "convert: $desc: the existing output changed or a temp file was left: $(ls "$tmp/cout" | tr '\n' ' ')"; fi
}
cv "config.json is a FIFO" 'config.json.*(fifo|not a regular file)' 'rm config.json && mkfifo config.json'
cv "tokenizer.json is a FIFO" 'tokenizer.json.*(fifo|not a regular file)' 'rm tokenizer.json && mkfifo tokenizer.json'
cv "tokenizer_config.json is a FIFO" 'tokenizer_config.json.*(fifo|not a regular file)' 'rm tokenizer_config.json && mkfifo tokenizer_config.json'
cv "model.safetensors is a FIFO" 'model.safetensors.*(fifo|not a regular file)' 'rm model.safetensors && mkfifo model.safetensors'
cv "chat_template.jinja is a FIFO" 'chat_template.jinja.*(fifo|not a regular file)' \
   'mkfifo chat_template.jinja && sed -i "/\"chat_template\"/d" tokenizer_config.json'
cv "a shard is a FIFO" 'shard-1.safetensors.*(fifo|not a regular file)' \
   'rm model.safetensors && mkfifo shard-1.safetensors && printf "{\"weight_map\": {\"lm_head.weight\": \"shard-1.safetensors\"}}" > model.safetensors.index.json'
cv "config.json is a directory" 'config.json.*(director|not a regular file)' 'rm config.json && mkdir config.json'
cv "--expert-names with a name twice" "expert-names.*'a'.*(twice|duplicate)" ':' --expert-names a,b,c,d,e,f,g,a
cv "--expert-names with a name that --opt-out reads as an index" "expert-names.*'7x'" ':' --expert-names a,b,c,d,e,f,g,7x
cv "rope_theta 1e999" 'rope_theta' 'sed -i "s/\"rope_theta\": 10000.0/\"rope_theta\": 1e999/" config.json'
cv "rope_theta beyond float range" 'rope_theta' 'sed -i "s/\"rope_theta\": 10000.0/\"rope_theta\": 1e300/" config.json'
cv "a merge naming a token not in the vocab" "merge.*zzqq.*not in" 'sed -i "s/^      \"Ġ t\",/      \"Ġ zzqq\",/" tokenizer.json'
cv "a merge whose result is not in the vocab" "merge.*not in" 'sed -i "s/^      \"Ġ t\",/      \"x q\",/" tokenizer.json'
cv "an empty vocab" 'vocab.*empty' 'sed -i "/^    \"vocab\": {/,/^    },/c\\    \"vocab\": {}," tokenizer.json'
cv "a Lowercase normalizer" 'normalizer.*Lowercase' 'sed -i "s/\"type\": \"NFC\"/\"type\": \"Lowercase\"/" tokenizer.json'
cv "a Sequence normalizer with Lowercase" 'normalizer.*Lowercase' \
   'sed -i "s/\"type\": \"NFC\"/\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFC\"}, {\"type\": \"Lowercase\"}]/" tokenizer.json'
# a Split regex with a NUL byte (a C string would cut it short)
nul_regex() {
    sed -i '/"pre_tokenizer": {/,/}/ s/"type": "ByteLevel",/"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "a\\u0000b"}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}], "x": 0,/' tokenizer.json
}
cv "a pre-tokenizer regex containing \\u0000" '(NUL|u0000)' nul_regex
# a Split regex that olmoe.h's loader accepts but cannot tokenize with: the written file is
# loaded and tried before it replaces the output
unknown_regex() {
    sed -i '/"pre_tokenizer": {/,/}/ s/"type": "ByteLevel",/"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "a+"}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}], "x": 0,/' tokenizer.json
}
cv "a pre-tokenizer regex olmoe.h does not implement" 'cannot tokenize' unknown_regex
# a NaN in model.norm.weight: nothing in convert looks at weight values, the loader does; the
# written file is loaded before it replaces the output, so this is refused with the loader's words
nan_norm() {
    local hlen off
    hlen=$(od -An -tu8 -N8 model.safetensors | tr -d ' ')
    off=$(head -c $((8 + hlen)) model.safetensors | tail -c "$hlen" | grep -a -o '"model.norm.weight": *{[^}]*}' |
          sed 's/.*"data_offsets": *\[ *\([0-9]*\).*/\1/')
    printf '\000\000\300\177' | dd of=model.safetensors bs=1 seek=$((8 + hlen + off)) conv=notrunc 2>/dev/null
}
cv "a NaN in the final norm (the loader refuses it)" 'loader refuses.*output_norm.*not finite' nan_norm
t "convert: a good conversion still works" 0 'wrote' "$bin" convert "$tmp/hf" "$cout" --type q8_0 --expert-names a,b,c,d,e,f,g,h

# "normalizer": null means no normalization in HF (olmoe.h's default for this pre-tokenizer is
# NFC): a decomposed e + U+0301 must come back from encode+decode as the same bytes
rm -rf "$tmp/nonorm"
cp -r "$tmp/hf" "$tmp/nonorm"
sed -i '/^  "normalizer": {/,/^  },/c\  "normalizer": null,' "$tmp/nonorm/tokenizer.json"
dec=$(printf 'e\314\201')
if timeout "$limit" "$bin" convert "$tmp/nonorm" "$tmp/nonorm.gguf" --vocab-only 2>"$err" &&
   ids=$(timeout "$limit" "$bin" tokenize -m "$tmp/nonorm.gguf" -p "$dec") &&
   [ "$(timeout "$limit" "$bin" tokenize -m "$tmp/nonorm.gguf" --decode --no-newline -t "$(echo "$ids" | tr ' ' ',')" | od -An -tx1 | tr -d ' \n')" = 65cc81 ]
then ok "convert: a tokenizer without a normalizer keeps decomposed text as it is (ids $ids)"
else bad "convert: a tokenizer without a normalizer: decomposed text did not come back unchanged: $(tail -n 1 "$err")"; fi

# a Split(regex, Removed, invert) pre-tokenizer, as dolma2 (FlexOlmo) writes it, splits as
# Isolated does for the regexes olmoe.h runs: the fixture tokenizer rewritten so (its ByteLevel
# regex made an explicit Split) must still give HF's ids for every case in tests/data/tokenizer
rm -rf "$tmp/removed"
cp -r "$tmp/hf" "$tmp/removed"
cat >"$tmp/pre.json" <<'JSON'
  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"}, "behavior": "Removed", "invert": true}, {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
JSON
awk -v f="$tmp/pre.json" '/^  "pre_tokenizer": \{/ { while ((getline l < f) > 0) print l; skip = 1; next }
                          skip && /^  \},/ { skip = 0; next } !skip' "$tmp/hf/tokenizer.json" >"$tmp/removed/tokenizer.json"
if timeout "$limit" "$bin" convert "$tmp/removed" "$tmp/removed.gguf" --vocab-only 2>"$err"; then
    n=0 bad_ids=0
    while IFS="$(printf '\t')" read -r hex ids _; do
        [ -n "$hex" ] || continue
        printf '%b' "$(echo "$hex" | sed 's/../\\x&/g')" >"$tmp/case.txt"
        got=$(timeout "$limit" "$bin" tokenize -m "$tmp/removed.gguf" -f "$tmp/case.txt")
        n=$((n + 1))
        [ "$got" = "$ids" ] || { bad_ids=$((bad_ids + 1)); echo "  case $hex: HF $ids, got $got"; }
    done <tests/data/tokenizer/cases.txt
    if [ "$bad_ids" = 0 ] && [ "$n" -gt 10 ]; then ok "convert: Split(Removed, invert) pre-tokenizer: $n cases give HF's ids"
    else bad "convert: Split(Removed, invert) pre-tokenizer: $bad_ids of $n cases differ from HF"; fi
else
    bad "convert: Split(Removed, invert) pre-tokenizer refused: $(grep error "$err" | head -n 1)"
fi

# ---- chat -----------------------------------------------------------------------------------
# chat -v prints "[N prompt tokens, ...]" per turn: what the turn sent to the model
turns() { grep -c '^\[[0-9]* prompt tokens' "$err"; }
min_prompt() { grep -o '^\[[0-9]* prompt tokens' "$err" | tr -dc '0-9\n' | sort -n | head -n 1; }
max_prompt() { grep -o '^\[[0-9]* prompt tokens' "$err" | tr -dc '0-9\n' | sort -n | tail -n 1; }
for i in $(seq 1 130); do echo "turn $i"; done >"$tmp/turns.txt"
IN=$tmp/turns.txt t "chat: 130 turns" 0 'prompt tokens' "$bin" chat -m "$M" -v -n 1 --temp 0 -c 8192
# each turn appends only its own message (a few tokens); a turn that re-sends the whole history
# or sends nothing has lost what was typed
n=$(turns); lo=$(min_prompt); hi=$(max_prompt)
if [ "$n" = 130 ] && [ "${lo:-0}" -ge 4 ] && [ "${hi:-999}" -le 40 ]; then ok "chat: 130 turns each send their message ($n turns, $lo to $hi prompt tokens)"
else bad "chat: 130 turns: $n turns answered, ${lo:-none} to ${hi:-none} prompt tokens (want 130 turns of 4 to 40)"; fi
{ head -c 20000 /dev/zero | tr '\0' 'x' | sed 's/xxxx/the /g'; echo; } >"$tmp/long.txt"
IN=$tmp/long.txt t "chat: a 20000-byte line" 0 'prompt tokens' "$bin" chat -m "$M" -v -n 1 --temp 0 -c 8192
n=$(turns); lo=$(min_prompt)
if [ "$n" = 1 ] && [ "${lo:-0}" -ge 5000 ]; then ok "chat: a 20000-byte line is one turn ($lo prompt tokens)"
else bad "chat: a 20000-byte line: $n turns, fewest prompt tokens ${lo:-none} (want 1 turn of at least 5000)"; fi
printf 'hello\nbad\0line\nworld\n' >"$tmp/nul.txt"
IN=$tmp/nul.txt t "chat: a line with a NUL byte is refused with a message" 0 'NUL' "$bin" chat -m "$M" -v -n 1 --temp 0
n=$(turns)
if [ "$n" = 2 ] && grep -q -i 'NUL' "$err"; then ok "chat: the turns around a NUL line go on ($n turns)"
else bad "chat: NUL line: $n turns (want 2) or no message"; fi
{ head -c 600 /dev/zero | tr '\0' 'x' | sed 's/xxxx/the /g'; echo; } >"$tmp/mid.txt"
IN=$tmp/mid.txt t "chat: a message longer than the context" err 'context' "$bin" chat -m "$M" -n 4 --temp 0 -c 64
echo "hello there" >"$tmp/short.txt"
IN=$tmp/short.txt t "chat: the context fills while replying" err 'context.*full' "$bin" chat -m "$M" -n 200 --ignore-eos --temp 0 -c 48

# ---- score ----------------------------------------------------------------------------------
good='{"context": "It is a truth", "choices": [" universally", " never"], "gold": 0}'
sc() { # DESC REGEX LINE: a file of LINE then a good item: the bad one named, the good one counted
    printf '%s\n%s\n' "$3" "$good" >"$tmp/s.jsonl"
    t "score: $1" 0 'accuracy [0-9.]+ \([01]/1\)' "$bin" score -m "$M" --jsonl "$tmp/s.jsonl" -c 64
    if grep -q -i -E -- "$2" "$err"; then ok "score: $1: cause named: $(grep -i -E -- "$2" "$err" | head -n 1 | head -c 150)"
    else bad "score: $1: no message matching /$2/ on stderr: $(head -c 200 "$err")"; fi
}
long=$(head -c 400 /dev/zero | tr '\0' 'x' | sed 's/xxxx/the /g')
sc "a context longer than the window" 'line 1.*choice 0.*(exceed|context)' "{\"context\": \"$long\", \"choices\": [\" a\", \" b\"], \"gold\": 0}"
sc "an empty choice" 'line 1.*choice 1.*empty' '{"context": "It is", "choices": [" a", ""], "gold": 0}'
sc "a partial item without _" 'line 1.*_' '{"context": "It is a truth", "choices": [" a", " b"], "gold": 0, "partial": true}'
sc "a gold index out of range" 'line 1.*gold' '{"context": "It is", "choices": [" a", " b"], "gold": 2}'
sc "a negative gold index" 'line 1.*gold' '{"context": "It is", "choices": [" a", " b"], "gold": -1}'
sc "\"partial\" not a boolean" 'line 1.*partial' '{"context": "It _ is", "choices": [" a", " b"], "gold": 0, "partial": "yes"}'
sc "\\u0000 in the context" 'line 1.*(NUL|u0000)' '{"context": "It is\u0000 a truth", "choices": [" a", " b"], "gold": 0}'
sc "\\u0000 in a choice" 'line 1.*(NUL|u0000)' '{"context": "It is", "choices": [" a\u0000b", " b"], "gold": 0}'
sc "a choice that is not a string" 'line 1.*choice 1' '{"context": "It is", "choices": [" a", 3], "gold": 0}'
sc "no choices" 'line 1.*choices' '{"context": "It is", "choices": [], "gold": 0}'
sc "malformed JSON" 'line 1.*json' '{"context": "It is", "choices": [" a"'
t "score --jsonl DIRECTORY" err 'director' "$bin" score -m "$M" --jsonl "$tmp"
t "score --jsonl missing file" err 'no such file' "$bin" score -m "$M" --jsonl "$tmp/none.jsonl"
printf '{"context": 1}\nnot json\n' >"$tmp/allbad.jsonl"
t "score: a file of malformed lines" err 'no valid item' "$bin" score -m "$M" --jsonl "$tmp/allbad.jsonl"
: >"$tmp/empty.jsonl"
t "score: an empty file" err 'no valid item' "$bin" score -m "$M" --jsonl "$tmp/empty.jsonl"

# ---- option values: a malformed number is named, never read as 0 ---------------------------
t "run --temp abc" err '--temp abc' "$bin" run -m "$M" -p x --temp abc
t "run --top-p 1e99" err '--top-p 1e99' "$bin" run -m "$M" -p x --top-p 1e99
t "run -n 5x" err '-n 5x' "$bin" run -m "$M" -p x -n 5x
t "run --seed x" err '--seed x' "$bin" run -m "$M" -p x --seed x
t "run --stop nine times" err 'stop.*8' "$bin" run -m "$M" -p x --stop 1 --stop 2 --stop 3 --stop 4 --stop 5 --stop 6 --stop 7 --stop 8 --stop 9
t "run with good values" 0 '.' "$bin" run -m "$M" -p x -n 2 --temp 0.5 --top-p 0.9 --seed 7 --stop zz

# ---- --check-tensors: every command that loads a model refuses a NaN/Inf block scale by name ---
nan=tests/data/bad/nonfinite_scale_nan_q4_K.gguf
inf=tests/data/bad/nonfinite_scale_inf_iq4_xs.gguf
nre='tensor blk\.0\.ffn_up_exps\.weight: block 1 has a non-finite scale \(d is NaN'
t "logits on a NaN q4_K block scale loads without --check-tensors" 0 '.' "$bin" logits -m "$nan" -t 1,2
t "logits --check-tensors: a NaN q4_K scale" err "$nre" "$bin" logits --check-tensors -m "$nan" -t 1,2
t "logits --check-tensors: an Inf iq4_xs scale" err 'tensor output\.weight: block 5 has a non-finite scale \(d is Inf' "$bin" logits -m "$inf" -t 1 --check-tensors
t "run --check-tensors" err "$nre" "$bin" run --check-tensors -m "$nan" -p x -n 1
t "chat --check-tensors" err "$nre" "$bin" chat --check-tensors -m "$nan"
t "score --check-tensors" err "$nre" "$bin" score --check-tensors -m "$nan" --jsonl /dev/null
t "perplexity --check-tensors" err "$nre" "$bin" perplexity --check-tensors -m "$nan" -f "$text"
t "info --check-tensors (exit 1, the file still described)" err "$nre" "$bin" info --check-tensors "$nan"
grep -q 'this build cannot run this file' "$out" && ok "info --check-tensors describes the file on stdout" || bad "info --check-tensors: no description on stdout"
t "bench --check-tensors" err "$nre" "$bin" bench --check-tensors -m "$nan" -p 1 -n 1 -r 1 --no-bw --no-file-bw
t "routes --check-tensors" err "$nre" "$bin" routes --check-tensors -m "$nan" --domain a="$text"
t "serve --check-tensors" err "$nre" "$bin" serve --check-tensors -m "$nan" --port 0
t "info on the same file without --check-tensors" 0 'q4_K' "$bin" info "$nan"
t "logits --check-tensors on a clean q4_K file" 0 '.' "$bin" logits --check-tensors -m tests/data/bad/ok_type_q4_K.gguf -t 1,2
t "run --check-tensors on a clean f32 model" 0 '.' "$bin" run --check-tensors -m "$M" -p x -n 2

# ---- tokenize -------------------------------------------------------------------------------
t "tokenize -f DIRECTORY" err 'director' "$bin" tokenize -m "$M" -f "$tmp"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
