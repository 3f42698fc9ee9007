/* The CUDA path's host-testable helpers (tools/cuda/olmoe_cuda_common.h), compiled by the C compiler
   without nvcc, checked exactly against olmoe.h's own CPU functions: fp16 conversion, the weight
   repack and its inverse, the Q8_0 activation quantizer, the int8 block dots, the router's softmax +
   top-k, the grouping by expert and the softmax merge of attention chunks. */
#define OLMOE_IMPLEMENTATION
#include "../olmoe.h"
#include "test.h"
#include "../tools/cuda/olmoe_cuda_common.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static float rndf(float a) { return ((float)(rnd() % 2000001) / 1000000.0f - 1.0f) * a; }

static void test_fp16(void) {
    uint32_t h, bad = 0, i;
    for (h = 0; h < 65536; h++) {
        float a = olmoe_fp16_to_fp32((uint16_t)h), b = ocu_fp16_to_fp32((uint16_t)h);
        if (memcmp(&a, &b, 4)) bad++;
    }
    CHECK(bad == 0, "fp16 -> fp32: all 65536 values bit-equal to olmoe_fp16_to_fp32 (%u differ)", bad);
    bad = 0;
    for (i = 0; i < 2000000; i++) {
        uint32_t u = rnd() ^ (rnd() << 16);
        float f;
        if (i < 65536) u = ((uint32_t)i << 16) | (rnd() & 0xffff);   /* every exponent and sign */
        memcpy(&f, &u, 4);
        if (olmoe_fp32_to_fp16(f) != ocu_fp32_to_fp16(f)) bad++;
    }
    {   /* ties, subnormal boundaries, overflow */
        const float sp[] = {0.0f, -0.0f, 65504.0f, 65520.0f, 65519.99f, 6.1035156e-05f, 5.9604645e-08f,
                            2.9802322e-08f, 2.9802326e-08f, 1.0009765625f + 0.00048828125f, INFINITY, -INFINITY};
        for (i = 0; i < sizeof sp / sizeof sp[0]; i++) if (olmoe_fp32_to_fp16(sp[i]) != ocu_fp32_to_fp16(sp[i])) bad++;
    }
    CHECK(bad == 0, "fp32 -> fp16: 2M random values and the edge cases equal olmoe_fp32_to_fp16 (%u differ)", bad);
}

/* Random GGUF blocks of the type with finite scales. */
static void rand_blocks(int type, uint8_t *p, int64_t n_blk) {
    int64_t b;
    int j, bb = ocu_blk_bytes(type);
    for (b = 0; b < n_blk; b++) {
        uint16_t d = olmoe_fp32_to_fp16(rndf(0.01f));
        memcpy(p + b * bb, &d, 2);
        for (j = 2; j < bb; j++) p[b * bb + j] = (uint8_t)rnd();
    }
}

static void test_repack(void) {
    int ti;
    for (ti = 0; ti < 2; ti++) {
        int type = ti ? OCU_Q8_0 : OCU_Q4_0, rows = 37, n = 256, nb = n / 32, r, i;
        int64_t nblk = (int64_t)rows * nb;
        uint8_t *src = (uint8_t *)malloc((size_t)nblk * 34), *back = (uint8_t *)malloc((size_t)nblk * 34);
        uint8_t *qs = (uint8_t *)malloc((size_t)nblk * 32);
        uint16_t *d = (uint16_t *)malloc((size_t)nblk * 2);
        float *ref = (float *)malloc((size_t)n * 4), *got = (float *)malloc((size_t)n * 4);
        int bad = 0;
        rand_blocks(type, src, nblk);
        CHECK(ocu_repack(type, src, nblk, qs, d) == 0, "%s: repack accepts the type", olmoe_type_name(type));
        memset(back, 0xAB, (size_t)nblk * 34);
        ocu_unpack(type, qs, d, nblk, back);
        CHECK(!memcmp(src, back, (size_t)nblk * ocu_blk_bytes(type)), "%s: unpack(repack(x)) == x for %d rows x %d blocks",
              olmoe_type_name(type), rows, nb);
        /* the device layout read back element by element equals olmoe_dequantize_row */
        for (r = 0; r < rows; r++) {
            olmoe_dequantize_row(type, src + (size_t)r * nb * ocu_blk_bytes(type), ref, n);
            for (i = 0; i < n; i++) {
                int64_t b = (int64_t)r * nb + i / 32;
                const uint8_t *q = qs + b * ocu_qs_bytes(type);
                int j = i % 32, v = type == OCU_Q4_0 ? (j < 16 ? (q[j] & 15) : (q[j - 16] >> 4)) - 8 : (int8_t)q[j];
                got[i] = (float)v * ocu_fp16_to_fp32(d[b]);
            }
            if (memcmp(ref, got, (size_t)n * 4)) bad++;
        }
        CHECK(bad == 0, "%s: repacked layout dequantizes to olmoe_dequantize_row (%d rows differ)", olmoe_type_name(type), bad);
        CHECK(ocu_repack(OLMOE_TYPE_F16, src, 1, qs, d) == -1, "repack refuses a type it has no layout for");
        free(src); free(back); free(qs); free(d); free(ref); free(got);
    }
}

