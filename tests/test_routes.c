/* Checks `olmoe routes --json` output.

   test_routes ref REF.json GOT.json   against the Hugging Face reference of tools/reference/routes_ref.py:
                                       token ids identical, every token's top-k set identical in every
                                       layer, load / coactivation / per-domain load within 1e-6 (and, for
                                       an opt-out reference, the unmasked load, displaced share and
                                       redistribution)
   test_routes xml FILE.html           the report is well-formed XML (a small checker, so the test needs
                                       no xmllint)
   test_routes self GOT.json           invariants: each layer's load sums to 1, co-activation is 1 on the
                                       diagonal of used experts and in [0,1]; with --compare (the model
                                       itself) saturation is 1; with an opt-out the masked experts get no
                                       load and the redistribution sums to 1 */
#include "../tools/json.h"
#include "test.h"
#include <math.h>

static int load_doc(const char *path, json_doc *doc) {
    size_t len;
    char err[160], *b = t_read_file(path, &len);
    int ok;
    if (!b) { printf("FAIL cannot read %s\n", path); return 0; }
    ok = json_parse(b, len, 0, doc, err, sizeof err) == 0;
    if (!ok) printf("FAIL %s: %s\n", path, err);
    free(b);
    return ok;
}

/* max |a - b| over two equally shaped nested arrays of numbers; -1 if the shapes differ */
static double max_diff(const json_node *a, const json_node *b) {
    double m = 0, x, y;
    const json_node *p, *q;
    if (!a || !b) return -1;
    if (a->type == JSON_NUMBER && b->type == JSON_NUMBER) {
        json_double(a, &x); json_double(b, &y);
        return fabs(x - y);
    }
    if (a->type != JSON_ARRAY || b->type != JSON_ARRAY || a->count != b->count) return -1;
    for (p = a->child, q = b->child; p && q; p = p->next, q = q->next) {
        double d = max_diff(p, q);
        if (d < 0) return -1;
        if (d > m) m = d;
    }
    return m;
}

static long long geti(const json_node *o, const char *k) {
    long long v = -1;
    json_int(json_get(o, k), &v);
    return v;
}

static void sorted_set(const json_node *arr, int *out, int *n) {
    const json_node *p;
    int i, j;
    *n = 0;
    for (p = arr ? arr->child : NULL; p && *n < 64; p = p->next) { long long v = -1; json_int(p, &v); out[(*n)++] = (int)v; }
    for (i = 1; i < *n; i++)
        for (j = i; j > 0 && out[j - 1] > out[j]; j--) { int t = out[j]; out[j] = out[j - 1]; out[j - 1] = t; }
}

