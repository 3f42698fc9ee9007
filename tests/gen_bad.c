/* gen_bad: writes the malformed-GGUF corpus (tests/data/bad/ *.gguf and MANIFEST).

   usage: gen_bad OUT_DIR          (the committed corpus: build/gen_bad tests/data/bad)

   Every file is a valid tiny model with exactly one defect, built with tools/gguf_write (its
   test hooks write odd versions, counts, duplicate names, raw value bytes and chosen offsets).
   MANIFEST has one line per file: `FILE CODE [check=CODE2] DESCRIPTION`, where CODE is the name
   of the olmoe_result that olmoe_model_load must return (OLMOE_OK for the valid bases) and CODE2
   what it returns with validate_weights 2 (olmoe --check-tensors) where that differs; the text
   quoted after `message` in a description is part of that load's message. The output is
   deterministic: running it twice gives the same bytes.

   The bases (kept tiny so that the corpus stays small):
     ok_f32     olmoe, vocab 16, hidden 8, 2 layers, 4 heads (2 kv heads, head dim 2),
                4 experts top-2, ffn 4, every tensor f32 (about 7 KB)
     ok_q8_0    vocab 16, hidden 32, ffn 32, 1 layer, matrices in q8_0 (norms and router f32)
     ok_flex    the f32 base as flex_olmo (post-attention / post-ffw norms)
     ok_align64 the f32 base with general.alignment 64 */
#define OLMOE_IMPLEMENTATION
#include "../olmoe.h"
#include "../tools/gguf_write.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define MAXKV 64
#define MAXT 64

enum { K_MAT = 0, K_NORM = 1 };

typedef struct kvent { char key[160]; uint32_t type; unsigned char *val; size_t len; } kvent;
typedef struct tent {
    char name[160];
    uint32_t type;
    int nd, kind;
    int64_t ne[4];
    unsigned char *data;
    uint64_t nbytes;
    int64_t offset;          /* -1: placed by the writer */
} tent;
typedef struct gmodel {
    kvent kv[MAXKV];
    int n_kv;
    tent t[MAXT];
    int n_t;
    uint32_t version, alignment;
    int align_key;
    int64_t n_t_override, n_kv_override;
} gmodel;

typedef struct desc {
    const char *arch;
    int V, d, L, H, HKV, E, K, F;
    uint32_t mtype;          /* matrices (f16 where a row is not whole blocks of it) */
    int hd;                  /* head dimension written as attention.key_length; 0: d / H, no key */
} desc;

static void die(const char *msg) {
    fprintf(stderr, "gen_bad: %s\n", msg);
    exit(1);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory");
    return p;
}

/* ---- metadata ------------------------------------------------------------------------------ */
static kvent *kv_find(gmodel *g, const char *key) {
    int i;
    for (i = 0; i < g->n_kv; i++)
        if (!strcmp(g->kv[i].key, key)) return &g->kv[i];
    return NULL;
}
/* Appends (dup = 1) or replaces the value of an existing key in place. */
static void kv_put(gmodel *g, const char *key, uint32_t type, const void *val, size_t len, int dup) {
    kvent *e = dup ? NULL : kv_find(g, key);
    if (!e) {
        if (g->n_kv == MAXKV) die("too many keys");
        e = &g->kv[g->n_kv++];
        memset(e, 0, sizeof *e);
        snprintf(e->key, sizeof e->key, "%s", key);
    } else {
        free(e->val);
    }
    e->type = type;
    e->val = (unsigned char *)xmalloc(len);
    memcpy(e->val, val, len);
    e->len = len;
}
static void kv_u32(gmodel *g, const char *key, uint32_t v) { kv_put(g, key, GGUF_TYPE_UINT32, &v, 4, 0); }
static void kv_u64(gmodel *g, const char *key, uint64_t v) { kv_put(g, key, GGUF_TYPE_UINT64, &v, 8, 0); }
static void kv_f32(gmodel *g, const char *key, float v) { kv_put(g, key, GGUF_TYPE_FLOAT32, &v, 4, 0); }
static void kv_strn(gmodel *g, const char *key, const char *s, uint64_t claimed_len, size_t real_len, int dup) {
    unsigned char *b = (unsigned char *)xmalloc(8 + real_len);
    memcpy(b, &claimed_len, 8);
    memcpy(b + 8, s, real_len);
    kv_put(g, key, GGUF_TYPE_STRING, b, 8 + real_len, dup);
    free(b);
}
static void kv_str(gmodel *g, const char *key, const char *s) { kv_strn(g, key, s, strlen(s), strlen(s), 0); }
static void kv_arr_str(gmodel *g, const char *key, const char *const *s, int n) {
    size_t len = 12, o;
    int i;
    unsigned char *b;
    uint32_t ty = GGUF_TYPE_STRING;
    uint64_t nn = (uint64_t)n;
    for (i = 0; i < n; i++) len += 8 + strlen(s[i]);
    b = (unsigned char *)xmalloc(len);
    memcpy(b, &ty, 4);
    memcpy(b + 4, &nn, 8);
    for (o = 12, i = 0; i < n; i++) {
        uint64_t l = strlen(s[i]);
        memcpy(b + o, &l, 8);
        memcpy(b + o + 8, s[i], (size_t)l);
        o += 8 + (size_t)l;
    }
    kv_put(g, key, GGUF_TYPE_ARRAY, b, len, 0);
    free(b);
}
static void kv_del(gmodel *g, const char *key) {
    kvent *e = kv_find(g, key);
    if (!e) die("kv_del: no such key");
    free(e->val);
    memmove(e, e + 1, (size_t)(g->kv + g->n_kv - (e + 1)) * sizeof *e);
    g->n_kv--;
}

/* ---- tensors ------------------------------------------------------------------------------- */
static uint32_t hash_str(const char *s) {
    uint32_t h = 2166136261u;
    while (*s) { h ^= (unsigned char)*s++; h *= 16777619u; }
    return h;
}

/* Fills a tensor's data from its name, kind, type and shape. Values are multiples of 1/32
   (few distinct bit patterns: the corpus compresses well). */
static void t_fill(tent *t) {
    int64_t n = t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3], rows = n / t->ne[0], r, i;
    uint32_t s = hash_str(t->name) | 1u;
    float *row = (float *)xmalloc((size_t)t->ne[0] * sizeof(float));
    uint64_t rb = olmoe_type_row_size((int)t->type, t->ne[0]);
    int bs = olmoe_type_block_size((int)t->type);
    free(t->data);
    if (bs == 0 || t->ne[0] % bs) rb = (uint64_t)t->ne[0] * 4; /* types the parser rejects early */
    t->nbytes = rb * (uint64_t)rows;
    t->data = (unsigned char *)xmalloc((size_t)t->nbytes);
    for (r = 0; r < rows; r++) {
        for (i = 0; i < t->ne[0]; i++) {
            s = s * 1103515245u + 12345u;
            if (t->kind == K_NORM) row[i] = 1.0f + (float)((int)((s >> 16) % 9) - 4) / 32.0f;
            else row[i] = (float)((int)((s >> 16) % 17) - 8) / 32.0f;
        }
        if (olmoe_quantize_row((int)t->type, row, t->data + (size_t)(rb * (uint64_t)r), t->ne[0]) != OLMOE_OK) {
            /* a type we cannot produce (q8_1, unknown ids): a byte pattern will do */
            uint64_t k;
            for (k = 0; k < rb; k++) t->data[rb * (uint64_t)r + k] = (unsigned char)(k * 7 + (uint64_t)r);
        }
    }
    free(row);
}

