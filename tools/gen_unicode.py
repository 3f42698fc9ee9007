#!/usr/bin/env python3
"""Generate src/olmoe_unicode.inc: the Unicode tables of the olmoe.h tokenizer.

    pip install unicodedataplus==16.0.0.post1      # pinned in tools/reference/requirements.txt
    python3 tools/gen_unicode.py                   # writes src/olmoe_unicode.inc
    python3 tools/gen_unicode.py --check-hf        # also compares with HF `tokenizers` (if installed)

What olmoe.h must reproduce is what Hugging Face `tokenizers` (0.23) does, and that library takes
its Unicode data from two places of different ages:

  * the pre-tokenizer regexes run on Oniguruma (the `onig` crate), whose \\p{L}, \\p{N} and \\s are
    Unicode 16.0.0: \\p{L} = gc L* (Lu Ll Lt Lm Lo), \\p{N} = gc N* (Nd Nl No), \\s = White_Space;
  * the NFC normalizer is the `unicode-normalization-alignments` crate, whose tables are
    Unicode 9.0.0 (its build script says UNICODE_VERSION = (9, 0, 0)).

Both sets of tables come from `unicodedataplus` 16.0.0 (Python's own `unicodedata` is 14.0.0 in
Python 3.11 and lacks the Age property). The Unicode 9.0.0 normalization data is the 16.0.0 data
restricted to code points whose Age is 9.0 or older. That is exact: the Unicode stability policy
freezes the canonical decomposition, the combining class and the composition exclusion of every
assigned character, so newer versions only add data for newer characters.

--check-hf runs both sets of tables against HF `tokenizers` over every code point (the regex
classes with a Split pre-tokenizer; NFC for every single code point, every primary composite pair
and every mark's reordering) and exits nonzero on any difference.
"""
import argparse
import os
import sys

try:
    import unicodedataplus as ucd
except ImportError:  # pragma: no cover
    sys.exit("gen_unicode.py: needs `pip install unicodedataplus==16.0.0.post1` (Unicode 16.0.0 with Age)")

CLASS_VERSION = "16.0.0"
NFC_VERSION = (9, 0)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "olmoe_unicode.inc")

# White_Space (PropList.txt); stable since Unicode 6.2 (no additions through 16.0).
WHITE_SPACE = [(0x09, 0x0D), (0x20, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680),
               (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000)]

ALL = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]


def age(c):
    a = ucd.age(chr(c))
    if not a or a.lower() == "unassigned":
        return None
    return tuple(int(x) for x in a.split("."))


def in_nfc_version(c):
    a = age(c)
    return a is not None and a <= NFC_VERSION


def char_classes():
    """cls[c]: 0 other, 1 letter, 2 number, 3 white space."""
    ws = set()
    for a, b in WHITE_SPACE:
        ws.update(range(a, b + 1))
    cls = [0] * 0x110000
    for c in ALL:
        g = ucd.category(chr(c))
        if c in ws:
            cls[c] = 3
        elif g[0] == "L":
            cls[c] = 1
        elif g[0] == "N":
            cls[c] = 2
    return cls


def nfc_data():
    ccc, decomp = {}, {}
    for c in ALL:
        if not in_nfc_version(c):
            continue
        k = ucd.combining(chr(c))
        if k:
            ccc[c] = k
        d = ucd.decomposition(chr(c))
        if d and not d.startswith("<"):
            parts = [int(x, 16) for x in d.split()]
            assert len(parts) in (1, 2), (hex(c), d)
            assert all(in_nfc_version(p) for p in parts)
            # a primary composite is what NFC keeps: NFC(c) == c (singletons, non-starter
            # decompositions and the composition exclusions all fail this)
            composes = len(parts) == 2 and ucd.normalize("NFC", chr(c)) == chr(c)
            decomp[c] = (parts[0], parts[1] if len(parts) == 2 else 0, composes)
    return ccc, decomp