static void check_ref(const char *refp, const char *gotp) {
    json_doc rd, gd;
    const json_node *r, *g, *rdom, *gdom, *rt, *gt;
    double d;
    if (!load_doc(refp, &rd)) { t_fail++; return; }
    if (!load_doc(gotp, &gd)) { t_fail++; json_free(&rd); return; }
    r = json_root(&rd);
    g = json_root(&gd);
    CHECK(geti(r, "tokens") == geti(g, "tokens") && geti(r, "tokens") > 0, "%s: %lld tokens (reference %lld)", gotp, geti(g, "tokens"), geti(r, "tokens"));
    CHECK(geti(r, "n_layer") == geti(g, "n_layer") && geti(r, "n_expert") == geti(g, "n_expert") && geti(r, "n_expert_used") == geti(g, "n_expert_used"),
          "%s: layers, experts and top-k as the reference", gotp);
    d = max_diff(json_get(r, "load"), json_get(g, "load"));
    CHECK(d >= 0 && d <= 1e-6, "%s: load within 1e-6 of HF (max diff %.3g)", gotp, d);
    d = max_diff(json_get(r, "coactivation"), json_get(g, "coactivation"));
    CHECK(d >= 0 && d <= 1e-6, "%s: coactivation within 1e-6 of HF (max diff %.3g)", gotp, d);
    rdom = json_get(r, "domains");
    gdom = json_get(g, "domains");
    CHECK(rdom && gdom && rdom->count == gdom->count, "%s: %zu domains", gotp, gdom ? gdom->count : 0);
    for (rt = rdom ? rdom->child : NULL; rt; rt = rt->next) {
        const json_node *gg = json_get(gdom, rt->key);
        CHECK(gg && geti(gg, "tokens") == geti(rt, "tokens"), "%s: domain %s has %lld tokens", gotp, rt->key, geti(rt, "tokens"));
        d = max_diff(json_get(rt, "load"), json_get(gg, "load"));
        CHECK(d >= 0 && d <= 1e-6, "%s: domain %s load within 1e-6 (max diff %.3g)", gotp, rt->key, d);
    }
    /* opt-out reference: the unmasked load, the displaced share and the redistribution */
    if ((rt = json_get(r, "opt_out_effect"))) {
        static const char *keys[] = {"unmasked_load", "displaced", "redistribution"};
        int k;
        gt = json_get(g, "opt_out_effect");
        CHECK(gt != NULL, "%s: opt_out_effect present", gotp);
        for (k = 0; k < 3 && gt; k++) {
            d = max_diff(json_get(rt, keys[k]), json_get(gt, keys[k]));
            CHECK(d >= 0 && d <= 1e-6, "%s: opt-out %s within 1e-6 of HF with the expert removed (max diff %.3g)", gotp, keys[k], d);
        }
    }
    /* every token: same id, same top-k set in every layer */
    {
        long n_tok = 0, bad_id = 0, bad_set = 0, n_sets = 0;
        rt = json_get(r, "trace");
        gt = json_get(g, "trace");
        CHECK(rt && gt && rt->count == gt->count, "%s: a trace per domain (--trace)", gotp);
        if (rt && gt && rt->count == gt->count) {
            const json_node *a, *b;
            for (a = rt->child, b = gt->child; a && b; a = a->next, b = b->next) {
                const json_node *ta = json_get(a, "tokens"), *tb = json_get(b, "tokens"), *x, *y;
                if (!ta || !tb || ta->count != tb->count) { bad_id++; continue; }
                for (x = ta->child, y = tb->child; x && y; x = x->next, y = y->next) {
                    const json_node *ea = json_get(x, "experts"), *eb = json_get(y, "experts"), *la, *lb;
                    n_tok++;
                    if (geti(x, "id") != geti(y, "id")) bad_id++;
                    if (!ea || !eb || ea->count != eb->count) { bad_set++; continue; }
                    for (la = ea->child, lb = eb->child; la && lb; la = la->next, lb = lb->next) {
                        int sa[64], sb[64], na, nb;
                        sorted_set(la, sa, &na);
                        sorted_set(lb, sb, &nb);
                        n_sets++;
                        if (na != nb || memcmp(sa, sb, (size_t)na * sizeof(int))) bad_set++;
                    }
                }
            }
        }
        CHECK(n_tok > 0 && bad_id == 0, "%s: %ld token ids as HF tokenizers gives them", gotp, n_tok);
        CHECK(n_sets > 0 && bad_set == 0, "%s: %ld top-k sets identical to HF (%ld differ)", gotp, n_sets, bad_set);
    }
    json_free(&rd);
    json_free(&gd);
}

static void check_self(const char *gotp) {
    json_doc gd;
    const json_node *g, *load, *co, *row, *lay, *sat, *eff;
    int l = 0, bad_sum = 0, bad_diag = 0, bad_range = 0;
    if (!load_doc(gotp, &gd)) { t_fail++; return; }
    g = json_root(&gd);
    load = json_get(g, "load");
    co = json_get(g, "coactivation");
    CHECK(load && co && load->count == co->count && (long long)load->count == geti(g, "n_layer"), "%s: load and coactivation for every layer", gotp);
    for (row = load ? load->child : NULL, lay = co ? co->child : NULL; row && lay; row = row->next, lay = lay->next, l++) {
        const json_node *v, *ci;
        double s = 0, x;
        int e = 0;
        for (v = row->child; v; v = v->next) { json_double(v, &x); s += x; }
        if (fabs(s - 1) > 1e-6) bad_sum++;
        for (ci = lay->child, v = row->child; ci && v; ci = ci->next, v = v->next, e++) {
            const json_node *cj;
            int j = 0;
            double used;
            json_double(v, &used);
            for (cj = ci->child; cj; cj = cj->next, j++) {
                json_double(cj, &x);
                if (x < 0 || x > 1 + 1e-12) bad_range++;
                if (j == e && used > 0 && x != 1) bad_diag++;
            }
        }
    }
    CHECK(l > 0 && bad_sum == 0, "%s: every layer's load sums to 1", gotp);
    CHECK(bad_diag == 0 && bad_range == 0, "%s: co-activation in [0,1], 1 on the diagonal of used experts", gotp);
    if ((sat = json_get(g, "saturation"))) {
        double d = 0, x;
        const json_node *v;
        for (v = json_get(sat, "shared") ? json_get(sat, "shared")->child : NULL; v; v = v->next) { json_double(v, &x); if (fabs(x - 1) > d) d = fabs(x - 1); }
        CHECK(json_get(sat, "shared") && d == 0, "%s: saturation against the same model is 1 in every layer", gotp);
    }
    if ((eff = json_get(g, "opt_out_effect"))) {
        const json_node *al = json_get(eff, "allowed"), *rd = json_get(eff, "redistribution"), *a, *v;
        int bad_masked = 0, bad_rd = 0, n_masked = 0;
        for (row = load ? load->child : NULL; row; row = row->next)
            for (a = al ? al->child : NULL, v = row->child; a && v; a = a->next, v = v->next) {
                long long ok = 1;
                double x;
                json_int(a, &ok);
                json_double(v, &x);
                if (!ok) { n_masked++; if (x != 0) bad_masked++; }
            }
        for (row = rd ? rd->child : NULL; row; row = row->next) {
            double s = 0, x;
            for (a = al ? al->child : NULL, v = row->child; a && v; a = a->next, v = v->next) {
                long long ok = 1;
                json_int(a, &ok);
                json_double(v, &x);
                if (!ok && x != 0) bad_rd++;
                s += x;
            }
            if (fabs(s - 1) > 1e-6 && s != 0) bad_rd++;
        }
        CHECK(n_masked > 0 && bad_masked == 0, "%s: masked experts get no load", gotp);
        CHECK(rd && bad_rd == 0, "%s: redistribution goes to allowed experts and sums to 1", gotp);
    }
    json_free(&gd);
}

