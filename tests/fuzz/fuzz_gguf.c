/* libFuzzer target: the GGUF loader on arbitrary bytes (olmoe_model_load_memory), vocab-only
   and full; when a model loads, a tiny context evaluates 2 tokens and the sampler, scorer,
   getters and chat renderer run on it, and it is loaded again with validate_weights 2 (the full
   NaN/Inf scan). Seeds: tests/data/bad (valid and malformed tiny models);
   dictionary: tests/fuzz/gguf.dict.
   build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_gguf.c -lm -lpthread */
#define OLMOE_IMPLEMENTATION
#include "../../olmoe.h"
#include <stdio.h>
#include <string.h>

static void touch_model(const olmoe_model *m) {
    const olmoe_config *c = olmoe_model_config(m);
    char buf[64];
    int i, n = olmoe_model_n_tensors(m);
    volatile uint64_t sink = 0;
    for (i = 0; i < n; i++) {
        olmoe_tensor_info ti;
        if (olmoe_model_tensor(m, i, &ti) == OLMOE_OK) sink += ti.nbytes + (uint64_t)strlen(ti.name);
    }
    sink += (uint64_t)olmoe_model_meta_str(m, "general.name", buf, sizeof buf);
    sink += (uint64_t)olmoe_model_meta_str(m, "tokenizer.chat_template", buf, sizeof buf);
    for (i = 0; i < c->n_expert && i < 8; i++) sink += (uint64_t)olmoe_model_expert_name(m, i, buf, sizeof buf);
    sink += (uint64_t)olmoe_model_expert_index(m, "math");
    sink += olmoe_model_bytes_per_token(m) + olmoe_model_file_size(m);
    {
        olmoe_chat_msg msg[2] = {{"user", "hi"}, {"assistant", "yo"}};
        sink += (uint64_t)olmoe_chat_render(m, msg, 2, 1, buf, sizeof buf);
    }
    (void)sink;
}

static void run_model(const olmoe_model *m, int scalar) {
    olmoe_ctx *c = NULL;
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    const olmoe_config *cf = olmoe_model_config(m);
    char err[256];
    int32_t t[2];
    cp.n_ctx = 4;
    cp.n_threads = 1;
    cp.kernels = scalar ? OLMOE_KERNELS_SCALAR : OLMOE_KERNELS_AUTO; /* the scalar kernels load in place: UBSan sees misalignment */
    if (olmoe_ctx_create(m, &cp, &c, err, sizeof err) != OLMOE_OK) return;
    t[0] = 0;
    t[1] = cf->n_vocab > 1 ? cf->n_vocab - 1 : 0;
    if (olmoe_ctx_opt_out(c, "1") != OLMOE_OK) olmoe_ctx_opt_out(c, "");
    if (olmoe_ctx_eval(c, t, 2, 1) == OLMOE_OK) {
        olmoe_sampler s;
        double sum;
        olmoe_sampler_init(&s, NULL);
        (void)olmoe_sampler_sample(&s, c, olmoe_ctx_logits(c, -1), t, 2);
        (void)olmoe_logprob(olmoe_ctx_logits(c, 0), cf->n_vocab, t[1]);
        (void)olmoe_ctx_score(c, t, 1, t + 1, 1, NULL, &sum, NULL);
    }
    olmoe_ctx_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    olmoe_model *m = NULL;
    olmoe_model_params mp = olmoe_model_default_params();
    char err[256];
    mp.vocab_only = 1;
    if (olmoe_model_load_memory(data, size, &mp, &m, err, sizeof err) == OLMOE_OK) {
        touch_model(m);
        olmoe_model_free(m);
    } else if (!err[0]) {
        __builtin_trap(); /* every failure must come with a message */
    }
    mp.vocab_only = 0;
    if (olmoe_model_load_memory(data, size, &mp, &m, err, sizeof err) == OLMOE_OK) {
        touch_model(m);
        run_model(m, (int)(size & 1));
        olmoe_model_free(m);
        /* validate_weights 2 scans every tensor: reads stay inside the mapping; a refusal has a message */
        mp.validate_weights = 2;
        if (olmoe_model_load_memory(data, size, &mp, &m, err, sizeof err) == OLMOE_OK) olmoe_model_free(m);
        else if (!err[0]) __builtin_trap();
    }
    return 0;
}
