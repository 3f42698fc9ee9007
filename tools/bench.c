/* olmoe bench: load time, prefill and decode speed, memory bandwidth and the decode roofline of
   one model on this machine, in one process.

     olmoe bench -m MODEL.gguf [-t THREADS] [-p 128] [-n 64] [-r 3] [--kernels auto|scalar|avx2|avx512|neon]
                 [--kv f32|f16] [--depth D] [--bw-mb 1024] [--bw-reps 7] [--no-bw] [--no-file-bw]
                 [--device auto|cpu|cuda] [--profile]

   Steps (page cache warm: the file is read through once first, then loaded once as a warm-up):
     load_first_token_s  olmoe_model_load + olmoe_ctx_create + eval of an 8-token prompt.
     prefill_tok_s       P random token ids evaluated at once from an empty context (the context is
                         created once and emptied with olmoe_ctx_truncate before each rep), median of
                         REPS after one warm-up rep.
     decode_tok_s        one start token, then N tokens evaluated one at a time, each the argmax of the
                         previous logits; median over REPS of N / (sum of the N eval times), after a
                         short warm-up. With --depth D every rep starts after D cached tokens (a long
                         conversation: the KV cache then adds its share of bytes per token).
     bandwidth_gbs       THREADS threads summing a BW_MB buffer of anonymous memory with the widest
                         loads the CPU has (AVX-512 / AVX2 / scalar), in 4 KiB pages like the file
                         mapping; median of ~BW_REPS sweeps taken before and between the decode
                         reps, so that they see the same interference from other processes.
                         bandwidth_file_gbs is the same over a private read-only mapping of the
                         model file (page-cache pages, as the model reads them).
     bytes_per_token     olmoe_model_bytes_per_token (weights) + the K and V cache bytes one decode
                         step reads at the mean decode position (f32 cache: 2 * n_layer * kv_dim * 4
                         bytes per cached position).
     roofline_tok_s      bandwidth_gbs * 1e9 / bytes_per_token; roofline_frac = decode / roofline.
                         roofline_frac_bw_max uses the fastest sweep instead of the median (this VM's
                         bandwidth swings between sweeps: the conservative figure).
                         bandwidth_best_gbs is the fastest read of the run, anonymous sweep or file
                         mapping; roofline_frac_best = decode against it (the most conservative).
     prefill_gops        prefill_tok_s * 2 * prefill_macs_per_token (attention, router and expert
                         matrices of one token; the head is left out) / 1e9, against int8_peak_gops:
                         every thread running 12 chains of the widest int8 dot instruction at once
                         (int8_peak_form), the best form; prefill_peak_frac = their ratio.
     rss_mb              VmRSS after decode (RssFile: mapped model pages; RssAnon: KV cache, scratch).
     *_cpu_frac          process CPU time / (wall time * THREADS) over the timed evals ("CPU x% of
                         N threads"): time the pool's threads spent spinning or working. Below ~0.95
                         means they were preempted by other processes or slept in the pool waiting
                         for work (an undisturbed run with a spinning pool is close to 1).
     profile             (--profile, CPU only) one more decode pass like a rep, N tokens with
                         olmoe_ctx_set_profile on: per phase of the forward pass its ms per token
                         (timed on the calling thread, pool barrier included; "wait" is the part
                         spent waiting for the other threads), share of the eval time, MB read per
                         token and the GB/s that makes, beside the run's bandwidth. The phases' bytes
                         add up to bytes_per_token (attention's are the K/V cache reads).
   On a GPU (build/olmoe-cuda, --device cuda or auto with a device found) the same steps run the GPU
   forward pass; bandwidth_gbs is then the device's: a device-to-device copy of BW_MB MiB (bytes read
   plus written), sampled the same way, and the KV cache is fp16; the CPU-only figures (int8 peak,
   file mapping bandwidth, CPU fractions) are left at 0. The JSON line gains "device".
   STABLE output: human-readable lines, then the LAST line is one JSON object (keys only added). */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include "cli.h"
#include "backend.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <errno.h>
#ifndef _WIN32
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <pthread.h>
#endif
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define BENCH_X86 1
#endif

static double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of the whole process (all threads), seconds */
static double bench_cpu(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench_cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double bench_median(const double *v, int n) {
    double *s, m;
    if (n <= 0) return 0.0;
    s = (double *)malloc((size_t)n * sizeof(double));
    if (!s) return v[0];
    memcpy(s, v, (size_t)n * sizeof(double));
    qsort(s, (size_t)n, sizeof(double), bench_cmp_d);
    m = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    free(s);
    return m;
}
static double bench_min(const double *v, int n) { double m = n ? v[0] : 0; int i; for (i = 1; i < n; i++) if (v[i] < m) m = v[i]; return m; }
static double bench_max(const double *v, int n) { double m = n ? v[0] : 0; int i; for (i = 1; i < n; i++) if (v[i] > m) m = v[i]; return m; }


/* ---- /proc readers ------------------------------------------------------------------------- */
typedef struct bench_mem { double rss, anon, file, hwm; } bench_mem;
static void bench_read_mem(bench_mem *m) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    memset(m, 0, sizeof *m);
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        double kb;
        if (sscanf(line, "VmRSS: %lf", &kb) == 1) m->rss = kb / 1024.0;
        else if (sscanf(line, "RssAnon: %lf", &kb) == 1) m->anon = kb / 1024.0;
        else if (sscanf(line, "RssFile: %lf", &kb) == 1) m->file = kb / 1024.0;
        else if (sscanf(line, "VmHWM: %lf", &kb) == 1) m->hwm = kb / 1024.0;
    }
    fclose(f);
}
static double bench_loadavg(void) {
    FILE *f = fopen("/proc/loadavg", "r");
    double l = -1.0;
    if (f) { if (fscanf(f, "%lf", &l) != 1) l = -1.0; fclose(f); }
    return l;
}

/* ---- memory read bandwidth ------------------------------------------------------------------ */
typedef uint64_t (*bench_read_fn)(const uint8_t *p, size_t n);

