/* Kernel tests: every SIMD path this CPU has against the scalar reference.
     Q8_0 x Q8_0, Q4_0 x Q8_0   integer block sums exact, floats within 1e-6 of sum |terms|
     quant_q8_0                 byte-identical blocks
     f32, f16, bf16 dots        within 1e-6 of sum |terms|; every fp16 and bf16 value converts exactly
   Paths the CPU lacks are reported as skipped, never passed.
   usage: test_kernels            run the tests
          test_kernels --bench    also time a 64 MB matrix x vector per path and type (1 thread)
   build: cc -std=c99 -Wall -Wextra -O2 -I. tests/test_kernels.c -o build/test_kernels -lm -lpthread */
#define OLMOE_IMPLEMENTATION
#include "../olmoe.h"
#include "test.h"
#include <math.h>
#include <time.h>

typedef struct { const char *name; const olmoe__kernels *k; } path;

/* Byte offsets that misalign the inputs apply to the SIMD paths only: the scalar reference reads
   its blocks through typed pointers and needs their natural alignment. */
static int odd_ok(const path *p) { return p->k != &olmoe__kernels_scalar; }

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static int rndi(int lo, int hi) { return lo + (int)(rnd() % (uint64_t)(hi - lo + 1)); }
static float rndf(void) { return (float)((double)(rnd() >> 11) / 9007199254740992.0 * 2.0 - 1.0); }
static float rndn(void) { /* roughly normal */
    return (rndf() + rndf() + rndf() + rndf()) * 0.8660254f;
}

/* A normal fp16 scale of moderate size, random sign. */
static uint16_t rnd_scale(void) {
    return (uint16_t)(((rnd() & 1) << 15) | ((uint16_t)rndi(5, 20) << 10) | (uint16_t)(rnd() & 0x3ff));
}

/* Activation blocks: random int8 in [lo, hi] with random scales (or unit scales). */
static void fill_q8(uint8_t *q, int nb, int lo, int hi, int unit) {
    int i, j;
    for (i = 0; i < nb; i++) {
        uint16_t d = unit ? 0x3C00 : rnd_scale();
        memcpy(q + 34 * i, &d, 2);
        for (j = 0; j < 32; j++) q[34 * i + 2 + j] = (uint8_t)(int8_t)rndi(lo, hi);
    }
}
static void fill_q4(uint8_t *q, int nb, int unit) {
    int i, j;
    for (i = 0; i < nb; i++) {
        uint16_t d = unit ? 0x3C00 : rnd_scale();
        memcpy(q + 18 * i, &d, 2);
        for (j = 0; j < 16; j++) q[18 * i + 2 + j] = (uint8_t)rnd();
    }
}

/* Exact integer sum of block i of a weight row (Q8_0 or Q4_0) with Q8_0 activation block i. */
static int64_t block_isum(int type, const uint8_t *w, const uint8_t *x, int i) {
    int64_t s = 0;
    int j;
    const int8_t *y = (const int8_t *)(x + 34 * i + 2);
    if (type == OLMOE_TYPE_Q8_0) {
        const int8_t *a = (const int8_t *)(w + 34 * i + 2);
        for (j = 0; j < 32; j++) s += (int64_t)a[j] * y[j];
    } else {
        const uint8_t *a = w + 18 * i + 2;
        for (j = 0; j < 16; j++) s += (int64_t)((a[j] & 15) - 8) * y[j] + (int64_t)((a[j] >> 4) - 8) * y[j + 16];
    }
    return s;
}
static float h2f(const uint8_t *p) { uint16_t h; memcpy(&h, p, 2); return olmoe_fp16_to_fp32(h); }

/* Reference: sum of terms (float)(dw*dy) * isum in double; *mag = sum of |terms|. */
static double qdot_ref(int type, const uint8_t *w, const uint8_t *x, int nb, double *mag) {
    double s = 0, m = 0;
    int i, wb = type == OLMOE_TYPE_Q8_0 ? 34 : 18;
    for (i = 0; i < nb; i++) {
        float d = h2f(w + wb * i) * h2f(x + 34 * i);
        double t = (double)d * (double)block_isum(type, w, x, i);
        s += t;
        m += fabs(t);
    }
    *mag = m;
    return s;
}

static int close_enough(double got, double ref, double mag) {
    if (isnan(ref) || isinf(ref)) return !isfinite(got);
    return fabs(got - ref) <= 1e-6 * mag + 1e-30;
}

/* Copies n bytes to buf + off (buf large enough) and returns the copy. */
static uint8_t *at(uint8_t *buf, int off, const void *src, size_t n) {
    memcpy(buf + off, src, n);
    return buf + off;
}

static const int q_blocks[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 128, 129};
#define NQB ((int)(sizeof q_blocks / sizeof q_blocks[0]))

