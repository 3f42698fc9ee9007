/* Routing-kernel micro-benchmark: the three routing steps of an MoE layer across the shapes MoE
   models use, per kernel path this CPU has (scalar; AVX2 and AVX-512 through target attributes,
   chosen at run time by CPUID; NEON when built for aarch64).

     build/bench_routing [--quick] [--d 2048] [--min-time 0.05]     (make bench-routing [QUICK=1])

   Steps (ops):
     route    router matvec (E rows of d f32 weights, one activation per token) + scores + top-k.
              Variants: softmax        OLMoE: softmax over all E experts, top-k, no renormalisation
                        softmax_renorm Mixtral / Qwen-MoE (norm_topk_prob): the k weights renormalised
                        sigmoid_renorm DeepSeek-V3 style: sigmoid scores, top-k, weights renormalised
                        softmax_t4     OLMoE scoring, AVX-512 matvec over 4 tokens at a time (each router
                                       row read once per 4 tokens: the prefill case)
     group    the permutation the batched MoE needs: every (token, slot) pair grouped by expert,
              stable (a counting sort: counts, starts, rows)
     combine  out[t] = sum_k w[t][k] * Y[row of (t, k)]: the weighted sum of the k expert outputs,
              gathered from the grouped layout
   Shapes: E in {8,16,32,64,128,256}, k in {1,2,4,8} (k <= E), tokens in {1,16,128,1024,4096};
   --quick: E {8,64,256}, k {2,8}, tokens {1,128} (under a minute).

   Every variant is checked against a double-precision scalar reference before it is timed
   (route: the chosen weights sorted equal the reference's top-k within 1e-5 and every chosen
   expert's weight is its reference score; group: identical counts, starts and rows; combine:
   within 1e-5 of the largest output). A variant that fails is reported and not timed.

   Output: JSON lines on stdout (one "system" line with the same-run single-thread read bandwidth
   from DRAM and from L2, then one line per op, variant, path and shape: ns per token and GB/s of the
   bytes the step must touch: route the router weights per token (E*d*4: what decode reads), group
   the selections read twice and rows written, combine the k expert rows read and the output written);
   a readable table on stderr. One thread; medians over repetitions of at least --min-time seconds.

   ADDING A VARIANT: write the function and add one row to rb_variants[] below (op, variant name,
   path, mode, CPU test, function). It is then checked and timed on every shape. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <math.h>
#include <time.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define RB_X86 1
#include <immintrin.h>
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#define RB_NEON 1
#include <arm_neon.h>
#endif

enum { RB_ROUTE, RB_GROUP, RB_COMBINE };
enum { RB_SOFTMAX, RB_SOFTMAX_RENORM, RB_SIGMOID_RENORM };

typedef struct rb_route_args {
    const float *W, *x;  /* W [E][d], x [T][d] */
    int T, E, d, K, mode;
    float *scores;       /* [E] scratch */
    int32_t *sel;        /* [T][K] out */
    float *w;            /* [T][K] out */
} rb_route_args;
typedef struct rb_group_args {
    const int32_t *sel;  /* [T*K] */
    int T, K, E;
    int32_t *cnt, *start, *rows;  /* [E], [E+1], [T*K] out: rows[start[e]..start[e+1]) = slots t*K+k of e, ascending */
} rb_group_args;
typedef struct rb_combine_args {
    const float *Y;      /* [T*K][d] expert outputs in grouped order */
    const int32_t *pos;  /* [T*K] slot -> row of Y */
    const float *w;      /* [T*K] */
    int T, K, d;
    float *out;          /* [T][d] */
} rb_combine_args;

/* ---- shared scalar pieces ------------------------------------------------------------------- */
/* scores -> top-k (largest first, lowest index on ties) -> weights, per the mode; scores[] holds
   the router logits on entry */
static void rb_select(float *s, int E, int K, int mode, int32_t *sel, float *w) {
    int e, k, q;
    float sum = 0;
    if (mode == RB_SIGMOID_RENORM) {
        for (e = 0; e < E; e++) s[e] = 1.0f / (1.0f + expf(-s[e]));
    } else {
        float mx = s[0];
        for (e = 1; e < E; e++) if (s[e] > mx) mx = s[e];
        for (e = 0; e < E; e++) { s[e] = expf(s[e] - mx); sum += s[e]; }
        for (e = 0; e < E; e++) s[e] /= sum;
    }
    for (k = 0; k < K; k++) {
        int best = -1;
        for (e = 0; e < E; e++) {
            int taken = 0;
            for (q = 0; q < k; q++) if (sel[q] == e) taken = 1;
            if (!taken && (best < 0 || s[e] > s[best])) best = e;
        }
        sel[k] = best;
        w[k] = s[best];
    }
    if (mode != RB_SOFTMAX) {
        sum = 0;
        for (k = 0; k < K; k++) sum += w[k];
        for (k = 0; k < K; k++) w[k] /= sum;
    }
}

/* ---- scalar path ---------------------------------------------------------------------------- */
static void route_scalar(const rb_route_args *a) {
    int t, e, i;
    for (t = 0; t < a->T; t++) {
        const float *x = a->x + (size_t)t * a->d;
        for (e = 0; e < a->E; e++) {
            const float *r = a->W + (size_t)e * a->d;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (i = 0; i < a->d; i += 4) { s0 += r[i] * x[i]; s1 += r[i + 1] * x[i + 1]; s2 += r[i + 2] * x[i + 2]; s3 += r[i + 3] * x[i + 3]; }
            a->scores[e] = (s0 + s1) + (s2 + s3);
        }
        rb_select(a->scores, a->E, a->K, a->mode, a->sel + (size_t)t * a->K, a->w + (size_t)t * a->K);
    }
}

