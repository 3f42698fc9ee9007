/* build/cuda/test_parity MODEL.gguf ...: the GPU forward pass against olmoe.h's CPU forward pass.
   With no CUDA device it prints "0 passed, 0 failed, 1 skipped" and exits 0.

   For each model, on the same token ids (seeded), with every GPU scratch buffer NaN-poisoned:
   - logits of every position: relative L2 distance to the CPU's (olmoe.h's scalar kernels, the
     reference its SIMD paths are tested against; f16 KV cache like the GPU) <= 1e-3, or <= twice the
     distance of olmoe.h's own SIMD path from its scalar one where that is larger: in small models an
     activation value that rounds to the other int8 moves a logit row by up to ~1e-2 (at 2048 wide,
     far less), so the CPU's two paths measure the noise the GPU may show; and the same top-1
     (unless the CPU's two best logits are within 1e-3, or within twice the largest logit deviation);
   - the experts of every layer and token are the CPU's (unless the CPU's k-th and (k+1)-th router
     probabilities are within 1e-4, or olmoe.h's SIMD path routes that token differently: then
     either choice is right);
   - token by token (the decode graph) equals the whole batch on the GPU, and so do batches of 7,
     and decode without the graph;
   - with experts 0 and 3 opted out, the logits still agree with the CPU's.
   tools/cuda/gpu_check.sh writes the models (synthetic OLMoE-1B-7B shapes with 2 layers, the
   FlexOlmo and OLMoE fixtures) and runs this under compute-sanitizer too. */
#include "../../olmoe.h"
#include "olmoe_cuda.h"
#include "../../tests/test.h"
#include <math.h>

