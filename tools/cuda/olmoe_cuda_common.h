/* Helpers shared by the CUDA forward pass (tools/cuda/olmoe_cuda.cu) and the host: index math, the
   weight repack and its inverse, the Q8_0 activation quantizer, dp4a block dots (Q4_0, Q8_0, Q6_K),
   router softmax + top-k, softmax merging and the grouping of (token, slot) pairs by expert. Every
   function is `__host__ __device__` under nvcc and plain static inline C99 under gcc, so
   tests/test_cuda_host.c checks them on a machine with no GPU, exactly against olmoe.h's own CPU
   functions. (The router's device form is a warp per token: ocu_route_select states the
   semantics and is checked against olmoe.h; ocu_route_select_warp is the warp's order, checked
   against both; the device shares ocu_route_better with it.) */
#ifndef OLMOE_CUDA_COMMON_H
#define OLMOE_CUDA_COMMON_H
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <math.h>

#ifdef __CUDACC__
#define OCU_HD __host__ __device__ __forceinline__
#else
#define OCU_HD static inline
#endif

/* ---- number formats ---------------------------------------------------------------------- */
OCU_HD uint32_t ocu_f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
OCU_HD float ocu_u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

OCU_HD float ocu_fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    if (e == 0) {   /* zero or subnormal: m * 2^-24, exact in float */
        float v = (float)m * (1.0f / 16777216.0f);
        return ocu_u2f(ocu_f2u(v) | sign);
    }
    if (e == 31) return ocu_u2f(sign | 0x7f800000u | (m << 13));
    return ocu_u2f(sign | ((e + 112) << 23) | (m << 13));
}

/* round to nearest even; NaN stays NaN, overflow gives infinity (olmoe_fp32_to_fp16's contract) */
OCU_HD uint16_t ocu_fp32_to_fp16(float f) {
    uint32_t x = ocu_f2u(f), sign = (x >> 16) & 0x8000, mant = x & 0x7fffff;
    int32_t e = (int32_t)((x >> 23) & 0xff);
    if (e == 255) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 | (mant >> 13) : 0));
    e -= 112;   /* rebias 127 -> 15 */
    if (e >= 31) return (uint16_t)(sign | 0x7c00);
    if (e <= 0) {   /* subnormal half: shift the full significand, round on the dropped bits */
        uint32_t m = mant | 0x800000, sh, r, half, rem;
        if (e < -10) return (uint16_t)sign;
        sh = (uint32_t)(14 - e);
        r = m >> sh;
        half = 1u << (sh - 1);
        rem = m & ((half << 1) - 1);
        if (rem > half || (rem == half && (r & 1))) r++;
        return (uint16_t)(sign | r);
    } else {
        uint32_t r = ((uint32_t)e << 10) | (mant >> 13), rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) r++;   /* a carry into the exponent is right */
        return (uint16_t)(sign | r);
    }
}
OCU_HD float ocu_bf16_to_fp32(uint16_t h) { return ocu_u2f((uint32_t)h << 16); }

/* ---- weight layouts ------------------------------------------------------------------------
   GGUF stores Q4_0/Q8_0 as blocks {fp16 d; qs[...]} of 18/34 bytes: unaligned for anything wider
   than a byte. At upload each matrix is split into two arrays, same block order (row-major, block
   b of row r is r * nb + b): the quants, 16/32 bytes a block, so a lane reads a block as one or two
   16-byte loads and a warp reads 512/1024 contiguous bytes; and the scales, one fp16 a block. */
enum { OCU_Q4_0 = 2, OCU_Q8_0 = 8 };
OCU_HD int ocu_qs_bytes(int type) { return type == OCU_Q4_0 ? 16 : 32; }   /* quants of one block */
OCU_HD int ocu_blk_bytes(int type) { return type == OCU_Q4_0 ? 18 : 34; }  /* a GGUF block */

/* n_blk GGUF blocks at src -> qs (n_blk * qs_bytes) and d (n_blk fp16). Returns 0, -1 for another type. */
OCU_HD int ocu_repack(int type, const uint8_t *src, int64_t n_blk, uint8_t *qs, uint16_t *d) {
    int64_t b;
    int qb, bb;
    if (type != OCU_Q4_0 && type != OCU_Q8_0) return -1;
    qb = ocu_qs_bytes(type); bb = ocu_blk_bytes(type);
    for (b = 0; b < n_blk; b++) {
        memcpy(d + b, src + b * bb, 2);
        memcpy(qs + b * qb, src + b * bb + 2, (size_t)qb);
    }
    return 0;
}
/* The inverse: the GGUF blocks back from the two arrays. */
OCU_HD int ocu_unpack(int type, const uint8_t *qs, const uint16_t *d, int64_t n_blk, uint8_t *dst) {
    int64_t b;
    int qb, bb;
    if (type != OCU_Q4_0 && type != OCU_Q8_0) return -1;
    qb = ocu_qs_bytes(type); bb = ocu_blk_bytes(type);
    for (b = 0; b < n_blk; b++) {
        memcpy(dst + b * bb, d + b, 2);
        memcpy(dst + b * bb + 2, qs + b * qb, (size_t)qb);
    }
    return 0;
}