static void test_qdots(const path *p) {
    static uint8_t w[129 * 34], x[129 * 34], wb[129 * 34 + 8], xb[129 * 34 + 8];
    int ti, si, seed, bad_int = 0, bad_blk = 0, bad_f = 0, bad_x = 0, cases = 0;
    char where[160] = "";
    for (ti = 0; ti < 2; ti++) {
        int type = ti ? OLMOE_TYPE_Q4_0 : OLMOE_TYPE_Q8_0, wbytes = ti ? 18 : 34;
        olmoe__dot_q_fn f = ti ? p->k->dot_q4_0 : p->k->dot_q8_0;
        /* Q8_0 x86 paths need activations in [-127, 127] (what quant_q8_0 writes); Q4_0 takes any. */
        int ylo = ti ? -128 : -127;
        for (seed = 0; seed < 4; seed++)
            for (si = 0; si < NQB; si++) {
                int nb = q_blocks[si], n = 32 * nb, i, ow = odd_ok(p) * ((seed + si) % 4), ox = odd_ok(p) * ((seed * 3 + si) % 4);
                int64_t isum = 0, iabs = 0;
                double mag, ref;
                float got;
                /* 1. unit scales: the result is the exact integer sum while it stays below 2^24 */
                if (ti) fill_q4(w, nb, 1); else fill_q8(w, nb, -128, 127, 1);
                fill_q8(x, nb, ylo, 127, 1);
                for (i = 0; i < nb; i++) {
                    int64_t s = block_isum(type, w, x, i);
                    isum += s;
                    iabs += s < 0 ? -s : s;
                    /* each block alone */
                    got = f(32, at(wb, ow, w + (size_t)wbytes * i, (size_t)wbytes), at(xb, ox, x + 34 * i, 34));
                    if ((double)got != (double)s && !bad_blk++)
                        snprintf(where, sizeof where, "%s block %d of %d: %g != %lld", ti ? "q4_0" : "q8_0", i, nb, got, (long long)s);
                }
                got = f(n, at(wb, ow, w, (size_t)wbytes * nb), at(xb, ox, x, (size_t)34 * nb));
                if (iabs < (1 << 24) && (double)got != (double)isum && !bad_int++)
                    snprintf(where, sizeof where, "%s n=%d unit scales: %g != %lld", ti ? "q4_0" : "q8_0", n, got, (long long)isum);
                /* 2. random scales, unaligned (1..3 byte offsets) */
                if (ti) fill_q4(w, nb, 0); else fill_q8(w, nb, -128, 127, 0);
                fill_q8(x, nb, ylo, 127, 0);
                ref = qdot_ref(type, w, x, nb, &mag);
                got = f(n, at(wb, ow, w, (size_t)wbytes * nb), at(xb, ox, x, (size_t)34 * nb));
                if (!close_enough(got, ref, mag) && !bad_f++)
                    snprintf(where, sizeof where, "%s n=%d off %d/%d: %.9g vs %.9g", ti ? "q4_0" : "q8_0", n, ow, ox, got, ref);
                /* the scalar reference agrees with the double one too (sanity of the test) */
                got = (ti ? olmoe__dot_q4_0_scalar : olmoe__dot_q8_0_scalar)(n, w, x);
                if (!close_enough(got, ref, mag) && !bad_f++)
                    snprintf(where, sizeof where, "scalar %s n=%d: %.9g vs %.9g", ti ? "q4_0" : "q8_0", n, got, ref);
                cases++;
            }
        /* 3. extremes: all -128 / 127 weights (all 0x00 / 0xFF nibbles), +-127 (q4: -128) activations,
              zero, subnormal and inf scales */
        for (si = 0; si < 16; si++) {
            int nb = si < 8 ? 4 : 65, n = 32 * nb, i, j, wv = si & 1, yv = (si >> 1) & 1, sc = (si >> 2) & 1;
            double mag, ref;
            float got;
            for (i = 0; i < nb; i++) {
                uint16_t dw = sc ? (uint16_t)(1 + (i % 0x3ff)) : 0x3C00, dy = sc ? (uint16_t)rnd_scale() : 0x3C00;
                if (i == 1) dw = 0; /* a zero scale */
                memcpy(w + wbytes * i, &dw, 2);
                memcpy(x + 34 * i, &dy, 2);
                for (j = 0; j < wbytes - 2; j++) w[wbytes * i + 2 + j] = ti ? (wv ? 0xFF : 0x00) : (uint8_t)(wv ? 127 : -128);
                for (j = 0; j < 32; j++) x[34 * i + 2 + j] = (uint8_t)(int8_t)(yv ? 127 : ylo);
            }
            ref = qdot_ref(type, w, x, nb, &mag);
            got = f(n, at(wb, odd_ok(p) * (1 + si % 3), w, (size_t)wbytes * nb), at(xb, odd_ok(p) * (3 - si % 3), x, (size_t)34 * nb));
            if (!close_enough(got, ref, mag) && !bad_x++)
                snprintf(where, sizeof where, "%s extreme case %d: %.9g vs %.9g", ti ? "q4_0" : "q8_0", si, got, ref);
            cases++;
        }
        /* an inf scale gives a non-finite result, as in the scalar path */
        {
            uint16_t inf = 0x7C00;
            double mag;
            float got;
            fill_q8(x, 8, ylo, 127, 0);
            if (ti) fill_q4(w, 8, 0); else fill_q8(w, 8, -128, 127, 0);
            memcpy(w + wbytes * 3, &inf, 2);
            got = f(256, w, x);
            if (isfinite(got) && isinf(qdot_ref(type, w, x, 8, &mag)) && !bad_x++)
                snprintf(where, sizeof where, "%s inf scale gave %g", ti ? "q4_0" : "q8_0", got);
        }
    }
    CHECK(!bad_blk, "%s: q8_0/q4_0 per-block integer sums exact (%d sizes x 4 seeds) %s", p->name, NQB, bad_blk ? where : "");
    CHECK(!bad_int, "%s: q8_0/q4_0 whole-row integer sums exact (unit scales) %s", p->name, bad_int ? where : "");
    CHECK(!bad_f, "%s: q8_0/q4_0 random scales, unaligned, within 1e-6 of sum|terms| (%d cases) %s", p->name, cases, bad_f ? where : "");
    CHECK(!bad_x, "%s: q8_0/q4_0 extreme values and scales %s", p->name, bad_x ? where : "");
}

