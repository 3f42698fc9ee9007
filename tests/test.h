/* Minimal test helpers shared by the test programs: each check prints one line; the program
   ends with "N passed, M failed" and exits nonzero if anything failed. */
#ifndef OLMOE_TEST_H
#define OLMOE_TEST_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>

static int t_pass, t_fail, t_verbose = 1;
/* When set, every check line names it first (the kernel path a model-level check ran on). */
static const char *t_tag;

static inline void t_check(int ok, const char *fmt, ...) {
    va_list ap;
    if (ok) t_pass++; else t_fail++;
    if (!ok || t_verbose) {
        printf("%s ", ok ? "ok  " : "FAIL");
        if (t_tag) printf("[%s] ", t_tag);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
    }
}
#define CHECK(cond, ...) t_check((cond) ? 1 : 0, __VA_ARGS__)

#ifdef OLMOE_H_INCLUDED
/* A context for the model tests (NULL, with the error printed, if it cannot be made). */
static inline olmoe_ctx *t_ctx(const olmoe_model *m, int n_ctx, int threads, int n_batch, int kernels, int kv_type) {
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    olmoe_ctx *c = NULL;
    char err[256];
    cp.n_ctx = n_ctx;
    cp.n_threads = threads;
    cp.n_batch = n_batch;
    cp.kernels = kernels;
    cp.kv_type = kv_type;
    if (olmoe_ctx_create(m, &cp, &c, err, sizeof err) != OLMOE_OK) printf("ctx_create: %s\n", err);
    return c;
}

/* The kernel paths this CPU and build can run (OLMOE_KERNELS_*, scalar first) into out[4]; count.
   Model-level tests run on each of them: an AVX-512 machine also checks AVX2 and scalar.
   OLMOE_TEST_KERNELS=scalar,avx2 (names) restricts the list. */
static inline int t_paths(int *out) {
    static const int all[] = {OLMOE_KERNELS_SCALAR, OLMOE_KERNELS_AVX2, OLMOE_KERNELS_AVX512, OLMOE_KERNELS_NEON};
    const char *only = getenv("OLMOE_TEST_KERNELS");
    int i, n = 0;
    for (i = 0; i < 4; i++) {
        const char *nm = olmoe_kernels_name(all[i]), *p;
        if (!olmoe_kernels_available(all[i])) continue;
        if (only && *only) {
            size_t l = strlen(nm);
            for (p = strstr(only, nm); p; p = strstr(p + 1, nm))
                if ((p == only || p[-1] == ',') && (p[l] == 0 || p[l] == ',')) break;
            if (!p) continue;
        }
        out[n++] = all[i];
    }
    return n;
}
#endif

static inline int t_finish(void) {
    printf("%d passed, %d failed\n", t_pass, t_fail);
    return t_fail ? 1 : 0;
}

/* Reads a whole file; NUL-terminated; *len gets the size. NULL if missing. */
static inline char *t_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = (char *)malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fclose(f); free(buf); return NULL; }
    buf[n] = 0;
    fclose(f);
    if (len) *len = (size_t)n;
    return buf;
}

static inline int t_write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    int ok;
    if (!f) return 0;
    ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* Parses whitespace-separated numbers into a malloc'd float array; returns count. */
static inline int t_parse_floats(const char *s, float **out) {
    int n = 0, cap = 1024;
    float *v = (float *)malloc(sizeof(float) * (size_t)cap);
    char *end;
    while (v) {
        double x = strtod(s, &end);
        if (end == s) break;
        if (n == cap) { v = (float *)realloc(v, sizeof(float) * (size_t)(cap *= 2)); if (!v) break; }
        v[n++] = (float)x;
        s = end;
    }
    *out = v;
    return n;
}
#endif
