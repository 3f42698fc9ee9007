#!/usr/bin/env bash
# NEON kernel tests on an x86 machine: cross-compiles tests/test_kernels.c (and with it the whole
# olmoe.h implementation) for aarch64 and runs it under qemu-user twice: on a CPU with the
# dot-product instructions (-cpu max: the sdot path) and on one without (cortex-a53: the plain
# NEON path). Exits nonzero if a build or a test fails, or if a NEON path did not run.
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
echo "neon.sh: $CC -std=c99 -Wall -Wextra -O2 -static tests/test_kernels.c -> $OUT"
if ! "$CC" -std=c99 -Wall -Wextra -O2 -I. -static tests/test_kernels.c -o "$OUT" -lm -lpthread; then
    echo "neon.sh: the aarch64 build failed" >&2
    exit 1
fi

status=0
# run CPU EXPECT: EXPECT is the line that shows which NEON path ran.
run() {
    local cpu=$1 expect=$2 log
    log=$("$QEMU" -cpu "$cpu" "$OUT" 2>&1)
    local rc=$?
    echo "== qemu-aarch64 -cpu $cpu"
    echo "$log" | grep -v '^ok ' # failures, skips and the summary
    if [ $rc -ne 0 ]; then
        echo "neon.sh: tests failed on -cpu $cpu (exit $rc)" >&2
        status=1
    elif ! echo "$log" | grep -q "$expect"; then
        echo "neon.sh: -cpu $cpu did not run the expected path ($expect)" >&2
        status=1
    fi
}
run max '^ok   neon+dot: q8_0/q4_0 per-block'
# the first of these CPUs that this qemu knows (none of them has dotprod)
nodot=""
for cpu in cortex-a53 cortex-a57 cortex-a72; do
    if "$QEMU" -cpu help 2>&1 | grep -qw "$cpu"; then nodot=$cpu; break; fi
done
if [ -n "$nodot" ]; then
    run "$nodot" '^ok   neon: q8_0/q4_0 per-block'
else
    echo "neon.sh: this qemu offers no CPU without dotprod; the plain NEON path ran only under -cpu max"
fi
[ $status -eq 0 ] && echo "neon.sh: all NEON paths passed"
exit $status