/* Fills x[0..n) with one of several distributions. */
static void fill_act(float *x, int n, int kind) {
    int i;
    for (i = 0; i < n; i++) {
        int blk = i / 32;
        switch (kind) {
        case 0: x[i] = rndn(); break;
        case 1: x[i] = rndf() * 1000.0f; break;
        case 2: x[i] = (float)rndi(-254, 254) * 0.5f; break; /* amax 127 gives exact halves */
        case 3: x[i] = rndn() * (float)pow(10.0, (double)(blk % 16) - 8.0) * (blk % 5 == 0 ? 3e6f : 1.0f); break;
        case 4: x[i] = (blk % 3 == 0) ? 0.0f : (i % 32 == (blk * 7) % 32 ? -rndf() - 2.0f : rndf()); break;
        case 5: x[i] = rndn() * 1e-30f; break;       /* d underflows fp16 to 0 */
        case 6: x[i] = rndn() * 1e7f; break;         /* d overflows fp16 to inf */
        default: x[i] = (float)rndi(-3, 3) * (blk % 2 ? 0.25f : 127.0f / 4.0f); break;
        }
    }
    if (kind == 2) for (i = 0; i < n; i += 32) x[i] = (i / 32) % 2 ? 127.0f : -127.0f;
}

static void test_quant(const path *p) {
    static float xs[4096 + 64 + 8];
    static uint8_t ref[130 * 34], out[130 * 34 + 8];
    static const int sizes[] = {32, 64, 96, 160, 2048, 4096 + 32, 4096 + 64};
    int kind, si, bad = 0, bad128 = 0, cases = 0;
    char where[128] = "";
    for (kind = 0; kind < 8; kind++)
        for (si = 0; si < (int)(sizeof sizes / sizeof sizes[0]); si++) {
            int n = sizes[si], xo = (kind + si) % 4, oo = odd_ok(p) * ((kind * 3 + si) % 4), i;
            float *x = xs + xo;
            fill_act(x, n, kind);
            olmoe__quant_q8_0_scalar(x, ref, n);
            memset(out, 0xAA, sizeof out);
            p->k->quant_q8_0(x, out + oo, n);
            if (memcmp(ref, out + oo, (size_t)(n / 32) * 34) != 0 && !bad++) {
                for (i = 0; i < n / 32 * 34 && ref[i] == out[oo + i]; i++) {}
                snprintf(where, sizeof where, "kind %d n=%d: first difference at byte %d (block %d): %02x vs %02x",
                         kind, n, i, i / 34, ref[i], out[oo + i]);
            }
            if (out[oo + n / 32 * 34] != 0xAA && !bad++) snprintf(where, sizeof where, "kind %d n=%d wrote past the end", kind, n);
            for (i = 0; i < n / 32; i++) {
                int j;
                for (j = 0; j < 32; j++) if (out[oo + 34 * i + 2 + j] == 0x80) bad128++;
            }
            cases++;
        }
    CHECK(!bad, "%s: quant_q8_0 byte-identical to the scalar (%d cases, unaligned in and out) %s", p->name, cases, where);
    CHECK(!bad128, "%s: quant_q8_0 never writes -128 (%d found)", p->name, bad128);
}

/* Float dots. type: 0 f32, 1 f16, 2 bf16. */
static float wval(int type, const uint8_t *w, int i) {
    if (type == 0) { float f; memcpy(&f, w + 4 * i, 4); return f; }
    return type == 1 ? h2f(w + 2 * i) : (float)olmoe_bf16_to_fp32((uint16_t)(w[2 * i] | (w[2 * i + 1] << 8)));
}

static void test_fdots(const path *p) {
    static const char *names[3] = {"f32", "f16", "bf16"};
    static float xs[8192 + 8];
    static uint8_t w[8192 * 4], wb[8192 * 4 + 8];
    int type, bad[3] = {0, 0, 0}, badc[3] = {0, 0, 0};
    char where[3][128] = {"", "", ""};
    for (type = 0; type < 3; type++) {
        olmoe__dot_f_fn f = type == 0 ? p->k->dot_f32 : type == 1 ? p->k->dot_f16 : p->k->dot_bf16;
        int esz = type ? 2 : 4, n, rep;
        uint32_t h;
        for (rep = 0; rep < 110; rep++) {
            int i, ow = odd_ok(p) * (rep % 4), ox = (rep / 4) % 4;
            float *x = xs + ox, got;
            double ref = 0, mag = 0;
            n = rep < 90 ? rep + 1 : rep < 100 ? 2048 + (rep - 90) * 31 : rep < 105 ? 4096 + 32 : 8191 - (rep - 105);
            for (i = 0; i < n; i++) {
                float v = rndn() * (rep % 3 ? 1.0f : 100.0f);
                x[i] = rndn();
                if (type == 0) memcpy(w + 4 * i, &v, 4);
                else {
                    uint16_t hv = type == 1 ? olmoe_fp32_to_fp16(v) : olmoe_fp32_to_bf16(v);
                    memcpy(w + 2 * i, &hv, 2);
                }
                ref += (double)wval(type, w, i) * x[i];
                mag += fabs((double)wval(type, w, i) * x[i]);
            }
            got = f(n, at(wb, ow, w, (size_t)n * esz), x);
            if (!close_enough(got, ref, mag) && !bad[type]++)
                snprintf(where[type], sizeof where[type], "n=%d off %d/%d: %.9g vs %.9g", n, ow, ox, got, ref);
        }
        if (type == 0) continue;
        /* every 16-bit pattern converts exactly: one nonzero weight among 64, x all ones */
        for (n = 0; n < 64; n++) xs[n] = 1.0f;
        memset(w, 0, 128);
        for (h = 0; h < 65536; h++) {
            int pos = (int)(h % 64);
            float want = type == 1 ? olmoe_fp16_to_fp32((uint16_t)h) : olmoe_bf16_to_fp32((uint16_t)h), got;
            uint16_t hv = (uint16_t)h, z = 0;
            memcpy(w + 2 * pos, &hv, 2);
            got = f(64, w, xs);
            memcpy(w + 2 * pos, &z, 2);
            if (!(got == want || (isnan(got) && isnan(want))) && !badc[type]++)
                snprintf(where[type], sizeof where[type], "0x%04x converts to %.9g, want %.9g", (unsigned)h, got, want);
        }
    }
    for (type = 0; type < 3; type++) {
        CHECK(!bad[type], "%s: dot_%s within 1e-6 of sum|terms| (n = 1..90, 2048.., 4128, ..8191, unaligned) %s",
              p->name, names[type], bad[type] ? where[type] : "");
        if (type) CHECK(!badc[type], "%s: dot_%s converts all 65536 values exactly %s", p->name, names[type], badc[type] ? where[type] : "");
    }
}