/* Q6_K (256 values in 210 bytes: ql[128] qh[64] int8 scales[16] fp16 d; the output head of llama.cpp's
   Q4_0 files) is padded to 224 bytes a block at upload, so every block starts 16-byte aligned and a
   lane reads its 32-value group as 32-bit words. */
#define OCU_Q6K_BYTES 224
OCU_HD void ocu_repack_q6k(const uint8_t *src, int64_t n_blk, uint8_t *dst) {
    int64_t b;
    for (b = 0; b < n_blk; b++) {
        memcpy(dst + b * OCU_Q6K_BYTES, src + b * 210, 210);
        memset(dst + b * OCU_Q6K_BYTES + 210, 0, OCU_Q6K_BYTES - 210);
    }
}
OCU_HD void ocu_unpack_q6k(const uint8_t *src, int64_t n_blk, uint8_t *dst) {
    int64_t b;
    for (b = 0; b < n_blk; b++) memcpy(dst + b * 210, src + b * OCU_Q6K_BYTES, 210);
}
OCU_HD uint32_t ocu_ld32(const uint8_t *p) {   /* p 4-byte aligned */
#if defined(__CUDA_ARCH__)
    return *(const uint32_t *)p;
#else
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
#endif
}
/* 32-value group g (0..7) of a padded Q6_K block: w = its values q - 32 (-32..31) as signed bytes in
   element order, s0 and s1 the integer scales of its two halves, *d the block's scale. The group's
   dot with Q8_0 activation quants y (scale dy) is dy * (d * (s0 * w[0..3].y + s1 * w[4..7].y)),
   olmoe.h's decoded dot (olmoe__dot_dec_q80_scalar) term for term. */
OCU_HD void ocu_q6k_group(const uint8_t *blk, int g, uint32_t *w, int *s0, int *s1, float *d) {
    int h = g >> 2, s = g & 3, k;
    const uint8_t *ql = blk + 64 * h + 32 * (s & 1), *qh = blk + 128 + 32 * h;
    uint16_t dh;
#ifdef __CUDACC__
#pragma unroll
#endif
    for (k = 0; k < 8; k++) {
        uint32_t lo = ocu_ld32(ql + 4 * k), hi = ocu_ld32(qh + 4 * k), v;
        lo = s < 2 ? lo & 0x0F0F0F0Fu : (lo >> 4) & 0x0F0F0F0Fu;
        hi = ((hi >> (2 * s)) & 0x03030303u) << 4;
        v = (lo | hi) ^ 0x20202020u;                 /* per byte v - 32, as for Q4_0's v - 8 */
        w[k] = v | ((v & 0x20202020u) * 6u);
    }
    *s0 = (int8_t)blk[192 + 2 * g];
    *s1 = (int8_t)blk[193 + 2 * g];
    memcpy(&dh, blk + 208, 2);
    *d = ocu_fp16_to_fp32(dh);
}

/* KV cache element (layer l, kv head h, position p, dim i): [n_layer][n_head_kv][n_ctx][head_dim],
   olmoe.h's layout (one head's positions contiguous: attention streams them). */
OCU_HD size_t ocu_kv_index(int l, int h, int p, int i, int n_head_kv, int n_ctx, int hd) {
    return (((size_t)l * (size_t)n_head_kv + (size_t)h) * (size_t)n_ctx + (size_t)p) * (size_t)hd + (size_t)i;
}

/* ---- Q8_0 activations ------------------------------------------------------------------------
   On the device an activation row of n values is n int8 quants and n/32 float scales. The scale
   kept is the fp16-rounded one (what olmoe.h's block stores and its dots multiply by), while the
   quants are taken with 1/d of the unrounded d: olmoe__quantize_q8_0_ref, value for value. */
OCU_HD float ocu_q8_inv(float amax, float *d_rounded) {
    float d = amax / 127.0f;
    *d_rounded = ocu_fp16_to_fp32(ocu_fp32_to_fp16(d));
    return d != 0.0f ? 1.0f / d : 0.0f;
}
OCU_HD int8_t ocu_q8_value(float x, float id) {
    float v = roundf(x * id);
    return (int8_t)(v >= -127.0f && v <= 127.0f ? (int)v : 0);   /* NaN -> 0 as on the CPU */
}
/* One row (n a multiple of 32), serially: the device kernel's result, for the host tests. */
OCU_HD void ocu_quantize_q8_row(const float *x, int n, int8_t *qs, float *d) {
    int b, j;
    for (b = 0; b < n / 32; b++) {
        float amax = 0.0f, id, a;
        for (j = 0; j < 32; j++) { a = fabsf(x[b * 32 + j]); amax = amax > a ? amax : a; }
        id = ocu_q8_inv(amax, &d[b]);
        for (j = 0; j < 32; j++) qs[b * 32 + j] = ocu_q8_value(x[b * 32 + j], id);
    }
}

