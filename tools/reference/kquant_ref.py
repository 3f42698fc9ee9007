#!/usr/bin/env python3
"""Outside references for olmoe.h's K-quants, legacy quants and IQ4 (developer tool; `make test`
never runs it). Writes tests/data/olmoe_k/ and tests/data/kquant/ from:

  * transformers (float32, CPU): a small OLMoE whose hidden and expert FFN sizes are 256, so every
    K-quant applies; its logits on 64 tokens are the f32 reference;
  * gguf (PyPI, gguf.quants.dequantize): the dequantized values of random blocks of every type;
  * llama.cpp through llama-cpp-python: ggml_quantize_chunk (its reference quantizers, no imatrix)
    on rows with edge cases, llama_model_quantize of the fixture to every file type (the per-tensor
    types and a hash of every tensor's bytes), and llama.cpp's logits on each of those files.

Regenerate (repository root; `make build/olmoe` first, for the HF -> f32 GGUF conversion):

    python3 tools/reference/kquant_ref.py

Needs torch, transformers, safetensors, numpy (tools/reference/requirements.txt), gguf and
llama-cpp-python (`CMAKE_BUILD_PARALLEL_LEVEL=1 pip install llama-cpp-python gguf`).
"""
import ctypes
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import make_fixtures as mf  # noqa: E402  (the HF fixture machinery: tokenizer, config, init)
from safetensors.torch import save_file  # noqa: E402
try:  # the references proper (make_hf alone runs without them: --hf-only)
    import gguf
    import llama_cpp as L
except ImportError:  # pragma: no cover
    gguf = L = None

# GGML type ids and names (olmoe_type_name spelling)
TYPES = [(3, "q4_1"), (6, "q5_0"), (7, "q5_1"), (10, "q2_K"), (11, "q3_K"), (12, "q4_K"), (13, "q5_K"),
         (14, "q6_K"), (20, "iq4_nl"), (23, "iq4_xs")]
BLOCK = {3: (32, 20), 6: (32, 22), 7: (32, 24), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176),
         14: (256, 210), 20: (32, 18), 23: (256, 136)}
NAMES = {0: "f32", 1: "f16", 2: "q4_0", 8: "q8_0", 30: "bf16", **dict(TYPES)}
# llama.cpp file types (llama_ftype numbers) that olmoe quantize writes
FTYPES = [("q4_k_m", 15), ("q4_k_s", 14), ("q5_k_m", 17), ("q5_k_s", 16), ("q6_k", 18), ("q3_k_m", 12), ("q2_k", 10),
          ("q4_0", 2), ("q4_1", 3), ("q5_0", 8), ("q5_1", 9), ("q8_0", 7), ("iq4_nl", 25), ("iq4_xs", 30)]

FIX = dict(name="olmoe_k", cls="olmoe", router_std=0.3, layout="per_expert", shards=1, seed=6001,
           cfg=dict(hidden_size=256, num_attention_heads=4, num_key_value_heads=4, num_hidden_layers=2,
                    num_experts=3, num_experts_per_tok=2, intermediate_size=256, rope_theta=10000.0,
                    rms_norm_eps=1e-5))
N_TOKENS = 64


def hash64(a):
    """sum over i of (a[i] + 1) * K^(i + 1) mod 2^64 (K = 0x100000001B3): any change of one byte
    changes it (K is odd); numpy computes it at once; tests/test_quants.c computes the same."""
    a = np.asarray(a, dtype=np.uint8).reshape(-1).astype(np.uint64)
    with np.errstate(over="ignore"):
        p = np.cumprod(np.full(a.size, 0x100000001B3, dtype=np.uint64))
        return int(np.sum((a + np.uint64(1)) * p, dtype=np.uint64))


def fmt(v):
    return " ".join("%.9g" % float(x) for x in v)


