#!/usr/bin/env bash
# Installs what olmoe.h's test, sanitizer and fuzz targets need on a fresh Debian 12 (bookworm),
# as root, non-interactively, with apt-get. Installs only what is missing; says clearly what it
# cannot do.
#
#   tools/install_deps.sh            compiler, clang 14 with the sanitizer and libFuzzer runtimes
#                                    (make asan, test-asan, test-tsan, fuzz, fuzz-smoke)
#   tools/install_deps.sh --cross    also the aarch64 cross compiler and qemu-user (NEON tests)
#   tools/install_deps.sh --check    only report what is present and what is missing
#
# Exit status: 0 everything needed works, 1 something could not be installed or does not work.
set -u
want_cross=0
check_only=0
for a in "$@"; do
    case "$a" in
        --cross) want_cross=1 ;;
        --check) check_only=1 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "install_deps: unknown option $a" >&2; exit 2 ;;
    esac
done

say() { echo "install_deps: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- probes: does the toolchain really work (not just: is a package installed) ----------
probe_cc() { printf 'int main(void){return 0;}\n' > "$tmp/t.c" && cc "$tmp/t.c" -o "$tmp/t" -lm -lpthread 2>/dev/null && "$tmp/t"; }
probe_clang() { command -v clang >/dev/null 2>&1; }
probe_asan() { printf 'int main(void){return 0;}\n' > "$tmp/a.c" && clang -fsanitize=address,undefined "$tmp/a.c" -o "$tmp/a" 2>/dev/null && "$tmp/a"; }
probe_tsan() { printf 'int main(void){return 0;}\n' > "$tmp/s.c" && clang -fsanitize=thread "$tmp/s.c" -o "$tmp/s" 2>/dev/null && "$tmp/s"; }
probe_fuzz() {
    printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n){(void)d;(void)n;return 0;}\n' > "$tmp/f.c" &&
        clang -fsanitize=fuzzer,address,undefined "$tmp/f.c" -o "$tmp/f" 2>/dev/null && "$tmp/f" -runs=1 >/dev/null 2>&1
}
probe_cross() {
    printf '#include <stdio.h>\nint main(void){puts("ok");return 0;}\n' > "$tmp/x.c" &&
        aarch64-linux-gnu-gcc -static "$tmp/x.c" -o "$tmp/x" 2>/dev/null && qemu-aarch64 "$tmp/x" >/dev/null 2>&1
}

report() {
    local ok=1
    probe_cc && say "ok: cc" || { say "MISSING: a working cc"; ok=0; }
    probe_clang && say "ok: clang ($(clang --version | head -1))" || { say "MISSING: clang"; ok=0; }
    probe_asan && say "ok: clang -fsanitize=address,undefined" || { say "MISSING: ASan/UBSan runtime (libclang-rt-14-dev)"; ok=0; }
    probe_tsan && say "ok: clang -fsanitize=thread" || { say "MISSING: TSan runtime (libclang-rt-14-dev)"; ok=0; }
    probe_fuzz && say "ok: clang -fsanitize=fuzzer (libFuzzer)" || { say "MISSING: libFuzzer runtime (libclang-rt-14-dev)"; ok=0; }
    if [ $want_cross = 1 ]; then
        probe_cross && say "ok: aarch64-linux-gnu-gcc + qemu-aarch64" || { say "MISSING: aarch64 cross compiler or qemu-user (gcc-aarch64-linux-gnu qemu-user)"; ok=0; }
    fi
    [ $ok = 1 ]
}

if [ $check_only = 1 ]; then report; exit $?; fi

pkgs="build-essential make clang-14 clang libclang-rt-14-dev llvm-14 python3"
[ $want_cross = 1 ] && pkgs="$pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"

missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done

if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        say "these packages are missing:$missing"
        say "CANNOT install them: not root (run this script as root, or: sudo apt-get install$missing)"
        report
        exit 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        say "CANNOT install$missing: no apt-get (this script is for Debian 12)"
        exit 1
    fi
    say "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get update -qq; then
        say "CANNOT run apt-get update (no network or no package mirror?)"
        report
        exit 1
    fi
    # shellcheck disable=SC2086
    if ! apt-get install -y -qq --no-install-recommends $missing; then
        say "CANNOT install some of:$missing (see apt-get's message above)"
        report
        exit 1
    fi
else
    say "all packages present"
fi

if report; then
    say "done"
    exit 0
fi
say "FAILED: packages are installed but a probe above does not work"
exit 1
