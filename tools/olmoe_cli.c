/* build/olmoe: the command-line front end of olmoe.h. Subcommands share flags where they can
   (llama.cpp's names: -m -p -n -t -c --seed ...). Output formats marked STABLE are relied on by
   other tools and tests; extend them, never change them. */
#include "cli.h"
#include "backend.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: olmoe <command> [options]\n"
            "commands:\n"
            "  info MODEL.gguf                          architecture, dims, tensors, experts, tokenizer; what this build cannot run\n"
            "  logits -m MODEL.gguf -t ID,ID,... [--opt-out 2,5] [--device cpu|cuda]  logits for every position (one line each)\n"
            "  convert HF_DIR OUT.gguf [--type T]       Hugging Face checkpoint -> GGUF\n"
            "  quantize IN.gguf OUT.gguf TYPE          requantize an f32/f16/bf16/q8_0 GGUF (q4_k_m, q5_k_s, iq4_xs, ...)\n"
            "  synth OUT.gguf --preset olmoe-1b-7b --type q4_0|q8_0 [--seed N]  random full-size model\n"
            "  bench -m MODEL.gguf -t THREADS -p 128 -n 64 [-r REPS]  prefill/decode vs memory roofline\n"
            "  run -m MODEL.gguf -p TEXT|-f FILE [-n N] [--temp T ...]  stream a continuation, then a timing line\n"
            "  chat -m MODEL.gguf [--system TEXT]       interactive chat with the model's template (/help inside)\n"
            "  score -m MODEL.gguf --jsonl FILE         multiple-choice log-likelihood evaluation\n"
            "  perplexity -m MODEL.gguf -f TEXT [-c N]  sliding-window perplexity\n"
            "  serve -m MODEL.gguf [--port 8080] [-np N]  OpenAI-compatible HTTP server (/v1/completions, /v1/chat/completions)\n"
            "  routes -m MODEL.gguf --domain NAME=FILE ... [-o R.html] [--json R.json]  routing report (load, co-activation, domains)\n"
            "  tokenize -m MODEL.gguf -f FILE | -p TEXT [--decode -t IDS]  token ids (one line)\n"
            "common options: -t/--threads N (for compute commands use --threads), --kernels scalar|avx2|avx512|neon\n"
            "olmoe COMMAND --help: that command's options with their defaults and an example\n"
            "olmoe --version: the version and the kernel paths this CPU has\n");
}

/* --version: the header's version and what --kernels can pick on this CPU */
static int print_version(void) {
    int k;
    printf("olmoe %d.%d.%d (olmoe.h)\nkernel paths on this CPU:", OLMOE_VERSION_MAJOR, OLMOE_VERSION_MINOR, OLMOE_VERSION_PATCH);
    for (k = OLMOE_KERNELS_SCALAR; olmoe_kernels_name(k); k++)
        if (olmoe_kernels_available(k)) printf(" %s", olmoe_kernels_name(k));
    printf("\nnot available:");
    for (k = OLMOE_KERNELS_SCALAR; olmoe_kernels_name(k); k++)
        if (!olmoe_kernels_available(k)) printf(" %s", olmoe_kernels_name(k));
    printf("\n");
    return 0;
}

void cli_check_threads(const char *cmd, int n_threads) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (n_threads > 0 && cores > 0 && n_threads > cores)
        fprintf(stderr, "%s: warning: -t %d is more than the %ld online cores; threads will wait for a core at every step (much slower); "
                        "-t 0 uses all cores\n", cmd, n_threads, cores);
}

static int is_help(const char *a) { return !strcmp(a, "-h") || !strcmp(a, "--help"); }

