#!/usr/bin/env bash
# The CLI behaves as llama.cpp users expect (issue 17): --help for every subcommand (each flag the
# parser accepts is in it), --version, -n -1, -e, -f FILE / -f -, -s/--seed -1, the -c and -t
# warnings, stats on stderr on their own line, a final newline, --special, Ctrl-C in run and chat,
# chat's continuation lines and /reset /system /help, perplexity and score progress, info on a
# file this build cannot run, top5's token text. Every command runs under `timeout`.
#   usage: tests/cli_ux.sh [BUILD_DIR]      (default build: BUILD/olmoe, BUILD/fixtures, BUILD/examples)
set -u
build=${1:-build}
bin=$build/olmoe
limit=${CLI_UX_TIMEOUT:-20}
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=199"
pass=0
fail=0
tmp=$(mktemp -d)
pids=
cleanup() { for p in $pids; do kill -9 "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
out=$tmp/stdout
err=$tmp/stderr
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1${3:+: $3}"; fi; }
# r CMD...: run with stdin from $IN (default /dev/null), stdout/stderr to $out/$err; sets $st
r() { timeout "$limit" "$@" <"${IN:-/dev/null}" >"$out" 2>"$err"; st=$?; }
short() { head -c 300 "$1" | tr '\n' ' '; }

M=$build/fixtures/olmoe_a-f32.gguf      # a tiny OLMoE with the OLMoE chat template, context 4096
B=models/austen-olmoe-q8_0.gguf         # the bundled model (slow enough to interrupt with -t 1 --kernels scalar)
for f in "$bin" "$M" "$build/fixtures/olmoe_b-f32.gguf" "$build/fixtures/olmoe_c-f32.gguf" "$B" "$build/examples/generate" "$build/examples/top5"; do
    [ -e "$f" ] || { echo "cli_ux: $f is missing (make test-cli-ux builds it)"; echo "0 passed, 1 failed"; exit 1; }
done

# ---- --help: every subcommand in the dispatch; usage, defaults, an example; every flag -------
cmds=$(grep -o 'strcmp(argv\[1\], "[a-z]*")) return cmd_' tools/olmoe_cli.c | sed 's/.*"\([a-z]*\)".*/\1/')
[ "$(echo "$cmds" | wc -w)" -ge 13 ] && ok "dispatch lists $(echo "$cmds" | wc -w) subcommands" || bad "dispatch: found only: $cmds"
# the flags a parser compares its arguments with, from its source (for info/logits: its function)
flags_of() {
    local src
    case $1 in
    info) src=$(sed -n '/^static int cmd_info/,/^}/p' tools/olmoe_cli.c) ;;
    logits) src=$(sed -n '/^static int cmd_logits/,/^}/p' tools/olmoe_cli.c) ;;
    tokenize) src=$(cat tools/tokenize_cmd.c) ;;
    bench | convert | synth | routes | serve | quantize) src=$(cat "tools/$1.c") ;;
    *) return ;;
    esac
    echo "$src" | grep -o 'strcmp([a-z\[\]]*, "-[-a-z0-9]*")' | sed 's/.*"\(.*\)")/\1/' | sort -u
}
for c in $cmds; do
    r "$bin" "$c" --help
    if [ $st -eq 0 ] && grep -q -i 'usage' "$out" && grep -q -i 'example' "$out" && grep -q -i 'default\|required' "$out"; then
        ok "$c --help: exit 0, usage, defaults and an example on stdout"
    else bad "$c --help: exit $st, want 0 with usage/default/example on stdout: $(short "$out") $(short "$err")"; fi
    missing=
    for fl in $(flags_of "$c" | grep -v -x -e -h -e --help); do grep -q -- "$fl\b" "$out" || missing="$missing $fl"; done
    [ -z "$missing" ] && ok "$c --help names every flag its parser compares with" || bad "$c --help does not name:$missing"