static uint64_t bench_read_scalar(const uint8_t *p, size_t n) {
    const uint64_t *q = (const uint64_t *)p;
    uint64_t a = 0, b = 0, c = 0, d = 0;
    size_t i, m = n / 8;
    for (i = 0; i + 4 <= m; i += 4) { a += q[i]; b += q[i + 1]; c += q[i + 2]; d += q[i + 3]; }
    return a + b + c + d;
}
#ifdef BENCH_X86
__attribute__((target("avx2"))) static uint64_t bench_read_avx2(const uint8_t *p, size_t n) {
    __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
    uint64_t o[4];
    size_t i;
    for (i = 0; i + 128 <= n; i += 128) {
        a = _mm256_add_epi64(a, _mm256_load_si256((const __m256i *)(p + i)));
        b = _mm256_add_epi64(b, _mm256_load_si256((const __m256i *)(p + i + 32)));
        c = _mm256_add_epi64(c, _mm256_load_si256((const __m256i *)(p + i + 64)));
        d = _mm256_add_epi64(d, _mm256_load_si256((const __m256i *)(p + i + 96)));
    }
    a = _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d));
    _mm256_storeu_si256((__m256i *)o, a);
    return o[0] + o[1] + o[2] + o[3];
}
__attribute__((target("avx512f"))) static uint64_t bench_read_avx512(const uint8_t *p, size_t n) {
    __m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
    uint64_t o[8];
    size_t i;
    for (i = 0; i + 256 <= n; i += 256) {
        a = _mm512_add_epi64(a, _mm512_load_si512((const void *)(p + i)));
        b = _mm512_add_epi64(b, _mm512_load_si512((const void *)(p + i + 64)));
        c = _mm512_add_epi64(c, _mm512_load_si512((const void *)(p + i + 128)));
        d = _mm512_add_epi64(d, _mm512_load_si512((const void *)(p + i + 192)));
    }
    a = _mm512_add_epi64(_mm512_add_epi64(a, b), _mm512_add_epi64(c, d));
    _mm512_storeu_si512((void *)o, a);
    return o[0] + o[1] + o[2] + o[3] + o[4] + o[5] + o[6] + o[7];
}
#endif

static bench_read_fn bench_pick_read(const char **name) {
#ifdef BENCH_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) { *name = "avx512"; return bench_read_avx512; }
    if (__builtin_cpu_supports("avx2")) { *name = "avx2"; return bench_read_avx2; }
#endif
    *name = "scalar";
    return bench_read_scalar;
}

typedef struct bench_bw_arg {
    const uint8_t *p;
    size_t n;
    bench_read_fn fn;
    double t0, t1;
    uint64_t sum;
#ifndef _WIN32
    pthread_barrier_t *bar;
#endif
} bench_bw_arg;

static void *bench_bw_thread(void *v) {
    bench_bw_arg *a = (bench_bw_arg *)v;
#ifndef _WIN32
    pthread_barrier_wait(a->bar);
#endif
    a->t0 = bench_now();
    a->sum = a->fn(a->p, a->n);
    a->t1 = bench_now();
    return NULL;
}

/* One sweep of [p, p+n) by nth threads (contiguous 4 KiB-aligned slices); returns GB/s. */
static double bench_sweep(const uint8_t *p, size_t n, int nth, bench_read_fn fn, uint64_t *sink) {
    bench_bw_arg a[64];
    double t0 = 1e300, t1 = 0;
    int i;
#ifndef _WIN32
    pthread_t th[64];
    pthread_barrier_t bar;
    if (nth > 64) nth = 64;
    pthread_barrier_init(&bar, NULL, (unsigned)nth);
#else
    nth = 1;
#endif
    for (i = 0; i < nth; i++) {
        size_t s = (n / (size_t)nth * (size_t)i) & ~(size_t)4095, e = i + 1 == nth ? n : (n / (size_t)nth * (size_t)(i + 1)) & ~(size_t)4095;
        a[i].p = p + s;
        a[i].n = (e - s) & ~(size_t)255;
        a[i].fn = fn;
#ifndef _WIN32
        a[i].bar = &bar;
#endif
    }
#ifndef _WIN32
    for (i = 1; i < nth; i++) pthread_create(&th[i], NULL, bench_bw_thread, &a[i]);
#endif
    bench_bw_thread(&a[0]);
#ifndef _WIN32
    for (i = 1; i < nth; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&bar);
#endif
    for (i = 0; i < nth; i++) {
        if (a[i].t0 < t0) t0 = a[i].t0;
        if (a[i].t1 > t1) t1 = a[i].t1;
        *sink += a[i].sum;
    }
    {
        size_t tot = 0;
        for (i = 0; i < nth; i++) tot += a[i].n;
        return (double)tot / (t1 - t0) / 1e9;
    }
}

static volatile uint64_t bench_sink;  /* keeps the bandwidth sums alive */

/* ---- int8 multiply-add peak -------------------------------------------------------------------
   What the quantized matmuls are bounded by in prefill: independent chains of the CPU's
   widest int8 dot instruction (12 of vpdpbusd on 512 and 256 bits where the CPU has AVX-512
   VNNI, 6 of vpmaddubsw + vpmaddwd + vpaddd on 256 bits with AVX2), each form timed on every thread at
   once; the best form's total, in GOPS (one multiply-add = 2 ops). 0 where none is built. */
typedef double (*bench_peak_fn)(long iters);
#ifdef BENCH_X86
/* The 12 chains live in named variables: an array stays on the stack, and storing and
   reloading 12 vectors an iteration halves the measured rate. */
