#define _POSIX_C_SOURCE 200809L
/* build/olmoe text subcommands: run, chat, score, perplexity. Flags follow llama.cpp:
   -m MODEL -p PROMPT -n N -t THREADS -c CTX --temp --top-k --top-p --min-p --repeat-penalty
   --repeat-last-n --seed. */
#include "cli.h"
#include "json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

typedef struct common_opts {
    const char *model, *prompt, *file, *jsonl, *optout, *system;
    int n_predict, threads, n_ctx, kernels, kv_type, routes, ignore_eos, n_stop, verbose;
    const char *stop[8];
    olmoe_sampler_params sp;
} common_opts;

static int parse_common(int argc, char **argv, common_opts *o, const char *cmd) {
    int i;
    memset(o, 0, sizeof *o);
    o->sp = olmoe_sampler_default_params();
    o->n_predict = 128;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEXT (v ? (i++, v) : (fprintf(stderr, "%s: %s needs a value\n", cmd, a), (const char *)NULL))
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) { if (!(o->model = NEXT)) return -1; }
        else if (!strcmp(a, "-p") || !strcmp(a, "--prompt")) { if (!(o->prompt = NEXT)) return -1; }
        else if (!strcmp(a, "-f") || !strcmp(a, "--file")) { if (!(o->file = NEXT)) return -1; }
        else if (!strcmp(a, "--jsonl")) { if (!(o->jsonl = NEXT)) return -1; }
        else if (!strcmp(a, "--system") || !strcmp(a, "-sys")) { if (!(o->system = NEXT)) return -1; }
        else if (!strcmp(a, "--opt-out")) { if (!(o->optout = NEXT)) return -1; }
        else if (!strcmp(a, "-n") || !strcmp(a, "--n-predict")) { if (!NEXT) return -1; o->n_predict = atoi(v); }
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) { if (!NEXT) return -1; o->threads = atoi(v); }
        else if (!strcmp(a, "-c") || !strcmp(a, "--ctx-size")) { if (!NEXT) return -1; o->n_ctx = atoi(v); }
        else if (!strcmp(a, "--temp")) { if (!NEXT) return -1; o->sp.temperature = (float)atof(v); }
        else if (!strcmp(a, "--top-k")) { if (!NEXT) return -1; o->sp.top_k = atoi(v); }
        else if (!strcmp(a, "--top-p")) { if (!NEXT) return -1; o->sp.top_p = (float)atof(v); }
        else if (!strcmp(a, "--min-p")) { if (!NEXT) return -1; o->sp.min_p = (float)atof(v); }
        else if (!strcmp(a, "--repeat-penalty")) { if (!NEXT) return -1; o->sp.repeat_penalty = (float)atof(v); }
        else if (!strcmp(a, "--repeat-last-n")) { if (!NEXT) return -1; o->sp.repeat_last_n = atoi(v); }
        else if (!strcmp(a, "--seed") || !strcmp(a, "-s")) { if (!NEXT) return -1; o->sp.seed = strtoull(v, NULL, 10); }
        else if (!strcmp(a, "--stop")) { if (!NEXT) return -1; if (o->n_stop < 8) o->stop[o->n_stop++] = v; }
        else if (!strcmp(a, "--kernels")) {
            if (!NEXT) return -1;
            if ((o->kernels = cli_parse_kernels(v)) < 0) { fprintf(stderr, "%s: unknown kernel path %s\n", cmd, v); return -1; }
        }
        else if (!strcmp(a, "--kv")) {
            if (!NEXT) return -1;
            if ((o->kv_type = cli_parse_kv(v)) < 0) { fprintf(stderr, "%s: --kv takes f32 or f16, not %s\n", cmd, v); return -1; }
        }
        else if (!strcmp(a, "--routes")) o->routes = 1;
        else if (!strcmp(a, "--ignore-eos")) o->ignore_eos = 1;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) o->verbose = 1;
        else { fprintf(stderr, "%s: unknown option %s\n", cmd, a); return -1; }
