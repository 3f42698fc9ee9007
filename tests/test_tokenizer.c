/* Tokenizer tests: olmoe.h against Hugging Face `tokenizers` ids on tests/data/tokenizer/corpus.txt
   (written by tools/reference/tokenizer_ref.py) for the OLMoE and FlexOlmo (dolma2) tokenizers and
   the tiny fixture tokenizer, plus decode, streaming decode, invalid UTF-8 and buffer contracts.

   usage: test_tokenizer DATA_DIR GGUF_DIR [--fixture-gguf PATH]...
     DATA_DIR  tests/data/tokenizer
     GGUF_DIR  vocab-only GGUFs from `tools/reference/tokenizer_gguf.py --test-set GGUF_DIR`:
               fixture.gguf, and when tools/fetch_tokenizers.sh could fetch the OLMo tokenizers,
               olmoe.gguf, olmoe_llamacpp.gguf, dolma2.gguf (a missing one is reported as skipped)
     --fixture-gguf PATH  another GGUF holding the fixture tokenizer (e.g. `olmoe convert` of
               tests/data/olmoe_a), checked against the fixture ids too; the first one stands in
               for GGUF_DIR/fixture.gguf when that is missing (no Python needed then)
   Closing line: "N passed, M failed, K skipped". */
#include "../olmoe.h"
#include "test.h"
#include <time.h>
#include <pthread.h>

static int n_skipped;

typedef struct {
    unsigned char *text; size_t len;     /* corpus string */
    int32_t *ids; int n_ids;             /* HF encode */
    int32_t *ids_nosp; int n_nosp;       /* HF encode with encode_special_tokens = True */
    unsigned char *dec; size_t dec_len;  /* HF decode */
    int lossless;
} ref_case;

static unsigned char *unhex(const char *s, size_t n, size_t *len) {
    unsigned char *o = (unsigned char *)malloc(n / 2 + 1);
    size_t i;
    for (i = 0; i + 1 < n; i += 2) {
        unsigned v;
        if (sscanf(s + i, "%2x", &v) != 1) break;
        o[i / 2] = (unsigned char)v;
    }
    *len = n / 2;
    return o;
}

static int32_t *parse_ids(const char *s, size_t n, int *count) {
    int32_t *v = (int32_t *)malloc(sizeof(int32_t) * (n / 2 + 1));
    char *buf = (char *)malloc(n + 1), *p, *e;
    int k = 0;
    memcpy(buf, s, n);
    buf[n] = 0;
    for (p = buf;;) {
        long x = strtol(p, &e, 10);
        if (e == p) break;
        v[k++] = (int32_t)x;
        p = e;
    }
    free(buf);
    *count = k;
    return v;
}

/* splits text into lines (in place); returns count */
static int split_lines(char *text, char ***lines) {
    int n = 0, cap = 1024;
    char *p = text;
    *lines = (char **)malloc(sizeof(char *) * (size_t)cap);
    while (*p) {
        char *e = strchr(p, '\n');
        if (n == cap) *lines = (char **)realloc(*lines, sizeof(char *) * (size_t)(cap *= 2));
        (*lines)[n++] = p;
        if (!e) break;
        *e = 0;
        p = e + 1;
    }
    return n;
}

