/* Kernel micro-benchmark for olmoe.h: every kernel table this build and CPU have (scalar, AVX2,
   AVX-512, NEON; found through olmoe__pick_kernels, so new paths are picked up by themselves).

     build/bench_kernels [--quick] [-t THREADS] [--dram-mb 256]

   1. matvec: one weight matrix (d = 2048 inputs per row) times one activation, per weight type
      (q4_0, q8_0 with Q8_0 activations; q6_K with the Q8_K one; f16, bf16, f32 with f32 activations), as
      GB/s of weight bytes, as the model runs it (q4_0/q8_0/q6_K through the path's rows x tokens kernel with one
      token where it has one, else olmoe__rows_dot, 4 rows per dotr call): L2-resident (256 KiB of rows, repeated), the same row by row through the
      single-row dot ("L2 1-row"), DRAM (a DRAM_MB matrix, one thread) and DRAM with THREADS threads
      (rows split evenly). maxrel: largest difference from the scalar path over the first 64 rows,
      relative to the largest output (a sanity check, not a test).
   2. act-quant: the Q8_0 activation quantizer on 2048 floats (ns per call).
   3. matmul: prefill-style, 64 and 16 tokens x 1024 rows x 2048, in olmoe__mm_worker's order (blocks of 64
      rows, every token over a block through olmoe__rows_dot) as GFLOP/s (2 flops per multiply-add),
      one thread.
   4. routing: router matvec (the path's dot_f32 over E rows of d = 2048) + softmax over all E +
      top-K by K selection passes, for (E, K) = (64, 8), (7, 4), (128, 8): ns per token. The routing
      code in olmoe.h is a static worker bound to a context, so this is a standalone copy of the
      same algorithm (olmoe__route_worker). Plus the counting sort that groups 512 tokens' top-K
      (token, slot) pairs by expert (olmoe__moe), ns per token; it does not depend on the path.
   Timings are medians of several runs; other processes on the machine add noise. */
#define _POSIX_C_SOURCE 200809L
#define OLMOE_IMPLEMENTATION
#include "../olmoe.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <pthread.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(double), cmpd);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* xoshiro256** */
static uint64_t rs[4] = {0x123456789abcdefULL, 0xfedcba9876543210ULL, 0x0f1e2d3c4b5a6978ULL, 0x1122334455667788ULL};
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t rnd(void) {
    uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;
    rs[2] ^= rs[0]; rs[3] ^= rs[1]; rs[1] ^= rs[2]; rs[0] ^= rs[3];
    rs[2] ^= t; rs[3] = rotl(rs[3], 45);
    return r;
}
static float frnd(void) { return (float)(rnd() >> 40) * (2.0f / 16777216.0f) - 1.0f; }  /* [-1, 1) */

