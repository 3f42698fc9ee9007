#!/usr/bin/env bash
# NEON kernel tests on an x86 machine: cross-compiles tests/test_kernels.c (and with it the whole
# olmoe.h implementation) for aarch64 and runs it under qemu-user twice: on a CPU with the
# dot-product instructions (-cpu max: the sdot path) and on one without (cortex-a53: the plain
# NEON path). Then the same for tests/test_xmodel.c on small synthetic models (written by the x86
# $BUILD/olmoe synth) and f32/f16/bf16 fixtures, on the NEON and scalar paths: logits bit for bit
# equal token by token and in one batch, with 1 and 3 threads. And tests/test_quants.c (the K-quant,
# legacy and IQ4 dots and model-level accuracy on the build/kquant files that make test-quants writes). The header alone must also compile for aarch64 with -Werror at several -O levels.
# Exits nonzero if a build or a test fails, or if a NEON path did not run.
#
# Needs gcc-aarch64-linux-gnu, libc6-dev-arm64-cross and qemu-user; installs the missing ones
# with apt-get when run as root (Debian/Ubuntu), and says so and fails when it cannot.
#
# usage: tests/neon.sh [BUILD_DIR]          (make test-neon; BUILD_DIR defaults to build)
#        AARCH64_CC=clang-aarch64-wrapper tests/neon.sh   to use another cross compiler
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${1:-build}
CC=${AARCH64_CC:-aarch64-linux-gnu-gcc}
OUT="$BUILD/test_kernels_aarch64"

find_qemu() {
    command -v qemu-aarch64 2>/dev/null || command -v qemu-aarch64-static 2>/dev/null
}

missing=()
command -v "$CC" >/dev/null 2>&1 || missing+=(gcc-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/include/stdio.h ] || missing+=(libc6-dev-arm64-cross)
[ -n "$(find_qemu)" ] || missing+=(qemu-user)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "neon.sh: missing ${missing[*]}; cannot install them (needs root and apt-get)." >&2
        echo "neon.sh: install them by hand, e.g.: sudo apt-get install ${missing[*]}" >&2
        exit 2
    fi
    echo "neon.sh: installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }; then
        echo "neon.sh: apt-get could not install ${missing[*]}." >&2
        exit 2
    fi
fi
QEMU=$(find_qemu)
if ! command -v "$CC" >/dev/null 2>&1 || [ -z "$QEMU" ]; then
    echo "neon.sh: still no $CC or qemu-aarch64 after installing; giving up." >&2
    exit 2
fi

mkdir -p "$BUILD"
printf '#define OLMOE_IMPLEMENTATION\n#include "olmoe.h"\nint main(void){return 0;}\n' > "$BUILD/hdr_aarch64.c"
for opt in -O0 -O2 -Os; do
    if ! "$CC" -std=c99 -Wall -Wextra -Werror -pedantic $opt -I. -c "$BUILD/hdr_aarch64.c" -o "$BUILD/hdr_aarch64.o"; then
        echo "neon.sh: the header does not compile cleanly for aarch64 ($CC -Werror $opt)" >&2
        exit 1
    fi
done
echo "neon.sh: $CC -std=c99 -Wall -Wextra -Werror -O2 -static tests/test_kernels.c -> $OUT"
if ! "$CC" -std=c99 -Wall -Wextra -Werror -O2 -I. -static tests/test_kernels.c -o "$OUT" -lm -lpthread; then
    echo "neon.sh: the aarch64 build failed" >&2
    exit 1
fi
XOUT="$BUILD/test_xmodel_aarch64"
if ! "$CC" -std=c99 -Wall -Wextra -Werror -O2 -I. -static tests/test_xmodel.c -o "$XOUT" -lm -lpthread; then
    echo "neon.sh: the aarch64 build of tests/test_xmodel.c failed" >&2
    exit 1
fi
# K-quants, legacy quants and IQ4 (tests/test_quants.c) on the files make test-quants writes
QOUT="$BUILD/test_quants_aarch64"
if ! "$CC" -std=c99 -Wall -Wextra -Werror -O2 -I. -static tests/test_quants.c tools/quantize.c tools/gguf_write.c -o "$QOUT" -lm -lpthread; then
    echo "neon.sh: the aarch64 build of tests/test_quants.c failed" >&2
    exit 1
