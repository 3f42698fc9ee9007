/* The forward pass of OLMoE and FlexOlmo on a CUDA GPU (build/olmoe-cuda; interface in
   olmoe_cuda.h). olmoe.h's CPU forward pass is the reference: the same order of operations, the
   same Q8_0 activation quantizer, RoPE tables computed on the host exactly as olmoe.h does.

   Layout and flow
   - Weights are uploaded once. Q4_0/Q8_0 matrices are repacked into quants + fp16 scales
     (olmoe_cuda_common.h: 16/32-byte aligned blocks a lane loads at once), Q6_K blocks padded to 224
     bytes (aligned words); F32/F16/BF16 rows are uploaded as they are. Attention's Q, K and V of
     a layer are one matrix when they share a type.
   - Activations feeding a Q4_0/Q8_0 matrix are quantized to int8 per block of 32 (olmoe.h's Q8_0
     activation quantizer, value for value), those feeding a Q6_K matrix per 256 (its Q8_K one, with
     the scale repeated per 32); the dots are dp4a; float weights take fp32 inputs.
   - The KV cache is fp16, [layer][kv head][position][dim] as olmoe.h's.
   - Routing runs on the device: router logits, softmax over all allowed experts, top-k (ties to
     the lower index, no renormalisation), then a counting sort of the (token, slot) pairs by expert
     and a list of tiles of up to 8 pairs of one expert: the gate/up and down projections are then
     one launch each over all experts, whatever the batch (decode is a batch of 1).
   - Decode (one token) runs as a CUDA graph captured on first use and replayed per token: the
     token and position are read from device memory the graph copies them into, so nothing in a
     step waits for the host.
   - Deterministic: every output element is reduced by one warp or block in a fixed order (fixed
     shuffle trees, slots summed in slot order, attention chunks merged in position order); no
     atomics. A token's values do not depend on which batch or tile it was in: token by token
     equals the whole batch bit for bit. */
#ifdef OCU_EMU
#include "emu/cuda_emu.h"   /* make cuda-emu: these kernels run on the CPU (tests without a GPU) */
#else
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#define OCU_LAUNCH(grid, block, smem, stream, ...) __VA_ARGS__<<<grid, block, smem, stream>>>
#define OCU_DYN_SHARED(type, name) extern __shared__ type name[]
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <vector>
#include <algorithm>
#include "olmoe_cuda.h"
#include "olmoe_cuda_common.h"

#define OCU_NT 8          /* tokens (or expert pairs) per tile of a batched matmul */
#define OCU_WARPS 4       /* warps per matmul block, one output row each */
#define OCU_CH 256        /* positions per attention chunk */
#define OCU_MAX_HD 256
#define OCU_MAX_E OCU_WARP_MAX_E

/* ---- device weights ---------------------------------------------------------------------- */
struct dmat {
    int type;
    int n;               /* inputs (ne0) */
    int rows;            /* output rows of one expert (ne1) */
    int nb;              /* Q8_0/Q4_0 blocks per row */
    const uint8_t *qs;   /* Q4_0/Q8_0: quants of every block, row-major */
    const uint16_t *d;   /* their fp16 scales */
    const uint8_t *raw;  /* other types: the rows as in the file */
    size_t row_bytes;    /* of raw rows */
};

struct dlayer {
    const float *attn_norm, *q_norm, *k_norm, *ffn_norm, *post_attn, *post_ffw;
    dmat router, wqkv, wq, wk, wv, wo, gate, up, down;
    int fused_qkv;
};

struct ocu_ctx {
    const olmoe_model *m;
    olmoe_config cf;
    int dev, n_ctx, n_batch, pos, maxch;
    cudaStream_t st;
    std::vector<void *> allocs;   /* every device buffer, freed together */
    uint64_t wbytes;
    dmat tok_embd, output;
    const float *out_norm;
    std::vector<dlayer> L;
    __half *kc, *vc;
    float *rope_cos, *rope_sin;
    /* scratch for n_batch tokens */
    int32_t *d_tok, *d_pos;
    float *x, *h, *qkv, *att, *tmp, *y, *rlog, *selw, *act, *dn, *part, *d_logits;
    int8_t *hq, *attq, *actq, *kq;
    float *hqd, *attqd, *actqd, *kqd;
    int32_t *sel, *ex_start, *ex_rows, *tiles, *n_tiles;
    uint8_t *d_allowed;
    uint8_t allowed[OCU_MAX_E];
    int K_eff;
    /* host side */
    int32_t *h_io;        /* pinned: [0] position, [1..n_batch] tokens */
    float *h_logits1;     /* pinned: the decode step's logits */
    float *logits;        /* [logits_cap][n_vocab] */
    const float *cur;     /* the last eval's logits */
    int logits_cap, n_logits;
    cudaGraph_t graph;
    cudaGraphExec_t gexec;
    int graph_ok, no_graph;
    int trace;                    /* keep every layer's routing of the last batch (tests) */
    int32_t *tr_sel; float *tr_w; /* device: [n_layer][n_batch][Kmax] */
    std::vector<int32_t> h_tr_sel;
    std::vector<float> h_tr_w;
    char desc[256];
    char err[512];
};

static olmoe_result ocu_fail(char *buf, size_t n, olmoe_result r, const char *fmt, ...) {
    va_list ap;
    if (buf && n) { va_start(ap, fmt); vsnprintf(buf, n, fmt, ap); va_end(ap); }
    return r;
}
#define OCU_CK(call, buf, n) do { cudaError_t e_ = (call); if (e_ != cudaSuccess) \
    return ocu_fail(buf, n, e_ == cudaErrorMemoryAllocation ? OLMOE_ERR_OOM : OLMOE_ERR_UNSUPPORTED, \
                    "CUDA error in %s: %s", #call, cudaGetErrorString(e_)); } while (0)

/* ---- device helpers ------------------------------------------------------------------------ */
__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
/* Sum over the block in a fixed order (warp trees, then warp 0 over the warps' sums); every thread
   gets the result. blockDim.x a multiple of 32, at most 1024. */
__device__ double block_sum_d(double v, double *red) {
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();
    if (lane == 0) red[w] = v;
    __syncthreads();
    if (w == 0) {
        v = lane < nw ? red[lane] : 0.0;
        for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
        if (lane == 0) red[32] = v;
    }
    __syncthreads();
    return red[32];
}
__device__ float block_max_f(float v, float *red) {
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) red[w] = v;
    __syncthreads();
    if (w == 0) {
        v = lane < nw ? red[lane] : -INFINITY;
        v = warp_max(v);
        if (lane == 0) red[32] = v;
    }
    __syncthreads();
    return red[32];
}
__device__ float block_sum_f(float v, float *red) {
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) red[w] = v;
    __syncthreads();
    if (w == 0) {
        v = lane < nw ? red[lane] : 0.0f;
        v = warp_sum(v);
        if (lane == 0) red[32] = v;
    }
    __syncthreads();
    return red[32];
}