/* Fill n elements of type t with valid random weights (std ~0.02, no NaN/Inf/denormals). */
static void fill_weights(int t, uint8_t *p, int64_t n) {
    int64_t i;
    switch (t) {
    case OLMOE_TYPE_Q4_0:
        for (i = 0; i < n / 32; i++, p += 18) {
            uint64_t a = rnd(), b = rnd();
            uint16_t d = olmoe_fp32_to_fp16(0.0043f * (frnd() > 0 ? 1.0f : -1.0f));
            memcpy(p, &d, 2); memcpy(p + 2, &a, 8); memcpy(p + 10, &b, 8);
        }
        break;
    case OLMOE_TYPE_Q8_0:
        for (i = 0; i < n / 32; i++, p += 34) {
            int j;
            uint16_t d = olmoe_fp32_to_fp16(0.00027f);
            memcpy(p, &d, 2);
            for (j = 0; j < 4; j++) { uint64_t x = rnd(); memcpy(p + 2 + 8 * j, &x, 8); }
            for (j = 2; j < 34; j++) if (p[j] == 0x80) p[j] = 0x81;
        }
        break;
    case OLMOE_TYPE_Q6_K:
        for (i = 0; i < n / 256; i++, p += 210) {
            int j;
            uint16_t d = olmoe_fp32_to_fp16(0.0004f);
            for (j = 0; j < 208; j += 8) { uint64_t x = rnd(); memcpy(p + j, &x, 8); }
            for (j = 192; j < 208; j++) p[j] = (uint8_t)(int8_t)(((int)(rnd() % 63)) - 31);  /* scales */
            memcpy(p + 208, &d, 2);
        }
        break;
    case OLMOE_TYPE_Q4_K: case OLMOE_TYPE_Q5_K: case OLMOE_TYPE_Q3_K: case OLMOE_TYPE_IQ4_NL: {
        /* random codes and scale bytes; the fp16 scales set to sane values */
        const olmoe__qtype *qt = olmoe__qtype_of(t);
        int bs = qt->bytes, j, fo = t == OLMOE_TYPE_Q3_K ? 108 : 0;
        uint16_t d = olmoe_fp32_to_fp16(0.0004f);
        for (i = 0; i < n / qt->blck; i++, p += bs) {
            for (j = 0; j + 8 <= bs; j += 8) { uint64_t x = rnd(); memcpy(p + j, &x, 8); }
            for (; j < bs; j++) p[j] = (uint8_t)rnd();
            memcpy(p + fo, &d, 2);
            if (t == OLMOE_TYPE_Q4_K || t == OLMOE_TYPE_Q5_K) memcpy(p + 2, &d, 2);
        }
        break;
    }
    case OLMOE_TYPE_F16:
        for (i = 0; i < n; i++) ((uint16_t *)p)[i] = olmoe_fp32_to_fp16(0.035f * frnd());
        break;
    case OLMOE_TYPE_BF16:
        for (i = 0; i < n; i++) ((uint16_t *)p)[i] = olmoe_fp32_to_bf16(0.035f * frnd());
        break;
    default:
        for (i = 0; i < n; i++) ((float *)p)[i] = 0.035f * frnd();
    }
}

static float dot(const olmoe__kernels *k, int t, const uint8_t *row, int n, const float *x, const uint8_t *xq) {
    switch (t) {
    case OLMOE_TYPE_Q4_0: return k->dot_q4_0(n, row, xq);
    case OLMOE_TYPE_Q8_0: return k->dot_q8_0(n, row, xq);
    case OLMOE_TYPE_F16: return k->dot_f16(n, row, x);
    case OLMOE_TYPE_BF16: return k->dot_bf16(n, row, x);
    case OLMOE_TYPE_Q6_K: return k->dot_dec(olmoe__qtype_of(OLMOE_TYPE_Q6_K), n, row, xq); /* xq: Q8_K */
    default: return k->dot_f32(n, row, x);
    }
}

typedef struct mv_job {
    const olmoe__kernels *k;
    int type, n;
    const uint8_t *w;
    uint64_t rb;
    int64_t r0, r1;
    const float *x;
    const uint8_t *xq;
    float *y;
} mv_job;
static int one_row;   /* 1: row by row through dot(); 0: as the model: the path's rows x tokens kernel
                         (mm_q4_0/mm_q8_0) with one token where it has one, else olmoe__rows_dot */
