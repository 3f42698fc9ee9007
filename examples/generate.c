/* generate: string in, streamed string out.
   build: cc -O2 examples/generate.c -o generate -lm -lpthread
   usage: generate MODEL.gguf "prompt" [n_tokens] */
#define OLMOE_IMPLEMENTATION
#include "../olmoe.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int on_text(const char *text, size_t len, void *user) {
    if (len) *(char *)user = text[len - 1];  /* the last byte, to end the output with a newline */
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
    char last = 0;
    if (argc < 3) { fprintf(stderr, "usage: %s MODEL.gguf \"prompt\" [n_tokens]\n", argv[0]); return 2; }

    if (olmoe_model_load(argv[1], NULL, &model, err, sizeof err) != OLMOE_OK) { fprintf(stderr, "%s\n", err); return 1; }
    cp.n_ctx = 1024;
    if (olmoe_ctx_create(model, &cp, &ctx, err, sizeof err) != OLMOE_OK) { fprintf(stderr, "%s\n", err); return 1; }

    gp.n_predict = argc > 3 ? atoi(argv[3]) : 64;
    gp.sampling.temperature = 0.7f;     /* 0 for greedy */
    gp.sampling.seed = 42;
    gp.on_text = on_text;
    gp.user = &last;
    fputs(argv[2], stdout);
    if (argv[2][0]) last = argv[2][strlen(argv[2]) - 1];
    if (olmoe_generate(ctx, argv[2], &gp, &st) != OLMOE_OK) fprintf(stderr, "%s\n", olmoe_ctx_last_error(ctx));
    /* the text ends with a newline and is flushed before the statistics go to stderr, so a
       pipe or a terminal shows them on their own line */
    if (last != '\n') putchar('\n');
    fflush(stdout);
    fprintf(stderr, "[%d tokens, %.1f tok/s]\n", st.n_gen, st.decode_s > 0 ? st.n_gen / st.decode_s : 0.0);

    olmoe_ctx_free(ctx);
    olmoe_model_free(model);
    return 0;
}
