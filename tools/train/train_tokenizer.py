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

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORK = os.path.join(ROOT, "build", "train")

IP_TOKEN = "|||IP_ADDRESS|||"
PAD_TOKEN = "<|padding|>"
EOS_TOKEN = "<|endoftext|>"
SPACE_RUNS = ["    ", "   ", "  "]
BPE_VOCAB_SIZE = 4000

# OLMoE-1B-7B-0924-Instruct (Tulu) chat template, exactly as in tools/reference/make_fixtures.py
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}\n"
    "{% if message['role'] == 'system' %}\n"
    "{{ '<|system|>\\n' + message['content'] }}\n"
    "{% elif message['role'] == 'user' %}\n"
    "{{ '<|user|>\\n' + message['content'] }}\n"
    "{% elif message['role'] == 'assistant' %}\n"
    "{{ '<|assistant|>\\n'  + message['content'] + eos_token }}\n"
    "{% endif %}\n"
    "{% if loop.last and add_generation_prompt %}\n"
    "{{ '<|assistant|>' }}\n"
    "{% endif %}\n"
    "{% endfor %}"
)


def main():
    text = open(os.path.join(WORK, "corpus", "train.txt"), encoding="utf-8").read()
    docs = [d for d in text.split(EOS_TOKEN) if d]
    # feed paragraphs (the BPE trainer counts pre-tokenized words; splitting is only for memory)
    parts = [p for d in docs for p in d.split("\n\n")]
    tok = Tokenizer(models.BPE(dropout=None, unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    trainer = trainers.BpeTrainer(vocab_size=BPE_VOCAB_SIZE, min_frequency=2, show_progress=False,
                                  special_tokens=[IP_TOKEN, PAD_TOKEN],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(parts, trainer=trainer)
    j = json.loads(tok.to_str())
    vocab = j["model"]["vocab"]
    assert len(vocab) == BPE_VOCAB_SIZE, len(vocab)
    assert vocab[IP_TOKEN] == 0 and vocab[PAD_TOKEN] == 1

    def added(i, content, special, normalized):
        return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": normalized, "special": special}

    added_tokens = [added(0, IP_TOKEN, False, True), added(1, PAD_TOKEN, True, False)]
    nid = BPE_VOCAB_SIZE
    for s in SPACE_RUNS:
        vocab[s] = nid
        added_tokens.append(added(nid, s, False, True))
        nid += 1
    vocab[EOS_TOKEN] = nid
    added_tokens.append(added(nid, EOS_TOKEN, True, False))
    j["added_tokens"] = added_tokens
    j["model"]["merges"] = [m if isinstance(m, str) else " ".join(m) for m in j["model"]["merges"]]
    j["model"]["continuing_subword_prefix"] = None
    j["model"]["end_of_word_suffix"] = None
    tj = json.dumps(j, ensure_ascii=False, indent=2) + "\n"
    tok2 = Tokenizer.from_str(tj)
    n = tok2.get_vocab_size(with_added_tokens=True)
    assert n == nid + 1

    decoder = {str(a["id"]): {k: a[k] for k in ("content", "lstrip", "normalized", "rstrip", "single_word", "special")}
               for a in added_tokens}
    cfg = {
        "add_bos_token": False,
        "add_eos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": decoder,
        "bos_token": EOS_TOKEN,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": EOS_TOKEN,
        "model_max_length": 1024,
        "pad_token": PAD_TOKEN,
        "tokenizer_class": "GPTNeoXTokenizer",
        "unk_token": None,
    }
    out = os.path.join(WORK, "tokenizer")
    os.makedirs(out, exist_ok=True)
    open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8").write(tj)
    open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8").write(
        json.dumps(cfg, ensure_ascii=False, indent=2) + "\n")
    ntok = len(tok2.encode(text).ids)
    print(f"tokenizer: {n} ids ({len(j['model']['merges'])} merges); train text {len(text)} chars -> {ntok} tokens "
          f"({len(text) / ntok:.2f} chars/token)")


if __name__ == "__main__":
    sys.exit(main())
