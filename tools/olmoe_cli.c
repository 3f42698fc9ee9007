/* build/olmoe: the command-line front end of olmoe.h. Subcommands share flags where they can
   (llama.cpp's names: -m -p -n -t -c --seed ...). Output formats marked STABLE are relied on by
   other tools and tests; extend them, never change them. */
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: olmoe <command> [options]\n"
            "commands:\n"
            "  info MODEL.gguf                          architecture, dims, tensors, bytes per token\n"
            "  logits -m MODEL.gguf -t ID,ID,... [--opt-out 2,5]  logits for every position (one line each)\n"
            "  convert HF_DIR OUT.gguf [--type T]       Hugging Face checkpoint -> GGUF\n"
            "  synth OUT.gguf --preset olmoe-1b-7b --type q4_0|q8_0 [--seed N]  random full-size model\n"
            "  bench -m MODEL.gguf -t THREADS -p 128 -n 64 [-r REPS]  prefill/decode vs memory roofline\n"
            "  run -m MODEL.gguf -p TEXT [-n N] [--temp T ...]  stream a continuation, then a timing line\n"
            "  chat -m MODEL.gguf [--system TEXT]       interactive chat with the model's template\n"
            "  serve -m MODEL.gguf [--port 8080] [-np N]  OpenAI-compatible HTTP server (/v1/completions, /v1/chat/completions)\n"
            "  routes -m MODEL.gguf --domain NAME=FILE ... [-o R.html] [--json R.json]  routing report (load, co-activation, domains)\n"
            "  score -m MODEL.gguf --jsonl FILE         multiple-choice log-likelihood evaluation\n"
            "  perplexity -m MODEL.gguf -f TEXT [-c N]  sliding-window perplexity\n"
            "  tokenize -m MODEL.gguf -f FILE | -p TEXT [--decode -t IDS]  token ids (one line)\n"
            "common options: -t/--threads N (for compute commands use --threads), --kernels scalar|avx2|avx512|neon\n");
}

int cli_parse_ids(const char *s, int32_t **out) {
    int n = 0, cap = 16;
    int32_t *v = (int32_t *)malloc((size_t)cap * sizeof(int32_t));
    const char *p = s;
    *out = NULL;
    if (!v) return -1;
    while (*p) {
        char *end;
        long x;
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        errno = 0;
        x = strtol(p, &end, 10);
        if (end == p || errno || x < INT32_MIN || x > INT32_MAX) { free(v); return -1; }
        if (n == cap) {
            int32_t *nv = (int32_t *)realloc(v, (size_t)(cap *= 2) * sizeof(int32_t));
            if (!nv) { free(v); return -1; }
            v = nv;
        }
        v[n++] = (int32_t)x;
        p = end;
        if (*p && *p != ',' && *p != ' ') { free(v); return -1; }
    }
    *out = v;
    return n;
}

int cli_parse_kv(const char *s) {
    if (!strcmp(s, "f32")) return OLMOE_TYPE_F32;
    if (!strcmp(s, "f16")) return OLMOE_TYPE_F16;
    return -1;
}

int cli_parse_kernels(const char *s) {
    if (!strcmp(s, "auto")) return OLMOE_KERNELS_AUTO;
    if (!strcmp(s, "scalar")) return OLMOE_KERNELS_SCALAR;
    if (!strcmp(s, "avx2")) return OLMOE_KERNELS_AVX2;
    if (!strcmp(s, "avx512")) return OLMOE_KERNELS_AVX512;
    if (!strcmp(s, "neon")) return OLMOE_KERNELS_NEON;
    return -1;
}

const char *cli_kernels_name(int k) {
    switch (k) {
    case OLMOE_KERNELS_SCALAR: return "scalar";
    case OLMOE_KERNELS_AVX2: return "avx2";
    case OLMOE_KERNELS_AVX512: return "avx512";
    case OLMOE_KERNELS_NEON: return "neon";
    }
    return "auto";
}