done
# run/chat/score/perplexity share one flag table: each flag is in a command's help, or that
# command refuses it by name (never accepted and ignored)
tflags=$(grep -o '^    {O_[A-Z_]*, C_[A-Z_|]*, \(NULL\|"-[a-z]*"\), "--[a-z-]*"' tools/text_cmds.c | grep -o '"-[-a-z]*"' | tr -d '"' | sort -u)
[ "$(echo "$tflags" | wc -w)" -ge 30 ] && ok "text commands: $(echo "$tflags" | wc -w) flags in the table" || bad "text commands: flag table not found ($tflags)"
for c in run chat score perplexity; do
    "$bin" $c --help >"$tmp/help" 2>&1
    missing=
    for fl in $tflags; do
        grep -q -- "$fl\b" "$tmp/help" && continue
        timeout "$limit" "$bin" $c "$fl" 1 -m "$tmp/none.gguf" >/dev/null 2>"$tmp/e"
        grep -q -E 'does not apply|unknown option' "$tmp/e" || missing="$missing $fl"
    done
    [ -z "$missing" ] && ok "$c: every flag is in --help or refused by name" || bad "$c: accepted but neither in --help nor refused:$missing"
done
r "$bin" help run
check "olmoe help run = olmoe run --help" '[ $st -eq 0 ] && grep -q -- "--n-predict" "$out"'
r "$bin" score -m "$M" --jsonl /dev/null --temp 0.5
check "score --temp is refused by name (it would be ignored)" '[ $st -eq 2 ] && grep -q -- "--temp does not apply to score" "$err"' "$(short "$err")"
r "$bin" chat -m "$M" --routes
check "chat --routes is refused by name (it would be ignored)" '[ $st -eq 2 ] && grep -q -- "--routes does not apply" "$err"' "$(short "$err")"
r "$bin" tokenize -m "$M" -p x --no-newline
check "tokenize --no-newline without --decode is refused" '[ $st -eq 2 ] && grep -q -- "--no-newline" "$err"'

# ---- --version ---------------------------------------------------------------------------------
v=$(sed -n 's/^#define OLMOE_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\).*/\2/p' olmoe.h | tr '\n' . | sed 's/\.$//')
r "$bin" --version
check "--version prints olmoe $v and the kernel paths" '[ $st -eq 0 ] && grep -q "^olmoe $v\b" "$out" && grep -q "kernel paths on this CPU:.*scalar" "$out"' "$(short "$out")"
missing_path=$(sed -n 's/^not available: *//p' "$out" | awk '{print $1}')
if [ -n "$missing_path" ]; then
    r "$bin" run -m "$M" -p x -n 1 --kernels "$missing_path" -s 1
    check "--kernels $missing_path on a CPU without it names the path" '[ $st -eq 1 ] && grep -q "kernel path $missing_path .*not available" "$err"' "$(short "$err")"
fi

# ---- run: -n -1, -e, -f, seeds, warnings, stats, newline, --special, --system ----------------
r "$bin" run -m "$M" -p "The" -n -1 --ignore-eos -c 32 --temp 0
check "run -n -1 --ignore-eos fills the context (32 generated after 1 prompt token)" \
      '[ $st -eq 0 ] && grep -q "generated 32 tokens" "$err" && grep -q "context (32 tokens) is full" "$err"' "$(short "$err")"
