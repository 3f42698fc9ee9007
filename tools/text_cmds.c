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
#include <errno.h>
#include <limits.h>
#include <sys/types.h>
#include <sys/stat.h>

typedef struct common_opts {
    const char *model, *prompt, *file, *jsonl, *optout, *system;
    int n_predict, threads, n_ctx, kernels, kv_type, routes, ignore_eos, n_stop, verbose;
    const char *stop[8];
    olmoe_sampler_params sp;
} common_opts;

/* a whole decimal integer in [lo, INT_MAX]; anything else is refused by name (atoi read "abc" as 0) */
static int parse_int(const char *cmd, const char *flag, const char *v, long lo, int *out) {
    char *end;
    long x;
    errno = 0;
    x = strtol(v, &end, 10);
    if (end == v || *end || errno == ERANGE || x > INT_MAX || x < INT_MIN) {
        fprintf(stderr, "%s: %s %s: not an integer\n", cmd, flag, v);
        return -1;
    }
    if (x < lo) { fprintf(stderr, "%s: %s %s: must be at least %ld\n", cmd, flag, v, lo); return -1; }
    *out = (int)x;
    return 0;
}

/* a whole finite number (atof read "abc" as 0) */
static int parse_float(const char *cmd, const char *flag, const char *v, float *out) {
    char *end;
    double x;
    errno = 0;
    x = strtod(v, &end);
    if (end == v || *end || !isfinite(x) || fabs(x) > 3.0e38) {
        fprintf(stderr, "%s: %s %s: not a finite number\n", cmd, flag, v);
        return -1;
    }
    *out = (float)x;
    return 0;
}

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
        else if (!strcmp(a, "-n") || !strcmp(a, "--n-predict")) { if (!NEXT || parse_int(cmd, a, v, INT_MIN, &o->n_predict)) return -1; }
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) { if (!NEXT || parse_int(cmd, a, v, 0, &o->threads)) return -1; }
        else if (!strcmp(a, "-c") || !strcmp(a, "--ctx-size")) { if (!NEXT || parse_int(cmd, a, v, 0, &o->n_ctx)) return -1; }
        else if (!strcmp(a, "--temp")) { if (!NEXT || parse_float(cmd, a, v, &o->sp.temperature)) return -1; }
        else if (!strcmp(a, "--top-k")) { if (!NEXT || parse_int(cmd, a, v, INT_MIN, &o->sp.top_k)) return -1; }
        else if (!strcmp(a, "--top-p")) { if (!NEXT || parse_float(cmd, a, v, &o->sp.top_p)) return -1; }
        else if (!strcmp(a, "--min-p")) { if (!NEXT || parse_float(cmd, a, v, &o->sp.min_p)) return -1; }
        else if (!strcmp(a, "--repeat-penalty")) { if (!NEXT || parse_float(cmd, a, v, &o->sp.repeat_penalty)) return -1; }
        else if (!strcmp(a, "--repeat-last-n")) { if (!NEXT || parse_int(cmd, a, v, INT_MIN, &o->sp.repeat_last_n)) return -1; }
        else if (!strcmp(a, "--seed") || !strcmp(a, "-s")) {
            char *end;
            if (!NEXT) return -1;
            errno = 0;
            o->sp.seed = strtoull(v, &end, 10);
            if (end == v || *end || errno == ERANGE || v[0] == '-') { fprintf(stderr, "%s: %s %s: not a non-negative integer\n", cmd, a, v); return -1; }
        }
        else if (!strcmp(a, "--stop")) {
            if (!NEXT) return -1;
            if (o->n_stop == 8) { fprintf(stderr, "%s: --stop given more than 8 times\n", cmd); return -1; }
            o->stop[o->n_stop++] = v;
        }
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
/* The conversation: every turn is kept (the arrays grow; nothing is capped or dropped). */
typedef struct chat_state { char **role, **content; int n, cap; } chat_state;
static int chat_add(chat_state *s, const char *role, const char *content, size_t len) {
    if (s->n == s->cap) {
        int nc = s->cap ? s->cap * 2 : 8;
        char **nr, **nt;
        if (nc <= s->cap) return -1;
        nr = (char **)realloc(s->role, sizeof(char *) * (size_t)nc);
        if (!nr) return -1;
        s->role = nr;
        nt = (char **)realloc(s->content, sizeof(char *) * (size_t)nc);
        if (!nt) return -1;
        s->content = nt;
        s->cap = nc;
    }
    s->role[s->n] = strdup(role);
    s->content[s->n] = (char *)malloc(len + 1);
    if (!s->role[s->n] || !s->content[s->n]) { free(s->role[s->n]); free(s->content[s->n]); return -1; }
    memcpy(s->content[s->n], content, len);
    s->content[s->n][len] = 0;
    s->n++;
    return 0;
}
/* All of the conversation rendered with the model's template; NULL with a message on failure. */
static char *chat_render(const olmoe_model *m, const chat_state *s, int add_gen) {
    olmoe_chat_msg *msgs = (olmoe_chat_msg *)malloc(sizeof(olmoe_chat_msg) * (size_t)(s->n ? s->n : 1));
    int i, len;
    char *out = NULL;
    if (!msgs) { fprintf(stderr, "chat: out of memory\n"); return NULL; }
    for (i = 0; i < s->n; i++) { msgs[i].role = s->role[i]; msgs[i].content = s->content[i]; }
    len = olmoe_chat_render(m, msgs, s->n, add_gen, NULL, 0);
    if (len < 0) fprintf(stderr, "chat: cannot render the conversation (%s)\n", olmoe_result_str((olmoe_result)len));
    else if (!(out = (char *)malloc((size_t)len + 1))) fprintf(stderr, "chat: out of memory\n");
    else olmoe_chat_render(m, msgs, s->n, add_gen, out, (size_t)len + 1);
    free(msgs);
    return out;
}
/* One line of any length (the buffer grows; getline is not C99). Returns the length without the
   line end, -1 at EOF with nothing read, -2 when out of memory; *has_nul says a NUL byte was read. */
