/* Model tests: logits of olmoe.h against Hugging Face transformers (float32) on the small random
   fixtures in tests/data, for every weight type the converter writes, plus the invariants that
   must hold exactly: token-by-token == whole sequence, any thread count == one thread, any batch
   size == one batch.
   usage: test_model DATA_DIR GGUF_DIR   (GGUF_DIR holds NAME-TYPE.gguf made by `olmoe convert`) */
#include "../olmoe.h"
#include "test.h"
#include <math.h>

typedef struct { const char *fixture, *type; float max_abs; float min_top1; float rel_rms; } bound;

/* Bounds per fixture and type. f32 is the spec (1e-4, identical top-1). The others were set from
   measurement (2026-11-24, scalar kernels; measured value in the comment) at about 1.5-3x the
   measured error; a kernel that drops a block, a scale or a sign gives an rms error of the order of
   100% and chance-level top-1. olmoe_b and flex_b have 24/48-wide rows, which the converter keeps
   in f16 for q8_0/q4_0 (llama.cpp does the same), so their quantized files are f16 files.
   The last matching entry wins. */
static const bound bounds[] = {
    {"*", "f32", 1e-4f, 1.0f, 1e-5f},      /* 2.2e-6 max, 1.1e-6 rms */
    {"*", "f16", 5e-3f, 1.0f, 2e-3f},      /* 0.0031 max, 0.09% rms */
    {"*", "bf16", 4e-2f, 0.93f, 1e-2f},    /* 0.023 max, 0.6% rms, 15/16 top-1 */
    {"*", "q8_0", 1e-1f, 0.93f, 4e-2f},    /* 0.063 max, 2.0% rms, 15/16 */
    {"*", "q4_0", 5e-3f, 1.0f, 2e-3f},     /* f16 fallback files */
    {"olmoe_a", "q4_0", 0.6f, 0.6f, 0.20f},  /* 0.29 max, 12.7% rms, 11/16 */
    {"olmoe_c", "q4_0", 1.0f, 0.5f, 0.26f},  /* 0.56 max, 17.4% rms, 10/16 */
    {"flex_a", "q4_0", 1.5f, 0.35f, 0.45f},  /* 0.98 max, 33.4% rms, 7/16 */
};

static const char *fixtures[] = {"olmoe_a", "olmoe_b", "olmoe_c", "flex_a", "flex_b"};
static const char *types[] = {"f32", "f16", "bf16", "q8_0", "q4_0"};

static const char *data_dir, *gguf_dir;

static int load_ids(const char *path, int32_t *ids, int cap) {
    size_t len;
    char *s = t_read_file(path, &len), *p, *end;
    int n = 0;
    if (!s) return -1;
    p = s;
    while (n < cap) {
        long v = strtol(p, &end, 10);
        if (end == p) break;
        ids[n++] = (int32_t)v;
        p = end;
    }
    free(s);
    return n;
}

static int argmax(const float *v, int n) {
    int i, b = 0;
    for (i = 1; i < n; i++) if (v[i] > v[b]) b = i;
    return b;
}

static int g_kernels = OLMOE_KERNELS_AUTO; /* the path under test (main runs every one the CPU has) */

static olmoe_ctx *make_ctx_kv(const olmoe_model *m, int threads, int n_batch, int kv_type) {
    return t_ctx(m, 64, threads, n_batch, g_kernels, kv_type);
}
static olmoe_ctx *make_ctx(const olmoe_model *m, int threads, int n_batch) { return make_ctx_kv(m, threads, n_batch, OLMOE_TYPE_F32); }

/* Full-sequence logits into out[n*V]. */
static int run_all(olmoe_ctx *c, const int32_t *tok, int n, float *out, int V) {
    int i;
    olmoe_ctx_truncate(c, 0);
    if (olmoe_ctx_eval(c, tok, n, 1) != OLMOE_OK) { printf("eval: %s\n", olmoe_ctx_last_error(c)); return 0; }
    for (i = 0; i < n; i++) memcpy(out + (size_t)i * V, olmoe_ctx_logits(c, i), sizeof(float) * (size_t)V);
    return 1;
}