static tent *t_find(gmodel *g, const char *name) {
    int i;
    for (i = 0; i < g->n_t; i++)
        if (!strcmp(g->t[i].name, name)) return &g->t[i];
    die(name);
    return NULL;
}
static tent *t_add(gmodel *g, const char *name, uint32_t type, int kind, int nd, int64_t a, int64_t b, int64_t c) {
    tent *t;
    if (g->n_t == MAXT) die("too many tensors");
    t = &g->t[g->n_t++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->type = type;
    t->kind = kind;
    t->nd = nd;
    t->ne[0] = a; t->ne[1] = nd > 1 ? b : 1; t->ne[2] = nd > 2 ? c : 1; t->ne[3] = 1;
    t->offset = -1;
    t_fill(t);
    return t;
}
static void t_reshape(gmodel *g, const char *name, int nd, int64_t a, int64_t b, int64_t c) {
    tent *t = t_find(g, name);
    t->nd = nd;
    t->ne[0] = a; t->ne[1] = nd > 1 ? b : 1; t->ne[2] = nd > 2 ? c : 1; t->ne[3] = 1;
    t_fill(t);
}
static void t_retype(gmodel *g, const char *name, uint32_t type) {
    tent *t = t_find(g, name);
    t->type = type;
    t_fill(t);
}
static void t_del(gmodel *g, const char *name) {
    tent *t = t_find(g, name);
    free(t->data);
    memmove(t, t + 1, (size_t)(g->t + g->n_t - (t + 1)) * sizeof *t);
    g->n_t--;
}
static void t_rename(gmodel *g, const char *from, const char *to) {
    tent *t = t_find(g, from);
    snprintf(t->name, sizeof t->name, "%s", to);
}
static void t_poke_f32(gmodel *g, const char *name, int64_t i, float v) {
    tent *t = t_find(g, name);
    if (t->type != OLMOE_TYPE_F32) die("poke into a non-f32 tensor");
    memcpy(t->data + i * 4, &v, 4);
}

static void g_free(gmodel *g) {
    int i;
    for (i = 0; i < g->n_kv; i++) free(g->kv[i].val);
    for (i = 0; i < g->n_t; i++) free(g->t[i].data);
    memset(g, 0, sizeof *g);
}
static void g_copy(gmodel *dst, const gmodel *src) {
    int i;
    *dst = *src;
    for (i = 0; i < src->n_kv; i++) {
        dst->kv[i].val = (unsigned char *)xmalloc(src->kv[i].len);
        memcpy(dst->kv[i].val, src->kv[i].val, src->kv[i].len);
    }
    for (i = 0; i < src->n_t; i++) {
        dst->t[i].data = (unsigned char *)xmalloc((size_t)src->t[i].nbytes);
        memcpy(dst->t[i].data, src->t[i].data, (size_t)src->t[i].nbytes);
    }
}

/* The valid tiny model of a description. */
static void g_base(gmodel *g, const desc *D) {
    char key[160], nm[160];
    int l, flex = !strcmp(D->arch, "flex_olmo");
    int64_t d = D->d, hd = D->hd ? D->hd : D->d / D->H, qd = D->H * hd, kvd = D->HKV * hd;
    static const char *const names[4] = {"math", "code", "news", "web"};
    memset(g, 0, sizeof *g);
    g->version = 3;
    g->alignment = 32;
    g->align_key = 1;
    g->n_t_override = g->n_kv_override = -1;
#define K(s) (snprintf(key, sizeof key, "%s.%s", D->arch, s), key)
    kv_str(g, "general.architecture", D->arch);
    kv_str(g, "general.name", "olmoe.h malformed-file corpus base");
    kv_u32(g, K("context_length"), 64);
    kv_u32(g, K("embedding_length"), (uint32_t)D->d);
    kv_u32(g, K("block_count"), (uint32_t)D->L);
    kv_u32(g, K("feed_forward_length"), (uint32_t)D->F);
    kv_u32(g, K("attention.head_count"), (uint32_t)D->H);
    kv_u32(g, K("attention.head_count_kv"), (uint32_t)D->HKV);
    kv_f32(g, K("rope.freq_base"), 10000.0f);
    kv_f32(g, K("attention.layer_norm_rms_epsilon"), 1e-5f);
    kv_u32(g, K("expert_count"), (uint32_t)D->E);
    kv_u32(g, K("expert_used_count"), (uint32_t)D->K);
    kv_u32(g, K("vocab_size"), (uint32_t)D->V);
    if (D->E == 4) kv_arr_str(g, K("expert_names"), names, 4);
    if (D->hd) kv_u32(g, K("attention.key_length"), (uint32_t)D->hd);
#undef K
#define MT(ne0) ((ne0) % olmoe_type_block_size((int)D->mtype) ? OLMOE_TYPE_F16 : D->mtype)
    t_add(g, "token_embd.weight", MT(d), K_MAT, 2, d, D->V, 1);
    t_add(g, "output_norm.weight", OLMOE_TYPE_F32, K_NORM, 1, d, 1, 1);
    t_add(g, "output.weight", MT(d), K_MAT, 2, d, D->V, 1);
    for (l = 0; l < D->L; l++) {
#define N(s) (snprintf(nm, sizeof nm, "blk.%d.%s.weight", l, s), nm)
        t_add(g, N(flex ? "post_attention_norm" : "attn_norm"), OLMOE_TYPE_F32, K_NORM, 1, d, 1, 1);
        t_add(g, N("attn_q_norm"), OLMOE_TYPE_F32, K_NORM, 1, qd, 1, 1);
        t_add(g, N("attn_k_norm"), OLMOE_TYPE_F32, K_NORM, 1, kvd, 1, 1);
        t_add(g, N("attn_q"), MT(d), K_MAT, 2, d, qd, 1);
        t_add(g, N("attn_k"), MT(d), K_MAT, 2, d, kvd, 1);
        t_add(g, N("attn_v"), MT(d), K_MAT, 2, d, kvd, 1);
        t_add(g, N("attn_output"), MT(qd), K_MAT, 2, qd, d, 1);
        t_add(g, N(flex ? "post_ffw_norm" : "ffn_norm"), OLMOE_TYPE_F32, K_NORM, 1, d, 1, 1);
        t_add(g, N("ffn_gate_inp"), OLMOE_TYPE_F32, K_MAT, 2, d, D->E, 1);
        t_add(g, N("ffn_gate_exps"), MT(d), K_MAT, 3, d, D->F, D->E);
        t_add(g, N("ffn_up_exps"), MT(d), K_MAT, 3, d, D->F, D->E);
        t_add(g, N("ffn_down_exps"), MT(D->F), K_MAT, 3, D->F, d, D->E);
#undef N
    }
#undef MT
}

/* ---- serialization ------------------------------------------------------------------------- */
typedef struct bytes { unsigned char *p; size_t n; } bytes;

/* Writes the model through gguf_write: header by the writer, data section placed by hand at
   the writer's offsets (so that overlapping or backwards offsets work too). */
static bytes g_write(const gmodel *g) {
    gguf_writer *w = gguf_w_new();
    FILE *f = tmpfile();
    bytes b;
    uint64_t ds, end;
    long sz;
    int i;
    if (!w || !f) die("cannot create the writer or a temporary file");
    gguf_w_allow_duplicates(w, 1);
    gguf_w_set_version(w, g->version);
    if (gguf_w_set_alignment(w, g->alignment, g->align_key)) die(gguf_w_error(w));
    gguf_w_set_counts(w, g->n_t_override, g->n_kv_override);
    for (i = 0; i < g->n_kv; i++)
        if (gguf_w_kv_raw(w, g->kv[i].key, g->kv[i].type, g->kv[i].val, g->kv[i].len)) die(gguf_w_error(w));
    for (i = 0; i < g->n_t; i++) {
        const tent *t = &g->t[i];
        int k = gguf_w_tensor(w, t->name, t->type, t->nd, t->ne, t->nbytes);
        if (k < 0) die(gguf_w_error(w));
        if (t->offset >= 0 && gguf_w_tensor_set_offset(w, k, (uint64_t)t->offset)) die(gguf_w_error(w));
    }
    if (gguf_w_write_header(w, f)) die(gguf_w_error(w));
    ds = gguf_w_bytes_written(w);
    end = ds;
    for (i = 0; i < g->n_t; i++) {
        uint64_t off = ds + gguf_w_tensor_offset(w, i);
        if (off > (uint64_t)1 << 30) continue; /* an absurd offset: no data to place */
        if (fseek(f, (long)off, SEEK_SET) != 0 || fwrite(g->t[i].data, 1, (size_t)g->t[i].nbytes, f) != g->t[i].nbytes)
            die("write failed");
        if (off + g->t[i].nbytes > end) end = off + g->t[i].nbytes;
    }
    while (end % g->alignment) {
        if (fseek(f, (long)end, SEEK_SET) != 0 || fputc(0, f) == EOF) die("write failed");
        end++;
    }
    fflush(f);
    sz = (long)end;
    b.p = (unsigned char *)xmalloc((size_t)sz);
    b.n = (size_t)sz;
    rewind(f);
    if (fread(b.p, 1, b.n, f) != b.n) die("read back failed");
    fclose(f);
    gguf_w_free(w);
    return b;
}

/* Alignment 1 and offsets placed by hand, 4-aligned, except `name`, which is moved by `shift`
   bytes; general.pad makes the header a multiple of 4 so that only that tensor is misaligned. */
static void g_misalign(gmodel *g, const char *name, int shift) {
    uint64_t off = 0, hs;
    int i;
    bytes b;
    g->alignment = 1;
    kv_str(g, "general.pad", "");
    for (i = 0; i < g->n_t; i++) {
        tent *t = &g->t[i];
        t->offset = (int64_t)(off + (strcmp(t->name, name) ? 0 : (uint64_t)shift));
        off = (uint64_t)t->offset + t->nbytes;
        off = (off + 3) / 4 * 4;
    }
    b = g_write(g);
    {
        /* the data section starts where the first tensor's bytes are: file size minus data size */
        uint64_t data_size = 0;
        for (i = 0; i < g->n_t; i++) {
            uint64_t e = (uint64_t)g->t[i].offset + g->t[i].nbytes;
            if (e > data_size) data_size = e;
        }
        hs = (uint64_t)b.n - data_size;
    }
    free(b.p);
    if (hs % 4) {
        char pad[4] = {'.', '.', '.', 0};
        pad[4 - hs % 4] = 0;
        kv_str(g, "general.pad", pad);
    }
}

/* ---- output -------------------------------------------------------------------------------- */
static const char *g_outdir;
static FILE *g_manifest;
static int g_count;

static void emit_bytes(const char *file, const char *code, const char *what, const unsigned char *p, size_t n) {
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s.gguf", g_outdir, file);
    f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) die(path);
    fprintf(g_manifest, "%s.gguf %s %s\n", file, code, what);
    g_count++;
}
static void emit(const char *file, const char *code, const char *what, const gmodel *g) {
    bytes b = g_write(g);
    emit_bytes(file, code, what, b.p, b.n);
    free(b.p);
}

