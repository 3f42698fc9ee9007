#define _POSIX_C_SOURCE 200809L
/* build/olmoe text subcommands: run, chat, score, perplexity. Flags follow llama.cpp where they
   overlap: -m MODEL -p PROMPT -f FILE -e -n N (-1: until EOS or a full context) -t THREADS -c CTX
   --temp --top-k --top-p --min-p --repeat-penalty --repeat-last-n -s/--seed (-1: random, printed).
   Each command accepts only the flags it uses (one table below, also the source of --help). */
#include "cli.h"
#include "backend.h"
#include "json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/stat.h>

/* ---- options -------------------------------------------------------------------------------- */
enum { C_RUN = 1, C_CHAT = 2, C_SCORE = 4, C_PPL = 8, C_GEN = C_RUN | C_CHAT, C_ALL = 15 };
enum {
    O_MODEL, O_PROMPT, O_FILE, O_ESCAPE, O_SYSTEM, O_JSONL, O_NPREDICT, O_CTX, O_THREADS, O_TEMP, O_TOPK,
    O_TOPP, O_MINP, O_RPEN, O_RLAST, O_SEED, O_STOP, O_IGNORE_EOS, O_SPECIAL, O_OPTOUT, O_ROUTES,
    O_KERNELS, O_KV, O_DEVICE, O_VERBOSE, O_HELP, O_CHECK
};
typedef struct opt_def {
    int id, cmds;
    const char *s, *l, *arg, *help;
} opt_def;
/* one row per flag: which commands take it, and its --help line (defaults come from opt_default) */
static const opt_def opt_defs[] = {
    {O_MODEL, C_ALL, "-m", "--model", "FILE", "the GGUF model (required)"},
    {O_PROMPT, C_RUN, "-p", "--prompt", "TEXT", "the prompt (-p or -f is required)"},
    {O_FILE, C_RUN, "-f", "--file", "FILE", "read the prompt from FILE (- is standard input)"},
    {O_FILE, C_PPL, "-f", "--file", "FILE", "the text to score (required; - is standard input)"},
    {O_ESCAPE, C_RUN, "-e", "--escape", NULL, "process \\n \\t \\r \\\\ \\\" \\' \\xHH in the prompt, --system and --stop"},
    {O_SYSTEM, C_RUN, "-sys", "--system", "TEXT", "system message: the prompt is sent as a user message through the model's chat template and only the reply is printed"},
    {O_SYSTEM, C_CHAT, "-sys", "--system", "TEXT", "system message (also /system TEXT while chatting)"},
    {O_JSONL, C_SCORE, NULL, "--jsonl", "FILE", "the items, one JSON object per line (required)"},
    {O_NPREDICT, C_GEN, "-n", "--n-predict", "N", "most tokens to generate (per reply in chat); -1: until end of text or a full context"},
    {O_CTX, C_ALL, "-c", "--ctx-size", "N", "context length in tokens (at most the model's)"},
    {O_THREADS, C_ALL, "-t", "--threads", "N", "threads (0: all online cores)"},
    {O_TEMP, C_GEN, NULL, "--temp", "T", "temperature; 0 is greedy"},
    {O_TOPK, C_GEN, NULL, "--top-k", "K", "keep the K most likely tokens (<= 0: off)"},
    {O_TOPP, C_GEN, NULL, "--top-p", "P", "nucleus sampling (>= 1: off)"},
    {O_MINP, C_GEN, NULL, "--min-p", "P", "drop tokens below P times the most likely one (<= 0: off)"},
    {O_RPEN, C_GEN, NULL, "--repeat-penalty", "R", "penalty for tokens among the last --repeat-last-n (1: off)"},
    {O_RLAST, C_GEN, NULL, "--repeat-last-n", "N", "how many recent tokens the penalty looks at"},
    {O_SEED, C_GEN, "-s", "--seed", "S", "sampling seed; -1: a random one, printed on stderr"},
    {O_STOP, C_GEN, NULL, "--stop", "STR", "stop when STR is generated (not printed); up to 8 times"},
    {O_IGNORE_EOS, C_GEN, NULL, "--ignore-eos", NULL, "keep generating past the end-of-text token"},
    {O_SPECIAL, C_GEN, NULL, "--special", NULL, "print the text of special tokens such as <|endoftext|> (else hidden)"},
    {O_OPTOUT, C_ALL, NULL, "--opt-out", "LIST", "experts to exclude: indices or names (\"2,5\", \"math,code\")"},
    {O_ROUTES, C_RUN, NULL, "--routes", NULL, "print each layer's expert choice shares on stderr at the end"},
    {O_KERNELS, C_ALL, NULL, "--kernels", "K", "kernel path: auto|scalar|avx2|avx512|neon (olmoe --version lists this CPU's)"},
    {O_KV, C_ALL, NULL, "--kv", "T", "KV cache element: f32 or f16"},
    {O_DEVICE, C_ALL, NULL, "--device", "D", "where the forward pass runs: auto|cpu|cuda (a GPU in build/olmoe-cuda; auto: the GPU when one is found)"},
    {O_CHECK, C_ALL, NULL, "--check-tensors", NULL, CLI_CHECK_TENSORS_HELP},
    {O_VERBOSE, C_CHAT, "-v", "--verbose", NULL, "a statistics line on stderr after each reply"},
    {O_HELP, C_ALL, "-h", "--help", NULL, "this help"},
};
#define N_OPT_DEFS ((int)(sizeof opt_defs / sizeof opt_defs[0]))