#define BENCH_KEEP(V0, V1, V2, V3, V4, V5) __asm__ volatile("" : "+v"(V0), "+v"(V1), "+v"(V2), "+v"(V3), "+v"(V4), "+v"(V5))
/* One form: 12 chains of ACC = OP(ACC) over vectors of VT (LANES int8 multiply-adds each). */
#define BENCH_PEAK_FN(NAME, TARGET, VT, SET8, SET32, OP, ADD32, LOW32, LANES)                      \
    __attribute__((target(TARGET))) static double NAME(long iters) {                               \
        VT b = SET8(3), c = SET8(5);                                                                \
        VT a0 = SET32(0), a1 = SET32(1), a2 = SET32(2), a3 = SET32(3), a4 = SET32(4), a5 = SET32(5); \
        VT a6 = SET32(6), a7 = SET32(7), a8 = SET32(8), a9 = SET32(9), a10 = SET32(10), a11 = SET32(11); \
        long i;                                                                                     \
        for (i = 0; i < iters; i++) {                                                               \
            a0 = OP(a0, b, c); a1 = OP(a1, b, c); a2 = OP(a2, b, c); a3 = OP(a3, b, c);             \
            a4 = OP(a4, b, c); a5 = OP(a5, b, c); a6 = OP(a6, b, c); a7 = OP(a7, b, c);             \
            a8 = OP(a8, b, c); a9 = OP(a9, b, c); a10 = OP(a10, b, c); a11 = OP(a11, b, c);         \
            BENCH_KEEP(a0, a1, a2, a3, a4, a5);                                                     \
            BENCH_KEEP(a6, a7, a8, a9, a10, a11);                                                   \
            __asm__ volatile("" : "+v"(b), "+v"(c));                                                \
        }                                                                                           \
        a0 = ADD32(ADD32(ADD32(a0, a1), ADD32(a2, a3)), ADD32(ADD32(a4, a5), ADD32(a6, a7)));       \
        a0 = ADD32(a0, ADD32(ADD32(a8, a9), ADD32(a10, a11)));                                      \
        bench_sink += (uint64_t)(uint32_t)LOW32(a0);                                                \
        return 12.0 * LANES * 2 * (double)iters;                                                    \
    }
#define BENCH_LOW256(v) _mm256_extract_epi32(v, 0)
#define BENCH_LOW512(v) _mm512_reduce_add_epi32(v)
BENCH_PEAK_FN(bench_peak_vnni512, "avx512f,avx512bw,avx512vnni", __m512i, _mm512_set1_epi8, _mm512_set1_epi32,
              _mm512_dpbusd_epi32, _mm512_add_epi32, BENCH_LOW512, 64)
BENCH_PEAK_FN(bench_peak_vnni256, "avx2,avx512f,avx512vl,avx512vnni", __m256i, _mm256_set1_epi8, _mm256_set1_epi32,
              _mm256_dpbusd_epi32, _mm256_add_epi32, BENCH_LOW256, 32)
/* AVX2 has no 3-operand int8 dot: acc += madd(maddubs(b_k, c), 1). Each of the 6 chains has its
   own b_k (else the compiler computes one product for all); 16 ymm registers hold 6 + 6 + 2. */
#define BENCH_MADDUBS(k) a##k = _mm256_add_epi32(a##k, _mm256_madd_epi16(_mm256_maddubs_epi16(b##k, c), one))
__attribute__((target("avx2"))) static double bench_peak_avx2(long iters) {
    __m256i c = _mm256_set1_epi8(5), one = _mm256_set1_epi16(1);
    __m256i a0 = _mm256_set1_epi32(0), a1 = _mm256_set1_epi32(1), a2 = _mm256_set1_epi32(2);
    __m256i a3 = _mm256_set1_epi32(3), a4 = _mm256_set1_epi32(4), a5 = _mm256_set1_epi32(5);
    __m256i b0 = _mm256_set1_epi8(1), b1 = _mm256_set1_epi8(2), b2 = _mm256_set1_epi8(3);
    __m256i b3 = _mm256_set1_epi8(4), b4 = _mm256_set1_epi8(6), b5 = _mm256_set1_epi8(7);
    long i;
    for (i = 0; i < iters; i++) {
        BENCH_MADDUBS(0); BENCH_MADDUBS(1); BENCH_MADDUBS(2); BENCH_MADDUBS(3); BENCH_MADDUBS(4); BENCH_MADDUBS(5);
        BENCH_KEEP(a0, a1, a2, a3, a4, a5);
        BENCH_KEEP(b0, b1, b2, b3, b4, b5);
        __asm__ volatile("" : "+v"(c), "+v"(one));
    }
    a0 = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)), _mm256_add_epi32(a4, a5));
    bench_sink += (uint64_t)(uint32_t)_mm256_extract_epi32(a0, 0);
    return 6.0 * 32 * 2 * (double)iters;
}
#endif
typedef struct bench_peak_arg { bench_peak_fn fn; long iters; double ops, t0, t1; } bench_peak_arg;
static void *bench_peak_thread(void *v) {
    bench_peak_arg *a = (bench_peak_arg *)v;
    a->t0 = bench_now();
    a->ops = a->fn(a->iters);
    a->t1 = bench_now();
    return NULL;
}
/* GOPS of one form on nth threads together (best of 3 runs of about 50 ms). */
static double bench_peak_form(bench_peak_fn fn, int nth) {
    bench_peak_arg a[64];
    double best = 0;
    long iters = 1000;
    int i, run;
    if (nth > 64) nth = 64;
    for (;;) {   /* size the run: about 50 ms on one thread */
        double t = bench_now();
        fn(iters);
        t = bench_now() - t;
        if (t > 0.01 || iters > (1L << 30)) { iters = (long)(iters * (0.05 / (t > 1e-6 ? t : 1e-6))) + 1; break; }
        iters *= 4;
    }
    for (run = 0; run < 3; run++) {
        double t0 = 1e300, t1 = 0, ops = 0;
#ifndef _WIN32
        pthread_t th[64];
        for (i = 1; i < nth; i++) { a[i].fn = fn; a[i].iters = iters; pthread_create(&th[i], NULL, bench_peak_thread, &a[i]); }
#else
        nth = 1;
#endif
        a[0].fn = fn; a[0].iters = iters;
        bench_peak_thread(&a[0]);
#ifndef _WIN32
        for (i = 1; i < nth; i++) pthread_join(th[i], NULL);
#endif
        for (i = 0; i < nth; i++) { ops += a[i].ops; if (a[i].t0 < t0) t0 = a[i].t0; if (a[i].t1 > t1) t1 = a[i].t1; }
        if (ops / (t1 - t0) / 1e9 > best) best = ops / (t1 - t0) / 1e9;
    }
    return best;
}
static double bench_int8_peak(int nth, const char **form) {
    double best = 0;
    *form = "none";
#ifdef BENCH_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
        double g = bench_peak_form(bench_peak_vnni512, nth);
        if (g > best) { best = g; *form = "vpdpbusd zmm"; }
        g = bench_peak_form(bench_peak_vnni256, nth);
        if (g > best) { best = g; *form = "vpdpbusd ymm"; }
    }
    if (__builtin_cpu_supports("avx2")) {
        double g = bench_peak_form(bench_peak_avx2, nth);
        if (g > best) { best = g; *form = "vpmaddubsw ymm"; }
    }