static int run_incremental(olmoe_ctx *c, const int32_t *tok, int n, float *out, int V) {
    int i;
    olmoe_ctx_truncate(c, 0);
    for (i = 0; i < n; i++) {
        if (olmoe_ctx_eval(c, tok + i, 1, 0) != OLMOE_OK) return 0;
        memcpy(out + (size_t)i * V, olmoe_ctx_logits(c, -1), sizeof(float) * (size_t)V);
    }
    return 1;
}

static void test_fixture(const char *fx) {
    char path[1024], err[512];
    int32_t tok[64], prompt[64], want_greedy[64];
    int n, np, ng, ti;
    float *ref = NULL;
    int nref;
    size_t len;
    char *s;
    snprintf(path, sizeof path, "%s/%s/tokens.txt", data_dir, fx);
    n = load_ids(path, tok, 64);
    snprintf(path, sizeof path, "%s/%s/greedy.txt", data_dir, fx);
    {
        char *g = t_read_file(path, &len), *nl;
        np = ng = 0;
        if (g && (nl = strchr(g, '\n')) != NULL) {
            char *e, *p = g;
            *nl = 0;
            while (np < 64) { long v = strtol(p, &e, 10); if (e == p) break; prompt[np++] = (int32_t)v; p = e; }
            p = nl + 1;
            while (ng < 64) { long v = strtol(p, &e, 10); if (e == p) break; want_greedy[ng++] = (int32_t)v; p = e; }
        }
        free(g);
    }
    snprintf(path, sizeof path, "%s/%s/logits.txt", data_dir, fx);
    s = t_read_file(path, &len);
    nref = s ? t_parse_floats(s, &ref) : 0;
    free(s);
    CHECK(n > 0 && np > 0 && ng > 0 && nref > 0, "%s: reference files present (%d tokens, %d logits, greedy %d+%d)", fx, n, nref, np, ng);
    if (n <= 0 || nref <= 0 || np <= 0) { free(ref); return; }

    for (ti = 0; ti < (int)(sizeof types / sizeof types[0]); ti++) {
        const char *ty = types[ti];
        olmoe_model *m = NULL;
        olmoe_ctx *c;
        olmoe_result r;
        int V, i, top1 = 0, gi, gmatch = 0;
        float maxd = 0.0f, scale = 0.0f;
        double se = 0.0, sr = 0.0, rel;
        float *lg, *lg2;
        const bound *b = NULL;
        for (i = 0; i < (int)(sizeof bounds / sizeof bounds[0]); i++)
            if (!strcmp(bounds[i].type, ty) && (!strcmp(bounds[i].fixture, "*") || !strcmp(bounds[i].fixture, fx))) b = &bounds[i];
        snprintf(path, sizeof path, "%s/%s-%s.gguf", gguf_dir, fx, ty);
        r = olmoe_model_load(path, NULL, &m, err, sizeof err);
        CHECK(r == OLMOE_OK, "%s %s: load (%s)", fx, ty, r == OLMOE_OK ? "ok" : err);
        if (r != OLMOE_OK) continue;
        V = olmoe_model_config(m)->n_vocab;
        CHECK(nref == n * V, "%s %s: reference has %d x %d logits", fx, ty, n, V);
        if (nref != n * V) { olmoe_model_free(m); continue; }
        c = make_ctx(m, 1, 0);
        lg = (float *)malloc(sizeof(float) * (size_t)n * V);
        lg2 = (float *)malloc(sizeof(float) * (size_t)n * V);
        if (!c || !run_all(c, tok, n, lg, V)) { CHECK(0, "%s %s: eval", fx, ty); olmoe_ctx_free(c); olmoe_model_free(m); free(lg); free(lg2); continue; }
        for (i = 0; i < n * V; i++) {
            float dd = fabsf(lg[i] - ref[i]);
            if (!(dd <= maxd)) maxd = isnan(dd) ? INFINITY : dd;
            if (fabsf(ref[i]) > scale) scale = fabsf(ref[i]);
            se += (double)(lg[i] - ref[i]) * (lg[i] - ref[i]);
            sr += (double)ref[i] * ref[i];
        }
        rel = sqrt(se / (sr > 0 ? sr : 1));
        for (i = 0; i < n; i++) top1 += argmax(lg + (size_t)i * V, V) == argmax(ref + (size_t)i * V, V);
        CHECK(b && maxd <= b->max_abs && (float)top1 / n >= b->min_top1 && rel <= b->rel_rms,
              "%s %s: max|dlogit| %.3g (bound %.3g, max|logit| %.3g), rms error %.3g%% of rms logit (bound %.3g%%), top-1 agreement %d/%d (bound %.0f%%)",
              fx, ty, maxd, b ? b->max_abs : 0, scale, rel * 100, b ? b->rel_rms * 100 : 0, top1, n, b ? b->min_top1 * 100 : 0);
        /* greedy continuation */
        olmoe_ctx_truncate(c, 0);
        r = olmoe_ctx_eval(c, prompt, np, 0);
        for (gi = 0; gi < ng && r == OLMOE_OK; gi++) {
            int32_t nt = argmax(olmoe_ctx_logits(c, -1), V);
            if (nt != want_greedy[gi]) break;
            gmatch++;
            r = olmoe_ctx_eval(c, &nt, 1, 0);
        }
        if (!strcmp(ty, "f32")) CHECK(gmatch == ng, "%s %s: greedy continuation identical to HF (%d/%d tokens)", fx, ty, gmatch, ng);
        else printf("info %s %s: greedy continuation matches HF for %d/%d tokens\n", fx, ty, gmatch, ng);
        /* exact invariants, for every type: the thread counts split the one-token down projection
           into row ranges at different places (3, 5: ranges that do not end on a vector), n_batch
           splits the sequence into batches whose last one may be a single token */
        {
            static const int th_batch[][2] = {{2, 0}, {3, 5}, {5, 0}, {1, 1}, {3, 1}, {2, 256}};
            int k;
            CHECK(run_incremental(c, tok, n, lg2, V) && memcmp(lg, lg2, sizeof(float) * (size_t)n * V) == 0,
                  "%s %s: token-by-token logits bit-identical to whole-sequence logits", fx, ty);
            for (k = 0; k < (int)(sizeof th_batch / sizeof th_batch[0]); k++) {
                olmoe_ctx *c2 = make_ctx(m, th_batch[k][0], th_batch[k][1]);
                CHECK(c2 && run_all(c2, tok, n, lg2, V) && memcmp(lg, lg2, sizeof(float) * (size_t)n * V) == 0,
                      "%s %s: %d thread%s, n_batch %d, bit-identical to 1 thread in one batch", fx, ty, th_batch[k][0],
                      th_batch[k][0] > 1 ? "s" : "", th_batch[k][1] ? th_batch[k][1] : 256);
                if (c2 && th_batch[k][0] == 3 && th_batch[k][1] == 5)
                    CHECK(run_incremental(c2, tok, n, lg2, V) && memcmp(lg, lg2, sizeof(float) * (size_t)n * V) == 0,
                          "%s %s: 3 threads token by token bit-identical to 1 thread in one batch", fx, ty);
                olmoe_ctx_free(c2);
            }
        }
        olmoe_ctx_free(c);
        olmoe_model_free(m);
        free(lg);
        free(lg2);
    }
    free(ref);
}