olmoe_model_params cli_model_params(int check_tensors) {
    olmoe_model_params mp = olmoe_model_default_params();
    if (check_tensors) mp.validate_weights = 2;
    return mp;
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

static void info_usage(FILE *f) {
    fprintf(f, "usage: olmoe info MODEL.gguf\n"
               "Describes any well-formed GGUF: architecture, dimensions, tensors per type (count and bytes),\n"
               "expert names, chat template, tokenizer, and whether this build can run it (if not: why, and\n"
               "which tensor types it cannot run). Exit status 0 when the file is described, 1 when it is\n"
               "malformed or cannot be read (or fails --check-tensors), 2 for a usage error.\n"
               "  MODEL.gguf   the file to describe (required)\n"
               "options:\n"
               "  --check-tensors  " CLI_CHECK_TENSORS_HELP " (default off)\n"
               "  -h, --help   this help\n"
               "example: olmoe info models/austen-olmoe-q8_0.gguf\n");
}

/* Whether this build has weight kernels for a tensor type: the types the loader binds as
   matrices are those with a reference dequantizer (tested on one zero block). */
static int info_type_runs(int type) {
    unsigned char blk[512];
    float y[256];
    int bs = olmoe_type_block_size(type);
    if (bs <= 0 || bs > 256 || olmoe_type_row_size(type, bs) > sizeof blk) return 0;
    memset(blk, 0, sizeof blk);
    return olmoe_dequantize_row(type, blk, y, bs) == OLMOE_OK;
}

static int cmd_info(int argc, char **argv) {
    char err[512], err2[512], name[256];
    const char *path = NULL;
    olmoe_model *m = NULL;
    olmoe_model_params mp = olmoe_model_default_params();
    const olmoe_config *c;
    olmoe_result r;
    int i, n, e, runs, n_named = 0, len, check = 0;
    uint64_t counts[64] = {0}, bytes[64] = {0}, n_other = 0;
    for (i = 1; i < argc; i++) {
        if (is_help(argv[i])) { info_usage(stdout); return 0; }
        if (!strcmp(argv[i], "--check-tensors")) { check = 1; continue; }
        if (argv[i][0] == '-' && argv[i][1]) { fprintf(stderr, "info: unknown option %s (see olmoe info --help)\n", argv[i]); return 2; }
        if (path) { fprintf(stderr, "info: one file at a time (%s, then %s)\n", path, argv[i]); return 2; }
        path = argv[i];
    }
    if (!path) { info_usage(stderr); return 2; }
    mp = cli_model_params(check);
    r = olmoe_model_load(path, &mp, &m, err, sizeof err);
    runs = r == OLMOE_OK;
    if (!runs) {
        /* a file this build cannot run (a tensor type, a missing tensor, ...) is still described
           from its metadata and tensor table: a vocab-only load binds no weights */
        mp.vocab_only = 1;
        if (olmoe_model_load(path, &mp, &m, err2, sizeof err2) != OLMOE_OK) {
            fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), err);
            return 1;
        }
    }
    c = olmoe_model_config(m);
    n = olmoe_model_n_tensors(m);
    if (olmoe_model_meta_str(m, "general.name", name, sizeof name) < 0) strcpy(name, "(unnamed)");
    printf("file: %s (%.1f MB)\n", path, olmoe_model_file_size(m) / 1e6);
    printf("name: %s\n", name);
    if (!runs && n == 0) {
        /* a tokenizer-only file (convert --vocab-only: no tensors at all) */
        printf("vocab-only: no tensors; it tokenizes but cannot run\n");
        printf("vocab %d, bos %d, eos %d, pad %d\n", c->n_vocab, c->bos_id, c->eos_id, c->pad_id);
        if (olmoe_model_meta_str(m, "tokenizer.ggml.model", name, sizeof name) >= 0) printf("tokenizer: %s", name);
        if (olmoe_model_meta_str(m, "tokenizer.ggml.pre", name, sizeof name) >= 0) printf(", pre-tokenizer %s", name);
        printf("\n");
        olmoe_model_free(m);
        return 0;
    }
    printf("architecture: %s\n", c->arch == OLMOE_ARCH_OLMOE ? "olmoe" : "flex_olmo");
    printf("vocab %d, hidden %d, layers %d, heads %d (kv %d, dim %d), experts %d (top-%d, ffn %d)\n",
           c->n_vocab, c->n_embd, c->n_layer, c->n_head, c->n_head_kv, c->head_dim, c->n_expert,
           c->n_expert_used, c->n_ff);
    printf("context %d, rope theta %g, rms eps %g, bos %d, eos %d, pad %d\n", c->n_ctx_train, c->rope_theta,
           c->norm_eps, c->bos_id, c->eos_id, c->pad_id);
    for (i = 0; i < n; i++) {
        olmoe_tensor_info ti;
        olmoe_model_tensor(m, i, &ti);
        if (ti.type >= 0 && ti.type < 64) { counts[ti.type]++; bytes[ti.type] += ti.nbytes; }
        else n_other++;
    }
    {
        int64_t ft;
        if (olmoe_model_meta_int(m, "general.file_type", &ft) == 0)
            printf("file type: %s (general.file_type %lld)\n", quant_ftype_name((int)ft) ? quant_ftype_name((int)ft) : "unknown", (long long)ft);
    }
    printf("tensors: %d\n", n);
    for (i = 0; i < 64; i++)
        if (counts[i]) printf("  %-6s %5llu tensors %10.2f MB\n", olmoe_type_name(i) ? olmoe_type_name(i) : "?", (unsigned long long)counts[i], bytes[i] / 1e6);
    if (n_other) printf("  (%llu tensors of other types)\n", (unsigned long long)n_other);
    for (e = 0; e < c->n_expert; e++) {
        char en[128];
        if (olmoe_model_expert_name(m, e, en, sizeof en) < 0) continue;
        printf(n_named++ ? ", %d %s" : "expert names: %d %s", e, en);
    }
    printf(n_named ? "\n" : "expert names: none stored\n");
    len = olmoe_model_meta_str(m, "tokenizer.chat_template", NULL, 0);
    if (len < 0) printf("chat template: none (chat and run --system need one)\n");
    else {
        char *t = (char *)malloc((size_t)len + 1);
        int kind = t ? (olmoe_model_meta_str(m, "tokenizer.chat_template", t, (size_t)len + 1), olmoe_chat_template_kind(t, (size_t)len)) : 0;
        printf("chat template: present (%d bytes, %s)\n", len,
               kind == OLMOE_CHAT_OLMOE_0924 ? "OLMoE-0924 (Tulu)" : kind == OLMOE_CHAT_TULU3 ? "Tulu 3 / OLMo 2" : "not one olmoe.h renders");
        free(t);
    }
    if (olmoe_model_meta_str(m, "tokenizer.ggml.model", name, sizeof name) >= 0) {
        printf("tokenizer: %s", name);
        if (olmoe_model_meta_str(m, "tokenizer.ggml.pre", name, sizeof name) >= 0) printf(", pre-tokenizer %s", name);
        printf("\n");
    } else printf("tokenizer: none\n");
    if (runs) {
        printf("bytes per token: %llu (%.3f GB)\n", (unsigned long long)olmoe_model_bytes_per_token(m),
               olmoe_model_bytes_per_token(m) / 1e9);
    } else {
        int k = 0;
        for (i = 0; i < 64; i++)
            if (counts[i] && !info_type_runs(i))
                printf(k++ ? ", %s (%llu)" : "tensor types this build cannot run: %s (%llu tensors)", olmoe_type_name(i) ? olmoe_type_name(i) : "?", (unsigned long long)counts[i]);
        if (k) printf("\n");
        printf("this build cannot run this file: %s (%s)\n", err, olmoe_result_str(r));
        if (check) fprintf(stderr, "info: --check-tensors: %s\n", err);
    }
    olmoe_model_free(m);
    return !runs && check ? 1 : 0;
}