#else
    (void)nth;
#endif
    return best;
}

/* Multiply-adds of the matrices one prompt token goes through (attention, router, experts;
   the output head runs for the last token only and is left out). */
static double bench_macs_per_token(const olmoe_config *cf) {
    double d = cf->n_embd, qd = (double)cf->n_head * cf->head_dim, kvd = (double)cf->n_head_kv * cf->head_dim;
    double per_layer = d * qd + 2 * d * kvd + qd * d + (double)cf->n_expert * d + (double)cf->n_expert_used * 3.0 * d * cf->n_ff;
    return per_layer * cf->n_layer;
}

/* ---- helpers ---------------------------------------------------------------------------------- */
static int32_t bench_argmax(const float *v, int n) {
    int i, b = 0;
    for (i = 1; i < n; i++) if (v[i] > v[b]) b = i;
    return b;
}

/* Read the whole file once so that its pages are in the page cache; returns GB/s or -1. */
static double bench_warm_file(const char *path) {
    FILE *f = fopen(path, "rb");
    size_t bs = (size_t)8 << 20, k;
    char *buf;
    double t0 = bench_now(), tot = 0;
    if (!f) return -1.0;
    buf = (char *)malloc(bs);
    if (!buf) { fclose(f); return -1.0; }
    while ((k = fread(buf, 1, bs, f)) > 0) tot += (double)k;
    free(buf);
    fclose(f);
    return tot / (bench_now() - t0) / 1e9;
}

static void bench_json_arr(FILE *o, const char *key, const double *v, int n, const char *fmt) {
    int i;
    fprintf(o, ", \"%s\": [", key);
    for (i = 0; i < n; i++) { if (i) fputs(", ", o); fprintf(o, fmt, v[i]); }
    fputc(']', o);
}
static void bench_json_str(FILE *o, const char *key, const char *s) {
    fprintf(o, ", \"%s\": \"", key);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(o, "\\%c", c);
        else if (c < 0x20) fprintf(o, "\\u%04x", c);
        else fputc(c, o);
    }
    fputc('"', o);
}

/* ---- the --profile table and JSON object ------------------------------------------------------ */
static void bench_print_profile(const olmoe_profile *p, double bw_med, double bw_best) {
    double n = (double)p->tokens, sum_s = 0, sum_b = 0, other;
    int k;
    printf("profile of one decode pass of %llu tokens (phases timed on the calling thread, each with its pool barrier;\n"
           "  wait: the part of it spent waiting for the other threads):\n", (unsigned long long)p->tokens);
    printf("  %-14s %9s %7s %8s %10s %8s\n", "phase", "ms/token", "share", "wait ms", "MB/token", "GB/s");
    for (k = 0; k < OLMOE_PHASE_COUNT; k++) {
        const olmoe_profile_phase *q = &p->phase[k];
        sum_s += q->seconds;
        sum_b += (double)q->bytes;
        printf("  %-14s %9.3f %6.1f%% %8.3f %10.2f %8.1f\n", olmoe_phase_name(k), 1e3 * q->seconds / n,
               p->eval_seconds > 0 ? 100 * q->seconds / p->eval_seconds : 0.0, 1e3 * q->wait_seconds / n, q->bytes / n / 1e6,
               q->seconds > 0 ? q->bytes / q->seconds / 1e9 : 0.0);
    }
    other = p->eval_seconds - sum_s;
    printf("  %-14s %9.3f %6.1f%%\n", "other", 1e3 * other / n, p->eval_seconds > 0 ? 100 * other / p->eval_seconds : 0.0);
    printf("  %-14s %9.3f %6.1f%% %8s %10.2f %8.1f   (run's memory read bandwidth: median sweep %.1f GB/s, best read %.1f GB/s)\n",
           "eval", 1e3 * p->eval_seconds / n, 100.0, "", sum_b / n / 1e6, p->eval_seconds > 0 ? sum_b / p->eval_seconds / 1e9 : 0.0,
           bw_med, bw_best);
}
static void bench_json_profile(FILE *o, const olmoe_profile *p) {
    double n = (double)p->tokens, sum_s = 0, sum_b = 0;
    int k;
    for (k = 0; k < OLMOE_PHASE_COUNT; k++) { sum_s += p->phase[k].seconds; sum_b += (double)p->phase[k].bytes; }
    fprintf(o, ", \"profile\": {\"tokens\": %llu, \"eval_ms_per_tok\": %.4f, \"other_ms_per_tok\": %.4f, \"bytes_per_token\": %.1f, \"phases\": {",
            (unsigned long long)p->tokens, 1e3 * p->eval_seconds / n, 1e3 * (p->eval_seconds - sum_s) / n, sum_b / n);
    for (k = 0; k < OLMOE_PHASE_COUNT; k++) {
        const olmoe_profile_phase *q = &p->phase[k];
        fprintf(o, "%s\"%s\": {\"ms_per_tok\": %.4f, \"share\": %.4f, \"wait_ms_per_tok\": %.4f, \"calls_per_tok\": %.2f, "
                   "\"bytes_per_token\": %.1f, \"gbs\": %.3f}", k ? ", " : "", olmoe_phase_name(k), 1e3 * q->seconds / n,
                p->eval_seconds > 0 ? q->seconds / p->eval_seconds : 0.0, 1e3 * q->wait_seconds / n, (double)q->calls / n,
                (double)q->bytes / n, q->seconds > 0 ? (double)q->bytes / q->seconds / 1e9 : 0.0);
    }
    fputs("}}", o);
}

static const char *bench_kernel_name(backend *c) {
    return backend_cpu_ctx(c) ? cli_kernels_name(olmoe_ctx_kernels(backend_cpu_ctx(c))) : "cuda";
}

