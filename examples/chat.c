/* chat: a multi-turn conversation with the model's chat template.
   build: cc -O2 examples/chat.c -o chat -lm -lpthread
   usage: chat MODEL.gguf   (type lines; an empty line ends) */
#define OLMOE_IMPLEMENTATION
#include "../olmoe.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int on_text(const char *text, size_t len, void *user) {
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    strncat((char *)user, text, len);   /* collect the reply (buffer sized below) */
    return 1;
}

int main(int argc, char **argv) {
    static char history[64][4096], roles[64][16];
    char err[512], line[2048], *text;
    olmoe_model *model;
    olmoe_ctx *ctx;
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    olmoe_chat_msg msgs[64];
    int n = 0, i, len;
    if (argc < 2) { fprintf(stderr, "usage: %s MODEL.gguf\n", argv[0]); return 2; }
    if (olmoe_model_load(argv[1], NULL, &model, err, sizeof err) != OLMOE_OK) { fprintf(stderr, "%s\n", err); return 1; }
    cp.n_ctx = 2048;
    if (olmoe_ctx_create(model, &cp, &ctx, err, sizeof err) != OLMOE_OK) { fprintf(stderr, "%s\n", err); return 1; }

    while (n < 62 && printf("> ") && fflush(stdout) == 0 && fgets(line, sizeof line, stdin) && line[0] != '\n') {
        olmoe_gen_params gp = olmoe_gen_default_params();
        line[strcspn(line, "\n")] = 0;
        strcpy(roles[n], "user");
        snprintf(history[n++], sizeof history[0], "%s", line);
        for (i = 0; i < n; i++) { msgs[i].role = roles[i]; msgs[i].content = history[i]; }
        /* render the whole conversation; here the context is simply rebuilt each turn */
        len = olmoe_chat_render(model, msgs, n, 1, NULL, 0);
        if (len < 0) { fprintf(stderr, "unknown chat template\n"); break; }
        text = (char *)malloc((size_t)len + 1);
        olmoe_chat_render(model, msgs, n, 1, text, (size_t)len + 1);
        olmoe_ctx_truncate(ctx, 0);
        strcpy(roles[n], "assistant");
        history[n][0] = 0;
        gp.n_predict = 200;
        gp.on_text = on_text;
        gp.user = history[n];
        if (olmoe_generate(ctx, text, &gp, NULL) != OLMOE_OK) fprintf(stderr, "%s\n", olmoe_ctx_last_error(ctx));
        n++;
        printf("\n");
        free(text);
    }
    olmoe_ctx_free(ctx);
    olmoe_model_free(model);
    return 0;
}
