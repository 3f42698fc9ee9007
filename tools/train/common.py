"""Shared helpers for tools/train/{evaluate,make_bundled_refs}.py: load the HF checkpoint, read a GGUF
written by `olmoe convert`, and put its (dequantized) weights into the HF model."""
import json
import os

import numpy as np
import torch

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
from transformers import OlmoeForCausalLM  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORK = os.path.join(ROOT, "build", "train")
HF_DIR = os.path.join(WORK, "hf")
GGUF_Q8 = os.path.join(ROOT, "models", "austen-olmoe-q8_0.gguf")

torch.set_num_threads(1)


def load_hf(hf_dir=HF_DIR):
    m = OlmoeForCausalLM.from_pretrained(hf_dir, attn_implementation="eager", dtype=torch.float32)
    return m.eval()


def q8_0_roundtrip(w):
    """Reference Q8_0 (ggml): blocks of 32 along the last axis, d = max|x|/127 stored as fp16,
    q = round(x / d) (round half away from zero), value = fp16(d) * q."""
    x = np.asarray(w, dtype=np.float32).reshape(-1, 32)
    amax = np.abs(x).max(axis=1, keepdims=True)
    d = amax / 127.0
    with np.errstate(divide="ignore", invalid="ignore"):
        idv = np.where(d > 0, 1.0 / d, 0.0).astype(np.float32)
    q = np.clip(np.trunc(x * idv + np.copysign(0.5, x * idv)), -127, 127)  # roundf: half away from zero
    return (d.astype(np.float16).astype(np.float32) * q).reshape(np.shape(w)).astype(np.float32)


def read_gguf(path):
    """{name: (float32 array in HF orientation = reversed ggml ne, ggml type name)}."""
    from gguf import GGUFReader
    from gguf.quants import dequantize
    r = GGUFReader(path)
    out = {}
    for t in r.tensors:
        a = dequantize(t.data, t.tensor_type)
        shape = tuple(int(s) for s in reversed([int(x) for x in t.shape]))
        out[t.name] = (np.asarray(a, dtype=np.float32).reshape(shape), t.tensor_type.name)
    return out


def gguf_state_dict(path, model):
    """HF (in-memory, fused experts) state dict from the GGUF tensors; checks every name and shape."""
    g = read_gguf(path)
    sd = model.state_dict()
    cfg = model.config
    new = {}
    types = {}

    def put(hname, arr, gname, ty):
        assert tuple(sd[hname].shape) == tuple(arr.shape), (hname, sd[hname].shape, arr.shape)
        new[hname] = torch.from_numpy(np.ascontiguousarray(arr))
        types[hname] = ty

    used = set()

    def get(n):
        used.add(n)
        return g[n]

    a, t = get("token_embd.weight"); put("model.embed_tokens.weight", a, "token_embd.weight", t)
    a, t = get("output_norm.weight"); put("model.norm.weight", a, "output_norm.weight", t)
    a, t = get("output.weight"); put("lm_head.weight", a, "output.weight", t)
    simple = {"attn_norm": "input_layernorm.weight", "attn_q": "self_attn.q_proj.weight", "attn_k": "self_attn.k_proj.weight",
              "attn_v": "self_attn.v_proj.weight", "attn_output": "self_attn.o_proj.weight",
              "attn_q_norm": "self_attn.q_norm.weight", "attn_k_norm": "self_attn.k_norm.weight",
              "ffn_norm": "post_attention_layernorm.weight", "ffn_gate_inp": "mlp.gate.weight"}
    for l in range(cfg.num_hidden_layers):
        for gn, hn in simple.items():
            a, t = get(f"blk.{l}.{gn}.weight")
            put(f"model.layers.{l}.{hn}", a, gn, t)
        ga, gt = get(f"blk.{l}.ffn_gate_exps.weight")  # [E, F, d]
        ua, ut = get(f"blk.{l}.ffn_up_exps.weight")    # [E, F, d]
        da, dt_ = get(f"blk.{l}.ffn_down_exps.weight")  # [E, d, F]
        put(f"model.layers.{l}.mlp.experts.gate_up_proj", np.concatenate([ga, ua], axis=1), "ffn_gate/up_exps", gt)
        put(f"model.layers.{l}.mlp.experts.down_proj", da, "ffn_down_exps", dt_)
    assert used == set(g), set(g) - used
    missing = set(sd) - set(new)
    assert not missing, missing
    return new, types


def load_q8(path=GGUF_Q8, hf_dir=HF_DIR, check=True):
    """HF model whose weights are the GGUF's dequantized weights. With check, every quantized tensor must
    equal our own numpy Q8_0 round trip of the float32 HF weight, and every f32 tensor the HF weight, bit for bit."""
    m = load_hf(hf_dir)
    new, types = gguf_state_dict(path, m)
    if check:
        ref = m.state_dict()
        for k, v in new.items():
            r = ref[k].numpy()
            exp = q8_0_roundtrip(r) if types[k] == "Q8_0" else r
            if not np.array_equal(v.numpy(), exp):
                diff = np.abs(v.numpy() - exp)
                raise AssertionError(f"{k} ({types[k]}): GGUF differs from the numpy reference, max |diff| {diff.max():g}, "
                                     f"{int((diff > 0).sum())} values")
    m.load_state_dict(new, strict=True)
    return m.eval(), types


@torch.no_grad()
def chunk_nll(model, ids, chunk):
    """Sum of next-token NLL (natural log) over ids split into consecutive non-overlapping chunks of `chunk`
    tokens (the last one may be shorter); each chunk is a fresh sequence starting at position 0, and every
    token of a chunk except its first is predicted from the tokens before it in that chunk.
    Returns (sum_nll, n_predicted)."""
    tot, n = 0.0, 0
    for s in range(0, len(ids), chunk):
        c = ids[s:s + chunk]
        if len(c) < 2:
            continue
        x = torch.tensor([c], dtype=torch.long)
        lg = model(input_ids=x, use_cache=False).logits[0].double()
        lp = torch.log_softmax(lg[:-1], dim=-1)
        tot += float(-lp.gather(1, x[0, 1:, None]).sum())
        n += len(c) - 1
    return tot, n
