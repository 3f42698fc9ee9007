#!/usr/bin/env python3
"""Loads a GGUF in llama.cpp (the PyPI package llama-cpp-python, which builds llama.cpp from
source) and compares it with build/olmoe on the same file: the token ids of a text, and the
logits of every position of a token sequence. A developer tool (never needed by make test).

    pip install llama-cpp-python numpy
    build/olmoe synth /tmp/tiny.gguf --preset tiny --type q8_0 --layers 2
    python3 tools/reference/llama_cpp_check.py /tmp/tiny.gguf [--text "..."] [--olmoe build/olmoe]

Exit status 1 when the ids differ or the logits' top-1 disagree at more than 10% of positions.
Measured 2026-12-06 with llama-cpp-python 0.3.36 on a tiny q8_0 synth file (1 layer): identical
ids; logits relative L2 7.9e-4, max |d| 1.4e-3, top-1 12/12 (llama.cpp quantizes activations
its own way, so the last digits differ); tiny q8_0, 2 layers: relative L2 1.4e-3, top-1 32/32.
That llama.cpp does not know the flex_olmo architecture ("unknown model architecture"), so
FlexOlmo files (ours or anyone's) do not load there."""
import argparse, subprocess, sys
import numpy as np
import llama_cpp

ap = argparse.ArgumentParser()
ap.add_argument("gguf")
ap.add_argument("--text", default="the cat and the dog went in to the house, of course. \u00dcn\u00efc\u00f6d\u00e9\n\ttabs  spaces")
ap.add_argument("--olmoe", default="build/olmoe")
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()

voc = llama_cpp.Llama(model_path=a.gguf, vocab_only=True, verbose=False)
ref_ids = voc.tokenize(a.text.encode(), add_bos=False, special=False)
ours = subprocess.run([a.olmoe, "tokenize", "-m", a.gguf, "-p", a.text], capture_output=True, text=True, check=True).stdout
our_ids = [int(x) for x in ours.split()]
ok = our_ids == ref_ids
print("token ids: %s (%d ids)" % ("identical" if ok else "DIFFERENT", len(ref_ids)))
if not ok:
    print(" llama.cpp:", ref_ids, "\n olmoe:    ", our_ids)
del voc

ids = ref_ids[:32]
llm = llama_cpp.Llama(model_path=a.gguf, n_ctx=max(64, len(ids)), logits_all=True, verbose=False, n_threads=a.threads)
llm.eval(ids)
ref = np.array(llm.scores[: len(ids)], dtype=np.float64)
out = subprocess.run([a.olmoe, "logits", "-m", a.gguf, "-t", ",".join(map(str, ids))], capture_output=True, text=True, check=True).stdout
got = np.array([[float(v) for v in line.split()] for line in out.splitlines()], dtype=np.float64)
rel = np.sqrt(((got - ref) ** 2).sum() / (ref ** 2).sum())
top1 = int((got.argmax(1) == ref.argmax(1)).sum())
print("logits: relative L2 %.3g, max |d| %.3g, top-1 %d/%d" % (rel, np.abs(got - ref).max(), top1, len(ids)))
sys.exit(0 if ok and top1 >= 0.9 * len(ids) else 1)