typedef struct common_opts {
    const char *model, *prompt, *file, *jsonl, *optout, *system;
    int n_predict, threads, n_ctx, kernels, kv_type, device, routes, ignore_eos, n_stop, verbose, escape, special;
    int seed_given;  /* 0: random (the default, or -s -1) */
    int check_tensors;
    char *stop[8];   /* owned copies (-e rewrites them) */
    char *prompt_buf, *system_buf;  /* owned: the prompt read by -f, or copies that -e rewrote */
    olmoe_sampler_params sp;
} common_opts;

static void opts_free(common_opts *o) {
    int i;
    for (i = 0; i < o->n_stop; i++) free(o->stop[i]);
    free(o->prompt_buf);
    free(o->system_buf);
}

static int cmd_bit(const char *cmd) {
    return !strcmp(cmd, "run") ? C_RUN : !strcmp(cmd, "chat") ? C_CHAT : !strcmp(cmd, "score") ? C_SCORE : C_PPL;
}

static const char *opt_default(int id, int cmd, char *buf, size_t n) {
    olmoe_sampler_params sp = olmoe_sampler_default_params();
    switch (id) {
    case O_NPREDICT: return "128";
    case O_CTX: return cmd == C_RUN || cmd == C_SCORE ? "2048" : cmd == C_CHAT ? "4096" : "512";
    case O_THREADS: return "0";
    case O_TEMP: snprintf(buf, n, "%g", sp.temperature); return buf;
    case O_TOPK: snprintf(buf, n, "%d", sp.top_k); return buf;
    case O_TOPP: snprintf(buf, n, "%g", sp.top_p); return buf;
    case O_MINP: snprintf(buf, n, "%g", sp.min_p); return buf;
    case O_RPEN: snprintf(buf, n, "%g", sp.repeat_penalty); return buf;
    case O_RLAST: snprintf(buf, n, "%d", sp.repeat_last_n); return buf;
    case O_SEED: return "-1, random";
    case O_KERNELS: return "auto";
    case O_KV: return "f32";
    case O_DEVICE: return "auto";
    case O_ESCAPE: case O_IGNORE_EOS: case O_SPECIAL: case O_ROUTES: case O_VERBOSE: case O_CHECK: return "off";
    case O_OPTOUT: return "none";
    }
    return NULL;
}

static void cmd_help(const char *cmd, FILE *f) {
    int c = cmd_bit(cmd), i;
    char buf[64];
    if (c == C_RUN)
        fprintf(f, "usage: olmoe run -m MODEL.gguf (-p TEXT | -f FILE) [options]\n"
                   "Streams the prompt and its continuation to stdout (ending with a newline); the timing line\n"
                   "goes to stderr. Ctrl-C stops the generation and still prints the timing line (exit 130).\n");
    else if (c == C_CHAT)
        fprintf(f, "usage: olmoe chat -m MODEL.gguf [options]\n"
                   "Interactive chat with the model's chat template. One message per line; a line ending in \\\n"
                   "continues on the next. Commands: /reset, /system TEXT, /help. An empty line, EOF or Ctrl-C at\n"
                   "the prompt ends the chat; Ctrl-C while the model replies stops only that reply.\n");
    else if (c == C_SCORE)
        fprintf(f, "usage: olmoe score -m MODEL.gguf --jsonl FILE [options]\n"
                   "Multiple-choice log-likelihood evaluation. Each line: {\"context\": \"...\", \"choices\": [\"...\", ...], \"gold\": N}\n"
                   "WinoGrande style: {\"context\": \"... _ ...\", \"choices\": [...], \"gold\": N, \"partial\": true}: each\n"
                   "choice replaces the blank and the text after the blank is scored. Progress every 100 items on stderr.\n");
    else
        fprintf(f, "usage: olmoe perplexity -m MODEL.gguf -f TEXT [options]\n"
                   "Sliding-window perplexity (stride half the window). Each window's running value goes to stderr\n"
                   "as [1]12.34,[2]11.98,...; the result line to stdout.\n");
    fprintf(f, "options:\n");
    for (i = 0; i < N_OPT_DEFS; i++) {
        const opt_def *d = &opt_defs[i];
        const char *def;
        char flag[48];
        if (!(d->cmds & c)) continue;
        snprintf(flag, sizeof flag, "%s%s%s%s%s", d->s ? d->s : "", d->s ? ", " : "", d->l, d->arg ? " " : "", d->arg ? d->arg : "");
        def = opt_default(d->id, c, buf, sizeof buf);
        fprintf(f, "  %-24s %s%s%s%s\n", flag, d->help, def ? " (default " : "", def ? def : "", def ? ")" : "");
    }
    if (c == C_RUN)
        fprintf(f, "example: olmoe run -m models/austen-olmoe-q8_0.gguf -p \"It is a truth universally acknowledged\" -n 64 --temp 0.7 --seed 42\n");
    else if (c == C_CHAT)
        fprintf(f, "example: olmoe chat -m MODEL-instruct.gguf --system \"You are a helpful assistant.\" -n 256\n");
    else if (c == C_SCORE)
        fprintf(f, "example: olmoe score -m models/austen-olmoe-q8_0.gguf --jsonl items.jsonl -c 512\n");
    else
        fprintf(f, "example: olmoe perplexity -m models/austen-olmoe-q8_0.gguf -f book.txt -c 512\n");
}