static void bench_usage(FILE *f) {
    fprintf(f, "usage: olmoe bench -m MODEL.gguf [-t THREADS] [-p 128] [-n 64] [-r 3] [--kernels auto|scalar|avx2|avx512|neon]\n"
               "                   [--kv f32|f16] [--depth D] [--bw-mb 1024] [--bw-reps 7] [--no-bw] [--no-file-bw] [--device auto|cpu|cuda]\n"
               "                   [--profile]\n"
               "prints human-readable lines, then one JSON object as the last line\n"
               "defaults: -t/--threads 0 (all cores), -p 128 prompt tokens, -n 64 generated, -r 3 repetitions, --kernels auto,\n"
               "  --kv f32, --depth 0 (tokens already in the context), --bw-mb 1024 and --bw-reps 7 (memory bandwidth probe;\n"
               "  --no-bw and --no-file-bw skip the probes), --device auto; -h/--help: this help\n"
               "  --check-tensors: " CLI_CHECK_TENSORS_HELP " (default off)\n"
               "--profile: one more decode pass of N tokens timed phase by phase (ms/token, share, MB/token, GB/s per phase\n"
               "  of the forward pass, beside the run's bandwidth); adds a \"profile\" object to the JSON line (CPU only)\n"
               "example: olmoe bench -m models/austen-olmoe-q8_0.gguf -t 2 -p 128 -n 64\n");
}

int cmd_bench(int argc, char **argv) {
    const char *model = NULL, *bw_name = "none";
    int threads = 0, P = 128, N = 64, reps = 3, kernels = OLMOE_KERNELS_AUTO, kv_type = OLMOE_TYPE_F32, depth = 0, bw_mb = 1024, bw_reps = 7;
    int do_bw = 1, do_file_bw = 1, i, r, n_ctx, first_n = 8, device = BACKEND_AUTO, gpu = 0, check = 0, do_prof = 0, have_prof = 0;
    olmoe_profile prof;
    char err[512], arch_s[16] = "?";
    const char *type_s = "?";
    olmoe_model *m = NULL;
    backend *c = NULL;
    olmoe_ctx_params cp;
    const olmoe_config *cf;
    olmoe_result res;
    double t0, load_s = 0, lft_s = 0, warm_gbs, la0, la1;
    double *pre = NULL, *dec = NULL, *tok_ms = NULL, bw[128], bwf[16];
    int n_bw = 0, n_bwf = 0, n_tok_ms = 0;
    int32_t *ids = NULL, first_ids[8];
    bench_mem mem;
    uint64_t sink = 0, wbytes, kvbytes;
    double kv_cache_mb, mean_len, kv_es;
    double pre_cpu = 0, pre_wall = 0, dec_cpu = 0, dec_wall = 0;
    double pre_med = 0, dec_med = 0, bw_med = 0, bwf_med = 0, roof = 0, frac = 0;
    double macs = 0, pre_gops = 0, peak_gops = 0, frac_bwmax = 0, bw_best = 0, frac_best = 0;
    const char *peak_form = "none";
    bench_read_fn rfn;
    uint8_t *bwbuf = NULL;
    size_t bwn = 0;
    int bw_per = 1;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { bench_usage(stdout); return 0; }
        else if (!strcmp(a, "-m") && has) model = argv[++i];
        else if ((!strcmp(a, "-t") || !strcmp(a, "--threads")) && has) { if (cli_parse_int("bench", a, argv[++i], 0, &threads)) return 2; }
        else if (!strcmp(a, "-p") && has) { if (cli_parse_int("bench", a, argv[++i], 0, &P)) return 2; }
        else if (!strcmp(a, "-n") && has) { if (cli_parse_int("bench", a, argv[++i], 0, &N)) return 2; }
        else if (!strcmp(a, "-r") && has) { if (cli_parse_int("bench", a, argv[++i], 1, &reps)) return 2; }
        else if (!strcmp(a, "--bw-mb") && has) { if (cli_parse_int("bench", a, argv[++i], 1, &bw_mb)) return 2; }
        else if (!strcmp(a, "--bw-reps") && has) { if (cli_parse_int("bench", a, argv[++i], 1, &bw_reps)) return 2; }
        else if (!strcmp(a, "--no-bw")) do_bw = 0;
        else if (!strcmp(a, "--no-file-bw")) do_file_bw = 0;
        else if (!strcmp(a, "--check-tensors")) check = 1;
        else if (!strcmp(a, "--profile")) do_prof = 1;
        else if (!strcmp(a, "--kernels") && has) {
            if ((kernels = cli_parse_kernels(argv[++i])) < 0) { fprintf(stderr, "bench: unknown kernel path %s\n", argv[i]); return 2; }
        } else if (!strcmp(a, "--device") && has) {
            if ((device = backend_parse_device(argv[++i])) < 0) { fprintf(stderr, "bench: --device takes auto, cpu or cuda, not %s\n", argv[i]); return 2; }
        } else if (!strcmp(a, "--depth") && has) { if (cli_parse_int("bench", a, argv[++i], 0, &depth)) return 2; }
        else if (!strcmp(a, "--kv") && has) {
            if ((kv_type = cli_parse_kv(argv[++i])) < 0) { fprintf(stderr, "bench: --kv takes f32 or f16, not %s\n", argv[i]); return 2; }
        } else { fprintf(stderr, "bench: unknown or incomplete option %s\n", a); bench_usage(stderr); return 2; }
    }
    if (!model || threads < 0 || P < 0 || N < 0 || depth < 0 || depth > (1 << 20) || reps < 1 || bw_mb < 1 || bw_reps < 1 || bw_reps > 64) { bench_usage(stderr); return 2; }
    cli_check_threads("bench", threads);
    la0 = bench_loadavg();

    /* 1. page cache warm: read the file, then one warm-up load + first token */
    warm_gbs = bench_warm_file(model);
    if (warm_gbs < 0) { fprintf(stderr, "bench: cannot read %s\n", model); return 1; }
    n_ctx = depth + N + 1;
    if (P > n_ctx) n_ctx = P;
    if (first_n > n_ctx) n_ctx = first_n;
    for (r = 0; r < 2; r++) {
        olmoe_model_params mp = cli_model_params(check);  /* --check-tensors: the scan counts in the load time */
        t0 = bench_now();
        res = olmoe_model_load(model, &mp, &m, err, sizeof err);
        if (res != OLMOE_OK) { fprintf(stderr, "bench: load (%s): %s\n", olmoe_result_str(res), err); return 1; }
        load_s = bench_now() - t0;
        cf = olmoe_model_config(m);
        cp = olmoe_ctx_default_params();
        cp.n_ctx = n_ctx;
        cp.n_batch = P > first_n ? P : first_n;
        cp.n_threads = threads;
        cp.kernels = kernels;
        cp.kv_type = kv_type;
        res = backend_create(m, &cp, device, &c, err, sizeof err);
        if (res != OLMOE_OK) { fprintf(stderr, "bench: context (%s): %s\n", olmoe_result_str(res), err); olmoe_model_free(m); return 1; }
        for (i = 0; i < first_n; i++) first_ids[i] = (int32_t)((i * 2654435761u + 17u) % (unsigned)cf->n_vocab);
        res = backend_eval(c, first_ids, first_n, 0);
        if (res != OLMOE_OK) { fprintf(stderr, "bench: eval (%s): %s\n", olmoe_result_str(res), backend_last_error(c)); goto fail; }
        (void)bench_argmax(backend_logits(c, -1), cf->n_vocab);
        lft_s = bench_now() - t0;
        if (r == 0) { backend_free(c); olmoe_model_free(m); c = NULL; m = NULL; }
    }
    cf = olmoe_model_config(m);
    snprintf(arch_s, sizeof arch_s, "%s", cf->arch == OLMOE_ARCH_OLMOE ? "olmoe" : "flex_olmo");
    {
        int nt = olmoe_model_n_tensors(m);
        for (i = 0; i < nt; i++) {
            olmoe_tensor_info ti;
            if (olmoe_model_tensor(m, i, &ti) == OLMOE_OK && !strcmp(ti.name, "blk.0.ffn_gate_exps.weight")) {
                type_s = olmoe_type_name(ti.type);
                if (!type_s) type_s = "?";
            }
        }
    }
    gpu = backend_is_gpu(c);
    threads = gpu ? 1 : olmoe_ctx_n_threads(backend_cpu_ctx(c));
    if (gpu) { kv_type = OLMOE_TYPE_F16; do_file_bw = 0; }
    printf("model: %s (%s, %s, %.1f MB, %d layers, %d experts top-%d)\n", model, arch_s, type_s,
           olmoe_model_file_size(m) / 1e6, cf->n_layer, cf->n_expert, cf->n_expert_used);
    printf("threads %d, kernels %s, load average %.2f; file read through the page cache at %.1f GB/s\n", threads,
           bench_kernel_name(c), la0, warm_gbs);
    if (gpu) printf("device: %s\n", backend_describe(c));
    printf("load + first token (%d-token prompt, warm page cache): %.3f s (olmoe_model_load %.3f s)\n", first_n, lft_s, load_s);
    fflush(stdout);

    pre = (double *)calloc((size_t)reps, sizeof(double));
    dec = (double *)calloc((size_t)reps, sizeof(double));
    tok_ms = (double *)calloc((size_t)reps * (size_t)(N > 0 ? N : 1), sizeof(double));
    ids = (int32_t *)malloc((size_t)(P > 0 ? P : 1) * sizeof(int32_t));
    if (!pre || !dec || !tok_ms || !ids) { fprintf(stderr, "bench: out of memory\n"); goto fail; }

    /* bandwidth buffer: anonymous memory in 4 KiB pages (like the file mapping's page-cache pages).
       Its sweeps are interleaved with the decode reps so that they see the same interference. */
    rfn = bench_pick_read(&bw_name);
    bwn = (size_t)bw_mb << 20;
    if (do_bw && gpu) bw_name = "device-to-device copy";
    if (do_bw && !gpu) {
#ifndef _WIN32
        void *pv = NULL;
        if (posix_memalign(&pv, 4096, bwn) == 0) bwbuf = (uint8_t *)pv;
#else
        bwbuf = (uint8_t *)malloc(bwn);
#endif
        if (bwbuf) {
            int points = N > 0 ? reps + 1 : 1;
            memset(bwbuf, 1, bwn);
            bench_sweep(bwbuf, bwn, threads, rfn, &sink);  /* warm-up */
            bw_per = (bw_reps + points - 1) / points;
        } else fprintf(stderr, "bench: cannot allocate %d MiB for the bandwidth test\n", bw_mb);
    }
