/* olmoe synth: write a GGUF with a real model's shapes and deterministic random weights, for
   benchmarks and load tests (no checkpoint needed).

     olmoe synth OUT.gguf --preset olmoe-1b-7b --type q4_0|q8_0|f16|bf16|f32 [--seed N]
                 [--output-type T] [--layers N] [--experts N] [--top-k N] [--vocab N]
                 [--hidden N] [--heads N] [--ffn N] [--router-scale S] [--embd-std S] [--qk-norm S]

   Weights: matrices have a dequantized std of ~0.02 and zero mean. Quantized tensors are generated
   as blocks directly (random nibbles / int8 values, fp16 scales chosen for that std with a +-25%
   jitter and a random sign per block, so that Q4_0's -8..7 range gives no matrix a mean) instead of
   quantizing floats, so the 3.9 GB Q4_0 OLMoE-1B-7B takes seconds (plus the disk). Float matrices are
   uniform on [-0.02*sqrt(3), 0.02*sqrt(3)].
   Three choices keep the routing like a trained model's (each token's top-k clearly ahead of the
   rest, and over many tokens all experts in use), which matters for prefill's grouping by expert:
   - router rows (ffn_gate_inp, always F32) have std router_scale/sqrt(d) (default 2/sqrt(d)), so
     the router logits of an RMS-normalised hidden state have std ~2 (FlexOlmo's router reads the
     un-normalised residual, so there the std is also divided by embd_std);
   - token_embd has std embd_std (default 3.0): token-specific content dominates the residual
     stream over what the layers add to every token alike;
   - attn_q_norm/attn_k_norm weights are qk_norm (default 4) * (1 + U(-0.05, 0.05)), so attention
     is sharp. With ~1 and random projections, attention is near-uniform, its output is the running
     mean of the values, shared by all later tokens; after a few layers of 2048-d OLMoE every token
     of a 128-token prompt then picks the same 8 experts.
   Other norm weights are 1 + U(-0.05, 0.05).
   Every tensor has its own PRNG stream (xoshiro256** seeded from --seed and the tensor name), so the
   file is a pure function of the arguments. Written to OUT.tmp.PID, then renamed to OUT. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include "cli.h"
#include "gguf_write.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <errno.h>
#ifndef _WIN32
#include <unistd.h>
#endif

typedef struct synth_preset {
    const char *name, *about;
    int arch;                   /* OLMOE_ARCH_* */
    int vocab, d, layers, heads, heads_kv, experts, top_k, ffn, ctx;
    float theta, eps;
} synth_preset;

static const synth_preset synth_presets[] = {
    {"olmoe-1b-7b", "OLMoE-1B-7B (0924/0125) shapes, 6.9B weights",
     OLMOE_ARCH_OLMOE, 50304, 2048, 16, 16, 16, 64, 8, 1024, 4096, 10000.0f, 1e-5f},
    {"tiny", "small OLMoE for quick tests",
     OLMOE_ARCH_OLMOE, 4096, 256, 4, 4, 4, 16, 4, 256, 2048, 10000.0f, 1e-5f},
    {"flexolmo-mini", "small FlexOlmo (post-norm, 7 experts)",
     OLMOE_ARCH_FLEX_OLMO, 4096, 512, 4, 8, 8, 7, 4, 1024, 4096, 500000.0f, 1e-6f},
    {"flexolmo-7x7b", "FlexOlmo-7x7B-1T shapes, 33B weights (top-k 4; the release may use 5)",
     OLMOE_ARCH_FLEX_OLMO, 100352, 4096, 32, 32, 32, 7, 4, 11008, 4096, 500000.0f, 1e-6f},
};

/* ---- PRNG: splitmix64 for seeding, xoshiro256** for the streams ---------------------------- */
typedef struct { uint64_t s[4]; } synth_rng;
static uint64_t synth_splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static uint64_t synth_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t synth_next(synth_rng *r) {
    uint64_t *s = r->s, res = synth_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = synth_rotl(s[3], 45);
    return res;
}
static void synth_seed(synth_rng *r, uint64_t seed, const char *name) {
    uint64_t h = 1469598103934665603ULL, x;   /* FNV-1a of the name, mixed with the seed */
    int i;
    for (; *name; name++) h = (h ^ (unsigned char)*name) * 1099511628211ULL;
    x = seed ^ synth_rotl(h, 17);
    for (i = 0; i < 4; i++) r->s[i] = synth_splitmix(&x);
}
/* uniform in [-1, 1) from 24 bits */
static float synth_unit(uint64_t bits) { return (float)(int32_t)(bits & 0xffffff) * (1.0f / 8388608.0f) - 1.0f; }