/* a whole decimal integer in [lo, INT_MAX]; anything else is refused by name (atoi read "abc" as 0) */
int cli_parse_int(const char *cmd, const char *flag, const char *v, long lo, int *out) {
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

static int hexval(int c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}
/* -e: llama.cpp's escapes, in place (the result is never longer). An unknown escape stays as it
   is; \x00 is refused because the text is a C string and would be cut there. */
static int process_escapes(const char *cmd, char *s) {
    char *w = s;
    const char *r = s;
    while (*r) {
        if (*r != '\\' || !r[1]) { *w++ = *r++; continue; }
        switch (r[1]) {
        case 'n': *w++ = '\n'; r += 2; break;
        case 't': *w++ = '\t'; r += 2; break;
        case 'r': *w++ = '\r'; r += 2; break;
        case '\\': *w++ = '\\'; r += 2; break;
        case '"': *w++ = '"'; r += 2; break;
        case '\'': *w++ = '\''; r += 2; break;
        case 'x': {
            int h1 = hexval((unsigned char)r[2]), h2 = h1 >= 0 ? hexval((unsigned char)r[3]) : -1, v;
            if (h1 < 0) { *w++ = *r++; break; }
            v = h2 >= 0 ? h1 * 16 + h2 : h1;
            if (v == 0) { fprintf(stderr, "%s: -e: \\x00 would end the text there (a NUL byte cannot be sent)\n", cmd); return -1; }
            *w++ = (char)v;
            r += h2 >= 0 ? 4 : 3;
            break;
        }
        default: *w++ = *r++; *w++ = *r++; break;
        }
    }
    *w = 0;
    return 0;
}

static char *read_text(const char *cmd, const char *path, size_t *len);

static int parse_common(int argc, char **argv, common_opts *o, const char *cmd) {
    int i, c = cmd_bit(cmd), j;
    memset(o, 0, sizeof *o);
    o->sp = olmoe_sampler_default_params();
    o->n_predict = 128;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const opt_def *d = NULL;
        for (j = 0; j < N_OPT_DEFS && !d; j++)
            if ((opt_defs[j].s && !strcmp(a, opt_defs[j].s)) || !strcmp(a, opt_defs[j].l)) d = &opt_defs[j];
        if (!d) { fprintf(stderr, "%s: unknown option %s (see olmoe %s --help)\n", cmd, a, cmd); return -1; }
        for (j = 0; j < N_OPT_DEFS; j++)  /* the same flag may have a row per command */
            if (opt_defs[j].id == d->id && (opt_defs[j].cmds & c)) d = &opt_defs[j];
        if (!(d->cmds & c)) {
            /* accepted-but-ignored flags surprise: refuse them by name */
            fprintf(stderr, "%s: %s does not apply to %s (see olmoe %s --help)\n", cmd, a, cmd, cmd);
            return -1;
        }
        if (d->id == O_HELP) { cmd_help(cmd, stdout); return 1; }
        if (d->arg) {
            if (!v) { fprintf(stderr, "%s: %s needs a value\n", cmd, a); return -1; }
            i++;
        }
        switch (d->id) {
        case O_MODEL: o->model = v; break;
        case O_PROMPT: o->prompt = v; break;
        case O_FILE: o->file = v; break;
        case O_JSONL: o->jsonl = v; break;
        case O_SYSTEM: o->system = v; break;
        case O_OPTOUT: o->optout = v; break;
        case O_ESCAPE: o->escape = 1; break;
        case O_NPREDICT:
            if (cli_parse_int(cmd, a, v, -1, &o->n_predict)) return -1;
            if (o->n_predict < 0) o->n_predict = INT_MAX;  /* -1: until EOS or a full context */
            break;
        case O_THREADS: if (cli_parse_int(cmd, a, v, 0, &o->threads)) return -1; break;
        case O_CTX: if (cli_parse_int(cmd, a, v, 0, &o->n_ctx)) return -1; break;
        case O_TEMP: if (parse_float(cmd, a, v, &o->sp.temperature)) return -1; break;
        case O_TOPK: if (cli_parse_int(cmd, a, v, INT_MIN, &o->sp.top_k)) return -1; break;
        case O_TOPP: if (parse_float(cmd, a, v, &o->sp.top_p)) return -1; break;
        case O_MINP: if (parse_float(cmd, a, v, &o->sp.min_p)) return -1; break;
        case O_RPEN: if (parse_float(cmd, a, v, &o->sp.repeat_penalty)) return -1; break;
        case O_RLAST: if (cli_parse_int(cmd, a, v, INT_MIN, &o->sp.repeat_last_n)) return -1; break;
        case O_SEED: {
            char *end;
            if (!strcmp(v, "-1")) { o->seed_given = 0; break; }
            errno = 0;
            o->sp.seed = strtoull(v, &end, 10);
            if (end == v || *end || errno == ERANGE || v[0] == '-') {
                fprintf(stderr, "%s: %s %s: not a non-negative integer (or -1 for a random seed)\n", cmd, a, v);
                return -1;
            }
            o->seed_given = 1;
            break;
        }
        case O_STOP:
            if (o->n_stop == 8) { fprintf(stderr, "%s: --stop given more than 8 times\n", cmd); return -1; }
            if (!(o->stop[o->n_stop] = strdup(v))) { fprintf(stderr, "%s: out of memory\n", cmd); return -1; }
            o->n_stop++;
            break;
        case O_KERNELS:
            if ((o->kernels = cli_parse_kernels(v)) < 0) { fprintf(stderr, "%s: unknown kernel path %s (auto, scalar, avx2, avx512, neon)\n", cmd, v); return -1; }
            break;
        case O_KV:
            if ((o->kv_type = cli_parse_kv(v)) < 0) { fprintf(stderr, "%s: --kv takes f32 or f16, not %s\n", cmd, v); return -1; }
            break;
        case O_DEVICE:
            if ((o->device = backend_parse_device(v)) < 0) { fprintf(stderr, "%s: --device takes auto, cpu or cuda, not %s\n", cmd, v); return -1; }
            break;
        case O_ROUTES: o->routes = 1; break;
        case O_IGNORE_EOS: o->ignore_eos = 1; break;
        case O_SPECIAL: o->special = 1; break;
        case O_VERBOSE: o->verbose = 1; break;
        case O_CHECK: o->check_tensors = 1; break;
        }
    }
    if (!o->model) { fprintf(stderr, "%s: -m MODEL is required (see olmoe %s --help)\n", cmd, cmd); return -1; }
    if (c == C_RUN) {
        if (!o->prompt == !o->file) { fprintf(stderr, "run: give the prompt with -p TEXT or -f FILE (one of them; see olmoe run --help)\n"); return -1; }
        if (o->file) {
            size_t len;
            if (!(o->prompt_buf = read_text("run", o->file, &len))) return -2;
            if (strlen(o->prompt_buf) != len) { fprintf(stderr, "run: %s contains a NUL byte; the prompt would be cut there\n", o->file); return -2; }
            o->prompt = o->prompt_buf;
        }
    }
    if (c == C_SCORE && !o->jsonl) { fprintf(stderr, "score: --jsonl FILE is required (see olmoe score --help)\n"); return -1; }
    if (c == C_PPL && !o->file) { fprintf(stderr, "perplexity: -f FILE is required (see olmoe perplexity --help)\n"); return -1; }
    if (o->escape) {
        if (o->prompt && !o->prompt_buf && !(o->prompt = o->prompt_buf = strdup(o->prompt))) return -2;
        if (o->prompt_buf && process_escapes(cmd, o->prompt_buf)) return -1;
        if (o->system && !(o->system = o->system_buf = strdup(o->system))) return -2;
        if (o->system_buf && process_escapes(cmd, o->system_buf)) return -1;
        for (j = 0; j < o->n_stop; j++) if (process_escapes(cmd, o->stop[j])) return -1;
    }
    if ((c & C_GEN) && !o->seed_given) {
        /* llama.cpp's default: a random seed, printed so the run can be repeated */
        unsigned char b[4] = {0, 0, 0, 0};
        FILE *u = fopen("/dev/urandom", "rb");
        uint32_t s;
        if (!u || fread(b, 1, 4, u) != 4) {
            s = (uint32_t)time(NULL) ^ (uint32_t)getpid() * 2654435761u ^ (uint32_t)clock();
        } else s = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        if (u) fclose(u);
        o->sp.seed = s;
        fprintf(stderr, "[seed %llu (random; -s %llu repeats it)]\n", (unsigned long long)s, (unsigned long long)s);
    }
    return 0;
}