# olmoe_c's greedy continuation of "The" reaches <|endoftext|> within 200 tokens
r "$bin" run -m "$build/fixtures/olmoe_c-f32.gguf" -p "The" -n 200 --ignore-eos --special --temp 0
eos_at=$(head -c 100000 "$out" | grep -c 'endoftext')
r "$bin" run -m "$build/fixtures/olmoe_c-f32.gguf" -p "The" -n -1 --temp 0
n=$(sed -n 's/.*generated \([0-9]*\) tokens.*/\1/p' "$err")
check "run -n -1 stops at the end-of-text token ($n generated)" '[ $st -eq 0 ] && [ "$eos_at" -ge 1 ] && [ "${n:-0}" -ge 1 ] && [ "${n:-0}" -lt 200 ] && ! grep -q "is full" "$err"' "$(short "$err")"
r "$bin" run -m "$M" -p 'a\tb\x41\\q\"\n' -e -n 0 -s 1
printf 'a\tbA\\q"\n' >"$tmp/want"
check "run -e turns \\t \\x41 \\\\ \\\" \\n into bytes" '[ $st -eq 0 ] && cmp -s "$out" "$tmp/want"' "$(od -An -c "$out")"
r "$bin" run -m "$M" -p 'a\x00b' -e -n 0 -s 1
check "run -e refuses \\x00" '[ $st -eq 2 ] && grep -q "x00" "$err"'
r "$bin" run -m "$M" -p 'a\nb' -n 0 -s 1
check "run without -e keeps the backslash" '[ "$(head -c 4 "$out")" = "a\\nb" ]'
printf 'From a file, of course' >"$tmp/prompt.txt"
r "$bin" run -m "$M" -f "$tmp/prompt.txt" -n 0 -s 1
check "run -f FILE: the prompt is the file (then a newline)" '[ $st -eq 0 ] && [ "$(cat "$out")" = "From a file, of course" ] && grep -q "prompt [0-9]* tokens" "$err" && ! grep -q "prompt 0 tokens" "$err"'
IN=$tmp/prompt.txt r "$bin" run -m "$M" -f - -n 0 -s 1
check "run -f - reads the prompt from standard input" '[ $st -eq 0 ] && [ "$(cat "$out")" = "From a file, of course" ]'
r "$bin" run -m "$M" -f "$tmp/prompt.txt" -p x -n 0
check "run -f and -p together are refused" '[ $st -eq 2 ] && grep -q -- "-p TEXT or -f FILE" "$err"'
r "$bin" run -m "$M" -f "$tmp/no-such" -n 0
check "run -f missing file names it" '[ $st -eq 1 ] && grep -q "no-such.*No such file" "$err"'
r "$bin" run -m "$M" -p "It is" -n 8 --temp 1
seed=$(sed -n 's/^\[seed \([0-9]*\) .*/\1/p' "$err")
cp "$out" "$tmp/first"
check "run without --seed picks a random seed and prints it" '[ $st -eq 0 ] && [ -n "$seed" ]' "$(short "$err")"
r "$bin" run -m "$M" -p "It is" -n 8 --temp 1 -s "${seed:-0}"
check "run -s SEED (the printed one) repeats the text" 'cmp -s "$out" "$tmp/first" && ! grep -q "^\[seed" "$err"'
r "$bin" run -m "$M" -p "It is" -n 8 --temp 1 -s -1
check "run -s -1 is a random seed, printed" '[ $st -eq 0 ] && grep -q "^\[seed [0-9]* (random" "$err"'
r "$bin" run -m "$M" -p "It is" -n 8 --temp 1 --seed -2
check "run --seed -2 is refused" '[ $st -eq 2 ] && grep -q -- "--seed -2" "$err"'
r "$bin" run -m "$M" -p x -n 1 -c 100000 -s 1
check "run -c above the model's context warns and says what is used" '[ $st -eq 0 ] && grep -q "warning: -c 100000 is more than the model.s context of 4096 tokens; using 4096" "$err"' "$(short "$err")"
cores=$(getconf _NPROCESSORS_ONLN)
r "$bin" run -m "$M" -p x -n 1 -t $((cores + 3)) -s 1
check "run -t above the $cores online cores warns" '[ $st -eq 0 ] && grep -q "warning: -t $((cores + 3)) is more than the $cores online cores" "$err"' "$(short "$err")"
r "$bin" run -m "$M" -p x -n 1 -t "$cores" -s 1
check "run -t $cores (the core count) does not warn" '[ $st -eq 0 ] && ! grep -q warning "$err"'
timeout "$limit" "$bin" run -m "$M" -p "It is" -n 6 -s 1 >"$tmp/both" 2>&1
check "run 2>&1: the stats line starts a line of its own" 'grep -q "^\[prompt [0-9]* tokens" "$tmp/both" && [ "$(tail -n 1 "$tmp/both" | cut -c1-7)" = "[prompt" ]' "$(tail -c 200 "$tmp/both")"
r "$bin" run -m "$M" -p "It is" -n 6 -s 1
check "run: stats on stderr only, text on stdout ending with a newline" '! grep -q "\[prompt" "$out" && grep -q "^\[prompt" "$err" && [ "$(tail -c 1 "$out" | od -An -c | tr -d " ")" = "\\n" ]'
# special tokens: olmoe_b's greedy text holds <|padding|>, olmoe_c's <|endoftext|>
for f in olmoe_b olmoe_c; do
    r "$bin" run -m "$build/fixtures/$f-f32.gguf" -p "The" -n 200 --temp 0 --ignore-eos --special
    cp "$out" "$tmp/special"
    r "$bin" run -m "$build/fixtures/$f-f32.gguf" -p "The" -n 200 --temp 0 --ignore-eos
    sed 's/<|padding|>//g; s/<|endoftext|>//g' "$tmp/special" >"$tmp/stripped"
    check "run: special tokens hidden unless --special ($f: $(grep -o '<|[a-z]*|>' "$tmp/special" | sort | uniq -c | tr -s ' ' | tr '\n' ' '))" \
          'grep -q "<|[a-z]*|>" "$tmp/special" && ! grep -q "<|[a-z]*|>" "$out" && cmp -s "$out" "$tmp/stripped"'
