/* build/olmoe routes: the OLMoE paper's routing analyses (section 5) on the user's own text.

   olmoe routes -m MODEL.gguf --domain NAME=FILE [--domain ...] [--compare MODEL2] [--opt-out LIST]
                [-o report.html] [--json report.json] [--layers 0,7,15] [--trace] [-c N]

   Every text is tokenized as `olmoe tokenize` does (no BOS) and evaluated as one sequence when it
   fits the context, else in consecutive windows of the context length, each from an empty cache.
   The route callback records every token's top-k experts in every layer; the statistics are
   computed afterwards from that record (2 bytes per token, layer and slot).

   JSON (STABLE: add keys, never change them):
     "load"          [layer][expert]  share of all routed slots of that layer (sums to 1)
     "coactivation"  [layer][i][j]    P(j among a token's top-k | i among them); a row of an expert
                                      that was never chosen is all 0
     "domains"       {NAME: {"tokens", "texts", "load", "token_share", "specialization"}}
   and every other number the HTML shows: "load_cv", "load_max_over_uniform", "vocabulary", per-domain
   "named_share" (files with expert names), "saturation" (--compare), "opt_out_effect" (--opt-out:
   "unmasked_load", "displaced", "redistribution"). --trace adds each token's id and top-k experts per
   layer (for tests).

   --opt-out runs the model twice, masked (the report's numbers) and unmasked (for opt_out_effect);
   with --compare the second model runs under the same mask. */
#include "cli.h"
#include "json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define RT_NONE 0xFFFFu      /* an unused slot (K clamped by an opt-out mask) */
#define RT_VOCAB_TOP 6       /* tokens listed per expert */
#define RT_MAX_DOMAINS 64

typedef struct rt_text { int32_t *ids; int n; } rt_text;
typedef struct rt_domain {
    const char *name, *path;
    rt_text *texts;
    int n_texts;
    long start, n_tok;       /* the domain's tokens in the global record: [start, start + n_tok) */
    int owns_name;
} rt_domain;

/* one model run over all texts: ex[(tok * L + layer) * K + slot] */
typedef struct rt_record { uint16_t *ex; long n_tok; int L, K, E; } rt_record;

/* what the route callback writes into: the window being evaluated starts at token `base` */
typedef struct rt_sink { rt_record *rec; long base; int n_window; } rt_sink;

static void rt_route_cb(const olmoe_route_info *ri, void *user) {
    rt_sink *s = (rt_sink *)user;
    rt_record *r = s->rec;
    uint16_t *dst;
    int k;
    if (ri->layer < 0 || ri->layer >= r->L || ri->pos < 0 || ri->pos >= s->n_window) return;
    dst = r->ex + ((size_t)(s->base + ri->pos) * r->L + ri->layer) * r->K;
    for (k = 0; k < r->K; k++) dst[k] = (uint16_t)(k < ri->n_used ? (unsigned)ri->experts[k] : RT_NONE);
}

static char *rt_read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    size_t n = 0, cap = 1 << 16, r;
    char *buf;
    if (!f) return NULL;
    buf = (char *)malloc(cap + 1);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = (char *)realloc(buf, (cap *= 2) + 1);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    if (buf && ferror(f)) { free(buf); buf = NULL; }
    fclose(f);
    if (buf) buf[n] = 0;
    *len = n;
    return buf;
}

static int rt_ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* Tokenize one text and append it to the domain (an empty text adds nothing). */
static int rt_add_text(const olmoe_model *m, rt_domain *d, const char *text, size_t len) {
    int n = olmoe_tokenize(m, text, len, NULL, 0, 1);
    int32_t *ids;
    rt_text *nt;
    if (n < 0) {
        fprintf(stderr, "routes: cannot tokenize %s: %s%s\n", d->path, olmoe_result_str((olmoe_result)n),
                n == OLMOE_ERR_UNSUPPORTED ? " (the model file has no tokenizer this build can run)" : "");
        return -1;
    }
    if (n == 0) return 0;
    ids = (int32_t *)malloc((size_t)n * sizeof(int32_t));
    nt = (rt_text *)realloc(d->texts, (size_t)(d->n_texts + 1) * sizeof(rt_text));
    if (!ids || !nt) { free(ids); if (nt) d->texts = nt; fprintf(stderr, "routes: out of memory\n"); return -1; }
    d->texts = nt;
    if (olmoe_tokenize(m, text, len, ids, n, 1) != n) { free(ids); fprintf(stderr, "routes: tokenizer error on %s\n", d->path); return -1; }
    d->texts[d->n_texts].ids = ids;
    d->texts[d->n_texts].n = n;
    d->n_texts++;
    d->n_tok += n;
    return 0;
}

/* A .jsonl file holds one {"text": ...} object per line (each its own sequence); any other file
   is one text. */
static int rt_load_domain(const olmoe_model *m, rt_domain *d) {
    size_t len;
    char *buf = rt_read_all(d->path, &len);
    int rc = 0;
    if (!buf) { fprintf(stderr, "routes: cannot read domain '%s' file %s\n", d->name, d->path); return -1; }
    if (rt_ends_with(d->path, ".jsonl")) {
        size_t p = 0;
        long line = 0;
        while (p < len && rc == 0) {
            size_t e = p;
            json_doc doc;
            char err[160];
            const char *t;
            while (e < len && buf[e] != '\n') e++;
            line++;
            {
                size_t q = p;
                while (q < e && (buf[q] == ' ' || buf[q] == '\t' || buf[q] == '\r')) q++;
                if (q == e) { p = e + 1; continue; }
            }
            if (json_parse(buf + p, e - p, 0, &doc, err, sizeof err) != 0) {
                fprintf(stderr, "routes: %s line %ld: %s\n", d->path, line, err);
                rc = -1;
            } else if (!(t = json_str(json_get(json_root(&doc), "text")))) {
                fprintf(stderr, "routes: %s line %ld: expected an object with a string \"text\"\n", d->path, line);
                rc = -1;
            } else
                rc = rt_add_text(m, d, t, json_get(json_root(&doc), "text")->len);
            json_free(&doc);
            p = e + 1;
        }
    } else
        rc = rt_add_text(m, d, buf, len);
    free(buf);
    if (rc == 0 && d->n_tok == 0) { fprintf(stderr, "routes: domain '%s' (%s) tokenizes to nothing\n", d->name, d->path); rc = -1; }
    return rc;
}