static int cmd_info(int argc, char **argv) {
    char err[512], name[256];
    olmoe_model *m;
    const olmoe_config *c;
    olmoe_result r;
    int i, n;
    uint64_t counts[64] = {0}, bytes[64] = {0};
    if (argc < 2) { fprintf(stderr, "usage: olmoe info MODEL.gguf\n"); return 2; }
    r = olmoe_model_load(argv[1], NULL, &m, err, sizeof err);
    if (r == OLMOE_ERR_TENSOR_MISSING) {
        /* a tokenizer-only file (convert --vocab-only: no tensors at all) describes its vocabulary;
           a file with some of the weights missing stays an error */
        olmoe_model_params mp = olmoe_model_default_params();
        char err2[512];
        mp.vocab_only = 1;
        if (olmoe_model_load(argv[1], &mp, &m, err2, sizeof err2) == OLMOE_OK) {
            if (olmoe_model_n_tensors(m) == 0) {
                c = olmoe_model_config(m);
                if (olmoe_model_meta_str(m, "general.name", name, sizeof name) < 0) strcpy(name, "(unnamed)");
                printf("file: %s (%.1f MB)\n", argv[1], olmoe_model_file_size(m) / 1e6);
                printf("name: %s\n", name);
                printf("vocab-only: no tensors; it tokenizes but cannot run\n");
                printf("vocab %d, bos %d, eos %d, pad %d\n", c->n_vocab, c->bos_id, c->eos_id, c->pad_id);
                if (olmoe_model_meta_str(m, "tokenizer.ggml.model", name, sizeof name) >= 0) printf("tokenizer: %s", name);
                if (olmoe_model_meta_str(m, "tokenizer.ggml.pre", name, sizeof name) >= 0) printf(", pre-tokenizer %s", name);
                printf("\n");
                olmoe_model_free(m);
                return 0;
            }
            olmoe_model_free(m);
        }
    }
    if (r != OLMOE_OK) { fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), err); return 1; }
    c = olmoe_model_config(m);
    if (olmoe_model_meta_str(m, "general.name", name, sizeof name) < 0) strcpy(name, "(unnamed)");
    printf("file: %s (%.1f MB)\n", argv[1], olmoe_model_file_size(m) / 1e6);
    printf("name: %s\n", name);
    printf("architecture: %s\n", c->arch == OLMOE_ARCH_OLMOE ? "olmoe" : "flex_olmo");
    printf("vocab %d, hidden %d, layers %d, heads %d (kv %d, dim %d), experts %d (top-%d, ffn %d)\n",
           c->n_vocab, c->n_embd, c->n_layer, c->n_head, c->n_head_kv, c->head_dim, c->n_expert,
           c->n_expert_used, c->n_ff);
    printf("context %d, rope theta %g, rms eps %g, bos %d, eos %d, pad %d\n", c->n_ctx_train, c->rope_theta,
           c->norm_eps, c->bos_id, c->eos_id, c->pad_id);
    n = olmoe_model_n_tensors(m);
    for (i = 0; i < n; i++) {
        olmoe_tensor_info ti;
        olmoe_model_tensor(m, i, &ti);
        if (ti.type >= 0 && ti.type < 64) { counts[ti.type]++; bytes[ti.type] += ti.nbytes; }
    }
    printf("tensors: %d\n", n);
    for (i = 0; i < 64; i++)
        if (counts[i]) printf("  %-6s %5llu tensors %10.2f MB\n", olmoe_type_name(i), (unsigned long long)counts[i], bytes[i] / 1e6);
    printf("bytes per token: %llu (%.3f GB)\n", (unsigned long long)olmoe_model_bytes_per_token(m),
           olmoe_model_bytes_per_token(m) / 1e9);
    olmoe_model_free(m);
    return 0;
}