/* ---- int8 dots ------------------------------------------------------------------------------ */
OCU_HD int32_t ocu_dp4a(uint32_t a, uint32_t b, int32_t c) {
#if defined(__CUDA_ARCH__)
    return __dp4a((int)a, (int)b, c);
#else
    int k;
    for (k = 0; k < 4; k++) c += (int32_t)(int8_t)(a >> (8 * k)) * (int32_t)(int8_t)(b >> (8 * k));
    return c;
#endif
}
/* Q4_0 nibbles (4 words: byte j holds element j low, j + 16 high) -> 8 words of signed bytes -8..7 in
   element order, so a block dot is 8 dp4a against the activation's 8 words. */
OCU_HD void ocu_q4_expand(const uint32_t *w4, uint32_t *w8) {
    int k;
#ifdef __CUDACC__
#pragma unroll
#endif
    for (k = 0; k < 4; k++) {
        uint32_t lo = w4[k] & 0x0F0F0F0Fu, hi = (w4[k] >> 4) & 0x0F0F0F0Fu;
        /* per byte v - 8 without borrows between bytes: v ^ 8 flips bit 3, then sign-extend
           bit 3 into bits 4..7 (v in 0..15: (v ^ 8) - 8 == v - 8 as a signed nibble) */
        lo ^= 0x08080808u; hi ^= 0x08080808u;
        w8[k] = lo | ((lo & 0x08080808u) * 0x1Eu);
        w8[k + 4] = hi | ((hi & 0x08080808u) * 0x1Eu);
    }
}
/* Integer dot of one block: weights in device layout (qs), activation quants xs (32 int8). */
OCU_HD int32_t ocu_block_dot(int type, const uint8_t *qs, const int8_t *xs) {
    uint32_t w[8], x[8];
    int32_t s = 0;
    int k;
    memcpy(x, xs, 32);
    if (type == OCU_Q4_0) {
        uint32_t w4[4];
        memcpy(w4, qs, 16);
        ocu_q4_expand(w4, w);
    } else memcpy(w, qs, 32);
    for (k = 0; k < 8; k++) s = ocu_dp4a(w[k], x[k], s);
    return s;
}

/* ---- routing ---------------------------------------------------------------------------------
   Softmax over the allowed experts (a masked expert's logit is -inf: probability 0), then the top
   K by descending probability, ties to the lower index (torch.topk), weights not renormalised.
   p: [E] logits in, probabilities out. olmoe__route_select_worker's arithmetic in its order. */
OCU_HD void ocu_route_select(float *p, const uint8_t *allowed, int E, int K, int32_t *sel, float *w) {
    float mx = -INFINITY, sum = 0.0f;
    int e, k, q;
    for (e = 0; e < E; e++) if (allowed[e] && p[e] > mx) mx = p[e];
    for (e = 0; e < E; e++) {
        p[e] = allowed[e] ? expf(p[e] - mx) : 0.0f;
        sum += p[e];
    }
    for (e = 0; e < E; e++) p[e] /= sum;
    for (k = 0; k < K; k++) {
        int best = -1;
        for (e = 0; e < E; e++) {
            int taken = 0;
            if (!allowed[e]) continue;
            for (q = 0; q < k; q++) if (sel[q] == e) taken = 1;
            if (taken) continue;
            if (best < 0 || p[e] > p[best]) best = e;
        }
        sel[k] = best;
        w[k] = p[best];
    }
}

/* The device's router is a warp per token (lane l holds experts l, l + 32, ...): the max and the
   sum are shuffle trees, and the top K are K rounds of a tree argmax under this order: a higher
   probability first, then the lower index (so ties go to the lower index, as above). */
OCU_HD int ocu_route_better(float v, int e, float bv, int be) { return v > bv || (v == bv && e < be); }
#define OCU_WARP_MAX_E 256
/* What that warp computes, lane by lane in the same order, on the host: the tests compare it with
   ocu_route_select / olmoe.h (the sum order differs from olmoe.h's running sum, so a probability can
   differ in its last bit). E <= OCU_WARP_MAX_E. */