static void test_quant(void) {
    const olmoe__kernels *k = olmoe__pick_kernels(OLMOE_KERNELS_AUTO);
    enum { N = 4096 };
    static float x[N];
    static int8_t qs[N];
    static float d[N / 32];
    static olmoe__block_q8_0 ref[N / 32], simd[N / 32];
    int trial, b, j, bad = 0, bad_simd = 0;
    for (trial = 0; trial < 50; trial++) {
        float scale = trial % 5 == 0 ? 1e-6f : trial % 5 == 1 ? 300.0f : 1.0f;
        for (j = 0; j < N; j++) x[j] = rndf(scale);
        if (trial == 1) for (j = 0; j < 64; j++) x[j] = 0.0f;                     /* all-zero blocks */
        if (trial == 2) for (j = 0; j < 32; j++) x[j] = (float)(j - 16) * 0.5f;   /* exact .5 ties */
        if (trial == 3) for (j = 0; j < 32; j++) x[j] = j == 5 ? 127.0f : (float)j * 0.5f;
        ocu_quantize_q8_row(x, N, qs, d);
        olmoe__quantize_q8_0_ref(x, ref, N);
        k->quant_q8_0(x, simd, N);
        for (b = 0; b < N / 32; b++) {
            float rd = olmoe_fp16_to_fp32(ref[b].d);
            if (memcmp(&rd, &d[b], 4) || memcmp(ref[b].qs, qs + b * 32, 32)) bad++;
            if (memcmp(&simd[b], &ref[b], sizeof ref[b])) bad_simd++;
        }
    }
    CHECK(bad == 0, "q8 activation quantizer equals olmoe__quantize_q8_0_ref on 50 x %d values (%d blocks differ)", N, bad);
    CHECK(bad_simd == 0, "olmoe.h's %s quantizer equals its reference (what the CPU path runs: %d blocks differ)",
          k->id == OLMOE_KERNELS_SCALAR ? "scalar" : "SIMD", bad_simd);
}

static void test_dots(void) {
    enum { N = 2048, NB = N / 32 };
    static uint8_t w[NB * 34], qs[NB * 32];
    static uint16_t wd[NB];
    static float x[N], xd[NB];
    static int8_t xq[N];
    static olmoe__block_q8_0 xb[NB];
    int ti, trial, bad = 0;
    for (ti = 0; ti < 2; ti++) {
        int type = ti ? OCU_Q8_0 : OCU_Q4_0;
        bad = 0;
        for (trial = 0; trial < 200; trial++) {
            float sum = 0.0f, ref;
            int b;
            rand_blocks(type, w, NB);
            if (trial == 0) for (b = 0; b < NB * ocu_blk_bytes(type); b++) if (b % ocu_blk_bytes(type) >= 2) w[b] = type == OCU_Q4_0 ? 0x00 : 0x80;
            for (b = 0; b < N; b++) x[b] = rndf(trial == 0 ? 1000.0f : 3.0f);
            ocu_repack(type, w, NB, qs, wd);
            ocu_quantize_q8_row(x, N, xq, xd);
            olmoe__quantize_q8_0_ref(x, xb, N);
            /* the device's per-block arithmetic in block order, as one lane would do it serially */
            for (b = 0; b < NB; b++)
                sum += (float)ocu_block_dot(type, qs + b * ocu_qs_bytes(type), xq + b * 32) * (ocu_fp16_to_fp32(wd[b]) * xd[b]);
            ref = type == OCU_Q4_0 ? olmoe__dot_q4_0_scalar(N, w, xb) : olmoe__dot_q8_0_scalar(N, w, xb);
            if (memcmp(&sum, &ref, 4)) bad++;
        }
        CHECK(bad == 0, "%s x q8: dp4a block dots summed in block order equal olmoe__dot_%s_scalar bit for bit (200 rows of %d, %d differ)",
              olmoe_type_name(type), olmoe_type_name(type), N, bad);
    }
}