static void group_scalar(const rb_group_args *a) {
    int e, n = a->T * a->K, i;
    for (e = 0; e < a->E; e++) a->cnt[e] = 0;
    for (i = 0; i < n; i++) a->cnt[a->sel[i]]++;
    a->start[0] = 0;
    for (e = 0; e < a->E; e++) a->start[e + 1] = a->start[e] + a->cnt[e];
    for (e = 0; e < a->E; e++) a->cnt[e] = a->start[e];
    for (i = 0; i < n; i++) a->rows[a->cnt[a->sel[i]]++] = i;
    for (e = 0; e < a->E; e++) a->cnt[e] -= a->start[e];
}

static void combine_scalar(const rb_combine_args *a) {
    int t, k, i;
    for (t = 0; t < a->T; t++) {
        float *o = a->out + (size_t)t * a->d;
        for (i = 0; i < a->d; i++) o[i] = 0;
        for (k = 0; k < a->K; k++) {
            const float *y = a->Y + (size_t)a->pos[t * a->K + k] * a->d;
            float wk = a->w[t * a->K + k];
            for (i = 0; i < a->d; i++) o[i] += wk * y[i];
        }
    }
}

static int has_always(void) { return 1; }

/* ---- AVX2 / AVX-512 (x86, chosen at run time) ----------------------------------------------- */
#ifdef RB_X86
static int has_avx2(void) { __builtin_cpu_init(); return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
static int has_avx512(void) { __builtin_cpu_init(); return __builtin_cpu_supports("avx512f"); }
static int has_avx512_group(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512vpopcntdq");
}

__attribute__((target("avx2,fma"))) static float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* four router rows at a time share each load of x (d a multiple of 16) */
__attribute__((target("avx2,fma"))) static void route_avx2(const rb_route_args *a) {
    int t, e, i, d = a->d;
    for (t = 0; t < a->T; t++) {
        const float *x = a->x + (size_t)t * d;
        for (e = 0; e + 4 <= a->E; e += 4) {
            const float *r0 = a->W + (size_t)e * d, *r1 = r0 + d, *r2 = r1 + d, *r3 = r2 + d;
            __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
            for (i = 0; i < d; i += 8) {
                __m256 xv = _mm256_loadu_ps(x + i);
                s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + i), xv, s0);
                s1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + i), xv, s1);
                s2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + i), xv, s2);
                s3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + i), xv, s3);
            }
            a->scores[e] = hsum8(s0); a->scores[e + 1] = hsum8(s1); a->scores[e + 2] = hsum8(s2); a->scores[e + 3] = hsum8(s3);
        }
        for (; e < a->E; e++) {
            const float *r = a->W + (size_t)e * d;
            __m256 s = _mm256_setzero_ps();
            for (i = 0; i < d; i += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(r + i), _mm256_loadu_ps(x + i), s);
            a->scores[e] = hsum8(s);
        }
        rb_select(a->scores, a->E, a->K, a->mode, a->sel + (size_t)t * a->K, a->w + (size_t)t * a->K);
    }
}

__attribute__((target("avx2,fma"))) static void combine_avx2(const rb_combine_args *a) {
    int t, k, i, d = a->d;
    for (t = 0; t < a->T; t++) {
        float *o = a->out + (size_t)t * d;
        for (i = 0; i < d; i += 32) {
            __m256 o0 = _mm256_setzero_ps(), o1 = o0, o2 = o0, o3 = o0;
            for (k = 0; k < a->K; k++) {
                const float *y = a->Y + (size_t)a->pos[t * a->K + k] * d + i;
                __m256 wk = _mm256_set1_ps(a->w[t * a->K + k]);
                o0 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(y), o0);
                o1 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(y + 8), o1);
                o2 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(y + 16), o2);
                o3 = _mm256_fmadd_ps(wk, _mm256_loadu_ps(y + 24), o3);
            }
            _mm256_storeu_ps(o + i, o0); _mm256_storeu_ps(o + i + 8, o1);
            _mm256_storeu_ps(o + i + 16, o2); _mm256_storeu_ps(o + i + 24, o3);
        }
    }
}

__attribute__((target("avx512f"))) static void route_avx512(const rb_route_args *a) {
    int t, e, i, d = a->d;
    for (t = 0; t < a->T; t++) {
        const float *x = a->x + (size_t)t * d;
        for (e = 0; e + 4 <= a->E; e += 4) {
            const float *r0 = a->W + (size_t)e * d, *r1 = r0 + d, *r2 = r1 + d, *r3 = r2 + d;
            __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
            for (i = 0; i < d; i += 16) {
                __m512 xv = _mm512_loadu_ps(x + i);
                s0 = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + i), xv, s0);
                s1 = _mm512_fmadd_ps(_mm512_loadu_ps(r1 + i), xv, s1);
                s2 = _mm512_fmadd_ps(_mm512_loadu_ps(r2 + i), xv, s2);
                s3 = _mm512_fmadd_ps(_mm512_loadu_ps(r3 + i), xv, s3);
            }
            a->scores[e] = _mm512_reduce_add_ps(s0); a->scores[e + 1] = _mm512_reduce_add_ps(s1);
            a->scores[e + 2] = _mm512_reduce_add_ps(s2); a->scores[e + 3] = _mm512_reduce_add_ps(s3);
        }
        for (; e < a->E; e++) {
            const float *r = a->W + (size_t)e * d;
            __m512 s = _mm512_setzero_ps();
            for (i = 0; i < d; i += 16) s = _mm512_fmadd_ps(_mm512_loadu_ps(r + i), _mm512_loadu_ps(x + i), s);
            a->scores[e] = _mm512_reduce_add_ps(s);
        }
        rb_select(a->scores, a->E, a->K, a->mode, a->sel + (size_t)t * a->K, a->w + (size_t)t * a->K);
    }
}

