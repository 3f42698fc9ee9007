#!/usr/bin/env python3
"""Reference token ids from Hugging Face `tokenizers` for tests/test_tokenizer.c.

    tools/fetch_tokenizers.sh build/tokenizers          # the two OLMo tokenizer.json files
    python3 tools/reference/tokenizer_ref.py [--json-dir build/tokenizers]

Writes, in tests/data/tokenizer/:
  corpus.txt        one test string per line, as lowercase hex of its UTF-8 bytes (>= 500 strings)
  ids_olmoe.txt     allenai_gpt-neox-olmo-dolma-v1_5.json (OLMoE)
  ids_dolma2.txt    allenai_dolma2.json (FlexOlmo)
  ids_fixture.txt   tests/data/tokenizer/tokenizer.json (the tiny tokenizer of the model fixtures)
Each ids file has one line per corpus line, three tab-separated fields:
  1. Tokenizer.encode(s, add_special_tokens=False).ids, space-separated
  2. the same with encode_special_tokens = True (special tokens read as text), or "=" when equal to 1
  3. decode(ids, skip_special_tokens=False) as hex, or "=" when it equals s (a lossless round trip)
The source files are checked by their git blob hashes (MODELS.md section 4); a different file stops
the script. Pinned versions: tools/reference/requirements.txt (tokenizers 0.23.3).
"""
import argparse
import hashlib
import os
import random
import sys

from tokenizers import Tokenizer
import tokenizers

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "data", "tokenizer")
SOURCES = {  # name -> (file, git blob sha1)
    "olmoe": ("allenai_gpt-neox-olmo-dolma-v1_5.json", "d06ef09037384992a31352810f7500d69c902195"),
    "dolma2": ("allenai_dolma2.json", "6fd1b44d29ce5514c6c6033926064f6ed66dfb17"),
}


