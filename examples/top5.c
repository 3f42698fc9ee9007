/* top5: load a model, evaluate some token ids, print the 5 most likely next tokens.
   build: cc -O2 examples/top5.c -o top5 -lm -lpthread
   usage: top5 MODEL.gguf ID [ID ...] */
#define OLMOE_IMPLEMENTATION
#include "../olmoe.h"
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    char err[512];
    olmoe_model *model;
    olmoe_ctx *ctx;
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    int32_t ids[256];
    int n = 0, i, k, best[5];
    const float *logits;
    if (argc < 3) { fprintf(stderr, "usage: %s MODEL.gguf ID [ID ...]\n", argv[0]); return 2; }
    for (i = 2; i < argc && n < 256; i++) ids[n++] = (int32_t)atoi(argv[i]);

    if (olmoe_model_load(argv[1], NULL, &model, err, sizeof err) != OLMOE_OK) { fprintf(stderr, "%s\n", err); return 1; }
    cp.n_ctx = 256;
    if (olmoe_ctx_create(model, &cp, &ctx, err, sizeof err) != OLMOE_OK) { fprintf(stderr, "%s\n", err); return 1; }
    if (olmoe_ctx_eval(ctx, ids, n, 0) != OLMOE_OK) { fprintf(stderr, "%s\n", olmoe_ctx_last_error(ctx)); return 1; }
    logits = olmoe_ctx_logits(ctx, -1);

    for (k = 0; k < 5; k++) {  /* selection of the 5 largest */
        int b = -1;
        for (i = 0; i < olmoe_model_config(model)->n_vocab; i++) {
            int taken = 0, j;
            for (j = 0; j < k; j++) taken |= best[j] == i;
            if (!taken && (b < 0 || logits[i] > logits[b])) b = i;
        }
        best[k] = b;
        printf("%d\t%d\t%.4f\n", k + 1, b, logits[b]);
    }
    olmoe_ctx_free(ctx);
    olmoe_model_free(model);
    return 0;
}
