/* optout: the same prompt with all experts, then with one expert opted out (FlexOlmo lets a user
   exclude a data owner's expert at inference). Prints how often each expert was chosen.
   build: cc -O2 examples/optout.c -o optout -lm -lpthread
   usage: optout MODEL.gguf "prompt" EXPERT        (EXPERT: an index or a name stored in the file) */
#define OLMOE_IMPLEMENTATION
#include "../olmoe.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { long chosen[4096]; long slots; } shares;

static void on_route(const olmoe_route_info *ri, void *user) {
    shares *s = (shares *)user;
    int k;
    for (k = 0; k < ri->n_used; k++) s->chosen[ri->experts[k]]++;
    s->slots += ri->n_used;
}

static int on_text(const char *text, size_t len, void *user) {
    (void)user;
    fwrite(text, 1, len, stdout);
    return 1;
}

static int run(olmoe_ctx *ctx, const olmoe_model *model, const char *prompt, const char *optout) {
    static shares s;
    olmoe_gen_params gp = olmoe_gen_default_params();
    int e;
    char name[64];
    memset(&s, 0, sizeof s);
    olmoe_ctx_truncate(ctx, 0);
    if (olmoe_ctx_opt_out(ctx, optout) != OLMOE_OK) { fprintf(stderr, "%s\n", olmoe_ctx_last_error(ctx)); return 1; }
    olmoe_ctx_set_route_callback(ctx, on_route, &s, 0);
    gp.n_predict = 32;
    gp.sampling.temperature = 0.0f;  /* greedy, so the two runs differ only by the opt-out */
    gp.on_text = on_text;
    printf("--- opted out: %s\n%s", optout[0] ? optout : "(none)", prompt);
    if (olmoe_generate(ctx, prompt, &gp, NULL) != OLMOE_OK) { fprintf(stderr, "%s\n", olmoe_ctx_last_error(ctx)); return 1; }
    printf("\nrouting share (all layers, prompt and generated tokens):\n");
    for (e = 0; e < olmoe_model_config(model)->n_expert; e++) {
        if (olmoe_model_expert_name(model, e, name, sizeof name) < 0) snprintf(name, sizeof name, "expert %d", e);
        printf("  %-12s %5.1f%%\n", name, s.slots ? 100.0 * s.chosen[e] / s.slots : 0.0);
    }
    return 0;
}

int main(int argc, char **argv) {
    char err[512];
    olmoe_model *model;
    olmoe_ctx *ctx;
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    if (argc < 4) { fprintf(stderr, "usage: %s MODEL.gguf PROMPT EXPERT\n", argv[0]); return 2; }
    if (olmoe_model_load(argv[1], NULL, &model, err, sizeof err) != OLMOE_OK) { fprintf(stderr, "%s\n", err); return 1; }
    cp.n_ctx = 512;
    if (olmoe_ctx_create(model, &cp, &ctx, err, sizeof err) != OLMOE_OK) { fprintf(stderr, "%s\n", err); return 1; }
    if (run(ctx, model, argv[2], "") || run(ctx, model, argv[2], argv[3])) return 1;
    olmoe_ctx_free(ctx);
    olmoe_model_free(model);
    return 0;
}
