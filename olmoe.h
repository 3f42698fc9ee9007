/* olmoe.h - v0.1.0 - Mixture-of-Experts inference (OLMoE, FlexOlmo) in one C header.

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
     * Determinism. Every output element is reduced in a fixed order by one thread, so logits do
       not depend on the thread count; evaluating a sequence token by token gives the same logits
       as evaluating it at once.

   olmoe.h DOES NOT: download models, run on GPUs (tools/ has the CUDA driver), train, or
   parse Jinja in general (known chat templates are recognised by their text).
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
#define OLMOE_VERSION_MINOR 1
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
    OLMOE_TYPE_F32 = 0, OLMOE_TYPE_F16 = 1, OLMOE_TYPE_Q4_0 = 2, OLMOE_TYPE_Q8_0 = 8,
    OLMOE_TYPE_Q6_K = 14, OLMOE_TYPE_BF16 = 30
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
    int validate_weights;        /* nonzero (default): reject NaN/Inf in norm and router weights */
    int vocab_only;              /* load metadata and tokenizer only (no weights bound; no eval) */
} olmoe_model_params;

typedef struct olmoe_ctx_params {
    int n_ctx;      /* KV cache length in tokens; 0 = min(n_ctx_train, 4096) */
    int n_batch;    /* most tokens evaluated in one pass (longer evals are split); 0 = 256 */
    int n_threads;  /* 0 = all online cores */
    int kernels;    /* OLMOE_KERNELS_*; AUTO picks the best the CPU has */
} olmoe_ctx_params;

typedef struct olmoe_tensor_info {
    const char *name;   /* NUL-terminated, owned by the model */
    int type;           /* GGML type id */
    int n_dims;
    int64_t ne[4];      /* ne[0] innermost */
    uint64_t offset;    /* byte offset in the file */
    uint64_t nbytes;
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
/* A string metadata value (e.g. "general.name"), NUL-terminated copy into buf; returns length or -1. */
OLMOE_API int  olmoe_model_meta_str(const olmoe_model *m, const char *key, char *buf, size_t n);
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
OLMOE_API int  olmoe_ctx_n_threads(const olmoe_ctx *c);

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
#include "src/olmoe_tok_api.inc"

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
#ifndef OLMOE_NO_THREADS
#include <pthread.h>
#endif

#define OLMOE__MIN(a, b) ((a) < (b) ? (a) : (b))
#define OLMOE__MAX(a, b) ((a) > (b) ? (a) : (b))

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
        int fd = open(path, O_RDONLY);
        if (fd < 0) return olmoe__fail(err, en, OLMOE_ERR_IO, "%s: cannot open", path);
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            close(fd);
            return olmoe__fail(err, en, OLMOE_ERR_IO, "%s: not a regular file", path);
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

static void olmoe__quantize_q4_0_ref(const float *x, olmoe__block_q4_0 *y, int64_t n) {
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
    default: return OLMOE_ERR_UNSUPPORTED;
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
    default: return OLMOE_ERR_UNSUPPORTED;
    }
}

/* >>kernels (scalar reference) =============================================================
   The seam between the model and the arithmetic. A dot product of one weight row (in its file
   format) with one activation vector. Quantized weight rows (Q8_0, Q4_0) are dotted with the
   activation quantized to Q8_0 blocks; float rows (F32, F16, BF16) and Q6_K with the f32
   activation. Every ISA path must give the same integer block sums as these functions. */
typedef float (*olmoe__dot_q_fn)(int n, const void *w, const void *xq);
typedef float (*olmoe__dot_f_fn)(int n, const void *w, const float *x);
typedef void (*olmoe__quant_fn)(const float *x, void *y, int n);
/* y[r * ys] = row r . xq for the nr rows at w + r * ws (Q8_0 or Q4_0 rows, Q8_0 activation). */
typedef void (*olmoe__dotr_fn)(int n, int nr, const void *w, size_t ws, const void *xq, float *y, size_t ys);

