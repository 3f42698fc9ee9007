/* olmoe quantize IN.gguf OUT.gguf TYPE: requantize an f32/f16/bf16/q8_0 GGUF to one of llama.cpp's
   file types (q4_k_m, q5_k_s, iq4_xs, ...), what llama-quantize does without an importance
   matrix: the same per-tensor type mix (quant_mix_type, QUANTS.md §3) and the same bytes
   (olmoe_quantize_row runs ggml's reference quantizers, QUANTS.md §4). Every metadata key is
   copied verbatim except general.file_type and general.quantization_version, which are set.
   Tensors that are not quantized (norms, the router, 1-D tensors) and tensors already in their
   target type are copied as they are. Rows are split over all cores; one progress line per
   tensor. The output is written to a temporary file next to OUT and renamed over it only when
   everything succeeded. */
#define _POSIX_C_SOURCE 200809L /* fdopen, fileno, fsync under -std=c99 */
#include "cli.h"
#include "gguf_write.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* ---- llama.cpp file types and the per-tensor mix ----------------------------------------- */
typedef struct { const char *name; int ftype, def; } quant_ftype;
static const quant_ftype ftypes[] = {
    {"q4_0", 2, OLMOE_TYPE_Q4_0}, {"q4_1", 3, OLMOE_TYPE_Q4_1}, {"q8_0", 7, OLMOE_TYPE_Q8_0},
    {"q5_0", 8, OLMOE_TYPE_Q5_0}, {"q5_1", 9, OLMOE_TYPE_Q5_1}, {"q2_k", 10, OLMOE_TYPE_Q2_K},
    {"q3_k_m", 12, OLMOE_TYPE_Q3_K}, {"q4_k_s", 14, OLMOE_TYPE_Q4_K}, {"q4_k_m", 15, OLMOE_TYPE_Q4_K},
    {"q5_k_s", 16, OLMOE_TYPE_Q5_K}, {"q5_k_m", 17, OLMOE_TYPE_Q5_K}, {"q6_k", 18, OLMOE_TYPE_Q6_K},
    {"iq4_nl", 25, OLMOE_TYPE_IQ4_NL}, {"iq4_xs", 30, OLMOE_TYPE_IQ4_XS}};

/* The llama_ftype number of a name (q4_k_m, Q4_K_M, ...), or -1. */
int quant_ftype_parse(const char *s) {
    size_t i, j;
    for (i = 0; i < sizeof ftypes / sizeof ftypes[0]; i++) {
        const char *a = ftypes[i].name;
        for (j = 0; a[j] && s[j] && (s[j] >= 'A' && s[j] <= 'Z' ? s[j] + 32 : s[j]) == a[j]; j++) {}
        if (!a[j] && !s[j]) return ftypes[i].ftype;
    }
    return -1;
}
static const quant_ftype *ftype_of(int ftype) {
    size_t i;
    for (i = 0; i < sizeof ftypes / sizeof ftypes[0]; i++)
        if (ftypes[i].ftype == ftype) return &ftypes[i];
    return NULL;
}

/* The name llama.cpp's quantizer uses for a llama_ftype (Q4_K_M, ...), or NULL. */
const char *quant_ftype_name(int ftype) {
    static const struct { int ft; const char *name; } n[] = {
        {0, "F32"}, {1, "F16"}, {2, "Q4_0"}, {3, "Q4_1"}, {7, "Q8_0"}, {8, "Q5_0"}, {9, "Q5_1"}, {10, "Q2_K"},
        {11, "Q3_K_S"}, {12, "Q3_K_M"}, {13, "Q3_K_L"}, {14, "Q4_K_S"}, {15, "Q4_K_M"}, {16, "Q5_K_S"},
        {17, "Q5_K_M"}, {18, "Q6_K"}, {19, "IQ2_XXS"}, {20, "IQ2_XS"}, {21, "Q2_K_S"}, {22, "IQ3_XS"},
        {23, "IQ3_XXS"}, {24, "IQ1_S"}, {25, "IQ4_NL"}, {26, "IQ3_S"}, {27, "IQ3_M"}, {28, "IQ2_S"},
        {29, "IQ2_M"}, {30, "IQ4_XS"}, {31, "IQ1_M"}, {32, "BF16"}, {36, "TQ1_0"}, {37, "TQ2_0"}, {38, "MXFP4_MOE"}};
    size_t i;
    for (i = 0; i < sizeof n / sizeof n[0]; i++)
        if (n[i].ft == (ftype & ~1024)) return n[i].name;
    return NULL;
}