#define BENCH_BW_SAMPLE() do { int q_; for (q_ = 0; bwbuf && q_ < bw_per && n_bw < 128; q_++) bw[n_bw++] = bench_sweep(bwbuf, bwn, threads, rfn, &sink); \
    for (q_ = 0; gpu && do_bw && q_ < bw_per && n_bw < 128; q_++) { double g_ = backend_device_bw_gbs(c, bwn, 1); if (g_ > 0) bw[n_bw++] = g_; } } while (0)
    if (gpu && do_bw) bw_per = (bw_reps + (N > 0 ? reps + 1 : 1) - 1) / (N > 0 ? reps + 1 : 1);

    /* 2. prefill */
    if (P > 0) {
        uint64_t s = 0x9e3779b97f4a7c15ULL;
        for (i = 0; i < P; i++) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            ids[i] = (int32_t)(s % (uint64_t)cf->n_vocab);
        }
        for (r = -1; r < reps; r++) {
            double t;
            double cpu;
            backend_truncate(c, 0);
            cpu = bench_cpu();
            t = bench_now();
            res = backend_eval(c, ids, P, 0);
            t = bench_now() - t;
            cpu = bench_cpu() - cpu;
            if (r >= 0) { pre_cpu += cpu; pre_wall += t; }
            if (res != OLMOE_OK) { fprintf(stderr, "bench: prefill (%s): %s\n", olmoe_result_str(res), backend_last_error(c)); goto fail; }
            if (r >= 0) pre[r] = P / t;
        }
        pre_med = bench_median(pre, reps);
        printf("prefill %d tokens: %.2f tok/s (median of %d; min %.2f, max %.2f); CPU %.0f%% of %d threads\n", P, pre_med, reps,
               bench_min(pre, reps), bench_max(pre, reps), 100 * pre_cpu / (pre_wall * threads), threads);
        macs = bench_macs_per_token(cf);
        pre_gops = pre_med * macs * 2 / 1e9;
        peak_gops = gpu ? 0.0 : bench_int8_peak(threads, &peak_form);
        if (peak_gops > 0)
            printf("prefill matmuls: %.0f GOPS (%.2f G multiply-adds a token) = %.0f%% of the int8 peak, %.0f GOPS on %d threads (%s)\n",
                   pre_gops, macs / 1e9, 100 * pre_gops / peak_gops, peak_gops, threads, peak_form);
        fflush(stdout);
    }

    /* 3. decode: start token, then N greedy single-token evals (after `depth` cached tokens) */
    if (N > 0) {
        int warm_n = N < 8 ? N : 8;
        if (depth > 0) {   /* the context every rep starts from: depth tokens, evaluated once */
            int32_t *dt = (int32_t *)malloc(sizeof(int32_t) * (size_t)depth);
            if (!dt) { fprintf(stderr, "bench: out of memory\n"); goto fail; }
            for (i = 0; i < depth; i++) dt[i] = (int32_t)(((uint32_t)i * 2654435761u + 7u) % (unsigned)cf->n_vocab);
            backend_truncate(c, 0);
            res = backend_eval(c, dt, depth, 0);
            free(dt);
            if (res != OLMOE_OK) goto eval_fail;
        }
        for (r = -1; r < reps; r++) {
            int32_t tok = P > 0 ? ids[0] : 1;
            int nn = r < 0 ? warm_n : N;
            double tot = 0, cpu0, wall0;
            if (r >= 0) BENCH_BW_SAMPLE();
            backend_truncate(c, depth);
            if ((res = backend_eval(c, &tok, 1, 0)) != OLMOE_OK) goto eval_fail;
            cpu0 = bench_cpu();   /* CPU time over the whole rep: the per-thread clocks are only */
            wall0 = bench_now();  /* brought up to date at scheduler ticks */
            for (i = 0; i < nn; i++) {
                double t;
                tok = bench_argmax(backend_logits(c, -1), cf->n_vocab);
                t = bench_now();
                res = backend_eval(c, &tok, 1, 0);
                t = bench_now() - t;
                if (res != OLMOE_OK) goto eval_fail;
                tot += t;
                if (r >= 0) tok_ms[n_tok_ms++] = t * 1e3;
            }
            if (r >= 0) { dec[r] = nn / tot; dec_cpu += bench_cpu() - cpu0; dec_wall += bench_now() - wall0; }
        }
        /* the profiled pass: the same steps as a rep, after the timed ones so that its clock reads
           cannot touch them */
        if (do_prof && backend_cpu_ctx(c)) {
            olmoe_ctx *cc = backend_cpu_ctx(c);
            int32_t tok = P > 0 ? ids[0] : 1;
            backend_truncate(c, depth);
            if ((res = backend_eval(c, &tok, 1, 0)) != OLMOE_OK) goto eval_fail;
            olmoe_ctx_set_profile(cc, 1);
            for (i = 0; i < N; i++) {
                tok = bench_argmax(backend_logits(c, -1), cf->n_vocab);
                if ((res = backend_eval(c, &tok, 1, 0)) != OLMOE_OK) goto eval_fail;
            }
            olmoe_ctx_profile(cc, &prof);
            olmoe_ctx_set_profile(cc, 0);
            have_prof = prof.tokens > 0;
        } else if (do_prof) fprintf(stderr, "bench: --profile times the CPU forward pass only; skipped on the GPU\n");
        BENCH_BW_SAMPLE();
        dec_med = bench_median(dec, reps);
        printf("decode %d tokens: %.2f tok/s (median of %d; min %.2f, max %.2f); per token: median %.2f ms, min %.2f, max %.2f; "
               "CPU %.0f%% of %d threads\n", N, dec_med, reps, bench_min(dec, reps), bench_max(dec, reps), bench_median(tok_ms, n_tok_ms),
               bench_min(tok_ms, n_tok_ms), bench_max(tok_ms, n_tok_ms), 100 * dec_cpu / (dec_wall * threads), threads);
        fflush(stdout);
    }

    if (N <= 0) BENCH_BW_SAMPLE();
    /* 4. resident memory after decode (the bandwidth buffer is freed first) */
    if (bwbuf) { free(bwbuf); bwbuf = NULL; }
    if (n_bw) bw_med = bench_median(bw, n_bw);
    bench_read_mem(&mem);
    kv_es = kv_type == OLMOE_TYPE_F16 ? 2 : 4;
    kv_cache_mb = 2.0 * cf->n_layer * (double)n_ctx * cf->n_head_kv * cf->head_dim * kv_es / 1e6;

    /* 5. bandwidth over a mapping of the model file (page-cache pages, as the model reads them) */