#undef NEXT
    }
    if (!o->model) { fprintf(stderr, "%s: -m MODEL is required\n", cmd); return -1; }
    return 0;
}

static int open_model(const common_opts *o, olmoe_model **m, olmoe_ctx **c, int n_ctx_default) {
    char err[512];
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    olmoe_result r = olmoe_model_load(o->model, NULL, m, err, sizeof err);
    if (r != OLMOE_OK) { fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), err); return 1; }
    cp.n_ctx = o->n_ctx ? o->n_ctx : n_ctx_default;
    if (cp.n_ctx > olmoe_model_config(*m)->n_ctx_train) cp.n_ctx = olmoe_model_config(*m)->n_ctx_train;
    cp.n_threads = o->threads;
    cp.kernels = o->kernels;
    cp.kv_type = o->kv_type;
    r = olmoe_ctx_create(*m, &cp, c, err, sizeof err);
    if (r != OLMOE_OK) { fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), err); olmoe_model_free(*m); return 1; }
    if (o->optout && (r = olmoe_ctx_opt_out(*c, o->optout)) != OLMOE_OK) {
        fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), olmoe_ctx_last_error(*c));
        olmoe_ctx_free(*c); olmoe_model_free(*m);
        return 2;
    }
    return 0;
}

static int print_text(const char *text, size_t len, void *user) {
    (void)user;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 1;
}

/* --routes: how often each expert is chosen, per layer */
typedef struct route_counts { int n_layer, n_expert; long *count; long *tokens; } route_counts;
static void count_route(const olmoe_route_info *ri, void *user) {
    route_counts *rc = (route_counts *)user;
    int k;
    if (ri->layer >= rc->n_layer) return;
    rc->tokens[ri->layer]++;
    for (k = 0; k < ri->n_used; k++) rc->count[(size_t)ri->layer * rc->n_expert + ri->experts[k]]++;
}
static void print_routes(const olmoe_model *m, const route_counts *rc) {
    int l, e;
    char name[64];
    fprintf(stderr, "\nrouting share per layer (%% of tokens that chose each expert):\nlayer");
    for (e = 0; e < rc->n_expert; e++) {
        if (olmoe_model_expert_name(m, e, name, sizeof name) > 0) fprintf(stderr, " %7.7s", name);
        else fprintf(stderr, "    e%-3d", e);
    }
    fprintf(stderr, "\n");
    for (l = 0; l < rc->n_layer; l++) {
        fprintf(stderr, "%5d", l);
        for (e = 0; e < rc->n_expert; e++)
            fprintf(stderr, " %6.1f%%", rc->tokens[l] ? 100.0 * rc->count[(size_t)l * rc->n_expert + e] / rc->tokens[l] : 0.0);
        fprintf(stderr, "\n");
    }
}