/* token-tiled: 4 tokens x 4 router rows per pass (16 accumulators), so each router row is read once
   per 4 tokens instead of once per token; for prefill, where the tokens of a batch share the rows */
__attribute__((target("avx512f"))) static void route_avx512_t4(const rb_route_args *a) {
    int t, e, i, j, d = a->d, E = a->E;
    float sc[4 * 256 + 16];
    float *s4 = E <= 256 ? sc : NULL;
    if (!s4) { route_avx512(a); return; }
    for (t = 0; t + 4 <= a->T; t += 4) {
        const float *x0 = a->x + (size_t)t * d, *x1 = x0 + d, *x2 = x1 + d, *x3 = x2 + d;
        for (e = 0; e + 4 <= E; e += 4) {
            const float *r[4];
            __m512 acc[4][4];
            int q, u;
            for (q = 0; q < 4; q++) { r[q] = a->W + (size_t)(e + q) * d; for (u = 0; u < 4; u++) acc[q][u] = _mm512_setzero_ps(); }
            for (i = 0; i < d; i += 16) {
                __m512 xv0 = _mm512_loadu_ps(x0 + i), xv1 = _mm512_loadu_ps(x1 + i), xv2 = _mm512_loadu_ps(x2 + i), xv3 = _mm512_loadu_ps(x3 + i);
                for (q = 0; q < 4; q++) {
                    __m512 rv = _mm512_loadu_ps(r[q] + i);
                    acc[q][0] = _mm512_fmadd_ps(rv, xv0, acc[q][0]);
                    acc[q][1] = _mm512_fmadd_ps(rv, xv1, acc[q][1]);
                    acc[q][2] = _mm512_fmadd_ps(rv, xv2, acc[q][2]);
                    acc[q][3] = _mm512_fmadd_ps(rv, xv3, acc[q][3]);
                }
            }
            for (q = 0; q < 4; q++)
                for (u = 0; u < 4; u++) s4[u * E + e + q] = _mm512_reduce_add_ps(acc[q][u]);
        }
        for (; e < E; e++)
            for (j = 0; j < 4; j++) {
                const float *rr = a->W + (size_t)e * d, *xx = x0 + (size_t)j * d;
                __m512 acc = _mm512_setzero_ps();
                for (i = 0; i < d; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(rr + i), _mm512_loadu_ps(xx + i), acc);
                s4[j * E + e] = _mm512_reduce_add_ps(acc);
            }
        for (j = 0; j < 4; j++)
            rb_select(s4 + j * E, E, a->K, a->mode, a->sel + (size_t)(t + j) * a->K, a->w + (size_t)(t + j) * a->K);
    }
    if (t < a->T) {  /* the last 1-3 tokens one at a time */
        rb_route_args rest = *a;
        rest.x = a->x + (size_t)t * d;
        rest.T = a->T - t;
        rest.sel = a->sel + (size_t)t * a->K;
        rest.w = a->w + (size_t)t * a->K;
        route_avx512(&rest);
    }
}

__attribute__((target("avx512f"))) static void combine_avx512(const rb_combine_args *a) {
    int t, k, i, d = a->d;
    for (t = 0; t < a->T; t++) {
        float *o = a->out + (size_t)t * d;
        for (i = 0; i < d; i += 64) {
            __m512 o0 = _mm512_setzero_ps(), o1 = o0, o2 = o0, o3 = o0;
            for (k = 0; k < a->K; k++) {
                const float *y = a->Y + (size_t)a->pos[t * a->K + k] * d + i;
                __m512 wk = _mm512_set1_ps(a->w[t * a->K + k]);
                o0 = _mm512_fmadd_ps(wk, _mm512_loadu_ps(y), o0);
                o1 = _mm512_fmadd_ps(wk, _mm512_loadu_ps(y + 16), o1);
                o2 = _mm512_fmadd_ps(wk, _mm512_loadu_ps(y + 32), o2);
                o3 = _mm512_fmadd_ps(wk, _mm512_loadu_ps(y + 48), o3);
            }
            _mm512_storeu_ps(o + i, o0); _mm512_storeu_ps(o + i + 16, o1);
            _mm512_storeu_ps(o + i + 32, o2); _mm512_storeu_ps(o + i + 48, o3);
        }
    }
}

/* One pass, 16 (token, slot) pairs at a time: vpconflictd gives each lane the earlier lanes with
   the same expert, so a lane's place is the expert's running count plus how many of those there
   are; scatters to one address keep the highest lane, which holds the largest count. The counts
   pass works the same way. The order within an expert stays ascending (stable). */
