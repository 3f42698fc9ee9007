/* olmoe.h - v0.2.0 - Mixture-of-Experts inference (OLMoE, FlexOlmo) in one C header.

   Runs the OLMoE family (OLMoE-1B-7B 0924/0125 and Instruct variants) and FlexOlmo
   from GGUF files (llama.cpp's `olmoe` layout) on CPUs. Public domain / MIT, see end of file.

   DO THIS
       #define OLMOE_IMPLEMENTATION      // in exactly ONE .c or .cpp file
       #include "olmoe.h"
   and build with   cc -O2 app.c -lm -lpthread
   Other files include "olmoe.h" without the define to get the declarations.

   EXAMPLE (top-5 next tokens after some ids; error handling shortened)
       char err[256];
       olmoe_model *m; olmoe_ctx *c;
       if (olmoe_model_load("model.gguf", NULL, &m, err, sizeof err) != OLMOE_OK) { puts(err); return 1; }
       olmoe_ctx_params cp = olmoe_ctx_default_params();
       cp.n_ctx = 512;
       if (olmoe_ctx_create(m, &cp, &c, err, sizeof err) != OLMOE_OK) { puts(err); return 1; }
       int32_t ids[] = { 12092, 1533 };
       if (olmoe_ctx_eval(c, ids, 2, 0) != OLMOE_OK) { puts(olmoe_ctx_last_error(c)); return 1; }
       const float *logits = olmoe_ctx_logits(c, -1);      // n_vocab floats, last position
       ...
       olmoe_ctx_free(c); olmoe_model_free(m);

   CONFIGURATION MACROS (define before including the implementation)
       OLMOE_IMPLEMENTATION   compile the implementation into this translation unit
       OLMOE_STATIC           make every API function static (several copies in one program)
       OLMOE_API              override the declaration prefix (default: extern)
       OLMOE_MALLOC/OLMOE_FREE  allocator (define both or neither; default malloc/free)
       OLMOE_ASSERT           assertion for programmer errors only (default assert)
       OLMOE_NO_THREADS       single-threaded build (no pthreads needed)
       OLMOE_OPENMP           run the thread pool's jobs as OpenMP parallel regions (-fopenmp)
       OLMOE_NO_SIMD          only the portable scalar kernels

   CONTRACT
     * Ownership. olmoe_model_load maps the file read-only; the weights are used in place and
       never copied. The model owns the mapping until olmoe_model_free. A context owns its KV
       cache, scratch buffers and thread pool until olmoe_ctx_free. Pointers returned by
       olmoe_ctx_logits are valid until the next eval/reset/free of that context.
     * Threads. A model is immutable after load: any number of contexts in any number of threads
       may share one model. A context must be used by one thread at a time (it is not locked;
       using one context from two threads at once is undefined). There is no global state.
     * Errors. Every fallible call returns an olmoe_result (OLMOE_OK == 0, errors < 0) and writes a
       message naming the problem (to the caller's buffer for load/create, to the context for
       eval). The library never calls exit() or abort() on bad input; OLMOE_ASSERT guards only
       against programmer errors such as a NULL context.
     * Bad input. A malformed GGUF gives a specific error code (OLMOE_ERR_TRUNCATED, _BAD_MAGIC,
       _SHAPE, ...) and never reads outside the mapping. An out-of-range token id gives
       OLMOE_ERR_TOKEN and leaves the context unchanged. A batch that does not fit the remaining
       context gives OLMOE_ERR_CONTEXT_FULL and leaves the context unchanged.
     * Determinism. Every output element is reduced in a fixed order by one thread, so within one
       kernel path (ctx params .kernels: scalar, avx2, avx512, neon) logits do not depend on the
       thread count, the batch size or split, or a row's neighbours, for every weight type;
       evaluating a sequence token by token gives the same logits as evaluating it at once. Two
       paths (or two compilers) may differ in the last bits, so a sampled continuation can too.
     * Files. olmoe_model_load refuses anything but a regular file (a FIFO, directory or device)
       with OLMOE_ERR_IO before it could block. olmoe_model_load_memory uses the caller's bytes in
       place, so they must outlive the model and start at a 4-byte-aligned address (malloc's are;
       f32/f16/bf16 tensors are read in place); a buffer that leaves a tensor misaligned is refused
       with OLMOE_ERR_ALIGNMENT, never read unaligned.

   API INDEX (declarations below, each with its contract)
     load        olmoe_model_load / _load_memory / _free, olmoe_model_config, olmoe_model_tensor,
                 olmoe_model_find_tensor, olmoe_model_meta_str, olmoe_model_bytes_per_token
     kernels     olmoe_kernels_available / _name, olmoe_ctx_kernels
     evaluate    olmoe_ctx_create / _free / _eval / _logits / _truncate / _pos / _tokens,
                 olmoe_ctx_set_forward (the forward pass supplied by the application, e.g. a GPU)
     experts     olmoe_ctx_opt_out, olmoe_ctx_set_expert_mask, olmoe_model_expert_index / _name,
                 olmoe_ctx_set_route_callback (routing trace)
     profile     olmoe_ctx_set_profile / olmoe_ctx_profile, olmoe_phase_name (time and bytes per
                 phase of the forward pass; off by default)
     text        olmoe_tokenize, olmoe_token_to_piece, olmoe_detokenize, olmoe_detok_* (streaming),
                 olmoe_chat_render (OLMoE Tulu templates), olmoe_generate (stream, stop strings)
     sampling    olmoe_sampler_init / _sample (rep-penalty, top-k, top-p, min-p, temperature, seed)
     scoring     olmoe_ctx_score (log-likelihood of a continuation), olmoe_logprob
     formats     olmoe_quantize_row / olmoe_dequantize_row (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0,
                 Q5_1, Q2_K..Q6_K, IQ4_NL, IQ4_XS: llama.cpp's reference quantizers, byte for byte),
                 fp16/bf16 helpers, olmoe_model_meta_int

   olmoe.h DOES NOT: download models, run on GPUs (an application may supply the forward pass:
   olmoe_ctx_set_forward), train, or parse Jinja in general (the known chat templates are
   recognised by their exact text; others are an explicit error).

   ABI: none promised before 1.0; the API grows by adding fields to zero-default param structs.
   HISTORY
     0.1.0  first release: OLMoE and FlexOlmo, GGUF f32/f16/bf16/q8_0/q4_0 (+q6_K head), AVX2,
            AVX-512 VNNI and NEON kernels, tokenizer with HF parity, opt-out, sampling, scoring.
     0.2.0  every GGUF type OLMoE is published in (K-quants, Q4_1/Q5_0/Q5_1, IQ4_NL/IQ4_XS) through
            one int8 block decoder per type; determinism on every kernel path (AVX2/NEON axpy
            tails); non-regular files refused before open can block; expert names checked;
            olmoe_kernels_available/_name, olmoe_model_find_tensor, olmoe_tensor_info.data.
*/
#ifndef OLMOE_H_INCLUDED
#define OLMOE_H_INCLUDED

/* The implementation uses POSIX (mmap, clock_gettime); ask for it before any system header. If
   the including file already pulled in system headers in strict ISO mode, a fallback is used. */
#if defined(OLMOE_IMPLEMENTATION) && !defined(_WIN32) && !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE) && !defined(_XOPEN_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stddef.h>
#include <stdint.h>

#define OLMOE_VERSION_MAJOR 0
#define OLMOE_VERSION_MINOR 2
#define OLMOE_VERSION_PATCH 0

#ifndef OLMOE_API
#ifdef OLMOE_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define OLMOE_API static __attribute__((unused))
#else
#define OLMOE_API static
#endif
#else
#define OLMOE_API extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- results ---------------------------------------------------------------------------- */
typedef enum olmoe_result {
    OLMOE_OK                  = 0,
    OLMOE_ERR_INVALID_ARG     = -1,  /* a NULL pointer, a bad parameter */
    OLMOE_ERR_IO              = -2,  /* the file cannot be opened, read or mapped */
    OLMOE_ERR_OOM             = -3,  /* an allocation failed */
    OLMOE_ERR_UNSUPPORTED     = -4,  /* an architecture or tensor type this build cannot run */
    OLMOE_ERR_CANCELLED       = -5,  /* a callback asked to stop */
    OLMOE_ERR_TRUNCATED       = -10, /* the file ends inside a header, table or tensor */
    OLMOE_ERR_BAD_MAGIC       = -11, /* not a GGUF file */
    OLMOE_ERR_BAD_VERSION     = -12, /* a GGUF version other than 2 or 3 */
    OLMOE_ERR_LIMIT           = -13, /* an absurd count, length or dimension */
    OLMOE_ERR_BAD_FORMAT      = -14, /* malformed metadata (bad value type, nested array, ...) */
    OLMOE_ERR_DUPLICATE       = -15, /* a key or tensor name appears twice */
    OLMOE_ERR_KEY_MISSING     = -16, /* a required metadata key is absent */
    OLMOE_ERR_KEY_TYPE        = -17, /* a metadata key has the wrong type */
    OLMOE_ERR_BAD_VALUE       = -18, /* a key or weight has an impossible value (0 layers, NaN norm) */
    OLMOE_ERR_TENSOR_MISSING  = -19, /* a required tensor is absent */
    OLMOE_ERR_SHAPE           = -20, /* a tensor has the wrong shape */
    OLMOE_ERR_TENSOR_TYPE     = -21, /* a tensor has an unknown or wrong type */
    OLMOE_ERR_TENSOR_RANGE    = -22, /* tensor data outside the data section, or overlapping */
    OLMOE_ERR_ALIGNMENT       = -23, /* bad alignment value or misaligned tensor offset */
    OLMOE_ERR_TOKEN           = -30, /* a token id outside [0, n_vocab) */
    OLMOE_ERR_CONTEXT_FULL    = -31  /* the batch does not fit in the context */
} olmoe_result;

OLMOE_API const char *olmoe_result_str(olmoe_result r);

/* ---- tensor types (GGML ids) -------------------------------------------------------------- */
enum {
    OLMOE_TYPE_F32 = 0, OLMOE_TYPE_F16 = 1, OLMOE_TYPE_Q4_0 = 2, OLMOE_TYPE_Q4_1 = 3,
    OLMOE_TYPE_Q5_0 = 6, OLMOE_TYPE_Q5_1 = 7, OLMOE_TYPE_Q8_0 = 8, OLMOE_TYPE_Q2_K = 10,
    OLMOE_TYPE_Q3_K = 11, OLMOE_TYPE_Q4_K = 12, OLMOE_TYPE_Q5_K = 13, OLMOE_TYPE_Q6_K = 14,
    OLMOE_TYPE_IQ4_NL = 20, OLMOE_TYPE_IQ4_XS = 23, OLMOE_TYPE_BF16 = 30
};
enum { OLMOE_ARCH_OLMOE = 0, OLMOE_ARCH_FLEX_OLMO = 1 };
enum {
    OLMOE_KERNELS_AUTO = 0, OLMOE_KERNELS_SCALAR = 1, OLMOE_KERNELS_AVX2 = 2,
    OLMOE_KERNELS_AVX512 = 3, OLMOE_KERNELS_NEON = 4
};

typedef struct olmoe_model olmoe_model;
typedef struct olmoe_ctx olmoe_ctx;

typedef struct olmoe_config {
    int arch;              /* OLMOE_ARCH_* */
    int n_vocab;           /* embedding rows */
    int n_embd;            /* hidden size d */
    int n_layer;
    int n_head, n_head_kv, head_dim;
    int n_expert, n_expert_used, n_ff;  /* n_ff: per expert */
    int n_ctx_train;
    float rope_theta, norm_eps;
    int bos_id, eos_id, pad_id;         /* -1 when the file names none */
} olmoe_config;

/* Load progress: return 0 to cancel (the load then fails with OLMOE_ERR_CANCELLED). */
typedef int (*olmoe_progress_fn)(float fraction, void *user);

typedef struct olmoe_model_params {
    olmoe_progress_fn progress;  /* optional */
    void *progress_user;
    int validate_weights;        /* 1 (default): reject NaN/Inf in norm and router weights (OLMOE_ERR_BAD_VALUE);
                                    0: no check; 2: also scan every tensor as llama.cpp's --check-tensors does:
                                    each f32/f16/bf16 element and each quantized block's fp16 scales (d, and
                                    m/dmin where the type has one); the message names the tensor and the
                                    element or block. Level 2 reads the whole file (all cores; see README) */
    int vocab_only;              /* load metadata and tokenizer only (no weights bound; no eval) */
} olmoe_model_params;

typedef struct olmoe_ctx_params {
    int n_ctx;      /* KV cache length in tokens; 0 = min(n_ctx_train, 4096) */
    int n_batch;    /* most tokens evaluated in one pass (longer evals are split); 0 = 256 */
    int n_threads;  /* 0 = all online cores */
    int kernels;    /* OLMOE_KERNELS_*; AUTO picks the best the CPU has */
    int kv_type;    /* the K/V cache's element: OLMOE_TYPE_F32 (0, the default) or OLMOE_TYPE_F16 (half
                       the memory and the bytes each decode step reads from it) */
} olmoe_ctx_params;

typedef struct olmoe_tensor_info {
    const char *name;   /* NUL-terminated, owned by the model */
    int type;           /* GGML type id */
    int n_dims;
    int64_t ne[4];      /* ne[0] innermost */
    uint64_t offset;    /* byte offset in the file */
    uint64_t nbytes;
    const void *data;   /* the tensor's bytes in the mapping (read-only, valid while the model lives;
                           NULL in a vocab-only model): what an accelerator back end uploads */
} olmoe_tensor_info;

/* ---- lifecycle and load ------------------------------------------------------------------- */
OLMOE_API olmoe_model_params olmoe_model_default_params(void);
OLMOE_API olmoe_ctx_params   olmoe_ctx_default_params(void);

/* Map and bind a GGUF file. On failure *out is NULL and err (if given) holds a message. */
OLMOE_API olmoe_result olmoe_model_load(const char *path, const olmoe_model_params *params,
                                        olmoe_model **out, char *err, size_t err_size);
/* Same from a caller-owned buffer that must outlive the model (no I/O; used by the fuzzer). */
OLMOE_API olmoe_result olmoe_model_load_memory(const void *data, size_t size,
                                               const olmoe_model_params *params,
                                               olmoe_model **out, char *err, size_t err_size);
OLMOE_API void olmoe_model_free(olmoe_model *m);
OLMOE_API const olmoe_config *olmoe_model_config(const olmoe_model *m);
OLMOE_API int  olmoe_model_n_tensors(const olmoe_model *m);
OLMOE_API olmoe_result olmoe_model_tensor(const olmoe_model *m, int i, olmoe_tensor_info *out);
/* The index of the tensor named `name` (llama.cpp's names, e.g. "blk.0.ffn_gate_exps.weight"), or -1. */
OLMOE_API int  olmoe_model_find_tensor(const olmoe_model *m, const char *name);
/* A string metadata value (e.g. "general.name"), NUL-terminated copy into buf; returns length or -1. */
OLMOE_API int  olmoe_model_meta_str(const olmoe_model *m, const char *key, char *buf, size_t n);
/* An integer metadata value (any GGUF integer type) as *out; -1 if absent or not an integer. */
OLMOE_API int  olmoe_model_meta_int(const olmoe_model *m, const char *key, int64_t *out);
OLMOE_API uint64_t olmoe_model_file_size(const olmoe_model *m);
/* Bytes of weights read to decode one token (attention, router, K experts, head, one embedding row). */
OLMOE_API uint64_t olmoe_model_bytes_per_token(const olmoe_model *m);

/* ---- contexts and evaluation ------------------------------------------------------------ */
OLMOE_API olmoe_result olmoe_ctx_create(const olmoe_model *m, const olmoe_ctx_params *params,
                                        olmoe_ctx **out, char *err, size_t err_size);
OLMOE_API void olmoe_ctx_free(olmoe_ctx *c);
/* Evaluate n tokens at the current position. logits_all: keep logits for every position
   (else only the last). Errors leave the context as it was. */
OLMOE_API olmoe_result olmoe_ctx_eval(olmoe_ctx *c, const int32_t *tokens, int n, int logits_all);
/* Logits (n_vocab floats) of position i of the last eval; i = -1 is the last. NULL if absent. */
OLMOE_API const float *olmoe_ctx_logits(const olmoe_ctx *c, int i);
OLMOE_API int  olmoe_ctx_pos(const olmoe_ctx *c);         /* tokens in the KV cache */
OLMOE_API const int32_t *olmoe_ctx_tokens(const olmoe_ctx *c); /* those tokens (olmoe_ctx_pos of them) */
OLMOE_API int  olmoe_ctx_n_ctx(const olmoe_ctx *c);
/* Forget everything after the first n_keep cached tokens (0 = clear). */
OLMOE_API olmoe_result olmoe_ctx_truncate(olmoe_ctx *c, int n_keep);
OLMOE_API const char *olmoe_ctx_last_error(const olmoe_ctx *c);
OLMOE_API int  olmoe_ctx_kernels(const olmoe_ctx *c);     /* the OLMOE_KERNELS_* in use */
/* Whether this CPU and build can run kernel path k (OLMOE_KERNELS_*; AUTO and SCALAR always can),
   and its name ("auto", "scalar", "avx2", "avx512", "neon"; NULL for an unknown k). Each path
   gives the same bits whatever the thread count and batch split; two paths differ in the last bits. */
OLMOE_API int  olmoe_kernels_available(int k);
OLMOE_API const char *olmoe_kernels_name(int k);
OLMOE_API int  olmoe_ctx_n_threads(const olmoe_ctx *c);
OLMOE_API int  olmoe_ctx_kv_type(const olmoe_ctx *c);     /* OLMOE_TYPE_F32 or OLMOE_TYPE_F16 */

/* ---- experts: opt-out and routing trace ------------------------------------------------ */
/* Expert opt-out for this context, in every layer: allowed[e] == 0 masks expert e. A masked
   expert's router logit counts as -inf before the softmax over all experts; top-k is taken among
   the allowed experts (K clamped to their number); the weights are not renormalised; a masked
   expert's router row and weights are never read. allowed == NULL allows all. At least one
   expert must stay allowed. Takes effect at the next eval; the KV cache is kept. */
OLMOE_API olmoe_result olmoe_ctx_set_expert_mask(olmoe_ctx *c, const uint8_t *allowed, int n_expert);
/* Opt out of the experts in a comma-separated list of indices or names ("2,5", "math,code";
   names come from the file's {arch}.expert_names). Replaces the current mask; "" allows all. */
OLMOE_API olmoe_result olmoe_ctx_opt_out(olmoe_ctx *c, const char *list);
/* The mask such a list means, without a context (what olmoe_ctx_opt_out applies; an accelerator
   back end applies it itself): allowed[0..n_expert) = 1 except the listed experts. n must be at
   least the model's n_expert. OLMOE_ERR_INVALID_ARG, with a message, for an unknown expert. */
OLMOE_API olmoe_result olmoe_model_expert_mask(const olmoe_model *m, const char *list, uint8_t *allowed, int n,
                                               char *err, size_t err_size);
/* Index of the expert with this name, or -1. Names exist only if the file stores them. */
OLMOE_API int olmoe_model_expert_index(const olmoe_model *m, const char *name);
/* Name of expert e into buf (NUL-terminated); returns its length, or -1 if the file names none. */
OLMOE_API int olmoe_model_expert_name(const olmoe_model *m, int e, char *buf, size_t n);

typedef struct olmoe_route_info {
    int layer, pos;          /* pos: absolute position of the token in the context */
    int n_used;              /* K actually used (clamped by the mask) */
    const int32_t *experts;  /* [n_used] chosen experts, by descending weight */
    const float *weights;    /* [n_used] their router probabilities (not renormalised) */
    const float *probs;      /* [n_expert] the full router distribution, or NULL if not asked */
    int n_expert;
} olmoe_route_info;
typedef void (*olmoe_route_fn)(const olmoe_route_info *info, void *user);
/* Routing trace: fn is called for every layer and token during eval (from the calling thread,
   in layer order, tokens in order). want_probs adds the full distribution. NULL turns it off. */
OLMOE_API void olmoe_ctx_set_route_callback(olmoe_ctx *c, olmoe_route_fn fn, void *user, int want_probs);

/* ---- forward hook: the arithmetic of eval supplied by the application (an accelerator) ----
   With a hook set, olmoe_ctx_eval still checks its arguments (token range, room in the context),
   keeps the position, the token history and the logits, and everything built on it (generate,
   the sampler, score, chat) works unchanged; only the forward pass is the hook's. Each eval is one
   call with all its tokens (n_batch does not split it). The hook keeps its own KV cache keyed by
   position: a call at a pos below what it holds means the context was truncated (truncate,
   score, a reset), so it drops what lies past pos; history lets it rebuild what it lacks. The
   context's expert mask (opt-out) comes with every call. The route callback is not called. */
typedef struct olmoe_forward_call {
    const int32_t *tokens;          /* n ids to append at pos, each checked to be in [0, n_vocab) */
    int n;                          /* >= 1, at most n_ctx - pos */
    int pos;                        /* position of tokens[0] */
    const int32_t *history;         /* [pos]: the tokens before (olmoe_ctx_tokens) */
    int logits_all;                 /* the eval's flag */
    float *logits;                  /* out: logits_all ? n : 1 (the last token's) rows of n_vocab */
    const uint8_t *expert_allowed;  /* [n_expert]: 0 = the expert is masked (olmoe_ctx_set_expert_mask) */
    int n_expert;
} olmoe_forward_call;
/* Returns OLMOE_OK, or an error code with a message written to err (err_size bytes): the eval
   then fails with that code and message, its position unchanged and no logits kept. */
typedef olmoe_result (*olmoe_forward_fn)(void *user, const olmoe_forward_call *call, char *err, size_t err_size);
/* Install (fn != NULL) or remove (NULL) the hook. Either empties the context (truncate to 0): the
   cached keys and values of one forward pass mean nothing to the other. */
OLMOE_API void olmoe_ctx_set_forward(olmoe_ctx *c, olmoe_forward_fn fn, void *user);
/* ---- per-phase profile of the forward pass ------------------------------------------------
   Off by default, and then it reads no clock (one predictable branch per phase). On, each phase
   of every eval is timed on the calling thread, its pool barrier included, and what it reads is
   counted. A decode token is one eval of one token; divide by olmoe_profile.tokens. */
enum {
    OLMOE_PHASE_EMBED,        /* token embedding rows (dequantized) */
    OLMOE_PHASE_ATTN_NORM,    /* attention RMSNorm (FlexOlmo: the copy that replaces it) */
    OLMOE_PHASE_QUANT,        /* Q8_0 quantization of the activations (all five sites) */
    OLMOE_PHASE_QKV,          /* Q, K, V projections */
    OLMOE_PHASE_QK_NORM_ROPE, /* Q/K RMSNorm and RoPE */
    OLMOE_PHASE_ATTENTION,    /* K/V cache write, scores, softmax, weighted V sum */
    OLMOE_PHASE_ATTN_OUT,     /* output projection, (FlexOlmo post-norm,) residual add */
    OLMOE_PHASE_FFN_NORM,     /* MoE RMSNorm (FlexOlmo: the copy) */
    OLMOE_PHASE_ROUTER,       /* router matvec, softmax, top-k, grouping by expert, route callback */
    OLMOE_PHASE_GATE_UP,      /* selected experts' gate and up rows, silu(gate) * up */
    OLMOE_PHASE_DOWN,         /* selected experts' down rows, weighted sum, (post-norm,) residual */
    OLMOE_PHASE_OUT_NORM,     /* final RMSNorm */
    OLMOE_PHASE_HEAD,         /* output head (lm_head) */
    OLMOE_PHASE_COUNT
};
typedef struct olmoe_profile_phase {
    double seconds;       /* wall time on the calling thread, summed over calls */
    double wait_seconds;  /* of which the calling thread waited at the pool's barrier for the other
                             threads to finish their share (0 with one thread or under OpenMP) */
    uint64_t calls;       /* times the phase ran (per layer phases: n_layer per eval) */
    uint64_t bytes;       /* bytes read from weights (experts: the selected ones' rows only; the
                             router: the allowed experts' rows) and, for ATTENTION, from the K/V
                             cache. For one decode token without a mask the phases other than
                             ATTENTION add up to olmoe_model_bytes_per_token. */
} olmoe_profile_phase;
typedef struct olmoe_profile {
    olmoe_profile_phase phase[OLMOE_PHASE_COUNT];
    double eval_seconds;  /* wall time of the profiled olmoe_ctx_eval calls; what the phases leave
                             of it is bookkeeping between them (argument checks, batch split) */
    uint64_t evals, tokens;
} olmoe_profile;
/* Turn profiling on (nonzero: the counters restart from zero) or off (they are kept). */
OLMOE_API olmoe_result olmoe_ctx_set_profile(olmoe_ctx *c, int on);
/* The counters since profiling was last turned on (all zero if it never was). */
OLMOE_API olmoe_result olmoe_ctx_profile(const olmoe_ctx *c, olmoe_profile *out);
/* "embed", "attn_norm", "quant", "qkv", "qk_norm_rope", "attention", "attn_out", "ffn_norm",
   "router", "gate_up", "down", "out_norm", "head"; NULL for another index. */
OLMOE_API const char *olmoe_phase_name(int phase);

/* ---- scoring ------------------------------------------------------------------------------ */
/* Log-likelihood of `cont` following `context` (n_context >= 1), from one evaluation pass:
   the context is reset first. logprobs (optional, n_cont floats) gets each token's natural-log
   probability, *sum their sum (double), *is_greedy whether every token was the argmax. */
OLMOE_API olmoe_result olmoe_ctx_score(olmoe_ctx *c, const int32_t *context, int n_context,
                                       const int32_t *cont, int n_cont, float *logprobs,
                                       double *sum, int *is_greedy);
/* log-softmax of one logit row at token t (double precision). */
OLMOE_API double olmoe_logprob(const float *logits, int n_vocab, int32_t t);

/* ---- chat templates ------------------------------------------------------------------------
   The known OLMoE templates are recognised by their exact text (the GGUF key
   tokenizer.chat_template, copied from tokenizer_config.json) and rendered exactly as Hugging
   Face apply_chat_template renders them: the OLMoE-1B-7B-0924-Instruct (Tulu) template and the
   Tulu-3 / OLMo-2 template. Any other template is OLMOE_ERR_UNSUPPORTED, never a guess. */
typedef struct olmoe_chat_msg { const char *role; const char *content; } olmoe_chat_msg;
enum { OLMOE_CHAT_UNKNOWN = 0, OLMOE_CHAT_OLMOE_0924 = 1, OLMOE_CHAT_TULU3 = 2 };
OLMOE_API int olmoe_chat_template_kind(const char *tmpl, size_t len);
/* Render into out (NUL-terminated when it fits); returns the full length, or a negative
   olmoe_result. bos/eos: the token strings the template inserts. */
OLMOE_API int olmoe_chat_render_template(const char *tmpl, size_t tmpl_len, const char *bos, const char *eos,
                                         const olmoe_chat_msg *msgs, int n, int add_generation_prompt,
                                         char *out, size_t cap);
/* Same with the model's own template and bos/eos tokens. */
OLMOE_API int olmoe_chat_render(const olmoe_model *m, const olmoe_chat_msg *msgs, int n,
                                int add_generation_prompt, char *out, size_t cap);

/* ---- sampling ------------------------------------------------------------------------------
   Order (as llama.cpp): repetition penalty -> top-k -> top-p -> min-p (on the untempered
   distribution) -> temperature -> draw. temperature <= 0 is greedy (argmax after the penalty).
   The draw uses the sampler's own seeded RNG, so a seed gives the same tokens on any thread count. */
typedef struct olmoe_sampler_params {
    float temperature;     /* default 0.8; <= 0 greedy */
    int top_k;             /* default 40; <= 0 off */
    float top_p;           /* default 0.95; >= 1 off */
    float min_p;           /* default 0.05; <= 0 off */
    float repeat_penalty;  /* default 1.0 (off); > 1 penalises tokens among the last repeat_last_n */
    int repeat_last_n;     /* default 64 */
    uint64_t seed;         /* default 0x5eed */
} olmoe_sampler_params;

typedef struct olmoe_sampler {   /* transparent: copy it to fork a sampler */
    olmoe_sampler_params p;
    uint64_t rng[4];
} olmoe_sampler;

OLMOE_API olmoe_sampler_params olmoe_sampler_default_params(void);
OLMOE_API void olmoe_sampler_init(olmoe_sampler *s, const olmoe_sampler_params *p);
/* Pick the next token from logits (n_vocab floats, not modified). recent: previous tokens for the
   repetition penalty (may be NULL). Uses c's scratch memory; returns a token id, or a negative
   olmoe_result on bad arguments. */
OLMOE_API int32_t olmoe_sampler_sample(olmoe_sampler *s, olmoe_ctx *c, const float *logits,
                                       const int32_t *recent, int n_recent);
/* Uniform float in [0,1) from the sampler's RNG (xoshiro256**). */
OLMOE_API float olmoe_sampler_uniform(olmoe_sampler *s);

/* ---- generation ---------------------------------------------------------------------------
   Text in, text out: the prompt is tokenized (special-token text recognised) and appended to the
   context after the tokens already there; generated text streams to on_text in complete UTF-8
   sequences; generation stops at n_predict tokens, the end-of-sequence token, a stop string (not
   emitted), a full context, or when on_text returns 0 (OLMOE_ERR_CANCELLED). */
typedef int (*olmoe_text_fn)(const char *text, size_t len, void *user);  /* return 0 to cancel */
enum { OLMOE_STOP_LENGTH = 0, OLMOE_STOP_EOS = 1, OLMOE_STOP_STRING = 2, OLMOE_STOP_CANCELLED = 3, OLMOE_STOP_CONTEXT_FULL = 4 };
typedef struct olmoe_gen_params {
    olmoe_sampler_params sampling;
    int n_predict;              /* most new tokens; default 256 */
    const char *const *stop;    /* stop strings */
    int n_stop;
    int ignore_eos;             /* keep going past the end-of-sequence token */
    olmoe_text_fn on_text;      /* optional */
    void *user;
} olmoe_gen_params;
typedef struct olmoe_gen_stats {
    int n_prompt, n_gen, stop_reason;
    double prefill_s, decode_s;  /* wall time of the prompt eval and of the generated tokens */
} olmoe_gen_stats;
OLMOE_API olmoe_gen_params olmoe_gen_default_params(void);
OLMOE_API olmoe_result olmoe_generate(olmoe_ctx *c, const char *prompt, const olmoe_gen_params *p, olmoe_gen_stats *stats);
/* Seconds from a monotonic clock. */
OLMOE_API double olmoe_time_now(void);

/* ---- formats (used by converters and tests) ------------------------------------------- */
OLMOE_API const char *olmoe_type_name(int type);          /* "q4_0", ...; NULL if unknown */
OLMOE_API int      olmoe_type_block_size(int type);       /* elements per block; 0 if unknown */
OLMOE_API uint64_t olmoe_type_row_size(int type, int64_t n);  /* bytes for n elements */
/* Quantize/convert n floats (n a multiple of the block size) to type; reference rounding. */
OLMOE_API olmoe_result olmoe_quantize_row(int type, const float *x, void *out, int64_t n);
OLMOE_API olmoe_result olmoe_dequantize_row(int type, const void *in, float *y, int64_t n);
OLMOE_API uint16_t olmoe_fp32_to_fp16(float f);
OLMOE_API float    olmoe_fp16_to_fp32(uint16_t h);
OLMOE_API uint16_t olmoe_fp32_to_bf16(float f);
OLMOE_API float    olmoe_bf16_to_fp32(uint16_t h);

/* ---- tokenizer and text (section >>tokenizer) -------------------------------------------- */
/* >>tokenizer_api (inside extern "C").

   Byte-level BPE as Hugging Face `tokenizers` runs it for OLMoE (GPT-NeoX-style, NFC, GPT-2 regex)
   and FlexOlmo (dolma2 / cl100k regex), built from the GGUF's tokenizer.ggml.* keys. Every call
   works on an immutable model: any number of threads may tokenize with one model at once.

   Encoding, in HF's order: (1) added tokens are split out of the text, leftmost-longest. Control
   tokens (token_type 3, HF special=true) are matched on the raw text, and only when parse_special
   is nonzero; user-defined tokens (type 4, HF special=false, e.g. OLMoE's space runs) are always
   matched, on the normalized text when the tokenizer normalizes (without a normalizer both kinds
   are matched in one leftmost-longest pass). (2) The rest is NFC-normalized when the file says so
   (tokenizer.olmoe.normalizer = "nfc", or tokenizer.ggml.pre = "olmo" without that key). (3) It
   is split by the pre-tokenizer regex (the verbatim tokenizer.olmoe.pre_regex when present, else
   tokenizer.ggml.pre "olmo"/"gpt-2": GPT-2; "dbrx": dolma2/cl100k). (4) Each piece's bytes are
   merged by merge rank.
   Unicode: the regex classes follow Unicode 16.0.0 and NFC follows Unicode 9.0.0, the versions
   HF `tokenizers` 0.23 uses (see >>unicode_tables).

   INVALID UTF-8 in the text is not an error: each byte that is not part of a well-formed UTF-8
   sequence is kept as it is and treated as one character of class "other" (like punctuation; it
   is never letter, digit or space and never changes under NFC). The byte-level BPE encodes it as
   its byte token, so the pieces (olmoe_token_to_piece) give the input bytes back (after NFC, for
   a tokenizer that normalizes). A vocabulary without a token for some byte drops that byte, as
   HF drops a character outside its vocabulary: the OLMoE vocabulary has none for the 13 bytes
   that never occur in UTF-8 (C0 C1 F5..FF); dolma2 has all 256.
   olmoe_detokenize and olmoe_detok_* turn such bytes into U+FFFD, as HF decode does. */

/* Tokenize len bytes of text. Returns the number of tokens; at most cap are written to out (out
   may be NULL when cap is 0), so a result > cap means: call again with a bigger buffer. parse_special
   = 1 recognises the text of control tokens such as "<|endoftext|>" (HF encode(text,
   add_special_tokens=False)); 0 tokenizes it as plain text (HF encode_special_tokens=True). No BOS
   or EOS is added. The count is at most 3 * len (NFC can triple a text's bytes; without a
   normalizer it is at most len). Negative olmoe_result on error: OLMOE_ERR_UNSUPPORTED if the
   model has no tokenizer this build can run, OLMOE_ERR_OOM, OLMOE_ERR_LIMIT for a text over
   512 MiB (tokenize it in parts) or past INT_MAX tokens. */
OLMOE_API int olmoe_tokenize(const olmoe_model *m, const char *text, size_t len, int32_t *out, int cap,
                             int parse_special);

/* The bytes of one token (byte-level decoded; may be part of a UTF-8 sequence; added tokens give
   their text). Writes min(length, n) bytes to buf, plus a NUL when length < n, and returns the
   length (so buf = NULL, n = 0 asks for the length). An id in [0, n_vocab) that the tokenizer does
   not define (padding rows, UNUSED tokens) gives 0: HF decode skips it. OLMOE_ERR_TOKEN for other
   ids, OLMOE_ERR_UNSUPPORTED without a tokenizer. */
OLMOE_API int olmoe_token_to_piece(const olmoe_model *m, int32_t id, char *buf, size_t n);

/* 1 if id is a control token (token_type 3: HF special=true, e.g. <|endoftext|>), else 0. */
OLMOE_API int olmoe_token_is_special(const olmoe_model *m, int32_t id);

/* Decode a whole sequence like HF decode(ids, skip_special_tokens=False): pieces concatenated,
   ill-formed UTF-8 replaced by U+FFFD per maximal subpart (Rust String::from_utf8_lossy). Returns
   the text's length; writes min(length, cap) bytes and a NUL when length < cap. Negative on error
   (OLMOE_ERR_TOKEN for an id outside [0, n_vocab); nothing is promised about out then). */
OLMOE_API int olmoe_detokenize(const olmoe_model *m, const int32_t *ids, int n, char *out, size_t cap);

/* Streaming detokenizer: emits only complete, well-formed UTF-8. Bytes that can no longer become
   a valid sequence turn into U+FFFD as soon as that is known; an incomplete tail waits for the next
   token (or becomes U+FFFD at flush). The concatenation of everything emitted equals
   olmoe_detokenize of the same ids. A zeroed struct is a valid initial state. */
typedef struct olmoe_detok {
    unsigned char pending[4];  /* an incomplete UTF-8 prefix (at most 3 bytes) */
    int n_pending;
} olmoe_detok;

OLMOE_API void olmoe_detok_init(olmoe_detok *d);
/* Feed one token; writes the newly completed text to out (no NUL) and returns its length. A cap of
   3 * (olmoe_token_to_piece(m, id, NULL, 0) + 3) always suffices; with less room than this token
   needs it returns OLMOE_ERR_LIMIT and leaves the state unchanged. OLMOE_ERR_TOKEN for a bad id
   (state unchanged). */
OLMOE_API int olmoe_detok_push(olmoe_detok *d, const olmoe_model *m, int32_t id, char *out, size_t cap);
/* End of stream: writes U+FFFD (3 bytes) if an incomplete sequence is pending, resets the state,
   and returns the length written (0 or 3); OLMOE_ERR_LIMIT (state kept) if cap < 3 is needed. */
OLMOE_API int olmoe_detok_flush(olmoe_detok *d, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* OLMOE_H_INCLUDED */

/* =========================================================================================== */
/*                                    IMPLEMENTATION                                           */
/* =========================================================================================== */
#if defined(OLMOE_IMPLEMENTATION) && !defined(OLMOE_IMPLEMENTATION_INCLUDED)
#define OLMOE_IMPLEMENTATION_INCLUDED

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <math.h>
#include <float.h>
#include <limits.h>
#include <assert.h>
#include <errno.h>

#if defined(OLMOE_MALLOC) != defined(OLMOE_FREE)
#error "define both OLMOE_MALLOC and OLMOE_FREE, or neither"
#endif
#ifndef OLMOE_MALLOC
#define OLMOE_MALLOC(sz) malloc(sz)
#define OLMOE_FREE(p) free(p)
#endif
#ifndef OLMOE_ASSERT
#define OLMOE_ASSERT(x) assert(x)
#endif

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>
#include <sched.h>
#include <sys/time.h>
#endif
/* Threads: a pthreads pool by default; OLMOE_OPENMP runs the same jobs in OpenMP parallel
   regions (build with -fopenmp); OLMOE_NO_THREADS runs everything on the caller. */
#if !defined(OLMOE_NO_THREADS) && !defined(OLMOE_OPENMP)
#define OLMOE__PTHREADS 1
#include <pthread.h>
#endif
#if defined(OLMOE_OPENMP) && !defined(OLMOE_NO_THREADS)
#include <omp.h>
#endif

#define OLMOE__MIN(a, b) ((a) < (b) ? (a) : (b))
#define OLMOE__MAX(a, b) ((a) > (b) ? (a) : (b))
/* Asks for the n bytes at p, a 64-byte line at a time, to be brought into the cache: LOC 3 the L1
   (x86 prefetcht0), 2 the L2 (prefetcht1). A hint: nothing where the compiler has no builtin. */
#if defined(__GNUC__) || defined(__clang__)
#define OLMOE__PREFETCH(p, n, LOC)                                                                  \
    do {                                                                                            \
        size_t pf_l_;                                                                               \
        for (pf_l_ = 0; pf_l_ < (size_t)(n); pf_l_ += 64) __builtin_prefetch((const char *)(p) + pf_l_, 0, LOC); \
    } while (0)
#else
#define OLMOE__PREFETCH(p, n, LOC) ((void)(p), (void)(n))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* >>errors ================================================================================ */
OLMOE_API const char *olmoe_result_str(olmoe_result r) {
    switch (r) {
    case OLMOE_OK: return "ok";
    case OLMOE_ERR_INVALID_ARG: return "invalid argument";
    case OLMOE_ERR_IO: return "i/o error";
    case OLMOE_ERR_OOM: return "out of memory";
    case OLMOE_ERR_UNSUPPORTED: return "unsupported";
    case OLMOE_ERR_CANCELLED: return "cancelled";
    case OLMOE_ERR_TRUNCATED: return "truncated file";
    case OLMOE_ERR_BAD_MAGIC: return "not a GGUF file";
    case OLMOE_ERR_BAD_VERSION: return "unsupported GGUF version";
    case OLMOE_ERR_LIMIT: return "value beyond limits";
    case OLMOE_ERR_BAD_FORMAT: return "malformed metadata";
    case OLMOE_ERR_DUPLICATE: return "duplicate key or tensor";
    case OLMOE_ERR_KEY_MISSING: return "missing metadata key";
    case OLMOE_ERR_KEY_TYPE: return "metadata key of wrong type";
    case OLMOE_ERR_BAD_VALUE: return "bad value";
    case OLMOE_ERR_TENSOR_MISSING: return "missing tensor";
    case OLMOE_ERR_SHAPE: return "wrong tensor shape";
    case OLMOE_ERR_TENSOR_TYPE: return "wrong tensor type";
    case OLMOE_ERR_TENSOR_RANGE: return "tensor data out of range";
    case OLMOE_ERR_ALIGNMENT: return "bad alignment";
    case OLMOE_ERR_TOKEN: return "token id out of range";
    case OLMOE_ERR_CONTEXT_FULL: return "context full";
    }
    return "unknown error";
}

static olmoe_result olmoe__fail(char *buf, size_t n, olmoe_result r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static olmoe_result olmoe__fail(char *buf, size_t n, olmoe_result r, const char *fmt, ...) {
    if (buf && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, n, fmt, ap);
        va_end(ap);
    }
    return r;
}

static void *olmoe__calloc(size_t n, size_t sz) {
    void *p;
    if (sz && n > SIZE_MAX / sz) return NULL;
    p = OLMOE_MALLOC((n * sz) != 0 ? n * sz : 1);
    if (p) memset(p, 0, n * sz);
    return p;
}

/* 64-byte aligned allocation on top of OLMOE_MALLOC, zeroed unless zero == 0 (large buffers
   such as the KV cache stay untouched, so their pages are not made resident before use). */
static void *olmoe__aligned_alloc_z(size_t sz, int zero);
static void *olmoe__aligned_alloc(size_t sz) { return olmoe__aligned_alloc_z(sz, 1); }
static void *olmoe__aligned_alloc_z(size_t sz, int zero) {
    unsigned char *raw, *p;
    if (sz > SIZE_MAX - 64 - sizeof(void *)) return NULL;
    raw = (unsigned char *)OLMOE_MALLOC(sz + 64 + sizeof(void *));
    if (!raw) return NULL;
    p = (unsigned char *)(((uintptr_t)(raw + sizeof(void *)) + 63) & ~(uintptr_t)63);
    memcpy(p - sizeof(void *), &raw, sizeof(void *));
    if (zero) memset(p, 0, sz);
    return p;
}
static void olmoe__aligned_free(void *p) {
    void *raw;
    if (!p) return;
    memcpy(&raw, (unsigned char *)p - sizeof(void *), sizeof(void *));
    OLMOE_FREE(raw);
}

/* >>platform: file mapping =================================================================== */
typedef struct olmoe__map {
    const uint8_t *data;
    size_t size;
    int owned;          /* 1: mapped by us */
#ifdef _WIN32
    HANDLE file, mapping;
#endif
} olmoe__map;

static olmoe_result olmoe__map_file(const char *path, olmoe__map *m, char *err, size_t en) {
    memset(m, 0, sizeof(*m));
#ifdef _WIN32
    {
        LARGE_INTEGER sz;
        m->file = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                              FILE_ATTRIBUTE_NORMAL, NULL);
        if (m->file == INVALID_HANDLE_VALUE) return olmoe__fail(err, en, OLMOE_ERR_IO, "%s: cannot open", path);
        if (!GetFileSizeEx(m->file, &sz) || sz.QuadPart <= 0) {
            CloseHandle(m->file);
            return olmoe__fail(err, en, sz.QuadPart == 0 ? OLMOE_ERR_TRUNCATED : OLMOE_ERR_IO, "%s: empty or unreadable file", path);
        }
        m->mapping = CreateFileMappingA(m->file, NULL, PAGE_READONLY, 0, 0, NULL);
        if (!m->mapping) { CloseHandle(m->file); return olmoe__fail(err, en, OLMOE_ERR_IO, "%s: cannot map", path); }
        m->data = (const uint8_t *)MapViewOfFile(m->mapping, FILE_MAP_READ, 0, 0, 0);
        if (!m->data) { CloseHandle(m->mapping); CloseHandle(m->file); return olmoe__fail(err, en, OLMOE_ERR_IO, "%s: cannot map", path); }
        m->size = (size_t)sz.QuadPart;
        m->owned = 1;
    }
#else
    {
        struct stat st;
        void *p;
        /* O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer before fstat can
           refuse it; on a regular file the flag changes nothing */
        int fd = open(path, O_RDONLY | O_NONBLOCK);
        if (fd < 0) return olmoe__fail(err, en, OLMOE_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            close(fd);
            return olmoe__fail(err, en, OLMOE_ERR_IO, "%s: not a regular file (%s)", path,
                               S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO" : "a device or special file");
        }
        if (st.st_size == 0) {
            close(fd);
            return olmoe__fail(err, en, OLMOE_ERR_TRUNCATED, "%s: empty file", path);
        }
        if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
            close(fd);
            return olmoe__fail(err, en, OLMOE_ERR_LIMIT, "%s: file too large for this address space", path);
        }
        p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        close(fd);
        if (p == MAP_FAILED) return olmoe__fail(err, en, OLMOE_ERR_IO, "%s: mmap failed", path);
        m->data = (const uint8_t *)p;
        m->size = (size_t)st.st_size;
        m->owned = 1;
    }
#endif
    return OLMOE_OK;
}

static void olmoe__unmap(olmoe__map *m) {
    if (!m->owned || !m->data) return;
#ifdef _WIN32
    UnmapViewOfFile(m->data);
    CloseHandle(m->mapping);
    CloseHandle(m->file);
#else
    munmap((void *)m->data, m->size);
#endif
    m->data = NULL;
}

OLMOE_API double olmoe_time_now(void) {
#ifdef _WIN32
    LARGE_INTEGER f, t;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&t);
    return (double)t.QuadPart / (double)f.QuadPart;
#elif defined(CLOCK_MONOTONIC)
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
#else
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
#endif
}

static int olmoe__n_cpus(void) {
#ifdef _WIN32
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return (int)si.dwNumberOfProcessors;
#else
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
#endif
}

/* >>formats ================================================================================ */
OLMOE_API float olmoe_fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    float f;
    if (exp == 0) {
        if (man == 0) bits = sign;
        else { /* subnormal */
            float v = (float)man * (1.0f / 16777216.0f); /* man * 2^-24 */
            memcpy(&bits, &v, 4);
            bits |= sign;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    memcpy(&f, &bits, 4);
    return f;
}

OLMOE_API uint16_t olmoe_fp32_to_fp16(float f) {
    /* round to nearest even, like _cvtss_sh / numpy */
    uint32_t x, sign, mant;
    int32_t exp;
    memcpy(&x, &f, 4);
    sign = (x >> 16) & 0x8000;
    exp = (int32_t)((x >> 23) & 0xff);
    mant = x & 0x7fffff;
    if (exp == 255) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 | (mant >> 13) : 0));
    exp = exp - 127 + 15;
    if (exp >= 31) return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) {
        uint32_t m, shift, r, half;
        if (exp < -10) return (uint16_t)sign;
        m = mant | 0x800000;
        shift = (uint32_t)(14 - exp);
        r = m >> shift;
        half = 1u << (shift - 1);
        if ((m & ((half << 1) - 1)) > half || ((m & ((half << 1) - 1)) == half && (r & 1))) r++;
        return (uint16_t)(sign | r);
    } else {
        uint32_t r = ((uint32_t)exp << 10) | (mant >> 13);
        uint32_t rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) r++;
        return (uint16_t)(sign | r);
    }
}

OLMOE_API float olmoe_bf16_to_fp32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

OLMOE_API uint16_t olmoe_fp32_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 64); /* quiet NaN */
    return (uint16_t)((x + (0x7fff + ((x >> 16) & 1))) >> 16);
}

#define OLMOE__QK 32
typedef struct { uint16_t d; int8_t qs[32]; } olmoe__block_q8_0;   /* 34 bytes */
typedef struct { uint16_t d; uint8_t qs[16]; } olmoe__block_q4_0;  /* 18 bytes */
typedef struct { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; } olmoe__block_q6_K; /* 210 */
/* The activation of Q4_K/Q5_K/Q6_K rows (ggml's block_q8_K fields): 256 values, the integer sum
   of every 16 values (the min and offset terms), one fp32 scale; padded to 5 cache lines, so the
   values of a block in a 64-byte aligned record are read with aligned 32-byte loads (at ggml's
   292 bytes, half the loads crossed a cache line). The values are stored in quads: value v of
   32-group g at olmoe__k8_pos (bytes 32i..32i+31 of quad k = values 8i..8i+7 of groups 4k..4k+3),
   the arrangement the SIMD kernels decode weights into; the sums are of values 16k..16k+15. */
typedef struct { int8_t qs[256]; int16_t bsums[16]; float d; uint8_t pad[28]; } olmoe__block_q8_K; /* 320 */
static int olmoe__k8_pos(int i) { int g = i >> 5, v = i & 31; return 128 * (g >> 2) + 32 * (v >> 3) + 8 * (g & 3) + (v & 7); }

typedef struct { int type; const char *name; int blck; int bytes; } olmoe__type_traits;
/* Sizes of every GGML type id, so that files holding types we cannot run still parse. */
static const olmoe__type_traits olmoe__types[] = {
    {0, "f32", 1, 4}, {1, "f16", 1, 2}, {2, "q4_0", 32, 18}, {3, "q4_1", 32, 20},
    {6, "q5_0", 32, 22}, {7, "q5_1", 32, 24}, {8, "q8_0", 32, 34}, {9, "q8_1", 32, 36},
    {10, "q2_K", 256, 84}, {11, "q3_K", 256, 110}, {12, "q4_K", 256, 144}, {13, "q5_K", 256, 176},
    {14, "q6_K", 256, 210}, {15, "q8_K", 256, 292}, {16, "iq2_xxs", 256, 66}, {17, "iq2_xs", 256, 74},
    {18, "iq3_xxs", 256, 98}, {19, "iq1_s", 256, 50}, {20, "iq4_nl", 32, 18}, {21, "iq3_s", 256, 110},
    {22, "iq2_s", 256, 82}, {23, "iq4_xs", 256, 136}, {24, "i8", 1, 1}, {25, "i16", 1, 2},
    {26, "i32", 1, 4}, {27, "i64", 1, 8}, {28, "f64", 1, 8}, {29, "iq1_m", 256, 56},
    {30, "bf16", 1, 2}, {34, "tq1_0", 256, 54}, {35, "tq2_0", 256, 66}
};

static const olmoe__type_traits *olmoe__type(int type) {
    size_t i;
    for (i = 0; i < sizeof(olmoe__types) / sizeof(olmoe__types[0]); i++)
        if (olmoe__types[i].type == type) return &olmoe__types[i];
    return NULL;
}
OLMOE_API const char *olmoe_type_name(int type) {
    const olmoe__type_traits *t = olmoe__type(type);
    return t ? t->name : NULL;
}
OLMOE_API int olmoe_type_block_size(int type) {
    const olmoe__type_traits *t = olmoe__type(type);
    return t ? t->blck : 0;
}
OLMOE_API uint64_t olmoe_type_row_size(int type, int64_t n) {
    const olmoe__type_traits *t = olmoe__type(type);
    if (!t || n < 0) return 0;
    return (uint64_t)(n / t->blck) * (uint64_t)t->bytes;
}

/* clang contracts a * b + c into an FMA by default where the target has one (aarch64, or -mfma);
   the quantizers start with this to keep ggml's roundings (GCC in ISO C modes never contracts) */
#if defined(__clang__)
#define OLMOE__NO_FMA _Pragma("clang fp contract(off)")
#else
#define OLMOE__NO_FMA
#endif

static void olmoe__quantize_q8_0_ref(const float *x, olmoe__block_q8_0 *y, int64_t n) {
    int64_t b;
    int j;
    for (b = 0; b < n / 32; b++) {
        float amax = 0.0f, d, id;
        for (j = 0; j < 32; j++) amax = OLMOE__MAX(amax, fabsf(x[b * 32 + j]));
        d = amax / 127.0f;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = olmoe_fp32_to_fp16(d);
        for (j = 0; j < 32; j++) {
            float v = roundf(x[b * 32 + j] * id);
            /* NaN (non-finite weights in a hostile file) converts to 0, as the SIMD paths do */
            y[b].qs[j] = (int8_t)(v >= -127.0f && v <= 127.0f ? (int)v : 0);
        }
    }
}

/* Q8_K activations: d = amax / 127 over 256 values (NaN skipped), q = round(x / d) as
   quantize_q8_0_ref does per 32 (the same rounding, NaN -> 0), d kept in fp32. */
static void olmoe__quantize_q8_K_ref(const float *x, olmoe__block_q8_K *y, int64_t n) {
    int64_t b;
    int j;
    for (b = 0; b < n / 256; b++) {
        float amax = 0.0f, d, id;
        for (j = 0; j < 256; j++) amax = OLMOE__MAX(fabsf(x[b * 256 + j]), amax); /* NaN: skipped */
        d = amax / 127.0f;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = d;
        for (j = 0; j < 16; j++) y[b].bsums[j] = 0;
        for (j = 0; j < 256; j++) {
            float v = roundf(x[b * 256 + j] * id);
            int q = v >= -127.0f && v <= 127.0f ? (int)v : 0;
            y[b].qs[olmoe__k8_pos(j)] = (int8_t)q;
            y[b].bsums[j >> 4] = (int16_t)(y[b].bsums[j >> 4] + q);
        }
        memset(y[b].pad, 0, sizeof y[b].pad);
    }
}

static void olmoe__quantize_q4_0_ref(const float *x, olmoe__block_q4_0 *y, int64_t n) {
    OLMOE__NO_FMA
    int64_t b;
    int j;
    for (b = 0; b < n / 32; b++) {
        const float *xb = x + b * 32;
        float amax = 0.0f, max = 0.0f, d, id;
        for (j = 0; j < 32; j++)
            if (fabsf(xb[j]) > amax) { amax = fabsf(xb[j]); max = xb[j]; }
        d = max / -8.0f;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = olmoe_fp32_to_fp16(d);
        for (j = 0; j < 16; j++) {
            float f0 = xb[j] * id + 8.5f, f1 = xb[j + 16] * id + 8.5f;
            int q0 = f0 >= 0.0f ? (f0 < 15.0f ? (int)f0 : 15) : 0;   /* NaN -> 0 */
            int q1 = f1 >= 0.0f ? (f1 < 15.0f ? (int)f1 : 15) : 0;
            y[b].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

static void olmoe__dequant_q6_K(const olmoe__block_q6_K *b, float *y) {
    float d = olmoe_fp16_to_fp32(b->d);
    int h, l;
    for (h = 0; h < 2; h++) {
        const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
        const int8_t *sc = b->scales + 8 * h;
        float *yy = y + 128 * h;
        for (l = 0; l < 32; l++) {
            int is = l / 16;
            int q1 = (int)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
            int q2 = (int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            yy[l] = d * sc[is] * q1;
            yy[l + 32] = d * sc[is + 2] * q2;
            yy[l + 64] = d * sc[is + 4] * q3;
            yy[l + 96] = d * sc[is + 6] * q4;
        }
    }
}

/* ---- K-quants, legacy 32-blocks and IQ4 (>>kquants) ----------------------------------------
   Each type has a block decoder to one common form, so the dot machinery of every ISA path is
   shared and a type costs one decoder (plus its reference quantizer). A decoded block of B
   values (B = 32 or 256) holds:
     q[i]          the values as int8 (each type's integer code, offset and lookup applied)
     s[k], m[k]    per 16 values: an integer scale and an integer min
     d[g], dm[g]   per 32 values: the float factor of the scaled sum and of the min sum
   so that value i = d[g] * s[k] * q[i] + dm[g] * m[k] (g = i / 32, k = i / 16), which is ggml's
   dequantization bit for bit (d * sc first, then times q; the min term added last; QUANTS.md
   §1.2). Against a Q8_0 activation block g (scale dy, values y) the dot is
     dy * (d[g] * (s[2g] * S0 + s[2g+1] * S1) + dm[g] * (m[2g] * Y0 + m[2g+1] * Y1))
   with S0, S1 the integer sums of q * y over the two halves and Y0, Y1 those of y: every part in
   brackets is an exact integer (|.| < 2^24), so each ISA needs only int8 dots and half-sums. */
typedef struct olmoe__dec {
    int8_t q[256];
    int16_t s[16], m[16];
    float d[8], dm[8];
} olmoe__dec;
/* 256-value types decode a block to the whole form (g = 0); 32-value types to group g of it, so
   8 of their blocks make one form */
typedef void (*olmoe__decode_fn)(const uint8_t *blk, olmoe__dec *o, int g);

static const int8_t olmoe__kvalues_iq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

static float olmoe__ldh(const uint8_t *p) { uint16_t h; memcpy(&h, p, 2); return olmoe_fp16_to_fp32(h); }
/* one factor for every 32-group and one integer scale/min for every 16 values */
static void olmoe__dec_fill(olmoe__dec *o, int g0, int ng, float d, float dm, int s, int m) {
    int g;
    for (g = g0; g < g0 + ng; g++) {
        o->d[g] = d; o->dm[g] = dm;
        o->s[2 * g] = o->s[2 * g + 1] = (int16_t)s;
        o->m[2 * g] = o->m[2 * g + 1] = (int16_t)m;
    }
}
/* Q4_K/Q5_K 6-bit scale and min of sub-block j (ggml's get_scale_min_k4) */
static void olmoe__scale_min_k4(int j, const uint8_t *q, int *sc, int *mn) {
    if (j < 4) { *sc = q[j] & 63; *mn = q[j + 4] & 63; }
    else { *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4); *mn = (q[j + 4] >> 4) | ((q[j] >> 6) << 4); }
}

static void olmoe__dec_q4_1(const uint8_t *b, olmoe__dec *o, int g) {
    int8_t *q = o->q + 32 * g;
    int j;
    olmoe__dec_fill(o, g, 1, olmoe__ldh(b), olmoe__ldh(b + 2), 1, 1);
    for (j = 0; j < 16; j++) { q[j] = (int8_t)(b[4 + j] & 0xF); q[j + 16] = (int8_t)(b[4 + j] >> 4); }
}
static void olmoe__dec_q5_0(const uint8_t *b, olmoe__dec *o, int g) {
    uint32_t qh = (uint32_t)b[2] | (uint32_t)b[3] << 8 | (uint32_t)b[4] << 16 | (uint32_t)b[5] << 24;
    int8_t *q = o->q + 32 * g;
    int j;
    olmoe__dec_fill(o, g, 1, olmoe__ldh(b), 0.0f, 1, 0);
    for (j = 0; j < 16; j++) {
        q[j] = (int8_t)(((b[6 + j] & 0xF) | ((qh >> j) & 1) << 4) - 16);
        q[j + 16] = (int8_t)(((b[6 + j] >> 4) | ((qh >> (j + 16)) & 1) << 4) - 16);
    }
}
static void olmoe__dec_q5_1(const uint8_t *b, olmoe__dec *o, int g) {
    uint32_t qh = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
    int8_t *q = o->q + 32 * g;
    int j;
    olmoe__dec_fill(o, g, 1, olmoe__ldh(b), olmoe__ldh(b + 2), 1, 1);
    for (j = 0; j < 16; j++) {
        q[j] = (int8_t)((b[8 + j] & 0xF) | ((qh >> j) & 1) << 4);
        q[j + 16] = (int8_t)((b[8 + j] >> 4) | ((qh >> (j + 16)) & 1) << 4);
    }
}
static void olmoe__dec_iq4_nl(const uint8_t *b, olmoe__dec *o, int g) {
    int8_t *q = o->q + 32 * g;
    int j;
    olmoe__dec_fill(o, g, 1, olmoe__ldh(b), 0.0f, 1, 0);
    for (j = 0; j < 16; j++) {
        q[j] = olmoe__kvalues_iq4nl[b[2 + j] & 0xF];
        q[j + 16] = olmoe__kvalues_iq4nl[b[2 + j] >> 4];
    }
}
static void olmoe__dec_q2_K(const uint8_t *b, olmoe__dec *o, int g0) {
    const uint8_t *sc = b, *qs = b + 16;
    float d = olmoe__ldh(b + 80), dmin = olmoe__ldh(b + 82);
    int h, s, l, k;
    (void)g0;
    olmoe__dec_fill(o, 0, 8, d, -dmin, 0, 0);
    for (k = 0; k < 16; k++) { o->s[k] = (int16_t)(sc[k] & 0xF); o->m[k] = (int16_t)(sc[k] >> 4); }
    for (h = 0; h < 2; h++)
        for (s = 0; s < 4; s++)
            for (l = 0; l < 32; l++) o->q[128 * h + 32 * s + l] = (int8_t)((qs[32 * h + l] >> (2 * s)) & 3);
}
static void olmoe__dec_q3_K(const uint8_t *b, olmoe__dec *o, int g0) {
    const uint8_t *hm = b, *qs = b + 32, *sc = b + 96;
    int h, s, l, k;
    (void)g0;
    olmoe__dec_fill(o, 0, 8, olmoe__ldh(b + 108), 0.0f, 0, 0);
    for (k = 0; k < 16; k++) {
        int lo = k < 8 ? sc[k] & 0xF : sc[k - 8] >> 4, hi = (sc[8 + (k & 3)] >> (2 * (k >> 2))) & 3;
        o->s[k] = (int16_t)((lo | hi << 4) - 32);
    }
    for (h = 0; h < 2; h++)
        for (s = 0; s < 4; s++)
            for (l = 0; l < 32; l++) {
                int lo = (qs[32 * h + l] >> (2 * s)) & 3, hb = (hm[l] >> (4 * h + s)) & 1;
                o->q[128 * h + 32 * s + l] = (int8_t)(lo - (hb ? 0 : 4));
            }
}
/* the Q4_K/Q5_K header: d, dmin and the 8 6-bit scales and mins (shared with the SIMD decoders) */
static void olmoe__dec_k4_head(const uint8_t *b, olmoe__dec *o) {
    float d = olmoe__ldh(b), dmin = olmoe__ldh(b + 2);
    int g, sc, mn;
    for (g = 0; g < 8; g++) {
        olmoe__scale_min_k4(g, b + 4, &sc, &mn);
        o->d[g] = d; o->dm[g] = -dmin;
        o->s[2 * g] = o->s[2 * g + 1] = (int16_t)sc;
        o->m[2 * g] = o->m[2 * g + 1] = (int16_t)mn;
    }
}
static void olmoe__dec_q4_K(const uint8_t *b, olmoe__dec *o, int g0) {
    const uint8_t *qs = b + 16;
    int g, l;
    (void)g0;
    olmoe__dec_k4_head(b, o);
    for (g = 0; g < 4; g++)
        for (l = 0; l < 32; l++) {
            o->q[64 * g + l] = (int8_t)(qs[32 * g + l] & 0xF);
            o->q[64 * g + 32 + l] = (int8_t)(qs[32 * g + l] >> 4);
        }
}
static void olmoe__dec_q5_K(const uint8_t *b, olmoe__dec *o, int g0) {
    const uint8_t *qh = b + 16;
    int i;
    olmoe__dec_q4_K(b, o, g0); /* same header; the low nibbles sit 32 bytes later */
    {
        const uint8_t *qs = b + 48;
        int g, l;
        for (g = 0; g < 4; g++)
            for (l = 0; l < 32; l++) {
                o->q[64 * g + l] = (int8_t)(qs[32 * g + l] & 0xF);
                o->q[64 * g + 32 + l] = (int8_t)(qs[32 * g + l] >> 4);
            }
    }
    for (i = 0; i < 256; i++) o->q[i] = (int8_t)(o->q[i] + 16 * ((qh[i & 31] >> (i >> 5)) & 1));
}
static void olmoe__dec_q6_K_head(const uint8_t *b, olmoe__dec *o) {
    int k;
    olmoe__dec_fill(o, 0, 8, olmoe__ldh(b + 208), 0.0f, 0, 0);
    for (k = 0; k < 16; k++) o->s[k] = (int8_t)b[192 + k];
}
static void olmoe__dec_q6_K(const uint8_t *b, olmoe__dec *o, int g0) {
    const uint8_t *ql = b, *qh = b + 128;
    int h, s, l;
    (void)g0;
    olmoe__dec_q6_K_head(b, o);
    for (h = 0; h < 2; h++)
        for (s = 0; s < 4; s++)
            for (l = 0; l < 32; l++) {
                int by = ql[64 * h + 32 * (s & 1) + l], lo = s < 2 ? by & 0xF : by >> 4;
                int hi = (qh[32 * h + l] >> (2 * s)) & 3;
                o->q[128 * h + 32 * s + l] = (int8_t)((lo | hi << 4) - 32);
            }
}
static void olmoe__dec_iq4_xs(const uint8_t *b, olmoe__dec *o, int g0) {
    float d = olmoe__ldh(b);
    unsigned sh = (unsigned)b[2] | (unsigned)b[3] << 8;
    const uint8_t *qs = b + 8;
    int g, j;
    (void)g0;
    for (g = 0; g < 8; g++) {
        int ls = ((b[4 + g / 2] >> (4 * (g & 1))) & 0xF) | (int)(((sh >> (2 * g)) & 3) << 4);
        o->d[g] = d; o->dm[g] = 0.0f;
        o->s[2 * g] = o->s[2 * g + 1] = (int16_t)(ls - 32);
        o->m[2 * g] = o->m[2 * g + 1] = 0;
        for (j = 0; j < 16; j++) {
            o->q[32 * g + j] = olmoe__kvalues_iq4nl[qs[16 * g + j] & 0xF];
            o->q[32 * g + 16 + j] = olmoe__kvalues_iq4nl[qs[16 * g + j] >> 4];
        }
    }
}

/* The decoded types: GGML id, values and bytes a block, decoder, whether it has a min term, and
   whether its rows are dotted with the Q8_K activation (k8; else the Q8_0 one). */
typedef struct olmoe__qtype { int type, blck, bytes; olmoe__decode_fn decode; int has_min, k8; } olmoe__qtype;
static const olmoe__qtype olmoe__qtypes[] = {
    {OLMOE_TYPE_Q4_1, 32, 20, olmoe__dec_q4_1, 1, 0}, {OLMOE_TYPE_Q5_0, 32, 22, olmoe__dec_q5_0, 0, 0},
    {OLMOE_TYPE_Q5_1, 32, 24, olmoe__dec_q5_1, 1, 0}, {OLMOE_TYPE_Q2_K, 256, 84, olmoe__dec_q2_K, 1, 0},
    {OLMOE_TYPE_Q3_K, 256, 110, olmoe__dec_q3_K, 0, 0}, {OLMOE_TYPE_Q4_K, 256, 144, olmoe__dec_q4_K, 1, 1},
    {OLMOE_TYPE_Q5_K, 256, 176, olmoe__dec_q5_K, 1, 1}, {OLMOE_TYPE_Q6_K, 256, 210, olmoe__dec_q6_K, 0, 1},
    {OLMOE_TYPE_IQ4_NL, 32, 18, olmoe__dec_iq4_nl, 0, 0}, {OLMOE_TYPE_IQ4_XS, 256, 136, olmoe__dec_iq4_xs, 0, 0}
};
#define OLMOE__N_QTYPES 10
static int olmoe__qtype_index(int type) {
    int i;
    for (i = 0; i < OLMOE__N_QTYPES; i++)
        if (olmoe__qtypes[i].type == type) return i;
    return -1;
}
static const olmoe__qtype *olmoe__qtype_of(int type) {
    size_t i;
    for (i = 0; i < sizeof olmoe__qtypes / sizeof olmoe__qtypes[0]; i++)
        if (olmoe__qtypes[i].type == type) return &olmoe__qtypes[i];
    return NULL;
}
static void olmoe__dequant_dec(const olmoe__qtype *qt, const uint8_t *in, float *y, int64_t n) {
    olmoe__dec D;
    int64_t b;
    int i;
    for (b = 0; b < n / qt->blck; b++, y += qt->blck) {
        qt->decode(in + (size_t)b * (size_t)qt->bytes, &D, 0);
        for (i = 0; i < qt->blck; i++) {
            float v = (D.d[i >> 5] * (float)D.s[i >> 4]) * (float)D.q[i];
            y[i] = qt->has_min ? v + D.dm[i >> 5] * (float)D.m[i >> 4] : v;
        }
    }
}

/* ---- reference quantizers (>>kquants_ref): ggml's quantize_row_*_ref / quantize_iq4_* without
   an importance matrix (QUANTS.md §4), so `olmoe quantize` writes llama-quantize's bytes. Float
   expressions keep ggml's evaluation order; the build must not contract them into FMAs (ISO C
   modes, -std=c99 / -std=c++11, do not). */
#define OLMOE__GROUP_MAX_EPS 1e-15f
static int olmoe__nearest_int(float f) {
    float v = f + 12582912.0f; /* 1.5 * 2^23: the mantissa holds the rounded value (ties to even) */
    int32_t i;
    memcpy(&i, &v, 4);
    return (i & 0x007fffff) - 0x00400000;
}
/* (int)v for the small casts ggml writes as (int8_t)(x + 0.5f); NaN and out-of-range give lo */
static int olmoe__trunc_cl(float v, int lo, int hi) { return v >= (float)lo ? (v < (float)hi ? (int)v : hi) : lo; }

static float olmoe__make_qkx2(int n, int nmax, const float *x, const float *w, uint8_t *L, float *the_min,
                              uint8_t *Laux, float rmin, float rdelta, int nstep, int use_mad) {
    OLMOE__NO_FMA
    float min = x[0], max = x[0], sum_w = w[0], sum_x = sum_w * x[0], iscale, scale, best = 0.0f;
    int i, is;
    for (i = 1; i < n; i++) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        for (i = 0; i < n; i++) L[i] = 0;
        *the_min = -min;
        return 0.0f;
    }
    iscale = nmax / (max - min);
    scale = 1 / iscale;
    for (i = 0; i < n; i++) {
        int l = olmoe__nearest_int(iscale * (x[i] - min));
        float diff;
        L[i] = (uint8_t)OLMOE__MAX(0, OLMOE__MIN(nmax, l));
        diff = scale * L[i] + min - x[i];
        diff = use_mad ? fabsf(diff) : diff * diff;
        best += w[i] * diff;
    }
    for (is = 0; is <= nstep; is++) {
        float sum_l = 0, sum_l2 = 0, sum_xl = 0, D;
        iscale = (rmin + rdelta * is + nmax) / (max - min);
        for (i = 0; i < n; i++) {
            int l = olmoe__nearest_int(iscale * (x[i] - min));
            l = OLMOE__MAX(0, OLMOE__MIN(nmax, l));
            Laux[i] = (uint8_t)l;
            sum_l += w[i] * l;
            sum_l2 += w[i] * l * l;
            sum_xl += w[i] * l * x[i];
        }
        D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D, cur = 0;
            if (this_min > 0) { this_min = 0; this_scale = sum_xl / sum_l2; }
            for (i = 0; i < n; i++) {
                float diff = this_scale * Laux[i] + this_min - x[i];
                diff = use_mad ? fabsf(diff) : diff * diff;
                cur += w[i] * diff;
            }
            if (cur < best) {
                for (i = 0; i < n; i++) L[i] = Laux[i];
                best = cur; scale = this_scale; min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

static float olmoe__make_q3(int n, int nmax, const float *x, int8_t *L) {
    OLMOE__NO_FMA
    float max = 0, amax = 0, iscale, sumlx = 0, suml2 = 0;
    int i, itry;
    for (i = 0; i < n; i++) {
        float ax = fabsf(x[i]);
        if (ax > amax) { amax = ax; max = x[i]; }
    }
    if (amax < OLMOE__GROUP_MAX_EPS) {
        for (i = 0; i < n; i++) L[i] = 0;
        return 0.0f;
    }
    iscale = -nmax / max;
    for (i = 0; i < n; i++) {
        int l = olmoe__nearest_int(iscale * x[i]);
        float w = x[i] * x[i];
        l = OLMOE__MAX(-nmax, OLMOE__MIN(nmax - 1, l));
        L[i] = (int8_t)l;
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    for (itry = 0; itry < 5; itry++) {
        int changed = 0;
        for (i = 0; i < n; i++) {
            float w = x[i] * x[i], slx = sumlx - w * x[i] * L[i];
            if (slx > 0) {
                float sl2 = suml2 - w * L[i] * L[i];
                int nl = olmoe__nearest_int(x[i] * sl2 / slx);
                nl = OLMOE__MAX(-nmax, OLMOE__MIN(nmax - 1, nl));
                if (nl != L[i]) {
                    slx += w * x[i] * nl;
                    sl2 += w * nl * nl;
                    if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = (int8_t)nl; sumlx = slx; suml2 = sl2;
                        changed++;
                    }
                }
            }
        }
        if (!changed) break;
    }
    for (i = 0; i < n; i++) L[i] = (int8_t)(L[i] + nmax);
    return sumlx / suml2;
}

/* make_qx_quants with rmse_type 1 (w = x^2) and no importance weights (Q6_K) */
static float olmoe__make_qx(int n, int nmax, const float *x, int8_t *L) {
    OLMOE__NO_FMA
    float max = 0, amax = 0, iscale, sumlx = 0, suml2 = 0, scale, best;
    int i, is;
    for (i = 0; i < n; i++) {
        float ax = fabsf(x[i]);
        if (ax > amax) { amax = ax; max = x[i]; }
    }
    if (amax < OLMOE__GROUP_MAX_EPS) {
        for (i = 0; i < n; i++) L[i] = 0;
        return 0.0f;
    }
    iscale = -nmax / max;
    for (i = 0; i < n; i++) {
        int l = olmoe__nearest_int(iscale * x[i]);
        float w = x[i] * x[i];
        l = OLMOE__MAX(-nmax, OLMOE__MIN(nmax - 1, l));
        L[i] = (int8_t)(l + nmax);
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    scale = suml2 ? sumlx / suml2 : 0.0f;
    best = scale * sumlx;
    for (is = -9; is <= 9; is++) {
        if (is == 0) continue;
        iscale = -(nmax + 0.1f * is) / max;
        sumlx = suml2 = 0;
        for (i = 0; i < n; i++) {
            int l = olmoe__nearest_int(iscale * x[i]);
            float w = x[i] * x[i];
            l = OLMOE__MAX(-nmax, OLMOE__MIN(nmax - 1, l));
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (i = 0; i < n; i++) {
                int l = olmoe__nearest_int(iscale * x[i]);
                L[i] = (int8_t)(nmax + OLMOE__MAX(-nmax, OLMOE__MIN(nmax - 1, l)));
            }
            scale = sumlx / suml2; best = scale * sumlx;
        }
    }
    return scale;
}

static void olmoe__q4_1_ref(const float *x, uint8_t *y) {
    OLMOE__NO_FMA
    float min = FLT_MAX, max = -FLT_MAX, d, id;
    uint16_t h;
    int j;
    for (j = 0; j < 32; j++) { if (x[j] < min) min = x[j]; if (x[j] > max) max = x[j]; }
    d = (max - min) / 15;
    id = d ? 1.0f / d : 0.0f;
    h = olmoe_fp32_to_fp16(d); memcpy(y, &h, 2);
    h = olmoe_fp32_to_fp16(min); memcpy(y + 2, &h, 2);
    for (j = 0; j < 16; j++) {
        int q0 = OLMOE__MIN(15, olmoe__trunc_cl((x[j] - min) * id + 0.5f, 0, 127));
        int q1 = OLMOE__MIN(15, olmoe__trunc_cl((x[j + 16] - min) * id + 0.5f, 0, 127));
        y[4 + j] = (uint8_t)(q0 | q1 << 4);
    }
}
static void olmoe__q5_ref(const float *x, uint8_t *y, int with_min) {
    OLMOE__NO_FMA
    float min = FLT_MAX, max = -FLT_MAX, amax = 0, d, id;
    uint32_t qh = 0;
    uint16_t h;
    int j, o = with_min ? 8 : 6;
    if (with_min) {
        for (j = 0; j < 32; j++) { if (x[j] < min) min = x[j]; if (x[j] > max) max = x[j]; }
        d = (max - min) / 31;
    } else {
        max = 0.0f;
        for (j = 0; j < 32; j++) if (amax < fabsf(x[j])) { amax = fabsf(x[j]); max = x[j]; }
        d = max / -16;
    }
    id = d ? 1.0f / d : 0.0f;
    h = olmoe_fp32_to_fp16(d); memcpy(y, &h, 2);
    if (with_min) { h = olmoe_fp32_to_fp16(min); memcpy(y + 2, &h, 2); }
    for (j = 0; j < 16; j++) {
        int q0, q1;
        if (with_min) { /* ggml: (uint8_t)(x + 0.5f), no clamp */
            q0 = olmoe__trunc_cl((x[j] - min) * id + 0.5f, 0, 255);
            q1 = olmoe__trunc_cl((x[j + 16] - min) * id + 0.5f, 0, 255);
        } else {
            q0 = OLMOE__MIN(31, olmoe__trunc_cl(x[j] * id + 16.5f, 0, 127));
            q1 = OLMOE__MIN(31, olmoe__trunc_cl(x[j + 16] * id + 16.5f, 0, 127));
        }
        y[o + j] = (uint8_t)((q0 & 0xF) | (q1 & 0xF) << 4);
        qh |= (uint32_t)((q0 & 0x10) >> 4) << j;
        qh |= (uint32_t)((q1 & 0x10) >> 4) << (j + 16);
    }
    for (j = 0; j < 4; j++) y[o - 4 + j] = (uint8_t)(qh >> (8 * j));
}
static void olmoe__pack2(const uint8_t *L, uint8_t *qs) { /* 4 values of a 128-chunk per byte */
    int j, l;
    for (j = 0; j < 256; j += 128)
        for (l = 0; l < 32; l++)
            qs[j / 4 + l] = (uint8_t)(L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4 | L[j + l + 96] << 6);
}
static void olmoe__q2_K_ref(const float *x, uint8_t *y) {
    OLMOE__NO_FMA
    uint8_t L[256], Laux[16];
    float w[16], mins[16], scales[16], max_scale = 0, max_min = 0, dd, dmn;
    uint16_t h;
    int j, l;
    for (j = 0; j < 16; j++) {
        for (l = 0; l < 16; l++) w[l] = fabsf(x[16 * j + l]);
        scales[j] = olmoe__make_qkx2(16, 3, x + 16 * j, w, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, 1);
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    if (max_scale > 0) {
        float iscale = 15.0f / max_scale;
        for (j = 0; j < 16; j++) y[j] = (uint8_t)olmoe__nearest_int(iscale * scales[j]);
        h = olmoe_fp32_to_fp16(max_scale / 15.0f);
    } else {
        for (j = 0; j < 16; j++) y[j] = 0;
        h = olmoe_fp32_to_fp16(0.0f);
    }
    memcpy(y + 80, &h, 2);
    if (max_min > 0) {
        float iscale = 15.0f / max_min;
        for (j = 0; j < 16; j++) y[j] = (uint8_t)(y[j] | olmoe__nearest_int(iscale * mins[j]) << 4);
        h = olmoe_fp32_to_fp16(max_min / 15.0f);
    } else {
        h = olmoe_fp32_to_fp16(0.0f);
    }
    memcpy(y + 82, &h, 2);
    dd = olmoe__ldh(y + 80); dmn = olmoe__ldh(y + 82);
    for (j = 0; j < 16; j++) {
        float d = dd * (y[j] & 0xF), dm;
        if (!d) continue;
        dm = dmn * (y[j] >> 4);
        for (l = 0; l < 16; l++) {
            int q = olmoe__nearest_int((x[16 * j + l] + dm) / d);
            L[16 * j + l] = (uint8_t)OLMOE__MAX(0, OLMOE__MIN(3, q));
        }
    }
    olmoe__pack2(L, y + 16);
}
static void olmoe__q3_K_ref(const float *x, uint8_t *y) {
    OLMOE__NO_FMA
    int8_t L[256];
    uint8_t *hm = y, *sc = y + 96, U[256];
    float scales[16], max_scale = 0, amax = 0, dd;
    uint16_t h;
    int j, l, m = 0, hb = 1;
    for (j = 0; j < 16; j++) {
        scales[j] = olmoe__make_q3(16, 4, x + 16 * j, L + 16 * j);
        if (fabsf(scales[j]) > amax) { amax = fabsf(scales[j]); max_scale = scales[j]; }
    }
    memset(sc, 0, 12);
    if (max_scale) {
        float iscale = -32.0f / max_scale;
        for (j = 0; j < 16; j++) {
            int v = (int8_t)olmoe__nearest_int(iscale * scales[j]);
            v = OLMOE__MAX(-32, OLMOE__MIN(31, v)) + 32;
            if (j < 8) sc[j] = (uint8_t)(v & 0xF);
            else sc[j - 8] = (uint8_t)(sc[j - 8] | (v & 0xF) << 4);
            sc[j % 4 + 8] = (uint8_t)(sc[j % 4 + 8] | (v >> 4) << (2 * (j / 4)));
        }
        h = olmoe_fp32_to_fp16(1 / iscale);
    } else {
        h = olmoe_fp32_to_fp16(0.0f);
    }
    memcpy(y + 108, &h, 2);
    dd = olmoe__ldh(y + 108);
    for (j = 0; j < 16; j++) {
        int s = j < 8 ? sc[j] & 0xF : sc[j - 8] >> 4;
        float d;
        s = (s | ((sc[8 + j % 4] >> (2 * (j / 4))) & 3) << 4) - 32;
        d = dd * s;
        if (!d) continue;
        for (l = 0; l < 16; l++) {
            int q = olmoe__nearest_int(x[16 * j + l] / d);
            L[16 * j + l] = (int8_t)(OLMOE__MAX(-4, OLMOE__MIN(3, q)) + 4);
        }
    }
    memset(hm, 0, 32);
    for (j = 0; j < 256; j++) {
        U[j] = (uint8_t)L[j];
        if (U[j] > 3) { hm[m] = (uint8_t)(hm[m] | hb); U[j] = (uint8_t)(U[j] - 4); }
        if (++m == 32) { m = 0; hb <<= 1; }
    }
    olmoe__pack2(U, y + 32);
}
/* Q4_K (nmax 15) and Q5_K (nmax 31): one 6-bit scale and min per 32 values */
static void olmoe__q45_K_ref(const float *x, uint8_t *y, int nmax) {
    OLMOE__NO_FMA
    uint8_t L[256], Laux[32], *sc = y + 4;
    float w[32], mins[8], scales[8], max_scale = 0, max_min = 0, inv_s, inv_m, dd, dmn;
    uint16_t h;
    int j, l;
    for (j = 0; j < 8; j++) {
        float sum_x2 = 0, av_x;
        for (l = 0; l < 32; l++) sum_x2 += x[32 * j + l] * x[32 * j + l];
        av_x = sqrtf(sum_x2 / 32);
        for (l = 0; l < 32; l++) w[l] = av_x + fabsf(x[32 * j + l]);
        scales[j] = nmax == 15 ? olmoe__make_qkx2(32, 15, x + 32 * j, w, L + 32 * j, &mins[j], Laux, -1.0f, 0.1f, 20, 0)
                               : olmoe__make_qkx2(32, 31, x + 32 * j, w, L + 32 * j, &mins[j], Laux, -0.5f, 0.1f, 15, 0);
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    inv_s = max_scale > 0 ? 63.0f / max_scale : 0.0f;
    inv_m = max_min > 0 ? 63.0f / max_min : 0.0f;
    for (j = 0; j < 8; j++) {
        int ls = OLMOE__MIN(63, (uint8_t)olmoe__nearest_int(inv_s * scales[j]));
        int lm = OLMOE__MIN(63, (uint8_t)olmoe__nearest_int(inv_m * mins[j]));
        if (j < 4) { sc[j] = (uint8_t)ls; sc[j + 4] = (uint8_t)lm; }
        else {
            sc[j + 4] = (uint8_t)((ls & 0xF) | (lm & 0xF) << 4);
            sc[j - 4] = (uint8_t)(sc[j - 4] | (ls >> 4) << 6);
            sc[j] = (uint8_t)(sc[j] | (lm >> 4) << 6);
        }
    }
    h = olmoe_fp32_to_fp16(max_scale / 63.0f); memcpy(y, &h, 2);
    h = olmoe_fp32_to_fp16(max_min / 63.0f); memcpy(y + 2, &h, 2);
    dd = olmoe__ldh(y); dmn = olmoe__ldh(y + 2);
    for (j = 0; j < 8; j++) {
        int s, mn;
        float d, dm;
        olmoe__scale_min_k4(j, sc, &s, &mn);
        d = dd * s;
        if (!d) continue;
        dm = dmn * mn;
        for (l = 0; l < 32; l++) {
            int q = olmoe__nearest_int((x[32 * j + l] + dm) / d);
            L[32 * j + l] = (uint8_t)OLMOE__MAX(0, OLMOE__MIN(nmax, q));
        }
    }
    if (nmax == 15) {
        for (j = 0; j < 256; j += 64)
            for (l = 0; l < 32; l++) y[16 + j / 2 + l] = (uint8_t)(L[j + l] | L[j + l + 32] << 4);
    } else {
        uint8_t *qh = y + 16, *ql = y + 48, m1 = 1, m2 = 2;
        memset(qh, 0, 32);
        for (j = 0; j < 256; j += 64) {
            for (l = 0; l < 32; l++) {
                int l1 = L[j + l], l2 = L[j + l + 32];
                if (l1 > 15) { l1 -= 16; qh[l] |= m1; }
                if (l2 > 15) { l2 -= 16; qh[l] |= m2; }
                ql[l] = (uint8_t)(l1 | l2 << 4);
            }
            m1 = (uint8_t)(m1 << 2); m2 = (uint8_t)(m2 << 2);
            ql += 32;
        }
    }
}
static void olmoe__q6_K_ref(const float *x, uint8_t *y) {
    OLMOE__NO_FMA
    int8_t L[256];
    float scales[16], max_scale = 0, max_abs = 0, iscale, dd;
    uint16_t h;
    uint8_t *ql = y, *qh = y + 128;
    int j, l;
    for (j = 0; j < 16; j++) {
        scales[j] = olmoe__make_qx(16, 32, x + 16 * j, L + 16 * j);
        if (fabsf(scales[j]) > max_abs) { max_abs = fabsf(scales[j]); max_scale = scales[j]; }
    }
    if (max_abs < OLMOE__GROUP_MAX_EPS) { memset(y, 0, 210); return; }
    iscale = -128.0f / max_scale;
    h = olmoe_fp32_to_fp16(1 / iscale); memcpy(y + 208, &h, 2);
    for (j = 0; j < 16; j++) y[192 + j] = (uint8_t)(int8_t)OLMOE__MIN(127, olmoe__nearest_int(iscale * scales[j]));
    dd = olmoe__ldh(y + 208);
    for (j = 0; j < 16; j++) {
        float d = dd * (int8_t)y[192 + j];
        if (!d) continue;
        for (l = 0; l < 16; l++) {
            int q = olmoe__nearest_int(x[16 * j + l] / d);
            L[16 * j + l] = (int8_t)(OLMOE__MAX(-32, OLMOE__MIN(31, q)) + 32);
        }
    }
    for (j = 0; j < 256; j += 128) {
        for (l = 0; l < 32; l++) {
            int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
            ql[l] = (uint8_t)(q1 | q3 << 4);
            ql[l + 32] = (uint8_t)(q2 | q4 << 4);
            qh[l] = (uint8_t)((L[j + l] >> 4) | (L[j + l + 32] >> 4) << 2 | (L[j + l + 64] >> 4) << 4 | (L[j + l + 96] >> 4) << 6);
        }
        ql += 64; qh += 32;
    }
}
static int olmoe__best_index_iq4(float x) {
    const int8_t *v = olmoe__kvalues_iq4nl;
    int ml = 0, mu = 15;
    if (x <= v[0]) return 0;
    if (x >= v[15]) return 15;
    while (mu - ml > 1) {
        int mav = (ml + mu) / 2;
        if (x < v[mav]) mu = mav; else ml = mav;
    }
    return x - v[mu - 1] < v[mu] - x ? mu - 1 : mu;
}
/* ggml's quantize_row_iq4_nl_impl with ntry 7 and no importance matrix: nsub sub-blocks of 32
   (1: IQ4_NL, d at dh; 8: IQ4_XS, d at dh then scales_h, scales_l) */
static void olmoe__iq4_ref(const float *x, uint8_t *dh, uint8_t *q4, int nsub) {
    OLMOE__NO_FMA
    const int8_t *v = olmoe__kvalues_iq4nl;
    uint8_t L[256];
    float scales[8], max_scale = 0, amax_scale = 0;
    uint16_t h;
    int ib, j, itry;
    memset(q4, 0, (size_t)nsub * 16);
    for (ib = 0; ib < nsub; ib++) {
        const float *xb = x + 32 * ib;
        float w[32], amax = 0, max = 0, d, id, sumqx = 0, sumq2 = 0, best;
        for (j = 0; j < 32; j++) w[j] = xb[j] * xb[j];
        for (j = 0; j < 32; j++)
            if (fabsf(xb[j]) > amax) { amax = fabsf(xb[j]); max = xb[j]; }
        if (amax < OLMOE__GROUP_MAX_EPS) { scales[ib] = 0; continue; }
        d = -max / v[0];
        id = 1 / d;
        for (j = 0; j < 32; j++) {
            int l = olmoe__best_index_iq4(id * xb[j]);
            float q = v[l];
            L[32 * ib + j] = (uint8_t)l;
            sumqx += w[j] * q * xb[j];
            sumq2 += w[j] * q * q;
        }
        d = sumqx / sumq2;
        best = d * sumqx;
        for (itry = -7; itry <= 7; itry++) {
            id = (itry + v[0]) / max;
            sumqx = sumq2 = 0;
            for (j = 0; j < 32; j++) {
                float q = v[olmoe__best_index_iq4(id * xb[j])];
                sumqx += w[j] * q * xb[j];
                sumq2 += w[j] * q * q;
            }
            if (sumq2 > 0 && sumqx * sumqx > best * sumq2) { d = sumqx / sumq2; best = d * sumqx; }
        }
        scales[ib] = d;
        if (fabsf(d) > amax_scale) { amax_scale = fabsf(d); max_scale = d; }
    }
    if (nsub > 1) {
        float d = -max_scale / 32, id = d ? 1 / d : 0.0f;
        uint16_t sh = 0;
        h = olmoe_fp32_to_fp16(d); memcpy(dh, &h, 2);
        for (ib = 0; ib < nsub; ib++) {
            int l = olmoe__nearest_int(id * scales[ib]);
            float dl, idl;
            l = OLMOE__MAX(-32, OLMOE__MIN(31, l));
            dl = d * l;
            idl = dl ? 1 / dl : 0.0f;
            for (j = 0; j < 32; j++) L[32 * ib + j] = (uint8_t)olmoe__best_index_iq4(idl * x[32 * ib + j]);
            l += 32;
            if (ib % 2 == 0) dh[4 + ib / 2] = (uint8_t)(l & 0xF);
            else dh[4 + ib / 2] = (uint8_t)(dh[4 + ib / 2] | (l & 0xF) << 4);
            sh = (uint16_t)(sh | (l >> 4) << (2 * ib));
        }
        memcpy(dh + 2, &sh, 2);
    } else {
        float id = scales[0] ? 1 / scales[0] : 0;
        h = olmoe_fp32_to_fp16(scales[0]); memcpy(dh, &h, 2);
        for (j = 0; j < 32; j++) L[j] = (uint8_t)olmoe__best_index_iq4(id * x[j]);
    }
    for (ib = 0; ib < nsub; ib++)
        for (j = 0; j < 16; j++) q4[16 * ib + j] = (uint8_t)(L[32 * ib + j] | L[32 * ib + 16 + j] << 4);
}
/* One block of a decoded type from its blck floats. */
static void olmoe__quant_block_ref(int type, const float *x, uint8_t *y) {
    switch (type) {
    case OLMOE_TYPE_Q4_1: olmoe__q4_1_ref(x, y); break;
    case OLMOE_TYPE_Q5_0: olmoe__q5_ref(x, y, 0); break;
    case OLMOE_TYPE_Q5_1: olmoe__q5_ref(x, y, 1); break;
    case OLMOE_TYPE_Q2_K: olmoe__q2_K_ref(x, y); break;
    case OLMOE_TYPE_Q3_K: olmoe__q3_K_ref(x, y); break;
    case OLMOE_TYPE_Q4_K: olmoe__q45_K_ref(x, y, 15); break;
    case OLMOE_TYPE_Q5_K: olmoe__q45_K_ref(x, y, 31); break;
    case OLMOE_TYPE_Q6_K: olmoe__q6_K_ref(x, y); break;
    case OLMOE_TYPE_IQ4_NL: olmoe__iq4_ref(x, y, y + 2, 1); break;
    default: olmoe__iq4_ref(x, y, y + 8, 8); break; /* IQ4_XS */
    }
}

OLMOE_API olmoe_result olmoe_quantize_row(int type, const float *x, void *out, int64_t n) {
    int64_t i;
    if (!x || !out || n < 0) return OLMOE_ERR_INVALID_ARG;
    switch (type) {
    case OLMOE_TYPE_F32: memcpy(out, x, (size_t)n * 4); return OLMOE_OK;
    case OLMOE_TYPE_F16:
        for (i = 0; i < n; i++) ((uint16_t *)out)[i] = olmoe_fp32_to_fp16(x[i]);
        return OLMOE_OK;
    case OLMOE_TYPE_BF16:
        for (i = 0; i < n; i++) ((uint16_t *)out)[i] = olmoe_fp32_to_bf16(x[i]);
        return OLMOE_OK;
    case OLMOE_TYPE_Q8_0:
        if (n % 32) return OLMOE_ERR_INVALID_ARG;
        olmoe__quantize_q8_0_ref(x, (olmoe__block_q8_0 *)out, n);
        return OLMOE_OK;
    case OLMOE_TYPE_Q4_0:
        if (n % 32) return OLMOE_ERR_INVALID_ARG;
        olmoe__quantize_q4_0_ref(x, (olmoe__block_q4_0 *)out, n);
        return OLMOE_OK;
    default: {
        const olmoe__qtype *qt = olmoe__qtype_of(type);
        if (!qt) return OLMOE_ERR_UNSUPPORTED;
        if (n % qt->blck) return OLMOE_ERR_INVALID_ARG;
        for (i = 0; i < n / qt->blck; i++)
            olmoe__quant_block_ref(type, x + i * qt->blck, (uint8_t *)out + (size_t)i * (size_t)qt->bytes);
        return OLMOE_OK;
    }
    }
}

OLMOE_API olmoe_result olmoe_dequantize_row(int type, const void *in, float *y, int64_t n) {
    int64_t i, b;
    int j;
    if (!in || !y || n < 0) return OLMOE_ERR_INVALID_ARG;
    switch (type) {
    case OLMOE_TYPE_F32: memcpy(y, in, (size_t)n * 4); return OLMOE_OK;
    case OLMOE_TYPE_F16:
        for (i = 0; i < n; i++) y[i] = olmoe_fp16_to_fp32(((const uint16_t *)in)[i]);
        return OLMOE_OK;
    case OLMOE_TYPE_BF16:
        for (i = 0; i < n; i++) y[i] = olmoe_bf16_to_fp32(((const uint16_t *)in)[i]);
        return OLMOE_OK;
    case OLMOE_TYPE_Q8_0:
        if (n % 32) return OLMOE_ERR_INVALID_ARG;
        for (b = 0; b < n / 32; b++) {
            const olmoe__block_q8_0 *blk = (const olmoe__block_q8_0 *)in + b;
            float d = olmoe_fp16_to_fp32(blk->d);
            for (j = 0; j < 32; j++) y[b * 32 + j] = blk->qs[j] * d;
        }
        return OLMOE_OK;
    case OLMOE_TYPE_Q4_0:
        if (n % 32) return OLMOE_ERR_INVALID_ARG;
        for (b = 0; b < n / 32; b++) {
            const olmoe__block_q4_0 *blk = (const olmoe__block_q4_0 *)in + b;
            float d = olmoe_fp16_to_fp32(blk->d);
            for (j = 0; j < 16; j++) {
                y[b * 32 + j] = ((blk->qs[j] & 0xF) - 8) * d;
                y[b * 32 + j + 16] = ((blk->qs[j] >> 4) - 8) * d;
            }
        }
        return OLMOE_OK;
    case OLMOE_TYPE_Q6_K:
        if (n % 256) return OLMOE_ERR_INVALID_ARG;
        for (b = 0; b < n / 256; b++) olmoe__dequant_q6_K((const olmoe__block_q6_K *)in + b, y + b * 256);
        return OLMOE_OK;
    default: {
        const olmoe__qtype *qt = olmoe__qtype_of(type);
        if (!qt) return OLMOE_ERR_UNSUPPORTED;
        if (n % qt->blck) return OLMOE_ERR_INVALID_ARG;
        olmoe__dequant_dec(qt, (const uint8_t *)in, y, n);
        return OLMOE_OK;
    }
    }
}

/* >>kernels (scalar reference) =============================================================
   The seam between the model and the arithmetic. A dot product of one weight row (in its file
   format) with one activation vector. Quantized weight rows (Q8_0, Q4_0, and through dot_dec the
   decoded types) are dotted with the activation quantized to Q8_0 blocks (Q4_K, Q5_K, Q6_K: to
   Q8_K blocks); float rows (F32, F16, BF16) with the f32 activation. Every ISA path must give the
   same integer block sums as these functions. */
typedef float (*olmoe__dot_q_fn)(int n, const void *w, const void *xq);
typedef float (*olmoe__dot_f_fn)(int n, const void *w, const float *x);
typedef void (*olmoe__quant_fn)(const float *x, void *y, int n);
/* y[r * ys] = row r . xq for the nr rows at w + r * ws (Q8_0 or Q4_0 rows, Q8_0 activation). */
typedef void (*olmoe__dotr_fn)(int n, int nr, const void *w, size_t ws, const void *xq, float *y, size_t ys);
typedef void (*olmoe__mm_fn)(int n, int nr, const void *w, size_t ws, int nt, const uint8_t *const *xq, float *const *y);

typedef struct olmoe__kernels {
    int id;                     /* OLMOE_KERNELS_* */
    olmoe__dot_q_fn dot_q8_0;   /* w: Q8_0 row, xq: Q8_0 activation */
    olmoe__dot_q_fn dot_q4_0;   /* w: Q4_0 row, xq: Q8_0 activation */
    olmoe__dot_f_fn dot_f32, dot_f16, dot_bf16;
    olmoe__quant_fn quant_q8_0; /* activation quantizer */
    /* Several rows at once, equal bit for bit to dot_q8_0 / dot_q4_0 row by row. SIMD paths take
       4 rows per pass and share the activation's loads, scales and Q4_0 correction among them. */
    olmoe__dotr_fn dotr_q8_0, dotr_q4_0;
    /* Optional (NULL where a path has none): a second activation layout made once per Q8_0
       activation (prep_q8: the Q8_0 blocks at xq -> the layout at xq + olmoe__xp_offset(n)), and
       rows x tokens Q4_0 and Q8_0 kernels reading it: y[t][i] = row i . activation t for the nr rows at
       w + i * ws and the nt activations xq[t] (each with its layout after it). Every (row,
       token) value is the same bit for bit whatever nr, nt and the row's neighbours are. */
    void (*prep_q8)(const void *xq, void *xp, int n);
    olmoe__mm_fn mm_q4_0, mm_q8_0;
    void (*axpy_f32)(int n, float a, const float *x, float *y);  /* y += a x (attention's V sum) */
    void (*axpy_f16)(int n, float a, const uint16_t *x, float *y); /* the same, x in fp16 (f16 KV cache) */
    void (*cvt_f16)(int n, const float *x, uint16_t *y);   /* fp32 -> fp16, as olmoe_fp32_to_fp16 */
    /* g = silu(g) * u = g / (1 + exp(-g)) * u (the experts' activation) and x = exp(x - m),
       returning the sum of the new x (attention's softmax). SIMD paths use a polynomial exp
       (largest relative error measured 8e-8 over [-87, 0]; silu 1.6e-7); in every path an
       element's bits do not depend on n. */
    void (*silu_mul)(int n, float *g, const float *u);
    float (*exp_sum)(int n, float *x, float m);
    /* a row of a decoded type (>>kquants: K-quants, Q4_1, Q5_0/1, IQ4) . its activation: Q8_K for
       the k8 types (Q4_K, Q5_K, Q6_K: olmoe__dot_k8_scalar), Q8_0 for the others */
    float (*dot_dec)(const olmoe__qtype *qt, int n, const void *w, const void *xq);
    /* optional: rows x tokens kernels of the decoded types, one per olmoe__qtypes entry (the
       shared machinery bound to each type), each equal bit for bit to dot_dec per (row, token) */
    const olmoe__mm_fn *mm_dec;
    /* the Q8_K activation quantizer (k8 types' activation), the same bytes as
       olmoe__quantize_q8_K_ref */
    olmoe__quant_fn quant_q8_K;
} olmoe__kernels;
/* Where an activation's second layout starts (after its Q8_0 blocks, 64-byte aligned when the
   record is) and its size: 384 bytes per 8 blocks (see olmoe__prep_q8_avx512). */
static size_t olmoe__xp_offset(int64_t n) { return ((size_t)(n / 32) * 34 + 63) & ~(size_t)63; }
static size_t olmoe__xp_size(int64_t n) { return (size_t)(n / 256) * 384; }
#define OLMOE__KERNELS_HAVE_DOTR 1 /* the SIMD tables below fill the dotr entries */

static float olmoe__dot_q8_0_scalar(int n, const void *w, const void *xq) {
    const olmoe__block_q8_0 *a = (const olmoe__block_q8_0 *)w, *b = (const olmoe__block_q8_0 *)xq;
    float sum = 0.0f;
    int i, j;
    for (i = 0; i < n / 32; i++) {
        int32_t s = 0;
        for (j = 0; j < 32; j++) s += (int32_t)a[i].qs[j] * (int32_t)b[i].qs[j];
        sum += (float)s * (olmoe_fp16_to_fp32(a[i].d) * olmoe_fp16_to_fp32(b[i].d));
    }
    return sum;
}

static float olmoe__dot_q4_0_scalar(int n, const void *w, const void *xq) {
    const olmoe__block_q4_0 *a = (const olmoe__block_q4_0 *)w;
    const olmoe__block_q8_0 *b = (const olmoe__block_q8_0 *)xq;
    float sum = 0.0f;
    int i, j;
    for (i = 0; i < n / 32; i++) {
        int32_t s = 0;
        for (j = 0; j < 16; j++) {
            s += ((int32_t)(a[i].qs[j] & 0xF) - 8) * (int32_t)b[i].qs[j];
            s += ((int32_t)(a[i].qs[j] >> 4) - 8) * (int32_t)b[i].qs[j + 16];
        }
        sum += (float)s * (olmoe_fp16_to_fp32(a[i].d) * olmoe_fp16_to_fp32(b[i].d));
    }
    return sum;
}

/* Float dot products accumulate in 8 independent lanes (the order SIMD paths reproduce). */
static float olmoe__dot_f32_scalar(int n, const void *w, const float *x) {
    const float *a = (const float *)w;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s;
    int i, j;
    for (i = 0; i + 8 <= n; i += 8)
        for (j = 0; j < 8; j++) acc[j] += a[i + j] * x[i + j];
    s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += a[i] * x[i];
    return s;
}
static float olmoe__dot_f16_scalar(int n, const void *w, const float *x) {
    const uint16_t *a = (const uint16_t *)w;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s;
    int i, j;
    for (i = 0; i + 8 <= n; i += 8)
        for (j = 0; j < 8; j++) acc[j] += olmoe_fp16_to_fp32(a[i + j]) * x[i + j];
    s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += olmoe_fp16_to_fp32(a[i]) * x[i];
    return s;
}
static float olmoe__dot_bf16_scalar(int n, const void *w, const float *x) {
    const uint16_t *a = (const uint16_t *)w;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s;
    int i, j;
    for (i = 0; i + 8 <= n; i += 8)
        for (j = 0; j < 8; j++) acc[j] += olmoe_bf16_to_fp32(a[i + j]) * x[i + j];
    s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += olmoe_bf16_to_fp32(a[i]) * x[i];
    return s;
}
static void olmoe__quant_q8_0_scalar(const float *x, void *y, int n) {
    olmoe__quantize_q8_0_ref(x, (olmoe__block_q8_0 *)y, n);
}

static void olmoe__dotr_q8_0_scalar(int n, int nr, const void *w, size_t ws, const void *xq, float *y, size_t ys) {
    int r;
    for (r = 0; r < nr; r++) y[(size_t)r * ys] = olmoe__dot_q8_0_scalar(n, (const uint8_t *)w + (size_t)r * ws, xq);
}
static void olmoe__dotr_q4_0_scalar(int n, int nr, const void *w, size_t ws, const void *xq, float *y, size_t ys) {
    int r;
    for (r = 0; r < nr; r++) y[(size_t)r * ys] = olmoe__dot_q4_0_scalar(n, (const uint8_t *)w + (size_t)r * ws, xq);
}

static void olmoe__axpy_f32_scalar(int n, float a, const float *x, float *y) {
    int i;
    for (i = 0; i < n; i++) y[i] += a * x[i];
}

static void olmoe__axpy_f16_scalar(int n, float a, const uint16_t *x, float *y) {
    int i;
    for (i = 0; i < n; i++) y[i] += a * olmoe_fp16_to_fp32(x[i]);
}
static void olmoe__cvt_f16_scalar(int n, const float *x, uint16_t *y) {
    int i;
    for (i = 0; i < n; i++) y[i] = olmoe_fp32_to_fp16(x[i]);
}

static void olmoe__silu_mul_scalar(int n, float *g, const float *u) {
    int i;
    for (i = 0; i < n; i++) g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}
static float olmoe__exp_sum_scalar(int n, float *x, float m) {
    float sum = 0.0f;
    int i;
    for (i = 0; i < n; i++) { x[i] = expf(x[i] - m); sum += x[i]; }
    return sum;
}

/* Decoded types (>>kquants): the values 256 c .. 256 c + 255 of a row (a 256-value block, or 8
   32-value blocks; fewer at the row's end) decoded to D; returns the number of 32-groups. */
static int olmoe__decode_chunk(const olmoe__qtype *qt, const uint8_t *row, int c, int n, olmoe__dec *D) {
    int g, ng;
    if (qt->blck == 256) { qt->decode(row + (size_t)c * (size_t)qt->bytes, D, 0); return 8; }
    ng = OLMOE__MIN(8, (n - 256 * c) / 32);
    for (g = 0; g < ng; g++) qt->decode(row + (size_t)(8 * c + g) * (size_t)qt->bytes, D, g);
    for (; g < 8; g++) D->d[g] = D->dm[g] = 0.0f; /* the SIMD paths compute all 8 lanes */
    return ng;
}
/* A row of a k8 type (Q4_K, Q5_K, Q6_K) . Q8_K activation, in 8 lanes (the SIMD kernels' int32
   lanes, olmoe__k8_mm_*): lane l of a block holds the exact integers
     ci[l] = sum over quads k and rows i of the quad of s * u * y over the 4 values
             v = 8i + 4(l & 1) + 0..3 of 32-group g = 4k + l / 2 (s: the scale of v's 16-value half
             of g, u: the code, Q6_K unsigned q + 32), Q6_K minus 32 (s[2l] b[2l] + s[2l+1] b[2l+1])
     cm[l] = m[2l] b[2l] + m[2l+1] b[2l+1] (Q4_K/Q5_K; b: the activation's sums of 16 values)
   and per lane and block f = d ci[l] (Q4_K/Q5_K: f = fma(dm, cm[l], d ci[l])), acc[l] = fma(f, dy,
   acc[l]); at the row's end ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)).
   Every path computes these same integers and steps, so every path gives these bits. One fp32
   step per lane and 256 values (the Q8_0 kernels: one per 32-group). */
static void olmoe__k8_block_lanes(const olmoe__dec *D, int q6, const olmoe__block_q8_K *y, float *acc) {
    float d = D->d[0], dm = D->dm[0];
    int l, k, i, j;
    for (l = 0; l < 8; l++) {
        int32_t ci = 0, cm = D->m[2 * l] * y->bsums[2 * l] + D->m[2 * l + 1] * y->bsums[2 * l + 1];
        for (k = 0; k < 2; k++)
            for (i = 0; i < 4; i++) {
                int g = 4 * k + l / 2, sc = D->s[2 * g + (i >> 1)];
                int32_t p = 0;
                for (j = 0; j < 4; j++) {
                    int v = 32 * g + 8 * i + 4 * (l & 1) + j;
                    p += ((int32_t)D->q[v] + (q6 ? 32 : 0)) * (int32_t)y->qs[olmoe__k8_pos(v)];
                }
                ci += sc * p;
            }
        if (q6) ci -= 32 * (D->s[2 * l] * y->bsums[2 * l] + D->s[2 * l + 1] * y->bsums[2 * l + 1]);
        acc[l] = fmaf(q6 ? d * (float)ci : fmaf(dm, (float)cm, d * (float)ci), y->d, acc[l]);
    }
}
static float olmoe__k8_lanes_sum(const float *a) { return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7])); }
static float olmoe__dot_k8_scalar(const olmoe__qtype *qt, int n, const void *w, const void *xk) {
    const uint8_t *row = (const uint8_t *)w;
    const olmoe__block_q8_K *y = (const olmoe__block_q8_K *)xk;
    olmoe__dec D;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int b;
    for (b = 0; b < n / 256; b++) {
        qt->decode(row + (size_t)b * (size_t)qt->bytes, &D, 0);
        olmoe__k8_block_lanes(&D, qt->type == OLMOE_TYPE_Q6_K, y + b, acc);
    }
    return olmoe__k8_lanes_sum(acc);
}
static void olmoe__quant_q8_K_scalar(const float *x, void *y, int n) {
    olmoe__quantize_q8_K_ref(x, (olmoe__block_q8_K *)y, n);
}
/* A decoded row . Q8_0 activation: per 32-group the exact integer parts (see >>kquants), then
   dy * (d * is + dm * ms); groups added in order within a chunk, chunks in order. The forward
   pass dots k8 types with the Q8_K activation instead (olmoe__dot_dec_scalar); the GPU path's
   kernels follow this form. */
static float olmoe__dot_dec_q80_scalar(const olmoe__qtype *qt, int n, const void *w, const void *xq) {
    const uint8_t *row = (const uint8_t *)w, *x = (const uint8_t *)xq;
    olmoe__dec D;
    float sum = 0.0f;
    int c, g, h, i, ng;
    for (c = 0; c * 256 < n; c++) {
        float cs = 0.0f;
        ng = olmoe__decode_chunk(qt, row, c, n, &D);
        for (g = 0; g < ng; g++) {
            const uint8_t *yb = x + (size_t)(8 * c + g) * 34;
            int32_t is = 0, ms = 0;
            for (h = 0; h < 2; h++) {
                int32_t a = 0, ys = 0;
                for (i = 0; i < 16; i++) {
                    int32_t y = (int8_t)yb[2 + 16 * h + i];
                    a += D.q[32 * g + 16 * h + i] * y;
                    ys += y;
                }
                is += D.s[2 * g + h] * a;
                ms += D.m[2 * g + h] * ys;
            }
            cs += olmoe__ldh(yb) * (D.d[g] * (float)is + D.dm[g] * (float)ms);
        }
        sum += cs;
    }
    return sum;
}
/* The table's dot_dec: xq is the activation in the type's format (Q8_K for k8 types) */
static float olmoe__dot_dec_scalar(const olmoe__qtype *qt, int n, const void *w, const void *xq) {
    return qt->k8 ? olmoe__dot_k8_scalar(qt, n, w, xq) : olmoe__dot_dec_q80_scalar(qt, n, w, xq);
}

static const olmoe__kernels olmoe__kernels_scalar = {
    OLMOE_KERNELS_SCALAR, olmoe__dot_q8_0_scalar, olmoe__dot_q4_0_scalar, olmoe__dot_f32_scalar,
    olmoe__dot_f16_scalar, olmoe__dot_bf16_scalar, olmoe__quant_q8_0_scalar,
    olmoe__dotr_q8_0_scalar, olmoe__dotr_q4_0_scalar, NULL, NULL, NULL, olmoe__axpy_f32_scalar,
    olmoe__axpy_f16_scalar, olmoe__cvt_f16_scalar, olmoe__silu_mul_scalar, olmoe__exp_sum_scalar,
    olmoe__dot_dec_scalar, NULL, olmoe__quant_q8_K_scalar
};

/* >>kernels_simd: ISA paths (AVX2, AVX-512, NEON), each tagged with a target attribute and
   chosen at run time. The section defines OLMOE__HAVE_SIMD and
   olmoe__pick_kernels_simd(want): the table for want (AUTO = best this CPU has), or NULL. */
#if !defined(OLMOE_NO_SIMD)
/* >>kernels_simd: the ISA paths of the kernel table, after the scalar kernels and olmoe__kernels.

   One translation unit holds every path: each function carries a target attribute (GCC or
   clang; tested with GCC 12 and clang 14, C99 and C++11), so a plain `cc -O2` build runs
   anywhere and picks its path at run time. Paths:
     x86-64   AVX2 + FMA + F16C         maddubs int8 dots
              AVX-512 F/BW/VL + VNNI    vpdpbusd int8 dots (256-bit in the single-row dots, 512-bit
                                        in the rows x tokens kernels), 512-bit float dots
     aarch64  NEON                      vmull/vpadal int8 dots (every ARMv8-A core)
              NEON + dotprod            sdot int8 dots (ARMv8.2-A and later)
   Q8_0/Q4_0 dots go 8 blocks (x86) or 4 blocks (NEON) per step: every block's int32 partials
   are added up to its exact integer sum, and only then multiplied by its fp32 scale product.
   dotr_q8_0/dotr_q4_0 do several rows at once; on x86 the Q4_0 one takes 4 rows a pass and
   shares the activation's loads, scales and -8 correction among them (1.6x the single-row
   speed in cache). Each row's result equals the single-row dot bit for bit.
   Every SIMD table also has rows x tokens kernels (prep_q8, mm_q4_0, mm_q8_0), which the model
   uses for every Q4_0/Q8_0 matrix, prefill and decode: each path lays out the activation once
   more for itself (prep_q8) and unpacks a weight group once for a tile of tokens. AVX-512: from
   4 tokens on, 16 rows in the lanes (weights transposed once a block for up to 32 tokens, each
   token's activation bytes as broadcast operands); fewer tokens and the rows past 16 * (nr / 16):
   rows in pairs, 512-bit vpdpbusd over 8-block groups, tiles of up to 12 tokens, one token as
   two pairs at once; AVX2: one row, 8 bytes of 4 blocks per vector, tiles of up to 8 (Q4_0) or 6
   (Q8_0) tokens; NEON: rows by 4 in the lanes of one accumulator per token, tiles of up to 8.
   A (row, token) value is the same bit for bit whatever the tile, the thread or the
   neighbouring rows, so tokens one at a time give the bits of a batch.
   Exactness (checked by tests/test_kernels.c against the scalar reference):
     * Q8_0 x Q8_0 and Q4_0 x Q8_0: each block's integer sum equals the scalar one exactly; the
       float result differs only by the order of the fp32 additions of the block terms. The x86
       Q8_0 dot takes |w| x sign(y, w), exact whenever the activation holds no -128: activations
       come from quant_q8_0, whose values lie in [-127, 127]. Weights may hold any int8 value.
       Q4_0 and every NEON dot are exact for any int8 activation.
     * quant_q8_0 writes the same bytes as olmoe__quant_q8_0_scalar (same amax, same d rounded
       to fp16 to nearest even, roundf's half-away-from-zero, and the low byte of the int32
       conversion, as the scalar (int8_t) cast compiles).
     * fp16 and bf16 weights convert exactly (F16C / FCVTL handle subnormals, inf and NaN).
     * f32/f16/bf16/Q6_K dots differ from the scalar ones by fp32 rounding only.
     * decoded types (>>kquants: Q4_1, Q5_0/1, Q2_K..Q6_K, IQ4_NL/XS; the model dots Q6_K this way
       too, with the Q8_0 activation): per ISA a block decoder to the common int8 form (bit for
       bit the scalar decoder's) and one shared dot (dot_dec) and rows x tokens kernel (mm_dec,
       equal to dot_dec per (row, token)); every 32-group's integer parts are exact; the x86
       floats differ from the scalar path by the order of the fp32 additions, NEON's not at all.
   Pointers need no alignment: GGUF blocks are only 2-byte aligned, activation blocks 2-byte.
   No global mutable state: CPU features are read each time olmoe__pick_kernels_simd runs. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__aarch64__))
#define OLMOE__HAVE_SIMD 1

/* The multi-row entries exist once olmoe__kernels has them (OLMOE__KERNELS_HAVE_DOTR). */
#ifdef OLMOE__KERNELS_HAVE_DOTR
#define OLMOE__DOTR(q8, q4) , q8, q4
#else
#define OLMOE__DOTR(q8, q4)
#endif

/* Decoded types (>>kquants): each path's rows x tokens machinery olmoe__mm_dec_ISA bound to each
   type, as the table's mm_dec entries (one per olmoe__qtypes row). */
#define OLMOE__MM_DEC_BIND(ISA, ATTR, I)                                                            \
    ATTR static void olmoe__mm_dec##I##_##ISA(int n, int nr, const void *w, size_t ws, int nt,      \
                                              const uint8_t *const *xq, float *const *y) {         \
        olmoe__mm_dec_##ISA(&olmoe__qtypes[I], n, nr, w, ws, nt, xq, y);                            \
    }
#define OLMOE__MM_DEC_TABLE(ISA, ATTR)                                                              \
    OLMOE__MM_DEC_BIND(ISA, ATTR, 0) OLMOE__MM_DEC_BIND(ISA, ATTR, 1) OLMOE__MM_DEC_BIND(ISA, ATTR, 2) \
    OLMOE__MM_DEC_BIND(ISA, ATTR, 3) OLMOE__MM_DEC_BIND(ISA, ATTR, 4) OLMOE__MM_DEC_BIND(ISA, ATTR, 5) \
    OLMOE__MM_DEC_BIND(ISA, ATTR, 6) OLMOE__MM_DEC_BIND(ISA, ATTR, 7) OLMOE__MM_DEC_BIND(ISA, ATTR, 8) \
    OLMOE__MM_DEC_BIND(ISA, ATTR, 9)                                                                \
    static const olmoe__mm_fn olmoe__mm_dec_##ISA##_t[OLMOE__N_QTYPES] = {                        \
        olmoe__mm_dec0_##ISA, olmoe__mm_dec1_##ISA, olmoe__mm_dec2_##ISA, olmoe__mm_dec3_##ISA,     \
        olmoe__mm_dec4_##ISA, olmoe__mm_dec5_##ISA, olmoe__mm_dec6_##ISA, olmoe__mm_dec7_##ISA,     \
        olmoe__mm_dec8_##ISA, olmoe__mm_dec9_##ISA};

static inline uint16_t olmoe__simd_ld16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t olmoe__simd_ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline float olmoe__simd_ldf(const uint8_t *p) { float v; memcpy(&v, p, 4); return v; }

/* Tails shared by all paths: plain loops over the last few elements (unaligned-safe). */
static float olmoe__simd_tail_f32(const uint8_t *w, const float *x, int i, int n) {
    float s = 0.0f;
    for (; i < n; i++) s += olmoe__simd_ldf(w + (size_t)i * 4) * x[i];
    return s;
}
static float olmoe__simd_tail_f16(const uint8_t *w, const float *x, int i, int n) {
    float s = 0.0f;
    for (; i < n; i++) s += olmoe_fp16_to_fp32(olmoe__simd_ld16(w + (size_t)i * 2)) * x[i];
    return s;
}
static float olmoe__simd_tail_bf16(const uint8_t *w, const float *x, int i, int n) {
    float s = 0.0f;
    for (; i < n; i++) s += olmoe_bf16_to_fp32(olmoe__simd_ld16(w + (size_t)i * 2)) * x[i];
    return s;
}

/* ============================================================================== x86-64 ==== */
#if defined(__x86_64__)
#include <immintrin.h>
#include <cpuid.h>

#define OLMOE__AVX2 __attribute__((target("avx2,fma,f16c")))
#define OLMOE__AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
/* The rows x tokens kernels come in one function per tile size (so each keeps its accumulators in
   registers): M(Q, T) defines P##Q##_##T##S for T = 1..12, and OLMOE__TILE_TABLE lists them by T. */
#define OLMOE__TILES12(M, Q) M(Q, 1) M(Q, 2) M(Q, 3) M(Q, 4) M(Q, 5) M(Q, 6) M(Q, 7) M(Q, 8) M(Q, 9) M(Q, 10) M(Q, 11) M(Q, 12)
#define OLMOE__TILE_TABLE(P, Q, S)                                                                      \
    { NULL, P##Q##_1##S, P##Q##_2##S, P##Q##_3##S, P##Q##_4##S, P##Q##_5##S, P##Q##_6##S, P##Q##_7##S,   \
      P##Q##_8##S, P##Q##_9##S, P##Q##_10##S, P##Q##_11##S, P##Q##_12##S }

/* ---- AVX2 + FMA + F16C ---------------------------------------------------------------------- */
OLMOE__AVX2 static inline float olmoe__hsum_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

OLMOE__AVX2 static inline int32_t olmoe__hsumi_avx2(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
    return _mm_cvtsi128_si32(s);
}
OLMOE__AVX2 static inline float olmoe__h2f_avx2(const uint8_t *p) { return _cvtsh_ss(olmoe__simd_ld16(p)); }
OLMOE__AVX2 static inline __m256i olmoe__ld2x16_avx2(const uint8_t *p0, const uint8_t *p1) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)p0)),
                                   _mm_loadu_si128((const __m128i *)p1), 1);
}

/* Quantized dots, 8 blocks per step. Each block's integer sum is formed exactly before it is
   scaled in fp32 (so results differ from the scalar ones only in the order of the fp32
   additions). A "pair" vector holds 4 int32 partials of one block in its low half and 4 of the
   next block in its high half; sum4x4 of the pairs (0,1) (2,3) (4,5) (6,7) gives the 8 block
   sums in the order 0,2,4,6,1,3,5,7, and the scales are gathered in that order. */
OLMOE__AVX2 static inline __m256i olmoe__sum4x4_avx2(__m256i v0, __m256i v1, __m256i v2, __m256i v3) {
    __m256i t0 = _mm256_add_epi32(_mm256_unpacklo_epi32(v0, v1), _mm256_unpackhi_epi32(v0, v1));
    __m256i t1 = _mm256_add_epi32(_mm256_unpacklo_epi32(v2, v3), _mm256_unpackhi_epi32(v2, v3));
    return _mm256_add_epi32(_mm256_unpacklo_epi64(t0, t1), _mm256_unpackhi_epi64(t0, t1));
}
/* Two blocks' 8-lane partials -> one pair vector. */
OLMOE__AVX2 static inline __m256i olmoe__fold2_avx2(__m256i p0, __m256i p1) {
    return _mm256_add_epi32(_mm256_permute2x128_si256(p0, p1, 0x20), _mm256_permute2x128_si256(p0, p1, 0x31));
}
/* The fp16 scales of 8 blocks st bytes apart as floats: in block order, or (pairs) in pair order
   0 2 4 6 1 3 5 7; packed in two 64-bit integers (the empty asm keeps compilers from turning
   this into slower vector shuffles). */
OLMOE__AVX2 static inline __m256 olmoe__scales8_avx2(const uint8_t *p, int st, int pairs) {
    uint64_t d0 = olmoe__simd_ld16(p), d1 = olmoe__simd_ld16(p + st), d2 = olmoe__simd_ld16(p + 2 * st);
    uint64_t d3 = olmoe__simd_ld16(p + 3 * st), d4 = olmoe__simd_ld16(p + 4 * st), d5 = olmoe__simd_ld16(p + 5 * st);
    uint64_t d6 = olmoe__simd_ld16(p + 6 * st), d7 = olmoe__simd_ld16(p + 7 * st);
    __asm__("" : "+r"(d0), "+r"(d1), "+r"(d2), "+r"(d3), "+r"(d4), "+r"(d5), "+r"(d6), "+r"(d7));
    if (pairs)
        return _mm256_cvtph_ps(_mm_set_epi64x((long long)(d1 | d3 << 16 | d5 << 32 | d7 << 48),
                                              (long long)(d0 | d2 << 16 | d4 << 32 | d6 << 48)));
    return _mm256_cvtph_ps(_mm_set_epi64x((long long)(d4 | d5 << 16 | d6 << 32 | d7 << 48),
                                          (long long)(d0 | d1 << 16 | d2 << 32 | d3 << 48)));
}
OLMOE__AVX2 static inline __m256 olmoe__sw4_avx2(const uint8_t *p) { return olmoe__scales8_avx2(p, 18, 1); }
OLMOE__AVX2 static inline __m256 olmoe__sq8_avx2(const uint8_t *p) { return olmoe__scales8_avx2(p, 34, 1); }

/* Q8_0 block . Q8_0 block as 8 int32 partials: |w| (unsigned) x sign(y, w); maddubs pairs stay
   inside int16 (2 * 128 * 127); exact for y != -128. */
OLMOE__AVX2 static inline __m256i olmoe__q8blk_avx2(const uint8_t *a, const uint8_t *b) {
    __m256i w = _mm256_loadu_si256((const __m256i *)(a + 2)), y = _mm256_loadu_si256((const __m256i *)(b + 2));
    return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(y, w)), _mm256_set1_epi16(1));
}
/* Q4_0 block . Q8_0 block as 8 int32 partials: sum nib*y - sum 8*y (exact for any y). */
OLMOE__AVX2 static inline __m256i olmoe__q4blk_avx2(const uint8_t *a, const uint8_t *b) {
    __m128i t = _mm_loadu_si128((const __m128i *)(a + 2));
    __m256i n = _mm256_and_si256(_mm256_inserti128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1),
                                 _mm256_set1_epi8(0x0F));
    __m256i y = _mm256_loadu_si256((const __m256i *)(b + 2));
    __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(n, y), _mm256_maddubs_epi16(_mm256_set1_epi8(8), y));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}
/* Q4_0 pairs: the low nibbles of blocks i, i+1 meet ylo = [y_i[0..15] | y_i+1[0..15]], the
   high nibbles yhi = [y_i[16..31] | y_i+1[16..31]]. PAIRC includes the -8 correction; PAIR
   leaves it to CORR, which depends on the activation only (shared by the rows of dotr). */
OLMOE__AVX2 static inline __m256i olmoe__q4pair_avx2(__m256i lo, __m256i hi, __m256i ylo, __m256i yhi) {
    return _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(lo, ylo), _mm256_maddubs_epi16(hi, yhi)),
                             _mm256_set1_epi16(1));
}
OLMOE__AVX2 static inline __m256i olmoe__q4corr_avx2(__m256i ylo, __m256i yhi) {
    const __m256i k8 = _mm256_set1_epi8(8);
    return _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(k8, ylo), _mm256_maddubs_epi16(k8, yhi)),
                             _mm256_set1_epi16(1));
}
OLMOE__AVX2 static inline __m256i olmoe__q4pairc_avx2(__m256i lo, __m256i hi, __m256i ylo, __m256i yhi) {
    const __m256i k8 = _mm256_set1_epi8(8);
    __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo, ylo), _mm256_maddubs_epi16(hi, yhi));
    __m256i c = _mm256_add_epi16(_mm256_maddubs_epi16(k8, ylo), _mm256_maddubs_epi16(k8, yhi));
    return _mm256_madd_epi16(_mm256_sub_epi16(p, c), _mm256_set1_epi16(1)); /* p, c, p - c fit int16 */
}

/* Kernels for one ISA from its primitives: Q8BLK/Q4BLK (one block, 8 partials), Q4PAIR,
   Q4PAIRC, Q4CORR (pairs), SW4/SW8/SY (scales of 8 Q4_0 / Q8_0 weight / Q8_0 activation blocks). */
#define OLMOE__Q4W(a, p, lo, hi)                                                               \
    do { __m256i q_ = olmoe__ld2x16_avx2((a) + 36 * (p) + 2, (a) + 36 * (p) + 20);           \
         lo = _mm256_and_si256(q_, m4); hi = _mm256_and_si256(_mm256_srli_epi16(q_, 4), m4); } while (0)
#define OLMOE__Q4Y(b, p, ylo, yhi)                                                             \
    do { ylo = olmoe__ld2x16_avx2((b) + 68 * (p) + 2, (b) + 68 * (p) + 36);                  \
         yhi = olmoe__ld2x16_avx2((b) + 68 * (p) + 18, (b) + 68 * (p) + 52); } while (0)

#define OLMOE__QKERNELS_X86(SFX, ATTR, Q8BLK, Q4BLK, Q4PAIR, Q4PAIRC, Q4CORR, SW4, SW8, SY)      \
    ATTR static float olmoe__dot_q8_0_##SFX(int n, const void *w, const void *xq) {           \
        const uint8_t *a = (const uint8_t *)w, *b = (const uint8_t *)xq;                      \
        int nb = n / 32, i;                                                                   \
        __m256 acc = _mm256_setzero_ps();                                                     \
        float tail = 0.0f;                                                                    \
        for (i = 0; i + 8 <= nb; i += 8, a += 272, b += 272) {                                \
            __m256i s = olmoe__sum4x4_avx2(olmoe__fold2_avx2(Q8BLK(a, b), Q8BLK(a + 34, b + 34)),       \
                                           olmoe__fold2_avx2(Q8BLK(a + 68, b + 68), Q8BLK(a + 102, b + 102)), \
                                           olmoe__fold2_avx2(Q8BLK(a + 136, b + 136), Q8BLK(a + 170, b + 170)), \
                                           olmoe__fold2_avx2(Q8BLK(a + 204, b + 204), Q8BLK(a + 238, b + 238))); \
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(SW8(a), SY(b)), acc);  \
        }                                                                                     \
        for (; i < nb; i++, a += 34, b += 34)                                                 \
            tail += (float)olmoe__hsumi_avx2(Q8BLK(a, b)) * (olmoe__h2f_avx2(a) * olmoe__h2f_avx2(b)); \
        return olmoe__hsum_avx2(acc) + tail;                                                  \
    }                                                                                         \
    ATTR __attribute__((unused)) static void olmoe__dotr_q8_0_##SFX(int n, int nr, const void *w, size_t ws, const void *xq, \
                                            float *y, size_t ys) {                            \
        int r;                                                                                \
        for (r = 0; r < nr; r++) y[(size_t)r * ys] = olmoe__dot_q8_0_##SFX(n, (const uint8_t *)w + (size_t)r * ws, xq); \
    }                                                                                         \
    /* 8 Q4_0 blocks at a . 8 activation blocks at b, correction included. */                \
    ATTR static inline __m256i olmoe__q4stepc_##SFX(const uint8_t *a, const uint8_t *b) {     \
        const __m256i m4 = _mm256_set1_epi8(0x0F);                                            \
        __m256i l0, h0, l1, h1, l2, h2, l3, h3, y0, z0, y1, z1, y2, z2, y3, z3;               \
        OLMOE__Q4W(a, 0, l0, h0); OLMOE__Q4W(a, 1, l1, h1); OLMOE__Q4W(a, 2, l2, h2); OLMOE__Q4W(a, 3, l3, h3); \
        OLMOE__Q4Y(b, 0, y0, z0); OLMOE__Q4Y(b, 1, y1, z1); OLMOE__Q4Y(b, 2, y2, z2); OLMOE__Q4Y(b, 3, y3, z3); \
        return olmoe__sum4x4_avx2(Q4PAIRC(l0, h0, y0, z0), Q4PAIRC(l1, h1, y1, z1),          \
                                  Q4PAIRC(l2, h2, y2, z2), Q4PAIRC(l3, h3, y3, z3));         \
    }                                                                                         \
    /* The same without the correction, activation halves given. */                          \
    ATTR static inline __m256i olmoe__q4step_##SFX(const uint8_t *a, const __m256i *y, const __m256i *z) { \
        const __m256i m4 = _mm256_set1_epi8(0x0F);                                            \
        __m256i l0, h0, l1, h1, l2, h2, l3, h3;                                               \
        OLMOE__Q4W(a, 0, l0, h0); OLMOE__Q4W(a, 1, l1, h1); OLMOE__Q4W(a, 2, l2, h2); OLMOE__Q4W(a, 3, l3, h3); \
        return olmoe__sum4x4_avx2(Q4PAIR(l0, h0, y[0], z[0]), Q4PAIR(l1, h1, y[1], z[1]),    \
                                  Q4PAIR(l2, h2, y[2], z[2]), Q4PAIR(l3, h3, y[3], z[3]));   \
    }                                                                                         \
    ATTR static float olmoe__dot_q4_0_##SFX(int n, const void *w, const void *xq) {           \
        const uint8_t *a = (const uint8_t *)w, *b = (const uint8_t *)xq;                      \
        int nb = n / 32, i;                                                                   \
        __m256 acc = _mm256_setzero_ps();                                                     \
        float tail = 0.0f;                                                                    \
        for (i = 0; i + 8 <= nb; i += 8, a += 144, b += 272)                                  \
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(olmoe__q4stepc_##SFX(a, b)), _mm256_mul_ps(SW4(a), SY(b)), acc); \
        for (; i < nb; i++, a += 18, b += 34)                                                 \
            tail += (float)olmoe__hsumi_avx2(Q4BLK(a, b)) * (olmoe__h2f_avx2(a) * olmoe__h2f_avx2(b)); \
        return olmoe__hsum_avx2(acc) + tail;                                                  \
    }                                                                                         \
    /* y[r * ys] = row r . xq for nr rows at w + r * ws, four rows at a time sharing the      \
       activation's loads, scales and correction. */                                          \
    ATTR __attribute__((unused)) static void olmoe__dotr_q4_0_##SFX(int n, int nr, const void *w, size_t ws, const void *xq, \
                                            float *y, size_t ys) {                            \
        int nb = n / 32, r = 0, i, k;                                                         \
        for (; r + 4 <= nr; r += 4) {                                                         \
            const uint8_t *a = (const uint8_t *)w + (size_t)r * ws, *b = (const uint8_t *)xq; \
            __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;         \
            float tail[4] = {0.0f, 0.0f, 0.0f, 0.0f};                                         \
            for (i = 0; i + 8 <= nb; i += 8, a += 144, b += 272) {                            \
                __m256i yl[4], yh[4], c;                                                      \
                __m256 dy = SY(b);                                                            \
                OLMOE__Q4Y(b, 0, yl[0], yh[0]); OLMOE__Q4Y(b, 1, yl[1], yh[1]);               \
                OLMOE__Q4Y(b, 2, yl[2], yh[2]); OLMOE__Q4Y(b, 3, yl[3], yh[3]);               \
                c = olmoe__sum4x4_avx2(Q4CORR(yl[0], yh[0]), Q4CORR(yl[1], yh[1]), Q4CORR(yl[2], yh[2]), Q4CORR(yl[3], yh[3])); \
                acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(olmoe__q4step_##SFX(a, yl, yh), c)), \
                                       _mm256_mul_ps(SW4(a), dy), acc0);                      \
                acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(olmoe__q4step_##SFX(a + ws, yl, yh), c)), \
                                       _mm256_mul_ps(SW4(a + ws), dy), acc1);                 \
                acc2 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(olmoe__q4step_##SFX(a + 2 * ws, yl, yh), c)), \
                                       _mm256_mul_ps(SW4(a + 2 * ws), dy), acc2);             \
                acc3 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(olmoe__q4step_##SFX(a + 3 * ws, yl, yh), c)), \
                                       _mm256_mul_ps(SW4(a + 3 * ws), dy), acc3);             \
            }                                                                                 \
            for (; i < nb; i++, a += 18, b += 34)                                             \
                for (k = 0; k < 4; k++)                                                       \
                    tail[k] += (float)olmoe__hsumi_avx2(Q4BLK(a + k * ws, b)) *               \
                               (olmoe__h2f_avx2(a + k * ws) * olmoe__h2f_avx2(b));            \
            y[(size_t)r * ys] = olmoe__hsum_avx2(acc0) + tail[0];                             \
            y[(size_t)(r + 1) * ys] = olmoe__hsum_avx2(acc1) + tail[1];                       \
            y[(size_t)(r + 2) * ys] = olmoe__hsum_avx2(acc2) + tail[2];                       \
            y[(size_t)(r + 3) * ys] = olmoe__hsum_avx2(acc3) + tail[3];                       \
        }                                                                                     \
        for (; r < nr; r++) y[(size_t)r * ys] = olmoe__dot_q4_0_##SFX(n, (const uint8_t *)w + (size_t)r * ws, xq); \
    }

OLMOE__QKERNELS_X86(avx2, OLMOE__AVX2, olmoe__q8blk_avx2, olmoe__q4blk_avx2, olmoe__q4pair_avx2,
                    olmoe__q4pairc_avx2, olmoe__q4corr_avx2, olmoe__sw4_avx2, olmoe__sq8_avx2, olmoe__sq8_avx2)

/* 8 weights at p (f32, f16 or bf16) as floats. */
OLMOE__AVX2 static inline __m256 olmoe__ld8_f32_avx2(const uint8_t *p) { return _mm256_loadu_ps((const float *)p); }
OLMOE__AVX2 static inline __m256 olmoe__ld8_f16_avx2(const uint8_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}
OLMOE__AVX2 static inline __m256 olmoe__ld8_bf16_avx2(const uint8_t *p) {
    __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

#define OLMOE__DOTF_AVX2(NAME, LD, ESZ, TAIL)                                                  \
    OLMOE__AVX2 static float NAME(int n, const void *w, const float *x) {                     \
        const uint8_t *a = (const uint8_t *)w;                                                \
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();                            \
        __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();                            \
        int i = 0;                                                                            \
        for (; i + 32 <= n; i += 32) {                                                        \
            s0 = _mm256_fmadd_ps(LD(a + (size_t)i * ESZ), _mm256_loadu_ps(x + i), s0);        \
            s1 = _mm256_fmadd_ps(LD(a + (size_t)(i + 8) * ESZ), _mm256_loadu_ps(x + i + 8), s1);   \
            s2 = _mm256_fmadd_ps(LD(a + (size_t)(i + 16) * ESZ), _mm256_loadu_ps(x + i + 16), s2); \
            s3 = _mm256_fmadd_ps(LD(a + (size_t)(i + 24) * ESZ), _mm256_loadu_ps(x + i + 24), s3); \
        }                                                                                     \
        for (; i + 8 <= n; i += 8)                                                            \
            s0 = _mm256_fmadd_ps(LD(a + (size_t)i * ESZ), _mm256_loadu_ps(x + i), s0);        \
        return olmoe__hsum_avx2(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))) + \
               TAIL(a, x, i, n);                                                              \
    }
OLMOE__DOTF_AVX2(olmoe__dot_f32_avx2, olmoe__ld8_f32_avx2, 4, olmoe__simd_tail_f32)
OLMOE__DOTF_AVX2(olmoe__dot_f16_avx2, olmoe__ld8_f16_avx2, 2, olmoe__simd_tail_f16)
OLMOE__DOTF_AVX2(olmoe__dot_bf16_avx2, olmoe__ld8_bf16_avx2, 2, olmoe__simd_tail_bf16)

/* roundf (half away from zero) of 8 floats, exactly: t = trunc(v); t + sign(v) if |v - t| >= .5. */
OLMOE__AVX2 static inline __m256i olmoe__roundf_i32_avx2(__m256 v) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    __m256 f = _mm256_andnot_ps(sign, _mm256_sub_ps(v, t));
    __m256 up = _mm256_and_ps(_mm256_cmp_ps(f, _mm256_set1_ps(0.5f), _CMP_GE_OQ),
                              _mm256_or_ps(_mm256_and_ps(v, sign), _mm256_set1_ps(1.0f)));
    return _mm256_cvttps_epi32(_mm256_add_ps(t, up));
}

/* 32 values x times vid, rounded as roundf, as 32 int8 in order (the low byte of each int32: the
   quantizers' shared step, Q8_0 per block and Q8_K per 32 of its 256 values) */
OLMOE__AVX2 static inline __m256i olmoe__q8_32_avx2(const float *x, __m256 vid) {
    const __m256i lo = _mm256_set1_epi32(0xFF);
    __m256i q0 = _mm256_and_si256(olmoe__roundf_i32_avx2(_mm256_mul_ps(_mm256_loadu_ps(x), vid)), lo);
    __m256i q1 = _mm256_and_si256(olmoe__roundf_i32_avx2(_mm256_mul_ps(_mm256_loadu_ps(x + 8), vid)), lo);
    __m256i q2 = _mm256_and_si256(olmoe__roundf_i32_avx2(_mm256_mul_ps(_mm256_loadu_ps(x + 16), vid)), lo);
    __m256i q3 = _mm256_and_si256(olmoe__roundf_i32_avx2(_mm256_mul_ps(_mm256_loadu_ps(x + 24), vid)), lo);
    q0 = _mm256_packus_epi16(_mm256_packus_epi32(q0, q1), _mm256_packus_epi32(q2, q3));
    return _mm256_permutevar8x32_epi32(q0, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}
OLMOE__AVX2 static void olmoe__quant_q8_0_avx2(const float *x, void *y, int n) {
    uint8_t *o = (uint8_t *)y;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    int b;
    for (b = 0; b < n / 32; b++, x += 32, o += 34) {
        __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
        __m256 v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
        __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1)),
                                 _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        float amax, d, id;
        uint16_t dh;
        __m256 vid;
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        amax = _mm_cvtss_f32(h);
        d = amax / 127.0f;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        dh = (uint16_t)_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);
        memcpy(o, &dh, 2);
        vid = _mm256_set1_ps(id);
        _mm256_storeu_si256((__m256i *)(o + 2), olmoe__q8_32_avx2(x, vid));
    }
}

/* quads: from 4 groups' vectors g[0..3] (qword i = values 8i..8i+7), v[i] = qword i of each */
OLMOE__AVX2 static inline __attribute__((always_inline)) void olmoe__kquad_avx2(const __m256i *g, __m256i *v) {
    __m256i t0 = _mm256_unpacklo_epi64(g[0], g[1]), t1 = _mm256_unpackhi_epi64(g[0], g[1]);
    __m256i t2 = _mm256_unpacklo_epi64(g[2], g[3]), t3 = _mm256_unpackhi_epi64(g[2], g[3]);
    v[0] = _mm256_permute2x128_si256(t0, t2, 0x20);
    v[1] = _mm256_permute2x128_si256(t1, t3, 0x20);
    v[2] = _mm256_permute2x128_si256(t0, t2, 0x31);
    v[3] = _mm256_permute2x128_si256(t1, t3, 0x31);
}
/* Q8_K: quant_q8_0_avx2's steps over 256 values (the reference's bytes), the 16-value sums
   (maddubs with ones, then pairs of 4-sums), the values stored in quads */
OLMOE__AVX2 static void olmoe__quant_q8_K_avx2(const float *x, void *y, int n) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256i ones = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
    int b, g;
    for (b = 0; b < n / 256; b++, x += 256) {
        olmoe__block_q8_K *o = (olmoe__block_q8_K *)y + b;
        __m256 m = _mm256_setzero_ps(), vid;
        __m128 h;
        __m256i s4[8], qg[8], qk[8];
        float amax, d, id;
        for (g = 0; g < 32; g++) m = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * g)), m); /* NaN: m */
        h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        amax = _mm_cvtss_f32(h);
        d = amax / 127.0f;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        o->d = d;
        vid = _mm256_set1_ps(id);
        for (g = 0; g < 8; g++) {
            qg[g] = olmoe__q8_32_avx2(x + 32 * g, vid);
            s4[g] = _mm256_madd_epi16(_mm256_maddubs_epi16(ones, qg[g]), ones16); /* sums of 4: lanes 0-3 part 2g, 4-7 part 2g + 1 */
        }
        olmoe__kquad_avx2(qg, qk);
        olmoe__kquad_avx2(qg + 4, qk + 4);
        for (g = 0; g < 8; g++) _mm256_storeu_si256((__m256i *)(void *)(o->qs + 32 * g), qk[g]);
        memset(o->pad, 0, sizeof o->pad);
        for (g = 0; g < 8; g += 2) { /* [p 2g, 2g + 1, 2g + 2, 2g + 3] from two vectors of 4-sums */
            __m256i a = _mm256_hadd_epi32(s4[g], s4[g + 1]);  /* [g01 g23 h01 h23 | g45 g67 h45 h67] */
            __m128i q = _mm_hadd_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1)); /* [g0-3 h0-3 g4-7 h4-7] */
            q = _mm_shuffle_epi32(q, _MM_SHUFFLE(3, 1, 2, 0));
            _mm_storel_epi64((__m128i *)(void *)(o->bsums + 2 * g), _mm_packs_epi32(q, q));
        }
    }
}

/* e^(x - n ln 2) for the clamped x and n = round(x log2 e), on W-bit vectors (W = 256 or 512):
   ln 2 in two parts, then Cephes' expf polynomial. */
#define OLMOE__EXP_POLY(W, x, n, r, p)                                                                    \
    do {                                                                                                \
        r = _mm##W##_fnmadd_ps(n, _mm##W##_set1_ps(0.693359375f), x);                                   \
        r = _mm##W##_fnmadd_ps(n, _mm##W##_set1_ps(-2.12194440e-4f), r);                                \
        p = _mm##W##_fmadd_ps(_mm##W##_set1_ps(1.9875691500e-4f), r, _mm##W##_set1_ps(1.3981999507e-3f)); \
        p = _mm##W##_fmadd_ps(p, r, _mm##W##_set1_ps(8.3334519073e-3f));                                \
        p = _mm##W##_fmadd_ps(p, r, _mm##W##_set1_ps(4.1665795894e-2f));                                \
        p = _mm##W##_fmadd_ps(p, r, _mm##W##_set1_ps(1.6666665459e-1f));                                \
        p = _mm##W##_fmadd_ps(p, r, _mm##W##_set1_ps(5.0000001201e-1f));                                \
        p = _mm##W##_add_ps(_mm##W##_fmadd_ps(p, _mm##W##_mul_ps(r, r), r), _mm##W##_set1_ps(1.0f));    \
    } while (0)
/* exp(x) for x in [-87.3, 88]: the polynomial for e^r, r = x - n ln 2, times 2^n through the
   exponent bits (the clamp keeps n in [-126, 127]). */
OLMOE__AVX2 static inline __m256 olmoe__exp_avx2(__m256 x) {
    __m256 n, r, p;
    x = _mm256_max_ps(_mm256_set1_ps(-87.3f), _mm256_min_ps(_mm256_set1_ps(88.0f), x));
    n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504089f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    OLMOE__EXP_POLY(256, x, n, r, p);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23)));
}
/* The tails go through the same vector code (a masked load and store), so an element's bits do
   not depend on n. */
OLMOE__AVX2 static void olmoe__silu_mul_avx2(int n, float *g, const float *u) {
    int i;
    for (i = 0; i < n; i += 8) {
        __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - i), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256 x = _mm256_maskload_ps(g + i, m), v = _mm256_maskload_ps(u + i, m);
        __m256 e = olmoe__exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), x));
        _mm256_maskstore_ps(g + i, m, _mm256_mul_ps(_mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), v));
    }
}
OLMOE__AVX2 static float olmoe__exp_sum_avx2(int n, float *x, float mx) {
    __m256 s = _mm256_setzero_ps();
    __m128 h;
    int i;
    for (i = 0; i < n; i += 8) {
        __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - i), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256 e = _mm256_and_ps(olmoe__exp_avx2(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), _mm256_set1_ps(mx))), _mm256_castsi256_ps(m));
        _mm256_maskstore_ps(x + i, m, e);
        s = _mm256_add_ps(s, e);
    }
    h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

/* axpy is element-wise, and callers split one vector into row ranges that depend on the thread
   count (the one-token down projection): so the tail is one fused multiply-add per element too,
   through a masked load and store, and an element's bits never depend on where its range starts
   or ends. (A separate multiply and add in the tail broke token-by-token == batch on AVX2.) */
OLMOE__AVX2 static void olmoe__axpy_f32_avx2(int n, float a, const float *x, float *y) {
    __m256 va = _mm256_set1_ps(a);
    int i;
    for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    if (i < n) {
        __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - i), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        _mm256_maskstore_ps(y + i, m, _mm256_fmadd_ps(va, _mm256_maskload_ps(x + i, m), _mm256_maskload_ps(y + i, m)));
    }
}

/* F16C converts exactly (round to nearest even, subnormals, inf, NaN as the scalar functions). */
OLMOE__AVX2 static void olmoe__axpy_f16_avx2(int n, float a, const uint16_t *x, float *y) {
    __m256 va = _mm256_set1_ps(a);
    int i;
    for (i = 0; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))), _mm256_loadu_ps(y + i)));
    if (i < n) {
        uint16_t t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - i), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        memcpy(t, x + i, (size_t)(n - i) * sizeof(uint16_t));
        _mm256_maskstore_ps(y + i, m, _mm256_fmadd_ps(va, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)t)), _mm256_maskload_ps(y + i, m)));
    }
}
OLMOE__AVX2 static void olmoe__cvt_f16_avx2(int n, const float *x, uint16_t *y) {
    int i;
    for (i = 0; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = olmoe_fp32_to_fp16(x[i]);
}

/* ---- AVX2 rows x tokens kernels (decode and prefill) ----------------------------------------
   maddubs multiplies an unsigned byte operand by a signed one and adds adjacent pairs into int16;
   a block's products must reach an exact int32 sum before its scale. The layout puts 8 bytes of
   each of 4 blocks in one vector ("quad" vector k holds elements 8k..8k+7 of each block in its
   qwords), so the 4 vectors of a quad keep every int16 and int32 lane inside one block: their
   Q4_0 maddubs results add up in int16 (4 x 2 x 15 x 128 < 2^15), one madd gives 2 int32
   partials per block, and one shuffle-add of the two quads of an 8-block group gives the 8 block
   sums in block order. Quad 0 holds blocks 0, 1 (low lane) and 4, 5 (high lane), quad 1 blocks
   2, 3, 6, 7: then that shuffle-add leaves the sums in natural order.
   The activation's second layout, per 8 blocks (320 of the 384 bytes):
     0    quad 0 vectors k = 0..3 (32 bytes each: y_0[8k..8k+7] y_1[..] y_4[..] y_5[..])
     128  quad 1 vectors (blocks 2, 3, 6, 7)
     256  8 floats: the blocks' scales d_0..d_7
     288  8 int32: 8 sum(y_b) (the -8 of Q4_0, subtracted from the exact sums)
   A weight row's group is unpacked into the 8 quad vectors once and serves a tile of up to
   OLMOE__XT4_AVX2 / OLMOE__XT8_AVX2 tokens (16 ymm registers: a Q4_0 group's 8 weight vectors and
   the scales, the rest for tokens; a Q8_0 quad needs 8, so its quads go over the tile in turn).
   Q8_0 weights take the single-token kernels' |w| x sign(y, w): one maddubs per vector (pairs
   reach 2 x 128 x 127, so no int16 adds), exact for activations without -128 (quant_q8_0
   never writes it). Each (row, token) accumulates its 8 block terms in the 8 fp32 lanes, one
   group after another, then a fixed horizontal sum and the leftover blocks one at a time: the
   same bits whatever the tile and the row's neighbours. */
OLMOE__AVX2 static void olmoe__prep_q8_avx2(const void *xq, void *xp, int n) {
    static const int quad[8] = {0, 1, 4, 5, 2, 3, 6, 7}; /* block of qword j of quad q: quad[4q + j] */
    const uint8_t *b = (const uint8_t *)xq;
    uint8_t *o = (uint8_t *)xp;
    int g, q, j, k;
    for (g = 0; g + 8 <= n / 32; g += 8, b += 272, o += 384) {
        float d[8];
        int32_t cs[8];
        for (q = 0; q < 2; q++)
            for (k = 0; k < 4; k++)
                for (j = 0; j < 4; j++) memcpy(o + 128 * q + 32 * k + 8 * j, b + 34 * quad[4 * q + j] + 2 + 8 * k, 8);
        for (k = 0; k < 8; k++) {
            __m256i y = _mm256_loadu_si256((const __m256i *)(b + 34 * k + 2));
            d[k] = olmoe__h2f_avx2(b + 34 * k);
            cs[k] = 8 * olmoe__hsumi_avx2(_mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), y), _mm256_set1_epi16(1)));
        }
        memcpy(o + 256, d, 32);
        memcpy(o + 288, cs, 32);
    }
}
/* One row's 8-block group as 8 quad vectors: Q4_0 as nibbles (vectors 0, 1 from the low
   nibbles, 2, 3 from the high ones: elements 0..7, 8..15, 16..23, 24..31); Q8_0 as raw bytes
   (w) and magnitudes (u). Blocks at 18 or 34 bytes; c0, c1 = first block of the quad's lanes. */
OLMOE__AVX2 static inline __attribute__((always_inline)) void
olmoe__xquad_avx2(int q8, const uint8_t *a, int c0, int c1, __m256i *u, __m256i *w) {
    if (!q8) {
        const __m256i m4 = _mm256_set1_epi8(0x0F);
        __m256i x = olmoe__ld2x16_avx2(a + 18 * c0 + 2, a + 18 * c1 + 2), y = olmoe__ld2x16_avx2(a + 18 * c0 + 20, a + 18 * c1 + 20);
        __m256i v = _mm256_unpacklo_epi64(x, y), h = _mm256_unpackhi_epi64(x, y);
        u[0] = _mm256_and_si256(v, m4); u[1] = _mm256_and_si256(h, m4);
        u[2] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4); u[3] = _mm256_and_si256(_mm256_srli_epi16(h, 4), m4);
    } else {
        __m256i x = olmoe__ld2x16_avx2(a + 34 * c0 + 2, a + 34 * c1 + 2), y = olmoe__ld2x16_avx2(a + 34 * c0 + 36, a + 34 * c1 + 36);
        __m256i x2 = olmoe__ld2x16_avx2(a + 34 * c0 + 18, a + 34 * c1 + 18), y2 = olmoe__ld2x16_avx2(a + 34 * c0 + 52, a + 34 * c1 + 52);
        w[0] = _mm256_unpacklo_epi64(x, y); w[1] = _mm256_unpackhi_epi64(x, y);
        w[2] = _mm256_unpacklo_epi64(x2, y2); w[3] = _mm256_unpackhi_epi64(x2, y2);
        u[0] = _mm256_abs_epi8(w[0]); u[1] = _mm256_abs_epi8(w[1]); u[2] = _mm256_abs_epi8(w[2]); u[3] = _mm256_abs_epi8(w[3]);
    }
}
/* A quad . the token's quad vectors at p: 8 int32, 2 partials per block. */
OLMOE__AVX2 static inline __attribute__((always_inline)) __m256i
olmoe__xdot_avx2(int q8, const __m256i *u, const __m256i *w, const uint8_t *p) {
    const __m256i one = _mm256_set1_epi16(1);
    __m256i y0 = _mm256_loadu_si256((const __m256i *)p), y1 = _mm256_loadu_si256((const __m256i *)(p + 32));
    __m256i y2 = _mm256_loadu_si256((const __m256i *)(p + 64)), y3 = _mm256_loadu_si256((const __m256i *)(p + 96));
    if (!q8) {
        __m256i s = _mm256_add_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(u[0], y0), _mm256_maddubs_epi16(u[1], y1)),
                                     _mm256_add_epi16(_mm256_maddubs_epi16(u[2], y2), _mm256_maddubs_epi16(u[3], y3)));
        return _mm256_madd_epi16(s, one);
    }
    return _mm256_add_epi32(
        _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(u[0], _mm256_sign_epi8(y0, w[0])), one),
                         _mm256_madd_epi16(_mm256_maddubs_epi16(u[1], _mm256_sign_epi8(y1, w[1])), one)),
        _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(u[2], _mm256_sign_epi8(y2, w[2])), one),
                         _mm256_madd_epi16(_mm256_maddubs_epi16(u[3], _mm256_sign_epi8(y3, w[3])), one)));
}
#ifndef OLMOE__UNROLL12
#define OLMOE__UNROLL12 _Pragma("GCC unroll 12")
#endif
/* Row a (ng groups of 8 blocks) x T tokens (second layouts at xp[t]) into acc[t]. */
OLMOE__AVX2 static inline __attribute__((always_inline)) void
olmoe__xtile_avx2(int q8, int ng, const uint8_t *a, const uint8_t *const *xp, int T, __m256 *acc) {
    int g, t, gb = q8 ? 272 : 144;
    OLMOE__UNROLL12
    for (t = 0; t < T; t++) acc[t] = _mm256_setzero_ps();
    for (g = 0; g < ng; g++, a += gb) {
        __m256i u0[4], w0[4], u1[4], w1[4], m0[12];
        __m256 ws = olmoe__scales8_avx2(a, q8 ? 34 : 18, 0);
        /* Q8_0 needs 8 registers a quad (|w| and w): one quad over the tile, then the other */
        olmoe__xquad_avx2(q8, a, 0, 4, u0, w0);
        if (q8) {
            OLMOE__UNROLL12
            for (t = 0; t < T; t++) m0[t] = olmoe__xdot_avx2(q8, u0, w0, xp[t] + (size_t)g * 384);
        }
        olmoe__xquad_avx2(q8, a, 2, 6, u1, w1);
        OLMOE__UNROLL12
        for (t = 0; t < T; t++) {
            const uint8_t *p = xp[t] + (size_t)g * 384;
            __m256i m1 = olmoe__xdot_avx2(q8, u1, w1, p + 128);
            if (!q8) m0[t] = olmoe__xdot_avx2(q8, u0, w0, p);
            {
            __m256i m0t = m0[t];
            /* [b0 b0 b1 b1 | b4 b4 b5 b5], [b2 b2 b3 b3 | b6 b6 b7 b7] -> b0..b7 */
            __m256i s = _mm256_add_epi32(
                _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(m0t), _mm256_castsi256_ps(m1), 0x88)),
                _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(m0t), _mm256_castsi256_ps(m1), 0xDD)));
            if (!q8) s = _mm256_sub_epi32(s, _mm256_loadu_si256((const __m256i *)(p + 288)));
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(ws, _mm256_loadu_ps((const float *)(p + 256))), acc[t]);
            }
        }
    }
}
/* The blocks after the last full group, one at a time (as the single-row dots do). */
OLMOE__AVX2 __attribute__((noinline)) static float olmoe__xtail_avx2(int q8, int i, int nb, const uint8_t *a, const uint8_t *b) {
    float tail = 0.0f;
    int wb = q8 ? 34 : 18;
    for (a += (size_t)i * wb, b += (size_t)i * 34; i < nb; i++, a += wb, b += 34)
        tail += (float)olmoe__hsumi_avx2(q8 ? olmoe__q8blk_avx2(a, b) : olmoe__q4blk_avx2(a, b)) * (olmoe__h2f_avx2(a) * olmoe__h2f_avx2(b));
    return tail;
}
OLMOE__AVX2 static inline __attribute__((always_inline)) void
olmoe__xrow_avx2(int q8, int n, const uint8_t *a, int i, int T, const uint8_t *const *xq, float *const *y, size_t xo) {
    int nb = n / 32, ng = nb / 8, t;
    const uint8_t *xp[12];
    __m256 acc[12];
    for (t = 0; t < T; t++) xp[t] = xq[t] + xo;
    olmoe__xtile_avx2(q8, ng, a, xp, T, acc);
    for (t = 0; t < T; t++) {
        float r = olmoe__hsum_avx2(acc[t]);
        if (ng * 8 < nb) r += olmoe__xtail_avx2(q8, ng * 8, nb, a, xq[t]);
        y[t][i] = r;
    }
}
/* One function per weight type and tile size, so each keeps its accumulators in registers. */
/* Largest token tiles (Q4_0, Q8_0): 8 and 6 measured best on Zen 4 (the accumulators go to the
   stack from about 6 tokens on, which costs less than unpacking the weights more often). */
#define OLMOE__XT4_AVX2 8
#define OLMOE__XT8_AVX2 6
typedef void (*olmoe__xrow_fn)(int n, const uint8_t *a, int i, const uint8_t *const *xq, float *const *y, size_t xo);
#define OLMOE__XROW_T(Q, T)                                                                            \
    OLMOE__AVX2 __attribute__((noinline)) static void olmoe__xrow##Q##_##T##_avx2(                    \
        int n, const uint8_t *a, int i, const uint8_t *const *xq, float *const *y, size_t xo) {      \
        olmoe__xrow_avx2(Q, n, a, i, T, xq, y, xo);                                                   \
    }
#define OLMOE__XROWS(Q)                                                                                \
    OLMOE__TILES12(OLMOE__XROW_T, Q)                                                                  \
    static const olmoe__xrow_fn olmoe__xrow##Q##_avx2_t[13] = OLMOE__TILE_TABLE(olmoe__xrow, Q, _avx2);
OLMOE__XROWS(0)
OLMOE__XROWS(1)
/* Tokens in as few tiles of at most tmax as can hold them (sizes differing by at
   most 1); per tile every row, so the tile's activations stay in L1 while the rows stream by. */
OLMOE__AVX2 static void olmoe__mm_x_avx2(const olmoe__xrow_fn *fn, int tmax, int n, int nr, const uint8_t *W, size_t ws, int nt,
                                         const uint8_t *const *xq, float *const *y) {
    size_t xo = olmoe__xp_offset(n);
    int ntile = (nt + tmax - 1) / tmax, i, t, k;
    for (t = 0, k = 0; k < ntile; k++) {
        int tt = nt / ntile + (k < nt % ntile);
        for (i = 0; i < nr; i++) {
            if (tt > 1) OLMOE__PREFETCH(W + (size_t)(i + 16) * ws, ws, 3); /* the row 16 ahead (as the K-quant tiles) */
            fn[tt](n, W + (size_t)i * ws, i, xq + t, y + t, xo);
        }
        t += tt;
    }
}
OLMOE__AVX2 static void olmoe__mm_q4_0_avx2(int n, int nr, const void *w, size_t ws, int nt,
                                            const uint8_t *const *xq, float *const *y) {
    olmoe__mm_x_avx2(olmoe__xrow0_avx2_t, OLMOE__XT4_AVX2, n, nr, (const uint8_t *)w, ws, nt, xq, y);
}
OLMOE__AVX2 static void olmoe__mm_q8_0_avx2(int n, int nr, const void *w, size_t ws, int nt,
                                            const uint8_t *const *xq, float *const *y) {
    olmoe__mm_x_avx2(olmoe__xrow1_avx2_t, OLMOE__XT8_AVX2, n, nr, (const uint8_t *)w, ws, nt, xq, y);
}

/* Decoded types (>>kquants) on AVX2: per 32-group, maddubs of |q| with sign(y, q) (exact: |q| <=
   128 and y in [-127, 127], so a pair sum fits int16) and madd with ones -> 8 int32 partials, 4
   per 16-half; one hadd tree over the 8 groups gives the exact sums of the 16 halves, which are
   multiplied by their integer scales (and the y half-sums by the integer mins) in int32 lanes;
   then dy * (d * is + dm * ms) in 8 float lanes. */
/* sum over the two halves of each group of (half sum) * (its int16 factor in f[2g], f[2g + 1]) */
OLMOE__AVX2 static inline __m256i olmoe__scale_halves_avx2(const __m256i *v, const int16_t *f) {
    __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
    __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(v[4], v[5]), _mm256_hadd_epi32(v[6], v[7]));
    __m256i h0 = _mm256_permute2x128_si256(a, b, 0x20); /* first halves of groups 0..7 */
    __m256i h1 = _mm256_permute2x128_si256(a, b, 0x31); /* second halves */
    __m256i fv = _mm256_loadu_si256((const __m256i *)(const void *)f);
    return _mm256_add_epi32(_mm256_mullo_epi32(h0, _mm256_srai_epi32(_mm256_slli_epi32(fv, 16), 16)),
                            _mm256_mullo_epi32(h1, _mm256_srai_epi32(fv, 16)));
}
/* AVX2 block decoders of the other decoded types (the same form as the scalar ones, bit for bit);
   Q4_K, Q5_K and Q6_K go through the fused kernels below instead (OLMOE__K8_MM_DEF, with the Q8_K activation).
   IQ4: 16 bytes of nibbles -> 32 values through the table (one pshufb) */
OLMOE__AVX2 static inline __m256i olmoe__iq4_32_avx2(const uint8_t *qs) {
    const __m256i tab = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)olmoe__kvalues_iq4nl));
    const __m128i m4 = _mm_set1_epi8(0xF);
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)qs);
    return _mm256_shuffle_epi8(tab, _mm256_setr_m128i(_mm_and_si128(v, m4), _mm_and_si128(_mm_srli_epi16(v, 4), m4)));
}
OLMOE__AVX2 static void olmoe__dec_iq4_nl_avx2(const uint8_t *b, olmoe__dec *o, int g) {
    olmoe__dec_fill(o, g, 1, olmoe__h2f_avx2(b), 0.0f, 1, 0);
    _mm256_storeu_si256((__m256i *)(void *)(o->q + 32 * g), olmoe__iq4_32_avx2(b + 2));
}
/* an IQ4_XS block's 16 integer scales (one per 16 values, the 8 6-bit scales twice each, minus 32):
   the 6-bit scales as bytes in a general-purpose register (scale g: nibble g of bytes 4..7, bits 2g,
   2g + 1 of the 16-bit word at 2 as its bits 4, 5), then one vector */
OLMOE__AVX2 static inline __m256i olmoe__iq4xs_scales_avx2(const uint8_t *b) {
    uint64_t lo = olmoe__simd_ld32(b + 4), sh = olmoe__simd_ld16(b + 2), ls = 0;
    __m128i v;
    int g;
    for (g = 0; g < 8; g++) ls |= (((lo >> (4 * g)) & 0xF) | ((sh >> (2 * g)) & 3) << 4) << (8 * g);
    v = _mm_cvtsi64_si128((long long)ls);
    return _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(v, v)), _mm256_set1_epi16(32));
}
/* whole-vector stores, which the dot's vector loads forward from (scalar stores would not) */
OLMOE__AVX2 static void olmoe__dec_iq4_xs_avx2(const uint8_t *b, olmoe__dec *o, int g0) {
    int g;
    (void)g0;
    _mm256_storeu_si256((__m256i *)(void *)o->s, olmoe__iq4xs_scales_avx2(b));
    _mm256_storeu_si256((__m256i *)(void *)o->m, _mm256_setzero_si256());
    _mm256_storeu_ps(o->d, _mm256_set1_ps(olmoe__h2f_avx2(b)));
    _mm256_storeu_ps(o->dm, _mm256_setzero_ps());
    for (g = 0; g < 8; g++) _mm256_storeu_si256((__m256i *)(void *)(o->q + 32 * g), olmoe__iq4_32_avx2(b + 8 + 16 * g));
}
/* Q4_1/Q5_0/Q5_1: nibbles j and j + 16 of 16 bytes; the 5th bits from qh (bit j -> 0x10 in byte j) */
OLMOE__AVX2 static inline __m256i olmoe__nib32_avx2(const uint8_t *qs) {
    const __m128i m4 = _mm_set1_epi8(0xF);
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)qs);
    return _mm256_setr_m128i(_mm_and_si128(v, m4), _mm_and_si128(_mm_srli_epi16(v, 4), m4));
}
OLMOE__AVX2 static inline __m256i olmoe__qh32_avx2(const uint8_t *p) {
    uint32_t qh;
    __m256i b, bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    memcpy(&qh, p, 4);
    b = _mm256_shuffle_epi8(_mm256_set1_epi32((int)qh), _mm256_setr_epi64x(0, 0x0101010101010101ll, 0x0202020202020202ll, 0x0303030303030303ll));
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(b, bit), bit), _mm256_set1_epi8(0x10));
}
/* the 32 values of a Q4_1 / Q5_0 / Q5_1 / IQ4_NL block (type t) as int8, the scalar decoder's */
OLMOE__AVX2 static inline __attribute__((always_inline)) __m256i olmoe__q32_avx2(int t, const uint8_t *b) {
    return t == OLMOE_TYPE_IQ4_NL ? olmoe__iq4_32_avx2(b + 2)
           : t == OLMOE_TYPE_Q4_1 ? olmoe__nib32_avx2(b + 4)
           : t == OLMOE_TYPE_Q5_0 ? _mm256_sub_epi8(_mm256_or_si256(olmoe__nib32_avx2(b + 6), olmoe__qh32_avx2(b + 2)), _mm256_set1_epi8(16))
                                  : _mm256_or_si256(olmoe__nib32_avx2(b + 8), olmoe__qh32_avx2(b + 4));
}
OLMOE__AVX2 static void olmoe__dec_q4_1_avx2(const uint8_t *b, olmoe__dec *o, int g) {
    olmoe__dec_fill(o, g, 1, olmoe__h2f_avx2(b), olmoe__h2f_avx2(b + 2), 1, 1);
    _mm256_storeu_si256((__m256i *)(void *)(o->q + 32 * g), olmoe__q32_avx2(OLMOE_TYPE_Q4_1, b));
}
OLMOE__AVX2 static void olmoe__dec_q5_0_avx2(const uint8_t *b, olmoe__dec *o, int g) {
    olmoe__dec_fill(o, g, 1, olmoe__h2f_avx2(b), 0.0f, 1, 0);
    _mm256_storeu_si256((__m256i *)(void *)(o->q + 32 * g), olmoe__q32_avx2(OLMOE_TYPE_Q5_0, b));
}
OLMOE__AVX2 static void olmoe__dec_q5_1_avx2(const uint8_t *b, olmoe__dec *o, int g) {
    olmoe__dec_fill(o, g, 1, olmoe__h2f_avx2(b), olmoe__h2f_avx2(b + 2), 1, 1);
    _mm256_storeu_si256((__m256i *)(void *)(o->q + 32 * g), olmoe__q32_avx2(OLMOE_TYPE_Q5_1, b));
}
/* Q3_K's 16 integer scales (one per 16 values, -32 taken off) as int16, from its 12 bytes at sc:
   scale k: low bits the low (k < 8) or high nibble of sc[k % 8], high bits bits 2(k / 4),
   2(k / 4) + 1 of sc[8 + k % 4]; as 16 bytes in two general-purpose registers, then one vector */
OLMOE__AVX2 static inline __m256i olmoe__q3k_scales_avx2(const uint8_t *sc) {
    uint64_t a, x = olmoe__simd_ld32(sc + 8), n4 = 0x0F0F0F0F0F0F0F0Full;
    uint64_t h0 = (x & 0x03030303u) | ((x >> 2) & 0x03030303u) << 32, h1 = ((x >> 4) & 0x03030303u) | ((x >> 6) & 0x03030303u) << 32;
    __m128i v;
    memcpy(&a, sc, 8);
    v = _mm_set_epi64x((long long)(((a >> 4) & n4) | h1 << 4), (long long)((a & n4) | h0 << 4));
    return _mm256_sub_epi16(_mm256_cvtepu8_epi16(v), _mm256_set1_epi16(32));
}
/* ---- Q4_1, Q5_0, Q5_1, IQ4_NL, IQ4_XS, Q2_K, Q3_K rows x tokens: the Q4_0 tiles' shape ------
   The types dotted with the Q8_0 activation ("q32": in 32-value blocks) go through the quad layout
   of the AVX2 Q4_0 tiles (olmoe__prep_q8_avx2): a row's 8-block group unpacked once into 8 quad
   vectors serves a tile of tokens, and the 8 block sums come out in block order after one
   shuffle-add. Q4_1 nibbles (0..15) and Q5_0/Q5_1 values (0..31) are unsigned and go to maddubs
   as they are (4 x 2 x 31 x 127 < 2^15: a quad's 4 products add up in int16); Q5_0's -16 is 2 x the layout's 8 sum(y). IQ4_NL's table values are
   signed: on AVX2 |v| x sign(y, v), each vector madd'ed to int32 (as Q8_0's); with VNNI v + 128
   (unsigned) goes to vpdpbusd, which does not saturate, and 128 sum(y) = 16 x the layout's 8
   sum(y) comes off. IQ4_XS, Q2_K and Q3_K: a 256-block is a group, its 8 32-value blocks the
   group's blocks; IQ4_XS's block scales are d (ls - 32) (exact in fp32); Q2_K's (0..3) and Q3_K's
   (-4..3, as |q| x sign(y, q)) values go to maddubs on both paths and each 16-value half's sum is
   multiplied by its integer scale in the madd (olmoe__k23dot_avx2); Q2_K's mins are one madd of
   the 16 integer mins with the activation's 16-value sums (at 320 in the layout, made for Q2_K).
   Each (row, token) accumulates per 8-block group, in 8 fp32 lanes, s_b (d_b dy_b) [+ sum(y_b)
   (m_b dy_b)], then a fixed horizontal sum and the blocks past the last group one at a time: the
   same integers and fp32 steps, so the same bits, for any tile, for one token (dot_dec is one row
   and one token of this) and on both paths. The decoded types'
   activation records carry only Q8_0 blocks, so the layout is made per tile in a local buffer:
   rows of at most OLMOE__Q32_MAXG groups go this way (longer ones through the decoded form). */
#define OLMOE__Q32_MAXG 64
#define OLMOE__XT32 8
static int olmoe__q32_tiled(const olmoe__qtype *qt, int n) { return !qt->k8 && n / 256 <= OLMOE__Q32_MAXG; } /* every decoded type but the k8 ones */
/* a 32-block's bytes (IQ4_XS: its 16 bytes of nibbles in the 256-block; unused for Q2_K, Q3_K), a
   group's bytes, where a block's values start (Q5_1 and IQ4_XS: 8) */
#define OLMOE__Q32_BS(t) ((t) == OLMOE_TYPE_IQ4_NL ? 18 : (t) == OLMOE_TYPE_Q4_1 ? 20 : (t) == OLMOE_TYPE_Q5_0 ? 22 : (t) == OLMOE_TYPE_Q5_1 ? 24 : 16)
#define OLMOE__Q32_GS(t) ((t) == OLMOE_TYPE_IQ4_XS ? 136 : (t) == OLMOE_TYPE_Q3_K ? 110 : (t) == OLMOE_TYPE_Q2_K ? 84 : 8 * OLMOE__Q32_BS(t))
#define OLMOE__Q32_QO(t) ((t) == OLMOE_TYPE_IQ4_NL ? 2 : (t) == OLMOE_TYPE_Q4_1 ? 4 : (t) == OLMOE_TYPE_Q5_0 ? 6 : 8)
#define OLMOE__Q32_IQ4(t) ((t) == OLMOE_TYPE_IQ4_NL || (t) == OLMOE_TYPE_IQ4_XS)
#define OLMOE__Q32_MIN(t) ((t) == OLMOE_TYPE_Q4_1 || (t) == OLMOE_TYPE_Q5_1)
/* an IQ4_XS 256-block's 8 block scales d (ls_g - 32) as floats (exact: an fp16 times a 6-bit
   integer); ls_g = nibble g of the 32 bits at 4 | bits 2g, 2g + 1 of the 16 at 2, as 4, 5: lane g
   shifts both words by its own count */
OLMOE__AVX2 static inline __m256 olmoe__iq4xs_d8_avx2(const uint8_t *b) {
    __m256i lo = _mm256_srlv_epi32(_mm256_set1_epi32((int)olmoe__simd_ld32(b + 4)), _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28));
    __m256i hi = _mm256_srlv_epi32(_mm256_set1_epi32((int)olmoe__simd_ld16(b + 2)), _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14));
    __m256i ls = _mm256_or_si256(_mm256_and_si256(lo, _mm256_set1_epi32(0xF)), _mm256_slli_epi32(_mm256_and_si256(hi, _mm256_set1_epi32(3)), 4));
    return _mm256_mul_ps(_mm256_set1_ps(olmoe__h2f_avx2(b)), _mm256_cvtepi32_ps(_mm256_sub_epi32(ls, _mm256_set1_epi32(32))));
}
/* Q2_K's activation side: each group's 16 sums of 16 values (int16, block order) at 320 of its
   layout */
static void olmoe__prep_sums16(const uint8_t *xq, uint8_t *xp, int n) {
    int g, k, i;
    for (g = 0; g < n / 256; g++)
        for (k = 0; k < 16; k++) {
            const int8_t *y = (const int8_t *)(const void *)(xq + (size_t)(8 * g + k / 2) * 34 + 2 + 16 * (k % 2));
            int16_t s = 0;
            for (i = 0; i < 16; i++) s = (int16_t)(s + y[i]);
            memcpy(xp + (size_t)g * 384 + 320 + 2 * k, &s, 2);
        }
}
/* A quad (blocks c0, c0 + 1 in the low lane, c1, c1 + 1 in the high one) of type t's group at a
   as unsigned values u (IQ4_NL: |v| and v in w; vn: v + 128) */
OLMOE__AVX2 static inline __attribute__((always_inline)) void
olmoe__q32quad_avx2(int t, int vn, const uint8_t *a, int c0, int c1, __m256i *u, __m256i *w) {
    const int bs = OLMOE__Q32_BS(t), qo = OLMOE__Q32_QO(t);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    __m256i x, y, v, h;
    int k;
    if (t == OLMOE_TYPE_Q2_K || t == OLMOE_TYPE_Q3_K) {
        /* block j = 4h + s of the 256-block: element l is bits 2s, 2s + 1 of qs[32h + l] (qs at 16
           in Q2_K, 32 in Q3_K); Q3_K: minus 4 where bit j of hm[l] is clear. Quad vector k holds
           elements 8k..8k+7: bytes 8k.. of qs (low lane h = 0, high lane h = 1) and of hm, each
           qword shifted by its block's 2s and tested against its block's bit (c0 = 0: blocks 0, 1,
           4, 5; c0 = 2: 2, 3, 6, 7) */
        const int o = t == OLMOE_TYPE_Q2_K ? 16 : 32;
        const __m256i m2 = _mm256_set1_epi8(3), sh = c0 ? _mm256_setr_epi64x(4, 6, 4, 6) : _mm256_setr_epi64x(0, 2, 0, 2);
        __m256i q0 = olmoe__ld2x16_avx2(a + o, a + o + 32), q1 = olmoe__ld2x16_avx2(a + o + 16, a + o + 48), V[4];
        (void)c1; (void)vn;
        V[0] = _mm256_unpacklo_epi64(q0, q0); V[1] = _mm256_unpackhi_epi64(q0, q0);
        V[2] = _mm256_unpacklo_epi64(q1, q1); V[3] = _mm256_unpackhi_epi64(q1, q1);
        OLMOE__UNROLL12
        for (k = 0; k < 4; k++) u[k] = w[k] = _mm256_and_si256(_mm256_srlv_epi64(V[k], sh), m2);
        if (t == OLMOE_TYPE_Q3_K) {
            const __m256i four = _mm256_set1_epi8(4), z = _mm256_setzero_si256();
            const __m256i bit = c0 ? _mm256_setr_epi64x(0x0404040404040404ll, 0x0808080808080808ll, 0x4040404040404040ll, (long long)0x8080808080808080ull)
                                   : _mm256_setr_epi64x(0x0101010101010101ll, 0x0202020202020202ll, 0x1010101010101010ll, 0x2020202020202020ll);
            __m256i h0 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)a));
            __m256i h1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)(a + 16))), H[4];
            H[0] = _mm256_unpacklo_epi64(h0, h0); H[1] = _mm256_unpackhi_epi64(h0, h0);
            H[2] = _mm256_unpacklo_epi64(h1, h1); H[3] = _mm256_unpackhi_epi64(h1, h1);
            OLMOE__UNROLL12
            for (k = 0; k < 4; k++) {
                w[k] = _mm256_sub_epi8(w[k], _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(H[k], bit), z), four));
                u[k] = _mm256_abs_epi8(w[k]);
            }
        }
        return;
    }
    x = olmoe__ld2x16_avx2(a + bs * c0 + qo, a + bs * c1 + qo);
    y = olmoe__ld2x16_avx2(a + bs * (c0 + 1) + qo, a + bs * (c1 + 1) + qo);
    v = _mm256_unpacklo_epi64(x, y); h = _mm256_unpackhi_epi64(x, y);
    u[0] = _mm256_and_si256(v, m4); u[1] = _mm256_and_si256(h, m4);
    u[2] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4); u[3] = _mm256_and_si256(_mm256_srli_epi16(h, 4), m4);
    if (OLMOE__Q32_IQ4(t)) {
        const __m256i tab = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)olmoe__kvalues_iq4nl));
        if (vn) {
            const __m256i tu = _mm256_xor_si256(tab, _mm256_set1_epi8((char)0x80)); /* v + 128 */
            u[0] = _mm256_shuffle_epi8(tu, u[0]); u[1] = _mm256_shuffle_epi8(tu, u[1]);
            u[2] = _mm256_shuffle_epi8(tu, u[2]); u[3] = _mm256_shuffle_epi8(tu, u[3]);
        } else {
            w[0] = _mm256_shuffle_epi8(tab, u[0]); w[1] = _mm256_shuffle_epi8(tab, u[1]);
            w[2] = _mm256_shuffle_epi8(tab, u[2]); w[3] = _mm256_shuffle_epi8(tab, u[3]);
            u[0] = _mm256_abs_epi8(w[0]); u[1] = _mm256_abs_epi8(w[1]); u[2] = _mm256_abs_epi8(w[2]); u[3] = _mm256_abs_epi8(w[3]);
        }
    } else if (t == OLMOE_TYPE_Q5_0 || t == OLMOE_TYPE_Q5_1) {
        /* element 8k + j of a block (qword of vector k) takes bit 8k + j of its qh: byte k of
           qh over the qword, then bit j of byte j */
        const int ho = t == OLMOE_TYPE_Q5_0 ? 2 : 4;
        const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull), b5 = _mm256_set1_epi8(0x10);
        __m256i qh = _mm256_setr_epi32((int)olmoe__simd_ld32(a + bs * c0 + ho), (int)olmoe__simd_ld32(a + bs * (c0 + 1) + ho), 0, 0,
                                       (int)olmoe__simd_ld32(a + bs * c1 + ho), (int)olmoe__simd_ld32(a + bs * (c1 + 1) + ho), 0, 0);
        OLMOE__UNROLL12
        for (k = 0; k < 4; k++) {
            const long long c = 0x0101010101010101ll;
            __m256i b = _mm256_and_si256(_mm256_shuffle_epi8(qh, _mm256_setr_epi64x(c * k, c * (4 + k), c * k, c * (4 + k))), bit);
            u[k] = _mm256_or_si256(u[k], _mm256_and_si256(_mm256_cmpeq_epi8(b, bit), b5));
        }
    }
}
/* A quad . the token's quad vectors at p: 8 int32, 2 partials per block (sg: signed IQ4 on AVX2);
   one name per path for OLMOE__Q32_DEF */
OLMOE__AVX2 static inline __attribute__((always_inline)) __m256i olmoe__q32dot_avx2(int sg, const __m256i *u, const __m256i *w, const uint8_t *p) {
    return olmoe__xdot_avx2(sg, u, w, p);
}
OLMOE__AVX512 static inline __attribute__((always_inline)) __m256i olmoe__q32dot_vnni(int sg, const __m256i *u, const __m256i *w, const uint8_t *p) {
    const __m256i *Y = (const __m256i *)(const void *)p;
    __m256i a = _mm256_dpbusd_epi32(_mm256_setzero_si256(), u[0], _mm256_loadu_si256(Y));
    __m256i b = _mm256_dpbusd_epi32(_mm256_setzero_si256(), u[1], _mm256_loadu_si256(Y + 1));
    (void)sg; (void)w;
    a = _mm256_dpbusd_epi32(a, u[2], _mm256_loadu_si256(Y + 2));
    b = _mm256_dpbusd_epi32(b, u[3], _mm256_loadu_si256(Y + 3));
    return _mm256_add_epi32(a, b);
}
/* Q2_K (unsigned values) and Q3_K (sg: signed): a quad . the token's quad vectors at p, each
   16-value half's int16 sums (|.| <= 2 x 2 x 4 x 127) multiplied by its integer scale (slo: vectors
   0, 1; shi: 2, 3; 4 int16 lanes a block) */
OLMOE__AVX2 static inline __attribute__((always_inline)) __m256i olmoe__k23dot_avx2(int sg, const __m256i *u, const __m256i *w, __m256i slo, __m256i shi,
                                                                                   const uint8_t *p) {
    const __m256i *Y = (const __m256i *)(const void *)p;
    __m256i y0 = _mm256_loadu_si256(Y), y1 = _mm256_loadu_si256(Y + 1), y2 = _mm256_loadu_si256(Y + 2), y3 = _mm256_loadu_si256(Y + 3), a, b;
    if (sg) { y0 = _mm256_sign_epi8(y0, w[0]); y1 = _mm256_sign_epi8(y1, w[1]); y2 = _mm256_sign_epi8(y2, w[2]); y3 = _mm256_sign_epi8(y3, w[3]); }
    a = _mm256_add_epi16(_mm256_maddubs_epi16(u[0], y0), _mm256_maddubs_epi16(u[1], y1));
    b = _mm256_add_epi16(_mm256_maddubs_epi16(u[2], y2), _mm256_maddubs_epi16(u[3], y3));
    return _mm256_add_epi32(_mm256_madd_epi16(a, slo), _mm256_madd_epi16(b, shi));
}
/* A 256-block's 16 int16 scales s (one per 16 values) for its two quads: sc[0], sc[1] the first
   and second halves' of blocks 0, 1 | 4, 5 (scales 0, 2 | 8, 10 and 1, 3 | 9, 11), sc[2], sc[3]
   those of 2, 3 | 6, 7 */
OLMOE__AVX2 static inline __attribute__((always_inline)) void olmoe__k23_quadsc_avx2(__m256i s, __m256i *sc) {
    const long long r0 = 0x0100010001000100ll, r2 = 0x0302030203020302ll, r4 = 0x0504050405040504ll, r6 = 0x0706070607060706ll;
    const long long r8 = 0x0908090809080908ll, r10 = 0x0B0A0B0A0B0A0B0All, r12 = 0x0D0C0D0C0D0C0D0Cll, r14 = 0x0F0E0F0E0F0E0F0Ell;
    sc[0] = _mm256_shuffle_epi8(s, _mm256_setr_epi64x(r0, r4, r0, r4));
    sc[1] = _mm256_shuffle_epi8(s, _mm256_setr_epi64x(r2, r6, r2, r6));
    sc[2] = _mm256_shuffle_epi8(s, _mm256_setr_epi64x(r8, r12, r8, r12));
    sc[3] = _mm256_shuffle_epi8(s, _mm256_setr_epi64x(r10, r14, r10, r14));
}
/* Blocks i..nb - 1 of row a . the Q8_0 blocks at b, one at a time */
OLMOE__AVX2 __attribute__((noinline)) static float olmoe__q32tail_avx2(int t, int i, int nb, const uint8_t *a, const uint8_t *b) {
    const int bs = OLMOE__Q32_BS(t), mn = OLMOE__Q32_MIN(t);
    const __m256i one = _mm256_set1_epi16(1);
    float tail = 0.0f;
    for (a += (size_t)i * (size_t)bs, b += (size_t)i * 34; i < nb; i++, a += bs, b += 34) {
        __m256i q = olmoe__q32_avx2(t, a), y = _mm256_loadu_si256((const __m256i *)(const void *)(b + 2));
        float dy = olmoe__h2f_avx2(b);
        tail += (float)olmoe__hsumi_avx2(_mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(q), _mm256_sign_epi8(y, q)), one)) * (olmoe__h2f_avx2(a) * dy);
        if (mn) tail += (float)olmoe__hsumi_avx2(_mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), y), one)) * (olmoe__h2f_avx2(a + 2) * dy);
    }
    return tail;
}
typedef void (*olmoe__q32row_fn)(int n, const uint8_t *W, size_t ws, int nr, const uint8_t *const *xp, const uint8_t *const *xq, float *const *y);
/* the rows a path's row-pair kernel takes first (VNNI: olmoe__q32pair_vnni, tiles of 2 tokens or
   more of all but Q2_K and Q3_K; one token stays one row at a time, where pairs measured from no
   gain to 10% slower in cache on Zen 5, Q5_0 and Q5_1) */
#define OLMOE__Q32PAIR_avx2(TY, T) 0
#define OLMOE__Q32PAIR_vnni(TY, T) \
    ((TY) == OLMOE_TYPE_Q2_K || (TY) == OLMOE_TYPE_Q3_K || (T) == 1 ? 0 : olmoe__q32pair_vnni(TY, T, n, W, ws, nr, xp, xq, y))
/* nr rows of type TY x T tokens, ISA avx2 or vnni (the loop over rows inside: one call a tile) */
#define OLMOE__Q32ROW_T(ISA, ATTR, VN, TY, T)                                                              \
    ATTR __attribute__((noinline)) static void olmoe__q32row##TY##_##T##_##ISA(                            \
        int n, const uint8_t *W, size_t ws, int nr, const uint8_t *const *xp, const uint8_t *const *xq, float *const *y) { \
        const int bs = OLMOE__Q32_BS(TY), mn = OLMOE__Q32_MIN(TY), q3 = TY == OLMOE_TYPE_Q3_K;              \
        const int q2 = TY == OLMOE_TYPE_Q2_K, sg = (OLMOE__Q32_IQ4(TY) && !VN) || q3;                        \
        const int blk32 = !q2 && !q3 && TY != OLMOE_TYPE_IQ4_XS; /* rows may end in a partial group */      \
        const int corr = TY == OLMOE_TYPE_Q5_0 ? 1 : OLMOE__Q32_IQ4(TY) && VN ? 4 : 0; /* log2 of 2 or 16 */   \
        int nb = n / 32, ng = nb / 8, g, k, i;                                                              \
        for (i = OLMOE__Q32PAIR_##ISA(TY, T); i < nr; i++) { /* the rows the pairs leave */                \
            const uint8_t *a = W + (size_t)i * ws;                                                          \
            __m256 acc[T];                                                                                  \
            OLMOE__UNROLL12                                                                                 \
            for (k = 0; k < T; k++) acc[k] = _mm256_setzero_ps();                                           \
            for (g = 0; g < ng; g++, a += OLMOE__Q32_GS(TY)) {                                              \
                __m256i u0[4], w0[4], u1[4], w1[4], m0[T], sc[4], m16 = _mm256_setzero_si256();             \
                __m256 wd = TY == OLMOE_TYPE_IQ4_XS ? olmoe__iq4xs_d8_avx2(a) : q3 ? _mm256_set1_ps(olmoe__h2f_avx2(a + 108)) \
                          : q2 ? _mm256_set1_ps(olmoe__h2f_avx2(a + 80)) : olmoe__scales8_avx2(a, bs, 0);   \
                __m256 ms = q2 ? _mm256_set1_ps(-olmoe__h2f_avx2(a + 82)) : mn ? olmoe__scales8_avx2(a + 2, bs, 0) : _mm256_setzero_ps(); \
                if (q3) olmoe__k23_quadsc_avx2(olmoe__q3k_scales_avx2(a + 96), sc);                         \
                if (q2) { /* scale: low nibble, min: high nibble */                                         \
                    __m256i b16 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)a));  \
                    olmoe__k23_quadsc_avx2(_mm256_and_si256(b16, _mm256_set1_epi16(0xF)), sc);              \
                    m16 = _mm256_srli_epi16(b16, 4);                                                        \
                }                                                                                           \
                if (T > 1) OLMOE__PREFETCH(a + 16 * ws, OLMOE__Q32_GS(TY), 3); /* the row 16 ahead (as the K-quant tiles) */ \
                olmoe__q32quad_avx2(TY, VN, a, 0, 4, u0, w0);                                               \
                if (sg) { /* 8 registers a quad: one quad over the tile, then the other */                  \
                    OLMOE__UNROLL12                                                                         \
                    for (k = 0; k < T; k++)                                                                 \
                        m0[k] = q3 ? olmoe__k23dot_avx2(1, u0, w0, sc[0], sc[1], xp[k] + (size_t)g * 384)   \
                                   : olmoe__q32dot_##ISA(1, u0, w0, xp[k] + (size_t)g * 384);               \
                }                                                                                           \
                olmoe__q32quad_avx2(TY, VN, a, 2, 6, u1, w1);                                               \
                OLMOE__UNROLL12                                                                             \
                for (k = 0; k < T; k++) {                                                                   \
                    const uint8_t *p = xp[k] + (size_t)g * 384;                                             \
                    __m256i m1 = q2 || q3 ? olmoe__k23dot_avx2(q3, u1, w1, sc[2], sc[3], p + 128) : olmoe__q32dot_##ISA(sg, u1, w1, p + 128); \
                    __m256i m = sg ? m0[k] : q2 ? olmoe__k23dot_avx2(0, u0, w0, sc[0], sc[1], p) : olmoe__q32dot_##ISA(0, u0, w0, p); \
                    __m256i cs = _mm256_loadu_si256((const __m256i *)(const void *)(p + 288));              \
                    __m256 dy = _mm256_loadu_ps((const float *)(const void *)(p + 256));                    \
                    /* [b0 b0 b1 b1 | b4 b4 b5 b5], [b2 b2 b3 b3 | b6 b6 b7 b7] -> b0..b7 */                \
                    __m256i s = _mm256_add_epi32(_mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(m), _mm256_castsi256_ps(m1), 0x88)), \
                                                 _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(m), _mm256_castsi256_ps(m1), 0xDD))); \
                    if (corr) s = _mm256_sub_epi32(s, _mm256_slli_epi32(cs, corr));                         \
                    acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(wd, dy), acc[k]);         \
                    if (mn) acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_srai_epi32(cs, 3)), _mm256_mul_ps(ms, dy), acc[k]); \
                    if (q2) /* the mins . the 16-value sums: block b in lane b */                           \
                        acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(m16, _mm256_loadu_si256((const __m256i *)(const void *)(p + 320)))), \
                                                 _mm256_mul_ps(ms, dy), acc[k]);                            \
                }                                                                                           \
            }                                                                                               \
            for (k = 0; k < T; k++) {                                                                       \
                float r = olmoe__hsum_avx2(acc[k]);                                                         \
                if (blk32 && ng * 8 < nb) r += olmoe__q32tail_avx2(TY, 0, nb - ng * 8, a, xq[k] + (size_t)ng * 272); \
                y[k][i] = r;                                                                                \
            }                                                                                               \
        }                                                                                                   \
    }
#define OLMOE__Q32ROWS(ISA, ATTR, VN, TY)                                                                   \
    OLMOE__Q32ROW_T(ISA, ATTR, VN, TY, 1) OLMOE__Q32ROW_T(ISA, ATTR, VN, TY, 2) OLMOE__Q32ROW_T(ISA, ATTR, VN, TY, 3) \
    OLMOE__Q32ROW_T(ISA, ATTR, VN, TY, 4) OLMOE__Q32ROW_T(ISA, ATTR, VN, TY, 5) OLMOE__Q32ROW_T(ISA, ATTR, VN, TY, 6) \
    OLMOE__Q32ROW_T(ISA, ATTR, VN, TY, 7) OLMOE__Q32ROW_T(ISA, ATTR, VN, TY, 8)                            \
    static const olmoe__q32row_fn olmoe__q32row##TY##_##ISA##_t[OLMOE__XT32 + 1] = {                       \
        NULL, olmoe__q32row##TY##_1_##ISA, olmoe__q32row##TY##_2_##ISA, olmoe__q32row##TY##_3_##ISA,        \
        olmoe__q32row##TY##_4_##ISA, olmoe__q32row##TY##_5_##ISA, olmoe__q32row##TY##_6_##ISA,              \
        olmoe__q32row##TY##_7_##ISA, olmoe__q32row##TY##_8_##ISA};
/* the rows of the seven types (3 Q4_1, 6 Q5_0, 7 Q5_1, 20 IQ4_NL, 23 IQ4_XS, 11 Q3_K, 10 Q2_K: their OLMOE_TYPE_ values) and the
   driver: tokens in as few tiles as hold them (at most OLMOE__XT32, their layouts in the buffer),
   each tile over every row */
#define OLMOE__Q32_DEF(ISA, ATTR, VN)                                                                       \
    OLMOE__Q32ROWS(ISA, ATTR, VN, 3) OLMOE__Q32ROWS(ISA, ATTR, VN, 6) OLMOE__Q32ROWS(ISA, ATTR, VN, 7)      \
    OLMOE__Q32ROWS(ISA, ATTR, VN, 20) OLMOE__Q32ROWS(ISA, ATTR, VN, 23) OLMOE__Q32ROWS(ISA, ATTR, VN, 11)   \
    OLMOE__Q32ROWS(ISA, ATTR, VN, 10)                                                                       \
    ATTR static void olmoe__mm_q32_##ISA(const olmoe__qtype *qt, int n, int nr, const uint8_t *W, size_t ws, int nt, \
                                         const uint8_t *const *xq, float *const *y) {                      \
        __m256i bufv[OLMOE__Q32_MAXG * 12]; /* 384 bytes a group */                                         \
        uint8_t *buf = (uint8_t *)bufv;                                                                     \
        const olmoe__q32row_fn *fn = qt->type == OLMOE_TYPE_Q4_1 ? olmoe__q32row3_##ISA##_t                 \
                                   : qt->type == OLMOE_TYPE_Q5_0 ? olmoe__q32row6_##ISA##_t                 \
                                   : qt->type == OLMOE_TYPE_Q5_1 ? olmoe__q32row7_##ISA##_t                 \
                                   : qt->type == OLMOE_TYPE_IQ4_NL ? olmoe__q32row20_##ISA##_t               \
                                   : qt->type == OLMOE_TYPE_IQ4_XS ? olmoe__q32row23_##ISA##_t               \
                                   : qt->type == OLMOE_TYPE_Q3_K ? olmoe__q32row11_##ISA##_t : olmoe__q32row10_##ISA##_t; \
        const size_t gb = (size_t)(n / 256) * 384;                                                          \
        const uint8_t *xp[OLMOE__XT32];                                                                     \
        int tmax = gb ? OLMOE__MIN(OLMOE__XT32, (int)(sizeof bufv / gb)) : OLMOE__XT32;                    \
        int ntile = (nt + tmax - 1) / tmax, t, k, j;                                                        \
        for (t = 0, k = 0; k < ntile; k++) {                                                                \
            int tt = nt / ntile + (k < nt % ntile);                                                         \
            for (j = 0; j < tt; j++) {                                                                      \
                olmoe__prep_q8_avx2(xq[t + j], buf + (size_t)j * gb, n);                                    \
                if (qt->type == OLMOE_TYPE_Q2_K) olmoe__prep_sums16(xq[t + j], buf + (size_t)j * gb, n);  \
                xp[j] = buf + (size_t)j * gb;                                                               \
            }                                                                                               \
            fn[tt](n, W, ws, nr, xp, xq + t, y + t);                                                        \
            t += tt;                                                                                        \
        }                                                                                                   \
    }
OLMOE__Q32_DEF(avx2, OLMOE__AVX2, 0)
/* Q2_K/Q3_K: 2-bit fields s of 32 bytes (values l, l + 32, l + 64, l + 96 of a 128-chunk) */
OLMOE__AVX2 static void olmoe__dec_q2_K_avx2(const uint8_t *b, olmoe__dec *o, int g0) {
    const __m256i m2 = _mm256_set1_epi8(3);
    __m256i sc = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)b));
    int h, s;
    (void)g0;
    _mm256_storeu_ps(o->d, _mm256_set1_ps(olmoe__h2f_avx2(b + 80)));
    _mm256_storeu_ps(o->dm, _mm256_set1_ps(-olmoe__h2f_avx2(b + 82)));
    _mm256_storeu_si256((__m256i *)(void *)o->s, _mm256_and_si256(sc, _mm256_set1_epi16(0xF)));
    _mm256_storeu_si256((__m256i *)(void *)o->m, _mm256_srli_epi16(sc, 4));
    for (h = 0; h < 2; h++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(b + 16 + 32 * h));
        for (s = 0; s < 4; s++)
            _mm256_storeu_si256((__m256i *)(void *)(o->q + 128 * h + 32 * s), _mm256_and_si256(_mm256_srli_epi16(v, 2 * s), m2));
    }
}
OLMOE__AVX2 static void olmoe__dec_q3_K_avx2(const uint8_t *b, olmoe__dec *o, int g0) {
    const __m256i m2 = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1), four = _mm256_set1_epi8(4);
    __m256i hm = _mm256_loadu_si256((const __m256i *)(const void *)b);
    const uint8_t *sc = b + 96;
    int h, s;
    (void)g0;
    _mm256_storeu_ps(o->d, _mm256_set1_ps(olmoe__h2f_avx2(b + 108)));
    _mm256_storeu_si256((__m256i *)(void *)o->s, olmoe__q3k_scales_avx2(sc));
    for (h = 0; h < 2; h++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(b + 32 + 32 * h));
        for (s = 0; s < 4; s++) { /* lo - 4 + 4 * hbit */
            __m256i lo = _mm256_and_si256(_mm256_srli_epi16(v, 2 * s), m2);
            __m256i hb = _mm256_and_si256(_mm256_srli_epi16(hm, 4 * h + s), one);
            _mm256_storeu_si256((__m256i *)(void *)(o->q + 128 * h + 32 * s),
                                _mm256_sub_epi8(_mm256_add_epi8(lo, _mm256_slli_epi16(hb, 2)), four));
        }
    }
}
/* K-quant kernels with Q8_K activations (Q4_K, Q5_K, Q6_K: the types of the _K_M/_K_S files),
   rows x tokens; the bits of olmoe__dot_k8_scalar. The activation's values are stored in quads
   (olmoe__k8_pos) and a weight block is decoded into registers in the same arrangement
   (olmoe__kquad_avx2): a vector holds 8 values of each of 4 sub-blocks, so the int32 sums of a
   quad's 4 vectors keep the sub-blocks apart in lanes and one multiply applies 4 sub-blocks'
   scales (AVX2: the quad's 4 maddubs added in int16, then one int16 multiply-add; VNNI: 4
   vpdpbusd, then one vpmulld). The decoders reach the arrangement without lane-crossing
   shuffles where they can (AVX2 Q4_K: 16 bytes of each half of a quad in the two 128-bit lanes;
   VNNI Q4_K/Q5_K/Q6_K: broadcast loads and masked shifts; the rest: olmoe__kquad_avx2).
   The 8 int32 lanes of a block are exact; the min term (Q4_K/Q5_K) is one multiply-add of the
   mins with the activation's 16-value sums, the -32 of Q6_K's unsigned codes likewise. Each lane
   then takes one fp32 step per block (f = fma(dm, cm, d ci), acc = fma(f, dy, acc)); the 8 lanes
   are added once per row. No per-block horizontal sum and no per-call activation preparation
   (the quantizer writes the quads). A block's weight side is made once for all the tokens of a
   pass (the activation read in place; passes sized to stay in L1, OLMOE__K8_PASS); one token
   (decode) keeps it in registers (VNNI: two rows at a time, r and r + nr/2). Thread CPU time,
   best of 25, one Zen 4 core, Q4_K 256 x 2048 in cache (2026-12-07): 5.7 ns per block and token
   alone (AVX2), 3.15 in 16-token tiles; VNNI 5.0 / 3.0;
   Q6_K AVX2 7.9 / 3.5, VNNI 7.35 / 3.2 (bench/results/2026-12-07-kquant-decode-ops-zen4.md). */
/* group g (32 values, unsigned) of a Q4_K (kind 4) / Q5_K (kind 5) block */
OLMOE__AVX2 static inline __attribute__((always_inline)) __m256i olmoe__k45_group_avx2(const uint8_t *b, int kind, int g) {
    const __m256i m4 = _mm256_set1_epi8(0xF);
    int j = g >> 1;
    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(b + (kind == 4 ? 16 : 48) + 32 * j)), q;
    q = _mm256_and_si256(g & 1 ? _mm256_srli_epi16(v, 4) : v, m4);
    if (kind == 5) { /* bit g of qh[l] is the value's bit 4 */
        __m256i qh = _mm256_loadu_si256((const __m256i *)(const void *)(b + 16));
        q = _mm256_or_si256(q, _mm256_and_si256(g < 4 ? _mm256_slli_epi16(qh, 4 - g) : _mm256_srli_epi16(qh, g - 4), _mm256_set1_epi8(0x10)));
    }
    return q;
}
/* group g of a Q6_K block, unsigned (the value + 32) */
OLMOE__AVX2 static inline __attribute__((always_inline)) __m256i olmoe__k6_group_avx2(const uint8_t *b, int g) {
    const __m256i m4 = _mm256_set1_epi8(0xF), m30 = _mm256_set1_epi8(0x30);
    int h = g >> 2, s = g & 3;
    __m256i l = _mm256_loadu_si256((const __m256i *)(const void *)(b + 64 * h + 32 * (s & 1)));
    __m256i qh = _mm256_loadu_si256((const __m256i *)(const void *)(b + 128 + 32 * h));
    qh = s == 0 ? _mm256_slli_epi16(qh, 4) : s == 1 ? _mm256_slli_epi16(qh, 2) : s == 2 ? qh : _mm256_srli_epi16(qh, 2);
    return _mm256_or_si256(_mm256_and_si256(s < 2 ? l : _mm256_srli_epi16(l, 4), m4), _mm256_and_si256(qh, m30));
}
/* pshufb controls of the scale vectors (int16 lanes 4j..4j+3 = group j of a quad, see
   olmoe__kquad_avx2): Q4_K/Q5_K quad k from the 8 scale bytes (in both 128-bit lanes); Q6_K half e
   of a quad from its 8 int16 scales (scales 8h..8h+7 in both lanes; group j's half e is 2j + e) */
static const int8_t olmoe__k4_ctl[2][32] = {
#define OLMOE__C4(a, b) {a, -128, a, -128, a, -128, a, -128, a + 1, -128, a + 1, -128, a + 1, -128, a + 1, -128, \
                         b, -128, b, -128, b, -128, b, -128, b + 1, -128, b + 1, -128, b + 1, -128, b + 1, -128}
    OLMOE__C4(0, 2), OLMOE__C4(4, 6)
#undef OLMOE__C4
};
static const int8_t olmoe__k6_ctl[2][32] = {
#define OLMOE__C6(a) {a, a + 1, a, a + 1, a, a + 1, a, a + 1, a + 4, a + 5, a + 4, a + 5, a + 4, a + 5, a + 4, a + 5, \
                      a + 8, a + 9, a + 8, a + 9, a + 8, a + 9, a + 8, a + 9, a + 12, a + 13, a + 12, a + 13, a + 12, a + 13, a + 12, a + 13}
    OLMOE__C6(0), OLMOE__C6(2)
#undef OLMOE__C6
};
/* the same as int32 lanes (the VNNI kernels' vpmulld): lane l of quad k = scale 4k + l / 2 */
static const int8_t olmoe__k4_ctl32[2][32] = {
#define OLMOE__C4W(a) {a, -1, -1, -1, a, -1, -1, -1, a + 1, -1, -1, -1, a + 1, -1, -1, -1, \
                       a + 2, -1, -1, -1, a + 2, -1, -1, -1, a + 3, -1, -1, -1, a + 3, -1, -1, -1}
    OLMOE__C4W(0), OLMOE__C4W(4)
#undef OLMOE__C4W
};
/* int16 pairs (scale l / 2, scale 4 + l / 2) in int32 lane l: the scales of both quads' lane l */
static const int8_t olmoe__k4_ctlp[32] = {0, -128, 4, -128, 0, -128, 4, -128, 1, -128, 5, -128, 1, -128, 5, -128,
                                          2, -128, 6, -128, 2, -128, 6, -128, 3, -128, 7, -128, 3, -128, 7, -128};
/* Q4_K/Q5_K mins m0 m0 m1 m1 .. m7 m7 (bytes 8..15 of the scale bytes) against the 16 sums */
static const int8_t olmoe__k8_ctlm[32] = {8, -128, 8, -128, 9, -128, 9, -128, 10, -128, 10, -128, 11, -128, 11, -128,
                                          12, -128, 12, -128, 13, -128, 13, -128, 14, -128, 14, -128, 15, -128, 15, -128};
/* A block's weight side: w the 8 quad vectors of codes, s the scale vectors (AVX2: int16, one per
   quad, Q6_K per quad and half; VNNI: the same as int32 lanes), m the mins m0 m0 .. m7 m7 (Q6_K:
   its 16 scales) as int16, d and dm its fp32 factors in every lane (d, dmin; Q6_K: d, 0) */
typedef struct olmoe__k8w { __m256i w[8], s[4], m; __m256 d, dm; } olmoe__k8w;
OLMOE__AVX2 static inline __attribute__((always_inline)) void olmoe__k8_codes_avx2(const uint8_t *b, int kind, __m256i *wq) {
    __m256i g[8];
    int i;
    if (kind == 4) {
        /* Q4_K: quad k from qs bytes 64k.. (groups 4k, 4k + 1: low, high nibbles) and 64k + 32..
           (4k + 2, 4k + 3); with 16 bytes of each in the two 128-bit lanes, the nibbles are
           [4k | 4k + 2] and [4k + 1 | 4k + 3] 16 values each, and one 64-bit unpack makes a quad
           vector (the 4 x 4 transposes need no lane-crossing shuffle) */
        const __m256i m4 = _mm256_set1_epi8(0xF);
        _Pragma("GCC unroll 4") for (i = 0; i < 4; i++) {
            const uint8_t *p = b + 16 + 64 * (i >> 1) + 16 * (i & 1);
            __m256i x = _mm256_blend_epi32(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)p)),
                                           _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)(p + 32))), 0xF0);
            __m256i lo = _mm256_and_si256(x, m4), hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), m4);
            wq[2 * i] = _mm256_unpacklo_epi64(lo, hi);
            wq[2 * i + 1] = _mm256_unpackhi_epi64(lo, hi);
        }
        return;
    }
    _Pragma("GCC unroll 8") for (i = 0; i < 8; i++) g[i] = kind == 6 ? olmoe__k6_group_avx2(b, i) : olmoe__k45_group_avx2(b, kind, i);
    olmoe__kquad_avx2(g, wq);
    olmoe__kquad_avx2(g + 4, wq + 4);
}
/* a block's scales: AVX2 as int16 (lanes 2l, 2l + 1 of int32 lane l); vnni (the VNNI kernels,
   olmoe__k8_blk2_vnni): Q5_K's and Q6_K's as int32 lanes (for vpmulld), Q4_K's as int16 pairs */
OLMOE__AVX2 static inline __attribute__((always_inline)) void olmoe__k8_scales_avx2(const uint8_t *b, int kind, int vnni, __m256i *s, __m256i *m, __m256 *d, __m256 *dm) {
    if (kind != 6) {
        /* get_scale_min_k4 for the 8 sub-blocks at once: q = the 12 scale bytes (and 4 more of
           the block); scales 0..3 = q0..3 & 63, 4..7 = (q8..11 & 15) | (q0..3 >> 6) << 4; mins
           0..3 = q4..7 & 63, 4..7 = (q8..11 >> 4) | (q4..7 >> 6) << 4 */
        /* in general-purpose registers (the vector pipes are the busy ones): a = bytes 0..7, c = 8..11 */
        uint64_t a, c = olmoe__simd_ld32(b + 12), sc, mn;
        memcpy(&a, b + 4, 8);
        sc = (a & 0x3f3f3f3fu) | (((c & 0x0f0f0f0fu) | (((a >> 6) & 0x03030303u) << 4)) << 32);
        mn = ((a >> 32) & 0x3f3f3f3fu) | ((((c >> 4) & 0x0f0f0f0fu) | (((a >> 38) & 0x03030303u) << 4)) << 32);
        __m256i e = _mm256_broadcastsi128_si256(_mm_set_epi64x((long long)mn, (long long)sc));
        __m256 f = _mm256_castps128_ps256(_mm_cvtph_ps(_mm_cvtsi32_si128((int)olmoe__simd_ld32(b)))); /* d dmin */
        const int8_t(*ctl)[32] = vnni ? olmoe__k4_ctl32 : olmoe__k4_ctl;
        if (vnni && kind == 4) { /* the VNNI kernels' Q4_K: scales 4k + l / 2, k = 0, 1, as int16 pairs */
            s[0] = _mm256_shuffle_epi8(e, _mm256_loadu_si256((const __m256i *)(const void *)olmoe__k4_ctlp));
        } else {
            s[0] = _mm256_shuffle_epi8(e, _mm256_loadu_si256((const __m256i *)(const void *)ctl[0]));
            s[1] = _mm256_shuffle_epi8(e, _mm256_loadu_si256((const __m256i *)(const void *)ctl[1]));
        }
        *m = _mm256_shuffle_epi8(e, _mm256_loadu_si256((const __m256i *)(const void *)olmoe__k8_ctlm));
        *d = _mm256_broadcastss_ps(_mm256_castps256_ps128(f));
        *dm = _mm256_permutevar8x32_ps(f, _mm256_set1_epi32(1));
    } else { /* Q6_K: its 16 int8 scales (m: as int16, for the -32 term), d */
        __m256i s16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(b + 192)));
        if (vnni) { /* int32 lane l of s[2k + e] = scale 8k + 2(l / 2) + e */
            __m256i lo = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(b + 192)));
            __m256i hi = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(b + 200)));
            const __m256i ev = _mm256_setr_epi32(0, 0, 2, 2, 4, 4, 6, 6), od = _mm256_setr_epi32(1, 1, 3, 3, 5, 5, 7, 7);
            s[0] = _mm256_permutevar8x32_epi32(lo, ev);
            s[1] = _mm256_permutevar8x32_epi32(lo, od);
            s[2] = _mm256_permutevar8x32_epi32(hi, ev);
            s[3] = _mm256_permutevar8x32_epi32(hi, od);
        } else {
            __m256i e = _mm256_permute2x128_si256(s16, s16, 0x00), f = _mm256_permute2x128_si256(s16, s16, 0x11);
            s[0] = _mm256_shuffle_epi8(e, _mm256_loadu_si256((const __m256i *)(const void *)olmoe__k6_ctl[0]));
            s[1] = _mm256_shuffle_epi8(e, _mm256_loadu_si256((const __m256i *)(const void *)olmoe__k6_ctl[1]));
            s[2] = _mm256_shuffle_epi8(f, _mm256_loadu_si256((const __m256i *)(const void *)olmoe__k6_ctl[0]));
            s[3] = _mm256_shuffle_epi8(f, _mm256_loadu_si256((const __m256i *)(const void *)olmoe__k6_ctl[1]));
        }
        *m = s16;
        *d = _mm256_set1_ps(olmoe__h2f_avx2(b + 208));
        *dm = _mm256_setzero_ps();
    }
}
/* the exact integers of one (row, token) block in 8 int32 lanes each: *ci (is; Q6_K: its -32
   taken off) and *cm (ms; Q6_K: zero): 4 maddubs + int16 multiply-adds with the scales a quad
   (VNNI, olmoe__k8_blk2_vnni: 4 vpdpbusd and one or two vpmulld, or Q4_K's int16 pairs). */
OLMOE__AVX2 static inline __attribute__((always_inline)) __m256i olmoe__k8_quad_avx2(int kind, const __m256i *w, const __m256i *s, const __m256i *Y, int k) {
    /* the int16 products of vectors that share a scale are added before the one multiply-add: a
       Q4_K/Q5_K quad's four (|sum| <= 4 * 2 * 31 * 127 = 31496), a Q6_K half-quad's two (<= 2 * 2 *
       63 * 127 = 32004), so the int32 lanes are those of one multiply-add per vector */
    __m256i p0 = _mm256_maddubs_epi16(w[4 * k], _mm256_loadu_si256(Y + 4 * k));
    __m256i p1 = _mm256_maddubs_epi16(w[4 * k + 1], _mm256_loadu_si256(Y + 4 * k + 1));
    __m256i p2 = _mm256_maddubs_epi16(w[4 * k + 2], _mm256_loadu_si256(Y + 4 * k + 2));
    __m256i p3 = _mm256_maddubs_epi16(w[4 * k + 3], _mm256_loadu_si256(Y + 4 * k + 3));
    if (kind != 6) return _mm256_madd_epi16(_mm256_add_epi16(_mm256_add_epi16(p0, p1), _mm256_add_epi16(p2, p3)), s[k]);
    return _mm256_add_epi32(_mm256_madd_epi16(_mm256_add_epi16(p0, p1), s[2 * k]), _mm256_madd_epi16(_mm256_add_epi16(p2, p3), s[2 * k + 1]));
}
/* a block's 8 exact integer lanes ci (see olmoe__k8_quad_avx2): the two quads' scaled sums added */
OLMOE__AVX2 static inline __attribute__((always_inline)) __m256i olmoe__k8_ci_avx2(int kind, const __m256i *w, const __m256i *s, const __m256i *Y) {
    return _mm256_add_epi32(olmoe__k8_quad_avx2(kind, w, s, Y, 0), olmoe__k8_quad_avx2(kind, w, s, Y, 1));
}
/* A prefill pass's activation bytes: the tokens of a pass go over every row of the call, so their
   activation blocks should stay in L1 (32 KiB on the Zen cores) beside the rows' weights: 20 KiB
   = 8 tokens of 2048 values, 16 of 1024. Q4_K tiles in cache (one Zen 4 core, 64 tokens a call,
   2026-12-07): 2048 values 3.33 -> 3.06 ns per block and token (AVX2), 3.20 -> 2.79 (VNNI);
   1024 values 3.54 -> 2.98, 3.37 -> 2.66; against passes of 64 tokens. Rows of 4096 values: passes
   of 16 (3.27 / 3.12 against 3.34 / 3.37 with 64, 3.39 / 3.30 with 8). */
#define OLMOE__K8_PASS 20480
/* The tiles' token loop: AVX2 (16 registers) keeps the accumulators in memory. AVX-512 (32) runs
   row pairs (olmoe__k8_mm2_vnni), with a copy for each pass of 1..8 tokens, its token loop unrolled,
   so the weight side and the accumulators stay in registers (one Zen 4 core, 2026-12-07, the one-row
   tiles of then: 2.72 -> 2.39 ns per block and token with the copies; AVX2 with the same copies
   measured 3% slower, the weight side spills). The copies add 1-3 s to each program that compiles
   the implementation (gcc 12 -O2, 20.5 s before). */
#define OLMOE__K8_UNROLL_avx2
#define OLMOE__K8_UNROLL_vnni _Pragma("GCC unroll 8")
/* the body of olmoe__k8mm1_ISA for kind K (its arguments n, nr, w, ws, nt, xq, y) */
#define OLMOE__K8_NT_avx2(K) olmoe__k8_mm_avx2(K, n, nr, w, ws, nt, xq, y);
#define OLMOE__K8_NT_vnni(K)                                                                                           \
    switch (nt) {                                                                                                      \
    case 2: olmoe__k8_mm2_vnni(K, n, nr, w, ws, 2, xq, y); break;                                                       \
    case 3: olmoe__k8_mm2_vnni(K, n, nr, w, ws, 3, xq, y); break;                                                       \
    case 4: olmoe__k8_mm2_vnni(K, n, nr, w, ws, 4, xq, y); break;                                                       \
    case 5: olmoe__k8_mm2_vnni(K, n, nr, w, ws, 5, xq, y); break;                                                       \
    case 6: olmoe__k8_mm2_vnni(K, n, nr, w, ws, 6, xq, y); break;                                                       \
    case 7: olmoe__k8_mm2_vnni(K, n, nr, w, ws, 7, xq, y); break;                                                       \
    case 8: olmoe__k8_mm2_vnni(K, n, nr, w, ws, 8, xq, y); break;                                                       \
    case 1: olmoe__k8_mm2_vnni(K, n, nr, w, ws, 1, xq, y); break; /* decode; one row alone (dot_dec) as a pair with itself */ \
    default: olmoe__k8_mm2_vnni(K, n, nr, w, ws, nt, xq, y); break;                                                     \
    }
#define OLMOE__K8_MM_DEF(ISA, ATTR)                                                                                    \
/* one (row, token) block added to the token's 8 float lanes: the exact integer lanes (see                             \
   olmoe__dot_k8_scalar), then acc = fma(fma(dm, cm, d ci), dy, acc) lane by lane */                                   \
ATTR static inline __attribute__((always_inline)) __m256 olmoe__k8_blk_##ISA(int kind, const __m256i *w, const __m256i *s, __m256i m,         \
    __m256 d, __m256 dmin, const olmoe__block_q8_K *y, __m256 acc) {                                                   \
    const __m256i *Y = (const __m256i *)(const void *)y->qs;                                                           \
    __m256i bs = _mm256_loadu_si256((const __m256i *)(const void *)y->bsums);                                          \
    __m256i ci = olmoe__k8_ci_##ISA(kind, w, s, Y);                                                                    \
    __m256 dy = _mm256_set1_ps(y->d), f;                                                                               \
    if (kind == 6) {                                                                                                   \
        ci = _mm256_sub_epi32(ci, _mm256_slli_epi32(_mm256_madd_epi16(m, bs), 5));                                     \
        f = _mm256_mul_ps(d, _mm256_cvtepi32_ps(ci)); (void)dmin;                                                      \
    } else {                                                                                                           \
        /* fma(-dmin, cm, d ci), the reference's step */                                                               \
        f = _mm256_fnmadd_ps(dmin, _mm256_cvtepi32_ps(_mm256_madd_epi16(m, bs)), _mm256_mul_ps(d, _mm256_cvtepi32_ps(ci))); \
    }                                                                                                                  \
    return _mm256_fmadd_ps(f, dy, acc);                                                                                \
}                                                                                                                      \
/* decode: one (row, token) block, its weight side made in registers */                                              \
ATTR static inline __attribute__((always_inline)) __m256 olmoe__k8_dblk_##ISA(int kind, const uint8_t *b,              \
                                                                             const olmoe__block_q8_K *y, __m256 acc) { \
    __m256i wv[8], sv[4], mv;                                                                                          \
    __m256 d, dm;                                                                                                      \
    olmoe__k8_codes_##ISA(b, kind, wv);                                                                                \
    olmoe__k8_scales_avx2(b, kind, 0, sv, &mv, &d, &dm);                                                               \
    return olmoe__k8_blk_##ISA(kind, wv, sv, mv, d, dm, y, acc);                                                       \
}                                                                                                                      \
ATTR static inline __attribute__((always_inline)) void olmoe__k8_mm_##ISA(int kind, int n, int nr, const void *w, size_t ws, int nt, \
                                                                          const uint8_t *const *xq, float *const *y) {  \
    size_t bb = kind == 4 ? 144 : kind == 5 ? 176 : 210;                                                               \
    int r, c, t, nc = n / 256;                                                                                         \
    for (r = 0; r < nr; r++) {                                                                                         \
        const uint8_t *row = (const uint8_t *)w + (size_t)r * ws;                                                      \
        if (nt == 1) { /* decode: the weight side in registers */                                                      \
            const olmoe__block_q8_K *yb = (const olmoe__block_q8_K *)(const void *)xq[0];                              \
            __m256 acc = _mm256_setzero_ps();                                                                          \
            for (c = 0; c < nc; c++) {                                                                                 \
                OLMOE__PREFETCH(row + (size_t)c * bb + 16 * ws, bb, 3); /* the row 16 ahead, as the tiles */           \
                acc = olmoe__k8_dblk_##ISA(kind, row + (size_t)c * bb, yb + c, acc);                                   \
            }                                                                                                          \
            y[0][r] = olmoe__hsum_avx2(acc);                                                                           \
            continue;                                                                                                  \
        }                                                                                                              \
        {                                                                                                              \
            __m256 acc[64];                                                                                            \
            olmoe__k8w W;                                                                                              \
            for (t = 0; t < nt; t++) acc[t] = _mm256_setzero_ps();                                                     \
            for (c = 0; c < nc; c++) {                                                                                 \
                const uint8_t *b = row + (size_t)c * bb;                                                               \
                /* the row 16 ahead, a block at a time (the callers give 64 rows a call: the next call's                \
                   first rows too); Q4_K 64 x 2048 from DRAM, 16 tokens, one Zen 4 core: 3.0 -> 2.7 ns per              \
                   block and token (VNNI) */                                                                           \
                OLMOE__PREFETCH(b + 16 * ws, bb, 3);                                                                   \
                olmoe__k8_codes_##ISA(b, kind, W.w);                                                                   \
                olmoe__k8_scales_avx2(b, kind, 0, W.s, &W.m, &W.d, &W.dm);                                             \
                OLMOE__K8_UNROLL_##ISA for (t = 0; t < nt; t++)                                                        \
                    acc[t] = olmoe__k8_blk_##ISA(kind, W.w, W.s, W.m, W.d, W.dm, (const olmoe__block_q8_K *)(const void *)xq[t] + c, acc[t]); \
            }                                                                                                          \
            for (t = 0; t < nt; t++) y[t][r] = olmoe__hsum_avx2(acc[t]);                                               \
        }                                                                                                              \
    }                                                                                                                  \
}
/* the drivers of both paths (olmoe__k8_mm_avx2, olmoe__k8_mm2_vnni) */
#define OLMOE__K8_DRIVER_DEF(ISA, ATTR)                                                                                \
/* constant kinds, so each type's code is specialised; with VNNI also constant token counts up to 8                   \
   (OLMOE__K8_NT_vnni), so a pass's accumulators stay in registers */                                                  \
ATTR static void olmoe__k8mm1_##ISA(int kind, int n, int nr, const void *w, size_t ws, int nt, const uint8_t *const *xq, float *const *y) { \
    if (kind == 4) { OLMOE__K8_NT_##ISA(4) }                                                                           \
    else if (kind == 5) { OLMOE__K8_NT_##ISA(5) }                                                                      \
    else { OLMOE__K8_NT_##ISA(6) }                                                                                     \
}                                                                                                                      \
/* tokens in passes (the activation read in place): as few as hold them, of sizes differing by at                     \
   most 1, each of at most OLMOE__K8_PASS bytes of activation (at most 64 tokens: the accumulators);                   \
   past 8 blocks a token no useful pass fits, and passes of 16 measured best (4096 values) */                         \
ATTR static void olmoe__k8mm_##ISA(int kind, int n, int nr, const void *w, size_t ws, int nt, const uint8_t *const *xq, float *const *y) { \
    int tb = (n / 256) * (int)sizeof(olmoe__block_q8_K);                                                               \
    int pmax = tb <= OLMOE__K8_PASS / 8 ? OLMOE__MIN(64, OLMOE__K8_PASS / OLMOE__MAX(tb, 1)) : 16;                     \
    int np = (nt + pmax - 1) / pmax, k, t0;                                                                            \
    for (k = 0, t0 = 0; k < np; k++) {                                                                                 \
        int tt = nt / np + (k < nt % np);                                                                              \
        olmoe__k8mm1_##ISA(kind, n, nr, w, ws, tt, xq + t0, y + t0);                                                   \
        t0 += tt;                                                                                                      \
    }                                                                                                                  \
}
OLMOE__K8_MM_DEF(avx2, OLMOE__AVX2)
OLMOE__K8_DRIVER_DEF(avx2, OLMOE__AVX2)
/* the fused kind of a decoded type, or 0 (the generic path) */
static int olmoe__kkind(int type) { return type == OLMOE_TYPE_Q4_K ? 4 : type == OLMOE_TYPE_Q5_K ? 5 : type == OLMOE_TYPE_Q6_K ? 6 : 0; }
/* the decoder a path uses for a type: its own where it has one, else the scalar one (Q4_K, Q5_K,
   Q6_K never get here: dot_dec_avx2 and mm_dec_avx2 send them to the fused kernels) */
static olmoe__decode_fn olmoe__decoder_avx2(const olmoe__qtype *qt) {
    switch (qt->type) {
    case OLMOE_TYPE_Q2_K: return olmoe__dec_q2_K_avx2;
    case OLMOE_TYPE_Q3_K: return olmoe__dec_q3_K_avx2;
    case OLMOE_TYPE_Q4_1: return olmoe__dec_q4_1_avx2;
    case OLMOE_TYPE_Q5_0: return olmoe__dec_q5_0_avx2;
    case OLMOE_TYPE_Q5_1: return olmoe__dec_q5_1_avx2;
    case OLMOE_TYPE_IQ4_NL: return olmoe__dec_iq4_nl_avx2;
    case OLMOE_TYPE_IQ4_XS: return olmoe__dec_iq4_xs_avx2;
    default: return qt->decode;
    }
}
/* The activation side of a chunk (the same for every row): its 8 scales dy as floats and, for
   types with a min, the 16 half sums of y; zeros past the row's end (ng < 8). */
OLMOE__AVX2 static inline void olmoe__prep_chunk_avx2(const uint8_t *x, int ng, int has_min, int16_t *ys, float *dy) {
    const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
    int g;
    for (g = 0; g < 8; g++) {
        if (g < ng) {
            dy[g] = olmoe__h2f_avx2(x + (size_t)g * 34);
            if (has_min) {
                __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, _mm256_loadu_si256((const __m256i *)(const void *)(x + (size_t)g * 34 + 2))), ones16);
                p = _mm256_hadd_epi32(p, p);
                p = _mm256_hadd_epi32(p, p);
                ys[2 * g] = (int16_t)_mm256_cvtsi256_si32(p);
                ys[2 * g + 1] = (int16_t)_mm_cvtsi128_si32(_mm256_extracti128_si256(p, 1));
            }
        } else {
            dy[g] = 0.0f;
            ys[2 * g] = ys[2 * g + 1] = 0;
        }
    }
}
/* One decoded chunk (ng groups) . the activation blocks at x (their sums and scales prepared in
   ys, dy): 8 lanes of dy * (d * is + dm * ms). Types with a min have q >= 0: maddubs takes q
   as it is; the others go through |q| x sign(y, q). ms is one madd of the 16 integer mins with
   the 16 half sums. (Only rows longer than the tiles take, OLMOE__Q32_MAXG groups, come here.) */
OLMOE__AVX2 static inline __attribute__((always_inline)) __m256 olmoe__chunk_dot_avx2(const olmoe__dec *D, int ng, int has_min, const uint8_t *x,
                                                                                      const int16_t *ys, const float *dy) {
    __m256i is[8];
    __m256 fi;
    int g;
    for (g = 0; g < 8; g++) {
        if (g < ng) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(D->q + 32 * g));
            __m256i u = has_min ? q : _mm256_sign_epi8(q, q);
            __m256i y = _mm256_loadu_si256((const __m256i *)(const void *)(x + (size_t)g * 34 + 2));
            is[g] = _mm256_madd_epi16(_mm256_maddubs_epi16(u, has_min ? y : _mm256_sign_epi8(y, q)), _mm256_set1_epi16(1));
        } else { /* past the row's end (32-value types): zero terms (d, dm are 0 there) */
            is[g] = _mm256_setzero_si256();
        }
    }
    fi = _mm256_mul_ps(_mm256_loadu_ps(D->d), _mm256_cvtepi32_ps(olmoe__scale_halves_avx2(is, D->s)));
    if (has_min) /* ms = the mins m times the activation's half sums ys */
        fi = _mm256_add_ps(fi, _mm256_mul_ps(_mm256_loadu_ps(D->dm), _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)D->m),
                                                                                                           _mm256_loadu_si256((const __m256i *)(const void *)ys)))));
    return _mm256_mul_ps(_mm256_loadu_ps(dy), fi);
}
OLMOE__AVX2 static float olmoe__dot_dec_avx2(const olmoe__qtype *qt, int n, const void *w, const void *xq) {
    olmoe__qtype q2 = *qt;
    olmoe__dec D;
    __m256 acc = _mm256_setzero_ps();
    int16_t ys[16];
    float dy[8];
    int c, ng;
    if (olmoe__kkind(qt->type)) { /* the fused kernel with one row and one token: mm_dec's bits */
        float r, *yp = &r;
        const uint8_t *xp = (const uint8_t *)xq;
        olmoe__k8mm_avx2(olmoe__kkind(qt->type), n, 1, w, 0, 1, &xp, &yp);
        return r;
    }
    if (olmoe__q32_tiled(qt, n)) { /* the tiles with one row and one token: mm_dec's bits */
        float r, *yp = &r;
        const uint8_t *xp = (const uint8_t *)xq;
        olmoe__mm_q32_avx2(qt, n, 1, (const uint8_t *)w, 0, 1, &xp, &yp);
        return r;
    }
    q2.decode = olmoe__decoder_avx2(qt);
    for (c = 0; c * 256 < n; c++) {
        const uint8_t *x = (const uint8_t *)xq + (size_t)c * 272;
        ng = olmoe__decode_chunk(&q2, (const uint8_t *)w, c, n, &D);
        olmoe__prep_chunk_avx2(x, ng, qt->has_min, ys, dy);
        acc = _mm256_add_ps(acc, ng == 8 ? (qt->has_min ? olmoe__chunk_dot_avx2(&D, 8, 1, x, ys, dy) : olmoe__chunk_dot_avx2(&D, 8, 0, x, ys, dy))
                                         : olmoe__chunk_dot_avx2(&D, ng, qt->has_min, x, ys, dy));
    }
    return olmoe__hsum_avx2(acc);
}
/* Rows x tokens: each chunk of a row decoded once for all nt (<= 64) tokens, the activation side
   prepared once for all rows (when it fits the 32 KB buffer, else chunk by chunk); every
   (row, token) value is dot_dec_avx2's bit for bit (same chunk values, same order). */
OLMOE__AVX2 static void olmoe__mm_dec_avx2(const olmoe__qtype *qt, int n, int nr, const void *w, size_t ws, int nt,
                                           const uint8_t *const *xq, float *const *y) {
    struct { int16_t ys[16]; float dy[8]; } pb[512]; /* a chunk's activation side per (token, chunk) */
    olmoe__qtype q2 = *qt;
    olmoe__dec D;
    __m256 acc[64];
    int r, c, t, ng, nc = (n + 255) / 256, pre = nc * nt <= 512;
    if (olmoe__kkind(qt->type)) { olmoe__k8mm_avx2(olmoe__kkind(qt->type), n, nr, w, ws, nt, xq, y); return; }
    if (olmoe__q32_tiled(qt, n)) { olmoe__mm_q32_avx2(qt, n, nr, (const uint8_t *)w, ws, nt, xq, y); return; }
    q2.decode = olmoe__decoder_avx2(qt);
    if (pre)
        for (t = 0; t < nt; t++)
            for (c = 0; c < nc; c++)
                olmoe__prep_chunk_avx2(xq[t] + (size_t)c * 272, OLMOE__MIN(8, (n - 256 * c) / 32), qt->has_min, pb[t * nc + c].ys, pb[t * nc + c].dy);
    for (r = 0; r < nr; r++) {
        const uint8_t *row = (const uint8_t *)w + (size_t)r * ws;
        for (t = 0; t < nt; t++) acc[t] = _mm256_setzero_ps();
        for (c = 0; c < nc; c++) {
            ng = olmoe__decode_chunk(&q2, row, c, n, &D);
            for (t = 0; t < nt; t++) {
                const uint8_t *x = xq[t] + (size_t)c * 272;
                int i = pre ? t * nc + c : 0;
                if (!pre) olmoe__prep_chunk_avx2(x, ng, qt->has_min, pb[0].ys, pb[0].dy);
                /* constant arguments for the common cases, so the compiler specializes the chunk */
                __m256 v = ng == 8 ? (qt->has_min ? olmoe__chunk_dot_avx2(&D, 8, 1, x, pb[i].ys, pb[i].dy)
                                                  : olmoe__chunk_dot_avx2(&D, 8, 0, x, pb[i].ys, pb[i].dy))
                                   : olmoe__chunk_dot_avx2(&D, ng, qt->has_min, x, pb[i].ys, pb[i].dy);
                acc[t] = _mm256_add_ps(acc[t], v);
            }
        }
        for (t = 0; t < nt; t++) y[t][r] = olmoe__hsum_avx2(acc[t]);
    }
}
OLMOE__MM_DEC_TABLE(avx2, OLMOE__AVX2)

static const olmoe__kernels olmoe__kernels_avx2 = {
    OLMOE_KERNELS_AVX2, olmoe__dot_q8_0_avx2, olmoe__dot_q4_0_avx2, olmoe__dot_f32_avx2,
    olmoe__dot_f16_avx2, olmoe__dot_bf16_avx2, olmoe__quant_q8_0_avx2
    OLMOE__DOTR(olmoe__dotr_q8_0_avx2, olmoe__dotr_q4_0_avx2),
    olmoe__prep_q8_avx2, olmoe__mm_q4_0_avx2, olmoe__mm_q8_0_avx2, olmoe__axpy_f32_avx2,
    olmoe__axpy_f16_avx2, olmoe__cvt_f16_avx2, olmoe__silu_mul_avx2, olmoe__exp_sum_avx2,
    olmoe__dot_dec_avx2, olmoe__mm_dec_avx2_t, olmoe__quant_q8_K_avx2
};

/* ---- AVX-512 F/BW/VL + VNNI ----------------------------------------------------------------
   g++ 12 warns about the self-initialised _mm512_undefined_* inside its own AVX-512 headers
   (GCC bug 105593) when they are inlined here; the warning is off for this part. */
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
/* Lower and upper halves of a zmm as ymm (AVX512F only, no DQ). */
OLMOE__AVX512 static inline __m256 olmoe__hi256_avx512(__m512 v) {
    return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}
OLMOE__AVX512 static inline float olmoe__hsum16_avx512(__m512 v) {
    return olmoe__hsum_avx2(_mm256_add_ps(_mm512_castps512_ps256(v), olmoe__hi256_avx512(v)));
}
OLMOE__AVX512 static inline float olmoe__hmax16_avx512(__m512 v) {
    __m256 m = _mm256_max_ps(_mm512_castps512_ps256(v), olmoe__hi256_avx512(v));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}
/* Quantized dots: the AVX2 structure with vpdpbusd (the AVX2 helpers inline here: their
   target is a subset of this one). The scales go through general registers as in AVX2:
   picking them out of zmm loads with vpermt2w measured slower on Zen 4. */
OLMOE__AVX512 static inline __m256i olmoe__q8blk_vnni(const uint8_t *a, const uint8_t *b) {
    __m256i w = _mm256_loadu_si256((const __m256i *)(a + 2)), y = _mm256_loadu_si256((const __m256i *)(b + 2));
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(w), _mm256_sign_epi8(y, w));
}
OLMOE__AVX512 static inline __m256i olmoe__q4blk_vnni(const uint8_t *a, const uint8_t *b) {
    __m128i t = _mm_loadu_si128((const __m128i *)(a + 2));
    __m256i n = _mm256_and_si256(_mm256_inserti128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1),
                                 _mm256_set1_epi8(0x0F));
    __m256i y = _mm256_loadu_si256((const __m256i *)(b + 2));
    return _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), n, y),
                            _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(8), y));
}
OLMOE__AVX512 static inline __m256i olmoe__q4pair_vnni(__m256i lo, __m256i hi, __m256i ylo, __m256i yhi) {
    return _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), lo, ylo), hi, yhi);
}
OLMOE__AVX512 static inline __m256i olmoe__q4corr_vnni(__m256i ylo, __m256i yhi) {
    const __m256i k8 = _mm256_set1_epi8(8);
    return _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), k8, ylo), k8, yhi);
}
/* With the correction: (y + 128) (-8) per byte (y ^ 0x80 is y + 128 unsigned) is -8 y - 1024;
   each lane takes 8 of them, so starting from 8192 leaves exactly sum (nib - 8) y. */
OLMOE__AVX512 static inline __m256i olmoe__q4pairc_vnni(__m256i lo, __m256i hi, __m256i ylo, __m256i yhi) {
    const __m256i m8 = _mm256_set1_epi8(-8), x80 = _mm256_set1_epi8((char)0x80);
    __m256i s = _mm256_dpbusd_epi32(_mm256_set1_epi32(8192), lo, ylo);
    s = _mm256_dpbusd_epi32(s, hi, yhi);
    s = _mm256_dpbusd_epi32(s, _mm256_xor_si256(ylo, x80), m8);
    return _mm256_dpbusd_epi32(s, _mm256_xor_si256(yhi, x80), m8);
}
OLMOE__QKERNELS_X86(avx512, OLMOE__AVX512, olmoe__q8blk_vnni, olmoe__q4blk_vnni, olmoe__q4pair_vnni,
                    olmoe__q4pairc_vnni, olmoe__q4corr_vnni, olmoe__sw4_avx2, olmoe__sq8_avx2, olmoe__sq8_avx2)

/* 16 weights (f32, f16 or bf16) as floats; m masks the lanes to load (tails). */
OLMOE__AVX512 static inline __m512 olmoe__ld16_f32_avx512(const uint8_t *p, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, p);
}
OLMOE__AVX512 static inline __m512 olmoe__ld16_f16_avx512(const uint8_t *p, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
}
OLMOE__AVX512 static inline __m512 olmoe__ld16_bf16_avx512(const uint8_t *p, __mmask16 m) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
}

#define OLMOE__DOTF_AVX512(NAME, LD, ESZ)                                                     \
    OLMOE__AVX512 static float NAME(int n, const void *w, const float *x) {                   \
        const uint8_t *a = (const uint8_t *)w;                                                \
        const __mmask16 all = 0xFFFF;                                                         \
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();                            \
        __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();                            \
        int i = 0;                                                                            \
        for (; i + 64 <= n; i += 64) {                                                        \
            s0 = _mm512_fmadd_ps(LD(a + (size_t)i * ESZ, all), _mm512_loadu_ps(x + i), s0);    \
            s1 = _mm512_fmadd_ps(LD(a + (size_t)(i + 16) * ESZ, all), _mm512_loadu_ps(x + i + 16), s1); \
            s2 = _mm512_fmadd_ps(LD(a + (size_t)(i + 32) * ESZ, all), _mm512_loadu_ps(x + i + 32), s2); \
            s3 = _mm512_fmadd_ps(LD(a + (size_t)(i + 48) * ESZ, all), _mm512_loadu_ps(x + i + 48), s3); \
        }                                                                                     \
        for (; i < n; i += 16) {                                                              \
            __mmask16 m = n - i >= 16 ? all : (__mmask16)((1u << (n - i)) - 1u);              \
            s0 = _mm512_fmadd_ps(LD(a + (size_t)i * ESZ, m), _mm512_maskz_loadu_ps(m, x + i), s0); \
        }                                                                                     \
        return olmoe__hsum16_avx512(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3))); \
    }
OLMOE__DOTF_AVX512(olmoe__dot_f32_avx512, olmoe__ld16_f32_avx512, 4)
OLMOE__DOTF_AVX512(olmoe__dot_f16_avx512, olmoe__ld16_f16_avx512, 2)
OLMOE__DOTF_AVX512(olmoe__dot_bf16_avx512, olmoe__ld16_bf16_avx512, 2)

OLMOE__AVX512 static void olmoe__quant_q8_0_avx512(const float *x, void *y, int n) {
    uint8_t *o = (uint8_t *)y;
    const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
    int b, k;
    for (b = 0; b < n / 32; b++, x += 32, o += 34) {
        __m512 v[2];
        float amax, d, id;
        uint16_t dh;
        v[0] = _mm512_loadu_ps(x);
        v[1] = _mm512_loadu_ps(x + 16);
        amax = olmoe__hmax16_avx512(_mm512_max_ps(_mm512_abs_ps(v[0]), _mm512_abs_ps(v[1])));
        d = amax / 127.0f;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        dh = (uint16_t)_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);
        memcpy(o, &dh, 2);
        for (k = 0; k < 2; k++) {
            __m512 s = _mm512_mul_ps(v[k], _mm512_set1_ps(id));
            __m512 t = _mm512_roundscale_ps(s, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
            __mmask16 up = _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_sub_ps(s, t)), half, _CMP_GE_OQ);
            /* t + copysign(1, s) where |s - t| >= 0.5 */
            __m512 r = _mm512_mask_add_ps(t, up, t,
                _mm512_castsi512_ps(_mm512_or_si512(_mm512_and_si512(_mm512_castps_si512(s), _mm512_set1_epi32((int)0x80000000u)),
                                                    _mm512_castps_si512(one))));
            _mm_storeu_si128((__m128i *)(o + 2 + 16 * k), _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(r)));
        }
    }
}

/* ---- AVX-512 Q4_0 rows x tokens kernel (decode and prefill) ---------------------------------
   The activation's second layout, per 8 blocks (384 bytes, made once per activation):
     0    YL0: y_b[0..15] of blocks 0..3      64   YH0: y_b[16..31] of blocks 0..3
     128  YL1, 192 YH1: the same for blocks 4..7
     256  16 floats: the blocks' scales as   [d0 d4 d0 d4 | d1 d5 d1 d5 | d2 d6 .. | d3 d7 ..]
     320  16 int32: 8 sum(y_b), same order  (the -8 of Q4_0, subtracted from the exact sums)
   A Q4_0 group of 8 blocks (144 bytes) is read with three 64-byte loads; vpermt2w (the block
   fields lie at even offsets) picks the 4 x 16 nibble bytes of blocks 0..3 and of 4..7 and the
   8 scales. Rows go in pairs: after vpdpbusd each 128-bit lane holds 4 partials of one block,
   and one 4x4 transpose-add of (row 0 blocks 0-3, row 0 blocks 4-7, row 1 .., row 1 ..) gives
   the 16 exact block sums in the order of the scales above; they are scaled and accumulated in
   fp32 lanes that each belong to one row. The weight side is unpacked once per pair and group
   and serves up to 12 tokens. A row's result depends only on the row and the activation:
   tiles of 1 to 12 tokens, and either place in a pair, give the same bits. */
OLMOE__AVX512 static void olmoe__prep_q8_avx512(const void *xq, void *xp, int n) {
    const uint8_t *b = (const uint8_t *)xq;
    uint8_t *o = (uint8_t *)xp;
    int g, k, L;
    for (g = 0; g + 8 <= n / 32; g += 8, b += 272, o += 384) {
        float d[8];
        int32_t cs[8];
        for (k = 0; k < 8; k++) {
            const uint8_t *blk = b + 34 * k;
            __m256i y = _mm256_loadu_si256((const __m256i *)(blk + 2));
            d[k] = olmoe__h2f_avx2(blk);
            memcpy(o + (k < 4 ? 0 : 128) + 16 * (k & 3), blk + 2, 16);
            memcpy(o + (k < 4 ? 64 : 192) + 16 * (k & 3), blk + 18, 16);
            cs[k] = 8 * olmoe__hsumi_avx2(_mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), y), _mm256_set1_epi16(1)));
        }
        for (L = 0; L < 4; L++) {
            float f[4];
            int32_t c[4];
            f[0] = f[2] = d[L]; f[1] = f[3] = d[L + 4];
            c[0] = c[2] = cs[L]; c[1] = c[3] = cs[L + 4];
            memcpy(o + 256 + 16 * L, f, 16);
            memcpy(o + 320 + 16 * L, c, 16);
        }
    }
}
static const int16_t olmoe__q4x_idx[4][32] = {
    /* nibble words of blocks 0..3 from (bytes 0..63, 64..127) */
    { 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23, 24, 25, 26, 28, 29, 30, 31, 32, 33, 34, 35 },
    /* blocks 4..7 from (bytes 64..127, 80..143): word w at w - 32 (w < 64) or w - 8 */
    { 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 56, 57, 58, 59, 60, 61, 62, 63 },
    /* scales of blocks L, L + 4 at words 4L, 4L + 1 (first row of a pair), from (0..63, 64..127) */
    { 0, 36, 0, 0, 9, 45, 0, 0, 18, 54, 0, 0, 27, 63, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    /* ... at words 4L + 2, 4L + 3 (second row) */
    { 0, 0, 0, 36, 0, 0, 9, 45, 0, 0, 18, 54, 0, 0, 27, 63, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
};
OLMOE__AVX512 static inline __m512i olmoe__sum4x4_avx512(__m512i v0, __m512i v1, __m512i v2, __m512i v3) {
    __m512i t0 = _mm512_add_epi32(_mm512_unpacklo_epi32(v0, v1), _mm512_unpackhi_epi32(v0, v1));
    __m512i t1 = _mm512_add_epi32(_mm512_unpacklo_epi32(v2, v3), _mm512_unpackhi_epi32(v2, v3));
    return _mm512_add_epi32(_mm512_unpacklo_epi64(t0, t1), _mm512_unpackhi_epi64(t0, t1));
}
/* Q8_0 weights, per 8 blocks (272 bytes): the first halves of blocks 0..3 (at 2, 36, 70, 104)
   from bytes 0..127, the second halves (18, 52, 86, 120) from 8..135, blocks 4..7 the same 136
   bytes on; weights go in as w ^ 0x80 = w + 128 (vpdpbusd's unsigned operand), so the sums
   carry 128 sum(y_b) = 16 times the Q4_0 correction. Scales: words 0, 17, 34, 51 of bytes
   0..127 (and of 136..263) to the words 4L (first row, blocks 0..3), 4L + 1 (blocks 4..7),
   4L + 2, 4L + 3 (second row). */
static const int16_t olmoe__q8x_idx[6][32] = {
    { 1, 2, 3, 4, 5, 6, 7, 8, 18, 19, 20, 21, 22, 23, 24, 25, 35, 36, 37, 38, 39, 40, 41, 42, 52, 53, 54, 55, 56, 57, 58, 59 },
    { 5, 6, 7, 8, 9, 10, 11, 12, 22, 23, 24, 25, 26, 27, 28, 29, 39, 40, 41, 42, 43, 44, 45, 46, 56, 57, 58, 59, 60, 61, 62, 63 },
    { 0, 0, 0, 0, 17, 0, 0, 0, 34, 0, 0, 0, 51, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    { 0, 0, 0, 0, 0, 17, 0, 0, 0, 34, 0, 0, 0, 51, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    { 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 34, 0, 0, 0, 51, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    { 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 34, 0, 0, 0, 51, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
};
/* A value the compiler must keep in a register: a vector read by two permutes is otherwise
   loaded twice (each permute overwrites one table, so GCC re-reads memory rather than copy a
   register), and unaligned 64-byte loads cost the decode kernels 9% (Q4_0) and 29% (Q8_0) of
   their speed in L2. */
#define OLMOE__INREG(v) __asm__("" : "+v"(v))
/* One row's 8-block group as 4 vectors (blocks 0..3 first and second parts, blocks 4..7 the
   same) for vpdpbusd's unsigned operand, and its 8 scales placed for slot `second` of a pair. */
OLMOE__AVX512 static inline __attribute__((always_inline)) void
olmoe__xgroup_avx512(int q8, const uint8_t *a, int second, __m512i *l0, __m512i *h0, __m512i *l1, __m512i *h1, __m512i *sc) {
    if (!q8) {
        const __m512i m4 = _mm512_set1_epi8(0x0F);
        __m512i z0 = _mm512_loadu_si512(a), z1 = _mm512_loadu_si512(a + 64), z2 = _mm512_loadu_si512(a + 80);
        OLMOE__INREG(z0); OLMOE__INREG(z1); OLMOE__INREG(z2);
        __m512i q0 = _mm512_permutex2var_epi16(z0, _mm512_loadu_si512(olmoe__q4x_idx[0]), z1);
        __m512i q1 = _mm512_permutex2var_epi16(z1, _mm512_loadu_si512(olmoe__q4x_idx[1]), z2);
        *sc = _mm512_permutex2var_epi16(z0, _mm512_loadu_si512(olmoe__q4x_idx[2 + second]), z1);
        *l0 = _mm512_and_si512(q0, m4); *h0 = _mm512_and_si512(_mm512_srli_epi16(q0, 4), m4);
        *l1 = _mm512_and_si512(q1, m4); *h1 = _mm512_and_si512(_mm512_srli_epi16(q1, 4), m4);
    } else {
        const __m512i x80 = _mm512_set1_epi8((char)0x80);
        const __m512i iA = _mm512_loadu_si512(olmoe__q8x_idx[0]), iB = _mm512_loadu_si512(olmoe__q8x_idx[1]);
        __m512i z0 = _mm512_loadu_si512(a), z1 = _mm512_loadu_si512(a + 64);
        __m512i e0 = _mm512_loadu_si512(a + 136), e1 = _mm512_loadu_si512(a + 200);
        OLMOE__INREG(z0); OLMOE__INREG(z1); OLMOE__INREG(e0); OLMOE__INREG(e1);
        *l0 = _mm512_xor_si512(_mm512_permutex2var_epi16(z0, iA, z1), x80);
        *h0 = _mm512_xor_si512(_mm512_permutex2var_epi16(_mm512_loadu_si512(a + 8), iB, _mm512_loadu_si512(a + 72)), x80);
        *l1 = _mm512_xor_si512(_mm512_permutex2var_epi16(e0, iA, e1), x80);
        *h1 = _mm512_xor_si512(_mm512_permutex2var_epi16(_mm512_loadu_si512(a + 144), iB, _mm512_loadu_si512(a + 208)), x80);
        *sc = _mm512_mask_blend_epi16(0xAAAAAAAAu, _mm512_permutex2var_epi16(z0, _mm512_loadu_si512(olmoe__q8x_idx[2 + 2 * second]), z1),
                                      _mm512_permutex2var_epi16(e0, _mm512_loadu_si512(olmoe__q8x_idx[3 + 2 * second]), e1));
    }
}
/* Rows a0, a1 (ng groups of 8 blocks, Q4_0 or Q8_0) x T tokens (second layouts at xp[t]) into acc[t].
   The token loops are unrolled so that acc[] stays in registers (GCC does not unroll at -O2). */
OLMOE__AVX512 static inline __attribute__((always_inline)) void
olmoe__xtile_avx512(int q8, int ng, const uint8_t *a0, const uint8_t *a1, const uint8_t *const *xp, int T, __m512 *acc) {
    int g, t, gb = q8 ? 272 : 144;
    OLMOE__UNROLL12
    for (t = 0; t < T; t++) acc[t] = _mm512_setzero_ps();
    for (g = 0; g < ng; g++, a0 += gb, a1 += gb) {
        __m512i l0, h0, l1, h1, k0, j0, k1, j1, s0, s1;
        __m512 ws;
        olmoe__xgroup_avx512(q8, a0, 0, &l0, &h0, &l1, &h1, &s0);
        olmoe__xgroup_avx512(q8, a1, 1, &k0, &j0, &k1, &j1, &s1);
        ws = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_mask_blend_epi16(0xCCCCCCCCu, s0, s1)));
        OLMOE__UNROLL12
        for (t = 0; t < T; t++) {
            const uint8_t *p = xp[t] + (size_t)g * 384;
            const __m512i zz = _mm512_setzero_si512();
            __m512i yl0 = _mm512_loadu_si512(p), yh0 = _mm512_loadu_si512(p + 64);
            __m512i yl1 = _mm512_loadu_si512(p + 128), yh1 = _mm512_loadu_si512(p + 192);
            __m512i v0 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, l0, yl0), h0, yh0);
            __m512i v1 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, l1, yl1), h1, yh1);
            __m512i v2 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, k0, yl0), j0, yh0);
            __m512i v3 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, k1, yl1), j1, yh1);
            __m512i c = _mm512_loadu_si512(p + 320);
            __m512i s = _mm512_sub_epi32(olmoe__sum4x4_avx512(v0, v1, v2, v3), q8 ? _mm512_slli_epi32(c, 4) : c);
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(ws, _mm512_loadu_ps((const float *)(p + 256))), acc[t]);
        }
    }
}
/* The two rows' sums from an accumulator: [row 0, row 1], the same order of additions for both. */
OLMOE__AVX512 static inline __m128 olmoe__xtile_sum_avx512(__m512 a) {
    __m512 b = _mm512_add_ps(a, _mm512_permute_ps(a, 0xB1));
    __m256 c = _mm256_add_ps(_mm512_castps512_ps256(b), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(b), 1)));
    __m128 d = _mm_add_ps(_mm256_castps256_ps128(c), _mm256_extractf128_ps(c, 1));
    return _mm_shuffle_ps(d, d, 0x08); /* lanes 0 and 2 */
}
/* The blocks after the last full group, one at a time (as the single-row dots do). The Q8_0
   one is exact for activations without -128, which quant_q8_0 never writes. */
OLMOE__AVX512 static float olmoe__xtail_avx512(int q8, int i, int nb, const uint8_t *a, const uint8_t *b) {
    float tail = 0.0f;
    int wb = q8 ? 34 : 18;
    for (a += (size_t)i * wb, b += (size_t)i * 34; i < nb; i++, a += wb, b += 34)
        tail += (float)olmoe__hsumi_avx2(q8 ? olmoe__q8blk_vnni(a, b) : olmoe__q4blk_vnni(a, b)) * (olmoe__h2f_avx2(a) * olmoe__h2f_avx2(b));
    return tail;
}
OLMOE__AVX512 static inline __attribute__((always_inline)) void
olmoe__xpair_avx512(int q8, int n, const uint8_t *a0, const uint8_t *a1, int i0, int i1, int T, const uint8_t *const *xq,
                    float *const *y, size_t xo) {
    int nb = n / 32, ng = nb / 8, t;
    const uint8_t *xp[12];
    __m512 acc[12];
    for (t = 0; t < T; t++) xp[t] = xq[t] + xo;
    olmoe__xtile_avx512(q8, ng, a0, a1, xp, T, acc);
    for (t = 0; t < T; t++) {
        float r[4];
        _mm_storeu_ps(r, olmoe__xtile_sum_avx512(acc[t]));
        if (ng * 8 < nb) {
            r[0] += olmoe__xtail_avx512(q8, ng * 8, nb, a0, xq[t]);
            r[1] += olmoe__xtail_avx512(q8, ng * 8, nb, a1, xq[t]);
        }
        y[t][i0] = r[0];
        y[t][i1] = r[1];
    }
}
/* One function per weight type and tile size, so each keeps its accumulators in registers. */
typedef void (*olmoe__xpair_fn)(int n, const uint8_t *a0, const uint8_t *a1, int i0, int i1, const uint8_t *const *xq,
                                float *const *y, size_t xo);
#define OLMOE__XPAIR_T(Q, T)                                                                           \
    OLMOE__AVX512 __attribute__((noinline)) static void olmoe__xpair##Q##_##T##_avx512(                \
        int n, const uint8_t *a0, const uint8_t *a1, int i0, int i1, const uint8_t *const *xq, float *const *y, size_t xo) { \
        olmoe__xpair_avx512(Q, n, a0, a1, i0, i1, T, xq, y, xo);                                      \
    }
#define OLMOE__XPAIRS(Q)                                                                               \
    OLMOE__TILES12(OLMOE__XPAIR_T, Q)                                                                 \
    static const olmoe__xpair_fn olmoe__xpair##Q##_avx512_t[13] = OLMOE__TILE_TABLE(olmoe__xpair, Q, _avx512);
OLMOE__XPAIRS(0)
OLMOE__XPAIRS(1)
/* One token (decode) over two pairs at once: the same operations per pair as a 1-token tile
   (so the same bits), two independent chains in flight; 1.2x the speed of one pair. */
OLMOE__AVX512 static inline __attribute__((always_inline)) void
olmoe__xquad1_avx512(int q8, int n, const uint8_t *const *a, const int *ix, const uint8_t *xq, float *y, size_t xo) {
    int nb = n / 32, ng = nb / 8, g, gb = q8 ? 272 : 144, k;
    const uint8_t *xp = xq + xo;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    float r[8];
    for (g = 0; g < ng; g++) {
        const uint8_t *p = xp + (size_t)g * 384;
        const __m512i zz = _mm512_setzero_si512();
        size_t o = (size_t)g * (size_t)gb;
        __m512i l0, h0, l1, h1, k0, j0, k1, j1, s0, s1, L0, H0, L1, H1, K0, J0, K1, J1, S0, S1;
        __m512i yl0 = _mm512_loadu_si512(p), yh0 = _mm512_loadu_si512(p + 64);
        __m512i yl1 = _mm512_loadu_si512(p + 128), yh1 = _mm512_loadu_si512(p + 192), c = _mm512_loadu_si512(p + 320);
        __m512 dy = _mm512_loadu_ps((const float *)(p + 256)), ws, WS;
        olmoe__xgroup_avx512(q8, a[0] + o, 0, &l0, &h0, &l1, &h1, &s0);
        olmoe__xgroup_avx512(q8, a[1] + o, 1, &k0, &j0, &k1, &j1, &s1);
        olmoe__xgroup_avx512(q8, a[2] + o, 0, &L0, &H0, &L1, &H1, &S0);
        olmoe__xgroup_avx512(q8, a[3] + o, 1, &K0, &J0, &K1, &J1, &S1);
        ws = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_mask_blend_epi16(0xCCCCCCCCu, s0, s1)));
        WS = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_mask_blend_epi16(0xCCCCCCCCu, S0, S1)));
        if (q8) c = _mm512_slli_epi32(c, 4);
        {
            __m512i v0 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, l0, yl0), h0, yh0);
            __m512i v1 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, l1, yl1), h1, yh1);
            __m512i v2 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, k0, yl0), j0, yh0);
            __m512i v3 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, k1, yl1), j1, yh1);
            __m512i V0 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, L0, yl0), H0, yh0);
            __m512i V1 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, L1, yl1), H1, yh1);
            __m512i V2 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, K0, yl0), J0, yh0);
            __m512i V3 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, K1, yl1), J1, yh1);
            acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(olmoe__sum4x4_avx512(v0, v1, v2, v3), c)), _mm512_mul_ps(ws, dy), acc0);
            acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(olmoe__sum4x4_avx512(V0, V1, V2, V3), c)), _mm512_mul_ps(WS, dy), acc1);
        }
    }
    _mm_storeu_ps(r, olmoe__xtile_sum_avx512(acc0));
    _mm_storeu_ps(r + 4, olmoe__xtile_sum_avx512(acc1));
    r[2] = r[4]; r[3] = r[5];
    for (k = 0; k < 4; k++) {
        if (ng * 8 < nb) r[k] += olmoe__xtail_avx512(q8, ng * 8, nb, a[k], xq);
        y[ix[k]] = r[k];
    }
}
OLMOE__AVX512 __attribute__((noinline)) static void olmoe__xquad1_q4_avx512(int n, const uint8_t *const *a, const int *ix, const uint8_t *xq, float *y, size_t xo) {
    olmoe__xquad1_avx512(0, n, a, ix, xq, y, xo);
}
OLMOE__AVX512 __attribute__((noinline)) static void olmoe__xquad1_q8_avx512(int n, const uint8_t *const *a, const int *ix, const uint8_t *xq, float *y, size_t xo) {
    olmoe__xquad1_avx512(1, n, a, ix, xq, y, xo);
}
typedef void (*olmoe__xquad1_fn)(int n, const uint8_t *const *a, const int *ix, const uint8_t *xq, float *y, size_t xo);
/* 16 rows x up to 16 tokens, the rows in the lanes (prefill). Per block the 16 rows' 32 weights
   are transposed into 8 vectors whose lane r holds 4 weights of row r, once for all the tile's
   tokens; a token's 4 matching activation bytes go in as a broadcast operand of vpdpbusd, so one
   64-byte activation load no longer feeds only 2 rows. Within a block the weights go in the
   element order of the second activation layout (4 dwords of first halves, then of second halves;
   a Q4_0 byte's low nibble is an element of the first half, its high nibble the same element of
   the second). The result is the pair kernels' bit for bit: each block's exact int32 sum is
   scaled and added by the same fma into one of 8 accumulators by the block's place in its group
   (kept in acc[], 8 vectors a token), and those 8 are added in xtile_sum's order. */
#define OLMOE__X16_T 32
/* 16 rows' 16 bytes from P (row r at P + r * WS) to C0..C3: lane 4l + m of Ck = dword k of row 4l + m */
#define OLMOE__X16_L(P, WS, M)                                                                          \
    _mm512_inserti32x4(_mm512_inserti32x4(_mm512_inserti32x4(                                          \
        _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)((P) + (size_t)(M) * (WS)))),          \
        _mm_loadu_si128((const __m128i *)((P) + (size_t)(4 + (M)) * (WS))), 1),                         \
        _mm_loadu_si128((const __m128i *)((P) + (size_t)(8 + (M)) * (WS))), 2),                         \
        _mm_loadu_si128((const __m128i *)((P) + (size_t)(12 + (M)) * (WS))), 3)
#define OLMOE__X16_T4(P, WS, C0, C1, C2, C3)                                                            \
    do {                                                                                                \
        __m512i a0_ = OLMOE__X16_L(P, WS, 0), a1_ = OLMOE__X16_L(P, WS, 1);                             \
        __m512i a2_ = OLMOE__X16_L(P, WS, 2), a3_ = OLMOE__X16_L(P, WS, 3);                             \
        __m512i t0_ = _mm512_unpacklo_epi32(a0_, a1_), t1_ = _mm512_unpackhi_epi32(a0_, a1_);          \
        __m512i t2_ = _mm512_unpacklo_epi32(a2_, a3_), t3_ = _mm512_unpackhi_epi32(a2_, a3_);          \
        C0 = _mm512_unpacklo_epi64(t0_, t2_); C1 = _mm512_unpackhi_epi64(t0_, t2_);                    \
        C2 = _mm512_unpacklo_epi64(t1_, t3_); C3 = _mm512_unpackhi_epi64(t1_, t3_);                    \
    } while (0)
#ifndef OLMOE__X16_MIN
#define OLMOE__X16_MIN 4   /* fewer tokens: the pair kernels */
#endif
/* One block of 16 rows (row r at B + r * ws): its weights in vpdpbusd's unsigned form in
   W0..W7 and its 16 scales in SC (named variables: GCC keeps arrays of vectors in memory). */
#define OLMOE__X16_PREP(Q8, B, WS, RIDX, W0, W1, W2, W3, W4, W5, W6, W7, SC)                            \
    do {                                                                                                \
        const __m512i m4_ = _mm512_set1_epi8(0x0F), x80_ = _mm512_set1_epi8((char)0x80);                \
        SC = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_i32gather_epi32(RIDX, (const void *)(B), 1))); \
        OLMOE__X16_T4((B) + 2, WS, W0, W1, W2, W3);                                                     \
        if (Q8) {                                                                                       \
            OLMOE__X16_T4((B) + 18, WS, W4, W5, W6, W7);                                                \
            W0 = _mm512_xor_si512(W0, x80_); W1 = _mm512_xor_si512(W1, x80_);                           \
            W2 = _mm512_xor_si512(W2, x80_); W3 = _mm512_xor_si512(W3, x80_);                           \
            W4 = _mm512_xor_si512(W4, x80_); W5 = _mm512_xor_si512(W5, x80_);                           \
            W6 = _mm512_xor_si512(W6, x80_); W7 = _mm512_xor_si512(W7, x80_);                           \
        } else {                                                                                        \
            W4 = _mm512_and_si512(_mm512_srli_epi16(W0, 4), m4_); W0 = _mm512_and_si512(W0, m4_);       \
            W5 = _mm512_and_si512(_mm512_srli_epi16(W1, 4), m4_); W1 = _mm512_and_si512(W1, m4_);       \
            W6 = _mm512_and_si512(_mm512_srli_epi16(W2, 4), m4_); W2 = _mm512_and_si512(W2, m4_);       \
            W7 = _mm512_and_si512(_mm512_srli_epi16(W3, 4), m4_); W3 = _mm512_and_si512(W3, m4_);       \
        }                                                                                               \
    } while (0)
/* The tokens of one block: the 16 rows' exact int32 sums, scaled into acc[] (ACC0: the value added to). */
#define OLMOE__X16_TOKENS(ACC0)                                                                         \
    for (t = 0; t < T; t++) {                                                                           \
        const uint8_t *x = xq[t] + xo + go;                                                             \
        const int32_t *xl = (const int32_t *)(x + lo), *xh = (const int32_t *)(x + lo + 64);            \
        __m512i s0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w0, _mm512_set1_epi32(xl[0]));        \
        __m512i s1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w4, _mm512_set1_epi32(xh[0]));        \
        __m512i c = _mm512_set1_epi32(*(const int32_t *)(x + so + 64));                                \
        s0 = _mm512_dpbusd_epi32(s0, w1, _mm512_set1_epi32(xl[1]));                                     \
        s1 = _mm512_dpbusd_epi32(s1, w5, _mm512_set1_epi32(xh[1]));                                     \
        s0 = _mm512_dpbusd_epi32(s0, w2, _mm512_set1_epi32(xl[2]));                                     \
        s1 = _mm512_dpbusd_epi32(s1, w6, _mm512_set1_epi32(xh[2]));                                     \
        s0 = _mm512_dpbusd_epi32(s0, w3, _mm512_set1_epi32(xl[3]));                                     \
        s1 = _mm512_dpbusd_epi32(s1, w7, _mm512_set1_epi32(xh[3]));                                     \
        s0 = _mm512_sub_epi32(_mm512_add_epi32(s0, s1), q8 ? _mm512_slli_epi32(c, 4) : c);              \
        acc[8 * t + j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s0),                                        \
                                         _mm512_mul_ps(sc, _mm512_set1_ps(*(const float *)(x + so))), ACC0); \
    }
/* The next block's weights are unpacked before this block's tokens, so their loads and shuffles
   overlap the dot products (a tile's token loop fills the reorder window). */
OLMOE__AVX512 static inline __attribute__((always_inline)) void
olmoe__x16_avx512(int q8, int n, const uint8_t *W, size_t ws, int r0, int T, const uint8_t *const *xq, float *const *y,
                  size_t xo, __m512 *acc) {
    int nb = n / 32, ng = nb / 8, b, t, i, bs = q8 ? 34 : 18;
    const uint8_t *R = W + (size_t)r0 * ws;
    const __m512i ridx = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                           _mm512_set1_epi32((int)ws));
    __m512i w0, w1, w2, w3, w4, w5, w6, w7, n0, n1, n2, n3, n4, n5, n6, n7;
    __m512 sc, sn;
    /* the next 16 rows (contiguous) go to L2 during this tile, a few lines a block: read here as
       16 strided streams, they come from DRAM too slowly for the hardware prefetchers */
    const char *pf = (const char *)(R + 16 * ws);
    size_t pfl = (16 * ws + (size_t)64 * (size_t)(8 * ng) - 1) / ((size_t)64 * (size_t)(8 * ng)) * 64;
    OLMOE__X16_PREP(q8, R, ws, ridx, n0, n1, n2, n3, n4, n5, n6, n7, sn);
    for (b = 0; b < 8 * ng; b++) {
        int j = b & 7, lo = (j < 4 ? 0 : 128) + 16 * (j & 3), so = 256 + 16 * (j & 3) + 4 * (j >> 2);
        size_t go = (size_t)(b >> 3) * 384;
        OLMOE__PREFETCH(pf + (size_t)b * pfl, pfl, 2);
        w0 = n0; w1 = n1; w2 = n2; w3 = n3; w4 = n4; w5 = n5; w6 = n6; w7 = n7; sc = sn;
        OLMOE__X16_PREP(q8, R + (size_t)(b + 1 < 8 * ng ? b + 1 : b) * (size_t)bs, ws, ridx, n0, n1, n2, n3, n4, n5, n6, n7, sn);
        /* the first group's fma adds to a zero register (the same bits as a zeroed acc[]) */
        if (b < 8) {
            OLMOE__X16_TOKENS(_mm512_setzero_ps());
        } else {
            OLMOE__X16_TOKENS(acc[8 * t + j]);
        }
    }
    for (t = 0; t < T; t++) {
        const __m512 *a = acc + 8 * t;
        float r[16];
        _mm512_storeu_ps(r, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a[0], a[4]), _mm512_add_ps(a[2], a[6])),
                                          _mm512_add_ps(_mm512_add_ps(a[1], a[5]), _mm512_add_ps(a[3], a[7]))));
        for (i = 0; i < 16; i++) {
            if (ng * 8 < nb) r[i] += olmoe__xtail_avx512(q8, ng * 8, nb, R + (size_t)i * ws, xq[t]);
            y[t][r0 + i] = r[i];
        }
    }
}
OLMOE__AVX512 __attribute__((noinline)) static void olmoe__x16_q4_avx512(int n, const uint8_t *W, size_t ws, int r0, int T,
                                                                       const uint8_t *const *xq, float *const *y, size_t xo, __m512 *acc) {
    olmoe__x16_avx512(0, n, W, ws, r0, T, xq, y, xo, acc);
}
OLMOE__AVX512 __attribute__((noinline)) static void olmoe__x16_q8_avx512(int n, const uint8_t *W, size_t ws, int r0, int T,
                                                                       const uint8_t *const *xq, float *const *y, size_t xo, __m512 *acc) {
    olmoe__x16_avx512(1, n, W, ws, r0, T, xq, y, xo, acc);
}
typedef void (*olmoe__x16_fn)(int n, const uint8_t *W, size_t ws, int r0, int T, const uint8_t *const *xq, float *const *y,
                              size_t xo, __m512 *acc);
/* Rows paired half the range apart (two sequential streams: adjacent rows interleaved read
   memory at about half speed on Zen 4); an odd last row pairs with itself. Per pair, the
   tokens in as few tiles of at most 12 as can hold them, of sizes that differ by at most 1
   (at 16 a tile's accumulators no longer fit in the 32 registers). */
OLMOE__AVX512 static void olmoe__mm_x_avx512(const olmoe__xpair_fn *fn, olmoe__xquad1_fn quad, olmoe__x16_fn x16, int n,
                                             int nr, const uint8_t *W, size_t ws, int nt, const uint8_t *const *xq,
                                             float *const *y) {
    size_t xo = olmoe__xp_offset(n);
    int h, ntile, i, t, k;
    if (nt == 1 && nr >= 4) {
        /* one token: two pairs at a time, rows a quarter of the range apart (four sequential
           streams); the rows past 4 * (nr / 4) as pairs below */
        int q = nr / 4;
        for (i = 0; i < q; i++) {
            const uint8_t *a[4];
            int ix[4];
            ix[0] = i; ix[1] = i + q; ix[2] = i + 2 * q; ix[3] = i + 3 * q;
            for (k = 0; k < 4; k++) a[k] = W + (size_t)ix[k] * ws;
            quad(n, a, ix, xq[0], y[0], xo);
        }
        for (i = 4 * q; i < nr; i += 2) {
            int i1 = i + 1 < nr ? i + 1 : i;
            fn[1](n, W + (size_t)i * ws, W + (size_t)i1 * ws, i, i1, xq, y, xo);
        }
        return;
    }
    if (nt >= OLMOE__X16_MIN && nr >= 16 && n >= 256 && ws <= 0x7FFFFFF) {
        /* 16 rows at a time, the tokens in as few tiles of at most 32 as hold them; the rows
           past 16 * (nr / 16) as pairs below */
        __m512 acc[8 * OLMOE__X16_T];
        int nt16 = (nt + OLMOE__X16_T - 1) / OLMOE__X16_T;
        for (i = 0; i + 16 <= nr; i += 16)
            for (t = 0, k = 0; k < nt16; k++) {
                int tt = nt / nt16 + (k < nt % nt16);
                x16(n, W, ws, i, tt, xq + t, y + t, xo, acc);
                t += tt;
            }
        W += (size_t)i * ws;
        nr -= i;
        if (!nr) return;
        {
            float *yy[OLMOE__X16_T];   /* the outputs of the remaining rows, from row 0 */
            int done = i, c0, cn;
            for (c0 = 0; c0 < nt; c0 += cn) {
                cn = nt - c0 < OLMOE__X16_T ? nt - c0 : OLMOE__X16_T;
                for (k = 0; k < cn; k++) yy[k] = y[c0 + k] + done;
                olmoe__mm_x_avx512(fn, quad, x16, n, nr, W, ws, cn, xq + c0, yy);
            }
            return;
        }
    }
    h = (nr + 1) / 2; ntile = (nt + 11) / 12;
    for (i = 0; i < h; i++) {
        int i1 = i + h < nr ? i + h : i;
        const uint8_t *a0 = W + (size_t)i * ws, *a1 = W + (size_t)i1 * ws;
        for (t = 0, k = 0; k < ntile; k++) {
            int tt = nt / ntile + (k < nt % ntile);
            fn[tt](n, a0, a1, i, i1, xq + t, y + t, xo);
            t += tt;
        }
    }
}
OLMOE__AVX512 static void olmoe__mm_q4_0_avx512(int n, int nr, const void *w, size_t ws, int nt,
                                                const uint8_t *const *xq, float *const *y) {
    olmoe__mm_x_avx512(olmoe__xpair0_avx512_t, olmoe__xquad1_q4_avx512, olmoe__x16_q4_avx512, n, nr, (const uint8_t *)w, ws, nt, xq, y);
}
OLMOE__AVX512 static void olmoe__mm_q8_0_avx512(int n, int nr, const void *w, size_t ws, int nt,
                                                const uint8_t *const *xq, float *const *y) {
    olmoe__mm_x_avx512(olmoe__xpair1_avx512_t, olmoe__xquad1_q8_avx512, olmoe__x16_q8_avx512, n, nr, (const uint8_t *)w, ws, nt, xq, y);
}

/* exp as olmoe__exp_avx2, 2^n by vscalefps. */
OLMOE__AVX512 static inline __m512 olmoe__exp_avx512(__m512 x) {
    __m512 n, r, p;
    x = _mm512_max_ps(_mm512_set1_ps(-87.3f), _mm512_min_ps(_mm512_set1_ps(88.0f), x));
    n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504089f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    OLMOE__EXP_POLY(512, x, n, r, p);
    return _mm512_scalef_ps(p, n);
}
OLMOE__AVX512 static void olmoe__silu_mul_avx512(int n, float *g, const float *u) {
    int i;
    for (i = 0; i < n; i += 16) {
        __mmask16 m = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
        __m512 x = _mm512_maskz_loadu_ps(m, g + i), v = _mm512_maskz_loadu_ps(m, u + i);
        __m512 e = olmoe__exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), x));
        _mm512_mask_storeu_ps(g + i, m, _mm512_mul_ps(_mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e)), v));
    }
}
OLMOE__AVX512 static float olmoe__exp_sum_avx512(int n, float *x, float mx) {
    __m512 s = _mm512_setzero_ps();
    int i;
    for (i = 0; i < n; i += 16) {
        __mmask16 m = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
        __m512 e = _mm512_maskz_mov_ps(m, olmoe__exp_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_set1_ps(mx))));
        _mm512_mask_storeu_ps(x + i, m, e);
        s = _mm512_add_ps(s, e);
    }
    return _mm512_reduce_add_ps(s);
}

OLMOE__AVX512 static void olmoe__axpy_f32_avx512(int n, float a, const float *x, float *y) {
    __m512 va = _mm512_set1_ps(a);
    int i;
    for (i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
    }
}

OLMOE__AVX512 static void olmoe__axpy_f16_avx512(int n, float a, const uint16_t *x, float *y) {
    __m512 va = _mm512_set1_ps(a);
    int i;
    for (i = 0; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(x + i))), _mm512_loadu_ps(y + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, x + i));
        _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(va, v, _mm512_maskz_loadu_ps(m, y + i)));
    }
}
OLMOE__AVX512 static void olmoe__cvt_f16_avx512(int n, const float *x, uint16_t *y) {
    int i;
    for (i = 0; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(y + i), _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = olmoe_fp32_to_fp16(x[i]);
}

/* The VNNI K-quant kernels, two rows a vector: lanes 0..7 are row A's 8 lanes of a block (see
   olmoe__k8_blk_avx2), lanes 8..15 row B's, and each activation vector is loaded once for both
   (a 256-bit broadcast). Lane by lane the same integers and the same fp32 steps as the one-row
   kernels, so the same bits; half the instructions per row and token of the one-row VNNI kernel
   they replaced. One Zen 5 core (512-bit
   units), min of alternated runs, 2026-12-08: Q4_K 64 rows x 2048, 8 tokens, in cache 2.08 -> 1.48
   ns per block and token, Q5_K 2.91 -> 1.60, Q6_K 2.43 -> 1.66; one token, 512 rows from DRAM,
   Q4_K 5.38 -> 4.13 ns a block (bench/mmdec.c). A Zen 4 core runs a 512-bit instruction as two
   256-bit halves, so the lane work is the same there (not measured). */
typedef struct olmoe__k8w2 { __m512i w[8], s[4], m; __m512 d, dm; } olmoe__k8w2;
#define OLMOE__Z2(A, B) _mm512_inserti64x4(_mm512_castsi256_si512(A), B, 1)
#define OLMOE__Z2PS(A, B) _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(A)), _mm256_castps_pd(B), 1))
OLMOE__AVX512 static inline __attribute__((always_inline)) void olmoe__k8_side2_vnni(int kind, const uint8_t *a, const uint8_t *b, olmoe__k8w2 *W) {
    /* the codes in the activation's quad order (olmoe__k8_pos), row A's in the low half and B's in
       the high half of each vector, one permute of the two rows' 64 bytes a vector. Vector i of quad
       k holds 8 values of each of groups 4k..4k+3: Q4_K/Q5_K the low and high nibbles of qs bytes
       64k + 8i.. (slots 0, 1) and 64k + 32 + 8i.. (2, 3), Q5_K's bit 4 = bit 4k + slot of qh[l];
       Q6_K slot a: the low (a < 2) or high nibble of ql bytes 64k + 32(a & 1) + 8i.., and bits 2a,
       2a + 1 of qh bytes 128 + 32k + 8i.. (rotated to bits 4, 5) */
    const __m512i m4 = _mm512_set1_epi8(0xF);
    olmoe__k8w A, B;
    int i, ns = kind == 4 ? 1 : kind == 5 ? 2 : 4;
    const uint8_t *qa = a + (kind == 4 ? 16 : kind == 5 ? 48 : 0), *qb = b + (kind == 4 ? 16 : kind == 5 ? 48 : 0);
    _Pragma("GCC unroll 8") for (i = 0; i < 8; i++) {
        const int j = i & 3, k = i >> 2;
        __m512i la = _mm512_loadu_si512(qa + 64 * k), lb = _mm512_loadu_si512(qb + 64 * k), x, q;
        if (kind == 6) { /* qwords (j, j + 4, j, j + 4) of each row, the last two shifted */
            __m512i h = OLMOE__Z2(_mm256_loadu_si256((const __m256i *)(const void *)(a + 128 + 32 * k)),
                                  _mm256_loadu_si256((const __m256i *)(const void *)(b + 128 + 32 * k)));
            x = _mm512_permutex2var_epi64(la, _mm512_setr_epi64(j, j + 4, j, j + 4, 8 + j, 12 + j, 8 + j, 12 + j), lb);
            q = _mm512_and_si512(_mm512_mask_srli_epi16(x, 0xFF00FF00u, x, 4), m4);
            h = _mm512_permutexvar_epi64(_mm512_setr_epi64(j, j, j, j, 4 + j, 4 + j, 4 + j, 4 + j), h);
            h = _mm512_rolv_epi64(h, _mm512_setr_epi64(4, 2, 0, 62, 4, 2, 0, 62));
            W->w[i] = _mm512_ternarylogic_epi32(q, h, _mm512_set1_epi8(0x30), 0xF8);
            continue;
        }
        /* qwords (j, j, j + 4, j + 4) of each row, the second and fourth shifted */
        x = _mm512_permutex2var_epi64(la, _mm512_setr_epi64(j, j, j + 4, j + 4, 8 + j, 8 + j, 12 + j, 12 + j), lb);
        q = _mm512_and_si512(_mm512_mask_srli_epi16(x, 0xF0F0F0F0u, x, 4), m4);
        if (kind == 5) {
            __m512i h = OLMOE__Z2(_mm256_loadu_si256((const __m256i *)(const void *)(a + 16)), _mm256_loadu_si256((const __m256i *)(const void *)(b + 16)));
            h = _mm512_permutexvar_epi64(_mm512_setr_epi64(j, j, j, j, 4 + j, 4 + j, 4 + j, 4 + j), h);
            h = k == 0 ? _mm512_sllv_epi64(h, _mm512_setr_epi64(4, 3, 2, 1, 4, 3, 2, 1)) : _mm512_srlv_epi64(h, _mm512_setr_epi64(0, 1, 2, 3, 0, 1, 2, 3));
            q = _mm512_ternarylogic_epi32(q, h, _mm512_set1_epi8(0x10), 0xF8);
        }
        W->w[i] = q;
    }
    olmoe__k8_scales_avx2(a, kind, 1, A.s, &A.m, &A.d, &A.dm);
    olmoe__k8_scales_avx2(b, kind, 1, B.s, &B.m, &B.d, &B.dm);
    _Pragma("GCC unroll 4") for (i = 0; i < ns; i++) W->s[i] = OLMOE__Z2(A.s[i], B.s[i]);
    W->m = OLMOE__Z2(A.m, B.m);
    W->d = OLMOE__Z2PS(A.d, B.d);
    W->dm = OLMOE__Z2PS(A.dm, B.dm);
}
/* one token's block against a row pair (the steps of olmoe__k8_blk_avx2). Q4_K: a quad's lane sums
   16 codes x activations (|.| <= 16 * 15 * 128 = 30720), so lane l of both quads goes into one int32
   as an int16 pair (vpermt2w) and one vpmaddwd against the scale pairs (olmoe__k4_ctlp) does the work
   of two vpmulld and an add: the same integers */
OLMOE__AVX512 static inline __attribute__((always_inline)) __m512 olmoe__k8_blk2_vnni(int kind, const olmoe__k8w2 *W, const olmoe__block_q8_K *y, __m512 acc) {
    const __m256i *Y = (const __m256i *)(const void *)y->qs;
    const __m512i zz = _mm512_setzero_si512();
#define OLMOE__YB(i) _mm512_broadcast_i64x4(_mm256_loadu_si256(Y + (i)))
    __m512i bs = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(const void *)y->bsums)), ci;
    __m512 f;
    if (kind == 4) {
        static const int16_t ix[32] = {0, 32, 2, 34, 4, 36, 6, 38, 8, 40, 10, 42, 12, 44, 14, 46,
                                       16, 48, 18, 50, 20, 52, 22, 54, 24, 56, 26, 58, 28, 60, 30, 62};
        __m512i q0 = _mm512_dpbusd_epi32(zz, W->w[0], OLMOE__YB(0));
        __m512i q1 = _mm512_dpbusd_epi32(zz, W->w[4], OLMOE__YB(4));
        q0 = _mm512_dpbusd_epi32(q0, W->w[1], OLMOE__YB(1));
        q1 = _mm512_dpbusd_epi32(q1, W->w[5], OLMOE__YB(5));
        q0 = _mm512_dpbusd_epi32(q0, W->w[2], OLMOE__YB(2));
        q1 = _mm512_dpbusd_epi32(q1, W->w[6], OLMOE__YB(6));
        q0 = _mm512_dpbusd_epi32(q0, W->w[3], OLMOE__YB(3));
        q1 = _mm512_dpbusd_epi32(q1, W->w[7], OLMOE__YB(7));
        ci = _mm512_madd_epi16(_mm512_permutex2var_epi16(q0, _mm512_loadu_si512(ix), q1), W->s[0]);
    } else {
        __m512i q[2];
        int k;
        for (k = 0; k < 2; k++) {
            __m512i s0 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, W->w[4 * k], OLMOE__YB(4 * k)), W->w[4 * k + 1], OLMOE__YB(4 * k + 1));
            __m512i s1 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, W->w[4 * k + 2], OLMOE__YB(4 * k + 2)), W->w[4 * k + 3], OLMOE__YB(4 * k + 3));
            q[k] = kind == 5 ? _mm512_mullo_epi32(_mm512_add_epi32(s0, s1), W->s[k])
                             : _mm512_add_epi32(_mm512_mullo_epi32(s0, W->s[2 * k]), _mm512_mullo_epi32(s1, W->s[2 * k + 1]));
        }
        ci = _mm512_add_epi32(q[0], q[1]);
    }
#undef OLMOE__YB
    if (kind == 6) {
        ci = _mm512_sub_epi32(ci, _mm512_slli_epi32(_mm512_madd_epi16(W->m, bs), 5));
        f = _mm512_mul_ps(W->d, _mm512_cvtepi32_ps(ci));
    } else {
        f = _mm512_fnmadd_ps(W->dm, _mm512_cvtepi32_ps(_mm512_madd_epi16(W->m, bs)), _mm512_mul_ps(W->d, _mm512_cvtepi32_ps(ci)));
    }
    return _mm512_fmadd_ps(f, _mm512_set1_ps(y->d), acc);
}
/* rows x nt tokens, rows in pairs (an odd last row as a pair with itself); the token loop unrolled
   where nt is a constant (OLMOE__K8_NT_vnni: 1..8), the accumulators then in registers */
OLMOE__AVX512 static inline __attribute__((always_inline)) void olmoe__k8_mm2_vnni(int kind, int n, int nr, const void *w, size_t ws, int nt,
                                                                                 const uint8_t *const *xq, float *const *y) {
    size_t bb = kind == 4 ? 144 : kind == 5 ? 176 : 210;
    int r, c, t, nc = n / 256;
    for (r = 0; r < nr; r += 2) {
        const uint8_t *ra = (const uint8_t *)w + (size_t)r * ws, *rb = r + 1 < nr ? ra + ws : ra;
        __m512 acc[64];
        olmoe__k8w2 W;
        OLMOE__K8_UNROLL_vnni for (t = 0; t < nt; t++) acc[t] = _mm512_setzero_ps();
        for (c = 0; c < nc; c++) {
            /* the rows 16 ahead (see olmoe__k8_mm_avx2) */
            OLMOE__PREFETCH(ra + (size_t)c * bb + 16 * ws, bb, 3);
            OLMOE__PREFETCH(rb + (size_t)c * bb + 16 * ws, bb, 3);
            olmoe__k8_side2_vnni(kind, ra + (size_t)c * bb, rb + (size_t)c * bb, &W);
            OLMOE__K8_UNROLL_vnni for (t = 0; t < nt; t++)
                acc[t] = olmoe__k8_blk2_vnni(kind, &W, (const olmoe__block_q8_K *)(const void *)xq[t] + c, acc[t]);
        }
        OLMOE__K8_UNROLL_vnni for (t = 0; t < nt; t++) {
            y[t][r] = olmoe__hsum_avx2(_mm512_castps512_ps256(acc[t]));
            if (r + 1 < nr) y[t][r + 1] = olmoe__hsum_avx2(olmoe__hi256_avx512(acc[t]));
        }
    }
}
/* The Q32 tiles of the unsigned-with-VNNI types (Q4_1, Q5_0, Q5_1, IQ4_NL, IQ4_XS) two rows a
   vector, as the K-quant ones (olmoe__k8_mm2_vnni): lanes 0..7 are row A's 8 lanes of a group (see
   OLMOE__Q32ROW_T), lanes 8..15 row B's; each activation vector is loaded once for both rows. Lane by
   lane the same integers and fp32 steps, so the same bits. Returns the rows done (pairs). One Zen 5
   core, 64 rows x 2048, 8 tokens, in cache, min of 3 alternated runs (2026-12-08, bench/mmdec.c):
   Q4_1 2.48 -> 1.79 ns per block and token, Q5_0 3.15 -> 2.35, Q5_1 3.67 -> 2.76, IQ4_NL 2.36 ->
   1.95, IQ4_XS 2.79 -> 2.31. */
OLMOE__AVX512 static inline __attribute__((always_inline)) int olmoe__q32pair_vnni(int TY, int T, int n, const uint8_t *W, size_t ws, int nr,
                                                                                  const uint8_t *const *xp, const uint8_t *const *xq, float *const *y) {
    const int bs = OLMOE__Q32_BS(TY), mn = OLMOE__Q32_MIN(TY), blk32 = TY != OLMOE_TYPE_IQ4_XS;
    const int corr = TY == OLMOE_TYPE_Q5_0 ? 1 : OLMOE__Q32_IQ4(TY) ? 4 : 0; /* log2 of 2 or 16 */
    const __m512i zz = _mm512_setzero_si512();
    int nb = n / 32, ng = nb / 8, g, k, i, j;
    for (i = 0; i + 1 < nr; i += 2) {
        const uint8_t *a = W + (size_t)i * ws, *b = a + ws;
        __m512 acc[8];
        OLMOE__UNROLL12
        for (k = 0; k < T; k++) acc[k] = _mm512_setzero_ps();
        for (g = 0; g < ng; g++, a += OLMOE__Q32_GS(TY), b += OLMOE__Q32_GS(TY)) {
            __m256i ua[4], wa[4], ub[4], wb[4];
            __m512i u0[4], u1[4];
            __m512 wd = TY == OLMOE_TYPE_IQ4_XS ? OLMOE__Z2PS(olmoe__iq4xs_d8_avx2(a), olmoe__iq4xs_d8_avx2(b))
                                                : OLMOE__Z2PS(olmoe__scales8_avx2(a, bs, 0), olmoe__scales8_avx2(b, bs, 0));
            __m512 ms = mn ? OLMOE__Z2PS(olmoe__scales8_avx2(a + 2, bs, 0), olmoe__scales8_avx2(b + 2, bs, 0)) : _mm512_setzero_ps();
            /* the rows 16 ahead (as the one-row tiles) */
            OLMOE__PREFETCH(a + 16 * ws, OLMOE__Q32_GS(TY), 3);
            OLMOE__PREFETCH(b + 16 * ws, OLMOE__Q32_GS(TY), 3);
            olmoe__q32quad_avx2(TY, 1, a, 0, 4, ua, wa);
            olmoe__q32quad_avx2(TY, 1, b, 0, 4, ub, wb);
            _Pragma("GCC unroll 4") for (j = 0; j < 4; j++) u0[j] = OLMOE__Z2(ua[j], ub[j]);
            olmoe__q32quad_avx2(TY, 1, a, 2, 6, ua, wa);
            olmoe__q32quad_avx2(TY, 1, b, 2, 6, ub, wb);
            _Pragma("GCC unroll 4") for (j = 0; j < 4; j++) u1[j] = OLMOE__Z2(ua[j], ub[j]);
            OLMOE__UNROLL12
            for (k = 0; k < T; k++) {
                const uint8_t *p = xp[k] + (size_t)g * 384;
                const __m256i *Y = (const __m256i *)(const void *)p;
#define OLMOE__YB(v) _mm512_broadcast_i64x4(_mm256_loadu_si256(Y + (v)))
                __m512i m = _mm512_add_epi32(_mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, u0[0], OLMOE__YB(0)), u0[2], OLMOE__YB(2)),
                                             _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, u0[1], OLMOE__YB(1)), u0[3], OLMOE__YB(3)));
                __m512i m1 = _mm512_add_epi32(_mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, u1[0], OLMOE__YB(4)), u1[2], OLMOE__YB(6)),
                                              _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zz, u1[1], OLMOE__YB(5)), u1[3], OLMOE__YB(7)));
#undef OLMOE__YB
                __m512i cs = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(const void *)(p + 288)));
                __m512 dy = _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_loadu_pd((const double *)(const void *)(p + 256))));
                /* [b0 b0 b1 b1 | b4 b4 b5 b5], [b2 b2 b3 b3 | b6 b6 b7 b7] -> b0..b7, in each half */
                __m512i s = _mm512_add_epi32(_mm512_castps_si512(_mm512_shuffle_ps(_mm512_castsi512_ps(m), _mm512_castsi512_ps(m1), 0x88)),
                                             _mm512_castps_si512(_mm512_shuffle_ps(_mm512_castsi512_ps(m), _mm512_castsi512_ps(m1), 0xDD)));
                if (corr) s = _mm512_sub_epi32(s, _mm512_slli_epi32(cs, corr));
                acc[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(wd, dy), acc[k]);
                if (mn) acc[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_srai_epi32(cs, 3)), _mm512_mul_ps(ms, dy), acc[k]);
            }
        }
        for (k = 0; k < T; k++) {
            float ra = olmoe__hsum_avx2(_mm512_castps512_ps256(acc[k])), rb = olmoe__hsum_avx2(olmoe__hi256_avx512(acc[k]));
            if (blk32 && ng * 8 < nb) {
                ra += olmoe__q32tail_avx2(TY, 0, nb - ng * 8, a, xq[k] + (size_t)ng * 272);
                rb += olmoe__q32tail_avx2(TY, 0, nb - ng * 8, b, xq[k] + (size_t)ng * 272);
            }
            y[k][i] = ra;
            y[k][i + 1] = rb;
        }
    }
    return i;
}
/* The K-quant kernels with VNNI: the row pairs above (olmoe__k8_mm2_vnni), the same integers, so the
   same bits as the AVX2 and scalar paths. The other decoded types use the AVX2 machinery. */
OLMOE__K8_DRIVER_DEF(vnni, OLMOE__AVX512)
OLMOE__Q32_DEF(vnni, OLMOE__AVX512, 1)
OLMOE__AVX512 static float olmoe__dot_dec_avx512(const olmoe__qtype *qt, int n, const void *w, const void *xq) {
    float r, *yp = &r;
    const uint8_t *xp = (const uint8_t *)xq;
    if (olmoe__q32_tiled(qt, n)) { /* the tiles with one row and one token: mm_dec's bits */
        olmoe__mm_q32_vnni(qt, n, 1, (const uint8_t *)w, 0, 1, &xp, &yp);
        return r;
    }
    if (!olmoe__kkind(qt->type)) return olmoe__dot_dec_avx2(qt, n, w, xq);
    olmoe__k8mm_vnni(olmoe__kkind(qt->type), n, 1, w, 0, 1, &xp, &yp);
    return r;
}
OLMOE__AVX512 static void olmoe__mm_dec_avx512(const olmoe__qtype *qt, int n, int nr, const void *w, size_t ws, int nt,
                                               const uint8_t *const *xq, float *const *y) {
    if (olmoe__kkind(qt->type)) olmoe__k8mm_vnni(olmoe__kkind(qt->type), n, nr, w, ws, nt, xq, y);
    else if (olmoe__q32_tiled(qt, n)) olmoe__mm_q32_vnni(qt, n, nr, (const uint8_t *)w, ws, nt, xq, y);
    else olmoe__mm_dec_avx2(qt, n, nr, w, ws, nt, xq, y);
}
OLMOE__MM_DEC_TABLE(avx512, OLMOE__AVX512)

static const olmoe__kernels olmoe__kernels_avx512 = {
    OLMOE_KERNELS_AVX512, olmoe__dot_q8_0_avx512, olmoe__dot_q4_0_avx512, olmoe__dot_f32_avx512,
    olmoe__dot_f16_avx512, olmoe__dot_bf16_avx512, olmoe__quant_q8_0_avx512
    OLMOE__DOTR(olmoe__dotr_q8_0_avx512, olmoe__dotr_q4_0_avx512),
    olmoe__prep_q8_avx512, olmoe__mm_q4_0_avx512, olmoe__mm_q8_0_avx512, olmoe__axpy_f32_avx512,
    olmoe__axpy_f16_avx512, olmoe__cvt_f16_avx512, olmoe__silu_mul_avx512, olmoe__exp_sum_avx512,
    olmoe__dot_dec_avx512, olmoe__mm_dec_avx512_t, olmoe__quant_q8_K_avx2
};

#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/* ---- detection ------------------------------------------------------------------------------ */
static uint64_t olmoe__xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ __volatile__(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

/* Which x86 paths this CPU and OS can run: bit 0 AVX2 table, bit 1 AVX-512 table. */
static int olmoe__x86_paths(void) {
    unsigned a, b, c, d, max;
    uint64_t xcr0;
    int avx2, r = 0;
    if (!__get_cpuid(0, &max, &b, &c, &d) || max < 7) return 0;
    __get_cpuid(1, &a, &b, &c, &d);
    /* OSXSAVE (27), AVX (28), FMA (12), F16C (29) */
    if (!(c & (1u << 27)) || !(c & (1u << 28)) || !(c & (1u << 12)) || !(c & (1u << 29))) return 0;
    xcr0 = olmoe__xgetbv0();
    if ((xcr0 & 0x6) != 0x6) return 0;                 /* XMM and YMM state saved by the OS */
    __get_cpuid_count(7, 0, &a, &b, &c, &d);
    avx2 = (b >> 5) & 1;
    if (avx2) r |= 1;
    if (avx2 && (xcr0 & 0xE0) == 0xE0 &&              /* opmask, ZMM_Hi256, Hi16_ZMM state */
        (b & (1u << 16)) && (b & (1u << 30)) && (b & (1u << 31)) && /* F, BW, VL */
        (c & (1u << 11)))                              /* VNNI */
        r |= 2;
    return r;
}

static const olmoe__kernels *olmoe__pick_kernels_simd(int want) {
    int p = olmoe__x86_paths();
    switch (want) {
    case OLMOE_KERNELS_AUTO: return (p & 2) ? &olmoe__kernels_avx512 : (p & 1) ? &olmoe__kernels_avx2 : NULL;
    case OLMOE_KERNELS_AVX2: return (p & 1) ? &olmoe__kernels_avx2 : NULL;
    case OLMOE_KERNELS_AVX512: return (p & 2) ? &olmoe__kernels_avx512 : NULL;
    default: return NULL;
    }
}
#endif /* __x86_64__ */

/* ============================================================================= aarch64 ==== */
#if defined(__aarch64__)
#include <arm_neon.h>
#if defined(__linux__) || defined(__ANDROID__)
#include <sys/auxv.h>
#elif defined(__APPLE__)
#include <sys/sysctl.h>
#endif

#ifdef __clang__
#define OLMOE__DOTPROD __attribute__((target("dotprod")))
#else
#define OLMOE__DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))
#endif
/* clang before 16 declares vdotq_s32 only when the whole file targets dotprod. */
#if defined(__clang__) && __clang_major__ < 16 && !defined(__ARM_FEATURE_DOTPROD)
#define OLMOE__SDOT(acc, a, b) __asm__("sdot %0.4s, %1.16b, %2.16b" : "+w"(acc) : "w"(a), "w"(b))
#else
#define OLMOE__SDOT(acc, a, b) ((acc) = vdotq_s32((acc), (a), (b)))
#endif

/* Sum of 16 int8 products into 4 int32 lanes, plain NEON (exact: each product fits int16). */
static inline int32x4_t olmoe__mla16_neon(int32x4_t acc, int8x16_t a, int8x16_t b) {
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
}
/* fp16 -> fp32 of a scale, with the hardware conversion (exact for every fp16 value). */
static inline float olmoe__h2f_neon(const uint8_t *p) {
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(olmoe__simd_ld16(p)))), 0);
}

static inline int8x16_t olmoe__ld_s8(const uint8_t *p) { return vld1q_s8((const int8_t *)p); }

/* The fp16 scales of 4 blocks st bytes apart, as floats. */
static inline float32x4_t olmoe__scales4_neon(const uint8_t *p, int st) {
    uint64_t v = (uint64_t)olmoe__simd_ld16(p) | (uint64_t)olmoe__simd_ld16(p + st) << 16 |
                 (uint64_t)olmoe__simd_ld16(p + 2 * st) << 32 | (uint64_t)olmoe__simd_ld16(p + 3 * st) << 48;
    return vcvt_f32_f16(vreinterpret_f16_u64(vcreate_u64(v)));
}

/* Q8_0/Q4_0 row . Q8_0 activation, 4 blocks per step: each block's 4 int32 partials are added
   to its exact integer sum (pairwise adds) before the fp32 scaling, as in the scalar path. */
#define OLMOE__DOT_Q_NEON(NAME, RNAME, ATTR, WB, BODY)                                               \
    ATTR static float NAME(int n, const void *w, const void *xq) {                            \
        const uint8_t *a = (const uint8_t *)w, *b = (const uint8_t *)xq;                      \
        int nb = n / 32, i;                                                                   \
        float32x4_t acc = vdupq_n_f32(0.0f);                                                  \
        float tail = 0.0f;                                                                    \
        for (i = 0; i + 4 <= nb; i += 4, a += 4 * WB, b += 136) {                             \
            int32x4_t s0 = vdupq_n_s32(0), s1 = s0, s2 = s0, s3 = s0;                         \
            BODY(s0, a, b);                                                                   \
            BODY(s1, a + WB, b + 34);                                                         \
            BODY(s2, a + 2 * WB, b + 68);                                                     \
            BODY(s3, a + 3 * WB, b + 102);                                                    \
            s0 = vpaddq_s32(vpaddq_s32(s0, s1), vpaddq_s32(s2, s3));                          \
            acc = vfmaq_f32(acc, vcvtq_f32_s32(s0), vmulq_f32(olmoe__scales4_neon(a, WB), olmoe__scales4_neon(b, 34))); \
        }                                                                                     \
        for (; i < nb; i++, a += WB, b += 34) {                                               \
            int32x4_t s0 = vdupq_n_s32(0);                                                    \
            BODY(s0, a, b);                                                                   \
            tail += (float)vaddvq_s32(s0) * (olmoe__h2f_neon(a) * olmoe__h2f_neon(b));        \
        }                                                                                     \
        return vaddvq_f32(acc) + tail;                                                        \
    }                                                                                         \
    ATTR __attribute__((unused)) static void RNAME(int n, int nr, const void *w, size_t ws, const void *xq, \
                                                     float *y, size_t ys) {                   \
        int r;                                                                                \
        for (r = 0; r < nr; r++) y[(size_t)r * ys] = NAME(n, (const uint8_t *)w + (size_t)r * ws, xq); \
    }

/* Block bodies: s += w . y over one block (a, b point at the blocks). */
#define OLMOE__Q8_NEON(s, a, b)                                                                \
    do { s = olmoe__mla16_neon(s, olmoe__ld_s8(a + 2), olmoe__ld_s8(b + 2));                  \
         s = olmoe__mla16_neon(s, olmoe__ld_s8(a + 18), olmoe__ld_s8(b + 18)); } while (0)
#define OLMOE__Q4_NEON(s, a, b)                                                                \
    do { uint8x16_t q_ = vld1q_u8(a + 2);                                                     \
         int8x16_t l_ = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q_, vdupq_n_u8(0x0F))), vdupq_n_s8(8)); \
         int8x16_t h_ = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q_, 4)), vdupq_n_s8(8));       \
         s = olmoe__mla16_neon(s, l_, olmoe__ld_s8(b + 2));                                    \
         s = olmoe__mla16_neon(s, h_, olmoe__ld_s8(b + 18)); } while (0)
#define OLMOE__Q8_SDOT(s, a, b)                                                                \
    do { OLMOE__SDOT(s, olmoe__ld_s8(a + 2), olmoe__ld_s8(b + 2));                            \
         OLMOE__SDOT(s, olmoe__ld_s8(a + 18), olmoe__ld_s8(b + 18)); } while (0)
#define OLMOE__Q4_SDOT(s, a, b)                                                                \
    do { uint8x16_t q_ = vld1q_u8(a + 2);                                                     \
         int8x16_t l_ = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q_, vdupq_n_u8(0x0F))), vdupq_n_s8(8)); \
         int8x16_t h_ = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q_, 4)), vdupq_n_s8(8));       \
         OLMOE__SDOT(s, l_, olmoe__ld_s8(b + 2));                                             \
         OLMOE__SDOT(s, h_, olmoe__ld_s8(b + 18)); } while (0)

OLMOE__DOT_Q_NEON(olmoe__dot_q8_0_neon, olmoe__dotr_q8_0_neon, , 34, OLMOE__Q8_NEON)
OLMOE__DOT_Q_NEON(olmoe__dot_q4_0_neon, olmoe__dotr_q4_0_neon, , 18, OLMOE__Q4_NEON)
OLMOE__DOT_Q_NEON(olmoe__dot_q8_0_dot, olmoe__dotr_q8_0_dot, OLMOE__DOTPROD, 34, OLMOE__Q8_SDOT)
OLMOE__DOT_Q_NEON(olmoe__dot_q4_0_dot, olmoe__dotr_q4_0_dot, OLMOE__DOTPROD, 18, OLMOE__Q4_SDOT)

static inline float32x4_t olmoe__ld4_f32_neon(const uint8_t *p) { return vreinterpretq_f32_u8(vld1q_u8(p)); }
static inline float32x4_t olmoe__ld4_f16_neon(const uint8_t *p) {
    return vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(p)));
}
static inline float32x4_t olmoe__ld4_bf16_neon(const uint8_t *p) {
    return vreinterpretq_f32_u32(vshll_n_u16(vreinterpret_u16_u8(vld1_u8(p)), 16));
}
#define OLMOE__DOTF_NEON(NAME, LD, ESZ, TAIL)                                                  \
    static float NAME(int n, const void *w, const float *x) {                                 \
        const uint8_t *a = (const uint8_t *)w;                                                \
        float32x4_t s0 = vdupq_n_f32(0.0f), s1 = vdupq_n_f32(0.0f);                           \
        float32x4_t s2 = vdupq_n_f32(0.0f), s3 = vdupq_n_f32(0.0f);                           \
        int i = 0;                                                                            \
        for (; i + 16 <= n; i += 16) {                                                        \
            s0 = vfmaq_f32(s0, LD(a + (size_t)i * ESZ), vld1q_f32(x + i));                    \
            s1 = vfmaq_f32(s1, LD(a + (size_t)(i + 4) * ESZ), vld1q_f32(x + i + 4));          \
            s2 = vfmaq_f32(s2, LD(a + (size_t)(i + 8) * ESZ), vld1q_f32(x + i + 8));          \
            s3 = vfmaq_f32(s3, LD(a + (size_t)(i + 12) * ESZ), vld1q_f32(x + i + 12));        \
        }                                                                                     \
        for (; i + 4 <= n; i += 4) s0 = vfmaq_f32(s0, LD(a + (size_t)i * ESZ), vld1q_f32(x + i)); \
        return vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3))) + TAIL(a, x, i, n); \
    }
OLMOE__DOTF_NEON(olmoe__dot_f32_neon, olmoe__ld4_f32_neon, 4, olmoe__simd_tail_f32)
OLMOE__DOTF_NEON(olmoe__dot_f16_neon, olmoe__ld4_f16_neon, 2, olmoe__simd_tail_f16)
OLMOE__DOTF_NEON(olmoe__dot_bf16_neon, olmoe__ld4_bf16_neon, 2, olmoe__simd_tail_bf16)


/* roundf is FRINTA (ties away); FCVTZS then two truncating narrows keep the low byte, as the
   scalar (int8_t) cast does. */
static void olmoe__quant_q8_0_neon(const float *x, void *y, int n) {
    uint8_t *o = (uint8_t *)y;
    int b, k;
    for (b = 0; b < n / 32; b++, x += 32, o += 34) {
        float32x4_t v[8], m;
        float amax, d, id;
        uint16_t dh;
        int16x8_t h[4];
        for (k = 0; k < 8; k++) v[k] = vld1q_f32(x + 4 * k);
        m = vabsq_f32(v[0]);
        for (k = 1; k < 8; k++) m = vmaxq_f32(m, vabsq_f32(v[k]));
        amax = vmaxvq_f32(m);
        d = amax / 127.0f;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        dh = olmoe_fp32_to_fp16(d);
        memcpy(o, &dh, 2);
        for (k = 0; k < 4; k++) {
            int32x4_t i0 = vcvtq_s32_f32(vrndaq_f32(vmulq_n_f32(v[2 * k], id)));
            int32x4_t i1 = vcvtq_s32_f32(vrndaq_f32(vmulq_n_f32(v[2 * k + 1], id)));
            h[k] = vcombine_s16(vmovn_s32(i0), vmovn_s32(i1));
        }
        vst1_s8((int8_t *)o + 2, vmovn_s16(h[0]));
        vst1_s8((int8_t *)o + 10, vmovn_s16(h[1]));
        vst1_s8((int8_t *)o + 18, vmovn_s16(h[2]));
        vst1_s8((int8_t *)o + 26, vmovn_s16(h[3]));
    }
}

/* ---- NEON rows x tokens kernels (decode and prefill) ----------------------------------------
   The activation's second layout, per 8 blocks (288 of the 384 bytes, made once per activation):
     0    the 8 blocks' 32 int8 values back to back (block k at 32k)
     256  their 8 scales as floats
   so a token's block is two 16-byte loads and one float load, with no fp16 conversion per row.
   The blocks after the last full group are read from the Q8_0 blocks themselves (the same
   values, so the same bits).
   Rows go by 4 and each lane of a token's fp32 accumulator belongs to one row: per block the 4
   rows' weights are unpacked once (Q4_0 nibbles to signed -8..7) and serve every token of the
   tile; per token the 4 rows' exact int32 block sums land in one vector [r0 r1 r2 r3] (pairwise
   adds), which is scaled by (row scales * token scale) and fused-multiply-added into the
   accumulator. So a (row, token) value is one fixed chain, block 0 to nb - 1, in its own lane:
   the same bits whatever the tile size, the lane, or the rows beside it (a short last quad
   repeats its last row). No horizontal sum is needed: the accumulator is the 4 outputs. */
static void olmoe__prep_q8_neon(const void *xq, void *xp, int n) {
    const uint8_t *b = (const uint8_t *)xq;
    uint8_t *o = (uint8_t *)xp;
    int g, k;
    for (g = 0; g + 8 <= n / 32; g += 8, b += 272, o += 384) {
        float d[8];
        for (k = 0; k < 8; k++) {
            vst1q_u8(o + 32 * k, vld1q_u8(b + 34 * k + 2));
            vst1q_u8(o + 32 * k + 16, vld1q_u8(b + 34 * k + 18));
            d[k] = olmoe__h2f_neon(b + 34 * k);
        }
        memcpy(o + 256, d, sizeof d);
    }
}
#define OLMOE__UNROLL4 _Pragma("GCC unroll 4") /* so that the per-row arrays below stay in registers */
/* The 4 rows' weights of one block (at byte off of each row) as signed int8 (w[2r], w[2r + 1]:
   elements 0..15 and 16..31 of row r) and their scales as floats. */
static inline __attribute__((always_inline)) void olmoe__mmw_neon(int q8, const uint8_t *const *a, size_t off, int8x16_t *w,
                                                                  float32x4_t *wd) {
    int r;
    uint64_t v = 0;
    OLMOE__UNROLL4
    for (r = 0; r < 4; r++) {
        const uint8_t *p = a[r] + off;
        if (q8) {
            w[2 * r] = vld1q_s8((const int8_t *)p + 2);
            w[2 * r + 1] = vld1q_s8((const int8_t *)p + 18);
        } else {
            uint8x16_t q = vld1q_u8(p + 2);
            w[2 * r] = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0F))), vdupq_n_s8(8));
            w[2 * r + 1] = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), vdupq_n_s8(8));
        }
        v |= (uint64_t)olmoe__simd_ld16(p) << (16 * r);
    }
    *wd = vcvt_f32_f16(vreinterpret_f16_u64(vcreate_u64(v)));
}
/* The 4 rows' exact block sums [r0 r1 r2 r3] with one token's block (xl, xh). sdot: 2 per row
   into 4 partials, then pairwise adds. */
OLMOE__DOTPROD static inline __attribute__((always_inline)) int32x4_t olmoe__mms_dot(int q8, const int8x16_t *w, int8x16_t xl,
                                                                                     int8x16_t xh) {
    int32x4_t s0 = vdupq_n_s32(0), s1 = s0, s2 = s0, s3 = s0;
    (void)q8;
    OLMOE__SDOT(s0, w[0], xl); OLMOE__SDOT(s0, w[1], xh);
    OLMOE__SDOT(s1, w[2], xl); OLMOE__SDOT(s1, w[3], xh);
    OLMOE__SDOT(s2, w[4], xl); OLMOE__SDOT(s2, w[5], xh);
    OLMOE__SDOT(s3, w[6], xl); OLMOE__SDOT(s3, w[7], xh);
    return vpaddq_s32(vpaddq_s32(s0, s1), vpaddq_s32(s2, s3));
}
/* Plain NEON. Q4_0 weights are -8..7, so a product is at most 8 * 128 = 1024 in magnitude and
   int16 lanes hold exact sums of up to 31 of them: vmull + 3 vmlal put 4 products in a lane,
   two rounds of pairwise int16 adds 16 (at most 16384), and the widening pairwise add the 32 of
   each row's block into one int32 lane. Q8_0 products reach 16384, so each is widened to int32
   at once (vpadal), as in olmoe__mla16_neon. Exact for any int8 activation. */
static inline __attribute__((always_inline)) int32x4_t olmoe__mms_neon(int q8, const int8x16_t *w, int8x16_t xl, int8x16_t xh) {
    if (!q8) {
        int16x8_t p[4];
        int r;
        OLMOE__UNROLL4
        for (r = 0; r < 4; r++) {
            int16x8_t t = vmull_s8(vget_low_s8(w[2 * r]), vget_low_s8(xl));
            t = vmlal_high_s8(t, w[2 * r], xl);
            t = vmlal_s8(t, vget_low_s8(w[2 * r + 1]), vget_low_s8(xh));
            p[r] = vmlal_high_s8(t, w[2 * r + 1], xh);
        }
        return vpaddlq_s16(vpaddq_s16(vpaddq_s16(p[0], p[1]), vpaddq_s16(p[2], p[3])));
    } else {
        int32x4_t s[4];
        int r;
        OLMOE__UNROLL4
        for (r = 0; r < 4; r++) s[r] = olmoe__mla16_neon(olmoe__mla16_neon(vdupq_n_s32(0), w[2 * r], xl), w[2 * r + 1], xh);
        return vpaddq_s32(vpaddq_s32(s[0], s[1]), vpaddq_s32(s[2], s[3]));
    }
}
#define OLMOE__MM_TMAX 8 /* tokens per tile: 8 accumulators + 8 weight vectors + temporaries fit the 32 registers */
#define OLMOE__UNROLL8 _Pragma("GCC unroll 8")
/* One block of 4 rows (at byte off) x T tokens. Token t's int8 values are at xq[t] + xoff; its
   scale at xq[t] + doff, a float from the second layout or (raw) the fp16 of a Q8_0 block.
   The empty volatile asm is a scheduling barrier: without it GCC's pre-allocation scheduler
   interleaves all T tokens' block sums, runs out of the 32 registers and keeps the accumulators
   on the stack (a load and a store per token and block). Tokens go in pairs between barriers
   (PAIRS), or one at a time for the plain NEON Q8_0 sums, which need more temporaries; an
   out-of-order core still overlaps them. */
#define OLMOE__MM_NEON(SUF, ATTR, SUMS, PAIRS)                                                      \
    ATTR static inline __attribute__((always_inline)) void olmoe__mmblk_##SUF(                     \
        int q8, const uint8_t *const *a, size_t off, int T, const uint8_t *const *xq, size_t xoff, size_t doff, \
        int raw, float32x4_t *acc) {                                                               \
        int8x16_t w[8];                                                                            \
        float32x4_t wd;                                                                            \
        int t;                                                                                     \
        olmoe__mmw_neon(q8, a, off, w, &wd);                                                       \
        OLMOE__UNROLL8                                                                             \
        for (t = 0; t < T; t++) {                                                                  \
            const uint8_t *x = xq[t] + xoff;                                                       \
            float xd;                                                                              \
            int32x4_t s = SUMS(q8, w, vld1q_s8((const int8_t *)x), vld1q_s8((const int8_t *)x + 16)); \
            if (raw) xd = olmoe__h2f_neon(xq[t] + doff);                                           \
            else memcpy(&xd, xq[t] + doff, 4);                                                     \
            acc[t] = vfmaq_f32(acc[t], vcvtq_f32_s32(s), vmulq_n_f32(wd, xd));                     \
            if ((t & 1) || (q8 && !PAIRS)) __asm__ __volatile__("");                               \
        }                                                                                          \
    }                                                                                              \
    /* Rows a[0..3] x T tokens into y[t][i..i + nv - 1]. */                                        \
    ATTR static inline __attribute__((always_inline)) void olmoe__mmtile_##SUF(                    \
        int q8, int n, const uint8_t *const *a, int T, const uint8_t *const *xq, float *const *y, int i, int nv) { \
        size_t xo = olmoe__xp_offset(n), wb = q8 ? 34 : 18;                                        \
        int nb = n / 32, ng = nb / 8, b, t;                                                        \
        float32x4_t acc[OLMOE__MM_TMAX];                                                           \
        OLMOE__UNROLL8                                                                             \
        for (t = 0; t < T; t++) acc[t] = vdupq_n_f32(0.0f);                                        \
        for (b = 0; b < ng * 8; b++) {                                                             \
            size_t gx = xo + (size_t)(b / 8) * 384;                                                \
            olmoe__mmblk_##SUF(q8, a, (size_t)b * wb, T, xq, gx + 32 * (b % 8), gx + 256 + 4 * (b % 8), 0, acc); \
        }                                                                                          \
        for (; b < nb; b++)                                                                        \
            olmoe__mmblk_##SUF(q8, a, (size_t)b * wb, T, xq, (size_t)b * 34 + 2, (size_t)b * 34, 1, acc); \
        OLMOE__UNROLL8                                                                             \
        for (t = 0; t < T; t++) {                                                                  \
            if (nv == 4) vst1q_f32(y[t] + i, acc[t]);                                              \
            else {                                                                                 \
                float r[4];                                                                        \
                vst1q_f32(r, acc[t]);                                                              \
                memcpy(y[t] + i, r, (size_t)nv * 4);                                               \
            }                                                                                      \
        }                                                                                          \
    }
OLMOE__MM_NEON(neon, , olmoe__mms_neon, 0)
OLMOE__MM_NEON(dot, OLMOE__DOTPROD, olmoe__mms_dot, 1)
/* One function per kernel, weight type and tile size, so each keeps its accumulators in
   registers. */
typedef void (*olmoe__mm4_fn)(int n, const uint8_t *const *a, const uint8_t *const *xq, float *const *y, int i, int nv);
#define OLMOE__MM4_T(SUF, ATTR, Q, T)                                                              \
    ATTR __attribute__((noinline)) static void olmoe__mm4##Q##_##T##_##SUF(                        \
        int n, const uint8_t *const *a, const uint8_t *const *xq, float *const *y, int i, int nv) { \
        olmoe__mmtile_##SUF(Q, n, a, T, xq, y, i, nv);                                             \
    }
#define OLMOE__MM4S(SUF, ATTR, Q)                                                                  \
    OLMOE__MM4_T(SUF, ATTR, Q, 1) OLMOE__MM4_T(SUF, ATTR, Q, 2) OLMOE__MM4_T(SUF, ATTR, Q, 3)       \
    OLMOE__MM4_T(SUF, ATTR, Q, 4) OLMOE__MM4_T(SUF, ATTR, Q, 5) OLMOE__MM4_T(SUF, ATTR, Q, 6)       \
    OLMOE__MM4_T(SUF, ATTR, Q, 7) OLMOE__MM4_T(SUF, ATTR, Q, 8)                                    \
    static const olmoe__mm4_fn olmoe__mm4##Q##_##SUF##_t[OLMOE__MM_TMAX + 1] = {                   \
        NULL, olmoe__mm4##Q##_1_##SUF, olmoe__mm4##Q##_2_##SUF, olmoe__mm4##Q##_3_##SUF,            \
        olmoe__mm4##Q##_4_##SUF, olmoe__mm4##Q##_5_##SUF, olmoe__mm4##Q##_6_##SUF,                  \
        olmoe__mm4##Q##_7_##SUF, olmoe__mm4##Q##_8_##SUF };
OLMOE__MM4S(neon, , 0)
OLMOE__MM4S(neon, , 1)
OLMOE__MM4S(dot, OLMOE__DOTPROD, 0)
OLMOE__MM4S(dot, OLMOE__DOTPROD, 1)
/* Rows by 4 (a short last quad repeats its last row and stores only its own lanes); per quad,
   the tokens in as few tiles of at most OLMOE__MM_TMAX as can hold them, of sizes that differ
   by at most 1. The quad's rows (4 x 1152 bytes at n = 2048, Q4_0) stay in L1 across tiles. */
static void olmoe__mm_x_neon(const olmoe__mm4_fn *fn, int n, int nr, const void *w, size_t ws, int nt,
                             const uint8_t *const *xq, float *const *y) {
    const uint8_t *W = (const uint8_t *)w;
    int ntile = (nt + OLMOE__MM_TMAX - 1) / OLMOE__MM_TMAX, i, t, k, r;
    for (i = 0; i < nr; i += 4) {
        const uint8_t *a[4];
        int nv = nr - i < 4 ? nr - i : 4;
        for (r = 0; r < 4; r++) a[r] = W + (size_t)(i + (r < nv ? r : nv - 1)) * ws;
        for (t = 0, k = 0; k < ntile; k++) {
            int tt = nt / ntile + (k < nt % ntile);
            fn[tt](n, a, xq + t, y + t, i, nv);
            t += tt;
        }
    }
}
static void olmoe__mm_q4_0_neon(int n, int nr, const void *w, size_t ws, int nt, const uint8_t *const *xq, float *const *y) {
    olmoe__mm_x_neon(olmoe__mm40_neon_t, n, nr, w, ws, nt, xq, y);
}
static void olmoe__mm_q8_0_neon(int n, int nr, const void *w, size_t ws, int nt, const uint8_t *const *xq, float *const *y) {
    olmoe__mm_x_neon(olmoe__mm41_neon_t, n, nr, w, ws, nt, xq, y);
}
static void olmoe__mm_q4_0_dot(int n, int nr, const void *w, size_t ws, int nt, const uint8_t *const *xq, float *const *y) {
    olmoe__mm_x_neon(olmoe__mm40_dot_t, n, nr, w, ws, nt, xq, y);
}
static void olmoe__mm_q8_0_dot(int n, int nr, const void *w, size_t ws, int nt, const uint8_t *const *xq, float *const *y) {
    olmoe__mm_x_neon(olmoe__mm41_dot_t, n, nr, w, ws, nt, xq, y);
}

/* The tails fuse the multiply-add as the vector body does (fmaf is one fmadd on AArch64), so an
   element's bits do not depend on where the caller's row range ends (see olmoe__axpy_f32_avx2). */
static void olmoe__axpy_f32_neon(int n, float a, const float *x, float *y) {
    int i;
    for (i = 0; i + 4 <= n; i += 4) vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), vld1q_f32(x + i), a));
    for (; i < n; i++) y[i] = fmaf(a, x[i], y[i]);
}

static void olmoe__axpy_f16_neon(int n, float a, const uint16_t *x, float *y) {
    int i;
    for (i = 0; i + 4 <= n; i += 4)
        vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(x + i))), a));
    for (; i < n; i++) y[i] = fmaf(a, olmoe_fp16_to_fp32(x[i]), y[i]);
}
static void olmoe__cvt_f16_neon(int n, const float *x, uint16_t *y) {
    int i;
    for (i = 0; i + 4 <= n; i += 4) vst1_u16(y + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x + i))));
    for (; i < n; i++) y[i] = olmoe_fp32_to_fp16(x[i]);
}

/* NEON block decoders of the most used K-quants (the scalar decoders' form, bit for bit) */
static void olmoe__dec_q4_K_neon(const uint8_t *b, olmoe__dec *o, int g0) {
    const uint8x16_t m4 = vdupq_n_u8(0xF);
    int g, l;
    (void)g0;
    olmoe__dec_k4_head(b, o);
    for (g = 0; g < 4; g++)
        for (l = 0; l < 32; l += 16) {
            uint8x16_t v = vld1q_u8(b + 16 + 32 * g + l);
            vst1q_u8((uint8_t *)o->q + 64 * g + l, vandq_u8(v, m4));
            vst1q_u8((uint8_t *)o->q + 64 * g + 32 + l, vshrq_n_u8(v, 4));
        }
}
static void olmoe__dec_q5_K_neon(const uint8_t *b, olmoe__dec *o, int g0) {
    const uint8x16_t m4 = vdupq_n_u8(0xF), one = vdupq_n_u8(1);
    int g, l;
    (void)g0;
    olmoe__dec_k4_head(b, o);
    for (l = 0; l < 32; l += 16) {
        uint8x16_t qh = vld1q_u8(b + 16 + l);
        for (g = 0; g < 4; g++) { /* group j takes bit j of qh[l] as bit 4 */
            uint8x16_t v = vld1q_u8(b + 48 + 32 * g + l);
            uint8x16_t h0 = vshlq_n_u8(vandq_u8(vshlq_u8(qh, vdupq_n_s8((int8_t)(-2 * g))), one), 4);
            uint8x16_t h1 = vshlq_n_u8(vandq_u8(vshlq_u8(qh, vdupq_n_s8((int8_t)(-2 * g - 1))), one), 4);
            vst1q_u8((uint8_t *)o->q + 64 * g + l, vorrq_u8(vandq_u8(v, m4), h0));
            vst1q_u8((uint8_t *)o->q + 64 * g + 32 + l, vorrq_u8(vshrq_n_u8(v, 4), h1));
        }
    }
}
static void olmoe__dec_q6_K_neon(const uint8_t *b, olmoe__dec *o, int g0) {
    const uint8x16_t m4 = vdupq_n_u8(0x0F), m2 = vdupq_n_u8(0x30);
    const int8x16_t k32 = vdupq_n_s8(32);
    int h, l;
    (void)g0;
    olmoe__dec_q6_K_head(b, o);
    for (h = 0; h < 2; h++)
        for (l = 0; l < 32; l += 16) {
            uint8x16_t l0 = vld1q_u8(b + 64 * h + l), l1 = vld1q_u8(b + 64 * h + 32 + l), qh = vld1q_u8(b + 128 + 32 * h + l);
            int8_t *q = o->q + 128 * h + l;
            vst1q_s8(q, vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(l0, m4), vandq_u8(vshlq_n_u8(qh, 4), m2))), k32));
            vst1q_s8(q + 32, vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(l1, m4), vandq_u8(vshlq_n_u8(qh, 2), m2))), k32));
            vst1q_s8(q + 64, vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(l0, 4), vandq_u8(qh, m2))), k32));
            vst1q_s8(q + 96, vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(l1, 4), vandq_u8(vshrq_n_u8(qh, 2), m2))), k32));
        }
}
/* Decoded types (>>kquants) on NEON: the integer half sums in vector lanes (vmull/vpadal: exact),
   the float part in the scalar path's order, so the result equals the scalar one bit for bit. */
static inline float olmoe__chunk_dot_neon(const olmoe__dec *D, int ng, int has_min, const uint8_t *x) {
    float cs = 0.0f;
    int g;
    for (g = 0; g < ng; g++) {
        const uint8_t *yb = x + (size_t)g * 34;
        int8x16_t y0 = olmoe__ld_s8(yb + 2), y1 = olmoe__ld_s8(yb + 18);
        int32_t p0 = vaddvq_s32(olmoe__mla16_neon(vdupq_n_s32(0), vld1q_s8(D->q + 32 * g), y0));
        int32_t p1 = vaddvq_s32(olmoe__mla16_neon(vdupq_n_s32(0), vld1q_s8(D->q + 32 * g + 16), y1));
        int32_t is = D->s[2 * g] * p0 + D->s[2 * g + 1] * p1, ms = 0;
        if (has_min) ms = D->m[2 * g] * vaddlvq_s8(y0) + D->m[2 * g + 1] * vaddlvq_s8(y1);
        cs += olmoe__h2f_neon(yb) * (D->d[g] * (float)is + D->dm[g] * (float)ms);
    }
    return cs;
}
static olmoe__decode_fn olmoe__decoder_neon(const olmoe__qtype *qt) {
    switch (qt->type) {
    case OLMOE_TYPE_Q4_K: return olmoe__dec_q4_K_neon;
    case OLMOE_TYPE_Q5_K: return olmoe__dec_q5_K_neon;
    case OLMOE_TYPE_Q6_K: return olmoe__dec_q6_K_neon;
    default: return qt->decode;
    }
}
/* k8 types (Q4_K, Q5_K, Q6_K) . Q8_K on NEON: a block decoded by the NEON decoders, then the
   reference's lanes (olmoe__k8_block_lanes) in vectors. For quad k, row i and half h, the 16
   activation bytes at 128k + 32i + 16h are values 8i..8i+7 of groups g0 = 4k + 2h and g0 + 1, met
   by the same 8 values of each decoded group (Q6_K: unsigned, q + 32); their sums of 4 consecutive
   products (sdot, or vmull + two pairwise adds: exact, a pair is at most 2 x 63 x 127) are lanes
   4h..4h+3, scaled by each value's 16-value scale and added in int32 (exact). Then the
   reference's fp32 steps lane by lane: its bits. */
#define OLMOE__K8_NEON_DEF(NAME, ATTR, QSUM)                                                     \
ATTR static inline void NAME##_blk(const olmoe__dec *D, int q6, const olmoe__block_q8_K *y, float32x4_t *acc) { \
    int32x4_t ci[2], cm[2];                                                                     \
    int k, i, h;                                                                                \
    const int8x16_t off = vdupq_n_s8(q6 ? 32 : 0);                                              \
    ci[0] = ci[1] = vdupq_n_s32(0);                                                             \
    for (k = 0; k < 2; k++)                                                                     \
        for (i = 0; i < 4; i++)                                                                 \
            for (h = 0; h < 2; h++) {                                                           \
                int g0 = 4 * k + 2 * h, e = i >> 1;                                             \
                int8x16_t w = vaddq_s8(vcombine_s8(vld1_s8(D->q + 32 * g0 + 8 * i), vld1_s8(D->q + 32 * (g0 + 1) + 8 * i)), off); \
                int8x16_t yv = vld1q_s8(y->qs + 128 * k + 32 * i + 16 * h);                     \
                int32_t sv[4];                                                                  \
                int32x4_t p;                                                                    \
                QSUM(p, w, yv);                                                                 \
                sv[0] = sv[1] = D->s[2 * g0 + e];                                               \
                sv[2] = sv[3] = D->s[2 * (g0 + 1) + e];                                         \
                ci[h] = vmlaq_s32(ci[h], p, vld1q_s32(sv));                                     \
            }                                                                                   \
    for (h = 0; h < 2; h++) { /* lane 4h + j: parts 8h + 2j, 8h + 2j + 1 of the 16-value sums */ \
        const int16_t *b = y->bsums + 8 * h;                                                    \
        int32x4_t sb = vpaddq_s32(vmull_s16(vld1_s16(D->s + 8 * h), vld1_s16(b)), vmull_s16(vld1_s16(D->s + 8 * h + 4), vld1_s16(b + 4))); \
        cm[h] = vpaddq_s32(vmull_s16(vld1_s16(D->m + 8 * h), vld1_s16(b)), vmull_s16(vld1_s16(D->m + 8 * h + 4), vld1_s16(b + 4))); \
        if (q6) ci[h] = vsubq_s32(ci[h], vshlq_n_s32(sb, 5));                                    \
    }                                                                                           \
    for (h = 0; h < 2; h++) {                                                                   \
        float32x4_t f = vmulq_n_f32(vcvtq_f32_s32(ci[h]), D->d[0]);                             \
        if (!q6) f = vfmaq_n_f32(f, vcvtq_f32_s32(cm[h]), D->dm[0]);                            \
        acc[h] = vfmaq_n_f32(acc[h], f, y->d);                                                  \
    }                                                                                           \
}                                                                                               \
ATTR static void NAME(const olmoe__qtype *qt, int n, int nr, const void *w, size_t ws, int nt, \
                      const uint8_t *const *xq, float *const *y) {                              \
    olmoe__decode_fn dec = olmoe__decoder_neon(qt);                                             \
    olmoe__dec D;                                                                               \
    float32x4_t acc[64][2];                                                                     \
    int r, c, t, q6 = qt->type == OLMOE_TYPE_Q6_K;                                              \
    for (r = 0; r < nr; r++) {                                                                  \
        const uint8_t *row = (const uint8_t *)w + (size_t)r * ws;                               \
        for (t = 0; t < nt; t++) acc[t][0] = acc[t][1] = vdupq_n_f32(0.0f);                     \
        for (c = 0; c < n / 256; c++) {                                                         \
            dec(row + (size_t)c * (size_t)qt->bytes, &D, 0);                                    \
            for (t = 0; t < nt; t++) NAME##_blk(&D, q6, (const olmoe__block_q8_K *)(const void *)xq[t] + c, acc[t]); \
        }                                                                                       \
        for (t = 0; t < nt; t++) { /* ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)) */     \
            float32x4_t s = vaddq_f32(acc[t][0], acc[t][1]);                                    \
            y[t][r] = (vgetq_lane_f32(s, 0) + vgetq_lane_f32(s, 2)) + (vgetq_lane_f32(s, 1) + vgetq_lane_f32(s, 3)); \
        }                                                                                       \
    }                                                                                           \
}
/* 4 lanes of 4 consecutive products each */
#define OLMOE__QSUM_NEON(p, a, b)                                                               \
    ((p) = vpaddlq_s16(vpaddq_s16(vmull_s8(vget_low_s8(a), vget_low_s8(b)), vmull_high_s8((a), (b)))))
#define OLMOE__QSUM_DOT(p, a, b) do { (p) = vdupq_n_s32(0); OLMOE__SDOT((p), (a), (b)); } while (0)
OLMOE__K8_NEON_DEF(olmoe__k8mm_neon, , OLMOE__QSUM_NEON)
OLMOE__K8_NEON_DEF(olmoe__k8mm_sdot, OLMOE__DOTPROD, OLMOE__QSUM_DOT)
static float olmoe__dot_dec_neon(const olmoe__qtype *qt, int n, const void *w, const void *xq) {
    olmoe__qtype q2 = *qt;
    olmoe__dec D;
    float sum = 0.0f;
    int c, ng;
    if (qt->k8) {
        float r, *yp = &r;
        const uint8_t *xp = (const uint8_t *)xq;
        olmoe__k8mm_neon(qt, n, 1, w, 0, 1, &xp, &yp);
        return r;
    }
    q2.decode = olmoe__decoder_neon(qt);
    for (c = 0; c * 256 < n; c++) {
        ng = olmoe__decode_chunk(&q2, (const uint8_t *)w, c, n, &D);
        sum += olmoe__chunk_dot_neon(&D, ng, qt->has_min, (const uint8_t *)xq + (size_t)c * 272);
    }
    return sum;
}
/* Rows x tokens: each chunk of a row decoded once for all nt (<= 64) tokens; dot_dec_neon's bits. */
static void olmoe__mm_dec_neon(const olmoe__qtype *qt, int n, int nr, const void *w, size_t ws, int nt,
                               const uint8_t *const *xq, float *const *y) {
    olmoe__qtype q2 = *qt;
    olmoe__dec D;
    float acc[64];
    int r, c, t, ng;
    if (qt->k8) { olmoe__k8mm_neon(qt, n, nr, w, ws, nt, xq, y); return; }
    q2.decode = olmoe__decoder_neon(qt);
    for (r = 0; r < nr; r++) {
        const uint8_t *row = (const uint8_t *)w + (size_t)r * ws;
        for (t = 0; t < nt; t++) acc[t] = 0.0f;
        for (c = 0; c * 256 < n; c++) {
            ng = olmoe__decode_chunk(&q2, row, c, n, &D);
            for (t = 0; t < nt; t++) acc[t] += olmoe__chunk_dot_neon(&D, ng, qt->has_min, xq[t] + (size_t)c * 272);
        }
        for (t = 0; t < nt; t++) y[t][r] = acc[t];
    }
}
OLMOE__MM_DEC_TABLE(neon, )
/* the dot-product table: sdot for the k8 types (the same lanes: the same bits) */
OLMOE__DOTPROD static float olmoe__dot_dec_sdot(const olmoe__qtype *qt, int n, const void *w, const void *xq) {
    float r, *yp = &r;
    const uint8_t *xp = (const uint8_t *)xq;
    if (!qt->k8) return olmoe__dot_dec_neon(qt, n, w, xq);
    olmoe__k8mm_sdot(qt, n, 1, w, 0, 1, &xp, &yp);
    return r;
}
OLMOE__DOTPROD static void olmoe__mm_dec_sdot(const olmoe__qtype *qt, int n, int nr, const void *w, size_t ws, int nt,
                                              const uint8_t *const *xq, float *const *y) {
    if (qt->k8) olmoe__k8mm_sdot(qt, n, nr, w, ws, nt, xq, y);
    else olmoe__mm_dec_neon(qt, n, nr, w, ws, nt, xq, y);
}
OLMOE__MM_DEC_TABLE(sdot, OLMOE__DOTPROD)

static const olmoe__kernels olmoe__kernels_neon = {
    OLMOE_KERNELS_NEON, olmoe__dot_q8_0_neon, olmoe__dot_q4_0_neon, olmoe__dot_f32_neon,
    olmoe__dot_f16_neon, olmoe__dot_bf16_neon, olmoe__quant_q8_0_neon
    OLMOE__DOTR(olmoe__dotr_q8_0_neon, olmoe__dotr_q4_0_neon),
    olmoe__prep_q8_neon, olmoe__mm_q4_0_neon, olmoe__mm_q8_0_neon, olmoe__axpy_f32_neon,
    olmoe__axpy_f16_neon, olmoe__cvt_f16_neon, olmoe__silu_mul_scalar, olmoe__exp_sum_scalar,
    olmoe__dot_dec_neon, olmoe__mm_dec_neon_t, olmoe__quant_q8_K_scalar
};
static const olmoe__kernels olmoe__kernels_neon_dot = {
    OLMOE_KERNELS_NEON, olmoe__dot_q8_0_dot, olmoe__dot_q4_0_dot, olmoe__dot_f32_neon,
    olmoe__dot_f16_neon, olmoe__dot_bf16_neon, olmoe__quant_q8_0_neon
    OLMOE__DOTR(olmoe__dotr_q8_0_dot, olmoe__dotr_q4_0_dot),
    olmoe__prep_q8_neon, olmoe__mm_q4_0_dot, olmoe__mm_q8_0_dot, olmoe__axpy_f32_neon,
    olmoe__axpy_f16_neon, olmoe__cvt_f16_neon, olmoe__silu_mul_scalar, olmoe__exp_sum_scalar,
    olmoe__dot_dec_sdot, olmoe__mm_dec_sdot_t, olmoe__quant_q8_K_scalar
};

/* Whether the CPU has the dot-product instructions (FEAT_DotProd). */
static int olmoe__arm_dotprod(void) {
#if defined(__linux__) || defined(__ANDROID__)
    return (getauxval(AT_HWCAP) >> 20) & 1; /* HWCAP_ASIMDDP */
#elif defined(__APPLE__)
    int v = 0;
    size_t len = sizeof v;
    if (sysctlbyname("hw.optional.arm.FEAT_DotProd", &v, &len, NULL, 0) != 0) return 0;
    return v != 0;
#else
    return 0;
#endif
}

static const olmoe__kernels *olmoe__pick_kernels_simd(int want) {
    if (want != OLMOE_KERNELS_AUTO && want != OLMOE_KERNELS_NEON) return NULL;
    return olmoe__arm_dotprod() ? &olmoe__kernels_neon_dot : &olmoe__kernels_neon;
}
#endif /* __aarch64__ */

#endif /* __GNUC__ && (__x86_64__ || __aarch64__) */
#endif

/* Pick a kernel table. want = OLMOE_KERNELS_*; returns NULL if the CPU or build lacks it. */
static const olmoe__kernels *olmoe__pick_kernels(int want) {
#ifdef OLMOE__HAVE_SIMD
    if (want != OLMOE_KERNELS_SCALAR) {
        const olmoe__kernels *k = olmoe__pick_kernels_simd(want);
        if (k || want != OLMOE_KERNELS_AUTO) return k;
    }
#endif
    if (want == OLMOE_KERNELS_AUTO || want == OLMOE_KERNELS_SCALAR) return &olmoe__kernels_scalar;
    return NULL;
}

/* >>gguf ================================================================================== */
enum {
    OLMOE__GGUF_U8 = 0, OLMOE__GGUF_I8 = 1, OLMOE__GGUF_U16 = 2, OLMOE__GGUF_I16 = 3,
    OLMOE__GGUF_U32 = 4, OLMOE__GGUF_I32 = 5, OLMOE__GGUF_F32 = 6, OLMOE__GGUF_BOOL = 7,
    OLMOE__GGUF_STR = 8, OLMOE__GGUF_ARR = 9, OLMOE__GGUF_U64 = 10, OLMOE__GGUF_I64 = 11,
    OLMOE__GGUF_F64 = 12
};

#define OLMOE__MAX_TENSORS   (1 << 20)
#define OLMOE__MAX_KV        (1 << 20)
#define OLMOE__MAX_NAME      4096
#define OLMOE__MAX_STRING    ((uint64_t)1 << 30)
#define OLMOE__MAX_ARRAY     ((uint64_t)1 << 28)
#define OLMOE__MAX_DIM       ((int64_t)1 << 40)

typedef struct olmoe__kv {
    const char *key; uint32_t key_len;
    uint32_t type;             /* value type */
    uint32_t arr_type;         /* element type for arrays */
    uint64_t arr_n;            /* element count for arrays */
    const uint8_t *val;        /* value bytes (for strings: the u64 length prefix) */
    uint64_t val_size;         /* bytes of the whole value */
} olmoe__kv;

typedef struct olmoe__tensor {
    char *name;                /* NUL-terminated copy */
    int type, n_dims;
    int64_t ne[4];
    uint64_t offset;           /* relative to data section */
    uint64_t nbytes;
    const uint8_t *data;
    int used;                  /* bound by the model */
} olmoe__tensor;

typedef struct olmoe__gguf {
    uint32_t version;
    uint64_t n_kv, n_tensors;
    olmoe__kv *kv;
    olmoe__tensor *tensors;
    char *names;               /* storage for tensor names */
    uint64_t alignment, data_offset;
} olmoe__gguf;

typedef struct olmoe__reader {
    const uint8_t *p;
    uint64_t size, pos;
} olmoe__reader;

static int olmoe__rd(olmoe__reader *r, void *dst, uint64_t n) {
    if (n > r->size - r->pos) return 0;
    if (dst) memcpy(dst, r->p + r->pos, (size_t)n);
    r->pos += n;
    return 1;
}

static uint64_t olmoe__gguf_scalar_size(uint32_t t) {
    switch (t) {
    case OLMOE__GGUF_U8: case OLMOE__GGUF_I8: case OLMOE__GGUF_BOOL: return 1;
    case OLMOE__GGUF_U16: case OLMOE__GGUF_I16: return 2;
    case OLMOE__GGUF_U32: case OLMOE__GGUF_I32: case OLMOE__GGUF_F32: return 4;
    case OLMOE__GGUF_U64: case OLMOE__GGUF_I64: case OLMOE__GGUF_F64: return 8;
    default: return 0;
    }
}

/* Reads a GGUF string: on success *s points at its bytes (not NUL-terminated). */
static olmoe_result olmoe__rd_str(olmoe__reader *r, const char **s, uint64_t *len, uint64_t limit,
                                  char *err, size_t en, const char *what) {
    uint64_t n;
    if (!olmoe__rd(r, &n, 8)) return olmoe__fail(err, en, OLMOE_ERR_TRUNCATED, "truncated file: in %s (string length)", what);
    if (n > limit) return olmoe__fail(err, en, OLMOE_ERR_LIMIT, "%s: string length %llu exceeds the limit", what, (unsigned long long)n);
    if (n > r->size - r->pos) return olmoe__fail(err, en, OLMOE_ERR_TRUNCATED, "truncated file: in %s (string of %llu bytes)", what, (unsigned long long)n);
    *s = (const char *)(r->p + r->pos);
    *len = n;
    r->pos += n;
    return OLMOE_OK;
}

static void olmoe__gguf_free(olmoe__gguf *g) {
    OLMOE_FREE(g->kv);
    OLMOE_FREE(g->tensors);
    OLMOE_FREE(g->names);
    memset(g, 0, sizeof(*g));
}

static int olmoe__streq(const char *a, uint64_t alen, const char *b) {
    size_t bl = strlen(b);
    return alen == bl && memcmp(a, b, bl) == 0;
}

static int olmoe__cmp_u64_idx(const olmoe__tensor *t, uint64_t *idx, uint64_t a, uint64_t b) {
    return t[idx[a]].offset < t[idx[b]].offset;
}

/* Formats the message first, then frees the tables (the message may read them). */
#define OLMOE__PFAIL(...) do { res = olmoe__fail(__VA_ARGS__); olmoe__gguf_free(g); return res; } while (0)
static olmoe_result olmoe__gguf_parse(const uint8_t *data, uint64_t size, olmoe__gguf *g, char *err, size_t en) {
    olmoe__reader r;
    uint32_t magic;
    uint64_t i, names_size = 0, names_pos = 0;
    olmoe_result res;
    memset(g, 0, sizeof(*g));
    r.p = data; r.size = size; r.pos = 0;
    g->alignment = 32;

    if (size < 4) return olmoe__fail(err, en, OLMOE_ERR_TRUNCATED, "truncated file: %llu bytes, no GGUF header", (unsigned long long)size);
    memcpy(&magic, data, 4);
    if (memcmp(data, "GGUF", 4) != 0) return olmoe__fail(err, en, OLMOE_ERR_BAD_MAGIC, "not a GGUF file (magic %02x %02x %02x %02x)", data[0], data[1], data[2], data[3]);
    r.pos = 4;
    if (!olmoe__rd(&r, &g->version, 4) || !olmoe__rd(&r, &g->n_tensors, 8) || !olmoe__rd(&r, &g->n_kv, 8))
        return olmoe__fail(err, en, OLMOE_ERR_TRUNCATED, "truncated file: in the GGUF header");
    if (g->version != 2 && g->version != 3)
        return olmoe__fail(err, en, OLMOE_ERR_BAD_VERSION, "GGUF version %u is not supported (need 2 or 3)", g->version);
    if (g->n_tensors > OLMOE__MAX_TENSORS) return olmoe__fail(err, en, OLMOE_ERR_LIMIT, "tensor count %llu exceeds the limit", (unsigned long long)g->n_tensors);
    if (g->n_kv > OLMOE__MAX_KV) return olmoe__fail(err, en, OLMOE_ERR_LIMIT, "metadata count %llu exceeds the limit", (unsigned long long)g->n_kv);
    /* each kv takes at least 12 bytes, each tensor info at least 24 */
    if (g->n_kv * 12 > size || g->n_tensors * 24 > size)
        return olmoe__fail(err, en, OLMOE_ERR_TRUNCATED, "truncated file: %llu metadata entries and %llu tensors cannot fit in %llu bytes",
                           (unsigned long long)g->n_kv, (unsigned long long)g->n_tensors, (unsigned long long)size);
    g->kv = (olmoe__kv *)olmoe__calloc((size_t)g->n_kv + 1, sizeof(olmoe__kv));
    g->tensors = (olmoe__tensor *)olmoe__calloc((size_t)g->n_tensors + 1, sizeof(olmoe__tensor));
    if (!g->kv || !g->tensors) { OLMOE__PFAIL(err, en, OLMOE_ERR_OOM, "out of memory for the GGUF tables"); }

    for (i = 0; i < g->n_kv; i++) {
        olmoe__kv *kv = &g->kv[i];
        const char *key;
        uint64_t klen, start, j;
        char what[64];
        snprintf(what, sizeof what, "metadata entry %llu", (unsigned long long)i);
        if ((res = olmoe__rd_str(&r, &key, &klen, OLMOE__MAX_NAME, err, en, what)) != OLMOE_OK) { olmoe__gguf_free(g); return res; }
        kv->key = key; kv->key_len = (uint32_t)klen;
        if (!olmoe__rd(&r, &kv->type, 4)) { OLMOE__PFAIL(err, en, OLMOE_ERR_TRUNCATED, "truncated file: in metadata '%.*s'", (int)klen, key); }
        for (j = 0; j < i; j++)
            if (g->kv[j].key_len == klen && memcmp(g->kv[j].key, key, (size_t)klen) == 0) {
                olmoe__gguf_free(g);
                return olmoe__fail(err, en, OLMOE_ERR_DUPLICATE, "duplicate metadata key '%.*s'", (int)klen, key);
            }
        start = r.pos;
        if (kv->type == OLMOE__GGUF_STR) {
            const char *s; uint64_t sl;
            if ((res = olmoe__rd_str(&r, &s, &sl, OLMOE__MAX_STRING, err, en, what)) != OLMOE_OK) { olmoe__gguf_free(g); return res; }
        } else if (kv->type == OLMOE__GGUF_ARR) {
            uint64_t esz;
            if (!olmoe__rd(&r, &kv->arr_type, 4) || !olmoe__rd(&r, &kv->arr_n, 8)) { OLMOE__PFAIL(err, en, OLMOE_ERR_TRUNCATED, "truncated file: in metadata '%.*s'", (int)klen, key); }
            if (kv->arr_n > OLMOE__MAX_ARRAY) { OLMOE__PFAIL(err, en, OLMOE_ERR_LIMIT, "metadata '%.*s': array of %llu elements exceeds the limit", (int)klen, key, (unsigned long long)kv->arr_n); }
            if (kv->arr_type == OLMOE__GGUF_STR) {
                for (j = 0; j < kv->arr_n; j++) {
                    const char *s; uint64_t sl;
                    if ((res = olmoe__rd_str(&r, &s, &sl, OLMOE__MAX_STRING, err, en, what)) != OLMOE_OK) { olmoe__gguf_free(g); return res; }
                }
            } else if ((esz = olmoe__gguf_scalar_size(kv->arr_type)) != 0) {
                if (kv->arr_n > (r.size - r.pos) / esz) { OLMOE__PFAIL(err, en, OLMOE_ERR_TRUNCATED, "truncated file: in metadata array '%.*s'", (int)klen, key); }
                r.pos += kv->arr_n * esz;
            } else {
                OLMOE__PFAIL(err, en, OLMOE_ERR_BAD_FORMAT, "metadata '%.*s': array element type %u is not supported", (int)klen, key, kv->arr_type);
            }
        } else {
            uint64_t esz = olmoe__gguf_scalar_size(kv->type);
            if (!esz) { OLMOE__PFAIL(err, en, OLMOE_ERR_BAD_FORMAT, "metadata '%.*s': unknown value type %u", (int)klen, key, kv->type); }
            if (!olmoe__rd(&r, NULL, esz)) { OLMOE__PFAIL(err, en, OLMOE_ERR_TRUNCATED, "truncated file: in metadata '%.*s'", (int)klen, key); }
        }
        kv->val = data + start;
        kv->val_size = r.pos - start;
        if (olmoe__streq(key, klen, "general.alignment")) {
            uint32_t a;
            if (kv->type != OLMOE__GGUF_U32) { OLMOE__PFAIL(err, en, OLMOE_ERR_KEY_TYPE, "general.alignment must be u32 (type %u)", kv->type); }
            memcpy(&a, kv->val, 4);
            if (a == 0 || (a & (a - 1)) != 0 || a > (1u << 20)) { OLMOE__PFAIL(err, en, OLMOE_ERR_ALIGNMENT, "general.alignment %u is not a power of two", a); }
            g->alignment = a;
        }
    }

    /* tensor infos: first pass measures names */
    for (i = 0; i < g->n_tensors; i++) {
        olmoe__tensor *t = &g->tensors[i];
        const char *nm; uint64_t nl, nel = 1, row;
        uint32_t nd, type;
        int d;
        char what[64];
        const olmoe__type_traits *tt;
        snprintf(what, sizeof what, "tensor info %llu", (unsigned long long)i);
        if ((res = olmoe__rd_str(&r, &nm, &nl, OLMOE__MAX_NAME, err, en, what)) != OLMOE_OK) { olmoe__gguf_free(g); return res; }
        t->name = (char *)nm; /* temporarily points into the file */
        t->ne[0] = (int64_t)nl;  /* stash the length; fixed below */
        if (!olmoe__rd(&r, &nd, 4)) goto trunc;
        if (nd < 1 || nd > 4) { OLMOE__PFAIL(err, en, OLMOE_ERR_LIMIT, "tensor '%.*s': %u dimensions (1 to 4 allowed)", (int)nl, nm, nd); }
        t->n_dims = (int)nd;
        for (d = 0; d < 4; d++) {
            uint64_t ne = 1;
            if (d < (int)nd && !olmoe__rd(&r, &ne, 8)) goto trunc;
            if (ne == 0 || ne > (uint64_t)OLMOE__MAX_DIM) { OLMOE__PFAIL(err, en, OLMOE_ERR_LIMIT, "tensor '%.*s': dimension %d is %llu", (int)nl, nm, d, (unsigned long long)ne); }
            if (nel > (uint64_t)OLMOE__MAX_DIM / ne) { OLMOE__PFAIL(err, en, OLMOE_ERR_LIMIT, "tensor '%.*s': element count overflows", (int)nl, nm); }
            nel *= ne;
            if (d > 0) t->ne[d] = (int64_t)ne; else t->offset = ne; /* ne[0] parked in offset */
        }
        if (!olmoe__rd(&r, &type, 4) || !olmoe__rd(&r, NULL, 0)) goto trunc;
        t->type = (int)type;
        tt = olmoe__type((int)type);
        if (!tt) { OLMOE__PFAIL(err, en, OLMOE_ERR_TENSOR_TYPE, "tensor '%.*s': unknown type %u", (int)nl, nm, type); }
        if (t->offset % (uint64_t)tt->blck) { OLMOE__PFAIL(err, en, OLMOE_ERR_SHAPE, "tensor '%.*s': row of %llu is not a multiple of the %s block size %d", (int)nl, nm, (unsigned long long)t->offset, tt->name, tt->blck); }
        row = t->offset / (uint64_t)tt->blck * (uint64_t)tt->bytes;
        t->nbytes = row * (nel / t->offset);
        t->ne[0] = (int64_t)t->offset;
        if (!olmoe__rd(&r, &t->offset, 8)) goto trunc;
        names_size += nl + 1;
        t->used = (int)nl; /* name length, until names are copied */
        continue;
    trunc:
        olmoe__gguf_free(g);
        return olmoe__fail(err, en, OLMOE_ERR_TRUNCATED, "truncated file: in tensor info %llu", (unsigned long long)i);
    }
    g->names = (char *)olmoe__calloc((size_t)names_size + 1, 1);
    if (!g->names) { OLMOE__PFAIL(err, en, OLMOE_ERR_OOM, "out of memory for tensor names"); }
    for (i = 0; i < g->n_tensors; i++) {
        olmoe__tensor *t = &g->tensors[i];
        size_t nl = (size_t)t->used;
        memcpy(g->names + names_pos, t->name, nl);
        g->names[names_pos + nl] = 0;
        t->name = g->names + names_pos;
        names_pos += nl + 1;
        t->used = 0;
    }
    /* duplicate names: sort-free check with a small hash table */
    {
        uint64_t cap = 16, h, k;
        uint32_t *tab;
        while (cap < g->n_tensors * 2) cap <<= 1;
        tab = (uint32_t *)olmoe__calloc((size_t)cap, sizeof(uint32_t));
        if (!tab) { OLMOE__PFAIL(err, en, OLMOE_ERR_OOM, "out of memory"); }
        for (i = 0; i < g->n_tensors; i++) {
            const unsigned char *s = (const unsigned char *)g->tensors[i].name;
            h = 1469598103934665603ULL;
            while (*s) { h ^= *s++; h *= 1099511628211ULL; }
            for (k = h & (cap - 1);; k = (k + 1) & (cap - 1)) {
                if (!tab[k]) { tab[k] = (uint32_t)(i + 1); break; }
                if (strcmp(g->tensors[tab[k] - 1].name, g->tensors[i].name) == 0) {
                    OLMOE_FREE(tab);
                    res = olmoe__fail(err, en, OLMOE_ERR_DUPLICATE, "duplicate tensor '%s'", g->tensors[i].name);
                    olmoe__gguf_free(g);
                    return res;
                }
            }
        }
        OLMOE_FREE(tab);
    }
    /* data section */
    g->data_offset = (r.pos + g->alignment - 1) / g->alignment * g->alignment;
    if (g->data_offset > size) { OLMOE__PFAIL(err, en, OLMOE_ERR_TRUNCATED, "truncated file: ends before the data section (%llu > %llu)", (unsigned long long)g->data_offset, (unsigned long long)size); }
    {
        uint64_t dsize = size - g->data_offset;
        uint64_t *idx = (uint64_t *)olmoe__calloc((size_t)g->n_tensors + 1, sizeof(uint64_t));
        if (!idx) { OLMOE__PFAIL(err, en, OLMOE_ERR_OOM, "out of memory"); }
        for (i = 0; i < g->n_tensors; i++) {
            olmoe__tensor *t = &g->tensors[i];
            idx[i] = i;
            if (t->offset % g->alignment) {
                res = olmoe__fail(err, en, OLMOE_ERR_ALIGNMENT, "tensor '%s': offset %llu is not a multiple of the alignment %llu", t->name, (unsigned long long)t->offset, (unsigned long long)g->alignment);
                OLMOE_FREE(idx); olmoe__gguf_free(g); return res;
            }
            if (t->offset > dsize || t->nbytes > dsize - t->offset) {
                int trunc = t->offset <= (uint64_t)OLMOE__MAX_DIM * 8;
                res = olmoe__fail(err, en, trunc ? OLMOE_ERR_TRUNCATED : OLMOE_ERR_TENSOR_RANGE,
                                  "tensor '%s': data [%llu, %llu) lies outside the %llu-byte data section%s", t->name,
                                  (unsigned long long)t->offset, (unsigned long long)(t->offset + t->nbytes), (unsigned long long)dsize,
                                  trunc ? " (file truncated?)" : "");
                OLMOE_FREE(idx); olmoe__gguf_free(g); return res;
            }
            t->data = data + g->data_offset + t->offset;
        }
        /* overlap check: insertion-sort indices by offset (shell sort for speed) */
        {
            uint64_t gap, a, b;
            for (gap = g->n_tensors / 2; gap > 0; gap /= 2)
                for (a = gap; a < g->n_tensors; a++)
                    for (b = a; b >= gap && olmoe__cmp_u64_idx(g->tensors, idx, b, b - gap); b -= gap) {
                        uint64_t tmp = idx[b]; idx[b] = idx[b - gap]; idx[b - gap] = tmp;
                    }
        }
        for (i = 1; i < g->n_tensors; i++) {
            const olmoe__tensor *p = &g->tensors[idx[i - 1]], *q = &g->tensors[idx[i]];
            if (p->offset + p->nbytes > q->offset) {
                res = olmoe__fail(err, en, OLMOE_ERR_TENSOR_RANGE, "tensors '%s' and '%s' overlap", p->name, q->name);
                OLMOE_FREE(idx); olmoe__gguf_free(g); return res;
            }
        }
        OLMOE_FREE(idx);
    }
    return OLMOE_OK;
}

static const olmoe__kv *olmoe__gguf_find(const olmoe__gguf *g, const char *key) {
    uint64_t i;
    for (i = 0; i < g->n_kv; i++)
        if (olmoe__streq(g->kv[i].key, g->kv[i].key_len, key)) return &g->kv[i];
    return NULL;
}

/* Integer value of any integer type; returns an error for other types or out-of-range values. */
static olmoe_result olmoe__kv_int(const olmoe__kv *kv, int64_t *out) {
    switch (kv->type) {
    case OLMOE__GGUF_U8: *out = kv->val[0]; return OLMOE_OK;
    case OLMOE__GGUF_I8: *out = (int8_t)kv->val[0]; return OLMOE_OK;
    case OLMOE__GGUF_U16: { uint16_t v; memcpy(&v, kv->val, 2); *out = v; return OLMOE_OK; }
    case OLMOE__GGUF_I16: { int16_t v; memcpy(&v, kv->val, 2); *out = v; return OLMOE_OK; }
    case OLMOE__GGUF_U32: { uint32_t v; memcpy(&v, kv->val, 4); *out = v; return OLMOE_OK; }
    case OLMOE__GGUF_I32: { int32_t v; memcpy(&v, kv->val, 4); *out = v; return OLMOE_OK; }
    case OLMOE__GGUF_U64: { uint64_t v; memcpy(&v, kv->val, 8); if (v > (uint64_t)INT64_MAX) return OLMOE_ERR_BAD_VALUE; *out = (int64_t)v; return OLMOE_OK; }
    case OLMOE__GGUF_I64: { int64_t v; memcpy(&v, kv->val, 8); *out = v; return OLMOE_OK; }
    default: return OLMOE_ERR_KEY_TYPE;
    }
}

static olmoe_result olmoe__kv_float(const olmoe__kv *kv, double *out) {
    if (kv->type == OLMOE__GGUF_F32) { float v; memcpy(&v, kv->val, 4); *out = v; return OLMOE_OK; }
    if (kv->type == OLMOE__GGUF_F64) { double v; memcpy(&v, kv->val, 8); *out = v; return OLMOE_OK; }
    return OLMOE_ERR_KEY_TYPE;
}

/* >>threads ================================================================================
   A pool owned by a context. Workers spin briefly on a generation counter, then sleep on a
   condition variable. A job is fn(arg, ith, nth) run by every thread; run() returns when all
   are done. */
typedef void (*olmoe__job_fn)(void *arg, int ith, int nth);

typedef struct olmoe__pool olmoe__pool;
typedef struct olmoe__worker { olmoe__pool *pool; int ith; } olmoe__worker;

struct olmoe__pool {
    int n;                      /* threads including the caller */
    olmoe__job_fn fn;
    void *arg;
    volatile int gen;           /* bumped for each job */
    volatile int done;          /* workers finished with the current job */
    volatile int stop;
    int64_t next;               /* work-sharing counter of the current job (olmoe__grab) */
    int prof;                   /* profiling (olmoe_ctx_set_profile): time the caller's wait */
    double wait_s;              /* that wait since the profiler last took it */
#ifdef OLMOE__PTHREADS
    pthread_t *th;
    olmoe__worker *workers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
#endif
};

#ifdef OLMOE__PTHREADS
#if defined(__GNUC__) || defined(__clang__)
#define OLMOE__LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define OLMOE__STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define OLMOE__ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_ACQ_REL)
#if defined(__x86_64__) || defined(__i386__)
#define OLMOE__PAUSE() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define OLMOE__PAUSE() __asm__ __volatile__("yield")
#else
#define OLMOE__PAUSE() ((void)0)
#endif
#else
#error "olmoe.h threads need GCC/Clang atomics; define OLMOE_NO_THREADS"
#endif

static void *olmoe__worker_main(void *p) {
    olmoe__worker *w = (olmoe__worker *)p;
    olmoe__pool *pool = w->pool;
    int seen = 0;
    for (;;) {
        int spins = 0, g;
        while ((g = OLMOE__LOAD(&pool->gen)) == seen && !OLMOE__LOAD(&pool->stop)) {
            /* spin a little, then yield (a thread sharing this core gets to run), then sleep */
            if (++spins < 64) { OLMOE__PAUSE(); continue; }
            if (spins < 20000) { sched_yield(); continue; }
            pthread_mutex_lock(&pool->mu);
            while (OLMOE__LOAD(&pool->gen) == seen && !OLMOE__LOAD(&pool->stop)) pthread_cond_wait(&pool->cv, &pool->mu);
            pthread_mutex_unlock(&pool->mu);
        }
        if (OLMOE__LOAD(&pool->stop)) break;
        seen = g;
        pool->fn(pool->arg, w->ith, pool->n);
        OLMOE__ADD(&pool->done, 1);
    }
    return NULL;
}
#endif

static olmoe_result olmoe__pool_init(olmoe__pool *p, int n) {
    memset(p, 0, sizeof(*p));
    p->n = n < 1 ? 1 : n;
#if defined(OLMOE_NO_THREADS)
    p->n = 1;
#elif defined(OLMOE_OPENMP)
    /* nothing to start: OpenMP keeps its own team */
#else
    if (p->n > 1) {
        int i;
        p->th = (pthread_t *)olmoe__calloc((size_t)p->n, sizeof(pthread_t));
        p->workers = (olmoe__worker *)olmoe__calloc((size_t)p->n, sizeof(olmoe__worker));
        if (!p->th || !p->workers) { OLMOE_FREE(p->th); OLMOE_FREE(p->workers); return OLMOE_ERR_OOM; }
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->cv, NULL);
        for (i = 1; i < p->n; i++) {
            p->workers[i].pool = p;
            p->workers[i].ith = i;
            if (pthread_create(&p->th[i], NULL, olmoe__worker_main, &p->workers[i]) != 0) {
                int j;
                OLMOE__STORE(&p->stop, 1);
                pthread_mutex_lock(&p->mu); pthread_cond_broadcast(&p->cv); pthread_mutex_unlock(&p->mu);
                for (j = 1; j < i; j++) pthread_join(p->th[j], NULL);
                pthread_mutex_destroy(&p->mu); pthread_cond_destroy(&p->cv);
                OLMOE_FREE(p->th); OLMOE_FREE(p->workers);
                p->th = NULL; p->workers = NULL;
                return OLMOE_ERR_OOM;
            }
        }
    }
#endif
    return OLMOE_OK;
}

static void olmoe__pool_free(olmoe__pool *p) {
#ifdef OLMOE__PTHREADS
    if (p->n > 1 && p->th) {
        int i;
        pthread_mutex_lock(&p->mu);
        OLMOE__STORE(&p->stop, 1);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        for (i = 1; i < p->n; i++) pthread_join(p->th[i], NULL);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        OLMOE_FREE(p->th);
        OLMOE_FREE(p->workers);
    }
#endif
    memset(p, 0, sizeof(*p));
}

static void olmoe__pool_run(olmoe__pool *p, olmoe__job_fn fn, void *arg) {
    (void)p;
#if defined(OLMOE_OPENMP) && !defined(OLMOE_NO_THREADS)
    if (p->n > 1) {
        p->next = 0;
#pragma omp parallel num_threads(p->n)
        fn(arg, omp_get_thread_num(), omp_get_num_threads());
        return;
    }
#endif
#ifdef OLMOE__PTHREADS
    if (p->n > 1) {
        int spins = 0;
        double tw;
        p->fn = fn;
        p->arg = arg;
        p->next = 0;
        OLMOE__STORE(&p->done, 0);
        pthread_mutex_lock(&p->mu);
        OLMOE__STORE(&p->gen, p->gen + 1);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        fn(arg, 0, p->n);
        tw = p->prof ? olmoe_time_now() : 0.0;
        /* spin briefly, then yield: on a loaded machine a worker may be waiting for a core */
        while (OLMOE__LOAD(&p->done) != p->n - 1) {
            if (++spins > 64) sched_yield();
            else OLMOE__PAUSE();
        }
        if (p->prof) p->wait_s += olmoe_time_now() - tw;
        return;
    }
#endif
    p->next = 0;
    fn(arg, 0, 1);
}

/* Work sharing inside a job: threads take chunks of [0, n) from the pool's counter until none
   are left, so a thread that was descheduled (a loaded machine, a phone's little core) delays the
   job by one chunk, not by its whole share. Which thread computes an element never changes how it
   is computed, so results stay independent of the thread count and of the schedule. */
static int olmoe__grab(olmoe__pool *p, int64_t n, int64_t chunk, int64_t *a, int64_t *b) {
    int64_t s;
#ifndef OLMOE_NO_THREADS
    s = p->n > 1 ? __atomic_fetch_add(&p->next, chunk, __ATOMIC_RELAXED) : (p->next += chunk) - chunk;
#else
    s = (p->next += chunk) - chunk;
#endif
    if (s >= n) return 0;
    *a = s;
    *b = s + chunk < n ? s + chunk : n;
    return 1;
}
/* Run a job on the calling thread alone (small jobs not worth waking the pool for). */
static void olmoe__run_here(olmoe__pool *p, olmoe__job_fn fn, void *arg) {
    p->next = 0;
    fn(arg, 0, 1);
}
/* A chunk size giving each thread about 8 chunks, at least min units. */
static int64_t olmoe__chunk(int64_t n, int nth, int64_t min) {
    int64_t c = n / ((int64_t)nth * 8);
    return c < min ? min : c;
}

/* >>model ================================================================================== */
typedef struct olmoe__mat {
    const uint8_t *data;
    int type;
    int64_t ne0, ne1, ne2;   /* in, out rows, experts */
    uint64_t row_bytes;
} olmoe__mat;

typedef struct olmoe__layer {
    const float *attn_norm, *q_norm, *k_norm, *ffn_norm, *post_attn_norm, *post_ffw_norm;
    const float *gate_inp;   /* [E][d] */
    olmoe__mat wq, wk, wv, wo, gate_exps, up_exps, down_exps;
} olmoe__layer;

struct olmoe_model {
    olmoe_config cfg;
    olmoe__map map;
    olmoe__gguf gguf;
    olmoe__layer *layers;
    olmoe__mat tok_embd, output;
    const float *out_norm;
    int any_k8;              /* some matrix (Q4_K, Q5_K, Q6_K) needs Q8_K activations */
    int any_q80;             /* some matrix needs the Q8_0 one (Q8_0, Q4_0, the other decoded types) */
    int vocab_only;
    struct olmoe__tokenizer *tok;  /* NULL when the file has no tokenizer */
};

/* Tokenizer hooks (section >>tokenizer): built from the tokenizer.ggml.* keys at load. */
static olmoe_result olmoe__tok_load(olmoe_model *m, char *err, size_t en);
static void olmoe__tok_free(olmoe_model *m);

static olmoe__tensor *olmoe__find_tensor(olmoe_model *m, const char *name) {
    uint64_t i;
    for (i = 0; i < m->gguf.n_tensors; i++)
        if (strcmp(m->gguf.tensors[i].name, name) == 0) return &m->gguf.tensors[i];
    return NULL;
}

static void olmoe__shape_str(char *buf, size_t n, const int64_t *ne, int nd) {
    int d;
    size_t o = 0;
    buf[0] = 0;
    for (d = 0; d < nd && o < n; d++) o += (size_t)snprintf(buf + o, n - o, d ? "x%lld" : "%lld", (long long)ne[d]);
}

/* Bind a tensor: check presence, shape and allowed type. allow_q: quantized/float matrix types
   allowed; else F32 only. */
static olmoe_result olmoe__bind(olmoe_model *m, const char *name, int nd, int64_t ne0, int64_t ne1,
                                int64_t ne2, int allow_q, olmoe__tensor **out, char *err, size_t en) {
    olmoe__tensor *t = olmoe__find_tensor(m, name);
    int64_t want[4];
    int d, ok = 1;
    want[0] = ne0; want[1] = ne1; want[2] = ne2; want[3] = 1;
    if (!t) return olmoe__fail(err, en, OLMOE_ERR_TENSOR_MISSING, "missing tensor %s", name);
    for (d = 0; d < 4; d++) {
        int64_t have = d < t->n_dims ? t->ne[d] : 1;
        if (have != (d < nd ? want[d] : 1)) ok = 0;
    }
    if (!ok) {
        char a[96], b[96];
        olmoe__shape_str(a, sizeof a, want, nd);
        olmoe__shape_str(b, sizeof b, t->ne, t->n_dims);
        return olmoe__fail(err, en, OLMOE_ERR_SHAPE, "tensor %s: expected %s, got %s", name, a, b);
    }
    if (allow_q) {
        if (t->type != OLMOE_TYPE_F32 && t->type != OLMOE_TYPE_F16 && t->type != OLMOE_TYPE_BF16 &&
            t->type != OLMOE_TYPE_Q8_0 && t->type != OLMOE_TYPE_Q4_0 && !olmoe__qtype_of(t->type))
            return olmoe__fail(err, en, OLMOE_ERR_UNSUPPORTED, "tensor %s: type %s is not supported (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_K, q3_K, q4_K, q5_K, q6_K, iq4_nl, iq4_xs are)", name, olmoe_type_name(t->type));
    } else if (t->type != OLMOE_TYPE_F32) {
        return olmoe__fail(err, en, OLMOE_ERR_TENSOR_TYPE, "tensor %s: type %s, expected f32", name, olmoe_type_name(t->type));
    }
    t->used = 1;
    *out = t;
    return OLMOE_OK;
}

static olmoe_result olmoe__bind_mat(olmoe_model *m, const char *name, int nd, int64_t ne0, int64_t ne1,
                                    int64_t ne2, olmoe__mat *mat, char *err, size_t en) {
    olmoe__tensor *t;
    olmoe_result r = olmoe__bind(m, name, nd, ne0, ne1, ne2, 1, &t, err, en);
    if (r != OLMOE_OK) return r;
    if (((uintptr_t)t->data & (t->type == OLMOE_TYPE_F32 ? 3u : 1u)) != 0) /* kernels load floats / fp16 scales in place */
        return olmoe__fail(err, en, OLMOE_ERR_ALIGNMENT, "tensor %s: %s data not %d-byte aligned", name, olmoe_type_name(t->type), t->type == OLMOE_TYPE_F32 ? 4 : 2);
    mat->data = t->data;
    mat->type = t->type;
    mat->ne0 = ne0; mat->ne1 = ne1; mat->ne2 = ne2;
    mat->row_bytes = olmoe_type_row_size(t->type, ne0);
    {
        const olmoe__qtype *qt = olmoe__qtype_of(t->type);
        if (qt && qt->k8) m->any_k8 = 1;
        else if (qt || t->type == OLMOE_TYPE_Q8_0 || t->type == OLMOE_TYPE_Q4_0) m->any_q80 = 1;
    }
    return OLMOE_OK;
}

static olmoe_result olmoe__bind_vec(olmoe_model *m, const char *name, int64_t n, int validate,
                                    const float **out, char *err, size_t en) {
    olmoe__tensor *t;
    olmoe_result r = olmoe__bind(m, name, 1, n, 1, 1, 0, &t, err, en);
    if (r != OLMOE_OK) return r;
    if (((uintptr_t)t->data & 3) != 0) return olmoe__fail(err, en, OLMOE_ERR_ALIGNMENT, "tensor %s: data not 4-byte aligned", name);
    *out = (const float *)t->data;
    if (validate) {
        int64_t i;
        for (i = 0; i < n; i++)
            if (!isfinite((*out)[i])) return olmoe__fail(err, en, OLMOE_ERR_BAD_VALUE, "tensor %s: element %lld is not finite", name, (long long)i);
    }
    return OLMOE_OK;
}

static olmoe_result olmoe__cfg_int(olmoe_model *m, const char *arch, const char *suffix, int required,
                                   int64_t def, int64_t lo, int64_t hi, int *out, char *err, size_t en) {
    char key[128];
    const olmoe__kv *kv;
    int64_t v;
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    kv = olmoe__gguf_find(&m->gguf, key);
    if (!kv) {
        if (required) return olmoe__fail(err, en, OLMOE_ERR_KEY_MISSING, "missing metadata key %s", key);
        *out = (int)def;
        return OLMOE_OK;
    }
    if (kv->type == OLMOE__GGUF_ARR) return olmoe__fail(err, en, OLMOE_ERR_UNSUPPORTED, "%s: per-layer arrays are not supported", key);
    {
        olmoe_result kr = olmoe__kv_int(kv, &v);
        if (kr == OLMOE_ERR_BAD_VALUE) return olmoe__fail(err, en, OLMOE_ERR_BAD_VALUE, "metadata %s is beyond 2^63", key);
        if (kr != OLMOE_OK) return olmoe__fail(err, en, OLMOE_ERR_KEY_TYPE, "metadata %s: expected an integer (type %u)", key, kv->type);
    }
    if (v < lo || v > hi) return olmoe__fail(err, en, OLMOE_ERR_BAD_VALUE, "metadata %s = %lld is outside [%lld, %lld]", key, (long long)v, (long long)lo, (long long)hi);
    *out = (int)v;
    return OLMOE_OK;
}

static olmoe_result olmoe__cfg_float(olmoe_model *m, const char *arch, const char *suffix, int required,
                                     double def, double lo, double hi, float *out, char *err, size_t en) {
    char key[128];
    const olmoe__kv *kv;
    double v;
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    kv = olmoe__gguf_find(&m->gguf, key);
    if (!kv) {
        if (required) return olmoe__fail(err, en, OLMOE_ERR_KEY_MISSING, "missing metadata key %s", key);
        *out = (float)def;
        return OLMOE_OK;
    }
    if (olmoe__kv_float(kv, &v) != OLMOE_OK) return olmoe__fail(err, en, OLMOE_ERR_KEY_TYPE, "metadata %s: expected a float (type %u)", key, kv->type);
    if (!(v >= lo && v <= hi)) return olmoe__fail(err, en, OLMOE_ERR_BAD_VALUE, "metadata %s = %g is outside [%g, %g]", key, v, lo, hi);
    *out = (float)v;
    return OLMOE_OK;
}

static int olmoe__kv_token_id(const olmoe__gguf *g, const char *key, int n_vocab) {
    const olmoe__kv *kv = olmoe__gguf_find(g, key);
    int64_t v;
    if (!kv || olmoe__kv_int(kv, &v) != OLMOE_OK || v < 0 || v >= n_vocab) return -1;
    return (int)v;
}

#define OLMOE__TRY(x) do { olmoe_result r_ = (x); if (r_ != OLMOE_OK) return r_; } while (0)

static olmoe_result olmoe__model_bind(olmoe_model *m, const olmoe_model_params *p, char *err, size_t en) {
    olmoe_config *c = &m->cfg;
    const olmoe__kv *kv = olmoe__gguf_find(&m->gguf, "general.architecture");
    const char *arch;
    char name[160];
    olmoe__tensor *t;
    int l, q_dim, kv_dim, val = p->validate_weights;
    int64_t d, F, E;

    if (!kv) return olmoe__fail(err, en, OLMOE_ERR_KEY_MISSING, "missing metadata key general.architecture");
    if (kv->type != OLMOE__GGUF_STR) return olmoe__fail(err, en, OLMOE_ERR_KEY_TYPE, "general.architecture is not a string");
    {
        uint64_t len;
        memcpy(&len, kv->val, 8);
        arch = (const char *)kv->val + 8;
        if (olmoe__streq(arch, len, "olmoe")) { c->arch = OLMOE_ARCH_OLMOE; arch = "olmoe"; }
        else if (olmoe__streq(arch, len, "flex_olmo")) { c->arch = OLMOE_ARCH_FLEX_OLMO; arch = "flex_olmo"; }
        else return olmoe__fail(err, en, OLMOE_ERR_UNSUPPORTED, "architecture '%.*s' is not supported (olmoe, flex_olmo are)", (int)OLMOE__MIN(len, 64), arch);
    }
    OLMOE__TRY(olmoe__cfg_int(m, arch, "embedding_length", 1, 0, 1, 1 << 16, &c->n_embd, err, en));
    OLMOE__TRY(olmoe__cfg_int(m, arch, "block_count", 1, 0, 1, 1024, &c->n_layer, err, en));
    OLMOE__TRY(olmoe__cfg_int(m, arch, "attention.head_count", 1, 0, 1, 1024, &c->n_head, err, en));
    OLMOE__TRY(olmoe__cfg_int(m, arch, "attention.head_count_kv", 0, c->n_head, 1, c->n_head, &c->n_head_kv, err, en));
    OLMOE__TRY(olmoe__cfg_int(m, arch, "feed_forward_length", 1, 0, 1, 1 << 20, &c->n_ff, err, en));
    OLMOE__TRY(olmoe__cfg_int(m, arch, "expert_count", 1, 0, 1, 4096, &c->n_expert, err, en));
    OLMOE__TRY(olmoe__cfg_int(m, arch, "expert_used_count", 1, 0, 1, c->n_expert, &c->n_expert_used, err, en));
    OLMOE__TRY(olmoe__cfg_int(m, arch, "context_length", 0, 4096, 1, 1 << 24, &c->n_ctx_train, err, en));
    OLMOE__TRY(olmoe__cfg_float(m, arch, "rope.freq_base", 0, 10000.0, 1e-3, 1e12, &c->rope_theta, err, en));
    OLMOE__TRY(olmoe__cfg_float(m, arch, "attention.layer_norm_rms_epsilon", 1, 0, 0.0, 1.0, &c->norm_eps, err, en));
    if (c->n_head_kv > 0 && c->n_head % c->n_head_kv != 0)
        return olmoe__fail(err, en, OLMOE_ERR_BAD_VALUE, "head_count %d is not a multiple of head_count_kv %d", c->n_head, c->n_head_kv);
    if (c->n_embd % c->n_head != 0) return olmoe__fail(err, en, OLMOE_ERR_BAD_VALUE, "embedding_length %d is not a multiple of head_count %d", c->n_embd, c->n_head);
    OLMOE__TRY(olmoe__cfg_int(m, arch, "attention.key_length", 0, c->n_embd / c->n_head, 2, 1 << 12, &c->head_dim, err, en));
    if (c->head_dim % 2) return olmoe__fail(err, en, OLMOE_ERR_BAD_VALUE, "head dimension %d is odd", c->head_dim);
    if (p->vocab_only) {
        int nv = 0;
        m->vocab_only = 1;
        OLMOE__TRY(olmoe__cfg_int(m, arch, "vocab_size", 0, 0, 0, 1 << 24, &nv, err, en));
        kv = olmoe__gguf_find(&m->gguf, "tokenizer.ggml.tokens");
        if (kv && kv->type == OLMOE__GGUF_ARR && kv->arr_n > (uint64_t)nv && kv->arr_n <= (1u << 24)) nv = (int)kv->arr_n;
        c->n_vocab = nv;
        goto tokenizer;
    }

    d = c->n_embd; F = c->n_ff; E = c->n_expert;
    q_dim = c->n_head * c->head_dim;
    kv_dim = c->n_head_kv * c->head_dim;
    t = olmoe__find_tensor(m, "token_embd.weight");
    if (!t) return olmoe__fail(err, en, OLMOE_ERR_TENSOR_MISSING, "missing tensor token_embd.weight");
    if (t->n_dims != 2 || t->ne[0] != d || t->ne[1] < 1 || t->ne[1] > (1 << 24)) {
        char b[96];
        olmoe__shape_str(b, sizeof b, t->ne, t->n_dims);
        return olmoe__fail(err, en, OLMOE_ERR_SHAPE, "tensor token_embd.weight: expected %lldxN_VOCAB, got %s", (long long)d, b);
    }
    c->n_vocab = (int)t->ne[1];
    OLMOE__TRY(olmoe__bind_mat(m, "token_embd.weight", 2, d, c->n_vocab, 1, &m->tok_embd, err, en));
    OLMOE__TRY(olmoe__bind_vec(m, "output_norm.weight", d, val, &m->out_norm, err, en));
    OLMOE__TRY(olmoe__bind_mat(m, "output.weight", 2, d, c->n_vocab, 1, &m->output, err, en));

    m->layers = (olmoe__layer *)olmoe__calloc((size_t)c->n_layer, sizeof(olmoe__layer));
    if (!m->layers) return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory");
    for (l = 0; l < c->n_layer; l++) {
        olmoe__layer *L = &m->layers[l];
#define OLMOE__NAME(s) (snprintf(name, sizeof name, "blk.%d.%s.weight", l, s), name)
        if (c->arch == OLMOE_ARCH_OLMOE) {
            OLMOE__TRY(olmoe__bind_vec(m, OLMOE__NAME("attn_norm"), d, val, &L->attn_norm, err, en));
            OLMOE__TRY(olmoe__bind_vec(m, OLMOE__NAME("ffn_norm"), d, val, &L->ffn_norm, err, en));
        } else {
            OLMOE__TRY(olmoe__bind_vec(m, OLMOE__NAME("post_attention_norm"), d, val, &L->post_attn_norm, err, en));
            OLMOE__TRY(olmoe__bind_vec(m, OLMOE__NAME("post_ffw_norm"), d, val, &L->post_ffw_norm, err, en));
        }
        OLMOE__TRY(olmoe__bind_vec(m, OLMOE__NAME("attn_q_norm"), q_dim, val, &L->q_norm, err, en));
        OLMOE__TRY(olmoe__bind_vec(m, OLMOE__NAME("attn_k_norm"), kv_dim, val, &L->k_norm, err, en));
        OLMOE__TRY(olmoe__bind_mat(m, OLMOE__NAME("attn_q"), 2, d, q_dim, 1, &L->wq, err, en));
        OLMOE__TRY(olmoe__bind_mat(m, OLMOE__NAME("attn_k"), 2, d, kv_dim, 1, &L->wk, err, en));
        OLMOE__TRY(olmoe__bind_mat(m, OLMOE__NAME("attn_v"), 2, d, kv_dim, 1, &L->wv, err, en));
        OLMOE__TRY(olmoe__bind_mat(m, OLMOE__NAME("attn_output"), 2, q_dim, d, 1, &L->wo, err, en));
        {
            olmoe__tensor *gt;
            OLMOE__TRY(olmoe__bind(m, OLMOE__NAME("ffn_gate_inp"), 2, d, E, 1, 0, &gt, err, en));
            if (((uintptr_t)gt->data & 3) != 0) return olmoe__fail(err, en, OLMOE_ERR_ALIGNMENT, "tensor %s: data not 4-byte aligned", name);
            L->gate_inp = (const float *)gt->data;
            if (val) {
                int64_t i;
                for (i = 0; i < d * E; i++)
                    if (!isfinite(L->gate_inp[i])) return olmoe__fail(err, en, OLMOE_ERR_BAD_VALUE, "tensor %s: element %lld is not finite", name, (long long)i);
            }
        }
        OLMOE__TRY(olmoe__bind_mat(m, OLMOE__NAME("ffn_gate_exps"), 3, d, F, E, &L->gate_exps, err, en));
        OLMOE__TRY(olmoe__bind_mat(m, OLMOE__NAME("ffn_up_exps"), 3, d, F, E, &L->up_exps, err, en));
        OLMOE__TRY(olmoe__bind_mat(m, OLMOE__NAME("ffn_down_exps"), 3, F, d, E, &L->down_exps, err, en));
#undef OLMOE__NAME
        if (p->progress && !p->progress((float)(l + 1) / (float)c->n_layer, p->progress_user))
            return olmoe__fail(err, en, OLMOE_ERR_CANCELLED, "load cancelled by the progress callback");
    }
    /* quantized matrices hold whole 32-blocks per row (checked by the parser), so every vector a
       quantized matrix reads has a length that is a multiple of 32 */
tokenizer:
    c->bos_id = olmoe__kv_token_id(&m->gguf, "tokenizer.ggml.bos_token_id", c->n_vocab);
    c->eos_id = olmoe__kv_token_id(&m->gguf, "tokenizer.ggml.eos_token_id", c->n_vocab);
    c->pad_id = olmoe__kv_token_id(&m->gguf, "tokenizer.ggml.padding_token_id", c->n_vocab);
    return olmoe__tok_load(m, err, en);
}

OLMOE_API olmoe_model_params olmoe_model_default_params(void) {
    olmoe_model_params p;
    memset(&p, 0, sizeof p);
    p.validate_weights = 1;
    return p;
}

static const olmoe__kv *olmoe__expert_names(const olmoe_model *m);
static const char *olmoe__kv_arr_str(const olmoe__kv *kv, uint64_t i, uint64_t *len);

/* {arch}.expert_names, when present, names every expert once: opt-out lists are matched by name,
   so a duplicate would mask only its first expert, a name starting with a digit would be read as
   an index, and one with a comma would split. */
static olmoe_result olmoe__check_expert_names(const olmoe_model *m, char *err, size_t en) {
    char key[64];
    const olmoe__kv *kv;
    uint64_t i, j, li, lj;
    snprintf(key, sizeof key, "%s.expert_names", m->cfg.arch == OLMOE_ARCH_OLMOE ? "olmoe" : "flex_olmo");
    if (!olmoe__gguf_find(&m->gguf, key)) return OLMOE_OK;
    kv = olmoe__expert_names(m);
    if (!kv) return olmoe__fail(err, en, OLMOE_ERR_KEY_TYPE, "%s must be an array of %d strings (one per expert)", key, m->cfg.n_expert);
    for (i = 0; i < kv->arr_n; i++) {
        const char *a = olmoe__kv_arr_str(kv, i, &li);
        if (li == 0 || li > 127 || (a[0] >= '0' && a[0] <= '9') || memchr(a, ',', (size_t)li) || memchr(a, 0, (size_t)li))
            return olmoe__fail(err, en, OLMOE_ERR_BAD_VALUE, "%s[%llu] '%.*s': a name is 1-127 bytes, without commas, and does not start with a digit",
                               key, (unsigned long long)i, (int)OLMOE__MIN(li, 64), a);
        for (j = 0; j < i; j++) {
            const char *b = olmoe__kv_arr_str(kv, j, &lj);
            if (li == lj && !memcmp(a, b, (size_t)li))
                return olmoe__fail(err, en, OLMOE_ERR_DUPLICATE, "%s: '%.*s' names experts %llu and %llu", key, (int)li, a,
                                   (unsigned long long)j, (unsigned long long)i);
        }
    }
    return OLMOE_OK;
}

/* validate_weights >= 2: every tensor's values scanned for NaN/Inf, as llama.cpp's --check-tensors
   (ggml_validate_row_data): each element of f32/f16/bf16 tensors, each block's fp16 scales of the
   quantized ones (a non-finite scale makes the whole block non-finite; the integer codes cannot be).
   The per-type scale fields are QUANTS.md §1.1's byte offsets. */
typedef struct olmoe__scale_layout { int type, bytes, n, off[2]; const char *name[2]; } olmoe__scale_layout;
static const olmoe__scale_layout olmoe__scale_layouts[] = {
    {OLMOE_TYPE_Q4_0, 18, 1, {0, 0}, {"d", ""}},      {OLMOE_TYPE_Q4_1, 20, 2, {0, 2}, {"d", "m"}},
    {OLMOE_TYPE_Q5_0, 22, 1, {0, 0}, {"d", ""}},      {OLMOE_TYPE_Q5_1, 24, 2, {0, 2}, {"d", "m"}},
    {OLMOE_TYPE_Q8_0, 34, 1, {0, 0}, {"d", ""}},      {OLMOE_TYPE_Q2_K, 84, 2, {80, 82}, {"d", "dmin"}},
    {OLMOE_TYPE_Q3_K, 110, 1, {108, 0}, {"d", ""}},   {OLMOE_TYPE_Q4_K, 144, 2, {0, 2}, {"d", "dmin"}},
    {OLMOE_TYPE_Q5_K, 176, 2, {0, 2}, {"d", "dmin"}}, {OLMOE_TYPE_Q6_K, 210, 1, {208, 0}, {"d", ""}},
    {OLMOE_TYPE_IQ4_NL, 18, 1, {0, 0}, {"d", ""}},    {OLMOE_TYPE_IQ4_XS, 136, 1, {0, 0}, {"d", ""}},
    /* float tensors: every element is its own "scale" */
    {OLMOE_TYPE_F32, 4, 1, {0, 0}, {"", ""}},         {OLMOE_TYPE_F16, 2, 1, {0, 0}, {"", ""}},
    {OLMOE_TYPE_BF16, 2, 1, {0, 0}, {"", ""}}
};
static const olmoe__scale_layout *olmoe__scale_layout_of(int type) {
    size_t i;
    for (i = 0; i < sizeof olmoe__scale_layouts / sizeof olmoe__scale_layouts[0]; i++)
        if (olmoe__scale_layouts[i].type == type) return &olmoe__scale_layouts[i];
    return NULL;
}
/* The value at p (type's element or fp16 scale) is NaN or Inf: 1 for NaN, 2 for Inf, else 0. */
static int olmoe__nonfinite(int type, const uint8_t *p) {
    if (type == OLMOE_TYPE_F32) {
        uint32_t x = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        return (x & 0x7f800000u) != 0x7f800000u ? 0 : (x & 0x7fffffu) ? 1 : 2;
    } else {
        unsigned x = (unsigned)p[0] | (unsigned)p[1] << 8;
        if (type == OLMOE_TYPE_BF16) return (x & 0x7f80u) != 0x7f80u ? 0 : (x & 0x7fu) ? 1 : 2;
        return (x & 0x7c00u) != 0x7c00u ? 0 : (x & 0x3ffu) ? 1 : 2;
    }
}

/* The first of n f32/f16/bf16 values at p that is NaN or Inf, or n: 256 at a time without a
   branch (the compiler vectorizes it), then the exact one where a group has any. */
static uint64_t olmoe__first_nonfinite(int type, const uint8_t *p, uint64_t n) {
    uint64_t i = 0, j;
    if (type == OLMOE_TYPE_F32) {
        for (; i + 256 <= n; i += 256) {
            uint32_t any = 0, x;
            for (j = 0; j < 256; j++) { memcpy(&x, p + 4 * (i + j), 4); any |= (x & 0x7f800000u) == 0x7f800000u; }
            if (any) break;
        }
    } else {
        unsigned mask = type == OLMOE_TYPE_BF16 ? 0x7f80u : 0x7c00u;
        for (; i + 256 <= n; i += 256) {
            unsigned any = 0;
            uint16_t x;
            for (j = 0; j < 256; j++) { memcpy(&x, p + 2 * (i + j), 2); any |= (x & mask) == mask; }
            if (any) break;
        }
    }
    for (; i < n; i++)
        if (olmoe__nonfinite(type, p + (type == OLMOE_TYPE_F32 ? 4 : 2) * i)) return i;
    return n;
}

#define OLMOE__SCAN_CHUNK ((uint64_t)1 << 20) /* bytes of tensor data a thread takes at a time */
typedef struct olmoe__scan_chunk { const olmoe__tensor *t; uint64_t first, n; } olmoe__scan_chunk;  /* in units */
typedef struct olmoe__scan_hit { int64_t chunk; uint64_t unit; int field, what; } olmoe__scan_hit;
typedef struct olmoe__scan_job {
    olmoe__pool *pool;
    const olmoe__scan_chunk *chunks;
    int64_t n_chunks;
    olmoe__scan_hit *hits;   /* one per thread: its first hit */
} olmoe__scan_job;

static void olmoe__scan_run(void *arg, int ith, int nth) {
    olmoe__scan_job *J = (olmoe__scan_job *)arg;
    int64_t a, b;
    (void)nth;
    /* chunks come off the counter in increasing order, so a thread's first hit is its lowest and
       it can stop there: the lowest hit over all threads is the file's first, on any schedule */
    while (olmoe__grab(J->pool, J->n_chunks, 1, &a, &b)) {
        const olmoe__scan_chunk *c = &J->chunks[a];
        const olmoe__scale_layout *L = olmoe__scale_layout_of(c->t->type);
        uint64_t u;
        int f, w;
        if (!L->name[0][0]) { /* a float tensor */
            u = c->first + olmoe__first_nonfinite(c->t->type, c->t->data + c->first * (uint64_t)L->bytes, c->n);
            if (u < c->first + c->n) {
                J->hits[ith].chunk = a; J->hits[ith].unit = u; J->hits[ith].field = 0;
                J->hits[ith].what = olmoe__nonfinite(c->t->type, c->t->data + u * (uint64_t)L->bytes);
                return;
            }
            continue;
        }
        for (u = c->first; u < c->first + c->n; u++)
            for (f = 0; f < L->n; f++)
                if ((w = olmoe__nonfinite(OLMOE_TYPE_F16, c->t->data + u * (uint64_t)L->bytes + (uint64_t)L->off[f])) != 0) {
                    J->hits[ith].chunk = a; J->hits[ith].unit = u; J->hits[ith].field = f; J->hits[ith].what = w;
                    return;
                }
    }
}

static olmoe_result olmoe__check_tensors(olmoe_model *m, char *err, size_t en) {
    olmoe__scan_job J;
    olmoe__pool pool;
    olmoe__scan_chunk *ch;
    uint64_t i, total = 0, n_ch = 0;
    int k, nth;
    olmoe_result r = OLMOE_OK;
    for (i = 0; i < m->gguf.n_tensors; i++) {
        const olmoe__tensor *t = &m->gguf.tensors[i];
        const olmoe__scale_layout *L = olmoe__scale_layout_of(t->type);
        uint64_t per = L ? OLMOE__SCAN_CHUNK / (uint64_t)L->bytes : 1;  /* whole blocks (elements) per chunk */
        if (L) { n_ch += (t->nbytes / (uint64_t)L->bytes + per - 1) / per; total += t->nbytes; }
    }
    ch = (olmoe__scan_chunk *)olmoe__calloc((size_t)n_ch + 1, sizeof *ch);
    if (!ch) return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory for the tensor scan");
    for (n_ch = 0, i = 0; i < m->gguf.n_tensors; i++) {
        const olmoe__tensor *t = &m->gguf.tensors[i];
        const olmoe__scale_layout *L = olmoe__scale_layout_of(t->type);
        uint64_t units, per, u;
        if (!L) continue;
        units = t->nbytes / (uint64_t)L->bytes;
        per = OLMOE__SCAN_CHUNK / (uint64_t)L->bytes;
        for (u = 0; u < units; u += per) {
            ch[n_ch].t = t; ch[n_ch].first = u; ch[n_ch].n = OLMOE__MIN(per, units - u);
            n_ch++;
        }
    }
    /* both cores (all online ones) when there is enough to read: ~1 GB/s a core from the page cache */
    nth = total >= (uint64_t)4 * OLMOE__SCAN_CHUNK ? olmoe__n_cpus() : 1;
    if (olmoe__pool_init(&pool, nth) != OLMOE_OK && olmoe__pool_init(&pool, 1) != OLMOE_OK) { OLMOE_FREE(ch); return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory"); }
    J.pool = &pool; J.chunks = ch; J.n_chunks = (int64_t)n_ch;
    J.hits = (olmoe__scan_hit *)olmoe__calloc((size_t)pool.n, sizeof *J.hits);
    if (!J.hits) { olmoe__pool_free(&pool); OLMOE_FREE(ch); return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory"); }
    for (k = 0; k < pool.n; k++) J.hits[k].chunk = -1;
    olmoe__pool_run(&pool, olmoe__scan_run, &J);
    {
        const olmoe__scan_hit *h = NULL;
        for (k = 0; k < pool.n; k++)
            if (J.hits[k].chunk >= 0 && (!h || J.hits[k].chunk < h->chunk)) h = &J.hits[k];
        if (h) {
            const olmoe__tensor *t = ch[h->chunk].t;
            const olmoe__scale_layout *L = olmoe__scale_layout_of(t->type);
            const char *v = h->what == 1 ? "NaN" : "Inf";
            if (!L->name[0][0])
                r = olmoe__fail(err, en, OLMOE_ERR_BAD_VALUE, "tensor %s: element %llu is not finite (%s)", t->name, (unsigned long long)h->unit, v);
            else
                r = olmoe__fail(err, en, OLMOE_ERR_BAD_VALUE, "tensor %s: block %llu has a non-finite scale (%s is %s; row %llu)", t->name,
                                (unsigned long long)h->unit, L->name[h->field], v,
                                (unsigned long long)(h->unit / (uint64_t)(t->ne[0] / olmoe_type_block_size(t->type))));
        }
    }
    OLMOE_FREE(J.hits);
    olmoe__pool_free(&pool);
    OLMOE_FREE(ch);
    return r;
}

static olmoe_result olmoe__model_finish(olmoe_model *m, const olmoe_model_params *params, char *err, size_t en) {
    olmoe_model_params p = params ? *params : olmoe_model_default_params();
    olmoe_result r = olmoe__gguf_parse(m->map.data, m->map.size, &m->gguf, err, en);
    if (r != OLMOE_OK) return r;
    r = olmoe__model_bind(m, &p, err, en);
    if (r != OLMOE_OK) return r;
    if (m->cfg.n_expert > 0 && (r = olmoe__check_expert_names(m, err, en)) != OLMOE_OK) return r;
    return p.validate_weights >= 2 && !m->vocab_only ? olmoe__check_tensors(m, err, en) : OLMOE_OK;
}

OLMOE_API olmoe_result olmoe_model_load_memory(const void *data, size_t size, const olmoe_model_params *params,
                                               olmoe_model **out, char *err, size_t en) {
    olmoe_model *m;
    olmoe_result r;
    if (err && en) err[0] = 0;
    if (!out) return olmoe__fail(err, en, OLMOE_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!data && size) return olmoe__fail(err, en, OLMOE_ERR_INVALID_ARG, "data is NULL");
    m = (olmoe_model *)olmoe__calloc(1, sizeof(olmoe_model));
    if (!m) return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory");
    m->map.data = (const uint8_t *)data;
    m->map.size = size;
    m->map.owned = 0;
    r = olmoe__model_finish(m, params, err, en);
    if (r != OLMOE_OK) { olmoe_model_free(m); return r; }
    *out = m;
    return OLMOE_OK;
}

OLMOE_API olmoe_result olmoe_model_load(const char *path, const olmoe_model_params *params,
                                        olmoe_model **out, char *err, size_t en) {
    olmoe_model *m;
    olmoe_result r;
    if (err && en) err[0] = 0;
    if (!out) return olmoe__fail(err, en, OLMOE_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!path) return olmoe__fail(err, en, OLMOE_ERR_INVALID_ARG, "path is NULL");
    m = (olmoe_model *)olmoe__calloc(1, sizeof(olmoe_model));
    if (!m) return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory");
    r = olmoe__map_file(path, &m->map, err, en);
    if (r == OLMOE_OK) {
        char sub[512];
        sub[0] = 0;
        r = olmoe__model_finish(m, params, sub, sizeof sub);
        if (r != OLMOE_OK) olmoe__fail(err, en, r, "%s: %s", path, sub);
    }
    if (r != OLMOE_OK) { olmoe_model_free(m); return r; }
    *out = m;
    return OLMOE_OK;
}

OLMOE_API void olmoe_model_free(olmoe_model *m) {
    if (!m) return;
    olmoe__tok_free(m);
    olmoe__gguf_free(&m->gguf);
    OLMOE_FREE(m->layers);
    olmoe__unmap(&m->map);
    OLMOE_FREE(m);
}

OLMOE_API const olmoe_config *olmoe_model_config(const olmoe_model *m) { return m ? &m->cfg : NULL; }
OLMOE_API int olmoe_model_n_tensors(const olmoe_model *m) { return m ? (int)m->gguf.n_tensors : 0; }
OLMOE_API uint64_t olmoe_model_file_size(const olmoe_model *m) { return m ? (uint64_t)m->map.size : 0; }

OLMOE_API olmoe_result olmoe_model_tensor(const olmoe_model *m, int i, olmoe_tensor_info *out) {
    const olmoe__tensor *t;
    int d;
    if (!m || !out || i < 0 || (uint64_t)i >= m->gguf.n_tensors) return OLMOE_ERR_INVALID_ARG;
    t = &m->gguf.tensors[i];
    out->name = t->name;
    out->type = t->type;
    out->n_dims = t->n_dims;
    for (d = 0; d < 4; d++) out->ne[d] = d < t->n_dims ? t->ne[d] : 1;
    out->offset = m->gguf.data_offset + t->offset;
    out->nbytes = t->nbytes;
    out->data = t->data;
    return OLMOE_OK;
}

OLMOE_API int olmoe_model_find_tensor(const olmoe_model *m, const char *name) {
    uint64_t i;
    if (!m || !name) return -1;
    for (i = 0; i < m->gguf.n_tensors; i++)
        if (!strcmp(m->gguf.tensors[i].name, name)) return (int)i;
    return -1;
}

OLMOE_API int olmoe_model_meta_str(const olmoe_model *m, const char *key, char *buf, size_t n) {
    const olmoe__kv *kv;
    uint64_t len;
    if (!m || !key) return -1;
    kv = olmoe__gguf_find(&m->gguf, key);
    if (!kv || kv->type != OLMOE__GGUF_STR) return -1;
    memcpy(&len, kv->val, 8);
    if (buf && n) {
        size_t c = (size_t)OLMOE__MIN(len, (uint64_t)(n - 1));
        memcpy(buf, kv->val + 8, c);
        buf[c] = 0;
    }
    return len > INT_MAX ? INT_MAX : (int)len;
}

OLMOE_API int olmoe_model_meta_int(const olmoe_model *m, const char *key, int64_t *out) {
    const olmoe__kv *kv;
    int64_t v;
    if (!m || !key || !(kv = olmoe__gguf_find(&m->gguf, key)) || olmoe__kv_int(kv, &v) != OLMOE_OK) return -1;
    if (out) *out = v;
    return 0;
}

OLMOE_API uint64_t olmoe_model_bytes_per_token(const olmoe_model *m) {
    const olmoe_config *c;
    uint64_t b = 0;
    int l;
    if (!m || m->vocab_only) return 0;
    c = &m->cfg;
    for (l = 0; l < c->n_layer; l++) {
        const olmoe__layer *L = &m->layers[l];
        b += L->wq.row_bytes * (uint64_t)L->wq.ne1 + L->wk.row_bytes * (uint64_t)L->wk.ne1 +
             L->wv.row_bytes * (uint64_t)L->wv.ne1 + L->wo.row_bytes * (uint64_t)L->wo.ne1;
        b += (uint64_t)c->n_expert * (uint64_t)c->n_embd * 4;
        b += (uint64_t)c->n_expert_used * (L->gate_exps.row_bytes * (uint64_t)c->n_ff + L->up_exps.row_bytes * (uint64_t)c->n_ff +
                                           L->down_exps.row_bytes * (uint64_t)c->n_embd);
    }
    b += m->output.row_bytes * (uint64_t)c->n_vocab + m->tok_embd.row_bytes;
    return b;
}

/* >>tokenizer ============================================================================ */
/* >>tokenizer

   Byte-level BPE with HF `tokenizers` semantics (see >>tokenizer_api for the contract).
   Layout: Unicode tables and lookups -> UTF-8 -> NFC -> pre-tokenizer scanners (hand-written
   equivalents of the two regexes) -> BPE -> load from GGUF -> public API. */
#define OLMOE__HAVE_TOKENIZER 1
/* >>unicode_tables: BEGIN generated by tools/gen_unicode.py (it rewrites the text between these markers) */
/* olmoe.h Unicode tables GENERATED by tools/gen_unicode.py
   from unicodedataplus 16.0.0.post1 (Unicode 16.0.0) -- do not edit by hand.

   Character classes: Unicode 16.0.0, the version of Oniguruma in Hugging Face `tokenizers` 0.23,
   whose regexes define \p{L} = gc L* (141028 code points), \p{N} = gc N* (1911) and \s = White_Space
   (25 code points). Checked code point by code point against `tokenizers` (gen_unicode.py --check-hf).
   NFC: Unicode 9.0.0, the version of the `unicode-normalization-alignments` crate that
   `tokenizers` normalizes with: the Unicode 16.0.0 data of the code points whose Age is <= 9.0
   (exact, by the normalization stability policy). Against full Unicode 16.0.0 NFC this differs in:
   120 marks added after 9.0 with a nonzero combining class (treated as class 0, so never
   reordered): U+07FD U+0897 U+0898 U+0899 U+089A U+089B U+089C U+089D ...;
   and 21 canonical compositions whose composite is newer (left uncomposed):
   U+105C9 U+105E4 U+11383 U+11385 U+1138E U+11391 U+113C5 U+113C7 ...
*/
#define OLMOE__UNICODE_CLASS_VERSION "16.0.0"
#define OLMOE__UNICODE_NFC_VERSION "9.0.0"

/* Class boundaries, sorted: (first code point << 2) | class, class 0 other, 1 \p{L}, 2 \p{N},
   3 \s. A class holds from its first code point up to the next entry's. */
#define OLMOE__UCLASS_N 1610
static const uint32_t olmoe__uclass[OLMOE__UCLASS_N] = {
    0x0, 0x27, 0x38, 0x83, 0x84, 0xc2, 0xe8, 0x105, 0x16c, 0x185,
    0x1ec, 0x217, 0x218, 0x283, 0x284, 0x2a9, 0x2ac, 0x2ca, 0x2d0, 0x2d5,
    0x2d8, 0x2e6, 0x2e9, 0x2ec, 0x2f2, 0x2fc, 0x301, 0x35c, 0x361, 0x3dc,
    0x3e1, 0xb08, 0xb19, 0xb48, 0xb81, 0xb94, 0xbb1, 0xbb4, 0xbb9, 0xbbc,
    0xdc1, 0xdd4, 0xdd9, 0xde0, 0xde9, 0xdf8, 0xdfd, 0xe00, 0xe19, 0xe1c,
    0xe21, 0xe2c, 0xe31, 0xe34, 0xe39, 0xe88, 0xe8d, 0xfd8, 0xfdd, 0x1208,
    0x1229, 0x14c0, 0x14c5, 0x155c, 0x1565, 0x1568, 0x1581, 0x1624, 0x1741, 0x17ac,
    0x17bd, 0x17cc, 0x1881, 0x192c, 0x1982, 0x19a8, 0x19b9, 0x19c0, 0x19c5, 0x1b50,
    0x1b55, 0x1b58, 0x1b95, 0x1b9c, 0x1bb9, 0x1bc2, 0x1be9, 0x1bf4, 0x1bfd, 0x1c00,
    0x1c41, 0x1c44, 0x1c49, 0x1cc0, 0x1d35, 0x1e98, 0x1ec5, 0x1ec8, 0x1f02, 0x1f29,
    0x1fac, 0x1fd1, 0x1fd8, 0x1fe9, 0x1fec, 0x2001, 0x2058, 0x2069, 0x206c, 0x2091,
    0x2094, 0x20a1, 0x20a4, 0x2101, 0x2164, 0x2181, 0x21ac, 0x21c1, 0x2220, 0x2225,
    0x223c, 0x2281, 0x2328, 0x2411, 0x24e8, 0x24f5, 0x24f8, 0x2541, 0x2544, 0x2561,
    0x2588, 0x259a, 0x25c0, 0x25c5, 0x2604, 0x2615, 0x2634, 0x263d, 0x2644, 0x264d,
    0x26a4, 0x26a9, 0x26c4, 0x26c9, 0x26cc, 0x26d9, 0x26e8, 0x26f5, 0x26f8, 0x2739,
    0x273c, 0x2771, 0x2778, 0x277d, 0x2788, 0x279a, 0x27c1, 0x27c8, 0x27d2, 0x27e8,
    0x27f1, 0x27f4, 0x2815, 0x282c, 0x283d, 0x2844, 0x284d, 0x28a4, 0x28a9, 0x28c4,
    0x28c9, 0x28d0, 0x28d5, 0x28dc, 0x28e1, 0x28e8, 0x2965, 0x2974, 0x2979, 0x297c,
    0x299a, 0x29c0, 0x29c9, 0x29d4, 0x2a15, 0x2a38, 0x2a3d, 0x2a48, 0x2a4d, 0x2aa4,
    0x2aa9, 0x2ac4, 0x2ac9, 0x2ad0, 0x2ad5, 0x2ae8, 0x2af5, 0x2af8, 0x2b41, 0x2b44,
    0x2b81, 0x2b88, 0x2b9a, 0x2bc0, 0x2be5, 0x2be8, 0x2c15, 0x2c34, 0x2c3d, 0x2c44,
    0x2c4d, 0x2ca4, 0x2ca9, 0x2cc4, 0x2cc9, 0x2cd0, 0x2cd5, 0x2ce8, 0x2cf5, 0x2cf8,
    0x2d71, 0x2d78, 0x2d7d, 0x2d88, 0x2d9a, 0x2dc0, 0x2dc5, 0x2dca, 0x2de0, 0x2e0d,
    0x2e10, 0x2e15, 0x2e2c, 0x2e39, 0x2e44, 0x2e49, 0x2e58, 0x2e65, 0x2e6c, 0x2e71,
    0x2e74, 0x2e79, 0x2e80, 0x2e8d, 0x2e94, 0x2ea1, 0x2eac, 0x2eb9, 0x2ee8, 0x2f41,
    0x2f44, 0x2f9a, 0x2fcc, 0x3015, 0x3034, 0x3039, 0x3044, 0x3049, 0x30a4, 0x30a9,
    0x30e8, 0x30f5, 0x30f8, 0x3161, 0x316c, 0x3175, 0x3178, 0x3181, 0x3188, 0x319a,
    0x31c0, 0x31e2, 0x31fc, 0x3201, 0x3204, 0x3215, 0x3234, 0x3239, 0x3244, 0x3249,
    0x32a4, 0x32a9, 0x32d0, 0x32d5, 0x32e8, 0x32f5, 0x32f8, 0x3375, 0x337c, 0x3381,
    0x3388, 0x339a, 0x33c0, 0x33c5, 0x33cc, 0x3411, 0x3434, 0x3439, 0x3444, 0x3449,
    0x34ec, 0x34f5, 0x34f8, 0x3539, 0x353c, 0x3551, 0x355c, 0x3562, 0x357d, 0x3588,
    0x359a, 0x35e4, 0x35e9, 0x3600, 0x3615, 0x365c, 0x3669, 0x36c8, 0x36cd, 0x36f0,
    0x36f5, 0x36f8, 0x3701, 0x371c, 0x379a, 0x37c0, 0x3805, 0x38c4, 0x38c9, 0x38d0,
    0x3901, 0x391c, 0x3942, 0x3968, 0x3a05, 0x3a0c, 0x3a11, 0x3a14, 0x3a19, 0x3a2c,
    0x3a31, 0x3a90, 0x3a95, 0x3a98, 0x3a9d, 0x3ac4, 0x3ac9, 0x3ad0, 0x3af5, 0x3af8,
    0x3b01, 0x3b14, 0x3b19, 0x3b1c, 0x3b42, 0x3b68, 0x3b71, 0x3b80, 0x3c01, 0x3c04,
    0x3c82, 0x3cd0, 0x3d01, 0x3d20, 0x3d25, 0x3db4, 0x3e21, 0x3e34, 0x4001, 0x40ac,
    0x40fd, 0x4102, 0x4128, 0x4141, 0x4158, 0x4169, 0x4178, 0x4185, 0x4188, 0x4195,
    0x419c, 0x41b9, 0x41c4, 0x41d5, 0x4208, 0x4239, 0x423c, 0x4242, 0x4268, 0x4281,
    0x4318, 0x431d, 0x4320, 0x4335, 0x4338, 0x4341, 0x43ec, 0x43f1, 0x4924, 0x4929,
    0x4938, 0x4941, 0x495c, 0x4961, 0x4964, 0x4969, 0x4978, 0x4981, 0x4a24, 0x4a29,
    0x4a38, 0x4a41, 0x4ac4, 0x4ac9, 0x4ad8, 0x4ae1, 0x4afc, 0x4b01, 0x4b04, 0x4b09,
    0x4b18, 0x4b21, 0x4b5c, 0x4b61, 0x4c44, 0x4c49, 0x4c58, 0x4c61, 0x4d6c, 0x4da6,
    0x4df4, 0x4e01, 0x4e40, 0x4e81, 0x4fd8, 0x4fe1, 0x4ff8, 0x5005, 0x59b4, 0x59bd,
    0x5a03, 0x5a05, 0x5a6c, 0x5a81, 0x5bac, 0x5bba, 0x5bc5, 0x5be4, 0x5c01, 0x5c48,
    0x5c7d, 0x5cc8, 0x5d01, 0x5d48, 0x5d81, 0x5db4, 0x5db9, 0x5dc4, 0x5e01, 0x5ed0,
    0x5f5d, 0x5f60, 0x5f71, 0x5f74, 0x5f82, 0x5fa8, 0x5fc2, 0x5fe8, 0x6042, 0x6068,
    0x6081, 0x61e4, 0x6201, 0x6214, 0x621d, 0x62a4, 0x62a9, 0x62ac, 0x62c1, 0x63d8,
    0x6401, 0x647c, 0x651a, 0x6541, 0x65b8, 0x65c1, 0x65d4, 0x6601, 0x66b0, 0x66c1,
    0x6728, 0x6742, 0x676c, 0x6801, 0x685c, 0x6881, 0x6954, 0x6a02, 0x6a28, 0x6a42,
    0x6a68, 0x6a9d, 0x6aa0, 0x6c15, 0x6cd0, 0x6d15, 0x6d34, 0x6d42, 0x6d68, 0x6e0d,
    0x6e84, 0x6eb9, 0x6ec2, 0x6ee9, 0x6f98, 0x7001, 0x7090, 0x7102, 0x7128, 0x7135,
    0x7142, 0x7169, 0x71f8, 0x7201, 0x722c, 0x7241, 0x72ec, 0x72f5, 0x7300, 0x73a5,
    0x73b4, 0x73b9, 0x73d0, 0x73d5, 0x73dc, 0x73e9, 0x73ec, 0x7401, 0x7700, 0x7801,
    0x7c58, 0x7c61, 0x7c78, 0x7c81, 0x7d18, 0x7d21, 0x7d38, 0x7d41, 0x7d60, 0x7d65,
    0x7d68, 0x7d6d, 0x7d70, 0x7d75, 0x7d78, 0x7d7d, 0x7df8, 0x7e01, 0x7ed4, 0x7ed9,
    0x7ef4, 0x7ef9, 0x7efc, 0x7f09, 0x7f14, 0x7f19, 0x7f34, 0x7f41, 0x7f50, 0x7f59,
    0x7f70, 0x7f81, 0x7fb4, 0x7fc9, 0x7fd4, 0x7fd9, 0x7ff4, 0x8003, 0x802c, 0x80a3,
    0x80a8, 0x80bf, 0x80c0, 0x817f, 0x8180, 0x81c2, 0x81c5, 0x81c8, 0x81d2, 0x81e8,
    0x81fd, 0x8202, 0x8228, 0x8241, 0x8274, 0x8409, 0x840c, 0x841d, 0x8420, 0x8429,
    0x8450, 0x8455, 0x8458, 0x8465, 0x8478, 0x8491, 0x8494, 0x8499, 0x849c, 0x84a1,
    0x84a4, 0x84a9, 0x84b8, 0x84bd, 0x84e8, 0x84f1, 0x8500, 0x8515, 0x8528, 0x8539,
    0x853c, 0x8542, 0x860d, 0x8616, 0x8628, 0x9182, 0x9270, 0x93aa, 0x9400, 0x9dda,
    0x9e50, 0xb001, 0xb394, 0xb3ad, 0xb3bc, 0xb3c9, 0xb3d0, 0xb3f6, 0xb3f8, 0xb401,
    0xb498, 0xb49d, 0xb4a0, 0xb4b5, 0xb4b8, 0xb4c1, 0xb5a0, 0xb5bd, 0xb5c0, 0xb601,
    0xb65c, 0xb681, 0xb69c, 0xb6a1, 0xb6bc, 0xb6c1, 0xb6dc, 0xb6e1, 0xb6fc, 0xb701,
    0xb71c, 0xb721, 0xb73c, 0xb741, 0xb75c, 0xb761, 0xb77c, 0xb8bd, 0xb8c0, 0xc003,
    0xc004, 0xc015, 0xc01e, 0xc020, 0xc086, 0xc0a8, 0xc0c5, 0xc0d8, 0xc0e2, 0xc0ed,
    0xc0f4, 0xc105, 0xc25c, 0xc275, 0xc280, 0xc285, 0xc3ec, 0xc3f1, 0xc400, 0xc415,
    0xc4c0, 0xc4c5, 0xc63c, 0xc64a, 0xc658, 0xc681, 0xc700, 0xc7c1, 0xc800, 0xc882,
    0xc8a8, 0xc922, 0xc940, 0xc946, 0xc980, 0xca02, 0xca28, 0xcac6, 0xcb00, 0xd001,
    0x13700, 0x13801, 0x29234, 0x29341, 0x293f8, 0x29401, 0x29834, 0x29841, 0x29882, 0x298a9,
    0x298b0, 0x29901, 0x299bc, 0x299fd, 0x29a78, 0x29a81, 0x29b9a, 0x29bc0, 0x29c5d, 0x29c80,
    0x29c89, 0x29e24, 0x29e2d, 0x29f38, 0x29f41, 0x29f48, 0x29f4d, 0x29f50, 0x29f55, 0x29f74,
    0x29fc9, 0x2a008, 0x2a00d, 0x2a018, 0x2a01d, 0x2a02c, 0x2a031, 0x2a08c, 0x2a0c2, 0x2a0d8,
    0x2a101, 0x2a1d0, 0x2a209, 0x2a2d0, 0x2a342, 0x2a368, 0x2a3c9, 0x2a3e0, 0x2a3ed, 0x2a3f0,
    0x2a3f5, 0x2a3fc, 0x2a402, 0x2a429, 0x2a498, 0x2a4c1, 0x2a51c, 0x2a581, 0x2a5f4, 0x2a611,
    0x2a6cc, 0x2a73d, 0x2a742, 0x2a768, 0x2a781, 0x2a794, 0x2a799, 0x2a7c2, 0x2a7e9, 0x2a7fc,
    0x2a801, 0x2a8a4, 0x2a901, 0x2a90c, 0x2a911, 0x2a930, 0x2a942, 0x2a968, 0x2a981, 0x2a9dc,
    0x2a9e9, 0x2a9ec, 0x2a9f9, 0x2aac0, 0x2aac5, 0x2aac8, 0x2aad5, 0x2aadc, 0x2aae5, 0x2aaf8,
    0x2ab01, 0x2ab04, 0x2ab09, 0x2ab0c, 0x2ab6d, 0x2ab78, 0x2ab81, 0x2abac, 0x2abc9, 0x2abd4,
    0x2ac05, 0x2ac1c, 0x2ac25, 0x2ac3c, 0x2ac45, 0x2ac5c, 0x2ac81, 0x2ac9c, 0x2aca1, 0x2acbc,
    0x2acc1, 0x2ad6c, 0x2ad71, 0x2ada8, 0x2adc1, 0x2af8c, 0x2afc2, 0x2afe8, 0x2b001, 0x35e90,
    0x35ec1, 0x35f1c, 0x35f2d, 0x35ff0, 0x3e401, 0x3e9b8, 0x3e9c1, 0x3eb68, 0x3ec01, 0x3ec1c,
    0x3ec4d, 0x3ec60, 0x3ec75, 0x3ec78, 0x3ec7d, 0x3eca4, 0x3eca9, 0x3ecdc, 0x3ece1, 0x3ecf4,
    0x3ecf9, 0x3ecfc, 0x3ed01, 0x3ed08, 0x3ed0d, 0x3ed14, 0x3ed19, 0x3eec8, 0x3ef4d, 0x3f4f8,
    0x3f541, 0x3f640, 0x3f649, 0x3f720, 0x3f7c1, 0x3f7f0, 0x3f9c1, 0x3f9d4, 0x3f9d9, 0x3fbf4,
    0x3fc42, 0x3fc68, 0x3fc85, 0x3fcec, 0x3fd05, 0x3fd6c, 0x3fd99, 0x3fefc, 0x3ff09, 0x3ff20,
    0x3ff29, 0x3ff40, 0x3ff49, 0x3ff60, 0x3ff69, 0x3ff74, 0x40001, 0x40030, 0x40035, 0x4009c,
    0x400a1, 0x400ec, 0x400f1, 0x400f8, 0x400fd, 0x40138, 0x40141, 0x40178, 0x40201, 0x403ec,
    0x4041e, 0x404d0, 0x40502, 0x405e4, 0x4062a, 0x40630, 0x40a01, 0x40a74, 0x40a81, 0x40b44,
    0x40b86, 0x40bf0, 0x40c01, 0x40c82, 0x40c90, 0x40cb5, 0x40d06, 0x40d09, 0x40d2a, 0x40d2c,
    0x40d41, 0x40dd8, 0x40e01, 0x40e78, 0x40e81, 0x40f10, 0x40f21, 0x40f40, 0x40f46, 0x40f58,
    0x41001, 0x41278, 0x41282, 0x412a8, 0x412c1, 0x41350, 0x41361, 0x413f0, 0x41401, 0x414a0,
    0x414c1, 0x41590, 0x415c1, 0x415ec, 0x415f1, 0x4162c, 0x41631, 0x4164c, 0x41651, 0x41658,
    0x4165d, 0x41688, 0x4168d, 0x416c8, 0x416cd, 0x416e8, 0x416ed, 0x416f4, 0x41701, 0x417d0,
    0x41801, 0x41cdc, 0x41d01, 0x41d58, 0x41d81, 0x41da0, 0x41e01, 0x41e18, 0x41e1d, 0x41ec4,
    0x41ec9, 0x41eec, 0x42001, 0x42018, 0x42021, 0x42024, 0x42029, 0x420d8, 0x420dd, 0x420e4,
    0x420f1, 0x420f4, 0x420fd, 0x42158, 0x42162, 0x42181, 0x421dc, 0x421e6, 0x42201, 0x4227c,
    0x4229e, 0x422c0, 0x42381, 0x423cc, 0x423d1, 0x423d8, 0x423ee, 0x42401, 0x4245a, 0x42470,
    0x42481, 0x424e8, 0x42601, 0x426e0, 0x426f2, 0x426f9, 0x42702, 0x42740, 0x4274a, 0x42801,
    0x42804, 0x42841, 0x42850, 0x42855, 0x42860, 0x42865, 0x428d8, 0x42902, 0x42924, 0x42981,
    0x429f6, 0x429fc, 0x42a01, 0x42a76, 0x42a80, 0x42b01, 0x42b20, 0x42b25, 0x42b94, 0x42bae,
    0x42bc0, 0x42c01, 0x42cd8, 0x42d01, 0x42d58, 0x42d62, 0x42d81, 0x42dcc, 0x42de2, 0x42e01,
    0x42e48, 0x42ea6, 0x42ec0, 0x43001, 0x43124, 0x43201, 0x432cc, 0x43301, 0x433cc, 0x433ea,
    0x43401, 0x43490, 0x434c2, 0x434e8, 0x43502, 0x43529, 0x43598, 0x435bd, 0x43618, 0x43982,
    0x439fc, 0x43a01, 0x43aa8, 0x43ac1, 0x43ac8, 0x43b09, 0x43b14, 0x43c01, 0x43c76, 0x43c9d,
    0x43ca0, 0x43cc1, 0x43d18, 0x43d46, 0x43d54, 0x43dc1, 0x43e08, 0x43ec1, 0x43f16, 0x43f30,
    0x43f81, 0x43fdc, 0x4400d, 0x440e0, 0x4414a, 0x441c0, 0x441c5, 0x441cc, 0x441d5, 0x441d8,
    0x4420d, 0x442c0, 0x44341, 0x443a4, 0x443c2, 0x443e8, 0x4440d, 0x4449c, 0x444da, 0x44500,
    0x44511, 0x44514, 0x4451d, 0x44520, 0x44541, 0x445cc, 0x445d9, 0x445dc, 0x4460d, 0x446cc,
    0x44705, 0x44714, 0x44742, 0x44769, 0x4476c, 0x44771, 0x44774, 0x44786, 0x447d4, 0x44801,
    0x44848, 0x4484d, 0x448b0, 0x448fd, 0x44904, 0x44a01, 0x44a1c, 0x44a21, 0x44a24, 0x44a29,
    0x44a38, 0x44a3d, 0x44a78, 0x44a7d, 0x44aa4, 0x44ac1, 0x44b7c, 0x44bc2, 0x44be8, 0x44c15,
    0x44c34, 0x44c3d, 0x44c44, 0x44c4d, 0x44ca4, 0x44ca9, 0x44cc4, 0x44cc9, 0x44cd0, 0x44cd5,
    0x44ce8, 0x44cf5, 0x44cf8, 0x44d41, 0x44d44, 0x44d75, 0x44d88, 0x44e01, 0x44e28, 0x44e2d,
    0x44e30, 0x44e39, 0x44e3c, 0x44e41, 0x44ed8, 0x44edd, 0x44ee0, 0x44f45, 0x44f48, 0x44f4d,
    0x44f50, 0x45001, 0x450d4, 0x4511d, 0x4512c, 0x45142, 0x45168, 0x4517d, 0x45188, 0x45201,
    0x452c0, 0x45311, 0x45318, 0x4531d, 0x45320, 0x45342, 0x45368, 0x45601, 0x456bc, 0x45761,
    0x45770, 0x45801, 0x458c0, 0x45911, 0x45914, 0x45942, 0x45968, 0x45a01, 0x45aac, 0x45ae1,
    0x45ae4, 0x45b02, 0x45b28, 0x45b42, 0x45b90, 0x45c01, 0x45c6c, 0x45cc2, 0x45cf0, 0x45d01,
    0x45d1c, 0x46001, 0x460b0, 0x46281, 0x46382, 0x463cc, 0x463fd, 0x4641c, 0x46425, 0x46428,
    0x46431, 0x46450, 0x46455, 0x4645c, 0x46461, 0x464c0, 0x464fd, 0x46500, 0x46505, 0x46508,
    0x46542, 0x46568, 0x46681, 0x466a0, 0x466a9, 0x46744, 0x46785, 0x46788, 0x4678d, 0x46790,
    0x46801, 0x46804, 0x4682d, 0x468cc, 0x468e9, 0x468ec, 0x46941, 0x46944, 0x46971, 0x46a28,
    0x46a75, 0x46a78, 0x46ac1, 0x46be4, 0x46f01, 0x46f84, 0x46fc2, 0x46fe8, 0x47001, 0x47024,
    0x47029, 0x470bc, 0x47101, 0x47104, 0x47142, 0x471b4, 0x471c9, 0x47240, 0x47401, 0x4741c,
    0x47421, 0x47428, 0x4742d, 0x474c4, 0x47519, 0x4751c, 0x47542, 0x47568, 0x47581, 0x47598,
    0x4759d, 0x475a4, 0x475a9, 0x47628, 0x47661, 0x47664, 0x47682, 0x476a8, 0x47b81, 0x47bcc,
    0x47c09, 0x47c0c, 0x47c11, 0x47c44, 0x47c49, 0x47cd0, 0x47d42, 0x47d68, 0x47ec1, 0x47ec4,
    0x47f02, 0x47f54, 0x48001, 0x48e68, 0x49002, 0x491bc, 0x49201, 0x49510, 0x4be41, 0x4bfc4,
    0x4c001, 0x4d0c0, 0x4d105, 0x4d11c, 0x4d181, 0x50fec, 0x51001, 0x5191c, 0x58401, 0x58478,
    0x584c2, 0x584e8, 0x5a001, 0x5a8e4, 0x5a901, 0x5a97c, 0x5a982, 0x5a9a8, 0x5a9c1, 0x5aafc,
    0x5ab02, 0x5ab28, 0x5ab41, 0x5abb8, 0x5ac01, 0x5acc0, 0x5ad01, 0x5ad10, 0x5ad42, 0x5ad68,
    0x5ad6e, 0x5ad88, 0x5ad8d, 0x5ade0, 0x5adf5, 0x5ae40, 0x5b501, 0x5b5b4, 0x5b5c2, 0x5b5e8,
    0x5b901, 0x5ba02, 0x5ba5c, 0x5bc01, 0x5bd2c, 0x5bd41, 0x5bd44, 0x5be4d, 0x5be80, 0x5bf81,
    0x5bf88, 0x5bf8d, 0x5bf90, 0x5c001, 0x61fe0, 0x62001, 0x63358, 0x633fd, 0x63424, 0x6bfc1,
    0x6bfd0, 0x6bfd5, 0x6bff0, 0x6bff5, 0x6bffc, 0x6c001, 0x6c48c, 0x6c4c9, 0x6c4cc, 0x6c541,
    0x6c54c, 0x6c555, 0x6c558, 0x6c591, 0x6c5a0, 0x6c5c1, 0x6cbf0, 0x6f001, 0x6f1ac, 0x6f1c1,
    0x6f1f4, 0x6f201, 0x6f224, 0x6f241, 0x6f268, 0x733c2, 0x733e8, 0x74b02, 0x74b50, 0x74b82,
    0x74bd0, 0x74d82, 0x74de4, 0x75001, 0x75154, 0x75159, 0x75274, 0x75279, 0x75280, 0x75289,
    0x7528c, 0x75295, 0x7529c, 0x752a5, 0x752b4, 0x752b9, 0x752e8, 0x752ed, 0x752f0, 0x752f5,
    0x75310, 0x75315, 0x75418, 0x7541d, 0x7542c, 0x75435, 0x75454, 0x75459, 0x75474, 0x75479,
    0x754e8, 0x754ed, 0x754fc, 0x75501, 0x75514, 0x75519, 0x7551c, 0x75529, 0x75544, 0x75549,
    0x75a98, 0x75aa1, 0x75b04, 0x75b09, 0x75b6c, 0x75b71, 0x75bec, 0x75bf1, 0x75c54, 0x75c59,
    0x75cd4, 0x75cd9, 0x75d3c, 0x75d41, 0x75dbc, 0x75dc1, 0x75e24, 0x75e29, 0x75ea4, 0x75ea9,
    0x75f0c, 0x75f11, 0x75f30, 0x75f3a, 0x76000, 0x77c01, 0x77c7c, 0x77c95, 0x77cac, 0x780c1,
    0x781b8, 0x78401, 0x784b4, 0x784dd, 0x784f8, 0x78502, 0x78528, 0x78539, 0x7853c, 0x78a41,
    0x78ab8, 0x78b01, 0x78bb0, 0x78bc2, 0x78be8, 0x79341, 0x793b0, 0x793c2, 0x793e8, 0x79741,
    0x797b8, 0x797c1, 0x797c6, 0x797ec, 0x79f81, 0x79f9c, 0x79fa1, 0x79fb0, 0x79fb5, 0x79fbc,
    0x79fc1, 0x79ffc, 0x7a001, 0x7a314, 0x7a31e, 0x7a340, 0x7a401, 0x7a510, 0x7a52d, 0x7a530,
    0x7a542, 0x7a568, 0x7b1c6, 0x7b2b0, 0x7b2b6, 0x7b2c0, 0x7b2c6, 0x7b2d4, 0x7b406, 0x7b4b8,
    0x7b4be, 0x7b4f8, 0x7b801, 0x7b810, 0x7b815, 0x7b880, 0x7b885, 0x7b88c, 0x7b891, 0x7b894,
    0x7b89d, 0x7b8a0, 0x7b8a5, 0x7b8cc, 0x7b8d1, 0x7b8e0, 0x7b8e5, 0x7b8e8, 0x7b8ed, 0x7b8f0,
    0x7b909, 0x7b90c, 0x7b91d, 0x7b920, 0x7b925, 0x7b928, 0x7b92d, 0x7b930, 0x7b935, 0x7b940,
    0x7b945, 0x7b94c, 0x7b951, 0x7b954, 0x7b95d, 0x7b960, 0x7b965, 0x7b968, 0x7b96d, 0x7b970,
    0x7b975, 0x7b978, 0x7b97d, 0x7b980, 0x7b985, 0x7b98c, 0x7b991, 0x7b994, 0x7b99d, 0x7b9ac,
    0x7b9b1, 0x7b9cc, 0x7b9d1, 0x7b9e0, 0x7b9e5, 0x7b9f4, 0x7b9f9, 0x7b9fc, 0x7ba01, 0x7ba28,
    0x7ba2d, 0x7ba70, 0x7ba85, 0x7ba90, 0x7ba95, 0x7baa8, 0x7baad, 0x7baf0, 0x7c402, 0x7c434,
    0x7efc2, 0x7efe8, 0x80001, 0xa9b80, 0xa9c01, 0xadce8, 0xadd01, 0xae078, 0xae081, 0xb3a88,
    0xb3ac1, 0xbaf84, 0xbafc1, 0xbb978, 0xbe001, 0xbe878, 0xc0001, 0xc4d2c, 0xc4d41, 0xc8ec0,
};

/* Canonical combining classes (nonzero only): runs [start, end] of one class; start word is
   (start << 8) | class. */
#define OLMOE__UCCC_N 333
static const uint32_t olmoe__uccc_start[OLMOE__UCCC_N] = {
    0x300e6, 0x315e8, 0x316dc, 0x31ae8, 0x31bd8, 0x31cdc, 0x321ca, 0x323dc, 0x327ca, 0x329dc,
    0x33401, 0x339dc, 0x33de6, 0x345f0, 0x346e6, 0x347dc, 0x34ae6, 0x34ddc, 0x350e6, 0x353dc,
    0x357e6, 0x358e8, 0x359dc, 0x35be6, 0x35ce9, 0x35dea, 0x35fe9, 0x360ea, 0x362e9, 0x363e6,
    0x483e6, 0x591dc, 0x592e6, 0x596dc, 0x597e6, 0x59ade, 0x59bdc, 0x59ce6, 0x5a2dc, 0x5a8e6,
    0x5aadc, 0x5abe6, 0x5adde, 0x5aee4, 0x5afe6, 0x5b00a, 0x5b10b, 0x5b20c, 0x5b30d, 0x5b40e,
    0x5b50f, 0x5b610, 0x5b711, 0x5b812, 0x5b913, 0x5bb14, 0x5bc15, 0x5bd16, 0x5bf17, 0x5c118,
    0x5c219, 0x5c4e6, 0x5c5dc, 0x5c712, 0x610e6, 0x6181e, 0x6191f, 0x61a20, 0x64b1b, 0x64c1c,
    0x64d1d, 0x64e1e, 0x64f1f, 0x65020, 0x65121, 0x65222, 0x653e6, 0x655dc, 0x657e6, 0x65cdc,
    0x65de6, 0x65fdc, 0x67023, 0x6d6e6, 0x6dfe6, 0x6e3dc, 0x6e4e6, 0x6e7e6, 0x6eadc, 0x6ebe6,
    0x6eddc, 0x71124, 0x730e6, 0x731dc, 0x732e6, 0x734dc, 0x735e6, 0x737dc, 0x73ae6, 0x73bdc,
    0x73de6, 0x73edc, 0x73fe6, 0x742dc, 0x743e6, 0x744dc, 0x745e6, 0x746dc, 0x747e6, 0x748dc,
    0x749e6, 0x7ebe6, 0x7f2dc, 0x7f3e6, 0x816e6, 0x81be6, 0x825e6, 0x829e6, 0x859dc, 0x8d4e6,
    0x8e3dc, 0x8e4e6, 0x8e6dc, 0x8e7e6, 0x8e9dc, 0x8eae6, 0x8eddc, 0x8f01b, 0x8f11c, 0x8f21d,
    0x8f3e6, 0x8f6dc, 0x8f7e6, 0x8f9dc, 0x8fbe6, 0x93c07, 0x94d09, 0x951e6, 0x952dc, 0x953e6,
    0x9bc07, 0x9cd09, 0xa3c07, 0xa4d09, 0xabc07, 0xacd09, 0xb3c07, 0xb4d09, 0xbcd09, 0xc4d09,
    0xc5554, 0xc565b, 0xcbc07, 0xccd09, 0xd4d09, 0xdca09, 0xe3867, 0xe3a09, 0xe486b, 0xeb876,
    0xec87a, 0xf18dc, 0xf35dc, 0xf37dc, 0xf39d8, 0xf7181, 0xf7282, 0xf7484, 0xf7a82, 0xf8082,
    0xf82e6, 0xf8409, 0xf86e6, 0xfc6dc, 0x103707, 0x103909, 0x108ddc, 0x135de6, 0x171409, 0x173409,
    0x17d209, 0x17dde6, 0x18a9e4, 0x1939de, 0x193ae6, 0x193bdc, 0x1a17e6, 0x1a18dc, 0x1a6009, 0x1a75e6,
    0x1a7fdc, 0x1ab0e6, 0x1ab5dc, 0x1abbe6, 0x1abddc, 0x1b3407, 0x1b4409, 0x1b6be6, 0x1b6cdc, 0x1b6de6,
    0x1baa09, 0x1be607, 0x1bf209, 0x1c3707, 0x1cd0e6, 0x1cd401, 0x1cd5dc, 0x1cdae6, 0x1cdcdc, 0x1ce0e6,
    0x1ce201, 0x1ceddc, 0x1cf4e6, 0x1cf8e6, 0x1dc0e6, 0x1dc2dc, 0x1dc3e6, 0x1dcadc, 0x1dcbe6, 0x1dcdea,
    0x1dced6, 0x1dcfdc, 0x1dd0ca, 0x1dd1e6, 0x1dfbe6, 0x1dfce9, 0x1dfddc, 0x1dfee6, 0x1dffdc, 0x20d0e6,
    0x20d201, 0x20d4e6, 0x20d801, 0x20dbe6, 0x20e1e6, 0x20e501, 0x20e7e6, 0x20e8dc, 0x20e9e6, 0x20ea01,
    0x20ecdc, 0x20f0e6, 0x2cefe6, 0x2d7f09, 0x2de0e6, 0x302ada, 0x302be4, 0x302ce8, 0x302dde, 0x302ee0,
    0x309908, 0xa66fe6, 0xa674e6, 0xa69ee6, 0xa6f0e6, 0xa80609, 0xa8c409, 0xa8e0e6, 0xa92bdc, 0xa95309,
    0xa9b307, 0xa9c009, 0xaab0e6, 0xaab2e6, 0xaab4dc, 0xaab7e6, 0xaabee6, 0xaac1e6, 0xaaf609, 0xabed09,
    0xfb1e1a, 0xfe20e6, 0xfe27dc, 0xfe2ee6, 0x101fddc, 0x102e0dc, 0x10376e6, 0x10a0ddc, 0x10a0fe6, 0x10a38e6,
    0x10a3901, 0x10a3adc, 0x10a3f09, 0x10ae5e6, 0x10ae6dc, 0x1104609, 0x1107f09, 0x110b909, 0x110ba07, 0x11100e6,
    0x1113309, 0x1117307, 0x111c009, 0x111ca07, 0x1123509, 0x1123607, 0x112e907, 0x112ea09, 0x1133c07, 0x1134d09,
    0x11366e6, 0x11370e6, 0x1144209, 0x1144607, 0x114c209, 0x114c307, 0x115bf09, 0x115c007, 0x1163f09, 0x116b609,
    0x116b707, 0x1172b09, 0x11c3f09, 0x16af001, 0x16b30e6, 0x1bc9e01, 0x1d165d8, 0x1d16701, 0x1d16de2, 0x1d16ed8,
    0x1d17bdc, 0x1d185e6, 0x1d18adc, 0x1d1aae6, 0x1d242e6, 0x1e000e6, 0x1e008e6, 0x1e01be6, 0x1e023e6, 0x1e026e6,
    0x1e8d0dc, 0x1e944e6, 0x1e94a07,
};
static const uint32_t olmoe__uccc_end[OLMOE__UCCC_N] = {
    0x314, 0x315, 0x319, 0x31a, 0x31b, 0x320, 0x322, 0x326, 0x328, 0x333,
    0x338, 0x33c, 0x344, 0x345, 0x346, 0x349, 0x34c, 0x34e, 0x352, 0x356,
    0x357, 0x358, 0x35a, 0x35b, 0x35c, 0x35e, 0x35f, 0x361, 0x362, 0x36f,
    0x487, 0x591, 0x595, 0x596, 0x599, 0x59a, 0x59b, 0x5a1, 0x5a7, 0x5a9,
    0x5aa, 0x5ac, 0x5ad, 0x5ae, 0x5af, 0x5b0, 0x5b1, 0x5b2, 0x5b3, 0x5b4,
    0x5b5, 0x5b6, 0x5b7, 0x5b8, 0x5ba, 0x5bb, 0x5bc, 0x5bd, 0x5bf, 0x5c1,
    0x5c2, 0x5c4, 0x5c5, 0x5c7, 0x617, 0x618, 0x619, 0x61a, 0x64b, 0x64c,
    0x64d, 0x64e, 0x64f, 0x650, 0x651, 0x652, 0x654, 0x656, 0x65b, 0x65c,
    0x65e, 0x65f, 0x670, 0x6dc, 0x6e2, 0x6e3, 0x6e4, 0x6e8, 0x6ea, 0x6ec,
    0x6ed, 0x711, 0x730, 0x731, 0x733, 0x734, 0x736, 0x739, 0x73a, 0x73c,
    0x73d, 0x73e, 0x741, 0x742, 0x743, 0x744, 0x745, 0x746, 0x747, 0x748,
    0x74a, 0x7f1, 0x7f2, 0x7f3, 0x819, 0x823, 0x827, 0x82d, 0x85b, 0x8e1,
    0x8e3, 0x8e5, 0x8e6, 0x8e8, 0x8e9, 0x8ec, 0x8ef, 0x8f0, 0x8f1, 0x8f2,
    0x8f5, 0x8f6, 0x8f8, 0x8fa, 0x8ff, 0x93c, 0x94d, 0x951, 0x952, 0x954,
    0x9bc, 0x9cd, 0xa3c, 0xa4d, 0xabc, 0xacd, 0xb3c, 0xb4d, 0xbcd, 0xc4d,
    0xc55, 0xc56, 0xcbc, 0xccd, 0xd4d, 0xdca, 0xe39, 0xe3a, 0xe4b, 0xeb9,
    0xecb, 0xf19, 0xf35, 0xf37, 0xf39, 0xf71, 0xf72, 0xf74, 0xf7d, 0xf80,
    0xf83, 0xf84, 0xf87, 0xfc6, 0x1037, 0x103a, 0x108d, 0x135f, 0x1714, 0x1734,
    0x17d2, 0x17dd, 0x18a9, 0x1939, 0x193a, 0x193b, 0x1a17, 0x1a18, 0x1a60, 0x1a7c,
    0x1a7f, 0x1ab4, 0x1aba, 0x1abc, 0x1abd, 0x1b34, 0x1b44, 0x1b6b, 0x1b6c, 0x1b73,
    0x1bab, 0x1be6, 0x1bf3, 0x1c37, 0x1cd2, 0x1cd4, 0x1cd9, 0x1cdb, 0x1cdf, 0x1ce0,
    0x1ce8, 0x1ced, 0x1cf4, 0x1cf9, 0x1dc1, 0x1dc2, 0x1dc9, 0x1dca, 0x1dcc, 0x1dcd,
    0x1dce, 0x1dcf, 0x1dd0, 0x1df5, 0x1dfb, 0x1dfc, 0x1dfd, 0x1dfe, 0x1dff, 0x20d1,
    0x20d3, 0x20d7, 0x20da, 0x20dc, 0x20e1, 0x20e6, 0x20e7, 0x20e8, 0x20e9, 0x20eb,
    0x20ef, 0x20f0, 0x2cf1, 0x2d7f, 0x2dff, 0x302a, 0x302b, 0x302c, 0x302d, 0x302f,
    0x309a, 0xa66f, 0xa67d, 0xa69f, 0xa6f1, 0xa806, 0xa8c4, 0xa8f1, 0xa92d, 0xa953,
    0xa9b3, 0xa9c0, 0xaab0, 0xaab3, 0xaab4, 0xaab8, 0xaabf, 0xaac1, 0xaaf6, 0xabed,
    0xfb1e, 0xfe26, 0xfe2d, 0xfe2f, 0x101fd, 0x102e0, 0x1037a, 0x10a0d, 0x10a0f, 0x10a38,
    0x10a39, 0x10a3a, 0x10a3f, 0x10ae5, 0x10ae6, 0x11046, 0x1107f, 0x110b9, 0x110ba, 0x11102,
    0x11134, 0x11173, 0x111c0, 0x111ca, 0x11235, 0x11236, 0x112e9, 0x112ea, 0x1133c, 0x1134d,
    0x1136c, 0x11374, 0x11442, 0x11446, 0x114c2, 0x114c3, 0x115bf, 0x115c0, 0x1163f, 0x116b6,
    0x116b7, 0x1172b, 0x11c3f, 0x16af4, 0x16b36, 0x1bc9e, 0x1d166, 0x1d169, 0x1d16d, 0x1d172,
    0x1d182, 0x1d189, 0x1d18b, 0x1d1ad, 0x1d244, 0x1e006, 0x1e018, 0x1e021, 0x1e024, 0x1e02a,
    0x1e8d6, 0x1e949, 0x1e94a,
};

/* Canonical decompositions (one level; Hangul syllables are algorithmic), sorted by code point:
   bit 63 = primary composite (NFC composes it back), bits 42..62 the code point, 21..41 the
   first part, 0..20 the second part (0 for a singleton). */
#define OLMOE__UDECOMP_N 2060
static const uint64_t olmoe__udecomp[OLMOE__UDECOMP_N] = {
    0x8003000008200300ULL, 0x8003040008200301ULL, 0x8003080008200302ULL, 0x80030c0008200303ULL,
    0x8003100008200308ULL, 0x800314000820030aULL, 0x80031c0008600327ULL, 0x8003200008a00300ULL,
    0x8003240008a00301ULL, 0x8003280008a00302ULL, 0x80032c0008a00308ULL, 0x8003300009200300ULL,
    0x8003340009200301ULL, 0x8003380009200302ULL, 0x80033c0009200308ULL, 0x8003440009c00303ULL,
    0x8003480009e00300ULL, 0x80034c0009e00301ULL, 0x8003500009e00302ULL, 0x8003540009e00303ULL,
    0x8003580009e00308ULL, 0x800364000aa00300ULL, 0x800368000aa00301ULL, 0x80036c000aa00302ULL,
    0x800370000aa00308ULL, 0x800374000b200301ULL, 0x800380000c200300ULL, 0x800384000c200301ULL,
    0x800388000c200302ULL, 0x80038c000c200303ULL, 0x800390000c200308ULL, 0x800394000c20030aULL,
    0x80039c000c600327ULL, 0x8003a0000ca00300ULL, 0x8003a4000ca00301ULL, 0x8003a8000ca00302ULL,
    0x8003ac000ca00308ULL, 0x8003b0000d200300ULL, 0x8003b4000d200301ULL, 0x8003b8000d200302ULL,
    0x8003bc000d200308ULL, 0x8003c4000dc00303ULL, 0x8003c8000de00300ULL, 0x8003cc000de00301ULL,
    0x8003d0000de00302ULL, 0x8003d4000de00303ULL, 0x8003d8000de00308ULL, 0x8003e4000ea00300ULL,
    0x8003e8000ea00301ULL, 0x8003ec000ea00302ULL, 0x8003f0000ea00308ULL, 0x8003f4000f200301ULL,
    0x8003fc000f200308ULL, 0x8004000008200304ULL, 0x800404000c200304ULL, 0x8004080008200306ULL,
    0x80040c000c200306ULL, 0x8004100008200328ULL, 0x800414000c200328ULL, 0x8004180008600301ULL,
    0x80041c000c600301ULL, 0x8004200008600302ULL, 0x800424000c600302ULL, 0x8004280008600307ULL,
    0x80042c000c600307ULL, 0x800430000860030cULL, 0x800434000c60030cULL, 0x800438000880030cULL,
    0x80043c000c80030cULL, 0x8004480008a00304ULL, 0x80044c000ca00304ULL, 0x8004500008a00306ULL,
    0x800454000ca00306ULL, 0x8004580008a00307ULL, 0x80045c000ca00307ULL, 0x8004600008a00328ULL,
    0x800464000ca00328ULL, 0x8004680008a0030cULL, 0x80046c000ca0030cULL, 0x8004700008e00302ULL,
    0x800474000ce00302ULL, 0x8004780008e00306ULL, 0x80047c000ce00306ULL, 0x8004800008e00307ULL,
    0x800484000ce00307ULL, 0x8004880008e00327ULL, 0x80048c000ce00327ULL, 0x8004900009000302ULL,
    0x800494000d000302ULL, 0x8004a00009200303ULL, 0x8004a4000d200303ULL, 0x8004a80009200304ULL,
    0x8004ac000d200304ULL, 0x8004b00009200306ULL, 0x8004b4000d200306ULL, 0x8004b80009200328ULL,
    0x8004bc000d200328ULL, 0x8004c00009200307ULL, 0x8004d00009400302ULL, 0x8004d4000d400302ULL,
    0x8004d80009600327ULL, 0x8004dc000d600327ULL, 0x8004e40009800301ULL, 0x8004e8000d800301ULL,
    0x8004ec0009800327ULL, 0x8004f0000d800327ULL, 0x8004f4000980030cULL, 0x8004f8000d80030cULL,
    0x80050c0009c00301ULL, 0x800510000dc00301ULL, 0x8005140009c00327ULL, 0x800518000dc00327ULL,
    0x80051c0009c0030cULL, 0x800520000dc0030cULL, 0x8005300009e00304ULL, 0x800534000de00304ULL,
    0x8005380009e00306ULL, 0x80053c000de00306ULL, 0x8005400009e0030bULL, 0x800544000de0030bULL,
    0x800550000a400301ULL, 0x800554000e400301ULL, 0x800558000a400327ULL, 0x80055c000e400327ULL,
    0x800560000a40030cULL, 0x800564000e40030cULL, 0x800568000a600301ULL, 0x80056c000e600301ULL,
    0x800570000a600302ULL, 0x800574000e600302ULL, 0x800578000a600327ULL, 0x80057c000e600327ULL,
    0x800580000a60030cULL, 0x800584000e60030cULL, 0x800588000a800327ULL, 0x80058c000e800327ULL,
    0x800590000a80030cULL, 0x800594000e80030cULL, 0x8005a0000aa00303ULL, 0x8005a4000ea00303ULL,
    0x8005a8000aa00304ULL, 0x8005ac000ea00304ULL, 0x8005b0000aa00306ULL, 0x8005b4000ea00306ULL,
    0x8005b8000aa0030aULL, 0x8005bc000ea0030aULL, 0x8005c0000aa0030bULL, 0x8005c4000ea0030bULL,
    0x8005c8000aa00328ULL, 0x8005cc000ea00328ULL, 0x8005d0000ae00302ULL, 0x8005d4000ee00302ULL,
    0x8005d8000b200302ULL, 0x8005dc000f200302ULL, 0x8005e0000b200308ULL, 0x8005e4000b400301ULL,
    0x8005e8000f400301ULL, 0x8005ec000b400307ULL, 0x8005f0000f400307ULL, 0x8005f4000b40030cULL,
    0x8005f8000f40030cULL, 0x8006800009e0031bULL, 0x800684000de0031bULL, 0x8006bc000aa0031bULL,
    0x8006c0000ea0031bULL, 0x800734000820030cULL, 0x800738000c20030cULL, 0x80073c000920030cULL,
    0x800740000d20030cULL, 0x8007440009e0030cULL, 0x800748000de0030cULL, 0x80074c000aa0030cULL,
    0x800750000ea0030cULL, 0x800754001b800304ULL, 0x800758001f800304ULL, 0x80075c001b800301ULL,
    0x800760001f800301ULL, 0x800764001b80030cULL, 0x800768001f80030cULL, 0x80076c001b800300ULL,
    0x800770001f800300ULL, 0x8007780018800304ULL, 0x80077c001c800304ULL, 0x8007800044c00304ULL,
    0x8007840044e00304ULL, 0x8007880018c00304ULL, 0x80078c001cc00304ULL, 0x8007980008e0030cULL,
    0x80079c000ce0030cULL, 0x8007a0000960030cULL, 0x8007a4000d60030cULL, 0x8007a80009e00328ULL,
    0x8007ac000de00328ULL, 0x8007b0003d400304ULL, 0x8007b4003d600304ULL, 0x8007b80036e0030cULL,
    0x8007bc005240030cULL, 0x8007c0000d40030cULL, 0x8007d00008e00301ULL, 0x8007d4000ce00301ULL,
    0x8007e00009c00300ULL, 0x8007e4000dc00300ULL, 0x8007e80018a00301ULL, 0x8007ec001ca00301ULL,
    0x8007f00018c00301ULL, 0x8007f4001cc00301ULL, 0x8007f8001b000301ULL, 0x8007fc001f000301ULL,
    0x800800000820030fULL, 0x800804000c20030fULL, 0x8008080008200311ULL, 0x80080c000c200311ULL,
    0x8008100008a0030fULL, 0x800814000ca0030fULL, 0x8008180008a00311ULL, 0x80081c000ca00311ULL,
    0x800820000920030fULL, 0x800824000d20030fULL, 0x8008280009200311ULL, 0x80082c000d200311ULL,
    0x8008300009e0030fULL, 0x800834000de0030fULL, 0x8008380009e00311ULL, 0x80083c000de00311ULL,
    0x800840000a40030fULL, 0x800844000e40030fULL, 0x800848000a400311ULL, 0x80084c000e400311ULL,
    0x800850000aa0030fULL, 0x800854000ea0030fULL, 0x800858000aa00311ULL, 0x80085c000ea00311ULL,
    0x800860000a600326ULL, 0x800864000e600326ULL, 0x800868000a800326ULL, 0x80086c000e800326ULL,
    0x800878000900030cULL, 0x80087c000d00030cULL, 0x8008980008200307ULL, 0x80089c000c200307ULL,
    0x8008a00008a00327ULL, 0x8008a4000ca00327ULL, 0x8008a8001ac00304ULL, 0x8008ac001ec00304ULL,
    0x8008b0001aa00304ULL, 0x8008b4001ea00304ULL, 0x8008b80009e00307ULL, 0x8008bc000de00307ULL,
    0x8008c00045c00304ULL, 0x8008c40045e00304ULL, 0x8008c8000b200304ULL, 0x8008cc000f200304ULL,
    0xd000060000000ULL, 0xd040060200000ULL, 0xd0c0062600000ULL, 0xd100061000301ULL,
    0xdd00057200000ULL, 0xdf80007600000ULL, 0x800e140015000301ULL, 0x800e180072200301ULL,
    0xe1c0016e00000ULL, 0x800e200072a00301ULL, 0x800e240072e00301ULL, 0x800e280073200301ULL,
    0x800e300073e00301ULL, 0x800e380074a00301ULL, 0x800e3c0075200301ULL, 0x800e400079400301ULL,
    0x800ea80073200308ULL, 0x800eac0074a00308ULL, 0x800eb00076200301ULL, 0x800eb40076a00301ULL,
    0x800eb80076e00301ULL, 0x800ebc0077200301ULL, 0x800ec00079600301ULL, 0x800f280077200308ULL,
    0x800f2c0078a00308ULL, 0x800f300077e00301ULL, 0x800f340078a00301ULL, 0x800f380079200301ULL,
    0x800f4c007a400301ULL, 0x800f50007a400308ULL, 0x8010000082a00300ULL, 0x8010040082a00308ULL,
    0x80100c0082600301ULL, 0x80101c0080c00308ULL, 0x8010300083400301ULL, 0x8010340083000300ULL,
    0x8010380084600306ULL, 0x8010640083000306ULL, 0x8010e40087000306ULL, 0x8011400086a00300ULL,
    0x8011440086a00308ULL, 0x80114c0086600301ULL, 0x80115c008ac00308ULL, 0x8011700087400301ULL,
    0x8011740087000300ULL, 0x8011780088600306ULL, 0x8011d8008e80030fULL, 0x8011dc008ea0030fULL,
    0x8013040082c00306ULL, 0x8013080086c00306ULL, 0x8013400082000306ULL, 0x8013440086000306ULL,
    0x8013480082000308ULL, 0x80134c0086000308ULL, 0x8013580082a00306ULL, 0x80135c0086a00306ULL,
    0x801368009b000308ULL, 0x80136c009b200308ULL, 0x8013700082c00308ULL, 0x8013740086c00308ULL,
    0x8013780082e00308ULL, 0x80137c0086e00308ULL, 0x8013880083000304ULL, 0x80138c0087000304ULL,
    0x8013900083000308ULL, 0x8013940087000308ULL, 0x8013980083c00308ULL, 0x80139c0087c00308ULL,
    0x8013a8009d000308ULL, 0x8013ac009d200308ULL, 0x8013b00085a00308ULL, 0x8013b40089a00308ULL,
    0x8013b80084600304ULL, 0x8013bc0088600304ULL, 0x8013c00084600308ULL, 0x8013c40088600308ULL,
    0x8013c8008460030bULL, 0x8013cc008860030bULL, 0x8013d00084e00308ULL, 0x8013d40088e00308ULL,
    0x8013e00085600308ULL, 0x8013e40089600308ULL, 0x80188800c4e00653ULL, 0x80188c00c4e00654ULL,
    0x80189000c9000654ULL, 0x80189400c4e00655ULL, 0x80189800c9400654ULL, 0x801b0000daa00654ULL,
    0x801b0800d8200654ULL, 0x801b4c00da400654ULL, 0x8024a4012500093cULL, 0x8024c4012600093cULL,
    0x8024d0012660093cULL, 0x25600122a0093cULL, 0x25640122c0093cULL, 0x25680122e0093cULL,
    0x256c012380093cULL, 0x2570012420093cULL, 0x2574012440093cULL, 0x2578012560093cULL,
    0x257c0125e0093cULL, 0x80272c0138e009beULL, 0x8027300138e009d7ULL, 0x277001342009bcULL,
    0x277401344009bcULL, 0x277c0135e009bcULL, 0x28cc0146400a3cULL, 0x28d80147000a3cULL,
    0x29640142c00a3cULL, 0x29680142e00a3cULL, 0x296c0143800a3cULL, 0x29780145600a3cULL,
    0x802d200168e00b56ULL, 0x802d2c0168e00b3eULL, 0x802d300168e00b57ULL, 0x2d700164200b3cULL,
    0x2d740164400b3cULL, 0x802e500172400bd7ULL, 0x802f280178c00bbeULL, 0x802f2c0178e00bbeULL,
    0x802f300178c00bd7ULL, 0x8031200188c00c56ULL, 0x8033000197e00cd5ULL, 0x80331c0198c00cd5ULL,
    0x8033200198c00cd6ULL, 0x8033280198c00cc2ULL, 0x80332c0199400cd5ULL, 0x80352801a8c00d3eULL,
    0x80352c01a8e00d3eULL, 0x80353001a8c00d57ULL, 0x80376801bb200dcaULL, 0x80377001bb200dcfULL,
    0x80377401bb800dcaULL, 0x80377801bb200ddfULL, 0x3d0c01e8400fb7ULL, 0x3d3401e9800fb7ULL,
    0x3d4801ea200fb7ULL, 0x3d5c01eac00fb7ULL, 0x3d7001eb600fb7ULL, 0x3da401e8000fb5ULL,
    0x3dcc01ee200f72ULL, 0x3dd401ee200f74ULL, 0x3dd801f6400f80ULL, 0x3de001f6600f80ULL,
    0x3e0401ee200f80ULL, 0x3e4c01f2400fb7ULL, 0x3e7401f3800fb7ULL, 0x3e8801f4200fb7ULL,
    0x3e9c01f4c00fb7ULL, 0x3eb001f5600fb7ULL, 0x3ee401f2000fb5ULL, 0x8040980204a0102eULL,
    0x806c180360a01b35ULL, 0x806c200360e01b35ULL, 0x806c280361201b35ULL, 0x806c300361601b35ULL,
    0x806c380361a01b35ULL, 0x806c480362201b35ULL, 0x806cec0367401b35ULL, 0x806cf40367801b35ULL,
    0x806d000367c01b35ULL, 0x806d040367e01b35ULL, 0x806d0c0368401b35ULL, 0x8078000008200325ULL,
    0x807804000c200325ULL, 0x8078080008400307ULL, 0x80780c000c400307ULL, 0x8078100008400323ULL,
    0x807814000c400323ULL, 0x8078180008400331ULL, 0x80781c000c400331ULL, 0x8078200018e00301ULL,
    0x807824001ce00301ULL, 0x8078280008800307ULL, 0x80782c000c800307ULL, 0x8078300008800323ULL,
    0x807834000c800323ULL, 0x8078380008800331ULL, 0x80783c000c800331ULL, 0x8078400008800327ULL,
    0x807844000c800327ULL, 0x807848000880032dULL, 0x80784c000c80032dULL, 0x8078500022400300ULL,
    0x8078540022600300ULL, 0x8078580022400301ULL, 0x80785c0022600301ULL, 0x8078600008a0032dULL,
    0x807864000ca0032dULL, 0x8078680008a00330ULL, 0x80786c000ca00330ULL, 0x8078700045000306ULL,
    0x8078740045200306ULL, 0x8078780008c00307ULL, 0x80787c000cc00307ULL, 0x8078800008e00304ULL,
    0x807884000ce00304ULL, 0x8078880009000307ULL, 0x80788c000d000307ULL, 0x8078900009000323ULL,
    0x807894000d000323ULL, 0x8078980009000308ULL, 0x80789c000d000308ULL, 0x8078a00009000327ULL,
    0x8078a4000d000327ULL, 0x8078a8000900032eULL, 0x8078ac000d00032eULL, 0x8078b00009200330ULL,
    0x8078b4000d200330ULL, 0x8078b80019e00301ULL, 0x8078bc001de00301ULL, 0x8078c00009600301ULL,
    0x8078c4000d600301ULL, 0x8078c80009600323ULL, 0x8078cc000d600323ULL, 0x8078d00009600331ULL,
    0x8078d4000d600331ULL, 0x8078d80009800323ULL, 0x8078dc000d800323ULL, 0x8078e003c6c00304ULL,
    0x8078e403c6e00304ULL, 0x8078e80009800331ULL, 0x8078ec000d800331ULL, 0x8078f0000980032dULL,
    0x8078f4000d80032dULL, 0x8078f80009a00301ULL, 0x8078fc000da00301ULL, 0x8079000009a00307ULL,
    0x807904000da00307ULL, 0x8079080009a00323ULL, 0x80790c000da00323ULL, 0x8079100009c00307ULL,
    0x807914000dc00307ULL, 0x8079180009c00323ULL, 0x80791c000dc00323ULL, 0x8079200009c00331ULL,
    0x807924000dc00331ULL, 0x8079280009c0032dULL, 0x80792c000dc0032dULL, 0x807930001aa00301ULL,
    0x807934001ea00301ULL, 0x807938001aa00308ULL, 0x80793c001ea00308ULL, 0x8079400029800300ULL,
    0x8079440029a00300ULL, 0x8079480029800301ULL, 0x80794c0029a00301ULL, 0x807950000a000301ULL,
    0x807954000e000301ULL, 0x807958000a000307ULL, 0x80795c000e000307ULL, 0x807960000a400307ULL,
    0x807964000e400307ULL, 0x807968000a400323ULL, 0x80796c000e400323ULL, 0x80797003cb400304ULL,
    0x80797403cb600304ULL, 0x807978000a400331ULL, 0x80797c000e400331ULL, 0x807980000a600307ULL,
    0x807984000e600307ULL, 0x807988000a600323ULL, 0x80798c000e600323ULL, 0x807990002b400307ULL,
    0x807994002b600307ULL, 0x807998002c000307ULL, 0x80799c002c200307ULL, 0x8079a003cc400307ULL,
    0x8079a403cc600307ULL, 0x8079a8000a800307ULL, 0x8079ac000e800307ULL, 0x8079b0000a800323ULL,
    0x8079b4000e800323ULL, 0x8079b8000a800331ULL, 0x8079bc000e800331ULL, 0x8079c0000a80032dULL,
    0x8079c4000e80032dULL, 0x8079c8000aa00324ULL, 0x8079cc000ea00324ULL, 0x8079d0000aa00330ULL,
    0x8079d4000ea00330ULL, 0x8079d8000aa0032dULL, 0x8079dc000ea0032dULL, 0x8079e0002d000301ULL,
    0x8079e4002d200301ULL, 0x8079e8002d400308ULL, 0x8079ec002d600308ULL, 0x8079f0000ac00303ULL,
    0x8079f4000ec00303ULL, 0x8079f8000ac00323ULL, 0x8079fc000ec00323ULL, 0x807a00000ae00300ULL,
    0x807a04000ee00300ULL, 0x807a08000ae00301ULL, 0x807a0c000ee00301ULL, 0x807a10000ae00308ULL,
    0x807a14000ee00308ULL, 0x807a18000ae00307ULL, 0x807a1c000ee00307ULL, 0x807a20000ae00323ULL,
    0x807a24000ee00323ULL, 0x807a28000b000307ULL, 0x807a2c000f000307ULL, 0x807a30000b000308ULL,
    0x807a34000f000308ULL, 0x807a38000b200307ULL, 0x807a3c000f200307ULL, 0x807a40000b400302ULL,
    0x807a44000f400302ULL, 0x807a48000b400323ULL, 0x807a4c000f400323ULL, 0x807a50000b400331ULL,
    0x807a54000f400331ULL, 0x807a58000d000331ULL, 0x807a5c000e800308ULL, 0x807a60000ee0030aULL,
    0x807a64000f20030aULL, 0x807a6c002fe00307ULL, 0x807a800008200323ULL, 0x807a84000c200323ULL,
    0x807a880008200309ULL, 0x807a8c000c200309ULL, 0x807a900018400301ULL, 0x807a94001c400301ULL,
    0x807a980018400300ULL, 0x807a9c001c400300ULL, 0x807aa00018400309ULL, 0x807aa4001c400309ULL,
    0x807aa80018400303ULL, 0x807aac001c400303ULL, 0x807ab003d4000302ULL, 0x807ab403d4200302ULL,
    0x807ab80020400301ULL, 0x807abc0020600301ULL, 0x807ac00020400300ULL, 0x807ac40020600300ULL,
    0x807ac80020400309ULL, 0x807acc0020600309ULL, 0x807ad00020400303ULL, 0x807ad40020600303ULL,
    0x807ad803d4000306ULL, 0x807adc03d4200306ULL, 0x807ae00008a00323ULL, 0x807ae4000ca00323ULL,
    0x807ae80008a00309ULL, 0x807aec000ca00309ULL, 0x807af00008a00303ULL, 0x807af4000ca00303ULL,
    0x807af80019400301ULL, 0x807afc001d400301ULL, 0x807b000019400300ULL, 0x807b04001d400300ULL,
    0x807b080019400309ULL, 0x807b0c001d400309ULL, 0x807b100019400303ULL, 0x807b14001d400303ULL,
    0x807b1803d7000302ULL, 0x807b1c03d7200302ULL, 0x807b200009200309ULL, 0x807b24000d200309ULL,
    0x807b280009200323ULL, 0x807b2c000d200323ULL, 0x807b300009e00323ULL, 0x807b34000de00323ULL,
    0x807b380009e00309ULL, 0x807b3c000de00309ULL, 0x807b40001a800301ULL, 0x807b44001e800301ULL,
    0x807b48001a800300ULL, 0x807b4c001e800300ULL, 0x807b50001a800309ULL, 0x807b54001e800309ULL,
    0x807b58001a800303ULL, 0x807b5c001e800303ULL, 0x807b6003d9800302ULL, 0x807b6403d9a00302ULL,
    0x807b680034000301ULL, 0x807b6c0034200301ULL, 0x807b700034000300ULL, 0x807b740034200300ULL,
    0x807b780034000309ULL, 0x807b7c0034200309ULL, 0x807b800034000303ULL, 0x807b840034200303ULL,
    0x807b880034000323ULL, 0x807b8c0034200323ULL, 0x807b90000aa00323ULL, 0x807b94000ea00323ULL,
    0x807b98000aa00309ULL, 0x807b9c000ea00309ULL, 0x807ba00035e00301ULL, 0x807ba40036000301ULL,
    0x807ba80035e00300ULL, 0x807bac0036000300ULL, 0x807bb00035e00309ULL, 0x807bb40036000309ULL,
    0x807bb80035e00303ULL, 0x807bbc0036000303ULL, 0x807bc00035e00323ULL, 0x807bc40036000323ULL,
    0x807bc8000b200300ULL, 0x807bcc000f200300ULL, 0x807bd0000b200323ULL, 0x807bd4000f200323ULL,
    0x807bd8000b200309ULL, 0x807bdc000f200309ULL, 0x807be0000b200303ULL, 0x807be4000f200303ULL,
    0x807c000076200313ULL, 0x807c040076200314ULL, 0x807c0803e0000300ULL, 0x807c0c03e0200300ULL,
    0x807c1003e0000301ULL, 0x807c1403e0200301ULL, 0x807c1803e0000342ULL, 0x807c1c03e0200342ULL,
    0x807c200072200313ULL, 0x807c240072200314ULL, 0x807c2803e1000300ULL, 0x807c2c03e1200300ULL,
    0x807c3003e1000301ULL, 0x807c3403e1200301ULL, 0x807c3803e1000342ULL, 0x807c3c03e1200342ULL,
    0x807c400076a00313ULL, 0x807c440076a00314ULL, 0x807c4803e2000300ULL, 0x807c4c03e2200300ULL,
    0x807c5003e2000301ULL, 0x807c5403e2200301ULL, 0x807c600072a00313ULL, 0x807c640072a00314ULL,
    0x807c6803e3000300ULL, 0x807c6c03e3200300ULL, 0x807c7003e3000301ULL, 0x807c7403e3200301ULL,
    0x807c800076e00313ULL, 0x807c840076e00314ULL, 0x807c8803e4000300ULL, 0x807c8c03e4200300ULL,
    0x807c9003e4000301ULL, 0x807c9403e4200301ULL, 0x807c9803e4000342ULL, 0x807c9c03e4200342ULL,
    0x807ca00072e00313ULL, 0x807ca40072e00314ULL, 0x807ca803e5000300ULL, 0x807cac03e5200300ULL,
    0x807cb003e5000301ULL, 0x807cb403e5200301ULL, 0x807cb803e5000342ULL, 0x807cbc03e5200342ULL,
    0x807cc00077200313ULL, 0x807cc40077200314ULL, 0x807cc803e6000300ULL, 0x807ccc03e6200300ULL,
    0x807cd003e6000301ULL, 0x807cd403e6200301ULL, 0x807cd803e6000342ULL, 0x807cdc03e6200342ULL,
    0x807ce00073200313ULL, 0x807ce40073200314ULL, 0x807ce803e7000300ULL, 0x807cec03e7200300ULL,
    0x807cf003e7000301ULL, 0x807cf403e7200301ULL, 0x807cf803e7000342ULL, 0x807cfc03e7200342ULL,
    0x807d000077e00313ULL, 0x807d040077e00314ULL, 0x807d0803e8000300ULL, 0x807d0c03e8200300ULL,
    0x807d1003e8000301ULL, 0x807d1403e8200301ULL, 0x807d200073e00313ULL, 0x807d240073e00314ULL,
    0x807d2803e9000300ULL, 0x807d2c03e9200300ULL, 0x807d3003e9000301ULL, 0x807d3403e9200301ULL,
    0x807d400078a00313ULL, 0x807d440078a00314ULL, 0x807d4803ea000300ULL, 0x807d4c03ea200300ULL,
    0x807d5003ea000301ULL, 0x807d5403ea200301ULL, 0x807d5803ea000342ULL, 0x807d5c03ea200342ULL,
    0x807d640074a00314ULL, 0x807d6c03eb200300ULL, 0x807d7403eb200301ULL, 0x807d7c03eb200342ULL,
    0x807d800079200313ULL, 0x807d840079200314ULL, 0x807d8803ec000300ULL, 0x807d8c03ec200300ULL,
    0x807d9003ec000301ULL, 0x807d9403ec200301ULL, 0x807d9803ec000342ULL, 0x807d9c03ec200342ULL,
    0x807da00075200313ULL, 0x807da40075200314ULL, 0x807da803ed000300ULL, 0x807dac03ed200300ULL,
    0x807db003ed000301ULL, 0x807db403ed200301ULL, 0x807db803ed000342ULL, 0x807dbc03ed200342ULL,
    0x807dc00076200300ULL, 0x7dc40075800000ULL, 0x807dc80076a00300ULL, 0x7dcc0075a00000ULL,
    0x807dd00076e00300ULL, 0x7dd40075c00000ULL, 0x807dd80077200300ULL, 0x7ddc0075e00000ULL,
    0x807de00077e00300ULL, 0x7de40079800000ULL, 0x807de80078a00300ULL, 0x7dec0079a00000ULL,
    0x807df00079200300ULL, 0x7df40079c00000ULL, 0x807e0003e0000345ULL, 0x807e0403e0200345ULL,
    0x807e0803e0400345ULL, 0x807e0c03e0600345ULL, 0x807e1003e0800345ULL, 0x807e1403e0a00345ULL,
    0x807e1803e0c00345ULL, 0x807e1c03e0e00345ULL, 0x807e2003e1000345ULL, 0x807e2403e1200345ULL,
    0x807e2803e1400345ULL, 0x807e2c03e1600345ULL, 0x807e3003e1800345ULL, 0x807e3403e1a00345ULL,
    0x807e3803e1c00345ULL, 0x807e3c03e1e00345ULL, 0x807e4003e4000345ULL, 0x807e4403e4200345ULL,
    0x807e4803e4400345ULL, 0x807e4c03e4600345ULL, 0x807e5003e4800345ULL, 0x807e5403e4a00345ULL,
    0x807e5803e4c00345ULL, 0x807e5c03e4e00345ULL, 0x807e6003e5000345ULL, 0x807e6403e5200345ULL,
    0x807e6803e5400345ULL, 0x807e6c03e5600345ULL, 0x807e7003e5800345ULL, 0x807e7403e5a00345ULL,
    0x807e7803e5c00345ULL, 0x807e7c03e5e00345ULL, 0x807e8003ec000345ULL, 0x807e8403ec200345ULL,
    0x807e8803ec400345ULL, 0x807e8c03ec600345ULL, 0x807e9003ec800345ULL, 0x807e9403eca00345ULL,
    0x807e9803ecc00345ULL, 0x807e9c03ece00345ULL, 0x807ea003ed000345ULL, 0x807ea403ed200345ULL,
    0x807ea803ed400345ULL, 0x807eac03ed600345ULL, 0x807eb003ed800345ULL, 0x807eb403eda00345ULL,
    0x807eb803edc00345ULL, 0x807ebc03ede00345ULL, 0x807ec00076200306ULL, 0x807ec40076200304ULL,
    0x807ec803ee000345ULL, 0x807ecc0076200345ULL, 0x807ed00075800345ULL, 0x807ed80076200342ULL,
    0x807edc03f6c00345ULL, 0x807ee00072200306ULL, 0x807ee40072200304ULL, 0x807ee80072200300ULL,
    0x7eec0070c00000ULL, 0x807ef00072200345ULL, 0x7ef80077200000ULL, 0x807f040015000342ULL,
    0x807f0803ee800345ULL, 0x807f0c0076e00345ULL, 0x807f100075c00345ULL, 0x807f180076e00342ULL,
    0x807f1c03f8c00345ULL, 0x807f200072a00300ULL, 0x7f240071000000ULL, 0x807f280072e00300ULL,
    0x7f2c0071200000ULL, 0x807f300072e00345ULL, 0x807f3403f7e00300ULL, 0x807f3803f7e00301ULL,
    0x807f3c03f7e00342ULL, 0x807f400077200306ULL, 0x807f440077200304ULL, 0x807f480079400300ULL,
    0x7f4c0072000000ULL, 0x807f580077200342ULL, 0x807f5c0079400342ULL, 0x807f600073200306ULL,
    0x807f640073200304ULL, 0x807f680073200300ULL, 0x7f6c0071400000ULL, 0x807f7403ffc00300ULL,
    0x807f7803ffc00301ULL, 0x807f7c03ffc00342ULL, 0x807f800078a00306ULL, 0x807f840078a00304ULL,
    0x807f880079600300ULL, 0x7f8c0076000000ULL, 0x807f900078200313ULL, 0x807f940078200314ULL,
    0x807f980078a00342ULL, 0x807f9c0079600342ULL, 0x807fa00074a00306ULL, 0x807fa40074a00304ULL,
    0x807fa80074a00300ULL, 0x7fac0071c00000ULL, 0x807fb00074200314ULL, 0x807fb40015000300ULL,
    0x7fb80070a00000ULL, 0x7fbc000c000000ULL, 0x807fc803ef800345ULL, 0x807fcc0079200345ULL,
    0x807fd00079c00345ULL, 0x807fd80079200342ULL, 0x807fdc03fec00345ULL, 0x807fe00073e00300ULL,
    0x7fe40071800000ULL, 0x807fe80075200300ULL, 0x7fec0071e00000ULL, 0x807ff00075200345ULL,
    0x7ff40016800000ULL, 0x80000400400000ULL, 0x80040400600000ULL, 0x84980075200000ULL,
    0x84a80009600000ULL, 0x84ac0018a00000ULL, 0x8086680432000338ULL, 0x80866c0432400338ULL,
    0x8086b80432800338ULL, 0x808734043a000338ULL, 0x808738043a800338ULL, 0x80873c043a400338ULL,
    0x8088100440600338ULL, 0x8088240441000338ULL, 0x8088300441600338ULL, 0x8088900444600338ULL,
    0x8088980444a00338ULL, 0x8089040447800338ULL, 0x8089100448600338ULL, 0x80891c0448a00338ULL,
    0x8089240449000338ULL, 0x8089800007a00338ULL, 0x808988044c200338ULL, 0x8089b40449a00338ULL,
    0x8089b80007800338ULL, 0x8089bc0007c00338ULL, 0x8089c0044c800338ULL, 0x8089c4044ca00338ULL,
    0x8089d0044e400338ULL, 0x8089d4044e600338ULL, 0x8089e0044ec00338ULL, 0x8089e4044ee00338ULL,
    0x808a00044f400338ULL, 0x808a04044f600338ULL, 0x808a100450400338ULL, 0x808a140450600338ULL,
    0x808a200450c00338ULL, 0x808a240450e00338ULL, 0x808ab00454400338ULL, 0x808ab40455000338ULL,
    0x808ab80455200338ULL, 0x808abc0455600338ULL, 0x808b80044f800338ULL, 0x808b84044fa00338ULL,
    0x808b880452200338ULL, 0x808b8c0452400338ULL, 0x808ba80456400338ULL, 0x808bac0456600338ULL,
    0x808bb00456800338ULL, 0x808bb40456a00338ULL, 0x8ca40601000000ULL, 0x8ca80601200000ULL,
    0xab70055ba00338ULL, 0x80c1300609603099ULL, 0x80c1380609a03099ULL, 0x80c1400609e03099ULL,
    0x80c148060a203099ULL, 0x80c150060a603099ULL, 0x80c158060aa03099ULL, 0x80c160060ae03099ULL,
    0x80c168060b203099ULL, 0x80c170060b603099ULL, 0x80c178060ba03099ULL, 0x80c180060be03099ULL,
    0x80c188060c203099ULL, 0x80c194060c803099ULL, 0x80c19c060cc03099ULL, 0x80c1a4060d003099ULL,
    0x80c1c0060de03099ULL, 0x80c1c4060de0309aULL, 0x80c1cc060e403099ULL, 0x80c1d0060e40309aULL,
    0x80c1d8060ea03099ULL, 0x80c1dc060ea0309aULL, 0x80c1e4060f003099ULL, 0x80c1e8060f00309aULL,
    0x80c1f0060f603099ULL, 0x80c1f4060f60309aULL, 0x80c2500608c03099ULL, 0x80c2780613a03099ULL,
    0x80c2b00615603099ULL, 0x80c2b80615a03099ULL, 0x80c2c00615e03099ULL, 0x80c2c80616203099ULL,
    0x80c2d00616603099ULL, 0x80c2d80616a03099ULL, 0x80c2e00616e03099ULL, 0x80c2e80617203099ULL,
    0x80c2f00617603099ULL, 0x80c2f80617a03099ULL, 0x80c3000617e03099ULL, 0x80c3080618203099ULL,
    0x80c3140618803099ULL, 0x80c31c0618c03099ULL, 0x80c3240619003099ULL, 0x80c3400619e03099ULL,
    0x80c3440619e0309aULL, 0x80c34c061a403099ULL, 0x80c350061a40309aULL, 0x80c358061aa03099ULL,
    0x80c35c061aa0309aULL, 0x80c364061b003099ULL, 0x80c368061b00309aULL, 0x80c370061b603099ULL,
    0x80c374061b60309aULL, 0x80c3d00614c03099ULL, 0x80c3dc061de03099ULL, 0x80c3e0061e003099ULL,
    0x80c3e4061e203099ULL, 0x80c3e8061e403099ULL, 0x80c3f8061fa03099ULL, 0x3e4001189000000ULL,
    0x3e4040cde800000ULL, 0x3e40811d9400000ULL, 0x3e40c1199000000ULL, 0x3e4100dda200000ULL,
    0x3e41409c6400000ULL, 0x3e4180a7ca00000ULL, 0x3e41c13f3800000ULL, 0x3e42013f3800000ULL,
    0x3e4240b2a200000ULL, 0x3e428123a200000ULL, 0x3e42c0ab0e00000ULL, 0x3e4300b29000000ULL,
    0x3e4340c3ec00000ULL, 0x3e4380ecd200000ULL, 0x3e43c0ff0a00000ULL, 0x3e44010c7e00000ULL,
    0x3e44410f7400000ULL, 0x3e448111f000000ULL, 0x3e44c1211e00000ULL, 0x3e4500d40400000ULL,
    0x3e4540da3600000ULL, 0x3e4580e1b200000ULL, 0x3e45c0e7bc00000ULL, 0x3e4601087a00000ULL,
    0x3e464122d400000ULL, 0x3e468133e200000ULL, 0x3e46c09d0400000ULL, 0x3e4700a6ea00000ULL,
    0x3e4740d60800000ULL, 0x3e4780e43600000ULL, 0x3e47c10c5a00000ULL, 0x3e48013c3c00000ULL,
    0x3e4840baa000000ULL, 0x3e4880dfd600000ULL, 0x3e48c10b9a00000ULL, 0x3e490112c800000ULL,
    0x3e4940c59200000ULL, 0x3e498103b000000ULL, 0x3e49c1103e00000ULL, 0x3e4a00bd9400000ULL,
    0x3e4a40ce2e00000ULL, 0x3e4a80dad400000ULL, 0x3e4ac0e5f800000ULL, 0x3e4b01219c00000ULL,
    0x3e4b409f0c00000ULL, 0x3e4b80a36e00000ULL, 0x3e4bc0a5bc00000ULL, 0x3e4c00c98800000ULL,
    0x3e4c40d5a600000ULL, 0x3e4c80e42000000ULL, 0x3e4cc0edce00000ULL, 0x3e4d01000200000ULL,
    0x3e4d410c0c00000ULL, 0x3e4d810cb800000ULL, 0x3e4dc11bde00000ULL, 0x3e4e012e6400000ULL,
    0x3e4e4136de00000ULL, 0x3e4e813bf400000ULL, 0x3e4ec0f11800000ULL, 0x3e4f00f2fe00000ULL,
    0x3e4f40fb4000000ULL, 0x3e4f81079200000ULL, 0x3e4fc1260800000ULL, 0x3e50013cfe00000ULL,
    0x3e504115ac00000ULL, 0x3e5080b1be00000ULL, 0x3e50c0be0800000ULL, 0x3e5100f8c000000ULL,
    0x3e514100fc00000ULL, 0x3e5180e4c400000ULL, 0x3e51c0f19400000ULL, 0x3e5201198400000ULL,
    0x3e52412dee00000ULL, 0x3e5280b1b000000ULL, 0x3e52c0b8c400000ULL, 0x3e5300d42600000ULL,
    0x3e5340dbb400000ULL, 0x3e5380de1e00000ULL, 0x3e53c0fa5e00000ULL, 0x3e5400fc6e00000ULL,
    0x3e54412c9600000ULL, 0x3e5480a5a400000ULL, 0x3e54c1011600000ULL, 0x3e5500a3b800000ULL,
    0x3e5540a39800000ULL, 0x3e5580f43800000ULL, 0x3e55c0fb7c00000ULL, 0x3e560107e200000ULL,
    0x3e56412cea00000ULL, 0x3e5681170000000ULL, 0x3e56c0c59e00000ULL, 0x3e5700d40400000ULL,
    0x3e574115fc00000ULL, 0x3e57809c7200000ULL, 0x3e57c0b7ce00000ULL, 0x3e5800c02400000ULL,
    0x3e5840e70e00000ULL, 0x3e5880eae000000ULL, 0x3e58c0a62e00000ULL, 0x3e5900f1f600000ULL,
    0x3e59409f7e00000ULL, 0x3e5980bf5200000ULL, 0x3e59c09c1a00000ULL, 0x3e5a00d99800000ULL,
    0x3e5a40caf000000ULL, 0x3e5a80fa4400000ULL, 0x3e5ac0a78600000ULL, 0x3e5b00b0bc00000ULL,
    0x3e5b40ee0200000ULL, 0x3e5b81089200000ULL, 0x3e5bc1155400000ULL, 0x3e5c00d77400000ULL,
    0x3e5c411f6000000ULL, 0x3e5c80d91000000ULL, 0x3e5cc0c5fc00000ULL, 0x3e5d0105ca00000ULL,
    0x3e5d40c74000000ULL, 0x3e5d80eaca00000ULL, 0x3e5dc09d5c00000ULL, 0x3e5e00a2d200000ULL,
    0x3e5e40a39200000ULL, 0x3e5e80d10200000ULL, 0x3e5ec0f9ce00000ULL, 0x3e5f0104de00000ULL,
    0x3e5f4115a400000ULL, 0x3e5f81239e00000ULL, 0x3e5fc0a5ea00000ULL, 0x3e6000a88400000ULL,
    0x3e6040b2e600000ULL, 0x3e6080bdd800000ULL, 0x3e60c0cb8a00000ULL, 0x3e6100dffc00000ULL,
    0x3e6140f25400000ULL, 0x3e61812b5a00000ULL, 0x3e61c134d400000ULL, 0x3e62013d2e00000ULL,
    0x3e62413d9c00000ULL, 0x3e6280a53600000ULL, 0x3e62c0cd8c00000ULL, 0x3e6300d6ee00000ULL,
    0x3e63411ec400000ULL, 0x3e6380bce800000ULL, 0x3e63c0c32000000ULL, 0x3e6400c40000000ULL,
    0x3e6440c93400000ULL, 0x3e6480de4600000ULL, 0x3e64c0e29200000ULL, 0x3e6500e91200000ULL,
    0x3e6540f39400000ULL, 0x3e6580fbe800000ULL, 0x3e65c100de00000ULL, 0x3e66011e4c00000ULL,
    0x3e664109dc00000ULL, 0x3e6681204600000ULL, 0x3e66c1269400000ULL, 0x3e6700a42e00000ULL,
    0x3e6740a54600000ULL, 0x3e6780a97a00000ULL, 0x3e67c0e19000000ULL, 0x3e6801118400000ULL,
    0x3e6841155400000ULL, 0x3e6880bd9200000ULL, 0x3e68c0bfea00000ULL, 0x3e6900c6f600000ULL,
    0x3e6940d75c00000ULL, 0x3e6980f87c00000ULL, 0x3e69c0e6ea00000ULL, 0x3e6a009dc800000ULL,
    0x3e6a40adf200000ULL, 0x3e6a80b7ce00000ULL, 0x3e6ac0bb7400000ULL, 0x3e6b00c03800000ULL,
    0x3e6b40e76400000ULL, 0x3e6b80e8d200000ULL, 0x3e6bc0ff3400000ULL, 0x3e6c01008c00000ULL,
    0x3e6c41246800000ULL, 0x3e6c812dec00000ULL, 0x3e6cc12e9000000ULL, 0x3e6d01303000000ULL,
    0x3e6d409f1600000ULL, 0x3e6d80f35c00000ULL, 0x3e6dc1236800000ULL, 0x3e6e012d7000000ULL,
    0x3e6e40c1c200000ULL, 0x3e6e809d0c00000ULL, 0x3e6ec0a1b400000ULL, 0x3e6f00b7dc00000ULL,
    0x3e6f40b87e00000ULL, 0x3e6f80cb3200000ULL, 0x3e6fc0d40400000ULL, 0x3e7000e39c00000ULL,
    0x3e7040ec8400000ULL, 0x3e708109f800000ULL, 0x3e70c120f800000ULL, 0x3e71013f1a00000ULL,
    0x3e7140cd1000000ULL, 0x3e71812c5c00000ULL, 0x3e71c0a51200000ULL, 0x3e7200cef600000ULL,
    0x3e7240cfe600000ULL, 0x3e7280da8200000ULL, 0x3e72c0dd3800000ULL, 0x3e7300e81200000ULL,
    0x3e7340eab200000ULL, 0x3e7380f0d600000ULL, 0x3e73c0fa2000000ULL, 0x3e740130bc00000ULL,
    0x3e7440a2da00000ULL, 0x3e7480c45c00000ULL, 0x3e74c12cf000000ULL, 0x3e7500a05600000ULL,
    0x3e7540ba3200000ULL, 0x3e7580dbd400000ULL, 0x3e75c11e5400000ULL, 0x3e7600bf1600000ULL,
    0x3e7640c28800000ULL, 0x3e7680d02e00000ULL, 0x3e76c0e70e00000ULL, 0x3e77012d0c00000ULL,
    0x3e7740a45200000ULL, 0x3e7780a81e00000ULL, 0x3e77c0b8ca00000ULL, 0x3e7800cc2600000ULL,
    0x3e7840ce9c00000ULL, 0x3e7880d15000000ULL, 0x3e78c0d9ca00000ULL, 0x3e7900e80c00000ULL,
    0x3e7940ebc400000ULL, 0x3e7980fef200000ULL, 0x3e79c1119e00000ULL, 0x3e7a0111c200000ULL,
    0x3e7a41239800000ULL, 0x3e7a812dc400000ULL, 0x3e7ac0a67e00000ULL, 0x3e7b00dd7400000ULL,
    0x3e7b40a83a00000ULL, 0x3e7b80e3a000000ULL, 0x3e7bc0e93000000ULL, 0x3e7c010bf400000ULL,
    0x3e7c412d4600000ULL, 0x3e7c8138ae00000ULL, 0x3e7cc13d3e00000ULL, 0x3e7d00cf2e00000ULL,
    0x3e7d40db9600000ULL, 0x3e7d8103d000000ULL, 0x3e7dc0f59600000ULL, 0x3e7e00f64000000ULL,
    0x3e7e40f92400000ULL, 0x3e7e80e58000000ULL, 0x3e7ec0e13200000ULL, 0x3e7f0116b000000ULL,
    0x3e7f409d8000000ULL, 0x3e7f81066c00000ULL, 0x3e7fc0a47400000ULL, 0x3e8000a40e00000ULL,
    0x3e8040bd4c00000ULL, 0x3e8080c5a600000ULL, 0x3e80c0f9ac00000ULL, 0x3e8100b70a00000ULL,
    0x3e8140da3c00000ULL, 0x3e8180cd6800000ULL, 0x3e81c11e7600000ULL, 0x3e8201109800000ULL,
    0x3e82412c9a00000ULL, 0x3e8281131600000ULL, 0x3e82c0bda600000ULL, 0x3e8300a28000000ULL,
    0x3e8340ab8000000ULL, 0x3e8400b0b400000ULL, 0x3e8480cce800000ULL, 0x3e8540a3bc00000ULL,
    0x3e8580e65400000ULL, 0x3e85c0ed9400000ULL, 0x3e8600f27800000ULL, 0x3e8640f2bc00000ULL,
    0x3e8680f2ca00000ULL, 0x3e86c0f31e00000ULL, 0x3e87012eac00000ULL, 0x3e8740f97c00000ULL,
    0x3e8780ff7a00000ULL, 0x3e88010c2400000ULL, 0x3e888115f000000ULL, 0x3e8941207000000ULL,
    0x3e898121fa00000ULL, 0x3e8a8131de00000ULL, 0x3e8ac131f800000ULL, 0x3e8b01325000000ULL,
    0x3e8b413b6800000ULL, 0x3e8b8121bc00000ULL, 0x3e8bc12d6e00000ULL, 0x3e8c009f5c00000ULL,
    0x3e8c40a1ce00000ULL, 0x3e8c80a29a00000ULL, 0x3e8cc0a59200000ULL, 0x3e8d00a5c800000ULL,
    0x3e8d40a6a200000ULL, 0x3e8d80ab3a00000ULL, 0x3e8dc0ac0c00000ULL, 0x3e8e00acd000000ULL,
    0x3e8e40b08000000ULL, 0x3e8e80b15000000ULL, 0x3e8ec0b8c800000ULL, 0x3e8f00b8dc00000ULL,
    0x3e8f40c12800000ULL, 0x3e8f80c2d000000ULL, 0x3e8fc0c31c00000ULL, 0x3e9000c3e400000ULL,
    0x3e9040ca9e00000ULL, 0x3e9080cbc400000ULL, 0x3e90c0cd2200000ULL, 0x3e9100d10a00000ULL,
    0x3e9140daee00000ULL, 0x3e9180dc3400000ULL, 0x3e91c0de4400000ULL, 0x3e9200e2dc00000ULL,
    0x3e9240e45600000ULL, 0x3e9280e84400000ULL, 0x3e92c0f12200000ULL, 0x3e9300f27c00000ULL,
    0x3e9340f29200000ULL, 0x3e9380f29000000ULL, 0x3e93c0f2a000000ULL, 0x3e9400f2ac00000ULL,
    0x3e9440f2ba00000ULL, 0x3e9480f31a00000ULL, 0x3e94c0f31c00000ULL, 0x3e9500f48000000ULL,
    0x3e9540f50200000ULL, 0x3e9580f78000000ULL, 0x3e95c0fbe800000ULL, 0x3e9600fc1200000ULL,
    0x3e9640fc8200000ULL, 0x3e9680fee400000ULL, 0x3e96c1000a00000ULL, 0x3e970103da00000ULL,
    0x3e974104f200000ULL, 0x3e978104f200000ULL, 0x3e97c108ae00000ULL, 0x3e9801122000000ULL,
    0x3e9841132c00000ULL, 0x3e9881160200000ULL, 0x3e98c1167200000ULL, 0x3e990119a600000ULL,
    0x3e99411a1000000ULL, 0x3e99811f6c00000ULL, 0x3e99c1207000000ULL, 0x3e9a012dc600000ULL,
    0x3e9a412ffe00000ULL, 0x3e9a81307600000ULL, 0x3e9ac0c0ea00000ULL, 0x3e9b0485dc00000ULL,
    0x3e9b41043000000ULL, 0x3e9c009c4c00000ULL, 0x3e9c40a36a00000ULL, 0x3e9c80a2d000000ULL,
    0x3e9cc09f0000000ULL, 0x3e9d00a28a00000ULL, 0x3e9d40a30000000ULL, 0x3e9d80a58e00000ULL,
    0x3e9dc0a5f400000ULL, 0x3e9e00ab3a00000ULL, 0x3e9e40aaaa00000ULL, 0x3e9e80ab3200000ULL,
    0x3e9ec0abc400000ULL, 0x3e9f00b0b400000ULL, 0x3e9f40b16600000ULL, 0x3e9f80b28800000ULL,
    0x3e9fc0b2a800000ULL, 0x3ea000b4c400000ULL, 0x3ea040b65000000ULL, 0x3ea080bda400000ULL,
    0x3ea0c0bdb200000ULL, 0x3ea100bed200000ULL, 0x3ea140bf5a00000ULL, 0x3ea180c1b000000ULL,
    0x3ea1c0c29c00000ULL, 0x3ea200c21000000ULL, 0x3ea240c31c00000ULL, 0x3ea280c2c000000ULL,
    0x3ea2c0c3e400000ULL, 0x3ea300c46800000ULL, 0x3ea340c78800000ULL, 0x3ea380c83800000ULL,
    0x3ea3c0c8a400000ULL, 0x3ea400caac00000ULL, 0x3ea440cce800000ULL, 0x3ea480ce2e00000ULL,
    0x3ea4c0ce3600000ULL, 0x3ea500ceac00000ULL, 0x3ea540d6f200000ULL, 0x3ea580d77400000ULL,
    0x3ea5c0da8200000ULL, 0x3ea600ddb600000ULL, 0x3ea640dd9600000ULL, 0x3ea680de4400000ULL,
    0x3ea6c0e03c00000ULL, 0x3ea700e2dc00000ULL, 0x3ea740ef4e00000ULL, 0x3ea780e46a00000ULL,
    0x3ea7c0e55e00000ULL, 0x3ea800e65400000ULL, 0x3ea840e8e200000ULL, 0x3ea880ea0c00000ULL,
    0x3ea8c0ea7600000ULL, 0x3ea900ec3a00000ULL, 0x3ea940ec3e00000ULL, 0x3ea980ed9400000ULL,
    0x3ea9c0edb600000ULL, 0x3eaa00ede800000ULL, 0x3eaa40ee9400000ULL, 0x3eaa80ee8000000ULL,
    0x3eaac0f19800000ULL, 0x3eab00f56200000ULL, 0x3eab40f78000000ULL, 0x3eab80f8f600000ULL,
    0x3eabc0fab600000ULL, 0x3eac00fbe800000ULL, 0x3eac40fe7c00000ULL, 0x3eac81000a00000ULL,
    0x3eacc106a400000ULL, 0x3ead0107de00000ULL, 0x3ead410ef200000ULL, 0x3ead81128200000ULL,
    0x3eadc1130c00000ULL, 0x3eae01132c00000ULL, 0x3eae41157e00000ULL, 0x3eae8115f000000ULL,
    0x3eaec1159600000ULL, 0x3eaf01160200000ULL, 0x3eaf4115fc00000ULL, 0x3eaf8115da00000ULL,
    0x3eafc1167200000ULL, 0x3eb001171400000ULL, 0x3eb0411a1000000ULL, 0x3eb0811e7000000ULL,
    0x3eb0c120e400000ULL, 0x3eb101233200000ULL, 0x3eb14124ec00000ULL, 0x3eb1812cf800000ULL,
    0x3eb1c12dc600000ULL, 0x3eb2012eac00000ULL, 0x3eb2412fb600000ULL, 0x3eb2812ffe00000ULL,
    0x3eb2c1301600000ULL, 0x3eb301307600000ULL, 0x3eb341362400000ULL, 0x3eb3813f3800000ULL,
    0x3eb3c4509400000ULL, 0x3eb404508800000ULL, 0x3eb44467aa00000ULL, 0x3eb480773a00000ULL,
    0x3eb4c0803000000ULL, 0x3eb500807200000ULL, 0x3eb544a49200000ULL, 0x3eb584b9a000000ULL,
    0x3eb5c4fda600000ULL, 0x3eb6013e8600000ULL, 0x3eb6413f1c00000ULL, 0x3ec7400bb2005b4ULL,
    0x3ec7c00be4005b7ULL, 0x3eca800bd2005c1ULL, 0x3ecac00bd2005c2ULL, 0x3ecb01f692005c1ULL,
    0x3ecb41f692005c2ULL, 0x3ecb800ba0005b7ULL, 0x3ecbc00ba0005b8ULL, 0x3ecc000ba0005bcULL,
    0x3ecc400ba2005bcULL, 0x3ecc800ba4005bcULL, 0x3eccc00ba6005bcULL, 0x3ecd000ba8005bcULL,
    0x3ecd400baa005bcULL, 0x3ecd800bac005bcULL, 0x3ece000bb0005bcULL, 0x3ece400bb2005bcULL,
    0x3ece800bb4005bcULL, 0x3ecec00bb6005bcULL, 0x3ecf000bb8005bcULL, 0x3ecf800bbc005bcULL,
    0x3ed0000bc0005bcULL, 0x3ed0400bc2005bcULL, 0x3ed0c00bc6005bcULL, 0x3ed1000bc8005bcULL,
    0x3ed1800bcc005bcULL, 0x3ed1c00bce005bcULL, 0x3ed2000bd0005bcULL, 0x3ed2400bd2005bcULL,
    0x3ed2800bd4005bcULL, 0x3ed2c00baa005b9ULL, 0x3ed3000ba2005bfULL, 0x3ed3400bb6005bfULL,
    0x3ed3800bc8005bfULL, 0x84426822132110baULL, 0x84427022136110baULL, 0x8442ac2214a110baULL,
    0x8444b82226211127ULL, 0x8444bc2226411127ULL, 0x844d2c2268e1133eULL, 0x844d302268e11357ULL,
    0x8452ec22972114baULL, 0x8452f022972114b0ULL, 0x8452f822972114bdULL, 0x8456e822b70115afULL,
    0x8456ec22b72115afULL, 0x745783a2ae1d165ULL, 0x7457c3a2b01d165ULL, 0x745803a2be1d16eULL,
    0x745843a2be1d16fULL, 0x745883a2be1d170ULL, 0x7458c3a2be1d171ULL, 0x745903a2be1d172ULL,
    0x746ec3a3721d165ULL, 0x746f03a3741d165ULL, 0x746f43a3761d16eULL, 0x746f83a3781d16eULL,
    0x746fc3a3761d16fULL, 0x747003a3781d16fULL, 0xbe00009c7a00000ULL, 0xbe00409c7000000ULL,
    0xbe00809c8200000ULL, 0xbe00c4024400000ULL, 0xbe01009ec000000ULL, 0xbe01409f5c00000ULL,
    0xbe01809f7600000ULL, 0xbe01c0a00400000ULL, 0xbe0200a0f400000ULL, 0xbe0240a13200000ULL,
    0xbe0280a1ce00000ULL, 0xbe02c0a19e00000ULL, 0xbe0300693c00000ULL, 0xbe03440c7400000ULL,
    0xbe0380a29a00000ULL, 0xbe03c0a2a800000ULL, 0xbe0400a2c800000ULL, 0xbe0440a2ee00000ULL,
    0xbe04840a3800000ULL, 0xbe04c0697200000ULL, 0xbe0500a2ce00000ULL, 0xbe0540a31a00000ULL,
    0xbe05840a9600000ULL, 0xbe05c0a32e00000ULL, 0xbe0600a34800000ULL, 0xbe06409d9800000ULL,
    0xbe0680a35800000ULL, 0xbe06c0a36a00000ULL, 0xbe070523be00000ULL, 0xbe0740a3ea00000ULL,
    0xbe0780a40600000ULL, 0xbe07c069be00000ULL, 0xbe0800a47600000ULL, 0xbe0840a48c00000ULL,
    0xbe0880a4e400000ULL, 0xbe08c0a4ee00000ULL, 0xbe09006a2a00000ULL, 0xbe0940a58e00000ULL,
    0xbe0980a59200000ULL, 0xbe09c0a5c800000ULL, 0xbe0a00a5f400000ULL, 0xbe0a40a60a00000ULL,
    0xbe0a80a60c00000ULL, 0xbe0ac0a62e00000ULL, 0xbe0b00a69200000ULL, 0xbe0b40a6a200000ULL,
    0xbe0b80a6b400000ULL, 0xbe0bc0a6e600000ULL, 0xbe0c00a6fa00000ULL, 0xbe0c40a6fe00000ULL,
    0xbe0c80a6fe00000ULL, 0xbe0cc0a6fe00000ULL, 0xbe0d04145800000ULL, 0xbe0d40e0e000000ULL,
    0xbe0d80a79400000ULL, 0xbe0dc0a7be00000ULL, 0xbe0e0416c600000ULL, 0xbe0e40a7d600000ULL,
    0xbe0e80a7e200000ULL, 0xbe0ec0a80c00000ULL, 0xbe0f00a93c00000ULL, 0xbe0f40a87000000ULL,
    0xbe0f80a89000000ULL, 0xbe0fc0a8d000000ULL, 0xbe1000a94400000ULL, 0xbe1040a9ec00000ULL,
    0xbe1080aa2000000ULL, 0xbe10c0aaa600000ULL, 0xbe1100aac600000ULL, 0xbe1140ab0800000ULL,
    0xbe1180ab0800000ULL, 0xbe11c0ab3200000ULL, 0xbe1200ab5600000ULL, 0xbe1240ab6600000ULL,
    0xbe1280ab8400000ULL, 0xbe12c0ae2c00000ULL, 0xbe1300ac0c00000ULL, 0xbe1340ae2e00000ULL,
    0xbe1380aca200000ULL, 0xbe13c0ace800000ULL, 0xbe1400a40e00000ULL, 0xbe1440b1dc00000ULL,
    0xbe1480af9c00000ULL, 0xbe14c0afe800000ULL, 0xbe1500b01a00000ULL, 0xbe1540af1600000ULL,
    0xbe1580b06400000ULL, 0xbe15c0b06200000ULL, 0xbe1600b15800000ULL, 0xbe164429c800000ULL,
    0xbe1680b1e400000ULL, 0xbe16c0b1ee00000ULL, 0xbe1700b20c00000ULL, 0xbe1740b23400000ULL,
    0xbe1780b24400000ULL, 0xbe17c0b2c400000ULL, 0xbe18042d5000000ULL, 0xbe18442dd400000ULL,
    0xbe1880b3d800000ULL, 0xbe18c0b43600000ULL, 0xbe1900b44e00000ULL, 0xbe1940b3b000000ULL,
    0xbe1980b4cc00000ULL, 0xbe19c06ddc00000ULL, 0xbe1a006df800000ULL, 0xbe1a40b61000000ULL,
    0xbe1a80b67c00000ULL, 0xbe1ac0b67c00000ULL, 0xbe1b04339000000ULL, 0xbe1b40b78600000ULL,
    0xbe1b80b7b000000ULL, 0xbe1bc0b7ce00000ULL, 0xbe1c00b7e600000ULL, 0xbe1c44363000000ULL,
    0xbe1c80b7fe00000ULL, 0xbe1cc0b80c00000ULL, 0xbe1d00bea600000ULL, 0xbe1d40b84400000ULL,
    0xbe1d806f0200000ULL, 0xbe1dc0b8c000000ULL, 0xbe1e00b8dc00000ULL, 0xbe1e40b98000000ULL,
    0xbe1e80b91a00000ULL, 0xbe1ec43bc800000ULL, 0xbe1f00ba8600000ULL, 0xbe1f443bcc00000ULL,
    0xbe1f80badc00000ULL, 0xbe1fc0bad600000ULL, 0xbe2000baf800000ULL, 0xbe2040bbc200000ULL,
    0xbe2080bbc400000ULL, 0xbe20c0705e00000ULL, 0xbe2100bbfa00000ULL, 0xbe2140bc5000000ULL,
    0xbe2180bc7a00000ULL, 0xbe21c0bcd200000ULL, 0xbe220070c400000ULL, 0xbe2244430600000ULL,
    0xbe228070f800000ULL, 0xbe22c0bd6000000ULL, 0xbe2300bd6600000ULL, 0xbe2340bd6c00000ULL,
    0xbe2380bd9400000ULL, 0xbe23c5472400000ULL, 0xbe2400bdfc00000ULL, 0xbe2444466200000ULL,
    0xbe2484466200000ULL, 0xbe24c1040200000ULL, 0xbe2500be4400000ULL, 0xbe2540be4400000ULL,
    0xbe2580718e00000ULL, 0xbe25c4657000000ULL, 0xbe2604c3b400000ULL, 0xbe2640bec400000ULL,
    0xbe2680bed600000ULL, 0xbe26c071c600000ULL, 0xbe2700bf3400000ULL, 0xbe2740bf9a00000ULL,
    0xbe2780bfae00000ULL, 0xbe27c0bff200000ULL, 0xbe2800c10200000ULL, 0xbe2840727400000ULL,
    0xbe2880723800000ULL, 0xbe28c0c12800000ULL, 0xbe29044da800000ULL, 0xbe2940c18e00000ULL,
    0xbe2980c29000000ULL, 0xbe29c0c29800000ULL, 0xbe2a00c29c00000ULL, 0xbe2a40c29800000ULL,
    0xbe2a80c2f400000ULL, 0xbe2ac0c31c00000ULL, 0xbe2b00c36400000ULL, 0xbe2b40c34800000ULL,
    0xbe2b80c35e00000ULL, 0xbe2bc0c3bc00000ULL, 0xbe2c00c3e400000ULL, 0xbe2c40c3ec00000ULL,
    0xbe2c80c42000000ULL, 0xbe2cc0c43600000ULL, 0xbe2d00c4ba00000ULL, 0xbe2d40c56200000ULL,
    0xbe2d80c5a800000ULL, 0xbe2dc0c6a000000ULL, 0xbe2e04561800000ULL, 0xbe2e40c67a00000ULL,
    0xbe2e80c5f800000ULL, 0xbe2ec0c6d000000ULL, 0xbe2f00c70600000ULL, 0xbe2f40c7c800000ULL,
    0xbe2f8457e200000ULL, 0xbe2fc0c84400000ULL, 0xbe3000c78a00000ULL, 0xbe3040c75200000ULL,
    0xbe3080745c00000ULL, 0xbe30c0c8d200000ULL, 0xbe3100c8fc00000ULL, 0xbe3140c93a00000ULL,
    0xbe3180c8ee00000ULL, 0xbe31c074d800000ULL, 0xbe3200ca9e00000ULL, 0xbe3240cad800000ULL,
    0xbe3284601400000ULL, 0xbe32c0cbc600000ULL, 0xbe3300cdf000000ULL, 0xbe3340cc9200000ULL,
    0xbe3380763200000ULL, 0xbe33c0cd2200000ULL, 0xbe3400761000000ULL, 0xbe344075c800000ULL,
    0xbe3480a32400000ULL, 0xbe34c0a32a00000ULL, 0xbe3500ce0000000ULL, 0xbe3540cd3800000ULL,
    0xbe3581015a00000ULL, 0xbe35c087b200000ULL, 0xbe3600ce2e00000ULL, 0xbe3640ce3600000ULL,
    0xbe3680ce4200000ULL, 0xbe36c0cebc00000ULL, 0xbe3700cea600000ULL, 0xbe3744678600000ULL,
    0xbe3780769200000ULL, 0xbe37c0cff400000ULL, 0xbe3800cf0a00000ULL, 0xbe3840d0a400000ULL,
    0xbe3880d10a00000ULL, 0xbe38c468da00000ULL, 0xbe3900d11c00000ULL, 0xbe3940d03e00000ULL,
    0xbe3980d22800000ULL, 0xbe39c0773a00000ULL, 0xbe3a00d28400000ULL, 0xbe3a40d34600000ULL,
    0xbe3a80d3d400000ULL, 0xbe3ac0d55000000ULL, 0xbe3b046d4600000ULL, 0xbe3b40d5b600000ULL,
    0xbe3b80783000000ULL, 0xbe3bc0d64200000ULL, 0xbe3c04714e00000ULL, 0xbe3c40d6a800000ULL,
    0xbe3c80789c00000ULL, 0xbe3cc0d6e400000ULL, 0xbe3d00d73e00000ULL, 0xbe3d40d77400000ULL,
    0xbe3d80d77600000ULL, 0xbe3dc4751a00000ULL, 0xbe3e043a1600000ULL, 0xbe3e4475f400000ULL,
    0xbe3e80d89c00000ULL, 0xbe3ec4797800000ULL, 0xbe3f00d97e00000ULL, 0xbe3f40d99a00000ULL,
    0xbe3f80d8ce00000ULL, 0xbe3fc0da2c00000ULL, 0xbe4000da7c00000ULL, 0xbe4040daee00000ULL,
    0xbe4080da8200000ULL, 0xbe40c0dad200000ULL, 0xbe4100daf000000ULL, 0xbe4140db0a00000ULL,
    0xbe41847a3c00000ULL, 0xbe41c0da6800000ULL, 0xbe4200dc5e00000ULL, 0xbe4240dcdc00000ULL,
    0xbe42807a6600000ULL, 0xbe42c0dd9600000ULL, 0xbe4300dd8e00000ULL, 0xbe43447da200000ULL,
    0xbe4380dbf200000ULL, 0xbe43c0dedc00000ULL, 0xbe44047ebc00000ULL, 0xbe44447f1c00000ULL,
    0xbe4480df8c00000ULL, 0xbe44c0e07200000ULL, 0xbe4500e03c00000ULL, 0xbe4540e03600000ULL,
    0xbe45807b2c00000ULL, 0xbe45c0e09400000ULL, 0xbe4600e0fa00000ULL, 0xbe4640e0ee00000ULL,
    0xbe4680e15a00000ULL, 0xbe46c40a4a00000ULL, 0xbe4700e28a00000ULL, 0xbe474484c600000ULL,
    0xbe4780e33800000ULL, 0xbe47c4875600000ULL, 0xbe4800e45000000ULL, 0xbe4840e46a00000ULL,
    0xbe4880e4a000000ULL, 0xbe48c48c1000000ULL, 0xbe4900e50000000ULL, 0xbe4940e52a00000ULL,
    0xbe49848e6a00000ULL, 0xbe49c4902800000ULL, 0xbe4a00e6f400000ULL, 0xbe4a40e71600000ULL,
    0xbe4a807d5800000ULL, 0xbe4ac0e74a00000ULL, 0xbe4b007d7000000ULL, 0xbe4b407d7000000ULL,
    0xbe4b80e88e00000ULL, 0xbe4bc0e8b800000ULL, 0xbe4c00e8e200000ULL, 0xbe4c40e90a00000ULL,
    0xbe4c80e99400000ULL, 0xbe4cc07e3600000ULL, 0xbe4d00ea4800000ULL, 0xbe4d44986c00000ULL,
    0xbe4d80ea7c00000ULL, 0xbe4dc4992400000ULL, 0xbe4e00eae000000ULL, 0xbe4e44433e00000ULL,
    0xbe4e80ec2000000ULL, 0xbe4ec49f4200000ULL, 0xbe4f049f7000000ULL, 0xbe4f44a08800000ULL,
    0xbe4f807ff800000ULL, 0xbe4fc0801000000ULL, 0xbe5000ede800000ULL, 0xbe5044a1e600000ULL,
    0xbe5084a1e400000ULL, 0xbe50c4a23200000ULL, 0xbe5104a26600000ULL, 0xbe5140ee3c00000ULL,
    0xbe5180ee3e00000ULL, 0xbe51c0ee3e00000ULL, 0xbe5200ee9400000ULL, 0xbe5240807200000ULL,
    0xbe5280ef1600000ULL, 0xbe52c0808c00000ULL, 0xbe5300812c00000ULL, 0xbe5344a83a00000ULL,
    0xbe5380f09c00000ULL, 0xbe53c0f11800000ULL, 0xbe5400f19800000ULL, 0xbe544081c600000ULL,
    0xbe5484ac4c00000ULL, 0xbe54c0f2ac00000ULL, 0xbe5504ad3400000ULL, 0xbe5544ad8a00000ULL,
    0xbe5580f31e00000ULL, 0xbe55c0f3d600000ULL, 0xbe5600825e00000ULL, 0xbe5640f48000000ULL,
    0xbe5680f49400000ULL, 0xbe56c0f49e00000ULL, 0xbe5704b2f800000ULL, 0xbe5744b54e00000ULL,
    0xbe5784b54e00000ULL, 0xbe57c0f5dc00000ULL, 0xbe5800840400000ULL, 0xbe5844b75600000ULL,
    0xbe5880f78c00000ULL, 0xbe58c0f79200000ULL, 0xbe5900844e00000ULL, 0xbe5944b90000000ULL,
    0xbe5980f9a400000ULL, 0xbe59c0854000000ULL, 0xbe5a00f9d000000ULL, 0xbe5a40f9c600000ULL,
    0xbe5a80fa0000000ULL, 0xbe5ac4bf0c00000ULL, 0xbe5b00fac600000ULL, 0xbe5b40860200000ULL,
    0xbe5b80fb8e00000ULL, 0xbe5bc0fc0400000ULL, 0xbe5c00fc8a00000ULL, 0xbe5c40866800000ULL,
    0xbe5c84c45000000ULL, 0xbe5cc4c48e00000ULL, 0xbe5d0086b200000ULL, 0xbe5d44c5b200000ULL,
    0xbe5d80fef400000ULL, 0xbe5dc4c67c00000ULL, 0xbe5e00ff2a00000ULL, 0xbe5e40fff400000ULL,
    0xbe5e81000a00000ULL, 0xbe5ec4c9b400000ULL, 0xbe5f04ca4600000ULL, 0xbe5f4100c000000ULL,
    0xbe5f84cb5000000ULL, 0xbe5fc100e000000ULL, 0xbe600466be00000ULL, 0xbe604087aa00000ULL,
    0xbe6081016400000ULL, 0xbe60c1020600000ULL, 0xbe6100881600000ULL, 0xbe6141027c00000ULL,
    0xbe6180b56a00000ULL, 0xbe61c4cf4e00000ULL, 0xbe6204cf6a00000ULL, 0xbe6244672600000ULL,
    0xbe6284673800000ULL, 0xbe62c1040200000ULL, 0xbe6301040800000ULL, 0xbe63411f3c00000ULL,
    0xbe638088d600000ULL, 0xbe63c1052200000ULL, 0xbe6401051600000ULL, 0xbe6441053a00000ULL,
    0xbe6480a56600000ULL, 0xbe64c1056200000ULL, 0xbe6501056600000ULL, 0xbe6541057a00000ULL,
    0xbe658105cc00000ULL, 0xbe65c4d67800000ULL, 0xbe660105ca00000ULL, 0xbe6641063a00000ULL,
    0xbe668106c600000ULL, 0xbe66c1075a00000ULL, 0xbe6701064600000ULL, 0xbe6741077a00000ULL,
    0xbe678107ce00000ULL, 0xbe67c108ae00000ULL, 0xbe680106a600000ULL, 0xbe6841079400000ULL,
    0xbe6881079800000ULL, 0xbe68c107b800000ULL, 0xbe6904d86c00000ULL, 0xbe6944dad600000ULL,
    0xbe6984d9aa00000ULL, 0xbe69c08a5600000ULL, 0xbe6a0109e200000ULL, 0xbe6a4109e600000ULL,
    0xbe6a810a2c00000ULL, 0xbe6ac4e79400000ULL, 0xbe6b010ac800000ULL, 0xbe6b44de5800000ULL,
    0xbe6b808aba00000ULL, 0xbe6bc08ac200000ULL, 0xbe6c04df6200000ULL, 0xbe6c44e1a400000ULL,
    0xbe6c808ad600000ULL, 0xbe6cc10ca000000ULL, 0xbe6d010cb800000ULL, 0xbe6d410cce00000ULL,
    0xbe6d810cd200000ULL, 0xbe6dc10d5200000ULL, 0xbe6e010d1000000ULL, 0xbe6e410e1c00000ULL,
    0xbe6e810dc400000ULL, 0xbe6ec10ef200000ULL, 0xbe6f010e5000000ULL, 0xbe6f410ed600000ULL,
    0xbe6f810f0c00000ULL, 0xbe6fc08bae00000ULL, 0xbe70010fc200000ULL, 0xbe7041100200000ULL,
    0xbe70808bf200000ULL, 0xbe70c110c000000ULL, 0xbe710110c600000ULL, 0xbe7144ecce00000ULL,
    0xbe718111ae00000ULL, 0xbe71c111bc00000ULL, 0xbe72008c6a00000ULL, 0xbe724111f400000ULL,
    0xbe7280697600000ULL, 0xbe72c4f15c00000ULL, 0xbe7304f2cc00000ULL, 0xbe73408d7c00000ULL,
    0xbe73808d8e00000ULL, 0xbe73c1154000000ULL, 0xbe740115da00000ULL, 0xbe7441171400000ULL,
    0xbe748118aa00000ULL, 0xbe74c4f95000000ULL, 0xbe7501195600000ULL, 0xbe7541198200000ULL,
    0xbe75811a3600000ULL, 0xbe75c11aee00000ULL, 0xbe7604fe5e00000ULL, 0xbe7644100800000ULL,
    0xbe76811b9600000ULL, 0xbe76c11b7800000ULL, 0xbe77011be000000ULL, 0xbe774411bc00000ULL,
    0xbe77811da800000ULL, 0xbe77c11e7000000ULL, 0xbe78050ba400000ULL, 0xbe78450bda00000ULL,
    0xbe7881212800000ULL, 0xbe78c121e200000ULL, 0xbe7901222200000ULL, 0xbe79450e5c00000ULL,
    0xbe7981223600000ULL, 0xbe79c1247000000ULL, 0xbe7a0125ae00000ULL, 0xbe7a4125b000000ULL,
    0xbe7a8124f800000ULL, 0xbe7ac127f200000ULL, 0xbe7b01282a00000ULL, 0xbe7b4517f400000ULL,
    0xbe7b812b1600000ULL, 0xbe7bc0932a00000ULL, 0xbe7c012b6e00000ULL, 0xbe7c451aee00000ULL,
    0xbe7c8093cc00000ULL, 0xbe7cc12d8600000ULL, 0xbe7d00bb6400000ULL, 0xbe7d412e4600000ULL,
    0xbe7d85228a00000ULL, 0xbe7dc5243400000ULL, 0xbe7e0094dc00000ULL, 0xbe7e4094ec00000ULL,
    0xbe7e812fc000000ULL, 0xbe7ec5281400000ULL, 0xbe7f00956400000ULL, 0xbe7f45292c00000ULL,
    0xbe7f81301600000ULL, 0xbe7fc1301600000ULL, 0xbe8001305200000ULL, 0xbe80452b6c00000ULL,
    0xbe808131c400000ULL, 0xbe80c0966600000ULL, 0xbe8101325200000ULL, 0xbe8141334e00000ULL,
    0xbe8181338400000ULL, 0xbe81c133fc00000ULL, 0xbe8200979c00000ULL, 0xbe8245366000000ULL,
    0xbe8281362400000ULL, 0xbe82c1388000000ULL, 0xbe830139fa00000ULL, 0xbe8340999c00000ULL,
    0xbe838099da00000ULL, 0xbe83c13ace00000ULL, 0xbe8405419c00000ULL, 0xbe844099f000000ULL,
    0xbe8485420a00000ULL, 0xbe84c5441c00000ULL, 0xbe8505452200000ULL, 0xbe85413d7600000ULL,
    0xbe85809aac00000ULL, 0xbe85c13df200000ULL, 0xbe86013dfc00000ULL, 0xbe86413e0a00000ULL,
    0xbe86813e1e00000ULL, 0xbe86c13e2c00000ULL, 0xbe87013e7600000ULL, 0xbe87454c0000000ULL,
};

/* Primary composites: indices into olmoe__udecomp, sorted by (first part, second part). */
#define OLMOE__UCOMP_N 940
static const uint16_t olmoe__ucomp[OLMOE__UCOMP_N] = {
    912, 909, 913, 0, 1, 2, 3, 53, 55, 238, 4, 572, 5, 165, 208, 210,
    570, 415, 57, 417, 419, 421, 59, 61, 63, 65, 6, 425, 67, 427, 431, 433,
    429, 7, 8, 9, 598, 69, 71, 73, 10, 596, 77, 212, 214, 594, 240, 75,
    439, 441, 445, 198, 79, 447, 81, 83, 187, 85, 87, 449, 453, 236, 451, 455,
    457, 11, 12, 13, 89, 91, 93, 97, 14, 610, 167, 216, 218, 612, 95, 459,
    98, 463, 189, 465, 100, 467, 102, 106, 469, 104, 475, 473, 477, 479, 481, 200,
    108, 15, 483, 112, 485, 110, 489, 487, 16, 17, 18, 19, 114, 116, 246, 20,
    616, 118, 169, 220, 222, 161, 614, 191, 499, 501, 120, 503, 124, 224, 226, 505,
    122, 509, 126, 128, 511, 132, 513, 232, 130, 521, 136, 523, 234, 134, 527, 525,
    21, 22, 23, 138, 140, 142, 24, 640, 144, 146, 171, 228, 230, 163, 638, 529,
    148, 533, 531, 539, 541, 543, 545, 150, 549, 547, 551, 553, 555, 652, 25, 152,
    658, 250, 557, 154, 656, 654, 155, 559, 157, 159, 561, 563, 26, 27, 28, 29,
    54, 56, 239, 30, 573, 31, 166, 209, 211, 571, 416, 58, 418, 420, 422, 60,
    62, 64, 66, 32, 426, 68, 428, 432, 434, 430, 33, 34, 35, 599, 70, 72,
    74, 36, 597, 78, 213, 215, 595, 241, 76, 440, 442, 446, 199, 80, 448, 82,
    84, 188, 86, 88, 450, 454, 237, 452, 456, 458, 565, 37, 38, 39, 90, 92,
    94, 40, 611, 168, 217, 219, 613, 96, 460, 99, 197, 464, 190, 466, 101, 468,
    103, 107, 470, 105, 476, 474, 478, 480, 482, 201, 109, 41, 484, 113, 486, 111,
    490, 488, 42, 43, 44, 45, 115, 117, 247, 46, 617, 119, 170, 221, 223, 162,
    615, 192, 500, 502, 121, 504, 125, 225, 227, 506, 123, 510, 127, 129, 512, 133,
    514, 233, 131, 522, 566, 137, 524, 235, 135, 528, 526, 47, 48, 49, 139, 141,
    143, 50, 641, 145, 147, 172, 229, 231, 164, 639, 530, 149, 534, 532, 540, 542,
    544, 546, 151, 550, 548, 567, 552, 554, 556, 653, 51, 153, 659, 251, 558, 52,
    657, 568, 655, 156, 560, 158, 160, 562, 564, 875, 258, 835, 576, 574, 580, 578,
    181, 202, 204, 185, 423, 602, 600, 606, 604, 461, 620, 618, 624, 622, 491, 244,
    493, 242, 206, 179, 175, 173, 177, 577, 575, 581, 579, 182, 203, 205, 186, 424,
    603, 601, 607, 605, 462, 621, 619, 625, 623, 492, 245, 494, 243, 207, 180, 176,
    174, 178, 586, 584, 590, 588, 587, 585, 591, 589, 435, 437, 436, 438, 495, 497,
    496, 498, 515, 516, 517, 518, 535, 536, 537, 538, 569, 630, 628, 634, 632, 636,
    631, 629, 635, 633, 637, 644, 642, 648, 646, 650, 645, 643, 649, 647, 651, 195,
    193, 194, 183, 184, 443, 444, 248, 249, 196, 831, 259, 830, 829, 668, 669, 833,
    841, 261, 682, 683, 843, 262, 696, 697, 845, 857, 263, 856, 855, 268, 712, 713,
    883, 264, 726, 727, 874, 872, 265, 871, 870, 269, 740, 885, 266, 752, 753, 887,
    826, 838, 760, 270, 823, 822, 660, 661, 827, 825, 762, 271, 676, 677, 764, 272,
    688, 689, 839, 837, 766, 273, 850, 849, 275, 704, 705, 853, 768, 277, 720, 721,
    866, 867, 770, 278, 863, 862, 276, 732, 733, 868, 772, 279, 744, 745, 881, 879,
    851, 267, 854, 864, 274, 869, 880, 280, 281, 285, 302, 304, 284, 282, 306, 283,
    300, 310, 312, 287, 314, 289, 316, 286, 318, 324, 288, 326, 328, 330, 332, 322,
    303, 305, 293, 291, 307, 292, 301, 311, 313, 296, 315, 290, 317, 295, 319, 325,
    297, 327, 329, 331, 333, 323, 294, 298, 299, 308, 309, 320, 321, 334, 335, 337,
    336, 338, 340, 341, 339, 342, 343, 344, 353, 354, 365, 364, 366, 369, 370, 372,
    371, 373, 374, 377, 375, 376, 378, 379, 381, 380, 382, 383, 385, 384, 403, 404,
    405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 471, 472, 507, 508, 519, 520,
    582, 592, 583, 593, 608, 609, 626, 627, 662, 664, 666, 774, 663, 665, 667, 775,
    776, 777, 778, 779, 780, 781, 670, 672, 674, 782, 671, 673, 675, 783, 784, 785,
    786, 787, 788, 789, 678, 680, 679, 681, 684, 686, 685, 687, 690, 692, 694, 790,
    691, 693, 695, 791, 792, 793, 794, 795, 796, 797, 698, 700, 702, 798, 699, 701,
    703, 799, 800, 801, 802, 803, 804, 805, 706, 708, 710, 707, 709, 711, 714, 716,
    718, 715, 717, 719, 722, 724, 723, 725, 728, 730, 729, 731, 734, 736, 738, 735,
    737, 739, 741, 742, 743, 746, 748, 750, 806, 747, 749, 751, 807, 808, 809, 810,
    811, 812, 813, 754, 756, 758, 814, 755, 757, 759, 815, 816, 817, 818, 819, 820,
    821, 824, 836, 878, 828, 846, 847, 848, 840, 882, 859, 860, 861, 894, 895, 896,
    897, 899, 898, 900, 901, 902, 903, 904, 905, 906, 907, 908, 911, 910, 914, 915,
    916, 917, 918, 919, 920, 921, 930, 931, 922, 923, 924, 925, 932, 933, 926, 927,
    928, 929, 934, 935, 936, 937, 966, 941, 942, 943, 944, 945, 946, 947, 948, 949,
    950, 951, 952, 953, 954, 955, 956, 957, 958, 959, 960, 961, 962, 963, 964, 965,
    967, 993, 968, 969, 970, 971, 972, 973, 974, 975, 976, 977, 978, 979, 980, 981,
    982, 983, 984, 985, 986, 987, 988, 989, 990, 991, 992, 994, 995, 996, 997, 998,
    1493, 1494, 1495, 1496, 1497, 1498, 1499, 1501, 1500, 1502, 1503, 1504,
};

/* Code points that can combine with a preceding character (NFC_Quick_Check = Maybe), sorted;
   Hangul V and T jamo are handled in code. */
#define OLMOE__UMAYBE_N 62
static const uint32_t olmoe__umaybe[OLMOE__UMAYBE_N] = {
    0x300, 0x301, 0x302, 0x303, 0x304, 0x306, 0x307, 0x308, 0x309, 0x30a, 0x30b, 0x30c,
    0x30f, 0x311, 0x313, 0x314, 0x31b, 0x323, 0x324, 0x325, 0x326, 0x327, 0x328, 0x32d,
    0x32e, 0x330, 0x331, 0x338, 0x342, 0x345, 0x653, 0x654, 0x655, 0x93c, 0x9be, 0x9d7,
    0xb3e, 0xb56, 0xb57, 0xbbe, 0xbd7, 0xc56, 0xcc2, 0xcd5, 0xcd6, 0xd3e, 0xd57, 0xdca,
    0xdcf, 0xddf, 0x102e, 0x1b35, 0x3099, 0x309a, 0x110ba, 0x11127, 0x1133e, 0x11357, 0x114b0, 0x114ba,
    0x114bd, 0x115af,
};
/* >>unicode_tables: END */

/* ---- Unicode lookups ---------------------------------------------------------------------- */
enum { OLMOE__C_OTHER = 0, OLMOE__C_L = 1, OLMOE__C_N = 2, OLMOE__C_WS = 3 };
#define OLMOE__BAD_UNIT 0x110000u /* unit value of an ill-formed byte b: OLMOE__BAD_UNIT | b */

static int olmoe__uclass_of(uint32_t cp) {
    int lo = 0, hi = OLMOE__UCLASS_N - 1;
    if (cp < 128) {
        if ((cp | 32) - 'a' < 26) return OLMOE__C_L;
        if (cp - '0' < 10) return OLMOE__C_N;
        if (cp == ' ' || (cp >= 9 && cp <= 13)) return OLMOE__C_WS;
        return OLMOE__C_OTHER;
    }
    if (cp >= 0x110000) return OLMOE__C_OTHER;
    while (lo < hi) { /* last entry whose start <= cp */
        int mid = (lo + hi + 1) >> 1;
        if ((olmoe__uclass[mid] >> 2) <= cp) lo = mid; else hi = mid - 1;
    }
    return (int)(olmoe__uclass[lo] & 3);
}

static int olmoe__ccc(uint32_t cp) {
    int lo = 0, hi = OLMOE__UCCC_N - 1;
    if (cp < 0x300 || cp >= 0x110000) return 0;
    while (lo < hi) {
        int mid = (lo + hi + 1) >> 1;
        if ((olmoe__uccc_start[mid] >> 8) <= cp) lo = mid; else hi = mid - 1;
    }
    if ((olmoe__uccc_start[lo] >> 8) <= cp && cp <= olmoe__uccc_end[lo]) return (int)(olmoe__uccc_start[lo] & 255);
    return 0;
}

#define OLMOE__DEC_CP(e) ((uint32_t)(((e) >> 42) & 0x1FFFFF))
#define OLMOE__DEC_A(e) ((uint32_t)(((e) >> 21) & 0x1FFFFF))
#define OLMOE__DEC_B(e) ((uint32_t)((e) & 0x1FFFFF))
#define OLMOE__DEC_COMPOSES(e) ((int)((e) >> 63))

static int olmoe__decomp_find(uint32_t cp) {
    int lo = 0, hi = OLMOE__UDECOMP_N - 1;
    if (cp < 0xC0 || cp >= 0x110000) return -1;
    while (lo <= hi) {
        int mid = (lo + hi) >> 1;
        uint32_t c = OLMOE__DEC_CP(olmoe__udecomp[mid]);
        if (c == cp) return mid;
        if (c < cp) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
}

/* Hangul syllable constants (Unicode ch. 3.12) */
#define OLMOE__H_SB 0xAC00u
#define OLMOE__H_LB 0x1100u
#define OLMOE__H_VB 0x1161u
#define OLMOE__H_TB 0x11A7u
#define OLMOE__H_LC 19u
#define OLMOE__H_VC 21u
#define OLMOE__H_TC 28u
#define OLMOE__H_NC (OLMOE__H_VC * OLMOE__H_TC)
#define OLMOE__H_SC (OLMOE__H_LC * OLMOE__H_NC)

static uint32_t olmoe__compose(uint32_t a, uint32_t b) {
    int lo = 0, hi = OLMOE__UCOMP_N - 1;
    if (a - OLMOE__H_LB < OLMOE__H_LC && b - OLMOE__H_VB < OLMOE__H_VC)
        return OLMOE__H_SB + ((a - OLMOE__H_LB) * OLMOE__H_VC + (b - OLMOE__H_VB)) * OLMOE__H_TC;
    if (a - OLMOE__H_SB < OLMOE__H_SC && (a - OLMOE__H_SB) % OLMOE__H_TC == 0 && b > OLMOE__H_TB && b < OLMOE__H_TB + OLMOE__H_TC)
        return a + (b - OLMOE__H_TB);
    while (lo <= hi) {
        int mid = (lo + hi) >> 1;
        uint64_t e = olmoe__udecomp[olmoe__ucomp[mid]];
        uint32_t ea = OLMOE__DEC_A(e), eb = OLMOE__DEC_B(e);
        if (ea == a && eb == b) return OLMOE__DEC_CP(e);
        if (ea < a || (ea == a && eb < b)) lo = mid + 1; else hi = mid - 1;
    }
    return 0;
}

/* NFC_Quick_Check = Maybe: the code point may combine with what precedes it. */
static int olmoe__nfc_maybe(uint32_t cp) {
    int lo = 0, hi = OLMOE__UMAYBE_N - 1;
    if (cp < 0x300 || cp >= 0x110000) return 0;
    if (cp - OLMOE__H_VB < OLMOE__H_VC || (cp > OLMOE__H_TB && cp < OLMOE__H_TB + OLMOE__H_TC)) return 1;
    while (lo <= hi) {
        int mid = (lo + hi) >> 1;
        if (olmoe__umaybe[mid] == cp) return 1;
        if (olmoe__umaybe[mid] < cp) lo = mid + 1; else hi = mid - 1;
    }
    return 0;
}

/* A normalization boundary: NFC of the text splits into independent parts before such a unit
   (class 0, NFC_QC = Yes, never combines backwards). */
static int olmoe__nfc_stable(uint32_t u) {
    int d;
    if (u < 0x300 || u >= 0x110000) return 1;
    if (olmoe__ccc(u) || olmoe__nfc_maybe(u)) return 0;
    d = olmoe__decomp_find(u);
    return d < 0 || OLMOE__DEC_COMPOSES(olmoe__udecomp[d]);
}

/* ---- UTF-8 -------------------------------------------------------------------------------- */
/* Second byte range of a well-formed sequence (Unicode table 3-7); 0 if b0 cannot lead one. */
static int olmoe__utf8_len(unsigned char b0) {
    if (b0 < 0x80) return 1;
    if (b0 < 0xC2) return 0;
    if (b0 < 0xE0) return 2;
    if (b0 < 0xF0) return 3;
    if (b0 < 0xF5) return 4;
    return 0;
}
static int olmoe__utf8_cont_ok(unsigned char b0, int idx, unsigned char b) {
    if (idx == 1) {
        if (b0 == 0xE0) return b >= 0xA0 && b <= 0xBF;
        if (b0 == 0xED) return b >= 0x80 && b <= 0x9F;
        if (b0 == 0xF0) return b >= 0x90 && b <= 0xBF;
        if (b0 == 0xF4) return b >= 0x80 && b <= 0x8F;
    }
    return b >= 0x80 && b <= 0xBF;
}

/* Decodes one unit of s[0..n): a code point, or OLMOE__BAD_UNIT | byte for a byte that does not
   start a well-formed sequence. Returns the bytes consumed (>= 1). */
static int olmoe__utf8_next(const unsigned char *s, size_t n, uint32_t *u) {
    int len = olmoe__utf8_len(s[0]), i;
    uint32_t cp;
    if (len == 1) { *u = s[0]; return 1; }
    if (len == 0 || (size_t)len > n) { *u = OLMOE__BAD_UNIT | s[0]; return 1; }
    for (i = 1; i < len; i++)
        if (!olmoe__utf8_cont_ok(s[0], i, s[i])) { *u = OLMOE__BAD_UNIT | s[0]; return 1; }
    if (len == 2) cp = ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    else if (len == 3) cp = ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    else cp = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) | ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    *u = cp;
    return len;
}

static int olmoe__utf8_put(uint32_t u, unsigned char *o) {
    if (u >= OLMOE__BAD_UNIT) { o[0] = (unsigned char)(u & 0xFF); return 1; }
    if (u < 0x80) { o[0] = (unsigned char)u; return 1; }
    if (u < 0x800) { o[0] = (unsigned char)(0xC0 | (u >> 6)); o[1] = (unsigned char)(0x80 | (u & 0x3F)); return 2; }
    if (u < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (u >> 12)); o[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (u & 0x3F)); return 3;
    }
    o[0] = (unsigned char)(0xF0 | (u >> 18)); o[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3F)); o[3] = (unsigned char)(0x80 | (u & 0x3F));
    return 4;
}

/* Lossy UTF-8 stream (Rust from_utf8_lossy): pend[0..*np) is an incomplete well-formed prefix.
   Bytes go to out[*pos..] while they fit in cap; *pos counts all of them. */
static void olmoe__lossy_emit(char *out, size_t cap, size_t *pos, const unsigned char *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++, (*pos)++)
        if (*pos < cap) out[*pos] = (char)b[i];
}
static const unsigned char olmoe__fffd[3] = {0xEF, 0xBF, 0xBD};
static void olmoe__lossy_feed(unsigned char *pend, int *np, const unsigned char *s, size_t n,
                              char *out, size_t cap, size_t *pos) {
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        if (*np == 0) {
            int len = olmoe__utf8_len(b);
            if (len == 1) {
                size_t j = i + 1; /* ASCII run */
                while (j < n && s[j] < 0x80) j++;
                olmoe__lossy_emit(out, cap, pos, s + i, j - i);
                i = j;
                continue;
            }
            if (len == 0) olmoe__lossy_emit(out, cap, pos, olmoe__fffd, 3);
            else { pend[0] = b; *np = 1; }
            i++;
        } else if (olmoe__utf8_cont_ok(pend[0], *np, b)) {
            pend[(*np)++] = b;
            if (*np == olmoe__utf8_len(pend[0])) { olmoe__lossy_emit(out, cap, pos, pend, (size_t)*np); *np = 0; }
            i++;
        } else {
            olmoe__lossy_emit(out, cap, pos, olmoe__fffd, 3); /* b is looked at again */
            *np = 0;
        }
    }
}

/* ---- scratch (per call; the model stays immutable) ------------------------------------------ */
typedef struct olmoe__cache_ent { /* a cached piece: hash, bytes in cbytes, ids in cids */
    uint64_t h;
    uint32_t bytes, ids;
    uint16_t len, n_ids;
} olmoe__cache_ent;

typedef struct olmoe__tokscratch {
    unsigned char *norm; size_t norm_cap;       /* NFC output */
    uint32_t *u; size_t u_cap;                  /* units of a pre-tokenizer segment / NFC buffer */
    uint8_t *ucc; size_t ucc_cap;               /* NFC: combining classes of u */
    uint32_t *tmp; size_t tmp_cap;              /* NFC: sort buffer */
    uint32_t *off; uint8_t *cls; size_t seg_cap; /* per-unit byte offset and class */
    int32_t *sym, *nxt, *prv, *rk, *rid; size_t sym_cap; /* BPE: one block of 5 x sym_cap */
    int64_t *heap; size_t heap_cap;
    /* cache of short pieces -> ids, for long texts (words repeat) */
    olmoe__cache_ent *cache;
    uint32_t cache_mask, cache_n;              /* mask 0: no cache */
    unsigned char *cbytes; size_t cb_n, cb_cap;
    int32_t *cids; size_t ci_n, ci_cap;
    int32_t *out; int cap; int64_t n;          /* result */
    int oom;
} olmoe__tokscratch;

#define olmoe__grow(p, cap, need, elem) ((need) <= *(cap) || olmoe__grow_slow((p), (cap), (need), (elem)))
static int olmoe__grow_slow(void **p, size_t *cap, size_t need, size_t elem) {
    size_t nc;
    void *q;
    nc = *cap ? *cap : 64;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / elem) return 0;
        nc *= 2;
    }
    q = OLMOE_MALLOC(nc * elem);
    if (!q) return 0;
    if (*p && *cap) memcpy(q, *p, *cap * elem);
    OLMOE_FREE(*p);
    *p = q;
    *cap = nc;
    return 1;
}

static void olmoe__tokscratch_free(olmoe__tokscratch *s) {
    OLMOE_FREE(s->norm); OLMOE_FREE(s->u); OLMOE_FREE(s->ucc); OLMOE_FREE(s->tmp); OLMOE_FREE(s->off); OLMOE_FREE(s->cls);
    OLMOE_FREE(s->sym); /* nxt, prv, rk, rid point into it */
    OLMOE_FREE(s->heap); OLMOE_FREE(s->cache); OLMOE_FREE(s->cbytes); OLMOE_FREE(s->cids);
}

static void olmoe__emit_id(olmoe__tokscratch *s, int32_t id) {
    if (s->n < s->cap) s->out[s->n] = id;
    s->n++;
}

/* ---- NFC ------------------------------------------------------------------------------------ */
static void olmoe__nfc_decompose(uint32_t u, uint32_t *buf, size_t *n) {
    int d;
    if (u - OLMOE__H_SB < OLMOE__H_SC) {
        uint32_t i = u - OLMOE__H_SB;
        buf[(*n)++] = OLMOE__H_LB + i / OLMOE__H_NC;
        buf[(*n)++] = OLMOE__H_VB + (i % OLMOE__H_NC) / OLMOE__H_TC;
        if (i % OLMOE__H_TC) buf[(*n)++] = OLMOE__H_TB + i % OLMOE__H_TC;
        return;
    }
    d = olmoe__decomp_find(u);
    if (d < 0) { buf[(*n)++] = u; return; }
    olmoe__nfc_decompose(OLMOE__DEC_A(olmoe__udecomp[d]), buf, n);
    if (OLMOE__DEC_B(olmoe__udecomp[d])) olmoe__nfc_decompose(OLMOE__DEC_B(olmoe__udecomp[d]), buf, n);
}

/* Stable sort of n marks by combining class: insertion sort when short, counting sort when
   long (a long run of marks must not take quadratic time). tmp holds n. */
static void olmoe__sort_marks(uint32_t *u, uint8_t *cc, size_t n, uint32_t *tmp) {
    size_t k;
    if (n <= 32) {
        for (k = 1; k < n; k++) {
            uint32_t v = u[k];
            uint8_t c = cc[k];
            size_t p = k;
            while (p > 0 && cc[p - 1] > c) { u[p] = u[p - 1]; cc[p] = cc[p - 1]; p--; }
            u[p] = v;
            cc[p] = c;
        }
    } else {
        size_t start[257];
        int c;
        memset(start, 0, sizeof start);
        for (k = 0; k < n; k++) start[cc[k] + 1]++;
        for (c = 0; c < 256; c++) start[c + 1] += start[c];
        for (k = 0; k < n; k++) tmp[start[cc[k]]++] = u[k];
        memcpy(u, tmp, n * sizeof(uint32_t));
        for (k = 0; k < n; k++) cc[k] = (uint8_t)olmoe__ccc(u[k]);
    }
}

/* NFC of s[0..n) into sc->norm; returns the length, or -1 when out of memory. Parts between
   normalization boundaries are handled one at a time (a part that is one stable unit is copied). */
static int64_t olmoe__nfc(olmoe__tokscratch *sc, const unsigned char *s, size_t n) {
    size_t i = 0, o = 0;
    /* worst case growth: a unit of k bytes decomposes to <= 3k code points of <= 4 bytes each;
       the composed result is never longer than the decomposed one */
    while (i < n) {
        uint32_t u;
        size_t j = i + (size_t)olmoe__utf8_next(s + i, n - i, &u), k, nd = 0, w, t;
        if (u >= 0x300 && u < 0x110000) {
            /* extend over the following non-stable units */
            while (j < n) {
                uint32_t v;
                int l = olmoe__utf8_next(s + j, n - j, &v);
                if (olmoe__nfc_stable(v)) break;
                j += (size_t)l;
            }
        } else if (j < n && s[j] >= 0xCC) {
            /* an ASCII/Latin unit may be followed by combining marks */
            while (j < n) {
                uint32_t v;
                int l = olmoe__utf8_next(s + j, n - j, &v);
                if (olmoe__nfc_stable(v)) break;
                j += (size_t)l;
            }
        }
        if (!olmoe__grow((void **)&sc->norm, &sc->norm_cap, o + 12 * (j - i) + 4, 1)) return -1;
        if (j - i == (size_t)(u >= OLMOE__BAD_UNIT ? 1 : (u < 0x80 ? 1 : u < 0x800 ? 2 : u < 0x10000 ? 3 : 4)) &&
            olmoe__nfc_stable(u)) {
            memcpy(sc->norm + o, s + i, j - i); /* one stable unit: unchanged */
            o += j - i;
            i = j;
            continue;
        }
        if (!olmoe__grow((void **)&sc->u, &sc->u_cap, 3 * (j - i) + 4, sizeof(uint32_t)) ||
            !olmoe__grow((void **)&sc->ucc, &sc->ucc_cap, 3 * (j - i) + 4, 1) ||
            !olmoe__grow((void **)&sc->tmp, &sc->tmp_cap, 3 * (j - i) + 4, sizeof(uint32_t))) return -1;
        for (k = i; k < j;) { /* decompose */
            uint32_t v;
            k += (size_t)olmoe__utf8_next(s + k, j - k, &v);
            if (v >= OLMOE__BAD_UNIT) sc->u[nd++] = v; else olmoe__nfc_decompose(v, sc->u, &nd);
        }
        for (k = 0; k < nd;) { /* canonical order: stable sort of each run of marks by class */
            size_t a = k, b;
            int c = olmoe__ccc(sc->u[k]);
            if (!c) { k++; continue; }
            sc->ucc[a] = (uint8_t)c;
            for (b = a + 1; b < nd && (sc->ucc[b] = (uint8_t)olmoe__ccc(sc->u[b])) != 0; b++) {}
            olmoe__sort_marks(sc->u + a, sc->ucc + a, b - a, sc->tmp);
            k = b;
        }
        { /* compose (UAX #15 sample algorithm) */
            size_t starter = 0, len = 1;
            int last = olmoe__ccc(sc->u[0]) ? 256 : 0, have_starter = last == 0;
            for (k = 1; k < nd; k++) {
                uint32_t v = sc->u[k], c;
                int cc = olmoe__ccc(v);
                if (have_starter && (last < cc || last == 0) && sc->u[starter] < OLMOE__BAD_UNIT && v < OLMOE__BAD_UNIT &&
                    (c = olmoe__compose(sc->u[starter], v)) != 0) {
                    sc->u[starter] = c;
                    continue;
                }
                if (cc == 0) { starter = len; have_starter = 1; }
                last = cc;
                sc->u[len++] = v;
            }
            nd = len;
        }
        for (w = 0; w < nd; w++) { t = (size_t)olmoe__utf8_put(sc->u[w], sc->norm + o); o += t; }
        i = j;
    }
    return (int64_t)o;
}

/* 1 if s is certainly NFC already (NFC quick check, with Maybe counted as no). */
static int olmoe__nfc_quick(const unsigned char *s, size_t n) {
    size_t i = 0;
    int last = 0;
    while (i < n) {
        uint32_t u;
        int c, d;
        if (s[i] < 0xCC) { /* below U+0300 (or ill-formed): class 0, QC Yes */
            i += s[i] < 0x80 ? 1 : (size_t)olmoe__utf8_next(s + i, n - i, &u);
            last = 0;
            continue;
        }
        i += (size_t)olmoe__utf8_next(s + i, n - i, &u);
        if (u >= 0x110000) { last = 0; continue; }
        c = olmoe__ccc(u);
        if (c && c < last) return 0;
        if (olmoe__nfc_maybe(u)) return 0;
        d = olmoe__decomp_find(u);
        if (d >= 0 && !OLMOE__DEC_COMPOSES(olmoe__udecomp[d])) return 0;
        last = c;
    }
    return 1;
}

/* ---- tokenizer data --------------------------------------------------------------------------- */
enum { OLMOE__PRE_NONE = 0, OLMOE__PRE_GPT2 = 1, OLMOE__PRE_CL100K = 2 };

typedef struct olmoe__trie_node {
    int32_t child, sibling, token; /* first child, next sibling, token id ending here or -1 */
    unsigned char byte;
} olmoe__trie_node;

typedef struct olmoe__trie {
    olmoe__trie_node *nodes;
    size_t n, cap;
    uint8_t first[32];  /* bit set of the bytes a token starts with */
} olmoe__trie;
#define OLMOE__TRIE_FIRST(tr, b) (((tr)->first[(b) >> 3] >> ((b) & 7)) & 1)

typedef struct olmoe__merge {
    uint64_t key;   /* (left id << 32) | right id; UINT64_MAX = empty */
    int32_t rank, id;
} olmoe__merge;

struct olmoe__tokenizer {
    int32_t n_tokens, n_vocab;
    uint32_t *piece_off;       /* n_tokens + 1 offsets into pieces */
    char *pieces;              /* the decoded bytes of every token */
    uint8_t *type;             /* tokenizer.ggml.token_type (1 when absent) */
    int32_t byte_id[256];      /* the one-byte BPE symbol of each byte, or -1 */
    olmoe__merge *merges;
    uint64_t merge_mask;       /* capacity - 1 */
    int pre, nfc, can_encode;
    olmoe__trie trie_raw;      /* pass 1: on the raw text */
    olmoe__trie trie_norm;     /* pass 2: on the normalized text (NFC tokenizers only) */
};

#define OLMOE__TOK_CONTROL 3
#define OLMOE__TOK_USER 4
#define OLMOE__TOK_UNUSED 5

static uint64_t olmoe__hash64(uint64_t x) {
    x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL; x ^= x >> 33;
    return x;
}

static uint64_t olmoe__hash_bytes(const void *p, size_t n) {
    const unsigned char *s = (const unsigned char *)p;
    uint64_t h = 1469598103934665603ULL;
    size_t i;
    for (i = 0; i < n; i++) { h ^= s[i]; h *= 1099511628211ULL; }
    return olmoe__hash64(h);
}

/* rank of merging (a, b), or -1; *id gets the merged token */
static int32_t olmoe__merge_rank(const struct olmoe__tokenizer *t, int32_t a, int32_t b, int32_t *id) {
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b, h;
    if (!t->merges) return -1;
    for (h = olmoe__hash64(key) & t->merge_mask;; h = (h + 1) & t->merge_mask) {
        const olmoe__merge *e = &t->merges[h];
        if (e->key == key) { *id = e->id; return e->rank; }
        if (e->key == UINT64_MAX) return -1;
    }
}

static int olmoe__trie_add(olmoe__trie *tr, const unsigned char *s, size_t n, int32_t token) {
    int32_t cur = 0;
    size_t i;
    if (n) tr->first[s[0] >> 3] |= (uint8_t)(1u << (s[0] & 7));
    if (tr->n == 0) {
        if (!olmoe__grow((void **)&tr->nodes, &tr->cap, 1, sizeof(olmoe__trie_node))) return 0;
        tr->nodes[0].child = tr->nodes[0].sibling = tr->nodes[0].token = -1;
        tr->nodes[0].byte = 0;
        tr->n = 1;
    }
    for (i = 0; i < n; i++) {
        int32_t c = tr->nodes[cur].child;
        while (c >= 0 && tr->nodes[c].byte != s[i]) c = tr->nodes[c].sibling;
        if (c < 0) {
            if (!olmoe__grow((void **)&tr->nodes, &tr->cap, tr->n + 1, sizeof(olmoe__trie_node))) return 0;
            c = (int32_t)tr->n++;
            tr->nodes[c].byte = s[i];
            tr->nodes[c].child = -1;
            tr->nodes[c].token = -1;
            tr->nodes[c].sibling = tr->nodes[cur].child;
            tr->nodes[cur].child = c;
        }
        cur = c;
    }
    if (tr->nodes[cur].token < 0) tr->nodes[cur].token = token; /* first id wins for duplicates */
    return 1;
}

/* Longest token starting at s[0..n): its id and *len, or -1. */
static int32_t olmoe__trie_match(const olmoe__trie *tr, const unsigned char *s, size_t n, size_t *len) {
    int32_t cur = 0, best = -1;
    size_t i;
    if (!n || !OLMOE__TRIE_FIRST(tr, s[0])) return -1;
    for (i = 0; i < n; i++) {
        int32_t c = tr->nodes[cur].child;
        while (c >= 0 && tr->nodes[c].byte != s[i]) c = tr->nodes[c].sibling;
        if (c < 0) break;
        cur = c;
        if (tr->nodes[cur].token >= 0) { best = tr->nodes[cur].token; *len = i + 1; }
    }
    return best;
}

/* ---- BPE ---------------------------------------------------------------------------------- */
#define OLMOE__BPE_SCAN_MAX 48    /* pieces up to this many bytes use the linear scan */
#define OLMOE__CACHE_MIN_TEXT 4096 /* texts at least this long use a piece cache */
#define OLMOE__CACHE_MAX_LEN 32   /* pieces up to this many bytes are cached */
#define OLMOE__CACHE_SLOTS (1u << 15)
#define OLMOE__TOK_MAX_TEXT ((size_t)1 << 29) /* bytes per olmoe_tokenize call */

static void olmoe__heap_push(int64_t *h, size_t *n, int64_t v) {
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p] <= v) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = v;
}
static int64_t olmoe__heap_pop(int64_t *h, size_t *n) {
    int64_t top = h[0], v = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && h[c + 1] < h[c]) c++;
        if (h[c] >= v) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = v;
    return top;
}

/* Merge the bytes of one piece by rank, lowest rank first and leftmost first among equal ranks
   (HF's BinaryHeap order over (rank, position)), and emit the ids. */
static int olmoe__bpe(const struct olmoe__tokenizer *t, olmoe__tokscratch *sc, const unsigned char *p, size_t n) {
    int32_t *sym, *nxt, *prv, *rk, *rid, head = -1, last = -1, s;
    size_t i, ns = 0;
    olmoe__cache_ent *ce = NULL;
    uint64_t h = 0;
    if (n == 1) {
        if (t->byte_id[p[0]] >= 0) olmoe__emit_id(sc, t->byte_id[p[0]]);
        return 1;
    }
    if (sc->cache_mask && n <= OLMOE__CACHE_MAX_LEN) {
        uint64_t k;
        h = olmoe__hash_bytes(p, n) | 1;
        for (k = h & sc->cache_mask;; k = (k + 1) & sc->cache_mask) {
            ce = &sc->cache[k];
            if (!ce->h) break;
            if (ce->h == h && ce->len == n && memcmp(sc->cbytes + ce->bytes, p, n) == 0) {
                uint32_t q;
                for (q = 0; q < ce->n_ids; q++) olmoe__emit_id(sc, sc->cids[ce->ids + q]);
                return 1;
            }
        }
        if (sc->cache_n >= (sc->cache_mask + 1) / 2) ce = NULL; /* full: stop adding */
    }
    if (n > sc->sym_cap) { /* five arrays of n in one block */
        size_t c = sc->sym_cap ? sc->sym_cap : 64;
        while (c < n) c *= 2;
        OLMOE_FREE(sc->sym);
        sc->sym = (int32_t *)olmoe__calloc(c, 5 * sizeof(int32_t));
        if (!sc->sym) { sc->sym_cap = 0; return 0; }
        sc->sym_cap = c;
    }
    sc->nxt = sc->sym + sc->sym_cap; sc->prv = sc->nxt + sc->sym_cap; sc->rk = sc->prv + sc->sym_cap; sc->rid = sc->rk + sc->sym_cap;
    sym = sc->sym; nxt = sc->nxt; prv = sc->prv; rk = sc->rk; rid = sc->rid;
    for (i = 0; i < n; i++) {
        int32_t id = t->byte_id[p[i]];
        if (id < 0) continue; /* a byte without a token is dropped, as HF does without unk */
        sym[ns] = id;
        prv[ns] = last;
        nxt[ns] = -1;
        if (last >= 0) nxt[last] = (int32_t)ns; else head = (int32_t)ns;
        last = (int32_t)ns++;
    }
    if (ns > 1 && n <= OLMOE__BPE_SCAN_MAX) {
        /* small piece: keep each pair's rank and scan for the minimum */
        for (s = head; s >= 0; s = nxt[s]) rk[s] = nxt[s] >= 0 ? olmoe__merge_rank(t, sym[s], sym[nxt[s]], &rid[s]) : -1;
        for (;;) {
            int32_t best = -1, br = INT32_MAX, r;
            for (s = head; s >= 0; s = nxt[s])
                if (rk[s] >= 0 && rk[s] < br) { br = rk[s]; best = s; }
            if (best < 0) break;
            r = nxt[best];
            sym[best] = rid[best];
            nxt[best] = nxt[r];
            if (nxt[r] >= 0) prv[nxt[r]] = best;
            rk[best] = nxt[best] >= 0 ? olmoe__merge_rank(t, sym[best], sym[nxt[best]], &rid[best]) : -1;
            if (prv[best] >= 0) rk[prv[best]] = olmoe__merge_rank(t, sym[prv[best]], sym[best], &rid[prv[best]]);
        }
    } else if (ns > 1) {
        /* long piece: a min-heap of (rank << 32 | position); stale entries are skipped when the
           pair at that position no longer gives the same token (HF's check) */
        size_t hn = 0;
        int32_t *alive = rk;
        if (!olmoe__grow((void **)&sc->heap, &sc->heap_cap, 2 * ns + 2, sizeof(int64_t))) return 0;
        for (s = head; s >= 0; s = nxt[s]) {
            int32_t id, r;
            alive[s] = 1;
            if (nxt[s] >= 0 && (r = olmoe__merge_rank(t, sym[s], sym[nxt[s]], &id)) >= 0)
                olmoe__heap_push(sc->heap, &hn, ((int64_t)r << 32) | s);
        }
        while (hn) {
            int64_t top;
            int32_t pos, r, nid, rr, want;
            if (hn + 2 > sc->heap_cap && !olmoe__grow((void **)&sc->heap, &sc->heap_cap, hn + 2, sizeof(int64_t))) return 0;
            top = olmoe__heap_pop(sc->heap, &hn);
            pos = (int32_t)(top & 0xFFFFFFFF);
            want = (int32_t)(top >> 32);
            if (!alive[pos] || nxt[pos] < 0) continue;
            r = nxt[pos];
            rr = olmoe__merge_rank(t, sym[pos], sym[r], &nid);
            if (rr != want) continue; /* stale */
            sym[pos] = nid;
            alive[r] = 0;
            nxt[pos] = nxt[r];
            if (nxt[r] >= 0) prv[nxt[r]] = pos;
            if (prv[pos] >= 0 && (rr = olmoe__merge_rank(t, sym[prv[pos]], sym[pos], &nid)) >= 0)
                olmoe__heap_push(sc->heap, &hn, ((int64_t)rr << 32) | prv[pos]);
            if (hn + 2 > sc->heap_cap && !olmoe__grow((void **)&sc->heap, &sc->heap_cap, hn + 2, sizeof(int64_t))) return 0;
            if (nxt[pos] >= 0 && (rr = olmoe__merge_rank(t, sym[pos], sym[nxt[pos]], &nid)) >= 0)
                olmoe__heap_push(sc->heap, &hn, ((int64_t)rr << 32) | pos);
        }
    }
    if (ce) { /* remember the result */
        uint32_t q = 0;
        if (!olmoe__grow((void **)&sc->cbytes, &sc->cb_cap, sc->cb_n + n, 1)) return 0;
        if (!olmoe__grow((void **)&sc->cids, &sc->ci_cap, sc->ci_n + n, sizeof(int32_t))) return 0;
        memcpy(sc->cbytes + sc->cb_n, p, n);
        for (s = head; s >= 0; s = nxt[s]) sc->cids[sc->ci_n + q++] = sym[s];
        ce->h = h; ce->len = (uint16_t)n; ce->n_ids = (uint16_t)q;
        ce->bytes = (uint32_t)sc->cb_n; ce->ids = (uint32_t)sc->ci_n;
        sc->cb_n += n; sc->ci_n += q;
        sc->cache_n++;
    }
    for (s = head; s >= 0; s = nxt[s]) olmoe__emit_id(sc, sym[s]);
    return 1;
}

/* ---- pre-tokenizers --------------------------------------------------------------------------
   Hand-written equivalents of the two regexes (leftmost alternative that matches, greedy, with
   the backtracking of \s+(?!\S) and \s*[\r\n]+ worked out):
   GPT-2:  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
   cl100k: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
           \s*[\r\n]+|\s+(?!\S)|\s+
   Units are code points (ill-formed bytes are single "other" units). */
static size_t olmoe__run(const uint8_t *cls, size_t i, size_t n, int k) {
    while (i < n && cls[i] == k) i++;
    return i;
}

/* length in units of a contraction at i, or 0 */
static size_t olmoe__contraction(const uint32_t *u, size_t i, size_t n, int fold) {
    uint32_t a, b;
    if (u[i] != '\'' || i + 1 >= n) return 0;
    a = u[i + 1];
    b = i + 2 < n ? u[i + 2] : 0;
    if (fold) { /* Unicode simple case folding; U+017F LONG S folds to s */
        if (a == 0x17F) a = 's';
        if (a < 128 && a >= 'A' && a <= 'Z') a += 32;
        if (b < 128 && b >= 'A' && b <= 'Z') b += 32;
    }
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/* end (in units) of the piece starting at i */
static size_t olmoe__pre_gpt2(const uint32_t *u, const uint8_t *cls, size_t i, size_t n) {
    size_t e = olmoe__contraction(u, i, n, 0), j;
    int k = cls[i];
    if (e) return i + e;
    if (u[i] == ' ' && i + 1 < n && cls[i + 1] != OLMOE__C_WS) return olmoe__run(cls, i + 1, n, cls[i + 1]);
    if (k != OLMOE__C_WS) return olmoe__run(cls, i, n, k);
    j = olmoe__run(cls, i, n, OLMOE__C_WS);
    if (j == n) return n;
    return j - i >= 2 ? j - 1 : j;
}

static size_t olmoe__pre_cl100k(const uint32_t *u, const uint8_t *cls, size_t i, size_t n) {
    size_t e = olmoe__contraction(u, i, n, 1), j, p, q;
    int k = cls[i];
    uint32_t c = u[i];
    if (e) return i + e;
    if (k == OLMOE__C_L) return olmoe__run(cls, i, n, OLMOE__C_L);
    if (k != OLMOE__C_N && c != '\r' && c != '\n' && i + 1 < n && cls[i + 1] == OLMOE__C_L)
        return olmoe__run(cls, i + 1, n, OLMOE__C_L);
    if (k == OLMOE__C_N) return olmoe__run(cls, i, n < i + 3 ? n : i + 3, OLMOE__C_N); /* at most 3 */
    j = c == ' ' ? i + 1 : i;
    if (j < n && cls[j] == OLMOE__C_OTHER) {
        j = olmoe__run(cls, j, n, OLMOE__C_OTHER);
        while (j < n && (u[j] == '\r' || u[j] == '\n')) j++;
        return j;
    }
    /* k is white space here */
    j = olmoe__run(cls, i, n, OLMOE__C_WS);
    for (p = j, q = 0; p > i; p--)
        if (u[p - 1] == '\r' || u[p - 1] == '\n') { q = p; break; }
    if (q) return q;
    if (j == n) return n;
    return j - i >= 2 ? j - 1 : j;
}

/* Pre-tokenize s[0..n) and BPE each piece. */
static int olmoe__encode_text(const struct olmoe__tokenizer *t, olmoe__tokscratch *sc, const unsigned char *s, size_t n) {
    size_t nu = 0, i, b;
    if (!n) return 1;
    if (!olmoe__grow((void **)&sc->u, &sc->u_cap, n + 1, sizeof(uint32_t))) return 0;
    if (n + 1 > sc->seg_cap) {
        size_t c = sc->seg_cap ? sc->seg_cap : 64;
        while (c < n + 1) c *= 2;
        OLMOE_FREE(sc->off); OLMOE_FREE(sc->cls);
        sc->off = (uint32_t *)OLMOE_MALLOC(c * sizeof(uint32_t));
        sc->cls = (uint8_t *)OLMOE_MALLOC(c);
        if (!sc->off || !sc->cls) { sc->seg_cap = 0; return 0; }
        sc->seg_cap = c;
    }
    for (b = 0; b < n;) {
        uint32_t v;
        if (s[b] < 0x80) {
            v = s[b];
            sc->off[nu] = (uint32_t)b++;
        } else {
            sc->off[nu] = (uint32_t)b;
            b += (size_t)olmoe__utf8_next(s + b, n - b, &v);
        }
        sc->u[nu] = v;
        sc->cls[nu] = (uint8_t)olmoe__uclass_of(v);
        nu++;
    }
    sc->off[nu] = (uint32_t)n;
    for (i = 0; i < nu;) {
        size_t e = t->pre == OLMOE__PRE_GPT2 ? olmoe__pre_gpt2(sc->u, sc->cls, i, nu) : olmoe__pre_cl100k(sc->u, sc->cls, i, nu);
        if (!olmoe__bpe(t, sc, s + sc->off[i], sc->off[e] - sc->off[i])) return 0;
        i = e;
    }
    return 1;
}

/* Pass 2 (and pass 1 of tokenizers without a normalizer): split out added tokens of trie tr,
   encode the text between them. */
static int olmoe__encode_split(const struct olmoe__tokenizer *t, olmoe__tokscratch *sc, const olmoe__trie *tr,
                               const unsigned char *s, size_t n, int parse_special) {
    size_t i = 0, start = 0, len = 0;
    while (i < n) {
        int32_t id = olmoe__trie_match(tr, s + i, n - i, &len);
        if (id >= 0 && (parse_special || t->type[id] != OLMOE__TOK_CONTROL)) {
            if (start < i) {
                if (!olmoe__encode_text(t, sc, s + start, i - start)) return 0;
            }
            olmoe__emit_id(sc, id);
            i += len;
            start = i;
        } else if (id >= 0) {
            i += len; /* a control token read as text: HF skips the match, the text stays */
        } else {
            i++;
            while (i < n && !OLMOE__TRIE_FIRST(tr, s[i])) i++;
        }
    }
    if (start < n && !olmoe__encode_text(t, sc, s + start, n - start)) return 0;
    return 1;
}

/* ---- load ------------------------------------------------------------------------------------ */
/* GPT-2 byte-level alphabet (bytes_to_unicode): the printable bytes 21-7E, A1-AC, AE-FF stand for
   themselves; the other 68 (00-20, 7F-A0, AD) are U+0100.. in byte order. Code point -> byte, or
   -1 outside the alphabet. */
static int olmoe__cp_to_byte(uint32_t cp) {
    if ((cp >= 0x21 && cp <= 0x7E) || (cp >= 0xA1 && cp <= 0xAC) || (cp >= 0xAE && cp <= 0xFF)) return (int)cp;
    if (cp >= 0x100 && cp < 0x100 + 33) return (int)(cp - 0x100);
    if (cp >= 0x100 + 33 && cp < 0x100 + 67) return (int)(0x7F + (cp - 0x100 - 33));
    if (cp == 0x100 + 67) return 0xAD;
    return -1;
}

/* Byte-level decode of s into out (room for n bytes): returns the length, or -1 if s has a
   character outside the alphabet (HF's ByteLevel decoder then keeps the token's own bytes). */
static int64_t olmoe__bytelevel_decode(const unsigned char *s, size_t n, unsigned char *out) {
    size_t i = 0, o = 0;
    while (i < n) {
        uint32_t u;
        int b;
        i += (size_t)olmoe__utf8_next(s + i, n - i, &u);
        b = u < 0x80 ? ((u >= 0x21 && u <= 0x7E) ? (int)u : -1) : (u >= 0x110000 ? -1 : olmoe__cp_to_byte(u));
        if (b < 0) return -1;
        out[o++] = (unsigned char)b;
    }
    return (int64_t)o;
}

typedef struct olmoe__strmap { /* temporary at load: piece bytes -> id */
    int32_t *slot;
    uint64_t mask;
} olmoe__strmap;

static int32_t olmoe__strmap_get(const olmoe__strmap *mp, const struct olmoe__tokenizer *t, const void *s, size_t n) {
    uint64_t h;
    for (h = olmoe__hash_bytes(s, n) & mp->mask;; h = (h + 1) & mp->mask) {
        int32_t id = mp->slot[h];
        if (id < 0) return -1;
        if (t->piece_off[id + 1] - t->piece_off[id] == n && memcmp(t->pieces + t->piece_off[id], s, n) == 0) return id;
    }
}

static const char olmoe__regex_gpt2[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
static const char olmoe__regex_cl100k[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* a string kv's bytes, or NULL if absent / not a string */
static const char *olmoe__kv_strval(const olmoe__gguf *g, const char *key, uint64_t *len) {
    const olmoe__kv *kv = olmoe__gguf_find(g, key);
    if (!kv || kv->type != OLMOE__GGUF_STR) return NULL;
    memcpy(len, kv->val, 8);
    return (const char *)kv->val + 8;
}

static void olmoe__tok_destroy(struct olmoe__tokenizer *t) {
    if (!t) return;
    OLMOE_FREE(t->piece_off); OLMOE_FREE(t->pieces); OLMOE_FREE(t->type); OLMOE_FREE(t->merges);
    OLMOE_FREE(t->trie_raw.nodes); OLMOE_FREE(t->trie_norm.nodes);
    OLMOE_FREE(t);
}

static olmoe_result olmoe__tok_build(olmoe_model *m, struct olmoe__tokenizer *t, char *err, size_t en) {
    const olmoe__gguf *g = &m->gguf;
    const olmoe__kv *kt = olmoe__gguf_find(g, "tokenizer.ggml.tokens");
    const olmoe__kv *ky = olmoe__gguf_find(g, "tokenizer.ggml.token_type");
    const olmoe__kv *km = olmoe__gguf_find(g, "tokenizer.ggml.merges");
    const uint8_t *p;
    uint8_t *bl; /* per token: its text is byte-level */
    uint64_t i, total = 0, len;
    olmoe__strmap mp;
    int32_t id;

    if (kt->arr_n > (1u << 24)) return olmoe__fail(err, en, OLMOE_ERR_LIMIT, "tokenizer.ggml.tokens: %llu tokens", (unsigned long long)kt->arr_n);
    t->n_tokens = (int32_t)kt->arr_n;
    t->n_vocab = OLMOE__MAX(t->n_tokens, m->cfg.n_vocab);
    /* pieces */
    for (i = 0, p = kt->val + 12; i < kt->arr_n; i++) { memcpy(&len, p, 8); total += len; p += 8 + len; }
    if (total >= 0xFFFFFFFFull) return olmoe__fail(err, en, OLMOE_ERR_LIMIT, "tokenizer.ggml.tokens: too large");
    t->piece_off = (uint32_t *)olmoe__calloc((size_t)t->n_tokens + 1, sizeof(uint32_t));
    t->pieces = (char *)olmoe__calloc((size_t)total + 1, 1);
    t->type = (uint8_t *)olmoe__calloc((size_t)t->n_tokens + 1, 1);
    if (!t->piece_off || !t->pieces || !t->type) return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory for the vocabulary");
    for (i = 0; i < (uint64_t)t->n_tokens; i++) t->type[i] = 1;
    if (ky) {
        if (ky->type != OLMOE__GGUF_ARR || (ky->arr_type != OLMOE__GGUF_I32 && ky->arr_type != OLMOE__GGUF_U32))
            return olmoe__fail(err, en, OLMOE_ERR_KEY_TYPE, "tokenizer.ggml.token_type must be an i32 array");
        if (ky->arr_n != kt->arr_n)
            return olmoe__fail(err, en, OLMOE_ERR_BAD_VALUE, "tokenizer.ggml.token_type has %llu entries for %d tokens", (unsigned long long)ky->arr_n, t->n_tokens);
        for (i = 0; i < ky->arr_n; i++) {
            int32_t v;
            memcpy(&v, ky->val + 12 + 4 * i, 4);
            t->type[i] = (uint8_t)(v >= 1 && v <= 6 ? v : 1);
        }
    }
    bl = (uint8_t *)olmoe__calloc((size_t)t->n_tokens + 1, 1);
    if (!bl) return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory");
    {
        uint32_t o = 0;
        for (i = 0, p = kt->val + 12; i < kt->arr_n; i++) {
            int64_t dl;
            memcpy(&len, p, 8);
            t->piece_off[i] = o;
            /* HF's ByteLevel decoder: byte-level decode when every character is in the alphabet,
               else the token's own UTF-8 bytes (e.g. OLMoE's space-run tokens) */
            dl = olmoe__bytelevel_decode(p + 8, (size_t)len, (unsigned char *)t->pieces + o);
            if (dl < 0) { memcpy(t->pieces + o, p + 8, (size_t)len); dl = (int64_t)len; } else bl[i] = 1;
            o += (uint32_t)dl;
            if (t->type[i] == OLMOE__TOK_UNUSED) o = t->piece_off[i]; /* UNUSED: decodes to nothing */
            if (len && (t->type[i] == OLMOE__TOK_CONTROL || t->type[i] == OLMOE__TOK_USER)) {
                /* added tokens match their own text (the GGUF string as it is) */
                olmoe__trie *tr = (t->nfc && t->type[i] == OLMOE__TOK_USER) ? &t->trie_norm : &t->trie_raw;
                if (!olmoe__trie_add(tr, p + 8, (size_t)len, (int32_t)i)) { OLMOE_FREE(bl); return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory"); }
            }
            p += 8 + len;
        }
        t->piece_off[t->n_tokens] = o;
    }
    /* the map from bytes to BPE token: tokens whose text is byte-level (the keys of HF's BPE
       vocabulary that merges can produce), not UNUSED; the first id wins */
    {
        uint64_t cap = 16;
        while (cap < (uint64_t)t->n_tokens * 2 + 2) cap <<= 1;
        mp.mask = cap - 1;
        mp.slot = (int32_t *)OLMOE_MALLOC((size_t)cap * sizeof(int32_t));
        if (!mp.slot) { OLMOE_FREE(bl); return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory"); }
        memset(mp.slot, 0xFF, (size_t)cap * sizeof(int32_t));
    }
    for (id = 0; id < t->n_tokens; id++) {
        size_t pl = t->piece_off[id + 1] - t->piece_off[id];
        if (bl[id] && pl && t->type[id] != OLMOE__TOK_UNUSED && olmoe__strmap_get(&mp, t, t->pieces + t->piece_off[id], pl) < 0) {
            uint64_t h;
            for (h = olmoe__hash_bytes(t->pieces + t->piece_off[id], pl) & mp.mask; mp.slot[h] >= 0; h = (h + 1) & mp.mask) {}
            mp.slot[h] = id;
        }
    }
    OLMOE_FREE(bl);
    for (i = 0; i < 256; i++) {
        unsigned char b = (unsigned char)i;
        t->byte_id[i] = olmoe__strmap_get(&mp, t, &b, 1);
    }
    /* merges */
    if (km) {
        uint64_t cap = 16;
        unsigned char *buf;
        size_t bcap = 0;
        if (km->type != OLMOE__GGUF_ARR || km->arr_type != OLMOE__GGUF_STR) { OLMOE_FREE(mp.slot); return olmoe__fail(err, en, OLMOE_ERR_KEY_TYPE, "tokenizer.ggml.merges must be a string array"); }
        while (cap < km->arr_n * 2 + 2) cap <<= 1;
        t->merges = (olmoe__merge *)OLMOE_MALLOC((size_t)cap * sizeof(olmoe__merge));
        if (!t->merges) { OLMOE_FREE(mp.slot); return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory for merges"); }
        memset(t->merges, 0xFF, (size_t)cap * sizeof(olmoe__merge));
        t->merge_mask = cap - 1;
        for (i = 0, p = km->val + 12; i < km->arr_n; i++) { memcpy(&len, p, 8); if (len > bcap) bcap = (size_t)len; p += 8 + len; }
        buf = (unsigned char *)OLMOE_MALLOC(bcap + 1);
        if (!buf) { OLMOE_FREE(mp.slot); return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory"); }
        for (i = 0, p = km->val + 12; i < km->arr_n; i++) {
            const unsigned char *ms;
            size_t sp;
            int64_t la, lb;
            int32_t a, b, ab;
            uint64_t key, h;
            memcpy(&len, p, 8);
            ms = p + 8;
            for (sp = 0; sp < len && ms[sp] != ' '; sp++) {}
            la = sp < len ? olmoe__bytelevel_decode(ms, sp, buf) : -1;
            lb = la >= 0 ? olmoe__bytelevel_decode(ms + sp + 1, (size_t)len - sp - 1, buf + la) : -1;
            a = la > 0 ? olmoe__strmap_get(&mp, t, buf, (size_t)la) : -1;
            b = lb > 0 ? olmoe__strmap_get(&mp, t, buf + la, (size_t)lb) : -1;
            ab = a >= 0 && b >= 0 ? olmoe__strmap_get(&mp, t, buf, (size_t)(la + lb)) : -1;
            if (ab < 0) {
                int r = (int)OLMOE__MIN(len, 64);
                OLMOE_FREE(buf); OLMOE_FREE(mp.slot);
                return olmoe__fail(err, en, OLMOE_ERR_BAD_VALUE, "tokenizer.ggml.merges[%llu] '%.*s': %s", (unsigned long long)i, r, (const char *)ms,
                                   la < 0 || lb <= 0 ? "not two byte-level tokens" : "a part or the result is not in the vocabulary");
            }
            key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
            for (h = olmoe__hash64(key) & t->merge_mask; t->merges[h].key != UINT64_MAX && t->merges[h].key != key; h = (h + 1) & t->merge_mask) {}
            t->merges[h].key = key; /* a repeated pair takes the later rank, as HF's HashMap does */
            t->merges[h].rank = (int32_t)i;
            t->merges[h].id = ab;
            p += 8 + len;
        }
        OLMOE_FREE(buf);
    }
    OLMOE_FREE(mp.slot);
    return OLMOE_OK;
}

static olmoe_result olmoe__tok_load(olmoe_model *m, char *err, size_t en) {
    const olmoe__gguf *g = &m->gguf;
    const olmoe__kv *kt = olmoe__gguf_find(g, "tokenizer.ggml.tokens");
    struct olmoe__tokenizer *t;
    const char *s;
    uint64_t len;
    olmoe_result r;
    int pre_from_name = OLMOE__PRE_NONE, nfc_default = 0;

    m->tok = NULL;
    s = olmoe__kv_strval(g, "tokenizer.ggml.model", &len);
    if (!kt || !s || !olmoe__streq(s, len, "gpt2")) return OLMOE_OK; /* no byte-level BPE: ids only */
    if (kt->type != OLMOE__GGUF_ARR || kt->arr_type != OLMOE__GGUF_STR)
        return olmoe__fail(err, en, OLMOE_ERR_KEY_TYPE, "tokenizer.ggml.tokens must be a string array");
    t = (struct olmoe__tokenizer *)olmoe__calloc(1, sizeof(*t));
    if (!t) return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory");
    /* pre-tokenizer: the verbatim regex when the file has it, else the llama.cpp name */
    s = olmoe__kv_strval(g, "tokenizer.ggml.pre", &len);
    if (s) {
        if (olmoe__streq(s, len, "olmo")) { pre_from_name = OLMOE__PRE_GPT2; nfc_default = 1; }
        else if (olmoe__streq(s, len, "gpt-2") || olmoe__streq(s, len, "gpt2")) pre_from_name = OLMOE__PRE_GPT2;
        else if (olmoe__streq(s, len, "dbrx")) pre_from_name = OLMOE__PRE_CL100K;
    }
    t->pre = pre_from_name;
    s = olmoe__kv_strval(g, "tokenizer.olmoe.pre_regex", &len);
    if (s) {
        if (olmoe__streq(s, len, olmoe__regex_gpt2)) t->pre = OLMOE__PRE_GPT2;
        else if (olmoe__streq(s, len, olmoe__regex_cl100k)) t->pre = OLMOE__PRE_CL100K;
        else t->pre = OLMOE__PRE_NONE;
    }
    t->can_encode = t->pre != OLMOE__PRE_NONE;
    s = olmoe__kv_strval(g, "tokenizer.olmoe.normalizer", &len);
    if (s) {
        if (olmoe__streq(s, len, "nfc")) t->nfc = 1;
        else if (len == 0 || olmoe__streq(s, len, "none")) t->nfc = 0;
        else t->can_encode = 0; /* a normalizer this build does not have */
    } else {
        t->nfc = nfc_default;
    }
    r = olmoe__tok_build(m, t, err, en);
    if (r != OLMOE_OK) { olmoe__tok_destroy(t); return r; }
    m->tok = t;
    return OLMOE_OK;
}

static void olmoe__tok_free(olmoe_model *m) {
    olmoe__tok_destroy(m->tok);
    m->tok = NULL;
}

/* ---- public API ------------------------------------------------------------------------------ */
OLMOE_API int olmoe_tokenize(const olmoe_model *m, const char *text, size_t len, int32_t *out, int cap, int parse_special) {
    const struct olmoe__tokenizer *t;
    olmoe__tokscratch sc;
    const unsigned char *s = (const unsigned char *)text;
    int ok = 1;
    if (!m || (!text && len) || cap < 0 || (!out && cap > 0)) return OLMOE_ERR_INVALID_ARG;
    t = m->tok;
    if (!t || !t->can_encode) return OLMOE_ERR_UNSUPPORTED;
    if (len > OLMOE__TOK_MAX_TEXT) return OLMOE_ERR_LIMIT; /* offsets of the NFC text (<= 3x) are 32-bit */
    memset(&sc, 0, sizeof sc);
    sc.out = out;
    sc.cap = cap;
    if (len >= OLMOE__CACHE_MIN_TEXT) {
        sc.cache = (olmoe__cache_ent *)olmoe__calloc(OLMOE__CACHE_SLOTS, sizeof(*sc.cache));
        if (sc.cache) sc.cache_mask = OLMOE__CACHE_SLOTS - 1; /* without memory, no cache */
    }
    if (!t->nfc) {
        ok = olmoe__encode_split(t, &sc, &t->trie_raw, s, len, parse_special);
    } else {
        /* pass 1: control tokens on the raw text; each piece between them is normalized, then
           pass 2 splits out the user-defined tokens on the normalized text */
        size_t i = 0, start = 0, ml = 0;
        while (ok && i <= len) {
            int32_t id = i < len ? olmoe__trie_match(&t->trie_raw, s + i, len - i, &ml) : -1;
            if (i == len || (id >= 0 && (parse_special || t->type[id] != OLMOE__TOK_CONTROL))) {
                if (start < i) {
                    const unsigned char *seg = s + start;
                    size_t sl = i - start;
                    if (!olmoe__nfc_quick(seg, sl)) {
                        int64_t nl = olmoe__nfc(&sc, seg, sl);
                        if (nl < 0) { ok = 0; break; }
                        seg = sc.norm;
                        sl = (size_t)nl;
                    }
                    /* sc.norm is not touched by pass 2, so seg stays valid */
                    ok = olmoe__encode_split(t, &sc, &t->trie_norm, seg, sl, parse_special);
                }
                if (i == len) break;
                olmoe__emit_id(&sc, id);
                i += ml;
                start = i;
            } else if (id >= 0) {
                i += ml;
            } else {
                i++;
                while (i < len && !OLMOE__TRIE_FIRST(&t->trie_raw, s[i])) i++;
            }
        }
    }
    olmoe__tokscratch_free(&sc);
    if (!ok) return OLMOE_ERR_OOM;
    if (sc.n > INT_MAX) return OLMOE_ERR_LIMIT;
    return (int)sc.n;
}

static int olmoe__piece(const olmoe_model *m, int32_t id, const char **p, size_t *n) {
    const struct olmoe__tokenizer *t = m->tok;
    if (id < 0 || id >= t->n_vocab) return OLMOE_ERR_TOKEN;
    if (id >= t->n_tokens) { *p = ""; *n = 0; return OLMOE_OK; }
    *p = t->pieces + t->piece_off[id];
    *n = t->piece_off[id + 1] - t->piece_off[id];
    return OLMOE_OK;
}

OLMOE_API int olmoe_token_to_piece(const olmoe_model *m, int32_t id, char *buf, size_t n) {
    const char *p;
    size_t l;
    int r;
    if (!m || (!buf && n)) return OLMOE_ERR_INVALID_ARG;
    if (!m->tok) return OLMOE_ERR_UNSUPPORTED;
    if ((r = olmoe__piece(m, id, &p, &l)) != OLMOE_OK) return r;
    if (buf) {
        memcpy(buf, p, OLMOE__MIN(l, n));
        if (l < n) buf[l] = 0;
    }
    return (int)l;
}

OLMOE_API int olmoe_token_is_special(const olmoe_model *m, int32_t id) {
    if (!m || !m->tok || id < 0 || id >= m->tok->n_tokens) return 0;
    return m->tok->type[id] == OLMOE__TOK_CONTROL;
}

OLMOE_API int olmoe_detokenize(const olmoe_model *m, const int32_t *ids, int n, char *out, size_t cap) {
    unsigned char pend[4];
    int np = 0, i, r;
    size_t pos = 0;
    if (!m || n < 0 || (!ids && n) || (!out && cap)) return OLMOE_ERR_INVALID_ARG;
    if (!m->tok) return OLMOE_ERR_UNSUPPORTED;
    for (i = 0; i < n; i++) {
        const char *p;
        size_t l;
        if ((r = olmoe__piece(m, ids[i], &p, &l)) != OLMOE_OK) return r;
        olmoe__lossy_feed(pend, &np, (const unsigned char *)p, l, out, cap, &pos);
        if (pos > INT_MAX) return OLMOE_ERR_LIMIT;
    }
    if (np) olmoe__lossy_emit(out, cap, &pos, olmoe__fffd, 3);
    if (pos > INT_MAX) return OLMOE_ERR_LIMIT;
    if (pos < cap) out[pos] = 0;
    return (int)pos;
}

OLMOE_API void olmoe_detok_init(olmoe_detok *d) {
    if (d) memset(d, 0, sizeof(*d));
}

OLMOE_API int olmoe_detok_push(olmoe_detok *d, const olmoe_model *m, int32_t id, char *out, size_t cap) {
    unsigned char pend[4];
    int np, r;
    size_t pos = 0, l;
    const char *p;
    if (!d || !m || (!out && cap) || d->n_pending < 0 || d->n_pending > 3) return OLMOE_ERR_INVALID_ARG;
    if (!m->tok) return OLMOE_ERR_UNSUPPORTED;
    if ((r = olmoe__piece(m, id, &p, &l)) != OLMOE_OK) return r;
    memcpy(pend, d->pending, 4);
    np = d->n_pending;
    olmoe__lossy_feed(pend, &np, (const unsigned char *)p, l, out, cap, &pos);
    if (pos > cap || pos > INT_MAX) return OLMOE_ERR_LIMIT;
    memcpy(d->pending, pend, 4);
    d->n_pending = np;
    return (int)pos;
}

OLMOE_API int olmoe_detok_flush(olmoe_detok *d, char *out, size_t cap) {
    if (!d || (!out && cap)) return OLMOE_ERR_INVALID_ARG;
    if (d->n_pending <= 0) { d->n_pending = 0; return 0; }
    if (cap < 3) return OLMOE_ERR_LIMIT;
    memcpy(out, olmoe__fffd, 3);
    d->n_pending = 0;
    return 3;
}

/* >>forward ================================================================================ */
struct olmoe_ctx {
    const olmoe_model *model;
    const olmoe__kernels *k;
    olmoe__pool pool;
    int n_ctx, n_batch, pos;
    /* KV cache: [n_layer][n_head_kv][n_ctx][head_dim]: one head's positions are contiguous, so
       attention streams them (by position they were 8 KiB apart: a TLB miss every other one) */
    void *k_cache, *v_cache;      /* f32 or, with kv_f16, fp16 elements */
    int kv_f16;
    float *rope_cos, *rope_sin;   /* [n_ctx][head_dim/2] */
    /* scratch for n_batch tokens */
    float *x, *h, *qkv, *att, *tmp, *y;
    uint8_t *hq, *attq;            /* Q8_0 activations (see olmoe__xq_size) */
    int xprep;                     /* activation records carry the kernels' second layout */
    float *probs;                  /* [n_batch][E] router probabilities */
    int32_t *sel;                  /* [n_batch][K] selected experts */
    float *selw;                   /* [n_batch][K] their weights */
    int32_t *ex_count, *ex_start, *ex_rows;  /* token grouping by expert */
    float *act;                    /* [n_batch*K][F] expert hidden */
    uint8_t *actq;
    float *dn;                     /* [n_batch*K][d] expert outputs */
    float *scores;                 /* [n_threads][n_ctx] */
    float *logits;                 /* [logits_cap][n_vocab] */
    int logits_cap, n_logits;
    uint8_t *expert_allowed;
    struct olmoe__cand *cand;      /* [n_vocab] sampler scratch */
    int32_t *hist;                 /* [n_ctx] the tokens in the KV cache */
    olmoe_route_fn route_fn;
    void *route_user;
    int route_probs;
    olmoe_forward_fn fwd_fn;       /* the application's forward pass (olmoe_ctx_set_forward) */
    void *fwd_user;
    int prof_on;                   /* olmoe_ctx_set_profile */
    double prof_t;                 /* when the current phase began */
    olmoe_profile prof;
    char err[512];
};

/* >>profile: phases are timed back to back on the calling thread (a phase ends where the next
   begins, so nothing between them goes uncounted); off, a phase costs the test of prof_on. */
static void olmoe__prof_end(olmoe_ctx *c, int ph, uint64_t bytes) {
    double now = olmoe_time_now();
    olmoe_profile_phase *q = &c->prof.phase[ph];
    q->seconds += now - c->prof_t;
    q->wait_seconds += c->pool.wait_s;
    c->pool.wait_s = 0.0;
    q->calls++;
    q->bytes += bytes;
    c->prof_t = now;
}
#define OLMOE__PROF(c, ph, bytes) do { if ((c)->prof_on) olmoe__prof_end((c), (ph), (bytes)); } while (0)

OLMOE_API olmoe_ctx_params olmoe_ctx_default_params(void) {
    olmoe_ctx_params p;
    memset(&p, 0, sizeof p);
    return p;
}

static size_t olmoe__q8_size(int64_t n) { return (size_t)(n / 32) * sizeof(olmoe__block_q8_0); }
/* One quantized activation record of n values: its Q8_0 blocks, then, when the kernels read a
   second layout of it (c->xprep), that layout from olmoe__xp_offset(n) on, then, when the model
   has k8 matrices (model->any_k8) and n is whole 256-blocks, its Q8_K blocks from olmoe__xk_offset(n)
   on (records 64-byte aligned then). */
static size_t olmoe__xk_offset(const olmoe_ctx *c, int64_t n) {
    return ((c->xprep ? olmoe__xp_offset(n) + olmoe__xp_size(n) : olmoe__q8_size(n)) + 63) & ~(size_t)63;
}
static int olmoe__has_xk(const olmoe_ctx *c, int64_t n) { return c->model->any_k8 && n % 256 == 0; }
static size_t olmoe__xq_size(const olmoe_ctx *c, int64_t n) {
    if (olmoe__has_xk(c, n)) return (olmoe__xk_offset(c, n) + (size_t)(n / 256) * sizeof(olmoe__block_q8_K) + 63) & ~(size_t)63;
    return c->xprep ? olmoe__xp_offset(n) + olmoe__xp_size(n) : olmoe__q8_size(n);
}
/* Where in an activation record of n values the rows of a type find their activation */
static size_t olmoe__xq_off(const olmoe_ctx *c, int type, int64_t n) {
    const olmoe__qtype *qt = olmoe__qtype_of(type);
    return qt && qt->k8 ? olmoe__xk_offset(c, n) : 0;
}
/* The rows x tokens kernel for a weight type, or NULL (then rows_dot, token by token). */
static olmoe__mm_fn olmoe__mm_for(const olmoe_ctx *c, int type) {
    if (type != OLMOE_TYPE_Q4_0 && type != OLMOE_TYPE_Q8_0) { /* the decoded types need no second layout */
        int i = olmoe__qtype_index(type);
        return i >= 0 && c->k->mm_dec ? c->k->mm_dec[i] : NULL;
    }
    if (!c->xprep) return NULL;
    return type == OLMOE_TYPE_Q4_0 ? c->k->mm_q4_0 : c->k->mm_q8_0;
}

OLMOE_API void olmoe_ctx_free(olmoe_ctx *c) {
    if (!c) return;
    olmoe__pool_free(&c->pool);
    olmoe__aligned_free(c->k_cache); olmoe__aligned_free(c->v_cache);
    olmoe__aligned_free(c->rope_cos); olmoe__aligned_free(c->rope_sin);
    olmoe__aligned_free(c->x); olmoe__aligned_free(c->h); olmoe__aligned_free(c->qkv);
    olmoe__aligned_free(c->att); olmoe__aligned_free(c->tmp); olmoe__aligned_free(c->y);
    olmoe__aligned_free(c->hq); olmoe__aligned_free(c->attq);
    olmoe__aligned_free(c->probs); olmoe__aligned_free(c->sel); olmoe__aligned_free(c->selw);
    olmoe__aligned_free(c->ex_count); olmoe__aligned_free(c->ex_start); olmoe__aligned_free(c->ex_rows);
    olmoe__aligned_free(c->act); olmoe__aligned_free(c->actq); olmoe__aligned_free(c->dn);
    olmoe__aligned_free(c->scores); olmoe__aligned_free(c->logits); olmoe__aligned_free(c->cand);
    olmoe__aligned_free(c->hist);
    OLMOE_FREE(c->expert_allowed);
    OLMOE_FREE(c);
}

OLMOE_API olmoe_result olmoe_ctx_create(const olmoe_model *m, const olmoe_ctx_params *params,
                                        olmoe_ctx **out, char *err, size_t en) {
    olmoe_ctx_params p = params ? *params : olmoe_ctx_default_params();
    const olmoe_config *cf;
    olmoe_ctx *c;
    size_t B, d, qd, kvd, F, E, K, hd2;
    int i, j;
    if (err && en) err[0] = 0;
    if (!out) return olmoe__fail(err, en, OLMOE_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!m) return olmoe__fail(err, en, OLMOE_ERR_INVALID_ARG, "model is NULL");
    cf = &m->cfg;
    if (m->vocab_only) return olmoe__fail(err, en, OLMOE_ERR_INVALID_ARG, "the model was loaded vocab-only");
    if (p.n_ctx < 0 || p.n_batch < 0 || p.n_threads < 0) return olmoe__fail(err, en, OLMOE_ERR_INVALID_ARG, "negative n_ctx, n_batch or n_threads");
    if (p.n_ctx == 0) p.n_ctx = OLMOE__MIN(cf->n_ctx_train, 4096);
    if (p.n_ctx > (1 << 22)) return olmoe__fail(err, en, OLMOE_ERR_INVALID_ARG, "n_ctx %d is too large", p.n_ctx);
    if (p.n_batch == 0) p.n_batch = 256;
    if (p.n_batch > p.n_ctx) p.n_batch = p.n_ctx;
    if (p.n_threads == 0) p.n_threads = olmoe__n_cpus();
    if (p.n_threads > 256) p.n_threads = 256;
    if (p.kv_type != OLMOE_TYPE_F32 && p.kv_type != OLMOE_TYPE_F16)
        return olmoe__fail(err, en, OLMOE_ERR_INVALID_ARG, "kv_type %d: the KV cache holds f32 (%d) or f16 (%d)", p.kv_type, OLMOE_TYPE_F32, OLMOE_TYPE_F16);
    c = (olmoe_ctx *)olmoe__calloc(1, sizeof(olmoe_ctx));
    if (!c) return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory");
    c->model = m;
    c->k = olmoe__pick_kernels(p.kernels);
    if (!c->k) {
        OLMOE_FREE(c);
        return olmoe__fail(err, en, OLMOE_ERR_UNSUPPORTED, "kernel path %s (%d) is not available on this CPU or build",
                           olmoe_kernels_name(p.kernels) ? olmoe_kernels_name(p.kernels) : "unknown", p.kernels);
    }
    c->n_ctx = p.n_ctx;
    c->n_batch = p.n_batch;
    c->xprep = c->k->mm_q4_0 && c->k->mm_q8_0 && c->k->prep_q8 && m->any_q80;
    B = (size_t)p.n_batch; d = (size_t)cf->n_embd; qd = (size_t)cf->n_head * cf->head_dim;
    kvd = (size_t)cf->n_head_kv * cf->head_dim; F = (size_t)cf->n_ff; E = (size_t)cf->n_expert;
    K = (size_t)cf->n_expert_used; hd2 = (size_t)cf->head_dim / 2;
    c->kv_f16 = p.kv_type == OLMOE_TYPE_F16;
    {
        uint64_t es = c->kv_f16 ? 2 : 4, kvbytes = (uint64_t)cf->n_layer * (uint64_t)p.n_ctx * kvd * es;
        if (kvbytes / ((uint64_t)cf->n_layer * kvd * es) != (uint64_t)p.n_ctx || kvbytes > (uint64_t)SIZE_MAX / 2) {
            OLMOE_FREE(c); return olmoe__fail(err, en, OLMOE_ERR_OOM, "KV cache too large");
        }
        c->k_cache = olmoe__aligned_alloc_z((size_t)kvbytes, 0);
        c->v_cache = olmoe__aligned_alloc_z((size_t)kvbytes, 0);
    }
    c->rope_cos = (float *)olmoe__aligned_alloc((size_t)p.n_ctx * hd2 * 4);
    c->rope_sin = (float *)olmoe__aligned_alloc((size_t)p.n_ctx * hd2 * 4);
    c->x = (float *)olmoe__aligned_alloc(B * d * 4);
    c->h = (float *)olmoe__aligned_alloc(B * OLMOE__MAX(d, qd) * 4);
    c->qkv = (float *)olmoe__aligned_alloc(B * (qd + 2 * kvd) * 4);
    c->att = (float *)olmoe__aligned_alloc(B * qd * 4);
    c->tmp = (float *)olmoe__aligned_alloc(B * d * 4);
    c->y = (float *)olmoe__aligned_alloc(B * d * 4);
    c->hq = (uint8_t *)olmoe__aligned_alloc(B * olmoe__xq_size(c, (int64_t)OLMOE__MAX(d, qd)) + 64);
    c->attq = (uint8_t *)olmoe__aligned_alloc(B * olmoe__xq_size(c, (int64_t)qd) + 64);
    c->probs = (float *)olmoe__aligned_alloc(B * E * 4);
    c->sel = (int32_t *)olmoe__aligned_alloc(B * K * 4);
    c->selw = (float *)olmoe__aligned_alloc(B * K * 4);
    c->ex_count = (int32_t *)olmoe__aligned_alloc((E + 1) * 4);
    c->ex_start = (int32_t *)olmoe__aligned_alloc((E + 1) * 4);
    c->ex_rows = (int32_t *)olmoe__aligned_alloc(B * K * 4);
    c->act = (float *)olmoe__aligned_alloc(B * K * F * 4);
    c->actq = (uint8_t *)olmoe__aligned_alloc(B * K * olmoe__xq_size(c, (int64_t)F) + 64);
    c->dn = (float *)olmoe__aligned_alloc(B * K * d * 4);
    c->scores = (float *)olmoe__aligned_alloc_z((size_t)p.n_threads * (size_t)p.n_ctx * 4, 0);
    c->logits_cap = 1;
    c->logits = (float *)olmoe__aligned_alloc((size_t)cf->n_vocab * 4);
    c->expert_allowed = (uint8_t *)olmoe__calloc(E, 1);
    c->cand = (struct olmoe__cand *)olmoe__aligned_alloc((size_t)cf->n_vocab * 8);
    c->hist = (int32_t *)olmoe__aligned_alloc_z((size_t)p.n_ctx * 4, 0);
    if (!c->hist || !c->cand || !c->k_cache || !c->v_cache || !c->rope_cos || !c->rope_sin || !c->x || !c->h || !c->qkv || !c->att ||
        !c->tmp || !c->y || !c->hq || !c->attq || !c->probs || !c->sel || !c->selw || !c->ex_count ||
        !c->ex_start || !c->ex_rows || !c->act || !c->actq || !c->dn || !c->scores || !c->logits || !c->expert_allowed) {
        olmoe_ctx_free(c);
        return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory for the context (n_ctx %d)", p.n_ctx);
    }
    memset(c->expert_allowed, 1, E);
    /* RoPE tables computed the way HF does in float32: inv_freq = 1/theta^(2i/hd), angle = pos*inv_freq */
    for (j = 0; j < (int)hd2; j++) {
        float inv = 1.0f / powf(cf->rope_theta, (float)(2 * j) / (float)cf->head_dim);
        for (i = 0; i < p.n_ctx; i++) {
            float a = (float)i * inv;
            c->rope_cos[(size_t)i * hd2 + j] = cosf(a);
            c->rope_sin[(size_t)i * hd2 + j] = sinf(a);
        }
    }
    if (olmoe__pool_init(&c->pool, p.n_threads) != OLMOE_OK) {
        olmoe_ctx_free(c);
        return olmoe__fail(err, en, OLMOE_ERR_OOM, "cannot start %d threads", p.n_threads);
    }
    *out = c;
    return OLMOE_OK;
}

OLMOE_API int olmoe_ctx_pos(const olmoe_ctx *c) { return c ? c->pos : 0; }
OLMOE_API const int32_t *olmoe_ctx_tokens(const olmoe_ctx *c) { return c ? c->hist : NULL; }
OLMOE_API int olmoe_ctx_n_ctx(const olmoe_ctx *c) { return c ? c->n_ctx : 0; }
OLMOE_API const char *olmoe_ctx_last_error(const olmoe_ctx *c) { return c ? c->err : "context is NULL"; }
OLMOE_API int olmoe_ctx_kernels(const olmoe_ctx *c) { return c ? c->k->id : 0; }
OLMOE_API int olmoe_kernels_available(int k) { return olmoe__pick_kernels(k) != NULL; }
OLMOE_API const char *olmoe_kernels_name(int k) {
    static const char *const names[] = {"auto", "scalar", "avx2", "avx512", "neon"};
    return k >= 0 && k < 5 ? names[k] : NULL;
}
OLMOE_API int olmoe_ctx_n_threads(const olmoe_ctx *c) { return c ? c->pool.n : 0; }
OLMOE_API int olmoe_ctx_kv_type(const olmoe_ctx *c) { return c && c->kv_f16 ? OLMOE_TYPE_F16 : OLMOE_TYPE_F32; }

OLMOE_API olmoe_result olmoe_ctx_truncate(olmoe_ctx *c, int n_keep) {
    if (!c) return OLMOE_ERR_INVALID_ARG;
    if (n_keep < 0 || n_keep > c->pos) return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_INVALID_ARG, "truncate to %d: context holds %d tokens", n_keep, c->pos);
    c->pos = n_keep;
    c->n_logits = 0;
    return OLMOE_OK;
}

OLMOE_API olmoe_result olmoe_ctx_set_expert_mask(olmoe_ctx *c, const uint8_t *allowed, int n_expert) {
    int e, n_allowed = 0, E;
    if (!c) return OLMOE_ERR_INVALID_ARG;
    E = c->model->cfg.n_expert;
    if (!allowed) { memset(c->expert_allowed, 1, (size_t)E); return OLMOE_OK; }
    if (n_expert != E) return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_INVALID_ARG, "expert mask has %d entries, the model has %d experts", n_expert, E);
    for (e = 0; e < E; e++) n_allowed += allowed[e] != 0;
    if (n_allowed == 0) return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_INVALID_ARG, "expert mask allows no expert");
    for (e = 0; e < E; e++) c->expert_allowed[e] = allowed[e] != 0;
    return OLMOE_OK;
}

/* The string-array element i of kv (bounds were checked by the parser). */
static const char *olmoe__kv_arr_str(const olmoe__kv *kv, uint64_t i, uint64_t *len) {
    const uint8_t *p = kv->val + 12;
    uint64_t j, l;
    for (j = 0;; j++) {
        memcpy(&l, p, 8);
        if (j == i) { *len = l; return (const char *)p + 8; }
        p += 8 + l;
    }
}

static const olmoe__kv *olmoe__expert_names(const olmoe_model *m) {
    char key[64];
    const olmoe__kv *kv;
    snprintf(key, sizeof key, "%s.expert_names", m->cfg.arch == OLMOE_ARCH_OLMOE ? "olmoe" : "flex_olmo");
    kv = olmoe__gguf_find(&m->gguf, key);
    if (!kv || kv->type != OLMOE__GGUF_ARR || kv->arr_type != OLMOE__GGUF_STR || kv->arr_n != (uint64_t)m->cfg.n_expert) return NULL;
    return kv;
}

OLMOE_API int olmoe_model_expert_index(const olmoe_model *m, const char *name) {
    const olmoe__kv *kv;
    int e;
    if (!m || !name || !(kv = olmoe__expert_names(m))) return -1;
    for (e = 0; e < m->cfg.n_expert; e++) {
        uint64_t len;
        const char *s = olmoe__kv_arr_str(kv, (uint64_t)e, &len);
        if (olmoe__streq(s, len, name)) return e;
    }
    return -1;
}

OLMOE_API int olmoe_model_expert_name(const olmoe_model *m, int e, char *buf, size_t n) {
    const olmoe__kv *kv;
    uint64_t len;
    const char *s;
    if (!m || e < 0 || e >= m->cfg.n_expert || !(kv = olmoe__expert_names(m))) return -1;
    s = olmoe__kv_arr_str(kv, (uint64_t)e, &len);
    if (buf && n) {
        size_t k = (size_t)OLMOE__MIN(len, (uint64_t)(n - 1));
        memcpy(buf, s, k);
        buf[k] = 0;
    }
    return len > INT_MAX ? INT_MAX : (int)len;
}

OLMOE_API olmoe_result olmoe_model_expert_mask(const olmoe_model *m, const char *list, uint8_t *allowed, int n,
                                               char *err, size_t en) {
    const char *p = list;
    int E;
    if (err && en) err[0] = 0;
    if (!m || !list || !allowed) return olmoe__fail(err, en, OLMOE_ERR_INVALID_ARG, "NULL model, list or mask");
    E = m->cfg.n_expert;
    if (n < E) return olmoe__fail(err, en, OLMOE_ERR_INVALID_ARG, "mask of %d entries for %d experts", n, E);
    memset(allowed, 1, (size_t)E);
    while (*p) {
        const char *q = p;
        char item[128];
        size_t len;
        int e = -1;
        while (*q && *q != ',') q++;
        len = (size_t)(q - p);
        if (len == 0 || len >= sizeof item) return olmoe__fail(err, en, OLMOE_ERR_INVALID_ARG, "opt-out list '%s': empty or overlong item", list);
        memcpy(item, p, len);
        item[len] = 0;
        if (item[0] >= '0' && item[0] <= '9') {
            char *end;
            long v = strtol(item, &end, 10);
            if (*end == 0 && v >= 0 && v < E) e = (int)v;
        } else {
            e = olmoe_model_expert_index(m, item);
        }
        if (e < 0) return olmoe__fail(err, en, OLMOE_ERR_INVALID_ARG, "opt-out: no expert '%s' (the model has %d experts%s)", item, E, olmoe__expert_names(m) ? "" : ", no names");
        allowed[e] = 0;
        p = *q ? q + 1 : q;
    }
    return OLMOE_OK;
}

OLMOE_API olmoe_result olmoe_ctx_opt_out(olmoe_ctx *c, const char *list) {
    uint8_t allowed[4096];
    olmoe_result r;
    if (!c || !list) return OLMOE_ERR_INVALID_ARG;
    r = olmoe_model_expert_mask(c->model, list, allowed, (int)sizeof allowed, c->err, sizeof c->err);
    return r != OLMOE_OK ? r : olmoe_ctx_set_expert_mask(c, allowed, c->model->cfg.n_expert);
}

OLMOE_API void olmoe_ctx_set_route_callback(olmoe_ctx *c, olmoe_route_fn fn, void *user, int want_probs) {
    if (!c) return;
    c->route_fn = fn;
    c->route_user = user;
    c->route_probs = want_probs;
}

OLMOE_API void olmoe_ctx_set_forward(olmoe_ctx *c, olmoe_forward_fn fn, void *user) {
    if (!c) return;
    c->fwd_fn = fn;
    c->fwd_user = fn ? user : NULL;
    c->pos = 0;
    c->n_logits = 0;
}

OLMOE_API const float *olmoe_ctx_logits(const olmoe_ctx *c, int i) {
    if (!c || c->n_logits == 0) return NULL;
    if (i < 0) i = c->n_logits + i;
    if (i < 0 || i >= c->n_logits) return NULL;
    return c->logits + (size_t)i * c->model->cfg.n_vocab;
}

/* One row dot with the activation of token t. */
static float olmoe__row_dot(const olmoe__kernels *k, int type, const uint8_t *row, int n,
                            const float *xf, const uint8_t *xq) {
    switch (type) {
    case OLMOE_TYPE_Q8_0: return k->dot_q8_0(n, row, xq);
    case OLMOE_TYPE_Q4_0: return k->dot_q4_0(n, row, xq);
    case OLMOE_TYPE_F16: return k->dot_f16(n, row, xf);
    case OLMOE_TYPE_BF16: return k->dot_bf16(n, row, xf);
    case OLMOE_TYPE_F32: return k->dot_f32(n, row, xf);
    default: return k->dot_dec(olmoe__qtype_of(type), n, row, xq); /* the loader admits no other */
    }
}

/* y[i * ys] = row i . activation for the nr rows of a matrix (type, n inputs, rb bytes a row)
   starting at w. Q8_0/Q4_0 rows go 4 at a time through dotr, the 4 taken a quarter of the range
   apart: 4 sequential streams (4 adjacent rows interleaved read memory at about half speed on
   Zen 4). Every value equals row_dot's bit for bit. */
static void olmoe__rows_dot(const olmoe__kernels *k, int type, int n, size_t rb, const uint8_t *w, int64_t nr,
                            const float *xf, const uint8_t *xq, float *y, size_t ys) {
    olmoe__dotr_fn f = type == OLMOE_TYPE_Q4_0 ? k->dotr_q4_0 : type == OLMOE_TYPE_Q8_0 ? k->dotr_q8_0 : NULL;
    int64_t q = f ? nr / 4 : 0, i;
    for (i = 0; i < q; i++) f(n, 4, w + (size_t)i * rb, (size_t)q * rb, xq, y + (size_t)i * ys, (size_t)q * ys);
    for (i = 4 * q; i < nr; i++) y[(size_t)i * ys] = olmoe__row_dot(k, type, w + (size_t)i * rb, n, xf, xq);
}

static void olmoe__rmsnorm(float *o, const float *x, const float *w, int n, float eps) {
    /* four running sums (one chain of dependent double adds was 2.4 us per 2048 values, in
       the serial part of every layer), added in a fixed order */
    double ss, s4[4] = {0.0, 0.0, 0.0, 0.0};
    float s;
    int i;
    for (i = 0; i + 4 <= n; i += 4) {
        s4[0] += (double)x[i] * x[i]; s4[1] += (double)x[i + 1] * x[i + 1];
        s4[2] += (double)x[i + 2] * x[i + 2]; s4[3] += (double)x[i + 3] * x[i + 3];
    }
    for (; i < n; i++) s4[0] += (double)x[i] * x[i];
    ss = (s4[0] + s4[1]) + (s4[2] + s4[3]);
    s = (float)(1.0 / sqrt(ss / n + (double)eps));
    for (i = 0; i < n; i++) o[i] = w[i] * (x[i] * s);
}

/* Batched matvec job: y[t][row] = W[row] . x[t] for rows split across threads. */
typedef struct olmoe__mm_job {
    const olmoe_ctx *c;
    const olmoe__mat *mat[3];     /* up to 3 matrices sharing the input (q, k, v) */
    int64_t rows_total;
    const float *xf; const uint8_t *xq;
    size_t xf_stride, xq_stride;  /* per token, elements / bytes */
    float *y; size_t y_stride;    /* per token */
    int n_tok;
} olmoe__mm_job;

static void olmoe__mm_worker(void *arg, int ith, int nth) {
    olmoe__mm_job *j = (olmoe__mm_job *)arg;
    const olmoe__kernels *k = j->c->k;
    int64_t r0, r1, ch = olmoe__chunk(j->rows_total, nth, 4);
    (void)ith;
    while (olmoe__grab((olmoe__pool *)&j->c->pool, j->rows_total, ch, &r0, &r1))
        while (r0 < r1) {
            /* the part of [r0, r1) inside one matrix; with several tokens at most 64 rows, which
               stay in cache while every token goes over them */
            int64_t rr = r0, off = 0, nr;
            int mi = 0, t;
            size_t xo;
            const olmoe__mat *M;
            olmoe__mm_fn mf;
            while (rr >= j->mat[mi]->ne1) { rr -= j->mat[mi]->ne1; off += j->mat[mi]->ne1; mi++; }
            M = j->mat[mi];
            nr = OLMOE__MIN(r1 - r0, M->ne1 - rr);
            if (j->n_tok > 1) nr = OLMOE__MIN(nr, 64);
            xo = j->xq ? olmoe__xq_off(j->c, M->type, M->ne0) : 0;
            if ((mf = olmoe__mm_for(j->c, M->type)) != NULL) {
                /* every token over these rows, 64 tokens per call */
                const uint8_t *xq[64];
                float *y[64];
                int t0, nt;
                for (t0 = 0; t0 < j->n_tok; t0 += nt) {
                    nt = OLMOE__MIN(j->n_tok - t0, 64);
                    for (t = 0; t < nt; t++) {
                        xq[t] = j->xq + (size_t)(t0 + t) * j->xq_stride + xo;
                        y[t] = j->y + (size_t)(t0 + t) * j->y_stride + (size_t)(off + rr);
                    }
                    mf((int)M->ne0, (int)nr, M->data + (uint64_t)rr * M->row_bytes, (size_t)M->row_bytes, nt, xq, y);
                }
                r0 += nr;
                continue;
            }
            for (t = 0; t < j->n_tok; t++) {
                olmoe__rows_dot(k, M->type, (int)M->ne0, (size_t)M->row_bytes, M->data + (uint64_t)rr * M->row_bytes, nr,
                                j->xf + (size_t)t * j->xf_stride, j->xq ? j->xq + (size_t)t * j->xq_stride + xo : NULL,
                                j->y + (size_t)t * j->y_stride + (size_t)(off + rr), 1);
            }
            r0 += nr;
        }
}

/* Quantize n_tok vectors of length n (stride in floats) to Q8_0 (stride in bytes). */
typedef struct olmoe__q_job { const olmoe_ctx *c; const float *x; size_t xs; uint8_t *q; size_t qs; int n, n_tok; } olmoe__q_job;
static void olmoe__q_worker(void *arg, int ith, int nth) {
    olmoe__q_job *j = (olmoe__q_job *)arg;
    int64_t a, b, t;
    (void)ith;
    while (olmoe__grab((olmoe__pool *)&j->c->pool, j->n_tok, olmoe__chunk(j->n_tok, nth, 1), &a, &b))
    for (t = a; t < b; t++) {
        uint8_t *q = j->q + (size_t)t * j->qs;
        if (j->c->model->any_q80) { /* a Q4_K_M file's matrices all take the Q8_K record */
            j->c->k->quant_q8_0(j->x + (size_t)t * j->xs, q, j->n);
            if (j->c->xprep) j->c->k->prep_q8(q, q + olmoe__xp_offset(j->n), j->n);
        }
        if (olmoe__has_xk(j->c, j->n))
            j->c->k->quant_q8_K(j->x + (size_t)t * j->xs, q + olmoe__xk_offset(j->c, j->n), j->n);
    }
}
static void olmoe__quantize_batch(olmoe_ctx *c, const float *x, size_t xs, uint8_t *q, int n, int n_tok) {
    olmoe__q_job j;
    if (!c->model->any_q80 && !c->model->any_k8) return;
    j.c = c; j.x = x; j.xs = xs; j.q = q; j.qs = olmoe__xq_size(c, n); j.n = n; j.n_tok = n_tok;
    if (n_tok == 1) olmoe__run_here((olmoe__pool *)&c->pool, olmoe__q_worker, &j);
    else olmoe__pool_run((olmoe__pool *)&c->pool, olmoe__q_worker, &j);
}

static void olmoe__matmul(olmoe_ctx *c, const olmoe__mat *m0, const olmoe__mat *m1, const olmoe__mat *m2,
                          const float *xf, size_t xf_stride, const uint8_t *xq, float *y, size_t y_stride, int n_tok) {
    olmoe__mm_job j;
    memset(&j, 0, sizeof j);
    j.c = c;
    j.mat[0] = m0; j.mat[1] = m1; j.mat[2] = m2;
    j.rows_total = m0->ne1 + (m1 ? m1->ne1 : 0) + (m2 ? m2->ne1 : 0);
    j.xf = xf; j.xf_stride = xf_stride;
    j.xq = c->model->any_q80 || c->model->any_k8 ? xq : NULL; j.xq_stride = olmoe__xq_size(c, (int64_t)xf_stride);
    j.y = y; j.y_stride = y_stride;
    j.n_tok = n_tok;
    olmoe__pool_run(&c->pool, olmoe__mm_worker, &j);
}

/* Attention for n_tok tokens at positions pos0.. (their K/V already in the cache). */
typedef struct olmoe__att_job { olmoe_ctx *c; int layer, pos0, n_tok; } olmoe__att_job;
static void olmoe__att_worker(void *arg, int ith, int nth) {
    olmoe__att_job *j = (olmoe__att_job *)arg;
    olmoe_ctx *c = j->c;
    const olmoe_config *cf = &c->model->cfg;
    int hd = cf->head_dim, H = cf->n_head, Hkv = cf->n_head_kv, grp = H / Hkv;
    size_t qd = (size_t)H * hd, kvd = (size_t)Hkv * hd, qkvd = qd + 2 * kvd;
    size_t es = c->kv_f16 ? 2 : 4;   /* bytes per cached element */
    const uint8_t *kc = (const uint8_t *)c->k_cache + (size_t)j->layer * c->n_ctx * kvd * es;
    const uint8_t *vc = (const uint8_t *)c->v_cache + (size_t)j->layer * c->n_ctx * kvd * es;
    size_t hs = (size_t)c->n_ctx * hd * es;   /* bytes of one head's cache in a layer */
    float *sc = c->scores + (size_t)ith * c->n_ctx;
    float scale = 1.0f / sqrtf((float)hd);
    int64_t u0, u1, u;
    (void)nth;
    while (olmoe__grab(&c->pool, (int64_t)j->n_tok * H, 1, &u0, &u1))
    for (u = u0; u < u1; u++) {
        int t = (int)(u / H), h = (int)(u % H), kvh = h / grp, p, i, n = j->pos0 + t + 1;
        const float *q = c->qkv + (size_t)t * qkvd + (size_t)h * hd;
        float *o = c->att + (size_t)t * qd + (size_t)h * hd;
        float mx = -INFINITY, sum = 0.0f;
        for (p = 0; p < n; p++) {
            const uint8_t *kk = kc + (size_t)kvh * hs + (size_t)p * hd * es;
            float s = (c->kv_f16 ? c->k->dot_f16(hd, kk, q) : c->k->dot_f32(hd, kk, q)) * scale;
            sc[p] = s;
            if (s > mx) mx = s;
        }
        sum = c->k->exp_sum(n, sc, mx);
        for (i = 0; i < hd; i++) o[i] = 0.0f;
        for (p = 0; p < n; p++) {
            const uint8_t *vv = vc + (size_t)kvh * hs + (size_t)p * hd * es;
            if (c->kv_f16) c->k->axpy_f16(hd, sc[p] / sum, (const uint16_t *)(const void *)vv, o);
            else c->k->axpy_f32(hd, sc[p] / sum, (const float *)(const void *)vv, o);
        }
    }
}

/* Router, in two phases: the logits of every (token, allowed expert) pair split across threads
   (a decode step has one token, so the split must be over experts); then per token the softmax
   over all allowed experts and the top-K. */
typedef struct olmoe__route_job { olmoe_ctx *c; const olmoe__layer *L; const float *x; int n_tok, K; } olmoe__route_job;
static void olmoe__route_logits_worker(void *arg, int ith, int nth) {
    olmoe__route_job *j = (olmoe__route_job *)arg;
    olmoe_ctx *c = j->c;
    int E = c->model->cfg.n_expert, d = c->model->cfg.n_embd;
    int64_t u0, u1, u;
    (void)ith;
    while (olmoe__grab(&c->pool, (int64_t)j->n_tok * E, olmoe__chunk((int64_t)j->n_tok * E, nth, 4), &u0, &u1))
    for (u = u0; u < u1; u++) {
        int t = (int)(u / E), e = (int)(u % E);
        c->probs[u] = c->expert_allowed[e] ? c->k->dot_f32(d, j->L->gate_inp + (size_t)e * d, j->x + (size_t)t * d) : -INFINITY;
    }
}
static void olmoe__route_select_worker(void *arg, int ith, int nth) {
    olmoe__route_job *j = (olmoe__route_job *)arg;
    olmoe_ctx *c = j->c;
    int E = c->model->cfg.n_expert, Kmax = c->model->cfg.n_expert_used;
    int64_t t0, t1, t;
    (void)ith; (void)nth;
    while (olmoe__grab(&c->pool, j->n_tok, 1, &t0, &t1))
    for (t = t0; t < t1; t++) {
        float *p = c->probs + (size_t)t * E, mx = -INFINITY, sum = 0.0f;
        int e, k;
        for (e = 0; e < E; e++) if (c->expert_allowed[e] && p[e] > mx) mx = p[e];
        for (e = 0; e < E; e++) {
            p[e] = c->expert_allowed[e] ? expf(p[e] - mx) : 0.0f;
            sum += p[e];
        }
        for (e = 0; e < E; e++) p[e] /= sum;
        /* top-K by descending probability, ties to the lower index (torch.topk's order) */
        for (k = 0; k < j->K; k++) {
            int best = -1;
            for (e = 0; e < E; e++) {
                int taken = 0, q;
                if (!c->expert_allowed[e]) continue;
                for (q = 0; q < k; q++) if (c->sel[(size_t)t * Kmax + q] == e) taken = 1;
                if (taken) continue;
                if (best < 0 || p[e] > p[best]) best = e;
            }
            c->sel[(size_t)t * Kmax + k] = best;
            c->selw[(size_t)t * Kmax + k] = p[best];
        }
    }
}

/* Expert gate|up phase: work units are (used expert, ffn row) pairs, split evenly. */
typedef struct olmoe__moe_job { olmoe_ctx *c; const olmoe__layer *L; int n_used, K, n_tok; const int32_t *used; } olmoe__moe_job;

static void olmoe__gateup_worker(void *arg, int ith, int nth) {
    olmoe__moe_job *j = (olmoe__moe_job *)arg;
    olmoe_ctx *c = j->c;
    const olmoe_config *cf = &c->model->cfg;
    const olmoe__layer *L = j->L;
    int F = cf->n_ff, d = cf->n_embd, Kmax = cf->n_expert_used;
    olmoe__mm_fn mg = olmoe__mm_for(c, L->gate_exps.type), mu = olmoe__mm_for(c, L->up_exps.type);
    int tiled = mg && mu;
    size_t qs = olmoe__xq_size(c, d), og = olmoe__xq_off(c, L->gate_exps.type, d), ou = olmoe__xq_off(c, L->up_exps.type, d);
    int64_t u0, u1;
    float v[64 * 64];
    (void)ith;
    /* a batch's experts have unequal token counts: grabs of 256 rows (4 blocks of 64) keep the
       threads' shares even and the kernels' prefetch of the next rows useful; one token's rows
       cost the same everywhere */
    int64_t ch = j->n_tok > 1 ? 256 : olmoe__chunk((int64_t)j->n_used * F, nth, 4);
    while (olmoe__grab(&c->pool, (int64_t)j->n_used * F, ch, &u0, &u1))
        while (u0 < u1) {
            /* rows r .. r + nr - 1 of one expert's gate and up matrices */
            int e = j->used[u0 / F], r = (int)(u0 % F), i;
            int nr = (int)OLMOE__MIN(u1 - u0, OLMOE__MIN((int64_t)(F - r), (int64_t)(c->ex_count[e] > 1 ? 64 : 512)));
            const uint8_t *gr = L->gate_exps.data + ((uint64_t)e * F + r) * L->gate_exps.row_bytes;
            const uint8_t *ur = L->up_exps.data + ((uint64_t)e * F + r) * L->up_exps.row_bytes;
            if (tiled) {
                /* the expert's tokens 64 at a time, every one over these rows */
                const uint8_t *xq[64], *xu[64];
                float *g[64], *vv[64];
                int i0, nt, t;
                for (i0 = c->ex_start[e]; i0 < c->ex_start[e] + c->ex_count[e]; i0 += nt) {
                    nt = OLMOE__MIN(c->ex_start[e] + c->ex_count[e] - i0, nr > 64 ? 1 : 64);
                    for (t = 0; t < nt; t++) {
                        int ts = c->ex_rows[i0 + t];
                        xq[t] = c->hq + (size_t)(ts / Kmax) * qs + og;
                        xu[t] = c->hq + (size_t)(ts / Kmax) * qs + ou;
                        g[t] = c->act + (size_t)ts * F + r;
                        vv[t] = v + (size_t)t * 64;
                    }
                    if (nr > 64) vv[0] = v;
                    /* the kernels prefetch the 16 rows after each 16 they read: the gate rows
                       after these, but the up call's first 16 come in cold without this */
                    if (nt > 1) OLMOE__PREFETCH(ur, (size_t)OLMOE__MIN(nr, 16) * L->up_exps.row_bytes, 2); /* to L2 */
                    mg(d, nr, gr, (size_t)L->gate_exps.row_bytes, nt, xq, g);
                    mu(d, nr, ur, (size_t)L->up_exps.row_bytes, nt, xu, vv);
                    for (t = 0; t < nt; t++) c->k->silu_mul(nr, g[t], vv[t]);
                }
                u0 += nr;
                continue;
            }
            for (i = c->ex_start[e]; i < c->ex_start[e] + c->ex_count[e]; i++) {
                int ts = c->ex_rows[i], t = ts / Kmax;
                const float *xf = c->h + (size_t)t * d;
                const uint8_t *xq = c->hq + (size_t)t * qs;
                float *g = c->act + (size_t)ts * F + r;
                olmoe__rows_dot(c->k, L->gate_exps.type, d, (size_t)L->gate_exps.row_bytes, gr, nr, xf, xq + og, g, 1);
                olmoe__rows_dot(c->k, L->up_exps.type, d, (size_t)L->up_exps.row_bytes, ur, nr, xf, xq + ou, v, 1);
                c->k->silu_mul(nr, g, v);
            }
            u0 += nr;
        }
}

/* The weighted sum of the K outputs for rows r0 .. r1 - 1 of every token: in slot order, one
   axpy each (the same order and bits for a token alone and in a batch). */
static void olmoe__wsum_rows(olmoe_ctx *c, const olmoe__moe_job *j, int64_t r0, int64_t r1) {
    int d = c->model->cfg.n_embd, Kmax = c->model->cfg.n_expert_used, t, k;
    int64_t r;
    for (t = 0; t < j->n_tok; t++) {
        float *yt = c->y + (size_t)t * d + (size_t)r0;
        for (r = 0; r < r1 - r0; r++) yt[r] = 0.0f;
        for (k = 0; k < j->K; k++)
            c->k->axpy_f32((int)(r1 - r0), c->selw[(size_t)t * Kmax + k], c->dn + ((size_t)t * Kmax + k) * d + (size_t)r0, yt);
    }
}
/* Rows r0 .. r1 - 1 of expert e's down projection for all its tokens. */
static void olmoe__down_rows(olmoe_ctx *c, const olmoe__layer *L, int e, int64_t r0, int64_t r1) {
    const olmoe_config *cf = &c->model->cfg;
    int F = cf->n_ff, d = cf->n_embd, i, t;
    olmoe__mm_fn md = olmoe__mm_for(c, L->down_exps.type);
    size_t qs = olmoe__xq_size(c, F), xo = olmoe__xq_off(c, L->down_exps.type, F);
    const uint8_t *dr = L->down_exps.data + ((uint64_t)e * d + (uint64_t)r0) * L->down_exps.row_bytes;
    if (md) {
        const uint8_t *xq[64];
        float *y[64];
        int nt;
        for (i = c->ex_start[e]; i < c->ex_start[e] + c->ex_count[e]; i += nt) {
            nt = OLMOE__MIN(c->ex_start[e] + c->ex_count[e] - i, 64);
            for (t = 0; t < nt; t++) {
                int ts = c->ex_rows[i + t];
                xq[t] = c->actq + (size_t)ts * qs + xo;
                y[t] = c->dn + (size_t)ts * d + (size_t)r0;
            }
            md(F, (int)(r1 - r0), dr, (size_t)L->down_exps.row_bytes, nt, xq, y);
        }
    } else
        for (i = c->ex_start[e]; i < c->ex_start[e] + c->ex_count[e]; i++) {
            int ts = c->ex_rows[i];
            olmoe__rows_dot(c->k, L->down_exps.type, F, (size_t)L->down_exps.row_bytes, dr, r1 - r0,
                            c->act + (size_t)ts * F, c->actq + (size_t)ts * qs + xo, c->dn + (size_t)ts * d + (size_t)r0, 1);
        }
}
/* Expert down projections. One token: each grab is a range of output rows over all K experts,
   then the weighted sum of those rows (the sum needs only them: no phase of its own); two
   grabs per thread, so each expert's rows are read as long sequential streams (16 grabs
   measured 20% slower for this phase). A batch: grabs of 256 rows of one expert (grabs over all
   experts are too coarse to end the phase evenly; a grab's first rows come in cold), the sum in
   olmoe__wsum_worker after. */
static void olmoe__down_worker(void *arg, int ith, int nth) {
    olmoe__moe_job *j = (olmoe__moe_job *)arg;
    olmoe_ctx *c = j->c;
    int d = c->model->cfg.n_embd, ui;
    int64_t r0, r1;
    (void)ith;
    if (j->n_tok > 1) {
        while (olmoe__grab(&c->pool, (int64_t)j->n_used * d, 256, &r0, &r1))
            while (r0 < r1) {
                int64_t e0 = r0 / d, end = OLMOE__MIN(r1, (e0 + 1) * d);
                olmoe__down_rows(c, j->L, j->used[e0], r0 - e0 * d, end - e0 * d);
                r0 = end;
            }
        return;
    }
    while (olmoe__grab(&c->pool, d, OLMOE__MAX(d / (2 * nth), 4), &r0, &r1)) {
        for (ui = 0; ui < j->n_used; ui++) olmoe__down_rows(c, j->L, j->used[ui], r0, r1);
        olmoe__wsum_rows(c, j, r0, r1);
    }
}
static void olmoe__wsum_worker(void *arg, int ith, int nth) {
    olmoe__moe_job *j = (olmoe__moe_job *)arg;
    int64_t r0, r1;
    (void)ith; (void)nth;
    while (olmoe__grab(&j->c->pool, j->c->model->cfg.n_embd, 64, &r0, &r1)) olmoe__wsum_rows(j->c, j, r0, r1);
}

/* MoE block on c->h (n_tok tokens) -> c->y. */
static void olmoe__moe(olmoe_ctx *c, const olmoe__layer *L, int n_tok) {
    const olmoe_config *cf = &c->model->cfg;
    int E = cf->n_expert, Kmax = cf->n_expert_used, K = 0, e, t, k, n_used = 0, n_allowed;
    int32_t used[4096];
    olmoe__route_job rj;
    olmoe__moe_job mj;
    for (e = 0; e < E; e++) K += c->expert_allowed[e] ? 1 : 0;
    n_allowed = K;
    K = OLMOE__MIN(K, Kmax);
    rj.c = c; rj.L = L; rj.x = c->h; rj.n_tok = n_tok; rj.K = K;
    olmoe__pool_run(&c->pool, olmoe__route_logits_worker, &rj);
    if (n_tok == 1) olmoe__run_here(&c->pool, olmoe__route_select_worker, &rj);
    else olmoe__pool_run(&c->pool, olmoe__route_select_worker, &rj);
    /* counting sort of (token, slot) by expert */
    for (e = 0; e < E; e++) c->ex_count[e] = 0;
    for (t = 0; t < n_tok; t++)
        for (k = 0; k < K; k++) c->ex_count[c->sel[(size_t)t * Kmax + k]]++;
    for (e = 0, c->ex_start[0] = 0; e < E; e++) {
        c->ex_start[e + 1] = c->ex_start[e] + c->ex_count[e];
        if (c->ex_count[e]) used[n_used++] = e;
    }
    for (e = 0; e < E; e++) c->ex_count[e] = 0;
    for (t = 0; t < n_tok; t++)
        for (k = 0; k < K; k++) {
            int ex = c->sel[(size_t)t * Kmax + k];
            c->ex_rows[c->ex_start[ex] + c->ex_count[ex]++] = t * Kmax + k;
        }
    if (c->route_fn) {
        olmoe_route_info ri;
        int l = (int)(L - c->model->layers);
        for (t = 0; t < n_tok; t++) {
            ri.layer = l;
            ri.pos = c->pos + t;
            ri.n_used = K;
            ri.experts = c->sel + (size_t)t * Kmax;
            ri.weights = c->selw + (size_t)t * Kmax;
            ri.probs = c->route_probs ? c->probs + (size_t)t * E : NULL;
            ri.n_expert = E;
            c->route_fn(&ri, c->route_user);
        }
    }
    /* the router matrix is f32, one row per allowed expert; every used expert's rows are read
       once for all its tokens */
    OLMOE__PROF(c, OLMOE_PHASE_ROUTER, (uint64_t)n_allowed * (uint64_t)cf->n_embd * 4);
    mj.c = c; mj.L = L; mj.n_used = n_used; mj.K = K; mj.n_tok = n_tok; mj.used = used;
    olmoe__pool_run(&c->pool, olmoe__gateup_worker, &mj);
    OLMOE__PROF(c, OLMOE_PHASE_GATE_UP, (uint64_t)n_used * (uint64_t)cf->n_ff * (L->gate_exps.row_bytes + L->up_exps.row_bytes));
    /* quantize the expert hidden vectors of every (token, slot) */
    olmoe__quantize_batch(c, c->act, (size_t)cf->n_ff, c->actq, cf->n_ff, n_tok * Kmax);
    OLMOE__PROF(c, OLMOE_PHASE_QUANT, 0);
    olmoe__pool_run(&c->pool, olmoe__down_worker, &mj);
    if (n_tok > 1) olmoe__pool_run(&c->pool, olmoe__wsum_worker, &mj);
    /* the DOWN phase ends after the caller's residual add; its bytes are known here */
    if (c->prof_on) c->prof.phase[OLMOE_PHASE_DOWN].bytes += (uint64_t)n_used * (uint64_t)cf->n_embd * L->down_exps.row_bytes;
}

static void olmoe__rope(float *v, int n_heads, int hd, const float *cs, const float *sn) {
    int h, i, half = hd / 2;
    for (h = 0; h < n_heads; h++) {
        float *x = v + (size_t)h * hd;
        for (i = 0; i < half; i++) {
            float a = x[i], b = x[i + half];
            x[i] = a * cs[i] - b * sn[i];
            x[i + half] = b * cs[i] + a * sn[i];
        }
    }
}

/* One batch of n_tok tokens at c->pos. */
static void olmoe__forward_batch(olmoe_ctx *c, const int32_t *tokens, int n_tok, int want_all, float *logits_out) {
    const olmoe_model *m = c->model;
    const olmoe_config *cf = &m->cfg;
    int d = cf->n_embd, hd = cf->head_dim, H = cf->n_head, Hkv = cf->n_head_kv, l, t, i;
    size_t qd = (size_t)H * hd, kvd = (size_t)Hkv * hd, qkvd = qd + 2 * kvd, hd2 = (size_t)hd / 2;
    int flex = cf->arch == OLMOE_ARCH_FLEX_OLMO;
    float eps = cf->norm_eps;

    if (c->prof_on) c->prof_t = olmoe_time_now();
    for (t = 0; t < n_tok; t++)
        olmoe_dequantize_row(m->tok_embd.type, m->tok_embd.data + (uint64_t)tokens[t] * m->tok_embd.row_bytes,
                             c->x + (size_t)t * d, d);
    OLMOE__PROF(c, OLMOE_PHASE_EMBED, (uint64_t)n_tok * m->tok_embd.row_bytes);
    for (l = 0; l < cf->n_layer; l++) {
        const olmoe__layer *L = &m->layers[l];
        olmoe__att_job aj;
        /* attention */
        for (t = 0; t < n_tok; t++) {
            if (flex) memcpy(c->h + (size_t)t * d, c->x + (size_t)t * d, (size_t)d * 4);
            else olmoe__rmsnorm(c->h + (size_t)t * d, c->x + (size_t)t * d, L->attn_norm, d, eps);
        }
        OLMOE__PROF(c, OLMOE_PHASE_ATTN_NORM, 0);
        olmoe__quantize_batch(c, c->h, (size_t)d, c->hq, d, n_tok);
        OLMOE__PROF(c, OLMOE_PHASE_QUANT, 0);
        olmoe__matmul(c, &L->wq, &L->wk, &L->wv, c->h, (size_t)d, c->hq, c->qkv, qkvd, n_tok);
        OLMOE__PROF(c, OLMOE_PHASE_QKV, L->wq.row_bytes * (uint64_t)L->wq.ne1 + L->wk.row_bytes * (uint64_t)L->wk.ne1 +
                                        L->wv.row_bytes * (uint64_t)L->wv.ne1);
        for (t = 0; t < n_tok; t++) {
            float *q = c->qkv + (size_t)t * qkvd, *k = q + qd;
            int pos = c->pos + t;
            olmoe__rmsnorm(q, q, L->q_norm, (int)qd, eps);
            olmoe__rmsnorm(k, k, L->k_norm, (int)kvd, eps);
            olmoe__rope(q, H, hd, c->rope_cos + (size_t)pos * hd2, c->rope_sin + (size_t)pos * hd2);
            olmoe__rope(k, Hkv, hd, c->rope_cos + (size_t)pos * hd2, c->rope_sin + (size_t)pos * hd2);
        }
        OLMOE__PROF(c, OLMOE_PHASE_QK_NORM_ROPE, 0);
        for (t = 0; t < n_tok; t++) {
            float *k = c->qkv + (size_t)t * qkvd + qd, *v = k + kvd;
            int pos = c->pos + t;
            for (i = 0; i < Hkv; i++) {   /* head i's row at this position */
                size_t o = (((size_t)l * Hkv + (size_t)i) * c->n_ctx + (size_t)pos) * hd;
                if (c->kv_f16) {
                    c->k->cvt_f16(hd, k + (size_t)i * hd, (uint16_t *)c->k_cache + o);
                    c->k->cvt_f16(hd, v + (size_t)i * hd, (uint16_t *)c->v_cache + o);
                } else {
                    memcpy((float *)c->k_cache + o, k + (size_t)i * hd, (size_t)hd * 4);
                    memcpy((float *)c->v_cache + o, v + (size_t)i * hd, (size_t)hd * 4);
                }
            }
        }
        aj.c = c; aj.layer = l; aj.pos0 = c->pos; aj.n_tok = n_tok;
        olmoe__pool_run(&c->pool, olmoe__att_worker, &aj);
        /* token t reads the K and V rows of positions 0 .. pos0 + t */
        OLMOE__PROF(c, OLMOE_PHASE_ATTENTION, 2 * (uint64_t)kvd * (c->kv_f16 ? 2 : 4) *
                                              ((uint64_t)n_tok * (uint64_t)c->pos + (uint64_t)n_tok * (uint64_t)(n_tok + 1) / 2));
        olmoe__quantize_batch(c, c->att, qd, c->attq, (int)qd, n_tok);
        OLMOE__PROF(c, OLMOE_PHASE_QUANT, 0);
        olmoe__matmul(c, &L->wo, NULL, NULL, c->att, qd, c->attq, c->tmp, (size_t)d, n_tok);
        for (t = 0; t < n_tok; t++) {
            float *x = c->x + (size_t)t * d, *o = c->tmp + (size_t)t * d;
            if (flex) olmoe__rmsnorm(o, o, L->post_attn_norm, d, eps);
            for (i = 0; i < d; i++) x[i] += o[i];
        }
        OLMOE__PROF(c, OLMOE_PHASE_ATTN_OUT, L->wo.row_bytes * (uint64_t)L->wo.ne1);
        /* MoE */
        for (t = 0; t < n_tok; t++) {
            if (flex) memcpy(c->h + (size_t)t * d, c->x + (size_t)t * d, (size_t)d * 4);
            else olmoe__rmsnorm(c->h + (size_t)t * d, c->x + (size_t)t * d, L->ffn_norm, d, eps);
        }
        OLMOE__PROF(c, OLMOE_PHASE_FFN_NORM, 0);
        olmoe__quantize_batch(c, c->h, (size_t)d, c->hq, d, n_tok);
        OLMOE__PROF(c, OLMOE_PHASE_QUANT, 0);
        olmoe__moe(c, L, n_tok);
        for (t = 0; t < n_tok; t++) {
            float *x = c->x + (size_t)t * d, *y = c->y + (size_t)t * d;
            if (flex) olmoe__rmsnorm(y, y, L->post_ffw_norm, d, eps);
            for (i = 0; i < d; i++) x[i] += y[i];
        }
        OLMOE__PROF(c, OLMOE_PHASE_DOWN, 0);   /* its bytes were counted in olmoe__moe */
    }
    /* head (skipped for a batch whose logits nobody needs) */
    if (logits_out) {
        int first = want_all ? 0 : n_tok - 1, n_out = n_tok - first;
        for (t = 0; t < n_out; t++) olmoe__rmsnorm(c->h + (size_t)t * d, c->x + (size_t)(first + t) * d, m->out_norm, d, eps);
        OLMOE__PROF(c, OLMOE_PHASE_OUT_NORM, 0);
        olmoe__quantize_batch(c, c->h, (size_t)d, c->hq, d, n_out);
        OLMOE__PROF(c, OLMOE_PHASE_QUANT, 0);
        olmoe__matmul(c, &m->output, NULL, NULL, c->h, (size_t)d, c->hq, logits_out, (size_t)cf->n_vocab, n_out);
        OLMOE__PROF(c, OLMOE_PHASE_HEAD, m->output.row_bytes * (uint64_t)m->output.ne1);
    }
}

OLMOE_API olmoe_result olmoe_ctx_eval(olmoe_ctx *c, const int32_t *tokens, int n, int logits_all) {
    const olmoe_config *cf;
    int i, done;
    double t_eval;
    if (!c) return OLMOE_ERR_INVALID_ARG;
    t_eval = c->prof_on ? olmoe_time_now() : 0.0;
    cf = &c->model->cfg;
    c->err[0] = 0;
    if (!tokens || n <= 0) return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_INVALID_ARG, "eval: no tokens");
    for (i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= cf->n_vocab)
            return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_TOKEN, "token %d at index %d is outside [0, %d)", (int)tokens[i], i, cf->n_vocab);
    if (n > c->n_ctx - c->pos)
        return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_CONTEXT_FULL, "%d tokens do not fit: context holds %d of %d", n, c->pos, c->n_ctx);
    {
        int need = logits_all ? n : 1;
        if (need > c->logits_cap) {
            float *nl = (float *)olmoe__aligned_alloc_z((size_t)need * (size_t)cf->n_vocab * 4, 0);
            if (!nl) return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_OOM, "out of memory for %d logit rows", need);
            olmoe__aligned_free(c->logits);
            c->logits = nl;
            c->logits_cap = need;
        }
    }
    if (c->fwd_fn) {
        olmoe_forward_call fc;
        olmoe_result r;
        fc.tokens = tokens; fc.n = n; fc.pos = c->pos; fc.history = c->hist;
        fc.logits_all = logits_all; fc.logits = c->logits;
        fc.expert_allowed = c->expert_allowed; fc.n_expert = cf->n_expert;
        r = c->fwd_fn(c->fwd_user, &fc, c->err, sizeof c->err);
        if (r != OLMOE_OK) {
            c->n_logits = 0;   /* the hook may have written part of the rows */
            if (!c->err[0]) snprintf(c->err, sizeof c->err, "forward hook failed (%s)", olmoe_result_str(r));
            return r;
        }
        memcpy(c->hist + c->pos, tokens, (size_t)n * sizeof(int32_t));
        c->pos += n;
        c->n_logits = logits_all ? n : 1;
        return OLMOE_OK;
    }
    for (done = 0; done < n;) {
        int nb = OLMOE__MIN(c->n_batch, n - done);
        int last = done + nb == n;
        float *out = logits_all ? c->logits + (size_t)done * cf->n_vocab : c->logits;
        olmoe__forward_batch(c, tokens + done, nb, logits_all, (logits_all || last) ? out : NULL);
        memcpy(c->hist + c->pos, tokens + done, (size_t)nb * sizeof(int32_t));
        c->pos += nb;
        done += nb;
    }
    c->n_logits = logits_all ? n : 1;
    if (c->prof_on) {
        c->prof.eval_seconds += olmoe_time_now() - t_eval;
        c->prof.evals++;
        c->prof.tokens += (uint64_t)n;
    }
    return OLMOE_OK;
}

OLMOE_API olmoe_result olmoe_ctx_set_profile(olmoe_ctx *c, int on) {
    if (!c) return OLMOE_ERR_INVALID_ARG;
    if (on) memset(&c->prof, 0, sizeof c->prof);
    c->prof_on = on != 0;
    c->pool.prof = on != 0;
    c->pool.wait_s = 0.0;
    return OLMOE_OK;
}
OLMOE_API olmoe_result olmoe_ctx_profile(const olmoe_ctx *c, olmoe_profile *out) {
    if (!c || !out) return OLMOE_ERR_INVALID_ARG;
    *out = c->prof;
    return OLMOE_OK;
}
OLMOE_API const char *olmoe_phase_name(int phase) {
    static const char *const names[OLMOE_PHASE_COUNT] = {
        "embed", "attn_norm", "quant", "qkv", "qk_norm_rope", "attention", "attn_out",
        "ffn_norm", "router", "gate_up", "down", "out_norm", "head"};
    return phase >= 0 && phase < OLMOE_PHASE_COUNT ? names[phase] : NULL;
}

/* >>scoring =============================================================================== */
OLMOE_API double olmoe_logprob(const float *logits, int n_vocab, int32_t t) {
    double mx = -INFINITY, sum = 0.0;
    int i;
    if (!logits || t < 0 || t >= n_vocab) return -INFINITY;
    for (i = 0; i < n_vocab; i++) if (logits[i] > mx) mx = logits[i];
    for (i = 0; i < n_vocab; i++) sum += exp((double)logits[i] - mx);
    return (double)logits[t] - mx - log(sum);
}

OLMOE_API olmoe_result olmoe_ctx_score(olmoe_ctx *c, const int32_t *context, int n_context,
                                       const int32_t *cont, int n_cont, float *logprobs,
                                       double *sum, int *is_greedy) {
    olmoe_result r;
    int32_t *seq;
    int i, V, greedy = 1;
    double total = 0.0;
    if (!c) return OLMOE_ERR_INVALID_ARG;
    if (!context || n_context < 1 || !cont || n_cont < 1)
        return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_INVALID_ARG, "score: need at least one context and one continuation token");
    if ((int64_t)n_context + n_cont - 1 > (int64_t)c->n_ctx)
        return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_CONTEXT_FULL, "score: %d + %d tokens exceed the context of %d", n_context, n_cont, c->n_ctx);
    V = c->model->cfg.n_vocab;
    seq = (int32_t *)OLMOE_MALLOC(sizeof(int32_t) * (size_t)n_cont);
    if (!seq) return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_OOM, "out of memory");
    seq[0] = context[n_context - 1];
    for (i = 1; i < n_cont; i++) seq[i] = cont[i - 1];
    for (i = 0; i < n_cont; i++)
        if (cont[i] < 0 || cont[i] >= V) { OLMOE_FREE(seq); return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_TOKEN, "score: token %d out of range", (int)cont[i]); }
    olmoe_ctx_truncate(c, 0);
    r = n_context > 1 ? olmoe_ctx_eval(c, context, n_context - 1, 0) : OLMOE_OK;
    if (r == OLMOE_OK) r = olmoe_ctx_eval(c, seq, n_cont, 1);
    OLMOE_FREE(seq);
    if (r != OLMOE_OK) return r;
    for (i = 0; i < n_cont; i++) {
        const float *lg = olmoe_ctx_logits(c, i);
        double lp = olmoe_logprob(lg, V, cont[i]);
        int j, best = 0;
        for (j = 1; j < V; j++) if (lg[j] > lg[best]) best = j;
        if (best != cont[i]) greedy = 0;
        if (logprobs) logprobs[i] = (float)lp;
        total += lp;
    }
    if (sum) *sum = total;
    if (is_greedy) *is_greedy = greedy;
    return OLMOE_OK;
}

/* >>chat ================================================================================== */
static const char olmoe__tmpl_0924[] =
    "{{ bos_token }}{% for message in messages %}\n{% if message['role'] == 'system' %}\n"
    "{{ '<|system|>\\n' + message['content'] }}\n{% elif message['role'] == 'user' %}\n"
    "{{ '<|user|>\\n' + message['content'] }}\n{% elif message['role'] == 'assistant' %}\n"
    "{{ '<|assistant|>\\n'  + message['content'] + eos_token }}\n{% endif %}\n"
    "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";
static const char olmoe__tmpl_tulu3[] =
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}"
    "{{ '<|system|>\\n' + message['content'] + '\\n' }}{% elif message['role'] == 'user' %}"
    "{{ '<|user|>\\n' + message['content'] + '\\n' }}{% elif message['role'] == 'assistant' %}"
    "{% if not loop.last %}{{ '<|assistant|>\\n'  + message['content'] + eos_token + '\\n' }}"
    "{% else %}{{ '<|assistant|>\\n'  + message['content'] + eos_token }}{% endif %}{% endif %}"
    "{% if loop.last and add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}{% endfor %}";

OLMOE_API int olmoe_chat_template_kind(const char *tmpl, size_t len) {
    if (!tmpl) return OLMOE_CHAT_UNKNOWN;
    while (len && (tmpl[len - 1] == '\n' || tmpl[len - 1] == ' ')) len--; /* a trailing newline is common in files */
    if (len == sizeof olmoe__tmpl_0924 - 1 && memcmp(tmpl, olmoe__tmpl_0924, len) == 0) return OLMOE_CHAT_OLMOE_0924;
    if (len == sizeof olmoe__tmpl_tulu3 - 1 && memcmp(tmpl, olmoe__tmpl_tulu3, len) == 0) return OLMOE_CHAT_TULU3;
    return OLMOE_CHAT_UNKNOWN;
}

typedef struct olmoe__sbuf { char *p; size_t cap, len; } olmoe__sbuf;
static void olmoe__put(olmoe__sbuf *b, const char *s) {
    size_t n = strlen(s);
    if (b->len < b->cap) memcpy(b->p + b->len, s, OLMOE__MIN(n, b->cap - b->len));
    b->len += n;
}

OLMOE_API int olmoe_chat_render_template(const char *tmpl, size_t tmpl_len, const char *bos, const char *eos,
                                         const olmoe_chat_msg *msgs, int n, int add_gen, char *out, size_t cap) {
    int kind = olmoe_chat_template_kind(tmpl, tmpl_len), i;
    olmoe__sbuf b;
    if (kind == OLMOE_CHAT_UNKNOWN) return OLMOE_ERR_UNSUPPORTED;
    if ((n > 0 && !msgs) || n < 0) return OLMOE_ERR_INVALID_ARG;
    b.p = out; b.cap = out ? cap : 0; b.len = 0;
    olmoe__put(&b, bos ? bos : "");
    for (i = 0; i < n; i++) {
        const char *r = msgs[i].role ? msgs[i].role : "", *c = msgs[i].content ? msgs[i].content : "";
        int last = i == n - 1;
        if (!strcmp(r, "system")) { olmoe__put(&b, "<|system|>\n"); olmoe__put(&b, c); olmoe__put(&b, "\n"); }
        else if (!strcmp(r, "user")) { olmoe__put(&b, "<|user|>\n"); olmoe__put(&b, c); olmoe__put(&b, "\n"); }
        else if (!strcmp(r, "assistant")) {
            olmoe__put(&b, "<|assistant|>\n"); olmoe__put(&b, c); olmoe__put(&b, eos ? eos : "");
            if (kind == OLMOE_CHAT_OLMOE_0924 || !last) olmoe__put(&b, "\n");
        }
        if (last && add_gen) olmoe__put(&b, "<|assistant|>\n");
    }
    if (b.len > INT_MAX) return OLMOE_ERR_LIMIT;
    if (out && cap) out[b.len < cap ? b.len : cap - 1] = 0;
    return (int)b.len;
}

/* The text of token id from the GGUF's tokenizer.ggml.tokens (NUL-terminated copy), "" if none. */
static void olmoe__token_text(const olmoe_model *m, int id, char *buf, size_t n) {
    const olmoe__kv *kv = olmoe__gguf_find(&m->gguf, "tokenizer.ggml.tokens");
    buf[0] = 0;
    if (id >= 0 && kv && kv->type == OLMOE__GGUF_ARR && kv->arr_type == OLMOE__GGUF_STR && (uint64_t)id < kv->arr_n) {
        uint64_t len;
        const char *s = olmoe__kv_arr_str(kv, (uint64_t)id, &len);
        size_t k = (size_t)OLMOE__MIN(len, (uint64_t)(n - 1));
        memcpy(buf, s, k);
        buf[k] = 0;
    }
}

OLMOE_API int olmoe_chat_render(const olmoe_model *m, const olmoe_chat_msg *msgs, int n, int add_gen, char *out, size_t cap) {
    const olmoe__kv *kv;
    char bos[128], eos[128];
    uint64_t len;
    if (!m) return OLMOE_ERR_INVALID_ARG;
    kv = olmoe__gguf_find(&m->gguf, "tokenizer.chat_template");
    if (!kv || kv->type != OLMOE__GGUF_STR) return OLMOE_ERR_UNSUPPORTED;
    memcpy(&len, kv->val, 8);
    olmoe__token_text(m, m->cfg.bos_id, bos, sizeof bos);
    olmoe__token_text(m, m->cfg.eos_id, eos, sizeof eos);
    return olmoe_chat_render_template((const char *)kv->val + 8, (size_t)len, bos, eos, msgs, n, add_gen, out, cap);
}

/* >>sampling ============================================================================== */
struct olmoe__cand { int32_t id; float v; };

OLMOE_API olmoe_sampler_params olmoe_sampler_default_params(void) {
    olmoe_sampler_params p;
    p.temperature = 0.8f;
    p.top_k = 40;
    p.top_p = 0.95f;
    p.min_p = 0.05f;
    p.repeat_penalty = 1.0f;
    p.repeat_last_n = 64;
    p.seed = 0x5eed;
    return p;
}

static uint64_t olmoe__splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

OLMOE_API void olmoe_sampler_init(olmoe_sampler *s, const olmoe_sampler_params *p) {
    uint64_t x;
    int i;
    if (!s) return;
    s->p = p ? *p : olmoe_sampler_default_params();
    x = s->p.seed;
    for (i = 0; i < 4; i++) s->rng[i] = olmoe__splitmix(&x);
}

static uint64_t olmoe__rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

OLMOE_API float olmoe_sampler_uniform(olmoe_sampler *s) {
    uint64_t *r, res, t;
    if (!s) return 0.0f;
    r = s->rng; res = olmoe__rotl(r[1] * 5, 7) * 9; t = r[1] << 17;
    r[2] ^= r[0]; r[3] ^= r[1]; r[1] ^= r[2]; r[0] ^= r[3]; r[2] ^= t; r[3] = olmoe__rotl(r[3], 45);
    return (float)(res >> 40) * (1.0f / 16777216.0f);
}

/* descending by value, ties by ascending id (a total order: results never depend on qsort) */
static int olmoe__cand_cmp(const void *a, const void *b) {
    const struct olmoe__cand *x = (const struct olmoe__cand *)a, *y = (const struct olmoe__cand *)b;
    if (x->v != y->v) return x->v > y->v ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Move the k best candidates to the front (unordered), by quickselect. */
static void olmoe__select_top(struct olmoe__cand *a, int n, int k) {
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        struct olmoe__cand piv = a[(lo + hi) / 2], tmp;
        int i = lo, j = hi;
        while (i <= j) {
            while (olmoe__cand_cmp(&a[i], &piv) < 0) i++;
            while (olmoe__cand_cmp(&a[j], &piv) > 0) j--;
            if (i <= j) { tmp = a[i]; a[i] = a[j]; a[j] = tmp; i++; j--; }
        }
        if (k - 1 <= j) hi = j;
        else if (k - 1 >= i) lo = i;
        else break;
    }
}

OLMOE_API int32_t olmoe_sampler_sample(olmoe_sampler *s, olmoe_ctx *c, const float *logits,
                                       const int32_t *recent, int n_recent) {
    const olmoe_sampler_params *p;
    struct olmoe__cand *cd;
    int V, n, i, j;
    float mx, sum, r, acc;
    if (!s || !c || !logits) return OLMOE_ERR_INVALID_ARG;
    p = &s->p;
    V = c->model->cfg.n_vocab;
    cd = c->cand;
    for (i = 0; i < V; i++) { cd[i].id = i; cd[i].v = logits[i] == logits[i] ? logits[i] : -INFINITY; } /* NaN sorts last */
    if (recent && n_recent > 0 && p->repeat_penalty != 1.0f && p->repeat_last_n != 0) {
        int from = p->repeat_last_n < 0 ? 0 : OLMOE__MAX(0, n_recent - p->repeat_last_n);
        for (i = from; i < n_recent; i++) {
            int32_t t = recent[i];
            int seen = 0;
            if (t < 0 || t >= V) continue;
            for (j = from; j < i; j++) seen |= recent[j] == t;
            if (seen) continue;
            cd[t].v = cd[t].v > 0 ? cd[t].v / p->repeat_penalty : cd[t].v * p->repeat_penalty;
        }
    }
    if (p->temperature <= 0.0f) {
        int b = 0;
        for (i = 1; i < V; i++) if (cd[i].v > cd[b].v) b = i;
        return b;
    }
    n = V;
    if (p->top_k > 0 && p->top_k < n) { olmoe__select_top(cd, n, p->top_k); n = p->top_k; }
    qsort(cd, (size_t)n, sizeof *cd, olmoe__cand_cmp);
    /* probabilities of the untempered distribution over the survivors */
    mx = cd[0].v;
    for (i = 0, sum = 0.0f; i < n; i++) sum += expf(cd[i].v - mx);
    if (p->top_p < 1.0f) {
        for (i = 0, acc = 0.0f; i < n; i++) {
            acc += expf(cd[i].v - mx) / sum;
            if (acc >= p->top_p) { n = i + 1; break; }
        }
    }
    if (p->min_p > 0.0f) {
        /* keep p_i >= min_p * p_max, i.e. v_i >= mx + log(min_p) */
        float cut = mx + logf(p->min_p);
        for (i = 1; i < n; i++) if (cd[i].v < cut) { n = i; break; }
    }
    for (i = 0, sum = 0.0f; i < n; i++) sum += expf((cd[i].v - mx) / p->temperature);
    r = olmoe_sampler_uniform(s) * sum;
    for (i = 0, acc = 0.0f; i < n; i++) {
        acc += expf((cd[i].v - mx) / p->temperature);
        if (r < acc) return cd[i].id;
    }
    return cd[n - 1].id;
}

/* >>generation ============================================================================ */
OLMOE_API olmoe_gen_params olmoe_gen_default_params(void) {
    olmoe_gen_params p;
    memset(&p, 0, sizeof p);
    p.sampling = olmoe_sampler_default_params();
    p.n_predict = 256;
    return p;
}

/* Length of the longest suffix of s[0..n) that is a proper prefix of a stop string. */
static size_t olmoe__stop_holdback(const char *s, size_t n, const char *const *stop, int n_stop) {
    size_t best = 0;
    int i;
    for (i = 0; i < n_stop; i++) {
        size_t sl = stop[i] ? strlen(stop[i]) : 0, k;
        for (k = OLMOE__MIN(sl - (sl > 0), n); k > best; k--)
            if (memcmp(s + n - k, stop[i], k) == 0) { best = k; break; }
    }
    return best;
}

OLMOE_API olmoe_result olmoe_generate(olmoe_ctx *c, const char *prompt, const olmoe_gen_params *gp, olmoe_gen_stats *st) {
    olmoe_gen_params p = gp ? *gp : olmoe_gen_default_params();
    olmoe_gen_stats dummy;
    olmoe_sampler smp;
    olmoe_detok dt;
    olmoe_result r = OLMOE_OK;
    int32_t *ptok = NULL;
    char *pend = NULL;            /* decoded text not yet emitted (held back for stop strings) */
    size_t plen = 0, pcap = 0;
    int n, i, eos;
    double t0;
    if (!st) st = &dummy;
    memset(st, 0, sizeof *st);
    if (!c || !prompt) return OLMOE_ERR_INVALID_ARG;
    if (!c->model->tok) return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_UNSUPPORTED, "the model file has no tokenizer");
    eos = p.ignore_eos ? -1 : c->model->cfg.eos_id;
    n = olmoe_tokenize(c->model, prompt, strlen(prompt), NULL, 0, 1);
    if (n < 0) return olmoe__fail(c->err, sizeof c->err, (olmoe_result)n, "tokenize failed");
    ptok = (int32_t *)OLMOE_MALLOC(sizeof(int32_t) * (size_t)(n + 1));
    if (!ptok) return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_OOM, "out of memory");
    olmoe_tokenize(c->model, prompt, strlen(prompt), ptok, n, 1);
    st->n_prompt = n;
    t0 = olmoe_time_now();
    if (n > 0) r = olmoe_ctx_eval(c, ptok, n, 0);
    OLMOE_FREE(ptok);
    if (r != OLMOE_OK) return r;
    if (olmoe_ctx_logits(c, -1) == NULL) return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_INVALID_ARG, "empty prompt and empty context: nothing to continue");
    st->prefill_s = olmoe_time_now() - t0;
    t0 = olmoe_time_now();
    olmoe_sampler_init(&smp, &p.sampling);
    olmoe_detok_init(&dt);
    st->stop_reason = OLMOE_STOP_LENGTH;
    for (i = 0; i < p.n_predict; i++) {
        int32_t t = olmoe_sampler_sample(&smp, c, olmoe_ctx_logits(c, -1), c->hist, c->pos);
        char piece[4096];
        int kk;
        size_t k, hold;
        int s, stop_at = -1;
        if (t == eos) { st->stop_reason = OLMOE_STOP_EOS; break; }
        st->n_gen++;
        kk = olmoe_detok_push(&dt, c->model, t, piece, sizeof piece);
        k = kk > 0 ? (size_t)OLMOE__MIN(kk, (int)sizeof piece) : 0;
        if (plen + k + 1 > pcap) {
            char *np = (char *)OLMOE_MALLOC(pcap = (plen + k + 1) * 2 + 64);
            if (!np) { r = OLMOE_ERR_OOM; break; }
            if (pend) { memcpy(np, pend, plen); OLMOE_FREE(pend); }
            pend = np;
        }
        memcpy(pend + plen, piece, k);
        plen += k;
        pend[plen] = 0;
        for (s = 0; s < p.n_stop; s++) {
            const char *hit = p.stop[s] && p.stop[s][0] ? strstr(pend, p.stop[s]) : NULL;
            if (hit && (stop_at < 0 || hit - pend < stop_at)) stop_at = (int)(hit - pend);
        }
        if (stop_at >= 0) {
            if (p.on_text && stop_at > 0) p.on_text(pend, (size_t)stop_at, p.user);
            plen = 0;
            st->stop_reason = OLMOE_STOP_STRING;
            /* the stop token is in the context; evaluate it so the cache matches the text */
            if (c->pos < c->n_ctx) r = olmoe_ctx_eval(c, &t, 1, 0);
            break;
        }
        hold = olmoe__stop_holdback(pend, plen, p.stop, p.n_stop);
        if (plen > hold) {
            if (p.on_text && !p.on_text(pend, plen - hold, p.user)) { st->stop_reason = OLMOE_STOP_CANCELLED; r = OLMOE_ERR_CANCELLED; plen = 0; break; }
            memmove(pend, pend + plen - hold, hold);
            plen = hold;
        }
        if (c->pos >= c->n_ctx) { st->stop_reason = OLMOE_STOP_CONTEXT_FULL; break; }
        if ((r = olmoe_ctx_eval(c, &t, 1, 0)) != OLMOE_OK) break;
    }
    if (r == OLMOE_OK || r == OLMOE_ERR_CANCELLED) {
        char tail[16];
        int kk = olmoe_detok_flush(&dt, tail, sizeof tail);
        size_t k = kk > 0 ? (size_t)OLMOE__MIN(kk, (int)sizeof tail) : 0;
        if (st->stop_reason != OLMOE_STOP_STRING && st->stop_reason != OLMOE_STOP_CANCELLED && p.on_text) {
            if (plen) p.on_text(pend, plen, p.user);
            if (k) p.on_text(tail, k, p.user);
        }
    }
    OLMOE_FREE(pend);
    st->decode_s = olmoe_time_now() - t0;
    if (r == OLMOE_ERR_CANCELLED) olmoe__fail(c->err, sizeof c->err, r, "generation cancelled by the callback");
    return r;
}

#ifdef __cplusplus
}
#endif

#endif /* OLMOE_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
This software is available under 2 licenses -- choose whichever you prefer.
ALTERNATIVE A - MIT License. Copyright (c) 2026 the olmoe.h authors.
Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions: The above copyright notice
and this permission notice shall be included in all copies or substantial portions of the
Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.
ALTERNATIVE B - Public Domain (www.unlicense.org). Anyone is free to copy, modify, publish, use,
compile, sell, or distribute this software, either in source code form or as a compiled binary,
for any purpose, commercial or non-commercial, and by any means.
------------------------------------------------------------------------------
*/