static long chat_read_line(FILE *f, char **buf, size_t *cap, int *has_nul) {
    size_t n = 0;
    int ch;
    *has_nul = 0;
    while ((ch = getc(f)) != EOF) {
        if (n + 2 > *cap) {
            size_t nc = *cap ? *cap * 2 : 256;
            char *nb = (char *)realloc(*buf, nc);
            if (!nb) return -2;
            *buf = nb;
            *cap = nc;
        }
        if (ch == '\n') break;
        if (ch == 0) *has_nul = 1;
        (*buf)[n++] = (char)ch;
    }
    if (ch == EOF && n == 0) return -1;
    while (n && (*buf)[n - 1] == '\r') n--;
    (*buf)[n] = 0;
    return (long)n;
}
typedef struct reply_buf { char *p; size_t n, cap; int oom; } reply_buf;
static int chat_text(const char *text, size_t len, void *user) {
    reply_buf *b = (reply_buf *)user;
    if (b->n + len + 1 > b->cap) {
        size_t nc = (b->n + len + 1) * 2;
        char *np = (char *)realloc(b->p, nc);
        if (!np) { b->oom = 1; return 0; }
        b->p = np;
        b->cap = nc;
    }
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
    char *line = NULL, *in_ctx = NULL;
    size_t line_cap = 0;
    int rcode, status = 0, lineno = 0;
    memset(&s, 0, sizeof s);
    if (parse_common(argc, argv, &o, "chat") != 0) {
        fprintf(stderr, "usage: olmoe chat -m MODEL [--system TEXT] [-n N] [-c CTX] [-v] [sampling flags as for run]\n"
                        "  one message per line, of any length; an empty line or EOF ends the chat (exit 0); a line\n"
                        "  with a NUL byte is not sent; a full context ends it with exit status 1\n");
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
    if (o.system && chat_add(&s, "system", o.system, strlen(o.system))) { fprintf(stderr, "chat: out of memory\n"); status = 1; }
    if (!status) fprintf(stderr, "chat: type a message, an empty line or EOF ends\n");
    while (!status) {
        char *full, *delta;
        reply_buf reply = {NULL, 0, 0, 0};
        olmoe_gen_params gp = olmoe_gen_default_params();
        olmoe_gen_stats st;
        olmoe_result r;
        long l;
        int has_nul;
        printf("> ");
        fflush(stdout);
        l = chat_read_line(stdin, &line, &line_cap, &has_nul);
        lineno++;
        if (l == -2) { fprintf(stderr, "chat: out of memory reading line %d\n", lineno); status = 1; break; }
        if (l < 0) break;
        if (has_nul) {
            /* the template renders C strings: a NUL would silently cut the message */
            fprintf(stderr, "chat: line %d contains a NUL byte; not sent (type it again without)\n", lineno);
            continue;
        }
        if (!l) break;
        if (chat_add(&s, "user", line, (size_t)l)) { fprintf(stderr, "chat: out of memory\n"); status = 1; break; }
        if (!(full = chat_render(m, &s, 1))) { status = 1; break; }
        /* the context holds in_ctx (earlier turns and replies); append only what is new */
        if (in_ctx && strncmp(full, in_ctx, strlen(in_ctx)) == 0) delta = full + strlen(in_ctx);
        else { olmoe_ctx_truncate(c, 0); delta = full; }
        gp.sampling = o.sp;
        gp.n_predict = o.n_predict;
        gp.on_text = chat_text;
        gp.user = &reply;
        r = olmoe_generate(c, delta, &gp, &st);
        printf("\n");
        if (r != OLMOE_OK || reply.oom) {
            if (reply.oom) fprintf(stderr, "chat: out of memory for the reply\n");
            else if (r == OLMOE_ERR_CONTEXT_FULL)
                fprintf(stderr, "chat: the context (%d tokens) is full: this message does not fit (%s); ending the chat (-c sets a larger context)\n",
                        olmoe_ctx_n_ctx(c), olmoe_ctx_last_error(c));
            else fprintf(stderr, "chat: error (%s): %s\n", olmoe_result_str(r), olmoe_ctx_last_error(c));
            free(full); free(reply.p);
            status = 1;
            break;
        }
        if (o.verbose) fprintf(stderr, "[%d prompt tokens, %d generated, %.1f tok/s]\n", st.n_prompt, st.n_gen, st.decode_s > 0 ? st.n_gen / st.decode_s : 0.0);
        /* what the context now holds: the rendering up to the generation prompt plus the reply */
        free(in_ctx);
        in_ctx = (char *)malloc(strlen(full) + reply.n + 1);
        if (!in_ctx || chat_add(&s, "assistant", reply.p ? reply.p : "", reply.n)) {
            fprintf(stderr, "chat: out of memory\n");
            free(full); free(reply.p);
            status = 1;
            break;
        }
        strcpy(in_ctx, full);
        if (reply.p) strcat(in_ctx, reply.p);
        free(full);
        free(reply.p);
        if (st.stop_reason == OLMOE_STOP_CONTEXT_FULL) {
            fprintf(stderr, "chat: the context (%d tokens) is full: the reply was cut short; ending the chat (-c sets a larger context)\n",
                    olmoe_ctx_n_ctx(c));
            status = 1;
        }
    }
    {
        int i;
        for (i = 0; i < s.n; i++) { free(s.role[i]); free(s.content[i]); }
        free(s.role); free(s.content); free(in_ctx); free(line);
    }
    olmoe_ctx_free(c);
    olmoe_model_free(m);
    return status;
}

/* ---- scoring ---- */
static int tokenize_alloc(const olmoe_model *m, const char *s, size_t len, int32_t **out) {
    int n = olmoe_tokenize(m, s, len, NULL, 0, 1);
    if (n < 0) return n;
    *out = (int32_t *)malloc(sizeof(int32_t) * (size_t)(n + 1));
    return olmoe_tokenize(m, s, len, *out, n, 1);
}

/* lm-eval-harness style: whole = enc(context + cont); cont tokens = whole minus the context's.
   Returns 1, or 0 with the reason in why. */
static int score_pair(olmoe_ctx *c, const olmoe_model *m, const char *ctx_s, const char *cont_s, double *ll, int *greedy,
                      int *n_cont_out, char *why, size_t why_size) {
    size_t lc = strlen(ctx_s), lk = strlen(cont_s);
    char *whole_s = (char *)malloc(lc + lk + 1);
    int32_t *ctx_t = NULL, *whole_t = NULL;
    int nc, nw, ok = 0;
    olmoe_result r;
    /* trailing spaces of the context belong to the continuation (as lm-eval moves them) */
    size_t lc2 = lc;
    if (!whole_s) { snprintf(why, why_size, "out of memory"); return 0; }
    while (lc2 > 0 && ctx_s[lc2 - 1] == ' ') lc2--;
    memcpy(whole_s, ctx_s, lc);
    memcpy(whole_s + lc, cont_s, lk);
    whole_s[lc + lk] = 0;
    nc = tokenize_alloc(m, ctx_s, lc2, &ctx_t);
    nw = nc < 0 ? nc : tokenize_alloc(m, whole_s, lc + lk, &whole_t);
    if (nc < 0 || nw < 0) snprintf(why, why_size, "cannot tokenize (%s)", olmoe_result_str((olmoe_result)(nc < 0 ? nc : nw)));
    else if (nc < 1) snprintf(why, why_size, "the context has no tokens to predict the choice from");
    else if (nw <= nc) snprintf(why, why_size, lk ? "the choice adds no tokens to the context" : "the choice is empty");
    else {
        /* when the context's tokens are not a prefix of the whole, the whole's suffix is scored anyway */
        r = olmoe_ctx_score(c, whole_t, nc, whole_t + nc, nw - nc, NULL, ll, greedy);
        if (r == OLMOE_OK) ok = 1;
        else snprintf(why, why_size, "%s", olmoe_ctx_last_error(c));
        *n_cont_out = nw - nc;
    }
    free(whole_s); free(ctx_t); free(whole_t);
    return ok;
}

/* Why an item cannot be scored at all (NULL when it can): every field checked by name. */
static const char *score_check_item(const json_node *root, int *partial, long long *gold, char *buf, size_t n) {
    const json_node *ctxn = json_get(root, "context"), *ch = json_get(root, "choices"), *gd = json_get(root, "gold");
    const json_node *part = json_get(root, "partial"), *e;
    size_t i;
    *partial = 0;
    if (!root || root->type != JSON_OBJECT) return "the line is not a JSON object";
    if (!ctxn) return "no \"context\"";
    if (!json_str(ctxn)) { snprintf(buf, n, "\"context\" is a %s, not a string", json_type_name(ctxn->type)); return buf; }
    if (!json_cstr(ctxn)) return "\"context\" contains a NUL byte (\\u0000)";
    if (!ch) return "no \"choices\"";
    if (ch->type != JSON_ARRAY) { snprintf(buf, n, "\"choices\" is a %s, not an array", json_type_name(ch->type)); return buf; }
    if (!ch->count) return "\"choices\" is empty";
    for (i = 0, e = ch->child; e; e = e->next, i++) {
        if (!json_str(e)) { snprintf(buf, n, "choice %lu is a %s, not a string", (unsigned long)i, json_type_name(e->type)); return buf; }
        if (!json_cstr(e)) { snprintf(buf, n, "choice %lu contains a NUL byte (\\u0000)", (unsigned long)i); return buf; }
    }
    if (!gd) return "no \"gold\"";
    if (!json_int(gd, gold)) { snprintf(buf, n, "\"gold\" is a %s, not an integer", gd->type == JSON_NUMBER ? "fraction" : json_type_name(gd->type)); return buf; }
    if (*gold < 0 || *gold >= (long long)ch->count) {
        snprintf(buf, n, "\"gold\" %lld is not an index into the %lu choices", *gold, (unsigned long)ch->count);
        return buf;
    }
    if (part && !json_bool(part, partial)) { snprintf(buf, n, "\"partial\" is a %s; it must be true or false", json_type_name(part->type)); return buf; }
    if (*partial && !strchr(ctxn->str, '_')) return "\"partial\": true needs a '_' blank in the context";
    return NULL;
}

int cmd_score(int argc, char **argv) {
    common_opts o;
    olmoe_model *m;
    olmoe_ctx *c;
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    long len;
    struct stat fst;
    int rcode, n_items = 0, n_correct = 0, n_correct_norm = 0, lineno = 0, n_skipped = 0, n_printed = 0, status = 0;
    if (parse_common(argc, argv, &o, "score") != 0 || !o.jsonl) {
        fprintf(stderr, "usage: olmoe score -m MODEL --jsonl FILE\n"
                        "  each line: {\"context\": \"...\", \"choices\": [\"...\", ...], \"gold\": N}\n"
                        "  WinoGrande style: {\"context\": \"... _ ...\", \"choices\": [...], \"gold\": N, \"partial\": true}:\n"
                        "  each choice replaces the blank and the text after the blank is scored.\n");
        return 2;
    }
    if (!(f = fopen(o.jsonl, "rb"))) { fprintf(stderr, "score: cannot open %s: %s\n", o.jsonl, strerror(errno)); return 1; }
    if (fstat(fileno(f), &fst) == 0 && S_ISDIR(fst.st_mode)) {
        fprintf(stderr, "score: %s is a directory, not a JSON-lines file\n", o.jsonl);
        fclose(f);
        return 1;
    }
    if ((rcode = open_model(&o, &m, &c, 2048)) != 0) { fclose(f); return rcode; }
    while ((len = (long)getline(&line, &cap, f)) > 0) {
        json_doc doc;
        char err[160], whybuf[160], why[512];
        const json_node *root, *ch;
        const char *bad, *ctx;
        long long g = -1;
        int i, n_ch, best = -1, best_norm = -1, partial = 0, failed = -1;
        double best_ll = -INFINITY, best_norm_ll = -INFINITY;
        lineno++;
        if (len <= 1) continue;
        if (json_parse(line, (size_t)len, 0, &doc, err, sizeof err) != 0) {
            fprintf(stderr, "score: line %d: %s\n", lineno, err);
            n_skipped++;
            continue;
        }
        root = json_root(&doc);
        if ((bad = score_check_item(root, &partial, &g, whybuf, sizeof whybuf)) != NULL) {
            fprintf(stderr, "score: line %d: %s; not scored\n", lineno, bad);
            n_skipped++;
            json_free(&doc);
            continue;
        }
        ctx = json_str(json_get(root, "context"));
        ch = json_get(root, "choices");
        n_ch = (int)ch->count;
        printf("item %d:", n_printed++);
        for (i = 0; i < n_ch; i++) {
            const char *choice = json_str(json_at(ch, (size_t)i));
            double ll = -INFINITY;
            int greedy = 0, nt = 0, ok;
            if (partial) {
                /* WinoGrande partial scoring: context up to the blank + choice, then score the rest */
                const char *blank = strchr(ctx, '_'), *rest = blank + 1;
                size_t pl = (size_t)(blank - ctx);
                char *pre = (char *)malloc(pl + strlen(choice) + 2);
                while (*rest == ' ') rest++;
                if (!pre) { ok = 0; snprintf(why, sizeof why, "out of memory"); }
                else {
                    memcpy(pre, ctx, pl);
                    strcpy(pre + pl, choice);
                    ok = score_pair(c, m, pre, blank[1] == ' ' ? blank + 1 : rest, &ll, &greedy, &nt, why, sizeof why);
                    free(pre);
                }
            } else {
                ok = score_pair(c, m, ctx, choice, &ll, &greedy, &nt, why, sizeof why);
            }
            if (!ok) {
                printf(" [%d: error: %s]", i, why);
                fprintf(stderr, "score: line %d: choice %d: %s\n", lineno, i, why);
                if (failed < 0) failed = i;
                continue;
            }
            printf(" [%d: ll %.4f, %d tok%s]", i, ll, nt, greedy ? ", greedy" : "");
            if (ll > best_ll) { best_ll = ll; best = i; }
            if (ll / (double)(strlen(choice) ? strlen(choice) : 1) > best_norm_ll) { best_norm_ll = ll / (double)(strlen(choice) ? strlen(choice) : 1); best_norm = i; }
        }
        if (failed >= 0) {
            /* a pick among the choices that could be scored would not be this item's answer */
            printf(" -> not counted (choice %d failed), gold %lld\n", failed, g);
            n_skipped++;
        } else {
            printf(" -> pick %d, gold %lld%s\n", best, g, best == g ? " (correct)" : "");
            n_items++;
            n_correct += best == g;
            n_correct_norm += best_norm == g;
        }
        json_free(&doc);
    }
    if (ferror(f)) { fprintf(stderr, "score: cannot read %s: %s\n", o.jsonl, strerror(errno)); status = 1; }
    free(line);
    fclose(f);
    if (!n_items && !status) {
        fprintf(stderr, "score: %s has no valid items (%d lines, %d refused)\n", o.jsonl, lineno, n_skipped);
        status = 1;
    }
    if (!status) {
        printf("accuracy %.4f (%d/%d), length-normalised accuracy %.4f\n", (double)n_correct / n_items, n_correct, n_items,
               (double)n_correct_norm / n_items);
        if (n_skipped) fprintf(stderr, "score: %d item%s not counted (the reasons are above)\n", n_skipped, n_skipped == 1 ? "" : "s");
    }
    olmoe_ctx_free(c);
    olmoe_model_free(m);
    return status;
}

/* The whole of a file, or of standard input for "-" (also a pipe or /dev/stdin: read in a loop,
   never sized by ftell). NUL-terminated; NULL with a message naming the cause. */
static char *read_text(const char *cmd, const char *path, size_t *len) {
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    size_t n = 0, cap = 1 << 16;
    char *buf;
    struct stat st;
    if (!f) { fprintf(stderr, "%s: cannot open %s: %s\n", cmd, path, strerror(errno)); return NULL; }
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: %s is a directory, not a text file\n", cmd, path);
        if (f != stdin) fclose(f);
        return NULL;
    }
    buf = (char *)malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) break;
        if (cap - n - 1 == 0) {
            char *nb = cap > ((size_t)-1) / 2 ? NULL : (char *)realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
    }
    if (!buf) fprintf(stderr, "%s: %s: out of memory\n", cmd, path);
    else if (ferror(f)) { fprintf(stderr, "%s: cannot read %s: %s\n", cmd, path, strerror(errno)); free(buf); buf = NULL; }
    if (f != stdin) fclose(f);
    if (buf) { buf[n] = 0; *len = n; }
    return buf;
}

