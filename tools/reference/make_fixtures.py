#!/usr/bin/env python3
"""Generate the reference fixtures for olmoe.h under tests/data/.

Everything here is deterministic: fixed seeds, CPU, float32, one torch thread.
Regenerate (from the repository root):

    python3 tools/reference/make_fixtures.py            # writes tests/data/
    python3 tools/reference/make_fixtures.py --out DIR  # writes DIR/ instead
    python3 tools/reference/make_fixtures.py --full     # hidden/intermediate sizes as listed in FIXTURES
                                                        # (head_dim 16, ~9.6 MB) instead of halved (~3.6 MB)

Pinned versions: tools/reference/requirements.txt.

What it writes (details in tests/data/README.md):
  tokenizer/        shared tiny byte-level BPE tokenizer + tokenizer/chat test vectors
  olmoe_a/ olmoe_b/ olmoe_c/ flex_a/ flex_b/
                    HF model directories (config.json, safetensors, tokenizer files)
                    + tokens.txt logits.txt greedy.txt route_margin.txt greedy_margin.txt
                    (+ optout_*_logits.txt for flex_a, flex_b, olmoe_b)
"""

import argparse
import copy
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import torch

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import safetensors  # noqa: E402
import tokenizers  # noqa: E402
import transformers  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402
from transformers import (  # noqa: E402
    AutoTokenizer,
    DynamicCache,
    FlexOlmoConfig,
    FlexOlmoForCausalLM,
    OlmoeConfig,
    OlmoeForCausalLM,
)

try:  # keep the output readable; progress bars are noise here
    transformers.utils.logging.disable_progress_bar()
except Exception:  # pragma: no cover
    pass

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# ----------------------------------------------------------------------------------------------
# Tokenizer
# ----------------------------------------------------------------------------------------------

# Short embedded English training text (original text written for this fixture).
TRAIN_TEXT = """\
The river runs past the old mill and into the town. In the morning the water is cold and clear,
and the children walk along the bank on their way to school. They count the boats, they throw
small stones, and they argue about which bird is the fastest. The teacher says that the answer
is not important; what matters is that they look, listen, and think about what they see.

A mixture of experts is a model in which a small router chooses a few experts for every token.
Each expert is a small feed-forward network. The router computes a score for every expert, the
scores are turned into probabilities with a softmax, and only the top experts are used. Because
only a few experts run for each token, the model can be large while the cost per token stays
small. When an expert is removed, the router simply never selects it again.

On Tuesday, 14 March, the market opened at 9:30 and closed at 16:00. Prices rose by 2.5 percent,
then fell by 1.25 percent before the end of the day. "It was a quiet day," said one trader, "but
quiet days are the ones I like best." Another trader didn't agree: she'd hoped for more movement.

Words, numbers and symbols: 0 1 2 3 4 5 6 7 8 9 10 100 1000 2024; a+b=c, x*y, (a), [b], {c},
<tag>, 'quoted', "double", #hash, @name, 50% off, $20, and so on. The cafe on the corner serves
tea and coffee; its owner, Zoe, learned to cook in a small kitchen near the sea.

    def route(x):
        return top_k(softmax(gate(x)))

The end of the text is here. The end of the story is not the end of the river, which keeps on
running, past the mill, past the town, and into the wide and quiet sea.
"""

from olmoe_bpe import CHAT_TEMPLATE, EOS_TOKEN, IP_TOKEN, PAD_TOKEN, SPACE_RUNS  # noqa: E402  (shared with tools/train)
import olmoe_bpe  # noqa: E402

BPE_VOCAB_SIZE = 396  # ids 0..395 from the trainer (2 specials + 256 bytes + 138 merges)

TOKENIZER_CASES = [
    "Hello world",
    "The river runs past the old mill.",
    " leading space",
    "trailing spaces   ",
    "  indented\tline\n\n",
    "a    b   c  d e",
    "\n\n\nthree newlines then text",
    "it's we'll they're I'd you've she'd I'm",
    "numbers 12345 and 3.14159, 2024-03-14",
    "caf\u00e9 and cafe\u0301 (NFC composes the second)",
    "\u00c5ngstr\u00f6m \u2014 na\u00efve r\u00e9sum\u00e9",
    "emoji \U0001F642 and CJK \u4e2d\u6587",
    "x = |||IP_ADDRESS||| ok",
    EOS_TOKEN + "<|user|>\nWhat is 2+2?\n<|assistant|>\n",
    "text" + EOS_TOKEN + "more" + PAD_TOKEN,
    "    def route(x):\n        return top_k(softmax(gate(x)))\n",
    "A mixture of experts is a model in which a small router chooses a few experts.",
    "",
]

CHAT_CASES = [
    ([("user", "What is 2+2?")], True),
    ([("user", "Hi")], False),
    ([("system", "You are terse."), ("user", "Name a river."), ("assistant", "The Nile."),
      ("user", "Another?")], True),
    ([("user", "caf\u00e9  two  spaces")], True),
]


def build_tokenizer():
    return olmoe_bpe.train([TRAIN_TEXT], BPE_VOCAB_SIZE, min_frequency=1)


def tokenizer_config(n_vocab_tok):
    return olmoe_bpe.tokenizer_config(TOKENIZER_JSON, 4096)


def hexs(s):
    return s.encode("utf-8").hex()


def write_tokenizer_files(d):
    with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
        f.write(TOKENIZER_JSON)
    with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(TOKENIZER_CONFIG, ensure_ascii=False, indent=2) + "\n")