/* Parse, and turn the outcome into an exit status: -1 not done (go on), else the status. */
static int parse_or_exit(int argc, char **argv, common_opts *o, const char *cmd) {
    int r = parse_common(argc, argv, o, cmd);
    if (r == 0) return -1;
    opts_free(o);
    return r == 1 ? 0 : r == -2 ? 1 : 2;
}

/* The model and the context the command evaluates with: olmoe.h's own, or in build/olmoe-cuda one
   whose forward pass runs on the GPU (tools/backend.h); *be owns *c. */
static int open_model(const char *cmd, const common_opts *o, olmoe_model **m, backend **be, olmoe_ctx **c, int n_ctx_default) {
    char err[512];
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    olmoe_model_params mp = cli_model_params(o->check_tensors);
    olmoe_result r = olmoe_model_load(o->model, &mp, m, err, sizeof err);
    int train, device = o->device;
    if (r != OLMOE_OK) { fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), err); return 1; }
    train = olmoe_model_config(*m)->n_ctx_train;
    cp.n_ctx = o->n_ctx ? o->n_ctx : n_ctx_default;
    if (cp.n_ctx > train) {
        if (o->n_ctx) fprintf(stderr, "%s: warning: -c %d is more than the model's context of %d tokens; using %d\n", cmd, o->n_ctx, train, train);
        cp.n_ctx = train;
    }
    cli_check_threads(cmd, o->threads);
    cp.n_threads = o->threads;
    cp.kernels = o->kernels;
    cp.kv_type = o->kv_type;
    if (o->routes && device != BACKEND_CPU && backend_has_cuda()) {
        /* the routing trace is a callback of olmoe.h's forward pass; the GPU routes on the device */
        if (device == BACKEND_CUDA) {
            fprintf(stderr, "%s: --routes traces olmoe.h's CPU forward pass; it does not go with --device cuda (use --device cpu)\n", cmd);
            olmoe_model_free(*m);
            return 2;
        }
        fprintf(stderr, "[gpu] --routes traces the CPU forward pass: running on the CPU\n");
        device = BACKEND_CPU;
    }
    r = backend_create(*m, &cp, device, be, err, sizeof err);
    if (r != OLMOE_OK) { fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), err); olmoe_model_free(*m); return 1; }
    *c = backend_ctx(*be);
    if (o->optout && (r = olmoe_ctx_opt_out(*c, o->optout)) != OLMOE_OK) {
        fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), olmoe_ctx_last_error(*c));
        backend_free(*be); olmoe_model_free(*m);
        return 2;
    }
    return 0;
}

