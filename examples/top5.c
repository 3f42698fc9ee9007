/* top5: load a model, evaluate some token ids, print the 5 most likely next tokens
   (rank, id, logit, and the token's text with control characters escaped).
   build: cc -O2 examples/top5.c -o top5 -lm -lpthread
   usage: top5 MODEL.gguf ID [ID ...] */
#define OLMOE_IMPLEMENTATION
#include "../olmoe.h"
#include <stdio.h>
#include <stdlib.h>

/* the token's bytes, printable: control characters, quote and backslash escaped C-style */
static void print_piece(const olmoe_model *model, int32_t id) {
    char piece[256];
    int n = olmoe_token_to_piece(model, id, piece, sizeof piece), i;
    if (n > (int)sizeof piece - 1) n = (int)sizeof piece - 1;
    putchar('"');
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)piece[i];
        if (c == '\n') fputs("\\n", stdout);
        else if (c == '\t') fputs("\\t", stdout);
        else if (c == '\r') fputs("\\r", stdout);
        else if (c == '\\' || c == '"') printf("\\%c", c);
        else if (c < 0x20 || c == 0x7F) printf("\\x%02x", c);
        else putchar(c);
    }
    putchar('"');
}

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
        printf("%d\t%d\t%.4f\t", k + 1, b, logits[b]);
        print_piece(model, b);
        putchar('\n');
    }
    olmoe_ctx_free(ctx);
    olmoe_model_free(model);
    return 0;
}