done
# and in chat replies (olmoe_b answers "The" with <|padding|>, olmoe_c answers "hello" with <|endoftext|>)
for fm in "olmoe_b The" "olmoe_c hello"; do
    set -- $fm
    echo "$2" >"$tmp/msg"
    IN=$tmp/msg r "$bin" chat -m "$build/fixtures/$1-f32.gguf" -n 300 --temp 0 --ignore-eos -c 1024 --special
    cp "$out" "$tmp/special"
    IN=$tmp/msg r "$bin" chat -m "$build/fixtures/$1-f32.gguf" -n 300 --temp 0 --ignore-eos -c 1024
    sed 's/<|padding|>//g; s/<|endoftext|>//g' "$tmp/special" >"$tmp/stripped"
    check "chat: special tokens hidden unless --special ($1)" 'grep -a -q "<|[a-z]*|>" "$tmp/special" && ! grep -a -q "<|[a-z]*|>" "$out" && cmp -s "$out" "$tmp/stripped"'
done
r "$bin" run -m "$M" -p "Hello" -n 0 -s 1
plain=$(sed -n 's/^\[prompt \([0-9]*\) tokens.*/\1/p' "$err")
r "$bin" run -m "$M" -p "Hello" --system "You are terse." -n 0 -s 1
sys=$(sed -n 's/^\[prompt \([0-9]*\) tokens.*/\1/p' "$err")
check "run --system renders system + prompt through the chat template ($plain -> $sys prompt tokens, prompt not echoed)" \
      '[ $st -eq 0 ] && [ "${sys:-0}" -gt $((${plain:-99} + 5)) ] && ! grep -q Hello "$out"' "$(short "$err")"

# ---- tokenize --decode, examples -------------------------------------------------------------
r "$bin" tokenize -m "$M" --decode -t 1,2,3
check "tokenize --decode ends with a newline" '[ $st -eq 0 ] && [ "$(tail -c 1 "$out" | od -An -c | tr -d " ")" = "\\n" ]'
cp "$out" "$tmp/dec"
r "$bin" tokenize -m "$M" --decode --no-newline -t 1,2,3
check "tokenize --decode --no-newline: the same bytes without it" '[ $st -eq 0 ] && [ "$(head -c -1 "$tmp/dec" | od -An -tx1)" = "$(od -An -tx1 "$out")" ]'
r "$build/examples/generate" "$M" "It is" 5
check "examples/generate: text ends with a newline, stats on stderr" '[ $st -eq 0 ] && [ "$(tail -c 1 "$out" | od -An -c | tr -d " ")" = "\\n" ] && grep -q "^\[5 tokens" "$err"' "$(short "$err")"
r "$build/examples/top5" "$B" 1 2 3
check "examples/top5 prints each token's text, escaped" \
      '[ $st -eq 0 ] && [ "$(wc -l <"$out")" = 5 ] && [ "$(awk -F"\t" "NF == 4 && \$4 ~ /^\".*\"$/" "$out" | wc -l)" = 5 ] && ! grep -q "$(printf "\r")" "$out"' "$(short "$out")"
