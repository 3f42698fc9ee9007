/* build/cuda/test_parity MODEL.gguf ...: the GPU forward pass against olmoe.h's CPU forward pass.
   With no CUDA device it prints "0 passed, 0 failed, 1 skipped" and exits 0.

   For each model, on the same token ids (seeded), with every GPU scratch buffer NaN-poisoned:
   - the experts of every layer and token are the CPU's (olmoe.h's scalar kernels, the reference
     its SIMD paths are tested against; f16 KV cache like the GPU), unless the CPU's k-th and
     (k+1)-th router probabilities are within 1e-4, or olmoe.h's SIMD path routes that token
     differently: then either choice is right;
   - logits: relative L2 distance to the CPU's <= 1e-3, or <= twice the distance of olmoe.h's own
     SIMD path from its scalar one at that position where that is larger, at every position before
     the first token the GPU routed otherwise by such a near tie (from that token on the two passes
     legitimately diverge: other experts, then other keys and values for every later token); and
     the same top-1 at every position (unless the CPU's two best logits are within 1e-3, or within
     twice the largest logit deviation). Why not 1e-3 alone: a sum reduced in another order (warp
     trees here, SIMD lanes in olmoe.h) moves an activation by ~1e-7; where that crosses an int8
     rounding boundary (or an fp16 one in the KV cache) one quant moves by 1, and that alone moves
     the logit row by ~5e-4 to ~1e-2 on the synthetic models (traced in the CUDA emulation:
     flexolmo-mini q8_0 1.1e-2 from one flipped quant of layer 2's input, the rest of the pass equal
     to 1e-7; OLMoE-1B-7B shapes, 2 layers, q4_0: 1.6e-7 at most positions, 5.4e-4 and 2.4e-3 at
     two). olmoe.h's SIMD path shows the same flips against its scalar one (1B-7B q8_0: 3.7e-3), so
     it measures the noise the GPU may show; the OLMoE/FlexOlmo fixtures and the bundled model stay
     below 1e-4. Such a flip can still land where the SIMD path has none, so at most one position in
     ten (at least one) may exceed its limit, none beyond 2e-2: a faulty kernel moves every
     position, a flip one or two.
   - token by token (the decode graph) equals the whole batch on the GPU, and so do batches of 7,
     and decode without the graph;
   - with experts 0 and 3 opted out, the same checks, and decode equals the batch.
   tools/cuda/gpu_check.sh writes the models (synthetic OLMoE-1B-7B shapes with 2 layers, the
   FlexOlmo and OLMoE fixtures) and runs this under compute-sanitizer too. */
#include "../../olmoe.h"
#include "olmoe_cuda.h"
#include "../../tests/test.h"
#include <math.h>

typedef struct { int layers, K, E, n, used; int32_t *sel; float *probs; } route_rec;   /* CPU routing of one eval */
static void rec_route(const olmoe_route_info *ri, void *user) {
    route_rec *r = (route_rec *)user;
    size_t o = (size_t)ri->layer * r->n + (size_t)ri->pos;
    int k;
    r->used = ri->n_used;   /* K clamped by the mask */
    for (k = 0; k < ri->n_used; k++) r->sel[o * r->K + k] = ri->experts[k];
    memcpy(r->probs + o * r->E, ri->probs, (size_t)r->E * 4);
}

static double rel_l2(const float *a, const float *b, int n) {
    double num = 0.0, den = 0.0;
    int i;
    for (i = 0; i < n; i++) { double d = (double)a[i] - b[i]; num += d * d; den += (double)b[i] * b[i]; }
    return den > 0.0 ? sqrt(num / den) : sqrt(num);
}
static int argmax2(const float *v, int n, float *gap) {
    int i, b = 0, s = -1;
    for (i = 1; i < n; i++) if (v[i] > v[b]) b = i;
    for (i = 0; i < n; i++) if (i != b && (s < 0 || v[i] > v[s])) s = i;
    *gap = s < 0 ? INFINITY : v[b] - v[s];
    return b;
}
/* The k-th largest of n probabilities (k from 0). */
static float kth(const float *p, int n, int k) {
    float v[4096];
    int i, j;
    memcpy(v, p, (size_t)n * 4);
    for (i = 0; i <= k; i++)
        for (j = i + 1; j < n; j++) if (v[j] > v[i]) { float t = v[i]; v[i] = v[j]; v[j] = t; }
    return v[k];
}

