"""An OLMoE-style byte-level BPE tokenizer trained with Hugging Face `tokenizers`: shared by
tools/reference/make_fixtures.py (the tiny fixture tokenizer) and tools/train/train_tokenizer.py
(the bundled model's tokenizer), so both are configured exactly like OLMoE's
allenai_gpt-neox-olmo-dolma-v1_5.json:

- normalizer NFC; pre-tokenizer ByteLevel(add_prefix_space=false, trim_offsets=true,
  use_regex=true); decoder and post-processor ByteLevel (no BOS/EOS added);
- merges stored as "a b" strings; added tokens also in model.vocab with their raw content;
- id 0 |||IP_ADDRESS||| (not special, normalized), id 1 <|padding|> (special), then the BPE
  entries, then runs of spaces (added, non-special, normalized: extracted before the regex, like
  OLMoE's 24..2-space tokens), then <|endoftext|> (special; eos, and bos in tokenizer_config).
"""
import json

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

IP_TOKEN = "|||IP_ADDRESS|||"
PAD_TOKEN = "<|padding|>"
EOS_TOKEN = "<|endoftext|>"
SPACE_RUNS = ["    ", "   ", "  "]

# OLMoE-1B-7B-0924-Instruct (Tulu) chat template, exactly as in MODELS.md section 4
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


def train(texts, bpe_vocab_size, min_frequency):
    """Train on an iterable of strings. Returns (tokenizer.json text, Tokenizer, number of ids)."""
    tok = Tokenizer(models.BPE(dropout=None, unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    trainer = trainers.BpeTrainer(vocab_size=bpe_vocab_size, min_frequency=min_frequency, show_progress=False,
                                  special_tokens=[IP_TOKEN, PAD_TOKEN],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    j = json.loads(tok.to_str())
    vocab = j["model"]["vocab"]
    assert len(vocab) == bpe_vocab_size, len(vocab)
    assert vocab[IP_TOKEN] == 0 and vocab[PAD_TOKEN] == 1

    def added(i, content, special, normalized):
        return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": normalized, "special": special}

    added_tokens = [added(0, IP_TOKEN, False, True), added(1, PAD_TOKEN, True, False)]
    next_id = bpe_vocab_size
    for s in SPACE_RUNS:
        vocab[s] = next_id
        added_tokens.append(added(next_id, s, False, True))
        next_id += 1
    vocab[EOS_TOKEN] = next_id
    added_tokens.append(added(next_id, EOS_TOKEN, True, False))
    j["added_tokens"] = added_tokens
    j["model"]["merges"] = [m if isinstance(m, str) else " ".join(m) for m in j["model"]["merges"]]
    j["model"]["continuing_subword_prefix"] = None
    j["model"]["end_of_word_suffix"] = None
    text = json.dumps(j, ensure_ascii=False, indent=2) + "\n"
    tok2 = Tokenizer.from_str(text)  # validates the edited JSON
    assert tok2.get_vocab_size(with_added_tokens=True) == next_id + 1
    return text, tok2, next_id + 1


def tokenizer_config(tokenizer_json, model_max_length):
    """The tokenizer_config.json (as a dict) that goes with a tokenizer.json made by train()."""
    decoder = {str(a["id"]): {k: a[k] for k in ("content", "lstrip", "normalized", "rstrip", "single_word", "special")}
               for a in json.loads(tokenizer_json)["added_tokens"]}
    return {
        "add_bos_token": False,
        "add_eos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": decoder,
        "bos_token": EOS_TOKEN,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": EOS_TOKEN,
        "model_max_length": model_max_length,
        "pad_token": PAD_TOKEN,
        "tokenizer_class": "GPTNeoXTokenizer",
        "unk_token": None,
    }
