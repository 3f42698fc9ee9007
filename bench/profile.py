#!/usr/bin/env python3
"""Where decode time goes: reads `perf script` output (samples with call chains) and sorts each
sample into one bucket by its leaf function and its callers.

    perf record -F 999 --call-graph dwarf -o perf.data build/olmoe bench -m M.gguf -t 2 -p 0 -n 32 -r 1 --no-bw --no-file-bw
    perf script --no-inline -i perf.data | python3 bench/profile.py

Samples outside olmoe_ctx_eval (file warm-up read, model load, argmax) are counted apart; the
shares are of the samples inside eval, summed over all threads (so with 2 threads a spinning
pool thread shows up as 'pool wait')."""
import re
import sys
from collections import Counter

def bucket(frames):
    """frames: leaf first, list of (symbol, dso)."""
    syms = [f[0] for f in frames]
    chain = " ".join(syms)
    # dwarf unwinding often stops early (no olmoe_ctx_eval above olmoe__moe): any olmoe__ frame
    # counts as inside eval, unless the chain is the model load
    if not re.search(r"olmoe_ctx_eval|olmoe__", chain) or "olmoe_model_load" in chain:
        return "outside eval (warm-up read, load, bench harness)"
    leaf, dso = frames[0]
    kernel = "kernel" in dso or dso.startswith("[k")
    if kernel:
        if re.search(r"page_fault|handle_mm_fault|filemap_map|do_fault", chain):
            return "page faults (first touch of mapped weights)"
        if re.search(r"schedule|futex|sched_yield|do_sched_yield|pthread_cond", chain):
            return "pool wait/sync (kernel: yield, futex, switches)"
        return "kernel other"
    if re.search(r"quant_q8_0|prep_q8|olmoe__q_worker|olmoe__quantize_batch", leaf):
        return "activation quantization (Q8_0)"
    if re.search(r"olmoe__route_", chain):
        return "router (logits, softmax, top-k)"
    if re.search(r"olmoe__att_worker", chain):
        return "attention (scores, softmax, V sum)"
    if re.search(r"olmoe__dot|olmoe__rows_dot|olmoe__row_dot|olmoe__mm_|olmoe__xpair|olmoe__xquad|olmoe__xrow|olmoe__xtile", leaf):
        for w, name in (("gateup_worker", "expert gate+up"), ("down_worker", "expert down"), ("mm_worker", "q/k/v/o + head")):
            if w in chain:
                return "dot kernels: " + name
        return "dot kernels: other"
    if re.search(r"olmoe__pool_run|olmoe__worker_main|olmoe__grab|olmoe__run_here|sched_yield|pthread_cond|pthread_mutex|__lll_lock", leaf):
        return "pool wait/sync (spin, work counter)"
    if re.search(r"olmoe__gateup_worker|olmoe__down_worker|olmoe__mm_worker", leaf):
        return "worker loop overhead (outside the dot kernels)"
    return "other compute: " + leaf

def main():
    counts, leaves = Counter(), Counter()
    frames, in_sample = [], False
    for line in sys.stdin:
        if not line.strip():
            if frames:
                b = bucket(frames)
                counts[b] += 1
                if b.startswith("other compute") or b.startswith("kernel other"):
                    leaves[frames[0][0]] += 1
            frames, in_sample = [], False
            continue
        if not line.startswith((" ", "\t")):
            in_sample = True
            continue
        m = re.match(r"\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$", line)
        if m:
            sym = re.sub(r"\+0x[0-9a-f]+$", "", m.group(1))
            frames.append((sym, m.group(2)))
    if frames:
        counts[bucket(frames)] += 1
    outside = sum(v for k, v in counts.items() if k.startswith("outside"))
    inside = sum(counts.values()) - outside
    print(f"samples: {inside} inside eval, {outside} outside")
    other = Counter()
    for k, v in counts.most_common():
        if k.startswith("outside"):
            continue
        if k.startswith("other compute: "):
            other["other compute (norms, RoPE, SiLU, residual sums, ...)"] += v
            continue
        print(f"  {100.0 * v / max(inside, 1):5.1f}%  {k}")
    for k, v in other.items():
        print(f"  {100.0 * v / max(inside, 1):5.1f}%  {k}")
    if leaves:
        print("  largest 'other' leaves: " + ", ".join(f"{s} {100.0 * v / max(inside, 1):.1f}%" for s, v in leaves.most_common(8)))

if __name__ == "__main__":
    main()