# ---- the HF fixture ---------------------------------------------------------------------------
def make_hf(d):
    mf.COMPACT = False
    os.makedirs(d, exist_ok=True)
    cfg = mf.make_config(FIX)
    model = mf.build_model(cfg, "olmoe")
    mf.reinit(model, FIX["seed"], FIX["router_std"])
    with torch.no_grad():  # bf16-representable weights: the bf16 files hold them exactly (half the bytes)
        for p in model.parameters():
            p.copy_(p.to(torch.bfloat16).to(torch.float32))
    rng = np.random.default_rng(FIX["seed"])
    tokens = [int(x) for x in rng.integers(2, 396, size=N_TOKENS)]  # ids the tiny tokenizer has
    logits = mf.forward_logits(model, tokens)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        cj = open(os.path.join(tmp, "config.json")).read()
    open(os.path.join(d, "config.json"), "w").write(cj)
    disk = {k: v.to(torch.bfloat16) for k, v in mf.to_disk_tensors(model, cfg, "per_expert").items()}
    save_file(disk, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
    mf.write_tokenizer_files(d)
    open(os.path.join(d, "tokens.txt"), "w").write(" ".join(map(str, tokens)) + "\n")
    mf.write_logits(os.path.join(d, "logits.txt"), logits)
    for fn in os.listdir(d):
        os.chmod(os.path.join(d, fn), 0o644)
    print(f"[olmoe_k] {sum(p.numel() for p in model.parameters())} parameters, tokens {tokens[:8]}...")
    return tokens, logits.numpy().astype(np.float32)


# ---- llama.cpp --------------------------------------------------------------------------------
def ggml_lib():
    libdir = os.path.join(os.path.dirname(L.__file__), "lib")
    for pat in ("libggml-base.so*", "libggml.so*"):
        for p in sorted(glob.glob(os.path.join(libdir, pat))):
            lib = ctypes.CDLL(p)
            if hasattr(lib, "ggml_quantize_chunk"):
                lib.ggml_quantize_chunk.restype = ctypes.c_size_t
                lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                                    ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
                return lib
    raise SystemExit("ggml_quantize_chunk not found in " + libdir)


def llama_logits(path, tokens, n_vocab=512):
    mp = L.llama_model_default_params()
    model = L.llama_model_load_from_file(path.encode(), mp)
    assert model, path
    cp = L.llama_context_default_params()
    cp.n_ctx = cp.n_batch = cp.n_ubatch = 128
    cp.n_threads = cp.n_threads_batch = 2
    ctx = L.llama_init_from_model(model, cp)
    want, n_vocab = n_vocab, L.llama_vocab_n_tokens(L.llama_model_get_vocab(model))
    assert n_vocab >= want, (n_vocab, want)
    batch = L.llama_batch_init(len(tokens), 0, 1)
    for i, t in enumerate(tokens):
        batch.token[i] = t
        batch.pos[i] = i
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = 0
        batch.logits[i] = 1
    batch.n_tokens = len(tokens)
    assert L.llama_decode(ctx, batch) == 0
    out = np.stack([np.ctypeslib.as_array(L.llama_get_logits_ith(ctx, i), shape=(n_vocab,)).copy()
                    for i in range(len(tokens))])
    L.llama_batch_free(batch)
    L.llama_free(ctx)
    L.llama_model_free(model)
    return out[:, :want]


def llama_quantize(src, dst, ftype, requant=False):
    qp = L.llama_model_quantize_default_params()
    qp.nthread = 2
    qp.ftype = ftype
    qp.allow_requantize = requant
    assert L.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(qp)) == 0, (src, ftype)