/* ---- tensor generators --------------------------------------------------------------------- */
enum { GEN_MATRIX, GEN_NORM, GEN_ROUTER };

typedef struct synth_gen {
    synth_rng rng;
    int type, kind;
    float std;
    uint16_t scale16[256];      /* fp16 block scales (quantized types) */
    uint16_t tab16[4096];       /* fp16 / bf16 values (float types) */
} synth_gen;

static void synth_gen_init(synth_gen *g, uint64_t seed, const char *name, int type, int kind, float std) {
    int i;
    synth_seed(&g->rng, seed, name);
    g->type = type; g->kind = kind; g->std = std;
    if (kind != GEN_MATRIX) return;
    if (type == OLMOE_TYPE_Q4_0 || type == OLMOE_TYPE_Q8_0) {
        /* std of the integer part: Q4_0 nibble-8 uniform over -8..7: sqrt((16^2-1)/12) = 4.61;
           Q8_0 uniform over -127..127 (0x80 is mapped to -127): sqrt((255^2-1)/12) = 73.6 */
        float qstd = type == OLMOE_TYPE_Q4_0 ? 4.6098f : 73.61f;
        for (i = 0; i < 256; i++) g->scale16[i] = olmoe_fp32_to_fp16(std / qstd * (0.75f + 0.5f * (float)i / 255.0f));
    } else {
        /* values uniform on [-a, a] with a = std*sqrt(3), as a table of 4096 fp16/bf16 codes */
        float a = std * 1.7320508f;
        for (i = 0; i < 4096; i++) {
            float v = a * (((float)i + 0.5f) / 2048.0f - 1.0f);
            g->tab16[i] = type == OLMOE_TYPE_BF16 ? olmoe_fp32_to_bf16(v) : olmoe_fp32_to_fp16(v);
        }
    }
}

/* Fill out with n elements (n a multiple of the block size); the stream continues across calls. */
static void synth_gen_fill(synth_gen *g, uint8_t *out, uint64_t n) {
    uint64_t i;
    if (g->kind != GEN_MATRIX) {       /* F32 norms and router */
        float *f = (float *)out;
        for (i = 0; i < n; i++) {
            float u = synth_unit(synth_next(&g->rng));
            f[i] = g->kind == GEN_NORM ? g->std * (1.0f + 0.05f * u) : g->std * 1.7320508f * u;  /* norms: std = centre */
        }
        return;
    }
    switch (g->type) {
    case OLMOE_TYPE_Q4_0:
        for (i = 0; i < n / 32; i++, out += 18) {
            uint64_t a = synth_next(&g->rng), b = synth_next(&g->rng), c = synth_next(&g->rng);
            uint16_t d = (uint16_t)(g->scale16[c & 255] | ((c >> 8) & 1) << 15);  /* random sign: zero mean */
            memcpy(out, &d, 2);           /* little-endian hosts (fp16 scale first) */
            memcpy(out + 2, &a, 8);
            memcpy(out + 10, &b, 8);
        }
        break;
    case OLMOE_TYPE_Q8_0:
        for (i = 0; i < n / 32; i++, out += 34) {
            uint64_t v[4], c = synth_next(&g->rng);
            uint16_t d = (uint16_t)(g->scale16[c & 255] | ((c >> 8) & 1) << 15);
            int j;
            for (j = 0; j < 4; j++) v[j] = synth_next(&g->rng);
            memcpy(out, &d, 2);
            memcpy(out + 2, v, 32);
            for (j = 2; j < 34; j++) if (out[j] == 0x80) out[j] = 0x81;  /* no -128: like the quantizer */
        }
        break;
    case OLMOE_TYPE_F16:
    case OLMOE_TYPE_BF16: {
        uint16_t *h = (uint16_t *)out;
        for (i = 0; i + 5 <= n; i += 5) {
            uint64_t r = synth_next(&g->rng);
            h[i] = g->tab16[r & 4095]; h[i + 1] = g->tab16[(r >> 12) & 4095]; h[i + 2] = g->tab16[(r >> 24) & 4095];
            h[i + 3] = g->tab16[(r >> 36) & 4095]; h[i + 4] = g->tab16[(r >> 48) & 4095];
        }
        for (; i < n; i++) h[i] = g->tab16[synth_next(&g->rng) & 4095];
        break;
    }
    default: {  /* F32 */
        float *f = (float *)out, a = g->std * 1.7320508f;
        for (i = 0; i < n; i++) f[i] = a * synth_unit(synth_next(&g->rng));
        break;
    }
    }
}