/* llama.cpp's use_more_bits(i, n) */
static int more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

static int compatible(int type, int64_t ne0) { int b = olmoe_type_block_size(type); return b > 0 && ne0 % b == 0; }

/* Does llama-quantize quantize this tensor at all? (tensor_allows_quantization: 2+ dims, a name
   ending in "weight", not a norm, not the MoE router) */
int quant_tensor_allowed(const char *name, int n_dims) {
    size_t l = strlen(name);
    if (n_dims < 2 || l < 6 || strcmp(name + l - 6, "weight") != 0) return 0;
    if (strstr(name, "_norm.weight") || strstr(name, "ffn_gate_inp.weight")) return 0;
    return 1;
}

/* The GGML type llama-quantize (no imatrix, no overrides) gives tensor `name` (ne0 values a row)
   of a model with n_layer layers, n_expert experts and n_gqa = heads / kv heads, for llama ftype
   `ftype`; `tied`: the model has no output.weight. Returns -1 for a tensor it does not
   quantize. (llama.cpp src/llama-quant.cpp llama_tensor_get_type; QUANTS.md §3.3/3.4; the
   attn_v counter equals the layer index since each layer has one attn_v.) */
int quant_mix_type(int ftype, const char *name, int n_dims, int64_t ne0, int n_layer, int n_expert, int n_gqa, int tied) {
    const quant_ftype *f = ftype_of(ftype);
    int t, il = -1, N = n_layer;
    const char *b;
    if (!f || !quant_tensor_allowed(name, n_dims)) return -1;
    t = f->def;
    if (!strncmp(name, "blk.", 4)) il = atoi(name + 4);
    if (!strcmp(name, "output.weight") || (tied && !strcmp(name, "token_embd.weight"))) {
        if (!compatible(f->def, ne0)) t = OLMOE_TYPE_Q8_0;
        else if (f->def != OLMOE_TYPE_Q8_0) t = OLMOE_TYPE_Q6_K;
    } else if (!strcmp(name, "token_embd.weight")) {
        t = f->def;
    } else if ((b = strstr(name, "attn_v")) != NULL || strstr(name, "attn_qkv")) {
        if (b) {
            if (ftype == 10) t = n_gqa >= 4 ? OLMOE_TYPE_Q4_K : OLMOE_TYPE_Q3_K;
            else if (ftype == 12) t = il < 2 ? OLMOE_TYPE_Q5_K : OLMOE_TYPE_Q4_K;
            else if ((ftype == 25 || ftype == 30) && n_gqa >= 4) t = OLMOE_TYPE_Q5_K;
            else if ((ftype == 15 || ftype == 17) && more_bits(il, N)) t = OLMOE_TYPE_Q6_K;
            else if (ftype == 14 && il < 4) t = OLMOE_TYPE_Q5_K;
            if (n_expert == 8) t = OLMOE_TYPE_Q8_0;
        } else {
            if (ftype == 12) t = OLMOE_TYPE_Q4_K;
            else if (ftype == 15) t = OLMOE_TYPE_Q5_K;
            else if (ftype == 17) t = OLMOE_TYPE_Q6_K;
        }
    } else if (strstr(name, "attn_k")) {
        if (n_expert == 8) t = OLMOE_TYPE_Q8_0;
    } else if (strstr(name, "attn_output")) {
        if (n_expert == 8) {
            if (ftype == 10 || ftype == 12 || ftype == 25 || ftype == 14 || ftype == 15 || ftype == 30) t = OLMOE_TYPE_Q5_K;
        } else {
            if (ftype == 10) t = OLMOE_TYPE_Q3_K;
            else if (ftype == 12) t = OLMOE_TYPE_Q4_K;
        }
    } else if (strstr(name, "ffn_down")) {
        if (ftype == 10) t = OLMOE_TYPE_Q3_K;
        else if (ftype == 12) t = il < N / 16 ? OLMOE_TYPE_Q5_K : OLMOE_TYPE_Q4_K;
        else if (ftype == 15) { if (more_bits(il, N)) t = OLMOE_TYPE_Q6_K; }
        else if (il < N / 8 && (ftype == 25 || ftype == 30)) t = OLMOE_TYPE_Q5_K;
        else if (ftype == 17 && more_bits(il, N)) t = OLMOE_TYPE_Q6_K;
        else if (ftype == 14 && il < N / 8) t = OLMOE_TYPE_Q5_K;
    }
    if (!compatible(t, ne0)) { /* tensor_type_fallback */
        switch (t) {
        case OLMOE_TYPE_Q2_K: case OLMOE_TYPE_Q3_K: t = OLMOE_TYPE_Q4_0; break;
        case OLMOE_TYPE_Q4_K: t = OLMOE_TYPE_Q5_0; break;
        case OLMOE_TYPE_Q5_K: t = OLMOE_TYPE_Q5_1; break;
        case OLMOE_TYPE_Q6_K: t = OLMOE_TYPE_Q8_0; break;
        case OLMOE_TYPE_IQ4_XS: t = OLMOE_TYPE_IQ4_NL; break;
        default: break;
        }
        if (!compatible(t, ne0)) t = OLMOE_TYPE_F16;
    }
    return t;
}