static void *mv_run(void *p) {
    mv_job *j = (mv_job *)p;
    int64_t r;
    olmoe__mm_fn mm = j->type == OLMOE_TYPE_Q4_0 ? j->k->mm_q4_0 : j->type == OLMOE_TYPE_Q8_0 ? j->k->mm_q8_0 : NULL;
    if (j->type == OLMOE_TYPE_Q6_K && j->k->mm_dec) mm = j->k->mm_dec[olmoe__qtype_index(OLMOE_TYPE_Q6_K)];
    if (!one_row && mm) {
        float *yp = j->y + j->r0;
        mm(j->n, (int)(j->r1 - j->r0), j->w + (uint64_t)j->r0 * j->rb, (size_t)j->rb, 1, &j->xq, &yp);
    } else if (one_row)
        for (r = j->r0; r < j->r1; r++) j->y[r] = dot(j->k, j->type, j->w + (uint64_t)r * j->rb, j->n, j->x, j->xq);
    else
        olmoe__rows_dot(j->k, j->type, j->n, (size_t)j->rb, j->w + (uint64_t)j->r0 * j->rb, j->r1 - j->r0, j->x, j->xq, j->y + j->r0, 1);
    return NULL;
}
/* rows x n matvec with nth threads (threads created per call: ~50 us, negligible for DRAM sizes) */
static double matvec(const olmoe__kernels *k, int type, const uint8_t *w, int64_t rows, int n, const float *x,
                     const uint8_t *xq, float *y, int nth) {
    mv_job j[64];
    pthread_t th[64];
    int i;
    double t = now();
    for (i = 0; i < nth; i++) {
        j[i].k = k; j[i].type = type; j[i].n = n; j[i].w = w; j[i].rb = olmoe_type_row_size(type, n);
        j[i].r0 = rows * i / nth; j[i].r1 = rows * (i + 1) / nth; j[i].x = x; j[i].xq = xq; j[i].y = y;
    }
    for (i = 1; i < nth; i++) pthread_create(&th[i], NULL, mv_run, &j[i]);
    mv_run(&j[0]);
    for (i = 1; i < nth; i++) pthread_join(th[i], NULL);
    return now() - t;
}

static const char *path_name(int id) {
    switch (id) {
    case OLMOE_KERNELS_SCALAR: return "scalar";
    case OLMOE_KERNELS_AVX2: return "avx2";
    case OLMOE_KERNELS_AVX512: return "avx512";
    case OLMOE_KERNELS_NEON: return "neon";
    }
    return "?";
}

/* ---- routing (a copy of olmoe__route_worker's algorithm, without the expert mask) ---------- */
static void route_one(const olmoe__kernels *k, const float *Wr, const float *x, int E, int d, int K, float *p,
                      int32_t *sel, float *selw) {
    float mx = -INFINITY, sum = 0.0f;
    int e, kk;
    for (e = 0; e < E; e++) {
        p[e] = k->dot_f32(d, Wr + (size_t)e * d, x);
        if (p[e] > mx) mx = p[e];
    }
    for (e = 0; e < E; e++) { p[e] = expf(p[e] - mx); sum += p[e]; }
    for (e = 0; e < E; e++) p[e] /= sum;
    for (kk = 0; kk < K; kk++) {
        int best = -1, q;
        for (e = 0; e < E; e++) {
            int taken = 0;
            for (q = 0; q < kk; q++) if (sel[q] == e) taken = 1;
            if (taken) continue;
            if (best < 0 || p[e] > p[best]) best = e;
        }
        sel[kk] = best;
        selw[kk] = p[best];
    }
}

/* the counting sort of olmoe__moe: (token, slot) pairs grouped by expert */
static int group_tokens(const int32_t *sel, int n_tok, int K, int E, int32_t *cnt, int32_t *start, int32_t *rows, int32_t *used) {
    int e, t, k, n_used = 0;
    for (e = 0; e < E; e++) cnt[e] = 0;
    for (t = 0; t < n_tok; t++)
        for (k = 0; k < K; k++) cnt[sel[t * K + k]]++;
    for (e = 0, start[0] = 0; e < E; e++) {
        start[e + 1] = start[e] + cnt[e];
        if (cnt[e]) used[n_used++] = e;
    }
    for (e = 0; e < E; e++) cnt[e] = 0;
    for (t = 0; t < n_tok; t++)
        for (k = 0; k < K; k++) {
            int ex = sel[t * K + k];
            rows[start[ex] + cnt[ex]++] = t * K + k;
        }
    return n_used;
}