/* Q6_K: padded blocks round-trip, and the group-wise int8 dot equals olmoe.h's decoded Q6_K dot (what the
   CPU path runs for a Q6_K head) bit for bit when summed in its order (groups within a super-block, then
   super-blocks). */
static void test_q6k(void) {
    enum { N = 2048, NS = N / 256 };
    static uint8_t w[NS * 210], back[NS * 210], pad[NS * OCU_Q6K_BYTES];
    static float x[N], xd[N / 32];
    static int8_t xq[N];
    static olmoe__block_q8_0 xb[N / 32];
    const olmoe__qtype *qt = olmoe__qtype_of(OLMOE_TYPE_Q6_K);
    int trial, bad = 0, bad_rt = 0, i, c, g, k;
    for (trial = 0; trial < 200; trial++) {
        float sum = 0.0f, ref;
        for (i = 0; i < NS * 210; i++) w[i] = (uint8_t)rnd();
        for (c = 0; c < NS; c++) { uint16_t d = olmoe_fp32_to_fp16(rndf(0.002f)); memcpy(w + c * 210 + 208, &d, 2); }
        for (i = 0; i < N; i++) x[i] = rndf(2.0f);
        ocu_repack_q6k(w, NS, pad);
        ocu_unpack_q6k(pad, NS, back);
        if (memcmp(w, back, sizeof w)) bad_rt++;
        ocu_quantize_q8_row(x, N, xq, xd);
        olmoe__quantize_q8_0_ref(x, xb, N);
        for (c = 0; c < NS; c++) {
            float cs = 0.0f;
            for (g = 0; g < 8; g++) {
                uint32_t wv[8], xv[8];
                int s0, s1;
                int32_t a0 = 0, a1 = 0;
                float d;
                ocu_q6k_group(pad + c * OCU_Q6K_BYTES, g, wv, &s0, &s1, &d);
                memcpy(xv, xq + (c * 8 + g) * 32, 32);
                for (k = 0; k < 4; k++) { a0 = ocu_dp4a(wv[k], xv[k], a0); a1 = ocu_dp4a(wv[k + 4], xv[k + 4], a1); }
                cs += xd[c * 8 + g] * (d * (float)(s0 * a0 + s1 * a1));
            }
            sum += cs;
        }
        ref = olmoe__dot_dec_q80_scalar(qt, N, w, xb);
        if (memcmp(&sum, &ref, 4)) bad++;
    }
    CHECK(bad_rt == 0, "q6_K: unpack(pad to %d bytes) == x", OCU_Q6K_BYTES);
    CHECK(bad == 0, "q6_K x q8: group dp4a dots equal olmoe__dot_dec_q80_scalar bit for bit (200 rows of %d, %d differ)", N, bad);
}

