/* The decoded types' rows x tokens kernels (mm_dec: Q4_K, Q5_K, Q6_K with Q8_K activations, the
   others with Q8_0 ones) alone, as the forward pass calls them: one token over calls of 512 rows
   (decode), 8 or 16 tokens over calls of 64 rows (an expert's prefill); rows of 2048 (gate, up) and
   1024 (down) values. Two figures, ns
   per 256-value block and token, each the minimum over the repetitions (the machines here are
   shared: a minimum is what the kernel can do): "cache" one call's rows again and again, "dram" every
   row of a 128 MiB buffer once. Compare builds by alternating their runs:

       make build/bench_mmdec && build/bench_mmdec avx512 [TYPE] [REPS]

   The weights are random bytes (the kernels' speed does not depend on the values). */
#define OLMOE_IMPLEMENTATION
#include "../olmoe.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    static const int types[] = {OLMOE_TYPE_Q4_K, OLMOE_TYPE_Q5_K, OLMOE_TYPE_Q6_K, OLMOE_TYPE_Q4_1, OLMOE_TYPE_Q5_0, OLMOE_TYPE_Q5_1,
                                OLMOE_TYPE_IQ4_NL, OLMOE_TYPE_IQ4_XS, OLMOE_TYPE_Q2_K, OLMOE_TYPE_Q3_K};
    static const int ns[2] = {2048, 1024}, Ts[3] = {1, 8, 16};
    const char *path = argc > 1 ? argv[1] : "avx512";
    int kid = !strcmp(path, "avx2") ? OLMOE_KERNELS_AVX2 : !strcmp(path, "avx512") ? OLMOE_KERNELS_AVX512 : -1;
    int reps = argc > 3 ? atoi(argv[3]) : 200, ti, ni, Ti, tk, rep, it;
    const olmoe__kernels *k = kid >= 0 ? olmoe__pick_kernels(kid) : NULL;
    size_t wcap = (size_t)128 << 20, i;
    uint8_t *w = (uint8_t *)malloc(wcap), *xq = NULL;
    float *x = (float *)malloc(sizeof(float) * 2048 * 16), *y = (float *)malloc(sizeof(float) * 16 * 512);
    unsigned s = 1;
    if (!k || !k->mm_dec || reps < 1) {
        fprintf(stderr, "usage: bench_mmdec avx2|avx512 [TYPE: q4_K q5_K q6_K q4_1 q5_0 q5_1 iq4_nl iq4_xs q2_K q3_K] [REPS]  (a path this CPU runs)\n");
        return 2;
    }
    if (!w || !x || !y || posix_memalign((void **)&xq, 64, 16 * 8192) != 0) return 1;
    for (i = 0; i < wcap; i++) { s = s * 1103515245u + 12345u; w[i] = (uint8_t)(s >> 16); }
    for (i = 0; i < 2048 * 16; i++) { s = s * 1103515245u + 12345u; x[i] = (float)((int)(s >> 16 & 0xFFFF) - 32768) / 32768.0f; }
    for (ti = 0; ti < (int)(sizeof types / sizeof types[0]); ti++) {
        int t = types[ti];
        if (argc > 2 && strcmp(argv[2], olmoe_type_name(t)) != 0) continue;
        for (ni = 0; ni < 2; ni++)
            for (Ti = 0; Ti < 3; Ti++) {
                int n = ns[ni], T = Ts[Ti], CR = T == 1 ? 512 : 64;
                uint64_t rb = olmoe_type_row_size(t, n);
                int64_t R = (int64_t)(wcap / rb) / CR * CR, rr;
                const uint8_t *xqp[16];
                float *yp[16];
                olmoe__mm_fn mm = k->mm_dec[olmoe__qtype_index(t)];
                double best = 1e30, bestd = 1e30;
                for (tk = 0; tk < T; tk++) {
                    if (olmoe__qtype_of(t)->k8)
                        (k->quant_q8_K ? k->quant_q8_K : olmoe__quant_q8_K_scalar)(x + (size_t)tk * n, xq + (size_t)tk * 8192, n);
                    else k->quant_q8_0(x + (size_t)tk * n, xq + (size_t)tk * 8192, n);
                    xqp[tk] = xq + (size_t)tk * 8192;
                    yp[tk] = y + (size_t)tk * 512;
                }
                for (rep = 0; rep < reps; rep++) {
                    double t0 = now(), dt;
                    for (it = 0; it < 10; it++) mm(n, CR, w, (size_t)rb, T, xqp, yp);
                    dt = (now() - t0) / 10;
                    if (dt < best) best = dt;
                }
                for (rep = 0; rep < 3; rep++) {
                    double t0 = now(), dt;
                    for (rr = 0; rr < R; rr += CR) mm(n, CR, w + (uint64_t)rr * rb, (size_t)rb, T, xqp, yp);
                    dt = now() - t0;
                    if (dt < bestd) bestd = dt;
                }
                printf("%s %-5s n=%4d T=%2d  cache %.3f  dram %.3f ns per block and token (%.1f GB/s of weights from DRAM)\n", path,
                       olmoe_type_name(t), n, T, best * 1e9 / ((double)CR * (n / 256) * T), bestd * 1e9 / ((double)R * (n / 256) * T),
                       (double)R * (double)rb / bestd * 1e-9);
            }
    }
    return y[0] == 12345.0f; /* keep the results */
}