/* Run one model over every text and record the routes. */
static int rt_run(const char *path, const olmoe_model *m, int threads, int kernels, int n_ctx, const char *optout,
                  rt_domain *dom, int n_dom, long n_total, rt_record *rec, const char *label) {
    const olmoe_config *cf = olmoe_model_config(m);
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    olmoe_ctx *c;
    char err[512];
    olmoe_result r;
    rt_sink sink;
    long done = 0;
    int d, t;
    cp.n_ctx = n_ctx;
    cp.n_threads = threads;
    cp.kernels = kernels;
    if ((r = olmoe_ctx_create(m, &cp, &c, err, sizeof err)) != OLMOE_OK) {
        fprintf(stderr, "routes: %s: %s\n", path, err);
        return -1;
    }
    if (optout && (r = olmoe_ctx_opt_out(c, optout)) != OLMOE_OK) {
        fprintf(stderr, "routes: --opt-out %s: %s\n", optout, olmoe_ctx_last_error(c));
        olmoe_ctx_free(c);
        return -1;
    }
    n_ctx = olmoe_ctx_n_ctx(c);
    rec->L = cf->n_layer;
    rec->K = cf->n_expert_used;
    rec->E = cf->n_expert;
    rec->n_tok = n_total;
    rec->ex = (uint16_t *)malloc((size_t)n_total * rec->L * rec->K * sizeof(uint16_t));
    if (!rec->ex) { fprintf(stderr, "routes: out of memory for the routing record\n"); olmoe_ctx_free(c); return -1; }
    memset(rec->ex, 0xFF, (size_t)n_total * rec->L * rec->K * sizeof(uint16_t));
    sink.rec = rec;
    olmoe_ctx_set_route_callback(c, rt_route_cb, &sink, 0);
    for (d = 0; d < n_dom; d++) {
        long base = dom[d].start;
        for (t = 0; t < dom[d].n_texts; t++) {
            const rt_text *tx = &dom[d].texts[t];
            int w;
            for (w = 0; w < tx->n; w += n_ctx) {
                int nw = tx->n - w < n_ctx ? tx->n - w : n_ctx;
                olmoe_ctx_truncate(c, 0);
                sink.base = base + w;
                sink.n_window = nw;
                if ((r = olmoe_ctx_eval(c, tx->ids + w, nw, 0)) != OLMOE_OK) {
                    fprintf(stderr, "routes: %s, domain '%s': %s\n", path, dom[d].name, olmoe_ctx_last_error(c));
                    olmoe_ctx_free(c);
                    return -1;
                }
                done += nw;
                if (n_total > n_ctx) fprintf(stderr, "routes: %s: %ld/%ld tokens\n", label, done, n_total);
            }
            base += tx->n;
        }
    }
    olmoe_ctx_free(c);
    return 0;
}

/* ---- statistics --------------------------------------------------------------------------- */
typedef struct rt_stats {
    int L, E, K;
    long n_tok;
    double *load;       /* [L][E] */
    double *share;      /* [L][E] share of tokens that chose e */
    double *cv;         /* [L] coefficient of variation of load[l] */
    double *spec;       /* [L] 0.5 * sum_e |load - 1/E|: 0 = uniform */
    double *coact;      /* [L][E][E] or NULL */
} rt_stats;

static void rt_stats_free(rt_stats *s) { free(s->load); free(s->share); free(s->cv); free(s->spec); free(s->coact); }

static int rt_stats_compute(const rt_record *r, long a, long b, int with_coact, rt_stats *s) {
    int L = r->L, E = r->E, K = r->K, l, e, i, j;
    long t;
    double *cnt, *slots;
    memset(s, 0, sizeof *s);
    s->L = L; s->E = E; s->K = K; s->n_tok = b - a;
    s->load = (double *)calloc((size_t)L * E, sizeof(double));
    s->share = (double *)calloc((size_t)L * E, sizeof(double));
    s->cv = (double *)calloc((size_t)L, sizeof(double));
    s->spec = (double *)calloc((size_t)L, sizeof(double));
    if (with_coact) s->coact = (double *)calloc((size_t)L * E * E, sizeof(double));
    cnt = (double *)calloc((size_t)L * E, sizeof(double));
    slots = (double *)calloc((size_t)L, sizeof(double));
    if (!s->load || !s->share || !s->cv || !s->spec || (with_coact && !s->coact) || !cnt || !slots) {
        free(cnt); free(slots); rt_stats_free(s);
        return -1;
    }
    for (t = a; t < b; t++)
        for (l = 0; l < L; l++) {
            const uint16_t *x = r->ex + ((size_t)t * L + l) * K;
            for (i = 0; i < K; i++) {
                if (x[i] == RT_NONE || x[i] >= E) continue;
                cnt[(size_t)l * E + x[i]] += 1;
                slots[l] += 1;
                if (s->coact)
                    for (j = 0; j < K; j++)
                        if (x[j] != RT_NONE && x[j] < E) s->coact[((size_t)l * E + x[i]) * E + x[j]] += 1;
            }
        }
    for (l = 0; l < L; l++) {
        double mean = 1.0 / E, var = 0;
        for (e = 0; e < E; e++) {
            double c = cnt[(size_t)l * E + e];
            s->load[(size_t)l * E + e] = slots[l] > 0 ? c / slots[l] : 0;
            s->share[(size_t)l * E + e] = s->n_tok > 0 ? c / (double)s->n_tok : 0;
            var += (s->load[(size_t)l * E + e] - mean) * (s->load[(size_t)l * E + e] - mean);
            s->spec[l] += 0.5 * fabs(s->load[(size_t)l * E + e] - mean);
        }
        s->cv[l] = sqrt(var / E) / mean;
        if (s->coact)
            for (i = 0; i < E; i++) {
                double ci = cnt[(size_t)l * E + i];
                for (j = 0; j < E; j++) {
                    double *p = &s->coact[((size_t)l * E + i) * E + j];
                    *p = ci > 0 ? *p / ci : 0;
                }
            }
    }
    free(cnt); free(slots);
    return 0;
}

/* per layer: mean over tokens of |topk_A & topk_B| / |topk_A| */
static void rt_saturation(const rt_record *a, const rt_record *b, double *out) {
    int l, i, j;
    long t;
    for (l = 0; l < a->L; l++) {
        double sum = 0;
        for (t = 0; t < a->n_tok; t++) {
            const uint16_t *x = a->ex + ((size_t)t * a->L + l) * a->K, *y = b->ex + ((size_t)t * b->L + l) * b->K;
            int n = 0, same = 0;
            for (i = 0; i < a->K; i++) {
                if (x[i] == RT_NONE) continue;
                n++;
                for (j = 0; j < b->K; j++) if (y[j] == x[i]) { same++; break; }
            }
            sum += n ? (double)same / n : 0;
        }
        out[l] = a->n_tok ? sum / a->n_tok : 0;
    }
}

/* opt-out: per layer, the share of replacement slots (in the masked run's top-k, not in the
   baseline's) each expert took; *displaced[l]: slots the baseline gave to now-masked experts */
static void rt_redistribution(const rt_record *base, const rt_record *masked, const uint8_t *allowed,
                              double *redis, double *displaced) {
    int L = base->L, E = base->E, l, i, j;
    long t;
    for (l = 0; l < L; l++) {
        double tot = 0;
        displaced[l] = 0;
        for (i = 0; i < E; i++) redis[(size_t)l * E + i] = 0;
        for (t = 0; t < base->n_tok; t++) {
            const uint16_t *x = base->ex + ((size_t)t * L + l) * base->K, *y = masked->ex + ((size_t)t * L + l) * masked->K;
            for (i = 0; i < base->K; i++)
                if (x[i] != RT_NONE && !allowed[x[i]]) displaced[l] += 1;
            for (i = 0; i < masked->K; i++) {
                int in_base = 0;
                if (y[i] == RT_NONE) continue;
                for (j = 0; j < base->K; j++) if (x[j] == y[i]) { in_base = 1; break; }
                if (!in_base) { redis[(size_t)l * E + y[i]] += 1; tot += 1; }
            }
        }
        for (i = 0; i < E; i++) if (tot > 0) redis[(size_t)l * E + i] /= tot;
        displaced[l] = base->n_tok ? displaced[l] / ((double)base->n_tok * base->K) : 0;
    }
}

