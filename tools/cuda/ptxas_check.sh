#!/bin/sh
# Reads nvcc -Xptxas -v output (file $1) and fails if a kernel has a stack frame or spills registers:
# in the forward pass's kernels either means local memory traffic in a loop meant to run from registers.
# Prints one line per kernel and architecture.
set -eu
log=$1
awk '
/Compiling entry function/ { match($0, /function \x27[^\x27]*\x27/); fn = substr($0, RSTART + 10, RLENGTH - 11);
                             match($0, /for \x27sm_[0-9a]*\x27/); arch = substr($0, RSTART + 5, RLENGTH - 6); next }
/bytes stack frame/ { stack = $1 + 0; spill_st = $5 + 0; spill_ld = $9 + 0; next }
/Used [0-9]+ registers/ && fn != "" {
    match($0, /Used [0-9]+ registers/); regs = substr($0, RSTART + 5, RLENGTH - 15) + 0;
    ok = (stack == 0 && spill_st == 0 && spill_ld == 0);
    printf "%s %-6s %-44s %3d registers, %d bytes stack, %d/%d bytes spilled\n", ok ? "ok  " : "FAIL", arch, fn, regs, stack, spill_st, spill_ld;
    n++; if (!ok) bad++; fn = ""
}
END { if (n == 0) { print "FAIL no kernels found in the ptxas output"; exit 1 }
      printf "%d kernels, %d with a stack frame or spills\n", n, bad; exit bad ? 1 : 0 }' "$log"