static ref_case *load_refs(const char *dir, const char *name, int *count) {
    char path[1024], *corpus, *ids, **cl, **il;
    int nc, ni, i;
    ref_case *rc;
    snprintf(path, sizeof path, "%s/corpus.txt", dir);
    corpus = t_read_file(path, NULL);
    snprintf(path, sizeof path, "%s/ids_%s.txt", dir, name);
    ids = t_read_file(path, NULL);
    if (!corpus || !ids) { free(corpus); free(ids); return NULL; }
    nc = split_lines(corpus, &cl);
    ni = split_lines(ids, &il);
    if (nc != ni) { printf("corpus.txt has %d lines, ids_%s.txt %d\n", nc, name, ni); return NULL; }
    rc = (ref_case *)calloc((size_t)nc, sizeof(ref_case));
    for (i = 0; i < nc; i++) {
        char *f1 = il[i], *f2 = strchr(f1, '\t'), *f3 = f2 ? strchr(f2 + 1, '\t') : NULL;
        if (!f3) { printf("ids_%s.txt line %d: malformed\n", name, i + 1); return NULL; }
        rc[i].text = unhex(cl[i], strlen(cl[i]), &rc[i].len);
        rc[i].ids = parse_ids(f1, (size_t)(f2 - f1), &rc[i].n_ids);
        f2++;
        if (f2[0] == '=') { rc[i].ids_nosp = rc[i].ids; rc[i].n_nosp = rc[i].n_ids; }
        else rc[i].ids_nosp = parse_ids(f2, (size_t)(f3 - f2), &rc[i].n_nosp);
        f3++;
        if (f3[0] == '=') { rc[i].lossless = 1; rc[i].dec = rc[i].text; rc[i].dec_len = rc[i].len; }
        else rc[i].dec = unhex(f3, strlen(f3), &rc[i].dec_len);
    }
    free(cl); free(il); free(corpus); free(ids);
    *count = nc;
    return rc;
}

static void free_refs(ref_case *rc, int n) {
    int i;
    for (i = 0; i < n; i++) {
        if (rc[i].ids_nosp != rc[i].ids) free(rc[i].ids_nosp);
        if (rc[i].dec != rc[i].text) free(rc[i].dec);
        free(rc[i].ids); free(rc[i].text);
    }
    free(rc);
}

static void print_esc(const unsigned char *s, size_t n) {
    size_t i;
    putchar('"');
    for (i = 0; i < n && i < 120; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7F && s[i] != '"' && s[i] != '\\') putchar(s[i]); else printf("\\x%02x", s[i]);
    }
    if (n > 120) printf("...");
    putchar('"');
}

static void print_ids(const char *what, const int32_t *v, int n) {
    int i;
    printf("    %s (%d):", what, n);
    for (i = 0; i < n && i < 40; i++) printf(" %d", v[i]);
    printf(n > 40 ? " ...\n" : "\n");
}

/* 1 if s[0..n) is well-formed UTF-8 made of complete sequences */
static int utf8_complete(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k, need;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c >= 0xE0 && c <= 0xEF) need = 2;
        else if (c >= 0xF0 && c <= 0xF4) need = 3;
        else return 0;
        if (i + need >= n) return 0;
        for (k = 1; k <= need; k++) if ((s[i + k] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[i + 1] < 0xA0) return 0;
        if (c == 0xED && s[i + 1] > 0x9F) return 0;
        if (c == 0xF0 && s[i + 1] < 0x90) return 0;
        if (c == 0xF4 && s[i + 1] > 0x8F) return 0;
        i += need + 1;
    }
    return 1;
}

static olmoe_model *load_vocab(const char *path) {
    char err[512];
    olmoe_model *m = NULL;
    olmoe_model_params p = olmoe_model_default_params();
    olmoe_result r;
    p.vocab_only = 1;
    r = olmoe_model_load(path, &p, &m, err, sizeof err);
    if (r != OLMOE_OK) { printf("load %s: %s (%s)\n", path, err, olmoe_result_str(r)); return NULL; }
    return m;
}

