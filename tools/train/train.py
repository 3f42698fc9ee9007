#!/usr/bin/env python3
"""Train the bundled small OLMoE model on Jane Austen (CPU, one torch thread, wall-clock budget).

    nohup nice -n 10 python3 tools/train/train.py --deadline 19:10 > build/train/train.log 2>&1 &

Reads build/train/corpus/{train,heldout}.txt and build/train/tokenizer/ (see get_corpus.py and
train_tokenizer.py). Writes under build/train/ (git-ignored):
  run/ckpt.pt       checkpoint (model + optimizer + step + rng), rewritten every --ckpt-min minutes
  run/log.csv       step, elapsed_s, progress, lr, loss (cross-entropy), aux (load-balancing loss)
  run/eval.csv      step, elapsed_s, held-out loss on a fixed set of windows
  hf/               the final float32 HF checkpoint (save_pretrained) + tokenizer files

Schedule: the learning rate warms up linearly for --warmup steps, then follows a cosine from --lr to
--lr * --min-lr-frac over the *wall-clock* budget: progress = elapsed / (deadline - start). Training
stops at the deadline (or at --max-steps). Batches are random contiguous windows of --seq + 1 tokens
of the training token stream (numpy default_rng(seed)); the training loss is the mean next-token
cross-entropy plus router_aux_loss_coef * the load-balancing loss (output_router_logits=True).
"""
import argparse
import csv
import datetime as dt
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
from tokenizers import Tokenizer  # noqa: E402
from transformers import OlmoeConfig, OlmoeForCausalLM  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORK = os.path.join(ROOT, "build", "train")
CONFIG_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "config.json")


def load_ids(name, tok):
    cache = os.path.join(WORK, "corpus", name + ".ids.npy")
    src = os.path.join(WORK, "corpus", name + ".txt")
    if os.path.exists(cache) and os.path.getmtime(cache) > max(os.path.getmtime(src),
                                                                os.path.getmtime(os.path.join(WORK, "tokenizer", "tokenizer.json"))):
        return np.load(cache)
    ids = np.array(tok.encode(open(src, encoding="utf-8").read()).ids, dtype=np.int32)
    np.save(cache, ids)
    return ids