static ocu_ctx *gpu_ctx(const olmoe_model *m, int n_ctx, int n_batch, int trace, int no_graph) {
    ocu_params p;
    ocu_ctx *c = NULL;
    char err[512];
    memset(&p, 0, sizeof p);
    p.n_ctx = n_ctx; p.n_batch = n_batch; p.poison = 1; p.trace = trace; p.no_graph = no_graph;
    if (ocu_create(m, &p, &c, err, sizeof err) != OLMOE_OK) printf("ocu_create: %s\n", err);
    return c;
}

/* Logits of every position, the GPU: at once, token by token, or in batches of nb. */
static int gpu_logits(ocu_ctx *g, const int32_t *tok, int n, int mode, float *out, int V) {
    int i;
    ocu_truncate(g, 0);
    if (mode == 0) {
        if (ocu_eval(g, tok, n, 1) != OLMOE_OK) return -1;
        memcpy(out, ocu_logits(g, 0), (size_t)n * V * 4);
        return 0;
    }
    for (i = 0; i < n; i += mode) {
        int nb = n - i < mode ? n - i : mode;
        if (ocu_eval(g, tok + i, nb, 1) != OLMOE_OK) return -1;
        memcpy(out + (size_t)i * V, ocu_logits(g, 0), (size_t)nb * V * 4);
    }
    return 0;
}

/* The GPU's routing of its last batch (ocu_route_trace) against the CPU's (rr: scalar kernels; rs:
   SIMD kernels): the same expert set in every layer for every token, unless the CPU's K-th and
   (K+1)-th probabilities are within 1e-4 or olmoe.h's SIMD path (rounding only) already routes that
   token differently: then either choice is right (counted in *near, else in *bad). Returns the
   first position routed differently (n if none): from there on the two forward passes legitimately
   diverge (that token's experts, and every later token through the KV cache). */
static int route_compare(const ocu_ctx *g, const route_rec *rr, const route_rec *rs, int n, int *bad, int *near) {
    int l, t, k, first = n;
    for (l = 0; l < rr->layers; l++)
        for (t = 0; t < n; t++) {
            int32_t sel[64];
            float w[64];
            int K = ocu_route_trace(g, l, t, sel, w);
            const int32_t *cs = rr->sel + ((size_t)l * n + t) * rr->K;
            const float *pr = rr->probs + ((size_t)l * n + t) * rr->E;
            const int32_t *ss = rs->sel + ((size_t)l * n + t) * rr->K;
            int same = K == rr->used, simd_same = rs->used == rr->used;
            for (k = 0; k < K && same; k++) {
                int q, found = 0;
                for (q = 0; q < K; q++) found |= cs[q] == sel[k];
                same = found;
            }
            for (k = 0; k < rr->used && simd_same; k++) {
                int q, found = 0;
                for (q = 0; q < rr->used; q++) found |= cs[q] == ss[k];
                simd_same = found;
            }
            if (same) continue;
            if (t < first) first = t;
            if ((rr->used < rr->E && kth(pr, rr->E, rr->used - 1) - kth(pr, rr->E, rr->used) < 1e-4f) || !simd_same) (*near)++;
            else (*bad)++;
        }
    return first;
}

/* The logits bar: every position within its limit (below), except at most one in ten (at least
   one) where a single int8 activation quant may have flipped (see the top of the file), and none
   of those beyond 2e-2, which a flip of one quant stays under on every model traced (1.1e-2 at
   most), while a fault in a kernel moves every position. */
#define OVER_MAX(split) ((split) / 10 > 1 ? (split) / 10 : 1)
static int logits_pass(double over_raw, int n_over, int split) { return over_raw <= 2e-2 && n_over <= OVER_MAX(split); }