static inline void ocu_route_select_warp(float *p, const uint8_t *allowed, int E, int K, int32_t *sel, float *w) {
    float part[32], mx = -INFINITY, sum;
    int l, j, k, o, e;
    uint8_t ok[OCU_WARP_MAX_E];
    for (e = 0; e < E; e++) { ok[e] = allowed[e] != 0; if (ok[e] && p[e] > mx) mx = p[e]; }
    for (l = 0; l < 32; l++) {   /* each lane's sum over its experts in j order, then the xor tree */
        part[l] = 0.0f;
        for (j = 0; j < OCU_WARP_MAX_E / 32; j++) {
            e = l + 32 * j;
            if (e < E) { p[e] = ok[e] ? expf(p[e] - mx) : 0.0f; part[l] += p[e]; }
            else part[l] += 0.0f;
        }
    }
    for (o = 16; o > 0; o >>= 1) {
        float nx[32];
        for (l = 0; l < 32; l++) nx[l] = part[l] + part[l ^ o];
        memcpy(part, nx, sizeof nx);
    }
    sum = part[0];
    for (e = 0; e < E; e++) p[e] /= sum;
    for (k = 0; k < K; k++) {
        float bv[32];
        int be[32];
        for (l = 0; l < 32; l++) {
            bv[l] = -1.0f; be[l] = 0x7fffffff;
            for (j = 0; j < OCU_WARP_MAX_E / 32; j++) {
                e = l + 32 * j;
                if (e < E && ok[e] && ocu_route_better(p[e], e, bv[l], be[l])) { bv[l] = p[e]; be[l] = e; }
            }
        }
        for (o = 16; o > 0; o >>= 1) {
            float nv[32];
            int ne[32];
            for (l = 0; l < 32; l++) {
                int x = l ^ o;
                if (ocu_route_better(bv[x], be[x], bv[l], be[l])) { nv[l] = bv[x]; ne[l] = be[x]; }
                else { nv[l] = bv[l]; ne[l] = be[l]; }
            }
            memcpy(bv, nv, sizeof nv);
            memcpy(be, ne, sizeof ne);
        }
        ok[be[0]] = 0;
        sel[k] = be[0];
        w[k] = bv[0];
    }
}

/* Counting sort of the T * K (token, slot) pairs by expert: start[E + 1] offsets, rows[T * K] the
   pairs t * Kmax + k, within an expert in increasing order (so the order, and every sum made
   in it, does not depend on anything but the routing). */
OCU_HD void ocu_group(const int32_t *sel, int T, int K, int Kmax, int E, int32_t *start, int32_t *rows) {
    int t, k, e;
    for (e = 0; e <= E; e++) start[e] = 0;
    for (t = 0; t < T; t++)
        for (k = 0; k < K; k++) start[sel[t * Kmax + k] + 1]++;
    for (e = 0; e < E; e++) start[e + 1] += start[e];
    for (e = 0; e < E; e++) {   /* one pass per expert: what one device thread per expert does */
        int n = start[e];
        for (t = 0; t < T; t++)
            for (k = 0; k < K; k++)
                if (sel[t * Kmax + k] == e) rows[n++] = t * Kmax + k;
    }
}
/* Tiles of at most nt pairs of one expert: tiles[3 i] = expert, [3 i + 1] = first row in rows[],
   [3 i + 2] = count. Returns the number of tiles (at most ocu_max_tiles). */
OCU_HD int ocu_tiles(const int32_t *start, int E, int nt, int32_t *tiles) {
    int e, n = 0, s;
    for (e = 0; e < E; e++)
        for (s = start[e]; s < start[e + 1]; s += nt) {
            tiles[3 * n] = e;
            tiles[3 * n + 1] = s;
            tiles[3 * n + 2] = start[e + 1] - s < nt ? start[e + 1] - s : nt;
            n++;
        }
    return n;
}
/* At most one tile per pair, and at most one part-filled tile per expert: a decode step (T = 1) has
   exactly K tiles, which is the grid the grouped launches then get (no blocks that only exit). */
OCU_HD int ocu_max_tiles(int T, int K, int E, int nt) {
    int n = (T * K + nt - 1) / nt + E;
    return n < T * K ? n : T * K;
}

/* ---- softmax merging (attention split over position chunks) ----------------------------------
   Chunk a has max m_a, sum s_a = sum exp(x - m_a) and accumulator o_a = sum exp(x - m_a) v; merging
   b into a rescales both to the common max. ca, cb: the factors for o_a and o_b. An empty chunk has
   m = -inf and s = 0 (factor 0). */
OCU_HD void ocu_softmax_merge(float *m_a, float *s_a, float m_b, float s_b, float *ca, float *cb) {
    float m = *m_a > m_b ? *m_a : m_b;
    if (m == -INFINITY) { *ca = 1.0f; *cb = 0.0f; return; }
    *ca = *m_a == -INFINITY ? 0.0f : expf(*m_a - m);
    *cb = m_b == -INFINITY ? 0.0f : expf(m_b - m);
    *s_a = *s_a * *ca + s_b * *cb;
    *m_a = m;
}

#endif