/* ---- a minimal GGUF reader: the KVs as raw bytes, the tensor table ------------------------- */
typedef struct { const char *key; size_t klen; uint32_t type; const uint8_t *val; size_t vlen; } q_kv;
typedef struct { char name[256]; int n_dims, type; int64_t ne[4]; uint64_t off, nbytes; } q_tensor;
typedef struct {
    const uint8_t *p; size_t size;
    uint64_t n_kv, n_t;
    q_kv *kv; q_tensor *t;
    uint64_t data;
} q_gguf;

static int rd(const q_gguf *g, size_t *o, void *dst, size_t n) {
    if (n > g->size || *o > g->size - n) return -1;
    memcpy(dst, g->p + *o, n);
    *o += n;
    return 0;
}
static size_t scalar_size(uint32_t t) {
    static const size_t sz[13] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    return t < 13 ? sz[t] : 0;
}
/* bytes of a value of type t at *o (advances *o) */
static int skip_val(const q_gguf *g, size_t *o, uint32_t t, int depth) {
    uint64_t n, i;
    if (t == GGUF_TYPE_STRING) {
        if (rd(g, o, &n, 8) || n > g->size - *o) return -1;
        *o += n;
        return 0;
    }
    if (t == GGUF_TYPE_ARRAY) {
        uint32_t et;
        if (depth || rd(g, o, &et, 4) || rd(g, o, &n, 8)) return -1;
        if (et != GGUF_TYPE_STRING) {
            size_t es = scalar_size(et);
            if (!es || n > (g->size - *o) / es) return -1;
            *o += n * es;
            return 0;
        }
        for (i = 0; i < n; i++) if (skip_val(g, o, et, 1)) return -1;
        return 0;
    }
    if (!scalar_size(t) || scalar_size(t) > g->size - *o) return -1;
    *o += scalar_size(t);
    return 0;
}
static int parse(q_gguf *g, char *err, size_t en) {
    size_t o = 0;
    uint32_t magic, ver = 0, align = 32;
    uint64_t i;
    if (rd(g, &o, &magic, 4) || magic != 0x46554747u) { snprintf(err, en, "not a GGUF file"); return -1; }
    if (rd(g, &o, &ver, 4) || (ver != 2 && ver != 3)) { snprintf(err, en, "GGUF version %u is not supported", ver); return -1; }
    if (rd(g, &o, &g->n_t, 8) || rd(g, &o, &g->n_kv, 8)) { snprintf(err, en, "truncated header"); return -1; }
    if (g->n_kv > g->size / 12 || g->n_t > g->size / 24) { snprintf(err, en, "absurd tensor or key count"); return -1; }
    g->kv = (q_kv *)calloc((size_t)g->n_kv + 1, sizeof(q_kv));
    g->t = (q_tensor *)calloc((size_t)g->n_t + 1, sizeof(q_tensor));
    if (!g->kv || !g->t) { snprintf(err, en, "out of memory"); return -1; }
    for (i = 0; i < g->n_kv; i++) {
        q_kv *k = &g->kv[i];
        uint64_t kl;
        size_t vo;
        if (rd(g, &o, &kl, 8) || kl > g->size - o) { snprintf(err, en, "truncated key %llu", (unsigned long long)i); return -1; }
        k->key = (const char *)g->p + o; k->klen = (size_t)kl; o += kl;
        if (rd(g, &o, &k->type, 4)) { snprintf(err, en, "truncated key %llu", (unsigned long long)i); return -1; }
        vo = o;
        if (skip_val(g, &o, k->type, 0)) { snprintf(err, en, "key %.*s: bad or truncated value", (int)k->klen, k->key); return -1; }
        k->val = g->p + vo; k->vlen = o - vo;
        if (kl == 17 && !memcmp(k->key, "general.alignment", 17) && k->type == GGUF_TYPE_UINT32) memcpy(&align, k->val, 4);
    }
    if (align == 0 || (align & (align - 1))) { snprintf(err, en, "bad alignment %u", align); return -1; }
    for (i = 0; i < g->n_t; i++) {
        q_tensor *t = &g->t[i];
        uint64_t nl, rows = 1;
        uint32_t nd, ty;
        int d;
        if (rd(g, &o, &nl, 8) || nl >= sizeof t->name || nl > g->size - o) { snprintf(err, en, "tensor %llu: bad name", (unsigned long long)i); return -1; }
        memcpy(t->name, g->p + o, (size_t)nl); t->name[nl] = 0; o += nl;
        if (rd(g, &o, &nd, 4) || nd < 1 || nd > 4) { snprintf(err, en, "tensor %s: bad n_dims", t->name); return -1; }
        t->n_dims = (int)nd;
        for (d = 0; d < 4; d++) t->ne[d] = 1;
        for (d = 0; d < (int)nd; d++) {
            if (rd(g, &o, &t->ne[d], 8) || t->ne[d] <= 0 || t->ne[d] > ((int64_t)1 << 40)) { snprintf(err, en, "tensor %s: bad dims", t->name); return -1; }
            if (d) rows *= (uint64_t)t->ne[d];
        }
        if (rd(g, &o, &ty, 4) || rd(g, &o, &t->off, 8)) { snprintf(err, en, "tensor %s: truncated", t->name); return -1; }
        t->type = (int)ty;
        if (!olmoe_type_name(t->type) || t->ne[0] % olmoe_type_block_size(t->type)) { snprintf(err, en, "tensor %s: bad type %u for its shape", t->name, ty); return -1; }
        if (rows > ((uint64_t)1 << 40)) { snprintf(err, en, "tensor %s: too large", t->name); return -1; }
        t->nbytes = olmoe_type_row_size(t->type, t->ne[0]) * rows;
    }
    g->data = ((uint64_t)o + align - 1) / align * align;
    for (i = 0; i < g->n_t; i++)
        if (g->data > g->size || g->t[i].off > g->size - g->data || g->t[i].nbytes > g->size - g->data - g->t[i].off) {
            snprintf(err, en, "tensor %s: data beyond the end of the file (truncated?)", g->t[i].name); return -1;
        }
    return 0;
}
static const q_kv *find_kv(const q_gguf *g, const char *key) {
    uint64_t i;
    size_t l = strlen(key);
    for (i = 0; i < g->n_kv; i++)
        if (g->kv[i].klen == l && !memcmp(g->kv[i].key, key, l)) return &g->kv[i];
    return NULL;
}
static int kv_int(const q_gguf *g, const char *key, int dflt) {
    const q_kv *k = find_kv(g, key);
    uint32_t v;
    if (!k || (k->type != GGUF_TYPE_UINT32 && k->type != GGUF_TYPE_INT32)) return dflt;
    memcpy(&v, k->val, 4);
    return (int)v;
}

