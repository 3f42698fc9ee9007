/* The forward pass behind the CLI commands: olmoe.h on the CPU, or in build/olmoe-cuda a GPU.
   tools/backend_cpu.c implements it; built with OLMOE_WITH_CUDA (make cuda) it runs the GPU path
   of tools/cuda/ when the CUDA runtime finds a device and the CPU header otherwise. Either way a
   backend holds an olmoe_ctx (backend_ctx): on the GPU its forward pass is a hook
   (olmoe_ctx_set_forward) that runs on the device, so olmoe_generate, olmoe_ctx_score and the chat
   loop on that context run there too. backend_eval / _logits / _truncate / _pos / _opt_out are
   that context's olmoe_ctx_* calls. */
#ifndef OLMOE_BACKEND_H
#define OLMOE_BACKEND_H
#include "../olmoe.h"

typedef struct backend backend;
enum { BACKEND_AUTO = 0, BACKEND_CPU = 1, BACKEND_CUDA = 2 };

/* --device auto|cpu|cuda -> BACKEND_*; -1 for another name. */
int backend_parse_device(const char *s);
/* Whether this build has a GPU path (build/olmoe-cuda). */
int backend_has_cuda(void);
/* device AUTO: the GPU when this build has one and a device is found, else the CPU; CUDA: the GPU
   or an error naming why not (a CPU-only build, no device, a weight type the GPU path lacks). When
   a GPU was looked for, one line on stderr says which path runs. The CPU path takes every field
   of p; the GPU path n_ctx and n_batch (its host context runs one thread). */
olmoe_result backend_create(const olmoe_model *m, const olmoe_ctx_params *p, int device, backend **out,
                            char *err, size_t en);
void backend_free(backend *b);
olmoe_result backend_eval(backend *b, const int32_t *tokens, int n, int logits_all);
const float *backend_logits(const backend *b, int i);
olmoe_result backend_truncate(backend *b, int n_keep);
int backend_pos(const backend *b);
int backend_n_ctx(const backend *b);
/* olmoe_ctx_opt_out's list ("2,5", "math,code"; "" allows all) */
olmoe_result backend_opt_out(backend *b, const char *list);
const char *backend_last_error(const backend *b);
int backend_is_gpu(const backend *b);
/* "cuda: NVIDIA H100 ... (sm_90, 132 SMs)" on the GPU, "cpu" else */
const char *backend_describe(const backend *b);
/* The CPU context (NULL on the GPU): for what only olmoe.h's own forward pass has (kernels, threads). */
olmoe_ctx *backend_cpu_ctx(backend *b);
/* The context every command evaluates with, on either path (owned by the backend). */
olmoe_ctx *backend_ctx(backend *b);
/* GPU: device-to-device copy bandwidth over `bytes` (read + written), median of reps; -1 on the CPU. */
double backend_device_bw_gbs(backend *b, size_t bytes, int reps);

#endif
