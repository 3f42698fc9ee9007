#!/usr/bin/env python3
"""Chat-template renderings from Hugging Face transformers (apply_chat_template), the reference
for olmoe.h's built-in templates. Writes tests/data/chat/<template>.txt.

usage (repo root): python3 tools/reference/chat_ref.py
Format per case: `case N`, `gen 0|1`, one `msg ROLE HEX(content)` per message,
`text HEX(rendered)`, `end`. HEX is the lowercase hex of the UTF-8 bytes.
"""
import os
from transformers import AutoTokenizer

# The two OLMoE templates (MODELS.md section 4): 0924-Instruct (Tulu) and Tulu-3 / OLMo-2 (0125).
TEMPLATES = {
    "olmoe_0924": "{{ bos_token }}{% for message in messages %}\n{% if message['role'] == 'system' %}\n{{ '<|system|>\\n' + message['content'] }}\n{% elif message['role'] == 'user' %}\n{{ '<|user|>\\n' + message['content'] }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}",
    "tulu3": "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}{{ '<|system|>\\n' + message['content'] + '\\n' }}{% elif message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + '\\n' }}{% elif message['role'] == 'assistant' %}{% if not loop.last %}{{ '<|assistant|>\\n'  + message['content'] + eos_token + '\\n' }}{% else %}{{ '<|assistant|>\\n'  + message['content'] + eos_token }}{% endif %}{% endif %}{% if loop.last and add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}{% endfor %}",
}

S, U, A = "system", "user", "assistant"
CONVS = [
    ([(U, "What is 2+2?")], True),
    ([(U, "Hi")], False),
    ([(S, "You are terse."), (U, "Name a river."), (A, "The Nile."), (U, "Another?")], True),
    ([(U, "café  two  spaces")], True),
    ([(S, "Be kind.")], True),
    ([(U, "line one\nline two\n\n"), (A, "ok\n")], False),
    ([(U, "Q1"), (A, "A1"), (U, "Q2"), (A, "A2")], False),
    ([(U, "Q1"), (A, "A1"), (U, "Q2"), (A, "A2")], True),
    ([(U, "")], True),
    ([(S, ""), (U, "emoji 👩‍👩‍👧 and 日本語")], True),
    ([(U, "<|endoftext|> inside <|user|> text")], True),
    ([(A, "assistant first")], True),
    ([(U, "  leading and trailing  "), (A, " spaced "), (U, "\ttab")], True),
    ([(S, "sys"), (S, "sys2"), (U, "u")], False),
]


def main():
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    tok = AutoTokenizer.from_pretrained(os.path.join(root, "tests", "data", "olmoe_a"))
    outdir = os.path.join(root, "tests", "data", "chat")
    os.makedirs(outdir, exist_ok=True)
    for name, tmpl in TEMPLATES.items():
        with open(os.path.join(outdir, name + ".txt"), "w") as f:
            f.write("template " + tmpl.encode().hex() + "\n")
            f.write("bos " + tok.bos_token.encode().hex() + "\neos " + tok.eos_token.encode().hex() + "\n")
            for i, (conv, gen) in enumerate(CONVS):
                msgs = [{"role": r, "content": c} for r, c in conv]
                text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=gen, chat_template=tmpl)
                f.write(f"case {i}\ngen {int(gen)}\n")
                for r, c in conv:
                    f.write(f"msg {r} {c.encode().hex()}\n")
                f.write("text " + text.encode().hex() + "\nend\n")
        print(name, len(CONVS), "cases")


if __name__ == "__main__":
    main()