# ---- test vectors -----------------------------------------------------------------------------
def dequant_vectors(out):
    rng = np.random.default_rng(77)
    lines = []
    for t, name in TYPES:
        blk, nb = BLOCK[t]
        blocks = []
        for k in range(8):
            b = rng.integers(0, 256, size=nb, dtype=np.uint8)
            if k == 1:
                b[:] = 0
            if k == 2:
                b[:] = 0xFF
            blocks.append(b)
        arr = np.stack(blocks)
        # finite fp16 scales: clear the exponent's top bit of every f16 field (d, m, dmin)
        f16 = {3: [0, 2], 6: [0], 7: [0, 2], 10: [80, 82], 11: [108], 12: [0, 2], 13: [0, 2], 14: [208], 20: [0], 23: [0]}[t]
        for row in arr:
            for o in f16:
                row[o + 1] &= 0xBB  # exponent <= 0b01110 (|d| < 2): finite, no overflow in products
        vals = gguf.quants.dequantize(arr, gguf.GGMLQuantizationType(t)).reshape(len(blocks), blk).astype(np.float32)
        for row, v in zip(arr, vals):
            lines.append(f"{name} {bytes(row).hex()} {fmt(v)}")
    open(os.path.join(out, "dequant.txt"), "w").write("\n".join(lines) + "\n")
    print(f"[kquant] dequant.txt: {len(lines)} blocks from gguf {gguf.__version__ if hasattr(gguf, '__version__') else ''}")


