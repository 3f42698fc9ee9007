#!/usr/bin/env python3
"""Plot build/train/run/{log,eval}.csv to models/austen-loss.png (needs matplotlib).

    python3 tools/train/plot_loss.py
"""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUN = os.path.join(ROOT, "build", "train", "run")


def main():
    rows = list(csv.DictReader(open(os.path.join(RUN, "log.csv"))))
    ev = list(csv.DictReader(open(os.path.join(RUN, "eval.csv"))))
    st = [int(r["step"]) for r in rows]
    lo = [float(r["loss"]) for r in rows]
    ema, sm = None, []
    for v in lo:
        ema = v if ema is None else 0.95 * ema + 0.05 * v
        sm.append(ema)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    ax.plot(st, lo, color="#9ecae1", lw=0.6, label="train loss (per step)")
    ax.plot(st, sm, color="#08519c", lw=1.5, label="train loss (EMA 0.95)")
    ax.plot([int(r["step"]) for r in ev], [float(r["heldout_loss"]) for r in ev], "o-", color="#d94801", ms=4,
            label="held-out loss (32 x 256 tokens)")
    ax.set_xlabel("step (16 x 256 tokens)")
    ax.set_ylabel("cross-entropy (nats / token)")
    ax.set_ylim(min(sm) - 0.3, min(8.5, max(lo) + 0.1))
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("austen-olmoe: 8.3M-param OLMoE (5 layers, 8 experts, top-2), 1 CPU thread")
    fig.tight_layout()
    out = os.path.join(ROOT, "models", "austen-loss.png")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    fig.savefig(out)
    print("wrote", out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    sys.exit(main())