__attribute__((target("avx512f,avx512cd,avx512vpopcntdq"))) static void group_avx512(const rb_group_args *a) {
    int e, n = a->T * a->K, i;
    const __m512i one = _mm512_set1_epi32(1), lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (e = 0; e < a->E; e++) a->cnt[e] = 0;
    for (i = 0; i + 16 <= n; i += 16) {
        __m512i idx = _mm512_loadu_si512((const void *)(a->sel + i));
        __m512i dup = _mm512_popcnt_epi32(_mm512_conflict_epi32(idx));
        __m512i c = _mm512_i32gather_epi32(idx, a->cnt, 4);
        _mm512_i32scatter_epi32(a->cnt, idx, _mm512_add_epi32(c, _mm512_add_epi32(dup, one)), 4);
    }
    for (; i < n; i++) a->cnt[a->sel[i]]++;
    a->start[0] = 0;
    for (e = 0; e < a->E; e++) a->start[e + 1] = a->start[e] + a->cnt[e];
    for (e = 0; e < a->E; e++) a->cnt[e] = a->start[e];
    for (i = 0; i + 16 <= n; i += 16) {
        __m512i idx = _mm512_loadu_si512((const void *)(a->sel + i));
        __m512i dup = _mm512_popcnt_epi32(_mm512_conflict_epi32(idx));
        __m512i p = _mm512_add_epi32(_mm512_i32gather_epi32(idx, a->cnt, 4), dup);
        _mm512_i32scatter_epi32(a->rows, p, _mm512_add_epi32(lane, _mm512_set1_epi32(i)), 4);
        _mm512_i32scatter_epi32(a->cnt, idx, _mm512_add_epi32(p, one), 4);
    }
    for (; i < n; i++) a->rows[a->cnt[a->sel[i]]++] = i;
    for (e = 0; e < a->E; e++) a->cnt[e] -= a->start[e];
}
#endif

/* ---- NEON (aarch64 builds) ------------------------------------------------------------------- */
#ifdef RB_NEON
static void route_neon(const rb_route_args *a) {
    int t, e, i, d = a->d;
    for (t = 0; t < a->T; t++) {
        const float *x = a->x + (size_t)t * d;
        for (e = 0; e + 4 <= a->E; e += 4) {
            const float *r0 = a->W + (size_t)e * d, *r1 = r0 + d, *r2 = r1 + d, *r3 = r2 + d;
            float32x4_t s0 = vdupq_n_f32(0), s1 = s0, s2 = s0, s3 = s0;
            for (i = 0; i < d; i += 4) {
                float32x4_t xv = vld1q_f32(x + i);
                s0 = vfmaq_f32(s0, vld1q_f32(r0 + i), xv);
                s1 = vfmaq_f32(s1, vld1q_f32(r1 + i), xv);
                s2 = vfmaq_f32(s2, vld1q_f32(r2 + i), xv);
                s3 = vfmaq_f32(s3, vld1q_f32(r3 + i), xv);
            }
            a->scores[e] = vaddvq_f32(s0); a->scores[e + 1] = vaddvq_f32(s1);
            a->scores[e + 2] = vaddvq_f32(s2); a->scores[e + 3] = vaddvq_f32(s3);
        }
        for (; e < a->E; e++) {
            const float *r = a->W + (size_t)e * d;
            float32x4_t s = vdupq_n_f32(0);
            for (i = 0; i < d; i += 4) s = vfmaq_f32(s, vld1q_f32(r + i), vld1q_f32(x + i));
            a->scores[e] = vaddvq_f32(s);
        }
        rb_select(a->scores, a->E, a->K, a->mode, a->sel + (size_t)t * a->K, a->w + (size_t)t * a->K);
    }
}
static void combine_neon(const rb_combine_args *a) {
    int t, k, i, d = a->d;
    for (t = 0; t < a->T; t++) {
        float *o = a->out + (size_t)t * d;
        for (i = 0; i < d; i += 16) {
            float32x4_t o0 = vdupq_n_f32(0), o1 = o0, o2 = o0, o3 = o0;
            for (k = 0; k < a->K; k++) {
                const float *y = a->Y + (size_t)a->pos[t * a->K + k] * d + i;
                float wk = a->w[t * a->K + k];
                o0 = vfmaq_n_f32(o0, vld1q_f32(y), wk);
                o1 = vfmaq_n_f32(o1, vld1q_f32(y + 4), wk);
                o2 = vfmaq_n_f32(o2, vld1q_f32(y + 8), wk);
                o3 = vfmaq_n_f32(o3, vld1q_f32(y + 12), wk);
            }
            vst1q_f32(o + i, o0); vst1q_f32(o + i + 4, o1); vst1q_f32(o + i + 8, o2); vst1q_f32(o + i + 12, o3);
        }
    }
}
#endif

/* ---- THE VARIANT TABLE: one row per (op, variant, path) --------------------------------------- */
typedef struct rb_variant {
    int op;
    const char *name, *path;
    int mode;                /* route: RB_SOFTMAX / RB_SOFTMAX_RENORM / RB_SIGMOID_RENORM */
    int (*has)(void);        /* does this CPU run it */
    void (*route)(const rb_route_args *);
    void (*group)(const rb_group_args *);
    void (*combine)(const rb_combine_args *);
} rb_variant;