/* Opt-out: the masked run equals HF's model with those experts physically removed, and a masked
   expert whose router row and weights are NaN is never read. */
static void test_optout(const char *fx, const char *list, const char *ref_name) {
    char path[1024], err[512];
    size_t len, flen;
    char *s, *file;
    float *ref = NULL, *lg;
    int32_t tok[64];
    int n, nref, V, i, e, l, poison;
    olmoe_model *m = NULL;
    olmoe_ctx *c;
    olmoe_model_params mp = olmoe_model_default_params();
    snprintf(path, sizeof path, "%s/%s/tokens.txt", data_dir, fx);
    n = load_ids(path, tok, 64);
    snprintf(path, sizeof path, "%s/%s/%s", data_dir, fx, ref_name);
    s = t_read_file(path, &len);
    nref = s ? t_parse_floats(s, &ref) : 0;
    free(s);
    snprintf(path, sizeof path, "%s/%s-f32.gguf", gguf_dir, fx);
    file = t_read_file(path, &flen);
    CHECK(n > 0 && nref > 0 && file, "%s opt-out %s: inputs present", fx, list);
    if (n <= 0 || nref <= 0 || !file) { free(ref); free(file); return; }
    mp.validate_weights = 0; /* the poisoned router rows below would be rejected */
    for (poison = 0; poison <= 1; poison++) {
        int masked[8], n_masked = 0, finite = 1;
        float maxd = 0.0f;
        if (olmoe_model_load_memory(file, flen, &mp, &m, err, sizeof err) != OLMOE_OK) { CHECK(0, "%s: load %s", fx, err); break; }
        c = make_ctx(m, 2, 0);
        if (!c || olmoe_ctx_opt_out(c, list) != OLMOE_OK) { CHECK(0, "%s: opt_out(%s): %s", fx, list, c ? olmoe_ctx_last_error(c) : "no ctx"); olmoe_ctx_free(c); olmoe_model_free(m); break; }
        {   /* which experts are masked: parse the list again (indices only here) */
            const char *p = list;
            while (*p) { masked[n_masked++] = atoi(p); while (*p && *p != ',') p++; if (*p) p++; }
        }
        V = olmoe_model_config(m)->n_vocab;
        if (poison) {
            /* NaN into every masked expert's router row and gate/up/down slabs, in every layer */
            const olmoe_config *cf = olmoe_model_config(m);
            int nt = olmoe_model_n_tensors(m), ti;
            uint32_t nanbits = 0x7fc00000u;
            for (ti = 0; ti < nt; ti++) {
                olmoe_tensor_info inf;
                olmoe_model_tensor(m, ti, &inf);
                for (l = 0; l < cf->n_layer; l++) {
                    char nm[4][96];
                    int k;
                    snprintf(nm[0], 96, "blk.%d.ffn_gate_inp.weight", l);
                    snprintf(nm[1], 96, "blk.%d.ffn_gate_exps.weight", l);
                    snprintf(nm[2], 96, "blk.%d.ffn_up_exps.weight", l);
                    snprintf(nm[3], 96, "blk.%d.ffn_down_exps.weight", l);
                    for (k = 0; k < 4; k++) {
                        if (strcmp(inf.name, nm[k]) != 0) continue;
                        for (e = 0; e < n_masked; e++) {
                            uint64_t per = k == 0 ? (uint64_t)cf->n_embd * 4 : inf.nbytes / (uint64_t)cf->n_expert, b;
                            for (b = 0; b < per; b += 4) memcpy(file + inf.offset + per * (uint64_t)masked[e] + b, &nanbits, 4);
                        }
                    }
                }
            }
        }
        lg = (float *)malloc(sizeof(float) * (size_t)n * V);
        if (!run_all(c, tok, n, lg, V)) { CHECK(0, "%s: eval", fx); free(lg); olmoe_ctx_free(c); olmoe_model_free(m); break; }
        for (i = 0; i < n * V && i < nref; i++) {
            if (!isfinite(lg[i])) finite = 0;
            if (fabsf(lg[i] - ref[i]) > maxd) maxd = fabsf(lg[i] - ref[i]);
        }
        CHECK(nref == n * V && finite && maxd <= 1e-4f, "%s opt-out %s%s: equals HF with those experts removed, max|dlogit| %.3g (bound 1e-4)%s",
              fx, list, poison ? " (masked experts NaN-poisoned)" : "", maxd, finite ? "" : ", NON-FINITE logits");
        if (poison) {
            /* the poison is real: without the mask the logits are NaN */
            int has_nan = 0;
            olmoe_ctx_set_expert_mask(c, NULL, 0);
            run_all(c, tok, n, lg, V);
            for (i = 0; i < n * V; i++) if (isnan(lg[i])) { has_nan = 1; break; }
            CHECK(has_nan, "%s: without the mask the poisoned experts do give NaN logits", fx);
        }
        free(lg);
        olmoe_ctx_free(c);
        olmoe_model_free(m);
    }
    free(ref);
    free(file);
}

