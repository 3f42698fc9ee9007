/* The GPU forward pass of build/olmoe-cuda (tools/cuda/olmoe_cuda.cu), a C interface. The model is
   loaded by olmoe.h (tokenizer, metadata, the mapped tensors); ocu_create uploads its weights once
   and keeps an fp16 KV cache on the device; ocu_eval runs the forward pass there and copies the
   logits back. Semantics follow olmoe_ctx_*: same errors for bad tokens and a full context, the
   same logits up to rounding (int8 activations and the fp16 cache as olmoe.h's q8 and --kv f16). */
#ifndef OLMOE_CUDA_H
#define OLMOE_CUDA_H
#include "../../olmoe.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct ocu_ctx ocu_ctx;

typedef struct ocu_params {
    int n_ctx;     /* KV cache length; 0 = min(n_ctx_train, 4096) */
    int n_batch;   /* most tokens per pass (longer evals are split); 0 = 512 */
    int device;    /* CUDA device ordinal */
    int poison;    /* fill every scratch buffer with NaN bytes at creation (tests) */
    int no_graph;  /* decode without the CUDA graph (to compare) */
    int trace;     /* keep the routing of every layer of the last batch for ocu_route_trace (tests) */
} ocu_params;

/* Devices the runtime finds (0 without a driver or GPU); msg gets the reason or the device name. */
int ocu_device_count(char *msg, size_t n);
/* Every weight type the GPU path runs: 0 if it can run m, else -1 with the reason in err. */
int ocu_supports(const olmoe_model *m, char *err, size_t en);
olmoe_result ocu_create(const olmoe_model *m, const ocu_params *p, ocu_ctx **out, char *err, size_t en);
void ocu_free(ocu_ctx *c);
olmoe_result ocu_eval(ocu_ctx *c, const int32_t *tokens, int n, int logits_all);
/* The same with the logits rows (logits_all ? n : 1) written to dst, host memory the caller owns
   (an olmoe_ctx's, from a forward hook); ocu_logits has none after it. */
olmoe_result ocu_eval_into(ocu_ctx *c, const int32_t *tokens, int n, int logits_all, float *dst);
const float *ocu_logits(const ocu_ctx *c, int i);
int ocu_pos(const ocu_ctx *c);
int ocu_n_ctx(const ocu_ctx *c);
olmoe_result ocu_truncate(ocu_ctx *c, int n_keep);
/* allowed[e] == 0 masks expert e (olmoe_ctx_set_expert_mask's semantics); NULL allows all. */
olmoe_result ocu_set_expert_mask(ocu_ctx *c, const uint8_t *allowed, int n_expert);
/* With params.trace: the experts and weights token t (of the last batch, evaluated as one batch)
   was routed to in `layer`, by descending weight; returns K, or -1. */
int ocu_route_trace(const ocu_ctx *c, int layer, int t, int32_t *sel, float *w);
const char *ocu_last_error(const ocu_ctx *c);
const char *ocu_device_desc(const ocu_ctx *c);   /* "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs)" */
/* Device memory bandwidth: the median of reps device-to-device copies of `bytes`, in GB/s counting
   the bytes read and written; -1 on an error. */
double ocu_copy_bw_gbs(ocu_ctx *c, size_t bytes, int reps);
/* Bytes of device memory held for weights (after the repack) */
uint64_t ocu_weight_bytes(const ocu_ctx *c);

#ifdef __cplusplus
}
#endif
#endif