/* One element j of a Q6_K block (256 values: ql[128] qh[64] scales[16] fp16 d; padded or not). */
__device__ float q6k_get(const uint8_t *b, int j) {
    int h = j >> 7, r = j & 127, quarter = r >> 5, l = r & 31, is = l >> 4;
    const uint8_t *ql = b + 64 * h, *qh = b + 128 + 32 * h;
    const int8_t *sc = (const int8_t *)(b + 192) + 8 * h;
    uint16_t dh = (uint16_t)(b[208] | (b[209] << 8));
    int q;
    switch (quarter) {
    case 0: q = (int)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32; break;
    case 1: q = (int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32; break;
    case 2: q = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32; break;
    default: q = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32; break;
    }
    return ocu_fp16_to_fp32(dh) * sc[is + 2 * quarter] * q;
}

/* Element i of row r of a float-path matrix. */
template <int WT>
__device__ __forceinline__ float wget(const uint8_t *row, int i) {
    if (WT == OLMOE_TYPE_F32) return ((const float *)row)[i];
    if (WT == OLMOE_TYPE_F16) return __half2float(((const __half *)row)[i]);
    return ocu_bf16_to_fp32(((const uint16_t *)row)[i]);
}

/* Element i of row r of any matrix (embedding rows). */
__device__ float mat_get(const dmat &W, int64_t r, int i) {
    if (W.type == OLMOE_TYPE_Q4_0 || W.type == OLMOE_TYPE_Q8_0) {
        int64_t b = r * W.nb + (i >> 5);
        int j = i & 31, v;
        const uint8_t *q = W.qs + b * ocu_qs_bytes(W.type);
        if (W.type == OLMOE_TYPE_Q4_0) v = (j < 16 ? (q[j] & 15) : (q[j - 16] >> 4)) - 8;
        else v = (int8_t)q[j];
        return (float)v * __half2float(__ushort_as_half(W.d[b]));
    }
    if (W.type == OLMOE_TYPE_Q6_K) return q6k_get(W.qs + ((size_t)r * (W.n / 256) + (i >> 8)) * OCU_Q6K_BYTES, i & 255);
    const uint8_t *row = W.raw + (size_t)r * W.row_bytes;
    switch (W.type) {
    case OLMOE_TYPE_F32: return wget<OLMOE_TYPE_F32>(row, i);
    case OLMOE_TYPE_F16: return wget<OLMOE_TYPE_F16>(row, i);
    case OLMOE_TYPE_BF16: return wget<OLMOE_TYPE_BF16>(row, i);
    default: return wget<OLMOE_TYPE_BF16>(row, i);
    }
}

/* ---- kernels --------------------------------------------------------------------------------- */
__global__ void k_embed(dmat W, const int32_t *tok, int d, float *x) {
    int t = blockIdx.x;
    int64_t r = tok[t];
    for (int i = threadIdx.x; i < d; i += blockDim.x) x[(size_t)t * d + i] = mat_get(W, r, i);
}

/* Quantize the 32-block of v (in shared memory) that warp `w` owns; lane j holds element j. */
__device__ __forceinline__ void quant_block(float v, int8_t *q, float *qd) {
    float amax = warp_max(fabsf(v)), dr, id = ocu_q8_inv(amax, &dr);
    q[threadIdx.x & 31] = ocu_q8_value(v, id);
    if ((threadIdx.x & 31) == 0) *qd = dr;
}

/* One token per block (n values, in dynamic shared memory):
     a = add, or the MoE output: the sum over slots k (in slot order) of selw[t][k] * dn[t * Kmax + k],
         or nothing;
     a = post_w (.) rmsnorm(a) if post_w; x += a;
     h = norm_w (.) rmsnorm(x) if norm_w else x; hq = Q8_0(h) if hq.
   It is the residual add after a sublayer (FlexOlmo's post-norm included) fused with the next
   sublayer's input norm and activation quantization. */
__global__ void k_add_norm_q(float *x, const float *add, const float *dn, const float *selw, int K, int Kmax,
                             const float *post_w, const float *norm_w, float eps, int n, float *h, int8_t *hq, float *hqd) {
    OCU_DYN_SHARED(float, a);
    __shared__ double red[33];
    int t = blockIdx.x;
    float *xt = x + (size_t)t * n;
    if (add || dn) {
        if (add) {
            const float *at = add + (size_t)t * n;
            for (int i = threadIdx.x; i < n; i += blockDim.x) a[i] = at[i];
        } else
            for (int i = threadIdx.x; i < n; i += blockDim.x) {
                float v = 0.0f;
                for (int k = 0; k < K; k++) v += selw[(size_t)t * Kmax + k] * dn[((size_t)t * Kmax + k) * n + i];
                a[i] = v;
            }
        if (post_w) {
            double ss = 0.0;
            for (int i = threadIdx.x; i < n; i += blockDim.x) ss += (double)a[i] * a[i];
            ss = block_sum_d(ss, red);
            float s = (float)(1.0 / sqrt(ss / n + (double)eps));
            for (int i = threadIdx.x; i < n; i += blockDim.x) a[i] = post_w[i] * (a[i] * s);
        }
        for (int i = threadIdx.x; i < n; i += blockDim.x) { a[i] = xt[i] + a[i]; xt[i] = a[i]; }
    } else
        for (int i = threadIdx.x; i < n; i += blockDim.x) a[i] = xt[i];
    if (!h) return;
    if (norm_w) {
        double ss = 0.0;
        for (int i = threadIdx.x; i < n; i += blockDim.x) ss += (double)a[i] * a[i];
        ss = block_sum_d(ss, red);
        float s = (float)(1.0 / sqrt(ss / n + (double)eps));
        for (int i = threadIdx.x; i < n; i += blockDim.x) a[i] = norm_w[i] * (a[i] * s);
    }
    for (int i = threadIdx.x; i < n; i += blockDim.x) h[(size_t)t * n + i] = a[i];
    if (!hq || (n & 31)) return;
    __syncthreads();
    for (int b = threadIdx.x >> 5; b < n / 32; b += blockDim.x >> 5)
        quant_block(a[b * 32 + (threadIdx.x & 31)], hq + (size_t)t * n + b * 32, hqd + (size_t)t * (n / 32) + b);
}

/* The input of a Q6_K matrix: olmoe.h dots Q6_K rows with a Q8_K activation (one fp32 scale per 256
   values, olmoe__quantize_q8_K_ref: amax skipping NaN, quants with 1/d), so it is quantized here the
   same way, value for value, and the scale repeated for the 8 32-blocks the int8 kernel reads: a
   warp per 256 values, 8 a lane. */
__global__ void k_quant_k8(const float *x, int n, int rows, int8_t *q, float *qd) {
    int64_t g = (int64_t)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    int lane = threadIdx.x & 31, j;
    float v[8], amax = 0.0f, d, id;
    if (g >= (int64_t)(n / 256) * rows) return;
    for (j = 0; j < 8; j++) { v[j] = x[g * 256 + lane * 8 + j]; amax = fabsf(v[j]) > amax ? fabsf(v[j]) : amax; }
    amax = warp_max(amax);
    d = amax / 127.0f;
    id = d != 0.0f ? 1.0f / d : 0.0f;
    for (j = 0; j < 8; j++) q[g * 256 + lane * 8 + j] = ocu_q8_value(v[j], id);
    if (lane < 8) qd[g * 8 + lane] = d;
}

/* Q8_0 quantization of rows of n values (n a multiple of 32): a warp a block. */
__global__ void k_quant(const float *x, int n, int rows, int8_t *q, float *qd) {
    int nb = n / 32;
    int64_t b = (int64_t)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (b >= (int64_t)nb * rows) return;
    quant_block(x[b * 32 + (threadIdx.x & 31)], q + b * 32, qd + b);
}

/* Batched matmul arguments. Tile y of the grid: dense (tiles == NULL): tokens y*NT .. of T;
   grouped: tiles[3y] = expert, tiles[3y+1] = first entry of idx, tiles[3y+2] = count (tiles past
   *n_tiles exit); the entry's input row is idx / in_div, its output row idx. */
struct mm_args {
    dmat W, W2;                 /* W2: the up matrix of a gate/up pair */
    const int8_t *xq; const float *xd; const float *xf;
    int xs;                     /* elements per input row */
    int T;
    const int32_t *tiles, *n_tiles, *idx;
    int in_div;
    float *y; int ys, y_off;
};

template <int NT>
__device__ __forceinline__ int mm_tile(const mm_args &a, int *in_row, int *out_row, int *expert) {
    int c;
    if (!a.tiles) {
        int t0 = blockIdx.y * NT;
        c = min(NT, a.T - t0);
#pragma unroll
        for (int j = 0; j < NT; j++) in_row[j] = out_row[j] = t0 + (j < c ? j : 0);
        *expert = 0;
        return c;
    }
    if ((int)blockIdx.y >= *a.n_tiles) return 0;
    *expert = a.tiles[3 * blockIdx.y];
    int s = a.tiles[3 * blockIdx.y + 1];
    c = min(NT, a.tiles[3 * blockIdx.y + 2]);
#pragma unroll
    for (int j = 0; j < NT; j++) {
        int e = a.idx[s + (j < c ? j : 0)];
        out_row[j] = e;
        in_row[j] = e / a.in_div;
    }
    return c;
}

/* silu(g) * u with the fast exp and division: the IEEE division's slow path is a subroutine call that
   made ptxas spill in the gate/up kernel; the CPU's SIMD silu is a polynomial too (1.6e-7 relative). */
__device__ __forceinline__ float silu_mul(float g, float u) { return __fdividef(g, 1.0f + __expf(-g)) * u; }

/* One row of an int8-path matrix: Q4_0/Q8_0 quants as 16-byte words (block b: word b, or words 2b
   and 2b + 1) with their fp16 scales; Q6_K padded blocks. */
struct wrow { const uint4 *q; const uint16_t *d; const uint8_t *b6; };
template <int WT>
__device__ __forceinline__ wrow wrow_at(const dmat &W, int64_t row) {
    wrow r;
    size_t rb = (size_t)row * (unsigned)W.nb;
    r.q = (const uint4 *)(W.qs + rb * (WT == OLMOE_TYPE_Q4_0 ? 16 : 32));
    r.d = W.d + rb;
    r.b6 = W.qs + (size_t)row * (unsigned)(W.nb / 8) * OCU_Q6K_BYTES;
    return r;
}
/* 32-value block b of the row: w = its values as signed bytes in element order, d its scale (s0, s1:
   Q6_K's integer scales of the two halves) */
template <int WT>
__device__ __forceinline__ void wload(const wrow &r, int b, uint32_t *w, float *d, int *s0, int *s1) {
    if (WT == OLMOE_TYPE_Q4_0) {
        uint4 v = r.q[b];
        uint32_t v4[4] = {v.x, v.y, v.z, v.w};
        ocu_q4_expand(v4, w);
        *d = __half2float(__ushort_as_half(r.d[b]));
    } else if (WT == OLMOE_TYPE_Q8_0) {
        uint4 v0 = r.q[2 * b], v1 = r.q[2 * b + 1];
        w[0] = v0.x; w[1] = v0.y; w[2] = v0.z; w[3] = v0.w; w[4] = v1.x; w[5] = v1.y; w[6] = v1.z; w[7] = v1.w;
        *d = __half2float(__ushort_as_half(r.d[b]));
    } else
        ocu_q6k_group(r.b6 + (size_t)(b >> 3) * OCU_Q6K_BYTES, b & 7, w, s0, s1, d);
}
/* The block's term of the dot with activation words x (scale dx), as olmoe.h forms it. */
template <int WT>
__device__ __forceinline__ float wdot(const uint32_t *w, float d, int s0, int s1, const uint32_t *x, float dx) {
    if (WT == OLMOE_TYPE_Q6_K) {
        int32_t a0 = 0, a1 = 0;
#pragma unroll
        for (int k = 0; k < 4; k++) { a0 = ocu_dp4a(w[k], x[k], a0); a1 = ocu_dp4a(w[k + 4], x[k + 4], a1); }
        return dx * (d * (float)(s0 * a0 + s1 * a1));
    }
    int32_t s = 0;
#pragma unroll
    for (int k = 0; k < 8; k++) s = ocu_dp4a(w[k], x[k], s);
    return (float)s * (d * dx);
}

/* int8 x int8 rows (Q4_0, Q8_0, Q6_K weights; Q8_0 activations): a warp per output row, lanes over
   the row's 32-value blocks (consecutive 16/32-byte loads), NT tokens per pass sharing each weight
   block; dp4a, then per block the int sum times the scales, as olmoe.h. GATEUP: gate and up rows
   together, out = silu(gate) * up. */
template <int WT, int NT, int GATEUP>
__global__ void __launch_bounds__(OCU_WARPS * 32) k_mmq(mm_args a) {
    int in_row[NT], out_row[NT], e;
    int c = mm_tile<NT>(a, in_row, out_row, &e);
    int lane = threadIdx.x & 31, r = blockIdx.x * OCU_WARPS + (threadIdx.x >> 5);
    if (c <= 0 || r >= a.W.rows) return;
    int64_t row = (int64_t)e * a.W.rows + r;
    /* W stands in for W2 when there is no up matrix (a NULL there made sm_80's ptxas spill) */
    wrow w1 = wrow_at<WT>(a.W, row), w2r = wrow_at<WT>(GATEUP ? a.W2 : a.W, row);
    float acc[NT], acc2[GATEUP ? NT : 1];
#pragma unroll
    for (int j = 0; j < NT; j++) { acc[j] = 0.0f; if (GATEUP) acc2[j] = 0.0f; }
    for (int b = lane; b < a.W.nb; b += 32) {
        uint32_t w[8], w2[8];
        float dw, dw2 = 0.0f;
        int s0 = 0, s1 = 0, t0 = 0, t1 = 0;
        wload<WT>(w1, b, w, &dw, &s0, &s1);
        if (GATEUP) wload<WT>(w2r, b, w2, &dw2, &t0, &t1);
#pragma unroll
        for (int j = 0; j < NT; j++) {
            if (j < c) {
                const int8_t *xb = a.xq + (size_t)in_row[j] * a.xs + (size_t)b * 32;
                uint4 x0 = *(const uint4 *)xb, x1 = *(const uint4 *)(xb + 16);
                uint32_t xv[8] = {x0.x, x0.y, x0.z, x0.w, x1.x, x1.y, x1.z, x1.w};
                float dx = a.xd[(size_t)in_row[j] * (a.xs / 32) + b];
                acc[j] += wdot<WT>(w, dw, s0, s1, xv, dx);
                if (GATEUP) acc2[j] += wdot<WT>(w2, dw2, t0, t1, xv, dx);
            }
        }
    }
#pragma unroll
    for (int j = 0; j < NT; j++) {
        float v = warp_sum(acc[j]);
        if (GATEUP) v = silu_mul(v, warp_sum(acc2[j]));
        if (lane == 0 && j < c) a.y[(size_t)out_row[j] * a.ys + a.y_off + r] = v;
    }
}

/* Float-path rows (F32/F16/BF16 weights, fp32 inputs): a warp per row, lanes over elements. */
template <int WT, int NT, int GATEUP>
__global__ void __launch_bounds__(OCU_WARPS * 32) k_mmf(mm_args a) {
    int in_row[NT], out_row[NT], e;
    int c = mm_tile<NT>(a, in_row, out_row, &e);
    int lane = threadIdx.x & 31, r = blockIdx.x * OCU_WARPS + (threadIdx.x >> 5);
    if (c <= 0 || r >= a.W.rows) return;
    int64_t row = (int64_t)e * a.W.rows + r;
    const uint8_t *w = a.W.raw + (size_t)row * a.W.row_bytes;
    const uint8_t *w2 = GATEUP ? a.W2.raw + (size_t)row * a.W2.row_bytes : NULL;
    float acc[NT], acc2[GATEUP ? NT : 1];
#pragma unroll
    for (int j = 0; j < NT; j++) { acc[j] = 0.0f; if (GATEUP) acc2[j] = 0.0f; }
    for (int i = lane; i < a.W.n; i += 32) {
        float wv = wget<WT>(w, i), wv2 = GATEUP ? wget<WT>(w2, i) : 0.0f;
#pragma unroll
        for (int j = 0; j < NT; j++)
            if (j < c) {
                float xv = a.xf[(size_t)in_row[j] * a.xs + i];
                acc[j] += wv * xv;
                if (GATEUP) acc2[j] += wv2 * xv;
            }
    }
#pragma unroll
    for (int j = 0; j < NT; j++) {
        float v = warp_sum(acc[j]);
        if (GATEUP) v = silu_mul(v, warp_sum(acc2[j]));
        if (lane == 0 && j < c) a.y[(size_t)out_row[j] * a.ys + a.y_off + r] = v;
    }
}

/* QK-norm over the whole projections, RoPE (NeoX halves, tables from the host), and the K and V
   rows into the fp16 cache. A block per token; q is rewritten in place. */
__global__ void k_qk_rope(float *qkv, const int32_t *pos0, const float *qn, const float *kn, float eps, int H, int Hkv,
                          int hd, const float *cosv, const float *sinv, __half *kc, __half *vc, int layer, int n_ctx) {
    __shared__ double red[33];
    int t = blockIdx.x, qd = H * hd, kvd = Hkv * hd, half = hd / 2, pos = *pos0 + t;
    float *q = qkv + (size_t)t * (qd + 2 * kvd), *k = q + qd, *v = k + kvd;
    double ss = 0.0;
    for (int i = threadIdx.x; i < qd; i += blockDim.x) ss += (double)q[i] * q[i];
    float sq = (float)(1.0 / sqrt(block_sum_d(ss, red) / qd + (double)eps));
    ss = 0.0;
    for (int i = threadIdx.x; i < kvd; i += blockDim.x) ss += (double)k[i] * k[i];
    float sk = (float)(1.0 / sqrt(block_sum_d(ss, red) / kvd + (double)eps));
    for (int i = threadIdx.x; i < qd; i += blockDim.x) q[i] = qn[i] * (q[i] * sq);
    for (int i = threadIdx.x; i < kvd; i += blockDim.x) k[i] = kn[i] * (k[i] * sk);
    __syncthreads();
    const float *cs = cosv + (size_t)pos * half, *sn = sinv + (size_t)pos * half;
    for (int u = threadIdx.x; u < (H + Hkv) * half; u += blockDim.x) {
        int hh = u / half, i = u % half;
        float *xx = hh < H ? q + (size_t)hh * hd : k + (size_t)(hh - H) * hd;
        float a0 = xx[i], b0 = xx[i + half];
        xx[i] = a0 * cs[i] - b0 * sn[i];
        xx[i + half] = b0 * cs[i] + a0 * sn[i];
    }
    __syncthreads();
    for (int u = threadIdx.x; u < kvd; u += blockDim.x) {
        int hh = u / hd, i = u % hd;
        size_t o = ocu_kv_index(layer, hh, pos, i, Hkv, n_ctx, hd);
        kc[o] = __float2half_rn(k[u]);
        vc[o] = __float2half_rn(v[u]);
    }
}

/* Attention of one (token, head) over one chunk of OCU_CH positions: max, sum of exp and the
   exp-weighted sum of V, to part[(t*H + h)*stride + chunk][hd + 2]. Chunks lie at fixed absolute
   positions, so a token's result does not depend on the batch it came in. */
__global__ void __launch_bounds__(128) k_attn(const float *qkv, const int32_t *pos0, int H, int Hkv, int hd, const __half *kc,
                                              const __half *vc, int layer, int n_ctx, float scale, float *part, int stride) {
    __shared__ float q[OCU_MAX_HD], sc[OCU_CH], red[33];
    int th = blockIdx.x, t = th / H, h = th % H, kvh = h / (H / Hkv), ch = blockIdx.y;
    int n = *pos0 + t + 1, p0 = ch * OCU_CH, p1 = min(n, p0 + OCU_CH);
    int qd = H * hd, kvd = Hkv * hd, lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    float *out = part + ((size_t)th * stride + ch) * (hd + 2);
    if (p0 >= n) return;   /* the merge reads only the chunks that hold positions */
    const float *qt = qkv + (size_t)t * (qd + 2 * kvd) + (size_t)h * hd;
    for (int i = threadIdx.x; i < hd; i += blockDim.x) q[i] = qt[i];
    __syncthreads();
    const __half *kb = kc + ocu_kv_index(layer, kvh, 0, 0, Hkv, n_ctx, hd);
    const __half *vb = vc + ocu_kv_index(layer, kvh, 0, 0, Hkv, n_ctx, hd);
    for (int p = p0 + w; p < p1; p += blockDim.x >> 5) {
        float s = 0.0f;
        for (int i = lane; i < hd; i += 32) s += __half2float(kb[(size_t)p * hd + i]) * q[i];
        s = warp_sum(s);
        if (lane == 0) sc[p - p0] = s * scale;
    }
    __syncthreads();
    float mx = -INFINITY;
    for (int p = threadIdx.x; p < p1 - p0; p += blockDim.x) mx = fmaxf(mx, sc[p]);
    mx = block_max_f(mx, red);
    float sum = 0.0f;
    for (int p = threadIdx.x; p < p1 - p0; p += blockDim.x) { float e = expf(sc[p] - mx); sc[p] = e; sum += e; }
    sum = block_sum_f(sum, red);   /* its barriers also publish sc[] */
    for (int i = threadIdx.x; i < hd; i += blockDim.x) {
        float o = 0.0f;
        for (int p = p0; p < p1; p++) o += sc[p - p0] * __half2float(vb[(size_t)p * hd + i]);
        out[2 + i] = o;
    }
    if (threadIdx.x == 0) { out[0] = mx; out[1] = sum; }
}

/* Merge a (token, head)'s chunks in position order; att[t][h*hd + i] = the attention output. With
   attq (hd a multiple of 32, blockDim == hd) each warp also quantizes its 32 outputs: the head's
   Q8_0 blocks of the attention output row. */
__global__ void k_attn_merge(const float *part, const int32_t *pos0, int H, int hd, int stride, float *att,
                             int8_t *attq, float *attqd) {
    int th = blockIdx.x, t = th / H, h = th % H, n = *pos0 + t + 1, nch = (n + OCU_CH - 1) / OCU_CH;
    const float *pp = part + (size_t)th * stride * (hd + 2);
    size_t o0 = (size_t)t * H * hd + (size_t)h * hd;
    for (int i = threadIdx.x; i < hd; i += blockDim.x) {
        float m = -INFINITY, s = 0.0f, o = 0.0f, ca, cb;
        for (int c = 0; c < nch; c++) {
            const float *q = pp + (size_t)c * (hd + 2);
            ocu_softmax_merge(&m, &s, q[0], q[1], &ca, &cb);
            o = o * ca + q[2 + i] * cb;
        }
        o /= s;
        att[o0 + i] = o;
        if (attq) quant_block(o, attq + o0 + (i & ~31), attqd + (o0 + i) / 32);
    }
}

/* Softmax + top-K of one token by one warp (ocu_route_select's semantics: softmax over the allowed
   experts, top K by descending probability, ties to the lower index, no renormalisation); lane l
   holds experts l, l + 32, ... The sum is a fixed shuffle tree (not olmoe.h's running sum: the
   probabilities can differ in the last bit, which can only matter at a near tie). p: logits in,
   probabilities out. */
__device__ void warp_route(float *p, const uint8_t *allowed, int E, int K, int32_t *sel, float *w) {
    const int NJ = OCU_WARP_MAX_E / 32;
    int lane = threadIdx.x & 31;
    float v[NJ], mx = -INFINITY, sum = 0.0f;
    bool ok[NJ];
#pragma unroll
    for (int j = 0; j < NJ; j++) {
        int e = lane + 32 * j;
        ok[j] = e < E && allowed[e];
        v[j] = ok[j] ? p[e] : -INFINITY;
        mx = fmaxf(mx, v[j]);
    }
    mx = warp_max(mx);
#pragma unroll
    for (int j = 0; j < NJ; j++) {
        int e = lane + 32 * j;
        v[j] = ok[j] ? expf(v[j] - mx) : 0.0f;
        sum += e < E ? v[j] : 0.0f;
    }
    sum = warp_sum(sum);
#pragma unroll
    for (int j = 0; j < NJ; j++) {
        int e = lane + 32 * j;
        v[j] /= sum;
        if (e < E) p[e] = v[j];
    }
    for (int k = 0; k < K; k++) {
        float bv = -1.0f;
        int be = 0x7fffffff;
#pragma unroll
        for (int j = 0; j < NJ; j++)
            if (ok[j] && ocu_route_better(v[j], lane + 32 * j, bv, be)) { bv = v[j]; be = lane + 32 * j; }
        for (int o = 16; o > 0; o >>= 1) {
            float ov = __shfl_xor_sync(0xffffffffu, bv, o);
            int oe = __shfl_xor_sync(0xffffffffu, be, o);
            if (ocu_route_better(ov, oe, bv, be)) { bv = ov; be = oe; }
        }
#pragma unroll
        for (int j = 0; j < NJ; j++) if (be == lane + 32 * j) ok[j] = false;
        if (lane == 0) { sel[k] = be; w[k] = bv; }
    }
}

/* Router for T tokens (one block): softmax + top-K per token (a warp each) in place on the
   logits, then the counting sort of the (token, slot) pairs by expert and the tiles of the
   grouped matmuls. */
__global__ void k_route(float *rlog, int T, int E, int K, int Kmax, const uint8_t *allowed, int32_t *sel, float *selw,
                        int32_t *start, int32_t *rows, int32_t *tiles, int32_t *n_tiles) {
    __shared__ int32_t cnt[OCU_MAX_E + 1];
    for (int t = threadIdx.x >> 5; t < T; t += blockDim.x >> 5)
        warp_route(rlog + (size_t)t * E, allowed, E, K, sel + (size_t)t * Kmax, selw + (size_t)t * Kmax);
    __syncthreads();
    for (int e = threadIdx.x; e < E; e += blockDim.x) {
        int n = 0;
        for (int t = 0; t < T; t++)
            for (int k = 0; k < K; k++) n += sel[(size_t)t * Kmax + k] == e;
        cnt[e] = n;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        start[0] = 0;
        for (int e = 0; e < E; e++) start[e + 1] = start[e] + cnt[e];
    }
    __syncthreads();
    for (int e = threadIdx.x; e < E; e += blockDim.x) {   /* each expert's pairs in (token, slot) order */
        int n = start[e];
        for (int t = 0; t < T; t++)
            for (int k = 0; k < K; k++)
                if (sel[(size_t)t * Kmax + k] == e) rows[n++] = t * Kmax + k;
    }
    __syncthreads();
    if (threadIdx.x == 0) *n_tiles = ocu_tiles(start, E, OCU_NT, tiles);
}

/* ---- host: launches -------------------------------------------------------------------------- */
static int ocu_is_q(int type) { return type == OLMOE_TYPE_Q4_0 || type == OLMOE_TYPE_Q8_0 || type == OLMOE_TYPE_Q6_K; }

template <int NT, int G>
static void mm_launch_t(const mm_args &a, dim3 grid, cudaStream_t st) {
    dim3 blk(OCU_WARPS * 32);
    switch (a.W.type) {
    case OLMOE_TYPE_Q4_0: OCU_LAUNCH(grid, blk, 0, st, k_mmq<OLMOE_TYPE_Q4_0, NT, G>)(a); break;
    case OLMOE_TYPE_Q8_0: OCU_LAUNCH(grid, blk, 0, st, k_mmq<OLMOE_TYPE_Q8_0, NT, G>)(a); break;
    case OLMOE_TYPE_F32: OCU_LAUNCH(grid, blk, 0, st, k_mmf<OLMOE_TYPE_F32, NT, G>)(a); break;
    case OLMOE_TYPE_F16: OCU_LAUNCH(grid, blk, 0, st, k_mmf<OLMOE_TYPE_F16, NT, G>)(a); break;
    case OLMOE_TYPE_BF16: OCU_LAUNCH(grid, blk, 0, st, k_mmf<OLMOE_TYPE_BF16, NT, G>)(a); break;
    default: OCU_LAUNCH(grid, blk, 0, st, k_mmq<OLMOE_TYPE_Q6_K, NT, G>)(a); break;
    }
}
/* y[out][y_off + r] = W row r . x[in] for the tiles; T == 1 (decode) takes the one-token kernels. */
static void mm(ocu_ctx *c, const dmat &W, const dmat *W2, const float *xf, const int8_t *xq, const float *xd, int xs,
               int T, int grouped, int max_tiles, int in_div, float *y, int ys, int y_off) {
    mm_args a;
    memset(&a, 0, sizeof a);
    a.W = W;
    if (W2) a.W2 = *W2;
    if (W.type == OLMOE_TYPE_Q6_K && xs % 256 == 0 && xf) {
        /* its own Q8_K-style input (olmoe.h's activation for Q6_K rows): the rows the tiles read */
        int rows = grouped && in_div == 1 ? T * c->cf.n_expert_used : T;
        int64_t ng = (int64_t)(xs / 256) * rows;
        OCU_LAUNCH((unsigned)((ng + 7) / 8), 256, 0, c->st, k_quant_k8)(xf, xs, rows, c->kq, c->kqd);
        xq = c->kq; xd = c->kqd;
    }
    a.xq = xq; a.xd = xd; a.xf = xf; a.xs = xs; a.T = T;
    if (grouped) { a.tiles = c->tiles; a.n_tiles = c->n_tiles; a.idx = c->ex_rows; a.in_div = in_div; }
    a.y = y; a.ys = ys; a.y_off = y_off;
    dim3 grid((unsigned)((W.rows + OCU_WARPS - 1) / OCU_WARPS), (unsigned)(grouped ? max_tiles : (T + OCU_NT - 1) / OCU_NT));
    int one = T == 1;   /* a tile then holds one token or one pair */
    if (one) { if (W2) mm_launch_t<1, 1>(a, grid, c->st); else mm_launch_t<1, 0>(a, grid, c->st); }
    else { if (W2) mm_launch_t<OCU_NT, 1>(a, grid, c->st); else mm_launch_t<OCU_NT, 0>(a, grid, c->st); }
}

/* moe: the source is the last MoE block's slots (dn, selw) instead of add */
static void add_norm(ocu_ctx *c, int T, const float *add, int moe, const float *post_w, const float *norm_w, int n, int quant) {
    OCU_LAUNCH(T, 256, (size_t)n * 4, c->st, k_add_norm_q)(c->x, add, moe ? c->dn : NULL, c->selw, c->K_eff, c->cf.n_expert_used,
                                                           post_w, norm_w, c->cf.norm_eps, n, c->h, quant ? c->hq : NULL, c->hqd);
}
static void quant(ocu_ctx *c, const float *x, int n, int rows, int8_t *q, float *qd) {
    int64_t nb = (int64_t)(n / 32) * rows;
    if (n % 32 || nb == 0) return;
    OCU_LAUNCH((unsigned)((nb + 7) / 8), 256, 0, c->st, k_quant)(x, n, rows, q, qd);
}

/* One batch of T tokens (tokens and position already in d_tok / d_pos). maxch: attention chunks to
   launch (the decode graph launches them for the whole context; blocks past a token's last
   position return at once). logits rows [first, T) go to d_logits. */
static void forward(ocu_ctx *c, int T, int maxch, int first) {
    const olmoe_config *cf = &c->cf;
    int d = cf->n_embd, H = cf->n_head, Hkv = cf->n_head_kv, hd = cf->head_dim, F = cf->n_ff, E = cf->n_expert;
    int qd = H * hd, kvd = Hkv * hd, qkvd = qd + 2 * kvd, Km = cf->n_expert_used, K = c->K_eff;
    int flex = cf->arch == OLMOE_ARCH_FLEX_OLMO, nl = cf->n_layer;
    int mt = ocu_max_tiles(T, K, E, OCU_NT);
    float scale = 1.0f / sqrtf((float)hd);
    OCU_LAUNCH(T, 256, 0, c->st, k_embed)(c->tok_embd, c->d_tok, d, c->x);
    for (int l = 0; l < nl; l++) {
        const dlayer &L = c->L[l];
        /* the previous layer's residual add (FlexOlmo's post-norm) with this layer's input norm */
        add_norm(c, T, NULL, l > 0, l && flex ? c->L[l - 1].post_ffw : NULL, flex ? NULL : L.attn_norm, d, 1);
        if (L.fused_qkv) mm(c, L.wqkv, NULL, c->h, c->hq, c->hqd, d, T, 0, 0, 1, c->qkv, qkvd, 0);
        else {
            mm(c, L.wq, NULL, c->h, c->hq, c->hqd, d, T, 0, 0, 1, c->qkv, qkvd, 0);
            mm(c, L.wk, NULL, c->h, c->hq, c->hqd, d, T, 0, 0, 1, c->qkv, qkvd, qd);
            mm(c, L.wv, NULL, c->h, c->hq, c->hqd, d, T, 0, 0, 1, c->qkv, qkvd, qd + kvd);
        }
        OCU_LAUNCH(T, 256, 0, c->st, k_qk_rope)(c->qkv, c->d_pos, L.q_norm, L.k_norm, cf->norm_eps, H, Hkv, hd, c->rope_cos,
                                        c->rope_sin, c->kc, c->vc, l, c->n_ctx);
        OCU_LAUNCH(dim3((unsigned)(T * H), (unsigned)maxch), 128, 0, c->st, k_attn)(c->qkv, c->d_pos, H, Hkv, hd, c->kc, c->vc, l,
                                                                           c->n_ctx, scale, c->part, c->maxch);
        if (hd % 32 == 0 && hd <= 256)   /* the merge quantizes whole heads */
            OCU_LAUNCH(T * H, hd, 0, c->st, k_attn_merge)(c->part, c->d_pos, H, hd, c->maxch, c->att, c->attq, c->attqd);
        else {
            OCU_LAUNCH(T * H, hd < 256 ? (hd + 31) / 32 * 32 : 256, 0, c->st, k_attn_merge)(c->part, c->d_pos, H, hd, c->maxch,
                                                                                            c->att, (int8_t *)NULL, (float *)NULL);
            quant(c, c->att, qd, T, c->attq, c->attqd);
        }
        mm(c, L.wo, NULL, c->att, c->attq, c->attqd, qd, T, 0, 0, 1, c->tmp, d, 0);
        add_norm(c, T, c->tmp, 0, flex ? L.post_attn : NULL, flex ? NULL : L.ffn_norm, d, 1);
        /* MoE: router logits, routing and grouping, gate/up, down (the weighted sum of the slots is
           the next add_norm's) */
        mm(c, L.router, NULL, c->h, NULL, NULL, d, T, 0, 0, 1, c->rlog, E, 0);
        OCU_LAUNCH(1, 256, 0, c->st, k_route)(c->rlog, T, E, K, Km, c->d_allowed, c->sel, c->selw, c->ex_start, c->ex_rows,
                                      c->tiles, c->n_tiles);
        if (c->trace) {
            cudaMemcpyAsync(c->tr_sel + (size_t)l * c->n_batch * Km, c->sel, (size_t)T * Km * 4, cudaMemcpyDeviceToDevice, c->st);
            cudaMemcpyAsync(c->tr_w + (size_t)l * c->n_batch * Km, c->selw, (size_t)T * Km * 4, cudaMemcpyDeviceToDevice, c->st);
        }
        mm(c, L.gate, &L.up, c->h, c->hq, c->hqd, d, T, 1, mt, Km, c->act, F, 0);
        quant(c, c->act, F, T * Km, c->actq, c->actqd);
        mm(c, L.down, NULL, c->act, c->actq, c->actqd, F, T, 1, mt, 1, c->dn, d, 0);
    }
    add_norm(c, T, NULL, 1, flex ? c->L[nl - 1].post_ffw : NULL, c->out_norm, d, 1);
    if (first < T)
        mm(c, c->output, NULL, c->h + (size_t)first * d, c->hq + (size_t)first * d, c->hqd + (size_t)first * (d / 32), d,
           T - first, 0, 0, 1, c->d_logits, cf->n_vocab, 0);
}

/* ---- host: weights ------------------------------------------------------------------------- */
static void *dalloc(ocu_ctx *c, size_t n, cudaError_t *e) {
    void *p = NULL;
    if (*e != cudaSuccess) return NULL;
    *e = cudaMalloc(&p, n ? n : 1);
    if (*e == cudaSuccess) c->allocs.push_back(p);
    return p;
}

static int ocu_type_ok(int t) {
    return t == OLMOE_TYPE_Q4_0 || t == OLMOE_TYPE_Q8_0 || t == OLMOE_TYPE_F32 || t == OLMOE_TYPE_F16 ||
           t == OLMOE_TYPE_BF16 || t == OLMOE_TYPE_Q6_K;
}

/* Upload the tensor `name` (any number of concatenated: the raw rows one after the other). */
static olmoe_result upload_mat(ocu_ctx *c, const char *const *names, int n_names, dmat *out, char *err, size_t en) {
    olmoe_tensor_info ti[3];
    int64_t rows = 0;
    size_t bytes = 0;
    for (int i = 0; i < n_names; i++) {
        int idx = olmoe_model_find_tensor(c->m, names[i]);
        if (idx < 0 || olmoe_model_tensor(c->m, idx, &ti[i]) != OLMOE_OK || !ti[i].data)
            return ocu_fail(err, en, OLMOE_ERR_TENSOR_MISSING, "tensor %s is missing", names[i]);
        if (!ocu_type_ok(ti[i].type) || ti[i].type != ti[0].type || ti[i].ne[0] != ti[0].ne[0])
            return ocu_fail(err, en, OLMOE_ERR_UNSUPPORTED, "tensor %s: type %s is not supported on the GPU", names[i],
                            olmoe_type_name(ti[i].type) ? olmoe_type_name(ti[i].type) : "?");
        rows += ti[i].ne[1] * (ti[i].n_dims > 2 ? ti[i].ne[2] : 1);
        bytes += ti[i].nbytes;
    }
    memset(out, 0, sizeof *out);
    out->type = ti[0].type;
    out->n = (int)ti[0].ne[0];
    out->rows = n_names > 1 ? (int)rows : (int)ti[0].ne[1];
    out->row_bytes = (size_t)olmoe_type_row_size(ti[0].type, ti[0].ne[0]);
    cudaError_t e = cudaSuccess;
    if (out->type == OLMOE_TYPE_Q6_K) {
        int64_t nsb = rows * (out->n / 256);
        std::vector<uint8_t> src(bytes), pad((size_t)nsb * OCU_Q6K_BYTES);
        size_t o = 0;
        for (int i = 0; i < n_names; i++) { memcpy(src.data() + o, ti[i].data, ti[i].nbytes); o += ti[i].nbytes; }
        ocu_repack_q6k(src.data(), nsb, pad.data());
        uint8_t *dq = (uint8_t *)dalloc(c, pad.size(), &e);
        if (e == cudaSuccess) e = cudaMemcpy(dq, pad.data(), pad.size(), cudaMemcpyHostToDevice);
        out->qs = dq; out->nb = out->n / 32;
        c->wbytes += pad.size();
    } else if (ocu_is_q(out->type)) {
        int64_t nblk = rows * (out->n / 32);
        std::vector<uint8_t> src(bytes), qs((size_t)nblk * ocu_qs_bytes(out->type));
        std::vector<uint16_t> dd((size_t)nblk);
        size_t o = 0;
        for (int i = 0; i < n_names; i++) { memcpy(src.data() + o, ti[i].data, ti[i].nbytes); o += ti[i].nbytes; }
        ocu_repack(out->type, src.data(), nblk, qs.data(), dd.data());
        uint8_t *dq = (uint8_t *)dalloc(c, qs.size(), &e);
        uint16_t *ds = (uint16_t *)dalloc(c, dd.size() * 2, &e);
        if (e == cudaSuccess) e = cudaMemcpy(dq, qs.data(), qs.size(), cudaMemcpyHostToDevice);
        if (e == cudaSuccess) e = cudaMemcpy(ds, dd.data(), dd.size() * 2, cudaMemcpyHostToDevice);
        out->qs = dq; out->d = ds; out->nb = out->n / 32;
        c->wbytes += qs.size() + dd.size() * 2;
    } else {
        uint8_t *dr = (uint8_t *)dalloc(c, bytes, &e);
        size_t o = 0;
        for (int i = 0; i < n_names && e == cudaSuccess; i++) {
            e = cudaMemcpy(dr + o, ti[i].data, ti[i].nbytes, cudaMemcpyHostToDevice);
            o += ti[i].nbytes;
        }
        out->raw = dr;
        c->wbytes += bytes;
    }
    if (e != cudaSuccess)
        return ocu_fail(err, en, e == cudaErrorMemoryAllocation ? OLMOE_ERR_OOM : OLMOE_ERR_UNSUPPORTED,
                        "uploading %s: %s", names[0], cudaGetErrorString(e));
    return OLMOE_OK;
}
static olmoe_result upload_one(ocu_ctx *c, const char *name, dmat *out, char *err, size_t en) {
    return upload_mat(c, &name, 1, out, err, en);
}
static olmoe_result upload_vec(ocu_ctx *c, const char *name, const float **out, char *err, size_t en) {
    dmat m;
    olmoe_result r = upload_one(c, name, &m, err, en);
    if (r != OLMOE_OK) return r;
    if (m.type != OLMOE_TYPE_F32) return ocu_fail(err, en, OLMOE_ERR_TENSOR_TYPE, "tensor %s is not f32", name);
    *out = (const float *)m.raw;
    return OLMOE_OK;
}

/* ---- API ------------------------------------------------------------------------------------ */
extern "C" int ocu_device_count(char *msg, size_t n) {
    int k = 0;
    cudaError_t e = cudaGetDeviceCount(&k);
    if (e != cudaSuccess) {
        if (msg && n) snprintf(msg, n, "%s", cudaGetErrorString(e));
        return 0;
    }
    if (msg && n) {
        cudaDeviceProp pr;
        if (k > 0 && cudaGetDeviceProperties(&pr, 0) == cudaSuccess) snprintf(msg, n, "%s", pr.name);
        else snprintf(msg, n, "no device");
    }
    return k;
}

extern "C" int ocu_supports(const olmoe_model *m, char *err, size_t en) {
    const olmoe_config *cf = olmoe_model_config(m);
    int n = olmoe_model_n_tensors(m);
    if (!cf || n == 0) { ocu_fail(err, en, OLMOE_ERR_INVALID_ARG, "the model has no weights"); return -1; }
    if (cf->n_expert > OCU_MAX_E) { ocu_fail(err, en, OLMOE_ERR_UNSUPPORTED, "%d experts (the GPU path takes up to %d)", cf->n_expert, OCU_MAX_E); return -1; }
    if (cf->head_dim > OCU_MAX_HD) { ocu_fail(err, en, OLMOE_ERR_UNSUPPORTED, "head_dim %d (the GPU path takes up to %d)", cf->head_dim, OCU_MAX_HD); return -1; }
    if (cf->n_expert_used > 64) { ocu_fail(err, en, OLMOE_ERR_UNSUPPORTED, "top-%d routing (the GPU path takes up to 64)", cf->n_expert_used); return -1; }
    for (int i = 0; i < n; i++) {
        olmoe_tensor_info ti;
        if (olmoe_model_tensor(m, i, &ti) != OLMOE_OK) continue;
        if (!ocu_type_ok(ti.type)) {
            ocu_fail(err, en, OLMOE_ERR_UNSUPPORTED, "tensor %s has type %s, which the GPU path does not run (it runs f32, f16, bf16, q8_0, q4_0, q6_K)",
                     ti.name, olmoe_type_name(ti.type) ? olmoe_type_name(ti.type) : "?");
            return -1;
        }
    }
    return 0;
}

extern "C" void ocu_free(ocu_ctx *c) {
    if (!c) return;
    cudaSetDevice(c->dev);
    if (c->gexec) cudaGraphExecDestroy(c->gexec);
    if (c->graph) cudaGraphDestroy(c->graph);
    for (size_t i = 0; i < c->allocs.size(); i++) cudaFree(c->allocs[i]);
    if (c->h_io) cudaFreeHost(c->h_io);
    if (c->h_logits1) cudaFreeHost(c->h_logits1);
    if (c->st) cudaStreamDestroy(c->st);
    free(c->logits);
    delete c;
}

extern "C" olmoe_result ocu_create(const olmoe_model *m, const ocu_params *p, ocu_ctx **out, char *err, size_t en) {
    ocu_params pp;
    memset(&pp, 0, sizeof pp);
    if (p) pp = *p;
    if (err && en) err[0] = 0;
    if (!out) return OLMOE_ERR_INVALID_ARG;
    *out = NULL;
    if (!m) return ocu_fail(err, en, OLMOE_ERR_INVALID_ARG, "model is NULL");
    if (ocu_supports(m, err, en) != 0) return OLMOE_ERR_UNSUPPORTED;
    const olmoe_config *cf = olmoe_model_config(m);
    if (pp.n_ctx < 0 || pp.n_batch < 0) return ocu_fail(err, en, OLMOE_ERR_INVALID_ARG, "negative n_ctx or n_batch");
    if (pp.n_ctx == 0) pp.n_ctx = std::min(cf->n_ctx_train, 4096);
    if (pp.n_ctx > (1 << 20)) return ocu_fail(err, en, OLMOE_ERR_INVALID_ARG, "n_ctx %d is too large", pp.n_ctx);
    if (pp.n_batch == 0) pp.n_batch = 512;
    pp.n_batch = std::min(pp.n_batch, pp.n_ctx);
    int ndev = 0;
    if (cudaGetDeviceCount(&ndev) != cudaSuccess || ndev == 0) return ocu_fail(err, en, OLMOE_ERR_UNSUPPORTED, "no CUDA device");
    if (pp.device < 0 || pp.device >= ndev) return ocu_fail(err, en, OLMOE_ERR_INVALID_ARG, "CUDA device %d does not exist (%d found)", pp.device, ndev);
    OCU_CK(cudaSetDevice(pp.device), err, en);

    ocu_ctx *c = new ocu_ctx();
    c->m = m; c->cf = *cf; c->dev = pp.device; c->n_ctx = pp.n_ctx; c->n_batch = pp.n_batch; c->no_graph = pp.no_graph;
    c->maxch = (c->n_ctx + OCU_CH - 1) / OCU_CH;
    {
        cudaDeviceProp pr;
        if (cudaGetDeviceProperties(&pr, c->dev) == cudaSuccess)
            snprintf(c->desc, sizeof c->desc, "%.200s (sm_%d%d, %d SMs, %.0f GiB)", pr.name, pr.major, pr.minor, pr.multiProcessorCount,
                     pr.totalGlobalMem / 1073741824.0);
    }
    olmoe_result r = OLMOE_OK;
    cudaError_t e = cudaStreamCreateWithFlags(&c->st, cudaStreamNonBlocking);
    if (e != cudaSuccess) { ocu_free(c); return ocu_fail(err, en, OLMOE_ERR_UNSUPPORTED, "cudaStreamCreate: %s", cudaGetErrorString(e)); }
#define TRY(x) do { if ((r = (x)) != OLMOE_OK) { ocu_free(c); return r; } } while (0)
    TRY(upload_one(c, "token_embd.weight", &c->tok_embd, err, en));
    TRY(upload_one(c, "output.weight", &c->output, err, en));
    TRY(upload_vec(c, "output_norm.weight", &c->out_norm, err, en));
    c->L.resize((size_t)cf->n_layer);
    for (int l = 0; l < cf->n_layer; l++) {
        dlayer &L = c->L[(size_t)l];
        char n[8][64];
        const char *qkv[3];
        memset(&L, 0, sizeof L);
#define NM(i, s) (snprintf(n[i], sizeof n[i], "blk.%d.%s.weight", l, s), n[i])
        if (cf->arch == OLMOE_ARCH_OLMOE) {
            TRY(upload_vec(c, NM(0, "attn_norm"), &L.attn_norm, err, en));
            TRY(upload_vec(c, NM(0, "ffn_norm"), &L.ffn_norm, err, en));
        } else {
            TRY(upload_vec(c, NM(0, "post_attention_norm"), &L.post_attn, err, en));
            TRY(upload_vec(c, NM(0, "post_ffw_norm"), &L.post_ffw, err, en));
        }
        TRY(upload_vec(c, NM(0, "attn_q_norm"), &L.q_norm, err, en));
        TRY(upload_vec(c, NM(0, "attn_k_norm"), &L.k_norm, err, en));
        qkv[0] = NM(1, "attn_q"); qkv[1] = NM(2, "attn_k"); qkv[2] = NM(3, "attn_v");
        {
            olmoe_tensor_info a, b, d3;
            olmoe_model_tensor(m, olmoe_model_find_tensor(m, qkv[0]), &a);
            olmoe_model_tensor(m, olmoe_model_find_tensor(m, qkv[1]), &b);
            olmoe_model_tensor(m, olmoe_model_find_tensor(m, qkv[2]), &d3);
            L.fused_qkv = a.type == b.type && a.type == d3.type;
        }
        if (L.fused_qkv) TRY(upload_mat(c, qkv, 3, &L.wqkv, err, en));
        else {
            TRY(upload_one(c, qkv[0], &L.wq, err, en));
            TRY(upload_one(c, qkv[1], &L.wk, err, en));
            TRY(upload_one(c, qkv[2], &L.wv, err, en));
        }
        TRY(upload_one(c, NM(4, "attn_output"), &L.wo, err, en));
        TRY(upload_one(c, NM(4, "ffn_gate_inp"), &L.router, err, en));
        TRY(upload_one(c, NM(5, "ffn_gate_exps"), &L.gate, err, en));
        TRY(upload_one(c, NM(6, "ffn_up_exps"), &L.up, err, en));
        TRY(upload_one(c, NM(7, "ffn_down_exps"), &L.down, err, en));
        if (L.gate.type != L.up.type)
            TRY(ocu_fail(err, en, OLMOE_ERR_UNSUPPORTED, "layer %d: gate (%s) and up (%s) experts differ in type", l,
                         olmoe_type_name(L.gate.type), olmoe_type_name(L.up.type)));
#undef NM
    }
    /* cache, RoPE tables (computed as olmoe_ctx_create does, so the angles are the same floats) and scratch */
    {
        size_t B = (size_t)c->n_batch, d = (size_t)cf->n_embd, qd = (size_t)cf->n_head * cf->head_dim;
        size_t kvd = (size_t)cf->n_head_kv * cf->head_dim, F = (size_t)cf->n_ff, E = (size_t)cf->n_expert;
        size_t K = (size_t)cf->n_expert_used, hd2 = (size_t)cf->head_dim / 2, V = (size_t)cf->n_vocab;
        size_t kvn = (size_t)cf->n_layer * (size_t)c->n_ctx * kvd, mx = std::max(d, qd);
        size_t mt = (size_t)ocu_max_tiles((int)B, (int)K, (int)E, OCU_NT);
        std::vector<float> cs((size_t)c->n_ctx * hd2), sn((size_t)c->n_ctx * hd2);
        for (size_t j = 0; j < hd2; j++) {
            float inv = 1.0f / powf(cf->rope_theta, (float)(2 * j) / (float)cf->head_dim);
            for (int i = 0; i < c->n_ctx; i++) {
                float a = (float)i * inv;
                cs[(size_t)i * hd2 + j] = cosf(a);
                sn[(size_t)i * hd2 + j] = sinf(a);
            }
        }
        e = cudaSuccess;
        c->kc = (__half *)dalloc(c, kvn * 2, &e);
        c->vc = (__half *)dalloc(c, kvn * 2, &e);
        c->rope_cos = (float *)dalloc(c, cs.size() * 4, &e);
        c->rope_sin = (float *)dalloc(c, sn.size() * 4, &e);
        c->d_tok = (int32_t *)dalloc(c, B * 4, &e);
        c->d_pos = (int32_t *)dalloc(c, 4, &e);
        c->x = (float *)dalloc(c, B * d * 4, &e);
        c->h = (float *)dalloc(c, B * mx * 4, &e);
        c->qkv = (float *)dalloc(c, B * (qd + 2 * kvd) * 4, &e);
        c->att = (float *)dalloc(c, B * qd * 4, &e);
        c->tmp = (float *)dalloc(c, B * d * 4, &e);
        c->rlog = (float *)dalloc(c, B * E * 4, &e);
        c->selw = (float *)dalloc(c, B * K * 4, &e);
        c->sel = (int32_t *)dalloc(c, B * K * 4, &e);
        c->ex_start = (int32_t *)dalloc(c, (E + 1) * 4, &e);
        c->ex_rows = (int32_t *)dalloc(c, B * K * 4, &e);
        c->tiles = (int32_t *)dalloc(c, mt * 3 * 4, &e);
        c->n_tiles = (int32_t *)dalloc(c, 4, &e);
        c->act = (float *)dalloc(c, B * K * F * 4, &e);
        c->dn = (float *)dalloc(c, B * K * d * 4, &e);
        c->part = (float *)dalloc(c, B * (size_t)cf->n_head * (size_t)c->maxch * ((size_t)cf->head_dim + 2) * 4, &e);
        c->d_logits = (float *)dalloc(c, B * V * 4, &e);
        c->hq = (int8_t *)dalloc(c, B * mx, &e);
        c->hqd = (float *)dalloc(c, B * mx / 32 * 4 + 4, &e);
        c->attq = (int8_t *)dalloc(c, B * qd, &e);
        c->attqd = (float *)dalloc(c, B * qd / 32 * 4 + 4, &e);
        c->actq = (int8_t *)dalloc(c, B * K * F, &e);
        c->actqd = (float *)dalloc(c, B * K * F / 32 * 4 + 4, &e);
        c->kq = (int8_t *)dalloc(c, B * std::max((size_t)K * F, mx), &e);
        c->kqd = (float *)dalloc(c, B * std::max((size_t)K * F, mx) / 32 * 4 + 4, &e);
        c->d_allowed = (uint8_t *)dalloc(c, E, &e);
        c->trace = pp.trace;
        if (c->trace) {
            size_t nt = (size_t)cf->n_layer * B * K;
            c->tr_sel = (int32_t *)dalloc(c, nt * 4, &e);
            c->tr_w = (float *)dalloc(c, nt * 4, &e);
            c->h_tr_sel.resize(nt);
            c->h_tr_w.resize(nt);
        }
        if (e == cudaSuccess) e = cudaMemcpy(c->rope_cos, cs.data(), cs.size() * 4, cudaMemcpyHostToDevice);
        if (e == cudaSuccess) e = cudaMemcpy(c->rope_sin, sn.data(), sn.size() * 4, cudaMemcpyHostToDevice);
        if (e == cudaSuccess) e = cudaMallocHost((void **)&c->h_io, (B + 1) * 4);
        if (e == cudaSuccess) e = cudaMallocHost((void **)&c->h_logits1, V * 4);
        if (e == cudaSuccess && pp.poison) {
            /* NaN in every scratch byte: a read of anything not written in this step shows in the logits */
            void *s[] = {c->x, c->h, c->qkv, c->att, c->tmp, c->rlog, c->selw, c->act, c->dn, c->part, c->d_logits,
                         c->hqd, c->attqd, c->actqd, c->kc, c->vc};
            size_t z[] = {B * d * 4, B * mx * 4, B * (qd + 2 * kvd) * 4, B * qd * 4, B * d * 4, B * E * 4, B * K * 4,
                          B * K * F * 4, B * K * d * 4, B * (size_t)cf->n_head * (size_t)c->maxch * ((size_t)cf->head_dim + 2) * 4,
                          B * V * 4, B * mx / 32 * 4, B * qd / 32 * 4, B * K * F / 32 * 4, kvn * 2, kvn * 2};
            for (size_t i = 0; i < sizeof z / sizeof z[0] && e == cudaSuccess; i++) e = cudaMemset(s[i], 0xFF, z[i]);
        }
        if (e != cudaSuccess) {
            ocu_free(c);
            return ocu_fail(err, en, e == cudaErrorMemoryAllocation ? OLMOE_ERR_OOM : OLMOE_ERR_UNSUPPORTED,
                            "GPU buffers for n_ctx %d, n_batch %d: %s", pp.n_ctx, pp.n_batch, cudaGetErrorString(e));
        }
    }
#undef TRY
    memset(c->allowed, 1, sizeof c->allowed);
    if ((r = ocu_set_expert_mask(c, NULL, cf->n_expert)) != OLMOE_OK) {
        ocu_fail(err, en, r, "%s", c->err);
        ocu_free(c);
        return r;
    }
    *out = c;
    return OLMOE_OK;
}

extern "C" olmoe_result ocu_set_expert_mask(ocu_ctx *c, const uint8_t *allowed, int n_expert) {
    int E, n = 0;
    if (!c) return OLMOE_ERR_INVALID_ARG;
    E = c->cf.n_expert;
    if (n_expert != E) return ocu_fail(c->err, sizeof c->err, OLMOE_ERR_INVALID_ARG, "expert mask of %d entries for %d experts", n_expert, E);
    for (int e = 0; e < E; e++) n += allowed ? allowed[e] != 0 : 1;
    if (n == 0) return ocu_fail(c->err, sizeof c->err, OLMOE_ERR_INVALID_ARG, "the mask allows no expert");
    for (int e = 0; e < E; e++) c->allowed[e] = allowed ? allowed[e] != 0 : 1;
    c->K_eff = std::min(n, c->cf.n_expert_used);
    cudaError_t er = cudaSetDevice(c->dev);
    if (er == cudaSuccess) er = cudaMemcpy(c->d_allowed, c->allowed, (size_t)E, cudaMemcpyHostToDevice);
    if (er != cudaSuccess) return ocu_fail(c->err, sizeof c->err, OLMOE_ERR_UNSUPPORTED, "expert mask: %s", cudaGetErrorString(er));
    c->graph_ok = 0;   /* K is baked into the decode graph */
    return OLMOE_OK;
}

static olmoe_result ocu_decode_graph(ocu_ctx *c) {
    cudaError_t e;
    if (c->gexec) { cudaGraphExecDestroy(c->gexec); c->gexec = NULL; }
    if (c->graph) { cudaGraphDestroy(c->graph); c->graph = NULL; }
    e = cudaStreamBeginCapture(c->st, cudaStreamCaptureModeThreadLocal);
    if (e != cudaSuccess) return ocu_fail(c->err, sizeof c->err, OLMOE_ERR_UNSUPPORTED, "graph capture: %s", cudaGetErrorString(e));
    cudaMemcpyAsync(c->d_pos, c->h_io, 4, cudaMemcpyHostToDevice, c->st);   /* position and token */
    cudaMemcpyAsync(c->d_tok, c->h_io + 1, 4, cudaMemcpyHostToDevice, c->st);
    forward(c, 1, c->maxch, 0);
    cudaMemcpyAsync(c->h_logits1, c->d_logits, (size_t)c->cf.n_vocab * 4, cudaMemcpyDeviceToHost, c->st);
    e = cudaStreamEndCapture(c->st, &c->graph);
    if (e == cudaSuccess) e = cudaGraphInstantiate(&c->gexec, c->graph, 0);
    if (e != cudaSuccess) return ocu_fail(c->err, sizeof c->err, OLMOE_ERR_UNSUPPORTED, "graph: %s", cudaGetErrorString(e));
    c->graph_ok = 1;
    return OLMOE_OK;
}

/* dst: where the logits rows go (NULL: the context's own buffer, for ocu_logits) */
static olmoe_result eval_impl(ocu_ctx *c, const int32_t *tokens, int n, int logits_all, float *dst) {
    const olmoe_config *cf;
    cudaError_t e;
    if (!c) return OLMOE_ERR_INVALID_ARG;
    cf = &c->cf;
    c->err[0] = 0;
    if (!tokens || n <= 0) return ocu_fail(c->err, sizeof c->err, OLMOE_ERR_INVALID_ARG, "eval: no tokens");
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= cf->n_vocab)
            return ocu_fail(c->err, sizeof c->err, OLMOE_ERR_TOKEN, "token %d at index %d is outside [0, %d)", (int)tokens[i], i, cf->n_vocab);
    if (n > c->n_ctx - c->pos)
        return ocu_fail(c->err, sizeof c->err, OLMOE_ERR_CONTEXT_FULL, "%d tokens do not fit: context holds %d of %d", n, c->pos, c->n_ctx);
    size_t V = (size_t)cf->n_vocab;
    int need = logits_all ? n : 1;
    c->n_logits = 0;
    if (!dst && need > c->logits_cap) {
        float *nl = (float *)malloc((size_t)need * V * 4);
        if (!nl) return ocu_fail(c->err, sizeof c->err, OLMOE_ERR_OOM, "out of memory for %d logit rows", need);
        free(c->logits);
        c->logits = nl;
        c->logits_cap = need;
    }
    if ((e = cudaSetDevice(c->dev)) != cudaSuccess) return ocu_fail(c->err, sizeof c->err, OLMOE_ERR_UNSUPPORTED, "CUDA: %s", cudaGetErrorString(e));
    if (n == 1 && !c->no_graph) {
        olmoe_result r;
        if (!c->graph_ok && (r = ocu_decode_graph(c)) != OLMOE_OK) return r;
        c->h_io[0] = c->pos;
        c->h_io[1] = tokens[0];
        e = cudaGraphLaunch(c->gexec, c->st);
        if (e == cudaSuccess) e = cudaStreamSynchronize(c->st);
        if (e != cudaSuccess) return ocu_fail(c->err, sizeof c->err, OLMOE_ERR_UNSUPPORTED, "decode step: %s", cudaGetErrorString(e));
        c->pos++;
        if (dst) { memcpy(dst, c->h_logits1, V * 4); return OLMOE_OK; }
        c->cur = c->h_logits1;
        c->n_logits = 1;
        return OLMOE_OK;
    }
    for (int done = 0; done < n;) {
        int nb = std::min(c->n_batch, n - done), last = done + nb == n;
        int first = logits_all ? 0 : last ? nb - 1 : nb;
        c->h_io[0] = c->pos;
        memcpy(c->h_io + 1, tokens + done, (size_t)nb * 4);
        cudaMemcpyAsync(c->d_pos, c->h_io, 4, cudaMemcpyHostToDevice, c->st);
        cudaMemcpyAsync(c->d_tok, c->h_io + 1, (size_t)nb * 4, cudaMemcpyHostToDevice, c->st);
        forward(c, nb, (c->pos + nb + OCU_CH - 1) / OCU_CH, first);
        if (first < nb)
            cudaMemcpyAsync((dst ? dst : c->logits) + (logits_all ? (size_t)done * V : 0), c->d_logits, (size_t)(nb - first) * V * 4,
                            cudaMemcpyDeviceToHost, c->st);
        if (c->trace) {
            cudaMemcpyAsync(c->h_tr_sel.data(), c->tr_sel, c->h_tr_sel.size() * 4, cudaMemcpyDeviceToHost, c->st);
            cudaMemcpyAsync(c->h_tr_w.data(), c->tr_w, c->h_tr_w.size() * 4, cudaMemcpyDeviceToHost, c->st);
        }
        e = cudaStreamSynchronize(c->st);   /* also: h_io is reused by the next batch */
        if (e == cudaSuccess) e = cudaGetLastError();
        if (e != cudaSuccess) return ocu_fail(c->err, sizeof c->err, OLMOE_ERR_UNSUPPORTED, "forward pass: %s", cudaGetErrorString(e));
        c->pos += nb;
        done += nb;
    }
    if (dst) return OLMOE_OK;
    c->cur = c->logits;
    c->n_logits = need;
    return OLMOE_OK;
}