/* Routing trace: one call per layer and token, the chosen experts sorted by weight, the weights
   equal to the full distribution's entries, masked experts absent. */
typedef struct { int calls, bad, masked_seen, n_layer; double wsum; } route_stats;
static void on_route(const olmoe_route_info *ri, void *user) {
    route_stats *s = (route_stats *)user;
    int k;
    s->calls++;
    if (ri->layer < 0 || ri->layer >= s->n_layer || !ri->probs) s->bad++;
    for (k = 0; k < ri->n_used; k++) {
        if (ri->experts[k] == 2 || ri->experts[k] == 5) s->masked_seen++;
        if (ri->probs && ri->probs[ri->experts[k]] != ri->weights[k]) s->bad++;
        if (k && ri->weights[k] > ri->weights[k - 1]) s->bad++;
        s->wsum += ri->weights[k];
    }
}
static void test_routes(const char *fx) {
    char path[1024], err[512];
    olmoe_model *m = NULL;
    olmoe_ctx *c;
    route_stats rs;
    int32_t tok[6] = {3, 14, 15, 92, 65, 35};
    snprintf(path, sizeof path, "%s/%s-f32.gguf", gguf_dir, fx);
    if (olmoe_model_load(path, NULL, &m, err, sizeof err) != OLMOE_OK) { CHECK(0, "%s routes: load %s", fx, err); return; }
    c = make_ctx(m, 2, 0);
    memset(&rs, 0, sizeof rs);
    rs.n_layer = olmoe_model_config(m)->n_layer;
    olmoe_ctx_set_route_callback(c, on_route, &rs, 1);
    olmoe_ctx_opt_out(c, "2,5");
    olmoe_ctx_eval(c, tok, 6, 0);
    olmoe_ctx_eval(c, tok, 1, 0);
    CHECK(rs.calls == 7 * rs.n_layer && rs.bad == 0 && rs.masked_seen == 0,
          "%s: routing trace called %d times (want %d), choices sorted, weights = distribution, opted-out experts never chosen", fx, rs.calls, 7 * rs.n_layer);
    olmoe_ctx_set_route_callback(c, NULL, NULL, 0);
    olmoe_ctx_eval(c, tok, 1, 0);
    CHECK(rs.calls == 7 * rs.n_layer, "%s: no calls after the callback is removed", fx);
    olmoe_ctx_free(c);
    olmoe_model_free(m);
}