def make_config(c):
    cfg = OlmoeConfig(
        vocab_size=c["vocab_size"], hidden_size=c["hidden_size"], intermediate_size=c["intermediate_size"],
        num_hidden_layers=c["num_hidden_layers"], num_attention_heads=c["num_attention_heads"],
        num_key_value_heads=c["num_key_value_heads"], num_experts=c["num_experts"],
        num_experts_per_tok=c["num_experts_per_tok"], max_position_embeddings=c["max_position_embeddings"],
        rope_parameters={"rope_type": "default", "rope_theta": c["rope_theta"]}, rms_norm_eps=c["rms_norm_eps"],
        pad_token_id=c["pad_token_id"], eos_token_id=c["eos_token_id"], bos_token_id=None,
        tie_word_embeddings=False, norm_topk_prob=False, output_router_logits=True,
        router_aux_loss_coef=c["router_aux_loss_coef"], initializer_range=c["initializer_range"],
    )
    cfg.architectures = ["OlmoeForCausalLM"]
    return cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deadline", required=True, help="wall-clock stop time HH:MM (local time of this machine, today)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.05)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--ckpt-min", type=float, default=4.0)
    ap.add_argument("--eval-min", type=float, default=8.0)
    ap.add_argument("--max-steps", type=int, default=10**9)
    ap.add_argument("--out", default=os.path.join(WORK, "run"))
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--bench", type=int, default=0, help="only time this many steps and exit")
    a = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    c = json.load(open(CONFIG_JSON))
    tok = Tokenizer.from_file(os.path.join(WORK, "tokenizer", "tokenizer.json"))
    assert tok.get_vocab_size(True) <= c["vocab_size"]
    train_ids = torch.from_numpy(load_ids("train", tok).astype(np.int64))
    held_ids = torch.from_numpy(load_ids("heldout", tok).astype(np.int64))
    print(f"train tokens {len(train_ids)}, held-out tokens {len(held_ids)}", flush=True)

    cfg = make_config(c)
    model = OlmoeForCausalLM._from_config(cfg, attn_implementation="sdpa", dtype=torch.float32)
    model.train()
    nparam = sum(p.numel() for p in model.parameters())
    print(f"params {nparam}", flush=True)

    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.dim() < 2 or "norm" in n else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95), eps=1e-8)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    ckpt_path = os.path.join(a.out, "ckpt.pt")
    step, spent = 0, 0.0
    if a.resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, spent = ck["step"], ck["spent"]
        rng.bit_generator.state = ck["rng"]
        torch.set_rng_state(ck["torch_rng"])
        print(f"resumed at step {step} ({spent:.0f}s spent)", flush=True)

    now = dt.datetime.now()
    hh, mm = map(int, a.deadline.split(":"))
    deadline = now.replace(hour=hh, minute=mm, second=0, microsecond=0)
    t0 = time.time() - spent
    t_end = time.time() + (deadline - now).total_seconds()
    budget = t_end - t0
    if a.bench:
        t_end = time.time() + 1e9
        budget = 1e9
    print(f"budget {budget:.0f}s (deadline {deadline})", flush=True)

    # fixed held-out windows (non-overlapping, from the start of the held-out text)
    S = a.seq
    nwin = min(32, (len(held_ids) - 1) // S)
    hx = torch.stack([held_ids[i * S:(i + 1) * S] for i in range(nwin)])
    hy = torch.stack([held_ids[i * S + 1:(i + 1) * S + 1] for i in range(nwin)])

    @torch.no_grad()
    def held_loss():
        model.eval()
        tot = 0.0
        for i in range(0, nwin, 8):
            out = model(input_ids=hx[i:i + 8], use_cache=False, output_router_logits=False)
            tot += torch.nn.functional.cross_entropy(out.logits.reshape(-1, out.logits.shape[-1]), hy[i:i + 8].reshape(-1),
                                                     reduction="sum").item()
        model.train()
        return tot / (nwin * S)

    def save_ckpt():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "spent": time.time() - t0,
                    "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(), "args": vars(a)}, tmp)
        os.replace(tmp, ckpt_path)

    logf = open(os.path.join(a.out, "log.csv"), "a", newline="")
    evf = open(os.path.join(a.out, "eval.csv"), "a", newline="")
    lw, ew = csv.writer(logf), csv.writer(evf)
    if step == 0:
        lw.writerow(["step", "elapsed_s", "progress", "lr", "loss", "aux"])
        ew.writerow(["step", "elapsed_s", "heldout_loss"])
    last_ckpt = last_eval = time.time()
    if step == 0 and not a.bench:
        ew.writerow([0, 0.0, f"{held_loss():.5f}"])
        evf.flush()
    N = len(train_ids)
    tb = time.time()
    while True:
        t = time.time()
        if t >= t_end or step >= a.max_steps or (a.bench and step >= a.bench):
            break
        prog = (t - t0) / budget
        if step < a.warmup:
            lr = a.lr * (step + 1) / a.warmup
        else:
            lr = a.lr * (a.min_lr_frac + (1 - a.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * min(1.0, prog))))
        for g in opt.param_groups:
            g["lr"] = lr
        starts = rng.integers(0, N - S - 1, size=a.batch)
        x = torch.stack([train_ids[s:s + S + 1] for s in starts])
        out = model(input_ids=x[:, :-1], labels=x[:, 1:].contiguous() if False else None, use_cache=False)
        logits = out.logits
        ce = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
        aux = out.aux_loss
        loss = ce + cfg.router_aux_loss_coef * aux
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        el = time.time() - t0
        lw.writerow([step, f"{el:.1f}", f"{prog:.4f}", f"{lr:.3e}", f"{ce.item():.5f}", f"{aux.item():.5f}"])
        if step % 10 == 0:
            logf.flush()
            print(f"step {step} t {el:.0f}s lr {lr:.2e} loss {ce.item():.4f} aux {aux.item():.4f} "
                  f"({(time.time() - tb) / step if a.bench else 0:.2f}s/step)", flush=True)
        if a.bench:
            continue
        if time.time() - last_eval > a.eval_min * 60:
            hl = held_loss()
            ew.writerow([step, f"{el:.1f}", f"{hl:.5f}"])
            evf.flush()
            print(f"  held-out loss {hl:.4f} (ppl {math.exp(hl):.2f})", flush=True)
            last_eval = time.time()
        if time.time() - last_ckpt > a.ckpt_min * 60:
            save_ckpt()
            last_ckpt = time.time()
    if a.bench:
        dtb = time.time() - tb
        print(f"bench: {step} steps in {dtb:.1f}s = {dtb / step:.2f} s/step, {step * a.batch * S / dtb:.0f} tok/s")
        return
    hl = held_loss()
    ew.writerow([step, f"{time.time() - t0:.1f}", f"{hl:.5f}"])
    logf.close()
    evf.close()
    save_ckpt()
    print(f"done: {step} steps, {time.time() - t0:.0f}s, final held-out loss {hl:.4f} (ppl {math.exp(hl):.2f})", flush=True)
    hf = os.path.join(WORK, "hf")
    model.eval()
    model.config.output_router_logits = False
    model.save_pretrained(hf)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(WORK, "tokenizer", f), os.path.join(hf, f))
    print("saved", hf, flush=True)


if __name__ == "__main__":
    sys.exit(main())