/* ---- XML well-formedness (what the report must satisfy; no DTD, no namespaces checked) ------- */
static int xml_name_char(unsigned char c, int first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80 ||
           (!first && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
}
/* well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF) and no C0 controls but tab/LF/CR */
static const char *xml_utf8(const unsigned char *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i], len, j, cp;
        if (c < 0x80) {
            if (c < 0x20 && c != 9 && c != 10 && c != 13) return "control character";
            i++;
            continue;
        }
        len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
        if (!len || c >= 0xF5 || i + len > n) return "bad UTF-8";
        cp = c & (0x7F >> len);
        for (j = 1; j < len; j++) {
            if ((p[i + j] & 0xC0) != 0x80) return "bad UTF-8";
            cp = cp << 6 | (p[i + j] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return "bad UTF-8";
        i += len;
    }
    return NULL;
}
/* an entity or character reference at p[i] == '&'; returns its length or 0 */
static size_t xml_ref(const char *p, size_t i, size_t n) {
    static const char *ents[] = {"&lt;", "&gt;", "&amp;", "&quot;", "&apos;"};
    size_t k, j;
    for (k = 0; k < 5; k++) if (n - i >= strlen(ents[k]) && !memcmp(p + i, ents[k], strlen(ents[k]))) return strlen(ents[k]);
    if (i + 3 < n && p[i + 1] == '#') {
        int hex = p[i + 2] == 'x';
        for (j = i + 2 + (size_t)hex; j < n && p[j] != ';'; j++)
            if (!(p[j] >= '0' && p[j] <= '9') && !(hex && ((p[j] >= 'a' && p[j] <= 'f') || (p[j] >= 'A' && p[j] <= 'F')))) return 0;
        if (j < n && j > i + 2 + (size_t)hex) return j - i + 1;
    }
    return 0;
}
/* returns NULL when well-formed, else a reason; *at gets the byte offset */
static const char *xml_check(const char *p, size_t n, size_t *at) {
    const char *stack[256];
    size_t slen[256], i = 0;
    int depth = 0, roots = 0;
    const char *e = xml_utf8((const unsigned char *)p, n);
    *at = 0;
    if (e) return e;
    while (i < n) {
        *at = i;
        if (p[i] == '&') {
            size_t r = xml_ref(p, i, n);
            if (!r) return "bad entity reference";
            i += r;
        } else if (p[i] != '<') {
            if (!depth && p[i] != ' ' && p[i] != '\n' && p[i] != '\t' && p[i] != '\r') return "text outside the root element";
            i++;
        } else if (n - i >= 4 && !memcmp(p + i, "<!--", 4)) {
            const char *end = strstr(p + i + 4, "-->");
            if (!end) return "unterminated comment";
            i = (size_t)(end - p) + 3;
        } else if (n - i >= 9 && !memcmp(p + i, "<!DOCTYPE", 9)) {
            if (depth || roots) return "DOCTYPE inside the document";
            while (i < n && p[i] != '>') i++;
            i++;
        } else if (n - i >= 2 && p[i + 1] == '?') {
            const char *end = strstr(p + i + 2, "?>");
            if (!end) return "unterminated processing instruction";
            i = (size_t)(end - p) + 2;
        } else if (n - i >= 2 && p[i + 1] == '/') {
            size_t b = i + 2, l;
            while (i < n && p[i] != '>') i++;
            if (i >= n) return "unterminated end tag";
            l = i - b;
            while (l && (p[b + l - 1] == ' ' || p[b + l - 1] == '\n')) l--;
            if (!depth || slen[depth - 1] != l || memcmp(stack[depth - 1], p + b, l)) return "end tag does not match the open element";
            depth--;
            i++;
        } else {
            /* start tag: name, attributes name="value" / name='value' (each name once), > or /> */
            size_t b = ++i, natt = 0, k;
            const char *an[64];
            size_t al[64];
            if (i >= n || !xml_name_char((unsigned char)p[i], 1)) return "bad tag name";
            while (i < n && xml_name_char((unsigned char)p[i], 0)) i++;
            if (!depth && roots++) return "a second root element";
            if (depth == 256) return "nesting too deep";
            stack[depth] = p + b;
            slen[depth] = i - b;
            for (;;) {
                size_t sp = i, a0;
                char q;
                while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\t' || p[i] == '\r')) i++;
                if (i >= n) return "unterminated start tag";
                if (p[i] == '>') { depth++; i++; break; }
                if (p[i] == '/' && i + 1 < n && p[i + 1] == '>') { i += 2; break; }
                if (sp == i) return "no space before an attribute";
                if (!xml_name_char((unsigned char)p[i], 1)) return "bad attribute name";
                a0 = i;
                while (i < n && xml_name_char((unsigned char)p[i], 0)) i++;
                for (k = 0; k < natt; k++) if (al[k] == i - a0 && !memcmp(an[k], p + a0, i - a0)) return "attribute given twice";
                if (natt < 64) { an[natt] = p + a0; al[natt++] = i - a0; }
                if (i >= n || p[i] != '=') return "attribute without a value";
                i++;
                if (i >= n || (p[i] != '"' && p[i] != '\'')) return "unquoted attribute value";
                q = p[i++];
                while (i < n && p[i] != q) {
                    if (p[i] == '<') return "< in an attribute value";
                    if (p[i] == '&') { size_t r = xml_ref(p, i, n); if (!r) return "bad entity reference"; i += r; }
                    else i++;
                }
                if (i >= n) return "unterminated attribute value";
                i++;
            }
        }
    }
    if (depth) return "unclosed element at the end";
    if (!roots) return "no root element";
    return NULL;
}

static void check_xml(const char *path) {
    size_t len, at;
    char *b = t_read_file(path, &len);
    const char *why;
    static const char *bad[] = {
        "<a><b></a></b>", "<a>x &nbsp; y</a>", "<a x=1/>", "<a x=\"1\" x=\"2\"/>", "<a>1 < 2</a>", "<a/><b/>",
        "<a>\x01</a>", "<a>\xC0\x80</a>", "<a>", "<a x=\"<\"/>", "<a><!-- x </a>"};
    size_t k;
    int fooled = 0;
    const char *good;
    if (!b) { CHECK(0, "read %s", path); return; }
    why = xml_check(b, len, &at);
    if (why) CHECK(0, "%s is well-formed XML: %s at byte %zu", path, why, at);
    else CHECK(1, "%s is well-formed XML (%zu bytes)", path, len);
    free(b);
    /* the checker itself rejects each kind of ill-formed input */
    for (k = 0; k < sizeof bad / sizeof bad[0]; k++) if (!xml_check(bad[k], strlen(bad[k]), &at)) { fooled++; printf("     checker accepted: %s\n", bad[k]); }
    good = "<a x='1'><b/>&amp;&#160;&#x263a;<!-- c --></a>";
    CHECK(fooled == 0 && !xml_check(good, strlen(good), &at), "the XML checker rejects %zu ill-formed samples and accepts a good one", sizeof bad / sizeof bad[0]);
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "ref")) check_ref(argv[2], argv[3]);
    else if (argc == 3 && !strcmp(argv[1], "self")) check_self(argv[2]);
    else if (argc == 3 && !strcmp(argv[1], "xml")) check_xml(argv[2]);
    else { fprintf(stderr, "usage: test_routes ref REF.json GOT.json | self GOT.json | xml FILE.html\n"); return 2; }
    printf("%d passed, %d failed\n", t_pass, t_fail);
    return t_fail ? 1 : 0;
}