typedef struct { int layers, K, E, n; int32_t *sel; float *probs; } route_rec;   /* CPU routing of one eval */
static void rec_route(const olmoe_route_info *ri, void *user) {
    route_rec *r = (route_rec *)user;
    size_t o = (size_t)ri->layer * r->n + (size_t)ri->pos;
    int k;
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

static void test_model(const char *path, int n) {
    char err[512];
    olmoe_model *m;
    olmoe_ctx *cpu, *simd = NULL;
    ocu_ctx *g, *g2;
    const olmoe_config *cf;
    int32_t *tok;
    float *lc, *lg, *lt, *ls, *tol;
    route_rec rr, rs;   /* the CPU's routing: scalar kernels, SIMD kernels */
    int V, i, l, t, k, top_bad = 0, ex_bad = 0, ex_near = 0;
    double worst = 0.0, worst_raw = 0.0, worst_tt = 0.0, worst_b7 = 0.0, worst_ng = 0.0, worst_mask = 0.0, worst_simd = 0.0;
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
    tol = (float *)malloc((size_t)n * 4);
    { uint64_t s = 12345; for (i = 0; i < n; i++) { s = s * 6364136223846793005ULL + 1442695040888963407ULL; tok[i] = (int32_t)((s >> 33) % (uint64_t)V); } }
    rr.layers = cf->n_layer; rr.K = cf->n_expert_used; rr.E = cf->n_expert; rr.n = n;
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
    olmoe_ctx_set_route_callback(simd, NULL, NULL, 0);
    for (i = 0; i < n; i++) {
        double r = rel_l2(ls + (size_t)i * V, lc + (size_t)i * V, V);
        tol[i] = (float)(2.0 * r > 1e-3 ? 2.0 * r : 1e-3);
        if (r > worst_simd) worst_simd = r;
    }

    g = gpu_ctx(m, n + 8, n, 1, 0);
    if (!g) { CHECK(0, "%s: GPU context", path); goto done1; }
    if (gpu_logits(g, tok, n, 0, lg, V) != 0) { CHECK(0, "%s: GPU eval: %s", path, ocu_last_error(g)); ocu_free(g); goto done1; }
    for (i = 0; i < n; i++) {
        float gc, gg;
        double raw = rel_l2(lg + (size_t)i * V, lc + (size_t)i * V, V), r = raw / tol[i];   /* r: of its limit */
        int ac = argmax2(lc + (size_t)i * V, V, &gc), ag = argmax2(lg + (size_t)i * V, V, &gg);
        if (!(r <= worst) ) worst = r;   /* NaN sticks */
        if (!(raw <= worst_raw)) worst_raw = raw;
        if (ac != ag) {
            /* a flip between two logits closer than the (accepted) deviation is noise, not an error */
            float dev = 0.0f;
            int v;
            for (v = 0; v < V; v++) { float dd = fabsf(lg[(size_t)i * V + v] - lc[(size_t)i * V + v]); if (dd > dev) dev = dd; }
            if (gc >= 1e-3f && gc >= 2.0f * dev) top_bad++;
        }
    }
    for (l = 0; l < cf->n_layer; l++)
        for (t = 0; t < n; t++) {
            int32_t sel[64];
            float w[64];
            int K = ocu_route_trace(g, l, t, sel, w);
            const int32_t *cs = rr.sel + ((size_t)l * n + t) * rr.K;
            const float *pr = rr.probs + ((size_t)l * n + t) * rr.E;
            const int32_t *ss = rs.sel + ((size_t)l * n + t) * rr.K;
            int same = K == rr.K, simd_same = 1;
            for (k = 0; k < K && same; k++) {
                int q, found = 0;
                for (q = 0; q < K; q++) found |= cs[q] == sel[k];
                same = found;
            }
            for (k = 0; k < rr.K; k++) {
                int q, found = 0;
                for (q = 0; q < rr.K; q++) found |= cs[q] == ss[k];
                simd_same &= found;
            }
            if (!same) {
                /* a near tie at the K-th place makes either set right; so does a place where
                   olmoe.h's SIMD path (rounding only) already routes differently */
                if ((K < rr.E && kth(pr, rr.E, K - 1) - kth(pr, rr.E, K) < 1e-4f) || !simd_same) ex_near++;
                else ex_bad++;
            }
        }
    CHECK(worst <= 1.0, "%s: GPU logits of %d positions: relative L2 to the CPU's up to %.2e, at most %.2f of the limit (1e-3, "
          "or twice olmoe.h's SIMD-vs-scalar distance where larger: up to %.2e here)", path, n, worst_raw, worst, worst_simd);
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
    g2 = gpu_ctx(m, n + 8, n, 0, 1);
    if (g2 && gpu_logits(g2, tok, n, 1, lt, V) == 0) {
        for (i = 0; i < n; i++) { double r = rel_l2(lt + (size_t)i * V, lg + (size_t)i * V, V); if (!(r <= worst_ng)) worst_ng = r; }
        CHECK(worst_ng <= 1e-6, "%s: GPU decode without the graph equals the batch (relative L2 %.2e)", path, worst_ng);
    } else CHECK(0, "%s: GPU decode without the graph: %s", path, g2 ? ocu_last_error(g2) : "no context");

    /* opt-out: experts 0 and 3 masked on both */
    if (g2 && cf->n_expert > 4) {
        uint8_t allowed[4096];
        memset(allowed, 1, sizeof allowed);
        allowed[0] = allowed[3] = 0;
        olmoe_ctx_truncate(cpu, 0);
        olmoe_ctx_truncate(simd, 0);
        olmoe_ctx_set_route_callback(cpu, NULL, NULL, 0);
        if (olmoe_ctx_set_expert_mask(cpu, allowed, cf->n_expert) != OLMOE_OK || ocu_set_expert_mask(g2, allowed, cf->n_expert) != OLMOE_OK ||
            olmoe_ctx_set_expert_mask(simd, allowed, cf->n_expert) != OLMOE_OK || olmoe_ctx_eval(simd, tok, n, 1) != OLMOE_OK ||
            olmoe_ctx_eval(cpu, tok, n, 1) != OLMOE_OK || gpu_logits(g2, tok, n, 1, lt, V) != 0)
            CHECK(0, "%s: opt-out eval", path);
        else {
            for (i = 0; i < n; i++) {
                double sp = rel_l2(olmoe_ctx_logits(simd, i), olmoe_ctx_logits(cpu, i), V);
                double r = rel_l2(lt + (size_t)i * V, olmoe_ctx_logits(cpu, i), V) / (2.0 * sp > 1e-3 ? 2.0 * sp : 1e-3);
                if (!(r <= worst_mask)) worst_mask = r;
            }
            CHECK(worst_mask <= 1.0, "%s: experts 0 and 3 opted out: GPU decode at most %.2f of the limit above from the CPU's", path, worst_mask);
        }
    }
    ocu_free(g2);
done1:
    olmoe_ctx_free(cpu);
    olmoe_ctx_free(simd);
done0:
    free(rr.sel); free(rr.probs); free(rs.sel); free(rs.probs); free(tok); free(lc); free(lg); free(lt); free(ls); free(tol);
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