/* Multi-row dots: y[r * ys] = row r . xq must equal the single-row dot bit for bit. */
typedef void (*dotr_fn)(int n, int nr, const void *w, size_t ws, const void *xq, float *y, size_t ys);
static dotr_fn get_dotr(const path *p, int q4) {
    (void)p;
    (void)q4;
#ifdef OLMOE__KERNELS_HAVE_DOTR
    return q4 ? p->k->dotr_q4_0 : p->k->dotr_q8_0;
#else
#if defined(OLMOE__HAVE_SIMD) && defined(__x86_64__)
    if (p->k == &olmoe__kernels_avx2) return q4 ? olmoe__dotr_q4_0_avx2 : olmoe__dotr_q8_0_avx2;
    if (p->k == &olmoe__kernels_avx512) return q4 ? olmoe__dotr_q4_0_avx512 : olmoe__dotr_q8_0_avx512;
#elif defined(OLMOE__HAVE_SIMD) && defined(__aarch64__)
    if (p->k == &olmoe__kernels_neon) return q4 ? olmoe__dotr_q4_0_neon : olmoe__dotr_q8_0_neon;
    if (p->k == &olmoe__kernels_neon_dot) return q4 ? olmoe__dotr_q4_0_dot : olmoe__dotr_q8_0_dot;
#endif
    return NULL;
#endif
}

static void test_dotr(const path *p) {
    static const int nbs[] = {1, 7, 8, 9, 16, 64, 65};
    static const int nrs[] = {1, 2, 3, 4, 5, 7, 8, 9, 12};
    static uint8_t w[12 * (3 * 65 * 34 + 2) + 8], x[65 * 34 + 8];
    static float y[12 * 2 + 1];
    int q4, bad = 0, cases = 0, bi, ri;
    char where[160] = "";
    for (q4 = 0; q4 < 2; q4++) {
        dotr_fn f = get_dotr(p, q4);
        olmoe__dot_q_fn one = q4 ? p->k->dot_q4_0 : p->k->dot_q8_0;
        int wb = q4 ? 18 : 34;
        if (!f) { printf("skip %s: dotr_%s (not in this build's kernel table)\n", p->name, q4 ? "q4_0" : "q8_0"); continue; }
        for (bi = 0; bi < 7; bi++)
            for (ri = 0; ri < 9; ri++) {
                int nb = nbs[bi], nr = nrs[ri], n = 32 * nb, r, spacing = 1 + (bi + ri) % 3, ys = 1 + ri % 2;
                int ow = odd_ok(p) * ((bi + ri) % 4), ox = odd_ok(p) * ((bi * 3 + ri) % 4);
                size_t ws = (size_t)wb * nb * spacing + (size_t)(ri % 3 == 2 ? 2 : 0);
                uint8_t *W = w + ow, *X = x + ox;
                for (r = 0; r < nr; r++) {
                    uint8_t tmp[65 * 34];
                    if (q4) fill_q4(tmp, nb, 0); else fill_q8(tmp, nb, -128, 127, 0);
                    memcpy(W + (size_t)r * ws, tmp, (size_t)wb * nb);
                }
                {
                    uint8_t tmp[65 * 34];
                    fill_q8(tmp, nb, q4 ? -128 : -127, 127, 0);
                    memcpy(X, tmp, (size_t)34 * nb);
                }
                for (r = 0; r < 2 * 12 + 1; r++) y[r] = -12345.0f;
                f(n, nr, W, ws, X, y, (size_t)ys);
                for (r = 0; r < nr; r++) {
                    float want = one(n, W + (size_t)r * ws, X);
                    if (memcmp(&want, &y[r * ys], 4) != 0 && !bad++)
                        snprintf(where, sizeof where, "%s n=%d nr=%d row %d: %.9g vs single-row %.9g", q4 ? "q4_0" : "q8_0", n, nr, r, y[r * ys], want);
                }
                for (r = nr * ys; r < 2 * 12 + 1; r++)
                    if (y[r] != -12345.0f && !bad++) snprintf(where, sizeof where, "n=%d nr=%d wrote y[%d]", n, nr, r);
                cases++;
            }
    }
    if (cases) CHECK(!bad, "%s: dotr_q8_0/q4_0 equal the single-row dots bit for bit (%d cases, strided, unaligned) %s", p->name, cases, where);
}