/* ---- the layout of a valid file, for truncations and byte patches --------------------------- */
typedef struct layout {
    size_t kv_start[MAXKV], kv_type[MAXKV], kv_val[MAXKV], kv_end[MAXKV];
    size_t ti_start[MAXT], ti_ndims[MAXT], ti_dims[MAXT], ti_type[MAXT], ti_offset[MAXT], ti_end;
    size_t data_start;
    int n_kv, n_t;
} layout;

static uint64_t rd64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t rd32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static size_t skip_value(const unsigned char *p, size_t o, uint32_t type) {
    static const size_t sz[13] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    if (type == GGUF_TYPE_STRING) return o + 8 + (size_t)rd64(p + o);
    if (type == GGUF_TYPE_ARRAY) {
        uint32_t et = rd32(p + o);
        uint64_t n = rd64(p + o + 4), i;
        o += 12;
        for (i = 0; i < n; i++) o = skip_value(p, o, et);
        return o;
    }
    return o + sz[type];
}

static layout lay_of(const bytes *b) {
    layout L;
    const unsigned char *p = b->p;
    size_t o = 24;
    int i;
    memset(&L, 0, sizeof L);
    L.n_t = (int)rd64(p + 8);
    L.n_kv = (int)rd64(p + 16);
    for (i = 0; i < L.n_kv; i++) {
        L.kv_start[i] = o;
        o += 8 + (size_t)rd64(p + o);
        L.kv_type[i] = o;
        L.kv_val[i] = o + 4;
        o = skip_value(p, o + 4, rd32(p + o));
        L.kv_end[i] = o;
    }
    for (i = 0; i < L.n_t; i++) {
        uint32_t nd;
        L.ti_start[i] = o;
        o += 8 + (size_t)rd64(p + o);
        L.ti_ndims[i] = o;
        nd = rd32(p + o);
        L.ti_dims[i] = o + 4;
        o += 4 + 8 * (size_t)nd;
        L.ti_type[i] = o;
        L.ti_offset[i] = o + 4;
        o += 12;
    }
    L.ti_end = o;
    L.data_start = (o + 31) / 32 * 32;
    return L;
}

static int kv_index(const bytes *b, const layout *L, const char *key) {
    int i;
    size_t kl = strlen(key);
    for (i = 0; i < L->n_kv; i++)
        if (rd64(b->p + L->kv_start[i]) == kl && !memcmp(b->p + L->kv_start[i] + 8, key, kl)) return i;
    die(key);
    return -1;
}

static void emit_cut(const char *file, const char *what, const bytes *b, size_t cut) {
    char desc[512];
    if (cut >= b->n) die("cut past the end");
    snprintf(desc, sizeof desc, "%s (first %lu of %lu bytes)", what, (unsigned long)cut, (unsigned long)b->n);
    emit_bytes(file, "OLMOE_ERR_TRUNCATED", desc, b->p, cut);
}

/* A copy of b with n bytes at off replaced. */
static void emit_patch(const char *file, const char *code, const char *what, const bytes *b, size_t off,
                       const void *v, size_t n) {
    unsigned char *c = (unsigned char *)xmalloc(b->n);
    memcpy(c, b->p, b->n);
    memcpy(c + off, v, n);
    emit_bytes(file, code, what, c, b->n);
    free(c);
}