/* ---- the tensor list ------------------------------------------------------------------------- */
typedef struct synth_tensor {
    char name[64];
    int type, kind, n_dims;
    int64_t ne[3];
    uint64_t nel;
} synth_tensor;

static int synth_parse_type(const char *s) {
    if (!strcmp(s, "q4_0")) return OLMOE_TYPE_Q4_0;
    if (!strcmp(s, "q8_0")) return OLMOE_TYPE_Q8_0;
    if (!strcmp(s, "f16")) return OLMOE_TYPE_F16;
    if (!strcmp(s, "bf16")) return OLMOE_TYPE_BF16;
    if (!strcmp(s, "f32")) return OLMOE_TYPE_F32;
    return -1;
}
static uint32_t synth_file_type(int t) {
    switch (t) {
    case OLMOE_TYPE_F32: return 0;
    case OLMOE_TYPE_F16: return 1;
    case OLMOE_TYPE_Q4_0: return 2;
    case OLMOE_TYPE_Q8_0: return 7;
    case OLMOE_TYPE_BF16: return 32;
    }
    return 0;
}

static void synth_add(synth_tensor *t, int *n, const char *name, int type, int kind, int nd, int64_t a, int64_t b, int64_t c) {
    synth_tensor *x = &t[(*n)++];
    snprintf(x->name, sizeof x->name, "%s", name);
    x->type = type; x->kind = kind; x->n_dims = nd;
    x->ne[0] = a; x->ne[1] = b; x->ne[2] = c;
    x->nel = (uint64_t)a * (uint64_t)(nd > 1 ? b : 1) * (uint64_t)(nd > 2 ? c : 1);
}

/* ---- a byte-level BPE tokenizer, so that llama.cpp (and olmoe's own CLI) can load the file ----
   ids 0..255: one token per byte, spelled as GPT-2's byte-level BPE spells it (printable bytes as
   themselves, the others as U+0100 + n); 256 <|endoftext|> (eos, control); 257 <|padding|>
   (control); then the results of a few common English merges; the rest [PADn] (unused), as
   llama.cpp's converter pads a vocabulary to the embedding's rows. Pre-tokenizer "olmo" (GPT-2
   regex, as the OLMoE tokenizer). */
static const char *const synth_merges[] = {
    "\xc4\xa0 t", "\xc4\xa0 a", "h e", "i n", "r e", "o n", "\xc4\xa0t he", "e r", "\xc4\xa0 s", "a t", "\xc4\xa0 w",
    "\xc4\xa0 o", "e n", "\xc4\xa0 c", "i t", "i s", "a n", "o r", "e s", "\xc4\xa0 b", "e d", "\xc4\xa0 f", "in g",
    "\xc4\xa0 p", "o u", "\xc4\xa0" "a n", "a l", "a r", "\xc4\xa0t o", "\xc4\xa0 m", "\xc4\xa0o f", "\xc4\xa0 in",
    "\xc4\xa0 d", "\xc4\xa0 h", "\xc4\xa0" "an d"};
enum { SYNTH_TOK_MIN = 258 + (int)(sizeof synth_merges / sizeof synth_merges[0]) };

/* UTF-8 of the code point GPT-2's byte-level BPE uses for byte b; returns its length. */
static int synth_byte_utf8(int b, char *o) {
    int cp = b, n = 0, k;
    if (!((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))) {
        for (k = 0; k < b; k++) if (!((k >= 33 && k <= 126) || (k >= 161 && k <= 172) || (k >= 174 && k <= 255))) n++;
        cp = 256 + n;
    }
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
}