/* mm_q4_0 / mm_q8_0 (rows x tokens, reading the activations' second layout made by prep_q8):
   every value within 1e-6 of the exact reference, equal bit for bit to the same row and token
   computed alone (nr = nt = 1), so tiles of any size and either place in a row pair agree;
   nothing written outside the nr outputs of each token. */
static void test_mm(const path *p) {
    static const int nbs[] = {1, 7, 8, 9, 16, 17, 64, 65};
    /* 16 rows and more with 4 tokens and more take the AVX-512 16-row kernel, the rest of the
       rows the pair kernels */
    static const int nrs[] = {1, 2, 3, 5, 8, 13, 16, 35};
    static const int nts[] = {1, 3, 4, 5, 9, 16, 17, 21, 31};
    enum { MAXNB = 65, MAXR = 35, MAXT = 31 };
    static uint8_t w[MAXR * (2 * MAXNB * 34 + 2) + 8];
    static uint8_t xbuf[MAXT * (MAXNB * 34 + 64 + MAXNB / 8 * 384 + 8) + 64];
    static float ybuf[MAXT][MAXR + 4];
    int q8;
    if (!p->k->mm_q4_0 || !p->k->mm_q8_0 || !p->k->prep_q8) { printf("skip %s: mm_q4_0/mm_q8_0 (not in this path's kernel table)\n", p->name); return; }
    for (q8 = 0; q8 < 2; q8++) {
        int bad = 0, badx = 0, cases = 0, bi, ri, ti, wb = q8 ? 34 : 18, type = q8 ? OLMOE_TYPE_Q8_0 : OLMOE_TYPE_Q4_0;
        /* quant_q8_0 never writes -128; the x86 Q8_0 kernels rely on it, the NEON ones take any int8 */
        int ylo = q8 && p->k->id != OLMOE_KERNELS_NEON ? -127 : -128;
        char where[200] = "", wherex[200] = "";
        olmoe__mm_fn mm = q8 ? p->k->mm_q8_0 : p->k->mm_q4_0;
        for (bi = 0; bi < 8; bi++)
            for (ri = 0; ri < 8; ri++)
                for (ti = 0; ti < 9; ti++) {
                    int nb = nbs[bi], nr = nrs[ri], nt = nts[ti], n = 32 * nb, r, t;
                    size_t ws = (size_t)wb * nb * (1 + (bi + ri) % 2) + (size_t)(ri % 3 == 2 ? 2 : 0);
                    size_t rec = olmoe__xp_offset(n) + olmoe__xp_size(n) + (size_t)2 * (ti % 2);
                    uint8_t *W = w + 2 * ((bi + ti) % 3), *X = xbuf + 2 * ((bi + ri + ti) % 3);
                    const uint8_t *xq[MAXT];
                    float *y[MAXT];
                    for (r = 0; r < nr; r++) {
                        if (q8) fill_q8(W + (size_t)r * ws, nb, -128, 127, 0); else fill_q4(W + (size_t)r * ws, nb, 0);
                    }
                    for (t = 0; t < nt; t++) {
                        uint8_t *q = X + (size_t)t * rec;
                        fill_q8(q, nb, ylo, 127, 0);
                        p->k->prep_q8(q, q + olmoe__xp_offset(n), n);
                        xq[t] = q;
                        y[t] = ybuf[t];
                        for (r = 0; r < MAXR + 4; r++) ybuf[t][r] = -12345.0f;
                    }
                    mm(n, nr, W, ws, nt, xq, y);
                    for (t = 0; t < nt; t++) {
                        for (r = 0; r < nr; r++) {
                            double mag, ref = qdot_ref(type, W + (size_t)r * ws, xq[t], nb, &mag);
                            float one;
                            float *py = &one;
                            if (!close_enough(ybuf[t][r], ref, mag) && !badx++)
                                snprintf(wherex, sizeof wherex, "n=%d nr=%d nt=%d row %d token %d: %.9g vs %.9g", n, nr, nt, r, t, ybuf[t][r], ref);
                            mm(n, 1, W + (size_t)r * ws, ws, 1, &xq[t], &py);
                            if (memcmp(&one, &ybuf[t][r], 4) != 0 && !bad++)
                                snprintf(where, sizeof where, "n=%d nr=%d nt=%d row %d token %d: %.9g vs alone %.9g", n, nr, nt, r, t, ybuf[t][r], one);
                        }
                        for (r = nr; r < MAXR + 4; r++)
                            if (ybuf[t][r] != -12345.0f && !bad++) snprintf(where, sizeof where, "n=%d nr=%d nt=%d wrote y[%d][%d]", n, nr, nt, t, r);
                    }
                    cases++;
                }
        if (p->k->id == OLMOE_KERNELS_NEON) {
            /* extremes: every weight -128 (Q4_0: nibble 0, -8) and every activation -128, the
               largest block sums (Q8_0: 32 x 16384), over a group and leftover blocks */
            int nb = 9, n = 32 * nb, nr = 5, nt = 3, r, t, i;
            size_t ws = (size_t)wb * nb, rec = olmoe__xp_offset(n) + olmoe__xp_size(n);
            const uint8_t *xq[3];
            float *y[3];
            for (r = 0; r < nr * nb; r++) {
                uint16_t d = olmoe_fp32_to_fp16(0.25f + 0.125f * (r % 5));
                memcpy(w + (size_t)r * wb, &d, 2);
                memset(w + (size_t)r * wb + 2, q8 ? 0x80 : 0x00, (size_t)wb - 2);
            }
            for (t = 0; t < nt; t++) {
                uint8_t *q = xbuf + (size_t)t * rec;
                for (i = 0; i < nb; i++) {
                    uint16_t d = olmoe_fp32_to_fp16(0.5f + 0.25f * ((i + t) % 3));
                    memcpy(q + 34 * i, &d, 2);
                    memset(q + 34 * i + 2, 0x80, 32);
                }
                p->k->prep_q8(q, q + olmoe__xp_offset(n), n);
                xq[t] = q;
                y[t] = ybuf[t];
            }
            mm(n, nr, w, ws, nt, xq, y);
            for (t = 0; t < nt; t++)
                for (r = 0; r < nr; r++) {
                    double mag, ref = qdot_ref(type, w + (size_t)r * ws, xq[t], nb, &mag);
                    if (!close_enough(ybuf[t][r], ref, mag) && !badx++)
                        snprintf(wherex, sizeof wherex, "extremes row %d token %d: %.9g vs %.9g", r, t, ybuf[t][r], ref);
                }
        }
        CHECK(!badx, "%s: mm_%s within 1e-6 of the exact sums (%d shapes, strided, unaligned%s) %s", p->name, q8 ? "q8_0" : "q4_0", cases,
              p->k->id == OLMOE_KERNELS_NEON ? ", -128 activations, extremes" : "", wherex);
        CHECK(!bad, "%s: mm_%s values equal the row and token computed alone, bit for bit %s", p->name, q8 ? "q8_0" : "q4_0", where);
    }
}