def git_blob(path):
    data = open(path, "rb").read()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def corpus():
    c = []
    add = c.append
    # --- plain text and the MODELS.md vectors
    for s in ["Bitcoin is", "Hello world", "<|endoftext|><|user|>\nWhat is 2+2?\n<|assistant|>\n", "  indented\tline\n\n",
              "<|endoftext|>Hello 123456", "", " ", "a", "The quick brown fox jumps over the lazy dog.",
              "Hello, World! How are you doing today?", "HELLO WORLD", "hElLo WoRlD", "supercalifragilisticexpialidocious",
              "antidisestablishmentarianism", "Pneumonoultramicroscopicsilicovolcanoconiosis is a long word.",
              "It was the best of times, it was the worst of times.", "naïve café résumé coöperate façade jalapeño",
              "“Smart quotes” and ‘single ones’ — plus an en dash – and ellipsis…", "¿Qué tal? ¡Muy bien!",
              "Straße, Äpfel, Öl, Übermut, ß", "ÆØÅ æøå Œuvre œuvre", "İstanbul ıi IĞÜŞÖÇ", "ﬁne ﬂow ﬀ ﬃ", "Ⅻ ⅻ ① ⑩ ½ ¾ ² ³ ⁴ ₁₂"]:
        add(s)
    # --- contractions, every case mix
    for con in ["s", "t", "re", "ve", "m", "ll", "d"]:
        for v in {con, con.upper(), con.capitalize(), con[0] + con[1:].upper()}:
            add("it'%s fine" % v)
            add("X'%sY" % v)
    for s in ["I'm you're we've they'll he'd she's it's don't can't won't", "I'M YOU'RE WE'VE THEY'LL HE'D SHE'S",
              "'s 't 're 've 'm 'll 'd", "''s '''t 's's", "rock'n'roll o'clock ma'am y'all", "it'ſ 'ſup a'ﬅ x'K",
              "' s ' t", "'sup 'tis 'twas 'em 'll", "l'homme d'accord aujourd'hui", "don’t (curly apostrophe)", "'1 '2 '!", "' "]:
        add(s)
    # --- whitespace
    for n in range(1, 31):
        add("a" + " " * n + "b")
    for n in (1, 2, 3, 5, 8, 24, 25, 40):
        add(" " * n)
        add("x" + " " * n)
        add(" " * n + "x")
        add("\t" * n + "x")
        add("\n" * n + "x")
    for s in ["line1\nline2\n", "line1\r\nline2\r\n", "a\r\n\r\nb", "a\n \nb", "a \n b", "a  \n  b", "a\t\n\tb",
              "trailing space ", "trailing spaces   ", "trailing tab\t", "trailing newline\n", "  \t  \n  x",
              "\n", "\r", "\r\n", "\n\n\n", " \n", "\n ", " \r\n ", "a \t\nb", "a\u00a0b", "a\u00a0\u00a0b",
              "a\u3000b", "\u3000\u3000x", "a\u2028b", "a\u2029b", "a\u0085b", "a\u000bb\u000cc", "a\u1680b",
              "a\u2000\u2001\u2002\u200ab", "a\u202fb\u205fc", "a\u200bb", "a\ufeffb", "\ufeffBOM at start",
              "x \u00a0y", "x\u00a0 y", "x \u3000 y", "  12", "  (x)", " \t(x)", "\t\tif (x) {", "a\n\n\n\n\n\nb",
              "end\n\n", "   \n   \n   ", "\t\r\n\t", "x\r\ry", "word \r\n", "word\r \n", "a .b", "a  .b", "a\t.b"]:
        add(s)
    # --- numbers
    for n in range(1, 21):
        digits = "".join(str((i * 7 + 3) % 10) for i in range(n))
        add(digits)
        add("x" + digits)
        add(" " + digits + " items")
    for s in ["1,234,567.89", "3.14159265358979", "-42", "+1 (555) 123-4567", "2024-03-14T15:09:26Z", "v1.2.3-rc.4",
              "0x7FFF_FFFF", "1e-10", "100%", "$9.99", "€12,50", "¥1000", "١٢٣٤٥٦٧", "०१२३४५६७८९", "１２３４５",
              "𝟙𝟚𝟛", "①②③", "Ⅰ Ⅱ Ⅲ Ⅳ", "x²+y²=z²", "⅓ + ⅔ = 1", "abc123def456", "123abc", "a1b2c3d4e5",
              "٣ apples", "12 345 678", "1 000 000", "007", "3.0.0.1", "1234567890123456789012345678901234567890"]:
        add(s)
    # --- scripts
    for s in ["你好，世界！今天天气很好。", "我爱自然语言处理和机器学习。", "日本語のテキストとカタカナ、ひらがな。",
              "東京タワーは高さ333メートルです。", "한국어 텍스트입니다. 안녕하세요!", "대한민국의 수도는 서울입니다.",
              "ภาษาไทยเป็นภาษาที่มีวรรณยุกต์", "สวัสดีครับ ยินดีต้อนรับ", "हिन्दी भाषा में लिखा गया पाठ।",
              "नमस्ते, आप कैसे हैं?", "क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़", "العربية لغة جميلة.", "مرحبا بالعالم", "السَّلَامُ عَلَيْكُمْ",
              "עברית היא שפה שמית", "שָׁלוֹם", "Русский текст, ёлка и Ёж.", "ПРИВЕТ мир", "Ελληνικά: γειά σου κόσμε",
              "ΆΈΉΊΌΎΏ ΐ ΰ", "বাংলা ভাষা", "தமிழ் மொழி", "తెలుగు", "ಕನ್ನಡ", "മലയാളം", "ગુજરાતી", "ਪੰਜਾਬੀ", "ଓଡ଼ିଆ",
              "සිංහල", "ქართული ენა", "Հայերեն", "አማርኛ", "ខ្មែរ", "ລາວ", "မြန်မာ", "བོད་ཡིག", "ᠮᠣᠩᠭᠣᠯ", "ᏣᎳᎩ", "ᐃᓄᒃᑎᑐᑦ",
              "Tiếng Việt có dấu: ă â đ ê ô ơ ư ạ ả ấ ầ ẩ ẫ ậ", "Yorùbá ède", "Ṣàngó", "Dzień dobry, źdźbło",
              "Čeština: příliš žluťoučký kůň", "Română: ș ț ă î â", "Íslenska: þ ð æ", "Türkçe: ğüşöçı",
              "Zalgo: Z̵̡̢̛͓͎a̸̧͚͎̓l̶̡̗̈́g̵̙̈́o̴̢̓", "𝐌𝐚𝐭𝐡 𝑏𝑜𝑙𝑑 𝔉𝔯𝔞𝔨𝔱𝔲𝔯", "𠀀𠀁𠀂 CJK Ext B", "𓀀𓀁 hieroglyphs", "ꦗꦮ Javanese",
              "中文English混合text", "English中文mixed", "日本語とEnglishと한국어", "abcабвαβγאבג", "ไทยabcไทย"]:
        add(s)
    # --- emoji
    for s in ["😀", "😀😃😄😁", "I ❤️ NY", "👍🏽 👍🏿", "👨‍👩‍👧‍👦 family", "👩🏽‍💻 coder", "🏳️‍🌈 flag", "🇺🇸🇯🇵🇩🇪🇫🇷",
              "🇺🇸 USA", "1️⃣ 2️⃣ #️⃣", "🧑‍🤝‍🧑", "☺ ☺️", "©️ ®️ ™️", "🐍 Python 🦀 Rust", "emoji😀inside", "x😀😀😀😀😀😀😀😀y",
              "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Scotland", "⌚⌛⏰", "❤‍🔥", "a\u200db", "\u200d", "\ufe0f"]:
        add(s)
    # --- normalization (decomposed, reordered, excluded, singletons, Hangul jamo)
    for s in ["e\u0301", "cafe\u0301", "Cafe\u0301 au lait", "A\u030a", "\u212b", "\u2126", "\u1100\u1161\u11a8",
              "\u1100\u1161", "\uac00\u11a8", "\u1112\u1161\u11ab\u1100\u1173\u11af", "\u0958", "\u0915\u093c",
              "a\u0301\u0323", "a\u0323\u0301", "\u1e9b\u0323", "\u0344", "\u0340\u0341", "\uf900\uf901", "\U0002f800",
              "\u0041\u030a\u0301", "o\u0308\u0304", "\u00f6\u0304", "\u01d5", "u\u0308\u0304", "e\u0302\u0301",
              "\u0626\u0654", "\u0627\u0653", "\u0b47\u0b3e", "\u0dd9\u0dcf\u0dca", "\u0cc6\u0cc2\u0cd5", "\u304b\u3099",
              "\u30cf\u309a", "\u2adc", "\u0301start with mark", "x\u0301\u0301\u0301", "\u0338=", "=\u0338",
              "<\u0338", "\u1e0b\u0323", "\u1e63\u0307", "s\u0323\u0307", "\u0110\u0301", "\u00c5\u0327",
              "q\u0307\u0323", "\u05b8\u05b7", "\u05d0\u05b8\u05b7", "\u0e40\u0e01\u0e34\u0e48", "\u0f71\u0f72",
              "\u0f73", "\u0f40\u0fb5", "\u1026", "\u1025\u102e", "\u00e9\u0301", "e\u0300\u0301\u0302\u0303\u0304",
              "ǅ ǈ ǋ", "Ǆ", "\u03d3", "\u03d2\u0301", "\u2000", "\u1fee", "\u00a8\u0301", "\u0308\u0301",
              # Unicode > 9.0 marks and compositions (HF's NFC tables are Unicode 9.0, its regexes 16.0)
              "\u0c15\u0c4d\u0c3c\u0c55", "a\u0d3b\u0301", "a\u0301\u0d3c", "\u0eba\u0316", "a\u1ac0\u0316",
              "\U00011935\U00011930", "\U00011938", "\U000105d2\u0307", "\U00016d63\U00016d67", "\u1c89\u1c8a",
              "\ua7cb\ua7cc", "\U000105c0\U000105c1", "\U00010d40\U00010d41", "\U000116d0\U000116d1", "\u0897\u0316"]:
        add(s)
    # --- code
    code = [
        "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
        "import numpy as np\nx = np.arange(10)**2  # squares\nprint(f\"{x.sum()=}\")\n",
        "#include <stdio.h>\nint main(void) {\n\tprintf(\"hello, %s\\n\", \"world\");\n\treturn 0;\n}\n",
        "for (int i = 0; i < n; ++i) { a[i] += b[i] * c; }",
        "const f = async (x) => { await fetch(`/api/${x}`); };",
        "fn main() { let v: Vec<u32> = (0..10).collect(); println!(\"{:?}\", v); }",
        "<html><head><title>Test</title></head><body><p class=\"x\">Hi &amp; bye</p></body></html>",
        "{\"key\": \"value\", \"list\": [1, 2, 3], \"nested\": {\"a\": null, \"b\": true}}",
        "SELECT id, name FROM users WHERE age >= 18 AND name LIKE '%son' ORDER BY id DESC;",
        "#!/bin/bash\nset -euo pipefail\nfor f in *.txt; do echo \"$f\"; done\n",
        "(defun square (x) (* x x))", "x := <-ch; go func() { ch <- 1 }()", "$a = @{ b = 1 }; Write-Host $a",
        "^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$", "if x==1&&y!=2||z<=3>>4<<5:", "a->b, c::d, e=>f, g|>h",
        "    four spaces\n        eight spaces\n\ttab\n", "class Foo(Bar):\n    '''Docstring.'''\n    pass\n",
        "// comment\n/* block\n   comment */\n", "x = [i**2 for i in range(100) if i % 3 == 0]", "\\begin{equation} E = mc^2 \\end{equation}",
        "```python\nprint('hi')\n```", "| a | b |\n|---|---|\n| 1 | 2 |", "- [ ] todo\n- [x] done", "key: value\nlist:\n  - a\n  - b\n",
        "@@ -1,3 +1,4 @@\n-old line\n+new line\n", "0123456789abcdef" * 4, "////////////////////////////////",
        "================================================================", "----------------------------------------",
        "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        "a" * 300, "ab" * 150, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b", "9" * 100,
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLw==",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "你" * 120, "😀" * 40, "ก" * 100,
        "\u0301" * 30, "x" + "\u0301" * 30, " " * 100, "\n" * 60, "\t" * 50, "-_" * 80,
    ]
    for s in code:
        add(s)
    # --- URLs, emails, PII placeholders
    for s in ["https://www.example.com/path/to/page?query=1&x=y#frag", "http://localhost:8080/api/v1/users/42",
              "ftp://ftp.example.org/pub/file.tar.gz", "mailto:someone@example.com", "user.name+tag@sub.example.co.uk",
              "Contact me at john.doe@gmail.com or +1-202-555-0173.", "192.168.0.1 and 10.0.0.255:443", "2001:db8::ff00:42:8329",
              "C:\\Users\\name\\Documents\\file.txt", "/usr/local/bin/python3.11", "~/.config/nvim/init.lua",
              "www.wikipedia.org/wiki/Byte_pair_encoding", "git@github.com:org/repo.git", "@username #hashtag $TICKER"]:
        add(s)
    # --- added / special token text
    for s in ["<|endoftext|>", "foo<|endoftext|>bar", "a <|endoftext|> b", "<|endoftext|><|endoftext|>", "<|endoftext", "endoftext|>",
              "<<|endoftext|>>", "<|endoftext|>|", "x<|padding|>y", "<|padding|>", "<|pad|>", "<|im_start|>user\nHi<|im_end|>\n",
              "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>assistant\n", "<|fim_prefix|>def<|fim_suffix|>:<|fim_middle|>",
              "<|endofprompt|>", "<|extra_id_0|><|extra_id_10|><|extra_id_1|>", "<|extra_id_11|>", "|||IP_ADDRESS|||", "ip=|||IP_ADDRESS|||.",
              "|||EMAIL_ADDRESS||| and |||PHONE_NUMBER|||", "||||IP_ADDRESS||||", "|||IP_ADDRESS", "<|user|>\nhello\n<|assistant|>\n",
              "<|system|>\nBe brief.\n<|user|>\nWhy?\n<|assistant|>\nBecause.<|endoftext|>\n", "<s></s>[INST]<<SYS>>", "<|endoftext|>\u0301",
              "e<|endoftext|>\u0301", "  <|endoftext|>  ", "\u00a0<|endoftext|>", "|||IP_ADDRESS|||\u0301", "<|ENDOFTEXT|>"]:
        add(s)
    # --- controls and oddities
    for s in ["\x00", "a\x00b", "\x01\x02\x03\x1f", "\x7f", "tab\x0bvt", "\x1c\x1d\x1e\x1f", "\ufffd", "\ue000\uf8ff",
              "\uffff\ufffe", "\U0010ffff", "\U000e0001", "\u00ad soft\u00adhyphen", "\u2060word\u2060joiner", "\u200e\u200f",
              "\u202a\u202e reversed \u202c", "~`!@#$%^&*()_+-={}[]|\\:;\"'<>,.?/", "....", "?!?!", "((()))", "[[[]]]", "<<>>",
              "a.b.c", "a,b;c:d", "...and then", "'quoted'", "\"double\"", "x'", "'x", "O'Neil's", "don't!", "ok.\n\nNext"]:
        add(s)
    # --- seeded random mixes from a pool of every kind of character
    pool = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + "     \t\n\r" + "'.,;:!?-_()[]{}<>/\\|@#$%^&*+=~`\""
            + "éüñçßøåÆœ" + "\u0301\u0308\u0323\u0327" + "你好世界日本語한국어" + "ไทย" + "हिन्दी" + "عربي" + "Ωλζж" + "٣४５²½" + "😀👍🏽‍❤️🇺🇸"
            + "\u00a0\u3000\u2028\u0085\u200b\ufeff" + "\u1100\u1161\u11a8")
    words = ["the", "The", "THE", " of", "and", "'s", "'LL", "<|endoftext|>", "|||IP_ADDRESS|||", "<|im_start|>", "  ", "    ",
             "\n\n", "\r\n", "123", "4567", "naïve", "e\u0301", "😀", "中文", "http://x.y/z", "foo_bar", "fooBar", "\t"]
    rng = random.Random(20240601)
    for i in range(150):
        n = rng.randint(1, 40)
        add("".join(rng.choice(pool) for _ in range(n)))
    for i in range(100):
        n = rng.randint(1, 12)
        add("".join(rng.choice(words) + rng.choice(["", " ", "", "", ".", ","]) for _ in range(n)))
    seen, out = set(), []
    for s in c:
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def ref(tok_path, strings):
    tok = Tokenizer.from_file(tok_path)
    lines = []
    for s in strings:
        tok.encode_special_tokens = False
        ids = tok.encode(s, add_special_tokens=False).ids
        tok.encode_special_tokens = True
        ids2 = tok.encode(s, add_special_tokens=False).ids
        tok.encode_special_tokens = False
        dec = tok.decode(ids, skip_special_tokens=False)
        lines.append("%s\t%s\t%s" % (" ".join(map(str, ids)), "=" if ids2 == ids else " ".join(map(str, ids2)),
                                     "=" if dec == s else dec.encode("utf-8").hex()))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json-dir", default=os.path.join(ROOT, "build", "tokenizers"))
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args()
    strings = corpus()
    assert len(strings) >= 500, len(strings)
    todo = [("fixture", os.path.join(ROOT, "tests", "data", "tokenizer", "tokenizer.json"))]
    for name, (fn, blob) in SOURCES.items():
        p = os.path.join(a.json_dir, fn)
        if not os.path.exists(p):
            sys.exit("tokenizer_ref.py: %s is missing; run tools/fetch_tokenizers.sh %s" % (p, a.json_dir))
        if git_blob(p) != blob:
            sys.exit("tokenizer_ref.py: %s has blob %s, expected %s" % (p, git_blob(p), blob))
        todo.append((name, p))
    with open(os.path.join(a.out, "corpus.txt"), "w", encoding="ascii", newline="\n") as f:
        for s in strings:
            f.write(s.encode("utf-8").hex() + "\n")
    for name, p in todo:
        lines = ref(p, strings)
        with open(os.path.join(a.out, "ids_%s.txt" % name), "w", encoding="ascii", newline="\n") as f:
            f.write("\n".join(lines) + "\n")
        lossless = sum(1 for l in lines if l.endswith("\t="))
        print("%s: %d strings, %d tokens, %d decode losslessly (tokenizers %s)" % (
            name, len(lines), sum(len(l.split("\t")[0].split()) for l in lines), lossless, tokenizers.__version__))


if __name__ == "__main__":
    main()