typedef struct olmoe__kernels {
    int id;                     /* OLMOE_KERNELS_* */
    olmoe__dot_q_fn dot_q8_0;   /* w: Q8_0 row, xq: Q8_0 activation */
    olmoe__dot_q_fn dot_q4_0;   /* w: Q4_0 row, xq: Q8_0 activation */
    olmoe__dot_f_fn dot_f32, dot_f16, dot_bf16, dot_q6_K;
    olmoe__quant_fn quant_q8_0; /* activation quantizer */
    /* Several rows at once, equal bit for bit to dot_q8_0 / dot_q4_0 row by row. SIMD paths take
       4 rows per pass and share the activation's loads, scales and Q4_0 correction among them. */
    olmoe__dotr_fn dotr_q8_0, dotr_q4_0;
} olmoe__kernels;
#define OLMOE__KERNELS_HAVE_DOTR 1 /* tells src/olmoe_simd.inc to fill the dotr entries */

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
static float olmoe__dot_q6_K_scalar(int n, const void *w, const float *x) {
    const olmoe__block_q6_K *a = (const olmoe__block_q6_K *)w;
    float tmp[256], s = 0.0f;
    int i, j;
    for (i = 0; i < n / 256; i++) {
        float bs = 0.0f;
        olmoe__dequant_q6_K(a + i, tmp);
        for (j = 0; j < 256; j++) bs += tmp[j] * x[i * 256 + j];
        s += bs;
    }
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

static const olmoe__kernels olmoe__kernels_scalar = {
    OLMOE_KERNELS_SCALAR, olmoe__dot_q8_0_scalar, olmoe__dot_q4_0_scalar, olmoe__dot_f32_scalar,
    olmoe__dot_f16_scalar, olmoe__dot_bf16_scalar, olmoe__dot_q6_K_scalar, olmoe__quant_q8_0_scalar,
    olmoe__dotr_q8_0_scalar, olmoe__dotr_q4_0_scalar
};

/* >>kernels_simd: ISA paths (AVX2, AVX-512, NEON), each tagged with a target attribute and
   chosen at run time. The section defines OLMOE__HAVE_SIMD and
   olmoe__pick_kernels_simd(want): the table for want (AUTO = best this CPU has), or NULL. */
#if !defined(OLMOE_NO_SIMD)
#include "src/olmoe_simd.inc"
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
#ifndef OLMOE_NO_THREADS
    pthread_t *th;
    olmoe__worker *workers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
#endif
};

#ifndef OLMOE_NO_THREADS
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
            if (++spins < 20000) { OLMOE__PAUSE(); continue; }
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
#ifdef OLMOE_NO_THREADS
    p->n = 1;
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
#ifndef OLMOE_NO_THREADS
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
#ifndef OLMOE_NO_THREADS
    if (p->n > 1) {
        int spins = 0;
        p->fn = fn;
        p->arg = arg;
        p->next = 0;
        OLMOE__STORE(&p->done, 0);
        pthread_mutex_lock(&p->mu);
        OLMOE__STORE(&p->gen, p->gen + 1);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        fn(arg, 0, p->n);
        /* spin briefly, then yield: on a loaded machine a worker may be waiting for a core */
        while (OLMOE__LOAD(&p->done) != p->n - 1) {
            if (++spins > 4000) sched_yield();
            else OLMOE__PAUSE();
        }
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
    int any_quant;           /* some matrix needs Q8_0 activations */
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
            t->type != OLMOE_TYPE_Q8_0 && t->type != OLMOE_TYPE_Q4_0 && t->type != OLMOE_TYPE_Q6_K)
            return olmoe__fail(err, en, OLMOE_ERR_UNSUPPORTED, "tensor %s: type %s is not supported (f32, f16, bf16, q8_0, q4_0, q6_K are)", name, olmoe_type_name(t->type));
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
    if (t->type == OLMOE_TYPE_Q8_0 || t->type == OLMOE_TYPE_Q4_0) m->any_quant = 1;
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