int cmd_run(int argc, char **argv) {
    common_opts o;
    olmoe_model *m;
    olmoe_ctx *c;
    olmoe_gen_params gp;
    olmoe_gen_stats st;
    olmoe_result r;
    route_counts rc;
    int rcode;
    if (parse_common(argc, argv, &o, "run") != 0 || !o.prompt) {
        fprintf(stderr, "usage: olmoe run -m MODEL -p PROMPT [-n N] [-t THREADS] [-c CTX] [--temp T] [--top-k K] [--top-p P] [--min-p P]\n"
                        "       [--repeat-penalty R] [--repeat-last-n N] [--seed S] [--stop STR] [--ignore-eos] [--opt-out LIST] [--routes]\n"
                        "       [--kernels auto|scalar|avx2|avx512|neon] [--kv f32|f16]\n");
        return 2;
    }
    if ((rcode = open_model(&o, &m, &c, 2048)) != 0) return rcode;
    memset(&rc, 0, sizeof rc);
    if (o.routes) {
        rc.n_layer = olmoe_model_config(m)->n_layer;
        rc.n_expert = olmoe_model_config(m)->n_expert;
        rc.count = (long *)calloc((size_t)rc.n_layer * rc.n_expert, sizeof(long));
        rc.tokens = (long *)calloc((size_t)rc.n_layer, sizeof(long));
        olmoe_ctx_set_route_callback(c, count_route, &rc, 0);
    }
    gp = olmoe_gen_default_params();
    gp.sampling = o.sp;
    gp.n_predict = o.n_predict;
    gp.stop = o.stop;
    gp.n_stop = o.n_stop;
    gp.ignore_eos = o.ignore_eos;
    gp.on_text = print_text;
    fputs(o.prompt, stdout);
    r = olmoe_generate(c, o.prompt, &gp, &st);
    printf("\n");
    if (r != OLMOE_OK) fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), olmoe_ctx_last_error(c));
    fprintf(stderr, "[prompt %d tokens, %.1f tok/s | generated %d tokens, %.1f tok/s | %d threads, %s]\n",
            st.n_prompt, st.prefill_s > 0 ? st.n_prompt / st.prefill_s : 0.0, st.n_gen,
            st.decode_s > 0 ? st.n_gen / st.decode_s : 0.0, olmoe_ctx_n_threads(c),
            cli_kernels_name(olmoe_ctx_kernels(c)));
    if (o.routes) { print_routes(m, &rc); free(rc.count); free(rc.tokens); }
    olmoe_ctx_free(c);
    olmoe_model_free(m);
    return r == OLMOE_OK ? 0 : 1;
}

/* ---- chat ---- */
typedef struct chat_state { char **role, **content; int n, cap; } chat_state;
static void chat_add(chat_state *s, const char *role, const char *content, size_t len) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->role = (char **)realloc(s->role, sizeof(char *) * (size_t)s->cap);
        s->content = (char **)realloc(s->content, sizeof(char *) * (size_t)s->cap);
    }
    s->role[s->n] = strdup(role);
    s->content[s->n] = (char *)malloc(len + 1);
    memcpy(s->content[s->n], content, len);
    s->content[s->n][len] = 0;
    s->n++;
}
static char *chat_render(const olmoe_model *m, const chat_state *s, int n, int add_gen) {
    olmoe_chat_msg msgs[256];
    int i, len;
    char *out;
    if (n > 256) n = 256;
    for (i = 0; i < n; i++) { msgs[i].role = s->role[i]; msgs[i].content = s->content[i]; }
    len = olmoe_chat_render(m, msgs, n, add_gen, NULL, 0);
    if (len < 0) return NULL;
    out = (char *)malloc((size_t)len + 1);
    olmoe_chat_render(m, msgs, n, add_gen, out, (size_t)len + 1);
    return out;
}
typedef struct reply_buf { char *p; size_t n, cap; } reply_buf;
static int chat_text(const char *text, size_t len, void *user) {
    reply_buf *b = (reply_buf *)user;
    if (b->n + len + 1 > b->cap) { b->cap = (b->n + len + 1) * 2; b->p = (char *)realloc(b->p, b->cap); }
    memcpy(b->p + b->n, text, len);
    b->n += len;
    b->p[b->n] = 0;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 1;
}