/* axpy_f32 (attention's weighted V sum): within 1e-6 of the double sum, odd lengths, unaligned. */
static void test_axpy(const path *p) {
    static float x[300], y[300], y0[300];
    int n, i, bad = 0;
    char where[120] = "";
    for (n = 1; n < 290; n += (n < 40 ? 1 : 37)) {
        float a = rndf() * 2.0f, *X = x + n % 3, *Y = y + (n + 1) % 3;
        for (i = 0; i < n; i++) { X[i] = rndn(); Y[i] = y0[i] = rndn(); }
        Y[n] = 777.0f;
        p->k->axpy_f32(n, a, X, Y);
        for (i = 0; i < n; i++) {
            double want = (double)y0[i] + (double)a * X[i];
            if (fabs(Y[i] - want) > 1e-6 * (fabs(y0[i]) + fabs(a * X[i])) + 1e-30 && !bad++)
                snprintf(where, sizeof where, "n=%d i=%d: %.9g vs %.9g", n, i, Y[i], want);
        }
        if (Y[n] != 777.0f && !bad++) snprintf(where, sizeof where, "n=%d wrote past the end", n);
    }
    CHECK(p->k->axpy_f32 && !bad, "%s: axpy_f32 within 1e-6 of y + a x %s", p->name, where);
}

/* silu_mul and exp_sum within 1e-6 relative of the double-precision functions (g over
   [-80, 80], the softmax inputs over [-87, 0], where the results are normal floats); an element's value the same bit for bit for
   every n (the tails go through the same code); nothing written past n; exp_sum's sum within
   1e-6 of the sum of its outputs. */
static void test_silu_exp(const path *p) {
    static float g[300], u[300], g0[300], e[300], e0[300], g1[300], e1[300];
    int n, i, bad = 0, bade = 0, badn = 0;
    char where[160] = "", wheree[160] = "";
    for (i = 0; i < 290; i++) {
        g0[i] = i < 9 ? (float)(i - 4) * 20.0f : rndf() * 80.0f;
        if (i % 5 == 1) g0[i] *= 0.01f;
        u[i] = rndn();
        e0[i] = i < 3 ? (float)-i * 43.5f : -fabsf(rndf()) * 87.0f;
    }
    memcpy(g1, g0, sizeof g1); p->k->silu_mul(290, g1, u);
    memcpy(e1, e0, sizeof e1); p->k->exp_sum(290, e1, 0.0f);
    for (n = 1; n < 290; n += (n < 40 ? 1 : 37)) {
        double sum = 0, want;
        float s;
        memcpy(g, g0, sizeof g); memcpy(e, e0, sizeof e);
        p->k->silu_mul(n, g, u);
        s = p->k->exp_sum(n, e, 0.0f);
        for (i = 0; i < n; i++) {
            double x = g0[i];
            want = x / (1.0 + exp(-x)) * u[i];
            if (fabs(g[i] - want) > 1e-6 * fabs(want) + 1e-37 && !bad++)
                snprintf(where, sizeof where, "n=%d silu_mul(%.9g) * %.9g = %.9g vs %.9g", n, g0[i], u[i], g[i], want);
            want = exp((double)e0[i]);
            if (fabs(e[i] - want) > 1e-6 * want + 1e-37 && !bade++)
                snprintf(wheree, sizeof wheree, "n=%d exp(%.9g) = %.9g vs %.9g", n, e0[i], e[i], want);
            if ((memcmp(&g[i], &g1[i], 4) || memcmp(&e[i], &e1[i], 4)) && !badn++)
                snprintf(where, sizeof where, "n=%d element %d differs from n=290", n, i);
            sum += e[i];
        }
        if (fabs(s - sum) > 1e-6 * sum && !bade++) snprintf(wheree, sizeof wheree, "n=%d sum %.9g vs %.9g", n, s, sum);
        if ((g[n] != g0[n] || e[n] != e0[n]) && !bad++) snprintf(where, sizeof where, "n=%d wrote past the end", n);
    }
    CHECK(p->k->silu_mul && !bad && !badn, "%s: silu_mul within 1e-6 of g / (1 + e^-g) u, the same bits for every n %s", p->name, where);
    CHECK(p->k->exp_sum && !bade, "%s: exp_sum within 1e-6 of exp and of its outputs' sum %s", p->name, wheree);
}