int cmd_perplexity(int argc, char **argv) {
    common_opts o;
    olmoe_model *m;
    olmoe_ctx *c;
    char *text;
    size_t sz;
    int32_t *tok = NULL;
    int n, rcode, W, S, start, scored = 0, failed = 0;
    double nll = 0.0, nll2 = 0.0;
    if (parse_common(argc, argv, &o, "perplexity") != 0 || !o.file) {
        fprintf(stderr, "usage: olmoe perplexity -m MODEL -f TEXT [-c WINDOW]   (-f - reads standard input)\n");
        return 2;
    }
    if (o.n_ctx == 1) { fprintf(stderr, "perplexity: -c 1: the window must be at least 2 tokens (one to predict from, one to score)\n"); return 2; }
    if (!(text = read_text("perplexity", o.file, &sz))) return 1;
    if (sz == 0) { fprintf(stderr, "perplexity: %s is empty: nothing to score\n", o.file); free(text); return 1; }
    if ((rcode = open_model(&o, &m, &c, 512)) != 0) { free(text); return rcode; }
    n = tokenize_alloc(m, text, sz, &tok);
    W = olmoe_ctx_n_ctx(c);
    S = W / 2;
    if (n < 0) fprintf(stderr, "perplexity: cannot tokenize %s (%s)\n", o.file, olmoe_result_str((olmoe_result)n));
    else if (n < 2) fprintf(stderr, "perplexity: %s is %d token; at least 2 are needed (one to predict from, one to score)\n", o.file, n);
    else if (W < 2) fprintf(stderr, "perplexity: the window of %d tokens is too small; it must be at least 2\n", W);
    /* sliding window: each window of W tokens scores only the tokens not scored before */
    for (start = 0; n > 1 && W > 1 && start < n - 1; start += S) {
        int end = start + W < n ? start + W : n, first = start == 0 ? 1 : start + W - S, i;
        float *lp;
        double sum;
        if (first >= end) break;
        lp = (float *)malloc(sizeof(float) * (size_t)(end - first));
        if (olmoe_ctx_score(c, tok + start, first - start, tok + first, end - first, lp, &sum, NULL) != OLMOE_OK) {
            fprintf(stderr, "perplexity: error at tokens %d-%d: %s\n", first, end, olmoe_ctx_last_error(c));
            free(lp);
            failed = 1;
            break;
        }
        for (i = 0; i < end - first; i++) { nll -= lp[i]; nll2 += (double)lp[i] * lp[i]; }
        scored += end - first;
        free(lp);
        if (end == n) break;
    }
    if (scored && !failed) {
        double mean = nll / scored, var = nll2 / scored - mean * mean;
        printf("perplexity %.4f over %d tokens (window %d, stride %d); mean NLL %.5f +- %.5f\n", exp(mean), scored, W, S,
               mean, sqrt(var > 0 ? var / scored : 0));
    }
    free(tok);
    free(text);
    olmoe_ctx_free(c);
    olmoe_model_free(m);
    return scored && !failed ? 0 : 1;
}