#ifndef _WIN32
    if (do_file_bw) {
        int fd = open(model, O_RDONLY);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > (1 << 20)) {
            size_t n = (size_t)st.st_size & ~(size_t)4095;
            void *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p != MAP_FAILED) {
                bench_sweep((const uint8_t *)p, n, threads, rfn, &sink);  /* faults the pages in */
                for (n_bwf = 0; n_bwf < 5; n_bwf++) bwf[n_bwf] = bench_sweep((const uint8_t *)p, n, threads, rfn, &sink);
                bwf_med = bench_median(bwf, n_bwf);
                munmap(p, n);
            }
        }
        if (fd >= 0) close(fd);
    }
#endif
    if (n_bw)
        printf(gpu ? "device memory bandwidth (%d stream, %d MiB %s, read + written, sampled between the decode reps): %.2f GB/s (median of %d; min %.2f, max %.2f)\n"
                   : "memory read bandwidth (%d threads, %d MiB anonymous, %s loads, sampled between the decode reps): %.2f GB/s (median of %d; min %.2f, max %.2f)\n",
               threads, bw_mb, bw_name, bw_med, n_bw, bench_min(bw, n_bw), bench_max(bw, n_bw));
    if (n_bwf)
        printf("read bandwidth over a mapping of the model file: %.2f GB/s (median of %d; min %.2f, max %.2f)\n", bwf_med, n_bwf,
               bench_min(bwf, n_bwf), bench_max(bwf, n_bwf));

    /* 6. roofline */
    wbytes = olmoe_model_bytes_per_token(m);
    mean_len = depth + (N > 0 ? 1.0 + (N + 1) / 2.0 : 1.0);   /* decode token i (0-based) attends over depth + i + 2 positions */
    kvbytes = (uint64_t)(2.0 * cf->n_layer * mean_len * cf->n_head_kv * cf->head_dim * kv_es);
    if (bw_med > 0) {
        roof = bw_med * 1e9 / (double)(wbytes + kvbytes);
        frac = roof > 0 ? dec_med / roof : 0;
        frac_bwmax = bench_max(bw, n_bw) > 0 ? dec_med / (bench_max(bw, n_bw) * 1e9 / (double)(wbytes + kvbytes)) : 0;
    }
    /* the best read rate the run saw, anonymous sweep or file mapping: a noisy neighbour that slows
       the median sweep cannot make a slow decode look fast against this one */
    bw_best = bench_max(bw, n_bw) > bench_max(bwf, n_bwf) ? bench_max(bw, n_bw) : bench_max(bwf, n_bwf);
    frac_best = bw_best > 0 ? dec_med / (bw_best * 1e9 / (double)(wbytes + kvbytes)) : 0;
    printf("bytes per token: %.1f MB weights + %.2f MB KV cache (%s, %.1f positions on average) = %.1f MB\n", wbytes / 1e6,
           kvbytes / 1e6, kv_es == 2 ? "f16" : "f32", mean_len, (wbytes + kvbytes) / 1e6);
    if (bw_med > 0 && N > 0)
        printf("decode %.2f tok/s = %.1f%% of the %.1f GB/s roofline (%.1f tok/s); %.1f%% of the best sweep's %.1f GB/s; %.1f%% of the best "
               "read of the run (sweep or file mapping) %.1f GB/s\n", dec_med, 100 * frac, bw_med, roof, 100 * frac_bwmax, bench_max(bw, n_bw),
               100 * frac_best, bw_best);
    if (have_prof) bench_print_profile(&prof, bw_med, bw_best);
    printf("resident after decode: VmRSS %.0f MB (file-backed %.0f, anonymous %.0f; peak %.0f) vs file %.0f MB + KV cache %.1f MB\n",
           mem.rss, mem.file, mem.anon, mem.hwm, olmoe_model_file_size(m) / 1e6, kv_cache_mb);
    la1 = bench_loadavg();
    printf("load average at the end: %.2f (noise: other processes share these cores)\n", la1);

    /* 7. the JSON line (STABLE: keys are only ever added) */
    printf("{\"prefill_tok_s\": %.3f, \"decode_tok_s\": %.3f, \"bandwidth_gbs\": %.3f, \"bytes_per_token\": %llu, "
           "\"roofline_tok_s\": %.3f, \"roofline_frac\": %.4f, \"threads\": %d, \"kernel\": \"%s\", \"load_first_token_s\": %.4f, "
           "\"rss_mb\": %.1f, \"file_mb\": %.1f, \"type\": \"%s\", \"n_prompt\": %d, \"n_gen\": %d, \"reps\": %d",
           pre_med, dec_med, bw_med, (unsigned long long)(wbytes + kvbytes), roof, frac, threads,
           bench_kernel_name(c), lft_s, mem.rss, olmoe_model_file_size(m) / 1e6, type_s, P, N, reps);
    bench_json_str(stdout, "model", model);
    bench_json_str(stdout, "arch", arch_s);
    printf(", \"load_s\": %.4f, \"weight_bytes_per_token\": %llu, \"kv_bytes_per_token\": %llu, \"kv_mean_positions\": %.1f",
           load_s, (unsigned long long)wbytes, (unsigned long long)kvbytes, mean_len);
    printf(", \"prefill_tok_s_min\": %.3f, \"prefill_tok_s_max\": %.3f, \"decode_tok_s_min\": %.3f, \"decode_tok_s_max\": %.3f",
           bench_min(pre, P > 0 ? reps : 0), bench_max(pre, P > 0 ? reps : 0), bench_min(dec, N > 0 ? reps : 0), bench_max(dec, N > 0 ? reps : 0));
    printf(", \"decode_ms_per_tok_median\": %.3f, \"prefill_cpu_frac\": %.3f, \"decode_cpu_frac\": %.3f", bench_median(tok_ms, n_tok_ms),
           pre_wall > 0 ? pre_cpu / (pre_wall * threads) : 0.0, dec_wall > 0 ? dec_cpu / (dec_wall * threads) : 0.0);
    bench_json_arr(stdout, "prefill_tok_s_all", pre, P > 0 ? reps : 0, "%.3f");
    bench_json_arr(stdout, "decode_tok_s_all", dec, N > 0 ? reps : 0, "%.3f");
    printf(", \"bandwidth_gbs_min\": %.3f, \"bandwidth_gbs_max\": %.3f, \"bandwidth_file_gbs\": %.3f, \"bw_mb\": %d, \"bw_loads\": \"%s\"",
           bench_min(bw, n_bw), bench_max(bw, n_bw), bwf_med, do_bw ? bw_mb : 0, bw_name);
    printf(", \"rss_file_mb\": %.1f, \"rss_anon_mb\": %.1f, \"rss_peak_mb\": %.1f, \"kv_cache_mb\": %.2f, \"n_ctx\": %d",
           mem.file, mem.anon, mem.hwm, kv_cache_mb, n_ctx);
    printf(", \"page_cache_read_gbs\": %.2f, \"loadavg_start\": %.2f, \"loadavg_end\": %.2f", warm_gbs, la0, la1);
    printf(", \"roofline_frac_bw_max\": %.4f, \"prefill_macs_per_token\": %.0f, \"prefill_gops\": %.1f, \"int8_peak_gops\": %.1f, "
           "\"prefill_peak_frac\": %.4f", frac_bwmax, macs, pre_gops, peak_gops, peak_gops > 0 ? pre_gops / peak_gops : 0.0);
    bench_json_str(stdout, "int8_peak_form", peak_form);
    bench_json_str(stdout, "kv_type", kv_es == 2 ? "f16" : "f32");
    printf(", \"decode_depth\": %d, \"bandwidth_best_gbs\": %.3f, \"roofline_frac_best\": %.4f", depth, bw_best, frac_best);
    bench_json_str(stdout, "device", backend_describe(c));
    if (have_prof) bench_json_profile(stdout, &prof);
    printf("}\n");
    bench_sink = sink;
    backend_free(c);
    olmoe_model_free(m);
    free(pre); free(dec); free(tok_ms); free(ids);
    return 0;
eval_fail:
    fprintf(stderr, "bench: decode (%s): %s\n", olmoe_result_str(res), backend_last_error(c));
fail:
    backend_free(c);
    olmoe_model_free(m);
    free(pre); free(dec); free(tok_ms); free(ids); free(bwbuf);
    return 1;
}