/* cvt_f16 writes exactly olmoe_fp32_to_fp16's bits (random values over the whole fp16 range and
   beyond, ties, subnormals, zeros, infinities; NaN stays NaN); axpy_f16 within 1e-6 of y + a x. */
static void test_f16_cache(const path *p) {
    static float x[600], y[600], y0[600];
    static uint16_t h[600], hw[600];
    int n = 0, i, bad = 0, badn = 0, bada = 0;
    char where[160] = "";
    const float special[] = {0.0f, -0.0f, 65504.0f, 65520.0f, -65520.0f, 1e6f, 6.1035156e-05f, 5.9604645e-08f,
                             2.9802322e-08f, 2.9802326e-08f, 1e-9f, 1.0009765625f, 1.00048828125f, 1.00146484375f};
    for (i = 0; i < (int)(sizeof special / sizeof special[0]); i++) x[n++] = special[i];
    x[n++] = INFINITY; x[n++] = -INFINITY;
    while (n < 597) {
        uint32_t bits = (uint32_t)rnd();
        float f;
        if (n % 3) bits = (bits & 0x807fffffu) | ((uint32_t)rndi(100, 150) << 23); /* around the fp16 range */
        memcpy(&f, &bits, 4);
        x[n++] = f;
    }
    x[n++] = NAN;
    for (i = 0; i < n; i++) hw[i] = olmoe_fp32_to_fp16(x[i]);
    p->k->cvt_f16(n, x, h);
    for (i = 0; i < n; i++) {
        if (isnan(x[i])) { if (!isnan(olmoe_fp16_to_fp32(h[i])) && !badn++) snprintf(where, sizeof where, "NaN -> %04x", h[i]); continue; }
        if (h[i] != hw[i] && !bad++) snprintf(where, sizeof where, "%.9g -> %04x, want %04x", x[i], h[i], hw[i]);
    }
    CHECK(!bad && !badn, "%s: cvt_f16 equals olmoe_fp32_to_fp16 on %d values %s", p->name, n, where);
    for (n = 1; n < 290; n += (n < 40 ? 1 : 37)) {
        float a = rndf() * 2.0f;
        for (i = 0; i < n; i++) { hw[i] = olmoe_fp32_to_fp16(rndn()); y[i] = y0[i] = rndn(); }
        y[n] = 777.0f;
        p->k->axpy_f16(n, a, hw + n % 2, y);
        for (i = 0; i < n; i++) {
            double xv = olmoe_fp16_to_fp32(hw[i + n % 2]), want = (double)y0[i] + (double)a * xv;
            if (fabs(y[i] - want) > 1e-6 * (fabs(y0[i]) + fabs(a * xv)) + 1e-30 && !bada++)
                snprintf(where, sizeof where, "n=%d i=%d: %.9g vs %.9g", n, i, y[i], want);
        }
        if (y[n] != 777.0f && !bada++) snprintf(where, sizeof where, "n=%d wrote past the end", n);
    }
    CHECK(!bada, "%s: axpy_f16 within 1e-6 of y + a x %s", p->name, bada ? where : "");
}

static void test_dispatch(void) {
    const olmoe__kernels *a = olmoe__pick_kernels(OLMOE_KERNELS_AUTO);
    CHECK(a != NULL, "AUTO picks a table (id %d)", a ? a->id : -1);
    CHECK(olmoe__pick_kernels(OLMOE_KERNELS_SCALAR) == &olmoe__kernels_scalar, "SCALAR picks the scalar table");
#ifdef OLMOE__HAVE_SIMD
    CHECK(olmoe__pick_kernels_simd(OLMOE_KERNELS_SCALAR) == NULL, "the SIMD picker declines SCALAR");
#if defined(__x86_64__)
    CHECK(olmoe__pick_kernels(OLMOE_KERNELS_NEON) == NULL, "NEON is unavailable on x86-64");
    if (olmoe__pick_kernels_simd(OLMOE_KERNELS_AVX512))
        CHECK(a == olmoe__pick_kernels_simd(OLMOE_KERNELS_AVX512), "AUTO prefers AVX-512 when present");
    else if (olmoe__pick_kernels_simd(OLMOE_KERNELS_AVX2))
        CHECK(a == olmoe__pick_kernels_simd(OLMOE_KERNELS_AVX2), "AUTO picks AVX2 without AVX-512");
#elif defined(__aarch64__)
    CHECK(olmoe__pick_kernels(OLMOE_KERNELS_AVX2) == NULL, "AVX2 is unavailable on aarch64");
    CHECK(a == olmoe__pick_kernels_simd(OLMOE_KERNELS_NEON) && a->id == OLMOE_KERNELS_NEON, "AUTO picks NEON");
#endif
#endif
}

