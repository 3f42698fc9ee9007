#!/usr/bin/env python3
"""Reference routing statistics for `olmoe routes`, from Hugging Face transformers' router logits.

For each HF fixture in tests/data (olmoe_a, olmoe_b, flex_a) and the committed texts in
tests/data/routes (prose.txt: one text; numbers.jsonl: one text per line), this runs the HF model
in float32 on the CPU with output_router_logits=True, takes every token's top-k experts per layer
from the router logits (the softmax is monotonic, so the top-k of the logits is the top-k of the
probabilities), and computes in numpy, independently of olmoe.h:

  load[l][e]          expert e's share of all routed slots in layer l
  coactivation[l][i][j]  P(j in top-k | i in top-k) over all tokens (row of an unused expert: 0)
  domains[name]       token count and the domain's own load
  trace               per domain, per token: id and the sorted top-k set of every layer

and writes tests/data/routes/<fixture>.json. For FlexOlmo opt-out it also writes
flex_a_optout_math.json: expert 1 ("math" in the named conversion) physically removed from the HF model
(its router row and expert weights; E 7 -> 6, k stays 4), the top-k mapped back to the original expert
indices, the same statistics, plus "opt_out_effect": the unmasked load, the share of unmasked slots that
went to the removed expert ("displaced") and where the replacement slots went ("redistribution": experts
in the masked top-k that were not in the unmasked top-k, share per expert). Each text is tokenized with the fixture's
tokenizer.json (tokenizers, add_special_tokens=False: no BOS, as `olmoe tokenize`) and run as one
sequence (all are far shorter than the fixtures' 4096-token context).

    python3 tools/reference/routes_ref.py            # from the repository root

It also prints the smallest top-k margin (p_K - p_(K+1)) seen, so a near-tie that could flip a
top-k set between implementations is visible.
"""

import copy
import json
import os
import sys

import numpy as np
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from tokenizers import Tokenizer  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402

torch.set_num_threads(1)
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "tests", "data")
OUT = os.path.join(DATA, "routes")
FIXTURES = ["olmoe_a", "olmoe_b", "flex_a"]
DOMAINS = [("prose", "prose.txt"), ("numbers", "numbers.jsonl")]


def read_texts(path):
    if path.endswith(".jsonl"):
        with open(path, encoding="utf-8") as f:
            return [json.loads(line)["text"] for line in f if line.strip()]
    with open(path, "rb") as f:
        return [f.read().decode("utf-8")]


def stats(sets, n_layer, n_expert):
    """sets: list over tokens of list over layers of top-k index arrays"""
    load = np.zeros((n_layer, n_expert))
    co = np.zeros((n_layer, n_expert, n_expert))
    for tok in sets:
        for l, s in enumerate(tok):
            onehot = np.zeros(n_expert)
            onehot[s] = 1
            load[l] += onehot
            co[l] += np.outer(onehot, onehot)
    counts = load.copy()
    load = load / load.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        co = np.where(counts[:, :, None] > 0, co / np.maximum(counts[:, :, None], 1), 0.0)
    return load, co


def route_sets(model, tok, E_model, K, keep):
    """per domain: list over tokens of (id, [sorted top-k per layer] in original expert indices); min margin"""
    out, min_margin = [], 1.0
    for name, fname in DOMAINS:
        dom = []
        for text in read_texts(os.path.join(OUT, fname)):
            ids = tok.encode(text, add_special_tokens=False).ids
            if not ids:
                continue
            with torch.no_grad():
                res = model(torch.tensor([ids]), output_router_logits=True)
            logits = [r.reshape(len(ids), E_model).double().numpy() for r in res.router_logits]
            for t in range(len(ids)):
                per_layer = []
                for lg in logits:
                    row = lg[t]
                    # the recorded values may be logits or probabilities: the order is the same, and a row
                    # that already sums to 1 is taken as probabilities for the margin
                    if abs(row.sum() - 1) < 1e-5 and row.min() >= 0:
                        p = row
                    else:
                        p = np.exp(row - row.max())
                        p /= p.sum()
                    order = np.argsort(-p, kind="stable")
                    if K < E_model:
                        min_margin = min(min_margin, p[order[K - 1]] - p[order[K]])
                    per_layer.append(np.sort(np.array(keep)[order[:K]]))
                dom.append((int(ids[t]), per_layer))
        out.append((name, dom))
    return out, min_margin