/* vocabulary specialization in one layer: for each expert, the tokens (seen at least min_count
   times) with the largest fraction of their occurrences routed to it; ties by count, then id */
typedef struct rt_vocab { int32_t id; long count, total; double frac; } rt_vocab;
typedef struct rt_pair { int32_t id; long n; } rt_pair;

static int rt_cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}
static int rt_cmp_vocab(const void *a, const void *b) {
    const rt_vocab *x = (const rt_vocab *)a, *y = (const rt_vocab *)b;
    if (x->frac != y->frac) return x->frac > y->frac ? -1 : 1;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static long rt_lookup(const rt_pair *p, long n, int32_t id) {
    long lo = 0, hi = n - 1;
    while (lo <= hi) {
        long mid = (lo + hi) / 2;
        if (p[mid].id == id) return p[mid].n;
        if (p[mid].id < id) lo = mid + 1; else hi = mid - 1;
    }
    return 0;
}

/* out: [E][RT_VOCAB_TOP], n_out[e] entries each */
static int rt_vocab_layer(const rt_record *r, const int32_t *ids, int layer, long min_count, rt_vocab *out, int *n_out) {
    long n = r->n_tok, t, np = 0, i, ncand;
    int E = r->E, K = r->K, e, k;
    int32_t *sorted = (int32_t *)malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    int32_t *mine = (int32_t *)malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    rt_pair *occ = (rt_pair *)malloc((size_t)(n ? n : 1) * sizeof(rt_pair));
    rt_vocab *cand = (rt_vocab *)malloc((size_t)(n ? n : 1) * sizeof(rt_vocab));
    if (!sorted || !mine || !occ || !cand) { free(sorted); free(mine); free(occ); free(cand); return -1; }
    memcpy(sorted, ids, (size_t)n * sizeof(int32_t));
    qsort(sorted, (size_t)n, sizeof(int32_t), rt_cmp_i32);
    for (t = 0; t < n; t++) {
        if (np && occ[np - 1].id == sorted[t]) occ[np - 1].n++;
        else { occ[np].id = sorted[t]; occ[np].n = 1; np++; }
    }
    for (e = 0; e < E; e++) {
        long nm = 0;
        for (t = 0; t < n; t++) {
            const uint16_t *x = r->ex + ((size_t)t * r->L + layer) * K;
            for (k = 0; k < K; k++) if (x[k] == e) { mine[nm++] = ids[t]; break; }
        }
        qsort(mine, (size_t)nm, sizeof(int32_t), rt_cmp_i32);
        ncand = 0;
        for (i = 0; i < nm;) {
            long j = i, tot;
            while (j < nm && mine[j] == mine[i]) j++;
            tot = rt_lookup(occ, np, mine[i]);
            if (tot >= min_count) {
                cand[ncand].id = mine[i];
                cand[ncand].count = j - i;
                cand[ncand].total = tot;
                cand[ncand].frac = (double)(j - i) / (double)tot;
                ncand++;
            }
            i = j;
        }
        qsort(cand, (size_t)ncand, sizeof(rt_vocab), rt_cmp_vocab);
        n_out[e] = ncand < RT_VOCAB_TOP ? (int)ncand : RT_VOCAB_TOP;
        memcpy(out + (size_t)e * RT_VOCAB_TOP, cand, (size_t)n_out[e] * sizeof(rt_vocab));
    }
    free(sorted); free(mine); free(occ); free(cand);
    return 0;
}

/* ---- output helpers ------------------------------------------------------------------------ */
/* A token's bytes as readable, well-formed UTF-8: spaces as U+2423, newlines as \n, other control
   bytes and bytes outside a well-formed UTF-8 sequence as \xNN. */
static void rt_visible(const olmoe_model *m, int32_t id, char *out, size_t cap) {
    char piece[256];
    int n = olmoe_token_to_piece(m, id, piece, sizeof piece - 1), i = 0;
    size_t o = 0;
    if (n < 0) n = 0;
    if (n > (int)sizeof piece - 1) n = (int)sizeof piece - 1;
    while (i < n && o + 8 < cap) {
        unsigned char c = (unsigned char)piece[i];
        int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 && c >= 0xC2 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 && c <= 0xF4 ? 4 : 0, j, ok = len > 0 && i + len <= n;
        for (j = 1; ok && j < len; j++) ok = ((unsigned char)piece[i + j] & 0xC0) == 0x80;
        if (ok && len == 3) {
            unsigned c1 = (unsigned char)piece[i + 1];
            ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
        }
        if (ok && len == 4) {
            unsigned c1 = (unsigned char)piece[i + 1];
            ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
        }
        if (ok && len == 1) {
            if (c == ' ') { memcpy(out + o, "\xE2\x90\xA3", 3); o += 3; }
            else if (c == '\n') { memcpy(out + o, "\\n", 2); o += 2; }
            else if (c < 0x20 || c == 0x7F) o += (size_t)sprintf(out + o, "\\x%02x", c);
            else out[o++] = (char)c;
            i++;
        } else if (ok) {
            memcpy(out + o, piece + i, (size_t)len);
            o += (size_t)len;
            i += len;
        } else {
            o += (size_t)sprintf(out + o, "\\x%02x", c);
            i++;
        }
    }
    out[o] = 0;
}

static void rt_json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void rt_xml_str(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else if ((unsigned char)*s < 0x20) fputc(' ', f);
        else fputc(*s, f);
    }
}

static void rt_json_vec(FILE *f, const double *v, int n) {
    int i;
    fputc('[', f);
    for (i = 0; i < n; i++) fprintf(f, i ? ",%.9g" : "%.9g", v[i]);
    fputc(']', f);
}
static void rt_json_mat(FILE *f, const double *v, int rows, int cols, const char *indent) {
    int i;
    fputc('[', f);
    for (i = 0; i < rows; i++) {
        fprintf(f, "%s\n%s", i ? "," : "", indent);
        rt_json_vec(f, v + (size_t)i * cols, cols);
    }
    fputc(']', f);
}

/* ---- HTML: inline SVG only, no scripts, well-formed XML (XHTML syntax) ---------------------- */
/* white -> blue for a value in [0, 1] */
static void rt_seq_color(double v, char *out) {
    int r, g, b;
    if (!(v >= 0)) v = 0;
    if (v > 1) v = 1;
    r = (int)(255 - v * (255 - 33));
    g = (int)(255 - v * (255 - 64));
    b = (int)(255 - v * (255 - 154));
    sprintf(out, "#%02x%02x%02x", r, g, b);
}
/* diverging around the uniform share: blue below, white at, red above (log2 ratio clamped to +-2) */
static void rt_div_color(double v, double uniform, char *out) {
    double x = v > 0 ? log(v / uniform) / log(2.0) : -2;
    int r, g, b;
    if (x > 2) x = 2;
    if (x < -2) x = -2;
    x /= 2;
    if (x >= 0) { r = 255 - (int)(x * (255 - 178)); g = 255 - (int)(x * (255 - 24)); b = 255 - (int)(x * (255 - 43)); }
    else { x = -x; r = 255 - (int)(x * (255 - 33)); g = 255 - (int)(x * (255 - 102)); b = 255 - (int)(x * (255 - 172)); }
    sprintf(out, "#%02x%02x%02x", r, g, b);
}

static const char *rt_palette[8] = { "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666" };

