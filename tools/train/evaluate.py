#!/usr/bin/env python3
"""Held-out perplexity of the bundled model: HF float32 checkpoint vs the same HF model with the
Q8_0 GGUF's dequantized weights loaded into it.

    python3 tools/train/evaluate.py [--hf build/train/hf] [--gguf models/austen-olmoe-q8_0.gguf]

Procedure (both numbers): the held-out text build/train/corpus/heldout.txt (chapters listed in
get_corpus.py) is tokenized with HF tokenizers, split into consecutive non-overlapping chunks of
256 tokens (the training context; the last chunk is shorter), each chunk is run as a fresh sequence
(positions from 0), and every token except the first of its chunk is scored. ppl = exp(mean NLL).

Also writes tests/data/bundled/heldout_ids.txt (the first 2048 held-out tokens, one line) and
tests/data/bundled/heldout_ppl.txt (the same procedure on exactly those 2048 tokens), and
build/train/eval.json with all the numbers.
"""
import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

CHUNK = 256
N_SLICE = 2048


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hf", default=common.HF_DIR)
    ap.add_argument("--gguf", default=common.GGUF_Q8)
    ap.add_argument("--out", default=os.path.join(common.ROOT, "tests", "data", "bundled"))
    a = ap.parse_args()
    tok = Tokenizer.from_file(os.path.join(a.hf, "tokenizer.json"))
    held = open(os.path.join(common.WORK, "corpus", "heldout.txt"), encoding="utf-8").read()
    ids = tok.encode(held).ids
    f32 = common.load_hf(a.hf)
    q8, _ = common.load_q8(a.gguf, a.hf)
    res = {"chunk": CHUNK, "heldout_tokens": len(ids)}
    for name, m in (("hf_f32", f32), ("hf_q8_0", q8)):
        s, n = common.chunk_nll(m, ids, CHUNK)
        res[f"heldout_nll_{name}"] = s / n
        res[f"heldout_ppl_{name}"] = math.exp(s / n)
        res["heldout_predicted"] = n
        print(f"{name}: full held-out set, {n} predicted tokens: mean NLL {s / n:.5f}, ppl {math.exp(s / n):.4f}", flush=True)
    sl = ids[:N_SLICE]
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "heldout_ids.txt"), "w") as f:
        f.write(" ".join(map(str, sl)) + "\n")
    lines = [
        f"# Held-out perplexity of heldout_ids.txt ({len(sl)} tokens: the first {len(sl)} tokens of the held-out chapters).",
        f"# Procedure: split into consecutive non-overlapping chunks of {CHUNK} tokens; each chunk is a fresh sequence",
        "# (positions 0..255, no cache carried over); score every token of a chunk except its first, from the tokens",
        "# before it in that chunk; ppl = exp(sum NLL / n_predicted), natural log, NLL summed in float64 from float32 logits.",
        "# hf_f32: HF transformers OlmoeForCausalLM, float32 checkpoint. hf_q8_0: the same model with the dequantized",
        "# weights of models/austen-olmoe-q8_0.gguf (the engine's exact weights). CPU, eager attention, 1 thread.",
        f"n_tokens {len(sl)}",
        f"chunk {CHUNK}",
    ]
    for name, m in (("hf_f32", f32), ("hf_q8_0", q8)):
        s, n = common.chunk_nll(m, sl, CHUNK)
        lines.append(f"n_predicted {n}") if name == "hf_f32" else None
        lines.append(f"nll_{name} {s / n:.9g}")
        lines.append(f"ppl_{name} {math.exp(s / n):.9g}")
        res[f"slice_ppl_{name}"] = math.exp(s / n)
        print(f"{name}: {len(sl)}-token slice: ppl {math.exp(s / n):.6f}", flush=True)
    with open(os.path.join(a.out, "heldout_ppl.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    json.dump(res, open(os.path.join(common.WORK, "eval.json"), "w"), indent=2)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    sys.exit(main())