int cmd_chat(int argc, char **argv) {
    common_opts o;
    olmoe_model *m;
    olmoe_ctx *c;
    chat_state s;
    char line[8192], *in_ctx = NULL;
    int rcode;
    memset(&s, 0, sizeof s);
    if (parse_common(argc, argv, &o, "chat") != 0) {
        fprintf(stderr, "usage: olmoe chat -m MODEL [--system TEXT] [-n N] [sampling flags as for run]\n");
        return 2;
    }
    if ((rcode = open_model(&o, &m, &c, 4096)) != 0) return rcode;
    {   /* refuse early if the template is unknown */
        olmoe_chat_msg t = {"user", "x"};
        int k = olmoe_chat_render(m, &t, 1, 1, NULL, 0);
        if (k < 0) {
            fprintf(stderr, "chat: the model's chat template is missing or not one olmoe.h knows (%s)\n", olmoe_result_str((olmoe_result)k));
            olmoe_ctx_free(c); olmoe_model_free(m);
            return 1;
        }
    }
    if (o.system) chat_add(&s, "system", o.system, strlen(o.system));
    fprintf(stderr, "chat: type a message, an empty line or EOF ends\n");
    for (;;) {
        char *full, *delta;
        reply_buf reply = {NULL, 0, 0};
        olmoe_gen_params gp = olmoe_gen_default_params();
        olmoe_gen_stats st;
        olmoe_result r;
        size_t l;
        printf("> ");
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin)) break;
        l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r')) line[--l] = 0;
        if (!l) break;
        chat_add(&s, "user", line, l);
        full = chat_render(m, &s, s.n, 1);
        if (!full) break;
        /* the context holds in_ctx (earlier turns and replies); append only what is new */
        if (in_ctx && strncmp(full, in_ctx, strlen(in_ctx)) == 0) delta = full + strlen(in_ctx);
        else { olmoe_ctx_truncate(c, 0); delta = full; }
        gp.sampling = o.sp;
        gp.n_predict = o.n_predict;
        gp.on_text = chat_text;
        gp.user = &reply;
        r = olmoe_generate(c, delta, &gp, &st);
        printf("\n");
        if (r != OLMOE_OK) { fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), olmoe_ctx_last_error(c)); free(full); free(reply.p); break; }
        if (o.verbose) fprintf(stderr, "[%d prompt tokens, %d generated, %.1f tok/s]\n", st.n_prompt, st.n_gen, st.decode_s > 0 ? st.n_gen / st.decode_s : 0.0);
        /* what the context now holds: the rendering up to the generation prompt plus the reply */
        free(in_ctx);
        in_ctx = (char *)malloc(strlen(full) + reply.n + 1);
        strcpy(in_ctx, full);
        if (reply.p) strcat(in_ctx, reply.p);
        chat_add(&s, "assistant", reply.p ? reply.p : "", reply.n);
        free(full);
        free(reply.p);
        if (st.stop_reason == OLMOE_STOP_CONTEXT_FULL) { fprintf(stderr, "chat: context full\n"); break; }
    }
    {
        int i;
        for (i = 0; i < s.n; i++) { free(s.role[i]); free(s.content[i]); }
        free(s.role); free(s.content); free(in_ctx);
    }
    olmoe_ctx_free(c);
    olmoe_model_free(m);
    return 0;
}

/* ---- scoring ---- */
static int tokenize_alloc(const olmoe_model *m, const char *s, size_t len, int32_t **out) {
    int n = olmoe_tokenize(m, s, len, NULL, 0, 1);
    if (n < 0) return n;
    *out = (int32_t *)malloc(sizeof(int32_t) * (size_t)(n + 1));
    return olmoe_tokenize(m, s, len, *out, n, 1);
}

