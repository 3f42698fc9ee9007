/* score: which continuation does the model find most likely? (multiple-choice evaluation)
   build: cc -O2 examples/score.c -o score -lm -lpthread
   usage: score MODEL.gguf "context" "choice 1" "choice 2" ... */
#define OLMOE_IMPLEMENTATION
#include "../olmoe.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    char err[512];
    olmoe_model *model;
    olmoe_ctx *ctx;
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    int32_t ctx_ids[512], cont_ids[512];
    int nc, i, best = -1;
    double best_ll = -1e30;
    if (argc < 4) { fprintf(stderr, "usage: %s MODEL.gguf CONTEXT CHOICE [CHOICE ...]\n", argv[0]); return 2; }
    if (olmoe_model_load(argv[1], NULL, &model, err, sizeof err) != OLMOE_OK) { fprintf(stderr, "%s\n", err); return 1; }
    cp.n_ctx = 1024;
    if (olmoe_ctx_create(model, &cp, &ctx, err, sizeof err) != OLMOE_OK) { fprintf(stderr, "%s\n", err); return 1; }

    nc = olmoe_tokenize(model, argv[2], strlen(argv[2]), ctx_ids, 512, 1);
    if (nc < 1 || nc > 512) { fprintf(stderr, "context: %d tokens\n", nc); return 1; }
    for (i = 3; i < argc; i++) {
        double ll;
        int greedy, n = olmoe_tokenize(model, argv[i], strlen(argv[i]), cont_ids, 512, 1);
        if (n < 1 || n > 512 || olmoe_ctx_score(ctx, ctx_ids, nc, cont_ids, n, NULL, &ll, &greedy) != OLMOE_OK) {
            fprintf(stderr, "choice %d: %s\n", i - 2, olmoe_ctx_last_error(ctx));
            continue;
        }
        printf("%-30s log-likelihood %9.4f over %d tokens%s\n", argv[i], ll, n, greedy ? " (greedy)" : "");
        if (ll > best_ll) { best_ll = ll; best = i; }
    }
    if (best > 0) printf("most likely: %s\n", argv[best]);
    olmoe_ctx_free(ctx);
    olmoe_model_free(model);
    return 0;
}