/* Scoring: log-likelihoods from one pass equal those computed from HF's float32 logits. */
static void test_score(const char *fx) {
    char path[1024], err[512];
    size_t len;
    char *s;
    float *ref = NULL, lp[64];
    int32_t tok[64];
    int n, V, k;
    olmoe_model *m = NULL;
    olmoe_ctx *c;
    snprintf(path, sizeof path, "%s/%s/tokens.txt", data_dir, fx);
    n = load_ids(path, tok, 64);
    snprintf(path, sizeof path, "%s/%s/logits.txt", data_dir, fx);
    s = t_read_file(path, &len);
    if (s) t_parse_floats(s, &ref);
    free(s);
    snprintf(path, sizeof path, "%s/%s-f32.gguf", gguf_dir, fx);
    if (!ref || n < 2 || olmoe_model_load(path, NULL, &m, err, sizeof err) != OLMOE_OK) { CHECK(0, "%s score: inputs", fx); free(ref); return; }
    V = olmoe_model_config(m)->n_vocab;
    c = make_ctx(m, 2, 0);
    for (k = 1; k < n; k += 6) {
        double sum = 0, want = 0, maxd = 0;
        int greedy = -1, want_greedy = 1, i;
        olmoe_result r = olmoe_ctx_score(c, tok, k, tok + k, n - k, lp, &sum, &greedy);
        for (i = k; i < n; i++) {
            double w = olmoe_logprob(ref + (size_t)(i - 1) * V, V, tok[i]);
            want += w;
            if (fabs(w - lp[i - k]) > maxd) maxd = fabs(w - lp[i - k]);
            if (argmax(ref + (size_t)(i - 1) * V, V) != tok[i]) want_greedy = 0;
        }
        CHECK(r == OLMOE_OK && maxd <= 1e-4 && fabs(sum - want) <= 1e-4 && greedy == want_greedy,
              "%s score: %d continuation tokens after %d: sum %.6f vs HF %.6f, max per-token |d| %.2g, greedy %d/%d",
              fx, n - k, k, sum, want, maxd, greedy, want_greedy);
    }
    /* the greedy continuation from greedy.txt is reported as greedy */
    olmoe_ctx_free(c);
    olmoe_model_free(m);
    free(ref);
}