fi
# small models: q4_0 and q8_0, d 256 (one 8-block group), d 288 / ffn 320 (groups and leftover
# blocks), flexolmo-mini q8_0 (d 512, ffn 1024)
MD="$BUILD/xmodel"
mkdir -p "$MD"
if [ ! -x "$BUILD/olmoe" ]; then
    echo "neon.sh: $BUILD/olmoe is missing (make $BUILD/olmoe first; make test-neon does)" >&2
    exit 1
fi
models=()
synth() { # NAME ARGS...
    local f="$MD/$1.gguf"; shift
    if ! "$BUILD/olmoe" synth "$f" "$@" >/dev/null; then
        echo "neon.sh: olmoe synth $* failed" >&2
        exit 1
    fi
    models+=("$f")
}
synth tiny-q4_0 --preset tiny --type q4_0
synth odd-q4_0 --preset tiny --type q4_0 --hidden 288 --ffn 320
synth odd-q8_0 --preset tiny --type q8_0 --hidden 288 --ffn 320
synth flex-q8_0 --preset flexolmo-mini --type q8_0
# float weights too (f32, f16, bf16: the float dot, axpy and conversion kernels), from the HF fixtures
for ft in olmoe_a:f32 olmoe_a:f16 olmoe_a:bf16 flex_b:f16; do
    f="$MD/${ft%%:*}-${ft##*:}.gguf"
    if ! "$BUILD/olmoe" convert "tests/data/${ft%%:*}" "$f" --type "${ft##*:}" >/dev/null 2>&1; then
        echo "neon.sh: olmoe convert tests/data/${ft%%:*} --type ${ft##*:} failed" >&2
        exit 1
    fi
    models+=("$f")
done

status=0
# check CPU WHAT RC LOG [PATTERN MESSAGE]...: the run's exit status, then each PATTERN in its log.
check() {
    local cpu=$1 what=$2 rc=$3 log=$4
    shift 4
    echo "$log" | grep -v '^ok ' # failures, skips and the summary
    if [ "$rc" -ne 0 ]; then
        echo "neon.sh: $what failed on -cpu $cpu (exit $rc)" >&2
        status=1
        return
    fi
    while [ $# -gt 0 ]; do
        if ! echo "$log" | grep -q "$1"; then
            echo "neon.sh: -cpu $cpu: $2" >&2
            status=1
            return
        fi
        shift 2
    done
}
# run CPU PATH: PATH (neon+dot or neon) is the NEON path that must run, rows x tokens kernels included.
run() {
    local cpu=$1 path=$2 log rc
    log=$("$QEMU" -cpu "$cpu" "$OUT" 2>&1)
    rc=$?
    echo "== qemu-aarch64 -cpu $cpu"
    check "$cpu" tests "$rc" "$log" \
        "^ok   $path: q8_0/q4_0 per-block" "did not run the expected path ($path)" \
        "^ok   $path: mm_q4_0 values equal the row and token computed alone" "did not test the rows x tokens kernels"
    log=$("$QEMU" -cpu "$cpu" "$XOUT" "${models[@]}" 2>&1)
    rc=$?
    check "$cpu" "model-level tests" "$rc" "$log" \
        "^ok   .*: kernel path $path runs the rows x tokens kernels" "the model-level tests did not run on the $path path"
    log=$("$QEMU" -cpu "$cpu" "$QOUT" tests/data "$BUILD/kquant" 2>&1)
    rc=$?
    check "$cpu" "K-quant tests" "$rc" "$log" \
        "^ok   neon: mm_dec q4_K" "the K-quant tests did not run the NEON path"
}
run max neon+dot
# the first of these CPUs that this qemu knows (none of them has dotprod)
nodot=""
for cpu in cortex-a53 cortex-a57 cortex-a72; do
    if "$QEMU" -cpu help 2>&1 | grep -qw "$cpu"; then nodot=$cpu; break; fi
done
if [ -n "$nodot" ]; then
    run "$nodot" neon
else
    echo "neon.sh: this qemu offers no CPU without dotprod; the plain NEON path ran only under -cpu max"
fi
[ $status -eq 0 ] && echo "neon.sh: all NEON paths passed"
exit $status