/* lm-eval-harness style: whole = enc(context + cont); cont tokens = whole minus the context's. */
static int score_pair(olmoe_ctx *c, const olmoe_model *m, const char *ctx_s, const char *cont_s, double *ll, int *greedy, int *n_cont_out) {
    size_t lc = strlen(ctx_s), lk = strlen(cont_s);
    char *whole_s = (char *)malloc(lc + lk + 1);
    int32_t *ctx_t = NULL, *whole_t = NULL;
    int nc, nw, ok = 0;
    /* trailing spaces of the context belong to the continuation (as lm-eval moves them) */
    size_t lc2 = lc;
    while (lc2 > 0 && ctx_s[lc2 - 1] == ' ') lc2--;
    memcpy(whole_s, ctx_s, lc);
    memcpy(whole_s + lc, cont_s, lk);
    whole_s[lc + lk] = 0;
    nc = tokenize_alloc(m, ctx_s, lc2, &ctx_t);
    nw = tokenize_alloc(m, whole_s, lc + lk, &whole_t);
    if (nc >= 1 && nw > nc && memcmp(ctx_t, whole_t, sizeof(int32_t) * (size_t)nc) == 0) {
        ok = olmoe_ctx_score(c, whole_t, nc, whole_t + nc, nw - nc, NULL, ll, greedy) == OLMOE_OK;
        *n_cont_out = nw - nc;
    } else if (nc >= 1 && nw > nc) {
        /* the context's tokens are not a prefix of the whole: score the whole's suffix anyway */
        ok = olmoe_ctx_score(c, whole_t, nc, whole_t + nc, nw - nc, NULL, ll, greedy) == OLMOE_OK;
        *n_cont_out = nw - nc;
    }
    free(whole_s); free(ctx_t); free(whole_t);
    return ok;
}

int cmd_score(int argc, char **argv) {
    common_opts o;
    olmoe_model *m;
    olmoe_ctx *c;
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    long len;
    int rcode, n_items = 0, n_correct = 0, n_correct_norm = 0, lineno = 0;
    if (parse_common(argc, argv, &o, "score") != 0 || !o.jsonl) {
        fprintf(stderr, "usage: olmoe score -m MODEL --jsonl FILE\n"
                        "  each line: {\"context\": \"...\", \"choices\": [\"...\", ...], \"gold\": N}\n"
                        "  WinoGrande style: {\"context\": \"... _ ...\", \"choices\": [...], \"gold\": N, \"partial\": true}:\n"
                        "  each choice replaces the blank and the text after the blank is scored.\n");
        return 2;
    }
    if (!(f = fopen(o.jsonl, "rb"))) { fprintf(stderr, "score: cannot open %s\n", o.jsonl); return 1; }
    if ((rcode = open_model(&o, &m, &c, 2048)) != 0) { fclose(f); return rcode; }
    while ((len = (long)getline(&line, &cap, f)) > 0) {
        json_doc doc;
        char err[160];
        const json_node *root, *ctxn, *ch, *gold, *part;
        long long g = -1;
        int i, n_ch, best = -1, best_norm = -1, partial = 0;
        double best_ll = -INFINITY, best_norm_ll = -INFINITY;
        lineno++;
        if (len <= 1) continue;
        if (json_parse(line, (size_t)len, 0, &doc, err, sizeof err) != 0) { fprintf(stderr, "score: line %d: %s\n", lineno, err); continue; }
        root = json_root(&doc);
        ctxn = json_get(root, "context");
        ch = json_get(root, "choices");
        gold = json_get(root, "gold");
        part = json_get(root, "partial");
        if (part) json_bool(part, &partial);
        if (!json_str(ctxn) || !ch || ch->type != JSON_ARRAY || !json_int(gold, &g)) {
            fprintf(stderr, "score: line %d: need context (string), choices (array), gold (int)\n", lineno);
            json_free(&doc);
            continue;
        }
        n_ch = (int)ch->count;
        printf("item %d:", n_items);
        for (i = 0; i < n_ch; i++) {
            const char *choice = json_str(json_at(ch, (size_t)i));
            double ll = -INFINITY;
            int greedy = 0, nt = 0, ok;
            if (!choice) continue;
            if (partial) {
                /* WinoGrande partial scoring: context up to the blank + choice, then score the rest */
                const char *ctx = json_str(ctxn), *blank = strchr(ctx, '_');
                char *pre;
                size_t pl;
                if (!blank) { ok = 0; }
                else {
                    const char *rest = blank + 1;
                    while (*rest == ' ') rest++;
                    pl = (size_t)(blank - ctx);
                    pre = (char *)malloc(pl + strlen(choice) + 2);
                    memcpy(pre, ctx, pl);
                    strcpy(pre + pl, choice);
                    ok = score_pair(c, m, pre, blank[1] == ' ' ? blank + 1 : rest, &ll, &greedy, &nt);
                    free(pre);
                }
            } else {
                ok = score_pair(c, m, json_str(ctxn), choice, &ll, &greedy, &nt);
            }
            if (!ok) { printf(" [%d: error]", i); continue; }
            printf(" [%d: ll %.4f, %d tok%s]", i, ll, nt, greedy ? ", greedy" : "");
            if (ll > best_ll) { best_ll = ll; best = i; }
            if (ll / (double)strlen(choice ? choice : "x") > best_norm_ll) { best_norm_ll = ll / (double)(strlen(choice) ? strlen(choice) : 1); best_norm = i; }
        }
        printf(" -> pick %d, gold %lld%s\n", best, g, best == g ? " (correct)" : "");
        n_items++;
        n_correct += best == g;
        n_correct_norm += best_norm == g;
        json_free(&doc);
    }
    free(line);
    fclose(f);
    printf("accuracy %.4f (%d/%d), length-normalised accuracy %.4f\n", n_items ? (double)n_correct / n_items : 0.0,
           n_correct, n_items, n_items ? (double)n_correct_norm / n_items : 0.0);
    olmoe_ctx_free(c);
    olmoe_model_free(m);
    return 0;
}