/* Sampling: a seed gives the same tokens at any thread count; basic sampler semantics. */
static void test_sampling(const char *fx) {
    char path[1024], err[512];
    olmoe_model *m = NULL;
    int32_t out[3][40], prompt[4] = {5, 17, 42, 99};
    int run, i, V;
    snprintf(path, sizeof path, "%s/%s-q8_0.gguf", gguf_dir, fx);
    if (olmoe_model_load(path, NULL, &m, err, sizeof err) != OLMOE_OK) { CHECK(0, "%s sampling: load %s", fx, err); return; }
    V = olmoe_model_config(m)->n_vocab;
    for (run = 0; run < 3; run++) {
        olmoe_ctx *c = make_ctx(m, run == 1 ? 3 : 1, 0);
        olmoe_sampler smp;
        olmoe_sampler_params sp = olmoe_sampler_default_params();
        sp.seed = run == 2 ? 1234 : 42;
        sp.temperature = 1.5f; sp.top_k = 0; sp.top_p = 1.0f; sp.min_p = 0.0f; /* plenty of randomness */
        olmoe_sampler_init(&smp, &sp);
        olmoe_ctx_eval(c, prompt, 4, 0);
        for (i = 0; i < 40; i++) {
            out[run][i] = olmoe_sampler_sample(&smp, c, olmoe_ctx_logits(c, -1), out[run], i);
            olmoe_ctx_eval(c, &out[run][i], 1, 0);
        }
        olmoe_ctx_free(c);
    }
    CHECK(memcmp(out[0], out[1], sizeof out[0]) == 0, "%s: seed 42 samples the same 40 tokens on 1 and 3 threads", fx);
    CHECK(memcmp(out[0], out[2], sizeof out[0]) != 0, "%s: seed 1234 samples different tokens", fx);
    {
        olmoe_ctx *c = make_ctx(m, 1, 0);
        olmoe_sampler smp;
        olmoe_sampler_params sp = olmoe_sampler_default_params();
        float *lg = (float *)calloc((size_t)V, sizeof(float));
        int cnt[3] = {0, 0, 0}, ok = 1;
        int32_t hist[1];
        for (i = 0; i < V; i++) lg[i] = -10.0f;
        lg[7] = 2.0f; lg[3] = 2.0f - logf(3.0f); lg[11] = 0.5f; /* p(7):p(3) = 3:1 after top-k 2 */
        sp.temperature = 0.0f;
        olmoe_sampler_init(&smp, &sp);
        CHECK(olmoe_sampler_sample(&smp, c, lg, NULL, 0) == 7, "temperature 0 is argmax");
        sp.temperature = 5.0f; sp.top_k = 1;
        olmoe_sampler_init(&smp, &sp);
        for (i = 0; i < 100; i++) ok &= olmoe_sampler_sample(&smp, c, lg, NULL, 0) == 7;
        CHECK(ok, "top-k 1 is argmax at any temperature");
        sp.top_k = 2; sp.temperature = 1.0f; sp.top_p = 1.0f; sp.min_p = 0.0f;
        olmoe_sampler_init(&smp, &sp);
        for (i = 0; i < 20000; i++) {
            int32_t t = olmoe_sampler_sample(&smp, c, lg, NULL, 0);
            cnt[t == 7 ? 0 : t == 3 ? 1 : 2]++;
        }
        CHECK(cnt[2] == 0 && fabs(cnt[0] / 20000.0 - 0.75) < 0.015, "top-k 2: p(7) %.3f (want 0.75), others %d", cnt[0] / 20000.0, cnt[2]);
        sp.top_k = 0; sp.min_p = 0.5f; /* p(3)/p(7) = 1/3 < 0.5: only 7 survives */
        olmoe_sampler_init(&smp, &sp);
        for (ok = 1, i = 0; i < 200; i++) ok &= olmoe_sampler_sample(&smp, c, lg, NULL, 0) == 7;
        CHECK(ok, "min-p 0.5 keeps only the top token");
        sp.min_p = 0.0f; sp.top_p = 0.5f;
        olmoe_sampler_init(&smp, &sp);
        for (ok = 1, i = 0; i < 200; i++) ok &= olmoe_sampler_sample(&smp, c, lg, NULL, 0) == 7;
        CHECK(ok, "top-p 0.5 keeps only the top token (p 0.64)");
        sp.temperature = 0.0f; sp.top_p = 1.0f; sp.repeat_penalty = 3.0f;
        olmoe_sampler_init(&smp, &sp);
        hist[0] = 7;
        CHECK(olmoe_sampler_sample(&smp, c, lg, hist, 1) == 3, "repetition penalty 3 moves greedy off a repeated token");
        free(lg);
        olmoe_ctx_free(c);
    }
    olmoe_model_free(m);
}

