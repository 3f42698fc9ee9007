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

/* On the GPU, cpu is still an olmoe_ctx: its forward pass is the hook below (olmoe_ctx_set_forward),
   so eval's checks, the token history, logits, generate, sampling, score and chat are the header's
   and only the arithmetic runs on the device. Every backend_* call goes through that context:
   one position and one history, whichever command drives it. */
struct backend {
    const olmoe_model *m;
    olmoe_ctx *cpu;
#ifdef OLMOE_WITH_CUDA
    ocu_ctx *gpu;
    uint8_t mask[4096];   /* the expert mask the device holds */
#endif
    char desc[256];
};

#ifdef OLMOE_WITH_CUDA
/* olmoe_forward_fn over the GPU: bring the device's cache in line with the context (a lower pos is
   a truncate; a device that holds less, e.g. after a failed step, re-evaluates the history), the
   expert mask too, then evaluate straight into the context's logits. */
static olmoe_result gpu_forward(void *user, const olmoe_forward_call *fc, char *err, size_t en) {
    backend *b = (backend *)user;
    olmoe_result r = OLMOE_OK;
    int have = ocu_pos(b->gpu);
    if (fc->n_expert > (int)sizeof b->mask) { snprintf(err, en, "%d experts: the GPU path takes at most %d", fc->n_expert, (int)sizeof b->mask); return OLMOE_ERR_UNSUPPORTED; }
    if (memcmp(b->mask, fc->expert_allowed, (size_t)fc->n_expert)) {
        if ((r = ocu_set_expert_mask(b->gpu, fc->expert_allowed, fc->n_expert)) != OLMOE_OK) goto fail;
        memcpy(b->mask, fc->expert_allowed, (size_t)fc->n_expert);
    }
    if (have > fc->pos) { ocu_truncate(b->gpu, fc->pos); have = fc->pos; }
    if (have < fc->pos && (r = ocu_eval_into(b->gpu, fc->history + have, fc->pos - have, 0, fc->logits)) != OLMOE_OK) goto fail;
    if ((r = ocu_eval_into(b->gpu, fc->tokens, fc->n, fc->logits_all, fc->logits)) != OLMOE_OK) goto fail;
    return OLMOE_OK;
fail:
    snprintf(err, en, "%s", ocu_last_error(b->gpu));
    return r;
}
#endif

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
            /* the host context only keeps history and logits: one thread, batches of one token
               (its KV cache is allocated but never written, so never touched) */
            olmoe_ctx_params hp = p ? *p : olmoe_ctx_default_params();
            ocu_params gp;
            hp.n_threads = 1;
            hp.n_batch = 1;
            if ((r = olmoe_ctx_create(m, &hp, &b->cpu, err, en)) != OLMOE_OK) { free(b); return r; }
            memset(&gp, 0, sizeof gp);
            gp.n_ctx = olmoe_ctx_n_ctx(b->cpu);
            gp.n_batch = p ? p->n_batch : 0;
            r = ocu_create(m, &gp, &b->gpu, err, en);
            if (r != OLMOE_OK) { olmoe_ctx_free(b->cpu); free(b); return r; }
            memset(b->mask, 1, sizeof b->mask);
            olmoe_ctx_set_forward(b->cpu, gpu_forward, b);
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
    return olmoe_ctx_eval(b->cpu, tokens, n, logits_all);
}
const float *backend_logits(const backend *b, int i) { return olmoe_ctx_logits(b->cpu, i); }
olmoe_result backend_truncate(backend *b, int n_keep) { return olmoe_ctx_truncate(b->cpu, n_keep); }
int backend_pos(const backend *b) { return olmoe_ctx_pos(b->cpu); }
int backend_n_ctx(const backend *b) { return olmoe_ctx_n_ctx(b->cpu); }
olmoe_result backend_opt_out(backend *b, const char *list) { return olmoe_ctx_opt_out(b->cpu, list); }
const char *backend_last_error(const backend *b) { return olmoe_ctx_last_error(b->cpu); }

int backend_is_gpu(const backend *b) {
#ifdef OLMOE_WITH_CUDA
    return b && b->gpu;
#else
    (void)b;
    return 0;
#endif
}
const char *backend_describe(const backend *b) { return b->desc; }
olmoe_ctx *backend_cpu_ctx(backend *b) { return b && !backend_is_gpu(b) ? b->cpu : NULL; }
olmoe_ctx *backend_ctx(backend *b) { return b ? b->cpu : NULL; }

double backend_device_bw_gbs(backend *b, size_t bytes, int reps) {
#ifdef OLMOE_WITH_CUDA
    if (b->gpu) return ocu_copy_bw_gbs(b->gpu, bytes, reps);
#endif
    (void)b; (void)bytes; (void)reps;
    return -1.0;
}
