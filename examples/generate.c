/* generate: string in, streamed string out.
   build: cc -O2 examples/generate.c -o generate -lm -lpthread
   usage: generate MODEL.gguf "prompt" [n_tokens] */
#define OLMOE_IMPLEMENTATION
#include "../olmoe.h"
#include <stdio.h>
#include <stdlib.h>

static int on_text(const char *text, size_t len, void *user) {
    (void)user;
    fwrite(text, 1, len, stdout);   /* always whole UTF-8 characters */
    fflush(stdout);
    return 1;                       /* return 0 to stop early */
}

int main(int argc, char **argv) {
    char err[512];
    olmoe_model *model;
    olmoe_ctx *ctx;
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    olmoe_gen_params gp = olmoe_gen_default_params();
    olmoe_gen_stats st;
    if (argc < 3) { fprintf(stderr, "usage: %s MODEL.gguf \"prompt\" [n_tokens]\n", argv[0]); return 2; }

    if (olmoe_model_load(argv[1], NULL, &model, err, sizeof err) != OLMOE_OK) { fprintf(stderr, "%s\n", err); return 1; }
    cp.n_ctx = 1024;
    if (olmoe_ctx_create(model, &cp, &ctx, err, sizeof err) != OLMOE_OK) { fprintf(stderr, "%s\n", err); return 1; }

    gp.n_predict = argc > 3 ? atoi(argv[3]) : 64;
    gp.sampling.temperature = 0.7f;     /* 0 for greedy */
    gp.sampling.seed = 42;
    gp.on_text = on_text;
    fputs(argv[2], stdout);
    if (olmoe_generate(ctx, argv[2], &gp, &st) != OLMOE_OK) fprintf(stderr, "\n%s\n", olmoe_ctx_last_error(ctx));
    fprintf(stderr, "\n[%d tokens, %.1f tok/s]\n", st.n_gen, st.decode_s > 0 ? st.n_gen / st.decode_s : 0.0);

    olmoe_ctx_free(ctx);
    olmoe_model_free(model);
    return 0;
}