def make_tokenizer_fixtures(out):
    d = os.path.join(out, "tokenizer")
    os.makedirs(d, exist_ok=True)
    write_tokenizer_files(d)
    tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
    hf = AutoTokenizer.from_pretrained(d)
    print(f"[tokenizer] tokenizers {tokenizers.__version__}: vocab {tok.get_vocab_size(True)} "
          f"(BPE {BPE_VOCAB_SIZE}, merges {len(json.loads(TOKENIZER_JSON)['model']['merges'])}); "
          f"AutoTokenizer class {type(hf).__name__}")
    lines = []
    for text in TOKENIZER_CASES:
        ids = tok.encode(text).ids
        ids_hf = hf(text, add_special_tokens=True)["input_ids"]
        assert ids == ids_hf, (text, ids, ids_hf)
        dec = tok.decode(ids, skip_special_tokens=False)
        dec_hf = hf.decode(ids, skip_special_tokens=False)
        assert dec == dec_hf, (text, dec, dec_hf)
        lines.append(f"{hexs(text)}\t{' '.join(map(str, ids))}\t{hexs(dec)}")
        print(f"  {text!r:60.60} -> {ids}")
    with open(os.path.join(d, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")

    out_lines = []
    for n, (msgs, gen) in enumerate(CHAT_CASES):
        messages = [{"role": r, "content": c} for r, c in msgs]
        rendered = hf.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)
        ids = tok.encode(rendered).ids
        if n == 0:
            assert rendered == EOS_TOKEN + "<|user|>\nWhat is 2+2?\n<|assistant|>\n", repr(rendered)
        out_lines.append(f"case {n}")
        for r, c in msgs:
            out_lines.append(f"msg {r} {hexs(c)}")
        out_lines.append(f"gen {1 if gen else 0}")
        out_lines.append(f"text {hexs(rendered)}")
        out_lines.append(f"ids {' '.join(map(str, ids))}")
        out_lines.append("end")
        print(f"  chat case {n}: {rendered!r}")
    with open(os.path.join(d, "chat.txt"), "w") as f:
        f.write("\n".join(out_lines) + "\n")


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------

VOCAB = 512

FIXTURES = [
    dict(name="olmoe_a", cls="olmoe", router_std=0.3, layout="per_expert", shards=1, seed=1001, legacy_config=True,
         cfg=dict(hidden_size=64, num_attention_heads=4, num_key_value_heads=4, num_hidden_layers=2,
                  num_experts=8, num_experts_per_tok=2, intermediate_size=32, rope_theta=10000.0,
                  rms_norm_eps=1e-5)),
    dict(name="olmoe_b", cls="olmoe", router_std=0.3, layout="per_expert", shards=3, seed=2001, optout=[[3]],
         cfg=dict(hidden_size=96, num_attention_heads=6, num_key_value_heads=2, num_hidden_layers=3,
                  num_experts=16, num_experts_per_tok=4, intermediate_size=48, rope_theta=10000.0,
                  rms_norm_eps=1e-5)),
    dict(name="olmoe_c", cls="olmoe", router_std=0.3, layout="fused", shards=1, seed=3001,
         cfg=dict(hidden_size=128, num_attention_heads=8, num_key_value_heads=8, num_hidden_layers=2,
                  num_experts=4, num_experts_per_tok=1, intermediate_size=64, rope_theta=20000.0,
                  rms_norm_eps=1e-5)),
    dict(name="flex_a", cls="flex_olmo", router_std=0.1, layout="per_expert", shards=1, seed=4001, optout=[[2]],
         legacy_config=True,
         cfg=dict(hidden_size=64, num_attention_heads=4, num_key_value_heads=4, num_hidden_layers=2,
                  num_experts=7, num_experts_per_tok=4, intermediate_size=32, rope_theta=500000.0,
                  rms_norm_eps=1e-6)),
    dict(name="flex_b", cls="flex_olmo", router_std=0.1, layout="per_expert", shards=1, seed=5001, optout=[[2, 5]],
         cfg=dict(hidden_size=96, num_attention_heads=6, num_key_value_heads=3, num_hidden_layers=3,
                  num_experts=7, num_experts_per_tok=5, intermediate_size=48, rope_theta=500000.0,
                  rms_norm_eps=1e-6)),
]

CLASSES = {"olmoe": (OlmoeConfig, OlmoeForCausalLM), "flex_olmo": (FlexOlmoConfig, FlexOlmoForCausalLM)}

N_TOKENS = 16
N_PROMPT = 4
N_GEN = 32
ROUTE_MARGIN_MIN = 1e-5         # min p_K - p_{K+1} of the router softmax
ROUTE_LOGIT_MARGIN_MIN = 1e-3   # min router logit_K - logit_{K+1}
GREEDY_MARGIN_MIN = 1e-3        # top1 - top2 logit gap at every greedy step
MAX_SEED_TRIES = 50


def fixture_dims(fx):
    c = dict(fx["cfg"])
    if COMPACT:  # default: halve hidden and intermediate sizes (head_dim 16 -> 8) to keep tests/data < 4 MB
        c["hidden_size"] //= 2
        c["intermediate_size"] //= 2
    return c


def make_config(fx):
    C, _ = CLASSES[fx["cls"]]
    c = fixture_dims(fx)
    theta = c.pop("rope_theta")
    cfg = C(
        vocab_size=VOCAB,
        max_position_embeddings=4096,
        rope_parameters={"rope_type": "default", "rope_theta": theta},
        pad_token_id=TOK_IDS[PAD_TOKEN],
        eos_token_id=TOK_IDS[EOS_TOKEN],
        bos_token_id=None,
        tie_word_embeddings=False,
        norm_topk_prob=False,
        **c,
    )
    cfg.architectures = [CLASSES[fx["cls"]][1].__name__]
    return cfg


def build_model(cfg, cls_key):
    _, M = CLASSES[cls_key]
    torch.manual_seed(0)  # HF's own init is overwritten below; this only keeps it reproducible
    m = M._from_config(cfg, attn_implementation="eager", dtype=torch.float32)
    return m.eval()


def param_std(name, router_std):
    """Initialisation class of a (fused-layout) parameter: returns (mean, std)."""
    if name == "model.embed_tokens.weight":
        return 0.0, 0.5
    if name == "lm_head.weight":
        return 0.0, 0.1
    if name.endswith("mlp.gate.weight"):
        return 0.0, router_std
    if name.endswith("norm.weight") or name.endswith("layernorm.weight"):
        return 1.0, 0.2
    if any(name.endswith(s) for s in ("q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight",
                                      "experts.gate_up_proj", "experts.down_proj")):
        return 0.0, 0.08
    raise ValueError(f"unclassified parameter {name}")


@torch.no_grad()
def reinit(model, seed, router_std):
    g = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():  # module order: deterministic
        mean, std = param_std(name, router_std)
        if p.dim() == 1:
            assert mean == 1.0, name
        p.copy_(mean + std * torch.randn(p.shape, generator=g, dtype=torch.float32))
    for name, b in model.named_buffers():
        assert "inv_freq" in name, f"unexpected buffer {name}"


class RouterTap:
    """Forward hooks on every router: records the fp32 softmax probabilities."""

    def __init__(self, model):
        self.logits = []
        self.handles = []
        for name, mod in model.named_modules():
            if name.endswith("mlp.gate"):
                self.handles.append(mod.register_forward_hook(self._hook))

    def _hook(self, mod, inp, out):
        self.logits.append(out[0].detach().float().clone())

    def margin(self, k):
        """(min p_K - p_{K+1} of the fp32 router softmax, min logit_K - logit_{K+1})."""
        m, lm = float("inf"), float("inf")
        for lg in self.logits:
            if lg.shape[-1] <= k:
                continue  # K == E: every expert is used, no K/K+1 boundary
            s = torch.sort(torch.softmax(lg, dim=-1), dim=-1, descending=True).values
            m = min(m, float((s[:, k - 1] - s[:, k]).min()))
            ls = torch.sort(lg, dim=-1, descending=True).values
            lm = min(lm, float((ls[:, k - 1] - ls[:, k]).min()))
        return m, lm

    def close(self):
        for h in self.handles:
            h.remove()


@torch.no_grad()
def forward_logits(model, ids):
    return model(input_ids=torch.tensor([ids]), use_cache=False).logits[0].float()


@torch.no_grad()
def greedy(model, prompt, n):
    """Full-recompute greedy loop (no KV cache), no EOS stopping. Returns ids and min logit gap."""
    seq = list(prompt)
    gap = float("inf")
    for _ in range(n):
        last = forward_logits(model, seq)[-1]
        top2 = torch.topk(last, 2).values
        gap = min(gap, float(top2[0] - top2[1]))
        seq.append(int(torch.argmax(last)))
    return seq[len(prompt):], gap


@torch.no_grad()
def greedy_cached(model, prompt, n):
    """Greedy with HF's DynamicCache: prefill the prompt, then feed one token at a time. No EOS handling.
    (HF generate(min_new_tokens=n) is NOT equivalent: it masks EOS to -inf until n tokens exist.)"""
    cache = DynamicCache(config=model.config)
    out = model(input_ids=torch.tensor([prompt]), cache=cache, use_cache=True)
    seq = [int(torch.argmax(out.logits[0, -1]))]
    while len(seq) < n:
        out = model(input_ids=torch.tensor([[seq[-1]]]), cache=cache, use_cache=True)
        seq.append(int(torch.argmax(out.logits[0, -1])))
    return seq


def reduced_model(model, cfg, removed, cls_key):
    """FlexOlmo opt-out: physically remove experts `removed` (router rows + expert weights)."""
    E = cfg.num_experts
    keep = [e for e in range(E) if e not in removed]
    cfg2 = copy.deepcopy(cfg)
    cfg2.num_experts = len(keep)
    cfg2.num_experts_per_tok = min(cfg.num_experts_per_tok, len(keep))
    sd = {}
    for k, v in model.state_dict().items():
        if k.endswith("mlp.gate.weight") or k.endswith("experts.gate_up_proj") or k.endswith("experts.down_proj"):
            assert v.shape[0] == E, (k, v.shape)
            v = v[keep]
        sd[k] = v.clone()
    m2 = build_model(cfg2, cls_key)
    missing, unexpected = m2.load_state_dict(sd, strict=True)
    assert not missing and not unexpected
    return m2, cfg2


@torch.no_grad()
def masked_logits(model, cfg, removed, ids):
    """Same opt-out, but as a -inf mask on the router logits of the full model (for cross-checking)."""
    K2 = min(cfg.num_experts_per_tok, cfg.num_experts - len(removed))
    saved = []
    for name, mod in model.named_modules():
        if name.endswith("mlp.gate"):
            def fwd(h, mod=mod):
                h = h.reshape(-1, mod.hidden_dim)
                logits = torch.nn.functional.linear(h, mod.weight)
                logits[:, removed] = float("-inf")
                p = torch.softmax(logits, dtype=torch.float, dim=-1)
                val, idx = torch.topk(p, K2, dim=-1)
                return logits, val.to(logits.dtype), idx
            saved.append(mod)
            mod.forward = fwd
    try:
        return forward_logits(model, ids)
    finally:
        for mod in saved:
            del mod.forward


def to_disk_tensors(model, cfg, layout):
    """Tensors exactly as they go to disk, in module order."""
    E, F = cfg.num_experts, cfg.intermediate_size
    out = {}
    for k, v in model.state_dict().items():
        v = v.detach().to(torch.float32).contiguous()
        if layout == "per_expert" and k.endswith("experts.gate_up_proj"):
            base = k[: -len("gate_up_proj")]
            assert v.shape == (E, 2 * F, cfg.hidden_size)
            for e in range(E):
                out[f"{base}{e}.gate_proj.weight"] = v[e, :F].clone()
                out[f"{base}{e}.up_proj.weight"] = v[e, F:].clone()
                out[f"{base}{e}.down_proj.weight"] = None  # placeholder keeps gate/up/down grouped
        elif layout == "per_expert" and k.endswith("experts.down_proj"):
            base = k[: -len("down_proj")]
            assert v.shape == (E, cfg.hidden_size, F)
            for e in range(E):
                out[f"{base}{e}.down_proj.weight"] = v[e].clone()
        else:
            out[k] = v.clone()
    assert all(t is not None for t in out.values())
    return out


def write_safetensors(d, tensors, shards):
    meta = {"format": "pt"}
    if shards == 1:
        save_file(tensors, os.path.join(d, "model.safetensors"), metadata=meta)
        return ["model.safetensors"]
    keys = list(tensors)
    total = sum(t.numel() * 4 for t in tensors.values())
    groups, cur, acc = [], [], 0
    for k in keys:  # split by cumulative bytes into `shards` contiguous groups (boundaries mid-layer)
        cur.append(k)
        acc += tensors[k].numel() * 4
        if len(groups) < shards - 1 and acc >= total * (len(groups) + 1) / shards:
            groups.append(cur)
            cur = []
    groups.append(cur)
    assert len(groups) == shards and all(groups)
    names, weight_map = [], {}
    for i, g in enumerate(groups):
        fn = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        save_file({k: tensors[k] for k in g}, os.path.join(d, fn), metadata=meta)
        names.append(fn)
        for k in g:
            weight_map[k] = fn
    index = {
        "metadata": {"total_parameters": sum(t.numel() for t in tensors.values()), "total_size": total},
        "weight_map": dict(sorted(weight_map.items())),
    }
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        f.write(json.dumps(index, indent=2) + "\n")
    return names


def read_disk(d):
    files = sorted(f for f in os.listdir(d) if f.endswith(".safetensors"))
    t = {}
    for fn in files:
        with safe_open(os.path.join(d, fn), "pt") as f:
            for k in f.keys():
                assert k not in t
                t[k] = f.get_tensor(k)
    return files, t


def summarize_keys(keys):
    import re
    pats = {}
    for k in keys:
        p = re.sub(r"layers\.\d+\.", "layers.{i}.", k)
        p = re.sub(r"experts\.\d+\.", "experts.{e}.", p)
        pats[p] = pats.get(p, 0) + 1
    return pats


def fmt_row(v):
    return " ".join("%.9g" % float(x) for x in v)


def write_logits(path, logits):
    arr = logits.numpy().astype(np.float32)
    with open(path, "w") as f:
        for row in arr:
            f.write(fmt_row(row) + "\n")


def dir_size(d):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)