/* Adds the tokenizer keys for a vocabulary of V entries (V >= SYNTH_TOK_MIN); 0 or -1. */
static int synth_tokenizer(gguf_writer *w, int V) {
    int nm = (int)(sizeof synth_merges / sizeof synth_merges[0]), i, bad;
    char **tok = (char **)calloc((size_t)V, sizeof(char *));
    size_t *len = (size_t *)calloc((size_t)V, sizeof(size_t)), *mlen = (size_t *)calloc((size_t)nm, sizeof(size_t));
    int32_t *type = (int32_t *)calloc((size_t)V, sizeof(int32_t));
    bad = !tok || !len || !mlen || !type;
    for (i = 0; i < V && !bad; i++) {
        char b[32];
        size_t l;
        int ty = 1;                                       /* normal */
        if (i < 256) l = (size_t)synth_byte_utf8(i, b);
        else if (i == 256) { l = (size_t)sprintf(b, "<|endoftext|>"); ty = 3; }
        else if (i == 257) { l = (size_t)sprintf(b, "<|padding|>"); ty = 3; }
        else if (i < 258 + nm) {                          /* the merge's result: its two parts joined */
            const char *m = synth_merges[i - 258], *sp = strchr(m, ' ');
            l = (size_t)(sp - m);
            memcpy(b, m, l);
            memcpy(b + l, sp + 1, strlen(sp + 1));
            l += strlen(sp + 1);
        } else { l = (size_t)sprintf(b, "[PAD%d]", i); ty = 5; }  /* unused */
        if (!(tok[i] = (char *)malloc(l + 1))) { bad = 1; break; }
        memcpy(tok[i], b, l);
        tok[i][l] = 0;
        len[i] = l;
        type[i] = ty;
    }
    for (i = 0; i < nm && !bad; i++) mlen[i] = strlen(synth_merges[i]);
    bad = bad || gguf_w_kv_str(w, "tokenizer.ggml.model", "gpt2") || gguf_w_kv_str(w, "tokenizer.ggml.pre", "olmo") ||
          gguf_w_kv_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)tok, len, (uint64_t)V) ||
          gguf_w_kv_arr_i32(w, "tokenizer.ggml.token_type", type, (uint64_t)V) ||
          gguf_w_kv_arr_str(w, "tokenizer.ggml.merges", synth_merges, mlen, (uint64_t)nm) ||
          gguf_w_kv_u32(w, "tokenizer.ggml.bos_token_id", 256) || gguf_w_kv_u32(w, "tokenizer.ggml.eos_token_id", 256) ||
          gguf_w_kv_u32(w, "tokenizer.ggml.padding_token_id", 257) || gguf_w_kv_bool(w, "tokenizer.ggml.add_bos_token", 0) ||
          gguf_w_kv_bool(w, "tokenizer.ggml.add_eos_token", 0);
    for (i = 0; tok && i < V; i++) free(tok[i]);
    free(tok); free(len); free(mlen); free(type);
    return bad ? -1 : 0;
}

static double synth_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void synth_usage(FILE *f) {
    size_t i;
    fprintf(f, "usage: olmoe synth OUT.gguf [--preset NAME] [--type q4_0|q8_0|f16|bf16|f32] [--seed N]\n"
               "                   [--output-type T] [--layers N] [--experts N] [--top-k N] [--vocab N]\n"
               "                   [--hidden N] [--heads N] [--ffn N] [--router-scale S] [--embd-std S] [--qk-norm S]\n"
               "presets:\n");
    for (i = 0; i < sizeof synth_presets / sizeof synth_presets[0]; i++) {
        const synth_preset *p = &synth_presets[i];
        fprintf(f, "  %-14s %s (%s, d %d, %d layers, %d experts top-%d, ffn %d, vocab %d)\n", p->name, p->about,
                p->arch == OLMOE_ARCH_OLMOE ? "olmoe" : "flex_olmo", p->d, p->layers, p->experts, p->top_k, p->ffn, p->vocab);
    }
    fprintf(f, "defaults: --preset olmoe-1b-7b, --type q4_0, --output-type as --type, --seed 42, the shape flags from\n"
               "  the preset, --router-scale 2, --embd-std 3, --qk-norm 4; -h/--help: this help\n"
               "example: olmoe synth /tmp/tiny.gguf --preset tiny --type q8_0\n");
}