static olmoe_result olmoe__model_finish(olmoe_model *m, const olmoe_model_params *params, char *err, size_t en) {
    olmoe_model_params p = params ? *params : olmoe_model_default_params();
    olmoe_result r = olmoe__gguf_parse(m->map.data, m->map.size, &m->gguf, err, en);
    if (r != OLMOE_OK) return r;
    return olmoe__model_bind(m, &p, err, en);
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
    return OLMOE_OK;
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
#include "src/olmoe_tok.inc"

/* >>forward ================================================================================ */
struct olmoe_ctx {
    const olmoe_model *model;
    const olmoe__kernels *k;
    olmoe__pool pool;
    int n_ctx, n_batch, pos;
    /* KV cache: [n_layer][n_ctx][kv_dim] */
    float *k_cache, *v_cache;
    float *rope_cos, *rope_sin;   /* [n_ctx][head_dim/2] */
    /* scratch for n_batch tokens */
    float *x, *h, *qkv, *att, *tmp, *y;
    uint8_t *hq, *attq;            /* Q8_0 activations */
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
    char err[512];
};

OLMOE_API olmoe_ctx_params olmoe_ctx_default_params(void) {
    olmoe_ctx_params p;
    memset(&p, 0, sizeof p);
    return p;
}

static size_t olmoe__q8_size(int64_t n) { return (size_t)(n / 32) * sizeof(olmoe__block_q8_0); }

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
    c = (olmoe_ctx *)olmoe__calloc(1, sizeof(olmoe_ctx));
    if (!c) return olmoe__fail(err, en, OLMOE_ERR_OOM, "out of memory");
    c->model = m;
    c->k = olmoe__pick_kernels(p.kernels);
    if (!c->k) { OLMOE_FREE(c); return olmoe__fail(err, en, OLMOE_ERR_UNSUPPORTED, "kernel path %d is not available on this CPU or build", p.kernels); }
    c->n_ctx = p.n_ctx;
    c->n_batch = p.n_batch;
    B = (size_t)p.n_batch; d = (size_t)cf->n_embd; qd = (size_t)cf->n_head * cf->head_dim;
    kvd = (size_t)cf->n_head_kv * cf->head_dim; F = (size_t)cf->n_ff; E = (size_t)cf->n_expert;
    K = (size_t)cf->n_expert_used; hd2 = (size_t)cf->head_dim / 2;
    {
        uint64_t kvbytes = (uint64_t)cf->n_layer * (uint64_t)p.n_ctx * kvd * 4;
        if (kvbytes / ((uint64_t)cf->n_layer * kvd * 4) != (uint64_t)p.n_ctx || kvbytes > (uint64_t)SIZE_MAX / 2) {
            OLMOE_FREE(c); return olmoe__fail(err, en, OLMOE_ERR_OOM, "KV cache too large");
        }
        c->k_cache = (float *)olmoe__aligned_alloc_z((size_t)kvbytes, 0);
        c->v_cache = (float *)olmoe__aligned_alloc_z((size_t)kvbytes, 0);
    }
    c->rope_cos = (float *)olmoe__aligned_alloc((size_t)p.n_ctx * hd2 * 4);
    c->rope_sin = (float *)olmoe__aligned_alloc((size_t)p.n_ctx * hd2 * 4);
    c->x = (float *)olmoe__aligned_alloc(B * d * 4);
    c->h = (float *)olmoe__aligned_alloc(B * OLMOE__MAX(d, qd) * 4);
    c->qkv = (float *)olmoe__aligned_alloc(B * (qd + 2 * kvd) * 4);
    c->att = (float *)olmoe__aligned_alloc(B * qd * 4);
    c->tmp = (float *)olmoe__aligned_alloc(B * d * 4);
    c->y = (float *)olmoe__aligned_alloc(B * d * 4);
    c->hq = (uint8_t *)olmoe__aligned_alloc(B * olmoe__q8_size((int64_t)OLMOE__MAX(d, qd)) + 64);
    c->attq = (uint8_t *)olmoe__aligned_alloc(B * olmoe__q8_size((int64_t)qd) + 64);
    c->probs = (float *)olmoe__aligned_alloc(B * E * 4);
    c->sel = (int32_t *)olmoe__aligned_alloc(B * K * 4);
    c->selw = (float *)olmoe__aligned_alloc(B * K * 4);
    c->ex_count = (int32_t *)olmoe__aligned_alloc((E + 1) * 4);
    c->ex_start = (int32_t *)olmoe__aligned_alloc((E + 1) * 4);
    c->ex_rows = (int32_t *)olmoe__aligned_alloc(B * K * 4);
    c->act = (float *)olmoe__aligned_alloc(B * K * F * 4);
    c->actq = (uint8_t *)olmoe__aligned_alloc(B * K * olmoe__q8_size((int64_t)F) + 64);
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
OLMOE_API int olmoe_ctx_n_threads(const olmoe_ctx *c) { return c ? c->pool.n : 0; }

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

OLMOE_API olmoe_result olmoe_ctx_opt_out(olmoe_ctx *c, const char *list) {
    uint8_t allowed[4096];
    const char *p = list;
    int E;
    if (!c || !list) return OLMOE_ERR_INVALID_ARG;
    E = c->model->cfg.n_expert;
    memset(allowed, 1, (size_t)E);
    while (*p) {
        const char *q = p;
        char item[128];
        size_t len;
        int e = -1;
        while (*q && *q != ',') q++;
        len = (size_t)(q - p);
        if (len == 0 || len >= sizeof item) return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_INVALID_ARG, "opt-out list '%s': empty or overlong item", list);
        memcpy(item, p, len);
        item[len] = 0;
        if (item[0] >= '0' && item[0] <= '9') {
            char *end;
            long v = strtol(item, &end, 10);
            if (*end == 0 && v >= 0 && v < E) e = (int)v;
        } else {
            e = olmoe_model_expert_index(c->model, item);
        }
        if (e < 0) return olmoe__fail(c->err, sizeof c->err, OLMOE_ERR_INVALID_ARG, "opt-out: no expert '%s' (the model has %d experts%s)", item, E, olmoe__expert_names(c->model) ? "" : ", no names");
        allowed[e] = 0;
        p = *q ? q + 1 : q;
    }
    return olmoe_ctx_set_expert_mask(c, allowed, E);
}