int cmd_perplexity(int argc, char **argv) {
    common_opts o;
    olmoe_model *m;
    olmoe_ctx *c;
    char *text;
    FILE *f;
    long sz;
    int32_t *tok = NULL;
    int n, rcode, W, S, start, scored = 0;
    double nll = 0.0, nll2 = 0.0;
    if (parse_common(argc, argv, &o, "perplexity") != 0 || !o.file) {
        fprintf(stderr, "usage: olmoe perplexity -m MODEL -f TEXT [-c WINDOW]\n");
        return 2;
    }
    if (!(f = fopen(o.file, "rb"))) { fprintf(stderr, "perplexity: cannot open %s\n", o.file); return 1; }
    fseek(f, 0, SEEK_END);
    sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = (char *)malloc((size_t)sz + 1);
    if (fread(text, 1, (size_t)sz, f) != (size_t)sz) sz = 0;
    fclose(f);
    text[sz] = 0;
    if ((rcode = open_model(&o, &m, &c, 512)) != 0) { free(text); return rcode; }
    n = tokenize_alloc(m, text, (size_t)sz, &tok);
    W = olmoe_ctx_n_ctx(c);
    S = W / 2;
    /* sliding window: each window of W tokens scores only the tokens not scored before */
    for (start = 0; n > 1 && start < n - 1; start += S) {
        int end = start + W < n ? start + W : n, first = start == 0 ? 1 : start + W - S, i;
        float *lp;
        double sum;
        if (first >= end) break;
        lp = (float *)malloc(sizeof(float) * (size_t)(end - first));
        if (olmoe_ctx_score(c, tok + start, first - start, tok + first, end - first, lp, &sum, NULL) != OLMOE_OK) {
            fprintf(stderr, "error: %s\n", olmoe_ctx_last_error(c));
            free(lp);
            break;
        }
        for (i = 0; i < end - first; i++) { nll -= lp[i]; nll2 += (double)lp[i] * lp[i]; }
        scored += end - first;
        free(lp);
        if (end == n) break;
    }
    if (scored) {
        double mean = nll / scored, var = nll2 / scored - mean * mean;
        printf("perplexity %.4f over %d tokens (window %d, stride %d); mean NLL %.5f +- %.5f\n", exp(mean), scored, W, S,
               mean, sqrt(var > 0 ? var / scored : 0));
    }
    free(tok);
    free(text);
    olmoe_ctx_free(c);
    olmoe_model_free(m);
    return scored ? 0 : 1;
}