/* Positions [0, split) of the GPU's logits (lg) against the CPU's (lc): the worst relative L2 into
   *raw and as a fraction of the position's limit (max(1e-3, twice the SIMD path's distance ls to
   lc)) into *worst (NaN sticks), the number of positions over their limit into *n_over and their worst distance into *over_raw; positions with another top-1 than the CPU's, beyond a near tie (the
   CPU's two best within 1e-3, or within twice the largest logit deviation), into *top_bad (all n). */
static void logits_compare(const float *lg, const float *lc, const float *ls, int n, int split, int V, double *raw,
                           double *worst, int *top_bad, int *n_over, double *over_raw) {
    int i, v;
    for (i = 0; i < n; i++) {
        float gc, gg, dev = 0.0f;
        int ac = argmax2(lc + (size_t)i * V, V, &gc), ag = argmax2(lg + (size_t)i * V, V, &gg);
        if (i < split) {
            double r = rel_l2(lg + (size_t)i * V, lc + (size_t)i * V, V), sp = rel_l2(ls + (size_t)i * V, lc + (size_t)i * V, V);
            double f = r / (2.0 * sp > 1e-3 ? 2.0 * sp : 1e-3);
            if (!(r <= *raw)) *raw = r;
            if (!(f <= *worst)) *worst = f;
            if (!(f <= 1.0)) { (*n_over)++; if (!(r <= *over_raw)) *over_raw = r; }
        }
        if (ac == ag) continue;
        for (v = 0; v < V; v++) { float dd = fabsf(lg[(size_t)i * V + v] - lc[(size_t)i * V + v]); if (dd > dev) dev = dd; }
        if (gc >= 1e-3f && gc >= 2.0f * dev) (*top_bad)++;
    }
}

