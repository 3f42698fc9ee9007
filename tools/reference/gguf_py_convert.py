#!/usr/bin/env python3
"""Independent HF -> GGUF (f32) writer built on llama.cpp's own `gguf` Python package.

An interop cross-check, not the project's converter (that is `build/olmoe convert`): the files it
writes follow llama.cpp's `olmoe` layout as gguf-py writes it, so olmoe.h loading them shows
that it reads GGUFs it did not write itself. Needs `pip install gguf safetensors torch`.

usage: python3 tools/reference/gguf_py_convert.py HF_DIR OUT.gguf
"""
import json, sys, os
import numpy as np
import gguf
from safetensors.numpy import load_file


def main():
    src, out = sys.argv[1], sys.argv[2]
    cfg = json.load(open(os.path.join(src, "config.json")))
    arch = {"olmoe": "olmoe", "flex_olmo": "flex_olmo"}[cfg["model_type"]]
    sd = {}
    for fn in sorted(os.listdir(src)):
        if fn.endswith(".safetensors"):
            sd.update(load_file(os.path.join(src, fn)))
    w = gguf.GGUFWriter(out, arch)
    w.add_name(os.path.basename(os.path.normpath(src)))
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_head_count(cfg["num_attention_heads"])
    w.add_head_count_kv(cfg.get("num_key_value_heads") or cfg["num_attention_heads"])
    theta = cfg.get("rope_theta") or (cfg.get("rope_parameters") or {}).get("rope_theta", 10000.0)
    w.add_rope_freq_base(theta)
    w.add_layer_norm_rms_eps(cfg.get("rms_norm_eps", 1e-5))
    w.add_expert_count(cfg["num_experts"])
    w.add_expert_used_count(cfg["num_experts_per_tok"])
    w.add_file_type(0)
    E, L = cfg["num_experts"], cfg["num_hidden_layers"]

    def put(name, t):
        w.add_tensor(name, np.ascontiguousarray(t.astype(np.float32)))

    put("token_embd.weight", sd["model.embed_tokens.weight"])
    for i in range(L):
        p = f"model.layers.{i}."
        if arch == "olmoe":
            put(f"blk.{i}.attn_norm.weight", sd[p + "input_layernorm.weight"])
            put(f"blk.{i}.ffn_norm.weight", sd[p + "post_attention_layernorm.weight"])
        else:
            put(f"blk.{i}.post_attention_norm.weight", sd[p + "post_attention_layernorm.weight"])
            put(f"blk.{i}.post_ffw_norm.weight", sd[p + "post_feedforward_layernorm.weight"])
        for a, b in (("q", "q"), ("k", "k"), ("v", "v"), ("output", "o")):
            put(f"blk.{i}.attn_{a}.weight", sd[p + f"self_attn.{b}_proj.weight"])
        put(f"blk.{i}.attn_q_norm.weight", sd[p + "self_attn.q_norm.weight"])
        put(f"blk.{i}.attn_k_norm.weight", sd[p + "self_attn.k_norm.weight"])
        put(f"blk.{i}.ffn_gate_inp.weight", sd[p + "mlp.gate.weight"])
        if p + "mlp.experts.gate_up_proj" in sd:
            gu, dn = sd[p + "mlp.experts.gate_up_proj"], sd[p + "mlp.experts.down_proj"]
            F = gu.shape[1] // 2
            gate, up = gu[:, :F, :], gu[:, F:, :]
        else:
            gate = np.stack([sd[p + f"mlp.experts.{e}.gate_proj.weight"] for e in range(E)])
            up = np.stack([sd[p + f"mlp.experts.{e}.up_proj.weight"] for e in range(E)])
            dn = np.stack([sd[p + f"mlp.experts.{e}.down_proj.weight"] for e in range(E)])
        put(f"blk.{i}.ffn_gate_exps.weight", gate)
        put(f"blk.{i}.ffn_up_exps.weight", up)
        put(f"blk.{i}.ffn_down_exps.weight", dn)
    put("output_norm.weight", sd["model.norm.weight"])
    put("output.weight", sd["lm_head.weight"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