OLMOE_API void olmoe_ctx_set_route_callback(olmoe_ctx *c, olmoe_route_fn fn, void *user, int want_probs) {
    if (!c) return;
    c->route_fn = fn;
    c->route_user = user;
    c->route_probs = want_probs;
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
    case OLMOE_TYPE_Q6_K: return k->dot_q6_K(n, row, xf);
    default: return k->dot_f32(n, row, xf);
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
    double ss = 0.0;
    float s;
    int i;
    for (i = 0; i < n; i++) ss += (double)x[i] * x[i];
    s = (float)(1.0 / sqrt(ss / n + (double)eps));
    for (i = 0; i < n; i++) o[i] = w[i] * (x[i] * s);
}

/* Batched matvec job: y[t][row] = W[row] . x[t] for rows split across threads. */
typedef struct olmoe__mm_job {
    const olmoe_ctx *c;
    const olmoe__mat *mat[3];     /* up to 3 matrices sharing the input (q, k, v) */
    int n_mat;
    int64_t rows_total;
    const float *xf; const uint8_t *xq;
    size_t xf_stride, xq_stride;  /* per token, elements / bytes */
    float *y; size_t y_stride;    /* per token */
    int n_tok;
    const int32_t *tok_idx;       /* optional: compute only for these tokens, output slot i */
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
            const olmoe__mat *M;
            while (rr >= j->mat[mi]->ne1) { rr -= j->mat[mi]->ne1; off += j->mat[mi]->ne1; mi++; }
            M = j->mat[mi];
            nr = OLMOE__MIN(r1 - r0, M->ne1 - rr);
            if (j->n_tok > 1) nr = OLMOE__MIN(nr, 64);
            for (t = 0; t < j->n_tok; t++) {
                int src = j->tok_idx ? j->tok_idx[t] : t;
                olmoe__rows_dot(k, M->type, (int)M->ne0, (size_t)M->row_bytes, M->data + (uint64_t)rr * M->row_bytes, nr,
                                j->xf + (size_t)src * j->xf_stride, j->xq ? j->xq + (size_t)src * j->xq_stride : NULL,
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
    (void)ith; (void)nth;
    while (olmoe__grab((olmoe__pool *)&j->c->pool, j->n_tok, 1, &a, &b))
    for (t = a; t < b; t++) j->c->k->quant_q8_0(j->x + (size_t)t * j->xs, j->q + (size_t)t * j->qs, j->n);
}
static void olmoe__quantize_batch(olmoe_ctx *c, const float *x, size_t xs, uint8_t *q, int n, int n_tok) {
    olmoe__q_job j;
    if (!c->model->any_quant) return;
    j.c = c; j.x = x; j.xs = xs; j.q = q; j.qs = olmoe__q8_size(n); j.n = n; j.n_tok = n_tok;
    if (n_tok == 1) olmoe__run_here((olmoe__pool *)&c->pool, olmoe__q_worker, &j);
    else olmoe__pool_run((olmoe__pool *)&c->pool, olmoe__q_worker, &j);
}

static void olmoe__matmul(olmoe_ctx *c, const olmoe__mat *m0, const olmoe__mat *m1, const olmoe__mat *m2,
                          const float *xf, size_t xf_stride, const uint8_t *xq, float *y, size_t y_stride, int n_tok) {
    olmoe__mm_job j;
    memset(&j, 0, sizeof j);
    j.c = c;
    j.mat[0] = m0; j.mat[1] = m1; j.mat[2] = m2;
    j.n_mat = m2 ? 3 : m1 ? 2 : 1;
    j.rows_total = m0->ne1 + (m1 ? m1->ne1 : 0) + (m2 ? m2->ne1 : 0);
    j.xf = xf; j.xf_stride = xf_stride;
    j.xq = c->model->any_quant ? xq : NULL; j.xq_stride = olmoe__q8_size((int64_t)xf_stride);
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
    const float *kc = c->k_cache + (size_t)j->layer * c->n_ctx * kvd;
    const float *vc = c->v_cache + (size_t)j->layer * c->n_ctx * kvd;
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
            const float *kk = kc + (size_t)p * kvd + (size_t)kvh * hd;
            float s = 0.0f;
            for (i = 0; i < hd; i++) s += q[i] * kk[i];
            s *= scale;
            sc[p] = s;
            if (s > mx) mx = s;
        }
        for (p = 0; p < n; p++) { sc[p] = expf(sc[p] - mx); sum += sc[p]; }
        for (i = 0; i < hd; i++) o[i] = 0.0f;
        for (p = 0; p < n; p++) {
            const float *vv = vc + (size_t)p * kvd + (size_t)kvh * hd;
            float w = sc[p] / sum;
            for (i = 0; i < hd; i++) o[i] += w * vv[i];
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
typedef struct olmoe__moe_job { olmoe_ctx *c; const olmoe__layer *L; int n_used, K; const int32_t *used; } olmoe__moe_job;

static float olmoe__silu(float x) { return x / (1.0f + expf(-x)); }

static void olmoe__gateup_worker(void *arg, int ith, int nth) {
    olmoe__moe_job *j = (olmoe__moe_job *)arg;
    olmoe_ctx *c = j->c;
    const olmoe_config *cf = &c->model->cfg;
    const olmoe__layer *L = j->L;
    int F = cf->n_ff, d = cf->n_embd, Kmax = cf->n_expert_used;
    size_t qs = olmoe__q8_size(d);
    int64_t u0, u1;
    float v[512];
    (void)ith;
    while (olmoe__grab(&c->pool, (int64_t)j->n_used * F, olmoe__chunk((int64_t)j->n_used * F, nth, 4), &u0, &u1))
        while (u0 < u1) {
            /* rows r .. r + nr - 1 of one expert's gate and up matrices */
            int e = j->used[u0 / F], r = (int)(u0 % F), i, q;
            int nr = (int)OLMOE__MIN(u1 - u0, OLMOE__MIN((int64_t)(F - r), (int64_t)(c->ex_count[e] > 1 ? 64 : 512)));
            const uint8_t *gr = L->gate_exps.data + ((uint64_t)e * F + r) * L->gate_exps.row_bytes;
            const uint8_t *ur = L->up_exps.data + ((uint64_t)e * F + r) * L->up_exps.row_bytes;
            for (i = c->ex_start[e]; i < c->ex_start[e] + c->ex_count[e]; i++) {
                int ts = c->ex_rows[i], t = ts / Kmax;
                const float *xf = c->h + (size_t)t * d;
                const uint8_t *xq = c->hq + (size_t)t * qs;
                float *g = c->act + (size_t)ts * F + r;
                olmoe__rows_dot(c->k, L->gate_exps.type, d, (size_t)L->gate_exps.row_bytes, gr, nr, xf, xq, g, 1);
                olmoe__rows_dot(c->k, L->up_exps.type, d, (size_t)L->up_exps.row_bytes, ur, nr, xf, xq, v, 1);
                for (q = 0; q < nr; q++) g[q] = olmoe__silu(g[q]) * v[q];
            }
            u0 += nr;
        }
}

static void olmoe__down_worker(void *arg, int ith, int nth) {
    olmoe__moe_job *j = (olmoe__moe_job *)arg;
    olmoe_ctx *c = j->c;
    const olmoe_config *cf = &c->model->cfg;
    const olmoe__layer *L = j->L;
    int F = cf->n_ff, d = cf->n_embd, ui;
    size_t qs = olmoe__q8_size(F);
    int64_t r0, r1;
    (void)ith;
    while (olmoe__grab(&c->pool, d, olmoe__chunk(d, nth, 4), &r0, &r1))
    for (ui = 0; ui < j->n_used; ui++) {
        int e = j->used[ui], i;
        const uint8_t *dr = L->down_exps.data + ((uint64_t)e * d + (uint64_t)r0) * L->down_exps.row_bytes;
        for (i = c->ex_start[e]; i < c->ex_start[e] + c->ex_count[e]; i++) {
            int ts = c->ex_rows[i];
            olmoe__rows_dot(c->k, L->down_exps.type, F, (size_t)L->down_exps.row_bytes, dr, r1 - r0,
                            c->act + (size_t)ts * F, c->actq + (size_t)ts * qs, c->dn + (size_t)ts * d + (size_t)r0, 1);
        }
    }
}

typedef struct olmoe__sum_job { olmoe_ctx *c; int n_tok, K; } olmoe__sum_job;
static void olmoe__sum_worker(void *arg, int ith, int nth) {
    olmoe__sum_job *j = (olmoe__sum_job *)arg;
    olmoe_ctx *c = j->c;
    int d = c->model->cfg.n_embd, Kmax = c->model->cfg.n_expert_used, t, k;
    int64_t r0, r1, r;
    (void)ith;
    while (olmoe__grab(&c->pool, d, olmoe__chunk(d, nth, 16), &r0, &r1))
    for (t = 0; t < j->n_tok; t++)
        for (r = r0; r < r1; r++) {
            float s = 0.0f;
            for (k = 0; k < j->K; k++)
                s += c->selw[(size_t)t * Kmax + k] * c->dn[((size_t)t * Kmax + k) * d + (size_t)r];
            c->y[(size_t)t * d + (size_t)r] = s;
        }
}

/* MoE block on c->h (n_tok tokens) -> c->y. */
static void olmoe__moe(olmoe_ctx *c, const olmoe__layer *L, int n_tok) {
    const olmoe_config *cf = &c->model->cfg;
    int E = cf->n_expert, Kmax = cf->n_expert_used, K = 0, e, t, k, n_used = 0;
    int32_t used[4096];
    olmoe__route_job rj;
    olmoe__moe_job mj;
    olmoe__sum_job sj;
    for (e = 0; e < E; e++) K += c->expert_allowed[e] ? 1 : 0;
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
    mj.c = c; mj.L = L; mj.n_used = n_used; mj.K = K; mj.used = used;
    olmoe__pool_run(&c->pool, olmoe__gateup_worker, &mj);
    /* quantize the expert hidden vectors of every (token, slot) */
    olmoe__quantize_batch(c, c->act, (size_t)cf->n_ff, c->actq, cf->n_ff, n_tok * Kmax);
    olmoe__pool_run(&c->pool, olmoe__down_worker, &mj);
    sj.c = c; sj.n_tok = n_tok; sj.K = K;
    olmoe__pool_run(&c->pool, olmoe__sum_worker, &sj);
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

    for (t = 0; t < n_tok; t++)
        olmoe_dequantize_row(m->tok_embd.type, m->tok_embd.data + (uint64_t)tokens[t] * m->tok_embd.row_bytes,
                             c->x + (size_t)t * d, d);
    for (l = 0; l < cf->n_layer; l++) {
        const olmoe__layer *L = &m->layers[l];
        olmoe__att_job aj;
        /* attention */
        for (t = 0; t < n_tok; t++) {
            if (flex) memcpy(c->h + (size_t)t * d, c->x + (size_t)t * d, (size_t)d * 4);
            else olmoe__rmsnorm(c->h + (size_t)t * d, c->x + (size_t)t * d, L->attn_norm, d, eps);
        }
        olmoe__quantize_batch(c, c->h, (size_t)d, c->hq, d, n_tok);
        olmoe__matmul(c, &L->wq, &L->wk, &L->wv, c->h, (size_t)d, c->hq, c->qkv, qkvd, n_tok);
        for (t = 0; t < n_tok; t++) {
            float *q = c->qkv + (size_t)t * qkvd, *k = q + qd, *v = k + kvd;
            int pos = c->pos + t;
            olmoe__rmsnorm(q, q, L->q_norm, (int)qd, eps);
            olmoe__rmsnorm(k, k, L->k_norm, (int)kvd, eps);
            olmoe__rope(q, H, hd, c->rope_cos + (size_t)pos * hd2, c->rope_sin + (size_t)pos * hd2);
            olmoe__rope(k, Hkv, hd, c->rope_cos + (size_t)pos * hd2, c->rope_sin + (size_t)pos * hd2);
            memcpy(c->k_cache + ((size_t)l * c->n_ctx + (size_t)pos) * kvd, k, kvd * 4);
            memcpy(c->v_cache + ((size_t)l * c->n_ctx + (size_t)pos) * kvd, v, kvd * 4);
        }
        aj.c = c; aj.layer = l; aj.pos0 = c->pos; aj.n_tok = n_tok;
        olmoe__pool_run(&c->pool, olmoe__att_worker, &aj);
        olmoe__quantize_batch(c, c->att, qd, c->attq, (int)qd, n_tok);
        olmoe__matmul(c, &L->wo, NULL, NULL, c->att, qd, c->attq, c->tmp, (size_t)d, n_tok);
        for (t = 0; t < n_tok; t++) {
            float *x = c->x + (size_t)t * d, *o = c->tmp + (size_t)t * d;
            if (flex) olmoe__rmsnorm(o, o, L->post_attn_norm, d, eps);
            for (i = 0; i < d; i++) x[i] += o[i];
        }
        /* MoE */
        for (t = 0; t < n_tok; t++) {
            if (flex) memcpy(c->h + (size_t)t * d, c->x + (size_t)t * d, (size_t)d * 4);
            else olmoe__rmsnorm(c->h + (size_t)t * d, c->x + (size_t)t * d, L->ffn_norm, d, eps);
        }
        olmoe__quantize_batch(c, c->h, (size_t)d, c->hq, d, n_tok);
        olmoe__moe(c, L, n_tok);
        for (t = 0; t < n_tok; t++) {
            float *x = c->x + (size_t)t * d, *y = c->y + (size_t)t * d;
            if (flex) olmoe__rmsnorm(y, y, L->post_ffw_norm, d, eps);
            for (i = 0; i < d; i++) x[i] += y[i];
        }
    }
    /* head (skipped for a batch whose logits nobody needs) */
    if (logits_out) {
        int first = want_all ? 0 : n_tok - 1, n_out = n_tok - first;
        for (t = 0; t < n_out; t++) olmoe__rmsnorm(c->h + (size_t)t * d, c->x + (size_t)(first + t) * d, m->out_norm, d, eps);
        olmoe__quantize_batch(c, c->h, (size_t)d, c->hq, d, n_out);
        olmoe__matmul(c, &m->output, NULL, NULL, c->h, (size_t)d, c->hq, logits_out, (size_t)cf->n_vocab, n_out);
    }
}

OLMOE_API olmoe_result olmoe_ctx_eval(olmoe_ctx *c, const int32_t *tokens, int n, int logits_all) {
    const olmoe_config *cf;
    int i, done;
    if (!c) return OLMOE_ERR_INVALID_ARG;
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
    return OLMOE_OK;
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
