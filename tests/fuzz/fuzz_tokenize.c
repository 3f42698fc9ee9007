/* libFuzzer target: the tokenizer on arbitrary bytes, with the vocabulary of a GGUF loaded
   vocab-only once (path in $OLMOE_FUZZ_VOCAB, default build/fixtures/olmoe_b-f32.gguf, whose
   tokenizer is tests/data/tokenizer). The first input byte picks parse_special and how small the
   output buffer is; the rest is the text. Checks: the count is the same with any buffer size,
   ids are in [0, n_vocab), and tokenizing never reads or writes outside its buffers.
   build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_tokenize.c -lm -lpthread */
#define OLMOE_IMPLEMENTATION
#include "../../olmoe.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static olmoe_model *g_m;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    const char *path = getenv("OLMOE_FUZZ_VOCAB");
    olmoe_model_params mp = olmoe_model_default_params();
    char err[512];
    (void)argc; (void)argv;
    if (!path) path = "build/fixtures/olmoe_b-f32.gguf";
    mp.vocab_only = 1;
    if (olmoe_model_load(path, &mp, &g_m, err, sizeof err) != OLMOE_OK) {
        fprintf(stderr, "fuzz_tokenize: cannot load the vocabulary: %s\n", err);
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
#ifdef OLMOE__HAVE_TOKENIZER
    int parse_special, n, n2, i, cap, V = olmoe_model_config(g_m)->n_vocab;
    int32_t *out, *small;
    const char *text;
    size_t len;
    if (size < 1) return 0;
    parse_special = data[0] & 1;
    text = (const char *)data + 1;
    len = size - 1;
    cap = (int)len * 3 + 8;
    out = (int32_t *)malloc(sizeof(int32_t) * (size_t)cap);
    n = olmoe_tokenize(g_m, text, (int)len, out, cap, parse_special);
    if (n > cap) __builtin_trap();
    for (i = 0; i < n; i++) if (out[i] < 0 || out[i] >= V) __builtin_trap();
    if (n > 1) {
        int scap = (data[0] >> 1) % n; /* too small: must not write past it, and report the same need */
        small = (int32_t *)malloc(sizeof(int32_t) * (size_t)(scap ? scap : 1));
        n2 = olmoe_tokenize(g_m, text, (int)len, small, scap, parse_special);
        if (n2 >= 0 && n2 <= scap) __builtin_trap(); /* it said it fit in fewer slots than it needed */
        free(small);
    }
    free(out);
#else
    (void)data; (void)size;
#endif
    return 0;
}