/* ---- Ctrl-C: a flag the streaming callbacks check (olmoe_generate then returns
   OLMOE_ERR_CANCELLED). A second Ctrl-C before the first was acted on ends the process. */
static volatile sig_atomic_t cli_sigint;
static void on_sigint(int sig) {
    (void)sig;
    if (cli_sigint) _exit(130);
    cli_sigint = 1;
}
/* restart: whether an interrupted read/write resumes (while generating) or fails with EINTR
   (at chat's prompt, so that Ctrl-C there ends the wait for a line) */
static void catch_sigint(int restart) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGINT, &sa, NULL);
}

/* ---- streamed text: special tokens hidden unless --special, the last byte remembered ---------- */
typedef struct text_out {
    char **special;   /* texts of the model's control tokens (NULL: show everything) */
    int n_special;
    char hold[256];   /* a tail that may still become a special token's text */
    size_t n_hold, max_special;
    int last;         /* the last byte written to stdout (-1: none) */
} text_out;

static void text_out_init(text_out *t, const olmoe_model *m, int show_special) {
    int id, V = olmoe_model_config(m)->n_vocab;
    memset(t, 0, sizeof *t);
    t->last = -1;
    if (show_special) return;
    for (id = 0; id < V; id++) {
        char piece[256];
        int l;
        char **ns;
        if (!olmoe_token_is_special(m, id)) continue;
        l = olmoe_token_to_piece(m, id, piece, sizeof piece);
        if (l <= 0 || l >= (int)sizeof piece) continue;  /* a 256-byte control token is not hidden */
        ns = (char **)realloc(t->special, sizeof(char *) * (size_t)(t->n_special + 1));
        if (!ns) break;
        t->special = ns;
        if (!(t->special[t->n_special] = strdup(piece))) break;
        t->n_special++;
        if ((size_t)l > t->max_special) t->max_special = (size_t)l;
    }
}
static void text_out_free(text_out *t) {
    int i;
    for (i = 0; i < t->n_special; i++) free(t->special[i]);
    free(t->special);
}
static void out_bytes(text_out *t, const char *s, size_t n) {
    if (!n) return;
    fwrite(s, 1, n, stdout);
    t->last = (unsigned char)s[n - 1];
}
/* Writes text with every special token's text left out. A tail that is the start of one waits
   in hold for the next call; at_end writes it as it is. */
static void text_out_write(text_out *t, const char *s, size_t n, int at_end) {
    char buf[4096];
    size_t i = 0, start = 0, len;
    const char *p;
    if (!t->n_special) { out_bytes(t, s, n); fflush(stdout); return; }
    /* the held tail first, then the new text, scanned as one */
    while (t->n_hold + n > 0) {
        size_t take = n < sizeof buf - t->n_hold ? n : sizeof buf - t->n_hold;
        memcpy(buf, t->hold, t->n_hold);
        memcpy(buf + t->n_hold, s, take);
        len = t->n_hold + take;
        s += take;
        n -= take;
        t->n_hold = 0;
        p = buf;
        for (i = start = 0; i < len;) {
            int k, matched = 0, prefix = 0;
            for (k = 0; k < t->n_special; k++) {
                size_t sl = strlen(t->special[k]);
                if (sl <= len - i && !memcmp(p + i, t->special[k], sl)) { matched = (int)sl; break; }
                if (sl > len - i && !memcmp(p + i, t->special[k], len - i)) prefix = 1;
            }
            if (matched) { out_bytes(t, p + start, i - start); i += (size_t)matched; start = i; }
            else if (prefix && !(at_end && !n)) break;
            else i++;
        }
        out_bytes(t, p + start, i - start);
        if (i < len) {  /* a possible start of a special token: keep it for the next call */
            memcpy(t->hold, p + i, len - i);
            t->n_hold = len - i;
            if (!n) break;
        }
    }
    fflush(stdout);
}
/* End the text on stdout with a newline (a pipe's last line is then whole) and flush it before
   anything goes to stderr. */
static void text_out_end(text_out *t) {
    text_out_write(t, "", 0, 1);
    if (t->last != '\n') { putchar('\n'); t->last = '\n'; }
    fflush(stdout);
}