/* ---- the corpus ---------------------------------------------------------------------------- */
int main(int argc, char **argv) {
    static const desc D32 = {"olmoe", 16, 8, 2, 4, 2, 4, 2, 4, OLMOE_TYPE_F32, 0};
    static const desc DQ8 = {"olmoe", 16, 32, 1, 4, 2, 4, 2, 32, OLMOE_TYPE_Q8_0, 0};
    static const desc DFX = {"flex_olmo", 16, 8, 2, 4, 2, 4, 2, 4, OLMOE_TYPE_F32, 0};
    gmodel base, q8, g;
    bytes B;
    layout L;
    char path[4096];
    int i;
    float nanf_ = (float)NAN;

    if (argc != 2) { fprintf(stderr, "usage: gen_bad OUT_DIR\n"); return 2; }
    g_outdir = argv[1];
    snprintf(path, sizeof path, "%s/MANIFEST", g_outdir);
    g_manifest = fopen(path, "w");
    if (!g_manifest) die("cannot write MANIFEST (does the directory exist?)");
    fprintf(g_manifest, "# Generated by tests/gen_bad.c (build/gen_bad tests/data/bad); do not edit.\n"
                        "# FILE EXPECTED_RESULT DESCRIPTION\n");

    g_base(&base, &D32);
    g_base(&q8, &DQ8);

    /* ---- valid bases ---- */
    emit("ok_f32", "OLMOE_OK", "valid base: olmoe, vocab 16, hidden 8, 2 layers, 4 heads / 2 kv, 4 experts top-2, ffn 4, f32", &base);
    emit("ok_q8_0", "OLMOE_OK", "valid base: vocab 16, hidden 32, ffn 32, 1 layer, q8_0 matrices", &q8);
    g_base(&g, &DFX);
    emit("ok_flex", "OLMOE_OK", "valid base: flex_olmo (post-attention/post-ffw norms), f32", &g);
    t_del(&g, "blk.1.post_ffw_norm.weight");
    emit("flex_missing_post_ffw_norm", "OLMOE_ERR_TENSOR_MISSING", "flex_olmo without blk.1.post_ffw_norm.weight", &g);
    g_free(&g);
    g_copy(&g, &base); g.alignment = 64;
    emit("ok_align64", "OLMOE_OK", "valid: general.alignment 64, offsets aligned to 64", &g); g_free(&g);

    /* ---- truncations of the f32 base at every section boundary ---- */
    B = g_write(&base);
    L = lay_of(&B);
    {
        int ia = kv_index(&B, &L, "general.architecture"), ib = kv_index(&B, &L, "olmoe.block_count");
        int ie = kv_index(&B, &L, "olmoe.attention.layer_norm_rms_epsilon"), in = kv_index(&B, &L, "olmoe.expert_names");
        int lt = L.n_t - 1;
        uint64_t last_off = rd64(B.p + L.ti_offset[lt]);
        uint64_t first_end = rd64(B.p + L.ti_offset[0]) + (uint64_t)base.t[0].nbytes;
        if (L.ti_end % 32 == 0) die("the base header needs padding before the data section");
        emit_bytes("trunc_empty", "OLMOE_ERR_TRUNCATED", "empty file", B.p, 0);
        emit_cut("trunc_magic", "ends inside the magic", &B, 2);
        emit_cut("trunc_version", "ends inside the version", &B, 6);
        emit_cut("trunc_n_tensors", "ends inside the tensor count", &B, 12);
        emit_cut("trunc_n_kv", "ends inside the metadata count", &B, 20);
        emit_cut("trunc_after_header", "ends right after the 24-byte header", &B, 24);
        emit_cut("trunc_kv_keylen", "ends inside the first key's length", &B, L.kv_start[0] + 5);
        emit_cut("trunc_kv_key", "ends inside the first key's bytes", &B, L.kv_start[0] + 8 + 4);
        emit_cut("trunc_kv_type", "ends inside the first value type", &B, L.kv_type[0] + 2);
        emit_cut("trunc_kv_strlen", "ends inside general.architecture's string length", &B, L.kv_val[ia] + 3);
        emit_cut("trunc_kv_strbytes", "ends inside general.architecture's string bytes", &B, L.kv_val[ia] + 8 + 2);
        emit_cut("trunc_kv_u32", "ends inside block_count's u32 value", &B, L.kv_val[ib] + 2);
        emit_cut("trunc_kv_f32", "ends inside layer_norm_rms_epsilon's f32 value", &B, L.kv_val[ie] + 3);
        emit_cut("trunc_kv_arr_type", "ends inside expert_names' element type", &B, L.kv_val[in] + 2);
        emit_cut("trunc_kv_arr_count", "ends inside expert_names' element count", &B, L.kv_val[in] + 4 + 3);
        emit_cut("trunc_kv_arr_elem", "ends inside expert_names' third element", &B, L.kv_val[in] + 12 + 24 + 8 + 2);
        emit_cut("trunc_kv_end", "ends after the last metadata entry", &B, L.kv_end[L.n_kv - 1]);
        emit_cut("trunc_ti_namelen", "ends inside the first tensor name's length", &B, L.ti_start[0] + 4);
        emit_cut("trunc_ti_name", "ends inside the first tensor name", &B, L.ti_start[0] + 8 + 6);
        emit_cut("trunc_ti_ndims", "ends inside a tensor's n_dims", &B, L.ti_ndims[3] + 1);
        emit_cut("trunc_ti_dims", "ends inside a tensor's dimensions", &B, L.ti_dims[3] + 9);
        emit_cut("trunc_ti_type", "ends inside a tensor's type", &B, L.ti_type[5] + 2);
        emit_cut("trunc_ti_offset", "ends inside the last tensor's offset", &B, L.ti_offset[lt] + 7);
        emit_cut("trunc_padding", "ends after the tensor infos, inside the padding before the data", &B, L.ti_end);
        emit_cut("trunc_data_start", "ends where the data section starts", &B, L.data_start);
        emit_cut("trunc_data_first", "ends inside the first tensor's data", &B, L.data_start + (size_t)first_end / 2);
        emit_cut("trunc_data_last", "the last tensor misses its last byte", &B, L.data_start + (size_t)(last_off + base.t[lt].nbytes) - 1);
        {
            uint32_t s = 12345u;
            for (i = 0; i < 3; i++) {
                char nm[32];
                size_t cut;
                s = s * 1103515245u + 12345u;
                cut = 24 + (size_t)((s >> 8) % (uint32_t)(B.n - 25));
                snprintf(nm, sizeof nm, "trunc_random%d", i + 1);
                emit_cut(nm, "ends at a pseudo-random point", &B, cut);
            }
        }
        {
            bytes Q = g_write(&q8);
            emit_cut("trunc_q8_0_data", "the q8_0 base cut in the middle of its data", &Q, Q.n - Q.n / 3);
            free(Q.p);
        }

        /* ---- header ---- */
        emit_patch("bad_magic", "OLMOE_ERR_BAD_MAGIC", "magic GGUX", &B, 3, "X", 1);
        emit_patch("bad_magic_ggml", "OLMOE_ERR_BAD_MAGIC", "magic 'lmgg' (old GGML)", &B, 0, "lmgg", 4);
        {
            uint32_t v = 1;
            emit_patch("version1", "OLMOE_ERR_BAD_VERSION", "GGUF version 1", &B, 4, &v, 4);
            v = 4;
            emit_patch("version4", "OLMOE_ERR_BAD_VERSION", "GGUF version 4", &B, 4, &v, 4);
            v = 0xffffffffu;
            emit_patch("version_max", "OLMOE_ERR_BAD_VERSION", "GGUF version 0xffffffff", &B, 4, &v, 4);
        }
        {
            uint64_t n = (uint64_t)1 << 40;
            emit_patch("huge_n_tensors", "OLMOE_ERR_LIMIT", "n_tensors 2^40", &B, 8, &n, 8);
            n = (uint64_t)1 << 63;
            emit_patch("huge_n_kv", "OLMOE_ERR_LIMIT", "n_kv 2^63", &B, 16, &n, 8);
            n = 1000000;
            emit_patch("many_tensors_small_file", "OLMOE_ERR_TRUNCATED", "n_tensors 1e6 (within the limit) in a small file", &B, 8, &n, 8);
            n = 500000;
            emit_patch("many_kv_small_file", "OLMOE_ERR_TRUNCATED", "n_kv 5e5 (within the limit) in a small file", &B, 16, &n, 8);
        }

        /* ---- strings and arrays ---- */
        {
            uint64_t n = (uint64_t)1 << 40;
            emit_patch("huge_key_len", "OLMOE_ERR_LIMIT", "first key length 2^40", &B, L.kv_start[0], &n, 8);
            n = 5000;
            emit_patch("long_key_len", "OLMOE_ERR_LIMIT", "first key length 5000 (limit 4096)", &B, L.kv_start[0], &n, 8);
            n = (uint64_t)1 << 40;
            emit_patch("huge_string_len", "OLMOE_ERR_LIMIT", "general.architecture string length 2^40", &B, L.kv_val[ia], &n, 8);
            n = (uint64_t)1 << 29;
            emit_patch("string_past_end", "OLMOE_ERR_TRUNCATED", "general.architecture string length 2^29 (within the limit, past the end)", &B, L.kv_val[ia], &n, 8);
            n = (uint64_t)1 << 40;
            emit_patch("huge_array_len", "OLMOE_ERR_LIMIT", "expert_names array count 2^40", &B, L.kv_val[in] + 4, &n, 8);
            n = (uint64_t)1 << 40;
            emit_patch("huge_array_elem_len", "OLMOE_ERR_LIMIT", "expert_names element string length 2^40", &B, L.kv_val[in] + 12, &n, 8);
            n = (uint64_t)1 << 40;
            emit_patch("huge_tensor_name_len", "OLMOE_ERR_LIMIT", "first tensor name length 2^40", &B, L.ti_start[0], &n, 8);
        }
        {
            uint32_t t = 13;
            emit_patch("kv_type_unknown", "OLMOE_ERR_BAD_FORMAT", "block_count value type 13 (no such GGUF type)", &B, L.kv_type[ib], &t, 4);
            t = 0xffffffffu;
            emit_patch("kv_type_max", "OLMOE_ERR_BAD_FORMAT", "block_count value type 0xffffffff", &B, L.kv_type[ib], &t, 4);
            t = 13;
            emit_patch("arr_elem_type_unknown", "OLMOE_ERR_BAD_FORMAT", "expert_names element type 13", &B, L.kv_val[in], &t, 4);
        }

        /* ---- tensor infos ---- */
        {
            uint32_t nd = 0;
            emit_patch("ndims_0", "OLMOE_ERR_LIMIT", "token_embd.weight with 0 dimensions", &B, L.ti_ndims[0], &nd, 4);
            nd = 5;
            emit_patch("ndims_5", "OLMOE_ERR_LIMIT", "token_embd.weight with 5 dimensions", &B, L.ti_ndims[0], &nd, 4);
        }
        {
            uint64_t v = 0;
            emit_patch("dim_zero", "OLMOE_ERR_LIMIT", "a dimension of 0 (token_embd.weight ne[1])", &B, L.ti_dims[0] + 8, &v, 8);
            v = (uint64_t)1 << 41;
            emit_patch("dim_absurd", "OLMOE_ERR_LIMIT", "a dimension of 2^41 (token_embd.weight ne[1])", &B, L.ti_dims[0] + 8, &v, 8);
            v = (uint64_t)1 << 63;
            emit_patch("dim_negative", "OLMOE_ERR_LIMIT", "a dimension of 2^63 (negative as int64)", &B, L.ti_dims[0] + 8, &v, 8);
        }
        {
            uint32_t ty = 77;
            emit_patch("type_unknown", "OLMOE_ERR_TENSOR_TYPE", "blk.0.attn_q.weight of GGML type 77", &B, L.ti_type[6], &ty, 4);
            ty = 4; /* q4_2, removed from GGML */
            emit_patch("type_removed_q4_2", "OLMOE_ERR_TENSOR_TYPE", "a tensor of the removed GGML type 4 (q4_2)", &B, L.ti_type[6], &ty, 4);
        }
        {
            uint64_t off = (uint64_t)1 << 60;
            emit_patch("offset_2_60", "OLMOE_ERR_TENSOR_RANGE", "last tensor at offset 2^60", &B, L.ti_offset[lt], &off, 8);
            off = ~(uint64_t)0 - 31;
            emit_patch("offset_wraps", "OLMOE_ERR_TENSOR_RANGE", "last tensor at offset 2^64-32 (offset+size wraps)", &B, L.ti_offset[lt], &off, 8);
            off = last_off + 64;
            emit_patch("offset_past_end", "OLMOE_ERR_TRUNCATED", "last tensor 64 bytes further than the file holds (reads as truncation)", &B, L.ti_offset[lt], &off, 8);
            off = rd64(B.p + L.ti_offset[lt - 1]);
            emit_patch("offset_overlap", "OLMOE_ERR_TENSOR_RANGE", "last tensor at the offset of the one before (overlap)", &B, L.ti_offset[lt], &off, 8);
            off = last_off + 4;
            emit_patch("offset_misaligned", "OLMOE_ERR_ALIGNMENT", "last tensor offset not a multiple of 32", &B, L.ti_offset[lt], &off, 8);
        }
    }
    free(B.p);

    /* ---- element count overflow, written through the writer ---- */
    g_copy(&g, &base);
    {
        tent *t = t_find(&g, "blk.0.attn_v.weight");
        t->ne[0] = (int64_t)1 << 21; t->ne[1] = (int64_t)1 << 21; t->ne[2] = (int64_t)1 << 21;
        t->nd = 3;
    }
    emit("nel_overflow", "OLMOE_ERR_LIMIT", "blk.0.attn_v.weight of 2^21 x 2^21 x 2^21 elements (each dimension within the limit)", &g);
    g_free(&g);

    /* ---- duplicates ---- */
    g_copy(&g, &base); kv_put(&g, "olmoe.block_count", GGUF_TYPE_UINT32, "\2\0\0\0", 4, 1);
    emit("dup_key", "OLMOE_ERR_DUPLICATE", "olmoe.block_count twice", &g); g_free(&g);
    g_copy(&g, &base); kv_strn(&g, "general.architecture", "olmoe", 5, 5, 1);
    emit("dup_key_arch", "OLMOE_ERR_DUPLICATE", "general.architecture twice", &g); g_free(&g);
    g_copy(&g, &base); t_rename(&g, "blk.1.attn_k.weight", "blk.1.attn_v.weight");
    emit("dup_tensor", "OLMOE_ERR_DUPLICATE", "blk.1.attn_v.weight twice (attn_k renamed)", &g); g_free(&g);

    /* ---- nested arrays and raw values ---- */
    g_copy(&g, &base);
    {
        unsigned char v[12 + 12 + 4];
        uint32_t at = GGUF_TYPE_ARRAY, it = GGUF_TYPE_UINT32, one = 1;
        uint64_t n = 1;
        memcpy(v, &at, 4); memcpy(v + 4, &n, 8);          /* array of 1 array */
        memcpy(v + 12, &it, 4); memcpy(v + 16, &n, 8);     /* of 1 u32 */
        memcpy(v + 24, &one, 4);
        kv_put(&g, "general.nested", GGUF_TYPE_ARRAY, v, sizeof v, 0);
    }
    emit("nested_array", "OLMOE_ERR_BAD_FORMAT", "an array of arrays (general.nested)", &g); g_free(&g);
    g_copy(&g, &base);
    {
        unsigned char v[12 + 8];
        uint32_t it = GGUF_TYPE_UINT32, x = 7;
        uint64_t n = (uint64_t)1 << 27;
        memcpy(v, &it, 4); memcpy(v + 4, &n, 8); memcpy(v + 12, &x, 4); memcpy(v + 16, &x, 4);
        kv_put(&g, "general.numbers", GGUF_TYPE_ARRAY, v, sizeof v, 0);
    }
    emit("array_past_end", "OLMOE_ERR_TRUNCATED", "a u32 array claiming 2^27 elements (within the limit) in a small file", &g); g_free(&g);

    /* ---- alignment ---- */
    g_copy(&g, &base); g.alignment = 48;
    emit("align_48", "OLMOE_ERR_ALIGNMENT", "general.alignment 48 (not a power of two)", &g); g_free(&g);
    g_copy(&g, &base); kv_u32(&g, "general.alignment", 0);
    emit("align_0", "OLMOE_ERR_ALIGNMENT", "general.alignment 0 (data laid out with 32)", &g); g_free(&g);
    g_copy(&g, &base); kv_u32(&g, "general.alignment", 1u << 31);
    emit("align_huge", "OLMOE_ERR_ALIGNMENT", "general.alignment 2^31", &g); g_free(&g);
    g_copy(&g, &base); kv_u64(&g, "general.alignment", 32);
    emit("align_u64", "OLMOE_ERR_KEY_TYPE", "general.alignment stored as u64", &g); g_free(&g);
    g_copy(&g, &base); kv_str(&g, "general.alignment", "32");
    emit("align_string", "OLMOE_ERR_KEY_TYPE", "general.alignment stored as a string", &g); g_free(&g);

    g_copy(&g, &base); g_misalign(&g, "output_norm.weight", 0);
    emit("ok_align1", "OLMOE_OK", "valid: general.alignment 1, every tensor 4-byte aligned by hand", &g); g_free(&g);
    g_copy(&g, &base); g_misalign(&g, "blk.0.attn_q.weight", 2);
    emit("misaligned_f32_matrix", "OLMOE_ERR_ALIGNMENT", "general.alignment 1; blk.0.attn_q.weight (f32) at an offset of 2 mod 4", &g); g_free(&g);
    g_copy(&g, &base); g_misalign(&g, "blk.1.ffn_norm.weight", 2);
    emit("misaligned_f32_norm", "OLMOE_ERR_ALIGNMENT", "general.alignment 1; blk.1.ffn_norm.weight at an offset of 2 mod 4", &g); g_free(&g);
    g_copy(&g, &q8); g_misalign(&g, "blk.0.attn_k.weight", 1);
    emit("misaligned_q8_0_matrix", "OLMOE_ERR_ALIGNMENT", "general.alignment 1; blk.0.attn_k.weight (q8_0) at an odd offset", &g); g_free(&g);

    /* ---- architecture ---- */
    g_copy(&g, &base); kv_str(&g, "general.architecture", "llama");
    emit("arch_llama", "OLMOE_ERR_UNSUPPORTED", "general.architecture 'llama'", &g); g_free(&g);
    g_copy(&g, &base); kv_str(&g, "general.architecture", "");
    emit("arch_empty", "OLMOE_ERR_UNSUPPORTED", "general.architecture ''", &g); g_free(&g);
    g_copy(&g, &base); kv_del(&g, "general.architecture");
    emit("arch_missing", "OLMOE_ERR_KEY_MISSING", "no general.architecture", &g); g_free(&g);
    g_copy(&g, &base); kv_u32(&g, "general.architecture", 1);
    emit("arch_u32", "OLMOE_ERR_KEY_TYPE", "general.architecture stored as u32", &g); g_free(&g);

    /* ---- missing required keys ---- */
    {
        static const char *const req[] = {"embedding_length", "block_count", "attention.head_count", "feed_forward_length",
                                          "expert_count", "expert_used_count", "attention.layer_norm_rms_epsilon"};
        for (i = 0; i < (int)(sizeof req / sizeof req[0]); i++) {
            char key[160], file[160], what[200], *p;
            snprintf(key, sizeof key, "olmoe.%s", req[i]);
            snprintf(file, sizeof file, "missing_%s", req[i]);
            for (p = file; *p; p++) if (*p == '.') *p = '_';
            snprintf(what, sizeof what, "no %s", key);
            g_copy(&g, &base); kv_del(&g, key);
            emit(file, "OLMOE_ERR_KEY_MISSING", what, &g); g_free(&g);
        }
    }

    /* ---- keys of the wrong type ---- */
    g_copy(&g, &base); kv_str(&g, "olmoe.block_count", "2");
    emit("type_block_count_str", "OLMOE_ERR_KEY_TYPE", "olmoe.block_count stored as the string \"2\"", &g); g_free(&g);
    g_copy(&g, &base); kv_f32(&g, "olmoe.embedding_length", 8.0f);
    emit("type_embedding_length_f32", "OLMOE_ERR_KEY_TYPE", "olmoe.embedding_length stored as f32", &g); g_free(&g);
    g_copy(&g, &base); kv_u32(&g, "olmoe.attention.layer_norm_rms_epsilon", 0);
    emit("type_eps_u32", "OLMOE_ERR_KEY_TYPE", "layer_norm_rms_epsilon stored as u32 (int where float expected)", &g); g_free(&g);
    g_copy(&g, &base); kv_put(&g, "olmoe.expert_used_count", GGUF_TYPE_BOOL, "\1", 1, 0);
    emit("type_expert_used_bool", "OLMOE_ERR_KEY_TYPE", "olmoe.expert_used_count stored as bool", &g); g_free(&g);
    g_copy(&g, &base); kv_str(&g, "olmoe.rope.freq_base", "10000");
    emit("type_rope_str", "OLMOE_ERR_KEY_TYPE", "olmoe.rope.freq_base stored as a string", &g); g_free(&g);
    g_copy(&g, &base);
    {
        unsigned char v[12 + 8];
        uint32_t it = GGUF_TYPE_UINT32, two = 2;
        uint64_t n = 2;
        memcpy(v, &it, 4); memcpy(v + 4, &n, 8); memcpy(v + 12, &two, 4); memcpy(v + 16, &two, 4);
        kv_put(&g, "olmoe.attention.head_count_kv", GGUF_TYPE_ARRAY, v, sizeof v, 0);
    }
    emit("per_layer_head_count_kv", "OLMOE_ERR_UNSUPPORTED", "olmoe.attention.head_count_kv as a per-layer array", &g); g_free(&g);

    /* ---- impossible values ---- */
    g_copy(&g, &base); kv_u32(&g, "olmoe.block_count", 0);
    emit("value_0_layers", "OLMOE_ERR_BAD_VALUE", "olmoe.block_count 0", &g); g_free(&g);
    g_copy(&g, &base); kv_u32(&g, "olmoe.expert_used_count", 5);
    emit("value_used_gt_experts", "OLMOE_ERR_BAD_VALUE", "expert_used_count 5 > expert_count 4", &g); g_free(&g);
    g_copy(&g, &base); kv_u32(&g, "olmoe.expert_used_count", 0);
    emit("value_used_0", "OLMOE_ERR_BAD_VALUE", "expert_used_count 0", &g); g_free(&g);
    g_copy(&g, &base); kv_u32(&g, "olmoe.expert_count", 0);
    emit("value_0_experts", "OLMOE_ERR_BAD_VALUE", "expert_count 0", &g); g_free(&g);
    g_copy(&g, &base); kv_u32(&g, "olmoe.attention.head_count_kv", 3);
    emit("value_heads_not_multiple", "OLMOE_ERR_BAD_VALUE", "head_count 4 is not a multiple of head_count_kv 3", &g); g_free(&g);
    g_copy(&g, &base); kv_u32(&g, "olmoe.attention.head_count_kv", 8);
    emit("value_kv_heads_gt_heads", "OLMOE_ERR_BAD_VALUE", "head_count_kv 8 > head_count 4", &g); g_free(&g);
    g_copy(&g, &base); kv_u32(&g, "olmoe.attention.head_count", 0);
    emit("value_0_heads", "OLMOE_ERR_BAD_VALUE", "head_count 0", &g); g_free(&g);
    g_copy(&g, &base); kv_u32(&g, "olmoe.embedding_length", 10);
    emit("value_embd_not_multiple", "OLMOE_ERR_BAD_VALUE", "embedding_length 10 is not a multiple of head_count 4", &g); g_free(&g);
    g_copy(&g, &base); kv_u32(&g, "olmoe.attention.key_length", 3);
    emit("value_head_dim_odd", "OLMOE_ERR_BAD_VALUE", "attention.key_length 3 (odd head dimension)", &g); g_free(&g);
    g_copy(&g, &base); kv_f32(&g, "olmoe.attention.layer_norm_rms_epsilon", -1.0f);
    emit("value_eps_negative", "OLMOE_ERR_BAD_VALUE", "layer_norm_rms_epsilon -1", &g); g_free(&g);
    g_copy(&g, &base); kv_f32(&g, "olmoe.attention.layer_norm_rms_epsilon", nanf_);
    emit("value_eps_nan", "OLMOE_ERR_BAD_VALUE", "layer_norm_rms_epsilon NaN", &g); g_free(&g);
    g_copy(&g, &base); kv_f32(&g, "olmoe.rope.freq_base", 0.0f);
    emit("value_rope_0", "OLMOE_ERR_BAD_VALUE", "rope.freq_base 0", &g); g_free(&g);
    g_copy(&g, &base); kv_f32(&g, "olmoe.rope.freq_base", (float)INFINITY);
    emit("value_rope_inf", "OLMOE_ERR_BAD_VALUE", "rope.freq_base +Inf", &g); g_free(&g);
    g_copy(&g, &base); kv_u32(&g, "olmoe.context_length", 0);
    emit("value_ctx_0", "OLMOE_ERR_BAD_VALUE", "context_length 0", &g); g_free(&g);
    g_copy(&g, &base); kv_u64(&g, "olmoe.block_count", ~(uint64_t)0);
    emit("value_layers_u64_max", "OLMOE_ERR_BAD_VALUE", "block_count u64 2^64-1 (an integer, far out of range)", &g); g_free(&g);
    g_copy(&g, &base); kv_u32(&g, "olmoe.block_count", 3);
    emit("value_more_layers_than_tensors", "OLMOE_ERR_TENSOR_MISSING", "block_count 3 but tensors for 2 layers", &g); g_free(&g);

    /* ---- missing tensors ---- */
    g_copy(&g, &base); t_del(&g, "token_embd.weight");
    emit("missing_token_embd", "OLMOE_ERR_TENSOR_MISSING", "no token_embd.weight", &g); g_free(&g);
    g_copy(&g, &base); t_del(&g, "output.weight");
    emit("missing_output", "OLMOE_ERR_TENSOR_MISSING", "no output.weight", &g); g_free(&g);
    g_copy(&g, &base); t_del(&g, "output_norm.weight");
    emit("missing_output_norm", "OLMOE_ERR_TENSOR_MISSING", "no output_norm.weight", &g); g_free(&g);
    g_copy(&g, &base); t_del(&g, "blk.0.attn_k_norm.weight");
    emit("missing_blk0_attn_k_norm", "OLMOE_ERR_TENSOR_MISSING", "no blk.0.attn_k_norm.weight", &g); g_free(&g);
    g_copy(&g, &base); t_del(&g, "blk.1.ffn_down_exps.weight");
    emit("missing_blk1_ffn_down_exps", "OLMOE_ERR_TENSOR_MISSING", "no blk.1.ffn_down_exps.weight", &g); g_free(&g);
    g_copy(&g, &base); t_del(&g, "blk.1.ffn_gate_inp.weight");
    emit("missing_blk1_ffn_gate_inp", "OLMOE_ERR_TENSOR_MISSING", "no blk.1.ffn_gate_inp.weight (router)", &g); g_free(&g);

    /* ---- wrong shapes ---- */
    g_copy(&g, &base); t_reshape(&g, "token_embd.weight", 2, 6, 16, 1);
    emit("shape_token_embd", "OLMOE_ERR_SHAPE", "token_embd.weight 6x16 (hidden is 8)", &g); g_free(&g);
    g_copy(&g, &base); t_reshape(&g, "token_embd.weight", 3, 8, 8, 2);
    emit("shape_token_embd_3d", "OLMOE_ERR_SHAPE", "token_embd.weight 8x8x2 (3-d)", &g); g_free(&g);
    g_copy(&g, &base); t_reshape(&g, "output.weight", 2, 8, 15, 1);
    emit("shape_output_vocab", "OLMOE_ERR_SHAPE", "output.weight 8x15 (vocab is 16)", &g); g_free(&g);
    g_copy(&g, &base); t_reshape(&g, "output_norm.weight", 1, 6, 1, 1);
    emit("shape_output_norm", "OLMOE_ERR_SHAPE", "output_norm.weight of 6 (hidden is 8)", &g); g_free(&g);
    g_copy(&g, &base); t_reshape(&g, "blk.0.attn_k.weight", 2, 8, 8, 1);
    emit("shape_attn_k", "OLMOE_ERR_SHAPE", "blk.0.attn_k.weight 8x8 (kv dim is 4)", &g); g_free(&g);
    g_copy(&g, &base); t_reshape(&g, "blk.1.attn_q_norm.weight", 1, 4, 1, 1);
    emit("shape_attn_q_norm", "OLMOE_ERR_SHAPE", "blk.1.attn_q_norm.weight of 4 (q dim is 8)", &g); g_free(&g);
    g_copy(&g, &base); t_reshape(&g, "blk.0.ffn_gate_inp.weight", 2, 8, 3, 1);
    emit("shape_gate_inp", "OLMOE_ERR_SHAPE", "blk.0.ffn_gate_inp.weight 8x3 (4 experts)", &g); g_free(&g);
    g_copy(&g, &base); t_reshape(&g, "blk.1.ffn_down_exps.weight", 3, 8, 4, 4);
    emit("shape_down_exps_transposed", "OLMOE_ERR_SHAPE", "blk.1.ffn_down_exps.weight 8x4x4 (want 4x8x4)", &g); g_free(&g);
    g_copy(&g, &base); t_reshape(&g, "blk.0.ffn_up_exps.weight", 2, 8, 16, 1);
    emit("shape_up_exps_2d", "OLMOE_ERR_SHAPE", "blk.0.ffn_up_exps.weight 8x16 (2-d, experts flattened)", &g); g_free(&g);
    g_copy(&g, &base); t_reshape(&g, "blk.0.ffn_gate_exps.weight", 3, 8, 4, 3);
    emit("shape_gate_exps_experts", "OLMOE_ERR_SHAPE", "blk.0.ffn_gate_exps.weight with 3 experts", &g); g_free(&g);

    /* ---- tensor types ---- */
    g_copy(&g, &base); t_retype(&g, "blk.0.attn_q.weight", OLMOE_TYPE_Q8_0);
    emit("quant_row_not_block", "OLMOE_ERR_SHAPE", "blk.0.attn_q.weight q8_0 with rows of 8 (block is 32)", &g); g_free(&g);
    g_copy(&g, &q8); t_retype(&g, "blk.0.attn_q.weight", 9 /* q8_1: an activation type, never a weight here */);
    emit("matrix_q8_1", "OLMOE_ERR_UNSUPPORTED", "blk.0.attn_q.weight in q8_1 (a valid GGML type this build cannot run)", &g); g_free(&g);
    g_copy(&g, &base); t_retype(&g, "blk.1.attn_v.weight", 26 /* i32 */);
    emit("matrix_i32", "OLMOE_ERR_UNSUPPORTED", "blk.1.attn_v.weight of type i32", &g); g_free(&g);
    g_copy(&g, &base); t_retype(&g, "blk.0.attn_norm.weight", OLMOE_TYPE_F16);
    emit("norm_f16", "OLMOE_ERR_TENSOR_TYPE", "blk.0.attn_norm.weight in f16 (norms must be f32)", &g); g_free(&g);
    g_copy(&g, &q8); t_retype(&g, "blk.0.ffn_gate_inp.weight", OLMOE_TYPE_Q8_0);
    emit("router_q8_0", "OLMOE_ERR_TENSOR_TYPE", "blk.0.ffn_gate_inp.weight in q8_0 (the router must be f32)", &g); g_free(&g);

    /* ---- non-finite weights ---- */
    g_copy(&g, &base); t_poke_f32(&g, "blk.1.ffn_norm.weight", 3, nanf_);
    emit("nan_ffn_norm", "OLMOE_ERR_BAD_VALUE", "NaN in blk.1.ffn_norm.weight", &g); g_free(&g);
    g_copy(&g, &base); t_poke_f32(&g, "output_norm.weight", 0, (float)INFINITY);
    emit("inf_output_norm", "OLMOE_ERR_BAD_VALUE", "+Inf in output_norm.weight", &g); g_free(&g);
    g_copy(&g, &base); t_poke_f32(&g, "blk.0.attn_k_norm.weight", 3, -(float)INFINITY);
    emit("inf_attn_k_norm", "OLMOE_ERR_BAD_VALUE", "-Inf in blk.0.attn_k_norm.weight", &g); g_free(&g);
    g_copy(&g, &base); t_poke_f32(&g, "blk.0.ffn_gate_inp.weight", 5, (float)INFINITY);
    emit("inf_router", "OLMOE_ERR_BAD_VALUE", "+Inf in the router blk.0.ffn_gate_inp.weight", &g); g_free(&g);
    g_copy(&g, &q8); t_poke_f32(&g, "blk.0.ffn_gate_inp.weight", 100, nanf_);
    emit("nan_router_q8_0", "OLMOE_ERR_BAD_VALUE", "NaN in the router of the q8_0 base", &g); g_free(&g);

    /* ---- non-finite matrix weights: not validated (only norms and routers are), so these load;
       evaluating them must stay defined (NaN activations reach the Q8_0 quantizer, NaN logits
       reach the sampler) ---- */
    g_copy(&g, &q8);
    {
        tent *t = t_find(&g, "blk.0.attn_output.weight");
        t->data[0] = 0x00; t->data[1] = 0x7e;       /* the first block's fp16 scale: NaN */
        t = t_find(&g, "blk.0.ffn_down_exps.weight");
        t->data[34] = 0x00; t->data[35] = 0x7c;     /* the second block's scale: +Inf */
    }
    emit("nonfinite_q8_0_scales", "OLMOE_OK check=OLMOE_ERR_BAD_VALUE", "q8_0 base with a NaN and an Inf block scale in matrices (loads: matrices are not validated)", &g); g_free(&g);
    g_copy(&g, &base); t_poke_f32(&g, "output.weight", 17, nanf_); t_poke_f32(&g, "blk.1.attn_v.weight", 3, (float)INFINITY);
    emit("nonfinite_f32_matrices", "OLMOE_OK check=OLMOE_ERR_BAD_VALUE", "f32 base with NaN in output.weight and Inf in blk.1.attn_v.weight (loads: matrices are not validated)", &g); g_free(&g);

    /* ---- every weight type the loader binds, per type: a valid base (every matrix whose rows
       are whole blocks in that type), its data cut short, rows that are not whole blocks, and a
       NaN and an Inf block scale (these load by default; validate_weights 2 refuses them, naming
       tensor, block and row). Scale fields at QUANTS.md 1.1's byte offsets. ---- */
    {
        static const struct { uint32_t type; int blck, bytes, off_d, off_m; const char *m; } QT[] = {
            {OLMOE_TYPE_Q4_0, 32, 18, 0, -1, ""}, {OLMOE_TYPE_Q4_1, 32, 20, 0, 2, "m"},
            {OLMOE_TYPE_Q5_0, 32, 22, 0, -1, ""}, {OLMOE_TYPE_Q5_1, 32, 24, 0, 2, "m"},
            {OLMOE_TYPE_Q8_0, 32, 34, 0, -1, ""}, {OLMOE_TYPE_Q2_K, 256, 84, 80, 82, "dmin"},
            {OLMOE_TYPE_Q3_K, 256, 110, 108, -1, ""}, {OLMOE_TYPE_Q4_K, 256, 144, 0, 2, "dmin"},
            {OLMOE_TYPE_Q5_K, 256, 176, 0, 2, "dmin"}, {OLMOE_TYPE_Q6_K, 256, 210, 208, -1, ""},
            {OLMOE_TYPE_IQ4_NL, 32, 18, 0, -1, ""}, {OLMOE_TYPE_IQ4_XS, 256, 136, 0, -1, ""}};
        for (i = 0; i < (int)(sizeof QT / sizeof QT[0]); i++) {
            /* hidden = the block size (one block a row), head dim 2, ffn 1: small, yet every
               matrix with rows of hidden (embeddings, head, q/k/v, gate/up experts) is in the type;
               the others (attn_output, down: rows of 2 and 1) are f16 */
            desc DT = {"olmoe", 10, 0, 1, 1, 1, 2, 1, 1, 0, 2};
            const char *tn = olmoe_type_name((int)QT[i].type);
            char file[96], what[400], code[96];
            int blk;
            tent *t;
            DT.mtype = QT[i].type;
            DT.d = QT[i].blck;
            g_base(&g, &DT);
            snprintf(file, sizeof file, "ok_type_%s", tn);
            snprintf(what, sizeof what, "valid: hidden %d, vocab 10, 1 layer, head dim 2, 2 experts top-1, ffn 1; the matrices with rows of %d in %s, the others f16",
                     DT.d, DT.d, tn);
            emit(file, "OLMOE_OK", what, &g);
            {
                bytes Q = g_write(&g);
                layout QL = lay_of(&Q);
                int k = 0;
                while (strcmp(g.t[k].name, "blk.0.ffn_up_exps.weight")) k++;
                snprintf(file, sizeof file, "trunc_data_%s", tn);
                snprintf(what, sizeof what, "ok_type_%s cut inside blk.0.ffn_up_exps.weight (%s)", tn, tn);
                emit_cut(file, what, &Q, QL.data_start + (size_t)rd64(Q.p + QL.ti_offset[k]) + (size_t)g.t[k].nbytes / 2);
                free(Q.p);
            }
            snprintf(code, sizeof code, "OLMOE_OK check=OLMOE_ERR_BAD_VALUE");
            /* NaN in the d of block 1 of the up experts (0x7e00) */
            t = t_find(&g, "blk.0.ffn_up_exps.weight");
            blk = 1;
            t->data[blk * QT[i].bytes + QT[i].off_d] = 0x00; t->data[blk * QT[i].bytes + QT[i].off_d + 1] = 0x7e;
            snprintf(file, sizeof file, "nonfinite_scale_nan_%s", tn);
            snprintf(what, sizeof what, "ok_type_%s with a NaN d (check message \"tensor blk.0.ffn_up_exps.weight: block 1 has a non-finite scale (d is NaN; row 1)\")", tn);
            emit(file, code, what, &g);
            t->data[blk * QT[i].bytes + QT[i].off_d] = 0x00; t->data[blk * QT[i].bytes + QT[i].off_d + 1] = 0x3c; /* 1.0 */
            /* Inf in block 5 of the head: in m/dmin where the type has one (+Inf), else in d (-Inf) */
            t = t_find(&g, "output.weight");
            blk = 5;
            if (QT[i].off_m >= 0) { t->data[blk * QT[i].bytes + QT[i].off_m] = 0x00; t->data[blk * QT[i].bytes + QT[i].off_m + 1] = 0x7c; }
            else { t->data[blk * QT[i].bytes + QT[i].off_d] = 0x00; t->data[blk * QT[i].bytes + QT[i].off_d + 1] = 0xfc; }
            snprintf(file, sizeof file, "nonfinite_scale_inf_%s", tn);
            snprintf(what, sizeof what, "ok_type_%s with an Inf %s (check message \"tensor output.weight: block 5 has a non-finite scale (%s is Inf; row 5)\")", tn,
                     QT[i].off_m >= 0 ? QT[i].m : "d", QT[i].off_m >= 0 ? QT[i].m : "d");
            emit(file, code, what, &g);
            g_free(&g);
            /* rows that are not whole blocks, in the q8_0 base of this shape (hidden 32): attn_output
               (rows of 2) for the 32-blocks, attn_q (rows of 32) for the 256-blocks */
            DT.mtype = OLMOE_TYPE_Q8_0;
            DT.d = 32;
            g_base(&g, &DT);
            t_retype(&g, QT[i].blck == 32 ? "blk.0.attn_output.weight" : "blk.0.attn_q.weight", QT[i].type);
            snprintf(file, sizeof file, "row_not_block_%s", tn);
            snprintf(what, sizeof what, "%s in %s with rows of %d (block %d)", QT[i].blck == 32 ? "blk.0.attn_output.weight" : "blk.0.attn_q.weight",
                     tn, QT[i].blck == 32 ? 2 : 32, QT[i].blck);
            emit(file, "OLMOE_ERR_SHAPE", what, &g);
            g_free(&g);
        }
    }

    /* ---- float matrices with one non-finite element past the first few hundred (hidden 256,
       every matrix in the type): loads; validate_weights 2 names the element ---- */
    {
        static const struct { uint32_t type; unsigned char lo, hi; const char *v; } FT[] = {
            {OLMOE_TYPE_F32, 0, 0, "NaN"}, {OLMOE_TYPE_F16, 0x00, 0x7c, "Inf"}, {OLMOE_TYPE_BF16, 0xc1, 0xff, "NaN"}};
        for (i = 0; i < 3; i++) {
            desc DF = {"olmoe", 10, 256, 1, 1, 1, 2, 1, 1, 0, 2};
            const char *tn = olmoe_type_name((int)FT[i].type);
            char file[96], what[300];
            DF.mtype = FT[i].type;
            g_base(&g, &DF);
            if (FT[i].type == OLMOE_TYPE_F32) t_poke_f32(&g, "token_embd.weight", 1000, nanf_);
            else { tent *t = t_find(&g, "token_embd.weight"); t->data[2000] = FT[i].lo; t->data[2001] = FT[i].hi; }
            snprintf(file, sizeof file, "nonfinite_%s_element", tn);
            snprintf(what, sizeof what, "hidden 256, %s matrices, token_embd.weight element 1000 %s (check message \"tensor token_embd.weight: element 1000 is not finite (%s)\")",
                     tn, FT[i].v, FT[i].v);
            emit(file, "OLMOE_OK check=OLMOE_ERR_BAD_VALUE", what, &g);
            g_free(&g);
        }
    }

    g_free(&base);
    g_free(&q8);
    if (fclose(g_manifest) != 0) die("cannot write MANIFEST");
    printf("gen_bad: %d files in %s\n", g_count, g_outdir);
    return 0;
}
