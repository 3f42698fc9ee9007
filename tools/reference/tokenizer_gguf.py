#!/usr/bin/env python3
"""Write a vocab-only GGUF (tokenizer keys, no tensors) from a Hugging Face tokenizer.json.

Python standard library only, so the tokenizer test can run where HF is not installed. The keys are
the ones `olmoe convert` writes (MODELS.md section 5 plus olmoe.h's own tokenizer.olmoe.* keys):

    general.architecture = "olmoe" and the olmoe.* hyperparameters olmoe.h requires (tiny values)
    tokenizer.ggml.model = "gpt2"
    tokenizer.ggml.pre   = "olmo"  (NFC + ByteLevel(use_regex=true): the GPT-2 regex)
                           "gpt-2" (ByteLevel(use_regex=true) without a normalizer)
                           "dbrx"  (Split(dolma2/cl100k regex) + ByteLevel(use_regex=false))
    tokenizer.olmoe.pre_regex  = the regex verbatim
    tokenizer.olmoe.normalizer = "nfc" (only when the normalizer is NFC)
    tokenizer.ggml.tokens / token_type (1 normal, 3 added special, 4 added non-special, 5 unused
        padding "[PAD{i}]") / merges ("a b") / bos, eos, padding ids / tokenizer.chat_template

Usage:
    tokenizer_gguf.py TOKENIZER.json OUT.gguf [--vocab-size N] [--llamacpp]
        --llamacpp leaves out the tokenizer.olmoe.* keys, like a GGUF from llama.cpp's converter
    tokenizer_gguf.py --test-set OUTDIR [--json-dir DIR]
        writes the GGUFs tests/test_tokenizer.c reads: OUTDIR/fixture.gguf (tests/data/tokenizer),
        and, when DIR (default OUTDIR) has the files tools/fetch_tokenizers.sh fetches,
        OUTDIR/olmoe.gguf, OUTDIR/olmoe_llamacpp.gguf, OUTDIR/dolma2.gguf
"""
import argparse
import json
import os
import struct
import sys

GPT2_REGEX = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
CL100K_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                r"\s*[\r\n]+|\s+(?!\S)|\s+")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
T_U32, T_I32, T_F32, T_STR, T_ARR = 4, 5, 6, 8, 9


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _kv(key, typ, val):
    out = _str(key) + struct.pack("<I", typ)
    if typ == T_U32:
        out += struct.pack("<I", val)
    elif typ == T_F32:
        out += struct.pack("<f", val)
    elif typ == T_STR:
        out += _str(val)
    elif typ == T_ARR:
        et, items = val
        out += struct.pack("<IQ", et, len(items))
        if et == T_STR:
            out += b"".join(_str(x) for x in items)
        elif et == T_I32:
            out += struct.pack("<%di" % len(items), *items)
        else:
            raise ValueError(et)
    else:
        raise ValueError(typ)
    return out


def pre_of(tj):
    """(pre name, regex, nfc) for the tokenizer.json's normalizer and pre-tokenizer."""
    norm = tj.get("normalizer")
    nfc = norm is not None and norm.get("type") == "NFC"
    if norm is not None and not nfc:
        raise SystemExit("normalizer %r is not supported" % norm.get("type"))
    pt = tj.get("pre_tokenizer") or {}
    if pt.get("type") == "ByteLevel" and pt.get("use_regex", True) and not pt.get("add_prefix_space", False):
        return ("olmo" if nfc else "gpt-2"), GPT2_REGEX, nfc
    if pt.get("type") == "Sequence":
        ps = pt["pretokenizers"]
        if (len(ps) == 2 and ps[0]["type"] == "Split" and ps[0]["pattern"].get("Regex") == CL100K_REGEX
                and ps[0].get("invert") and ps[0].get("behavior") == "Removed"
                and ps[1]["type"] == "ByteLevel" and not ps[1].get("use_regex", True) and not ps[1].get("add_prefix_space")):
            return "dbrx", CL100K_REGEX, nfc
    raise SystemExit("pre-tokenizer not supported: %s" % json.dumps(pt)[:200])