/* The f16 KV cache: logits of the f32 weights against HF within a bound (f16 rounding of K and
   V, measured ~1e-3), and its own exact invariants (one token at a time == whole sequence,
   2 threads == 1); a kv_type other than f32/f16 is refused. */
static void test_kv_f16(const char *fx, float bound) {
    char path[1024], err[512];
    int32_t tok[64];
    int n, nref, V, i;
    float *ref = NULL, *lg, *lg2, maxd = 0, maxd32 = 0;
    size_t len;
    char *s;
    olmoe_model *m = NULL;
    olmoe_ctx *c, *c2;
    snprintf(path, sizeof path, "%s/%s/tokens.txt", data_dir, fx);
    n = load_ids(path, tok, 64);
    snprintf(path, sizeof path, "%s/%s/logits.txt", data_dir, fx);
    s = t_read_file(path, &len);
    nref = s ? t_parse_floats(s, &ref) : 0;
    free(s);
    snprintf(path, sizeof path, "%s/%s-f32.gguf", gguf_dir, fx);
    if (n <= 0 || olmoe_model_load(path, NULL, &m, err, sizeof err) != OLMOE_OK) { CHECK(0, "%s kv f16: load", fx); free(ref); return; }
    V = olmoe_model_config(m)->n_vocab;
    lg = (float *)malloc(sizeof(float) * (size_t)n * V);
    lg2 = (float *)malloc(sizeof(float) * (size_t)n * V);
    c = make_ctx_kv(m, 1, 0, OLMOE_TYPE_F16);
    CHECK(c && olmoe_ctx_kv_type(c) == OLMOE_TYPE_F16 && nref == n * V && run_all(c, tok, n, lg, V), "%s kv f16: eval", fx);
    if (c && nref == n * V) {
        c2 = make_ctx_kv(m, 1, 0, OLMOE_TYPE_F32);
        if (c2 && run_all(c2, tok, n, lg2, V))
            for (i = 0; i < n * V; i++) if (fabsf(lg[i] - lg2[i]) > maxd32) maxd32 = fabsf(lg[i] - lg2[i]);
        olmoe_ctx_free(c2);
        for (i = 0; i < n * V; i++) if (!(fabsf(lg[i] - ref[i]) <= maxd)) maxd = isnan(lg[i]) ? INFINITY : fabsf(lg[i] - ref[i]);
        CHECK(maxd <= bound && maxd32 > 0, "%s kv f16: max|dlogit| vs HF %.3g (bound %.3g); vs the f32 cache %.3g", fx, maxd, bound, maxd32);
        CHECK(run_incremental(c, tok, n, lg2, V) && memcmp(lg, lg2, sizeof(float) * (size_t)n * V) == 0,
              "%s kv f16: token-by-token logits bit-identical to whole-sequence logits", fx);
        c2 = make_ctx_kv(m, 2, 0, OLMOE_TYPE_F16);
        CHECK(c2 && run_all(c2, tok, n, lg2, V) && memcmp(lg, lg2, sizeof(float) * (size_t)n * V) == 0, "%s kv f16: 2 threads bit-identical to 1", fx);
        olmoe_ctx_free(c2);
    }
    olmoe_ctx_free(c);
    {
        olmoe_ctx_params cp = olmoe_ctx_default_params();
        olmoe_ctx *bad = NULL;
        cp.kv_type = OLMOE_TYPE_Q8_0;
        CHECK(olmoe_ctx_create(m, &cp, &bad, err, sizeof err) == OLMOE_ERR_INVALID_ARG && !bad, "kv_type q8_0 refused: %s", err);
    }
    olmoe_model_free(m);
    free(lg); free(lg2); free(ref);
}