def ranges_of(cls):
    """Sorted (start, class) boundaries covering [0, 0x110000)."""
    out, prev = [], None
    for c in range(0x110000):
        k = cls[c]
        if k != prev:
            out.append((c, k))
            prev = k
    return out


def wrap(items, per_line, indent="    "):
    lines = []
    for i in range(0, len(items), per_line):
        lines.append(indent + ", ".join(items[i:i + per_line]) + ",")
    return "\n".join(lines)


def generate():
    cls = char_classes()
    bounds = ranges_of(cls)
    ccc, decomp = nfc_data()
    # ccc runs: (start, end, class)
    runs = []
    for c in sorted(ccc):
        if runs and runs[-1][1] == c - 1 and runs[-1][2] == ccc[c]:
            runs[-1][1] = c
        else:
            runs.append([c, c, ccc[c]])
    dec = sorted(decomp.items())
    comp_idx = sorted((i for i, (c, (a, b, ok)) in enumerate(dec) if ok), key=lambda i: (dec[i][1][0], dec[i][1][1]))
    maybe = sorted({dec[i][1][1] for i in comp_idx})
    # every code point below U+0300 is a starter, has no canonical decomposition that NFC changes
    # and never combines with what precedes it: the C code's fast path relies on that
    assert all(c >= 0x300 for c in ccc) and all(c >= 0x300 for c in maybe)
    assert all(c >= 0xC0 for c in decomp) and all(ok or c >= 0x300 for c, (a, b, ok) in decomp.items())
    assert len(dec) < 65536 and max(decomp) < (1 << 21)
    # the C code splits NFC work before every "stable" unit (class 0, not Maybe, not NFC_QC=No):
    # that is sound when such a unit's full decomposition also starts with a class-0 character
    # that never combines backwards
    maybe_set = set(maybe) | set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))

    def first(c):
        while c in decomp:
            c = decomp[c][0]
        return c
    for c, (a, b, ok) in decomp.items():
        if ok and c not in ccc and c not in maybe_set:
            f0 = first(c)
            assert f0 not in ccc and f0 not in maybe_set, hex(c)
    cl_words = ["0x%x" % ((s << 2) | k) for s, k in bounds]
    ccc_words = ["0x%x" % ((s << 8) | k) for s, e, k in runs]
    ccc_ends = ["0x%x" % e for s, e, k in runs]
    dec_words = ["0x%xULL" % (((1 << 63) if ok else 0) | (c << 42) | (a << 21) | b) for c, (a, b, ok) in dec]
    n_letters = sum(1 for c in ALL if cls[c] == 1)
    n_numbers = sum(1 for c in ALL if cls[c] == 2)
    txt = []
    w = txt.append
    w("/* olmoe.h Unicode tables (development file; inlined into olmoe.h). GENERATED by tools/gen_unicode.py")
    w("   from unicodedataplus %s (Unicode %s) -- do not edit by hand." % (getattr(ucd, "__version__", "16.0.0.post1"), ucd.unidata_version))
    w("")
    w("   Character classes: Unicode %s, the version of Oniguruma in Hugging Face `tokenizers` 0.23," % CLASS_VERSION)
    w("   whose regexes define \\p{L} = gc L* (%d code points), \\p{N} = gc N* (%d) and \\s = White_Space" % (n_letters, n_numbers))
    w("   (25 code points). Checked code point by code point against `tokenizers` (gen_unicode.py --check-hf).")
    w("   NFC: Unicode %d.%d.0, the version of the `unicode-normalization-alignments` crate that" % NFC_VERSION)
    w("   `tokenizers` normalizes with: the Unicode 16.0.0 data of the code points whose Age is <= 9.0")
    w("   (exact, by the normalization stability policy). Against full Unicode 16.0.0 NFC this differs in:")
    late_marks = [c for c in ALL if ucd.combining(chr(c)) and not in_nfc_version(c)]
    late_comps = [c for c in ALL if not in_nfc_version(c) and ucd.decomposition(chr(c))
                  and not ucd.decomposition(chr(c)).startswith("<") and len(ucd.decomposition(chr(c)).split()) == 2
                  and ucd.normalize("NFC", chr(c)) == chr(c)]
    w("   %d marks added after 9.0 with a nonzero combining class (treated as class 0, so never" % len(late_marks))
    w("   reordered): %s ...;" % " ".join("U+%04X" % c for c in late_marks[:8]))
    w("   and %d canonical compositions whose composite is newer (left uncomposed):" % len(late_comps))
    w("   %s ..." % " ".join("U+%04X" % c for c in late_comps[:8]))
    w("*/")
    w('#define OLMOE__UNICODE_CLASS_VERSION "%s"' % CLASS_VERSION)
    w('#define OLMOE__UNICODE_NFC_VERSION "%d.%d.0"' % NFC_VERSION)
    w("")
    w("/* Class boundaries, sorted: (first code point << 2) | class, class 0 other, 1 \\p{L}, 2 \\p{N},")
    w("   3 \\s. A class holds from its first code point up to the next entry's. */")
    w("#define OLMOE__UCLASS_N %d" % len(cl_words))
    w("static const uint32_t olmoe__uclass[OLMOE__UCLASS_N] = {")
    w(wrap(cl_words, 10))
    w("};")
    w("")
    w("/* Canonical combining classes (nonzero only): runs [start, end] of one class; start word is")
    w("   (start << 8) | class. */")
    w("#define OLMOE__UCCC_N %d" % len(runs))
    w("static const uint32_t olmoe__uccc_start[OLMOE__UCCC_N] = {")
    w(wrap(ccc_words, 10))
    w("};")
    w("static const uint32_t olmoe__uccc_end[OLMOE__UCCC_N] = {")
    w(wrap(ccc_ends, 10))
    w("};")
    w("")
    w("/* Canonical decompositions (one level; Hangul syllables are algorithmic), sorted by code point:")
    w("   bit 63 = primary composite (NFC composes it back), bits 42..62 the code point, 21..41 the")
    w("   first part, 0..20 the second part (0 for a singleton). */")
    w("#define OLMOE__UDECOMP_N %d" % len(dec_words))
    w("static const uint64_t olmoe__udecomp[OLMOE__UDECOMP_N] = {")
    w(wrap(dec_words, 4))
    w("};")
    w("")
    w("/* Primary composites: indices into olmoe__udecomp, sorted by (first part, second part). */")
    w("#define OLMOE__UCOMP_N %d" % len(comp_idx))
    w("static const uint16_t olmoe__ucomp[OLMOE__UCOMP_N] = {")
    w(wrap([str(i) for i in comp_idx], 16))
    w("};")
    w("")
    w("/* Code points that can combine with a preceding character (NFC_Quick_Check = Maybe), sorted;")
    w("   Hangul V and T jamo are handled in code. */")
    w("#define OLMOE__UMAYBE_N %d" % len(maybe))
    w("static const uint32_t olmoe__umaybe[OLMOE__UMAYBE_N] = {")
    w(wrap(["0x%x" % c for c in maybe], 12))
    w("};")
    return "\n".join(txt) + "\n", cls, ccc, decomp