/* ---- the row workers ------------------------------------------------------------------------ */
typedef struct {
    const uint8_t *src; int stype; uint8_t *dst; int dtype;
    int64_t ne0, rows;
    size_t sb, db;        /* bytes a row, source and destination */
    int ith, nth, bad;
} q_job;
static void *q_worker(void *arg) {
    q_job *j = (q_job *)arg;
    int64_t r, r0 = j->rows * j->ith / j->nth, r1 = j->rows * (j->ith + 1) / j->nth, i;
    float *x = (float *)malloc((size_t)j->ne0 * sizeof(float));
    if (!x) { j->bad = 1; return NULL; }
    for (r = r0; r < r1; r++) {
        if (olmoe_dequantize_row(j->stype, j->src + (size_t)r * j->sb, x, j->ne0) != OLMOE_OK) { j->bad = 1; break; }
        for (i = 0; i < j->ne0; i++)
            if (!(x[i] - x[i] == 0.0f)) { j->bad = 2; break; } /* NaN or Inf */
        if (j->bad) break;
        if (olmoe_quantize_row(j->dtype, x, j->dst + (size_t)r * j->db, j->ne0) != OLMOE_OK) { j->bad = 1; break; }
    }
    free(x);
    return NULL;
}

int cmd_quantize(int argc, char **argv) {
    const char *in, *out;
    char err[512] = "", tmp[4200];
    int ftype, fd = -1, rc = 1, nth, th, n_layer, n_expert, n_head, n_head_kv, tied;
    struct stat st;
    q_gguf g;
    gguf_writer *w = NULL;
    FILE *f = NULL;
    uint64_t i, total_in = 0, total_out = 0;
    int *types = NULL, tmp_made = 0;
    char arch[64] = "olmoe", key[128];
    uint8_t *buf = NULL;
    memset(&g, 0, sizeof g);
    if (argc != 4) {
        fprintf(stderr, "usage: olmoe quantize IN.gguf OUT.gguf TYPE\n"
                        "  TYPE: q4_k_m q4_k_s q5_k_m q5_k_s q6_k q3_k_m q2_k q4_0 q4_1 q5_0 q5_1 q8_0 iq4_nl iq4_xs\n");
        return 2;
    }
    in = argv[1]; out = argv[2];
    if ((ftype = quant_ftype_parse(argv[3])) < 0) { fprintf(stderr, "quantize: unknown type '%s' (q4_k_m, q4_k_s, q5_k_m, q5_k_s, q6_k, q3_k_m, q2_k, q4_0, q4_1, q5_0, q5_1, q8_0, iq4_nl, iq4_xs)\n", argv[3]); return 2; }
    if (!strcmp(in, out)) { fprintf(stderr, "quantize: IN and OUT are the same file\n"); return 2; }
    fd = open(in, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0) { fprintf(stderr, "quantize: %s: %s\n", in, strerror(errno)); if (fd >= 0) close(fd); return 1; }
    g.size = (size_t)st.st_size;
    g.p = g.size ? (const uint8_t *)mmap(NULL, g.size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (!g.p || g.p == (const uint8_t *)MAP_FAILED) { fprintf(stderr, "quantize: %s: cannot map (%s)\n", in, g.size ? strerror(errno) : "empty file"); return 1; }
    if (parse(&g, err, sizeof err)) { fprintf(stderr, "quantize: %s: %s\n", in, err); goto done; }
    {
        const q_kv *a = find_kv(&g, "general.architecture");
        if (a && a->type == GGUF_TYPE_STRING && a->vlen - 8 < sizeof arch) { memcpy(arch, a->val + 8, a->vlen - 8); arch[a->vlen - 8] = 0; }
    }
    snprintf(key, sizeof key, "%s.block_count", arch); n_layer = kv_int(&g, key, 0);
    snprintf(key, sizeof key, "%s.expert_count", arch); n_expert = kv_int(&g, key, 0);
    snprintf(key, sizeof key, "%s.attention.head_count", arch); n_head = kv_int(&g, key, 1);
    snprintf(key, sizeof key, "%s.attention.head_count_kv", arch); n_head_kv = kv_int(&g, key, n_head);
    if (n_layer <= 0) { fprintf(stderr, "quantize: %s: no %s.block_count\n", in, arch); goto done; }
    tied = 1;
    for (i = 0; i < g.n_t; i++) if (!strcmp(g.t[i].name, "output.weight")) tied = 0;
    types = (int *)calloc((size_t)g.n_t + 1, sizeof(int));
    w = gguf_w_new();
    if (!types || !w) { fprintf(stderr, "quantize: out of memory\n"); goto done; }
    for (i = 0; i < g.n_kv; i++) {
        char k[256];
        const q_kv *kv = &g.kv[i];
        if (kv->klen >= sizeof k) { fprintf(stderr, "quantize: key too long\n"); goto done; }
        memcpy(k, kv->key, kv->klen); k[kv->klen] = 0;
        if (!strcmp(k, "general.file_type") || !strcmp(k, "general.quantization_version")) continue;
        if (gguf_w_kv_raw(w, k, kv->type, kv->val, kv->vlen)) { fprintf(stderr, "quantize: %s\n", gguf_w_error(w)); goto done; }
    }
    if (gguf_w_kv_u32(w, "general.quantization_version", 2) || gguf_w_kv_u32(w, "general.file_type", (uint32_t)ftype)) {
        fprintf(stderr, "quantize: %s\n", gguf_w_error(w)); goto done;
    }
    if (!find_kv(&g, "general.alignment")) gguf_w_set_alignment(w, 32, 0);
    else gguf_w_set_alignment(w, (uint32_t)kv_int(&g, "general.alignment", 32), 0);
    for (i = 0; i < g.n_t; i++) {
        q_tensor *t = &g.t[i];
        int ty = quant_mix_type(ftype, t->name, t->n_dims, t->ne[0], n_layer, n_expert, n_head_kv > 0 ? n_head / n_head_kv : 1, tied);
        if (ty < 0) ty = t->type;
        else if (t->type != OLMOE_TYPE_F32 && t->type != OLMOE_TYPE_F16 && t->type != OLMOE_TYPE_BF16 && t->type != OLMOE_TYPE_Q8_0 && t->type != ty) {
            fprintf(stderr, "quantize: tensor %s is %s: requantizing needs f32, f16, bf16 or q8_0 input\n", t->name, olmoe_type_name(t->type));
            goto done;
        }
        types[i] = ty;
        if (gguf_w_tensor(w, t->name, (uint32_t)ty, t->n_dims, t->ne, olmoe_type_row_size(ty, t->ne[0]) * (t->nbytes / olmoe_type_row_size(t->type, t->ne[0]))) < 0) {
            fprintf(stderr, "quantize: %s\n", gguf_w_error(w)); goto done;
        }
    }
    {
        int l = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
        if (l < 0 || (size_t)l >= sizeof tmp) { fprintf(stderr, "quantize: output path too long\n"); goto done; }
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) { fprintf(stderr, "quantize: %s: cannot create: %s\n", tmp, strerror(errno)); goto done; }
    tmp_made = 1;
    f = fdopen(fd, "wb");
    if (!f) { close(fd); fprintf(stderr, "quantize: %s: %s\n", tmp, strerror(errno)); goto done; }
    if (gguf_w_write_header(w, f)) { fprintf(stderr, "quantize: %s: %s\n", tmp, gguf_w_error(w)); goto done; }
    nth = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (nth < 1) nth = 1;
    if (nth > 64) nth = 64;
    for (i = 0; i < g.n_t; i++) {
        q_tensor *t = &g.t[i];
        const uint8_t *src = g.p + g.data + t->off;
        int64_t rows = (int64_t)(t->nbytes / olmoe_type_row_size(t->type, t->ne[0]));
        size_t ob = (size_t)olmoe_type_row_size(types[i], t->ne[0]) * (size_t)rows;
        total_in += t->nbytes; total_out += ob;
        fprintf(stderr, "[%4llu/%4llu] %-32s %-6s -> %-6s %8.2f MB\n", (unsigned long long)i + 1, (unsigned long long)g.n_t, t->name,
                olmoe_type_name(t->type), olmoe_type_name(types[i]), ob / 1e6);
        if (types[i] == t->type) {
            if (gguf_w_write_data(w, src, (size_t)t->nbytes)) { fprintf(stderr, "quantize: %s: %s\n", tmp, gguf_w_error(w)); goto done; }
            continue;
        }
        {
            q_job jobs[64];
            pthread_t tids[64];
            int started[64];
            uint8_t *nb = (uint8_t *)realloc(buf, ob ? ob : 1);
            if (!nb) { fprintf(stderr, "quantize: out of memory for tensor %s\n", t->name); goto done; }
            buf = nb;
            for (th = 0; th < nth; th++) {
                q_job *j = &jobs[th];
                j->src = src; j->stype = t->type; j->dst = buf; j->dtype = types[i];
                j->ne0 = t->ne[0]; j->rows = rows;
                j->sb = (size_t)olmoe_type_row_size(t->type, t->ne[0]); j->db = (size_t)olmoe_type_row_size(types[i], t->ne[0]);
                j->ith = th; j->nth = nth; j->bad = 0;
                started[th] = th > 0 && pthread_create(&tids[th], NULL, q_worker, j) == 0;
                if (th > 0 && !started[th]) q_worker(j);
            }
            q_worker(&jobs[0]);
            for (th = 1; th < nth; th++) if (started[th]) pthread_join(tids[th], NULL);
            for (th = 0; th < nth; th++)
                if (jobs[th].bad) {
                    fprintf(stderr, "quantize: tensor %s: %s\n", t->name, jobs[th].bad == 2 ? "holds NaN or Inf values" : "cannot convert (out of memory?)");
                    goto done;
                }
            if (gguf_w_write_data(w, buf, ob)) { fprintf(stderr, "quantize: %s: %s\n", tmp, gguf_w_error(w)); goto done; }
        }
    }
    if (gguf_w_finish(w)) { fprintf(stderr, "quantize: %s: %s\n", tmp, gguf_w_error(w)); goto done; }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) { fprintf(stderr, "quantize: %s: %s\n", tmp, strerror(errno)); goto done; }
    {
        int cr = fclose(f);
        f = NULL;
        if (cr != 0) { fprintf(stderr, "quantize: %s: close failed: %s\n", tmp, strerror(errno)); goto done; }
    }
    if (rename(tmp, out) != 0) { fprintf(stderr, "quantize: cannot rename %s to %s: %s\n", tmp, out, strerror(errno)); goto done; }
    tmp_made = 0;
    fprintf(stderr, "quantize: %s -> %s (%s): %.2f MB -> %.2f MB\n", in, out, argv[3], total_in / 1e6, total_out / 1e6);
    rc = 0;
done:
    if (f) fclose(f);
    if (tmp_made) unlink(tmp);
    free(buf); free(types);
    if (w) gguf_w_free(w);
    free(g.kv); free(g.t);
    munmap((void *)(uintptr_t)g.p, g.size);
    return rc;
}