/* Expert names are checked at load: a duplicate (opt-out would mask only the first), a name that
   reads as an index, or one with a comma is refused. The names are edited in a copy of the file. */
static void test_bad_names(void) {
    static const struct { const char *from, *to; olmoe_result want; } cases[] = {
        {"math", "code", OLMOE_ERR_DUPLICATE}, {"news", "1234", OLMOE_ERR_BAD_VALUE}, {"news", "a,bc", OLMOE_ERR_BAD_VALUE},
        {"news", "wire", OLMOE_OK}};
    char path[1024], err[512];
    size_t flen, i, k;
    char *file;
    snprintf(path, sizeof path, "%s/flex_a-named.gguf", gguf_dir);
    file = t_read_file(path, &flen);
    if (!file) { CHECK(0, "read %s", path); return; }
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *copy = (char *)malloc(flen);
        olmoe_model *m = NULL;
        olmoe_result r;
        int edited = 0;
        memcpy(copy, file, flen);
        for (i = 8; i + 4 <= flen && !edited; i++) /* the name's u64 length 4 then its bytes */
            if (!memcmp(copy + i, cases[k].from, 4) && copy[i - 8] == 4 && !copy[i - 7]) { memcpy(copy + i, cases[k].to, 4); edited = 1; }
        r = olmoe_model_load_memory(copy, flen, NULL, &m, err, sizeof err);
        CHECK(edited && r == cases[k].want, "expert names with '%s' in place of '%s': %s%s%s", cases[k].to, cases[k].from,
              olmoe_result_str(r), r ? ": " : "", r ? err : "");
        olmoe_model_free(m);
        free(copy);
    }
    free(file);
}

int main(int argc, char **argv) {
    int i, p, paths[4], np;
    if (argc < 3) { fprintf(stderr, "usage: test_model DATA_DIR GGUF_DIR\n"); return 2; }
    data_dir = argv[1];
    gguf_dir = argv[2];
    test_bad_names();
    np = t_paths(paths);
    CHECK(np > 0, "kernel paths to test: %d", np);
    for (p = 0; p < np; p++) {
    g_kernels = paths[p];
    t_tag = olmoe_kernels_name(g_kernels);
    for (i = 0; i < (int)(sizeof fixtures / sizeof fixtures[0]); i++) test_fixture(fixtures[i]);
    test_optout("flex_a", "2", "optout_2_logits.txt");
    test_optout("flex_b", "2,5", "optout_2_5_logits.txt");
    test_optout("olmoe_b", "3", "optout_3_logits.txt");
    {   /* opt-out by name: the converter stored flex_olmo.expert_names */
        char path[1024], err[512], name[32];
        olmoe_model *m = NULL;
        snprintf(path, sizeof path, "%s/flex_a-named.gguf", gguf_dir);
        if (olmoe_model_load(path, NULL, &m, err, sizeof err) == OLMOE_OK) {
            olmoe_ctx *c = make_ctx(m, 1, 0);
            CHECK(olmoe_model_expert_index(m, "code") == 2 && olmoe_model_expert_name(m, 0, name, sizeof name) == 6 && !strcmp(name, "public"),
                  "expert names stored by the converter: 'code' is expert 2, expert 0 is '%s'", name);
            CHECK(olmoe_ctx_opt_out(c, "code") == OLMOE_OK && olmoe_ctx_opt_out(c, "nosuch") == OLMOE_ERR_INVALID_ARG,
                  "opt-out by name: 'code' accepted, unknown name refused (%s)", olmoe_ctx_last_error(c));
            olmoe_ctx_free(c);
            olmoe_model_free(m);
        } else CHECK(0, "load %s: %s", path, err);
    }
    for (i = 0; i < (int)(sizeof fixtures / sizeof fixtures[0]); i++) test_kv_f16(fixtures[i], 0.004f);
    test_routes("flex_b");
    test_score("olmoe_b");
    test_score("flex_b");
    test_sampling("olmoe_c");
    }
    t_tag = NULL;
    return t_finish();
}