/* Compares one tokenizer with the HF reference over the whole corpus. */
static void check_parity(const char *label, const char *gguf, const ref_case *rc, int nc) {
    olmoe_model *m;
    int i, ok_ids = 0, ok_nosp = 0, ok_dec = 0, ok_stream = 0, ok_rt = 0, n_lossless = 0, shown = 0;
    int32_t *ids = NULL;
    int cap = 0;
    char *dec = NULL, *st = NULL;
    size_t dcap = 0;
    m = load_vocab(gguf);
    CHECK(m != NULL, "%s: load %s vocab-only", label, gguf);
    if (!m) return;
    for (i = 0; i < nc; i++) {
        const ref_case *c = &rc[i];
        int n, n2, dl, k, good, sl = 0, bad_chunk = 0;
        olmoe_detok d;
        /* ids */
        n = olmoe_tokenize(m, (const char *)c->text, c->len, ids, cap, 1);
        if (n > cap) {
            cap = n + 64;
            ids = (int32_t *)realloc(ids, sizeof(int32_t) * (size_t)cap);
            n = olmoe_tokenize(m, (const char *)c->text, c->len, ids, cap, 1);
        }
        good = n == c->n_ids && (n == 0 || memcmp(ids, c->ids, sizeof(int32_t) * (size_t)n) == 0);
        ok_ids += good;
        if (!good && shown++ < 8) {
            printf("  %s: case %d ", label, i + 1);
            print_esc(c->text, c->len);
            printf("\n");
            print_ids("hf    ", c->ids, c->n_ids);
            if (n >= 0) print_ids("olmoe ", ids, n); else printf("    olmoe error %d\n", n);
        }
        n2 = olmoe_tokenize(m, (const char *)c->text, c->len, ids, cap, 0);
        if (n2 > cap) {
            cap = n2 + 64;
            ids = (int32_t *)realloc(ids, sizeof(int32_t) * (size_t)cap);
            n2 = olmoe_tokenize(m, (const char *)c->text, c->len, ids, cap, 0);
        }
        good = n2 == c->n_nosp && (n2 == 0 || memcmp(ids, c->ids_nosp, sizeof(int32_t) * (size_t)n2) == 0);
        ok_nosp += good;
        if (!good && shown++ < 8) {
            printf("  %s: case %d (special tokens as text) ", label, i + 1);
            print_esc(c->text, c->len);
            printf("\n");
            print_ids("hf    ", c->ids_nosp, c->n_nosp);
            if (n2 >= 0) print_ids("olmoe ", ids, n2);
        }
        /* decode of the HF ids */
        dl = olmoe_detokenize(m, c->ids, c->n_ids, dec, dcap);
        if (dl >= 0 && (size_t)dl >= dcap) {
            dcap = (size_t)dl + 64;
            dec = (char *)realloc(dec, dcap);
            st = (char *)realloc(st, dcap + 16);
            dl = olmoe_detokenize(m, c->ids, c->n_ids, dec, dcap);
        }
        good = dl >= 0 && (size_t)dl == c->dec_len && memcmp(dec, c->dec, c->dec_len) == 0;
        ok_dec += good;
        if (!good && shown++ < 8) {
            printf("  %s: case %d decode differs: ", label, i + 1);
            if (dl >= 0) print_esc((const unsigned char *)dec, (size_t)dl);
            printf(" vs HF ");
            print_esc(c->dec, c->dec_len);
            printf("\n");
        }
        if (c->lossless) { n_lossless++; ok_rt += good; }
        /* streaming: chunks are complete UTF-8 and add up to the whole decode */
        olmoe_detok_init(&d);
        for (k = 0; k < c->n_ids; k++) {
            char chunk[8192];
            int r = olmoe_detok_push(&d, m, c->ids[k], chunk, sizeof chunk);
            if (r < 0 || !utf8_complete((const unsigned char *)chunk, (size_t)r)) { bad_chunk = 1; break; }
            if ((size_t)(sl + r) > dcap + 16) { bad_chunk = 1; break; }
            memcpy(st + sl, chunk, (size_t)r);
            sl += r;
        }
        if (!bad_chunk) {
            char chunk[4];
            int r = olmoe_detok_flush(&d, chunk, sizeof chunk);
            if (r < 0 || (size_t)(sl + r) > dcap + 16) bad_chunk = 1;
            else { memcpy(st + sl, chunk, (size_t)r); sl += r; }
        }
        good = !bad_chunk && dl >= 0 && sl == dl && memcmp(st, dec, (size_t)sl) == 0;
        ok_stream += good;
        if (!good && shown++ < 8) printf("  %s: case %d streaming decode differs\n", label, i + 1);
    }
    CHECK(ok_ids == nc, "%s: ids identical to HF on %d/%d strings", label, ok_ids, nc);
    CHECK(ok_nosp == nc, "%s: ids with special tokens read as text identical to HF on %d/%d", label, ok_nosp, nc);
    CHECK(ok_dec == nc, "%s: detokenize identical to HF decode on %d/%d", label, ok_dec, nc);
    CHECK(ok_rt == n_lossless, "%s: lossless round trip on %d/%d strings HF decodes losslessly", label, ok_rt, n_lossless);
    CHECK(ok_stream == nc, "%s: streaming decode complete-UTF-8 chunks equal the whole decode on %d/%d", label, ok_stream, nc);
    free(ids); free(dec); free(st);
    olmoe_model_free(m);
}