r "$build/examples/top5" "$B" 1 2 3
check "examples/top5 escapes a newline token as \\n" 'grep -q "\"\\\\n\"" "$out"' "$(short "$out")"

# ---- Ctrl-C -----------------------------------------------------------------------------------
# run: started with a long generation; SIGINT once some text is out: stops, stats, exit 130
"$bin" run -m "$B" -p "It is" -n -1 --ignore-eos -t 1 --kernels scalar -s 3 >"$tmp/run.out" 2>"$tmp/run.err" &
pid=$!
pids="$pids $pid"
for _ in $(seq 200); do [ "$(stat -c %s "$tmp/run.out")" -gt 60 ] && break; sleep 0.05; done
kill -INT $pid
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
kill -0 $pid 2>/dev/null && { kill -9 $pid; echo "  (run did not stop on SIGINT)"; }
wait $pid
st=$?
n=$(sed -n 's/.*generated \([0-9]*\) tokens.*/\1/p' "$tmp/run.err")
check "run: SIGINT stops it ($n of up to 1023 tokens), prints the stats line, exit 130" \
      '[ $st -eq 130 ] && [ -n "$n" ] && [ "$n" -lt 1000 ] && grep -q "interrupted" "$tmp/run.err" && [ "$(tail -c 1 "$tmp/run.out" | od -An -c | tr -d " ")" = "\\n" ]' "exit $st: $(short "$tmp/run.err")"
# chat: SIGINT during a reply stops only the reply (the prompt comes back), a second at the prompt ends it
mkfifo "$tmp/in"
"$bin" chat -m "$B" -n -1 --ignore-eos -t 1 --kernels scalar -s 3 -v <"$tmp/in" >"$tmp/chat.out" 2>"$tmp/chat.err" &
pid=$!
pids="$pids $pid"
exec 3>"$tmp/in"
echo "Tell me a long story." >&3
for _ in $(seq 200); do [ "$(stat -c %s "$tmp/chat.out")" -gt 60 ] && break; sleep 0.05; done
kill -INT $pid
for _ in $(seq 100); do [ "$(grep -c '> ' "$tmp/chat.out")" -ge 2 ] && break; sleep 0.05; done
sleep 0.2
alive=0
kill -0 $pid 2>/dev/null && alive=1
check "chat: SIGINT during a reply stops it and the prompt comes back" '[ $alive = 1 ] && grep -q "reply stopped" "$tmp/chat.err" && [ "$(grep -c "> " "$tmp/chat.out")" -ge 2 ]' "$(short "$tmp/chat.err")"
kill -INT $pid 2>/dev/null
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
kill -0 $pid 2>/dev/null && { kill -9 $pid; echo "  (chat did not leave on the second SIGINT)"; }
wait $pid
st=$?
exec 3>&-
check "chat: a second SIGINT at the prompt ends the chat (exit 0)" '[ $st -eq 0 ]' "exit $st"

