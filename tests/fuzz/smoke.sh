#!/usr/bin/env bash
# Runs each libFuzzer target for a while from its seeds and reports executions.
#   usage: tests/fuzz/smoke.sh [FUZZ_BUILD_DIR] [SECONDS] [TARGET...]
#          (defaults: build/fuzz 60 fuzz_gguf fuzz_json fuzz_tokenize fuzz_http)
# Seeds: fuzz_gguf  tests/data/bad (the malformed-file corpus, valid bases included)
#        fuzz_json  tests/fuzz/seeds/json        fuzz_tokenize  tests/fuzz/seeds/tok
#        fuzz_http  tests/fuzz/seeds/http (olmoe serve: request head, then JSON body)
# New inputs go to FUZZ_BUILD_DIR/corpus_TARGET (kept between runs), crashes to
# FUZZ_BUILD_DIR/artifacts/. fuzz_tokenize loads its vocabulary from $OLMOE_FUZZ_VOCAB
# (default build/fixtures/olmoe_b-f32.gguf). Exit status: 0 when no target crashed.
set -u
dir=${1:-build/fuzz}
secs=${2:-60}
shift 2 2>/dev/null || shift $#
targets=${*:-fuzz_gguf fuzz_json fuzz_tokenize fuzz_http}
export OLMOE_FUZZ_VOCAB=${OLMOE_FUZZ_VOCAB:-build/fixtures/olmoe_b-f32.gguf}
mkdir -p "$dir/artifacts"
status=0
for t in $targets; do
    case $t in
        fuzz_gguf) seeds=tests/data/bad; dict=tests/fuzz/gguf.dict; extra="-max_len=32768" ;;
        fuzz_json) seeds=tests/fuzz/seeds/json; dict=tests/fuzz/json.dict; extra="-max_len=8192" ;;
        fuzz_tokenize) seeds=tests/fuzz/seeds/tok; dict=""; extra="-max_len=4096" ;;
        fuzz_http) seeds=tests/fuzz/seeds/http; dict=""; extra="-max_len=4096" ;;
        *) echo "smoke: unknown target $t"; status=1; continue ;;
    esac
    if [ ! -x "$dir/$t" ]; then echo "smoke: $dir/$t is not built (make fuzz)"; status=1; continue; fi
    mkdir -p "$dir/corpus_$t"
    log="$dir/$t.log"
    "$dir/$t" "$dir/corpus_$t" "$seeds" ${dict:+-dict=$dict} "$extra" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$dir/artifacts/$t-" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    if [ $rc -eq 0 ]; then
        echo "$t: ${execs:-?} executions in ${secs}s, ${cov:-cov: ?}, corpus $(ls "$dir/corpus_$t" | wc -l) files, no crash"
    else
        status=1
        echo "$t: FAILED (exit $rc) after ${execs:-?} executions; log $log; artifacts:"
        for f in "$dir/artifacts/$t-"*; do [ -e "$f" ] && echo "    $f"; done
        grep -E 'ERROR|runtime error|SUMMARY' "$log" | head -5 | sed 's/^/    /'
    fi
done
exit $status