int main(int argc, char **argv) {
    static const int types[] = {OLMOE_TYPE_Q4_0, OLMOE_TYPE_Q8_0, OLMOE_TYPE_F16, OLMOE_TYPE_BF16, OLMOE_TYPE_F32, OLMOE_TYPE_Q6_K};
    static const int wants[] = {OLMOE_KERNELS_SCALAR, OLMOE_KERNELS_AVX2, OLMOE_KERNELS_AVX512, OLMOE_KERNELS_NEON};
    const olmoe__kernels *paths[4];
    int n_paths = 0, quick = 0, nth = 2, dram_mb = 256, i, ti, pi, r, mt;
    const int n = 2048;
    float *x, *y, *yref;
    uint8_t *xq, *w;
    size_t wcap;
    volatile float sink = 0;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) nth = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dram-mb") && i + 1 < argc) dram_mb = atoi(argv[++i]);
        else { fprintf(stderr, "usage: bench_kernels [--quick] [-t THREADS] [--dram-mb 256]\n"); return 2; }
    }
    if (nth < 1) nth = 1;
    if (nth > 64) nth = 64;
    if (quick) dram_mb = dram_mb > 64 ? 64 : dram_mb;
    for (i = 0; i < 4; i++) {
        const olmoe__kernels *k = olmoe__pick_kernels(wants[i]);
        if (k && k->id == wants[i]) paths[n_paths++] = k;
    }
    printf("kernel paths in this build and CPU:");
    for (i = 0; i < n_paths; i++) printf(" %s", path_name(paths[i]->id));
    printf(" (auto = %s)\n", path_name(olmoe__pick_kernels(OLMOE_KERNELS_AUTO)->id));

    wcap = (size_t)dram_mb << 20;
    w = (uint8_t *)malloc(wcap + 4096);
    x = (float *)malloc((size_t)n * 64 * sizeof(float));
    xq = (uint8_t *)malloc(olmoe__xp_offset(n) + olmoe__xp_size(n) + (size_t)n / 32 * 34 * 64);
    y = (float *)malloc(sizeof(float) * (size_t)(wcap / 128 + 64));
    yref = (float *)malloc(sizeof(float) * 4096);
    if (!w || !x || !xq || !y || !yref) { fprintf(stderr, "out of memory\n"); return 1; }
    for (i = 0; i < n * 64; i++) x[i] = frnd();

    /* ---- 1. matvec ---- */
    printf("\nmatvec, d = %d (GB/s of weight bytes; L2: 256 KiB of rows repeated, 1 thread; DRAM: a %d MiB matrix)\n", n, dram_mb);
    printf("%-6s %-7s %10s %10s %10s %12s %10s %10s\n", "type", "path", "L2 GB/s", "L2 1-row", "DRAM 1T", "DRAM", "ns/row(L2)", "maxrel");
    for (ti = 0; ti < (int)(sizeof types / sizeof types[0]); ti++) {
        int t = types[ti];
        uint64_t rb = olmoe_type_row_size(t, n);
        int64_t rows_l2 = (int64_t)((256 << 10) / rb), rows_dram = (int64_t)(wcap / rb);
        if (rows_l2 < 1) rows_l2 = 1;
        fill_weights(t, w, rows_dram * n);
        for (pi = 0; pi < n_paths; pi++) {
            const olmoe__kernels *k = paths[pi];
            double tl2[9], td1[5], tdn[5], maxrel = 0, t1row;
            int nrep_l2 = quick ? 3 : 9, nrep_d = quick ? 3 : 5, it, inner;
            if (t == OLMOE_TYPE_Q6_K) { /* its rows meet the Q8_K activation */
                k->quant_q8_K(x, xq, n);
            } else {
                k->quant_q8_0(x, xq, n);
                if (k->prep_q8) k->prep_q8(xq, xq + olmoe__xp_offset(n), n);
            }
            /* correctness vs scalar on the first 64 rows */
            matvec(k, t, w, 64, n, x, xq, y, 1);
            if (pi == 0) memcpy(yref, y, 64 * sizeof(float));
            else {
                float scale = 0;
                for (r = 0; r < 64; r++) scale = fmaxf(scale, fabsf(yref[r]));
                for (r = 0; r < 64; r++) maxrel = fmax(maxrel, fabs((double)y[r] - yref[r]) / (scale > 0 ? scale : 1));
            }
            /* L2 */
            {
                double t1 = matvec(k, t, w, rows_l2, n, x, xq, y, 1);
                inner = (int)(0.02 / (t1 > 1e-7 ? t1 : 1e-7)) + 1;
            }
            for (it = 0; it < nrep_l2; it++) {
                double t0 = now();
                int q;
                for (q = 0; q < inner; q++) matvec(k, t, w, rows_l2, n, x, xq, y, 1);
                tl2[it] = (now() - t0) / inner;
            }
            one_row = 1;
            {
                double t0 = now();
                int q;
                for (q = 0; q < inner; q++) matvec(k, t, w, rows_l2, n, x, xq, y, 1);
                t1row = (now() - t0) / inner;
            }
            one_row = 0;
            for (it = 0; it < nrep_d; it++) td1[it] = matvec(k, t, w, rows_dram, n, x, xq, y, 1);
            for (it = 0; it < nrep_d; it++) tdn[it] = matvec(k, t, w, rows_dram, n, x, xq, y, nth);
            sink += y[0];
            {
                double ml2 = median(tl2, nrep_l2), md1 = median(td1, nrep_d), mdn = median(tdn, nrep_d);
                char col[32];
                snprintf(col, sizeof col, "%.2f (%dT)", rows_dram * (double)rb / mdn / 1e9, nth);
                printf("%-6s %-7s %10.2f %10.2f %10.2f %12s %10.1f %10.1e\n", olmoe_type_name(t), path_name(k->id),
                       rows_l2 * (double)rb / ml2 / 1e9, rows_l2 * (double)rb / t1row / 1e9, rows_dram * (double)rb / md1 / 1e9, col,
                       ml2 / rows_l2 * 1e9, maxrel);
                fflush(stdout);
            }
        }
    }

    /* ---- 2. activation quantization ---- */
    printf("\nQ8_0 activation quantizer, %d floats (ns per call)\n", n);
    for (pi = 0; pi < n_paths; pi++) {
        double tt[9];
        int it, q, inner = 2000;
        for (it = 0; it < 9; it++) {
            double t0 = now();
            for (q = 0; q < inner; q++) paths[pi]->quant_q8_0(x, xq, n);
            tt[it] = (now() - t0) / inner;
        }
        printf("  %-7s %8.1f ns\n", path_name(paths[pi]->id), median(tt, 9) * 1e9);
    }

    /* ---- 3. prefill-style matmul: 64 tokens (a dense matrix's tile), 16 (an expert's share of a
       128-token prompt with 8 of 64 experts) ---- */
    for (mt = 0; mt < 2; mt++) {
        const int T = mt ? 16 : 64, R = 1024;
        size_t rec = olmoe__xp_offset(n) + olmoe__xp_size(n);
        uint8_t *xr = NULL;
        const uint8_t *xqp[64];
        float *yp[64];
        void *pv = NULL;
        if (posix_memalign(&pv, 64, rec * T) != 0) return 1;
        xr = (uint8_t *)pv;
        printf("\nmatmul (prefill): %d tokens x %d rows x %d, as olmoe__mm_worker: blocks of 64 rows x every token, through the\n"
               "rows x tokens kernels (mm_q4_0/mm_q8_0) where the path has them, else olmoe__rows_dot\n"
               "token by token; 1 thread (GFLOP/s, 2 per multiply-add; the int8 peak of one core is in `olmoe bench`)\n", T, R, n);
        for (i = 0; i < T; i++) {
            paths[0]->quant_q8_0(x + (size_t)i * n, xr + (size_t)i * rec, n);
            xqp[i] = xr + (size_t)i * rec;
        }
        printf("%-6s", "type");
        for (pi = 0; pi < n_paths; pi++) printf(" %10s", path_name(paths[pi]->id));
        printf("\n");
        for (i = 0; i < 64; i++) paths[0]->quant_q8_0(x + (size_t)i * n, xq + (size_t)i * (n / 32 * 34), n);
        for (ti = 0; ti < (int)(sizeof types / sizeof types[0]); ti++) {
            int t = types[ti];
            uint64_t rb = olmoe_type_row_size(t, n);
            fill_weights(t, w, (int64_t)R * n);
            printf("%-6s", olmoe_type_name(t));
            for (pi = 0; pi < n_paths; pi++) {
                const olmoe__kernels *k = paths[pi];
                double tt[5];
                int it, nrep = quick ? 1 : 3;
                for (it = 0; it < nrep; it++) {
                    double t0 = now();
                    int rr, tk;
                    olmoe__mm_fn mm = t == OLMOE_TYPE_Q4_0 ? k->mm_q4_0 : t == OLMOE_TYPE_Q8_0 ? k->mm_q8_0 : NULL;
                    if (mm && k->prep_q8) {
                        for (tk = 0; tk < T; tk++) k->prep_q8(xr + (size_t)tk * rec, xr + (size_t)tk * rec + olmoe__xp_offset(n), n);
                        for (rr = 0; rr < R; rr += 64) {
                            for (tk = 0; tk < T; tk++) yp[tk] = y + (size_t)tk * R + rr;
                            mm(n, 64, w + (uint64_t)rr * rb, (size_t)rb, T, xqp, yp);
                        }
                    } else
                    for (rr = 0; rr < R; rr += 64)   /* as olmoe__mm_worker: 64 rows stay in cache across the tokens */
                        for (tk = 0; tk < T; tk++)
                            olmoe__rows_dot(k, t, n, (size_t)rb, w + (uint64_t)rr * rb, 64, x + (size_t)tk * n,
                                            xq + (size_t)tk * (n / 32 * 34), y + (size_t)tk * R + rr, 1);
                    tt[it] = now() - t0;
                }
                printf(" %10.2f", 2.0 * T * R * n / median(tt, nrep) / 1e9);
                fflush(stdout);
            }
            printf("\n");
        }
        free(pv);
    }

    /* ---- 3b. the decoded types' rows x tokens kernels (mm_dec: K-quant tiles with Q8_K activations,
       the Q4_0-shaped tiles with Q8_0 ones), as an expert's prefill: 16 tokens over calls of 64 rows,
       the rows streamed once from the whole weight buffer (DRAM), 1 thread ---- */
    {
        static const int dtypes[] = {OLMOE_TYPE_Q4_K, OLMOE_TYPE_Q5_K, OLMOE_TYPE_Q6_K, OLMOE_TYPE_Q3_K, OLMOE_TYPE_IQ4_NL};
        const int T = 16;
        size_t rec = 8192; /* a Q8_K or Q8_0 record of 2048 values fits */
        const uint8_t *xqp[16];
        float *yp[16];
        void *pv = NULL;
        if (posix_memalign(&pv, 64, rec * T) != 0) return 1;
        printf("\nmatmul of the decoded types (mm_dec), as an expert's prefill: %d tokens over calls of 64 rows x %d, the rows read\n"
               "once from a %d MiB buffer; 1 thread, ns per 256 values and token (median of %d sweeps)\n", T, n, dram_mb, quick ? 1 : 3);
        printf("%-7s", "type");
        for (pi = 0; pi < n_paths; pi++) if (paths[pi]->id != OLMOE_KERNELS_SCALAR) printf(" %10s", path_name(paths[pi]->id));
        printf("\n");
        for (ti = 0; ti < (int)(sizeof dtypes / sizeof dtypes[0]); ti++) {
            int t = dtypes[ti];
            const olmoe__qtype *qt = olmoe__qtype_of(t);
            uint64_t rb = olmoe_type_row_size(t, n);
            int64_t R = (int64_t)(wcap / rb) / 64 * 64;
            fill_weights(t, w, R * n);
            printf("%-7s", olmoe_type_name(t));
            for (pi = 0; pi < n_paths; pi++) {
                const olmoe__kernels *k = paths[pi];
                double tt[3];
                int it, nrep = quick ? 1 : 3, tk;
                int64_t rr;
                olmoe__mm_fn mm = k->mm_dec ? k->mm_dec[olmoe__qtype_index(t)] : NULL;
                if (k->id == OLMOE_KERNELS_SCALAR) continue;
                if (!mm) { printf(" %10s", "-"); continue; }
                for (tk = 0; tk < T; tk++) {
                    uint8_t *q = (uint8_t *)pv + (size_t)tk * rec;
                    if (qt->k8) (k->quant_q8_K ? k->quant_q8_K : olmoe__quant_q8_K_scalar)(x + (size_t)tk * n, q, n);
                    else k->quant_q8_0(x + (size_t)tk * n, q, n);
                    xqp[tk] = q;
                }
                for (it = 0; it < nrep; it++) {
                    double t0 = now();
                    for (rr = 0; rr < R; rr += 64) {
                        for (tk = 0; tk < T; tk++) yp[tk] = y + (size_t)tk * 64;
                        mm(n, 64, w + (uint64_t)rr * rb, (size_t)rb, T, xqp, yp);
                    }
                    tt[it] = now() - t0;
                }
                for (tk = 0; tk < T; tk++) sink += y[(size_t)tk * 64];
                printf(" %10.2f", median(tt, nrep) * 1e9 / ((double)R * (n / 256) * T));
                fflush(stdout);
            }
            printf("\n");
        }
        free(pv);
    }

    /* ---- 4. routing ---- */
    {
        static const int cfg[3][2] = {{64, 8}, {7, 4}, {128, 8}};
        const int d = 2048, NT = 512;
        float *Wr = (float *)malloc(sizeof(float) * 128 * d), *xs = (float *)malloc(sizeof(float) * (size_t)NT * d), p[128], sw[8 * 512];
        int32_t *sel = (int32_t *)malloc(sizeof(int32_t) * NT * 8), cnt[129], start[130], rows[512 * 8], used[129];
        int c;
        if (!Wr || !xs || !sel) return 1;
        for (i = 0; i < 128 * d; i++) Wr[i] = frnd() * 0.077f;   /* uniform, std 0.044 = 2/sqrt(d): logits std ~2 */
        for (i = 0; i < NT * d; i++) xs[i] = frnd() * 1.73f;
        printf("\nrouting, d = %d: router matvec + softmax + top-K (ns per token); grouping = counting sort of %d tokens (ns per token)\n", d, NT);
        printf("%-10s", "E/K");
        for (pi = 0; pi < n_paths; pi++) printf(" %10s", path_name(paths[pi]->id));
        printf(" %10s %8s\n", "grouping", "experts");
        for (c = 0; c < 3; c++) {
            int E = cfg[c][0], K = cfg[c][1], nu = 0;
            char lab[16];
            snprintf(lab, sizeof lab, "%d/%d", E, K);
            printf("%-10s", lab);
            for (pi = 0; pi < n_paths; pi++) {
                double tt[5];
                int it, tk;
                for (it = 0; it < 5; it++) {
                    double t0 = now();
                    for (tk = 0; tk < NT; tk++) route_one(paths[pi], Wr, xs + (size_t)tk * d, E, d, K, p, sel + tk * K, sw + tk * K);
                    tt[it] = (now() - t0) / NT;
                }
                printf(" %10.1f", median(tt, 5) * 1e9);
            }
            {
                double tt[9];
                int it, q;
                for (it = 0; it < 9; it++) {
                    double t0 = now();
                    for (q = 0; q < 20; q++) nu = group_tokens(sel, NT, K, E, cnt, start, rows, used);
                    tt[it] = (now() - t0) / (20.0 * NT);
                }
                printf(" %10.2f %8d\n", median(tt, 9) * 1e9, nu);
            }
        }
        free(Wr); free(xs); free(sel);
    }
    free(w); free(x); free(xq); free(y); free(yref);
    return sink == 12345.0f ? 1 : 0;
}