# ---- chat: continuation lines and /help /reset /system -----------------------------------------
prompts() { sed -n 's/^\[\([0-9]*\) prompt tokens.*/\1/p' "$err" | tr '\n' ' ' | sed 's/ $//'; }
printf 'hello\n' >"$tmp/c1"
IN=$tmp/c1 r "$bin" chat -m "$M" -n 2 --temp 0 -v
one=$(prompts)
printf 'hello\nagain\n/reset\nhello\n' >"$tmp/c2"
IN=$tmp/c2 r "$bin" chat -m "$M" -n 2 --temp 0 -v
read -r p1 p2 p3 p4 <<<"$(prompts) -"
check "chat /reset: the next message starts a fresh conversation ($one; then $p1 $p2 $p3)" '[ $st -eq 0 ] && [ "$p4" = - ] && [ "$p3" = "$one" ] && [ "$p2" != "$one" ] && grep -q "conversation reset" "$err"'
printf 'hello\n' >"$tmp/c3"
IN=$tmp/c3 r "$bin" chat -m "$M" -n 2 --temp 0 -v --system "Be brief."
withsys=$(prompts)
printf '/system Be brief.\nhello\n' >"$tmp/c4"
IN=$tmp/c4 r "$bin" chat -m "$M" -n 2 --temp 0 -v
check "chat /system TEXT: the same prompt as --system TEXT ($withsys tokens)" '[ $st -eq 0 ] && [ "$(prompts)" = "$withsys" ] && [ "$withsys" != "$one" ]' "$(prompts)"
printf '/system Be brief.\nhello\n/reset\nhello\n' >"$tmp/c5"
IN=$tmp/c5 r "$bin" chat -m "$M" -n 2 --temp 0 -v
read -r p1 p2 p3 <<<"$(prompts) -"
check "chat /reset keeps the system message" '[ "$p3" = - ] && [ "$p2" = "$withsys" ]' "$(prompts)"
printf 'hello \\\nthere \\\nfriend\n' >"$tmp/c6"
IN=$tmp/c6 r "$bin" chat -m "$M" -n 2 --temp 0 -v
read -r p1 p2 <<<"$(prompts) -"
check "chat: lines ending in \\ continue one message (1 turn of $p1 tokens)" '[ $st -eq 0 ] && [ "$p2" = - ] && [ "$p1" -gt "$one" ]' "$(prompts)"
printf '/help\n/nonsense\n' >"$tmp/c7"
IN=$tmp/c7 r "$bin" chat -m "$M" -n 2 --temp 0 -v
check "chat /help lists the commands; an unknown /command is named, not sent" '[ $st -eq 0 ] && grep -q "/reset" "$out" && grep -q "/system" "$out" && grep -q "unknown command /nonsense" "$err" && [ -z "$(prompts)" ]'

# ---- progress ------------------------------------------------------------------------------------
for i in $(seq 1 40); do echo "It is a truth universally acknowledged, that a single man in possession of a good fortune must be in want of a wife."; done >"$tmp/text.txt"
r "$bin" perplexity -m "$M" -f "$tmp/text.txt" -c 64
check "perplexity: each window's running value on stderr ([1]x,[2]y,...), the result on stdout" \
      '[ $st -eq 0 ] && grep -q "^\[1\][0-9.]*,\[2\][0-9.]*,\[3\]" "$err" && grep -q "^perplexity [0-9.]* over" "$out" && [ "$(wc -l <"$out")" = 1 ]' "$(short "$err")"
last=$(grep -o '\[[0-9]*\][0-9.]*,$' "$err" | sed 's/.*\]\([0-9.]*\),/\1/')
check "perplexity: the last running value is the result ($last)" '[ -n "$last" ] && grep -q "^perplexity $last " "$out"' "$(short "$out")"
for i in $(seq 1 230); do echo '{"context": "It is a", "choices": [" truth", " lie"], "gold": 0}'; done >"$tmp/items.jsonl"
r "$bin" score -m "$M" --jsonl "$tmp/items.jsonl" -c 64
check "score: progress on stderr every 100 items" '[ $st -eq 0 ] && grep -q "^score: 100 items" "$err" && grep -q "^score: 200 items.*% of" "$err" && grep -q "^accuracy" "$out"' "$(short "$err")"

# ---- info -------------------------------------------------------------------------------------
r "$bin" info tests/data/bad/matrix_i32.gguf
check "info on a file with a tensor type this build cannot run: described, exit 0" \
      '[ $st -eq 0 ] && grep -q "^architecture: olmoe" "$out" && grep -q "^  i32 *1 tensors" "$out" && grep -q "cannot run: i32" "$out" && grep -q "cannot run this file:.*attn_v" "$out"' "exit $st: $(short "$out") $(short "$err")"