static void test_route(void) {
    olmoe_model fm;
    olmoe_ctx *c = (olmoe_ctx *)calloc(1, sizeof(olmoe_ctx));
    olmoe__route_job rj;
    int trial, bad = 0, bad_warp = 0, ties = 0, E, K, e, k, n_allowed;
    float p[64], p2[64], p3[64], w[8], w3[8], worst = 0.0f;
    int32_t sel[8], sel3[8];
    memset(&fm, 0, sizeof fm);
    c->model = &fm;
    c->probs = (float *)malloc(64 * 4);
    c->sel = (int32_t *)malloc(8 * 4);
    c->selw = (float *)malloc(8 * 4);
    c->expert_allowed = (uint8_t *)malloc(64);
    for (trial = 0; trial < 3000; trial++) {
        E = trial % 3 == 0 ? 64 : trial % 3 == 1 ? 7 : 16;
        K = E == 64 ? 8 : E == 7 ? 4 : 5;
        fm.cfg.n_expert = E; fm.cfg.n_expert_used = K;
        n_allowed = 0;
        for (e = 0; e < E; e++) {
            c->expert_allowed[e] = trial % 4 == 3 ? (uint8_t)(rnd() % 3 != 0) : 1;
            if (e == 0) c->expert_allowed[e] = 1;
            n_allowed += c->expert_allowed[e];
            /* ties: logits drawn from few values in some trials */
            p[e] = trial % 5 == 0 ? (float)(rnd() % 4) : rndf(4.0f);
        }
        memcpy(c->probs, p, (size_t)E * 4);
        memcpy(p2, p, (size_t)E * 4);
        memcpy(p3, p, (size_t)E * 4);
        rj.c = c; rj.L = NULL; rj.x = NULL; rj.n_tok = 1; rj.K = n_allowed < K ? n_allowed : K;
        c->pool.next = 0;
        olmoe__run_here(&c->pool, olmoe__route_select_worker, &rj);
        ocu_route_select(p2, c->expert_allowed, E, rj.K, sel, w);
        for (k = 0; k < rj.K; k++)
            if (sel[k] != c->sel[k] || memcmp(&w[k], &c->selw[k], 4)) { bad++; break; }
        if (memcmp(p2, c->probs, (size_t)E * 4)) bad++;
        /* the device's warp order: the same experts unless two probabilities tie to within the
           rounding of the sum order, weights within that rounding */
        ocu_route_select_warp(p3, c->expert_allowed, E, rj.K, sel3, w3);
        for (e = 0; e < E; e++) {
            float r = c->probs[e] > 0 ? fabsf(p3[e] - c->probs[e]) / c->probs[e] : fabsf(p3[e]);
            if (r > worst) worst = r;
        }
        for (k = 0; k < rj.K; k++)
            if (sel3[k] != c->sel[k]) {
                if (fabsf(c->probs[sel3[k]] - c->probs[c->sel[k]]) <= 1e-6f * c->probs[c->sel[k]]) ties++;
                else bad_warp++;
                break;
            }
    }
    CHECK(bad_warp == 0 && worst <= 2e-6f, "warp-order router (what each device warp computes) picks olmoe.h's experts (%d differ beyond a tie, "
          "%d exact or 1-ulp ties ordered by index) with probabilities within %.1e (limit 2e-6)", bad_warp, ties, worst);
    CHECK(bad == 0, "router softmax + top-k (ties, masks, E 64/16/7) equals olmoe__route_select_worker bit for bit (%d of 3000 differ)", bad);
    free(c->probs); free(c->sel); free(c->selw); free(c->expert_allowed); free(c);
}