extern "C" olmoe_result ocu_eval(ocu_ctx *c, const int32_t *tokens, int n, int logits_all) {
    return eval_impl(c, tokens, n, logits_all, NULL);
}
extern "C" olmoe_result ocu_eval_into(ocu_ctx *c, const int32_t *tokens, int n, int logits_all, float *dst) {
    if (!dst) return OLMOE_ERR_INVALID_ARG;
    return eval_impl(c, tokens, n, logits_all, dst);
}

extern "C" const float *ocu_logits(const ocu_ctx *c, int i) {
    if (!c || c->n_logits == 0) return NULL;
    if (i < 0) i = c->n_logits + i;
    if (i < 0 || i >= c->n_logits) return NULL;
    return c->cur + (size_t)i * c->cf.n_vocab;
}
extern "C" int ocu_pos(const ocu_ctx *c) { return c ? c->pos : 0; }
extern "C" int ocu_n_ctx(const ocu_ctx *c) { return c ? c->n_ctx : 0; }
extern "C" olmoe_result ocu_truncate(ocu_ctx *c, int n_keep) {
    if (!c || n_keep < 0) return OLMOE_ERR_INVALID_ARG;
    if (n_keep < c->pos) c->pos = n_keep;   /* the cache rows past pos are rewritten before they are read */
    c->n_logits = 0;
    return OLMOE_OK;
}
extern "C" int ocu_route_trace(const ocu_ctx *c, int layer, int t, int32_t *sel, float *w) {
    if (!c || !c->trace || layer < 0 || layer >= c->cf.n_layer || t < 0 || t >= c->n_batch) return -1;
    size_t o = ((size_t)layer * c->n_batch + (size_t)t) * c->cf.n_expert_used;
    for (int k = 0; k < c->K_eff; k++) { sel[k] = c->h_tr_sel[o + k]; w[k] = c->h_tr_w[o + k]; }
    return c->K_eff;
}
extern "C" const char *ocu_last_error(const ocu_ctx *c) { return c ? c->err : "context is NULL"; }
extern "C" const char *ocu_device_desc(const ocu_ctx *c) { return c ? c->desc : ""; }
extern "C" uint64_t ocu_weight_bytes(const ocu_ctx *c) { return c ? c->wbytes : 0; }