/* tests/data/tokenizer/cases.txt (make_fixtures.py): HEX(text) TAB ids TAB HEX(decode) */
static void check_fixture_cases(const char *dir, const char *gguf) {
    char path[1024], *txt, **lines;
    int n, i, ok = 0, total = 0;
    olmoe_model *m = load_vocab(gguf);
    snprintf(path, sizeof path, "%s/cases.txt", dir);
    txt = t_read_file(path, NULL);
    if (!m || !txt) { free(txt); olmoe_model_free(m); return; }
    n = split_lines(txt, &lines);
    for (i = 0; i < n; i++) {
        char *f2 = strchr(lines[i], '\t'), *f3 = f2 ? strchr(f2 + 1, '\t') : NULL;
        size_t tl;
        unsigned char *t;
        int32_t *want, got[4096];
        int nw, ng;
        if (!f3) continue;
        t = unhex(lines[i], (size_t)(f2 - lines[i]), &tl);
        want = parse_ids(f2 + 1, (size_t)(f3 - f2 - 1), &nw);
        ng = olmoe_tokenize(m, (const char *)t, tl, got, 4096, 1);
        total++;
        ok += ng == nw && memcmp(got, want, sizeof(int32_t) * (size_t)(nw > 0 ? nw : 0)) == 0;
        free(t); free(want);
    }
    CHECK(total > 0 && ok == total, "fixture: cases.txt (make_fixtures.py) ids identical on %d/%d", ok, total);
    free(lines); free(txt);
    olmoe_model_free(m);
}

/* Rust String::from_utf8_lossy, written independently of olmoe.h: the longest prefix of a
   well-formed sequence that cannot complete becomes one U+FFFD */
static int ref_lossy(const unsigned char *s, size_t n, unsigned char *out) {
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t need, k;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) { out[o++] = (unsigned char)c; i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c >= 0xE0 && c <= 0xEF) need = 2;
        else if (c >= 0xF0 && c <= 0xF4) need = 3;
        else need = 0;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
        for (k = 1; k <= need && i + k < n; k++) {
            unsigned b = s[i + k];
            if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) break;
        }
        if (need && k == need + 1) { memcpy(out + o, s + i, need + 1); o += need + 1; i += need + 1; continue; }
        memcpy(out + o, "\xef\xbf\xbd", 3);
        o += 3;
        i += need ? k : 1;
    }
    return (int)o;
}

static int pieces_concat(const olmoe_model *m, const int32_t *ids, int n, unsigned char *out, size_t cap) {
    size_t o = 0;
    int i;
    for (i = 0; i < n; i++) {
        int l = olmoe_token_to_piece(m, ids[i], (char *)out + o, cap - o);
        if (l < 0 || o + (size_t)l > cap) return -1;
        o += (size_t)l;
    }
    return (int)o;
}