typedef struct run_state { text_out out; } run_state;
static int print_text(const char *text, size_t len, void *user) {
    run_state *rs = (run_state *)user;
    if (cli_sigint) return 0;
    text_out_write(&rs->out, text, len, 0);
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

static char *chat_render_msgs(const olmoe_model *m, const olmoe_chat_msg *msgs, int n, int add_gen, const char *cmd);

int cmd_run(int argc, char **argv) {
    common_opts o;
    olmoe_model *m;
    olmoe_ctx *c;
    backend *be;
    olmoe_gen_params gp;
    olmoe_gen_stats st;
    olmoe_result r;
    route_counts rc;
    run_state rs;
    char *rendered = NULL;
    const char *input;
    int rcode;
    if ((rcode = parse_or_exit(argc, argv, &o, "run")) >= 0) return rcode;
    if ((rcode = open_model("run", &o, &m, &be, &c, 2048)) != 0) { opts_free(&o); return rcode; }
    input = o.prompt;
    if (o.system) {
        /* --system makes it one chat turn: the template decides how system and prompt are framed */
        olmoe_chat_msg msgs[2];
        msgs[0].role = "system"; msgs[0].content = o.system;
        msgs[1].role = "user"; msgs[1].content = o.prompt;
        if (!(rendered = chat_render_msgs(m, msgs, 2, 1, "run"))) {
            fprintf(stderr, "run: --system needs the model's chat template\n");
            backend_free(be); olmoe_model_free(m); opts_free(&o);
            return 1;
        }
        input = rendered;
    }
    memset(&rc, 0, sizeof rc);
    if (o.routes) {
        rc.n_layer = olmoe_model_config(m)->n_layer;
        rc.n_expert = olmoe_model_config(m)->n_expert;
        rc.count = (long *)calloc((size_t)rc.n_layer * rc.n_expert, sizeof(long));
        rc.tokens = (long *)calloc((size_t)rc.n_layer, sizeof(long));
        olmoe_ctx_set_route_callback(c, count_route, &rc, 0);
    }
    text_out_init(&rs.out, m, o.special);
    gp = olmoe_gen_default_params();
    gp.sampling = o.sp;
    gp.n_predict = o.n_predict;
    gp.stop = (const char *const *)o.stop;
    gp.n_stop = o.n_stop;
    gp.ignore_eos = o.ignore_eos;
    gp.on_text = print_text;
    gp.user = &rs;
    if (!o.system) out_bytes(&rs.out, o.prompt, strlen(o.prompt));
    fflush(stdout);
    cli_sigint = 0;
    catch_sigint(1);
    r = olmoe_generate(c, input, &gp, &st);
    signal(SIGINT, SIG_DFL);
    text_out_end(&rs.out);
    if (r == OLMOE_ERR_CANCELLED && cli_sigint) fprintf(stderr, "run: interrupted (Ctrl-C) after %d generated tokens\n", st.n_gen);
    else if (r != OLMOE_OK) fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), olmoe_ctx_last_error(c));
    else if (st.stop_reason == OLMOE_STOP_CONTEXT_FULL) fprintf(stderr, "run: stopped: the context (%d tokens) is full (-c sets a larger one)\n", olmoe_ctx_n_ctx(c));
    fprintf(stderr, "[prompt %d tokens, %.1f tok/s | generated %d tokens, %.1f tok/s | ",
            st.n_prompt, st.prefill_s > 0 ? st.n_prompt / st.prefill_s : 0.0, st.n_gen,
            st.decode_s > 0 ? st.n_gen / st.decode_s : 0.0);
    if (backend_is_gpu(be)) fprintf(stderr, "%s]\n", backend_describe(be));
    else fprintf(stderr, "%d threads, %s]\n", olmoe_ctx_n_threads(c), cli_kernels_name(olmoe_ctx_kernels(c)));
    if (o.routes) { print_routes(m, &rc); free(rc.count); free(rc.tokens); }
    text_out_free(&rs.out);
    free(rendered);
    backend_free(be);
    olmoe_model_free(m);
    opts_free(&o);
    return r == OLMOE_OK ? 0 : r == OLMOE_ERR_CANCELLED && cli_sigint ? 130 : 1;
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
/* drop every message from index `from` on */
static void chat_cut(chat_state *s, int from) {
    while (s->n > from) { s->n--; free(s->role[s->n]); free(s->content[s->n]); }
}
/* Messages rendered with the model's template; NULL with a message on failure. */
static char *chat_render_msgs(const olmoe_model *m, const olmoe_chat_msg *msgs, int n, int add_gen, const char *cmd) {
    int len = olmoe_chat_render(m, msgs, n, add_gen, NULL, 0);
    char *out = NULL;
    if (len < 0) fprintf(stderr, "%s: cannot render the conversation: the model's chat template is missing or not one olmoe.h knows (%s)\n", cmd, olmoe_result_str((olmoe_result)len));
    else if (!(out = (char *)malloc((size_t)len + 1))) fprintf(stderr, "%s: out of memory\n", cmd);
    else olmoe_chat_render(m, msgs, n, add_gen, out, (size_t)len + 1);
    return out;
}
static char *chat_render(const olmoe_model *m, const chat_state *s, int add_gen) {
    olmoe_chat_msg *msgs = (olmoe_chat_msg *)malloc(sizeof(olmoe_chat_msg) * (size_t)(s->n ? s->n : 1));
    int i;
    char *out;
    if (!msgs) { fprintf(stderr, "chat: out of memory\n"); return NULL; }
    for (i = 0; i < s->n; i++) { msgs[i].role = s->role[i]; msgs[i].content = s->content[i]; }
    out = chat_render_msgs(m, msgs, s->n, add_gen, "chat");
    free(msgs);
    return out;
}
/* One line of any length appended to *buf at *n (the buffer grows; getline is not C99). Returns
   the line's length without its end, -1 at EOF with nothing read, -2 when out of memory, -3 when
   Ctrl-C interrupted the read; *has_nul says a NUL byte was read. */
static long chat_read_line(FILE *f, char **buf, size_t *cap, size_t *n, int *has_nul) {
    size_t n0 = *n;
    int ch;
    while ((ch = getc(f)) != EOF) {
        if (*n + 2 > *cap) {
            size_t nc = *cap ? *cap * 2 : 256;
            char *nb = (char *)realloc(*buf, nc);
            if (!nb) return -2;
            *buf = nb;
            *cap = nc;
        }
        if (ch == '\n') break;
        if (ch == 0) *has_nul = 1;
        (*buf)[(*n)++] = (char)ch;
    }
    if (ch == EOF && cli_sigint) { clearerr(f); return -3; }
    if (ch == EOF && *n == n0) return -1;
    while (*n > n0 && (*buf)[*n - 1] == '\r') (*n)--;
    if (*cap) (*buf)[*n] = 0;
    return (long)(*n - n0);
}
typedef struct reply_buf { char *p; size_t n, cap; int oom; text_out out; } reply_buf;
static int chat_text(const char *text, size_t len, void *user) {
    reply_buf *b = (reply_buf *)user;
    if (cli_sigint) return 0;
    if (b->n + len + 1 > b->cap) {
        size_t nc = (b->n + len + 1) * 2;
        char *np = (char *)realloc(b->p, nc);
        if (!np) { b->oom = 1; return 0; }
        b->p = np;
        b->cap = nc;
    }
    /* the reply is kept as generated (special tokens too): it is what the context holds */
    memcpy(b->p + b->n, text, len);
    b->n += len;
    b->p[b->n] = 0;
    text_out_write(&b->out, text, len, 0);
    return 1;
}