int cmd_synth(int argc, char **argv) {
    const char *out = NULL, *preset = "olmoe-1b-7b";
    int type = OLMOE_TYPE_Q4_0, out_type = -1, i, l, nt = 0, ov_layers = 0, ov_exp = 0, ov_k = 0, ov_vocab = 0;
    int ov_d = 0, ov_heads = 0, ov_ffn = 0;
    uint64_t seed = 42;
    float router_scale = 2.0f, embd_std = 3.0f, qk_norm = 4.0f;
    synth_preset P;
    const char *arch;
    char key[128], name[64], *tmp = NULL;
    synth_tensor *T = NULL;
    gguf_writer *w = NULL;
    FILE *f = NULL;
    uint8_t *buf = NULL;
    size_t buf_size = (size_t)32 << 20;
    double t0 = synth_now(), tgen = 0.0;
    uint64_t total = 0;
    int rc = 1;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { synth_usage(stdout); return 0; }
        else if (!strcmp(a, "--preset") && has) preset = argv[++i];
        else if (!strcmp(a, "--type") && has) {
            if ((type = synth_parse_type(argv[++i])) < 0) { fprintf(stderr, "synth: unknown type %s\n", argv[i]); return 2; }
        } else if (!strcmp(a, "--output-type") && has) {
            if ((out_type = synth_parse_type(argv[++i])) < 0) { fprintf(stderr, "synth: unknown type %s\n", argv[i]); return 2; }
        } else if (!strcmp(a, "--seed") && has) seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(a, "--layers") && has) ov_layers = atoi(argv[++i]);
        else if (!strcmp(a, "--experts") && has) ov_exp = atoi(argv[++i]);
        else if (!strcmp(a, "--top-k") && has) ov_k = atoi(argv[++i]);
        else if (!strcmp(a, "--vocab") && has) ov_vocab = atoi(argv[++i]);
        else if (!strcmp(a, "--hidden") && has) ov_d = atoi(argv[++i]);
        else if (!strcmp(a, "--heads") && has) ov_heads = atoi(argv[++i]);
        else if (!strcmp(a, "--ffn") && has) ov_ffn = atoi(argv[++i]);
        else if (!strcmp(a, "--router-scale") && has) router_scale = (float)atof(argv[++i]);
        else if (!strcmp(a, "--embd-std") && has) embd_std = (float)atof(argv[++i]);
        else if (!strcmp(a, "--qk-norm") && has) qk_norm = (float)atof(argv[++i]);
        else if (a[0] != '-' && !out) out = a;
        else { fprintf(stderr, "synth: unknown or incomplete option %s\n", a); synth_usage(stderr); return 2; }
    }
    if (!out) { synth_usage(stderr); return 2; }
    for (i = 0; i < (int)(sizeof synth_presets / sizeof synth_presets[0]); i++)
        if (!strcmp(synth_presets[i].name, preset)) break;
    if (i == (int)(sizeof synth_presets / sizeof synth_presets[0])) {
        fprintf(stderr, "synth: unknown preset %s\n", preset);
        synth_usage(stderr);
        return 2;
    }
    P = synth_presets[i];
    if (ov_layers > 0) P.layers = ov_layers;
    if (ov_exp > 0) P.experts = ov_exp;
    if (ov_k > 0) P.top_k = ov_k;
    if (ov_vocab > 0) P.vocab = ov_vocab;
    if (ov_d > 0) P.d = ov_d;
    if (ov_heads > 0) P.heads = P.heads_kv = ov_heads;
    if (ov_ffn > 0) P.ffn = ov_ffn;
    if (out_type < 0) out_type = type;
    if (P.top_k > P.experts || P.d % P.heads || (P.d / P.heads) % 2 || P.d % 32 || P.ffn % 32) {
        fprintf(stderr, "synth: inconsistent shape (d %d, heads %d, ffn %d, experts %d, top-k %d): d and ffn must be "
                        "multiples of 32, d/heads even, top-k <= experts\n", P.d, P.heads, P.ffn, P.experts, P.top_k);
        return 2;
    }
    arch = P.arch == OLMOE_ARCH_OLMOE ? "olmoe" : "flex_olmo";

    /* tensors, in the order llama.cpp's converter writes them */
    T = (synth_tensor *)calloc((size_t)(3 + 13 * P.layers), sizeof *T);
    if (!T) { fprintf(stderr, "synth: out of memory\n"); return 1; }
    {
        int64_t d = P.d, F = P.ffn, E = P.experts, qd = (int64_t)P.heads * (P.d / P.heads),
                kvd = (int64_t)P.heads_kv * (P.d / P.heads);
        synth_add(T, &nt, "token_embd.weight", type, GEN_MATRIX, 2, d, P.vocab, 1);
        for (l = 0; l < P.layers; l++) {
#define NM(s) (snprintf(name, sizeof name, "blk.%d.%s.weight", l, s), name)
            if (P.arch == OLMOE_ARCH_OLMOE) synth_add(T, &nt, NM("attn_norm"), OLMOE_TYPE_F32, GEN_NORM, 1, d, 1, 1);
            synth_add(T, &nt, NM("attn_q"), type, GEN_MATRIX, 2, d, qd, 1);
            synth_add(T, &nt, NM("attn_k"), type, GEN_MATRIX, 2, d, kvd, 1);
            synth_add(T, &nt, NM("attn_v"), type, GEN_MATRIX, 2, d, kvd, 1);
            synth_add(T, &nt, NM("attn_output"), type, GEN_MATRIX, 2, qd, d, 1);
            synth_add(T, &nt, NM("attn_q_norm"), OLMOE_TYPE_F32, GEN_NORM, 1, qd, 1, 1);
            synth_add(T, &nt, NM("attn_k_norm"), OLMOE_TYPE_F32, GEN_NORM, 1, kvd, 1, 1);
            if (P.arch == OLMOE_ARCH_OLMOE) synth_add(T, &nt, NM("ffn_norm"), OLMOE_TYPE_F32, GEN_NORM, 1, d, 1, 1);
            else synth_add(T, &nt, NM("post_attention_norm"), OLMOE_TYPE_F32, GEN_NORM, 1, d, 1, 1);
            synth_add(T, &nt, NM("ffn_gate_inp"), OLMOE_TYPE_F32, GEN_ROUTER, 2, d, E, 1);
            synth_add(T, &nt, NM("ffn_gate_exps"), type, GEN_MATRIX, 3, d, F, E);
            synth_add(T, &nt, NM("ffn_down_exps"), type, GEN_MATRIX, 3, F, d, E);
            synth_add(T, &nt, NM("ffn_up_exps"), type, GEN_MATRIX, 3, d, F, E);
            if (P.arch == OLMOE_ARCH_FLEX_OLMO) synth_add(T, &nt, NM("post_ffw_norm"), OLMOE_TYPE_F32, GEN_NORM, 1, d, 1, 1);
#undef NM
        }
        synth_add(T, &nt, "output_norm.weight", OLMOE_TYPE_F32, GEN_NORM, 1, d, 1, 1);
        synth_add(T, &nt, "output.weight", out_type, GEN_MATRIX, 2, d, P.vocab, 1);
    }

    w = gguf_w_new();
    if (!w) { fprintf(stderr, "synth: out of memory\n"); goto done; }
    {
        char gname[160];
        int bad = 0;
        snprintf(gname, sizeof gname, "synthetic %s (random weights, seed %llu)", P.name, (unsigned long long)seed);
        bad |= gguf_w_kv_str(w, "general.architecture", arch);
        bad |= gguf_w_kv_str(w, "general.name", gname);
#define KU(s, v) (snprintf(key, sizeof key, "%s.%s", arch, s), gguf_w_kv_u32(w, key, (uint32_t)(v)))
#define KF(s, v) (snprintf(key, sizeof key, "%s.%s", arch, s), gguf_w_kv_f32(w, key, (float)(v)))
        bad |= KU("context_length", P.ctx);
        bad |= KU("embedding_length", P.d);
        bad |= KU("feed_forward_length", P.ffn);
        bad |= KU("block_count", P.layers);
        bad |= KU("attention.head_count", P.heads);
        bad |= KU("attention.head_count_kv", P.heads_kv);
        bad |= KF("rope.freq_base", P.theta);
        bad |= KF("attention.layer_norm_rms_epsilon", P.eps);
        bad |= KU("expert_count", P.experts);
        bad |= KU("expert_used_count", P.top_k);
#undef KU
#undef KF
        bad |= gguf_w_kv_u32(w, "general.file_type", synth_file_type(type));
        if (type == OLMOE_TYPE_Q4_0 || type == OLMOE_TYPE_Q8_0) bad |= gguf_w_kv_u32(w, "general.quantization_version", 2);
        if (!bad && P.vocab >= SYNTH_TOK_MIN) bad |= synth_tokenizer(w, P.vocab);
        else if (!bad) fprintf(stderr, "synth: note: a vocabulary of %d is below %d, so the file carries no tokenizer\n", P.vocab, SYNTH_TOK_MIN);
        for (i = 0; i < nt && !bad; i++)
            if (gguf_w_tensor(w, T[i].name, (uint32_t)T[i].type, T[i].n_dims, T[i].ne, olmoe_type_row_size(T[i].type, T[i].ne[0]) * (T[i].nel / (uint64_t)T[i].ne[0])) < 0) bad = 1;
        if (bad) { fprintf(stderr, "synth: %s\n", gguf_w_error(w)); goto done; }
    }
    tmp = (char *)malloc(strlen(out) + 32);
    buf = (uint8_t *)malloc(buf_size);
    if (!tmp || !buf) { fprintf(stderr, "synth: out of memory\n"); goto done; }