static const rb_variant rb_variants[] = {
    {RB_ROUTE, "softmax", "scalar", RB_SOFTMAX, has_always, route_scalar, NULL, NULL},
    {RB_ROUTE, "softmax_renorm", "scalar", RB_SOFTMAX_RENORM, has_always, route_scalar, NULL, NULL},
    {RB_ROUTE, "sigmoid_renorm", "scalar", RB_SIGMOID_RENORM, has_always, route_scalar, NULL, NULL},
    {RB_GROUP, "count_sort", "scalar", 0, has_always, NULL, group_scalar, NULL},
    {RB_COMBINE, "weighted_sum", "scalar", 0, has_always, NULL, NULL, combine_scalar},
#ifdef RB_X86
    {RB_ROUTE, "softmax", "avx2", RB_SOFTMAX, has_avx2, route_avx2, NULL, NULL},
    {RB_ROUTE, "softmax_renorm", "avx2", RB_SOFTMAX_RENORM, has_avx2, route_avx2, NULL, NULL},
    {RB_ROUTE, "sigmoid_renorm", "avx2", RB_SIGMOID_RENORM, has_avx2, route_avx2, NULL, NULL},
    {RB_COMBINE, "weighted_sum", "avx2", 0, has_avx2, NULL, NULL, combine_avx2},
    {RB_ROUTE, "softmax", "avx512", RB_SOFTMAX, has_avx512, route_avx512, NULL, NULL},
    {RB_ROUTE, "softmax_renorm", "avx512", RB_SOFTMAX_RENORM, has_avx512, route_avx512, NULL, NULL},
    {RB_ROUTE, "sigmoid_renorm", "avx512", RB_SIGMOID_RENORM, has_avx512, route_avx512, NULL, NULL},
    {RB_ROUTE, "softmax_t4", "avx512", RB_SOFTMAX, has_avx512, route_avx512_t4, NULL, NULL},
    {RB_GROUP, "count_sort", "avx512", 0, has_avx512_group, NULL, group_avx512, NULL},
    {RB_COMBINE, "weighted_sum", "avx512", 0, has_avx512, NULL, NULL, combine_avx512},
#endif
#ifdef RB_NEON
    {RB_ROUTE, "softmax", "neon", RB_SOFTMAX, has_always, route_neon, NULL, NULL},
    {RB_ROUTE, "softmax_renorm", "neon", RB_SOFTMAX_RENORM, has_always, route_neon, NULL, NULL},
    {RB_ROUTE, "sigmoid_renorm", "neon", RB_SIGMOID_RENORM, has_always, route_neon, NULL, NULL},
    {RB_COMBINE, "weighted_sum", "neon", 0, has_always, NULL, NULL, combine_neon},
#endif
};
#define RB_N_VARIANTS ((int)(sizeof rb_variants / sizeof rb_variants[0]))

/* ---- double-precision references ------------------------------------------------------------ */
/* router logits in double, once per shape */
static void ref_logits(const float *W, const float *x, int T, int E, int d, double *lg) {
    int t, e, i;
    for (t = 0; t < T; t++)
        for (e = 0; e < E; e++) {
            double acc = 0;
            for (i = 0; i < d; i++) acc += (double)W[(size_t)e * d + i] * x[(size_t)t * d + i];
            lg[(size_t)t * E + e] = acc;
        }
}
/* per mode: p [T][E] scores (probabilities or sigmoids), the top-k and their scores (not renormalised) */
static void ref_route(const double *lg, int T, int E, int K, int mode, double *p, int32_t *sel, double *w) {
    int t, e, k, q;
    for (t = 0; t < T; t++) {
        double *s = p + (size_t)t * E, mx = -1e300, sum = 0;
        for (e = 0; e < E; e++) { s[e] = lg[(size_t)t * E + e]; if (s[e] > mx) mx = s[e]; }
        if (mode == RB_SIGMOID_RENORM) for (e = 0; e < E; e++) s[e] = 1 / (1 + exp(-s[e]));
        else {
            for (e = 0; e < E; e++) { s[e] = exp(s[e] - mx); sum += s[e]; }
            for (e = 0; e < E; e++) s[e] /= sum;
        }
        for (k = 0; k < K; k++) {
            int best = -1;
            for (e = 0; e < E; e++) {
                int taken = 0;
                for (q = 0; q < k; q++) if (sel[(size_t)t * K + q] == e) taken = 1;
                if (!taken && (best < 0 || s[e] > s[best])) best = e;
            }
            sel[(size_t)t * K + k] = best;
            w[(size_t)t * K + k] = s[best];
        }
    }
}

/* route check: the k chosen experts' reference scores are the reference's k largest (a swap at a
   near-tie passes only when the scores agree within tol), and each weight is its expert's score
   (renormalised for the renorm variants) */
static int check_route(const rb_route_args *a, const double *p, const double *rw, double *maxdiff) {
    int t, k, bad = 0;
    const double tol = 1e-5;
    *maxdiff = 0;
    for (t = 0; t < a->T; t++) {
        double rsum = 0, wsum = 0;
        for (k = 0; k < a->K; k++) rsum += rw[(size_t)t * a->K + k];
        for (k = 0; k < a->K; k++) {
            int e = a->sel[(size_t)t * a->K + k];
            double want, got = a->w[(size_t)t * a->K + k], d1, d2;
            if (e < 0 || e >= a->E) return 0;
            want = p[(size_t)t * a->E + e];
            d1 = fabs(want - rw[(size_t)t * a->K + k]);  /* rank k's score vs the reference's rank k */
            if (a->mode != RB_SOFTMAX) want /= rsum;
            d2 = fabs(got - want);
            if (d1 > *maxdiff) *maxdiff = d1;
            if (d2 > *maxdiff) *maxdiff = d2;
            if (d1 > tol || d2 > tol) bad++;
            wsum += got;
        }
        if (a->mode != RB_SOFTMAX && fabs(wsum - 1) > tol) bad++;
    }
    return bad == 0;
}

