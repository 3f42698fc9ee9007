#!/bin/sh
# olmoe routes on the f32 fixtures: numbers against the Hugging Face reference in tests/data/routes
# (tools/reference/routes_ref.py), the HTML checked as well-formed XML (and by xmllint if installed), --compare/--opt-out invariants, and clear
# errors on bad input.   usage: tests/test_routes.sh BUILD_DIR
B=${1:-build}
OLMOE=$B/olmoe
CHK=$B/test_routes
D=tests/data/routes
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
# run a C check, print its lines, add its counts
c_check() {
    "$CHK" "$@" > "$T/c.out" 2>&1
    grep -E '^(ok  |FAIL)' "$T/c.out"
    pass=$((pass + $(grep -c '^ok  ' "$T/c.out")))
    fail=$((fail + $(grep -c '^FAIL' "$T/c.out")))
    grep -q ' passed, 0 failed$' "$T/c.out" || { grep -q '^FAIL' "$T/c.out" || bad "$CHK $*: $(tail -1 "$T/c.out")"; }
}
DOMS="--domain prose=$D/prose.txt --domain numbers=$D/numbers.jsonl"
xml_ok() {
    c_check xml "$1"
    # a second opinion from libxml2 where it is installed (Debian: libxml2-utils)
    if command -v xmllint > /dev/null 2>&1; then
        if xmllint --noout "$1" 2> "$T/x.err"; then ok "$1 parses with xmllint"; else bad "$1: xmllint: $(head -3 "$T/x.err")"; fi
    fi
    if grep -Eq '<script|<link|<img| src=| href=|@import|url\(' "$1"; then bad "$1 refers to something outside itself"; else ok "$1 is self-contained (no scripts, links, images or urls)"; fi
    n=$(grep -c '<svg' "$1")
    [ "$n" -ge 3 ] && ok "$1 has $n inline SVG figures" || bad "$1 has $n inline SVG figures"
}

for fx in olmoe_a olmoe_b flex_a; do
    g=$B/fixtures/$fx-f32.gguf
    [ $fx = flex_a ] && g=$B/fixtures/flex_a-named.gguf  # same weights as flex_a-f32, with expert names
    if "$OLMOE" routes -m "$g" $DOMS --trace --json "$T/$fx.json" -o "$T/$fx.html" 2> "$T/$fx.err"; then
        ok "olmoe routes on $g"
        c_check ref "$D/$fx.json" "$T/$fx.json"
        c_check self "$T/$fx.json"
        xml_ok "$T/$fx.html"
    else
        bad "olmoe routes on $g: $(tail -2 "$T/$fx.err")"
    fi
done
grep -q '"expert_names": \["public","math"' "$T/flex_a.json" && grep -q '>math<' "$T/flex_a.html" \
    && ok "FlexOlmo expert names in the JSON and the HTML" || bad "FlexOlmo expert names missing"

# router saturation against the model itself is 1; an opt-out leaves the masked expert no load
g=$B/fixtures/olmoe_a-f32.gguf
if "$OLMOE" routes -m "$g" $DOMS --compare "$g" --json "$T/sat.json" -o "$T/sat.html" 2> "$T/sat.err"; then
    c_check self "$T/sat.json"; xml_ok "$T/sat.html"
else bad "routes --compare: $(tail -2 "$T/sat.err")"; fi
if "$OLMOE" routes -m $B/fixtures/flex_a-named.gguf $DOMS --opt-out math --trace --json "$T/opt.json" -o "$T/opt.html" 2> "$T/opt.err"; then
    c_check ref "$D/flex_a_optout_math.json" "$T/opt.json"
    c_check self "$T/opt.json"; xml_ok "$T/opt.html"
    grep -q '"opt_out_effect"' "$T/opt.json" && ok "--opt-out math: opt_out_effect in the JSON" || bad "--opt-out: no opt_out_effect"
else bad "routes --opt-out math: $(tail -2 "$T/opt.err")"; fi

# a context shorter than the texts: consecutive windows, every token still routed
if "$OLMOE" routes -m "$g" $DOMS -c 50 --json "$T/win.json" 2> "$T/win.err"; then
    c_check self "$T/win.json"
    grep -q '"tokens": 672,' "$T/win.json" && ok "-c 50: all 672 tokens routed in windows" || bad "-c 50: token count"
    grep -q 'tokens$' "$T/win.err" && ok "-c 50: progress lines on stderr" || bad "-c 50: no progress lines"
else bad "routes -c 50: $(tail -2 "$T/win.err")"; fi

# bad input: a nonzero exit, a message naming the cause, no output file
: > "$T/empty.txt"
printf '{"text": 5}\n' > "$T/bad.jsonl"
expect_err() {  # expect_err WHAT PATTERN args...
    what=$1; pat=$2; shift 2
    rm -f "$T/out.json"
    if "$OLMOE" routes "$@" --json "$T/out.json" > /dev/null 2> "$T/e.err"; then bad "$what: exit 0"
    elif ! grep -q "$pat" "$T/e.err"; then bad "$what: message '$(head -1 "$T/e.err")' lacks '$pat'"
    elif [ -e "$T/out.json" ] || ls "$T"/out.json.tmp > /dev/null 2>&1; then bad "$what: left an output file"
    else ok "$what: error ($(head -1 "$T/e.err"))"; fi
}
expect_err "missing domain file" "cannot read" -m "$g" --domain x=$T/nonexistent.txt
expect_err "empty text" "tokenizes to nothing" -m "$g" --domain x=$T/empty.txt
expect_err "JSONL without a text string" "line 1" -m "$g" --domain x=$T/bad.jsonl
expect_err "no domain" "domain" -m "$g"
expect_err "a domain name twice" "twice" -m "$g" --domain a=$D/prose.txt --domain a=$D/prose.txt
expect_err "missing model" "routes" -m $T/none.gguf $DOMS
expect_err "--compare with another shape" "differs in shape" -m "$g" $DOMS --compare $B/fixtures/olmoe_b-f32.gguf
expect_err "--layers out of range" "outside" -m "$g" $DOMS --layers 0,9
expect_err "unknown --opt-out expert" "opt-out" -m $B/fixtures/flex_a-named.gguf $DOMS --opt-out nosuch
expect_err "bad file as model" "routes" -m tests/data/bad/trunc_kv_key.gguf $DOMS

echo "$pass passed, $fail failed"
[ $fail = 0 ]