def quant_vectors(out, lib):
    rng = np.random.default_rng(78)
    n = 512
    rows = [rng.standard_normal(n) * 0.08,                                   # like the weights
            np.where(rng.random(n) < 0.02, 40.0, 1.0) * rng.standard_normal(n),  # outliers
            np.concatenate([np.zeros(256), rng.standard_normal(256)]),       # an all-zero super-block
            np.abs(rng.standard_normal(n)) + 0.5,                              # all positive (min > 0)
            -np.abs(rng.standard_normal(n)) * 1e-3,                            # all negative, small
            np.concatenate([np.full(256, 0.25), rng.standard_normal(256) * 1e-18]),  # constant; below GROUP_MAX_EPS
            np.round(rng.standard_normal(n) * 4) / 4,                          # many ties
            rng.uniform(-1, 1, n) * np.linspace(0.001, 10, n)]                 # growing magnitude
    x = np.stack(rows).astype(np.float32)
    lines = [f"rows {x.shape[0]} n {n}"] + [fmt(r) for r in x]
    for t, name in TYPES:
        blk, nb = BLOCK[t]
        dst = np.zeros(x.shape[0] * n // blk * nb, dtype=np.uint8)
        got = lib.ggml_quantize_chunk(t, x.ctypes.data, dst.ctypes.data, 0, x.shape[0], n, None)
        assert got == dst.size, (name, got, dst.size)
        per = n // blk * nb
        for r in range(x.shape[0]):
            lines.append(f"{name} {r} {bytes(dst[r * per:(r + 1) * per]).hex()}")
    open(os.path.join(out, "quant.txt"), "w").write("\n".join(lines) + "\n")
    print(f"[kquant] quant.txt: {x.shape[0]} rows x {len(TYPES)} types from ggml_quantize_chunk")


def bundled(out):
    """The trained bundled model (models/austen-olmoe-q8_0.gguf: hidden 256, expert FFN 160, so the
    ffn_down rows take llama.cpp's fallback types) requantized by llama.cpp from its Q8_0 weights;
    the reference is tests/data/bundled: HF float32 on those Q8_0 weights, 5 prompts."""
    src = os.path.join(REPO, "models", "austen-olmoe-q8_0.gguf")
    bdir = os.path.join(REPO, "tests", "data", "bundled")
    prompts = [[int(t) for t in l.rstrip("\n").split("\t")[1].split()] for l in open(os.path.join(bdir, "prompts.txt"))]
    hf = [np.loadtxt(os.path.join(bdir, f"logits_{k}.txt"), dtype=np.float64).astype(np.float32).reshape(len(p), -1)
          for k, p in enumerate(prompts)]
    mix, summ = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for fname, ft in FTYPES:
            q = os.path.join(tmp, f"austen-{fname}.gguf")
            llama_quantize(src, q, ft, requant=True)
            r = gguf.GGUFReader(q)
            for t in r.tensors:
                mix.append(f"{fname} {t.name} {NAMES[int(t.tensor_type)]} {hash64(np.asarray(t.data).view(np.uint8)):016x}")
            lg = [llama_logits(q, p, n_vocab=hf[0].shape[1]) for p in prompts]
            d = float(np.mean(np.concatenate([np.abs(a - b).reshape(-1) for a, b in zip(lg, hf)])))
            tops = np.concatenate([a.argmax(1) for a in lg])
            top_hf = int((tops == np.concatenate([b.argmax(1) for b in hf])).sum())
            summ.append(f"{fname} {d:.9g} " + " ".join(str(int(i)) for i in tops))
            print(f"[bundled] {fname:7s} llama.cpp mean |d| vs HF {d:.4g}, top-1 = HF on {top_hf}/{len(tops)}")
    open(os.path.join(out, "austen_mix.txt"), "w").write("\n".join(mix) + "\n")
    open(os.path.join(out, "austen_logits.txt"), "w").write("\n".join(summ) + "\n")


def main():
    olmoe = os.path.join(REPO, "build", "olmoe")
    hf = os.path.join(REPO, "tests", "data", "olmoe_k")
    out = os.path.join(REPO, "tests", "data", "kquant")
    os.makedirs(out, exist_ok=True)
    tokens, hf_logits = make_hf(hf)
    if "--hf-only" in sys.argv[1:]:
        return
    if L is None or gguf is None:
        raise SystemExit("needs gguf and llama-cpp-python (pip install llama-cpp-python gguf)")
    print(f"torch {torch.__version__} numpy {np.__version__} llama_cpp {L.__version__}")
    dequant_vectors(out)
    lib = ggml_lib()
    quant_vectors(out, lib)
    L.llama_backend_init()
    with tempfile.TemporaryDirectory() as tmp:
        f32 = os.path.join(tmp, "olmoe_k-f32.gguf")
        subprocess.run([olmoe, "convert", hf, f32, "--type", "f32"], check=True, stderr=subprocess.DEVNULL)
        ref = llama_logits(f32, tokens)
        d32 = float(np.abs(ref - hf_logits).mean())
        print(f"[kquant] llama.cpp on the f32 GGUF vs HF: mean |d| {d32:.3g}, max {float(np.abs(ref - hf_logits).max()):.3g}")
        assert d32 < 1e-3, "the f32 GGUF does not reproduce HF: conversion broken?"
        mix, summ = [], [f"f32 {d32:.9g} " + " ".join(str(int(i)) for i in ref.argmax(1))]
        for fname, ft in FTYPES:
            q = os.path.join(tmp, f"olmoe_k-{fname}.gguf")
            llama_quantize(f32, q, ft)
            r = gguf.GGUFReader(q)
            for t in r.tensors:
                mix.append(f"{fname} {t.name} {NAMES[int(t.tensor_type)]} {hash64(np.asarray(t.data).view(np.uint8)):016x}")
            lg = llama_logits(q, tokens)
            dq = float(np.abs(lg - hf_logits).mean())
            top = int((lg.argmax(1) == hf_logits.argmax(1)).sum())
            summ.append(f"{fname} {dq:.9g} " + " ".join(str(int(i)) for i in lg.argmax(1)))
            print(f"[kquant] {fname:7s} llama.cpp mean |d| vs HF {dq:.4g}, top-1 = HF on {top}/{len(tokens)}")
    open(os.path.join(out, "mix.txt"), "w").write("\n".join(mix) + "\n")
    bundled(out)
    open(os.path.join(out, "llama_logits.txt"), "w").write("\n".join(summ) + "\n")
    print(f"[kquant] mix.txt: {len(mix)} tensors; llama_logits.txt: {len(summ)} files")


if __name__ == "__main__":
    main()
