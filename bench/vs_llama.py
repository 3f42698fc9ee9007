#!/usr/bin/env python3
"""olmoe.h against llama.cpp on the same GGUF files, measured together: for each repetition, each
file and each thread count, one `olmoe bench` run and one `llama-bench` run, alternating, so a
noisy neighbour hits both alike; medians over the repetitions.

    LLAMA_BENCH=/path/to/llama-bench python3 bench/vs_llama.py --kernels avx2 \
        --threads 1 2 --reps 3 FILE.gguf [FILE.gguf ...] > table.md

llama-bench is not built by this project (never commit llama.cpp's code or a script that builds
it): build it yourself from the llama.cpp tree inside the `llama-cpp-python` sdist, e.g. with
cmake -DGGML_NATIVE=ON (the AVX-512 comparison) or -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON
-DGGML_F16C=ON (what an AVX2-only laptop runs), and point LLAMA_BENCH at it.

Every olmoe figure comes with the same run's roofline: tok/s at the best read bandwidth of the
run (anonymous sweep or the model's file mapping) for the weight bytes one decoded token reads.
Writes a markdown table to stdout and every raw JSON line to --raw (default: bench-vs-llama.jsonl)."""
import argparse
import json
import os
import statistics
import subprocess
import sys


def run_olmoe(olmoe, path, threads, kernels, p, n):
    cmd = [olmoe, "bench", "-m", path, "-t", str(threads), "-p", str(p), "-n", str(n), "-r", "1", "--kernels", kernels]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_llama(llama, path, threads, p, n):
    cmd = [llama, "-m", path, "-t", str(threads), "-p", str(p), "-n", str(n), "-r", "1", "-o", "jsonl"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    res = {}
    for line in out.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        d = json.loads(line)
        if d.get("n_prompt", 0) > 0 and d.get("n_gen", 0) == 0:
            res["prefill_tok_s"] = d["avg_ts"]
        elif d.get("n_gen", 0) > 0 and d.get("n_prompt", 0) == 0:
            res["decode_tok_s"] = d["avg_ts"]
        res["build"] = d.get("build_commit", "?")
        res["cpu_info"] = d.get("cpu_info", "?")
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--olmoe", default="build/olmoe")
    ap.add_argument("--llama-bench", default=os.environ.get("LLAMA_BENCH", ""))
    ap.add_argument("--kernels", default="auto")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("-p", type=int, default=128)
    ap.add_argument("-n", type=int, default=64)
    ap.add_argument("--raw", default="bench-vs-llama.jsonl")
    a = ap.parse_args()
    if not a.llama_bench or not os.access(a.llama_bench, os.X_OK):
        sys.exit("vs_llama.py: set LLAMA_BENCH (or --llama-bench) to a llama-bench binary")
    ours, theirs = {}, {}
    with open(a.raw, "w") as raw:
        for rep in range(a.reps):
            for f in a.files:
                for t in a.threads:
                    o = run_olmoe(a.olmoe, f, t, a.kernels, a.p, a.n)
                    l = run_llama(a.llama_bench, f, t, a.p, a.n)
                    ours.setdefault((f, t), []).append(o)
                    theirs.setdefault((f, t), []).append(l)
                    raw.write(json.dumps({"rep": rep, "file": f, "threads": t, "olmoe": o, "llama": l}) + "\n")
                    raw.flush()
                    print("rep %d %s t%d: olmoe %.1f/%.2f, llama.cpp %.1f/%.2f tok/s (prefill/decode)" % (
                        rep, os.path.basename(f), t, o["prefill_tok_s"], o["decode_tok_s"],
                        l.get("prefill_tok_s", 0), l.get("decode_tok_s", 0)), file=sys.stderr)
    med = statistics.median
    print("| file | thr | olmoe path | olmoe decode tok/s | roofline (best read) | of roofline | llama.cpp decode | decode ratio | olmoe prefill %d | llama.cpp prefill %d | prefill ratio |" % (a.p, a.p))
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for f in a.files:
        for t in a.threads:
            o, l = ours[(f, t)], theirs[(f, t)]
            od, op = med([x["decode_tok_s"] for x in o]), med([x["prefill_tok_s"] for x in o])
            roof = med([x["bandwidth_best_gbs"] * 1e9 / x["bytes_per_token"] for x in o])
            bw = med([x["bandwidth_best_gbs"] for x in o])
            ld, lp = med([x.get("decode_tok_s", 0) for x in l]), med([x.get("prefill_tok_s", 0) for x in l])
            print("| %s | %d | %s | %.2f | %.2f (%.1f GB/s) | %.0f%% | %.2f | %.2fx | %.1f | %.1f | %.2fx |" % (
                os.path.basename(f), t, o[0]["kernel"], od, roof, bw, 100 * od / roof, ld, od / ld if ld else 0,
                op, lp, op / lp if lp else 0))


if __name__ == "__main__":
    main()