def make_model_fixture(out, fx):
    name, cls_key = fx["name"], fx["cls"]
    d = os.path.join(out, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)

    cfg = make_config(fx)
    K = cfg.num_experts_per_tok
    # Deterministic seed search: keep the first seed whose routing and greedy margins are safe.
    for attempt in range(MAX_SEED_TRIES):
        seed = fx["seed"] + 7919 * attempt
        model = build_model(cfg, cls_key)
        reinit(model, seed, fx["router_std"])
        rng = np.random.default_rng(seed)
        tokens = [int(x) for x in rng.integers(0, VOCAB, size=N_TOKENS)]
        prompt = tokens[:N_PROMPT]

        tap = RouterTap(model)
        logits = forward_logits(model, tokens)
        m_fwd = tap.margin(K)
        tap.logits.clear()
        gen, gmargin = greedy(model, prompt, N_GEN)
        m_gen = tap.margin(K)
        tap.close()
        fwd_gap = float((torch.topk(logits, 2, dim=-1).values[:, 0] - torch.topk(logits, 2, dim=-1).values[:, 1]).min())

        opt = []
        margins = {"forward16": m_fwd, "greedy": m_gen}
        for removed in fx.get("optout", []):
            m2, cfg2 = reduced_model(model, cfg, removed, cls_key)
            tap2 = RouterTap(m2)
            lo = forward_logits(m2, tokens)
            margins["optout_" + "_".join(map(str, removed))] = tap2.margin(cfg2.num_experts_per_tok)
            tap2.close()
            opt.append((removed, cfg2, lo))
        rmargin = min(v[0] for v in margins.values())
        lmargin = min(v[1] for v in margins.values())
        ok = rmargin >= ROUTE_MARGIN_MIN and lmargin >= ROUTE_LOGIT_MARGIN_MIN and gmargin >= GREEDY_MARGIN_MIN
        print(f"[{name}] seed {seed}: route margins (p, logit) "
              f"{({k: tuple(float('%.3g' % x) for x in v) for k, v in margins.items()})} "
              f"greedy gap {gmargin:.3g} -> {'ok' if ok else 'retry'}")
        if ok:
            break
    else:
        raise SystemExit(f"{name}: no safe seed found")

    n_params = sum(p.numel() for p in model.parameters())
    print(f"[{name}] class {type(model).__name__} (config {type(cfg).__name__}, model_type {cfg.model_type}), "
          f"{n_params} parameters, seed {seed}")
    print(f"[{name}] config: hidden {cfg.hidden_size} heads {cfg.num_attention_heads} kv {cfg.num_key_value_heads} "
          f"layers {cfg.num_hidden_layers} E {cfg.num_experts} K {cfg.num_experts_per_tok} F {cfg.intermediate_size} "
          f"rope {cfg.rope_parameters} eps {cfg.rms_norm_eps} norm_topk_prob {cfg.norm_topk_prob}")

    # --- HF's own save_pretrained, for comparison of the on-disk format -------------------------
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        hf_files, hf_disk = read_disk(tmp)
        with open(os.path.join(tmp, "config.json")) as f:
            cj = json.load(f)
    if fx.get("legacy_config"):
        # The config.json files on the Hub were written by transformers 4.4x/4.5x: top-level rope_theta and
        # rope_scaling, torch_dtype instead of dtype, no rope_parameters. transformers 5.24 still reads them.
        rp = cj.pop("rope_parameters")
        assert rp == {"rope_theta": rp["rope_theta"], "rope_type": "default"}, rp
        legacy = {}
        for k, v in cj.items():
            if k == "dtype":
                legacy["torch_dtype"] = v
            else:
                legacy[k] = v
        legacy["rope_theta"] = rp["rope_theta"]
        legacy["rope_scaling"] = None
        cj = dict(sorted(legacy.items()))
    with open(os.path.join(d, "config.json"), "w") as f:
        f.write(json.dumps(cj, indent=2, sort_keys=True) + "\n")

    # --- our rewrite ----------------------------------------------------------------------------
    disk = to_disk_tensors(model, cfg, fx["layout"])
    files = write_safetensors(d, disk, fx["shards"])
    write_tokenizer_files(d)

    files_back, back = read_disk(d)
    assert set(back) == set(disk), "key set mismatch after writing"
    for k, v in disk.items():
        assert back[k].dtype == torch.float32 and torch.equal(back[k], v), k
    # Per-expert layout must equal what transformers' own save_pretrained writes.
    if fx["layout"] == "per_expert":
        assert set(hf_disk) == set(disk), sorted(set(hf_disk) ^ set(disk))
        for k in disk:
            assert torch.equal(hf_disk[k], disk[k]), k
        print(f"[{name}] per-expert tensors identical to transformers' save_pretrained output ({hf_files})")
    else:
        E, F = cfg.num_experts, cfg.intermediate_size
        for i in range(cfg.num_hidden_layers):
            gu = disk[f"model.layers.{i}.mlp.experts.gate_up_proj"]
            dn = disk[f"model.layers.{i}.mlp.experts.down_proj"]
            for e in range(E):
                assert torch.equal(gu[e, :F], hf_disk[f"model.layers.{i}.mlp.experts.{e}.gate_proj.weight"])
                assert torch.equal(gu[e, F:], hf_disk[f"model.layers.{i}.mlp.experts.{e}.up_proj.weight"])
                assert torch.equal(dn[e], hf_disk[f"model.layers.{i}.mlp.experts.{e}.down_proj.weight"])
        print(f"[{name}] fused tensors == stack of transformers' per-expert save ({hf_files}); "
              f"gate rows [0,F) then up rows [F,2F)")

    print(f"[{name}] on-disk files: {files}")
    for p, n in summarize_keys(disk).items():
        shp = next(tuple(v.shape) for k, v in disk.items() if summarize_keys([k]).get(p))
        print(f"    {p:60s} x{n:<4d} {list(shp)} F32")

    # --- reload with from_pretrained and reproduce logits ---------------------------------------
    _, M = CLASSES[cls_key]
    m_back = M.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()
    for key in ("hidden_size", "num_attention_heads", "num_key_value_heads", "num_hidden_layers", "num_experts",
                "num_experts_per_tok", "intermediate_size", "rms_norm_eps", "norm_topk_prob", "vocab_size",
                "rope_parameters", "tie_word_embeddings", "eos_token_id", "pad_token_id", "bos_token_id"):
        assert getattr(m_back.config, key) == getattr(cfg, key), (key, getattr(m_back.config, key), getattr(cfg, key))
    sd0, sd1 = model.state_dict(), m_back.state_dict()
    assert set(sd0) == set(sd1)
    for k in sd0:
        assert torch.equal(sd0[k], sd1[k]), k
    logits_back = forward_logits(m_back, tokens)
    assert torch.equal(logits_back, logits), float((logits_back - logits).abs().max())
    gen_back, _ = greedy(m_back, prompt, N_GEN)
    assert gen_back == gen
    # decoding with HF's KV cache (prefill + one token at a time) must agree with the recompute loop
    assert greedy_cached(m_back, prompt, N_GEN) == gen, "KV-cache greedy disagrees with recompute loop"
    print(f"[{name}] from_pretrained({name}/) reproduces state dict and logits bit-exactly; KV-cache greedy agrees")
    if cfg.eos_token_id in gen:
        print(f"[{name}] note: greedy output contains EOS id {cfg.eos_token_id} (no stopping)")

    # --- outputs --------------------------------------------------------------------------------
    with open(os.path.join(d, "tokens.txt"), "w") as f:
        f.write(" ".join(map(str, tokens)) + "\n")
    write_logits(os.path.join(d, "logits.txt"), logits)
    with open(os.path.join(d, "greedy.txt"), "w") as f:
        f.write(" ".join(map(str, prompt)) + "\n" + " ".join(map(str, gen)) + "\n")
    with open(os.path.join(d, "route_margin.txt"), "w") as f:
        f.write("%.9g\n%.9g\n" % (rmargin, lmargin))
    with open(os.path.join(d, "greedy_margin.txt"), "w") as f:
        f.write("%.9g\n" % gmargin)
    for removed, cfg2, lo in opt:
        tag = "_".join(map(str, removed))
        ml = masked_logits(model, cfg, removed, tokens)
        diff = float((ml - lo).abs().max())
        assert diff < 1e-4, diff
        write_logits(os.path.join(d, f"optout_{tag}_logits.txt"), lo)
        print(f"[{name}] opt-out {removed}: E={cfg2.num_experts} K={cfg2.num_experts_per_tok}; "
              f"max |physical removal - (-inf router mask)| = {diff:.3g}")
    # the text files must parse back to the float32 values
    back_l = np.loadtxt(os.path.join(d, "logits.txt"), dtype=np.float64).astype(np.float32)
    assert np.array_equal(back_l, logits.numpy())

    for fn in os.listdir(d):
        os.chmod(os.path.join(d, fn), 0o644)
    size = dir_size(d)
    info = dict(dims=fixture_dims(fx), layout=fx["layout"], legacy_config=bool(fx.get("legacy_config")),
                optout=fx.get("optout", []), file_sizes={fn: os.path.getsize(os.path.join(d, fn)) for fn in sorted(os.listdir(d))},
                name=name, cls=type(model).__name__, params=n_params, seed=seed, route_margin=rmargin,
                route_logit_margin=lmargin, router_std=fx["router_std"],
                route_margins=margins, greedy_margin=gmargin, forward_gap=fwd_gap, size=size,
                files=files, keys=summarize_keys(disk), tokens=tokens, gen=gen)
    print(f"[{name}] tokens {tokens}\n[{name}] greedy {gen}\n[{name}] route margin {rmargin:.6g} (logit {lmargin:.6g}), greedy gap "
          f"{gmargin:.6g}, min top1-top2 gap over the 16 positions {fwd_gap:.6g}, dir size {size} bytes")
    return info