typedef struct rt_report {
    const char *model_path, *compare_path, *optout;
    const olmoe_model *m;
    int L, E, K;
    char **names;             /* [E] expert labels */
    int has_names;
    rt_domain *dom;
    int n_dom;
    long n_tok;
    rt_stats all;
    rt_stats *dstats;         /* [n_dom] */
    int *layers; int n_layers;/* co-activation / vocabulary / bar layers */
    rt_vocab *vocab; int *vocab_n;  /* [n_layers][E][RT_VOCAB_TOP], [n_layers][E] */
    long vocab_min;
    double *saturation;       /* [L] or NULL */
    rt_stats base;            /* opt-out: the unmasked run (base.load NULL without --opt-out) */
    double *redis, *displaced;
    uint8_t *allowed;
    int32_t *ids;             /* [n_tok] */
    rt_record rec;
} rt_report;

static void rt_heatmap(FILE *f, const double *v, int rows, int cols, const char *rowlab, const char *collab,
                       char **colnames, int diverging, double uniform, int cell) {
    int named = colnames && cols <= 16, i, j, left = 46, top = named ? 78 : 34, w = left + cols * cell + 40, h = top + rows * cell + 24;
    char col[8];
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"10\">\n", w, h);
    fprintf(f, "<text x=\"%d\" y=\"12\">%s</text>\n", left, collab);
    for (j = 0; j < cols; j++)
        if (cols <= 32 || j % 8 == 0) {
            int x = left + j * cell + cell / 2;
            /* expert names are slanted so that long ones do not run into each other */
            if (named) fprintf(f, "<text x=\"%d\" y=\"%d\" transform=\"rotate(-45 %d %d)\">", x, top - 4, x, top - 4);
            else fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", x, top - 4);
            if (named) rt_xml_str(f, colnames[j]); else fprintf(f, "%d", j);
            fputs("</text>\n", f);
        }
    for (i = 0; i < rows; i++) {
        if (rows <= 32 || i % 8 == 0)
            fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>\n", left - 4, top + i * cell + cell / 2 + 4, i);
        for (j = 0; j < cols; j++) {
            double x = v[(size_t)i * cols + j];
            if (diverging) rt_div_color(x, uniform, col); else rt_seq_color(x, col);
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s %d, expert %d: %.4f</title></rect>\n",
                    left + j * cell, top + i * cell, cell, cell, col, rowlab, i, j, x);
        }
    }
    fprintf(f, "<text x=\"4\" y=\"%d\">%s</text>\n", top + rows * cell + 16, rowlab);
    fputs("</svg>\n", f);
}

/* grouped bars: per expert, one bar per domain (token share), dashed line at k/E */
static void rt_bars(FILE *f, const rt_report *R, int layer) {
    int E = R->E, D = R->n_dom, e, d, barw = 640 / (E * D) < 2 ? 2 : 640 / (E * D) > 16 ? 16 : 640 / (E * D), gw = barw * D + 4, left = 40, top = 10, ph = 120;
    int w = left + E * gw + 10, h = top + ph + (R->has_names && E <= 16 ? 64 : 30);
    double maxv = (double)R->K / E * 2, ux;
    for (d = 0; d < D; d++)
        for (e = 0; e < E; e++) if (R->dstats[d].share[(size_t)layer * E + e] > maxv) maxv = R->dstats[d].share[(size_t)layer * E + e];
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"10\">\n", w, h);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>\n", left, top + ph, w - 10, top + ph);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.2f</text>\n", left - 3, top + 8, maxv);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", left - 3, top + ph);
    for (e = 0; e < E; e++) {
        for (d = 0; d < D; d++) {
            double v = R->dstats[d].share[(size_t)layer * E + e];
            int bh = (int)(v / maxv * ph + 0.5);
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>",
                    left + e * gw + d * barw, top + ph - bh, barw, bh, rt_palette[d % 8]);
            rt_xml_str(f, R->dom[d].name);
            fprintf(f, ", expert %d: %.4f of its tokens</title></rect>\n", e, v);
        }
        if (E <= 32 || e % 8 == 0) {
            int x = left + e * gw + gw / 2, y = top + ph + 12;
            if (R->has_names && E <= 16) {
                fprintf(f, "<text x=\"%d\" y=\"%d\" transform=\"rotate(30 %d %d)\">", x - 3, y, x - 3, y);
                rt_xml_str(f, R->names[e]);
            } else fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%d", x, y, e);
            fputs("</text>\n", f);
        }
    }
    ux = top + ph - (double)R->K / E / maxv * ph;
    fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#000\" stroke-dasharray=\"4 3\"><title>uniform k/E = %.4f</title></line>\n",
            left, ux, w - 10, ux, (double)R->K / E);
    fprintf(f, "<text x=\"4\" y=\"%d\">expert</text>\n", top + ph + 12);
    fputs("</svg>\n", f);
}

static void rt_legend(FILE *f, const rt_report *R) {
    int d;
    fputs("<p>", f);
    for (d = 0; d < R->n_dom; d++) {
        fprintf(f, "<span class=\"sw\" style=\"background:%s\">&#160;</span> ", rt_palette[d % 8]);
        rt_xml_str(f, R->dom[d].name);
        fputs(" &#160; ", f);
    }
    fputs("</p>\n", f);
}