/* Contracts that do not need HF: invalid UTF-8, small buffers, special ids, streaming splits. */
static void check_contracts(const char *label, const char *gguf, int nfc) {
    /* expected decodes hold for a vocabulary with a token for every byte (dolma2); OLMoE has none
       for the 13 bytes that never occur in UTF-8 (C0 C1 F5..FF), which are dropped, as HF drops a
       character outside the vocabulary; the rest is checked against ref_lossy */
    static const struct { const char *in; size_t n; const char *dec; size_t dn; } bad[] = {
        {"\xff", 1, "\xef\xbf\xbd", 3},
        {"abc\x80" "def", 7, "abc\xef\xbf\xbd" "def", 9},
        {"\xe2\x82" "A", 3, "\xef\xbf\xbd" "A", 4},
        {"\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9},
        {"\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 12},
        {"\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd", 6},
        {"x\xf0\x9f\x98", 4, "x\xef\xbf\xbd", 4},
        {"\xf0\x9f\x98\x80\xf0\x9f", 6, "\xf0\x9f\x98\x80\xef\xbf\xbd", 7},
        {"a\x00" "b", 3, "a\x00" "b", 3},
        {"  \xfe  it's  ", 11, "  \xef\xbf\xbd  it's  ", 13},
        {"\xe0\x80\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9},
        {"\xcc\x81\xff\xcc\x81", 5, "\xcc\x81\xef\xbf\xbd\xcc\x81", 7},
        {"\xe4\xbd\xa0\xe5\xa5", 5, "\xe4\xbd\xa0\xef\xbf\xbd", 6},
    };
    olmoe_model *m = load_vocab(gguf);
    int32_t ids[4096];
    unsigned char buf[16384], keep[64], lossy[256];
    char dec[16384];
    int i, n, ok, all_bytes = 1;
    uint32_t seed = 12345;
    const olmoe_config *cfg;
    if (!m) { CHECK(0, "%s: load %s", label, gguf); return; }
    cfg = olmoe_model_config(m);
    for (i = 0; i < 256; i++) {
        char b = (char)i;
        if (olmoe_tokenize(m, &b, 1, ids, 4, 1) != 1) all_bytes = 0;
    }
    /* invalid UTF-8: kept byte for byte by the pieces; decoded to U+FFFD like HF/Rust lossy */
    for (i = 0; i < (int)(sizeof bad / sizeof bad[0]); i++) {
        int pl, dl, nk = 0, nl;
        size_t k;
        char one;
        for (k = 0; k < bad[i].n; k++) { /* the bytes the vocabulary has a token for */
            one = bad[i].in[k];
            if (olmoe_tokenize(m, &one, 1, ids, 4, 1) == 1) keep[nk++] = (unsigned char)one;
        }
        nl = ref_lossy(keep, (size_t)nk, lossy);
        n = olmoe_tokenize(m, bad[i].in, bad[i].n, ids, 4096, 1);
        pl = n >= 0 ? pieces_concat(m, ids, n, buf, sizeof buf) : -1;
        dl = n >= 0 ? olmoe_detokenize(m, ids, n, dec, sizeof dec) : -1;
        CHECK(n >= 0 && pl == nk && memcmp(buf, keep, (size_t)nk) == 0 && dl == nl && memcmp(dec, lossy, (size_t)nl) == 0 &&
                  (!all_bytes || (nk == (int)bad[i].n && dl == (int)bad[i].dn && memcmp(dec, bad[i].dec, bad[i].dn) == 0)),
              "%s: invalid UTF-8 case %d: %d tokens; pieces give back the %d of %d bytes the vocabulary has; decode has U+FFFD",
              label, i, n, nk, (int)bad[i].n);
    }
    /* random bytes: never crash; without a normalizer the pieces give the exact bytes back */
    ok = 1;
    for (i = 0; i < 2000; i++) {
        unsigned char in[96];
        int len = 1 + (int)(seed % 95), k, pl;
        for (k = 0; k < len; k++) {
            seed = seed * 1664525u + 1013904223u;
            in[k] = (unsigned char)(seed >> 24);
            if ((seed >> 8) % 3 == 0) in[k] = (unsigned char)(0x20 + (seed >> 16) % 0x60);
        }
        n = olmoe_tokenize(m, (const char *)in, (size_t)len, ids, 4096, i & 1);
        if (n < 0) { ok = 0; break; }
        pl = pieces_concat(m, ids, n, buf, sizeof buf);
        if (pl < 0 || olmoe_detokenize(m, ids, n, dec, sizeof dec) < 0) { ok = 0; break; }
        if (!nfc && all_bytes && (pl != len || memcmp(buf, in, (size_t)len) != 0)) { ok = 0; break; }
    }
    CHECK(ok, "%s: 2000 random byte strings tokenize without error%s", label, !nfc && all_bytes ? " and their pieces give the bytes back" : "");
    /* small cap returns the needed count and writes a prefix */
    {
        static const char txt[] = "The quick brown fox jumps over the lazy dog, 12345 times! \xe4\xbd\xa0\xe5\xa5\xbd";
        int32_t full[256], part[4] = {-7, -7, -7, -7};
        int nf = olmoe_tokenize(m, txt, sizeof txt - 1, full, 256, 1);
        int n0 = olmoe_tokenize(m, txt, sizeof txt - 1, NULL, 0, 1);
        int n3 = olmoe_tokenize(m, txt, sizeof txt - 1, part, 3, 1);
        CHECK(nf > 3 && n0 == nf && n3 == nf && memcmp(part, full, 3 * sizeof(int32_t)) == 0 && part[3] == -7,
              "%s: cap 0 and cap 3 return the needed count %d; cap 3 writes exactly the first 3", label, nf);
        CHECK(olmoe_tokenize(m, "", 0, NULL, 0, 1) == 0 && olmoe_tokenize(m, NULL, 0, NULL, 0, 1) == 0,
              "%s: empty text gives 0 tokens", label);
        CHECK(olmoe_tokenize(m, NULL, 3, NULL, 0, 1) == OLMOE_ERR_INVALID_ARG && olmoe_tokenize(m, txt, 3, NULL, 2, 1) == OLMOE_ERR_INVALID_ARG,
              "%s: NULL text or out with a length/cap is OLMOE_ERR_INVALID_ARG", label);
    }
    /* token_to_piece buffer contract and id ranges */
    {
        char pb[8];
        int l = olmoe_token_to_piece(m, 300, NULL, 0), l2;
        memset(pb, 'Z', sizeof pb);
        l2 = olmoe_token_to_piece(m, 300, pb, 1);
        CHECK(l > 0 && l2 == l && (l == 1 || pb[1] == 'Z'), "%s: token_to_piece returns the length and writes at most n bytes", label);
        CHECK(olmoe_token_to_piece(m, -1, pb, sizeof pb) == OLMOE_ERR_TOKEN && olmoe_token_to_piece(m, cfg->n_vocab, pb, sizeof pb) == OLMOE_ERR_TOKEN,
              "%s: ids outside [0, n_vocab=%d) are OLMOE_ERR_TOKEN", label, cfg->n_vocab);
        CHECK(cfg->eos_id >= 0 && olmoe_token_is_special(m, cfg->eos_id) && !olmoe_token_is_special(m, 300) && !olmoe_token_is_special(m, -5),
              "%s: eos %d is special, a normal token is not", label, cfg->eos_id);
        ids[0] = cfg->eos_id;
        n = olmoe_detokenize(m, ids, 1, dec, sizeof dec);
        CHECK(n > 0 && olmoe_tokenize(m, dec, (size_t)n, ids + 1, 8, 1) == 1 && ids[1] == cfg->eos_id &&
                  olmoe_tokenize(m, dec, (size_t)n, ids + 1, 8, 0) > 1,
              "%s: eos text is one token with parse_special=1 and plain text with 0", label);
    }
    /* streaming on multi-byte characters split across tokens */
    {
        static const char txt[] = "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e "
                                  "\xe0\xb8\xa0\xe0\xb8\xb2\xe0\xb8\xa9\xe0\xb8\xb2 \xf0\x9d\x90\x8c\xf0\x9d\x90\x9a\xf0\x9f\x87\xba\xf0\x9f\x87\xb8";
        olmoe_detok d;
        char out[64 * 1024];
        int o = 0, partial_tokens = 0, good = 1, r;
        n = olmoe_tokenize(m, txt, sizeof txt - 1, ids, 4096, 1);
        olmoe_detok_init(&d);
        for (i = 0; i < n; i++) {
            char piece[256];
            int pl = olmoe_token_to_piece(m, ids[i], piece, sizeof piece);
            if (pl > 0 && !utf8_complete((const unsigned char *)piece, (size_t)pl)) partial_tokens++;
            r = olmoe_detok_push(&d, m, ids[i], out + o, sizeof out - (size_t)o);
            if (r < 0 || !utf8_complete((const unsigned char *)out + o, (size_t)r)) good = 0;
            if (r > 0) o += r;
        }
        r = olmoe_detok_flush(&d, out + o, 16);
        CHECK(good && r == 0 && o == (int)sizeof txt - 1 && memcmp(out, txt, sizeof txt - 1) == 0,
              "%s: streaming decode of emoji/CJK/Thai: %d of %d tokens are partial UTF-8, every chunk is complete", label, partial_tokens, n);
        CHECK(partial_tokens > 0 || nfc < 0, "%s: the streaming test does split characters across tokens", label);
        /* a pending partial sequence: cap too small is refused without losing state; flush gives U+FFFD */
        olmoe_detok_init(&d);
        if (partial_tokens) {
            for (i = 0; i < n; i++) {
                char piece[256];
                int pl = olmoe_token_to_piece(m, ids[i], piece, sizeof piece);
                if (pl > 0 && !utf8_complete((const unsigned char *)piece, (size_t)pl) && (unsigned char)piece[0] >= 0xC0) break;
            }
            if (i < n) {
                char small[1];
                r = olmoe_detok_push(&d, m, ids[i], out, sizeof out);
                CHECK(r >= 0 && d.n_pending > 0, "%s: a token ending inside a character leaves %d bytes pending", label, d.n_pending);
                r = olmoe_detok_flush(&d, small, sizeof small);
                CHECK(r == OLMOE_ERR_LIMIT && d.n_pending > 0, "%s: flush into a 1-byte buffer is refused, state kept", label);
                r = olmoe_detok_flush(&d, out, sizeof out);
                CHECK(r == 3 && memcmp(out, "\xef\xbf\xbd", 3) == 0 && d.n_pending == 0, "%s: flush of a pending prefix gives U+FFFD", label);
            }
        }
        ids[0] = cfg->n_vocab;
        CHECK(olmoe_detok_push(&d, m, cfg->n_vocab, out, sizeof out) == OLMOE_ERR_TOKEN && olmoe_detokenize(m, ids, 1, out, sizeof out) == OLMOE_ERR_TOKEN,
              "%s: detok of an id >= n_vocab is OLMOE_ERR_TOKEN", label);
    }
    olmoe_model_free(m);
}

/* Throughput on a large text (the corpus repeated, about 8 MB). Informational. */
static void bench(const char *label, const char *gguf, const ref_case *rc, int nc) {
    olmoe_model *m = load_vocab(gguf);
    size_t total = 0, o = 0, target = 8u << 20;
    char *text;
    int i, n;
    clock_t t0;
    double s;
    if (!m) return;
    for (i = 0; i < nc; i++) total += rc[i].len + 1;
    text = (char *)malloc(target + total);
    while (o < target)
        for (i = 0; i < nc; i++) { memcpy(text + o, rc[i].text, rc[i].len); o += rc[i].len; text[o++] = '\n'; }
    t0 = clock();
    n = olmoe_tokenize(m, text, o, NULL, 0, 1);
    s = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("info %s: tokenize %.1f MB of corpus text -> %d tokens in %.2f s = %.1f MB/s (one thread)\n", label, o / 1e6, n, s, o / 1e6 / (s > 0 ? s : 1e-9));
    free(text);
    olmoe_model_free(m);
}

/* Several threads tokenize and decode with one model at once (the model is immutable; each call
   has its own scratch). Run under TSan by the sanitizer targets. */
typedef struct { const olmoe_model *m; const ref_case *rc; int nc, bad; } thread_job;
static void *thread_main(void *arg) {
    thread_job *j = (thread_job *)arg;
    int i, n;
    int32_t ids[8192];
    char dec[65536];
    for (i = 0; i < j->nc; i++) {
        n = olmoe_tokenize(j->m, (const char *)j->rc[i].text, j->rc[i].len, ids, 8192, 1);
        if (n != j->rc[i].n_ids || (n > 0 && memcmp(ids, j->rc[i].ids, sizeof(int32_t) * (size_t)n) != 0)) j->bad++;
        n = olmoe_detokenize(j->m, j->rc[i].ids, j->rc[i].n_ids, dec, sizeof dec);
        if (n != (int)j->rc[i].dec_len || memcmp(dec, j->rc[i].dec, j->rc[i].dec_len) != 0) j->bad++;
    }
    return NULL;
}
static void check_threads(const char *label, const char *gguf, const ref_case *rc, int nc) {
    olmoe_model *m = load_vocab(gguf);
    pthread_t th[4];
    thread_job jobs[4];
    int i, bad = 0, started = 0;
    if (!m) return;
    for (i = 0; i < 4; i++) {
        jobs[i].m = m; jobs[i].rc = rc; jobs[i].nc = nc; jobs[i].bad = 0;
        if (pthread_create(&th[i], NULL, thread_main, &jobs[i]) == 0) started++; else break;
    }
    for (i = 0; i < started; i++) { pthread_join(th[i], NULL); bad += jobs[i].bad; }
    CHECK(started == 4 && bad == 0, "%s: 4 threads tokenizing and decoding with one model agree with HF (%d mismatches)", label, bad);
    olmoe_model_free(m);
}

static int file_exists(const char *p) {
    FILE *f = fopen(p, "rb");
    if (f) fclose(f);
    return f != NULL;
}

int main(int argc, char **argv) {
    static const struct { const char *label, *file, *ids; int nfc; } sets[] = {
        {"fixture", "fixture.gguf", "fixture", 1},
        {"olmoe", "olmoe.gguf", "olmoe", 1},
        {"olmoe(llama.cpp keys)", "olmoe_llamacpp.gguf", "olmoe", 1},
        {"dolma2", "dolma2.gguf", "dolma2", 0},
    };
    const char *data, *gdir;
    int s, i, n_extra = 0;
    t_verbose = 1;
    if (argc < 3) { fprintf(stderr, "usage: test_tokenizer DATA_DIR GGUF_DIR [--fixture-gguf PATH]...\n"); return 2; }
    data = argv[1];
    gdir = argv[2];
    for (i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--fixture-gguf") && i + 1 < argc) { n_extra++; i++; continue; }
        fprintf(stderr, "test_tokenizer: unknown argument '%s'\n", argv[i]);
        return 2;
    }
    for (s = 0; s < (int)(sizeof sets / sizeof sets[0]); s++) {
        char path[1024];
        ref_case *rc;
        int nc = 0, first_extra = 0;
        snprintf(path, sizeof path, "%s/%s", gdir, sets[s].file);
        if (s == 0 && !file_exists(path) && n_extra) { /* the fixture set from a converted model */
            for (i = 3; i + 1 < argc; i += 2) if (file_exists(argv[i + 1])) break;
            if (i + 1 < argc) { snprintf(path, sizeof path, "%s", argv[i + 1]); first_extra = i + 1; }
        }
        if (!file_exists(path)) {
            printf("SKIP %s: %s is missing (tools/fetch_tokenizers.sh DIR, then tools/reference/tokenizer_gguf.py --test-set DIR)\n",
                   sets[s].label, path);
            n_skipped++;
            continue;
        }
        rc = load_refs(data, sets[s].ids, &nc);
        CHECK(rc != NULL && nc >= 500, "%s: %d reference strings in %s/ids_%s.txt", sets[s].label, nc, data, sets[s].ids);
        if (!rc) continue;
        check_parity(sets[s].label, path, rc, nc);
        if (s == 0) {
            check_fixture_cases(data, path);
            for (i = 3; i + 1 < argc; i += 2)
                if (i + 1 != first_extra) {
                    if (file_exists(argv[i + 1])) check_parity(argv[i + 1], argv[i + 1], rc, nc);
                    else { printf("SKIP %s: missing\n", argv[i + 1]); n_skipped++; }
                }
        }
        if (s != 2) check_contracts(sets[s].label, path, sets[s].nfc);
        if (s == 0 || s == 3) check_threads(sets[s].label, path, rc, nc);
        if (s == 1 || s == 3) bench(sets[s].label, path, rc, nc);
        free_refs(rc, nc);
    }
    printf("%d passed, %d failed, %d skipped\n", t_pass, t_fail, n_skipped);
    return t_fail ? 1 : 0;
}
