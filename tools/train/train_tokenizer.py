#!/usr/bin/env python3
"""Train the byte-level BPE tokenizer of the bundled Austen model.

    python3 tools/train/train_tokenizer.py     # from the repository root, after get_corpus.py

Reads build/train/corpus/train.txt (training chapters only) and writes build/train/tokenizer/
tokenizer.json + tokenizer_config.json. Configured like the OLMoE tokenizer and like
tools/reference/make_fixtures.py's tiny tokenizer:
  normalizer NFC; pre-tokenizer ByteLevel(add_prefix_space=false, trim_offsets=true,
  use_regex=true); decoder ByteLevel; post-processor ByteLevel (no BOS/EOS added);
  merges stored as "a b" strings; added tokens also in model.vocab.
Ids: 0 "|||IP_ADDRESS|||" (non-special, normalized, as in OLMoE), 1 "<|padding|>" (special),
2..3999 BPE (256 byte symbols + 3742 merges), 4000..4002 space runs "    ", "   ", "  "
(non-special, like OLMoE's space-run tokens), 4003 "<|endoftext|>" (special, eos/bos).
Tokenizer size 4004; the model pads its vocabulary to 4032 (multiple of 64).
"""
import json
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORK = os.path.join(ROOT, "build", "train")
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import olmoe_bpe  # noqa: E402  (the OLMoE-style BPE shared with make_fixtures.py)

BPE_VOCAB_SIZE = 4000


def main():
    text = open(os.path.join(WORK, "corpus", "train.txt"), encoding="utf-8").read()
    docs = [d for d in text.split(olmoe_bpe.EOS_TOKEN) if d]
    # feed paragraphs (the BPE trainer counts pre-tokenized words; splitting is only for memory)
    parts = [p for d in docs for p in d.split("\n\n")]
    tj, tok2, n = olmoe_bpe.train(parts, BPE_VOCAB_SIZE, min_frequency=2)
    cfg = olmoe_bpe.tokenizer_config(tj, 1024)
    out = os.path.join(WORK, "tokenizer")
    os.makedirs(out, exist_ok=True)
    open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8").write(tj)
    open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8").write(
        json.dumps(cfg, ensure_ascii=False, indent=2) + "\n")
    ntok = len(tok2.encode(text).ids)
    print(f"tokenizer: {n} ids ({len(json.loads(tj)['model']['merges'])} merges); train text {len(text)} chars -> {ntok} tokens "
          f"({len(text) / ntok:.2f} chars/token)")


if __name__ == "__main__":
    sys.exit(main())