extern "C" double ocu_copy_bw_gbs(ocu_ctx *c, size_t bytes, int reps) {
    float4 *a = NULL, *b = NULL;
    cudaEvent_t e0, e1;
    std::vector<double> v;
    size_t n = bytes / 16;
    if (!c || reps < 1 || n == 0) return -1.0;
    cudaSetDevice(c->dev);
    if (cudaMalloc(&a, n * 16) != cudaSuccess) return -1.0;
    if (cudaMalloc(&b, n * 16) != cudaSuccess) { cudaFree(a); return -1.0; }
    cudaMemsetAsync(a, 0, n * 16, c->st);
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    for (int r = 0; r <= reps; r++) {   /* the first is a warm-up */
        float ms = 0.0f;
        cudaEventRecord(e0, c->st);
        cudaMemcpyAsync(b, a, n * 16, cudaMemcpyDeviceToDevice, c->st);
        cudaEventRecord(e1, c->st);
        cudaEventSynchronize(e1);
        cudaEventElapsedTime(&ms, e0, e1);
        if (r > 0 && ms > 0.0f) v.push_back(2.0 * (double)(n * 16) / (ms * 1e-3) / 1e9);
    }
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    cudaFree(a);
    cudaFree(b);
    if (v.empty()) return -1.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}
