/* tools/backend.h over olmoe.h's own forward pass (build/olmoe). Compiled again with
   OLMOE_WITH_CUDA for build/olmoe-cuda (make cuda): then a backend may hold the GPU path of
   tools/cuda/ instead, chosen at backend_create. */
#include "backend.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef OLMOE_WITH_CUDA
#include "cuda/olmoe_cuda.h"
#endif

struct backend {
    const olmoe_model *m;
    olmoe_ctx *cpu;
#ifdef OLMOE_WITH_CUDA
    ocu_ctx *gpu;
#endif
    char desc[256];
    char err[512];
};

int backend_parse_device(const char *s) {
    if (!strcmp(s, "auto")) return BACKEND_AUTO;
    if (!strcmp(s, "cpu")) return BACKEND_CPU;
    if (!strcmp(s, "cuda")) return BACKEND_CUDA;
    return -1;
}

int backend_has_cuda(void) {
#ifdef OLMOE_WITH_CUDA
    return 1;
#else
    return 0;
#endif
}

olmoe_result backend_create(const olmoe_model *m, const olmoe_ctx_params *p, int device, backend **out,
                            char *err, size_t en) {
    backend *b;
    olmoe_result r;
    if (err && en) err[0] = 0;
    if (!out) return OLMOE_ERR_INVALID_ARG;
    *out = NULL;
    if (device != BACKEND_AUTO && device != BACKEND_CPU && device != BACKEND_CUDA) {
        snprintf(err, en, "unknown device %d", device);
        return OLMOE_ERR_INVALID_ARG;
    }
#ifndef OLMOE_WITH_CUDA
    if (device == BACKEND_CUDA) {
        snprintf(err, en, "--device cuda: this build has no GPU path (build it with `make cuda` and run build/olmoe-cuda)");
        return OLMOE_ERR_UNSUPPORTED;
    }
#endif
    b = (backend *)calloc(1, sizeof *b);
    if (!b) { snprintf(err, en, "out of memory"); return OLMOE_ERR_OOM; }
    b->m = m;
#ifdef OLMOE_WITH_CUDA
    if (device != BACKEND_CPU) {
        char msg[256], why[512];
        int n = ocu_device_count(msg, sizeof msg);
        if (n <= 0) {
            if (device == BACKEND_CUDA) {
                snprintf(err, en, "--device cuda: no CUDA device (%s)", msg);
                free(b);
                return OLMOE_ERR_UNSUPPORTED;
            }
            fprintf(stderr, "[gpu] no CUDA device (%s): running on the CPU\n", msg);
        } else if (ocu_supports(m, why, sizeof why) != 0) {
            if (device == BACKEND_CUDA) {
                snprintf(err, en, "--device cuda: %s", why);
                free(b);
                return OLMOE_ERR_UNSUPPORTED;
            }
            fprintf(stderr, "[gpu] %s: running on the CPU\n", why);
        } else {
            ocu_params gp;
            memset(&gp, 0, sizeof gp);
            gp.n_ctx = p ? p->n_ctx : 0;
            gp.n_batch = p ? p->n_batch : 0;
            r = ocu_create(m, &gp, &b->gpu, err, en);
            if (r != OLMOE_OK) { free(b); return r; }
            snprintf(b->desc, sizeof b->desc, "cuda: %s", ocu_device_desc(b->gpu));
            fprintf(stderr, "[gpu] forward pass on %s\n", ocu_device_desc(b->gpu));
            *out = b;
            return OLMOE_OK;
        }
    }
#endif
    r = olmoe_ctx_create(m, p, &b->cpu, err, en);
    if (r != OLMOE_OK) { free(b); return r; }
    snprintf(b->desc, sizeof b->desc, "cpu");
    *out = b;
    return OLMOE_OK;
}

void backend_free(backend *b) {
    if (!b) return;
    olmoe_ctx_free(b->cpu);
#ifdef OLMOE_WITH_CUDA
    ocu_free(b->gpu);
#endif
    free(b);
}

olmoe_result backend_eval(backend *b, const int32_t *tokens, int n, int logits_all) {
#ifdef OLMOE_WITH_CUDA
    b->err[0] = 0;   /* an opt-out's message is not this eval's */
    if (b->gpu) return ocu_eval(b->gpu, tokens, n, logits_all);
#endif
    return olmoe_ctx_eval(b->cpu, tokens, n, logits_all);
}

const float *backend_logits(const backend *b, int i) {
#ifdef OLMOE_WITH_CUDA
    if (b->gpu) return ocu_logits(b->gpu, i);
#endif
    return olmoe_ctx_logits(b->cpu, i);
}

olmoe_result backend_truncate(backend *b, int n_keep) {
#ifdef OLMOE_WITH_CUDA
    if (b->gpu) return ocu_truncate(b->gpu, n_keep);
#endif
    return olmoe_ctx_truncate(b->cpu, n_keep);
}

int backend_pos(const backend *b) {
#ifdef OLMOE_WITH_CUDA
    if (b->gpu) return ocu_pos(b->gpu);
#endif
    return olmoe_ctx_pos(b->cpu);
}

int backend_n_ctx(const backend *b) {
#ifdef OLMOE_WITH_CUDA
    if (b->gpu) return ocu_n_ctx(b->gpu);
#endif
    return olmoe_ctx_n_ctx(b->cpu);
}

olmoe_result backend_opt_out(backend *b, const char *list) {
#ifdef OLMOE_WITH_CUDA
    if (b->gpu) {
        uint8_t allowed[4096];
        olmoe_result r;
        if (olmoe_model_config(b->m)->n_expert > 4096) return OLMOE_ERR_UNSUPPORTED;
        r = olmoe_model_expert_mask(b->m, list, allowed, (int)sizeof allowed, b->err, sizeof b->err);
        if (r != OLMOE_OK) return r;
        return ocu_set_expert_mask(b->gpu, allowed, olmoe_model_config(b->m)->n_expert);
    }
#endif
    return olmoe_ctx_opt_out(b->cpu, list);
}

const char *backend_last_error(const backend *b) {
#ifdef OLMOE_WITH_CUDA
    if (b->gpu) return b->err[0] ? b->err : ocu_last_error(b->gpu);
#endif
    return olmoe_ctx_last_error(b->cpu);
}

int backend_is_gpu(const backend *b) { return b && !b->cpu; }
const char *backend_describe(const backend *b) { return b->desc; }
olmoe_ctx *backend_cpu_ctx(backend *b) { return b ? b->cpu : NULL; }

double backend_device_bw_gbs(backend *b, size_t bytes, int reps) {
#ifdef OLMOE_WITH_CUDA
    if (b->gpu) return ocu_copy_bw_gbs(b->gpu, bytes, reps);
#endif
    (void)b; (void)bytes; (void)reps;
    return -1.0;
}