def reference(fx, doms, L, E, K, min_margin):
    all_sets = [s for _, dom in doms for _, s in dom]
    load, co = stats(all_sets, L, E)
    return {
        "fixture": fx,
        "n_layer": L, "n_expert": E, "n_expert_used": K,
        "tokens": len(all_sets),
        "min_topk_margin": float(min_margin),
        "load": load.tolist(),
        "coactivation": co.tolist(),
        "domains": {name: {"tokens": len(dom), "load": stats([s for _, s in dom], L, E)[0].tolist()} for name, dom in doms},
        "trace": [{"domain": name, "tokens": [{"id": i, "experts": [[int(x) for x in s] for s in sets]} for i, sets in dom]}
                  for name, dom in doms],
    }


def write(ref, name):
    path = os.path.join(OUT, name + ".json")
    with open(path, "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    print(f"{name}: {ref['tokens']} tokens, {ref['n_layer']} layers, E {ref['n_expert']}, K {ref['n_expert_used']}, "
          f"min top-k margin {ref['min_topk_margin']:.3g} -> {os.path.relpath(path, ROOT)}")


def without_experts(model, removed):
    """the HF model with experts `removed` deleted (router rows and expert weights), as FlexOlmo opts out"""
    cfg = model.config
    keep = [e for e in range(cfg.num_experts) if e not in removed]
    cfg2 = copy.deepcopy(cfg)
    cfg2.num_experts = len(keep)
    cfg2.num_experts_per_tok = min(cfg.num_experts_per_tok, len(keep))
    sd = {}
    for k, v in model.state_dict().items():
        if k.endswith("mlp.gate.weight") or k.endswith("experts.gate_up_proj") or k.endswith("experts.down_proj"):
            assert v.shape[0] == cfg.num_experts, (k, v.shape)
            v = v[keep]
        sd[k] = v.clone()
    m2 = AutoModelForCausalLM.from_config(cfg2, dtype=torch.float32, attn_implementation="eager").eval()
    m2.load_state_dict(sd, strict=True)
    return m2, keep


def main():
    for fx in FIXTURES:
        d = os.path.join(DATA, fx)
        tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()
        cfg = model.config
        L, E, K = cfg.num_hidden_layers, cfg.num_experts, cfg.num_experts_per_tok
        doms, margin = route_sets(model, tok, E, K, list(range(E)))
        write(reference(fx, doms, L, E, K, margin), fx)
        if fx != "flex_a":
            continue
        removed = [1]
        m2, keep = without_experts(model, removed)
        K2 = m2.config.num_experts_per_tok
        doms2, margin2 = route_sets(m2, tok, len(keep), K2, keep)
        ref = reference(fx, doms2, L, E, K2, margin2)
        base = [s for _, dom in doms for _, s in dom]
        masked = [s for _, dom in doms2 for _, s in dom]
        redis = np.zeros((L, E))
        displaced = np.zeros(L)
        for b, m in zip(base, masked):
            for l in range(L):
                displaced[l] += sum(1 for e in b[l] if e in removed)
                for e in m[l]:
                    if e not in b[l]:
                        redis[l, e] += 1
        tot = redis.sum(axis=1, keepdims=True)
        redis = np.where(tot > 0, redis / np.maximum(tot, 1), 0.0)
        ref["opt_out_effect"] = {
            "allowed": [0 if e in removed else 1 for e in range(E)],
            "unmasked_load": stats(base, L, E)[0].tolist(),
            "displaced": (displaced / (len(base) * K)).tolist(),
            "redistribution": redis.tolist(),
        }
        write(ref, "flex_a_optout_math")
    return 0


if __name__ == "__main__":
    sys.exit(main())