/* ---- timing --------------------------------------------------------------------------------- */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rng_s = 0x9E3779B97F4A7C15ULL;
static float frnd(void) {  /* uniform in [-1, 1) (splitmix64) */
    uint64_t z = (rng_s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (float)(z >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

/* seconds per call, median and minimum: one warm-up call, then repetitions until at least 3 have
   run and min_time has passed (or 2 when a call is slower than 5 * min_time). Other processes on
   the machine inflate the median; the minimum is the least disturbed run. */
typedef void (*rb_call)(const rb_variant *v, void *args);
static void call_route(const rb_variant *v, void *a) { v->route((const rb_route_args *)a); }
static void call_group(const rb_variant *v, void *a) { v->group((const rb_group_args *)a); }
static void call_combine(const rb_variant *v, void *a) { v->combine((const rb_combine_args *)a); }
static double time_it(rb_call f, const rb_variant *v, void *args, double min_time, double *best) {
    double ts[201], t0, t1;
    int n = 0;
    f(v, args);
    t0 = now();
    while (n < 201) {
        double a = now();
        f(v, args);
        t1 = now();
        ts[n++] = t1 - a;
        if (n >= 3 && t1 - t0 >= min_time) break;
        if (n >= 2 && ts[0] > 5 * min_time) break;
    }
    qsort(ts, (size_t)n, sizeof(double), cmpd);
    *best = ts[0];
    return n % 2 ? ts[n / 2] : 0.5 * (ts[n / 2 - 1] + ts[n / 2]);
}

static double loadavg(void) {
    FILE *f = fopen("/proc/loadavg", "r");
    double l = -1;
    if (f) { if (fscanf(f, "%lf", &l) != 1) l = -1; fclose(f); }
    return l;
}

/* single-thread read bandwidth over n bytes, best path (median of reps) */
static volatile float rb_sink;
static double read_bw(size_t bytes, int reps) {
    size_t n = bytes / sizeof(float), i;
    float *buf = (float *)malloc(bytes);
    double best[32], r;
    int k;
    if (!buf) return 0;
    for (i = 0; i < n; i++) buf[i] = (float)(i & 1023);
    for (k = 0; k < reps && k < 32; k++) {
        double t0 = now();
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        for (i = 0; i + 8 <= n; i += 8) {
            s0 += buf[i]; s1 += buf[i + 1]; s2 += buf[i + 2]; s3 += buf[i + 3];
            s4 += buf[i + 4]; s5 += buf[i + 5]; s6 += buf[i + 6]; s7 += buf[i + 7];
        }
        rb_sink = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
        best[k] = (double)bytes / (now() - t0) / 1e9;
    }
    qsort(best, (size_t)k, sizeof(double), cmpd);
    r = best[k / 2];
    free(buf);
    return r;
}
#ifdef RB_X86
__attribute__((target("avx2"))) static double read_bw_avx2(size_t bytes, int reps, int inner) {
    size_t n = bytes / sizeof(float), i;
    float *buf = (float *)malloc(bytes);
    double best[32], r;
    int k, j;
    if (!buf) return 0;
    for (i = 0; i < n; i++) buf[i] = (float)(i & 1023);
    for (k = 0; k < reps && k < 32; k++) {
        double t0 = now();
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (j = 0; j < inner; j++)
            for (i = 0; i + 32 <= n; i += 32) {
                s0 = _mm256_add_ps(s0, _mm256_loadu_ps(buf + i));
                s1 = _mm256_add_ps(s1, _mm256_loadu_ps(buf + i + 8));
                s2 = _mm256_add_ps(s2, _mm256_loadu_ps(buf + i + 16));
                s3 = _mm256_add_ps(s3, _mm256_loadu_ps(buf + i + 24));
            }
        rb_sink = _mm256_cvtss_f32(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
        best[k] = (double)bytes * inner / (now() - t0) / 1e9;
    }
    qsort(best, (size_t)k, sizeof(double), cmpd);
    r = best[k / 2];
    free(buf);
    return r;
}
#endif

static const char *op_name(int op) { return op == RB_ROUTE ? "route" : op == RB_GROUP ? "group" : "combine"; }

static void cpu_name(char *out, size_t n) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    snprintf(out, n, "unknown");
    if (!f) return;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) || !strncmp(line, "Model", 5)) {
            char *c = strchr(line, ':');
            if (c) {
                size_t l;
                c++;
                while (*c == ' ') c++;
                snprintf(out, n, "%s", c);
                l = strlen(out);
                while (l && (out[l - 1] == '\n' || out[l - 1] == '"' || out[l - 1] == '\\')) out[--l] = 0;
                break;
            }
        }
    fclose(f);
}

int main(int argc, char **argv) {
    static const int Es_full[] = {8, 16, 32, 64, 128, 256}, Ks_full[] = {1, 2, 4, 8}, Ts_full[] = {1, 16, 128, 1024, 4096};
    static const int Es_quick[] = {8, 64, 256}, Ks_quick[] = {2, 8}, Ts_quick[] = {1, 128};
    const int *Es = Es_full, *Ks = Ks_full, *Ts = Ts_full;
    int nE = 6, nK = 4, nT = 5, quick = 0, d = 2048, i, ie, ik, it, vi, n_fail = 0;
    double min_time = 0.05, dram, l2, t_start = now();
    char cpu[256];
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--d") && i + 1 < argc) d = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = atof(argv[++i]);
        else { fprintf(stderr, "usage: bench_routing [--quick] [--d 2048] [--min-time 0.05]\n"); return 2; }
    }
    if (d < 64 || d % 64 || d > 65536) { fprintf(stderr, "bench_routing: --d must be a multiple of 64 in [64, 65536]\n"); return 2; }
    if (!(min_time > 0 && min_time < 10)) { fprintf(stderr, "bench_routing: --min-time must be in (0, 10) seconds\n"); return 2; }
    if (quick) { Es = Es_quick; Ks = Ks_quick; Ts = Ts_quick; nE = 3; nK = 2; nT = 2; if (min_time > 0.01) min_time = 0.01; }

    cpu_name(cpu, sizeof cpu);
#ifdef RB_X86
    dram = has_avx2() ? read_bw_avx2((size_t)256 << 20, quick ? 3 : 7, 1) : read_bw((size_t)256 << 20, quick ? 3 : 7);
    l2 = has_avx2() ? read_bw_avx2((size_t)256 << 10, quick ? 3 : 7, 200) : read_bw((size_t)256 << 10, quick ? 3 : 7);
#else
    dram = read_bw((size_t)256 << 20, quick ? 3 : 7);
    l2 = read_bw((size_t)256 << 10, quick ? 3 : 7);
#endif
    printf("{\"bench\":\"routing\",\"kind\":\"system\",\"cpu\":\"%s\",\"d\":%d,\"quick\":%d,\"dram_read_gbs\":%.2f,\"l2_read_gbs\":%.2f,\"loadavg\":%.2f,\"paths\":[",
           cpu, d, quick, dram, l2, loadavg());
    {
        int first = 1;
        for (vi = 0; vi < RB_N_VARIANTS; vi++) {
            int seen = 0, j;
            for (j = 0; j < vi; j++) if (!strcmp(rb_variants[j].path, rb_variants[vi].path) && rb_variants[j].has()) seen = 1;
            if (!seen && rb_variants[vi].has()) { printf("%s\"%s\"", first ? "" : ",", rb_variants[vi].path); first = 0; }
        }
    }
    printf("]}\n");
    fflush(stdout);
    fprintf(stderr, "routing kernels, d = %d, one thread, %s; same-run read bandwidth: DRAM %.1f GB/s, L2 %.1f GB/s\n", d, cpu, dram, l2);
    fprintf(stderr, "%-8s %-15s %-7s %4s %2s %5s %12s %12s %9s  %s\n", "op", "variant", "path", "E", "k", "T", "ns/token", "(min)", "GB/s", "check");

    for (ie = 0; ie < nE; ie++)
        for (ik = 0; ik < nK; ik++)
            for (it = 0; it < nT; it++) {
                int E = Es[ie], K = Ks[ik], T = Ts[it];
                size_t nx = (size_t)T * d, nW = (size_t)E * d, nY = (size_t)T * K * d;
                float *W, *x, *Y, *out, *out_ref, *w, *scores;
                int32_t *sel, *sel_ref, *pos, *cnt, *start, *rows;
                double *p[3], *rw[3], *lg;
                int32_t *selm[3];
                int m;
                if (K > E) continue;
                W = (float *)malloc(nW * sizeof(float));
                x = (float *)malloc(nx * sizeof(float));
                Y = (float *)malloc(nY * sizeof(float));
                out = (float *)malloc(nx * sizeof(float));
                out_ref = (float *)malloc(nx * sizeof(float));
                w = (float *)malloc((size_t)T * K * sizeof(float));
                scores = (float *)malloc((size_t)E * sizeof(float));
                sel = (int32_t *)malloc((size_t)T * K * sizeof(int32_t));
                sel_ref = (int32_t *)malloc((size_t)T * K * sizeof(int32_t));
                pos = (int32_t *)malloc((size_t)T * K * sizeof(int32_t));
                cnt = (int32_t *)malloc((size_t)E * sizeof(int32_t));
                start = (int32_t *)malloc((size_t)(E + 1) * sizeof(int32_t));
                rows = (int32_t *)malloc((size_t)T * K * sizeof(int32_t));
                lg = (double *)malloc((size_t)T * E * sizeof(double));
                for (m = 0; m < 3; m++) {
                    p[m] = (double *)malloc((size_t)T * E * sizeof(double));
                    rw[m] = (double *)malloc((size_t)T * K * sizeof(double));
                    selm[m] = (int32_t *)malloc((size_t)T * K * sizeof(int32_t));
                    if (!p[m] || !rw[m] || !selm[m]) lg = NULL;
                }
                if (!W || !x || !Y || !out || !out_ref || !w || !scores || !sel || !sel_ref || !pos || !cnt || !start || !rows || !lg) {
                    fprintf(stderr, "bench_routing: out of memory at E %d k %d T %d\n", E, K, T);
                    return 1;
                }
                /* router rows with std ~2/sqrt(d) and activations ~uniform: logits spread like a trained
                   router's (a clear top-k, not a near-uniform softmax) */
                for (i = 0; i < (int)nW; i++) W[i] = frnd() * 3.46f / sqrtf((float)d);
                for (i = 0; i < (int)nx; i++) x[i] = frnd() * 1.73f;
                for (i = 0; i < (int)nY; i++) Y[i] = frnd();
                ref_logits(W, x, T, E, d, lg);
                for (m = 0; m < 3; m++) ref_route(lg, T, E, K, m, p[m], selm[m], rw[m]);
                memcpy(sel_ref, selm[RB_SOFTMAX], (size_t)T * K * sizeof(int32_t));

                for (vi = 0; vi < RB_N_VARIANTS; vi++) {
                    const rb_variant *v = &rb_variants[vi];
                    double sec, best = 0, bytes, md = 0;
                    int ok;
                    if (!v->has()) continue;
                    if (v->op == RB_ROUTE) {
                        rb_route_args a;
                        a.W = W; a.x = x; a.T = T; a.E = E; a.d = d; a.K = K; a.mode = v->mode; a.scores = scores; a.sel = sel; a.w = w;
                        v->route(&a);
                        ok = check_route(&a, p[v->mode], rw[v->mode], &md);
                        sec = ok ? time_it(call_route, v, &a, min_time, &best) : 0;
                        bytes = (double)(E + 1) * d * 4;  /* the router rows and the activation */
                    } else if (v->op == RB_GROUP) {
                        rb_group_args a, r;
                        int32_t *cnt2 = (int32_t *)malloc((size_t)E * sizeof(int32_t)), *start2 = (int32_t *)malloc((size_t)(E + 1) * sizeof(int32_t));
                        int32_t *rows2 = (int32_t *)malloc((size_t)T * K * sizeof(int32_t));
                        if (!cnt2 || !start2 || !rows2) { fprintf(stderr, "bench_routing: out of memory\n"); return 1; }
                        /* the selections of the OLMoE routing of this shape */
                        r.sel = sel_ref; r.T = T; r.K = K; r.E = E; r.cnt = cnt2; r.start = start2; r.rows = rows2;
                        group_scalar(&r);  /* itself checked against a plain stable sort */
                        {
                            /* reference: for each expert in order, every slot with that expert, ascending */
                            int e2, s, o = 0, good = 1;
                            for (e2 = 0; e2 < E && good; e2++) {
                                if (start2[e2] != o) good = 0;
                                for (s = 0; s < T * K && good; s++) if (sel_ref[s] == e2) { if (rows2[o] != s) good = 0; o++; }
                                if (good && cnt2[e2] != o - start2[e2]) good = 0;
                            }
                            if (!good) { fprintf(stderr, "bench_routing: scalar grouping differs from a plain stable sort\n"); n_fail++; }
                        }
                        a = r;
                        a.cnt = cnt; a.start = start; a.rows = rows;
                        v->group(&a);
                        ok = !memcmp(cnt, cnt2, (size_t)E * 4) && !memcmp(start, start2, (size_t)(E + 1) * 4) && !memcmp(rows, rows2, (size_t)T * K * 4);
                        sec = ok ? time_it(call_group, v, &a, min_time, &best) : 0;
                        bytes = (double)K * 4 * 3;
                        free(cnt2); free(start2); free(rows2);
                    } else {
                        rb_combine_args a;
                        double mx = 0;
                        size_t j;
                        int s;
                        /* slot -> grouped row: the OLMoE routing's permutation, so the gather is realistic */
                        {
                            rb_group_args g;
                            g.sel = sel_ref; g.T = T; g.K = K; g.E = E; g.cnt = cnt; g.start = start; g.rows = rows;
                            group_scalar(&g);
                            for (s = 0; s < T * K; s++) pos[rows[s]] = s;
                        }
                        for (s = 0; s < T * K; s++) w[s] = (float)rw[RB_SOFTMAX][s];
                        for (s = 0; s < T; s++) {
                            int q;
                            for (j = 0; j < (size_t)d; j++) {
                                double acc = 0;
                                for (q = 0; q < K; q++) acc += (double)w[s * K + q] * Y[(size_t)pos[s * K + q] * d + j];
                                out_ref[(size_t)s * d + j] = (float)acc;
                                if (fabs(acc) > mx) mx = fabs(acc);
                            }
                        }
                        a.Y = Y; a.pos = pos; a.w = w; a.T = T; a.K = K; a.d = d; a.out = out;
                        v->combine(&a);
                        for (j = 0; j < nx; j++) { double df = fabs((double)out[j] - out_ref[j]); if (df > md) md = df; }
                        md /= mx > 0 ? mx : 1;
                        ok = md <= 1e-5;
                        sec = ok ? time_it(call_combine, v, &a, min_time, &best) : 0;
                        bytes = (double)(K + 1) * d * 4 + K * 8;
                    }
                    if (!ok) n_fail++;
                    printf("{\"bench\":\"routing\",\"op\":\"%s\",\"variant\":\"%s\",\"path\":\"%s\",\"E\":%d,\"k\":%d,\"T\":%d,\"d\":%d,"
                           "\"check\":\"%s\",\"maxdiff\":%.3g,\"ns_per_token\":%.2f,\"ns_per_token_min\":%.2f,\"gbs\":%.2f,\"gbs_max\":%.2f}\n",
                           op_name(v->op), v->name, v->path, E, K, T, d, ok ? "ok" : "FAIL", md, ok ? sec / T * 1e9 : 0.0,
                           ok ? best / T * 1e9 : 0.0, ok ? bytes * T / sec / 1e9 : 0.0, ok ? bytes * T / best / 1e9 : 0.0);
                    fflush(stdout);
                    fprintf(stderr, "%-8s %-15s %-7s %4d %2d %5d %12.1f %12.1f %9.2f  %s\n", op_name(v->op), v->name, v->path, E, K, T,
                            ok ? sec / T * 1e9 : 0.0, ok ? best / T * 1e9 : 0.0, ok ? bytes * T / sec / 1e9 : 0.0, ok ? "ok" : "FAIL");
                }
                free(W); free(x); free(Y); free(out); free(out_ref); free(w); free(scores); free(sel); free(sel_ref);
                free(pos); free(cnt); free(start); free(rows); free(lg);
                for (m = 0; m < 3; m++) { free(p[m]); free(rw[m]); free(selm[m]); }
            }
    printf("{\"bench\":\"routing\",\"kind\":\"end\",\"seconds\":%.1f,\"loadavg\":%.2f,\"failed\":%d}\n", now() - t_start, loadavg(), n_fail);
    if (n_fail) fprintf(stderr, "bench_routing: %d variant(s) FAILED their check\n", n_fail);
    return n_fail ? 1 : 0;
}