static void test_group(void) {
    enum { T = 300, KM = 8, E = 64 };
    static int32_t sel[T * KM], start[E + 1], rows[T * KM], tiles[3 * (T * KM + E)], seen[T * KM];
    int trial, bad = 0, t, k, e, i, n, nt;
    for (trial = 0; trial < 20; trial++) {
        int K = trial % 2 ? KM : 3, Tn = trial == 0 ? 1 : T;
        for (t = 0; t < Tn; t++)   /* distinct experts per token, skewed to a few */
            for (k = 0; k < K; k++) {
                int ex, q, dup;
                do {
                    ex = trial % 3 == 0 ? (int)(rnd() % 10) : (int)(rnd() % E);
                    for (dup = 0, q = 0; q < k; q++) if (sel[t * KM + q] == ex) dup = 1;
                } while (dup);
                sel[t * KM + k] = ex;
            }
        ocu_group(sel, Tn, K, KM, E, start, rows);
        memset(seen, 0, sizeof seen);
        if (start[0] != 0 || start[E] != Tn * K) bad++;
        for (e = 0; e < E; e++)
            for (i = start[e]; i < start[e + 1]; i++) {
                int ts = rows[i];
                if (sel[ts] != e || seen[ts]++ || (i > start[e] && rows[i - 1] >= ts) || ts % KM >= K) bad++;
            }
        for (nt = 1; nt <= 16; nt *= 4) {
            int covered = 0;
            n = ocu_tiles(start, E, nt, tiles);
            if (n > ocu_max_tiles(Tn, K, E, nt)) bad++;
            for (i = 0; i < n; i++) {
                int ex = tiles[3 * i], s = tiles[3 * i + 1], c = tiles[3 * i + 2];
                if (c < 1 || c > nt || s < start[ex] || s + c > start[ex + 1]) bad++;
                covered += c;
            }
            if (covered != Tn * K) bad++;
        }
    }
    CHECK(bad == 0, "grouping by expert: every (token, slot) once, by expert, in increasing order; tiles cover it (%d faults)", bad);
}

static void test_merge(void) {
    const olmoe__kernels *k = olmoe__pick_kernels(OLMOE_KERNELS_SCALAR);
    enum { N = 1000 };
    static float s[N], e[N];
    int trial, worst_ok = 1;
    double worst = 0.0;
    for (trial = 0; trial < 100; trial++) {
        int n = 1 + (int)(rnd() % N), ch = 1 + (int)(rnd() % 300), p0, i;
        float mx = -INFINITY, sum, m = -INFINITY, acc = 0.0f, v = 0.0f, ref_v = 0.0f;
        for (i = 0; i < n; i++) { s[i] = rndf(20.0f); if (s[i] > mx) mx = s[i]; }
        memcpy(e, s, (size_t)n * 4);
        sum = k->exp_sum(n, e, mx);
        for (i = 0; i < n; i++) ref_v += e[i] * (float)(i % 7);
        ref_v /= sum;
        for (p0 = 0; p0 < n + ch; p0 += ch) {   /* chunks, the last one possibly empty */
            float cm = -INFINITY, cs = 0.0f, cv = 0.0f, ca, cb;
            for (i = p0; i < n && i < p0 + ch; i++) if (s[i] > cm) cm = s[i];
            for (i = p0; i < n && i < p0 + ch; i++) { float x = expf(s[i] - cm); cs += x; cv += x * (float)(i % 7); }
            ocu_softmax_merge(&m, &acc, cm, cs, &ca, &cb);
            v = v * ca + cv * cb;
        }
        if (m != mx) worst_ok = 0;
        if (fabs((double)acc - sum) / sum > worst) worst = fabs((double)acc - sum) / sum;
        if (fabs((double)v / acc - ref_v) / (fabs(ref_v) + 1e-6) > worst) worst = fabs((double)v / acc - ref_v) / (fabs(ref_v) + 1e-6);
    }
    CHECK(worst_ok && worst < 2e-6, "softmax merge of position chunks: max as the whole, sum and weighted value within %.1e of olmoe.h's exp_sum (limit 2e-6)", worst);
}

static void test_index(void) {
    int bad = 0, l, h, p, i;
    const int Hkv = 3, n_ctx = 17, hd = 8;
    for (l = 0; l < 2; l++) for (h = 0; h < Hkv; h++) for (p = 0; p < n_ctx; p++) for (i = 0; i < hd; i++) {
        /* olmoe__forward_batch's cache offset of head h's row at pos, plus the element */
        size_t o = (((size_t)l * Hkv + (size_t)h) * n_ctx + (size_t)p) * hd + (size_t)i;
        if (ocu_kv_index(l, h, p, i, Hkv, n_ctx, hd) != o) bad++;
    }
    CHECK(bad == 0, "KV cache index equals olmoe.h's layout [layer][kv head][pos][dim]");
}

int main(void) {
    test_fp16();
    test_repack();
    test_quant();
    test_dots();
    test_q6k();
    test_route();
    test_group();
    test_merge();
    test_index();
    return t_finish();
}