static void logits_usage(FILE *f) {
    fprintf(f, "usage: olmoe logits -m MODEL.gguf -t ID,ID,... [options]\n"
               "Evaluates the token ids and prints, for every position, the n_vocab logits as one line of\n"
               "space-separated %%.7g (STABLE format); a [kernels ..., threads] line goes to stderr.\n"
               "options:\n"
               "  -m FILE                the GGUF model (required)\n"
               "  -t ID,ID,...           the token ids (required; note: -t is tokens here, --threads is threads)\n"
               "  --threads N            threads (default 0: all online cores)\n"
               "  --kernels K            auto|scalar|avx2|avx512|neon (default auto)\n"
               "  --kv f32|f16           KV cache element (default f32)\n"
               "  --incremental          evaluate one token at a time (default off: one batch)\n"
               "  --opt-out LIST         experts to exclude, indices or names (default none)\n"
               "  --device auto|cpu|cuda where to run (default auto)\n"
               "  --check-tensors        " CLI_CHECK_TENSORS_HELP " (default off)\n"
               "  -h, --help             this help\n"
               "example: olmoe logits -m models/austen-olmoe-q8_0.gguf -t 1,2,3 --threads 2\n");
}

/* STABLE: one line per input position, n_vocab logits as space-separated %.7g. */
static int cmd_logits(int argc, char **argv) {
    const char *model = NULL, *ids = NULL, *optout = NULL;
    int threads = 0, kernels = OLMOE_KERNELS_AUTO, kv_type = OLMOE_TYPE_F32, i, n, one_by_one = 0, device = BACKEND_AUTO, check = 0;
    int32_t *tok = NULL;
    char err[512];
    olmoe_model *m;
    olmoe_model_params mp;
    backend *ctx;
    olmoe_ctx_params cp;
    olmoe_result r;
    for (i = 1; i < argc; i++) {
        if (is_help(argv[i])) { logits_usage(stdout); return 0; }
        else if (!strcmp(argv[i], "-m") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) ids = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--kernels") && i + 1 < argc) {
            kernels = cli_parse_kernels(argv[++i]);
            if (kernels < 0) { fprintf(stderr, "unknown kernel path %s\n", argv[i]); return 2; }
        } else if (!strcmp(argv[i], "--kv") && i + 1 < argc) {
            if ((kv_type = cli_parse_kv(argv[++i])) < 0) { fprintf(stderr, "logits: --kv takes f32 or f16, not %s\n", argv[i]); return 2; }
        } else if (!strcmp(argv[i], "--incremental")) one_by_one = 1;
        else if (!strcmp(argv[i], "--check-tensors")) check = 1;
        else if (!strcmp(argv[i], "--opt-out") && i + 1 < argc) optout = argv[++i];
        else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
            if ((device = backend_parse_device(argv[++i])) < 0) { fprintf(stderr, "logits: --device takes auto, cpu or cuda, not %s\n", argv[i]); return 2; }
        }
        else { fprintf(stderr, "logits: unknown option %s\nusage: olmoe logits -m MODEL.gguf -t ID,ID,... [--threads N] [--kernels K] [--kv f32|f16] [--incremental] [--opt-out LIST] [--device auto|cpu|cuda] [--check-tensors]\n", argv[i]); return 2; }
    }
    if (!model || !ids) { logits_usage(stderr); return 2; }
    cli_check_threads("logits", threads);
    n = cli_parse_ids(ids, &tok);
    if (n <= 0) { fprintf(stderr, "logits: bad token list '%s'\n", ids); free(tok); return 2; }
    mp = cli_model_params(check);
    r = olmoe_model_load(model, &mp, &m, err, sizeof err);
    if (r != OLMOE_OK) { fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), err); free(tok); return 1; }
    cp = olmoe_ctx_default_params();
    cp.n_ctx = n;
    cp.n_threads = threads;
    cp.kernels = kernels;
    cp.kv_type = kv_type;
    r = backend_create(m, &cp, device, &ctx, err, sizeof err);
    if (r != OLMOE_OK) { fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), err); olmoe_model_free(m); free(tok); return 1; }
    if (optout && (r = backend_opt_out(ctx, optout)) != OLMOE_OK) {
        fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), backend_last_error(ctx));
        backend_free(ctx); olmoe_model_free(m); free(tok);
        return 2;
    }
    {
        int V = olmoe_model_config(m)->n_vocab, p, v;
        char *line = (char *)malloc((size_t)V * 20 + 2);
        for (p = 0; p < n && r == OLMOE_OK; p++) {
            const float *lg;
            if (one_by_one) { r = backend_eval(ctx, tok + p, 1, 0); lg = backend_logits(ctx, -1); }
            else { if (p == 0) r = backend_eval(ctx, tok, n, 1); lg = backend_logits(ctx, p); }
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
    if (r != OLMOE_OK) fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), backend_last_error(ctx));
    if (backend_cpu_ctx(ctx))
        fprintf(stderr, "[kernels %s, %d threads]\n", cli_kernels_name(olmoe_ctx_kernels(backend_cpu_ctx(ctx))), olmoe_ctx_n_threads(backend_cpu_ctx(ctx)));
    else fprintf(stderr, "[%s]\n", backend_describe(ctx));
    backend_free(ctx);
    olmoe_model_free(m);
    free(tok);
    return r == OLMOE_OK ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 2 || is_help(argv[1])) { usage(argc < 2 ? stderr : stdout); return argc < 2 ? 2 : 0; }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) return print_version();
    if (!strcmp(argv[1], "help") && argc > 2) {
        /* olmoe help CMD = olmoe CMD --help */
        char *hv[3];
        hv[0] = argv[0]; hv[1] = argv[2]; hv[2] = (char *)"--help";
        return main(3, hv);
    }
    if (!strcmp(argv[1], "quantize") && argc > 2 && is_help(argv[2])) {
        /* tools/quantize.c takes exactly IN OUT TYPE; its help lives here */
        printf("usage: olmoe quantize IN.gguf OUT.gguf TYPE\n"
               "Requantizes an f32/f16/bf16/q8_0 GGUF with llama-quantize's per-tensor mix for TYPE.\n"
               "  IN.gguf    the source model (required)\n"
               "  OUT.gguf   the file to write (required; not IN)\n"
               "  TYPE       q4_k_m q4_k_s q5_k_m q5_k_s q6_k q3_k_m q2_k q4_0 q4_1 q5_0 q5_1 q8_0 iq4_nl iq4_xs (required; no default)\n"
               "example: olmoe quantize model-f16.gguf model-q4_k_m.gguf q4_k_m\n");
        return 0;
    }
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
    if (!strcmp(argv[1], "routes")) return cmd_routes(argc - 1, argv + 1);
    if (!strcmp(argv[1], "serve")) return cmd_serve(argc - 1, argv + 1);
    if (!strcmp(argv[1], "quantize")) return cmd_quantize(argc - 1, argv + 1);
    fprintf(stderr, "olmoe: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