check "info: expert names, chat template, tokenizer" 'grep -q "^expert names: 0 math, 1 code, 2 news, 3 web" "$out" && grep -q "^chat template: none" "$out" && grep -q "^tokenizer: none" "$out"'
r "$bin" info tests/data/bad/missing_blk1_ffn_down_exps.gguf
check "info on a file with a missing tensor: described, exit 0" '[ $st -eq 0 ] && grep -q "cannot run this file: .*missing tensor blk.1.ffn_down_exps" "$out"' "exit $st: $(short "$out")"
r "$bin" info tests/data/bad/type_unknown.gguf
check "info on a malformed file: exit 1 with the cause" '[ $st -eq 1 ] && grep -q "unknown type 77" "$err"' "exit $st: $(short "$err")"
r "$bin" info "$B"
check "info on the bundled model: template, tokenizer, runnable" '[ $st -eq 0 ] && grep -q "^chat template: present" "$out" && grep -q "^tokenizer: gpt2, pre-tokenizer olmo" "$out" && grep -q "^bytes per token" "$out" && ! grep -q "cannot run" "$out"'

# ---- bench: malformed numbers refused by name, -t above the cores warns ---------------------------
r "$bin" bench -m "$B" -t abc
check "bench -t abc: refused naming the flag (atoi read it as 0)" '[ $st -eq 2 ] && grep -q -- "-t abc: not an integer" "$err"' "exit $st: $(short "$err")"
r "$bin" bench -m "$B" -n 4x
check "bench -n 4x: refused naming the flag" '[ $st -eq 2 ] && grep -q -- "-n 4x: not an integer" "$err"' "exit $st: $(short "$err")"
many=$(( $(getconf _NPROCESSORS_ONLN) + 3 ))
r "$bin" bench -m "$B" -t $many -p 8 -n 2 -r 1 --no-bw --no-file-bw
check "bench -t $many on $(getconf _NPROCESSORS_ONLN) cores: a warning naming both" '[ $st -eq 0 ] && grep -q "warning: -t $many is more than the $(getconf _NPROCESSORS_ONLN) online cores" "$err"' "exit $st: $(short "$err")"

r "$bin" bench -m "$B" -t 1 -p 8 -n 8 -r 1 --bw-mb 16 --bw-reps 2
jv() { tail -n 1 "$out" | grep -o "\"$1\": [0-9.e+-]*" | sed 's/.*: //'; }
check "bench: the roofline against the best read of the run (sweep or file mapping) is the most conservative" \
      'awk -v b="$(jv bandwidth_best_gbs)" -v m="$(jv bandwidth_gbs_max)" -v f="$(jv bandwidth_file_gbs)" -v rb="$(jv roofline_frac_best)" -v rm="$(jv roofline_frac_bw_max)" \
       "BEGIN { exit !(b > 0 && b >= m && b >= f && rb > 0 && rb <= rm + 1e-4) }" && grep -q "of the best read of the run" "$out"' "$(tail -n 1 "$out" | head -c 300)"

# bench --profile: a table of the phases, and in the JSON a "profile" object whose phases' bytes add
# up to the run's bytes_per_token (weights + the K/V cache at the mean decode position)
r "$bin" bench -m "$B" -t 2 -p 0 -n 8 -r 1 --no-bw --no-file-bw --profile
prof_total=$(tail -n 1 "$out" | sed 's/"profile": .*//' | grep -o '"bytes_per_token": [0-9]*' | sed 's/.*: //')
prof_sum=$(tail -n 1 "$out" | sed 's/.*"profile": //' | grep -o '"bytes_per_token": [0-9.]*' | tail -n +2 | sed 's/.*: //' | awk '{ s += $1 } END { printf "%.0f", s }')
check "bench --profile: the phases' bytes add up to bytes_per_token; one table row per phase" \
      '[ $st -eq 0 ] && [ -n "$prof_total" ] && awk -v a="$prof_total" -v b="$prof_sum" "BEGIN { exit !(a > 0 && a - b < 1.5 && b - a < 1.5) }" && grep -q "^  gate_up " "$out" && grep -q "^  other " "$out" && grep -q "\"calls_per_tok\": " "$out"' \
      "exit $st: $prof_total vs $prof_sum: $(short "$err")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