def write_readme(out, infos, args):
    cmd = "python3 tools/reference/make_fixtures.py" + (" --full" if args.full else "")
    if os.path.abspath(out) != os.path.join(REPO_ROOT, "tests", "data"):
        cmd += " --out " + os.path.relpath(out, REPO_ROOT)
    tj = json.loads(TOKENIZER_JSON)
    L = []
    w = L.append
    w("# tests/data: reference fixtures for olmoe.h")
    w("")
    w("Everything in this directory is generated by `tools/reference/make_fixtures.py`; do not edit by hand.")
    w("")
    w("Regenerate from the repository root:")
    w("")
    w("```")
    w(cmd)
    w("```")
    w("")
    w(f"Versions used (pinned in `tools/reference/requirements.txt`): python {sys.version.split()[0]}, "
      f"torch {torch.__version__}, transformers {transformers.__version__}, tokenizers {tokenizers.__version__}, "
      f"safetensors {safetensors.__version__}, numpy {np.__version__}.")
    w("The reference runs on the CPU in float32 with one torch thread, `model.eval()`, `torch.no_grad()`, "
      "eager attention and fixed seeds. Regenerating with the same versions on the same kind of CPU gives the same "
      "files. On another CPU or torch build the logits can differ in the last bits, and so the text files can too.")
    w("The script also checks itself: it reloads every directory with `from_pretrained` and checks that the state dict and "
      "the logits come back bit-exactly. It checks that a greedy loop over HF's KV cache (`DynamicCache`) gives the same "
      "ids as the loop that recomputes everything. It checks that the per-expert files match what transformers' own `save_pretrained` "
      "writes, tensor for tensor.")
    w("")
    w("## Tokenizer (`tokenizer/`, copied into every model directory)")
    w("")
    w(f"This is a tiny byte-level BPE trained with HF `tokenizers` on a short English text embedded in the script. It has "
      f"{N_TOK_VOCAB} ids: {BPE_VOCAB_SIZE} BPE vocabulary entries (2 specials, 256 byte symbols, "
      f"{len(tj['model']['merges'])} merges), then {len(SPACE_RUNS)} space-run tokens and EOS. It is configured like "
      "the OLMoE tokenizer (`allenai_gpt-neox-olmo-dolma-v1_5.json`):")
    w("")
    w("- normalizer NFC; pre-tokenizer `ByteLevel(add_prefix_space=false, trim_offsets=true, use_regex=true)` "
      "(GPT-2 regex); decoder ByteLevel; post-processor ByteLevel (no BOS/EOS added).")
    w("- merges are stored as `\"a b\"` strings, as in OLMoE.")
    w("- Added tokens are listed in `added_tokens` and also appear in `model.vocab` under their raw content, as in OLMoE:")
    for a in tj["added_tokens"]:
        w(f"  - id {a['id']}: `{json.dumps(a['content'])}` special={str(a['special']).lower()} "
          f"normalized={str(a['normalized']).lower()}")
    w("  HF extracts added tokens from the text (leftmost-longest) before it runs the regex.")
    w("- In `tokenizer_config.json`: `bos_token` = `eos_token` = `<|endoftext|>`, `pad_token` = `<|padding|>`, "
      "`add_bos_token: false`, `add_eos_token: false`, `tokenizer_class: GPTNeoXTokenizer`. `chat_template` is the "
      "OLMoE-1B-7B-0924-Instruct (Tulu) template, exactly as in MODELS.md section 4. It has newlines between the tags; "
      "HF renders it with trim_blocks and lstrip_blocks.")
    w(f"- Model `config.json`: `eos_token_id` {TOK_IDS[EOS_TOKEN]}, `pad_token_id` {TOK_IDS[PAD_TOKEN]}, "
      "`bos_token_id` null. The model vocab_size is 512, so ids 400..511 are embedding rows that the tokenizer never "
      "produces (like OLMoE's padded vocabulary).")
    w("")
    w("`tokenizer/cases.txt` has one line per case, `HEX(text) <TAB> ids <TAB> HEX(decode(ids))`. HEX is the lowercase "
      "hex of the UTF-8 bytes, and ids are space-separated. An empty text gives two empty fields. The ids come from "
      "`tokenizers` `encode` and are cross-checked against transformers' `AutoTokenizer`. The decode keeps special tokens, "
      "and it is the NFC form of the text.")
    w("")
    w("`tokenizer/chat.txt` has blocks of `case N` / `msg ROLE HEX(content)` (one or more) / `gen 0|1` "
      "(add_generation_prompt) / `text HEX(rendered)` / `ids ...` / `end`. Each is rendered with transformers' "
      "`apply_chat_template` and then encoded.")
    w("")
    w("## Models")
    w("")
    w("| dir | HF class | d | heads | kv | layers | E | K | F | rope_theta | eps | expert layout on disk | files | config.json style | params | size (bytes) |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i in infos:
        c = i["dims"]
        files = ", ".join(i["files"]) + (" + model.safetensors.index.json" if len(i["files"]) > 1 else "")
        w(f"| `{i['name']}` | {i['cls']} | {c['hidden_size']} | {c['num_attention_heads']} | {c['num_key_value_heads']} | "
          f"{c['num_hidden_layers']} | {c['num_experts']} | {c['num_experts_per_tok']} | {c['intermediate_size']} | "
          f"{c['rope_theta']:g} | {c['rms_norm_eps']:g} | {i['layout'].replace('_', '-')} | {files} | "
          f"{'legacy (4.x Hub style)' if i['legacy_config'] else 'transformers 5.24'} | {i['params']} | {i['size']} |")
    w("")
    w("The sizes above are the compact defaults: hidden and intermediate sizes are half of those listed in "
      "`FIXTURES` in the script, so head_dim is 8, and all of tests/data stays under 4 MB. `--full` gives the listed "
      "sizes (head_dim 16, about 9.6 MB in all); every other parameter is the same in both modes."
      if COMPACT else "These are the full sizes listed in `FIXTURES` (`--full`); the default halves hidden and "
      "intermediate sizes.")
    w("")
    w("Every model has vocab_size 512, no biases, untied lm_head, `norm_topk_prob: false`, head_dim = d/heads, "
      "and float32 safetensors (`metadata {\"format\": \"pt\"}`).")
    w("")
    w("**Weights.** HF's default init is overwritten deterministically: a `torch.Generator` is seeded with the seed below "
      "and the parameters are filled in module order. q/k/v/o_proj and the expert matrices are N(0, 0.08). The router "
      "`mlp.gate.weight` is N(0, 0.3) for OLMoE and N(0, 0.1) for FlexOlmo; the FlexOlmo router reads the "
      "*un-normalised* residual stream (rms about 1 to 2.3), so 0.3 saturated its softmax (top-1 p about 0.9, "
      "p_K - p_(K+1) below 1e-7). Embeddings are N(0, 0.5) and lm_head N(0, 0.1). Every RMSNorm weight "
      "(input_layernorm, post_attention_layernorm, post_feedforward_layernorm, q_norm, k_norm, model.norm) is "
      "1 + 0.2 N(0,1), so an engine that ignores a norm weight fails.")
    w("")
    w("**config.json.** This is the file transformers itself writes (`architectures`, `model_type` olmoe / flex_olmo). "
      "transformers 5.x writes `rope_parameters: {rope_theta, rope_type: default}` and `dtype`, with no "
      "top-level `rope_theta`. The configs on the Hub were written by transformers 4.x and have a top-level `rope_theta`, "
      "`rope_scaling: null` and `torch_dtype`. The directories marked *legacy* above carry that older form, and "
      "transformers 5.24 loads them to the same config; the others carry the 5.24 form. An engine must accept both.")
    w("")
    w("**Tensor names on disk.**")
    w("")
    w("- per-expert layout (the layout of the Hub files, and what transformers 5.24 `save_pretrained` writes): "
      "`model.layers.{i}.mlp.experts.{e}.gate_proj.weight` [F, d], `...experts.{e}.up_proj.weight` [F, d], "
      "`...experts.{e}.down_proj.weight` [d, F].")
    w("- fused layout (`olmoe_c`; transformers 5.24's in-memory `OlmoeExperts` parameters, loadable by `from_pretrained` "
      "as they are): `model.layers.{i}.mlp.experts.gate_up_proj` [E, 2F, d] (rows 0..F-1 are gate_proj, rows F..2F-1 "
      "up_proj) and `model.layers.{i}.mlp.experts.down_proj` [E, d, F]. These names have no `.weight` suffix.")
    w("- The other tensors are the same in every fixture: `model.embed_tokens.weight` [V, d], `lm_head.weight` [V, d], "
      "`model.norm.weight` [d], `model.layers.{i}.self_attn.{q,k,v,o}_proj.weight`, "
      "`self_attn.q_norm.weight` [heads*head_dim = d], `self_attn.k_norm.weight` [kv*head_dim], `mlp.gate.weight` [E, d].")
    w("  - OLMoE layers also have `input_layernorm.weight` and `post_attention_layernorm.weight` (the pre-MoE norm).")
    w("  - FlexOlmo layers have `post_attention_layernorm.weight` and `post_feedforward_layernorm.weight`, and no "
      "`input_layernorm`. They have no extra tensors (no router bias).")
    w("- `olmoe_b` is split into 3 shards at byte-balanced boundaries, which fall in the middle of a layer. "
      "`model.safetensors.index.json` has `metadata.total_size`, `metadata.total_parameters` and a sorted `weight_map`, "
      "the same structure HF writes.")
    w("")
    w("## Reference outputs (per model directory)")
    w("")
    w("- `tokens.txt`: one line of 16 space-separated ids drawn uniformly from [0, 512) with the fixture's seed "
      "(numpy `default_rng(seed)`). Some ids lie beyond the tokenizer's 400.")
    w("- `logits.txt`: the forward pass of the full sequence on those 16 tokens, positions 0..15 from the start with no "
      "cache. It has 16 lines, one per position, each with 512 space-separated `%.9g` float32 values (they round-trip "
      "exactly to float32).")
    w("- `greedy.txt`: line 1 is the prompt (the first 4 ids of tokens.txt). Line 2 is the 32 greedily generated ids: "
      "argmax at every step, no EOS stopping and no EOS masking, computed with a full-recompute loop and checked "
      "against a KV-cache loop. The generated ids may include EOS (399) and ids of 400 or more. (HF "
      "`generate(min_new_tokens=32)` would differ: it masks EOS to -inf.)")
    w("- `route_margin.txt`: line 1 is the minimum over layers and positions of p_K - p_(K+1) of the fp32 router softmax "
      "(sorted descending). Line 2 is the same minimum in router-logit space, logit_K - logit_(K+1). The minimum is taken "
      "over the 16-token forward, the greedy run (prompt plus the generated tokens that are fed back) and the opt-out "
      "runs. An opt-out run where K = E has no K/K+1 boundary and is skipped.")
    w("- `greedy_margin.txt`: the minimum over the 32 greedy steps of the gap between the top-1 and top-2 logit.")
    w("- The seed is accepted only if p-margin >= 1e-5, router-logit margin >= 1e-3 and greedy gap >= 1e-3. "
      "Otherwise the next seed is tried (seed + 7919).")
    w("- Opt-out (FlexOlmo-style; the experts are physically removed): row e of every layer's `mlp.gate.weight` and "
      "expert e's gate/up/down are deleted, then num_experts = E - r and num_experts_per_tok = min(K, E - r). A second "
      "HF model is built from the modified config, the reduced state dict is loaded into it (nothing is saved to disk), "
      "and it is run on the same 16 tokens. The output has the same format as logits.txt. The script checks each one "
      "against masking the removed experts' router logits to -inf in the full model (max abs difference below 1e-4; "
      "in practice about 2e-6).")
    w("  - `flex_a/optout_2_logits.txt`: expert 2 removed, E=6, K=4")
    w("  - `flex_b/optout_2_5_logits.txt`: experts 2 and 5 removed, E=5, K=5 (every remaining expert is used)")
    w("  - `olmoe_b/optout_3_logits.txt`: expert 3 removed, E=15, K=4")
    w("")
    w("| dir | seed | route margin p | route margin logit | greedy gap | min top1-top2 gap over logits.txt rows |")
    w("|---|---|---|---|---|---|")
    for i in infos:
        w(f"| `{i['name']}` | {i['seed']} | {i['route_margin']:.3g} | {i['route_logit_margin']:.3g} | "
          f"{i['greedy_margin']:.3g} | {i['forward_gap']:.3g} |")
    w("")
    w("## Files and sizes (bytes)")
    w("")
    for i in infos:
        w(f"- `{i['name']}/`: " + ", ".join(f"{k} {v}" for k, v in i["file_sizes"].items()))
    w(f"- `tokenizer/`: " + ", ".join(f"{k} {os.path.getsize(os.path.join(out, 'tokenizer', k))}"
                                      for k in sorted(os.listdir(os.path.join(out, "tokenizer")))))
    w("")
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    total = dir_size(out)
    with open(os.path.join(out, "README.md"), "a") as f:
        f.write(f"Total size of tests/data including this README: about {total / 1e6:.1f} MB.\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "tests", "data"))
    ap.add_argument("--only", nargs="*", help="only these model fixtures (debugging; README not rewritten)")
    ap.add_argument("--full", action="store_true",
                    help="use the full hidden_size/intermediate_size of FIXTURES (head_dim 16; about 9.6 MB in all) "
                         "instead of the default compact sizes (both halved, head_dim 8; about 3.6 MB)")
    args = ap.parse_args()
    global COMPACT
    COMPACT = not args.full
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    print(f"python {sys.version.split()[0]}  torch {torch.__version__}  transformers {transformers.__version__}  "
          f"tokenizers {tokenizers.__version__}  safetensors {safetensors.__version__}  numpy {np.__version__}")
    print(f"writing to {out}")

    make_tokenizer_fixtures(out)
    infos = []
    for fx in FIXTURES:
        if args.only and fx["name"] not in args.only:
            continue
        infos.append(make_model_fixture(out, fx))

    print("\nsummary")
    for i in infos:
        print(f"  {i['name']:8s} {i['cls']:20s} params {i['params']:8d}  size {i['size']:9d} B  seed {i['seed']}  "
              f"route margin {i['route_margin']:.4g} (logit {i['route_logit_margin']:.4g})  greedy gap {i['greedy_margin']:.4g}")
    if not args.only:
        write_readme(out, infos, args)
    print(f"  tokenizer/ {dir_size(os.path.join(out, 'tokenizer'))} B; total {out}: {dir_size(out)} B")


COMPACT = True
TOKENIZER_JSON, _TOK, N_TOK_VOCAB = build_tokenizer()
TOK_IDS = {t: _TOK.token_to_id(t) for t in (IP_TOKEN, PAD_TOKEN, EOS_TOKEN)}
TOKENIZER_CONFIG = tokenizer_config(N_TOK_VOCAB)

if __name__ == "__main__":
    main()
