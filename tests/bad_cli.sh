#!/usr/bin/env bash
# The CLI on the malformed-file corpus: `olmoe info F` and `olmoe logits -m F -t 1,2` on every
# file in MANIFEST must exit non-zero with a message on stderr within seconds (the valid bases:
# exit 0; `info` may instead describe a well-formed file it cannot run: exit 0 and "cannot run
# this file" on stdout); `logits --check-tensors` refuses the files MANIFEST marks check=CODE and
# loads the valid bases. An exit status of 124 is a timeout, 128 and above a crash (signal): both fail.
#   usage: tests/bad_cli.sh [OLMOE_BINARY] [CORPUS_DIR]      (defaults build/olmoe tests/data/bad)
set -u
bin=${1:-build/olmoe}
dir=${2:-tests/data/bad}
limit=${BAD_CLI_TIMEOUT:-10}
# a sanitizer build reports its findings with exit status 199 (not the 1 of an ordinary error)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=199"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=199:print_stacktrace=1"
pass=0
fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.out"' EXIT
[ -x "$bin" ] || { echo "bad_cli: $bin is not an executable"; echo "0 passed, 1 failed"; exit 1; }
[ -r "$dir/MANIFEST" ] || { echo "bad_cli: no $dir/MANIFEST"; echo "0 passed, 1 failed"; exit 1; }

run() { # expected(ok|bad|norun) file description... -- command...
    local want=$1 file=$2
    shift 2
    timeout "$limit" "$@" >"$tmp.out" 2>"$tmp"
    local st=$?
    local msg
    msg=$(head -c 300 "$tmp" | tr '\n' ' ')
    local ok=0
    if [ "$st" -ge 124 ] || grep -q -E 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' "$tmp"; then
        ok=0
    elif [ "$want" = ok ]; then
        [ "$st" -eq 0 ] && ok=1
    elif [ "$want" = norun ] && [ "$st" -eq 0 ]; then
        grep -q 'cannot run this file' "$tmp.out" && ok=1
    else
        [ "$st" -ne 0 ] && [ -s "$tmp" ] && ok=1
    fi
    if [ $ok = 1 ]; then
        pass=$((pass + 1))
        [ -n "${VERBOSE:-}" ] && echo "ok   $* -> $st: $msg"
    else
        fail=$((fail + 1))
        if [ "$st" -eq 124 ]; then why="TIMEOUT after ${limit}s"
        elif [ "$st" -eq 199 ] || grep -q -E 'Sanitizer|runtime error:' "$tmp"; then why="SANITIZER ERROR (exit $st)"
        elif [ "$st" -ge 128 ]; then why="CRASH (signal $((st - 128)))"
        else why="exit status $st"; fi
        echo "FAIL $* -> $why (want $want): $msg"
    fi
}

while read -r file code desc; do
    case "$file" in ''|'#'*) continue ;; esac
    want=bad
    [ "$code" = OLMOE_OK ] && want=ok
    if [ "$want" = bad ]; then run norun "$file" "$bin" info "$dir/$file"; else run ok "$file" "$bin" info "$dir/$file"; fi
    run "$want" "$file" "$bin" logits -m "$dir/$file" -t 1,2
    # --check-tensors: the files it refuses (check=CODE) and the valid bases it lets through
    case "$desc" in check=OLMOE_OK*) run ok "$file" "$bin" logits --check-tensors -m "$dir/$file" -t 1,2 ;;
    check=*) run bad "$file" "$bin" logits --check-tensors -m "$dir/$file" -t 1,2 ;;
    *) [ "$want" = ok ] && run ok "$file" "$bin" logits --check-tensors -m "$dir/$file" -t 1,2 ;;
    esac
done < "$dir/MANIFEST"
# a missing file and a directory
run bad missing "$bin" info "$dir/no-such-file.gguf"
run bad dir "$bin" logits -m "$dir" -t 1
# non-regular files are refused before anything blocks: a FIFO nobody writes to (opening it
# plainly waits forever), and a device
fifo=$(mktemp -u)
if mkfifo "$fifo"; then
    trap 'rm -f "$tmp" "$fifo"' EXIT
    for cmd in info "logits -t 1 -m" "tokenize -p x -m" "run -p x -m" "chat -m" "perplexity -f $dir/MANIFEST -m"; do
        # shellcheck disable=SC2086
        run bad fifo "$bin" $cmd "$fifo"
    done
fi
run bad device "$bin" info /dev/zero
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