static void chat_commands(FILE *f) {
    fprintf(f, "commands:\n"
               "  /reset          forget the conversation (the system message stays)\n"
               "  /system TEXT    set the system message (/system alone removes it)\n"
               "  /help           this list\n"
               "  a line ending in \\ continues on the next line; // at the start sends a message beginning with /\n"
               "  an empty line, EOF or Ctrl-C at the prompt ends the chat; Ctrl-C during a reply stops the reply\n");
}

int cmd_chat(int argc, char **argv) {
    common_opts o;
    olmoe_model *m;
    olmoe_ctx *c;
    backend *be;
    chat_state s;
    char *line = NULL, *in_ctx = NULL;
    size_t line_cap = 0;
    int rcode, status = 0, lineno = 0;
    memset(&s, 0, sizeof s);
    if ((rcode = parse_or_exit(argc, argv, &o, "chat")) >= 0) return rcode;
    if ((rcode = open_model("chat", &o, &m, &be, &c, 4096)) != 0) { opts_free(&o); return rcode; }
    {   /* refuse early if the template is unknown */
        olmoe_chat_msg t = {"user", "x"};
        int k = olmoe_chat_render(m, &t, 1, 1, NULL, 0);
        if (k < 0) {
            fprintf(stderr, "chat: the model's chat template is missing or not one olmoe.h knows (%s)\n", olmoe_result_str((olmoe_result)k));
            backend_free(be); olmoe_model_free(m); opts_free(&o);
            return 1;
        }
    }
    if (o.system && chat_add(&s, "system", o.system, strlen(o.system))) { fprintf(stderr, "chat: out of memory\n"); status = 1; }
    if (!status) fprintf(stderr, "chat: type a message (/help lists the commands); an empty line or EOF ends\n");
    while (!status) {
        char *full, *delta, *msg;
        reply_buf reply;
        olmoe_gen_params gp = olmoe_gen_default_params();
        olmoe_gen_stats st;
        olmoe_result r;
        long l;
        size_t n = 0;
        int has_nul = 0, first = lineno + 1;
        printf("> ");
        fflush(stdout);
        /* Ctrl-C here ends the wait for input (and the chat) */
        cli_sigint = 0;
        catch_sigint(0);
        for (;;) {  /* a line ending in a backslash continues on the next */
            l = chat_read_line(stdin, &line, &line_cap, &n, &has_nul);
            lineno++;
            if (l < 0 || !n || line[n - 1] != '\\') break;
            line[n - 1] = '\n';
        }
        catch_sigint(1);
        if (l == -2) { fprintf(stderr, "chat: out of memory reading line %d\n", lineno); status = 1; break; }
        if (l == -3) { printf("\n"); break; }
        if (l == -1 && !n) break;
        if (has_nul) {
            /* the template renders C strings: a NUL would silently cut the message */
            fprintf(stderr, "chat: line %d contains a NUL byte; not sent (type it again without)\n", first);
            continue;
        }
        if (!n) break;
        msg = line;
        if (line[0] == '/' && line[1] != '/') {
            if (!strcmp(line, "/help")) { chat_commands(stdout); continue; }
            if (!strcmp(line, "/reset")) {
                chat_cut(&s, s.n && !strcmp(s.role[0], "system") ? 1 : 0);
                free(in_ctx);
                in_ctx = NULL;
                olmoe_ctx_truncate(c, 0);
                fprintf(stderr, "chat: conversation reset\n");
                continue;
            }
            if (!strcmp(line, "/system") || !strncmp(line, "/system ", 8)) {
                const char *text = line[7] ? line + 8 : "";
                /* the system message leads; the next turn re-renders (the cached prefix no longer matches) */
                if (s.n && !strcmp(s.role[0], "system")) {
                    free(s.role[0]); free(s.content[0]);
                    memmove(s.role, s.role + 1, sizeof(char *) * (size_t)(s.n - 1));
                    memmove(s.content, s.content + 1, sizeof(char *) * (size_t)(s.n - 1));
                    s.n--;
                }
                if (*text) {
                    char *sr, *sc;
                    if (chat_add(&s, "system", text, strlen(text))) { fprintf(stderr, "chat: out of memory\n"); status = 1; break; }
                    sr = s.role[s.n - 1];
                    sc = s.content[s.n - 1];
                    memmove(s.role + 1, s.role, sizeof(char *) * (size_t)(s.n - 1));
                    memmove(s.content + 1, s.content, sizeof(char *) * (size_t)(s.n - 1));
                    s.role[0] = sr;
                    s.content[0] = sc;
                }
                fprintf(stderr, *text ? "chat: system message set\n" : "chat: system message removed\n");
                continue;
            }
            fprintf(stderr, "chat: unknown command %s (/help lists them; start with // to send a message beginning with /)\n", line);
            continue;
        }
        if (line[0] == '/') msg = line + 1;
        if (chat_add(&s, "user", msg, n - (size_t)(msg - line))) { fprintf(stderr, "chat: out of memory\n"); status = 1; break; }
        if (!(full = chat_render(m, &s, 1))) { status = 1; break; }
        /* the context holds in_ctx (earlier turns and replies); append only what is new */
        if (in_ctx && strncmp(full, in_ctx, strlen(in_ctx)) == 0) delta = full + strlen(in_ctx);
        else { olmoe_ctx_truncate(c, 0); delta = full; }
        memset(&reply, 0, sizeof reply);
        text_out_init(&reply.out, m, o.special);
        gp.sampling = o.sp;
        gp.n_predict = o.n_predict;
        gp.stop = (const char *const *)o.stop;
        gp.n_stop = o.n_stop;
        gp.ignore_eos = o.ignore_eos;
        gp.on_text = chat_text;
        gp.user = &reply;
        r = olmoe_generate(c, delta, &gp, &st);
        text_out_end(&reply.out);
        text_out_free(&reply.out);
        if (r == OLMOE_ERR_CANCELLED && cli_sigint && !reply.oom) {
            /* the reply so far is kept; the context is rebuilt at the next turn since it may hold
               tokens whose text was not shown */
            fprintf(stderr, "chat: reply stopped (Ctrl-C); Ctrl-C again at the prompt ends the chat\n");
            if (chat_add(&s, "assistant", reply.p ? reply.p : "", reply.n)) { fprintf(stderr, "chat: out of memory\n"); status = 1; }
            free(in_ctx);
            in_ctx = NULL;
            free(full); free(reply.p);
            continue;
        }
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
    signal(SIGINT, SIG_DFL);
    chat_cut(&s, 0);
    free(s.role); free(s.content); free(in_ctx); free(line);
    backend_free(be);
    olmoe_model_free(m);
    opts_free(&o);
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
    backend *be;
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    long len;
    struct stat fst;
    int rcode, n_items = 0, n_correct = 0, n_correct_norm = 0, lineno = 0, n_skipped = 0, n_printed = 0, status = 0;
    if ((rcode = parse_or_exit(argc, argv, &o, "score")) >= 0) return rcode;
    if (!(f = fopen(o.jsonl, "rb"))) { fprintf(stderr, "score: cannot open %s: %s\n", o.jsonl, strerror(errno)); opts_free(&o); return 1; }
    if (fstat(fileno(f), &fst) == 0 && S_ISDIR(fst.st_mode)) {
        fprintf(stderr, "score: %s is a directory, not a JSON-lines file\n", o.jsonl);
        fclose(f);
        opts_free(&o);
        return 1;
    }
    if ((rcode = open_model("score", &o, &m, &be, &c, 2048)) != 0) { fclose(f); opts_free(&o); return rcode; }
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
        if ((n_items + n_skipped) % 100 == 0) {
            /* progress for long files: where it is, and the accuracy so far */
            long pos = S_ISREG(fst.st_mode) && fst.st_size > 0 ? ftell(f) : -1;
            fprintf(stderr, "score: %d items (%d counted), accuracy so far %.4f", n_items + n_skipped, n_items,
                    n_items ? (double)n_correct / n_items : 0.0);
            if (pos >= 0) fprintf(stderr, ", %.0f%% of %s", 100.0 * (double)pos / (double)fst.st_size, o.jsonl);
            fprintf(stderr, "\n");
        }
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
    backend_free(be);
    olmoe_model_free(m);
    opts_free(&o);
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
    backend *be;
    char *text;
    size_t sz;
    int32_t *tok = NULL;
    int n, rcode, W, S, start, scored = 0, failed = 0, n_win = 0;
    double nll = 0.0, nll2 = 0.0;
    if ((rcode = parse_or_exit(argc, argv, &o, "perplexity")) >= 0) return rcode;
    if (o.n_ctx == 1) { fprintf(stderr, "perplexity: -c 1: the window must be at least 2 tokens (one to predict from, one to score)\n"); opts_free(&o); return 2; }
    if (!(text = read_text("perplexity", o.file, &sz))) { opts_free(&o); return 1; }
    if (sz == 0) { fprintf(stderr, "perplexity: %s is empty: nothing to score\n", o.file); free(text); opts_free(&o); return 1; }
    if ((rcode = open_model("perplexity", &o, &m, &be, &c, 512)) != 0) { free(text); opts_free(&o); return rcode; }
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
            fprintf(stderr, "%sperplexity: error at tokens %d-%d: %s\n", n_win ? "\n" : "", first, end, olmoe_ctx_last_error(c));
            free(lp);
            failed = 1;
            break;
        }
        for (i = 0; i < end - first; i++) { nll -= lp[i]; nll2 += (double)lp[i] * lp[i]; }
        scored += end - first;
        free(lp);
        /* llama.cpp's progress: each window's running perplexity */
        fprintf(stderr, "[%d]%.4f,", ++n_win, exp(nll / scored));
        fflush(stderr);
        if (end == n) break;
    }
    if (n_win) fprintf(stderr, "\n");
    if (scored && !failed) {
        double mean = nll / scored, var = nll2 / scored - mean * mean;
        printf("perplexity %.4f over %d tokens (window %d, stride %d); mean NLL %.5f +- %.5f\n", exp(mean), scored, W, S,
               mean, sqrt(var > 0 ? var / scored : 0));
    }
    free(tok);
    free(text);
    backend_free(be);
    olmoe_model_free(m);
    opts_free(&o);
    return scored && !failed ? 0 : 1;
}