static int rt_write_html(const rt_report *R, const char *path) {
    char tmp[4096], col[8];
    FILE *f;
    int l, e, d, i;
    if (strlen(path) + 5 > sizeof tmp) { fprintf(stderr, "routes: output path too long\n"); return -1; }
    sprintf(tmp, "%s.tmp", path);
    if (!(f = fopen(tmp, "wb"))) { fprintf(stderr, "routes: cannot write %s\n", tmp); return -1; }
    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>Routing report: ", f);
    rt_xml_str(f, R->model_path);
    fputs("</title>\n<style>\nbody{font-family:sans-serif;margin:1.5em;max-width:1200px;color:#222}\n"
          "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}\n"
          "td.t,th.t{text-align:left;font-family:monospace}h2{border-bottom:1px solid #ccc;margin-top:1.6em}\n"
          ".sw{display:inline-block;width:12px}.note{color:#555;font-size:13px}svg{margin:4px}\n</style>\n</head>\n<body>\n", f);
    fputs("<h1>Routing report</h1>\n<p>Model <code>", f);
    rt_xml_str(f, R->model_path);
    fprintf(f, "</code>: %d layers, %d experts, top-%d. %ld tokens in %d domain%s.", R->L, R->E, R->K, R->n_tok, R->n_dom, R->n_dom == 1 ? "" : "s");
    if (R->optout) { fputs(" Opted out: <code>", f); rt_xml_str(f, R->optout); fputs("</code>.", f); }
    fputs("</p>\n<table><tr><th>domain</th><th>file</th><th>texts</th><th>tokens</th></tr>\n", f);
    for (d = 0; d < R->n_dom; d++) {
        fputs("<tr><td class=\"t\">", f); rt_xml_str(f, R->dom[d].name);
        fputs("</td><td class=\"t\">", f); rt_xml_str(f, R->dom[d].path);
        fprintf(f, "</td><td>%d</td><td>%ld</td></tr>\n", R->dom[d].n_texts, R->dom[d].n_tok);
    }
    fputs("</table>\n", f);

    fprintf(f, "<h2>Expert load</h2>\n<p class=\"note\">Share of each layer's routed slots per expert. White is the uniform share 1/E = %.4f, "
               "red up to 4&#215; more, blue down to 4&#215; less. Hover a cell for its value.</p>\n", 1.0 / R->E);
    rt_heatmap(f, R->all.load, R->L, R->E, "layer", "expert", R->has_names ? R->names : NULL, 1, 1.0 / R->E, R->E > 32 ? 10 : R->E > 16 ? 16 : 30);
    fputs("<table><tr><th>layer</th>", f);
    for (l = 0; l < R->L; l++) fprintf(f, "<th>%d</th>", l);
    fputs("</tr>\n<tr><th>load CV</th>", f);
    for (l = 0; l < R->L; l++) fprintf(f, "<td>%.3f</td>", R->all.cv[l]);
    fputs("</tr>\n<tr><th>max/uniform</th>", f);
    for (l = 0; l < R->L; l++) {
        double mx = 0;
        for (e = 0; e < R->E; e++) if (R->all.load[(size_t)l * R->E + e] > mx) mx = R->all.load[(size_t)l * R->E + e];
        fprintf(f, "<td>%.2f</td>", mx * R->E);
    }
    fputs("</tr></table>\n<p class=\"note\">Load CV: coefficient of variation (standard deviation / mean) of a layer's shares; 0 is perfectly balanced.</p>\n", f);

    fputs("<h2>Co-activation</h2>\n<p class=\"note\">Row i, column j: P(expert j is among a token's top-k | expert i is). "
          "White 0, dark blue 1; the diagonal is 1 for every expert that was used.</p>\n", f);
    for (i = 0; i < R->n_layers; i++) {
        fprintf(f, "<div style=\"display:inline-block;vertical-align:top\"><p>layer %d</p>\n", R->layers[i]);
        rt_heatmap(f, R->all.coact + (size_t)R->layers[i] * R->E * R->E, R->E, R->E, "expert i", "expert j", NULL, 0, 0,
                   R->E > 32 ? 5 : R->E > 16 ? 8 : 24);
        fputs("</div>\n", f);
    }

    fprintf(f, "<h2>Domain specialization</h2>\n<p class=\"note\">For each domain, the share of its tokens routed to each expert; "
               "the dashed line is the uniform k/E = %.4f. The score is half the L1 distance of the domain's load from uniform "
               "(0 = uniform, %.3f = every slot on k experts).</p>\n", (double)R->K / R->E, 1.0 - (double)R->K / R->E);
    rt_legend(f, R);
    for (i = 0; i < R->n_layers; i++) {
        fprintf(f, "<p>layer %d</p>\n", R->layers[i]);
        rt_bars(f, R, R->layers[i]);
    }
    fputs("<table><tr><th>specialization</th>", f);
    for (l = 0; l < R->L; l++) fprintf(f, "<th>layer %d</th>", l);
    fputs("</tr>\n", f);
    for (d = 0; d < R->n_dom; d++) {
        fputs("<tr><td class=\"t\">", f); rt_xml_str(f, R->dom[d].name); fputs("</td>", f);
        for (l = 0; l < R->L; l++) fprintf(f, "<td>%.4f</td>", R->dstats[d].spec[l]);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    if (R->has_names) {
        fputs("<h3>Named experts: share of each domain's tokens (all layers)</h3>\n<table><tr><th>domain</th>", f);
        for (e = 0; e < R->E; e++) { fputs("<th>", f); rt_xml_str(f, R->names[e]); fputs("</th>", f); }
        fputs("</tr>\n", f);
        for (d = 0; d < R->n_dom; d++) {
            fputs("<tr><td class=\"t\">", f); rt_xml_str(f, R->dom[d].name); fputs("</td>", f);
            for (e = 0; e < R->E; e++) {
                double s = 0;
                for (l = 0; l < R->L; l++) s += R->dstats[d].share[(size_t)l * R->E + e];
                fprintf(f, "<td>%.4f</td>", s / R->L);
            }
            fputs("</tr>\n", f);
        }
        fputs("</table>\n", f);
    }

    fprintf(f, "<h2>Vocabulary specialization</h2>\n<p class=\"note\">Per expert, the tokens (seen at least %ld times) with the "
               "largest fraction of their occurrences routed to it: fraction (occurrences). &#9251; is a space.</p>\n", R->vocab_min);
    for (i = 0; i < R->n_layers; i++) {
        fprintf(f, "<h3>layer %d</h3>\n<table><tr><th>expert</th><th class=\"t\">tokens</th></tr>\n", R->layers[i]);
        for (e = 0; e < R->E; e++) {
            int j, n = R->vocab_n[(size_t)i * R->E + e];
            fputs("<tr><td class=\"t\">", f); rt_xml_str(f, R->names[e]); fputs("</td><td class=\"t\">", f);
            for (j = 0; j < n; j++) {
                const rt_vocab *v = &R->vocab[((size_t)i * R->E + e) * RT_VOCAB_TOP + j];
                char vis[1100];
                rt_visible(R->m, v->id, vis, sizeof vis);
                fputs(j ? " &#160; <b>" : "<b>", f);
                rt_xml_str(f, vis);
                fprintf(f, "</b> %.2f (%ld)", v->frac, v->total);
            }
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }

    if (R->saturation) {
        fputs("<h2>Router saturation</h2>\n<p class=\"note\">Per layer, the fraction of this model's top-k experts that <code>", f);
        rt_xml_str(f, R->compare_path);
        fputs("</code> also chose on the same tokens.</p>\n<table><tr><th>layer</th>", f);
        for (l = 0; l < R->L; l++) fprintf(f, "<th>%d</th>", l);
        fputs("</tr>\n<tr><th>shared</th>", f);
        for (l = 0; l < R->L; l++) {
            rt_seq_color(R->saturation[l], col);
            fprintf(f, "<td style=\"background:%s;color:%s\">%.4f</td>", col, R->saturation[l] > 0.55 ? "#fff" : "#222", R->saturation[l]);
        }
        fputs("</tr></table>\n", f);
    }

    if (R->base.load) {
        fputs("<h2>Opt-out</h2>\n<p class=\"note\">The load above is with the experts masked. Here: the load without the mask, the share "
              "of slots the masked experts had, and where the replacement slots (experts in the masked run's top-k that were not in "
              "the unmasked run's) went.</p>\n<p>Load without the mask:</p>\n", f);
        rt_heatmap(f, R->base.load, R->L, R->E, "layer", "expert", R->has_names ? R->names : NULL, 1, 1.0 / R->E, R->E > 32 ? 10 : R->E > 16 ? 16 : 30);
        fputs("<p>Share of replacement slots per expert:</p>\n", f);
        rt_heatmap(f, R->redis, R->L, R->E, "layer", "expert", R->has_names ? R->names : NULL, 0, 0, R->E > 32 ? 10 : R->E > 16 ? 16 : 30);
        fputs("<table><tr><th>layer</th>", f);
        for (l = 0; l < R->L; l++) fprintf(f, "<th>%d</th>", l);
        fputs("</tr>\n<tr><th>slots displaced</th>", f);
        for (l = 0; l < R->L; l++) fprintf(f, "<td>%.4f</td>", R->displaced[l]);
        fputs("</tr></table>\n", f);
    }
    fputs("<p class=\"note\">Written by <code>olmoe routes</code>.</p>\n</body>\n</html>\n", f);
    if (fclose(f) != 0 || rename(tmp, path) != 0) { fprintf(stderr, "routes: cannot write %s\n", path); remove(tmp); return -1; }
    return 0;
}

static int rt_write_json(const rt_report *R, const char *path, int trace) {
    char tmp[4096];
    FILE *f;
    int l, e, d, i;
    if (strlen(path) + 5 > sizeof tmp) { fprintf(stderr, "routes: output path too long\n"); return -1; }
    sprintf(tmp, "%s.tmp", path);
    if (!(f = fopen(tmp, "wb"))) { fprintf(stderr, "routes: cannot write %s\n", tmp); return -1; }
    fputs("{\n\"model\": ", f); rt_json_str(f, R->model_path);
    fprintf(f, ",\n\"n_layer\": %d, \"n_expert\": %d, \"n_expert_used\": %d, \"tokens\": %ld, \"uniform\": %.9g,\n", R->L, R->E, R->K, R->n_tok, 1.0 / R->E);
    fputs("\"expert_names\": ", f);
    if (R->has_names) {
        fputc('[', f);
        for (e = 0; e < R->E; e++) { if (e) fputc(',', f); rt_json_str(f, R->names[e]); }
        fputc(']', f);
    } else fputs("null", f);
    fputs(",\n\"opt_out\": ", f);
    if (R->optout) rt_json_str(f, R->optout); else fputs("null", f);
    fputs(",\n\"load\": ", f); rt_json_mat(f, R->all.load, R->L, R->E, " ");
    fputs(",\n\"load_cv\": ", f); rt_json_vec(f, R->all.cv, R->L);
    fputs(",\n\"load_max_over_uniform\": [", f);
    for (l = 0; l < R->L; l++) {
        double mx = 0;
        for (e = 0; e < R->E; e++) if (R->all.load[(size_t)l * R->E + e] > mx) mx = R->all.load[(size_t)l * R->E + e];
        fprintf(f, l ? ",%.9g" : "%.9g", mx * R->E);
    }
    fputc(']', f);
    fputs(",\n\"coactivation\": [", f);
    for (l = 0; l < R->L; l++) {
        fprintf(f, "%s\n ", l ? "," : "");
        rt_json_mat(f, R->all.coact + (size_t)l * R->E * R->E, R->E, R->E, "  ");
    }
    fputs("],\n\"report_layers\": [", f);
    for (i = 0; i < R->n_layers; i++) fprintf(f, i ? ",%d" : "%d", R->layers[i]);
    fputs("],\n\"domains\": {", f);
    for (d = 0; d < R->n_dom; d++) {
        fprintf(f, "%s\n ", d ? "," : "");
        rt_json_str(f, R->dom[d].name);
        fputs(": {\"file\": ", f); rt_json_str(f, R->dom[d].path);
        fprintf(f, ", \"texts\": %d, \"tokens\": %ld,\n  \"load\": ", R->dom[d].n_texts, R->dom[d].n_tok);
        rt_json_mat(f, R->dstats[d].load, R->L, R->E, "   ");
        fputs(",\n  \"token_share\": ", f);
        rt_json_mat(f, R->dstats[d].share, R->L, R->E, "   ");
        fputs(",\n  \"specialization\": ", f);
        rt_json_vec(f, R->dstats[d].spec, R->L);
        if (R->has_names) {
            /* the HTML's named-expert table: token share averaged over the layers */
            fputs(",\n  \"named_share\": {", f);
            for (e = 0; e < R->E; e++) {
                double sh = 0;
                for (l = 0; l < R->L; l++) sh += R->dstats[d].share[(size_t)l * R->E + e];
                if (e) fputc(',', f);
                rt_json_str(f, R->names[e]);
                fprintf(f, ":%.9g", sh / R->L);
            }
            fputc('}', f);
        }
        fputc('}', f);
    }
    fprintf(f, "},\n\"vocabulary\": {\"min_count\": %ld, \"layers\": [", R->vocab_min);
    for (i = 0; i < R->n_layers; i++) {
        fprintf(f, "%s\n {\"layer\": %d, \"experts\": [", i ? "," : "", R->layers[i]);
        for (e = 0; e < R->E; e++) {
            int j, n = R->vocab_n[(size_t)i * R->E + e];
            fprintf(f, "%s\n  [", e ? "," : "");
            for (j = 0; j < n; j++) {
                const rt_vocab *v = &R->vocab[((size_t)i * R->E + e) * RT_VOCAB_TOP + j];
                char vis[1100];
                rt_visible(R->m, v->id, vis, sizeof vis);
                fprintf(f, "%s{\"id\": %d, \"text\": ", j ? ", " : "", (int)v->id);
                rt_json_str(f, vis);
                fprintf(f, ", \"count\": %ld, \"occurrences\": %ld, \"fraction\": %.9g}", v->count, v->total, v->frac);
            }
            fputc(']', f);
        }
        fputs("]}", f);
    }
    fputs("]}", f);
    if (R->saturation) {
        fputs(",\n\"saturation\": {\"compare\": ", f); rt_json_str(f, R->compare_path);
        fputs(", \"shared\": ", f); rt_json_vec(f, R->saturation, R->L); fputc('}', f);
    }
    if (R->base.load) {
        fputs(",\n\"opt_out_effect\": {\"allowed\": [", f);
        for (e = 0; e < R->E; e++) fprintf(f, e ? ",%d" : "%d", R->allowed[e]);
        fputs("],\n \"unmasked_load\": ", f); rt_json_mat(f, R->base.load, R->L, R->E, "  ");
        fputs(",\n \"displaced\": ", f); rt_json_vec(f, R->displaced, R->L);
        fputs(",\n \"redistribution\": ", f); rt_json_mat(f, R->redis, R->L, R->E, "  ");
        fputc('}', f);
    }
    if (trace) {
        /* every token: its id and, per layer, its top-k experts by descending weight */
        fputs(",\n\"trace\": [", f);
        for (d = 0; d < R->n_dom; d++) {
            long t;
            fprintf(f, "%s\n {\"domain\": ", d ? "," : "");
            rt_json_str(f, R->dom[d].name);
            fputs(", \"tokens\": [", f);
            for (t = R->dom[d].start; t < R->dom[d].start + R->dom[d].n_tok; t++) {
                fprintf(f, "%s\n  {\"id\": %d, \"experts\": [", t > R->dom[d].start ? "," : "", (int)R->ids[t]);
                for (l = 0; l < R->L; l++) {
                    const uint16_t *x = R->rec.ex + ((size_t)t * R->L + l) * R->K;
                    fputs(l ? ",[" : "[", f);
                    for (i = 0; i < R->K; i++) if (x[i] != RT_NONE) fprintf(f, i ? ",%d" : "%d", x[i]);
                    fputc(']', f);
                }
                fputs("]}", f);
            }
            fputs("]}", f);
        }
        fputc(']', f);
    }
    fputs("\n}\n", f);
    if (fclose(f) != 0 || rename(tmp, path) != 0) { fprintf(stderr, "routes: cannot write %s\n", path); remove(tmp); return -1; }
    return 0;
}

static void rt_usage(FILE *f) {
    fprintf(f,
            "usage: olmoe routes -m MODEL.gguf --domain NAME=FILE [--domain NAME=FILE ...] [-o report.html] [--json report.json]\n"
            "                    [--compare MODEL2.gguf] [--opt-out LIST] [--layers L,L,...] [--vocab-min N] [--trace]\n"
            "                    [-c N] [--threads N] [--kernels K]\n"
            "  --domain NAME=FILE  a text file (one sequence), or .jsonl with one {\"text\": ...} per line; repeatable\n"
            "  -o FILE             self-contained HTML report (inline SVG)\n"
            "  --json FILE         every number of the report (load, coactivation, domains, ...)\n"
            "  --compare MODEL2    router saturation: top-k overlap with another model of the same shape and vocabulary\n"
            "  --opt-out LIST      mask experts (indices or names) and show where their slots went\n"
            "  --layers L,...      layers for the co-activation, bar and vocabulary views (default first, middle, last)\n"
            "  --vocab-min N       only tokens seen at least N times in the vocabulary view (default 4)\n"
            "  --trace             add each token's top-k experts per layer to the JSON\n"
            "  -c N                context (window) length; default the model's, at most 4096\n"
            "  -t, --threads N     threads (default 0: all cores)\n"
            "  --kernels K         auto|scalar|avx2|avx512|neon (default auto)\n"
            "  --check-tensors     " CLI_CHECK_TENSORS_HELP " (default off)\n"
            "  -h, --help          this help\n"
            "example: olmoe routes -m models/austen-olmoe-q8_0.gguf --domain austen=book.txt -o routes.html\n");
}

int cmd_routes(int argc, char **argv) {
    const char *model = NULL, *compare = NULL, *html = NULL, *json = NULL, *optout = NULL, *layers_arg = NULL;
    int threads = 0, kernels = OLMOE_KERNELS_AUTO, n_ctx = 0, trace = 0, i, d, l, rc = 1, check = 0;
    olmoe_model_params mp;
    long vocab_min = 4;
    rt_domain dom[RT_MAX_DOMAINS];
    int n_dom = 0;
    char err[512];
    olmoe_model *m = NULL, *m2 = NULL;
    olmoe_result r;
    rt_report R;
    rt_record rec2;
    char *optout_idx = NULL;
    memset(&R, 0, sizeof R);
    memset(&rec2, 0, sizeof rec2);
    memset(dom, 0, sizeof dom);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "-m") && has) model = argv[++i];
        else if (!strcmp(a, "--domain") && has) {
            const char *v = argv[++i], *eq = strchr(v, '=');
            if (n_dom == RT_MAX_DOMAINS) { fprintf(stderr, "routes: at most %d domains\n", RT_MAX_DOMAINS); return 2; }
            if (eq && eq > v && eq[1]) {
                char *nm = (char *)malloc((size_t)(eq - v) + 1);
                if (!nm) return 1;
                memcpy(nm, v, (size_t)(eq - v));
                nm[eq - v] = 0;
                dom[n_dom].name = nm;
                dom[n_dom].owns_name = 1;
                dom[n_dom].path = eq + 1;
            } else if (!eq) {
                const char *b = strrchr(v, '/');
                dom[n_dom].name = b ? b + 1 : v;
                dom[n_dom].path = v;
            } else { fprintf(stderr, "routes: --domain takes NAME=FILE, not '%s'\n", v); return 2; }
            {
                int j;
                for (j = 0; j < n_dom; j++)
                    if (!strcmp(dom[j].name, dom[n_dom].name)) { fprintf(stderr, "routes: domain name '%s' given twice\n", dom[j].name); return 2; }
            }
            n_dom++;
        } else if (!strcmp(a, "--compare") && has) compare = argv[++i];
        else if (!strcmp(a, "-o") && has) html = argv[++i];
        else if (!strcmp(a, "--json") && has) json = argv[++i];
        else if (!strcmp(a, "--opt-out") && has) optout = argv[++i];
        else if (!strcmp(a, "--layers") && has) layers_arg = argv[++i];
        else if (!strcmp(a, "--trace")) trace = 1;
        else if (!strcmp(a, "--check-tensors")) check = 1;
        else if (!strcmp(a, "--vocab-min") && has) {
            char *end;
            vocab_min = strtol(argv[++i], &end, 10);
            if (*end || vocab_min < 1 || vocab_min > 1000000000L) { fprintf(stderr, "routes: --vocab-min takes a count >= 1, not '%s'\n", argv[i]); return 2; }
        } else if (!strcmp(a, "-c") && has) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > (1L << 24)) { fprintf(stderr, "routes: -c takes a context length >= 1, not '%s'\n", argv[i]); return 2; }
            n_ctx = (int)v;
        } else if ((!strcmp(a, "--threads") || !strcmp(a, "-t")) && has) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 4096) { fprintf(stderr, "routes: --threads takes a count, not '%s'\n", argv[i]); return 2; }
            threads = (int)v;
        } else if (!strcmp(a, "--kernels") && has) {
            if ((kernels = cli_parse_kernels(argv[++i])) < 0) { fprintf(stderr, "routes: unknown kernel path %s\n", argv[i]); return 2; }
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { rt_usage(stdout); return 0; }
        else { fprintf(stderr, "routes: unknown option or missing value: %s\n", a); rt_usage(stderr); return 2; }
    }
    if (!model || n_dom == 0) {
        fprintf(stderr, "routes: %s\n", !model ? "-m MODEL is required" : "give at least one --domain NAME=FILE");
        rt_usage(stderr);
        return 2;
    }
    if (!html && !json) fprintf(stderr, "routes: neither -o nor --json given: only a summary is printed\n");

    mp = cli_model_params(check);
    if ((r = olmoe_model_load(model, &mp, &m, err, sizeof err)) != OLMOE_OK) {
        fprintf(stderr, "routes: error (%s): %s\n", olmoe_result_str(r), err);
        return 1;
    }
    R.m = m;
    R.model_path = model;
    R.compare_path = compare;
    R.optout = optout;
    R.L = olmoe_model_config(m)->n_layer;
    R.E = olmoe_model_config(m)->n_expert;
    R.K = olmoe_model_config(m)->n_expert_used;
    if (R.E < 2 || R.K < 1 || R.E > 65535) {
        fprintf(stderr, "routes: %s has %d experts (top-%d): nothing to route\n", model, R.E, R.K);
        goto done;
    }
    for (d = 0; d < n_dom; d++) {
        dom[d].start = R.n_tok;
        if (rt_load_domain(m, &dom[d]) != 0) goto done;
        R.n_tok += dom[d].n_tok;
    }
    R.dom = dom;
    R.n_dom = n_dom;
    R.ids = (int32_t *)malloc((size_t)R.n_tok * sizeof(int32_t));
    R.names = (char **)calloc((size_t)R.E, sizeof(char *));
    if (!R.ids || !R.names) { fprintf(stderr, "routes: out of memory\n"); goto done; }
    {
        long o = 0;
        int t;
        for (d = 0; d < n_dom; d++)
            for (t = 0; t < dom[d].n_texts; t++) {
                memcpy(R.ids + o, dom[d].texts[t].ids, (size_t)dom[d].texts[t].n * sizeof(int32_t));
                o += dom[d].texts[t].n;
            }
    }
    for (i = 0; i < R.E; i++) {
        char nm[128];
        int n = olmoe_model_expert_name(m, i, nm, sizeof nm);
        if (n > 0) R.has_names = 1; else sprintf(nm, "%d", i);
        if (!(R.names[i] = (char *)malloc(strlen(nm) + 1))) goto done;
        strcpy(R.names[i], nm);
    }
    /* layers for the co-activation, bars and vocabulary views */
    R.layers = (int *)malloc((size_t)(R.L + 3) * sizeof(int));
    if (!R.layers) goto done;
    if (layers_arg) {
        int32_t *v = NULL;
        int n = cli_parse_ids(layers_arg, &v);
        if (n <= 0 || n > R.L) { fprintf(stderr, "routes: bad --layers '%s'\n", layers_arg); free(v); goto done; }
        for (i = 0; i < n; i++) {
            if (v[i] < 0 || v[i] >= R.L) { fprintf(stderr, "routes: --layers: layer %d outside 0..%d\n", (int)v[i], R.L - 1); free(v); goto done; }
            R.layers[i] = v[i];
        }
        R.n_layers = n;
        free(v);
    } else {
        int cand[3], k;
        cand[0] = 0; cand[1] = R.L / 2; cand[2] = R.L - 1;
        for (k = 0; k < 3; k++)
            if (R.n_layers == 0 || R.layers[R.n_layers - 1] < cand[k]) R.layers[R.n_layers++] = cand[k];
    }

    /* the runs: the model (masked when asked), the unmasked baseline, the comparison model */
    if (rt_run(model, m, threads, kernels, n_ctx, optout, dom, n_dom, R.n_tok, &R.rec, "model") != 0) goto done;
    if (optout) {
        rt_record base;
        memset(&base, 0, sizeof base);
        R.allowed = (uint8_t *)malloc((size_t)R.E);
        R.redis = (double *)calloc((size_t)R.L * R.E, sizeof(double));
        R.displaced = (double *)calloc((size_t)R.L, sizeof(double));
        if (!R.allowed || !R.redis || !R.displaced) goto done;
        for (i = 0; i < R.E; i++) R.allowed[i] = 1;
        {
            /* which experts the list masks, read as the library reads it (a name, else an index);
               the masked run above already rejected a bad list */
            const char *p = optout;
            while (*p) {
                char item[128];
                size_t n = 0;
                int idx;
                while (*p == ',' || *p == ' ') p++;
                while (*p && *p != ',' && n + 1 < sizeof item) item[n++] = *p++;
                while (n && item[n - 1] == ' ') n--;
                item[n] = 0;
                if (!n) continue;
                idx = olmoe_model_expert_index(m, item);
                if (idx < 0) idx = atoi(item);
                if (idx >= 0 && idx < R.E) R.allowed[idx] = 0;
            }
        }
        if (rt_run(model, m, threads, kernels, n_ctx, NULL, dom, n_dom, R.n_tok, &base, "unmasked baseline") != 0) { free(base.ex); goto done; }
        if (rt_stats_compute(&base, 0, R.n_tok, 0, &R.base) != 0) { free(base.ex); goto done; }
        rt_redistribution(&base, &R.rec, R.allowed, R.redis, R.displaced);
        free(base.ex);
        /* the comparison model gets the same mask as indices: it may name its experts differently, or not at all */
        if (!(optout_idx = (char *)malloc((size_t)R.E * 7 + 1))) goto done;
        optout_idx[0] = 0;
        for (i = 0; i < R.E; i++)
            if (!R.allowed[i]) sprintf(optout_idx + strlen(optout_idx), "%s%d", optout_idx[0] ? "," : "", i);
    }
    if (compare) {
        const olmoe_config *a = olmoe_model_config(m), *b;
        if ((r = olmoe_model_load(compare, &mp, &m2, err, sizeof err)) != OLMOE_OK) {
            fprintf(stderr, "routes: --compare: error (%s): %s\n", olmoe_result_str(r), err);
            goto done;
        }
        b = olmoe_model_config(m2);
        if (a->n_vocab != b->n_vocab || a->n_layer != b->n_layer || a->n_expert != b->n_expert || a->n_expert_used != b->n_expert_used) {
            fprintf(stderr, "routes: --compare: %s (vocab %d, %d layers, %d experts, top-%d) differs in shape from %s (vocab %d, %d layers, %d experts, top-%d)\n",
                    compare, b->n_vocab, b->n_layer, b->n_expert, b->n_expert_used, model, a->n_vocab, a->n_layer, a->n_expert, a->n_expert_used);
            goto done;
        }
        if (rt_run(compare, m2, threads, kernels, n_ctx, optout_idx, dom, n_dom, R.n_tok, &rec2, "comparison model") != 0) goto done;
        if (!(R.saturation = (double *)calloc((size_t)R.L, sizeof(double)))) goto done;
        rt_saturation(&R.rec, &rec2, R.saturation);
    }

    if (rt_stats_compute(&R.rec, 0, R.n_tok, 1, &R.all) != 0) { fprintf(stderr, "routes: out of memory\n"); goto done; }
    if (!(R.dstats = (rt_stats *)calloc((size_t)n_dom, sizeof(rt_stats)))) goto done;
    for (d = 0; d < n_dom; d++)
        if (rt_stats_compute(&R.rec, dom[d].start, dom[d].start + dom[d].n_tok, 0, &R.dstats[d]) != 0) goto done;
    R.vocab_min = vocab_min;
    R.vocab = (rt_vocab *)malloc((size_t)R.n_layers * R.E * RT_VOCAB_TOP * sizeof(rt_vocab));
    R.vocab_n = (int *)calloc((size_t)R.n_layers * R.E, sizeof(int));
    if (!R.vocab || !R.vocab_n) goto done;
    for (i = 0; i < R.n_layers; i++)
        if (rt_vocab_layer(&R.rec, R.ids, R.layers[i], vocab_min, R.vocab + (size_t)i * R.E * RT_VOCAB_TOP, R.vocab_n + (size_t)i * R.E) != 0) goto done;

    if (html && rt_write_html(&R, html) != 0) goto done;
    if (json && rt_write_json(&R, json, trace) != 0) goto done;
    fprintf(stderr, "routes: %ld tokens in %d domain%s, %d layers x %d experts (top-%d)\n", R.n_tok, n_dom, n_dom == 1 ? "" : "s", R.L, R.E, R.K);
    for (l = 0; l < R.L; l++) fprintf(stderr, "  layer %2d: load CV %.3f%s", l, R.all.cv[l], R.saturation ? "" : "\n");
    if (R.saturation) for (l = 0; l < R.L; l++) fprintf(stderr, "%s  layer %2d: shared with --compare %.4f\n", l ? "" : "\n", l, R.saturation[l]);
    if (html) fprintf(stderr, "routes: wrote %s\n", html);
    if (json) fprintf(stderr, "routes: wrote %s\n", json);
    rc = 0;
done:
    for (d = 0; d < n_dom; d++) {
        int t;
        for (t = 0; t < dom[d].n_texts; t++) free(dom[d].texts[t].ids);
        free(dom[d].texts);
        if (dom[d].owns_name) free((char *)dom[d].name);
    }
    rt_stats_free(&R.all);
    if (R.dstats) for (d = 0; d < n_dom; d++) rt_stats_free(&R.dstats[d]);
    free(R.dstats);
    rt_stats_free(&R.base);
    if (R.names) for (i = 0; i < R.E; i++) free(R.names[i]);
    free(R.names); free(R.ids); free(R.layers); free(R.vocab); free(R.vocab_n); free(R.saturation);
    free(R.redis); free(R.displaced); free(R.allowed); free(R.rec.ex); free(rec2.ex); free(optout_idx);
    if (m2) olmoe_model_free(m2);
    olmoe_model_free(m);
    return rc;
}