def build(tok_path, vocab_size=0, llamacpp=False, name=None):
    with open(tok_path, encoding="utf-8") as f:
        tj = json.load(f)
    d = os.path.dirname(os.path.abspath(tok_path))
    cfg, tcfg = {}, {}
    for fn, dst in (("config.json", cfg), ("tokenizer_config.json", tcfg)):
        p = os.path.join(d, fn)
        if os.path.exists(p) and os.path.basename(tok_path) == "tokenizer.json":
            with open(p, encoding="utf-8") as f:
                dst.update(json.load(f))
    model = tj["model"]
    if model.get("type") != "BPE":
        raise SystemExit("model type %r is not BPE" % model.get("type"))
    pre, regex, nfc = pre_of(tj)
    vocab = model["vocab"]
    added = {a["id"]: a for a in tj.get("added_tokens", [])}
    n = max(max(vocab.values()) + 1, max(added, default=-1) + 1, vocab_size, int(cfg.get("vocab_size") or 0) if vocab_size else 0)
    tokens = [None] * n
    types = [5] * n
    for s, i in vocab.items():
        tokens[i] = s
        types[i] = 1
    for i, a in added.items():
        tokens[i] = a["content"]
        types[i] = 3 if a["special"] else 4
    for i in range(n):
        if tokens[i] is None:
            tokens[i] = "[PAD%d]" % i
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    by_text = {t: i for i, t in enumerate(tokens) if types[i] in (3, 4)}

    def special_id(cfg_key, tcfg_key, defaults):
        v = cfg.get(cfg_key)
        if isinstance(v, int):
            return v
        t = tcfg.get(tcfg_key)
        if isinstance(t, dict):
            t = t.get("content")
        for c in ([t] if t else []) + defaults:
            if c in by_text:
                return by_text[c]
        return None

    eos = special_id("eos_token_id", "eos_token", ["<|endoftext|>"])
    pad = special_id("pad_token_id", "pad_token", ["<|padding|>", "<|pad|>"])
    bos = cfg.get("bos_token_id") if isinstance(cfg.get("bos_token_id"), int) else None
    kvs = [
        _kv("general.architecture", T_STR, "olmoe"),
        _kv("general.name", T_STR, name or os.path.basename(tok_path)),
        _kv("olmoe.context_length", T_U32, 4096),
        _kv("olmoe.embedding_length", T_U32, 64),
        _kv("olmoe.feed_forward_length", T_U32, 64),
        _kv("olmoe.block_count", T_U32, 1),
        _kv("olmoe.attention.head_count", T_U32, 1),
        _kv("olmoe.attention.head_count_kv", T_U32, 1),
        _kv("olmoe.attention.layer_norm_rms_epsilon", T_F32, 1e-5),
        _kv("olmoe.expert_count", T_U32, 1),
        _kv("olmoe.expert_used_count", T_U32, 1),
        _kv("olmoe.vocab_size", T_U32, n),
        _kv("tokenizer.ggml.model", T_STR, "gpt2"),
        _kv("tokenizer.ggml.pre", T_STR, pre),
        _kv("tokenizer.ggml.tokens", T_ARR, (T_STR, tokens)),
        _kv("tokenizer.ggml.token_type", T_ARR, (T_I32, types)),
        _kv("tokenizer.ggml.merges", T_ARR, (T_STR, merges)),
    ]
    if not llamacpp:
        kvs.append(_kv("tokenizer.olmoe.pre_regex", T_STR, regex))
        if nfc:
            kvs.append(_kv("tokenizer.olmoe.normalizer", T_STR, "nfc"))
    for key, v in (("bos", bos), ("eos", eos), ("padding", pad)):
        if v is not None:
            kvs.append(_kv("tokenizer.ggml.%s_token_id" % key, T_U32, v))
    if isinstance(tcfg.get("chat_template"), str):
        kvs.append(_kv("tokenizer.chat_template", T_STR, tcfg["chat_template"]))
    body = b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs)
    body += b"\0" * (-len(body) % 32)  # the (empty) data section starts aligned
    return body


def write(tok_path, out, **kw):
    data = build(tok_path, **kw)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "wb") as f:
        f.write(data)
    print("wrote %s (%d bytes) from %s" % (out, len(data), tok_path))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tokenizer", nargs="?")
    ap.add_argument("out", nargs="?")
    ap.add_argument("--vocab-size", type=int, default=0)
    ap.add_argument("--llamacpp", action="store_true")
    ap.add_argument("--test-set", metavar="OUTDIR")
    ap.add_argument("--json-dir")
    a = ap.parse_args()
    if a.test_set:
        jd = a.json_dir or a.test_set
        write(os.path.join(ROOT, "tests", "data", "tokenizer", "tokenizer.json"), os.path.join(a.test_set, "fixture.gguf"))
        o = os.path.join(jd, "allenai_gpt-neox-olmo-dolma-v1_5.json")
        if os.path.exists(o):
            write(o, os.path.join(a.test_set, "olmoe.gguf"), vocab_size=50304)
            write(o, os.path.join(a.test_set, "olmoe_llamacpp.gguf"), vocab_size=50304, llamacpp=True)
        else:
            print("no %s: olmoe.gguf not written (run tools/fetch_tokenizers.sh)" % o)
        o = os.path.join(jd, "allenai_dolma2.json")
        if os.path.exists(o):
            write(o, os.path.join(a.test_set, "dolma2.gguf"), vocab_size=100352)
        else:
            print("no %s: dolma2.gguf not written (run tools/fetch_tokenizers.sh)" % o)
        return
    if not a.tokenizer or not a.out:
        ap.error("need TOKENIZER.json OUT.gguf, or --test-set OUTDIR")
    write(a.tokenizer, a.out, vocab_size=a.vocab_size, llamacpp=a.llamacpp)


if __name__ == "__main__":
    main()