static void test_model(const char *path, int n) {
    char err[512];
    olmoe_model *m;
    olmoe_ctx *cpu, *simd = NULL;
    ocu_ctx *g, *g2;
    const olmoe_config *cf;
    int32_t *tok;
    float *lc, *lg, *lt, *ls;
    route_rec rr, rs;   /* the CPU's routing: scalar kernels, SIMD kernels */
    int V, i, top_bad = 0, ex_bad = 0, ex_near = 0, split, n_over = 0;
    double worst = 0.0, worst_raw = 0.0, over_raw = 0.0, worst_tt = 0.0, worst_b7 = 0.0, worst_ng = 0.0, worst_simd = 0.0;
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    if (olmoe_model_load(path, NULL, &m, err, sizeof err) != OLMOE_OK) { CHECK(0, "%s: load: %s", path, err); return; }
    cf = olmoe_model_config(m);
    V = cf->n_vocab;
    if (ocu_supports(m, err, sizeof err) != 0) { CHECK(0, "%s: %s", path, err); olmoe_model_free(m); return; }
    tok = (int32_t *)malloc((size_t)n * 4);
    lc = (float *)malloc((size_t)n * V * 4);
    lg = (float *)malloc((size_t)n * V * 4);
    lt = (float *)malloc((size_t)n * V * 4);
    ls = (float *)malloc((size_t)n * V * 4);
    { uint64_t s = 12345; for (i = 0; i < n; i++) { s = s * 6364136223846793005ULL + 1442695040888963407ULL; tok[i] = (int32_t)((s >> 33) % (uint64_t)V); } }
    rr.layers = cf->n_layer; rr.K = cf->n_expert_used; rr.E = cf->n_expert; rr.n = n; rr.used = 0;
    rr.sel = (int32_t *)calloc((size_t)cf->n_layer * n * rr.K, 4);
    rr.probs = (float *)calloc((size_t)cf->n_layer * n * rr.E, 4);
    rs = rr;
    rs.sel = (int32_t *)calloc((size_t)cf->n_layer * n * rr.K, 4);
    rs.probs = (float *)calloc((size_t)cf->n_layer * n * rr.E, 4);
    cp.n_ctx = n; cp.kv_type = OLMOE_TYPE_F16; cp.n_batch = n; cp.kernels = OLMOE_KERNELS_SCALAR;
    if (olmoe_ctx_create(m, &cp, &cpu, err, sizeof err) != OLMOE_OK) { CHECK(0, "%s: cpu ctx: %s", path, err); goto done0; }
    olmoe_ctx_set_route_callback(cpu, rec_route, &rr, 1);
    if (olmoe_ctx_eval(cpu, tok, n, 1) != OLMOE_OK) { CHECK(0, "%s: cpu eval: %s", path, olmoe_ctx_last_error(cpu)); goto done1; }
    memcpy(lc, olmoe_ctx_logits(cpu, 0), (size_t)n * V * 4);
    cp.kernels = OLMOE_KERNELS_AUTO;
    if (olmoe_ctx_create(m, &cp, &simd, err, sizeof err) == OLMOE_OK) olmoe_ctx_set_route_callback(simd, rec_route, &rs, 1);
    if (!simd || olmoe_ctx_eval(simd, tok, n, 1) != OLMOE_OK) {
        CHECK(0, "%s: cpu (SIMD) eval", path);
        goto done1;
    }
    memcpy(ls, olmoe_ctx_logits(simd, 0), (size_t)n * V * 4);
    for (i = 0; i < n; i++) {   /* reported beside the GPU's distance: the noise of rounding alone */
        double r = rel_l2(ls + (size_t)i * V, lc + (size_t)i * V, V);
        if (!(r <= worst_simd)) worst_simd = r;
    }

    g = gpu_ctx(m, n + 8, n, 1, 0);
    if (!g) { CHECK(0, "%s: GPU context", path); goto done1; }
    if (gpu_logits(g, tok, n, 0, lg, V) != 0) { CHECK(0, "%s: GPU eval: %s", path, ocu_last_error(g)); ocu_free(g); goto done1; }
    split = route_compare(g, &rr, &rs, n, &ex_bad, &ex_near);
    logits_compare(lg, lc, ls, n, split, V, &worst_raw, &worst, &top_bad, &n_over, &over_raw);
    CHECK(logits_pass(over_raw, n_over, split), "%s: GPU logits: relative L2 to the CPU's <= its limit (1e-3, or twice olmoe.h's "
          "SIMD-vs-scalar distance where larger: up to %.2e here) at all but %d of %d positions (at most %d may flip one int8 "
          "quant) and <= 2e-2 there (worst %.2e; over all positions %.2e, %.2f of its limit)%s", path, worst_simd, n_over, split,
          OVER_MAX(split), over_raw, worst_raw, worst, split < n ? "; the rest follow a router near tie" : "");
    CHECK(top_bad == 0, "%s: the same top-1 token at every position (%d differ beyond a near tie)", path, top_bad);
    CHECK(ex_bad == 0, "%s: the same experts in every layer for every token (%d differ, %d near ties or SIMD/scalar splits)", path, ex_bad, ex_near);

    /* token by token (decode graph), batches of 7, and decode without the graph, all = the batch */
    if (gpu_logits(g, tok, n, 1, lt, V) != 0) CHECK(0, "%s: GPU token by token: %s", path, ocu_last_error(g));
    else {
        for (i = 0; i < n; i++) { double r = rel_l2(lt + (size_t)i * V, lg + (size_t)i * V, V); if (!(r <= worst_tt)) worst_tt = r; }
        CHECK(worst_tt <= 1e-6, "%s: GPU token by token equals the batch (relative L2 %.2e%s)", path, worst_tt,
              memcmp(lt, lg, (size_t)n * V * 4) ? "" : ", bit for bit");
    }
    if (gpu_logits(g, tok, n, 7, lt, V) != 0) CHECK(0, "%s: GPU batches of 7: %s", path, ocu_last_error(g));
    else {
        for (i = 0; i < n; i++) { double r = rel_l2(lt + (size_t)i * V, lg + (size_t)i * V, V); if (!(r <= worst_b7)) worst_b7 = r; }
        CHECK(worst_b7 <= 1e-6, "%s: GPU batches of 7 equal the batch (relative L2 %.2e)", path, worst_b7);
    }
    ocu_free(g);
    g2 = gpu_ctx(m, n + 8, n, 1, 1);
    if (g2 && gpu_logits(g2, tok, n, 1, lt, V) == 0) {
        for (i = 0; i < n; i++) { double r = rel_l2(lt + (size_t)i * V, lg + (size_t)i * V, V); if (!(r <= worst_ng)) worst_ng = r; }
        CHECK(worst_ng <= 1e-6, "%s: GPU decode without the graph equals the batch (relative L2 %.2e)", path, worst_ng);
    } else CHECK(0, "%s: GPU decode without the graph: %s", path, g2 ? ocu_last_error(g2) : "no context");

    /* opt-out: experts 0 and 3 masked on both; the same bars, the GPU's routing from a batch
       (traced), its decode token by token equal to that batch */
    if (g2 && cf->n_expert > 4) {
        uint8_t allowed[4096];
        int mbad = 0, mnear = 0, mtop = 0, mover = 0;
        double mworst = 0.0, mraw = 0.0, mtt = 0.0, mover_raw = 0.0;
        memset(allowed, 1, sizeof allowed);
        allowed[0] = allowed[3] = 0;
        olmoe_ctx_truncate(cpu, 0);
        olmoe_ctx_truncate(simd, 0);
        if (olmoe_ctx_set_expert_mask(cpu, allowed, cf->n_expert) != OLMOE_OK || ocu_set_expert_mask(g2, allowed, cf->n_expert) != OLMOE_OK ||
            olmoe_ctx_set_expert_mask(simd, allowed, cf->n_expert) != OLMOE_OK || olmoe_ctx_eval(simd, tok, n, 1) != OLMOE_OK ||
            olmoe_ctx_eval(cpu, tok, n, 1) != OLMOE_OK || gpu_logits(g2, tok, n, 0, lg, V) != 0)
            CHECK(0, "%s: opt-out eval", path);
        else {
            split = route_compare(g2, &rr, &rs, n, &mbad, &mnear);
            memcpy(ls, olmoe_ctx_logits(simd, 0), (size_t)n * V * 4);
            logits_compare(lg, olmoe_ctx_logits(cpu, 0), ls, n, split, V, &mraw, &mworst, &mtop, &mover, &mover_raw);
            CHECK(logits_pass(mover_raw, mover, split) && mtop == 0 && mbad == 0,
                  "%s: experts 0 and 3 opted out: relative L2 up to %.2e (%.2f of the limit; %d of %d positions over it), %d other "
                  "top-1, experts differ %d (%d near ties)", path, mraw, mworst, mover, split, mtop, mbad, mnear);
            if (gpu_logits(g2, tok, n, 1, lt, V) != 0) CHECK(0, "%s: opt-out decode: %s", path, ocu_last_error(g2));
            else {
                for (i = 0; i < n; i++) { double r = rel_l2(lt + (size_t)i * V, lg + (size_t)i * V, V); if (!(r <= mtt)) mtt = r; }
                CHECK(mtt <= 1e-6, "%s: opt-out: GPU decode equals the batch (relative L2 %.2e)", path, mtt);
            }
        }
    }
    ocu_free(g2);
done1:
    olmoe_ctx_free(cpu);
    olmoe_ctx_free(simd);
done0:
    free(rr.sel); free(rr.probs); free(rs.sel); free(rs.probs); free(tok); free(lc); free(lg); free(lt); free(ls);
    olmoe_model_free(m);
}

int main(int argc, char **argv) {
    char msg[256];
    int i, n = 40;
    if (ocu_device_count(msg, sizeof msg) <= 0) {
        printf("skip: no CUDA device (%s)\n", msg);
        printf("0 passed, 0 failed, 1 skipped\n");
        return 0;
    }
    printf("device: %s\n", msg);
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--tokens") && i + 1 < argc) { n = atoi(argv[++i]); continue; }
        test_model(argv[i], n);
    }
    if (argc < 2) CHECK(0, "no model given (usage: test_parity [--tokens N] MODEL.gguf ...)");
    return t_finish();
}