def nfc_model(s, ccc, decomp):
    """NFC with the generated tables (a Python mirror of the C code), for --check-hf."""
    SB, LB, VB, TB, LC, VC, TC = 0xAC00, 0x1100, 0x1161, 0x11A7, 19, 21, 28
    NC, SC = VC * TC, LC * VC * TC
    comp = {(a, b): c for c, (a, b, ok) in decomp.items() if ok}

    def dec(c, out):
        if SB <= c < SB + SC:
            i = c - SB
            out.append(LB + i // NC)
            out.append(VB + (i % NC) // TC)
            if i % TC:
                out.append(TB + i % TC)
        elif c in decomp:
            a, b, _ = decomp[c]
            dec(a, out)
            if b:
                dec(b, out)
        else:
            out.append(c)

    buf = []
    for ch in s:
        dec(ord(ch), buf)
    # canonical order
    i = 0
    while i < len(buf):
        if ccc.get(buf[i], 0) == 0:
            i += 1
            continue
        j = i
        while j < len(buf) and ccc.get(buf[j], 0):
            j += 1
        buf[i:j] = sorted(buf[i:j], key=lambda c: ccc[c])
        i = j
    if not buf:
        return ""
    out = [buf[0]]
    starter = 0 if ccc.get(buf[0], 0) == 0 else None
    last = 0 if starter == 0 else 256
    for c in buf[1:]:
        k = ccc.get(c, 0)
        if starter is not None and (last < k or last == 0):
            s0 = out[starter]
            cc = None
            if LB <= s0 < LB + LC and VB <= c < VB + VC:
                cc = SB + ((s0 - LB) * VC + (c - VB)) * TC
            elif SB <= s0 < SB + SC and (s0 - SB) % TC == 0 and TB < c < TB + TC:
                cc = s0 + (c - TB)
            else:
                cc = comp.get((s0, c))
            if cc is not None:
                out[starter] = cc
                continue
        if k == 0:
            starter = len(out)
        last = k
        out.append(c)
    return "".join(map(chr, out))


def check_hf(cls, ccc, decomp):
    from tokenizers import Regex, normalizers, pre_tokenizers
    bad = 0
    s = "".join(chr(c) for c in ALL)
    for k, pat in ((1, r"\p{L}"), (2, r"\p{N}"), (3, r"\s")):
        kept = set()
        for piece, _ in pre_tokenizers.Split(Regex(pat), behavior="removed").pre_tokenize_str(s):
            kept.update(map(ord, piece))
        hf = set(ALL) - kept
        ours = {c for c in ALL if cls[c] == k}
        if hf != ours:
            bad += 1
            print("class %s differs: %d only in HF, %d only here" % (pat, len(hf - ours), len(ours - hf)))
        else:
            print("class %s: identical (%d code points)" % (pat, len(ours)))
    n = normalizers.NFC()
    cases = [chr(c) for c in ALL if c]
    marks = [c for c in ALL if ucd.combining(chr(c))]
    for m in (0x301, 0x316, 0x5B0, 0x35D, 0x345):
        cases += ["a" + chr(m) + chr(c) for c in marks]
    for c in ALL:
        d = ucd.decomposition(chr(c))
        if d and not d.startswith("<") and len(d.split()) == 2:
            a, b = (int(x, 16) for x in d.split())
            cases.append(chr(a) + chr(b))
            cases.append(chr(a) + "\u0316" + chr(b))
    cases += ["\u1100\u1161\u11a8", "\uac00\u11a8", "\u1100\u1161", "e\u0301\u0323", "\u0958\u0301"]
    got = n.normalize_str("\x00".join(cases)).split("\x00")
    assert len(got) == len(cases)
    diff = [(c, g) for c, g in zip(cases, got) if nfc_model(c, ccc, decomp) != g]
    print("NFC: %d cases, %d differ from HF" % (len(cases), len(diff)))
    for c, g in diff[:20]:
        print("  ", [hex(ord(x)) for x in c], "HF", [hex(ord(x)) for x in g])
    return bad + len(diff)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--check-hf", action="store_true")
    args = ap.parse_args()
    if ucd.unidata_version != CLASS_VERSION:
        sys.exit("gen_unicode.py: unicodedataplus has Unicode %s, need %s (pip install unicodedataplus==16.0.0.post1)"
                 % (ucd.unidata_version, CLASS_VERSION))
    text, cls, ccc, decomp = generate()
    with open(args.out, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    print("wrote %s (%d bytes)" % (os.path.relpath(args.out), len(text)))
    if args.check_hf and check_hf(cls, ccc, decomp):
        sys.exit(1)


if __name__ == "__main__":
    main()