#ifdef _WIN32
    sprintf(tmp, "%s.tmp", out);
#else
    sprintf(tmp, "%s.tmp.%ld", out, (long)getpid());
#endif
    f = fopen(tmp, "wb");
    if (!f) { fprintf(stderr, "synth: cannot create %s: %s\n", tmp, strerror(errno)); goto done; }
    setvbuf(f, NULL, _IOFBF, (size_t)1 << 20);
    if (gguf_w_write_header(w, f)) { fprintf(stderr, "synth: %s\n", gguf_w_error(w)); goto done; }
    for (i = 0; i < nt; i++) {
        synth_gen *g = (synth_gen *)malloc(sizeof *g);
        int blk = olmoe_type_block_size(T[i].type);
        uint64_t bb = olmoe_type_row_size(T[i].type, blk), done_el = 0;
        uint64_t chunk_el = (uint64_t)(buf_size / bb) * (uint64_t)blk;
        float scale;
        if (!g) { fprintf(stderr, "synth: out of memory\n"); goto done; }
        if (T[i].kind == GEN_ROUTER)  /* FlexOlmo's router sees the un-normalised residual (rms ~embd_std) */
            scale = router_scale / sqrtf((float)P.d) / (P.arch == OLMOE_ARCH_FLEX_OLMO && embd_std > 0 ? embd_std : 1.0f);
        else if (T[i].kind == GEN_NORM) scale = strstr(T[i].name, "attn_q_norm") || strstr(T[i].name, "attn_k_norm") ? qk_norm : 1.0f;
        else scale = i == 0 ? embd_std : 0.02f;
        synth_gen_init(g, seed, T[i].name, T[i].type, T[i].kind, scale);
        while (done_el < T[i].nel) {
            uint64_t n = T[i].nel - done_el < chunk_el ? T[i].nel - done_el : chunk_el;
            size_t nb = (size_t)(n / (uint64_t)blk * bb);
            double tg = synth_now();
            synth_gen_fill(g, buf, n);
            tgen += synth_now() - tg;
            if (gguf_w_write_data(w, buf, nb)) { fprintf(stderr, "synth: %s\n", gguf_w_error(w)); free(g); goto done; }
            done_el += n;
            total += nb;
        }
        free(g);
    }
    if (gguf_w_finish(w)) { fprintf(stderr, "synth: %s\n", gguf_w_error(w)); goto done; }
    if (fclose(f) != 0) { f = NULL; fprintf(stderr, "synth: error closing %s\n", tmp); goto done; }
    f = NULL;
    if (rename(tmp, out) != 0) { fprintf(stderr, "synth: cannot rename %s to %s\n", tmp, out); goto done; }
    {
        double dt = synth_now() - t0;
        printf("wrote %s: %s %s, %d tensors, %.1f MB of weights (%s%s%s) in %.2f s (%.2f s generating, %.0f MB/s)\n",
               out, P.name, arch, nt, (double)total / 1e6, olmoe_type_name(type), out_type != type ? ", output " : "",
               out_type != type ? olmoe_type_name(out_type) : "", dt, tgen, (double)total / 1e6 / (dt > 0 ? dt : 1));
    }
    rc = 0;
done:
    if (f) fclose(f);
    if (rc && tmp) remove(tmp);
    free(tmp);
    free(buf);
    free(T);
    gguf_w_free(w);
    return rc;
}
