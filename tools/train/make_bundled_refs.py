#!/usr/bin/env python3
"""Expected outputs of the bundled model for the C tests, from HF transformers run on the exact
weights of models/austen-olmoe-q8_0.gguf (its Q8_0 blocks dequantized into float32).

    python3 tools/train/make_bundled_refs.py     # after evaluate.py; from the repository root

Writes tests/data/bundled/ (see the README written there): prompts.txt, logits_K.txt, greedy.txt,
greedy_margin.txt, route_margin.txt, greedy_text.txt. CPU, float32, eager attention, 1 thread,
model.eval(), torch.no_grad(); greedy = argmax at every step with a full recompute of the
sequence (no KV cache), no EOS stopping or masking.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

PROMPTS = [
    "It is a truth universally acknowledged",
    "Mr. Darcy",
    "Emma Woodhouse, handsome, clever, and rich,",
    "\"My dear Miss Bennet,\" said",
    "CHAPTER 1\n\nThe family of",
]
N_GEN = 64


class RouterTap:
    def __init__(self, model):
        self.logits = []
        self.h = [mod.register_forward_hook(lambda m, i, o: self.logits.append(o[0].detach().float().clone()))
                  for n, mod in model.named_modules() if n.endswith("mlp.gate")]

    def margin(self, k):
        pm, lm = float("inf"), float("inf")
        for lg in self.logits:
            s = torch.sort(torch.softmax(lg, -1), -1, descending=True).values
            pm = min(pm, float((s[:, k - 1] - s[:, k]).min()))
            ls = torch.sort(lg, -1, descending=True).values
            lm = min(lm, float((ls[:, k - 1] - ls[:, k]).min()))
        return pm, lm


@torch.no_grad()
def logits_of(model, ids):
    return model(input_ids=torch.tensor([ids]), use_cache=False).logits[0].float()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hf", default=common.HF_DIR)
    ap.add_argument("--gguf", default=common.GGUF_Q8)
    ap.add_argument("--out", default=os.path.join(common.ROOT, "tests", "data", "bundled"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    tok = Tokenizer.from_file(os.path.join(a.hf, "tokenizer.json"))
    model, _ = common.load_q8(a.gguf, a.hf)  # checks the GGUF against a numpy Q8_0 of the HF weights
    K = model.config.num_experts_per_tok
    prompts, greedy, gmarg, rmarg, texts = [], [], [], [], []
    for k, p in enumerate(PROMPTS):
        ids = tok.encode(p).ids
        prompts.append(f"{p.encode('utf-8').hex()}\t{' '.join(map(str, ids))}")
        lg = logits_of(model, ids)
        with open(os.path.join(a.out, f"logits_{k}.txt"), "w") as f:
            for row in lg:
                f.write(" ".join(f"{float(v):.9g}" for v in row) + "\n")
        tap = RouterTap(model)
        seq, gap = list(ids), float("inf")
        for _ in range(N_GEN):
            last = logits_of(model, seq)[-1]
            t2 = torch.topk(last, 2).values
            gap = min(gap, float(t2[0] - t2[1]))
            seq.append(int(torch.argmax(last)))
        pm, lm = tap.margin(K)
        for h in tap.h:
            h.remove()
        gen = seq[len(ids):]
        greedy.append(" ".join(map(str, gen)))
        gmarg.append(f"{gap:.9g}")
        rmarg.append(f"{pm:.9g} {lm:.9g}")
        text = tok.decode(gen, skip_special_tokens=False)
        texts.append(f"{p.encode('utf-8').hex()}\t{text.encode('utf-8').hex()}")
        print(f"[{k}] {ids} gap {gap:.4g} route margin p {pm:.3g} logit {lm:.3g}\n{p}{text}\n", flush=True)
    for name, lines in (("prompts.txt", prompts), ("greedy.txt", greedy), ("greedy_margin.txt", gmarg),
                        ("route_margin.txt", rmarg), ("greedy_text.txt", texts)):
        with open(os.path.join(a.out, name), "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