/* ---- benchmark: 64 MB weight matrix x one vector, one thread ------------------------------- */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Columns: the single-row dot of each type, then dotr (4 rows a pass, taken a quarter of the
   matrix apart) for Q4_0 and Q8_0. */
static void bench(const path *paths, int np) {
    static const struct { const char *name; int type, bpe_num, bpe_den, rows4; } types[] = {
        {"q4_0", OLMOE_TYPE_Q4_0, 18, 32, 0}, {"q8_0", OLMOE_TYPE_Q8_0, 34, 32, 0},
        {"f16", OLMOE_TYPE_F16, 2, 1, 0},
        {"bf16", OLMOE_TYPE_BF16, 2, 1, 0}, {"f32", OLMOE_TYPE_F32, 4, 1, 0},
        {"q4_0x4", OLMOE_TYPE_Q4_0, 18, 32, 1}, {"q8_0x4", OLMOE_TYPE_Q8_0, 34, 32, 1}};
    const int n = 2048, nt = (int)(sizeof types / sizeof types[0]);
    const size_t target = (size_t)64 << 20;
    uint8_t *m = (uint8_t *)malloc(target + 4096);
    float x[2048], *y;
    uint8_t xq[64 * 34];
    size_t i;
    int t, pi;
    if (!m) { printf("bench: out of memory\n"); return; }
    for (i = 0; i < target + 4096; i++) m[i] = (uint8_t)rnd();
    for (i = 0; i < (size_t)n; i++) x[i] = rndn();
    olmoe__quant_q8_0_scalar(x, xq, n);
    printf("\nbench: %d-wide rows, 64 MB of weights x 1 vector, 1 thread, best of 5 passes (GB/s of weight bytes)\n", n);
    printf("%-9s", "path");
    for (t = 0; t < nt; t++) printf("%9s", types[t].name);
    printf("\n");
    for (pi = 0; pi < np; pi++) {
        printf("%-9s", paths[pi].name);
        for (t = 0; t < nt; t++) {
            size_t row = (size_t)n * types[t].bpe_num / types[t].bpe_den, rows = target / row, r, q = rows / 4;
            dotr_fn f = types[t].rows4 ? get_dotr(&paths[pi], types[t].type == OLMOE_TYPE_Q4_0) : NULL;
            double best = 1e30;
            int rep;
            if (types[t].rows4 && !f) { printf("%9s", "-"); continue; }
            /* finite scales (random bytes would make some fp16 scales NaN/inf: harmless but odd) */
            if (types[t].type == OLMOE_TYPE_Q4_0 || types[t].type == OLMOE_TYPE_Q8_0)
                for (r = 0; r < rows * row; r += (size_t)types[t].bpe_num) m[r + 1] &= 0x3B;
            y = (float *)malloc(rows * sizeof(float));
            for (rep = 0; rep < 5; rep++) {
                double t0 = now_s(), dt;
                if (f)
                    for (r = 0; r < q; r++) f(n, 4, m + r * row, q * row, xq, y + r, q);
                else
                    for (r = 0; r < rows; r++)
                        y[r] = olmoe__row_dot(paths[pi].k, types[t].type, m + r * row, n, x, xq);
                dt = now_s() - t0;
                if (dt < best) best = dt;
            }
            printf("%9.1f", (double)((f ? 4 * q : rows) * row) / best / 1e9);
            fflush(stdout);
            free(y);
        }
        printf("\n");
    }
    free(m);
}

int main(int argc, char **argv) {
    path paths[6];
    int np = 0, i, do_bench = argc > 1 && strcmp(argv[1], "--bench") == 0;
    paths[np].name = "scalar"; paths[np++].k = &olmoe__kernels_scalar;
    t_verbose = 1;
#ifdef OLMOE__HAVE_SIMD
    {
        static const struct { const char *name; int id; } want[] = {
            {"avx2", OLMOE_KERNELS_AVX2}, {"avx512", OLMOE_KERNELS_AVX512}, {"neon", OLMOE_KERNELS_NEON}};
        for (i = 0; i < 3; i++) {
            const olmoe__kernels *k = olmoe__pick_kernels_simd(want[i].id);
            if (!k) { printf("skip %s: not available on this CPU\n", want[i].name); continue; }
#if defined(__aarch64__)
            if (k == &olmoe__kernels_neon_dot) {
                paths[np].name = "neon+dot"; paths[np++].k = k;
                paths[np].name = "neon"; paths[np++].k = &olmoe__kernels_neon; /* plain NEON runs anywhere */
                continue;
            }
            printf("skip neon+dot: this CPU has no dot-product instructions\n");
#endif
            paths[np].name = want[i].name;
            paths[np++].k = k;
        }
    }
#else
    printf("skip avx2, avx512, neon: this build has no SIMD paths\n");
#endif
    test_dispatch();
    for (i = 0; i < np; i++) {
        CHECK(paths[i].k->id >= OLMOE_KERNELS_SCALAR && paths[i].k->id <= OLMOE_KERNELS_NEON, "%s: table id %d", paths[i].name, paths[i].k->id);
        test_qdots(&paths[i]);
        test_quant(&paths[i]);
        test_fdots(&paths[i]);
        test_dotr(&paths[i]);
        test_mm(&paths[i]);
        test_axpy(&paths[i]);
        test_silu_exp(&paths[i]);
        test_f16_cache(&paths[i]);
    }
    if (do_bench) bench(paths, np);
    return t_finish();
}
