#!/usr/bin/env python3
"""Download Jane Austen's six novels (Debian package r-cran-janeaustenr) and write the
training / held-out text under build/train/.

    python3 tools/train/get_corpus.py            # from the repository root

Steps: `apt-get download r-cran-janeaustenr` (skipped if the .deb is already there),
`dpkg -x`, then read the package's lazy-load data base (data/Rdata.rdx + Rdata.rdb) without R:
Rdata.rdx is a gzip-compressed R serialization (XDR) of list(variables = name -> c(offset, length),
...); each Rdata.rdb entry at that offset is a 4-byte big-endian length followed by a zlib stream
of the serialized object, here a character vector with one element per line of the Gutenberg text.
The serialization is parsed with the `rdata` PyPI package (pure Python).

Text preparation (per novel): the hard-wrapped lines of each paragraph are joined with single
spaces, runs of spaces are collapsed to one, paragraphs are separated by one blank line ("\n\n"), underscores (Gutenberg's _italics_)
are removed, and the text is NFC-normalised.

Chapters: a chapter starts at a line matching ^(CHAPTER|Chapter) followed by a space; the text
before the first chapter heading (title, "By Jane Austen", "VOLUME I") belongs to chapter 0 of
that novel. Chapters are numbered 0,1,2,... globally over the six novels in the order
NOVELS below. Held-out chapters: global index i with i % 25 == 14 (11 chapters, about 4% of the text).
Everything else is training text.

Outputs (not committed):
  build/train/corpus/<novel>.txt          the cleaned novel
  build/train/corpus/train.txt            training chapters; novels separated by <|endoftext|>
  build/train/corpus/heldout.txt          held-out chapters; novels separated by <|endoftext|>
  build/train/corpus/heldout_chapters.txt which chapters were held out
"""
import gzip
import os
import re
import subprocess
import sys
import unicodedata
import warnings
import zlib

warnings.simplefilter("ignore")
import rdata  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORK = os.path.join(ROOT, "build", "train")
NOVELS = ["sensesensibility", "prideprejudice", "mansfieldpark", "emma", "northangerabbey", "persuasion"]
EOS = "<|endoftext|>"
HELD_MOD, HELD_REM = 25, 14


def fetch():
    os.makedirs(WORK, exist_ok=True)
    debs = [f for f in os.listdir(WORK) if f.startswith("r-cran-janeaustenr_") and f.endswith(".deb")]
    if not debs:
        subprocess.run(["apt-get", "download", "r-cran-janeaustenr"], cwd=WORK, check=True)
        debs = [f for f in os.listdir(WORK) if f.startswith("r-cran-janeaustenr_") and f.endswith(".deb")]
    deb = sorted(debs)[-1]
    pkg = os.path.join(WORK, "pkg")
    subprocess.run(["dpkg", "-x", os.path.join(WORK, deb), pkg], check=True)
    print("package:", deb)
    return os.path.join(pkg, "usr", "lib", "R", "site-library", "janeaustenr", "data")


def read_rdb(ddir):
    idx = rdata.conversion.convert(rdata.parser.parse_data(gzip.decompress(open(os.path.join(ddir, "Rdata.rdx"), "rb").read())))
    rdb = open(os.path.join(ddir, "Rdata.rdb"), "rb").read()
    out = {}
    for name, (off, ln) in idx["variables"].items():
        blob = rdb[int(off):int(off) + int(ln)]
        n = int.from_bytes(blob[:4], "big")
        raw = zlib.decompress(blob[4:])
        assert len(raw) == n
        out[str(name)] = [str(s) for s in rdata.conversion.convert(rdata.parser.parse_data(raw))]
    return out


def chapters(lines):
    """Split lines into chapters (list of lists of lines)."""
    chs = [[]]
    for ln in lines:
        if re.match(r"^(CHAPTER|Chapter) ", ln) and chs[-1]:
            chs.append([])
        chs[-1].append(ln)
    return chs


def clean(lines):
    paras, cur = [], []
    for ln in lines + [""]:
        ln = ln.strip()
        if ln:
            cur.append(ln)
        elif cur:
            paras.append(" ".join(cur))
            cur = []
    t = "\n\n".join(re.sub(r" {2,}", " ", p) for p in paras).replace("_", "")
    return unicodedata.normalize("NFC", t)


def main():
    books = read_rdb(fetch())
    cdir = os.path.join(WORK, "corpus")
    os.makedirs(cdir, exist_ok=True)
    gi = 0
    train_docs, held_docs, held_list = [], [], []
    ntr = nho = 0
    for nv in NOVELS:
        chs = chapters(books[nv])
        tr, ho = [], []
        for ci, ch in enumerate(chs):
            t = clean(ch)
            if gi % HELD_MOD == HELD_REM:
                ho.append(t)
                held_list.append(f"{gi}\t{nv}\t{ci}\t{ch[0]}")
            else:
                tr.append(t)
            gi += 1
        with open(os.path.join(cdir, nv + ".txt"), "w") as f:
            f.write("\n\n".join(clean(ch) for ch in chs) + "\n")
        train_docs.append("\n\n".join(tr))
        if ho:
            held_docs.append("\n\n".join(ho))
        print(f"{nv}: {len(chs)} chapters, held out {len(ho)}")
    train = EOS.join(d + "\n" for d in train_docs)
    held = EOS.join(d + "\n" for d in held_docs)
    open(os.path.join(cdir, "train.txt"), "w").write(train)
    open(os.path.join(cdir, "heldout.txt"), "w").write(held)
    open(os.path.join(cdir, "heldout_chapters.txt"), "w").write("\n".join(held_list) + "\n")
    print(f"total chapters {gi}; train {len(train)} chars, held-out {len(held)} chars")


if __name__ == "__main__":
    sys.exit(main())