/* STABLE: one line per input position, n_vocab logits as space-separated %.7g. */
static int cmd_logits(int argc, char **argv) {
    const char *model = NULL, *ids = NULL, *optout = NULL;
    int threads = 0, kernels = OLMOE_KERNELS_AUTO, kv_type = OLMOE_TYPE_F32, i, n, one_by_one = 0;
    int32_t *tok = NULL;
    char err[512];
    olmoe_model *m;
    olmoe_ctx *ctx;
    olmoe_ctx_params cp;
    olmoe_result r;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-m") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) ids = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--kernels") && i + 1 < argc) {
            kernels = cli_parse_kernels(argv[++i]);
            if (kernels < 0) { fprintf(stderr, "unknown kernel path %s\n", argv[i]); return 2; }
        } else if (!strcmp(argv[i], "--kv") && i + 1 < argc) {
            if ((kv_type = cli_parse_kv(argv[++i])) < 0) { fprintf(stderr, "logits: --kv takes f32 or f16, not %s\n", argv[i]); return 2; }
        } else if (!strcmp(argv[i], "--incremental")) one_by_one = 1;
        else if (!strcmp(argv[i], "--opt-out") && i + 1 < argc) optout = argv[++i];
        else { fprintf(stderr, "logits: unknown option %s\nusage: olmoe logits -m MODEL.gguf -t ID,ID,... [--threads N] [--kernels K] [--kv f32|f16] [--incremental] [--opt-out LIST]\n", argv[i]); return 2; }
    }
    if (!model || !ids) { fprintf(stderr, "usage: olmoe logits -m MODEL.gguf -t ID,ID,...\n"); return 2; }
    n = cli_parse_ids(ids, &tok);
    if (n <= 0) { fprintf(stderr, "logits: bad token list '%s'\n", ids); free(tok); return 2; }
    r = olmoe_model_load(model, NULL, &m, err, sizeof err);
    if (r != OLMOE_OK) { fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), err); free(tok); return 1; }
    cp = olmoe_ctx_default_params();
    cp.n_ctx = n;
    cp.n_threads = threads;
    cp.kernels = kernels;
    cp.kv_type = kv_type;
    r = olmoe_ctx_create(m, &cp, &ctx, err, sizeof err);
    if (r != OLMOE_OK) { fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), err); olmoe_model_free(m); free(tok); return 1; }
    if (optout && (r = olmoe_ctx_opt_out(ctx, optout)) != OLMOE_OK) {
        fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), olmoe_ctx_last_error(ctx));
        olmoe_ctx_free(ctx); olmoe_model_free(m); free(tok);
        return 2;
    }
    {
        int V = olmoe_model_config(m)->n_vocab, p, v;
        char *line = (char *)malloc((size_t)V * 20 + 2);
        for (p = 0; p < n && r == OLMOE_OK; p++) {
            const float *lg;
            if (one_by_one) { r = olmoe_ctx_eval(ctx, tok + p, 1, 0); lg = olmoe_ctx_logits(ctx, -1); }
            else { if (p == 0) r = olmoe_ctx_eval(ctx, tok, n, 1); lg = olmoe_ctx_logits(ctx, p); }
            if (r != OLMOE_OK || !lg || !line) break;
            {
                size_t o = 0;
                for (v = 0; v < V; v++) o += (size_t)sprintf(line + o, v ? " %.7g" : "%.7g", lg[v]);
                line[o++] = '\n';
                fwrite(line, 1, o, stdout);
            }
        }
        free(line);
    }
    if (r != OLMOE_OK) fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), olmoe_ctx_last_error(ctx));
    fprintf(stderr, "[kernels %s, %d threads]\n", cli_kernels_name(olmoe_ctx_kernels(ctx)), olmoe_ctx_n_threads(ctx));
    olmoe_ctx_free(ctx);
    olmoe_model_free(m);
    free(tok);
    return r == OLMOE_OK ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) { usage(argc < 2 ? stderr : stdout); return argc < 2 ? 2 : 0; }
    if (!strcmp(argv[1], "info")) return cmd_info(argc - 1, argv + 1);
    if (!strcmp(argv[1], "logits")) return cmd_logits(argc - 1, argv + 1);
    if (!strcmp(argv[1], "convert")) return cmd_convert(argc - 1, argv + 1);
    if (!strcmp(argv[1], "synth")) return cmd_synth(argc - 1, argv + 1);
    if (!strcmp(argv[1], "bench")) return cmd_bench(argc - 1, argv + 1);
    if (!strcmp(argv[1], "tokenize")) return cmd_tokenize(argc - 1, argv + 1);
    if (!strcmp(argv[1], "run")) return cmd_run(argc - 1, argv + 1);
    if (!strcmp(argv[1], "chat")) return cmd_chat(argc - 1, argv + 1);
    if (!strcmp(argv[1], "score")) return cmd_score(argc - 1, argv + 1);
    if (!strcmp(argv[1], "perplexity")) return cmd_perplexity(argc - 1, argv + 1);
    if (!strcmp(argv[1], "serve")) return cmd_serve(argc - 1, argv + 1);
    if (!strcmp(argv[1], "routes")) return cmd_routes(argc - 1, argv + 1);
    fprintf(stderr, "olmoe: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
