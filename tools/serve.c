/* olmoe serve: an OpenAI-compatible HTTP/1.1 server on olmoe.h (libc + pthreads only).

     POST /v1/completions, POST /v1/chat/completions   (stream: true -> server-sent events)
     GET  /v1/models, GET /health

   N slots = N contexts sharing one loaded model (the model is immutable, so sharing is safe; a
   context is used by one thread at a time). A request waits in a FIFO queue while every slot is
   busy, then takes the free slot whose cached tokens share the longest prefix with its prompt and
   evaluates only the rest (prompt caching; the text is the same as without). One thread per
   connection, at most SERVE_MAX_CONN of them.

   The two parsers are pure functions (bytes in, result out, no I/O) so that they can be fuzzed:
   http_parse_head (request line and headers) and gen_req_parse (a JSON request body). Define
   SERVE_PARSERS_ONLY to compile only them (tests/fuzz/fuzz_http.c does). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cli.h"
#include "json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <limits.h>

/* ---- HTTP request head parser (pure) --------------------------------------------------------- */
enum { HTTP_MORE = 1 };   /* http_parse_head: 0 = complete head, HTTP_MORE = need bytes, else a 4xx/5xx */

typedef struct http_limits {
    size_t max_line;      /* request line (414 beyond) and each header line (431) */
    size_t max_head;      /* request line + headers + blank line (431) */
    int max_headers;      /* header count (431) */
    long long max_body;   /* Content-Length (413) */
} http_limits;

typedef struct http_req {
    char method[17];
    const char *path;     /* into the buffer; the target without its query string */
    size_t path_len;
    int minor;            /* HTTP/1.minor */
    int keep_alive, expect_continue;
    long long content_length;   /* -1 when absent */
    const char *auth;     /* Authorization value (into the buffer) or NULL */
    size_t auth_len;
    size_t head_len;      /* bytes up to and including the blank line */
    int n_headers;
    const char *err;      /* why, when the result is a status code */
} http_req;

static int http_tchar(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}
static int http_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static int http_ieq(const char *a, size_t n, const char *b) {
    size_t i;
    if (strlen(b) != n) return 0;
    for (i = 0; i < n; i++) if (http_lower((unsigned char)a[i]) != http_lower((unsigned char)b[i])) return 0;
    return 1;
}
/* Whether the comma-separated token list v[0..n) holds tok (case-insensitive). */
static int http_has_token(const char *v, size_t n, const char *tok) {
    size_t i = 0;
    while (i < n) {
        size_t s, e;
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        s = i;
        while (i < n && v[i] != ',') i++;
        e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
        if (e > s && http_ieq(v + s, e - s, tok)) return 1;
    }
    return 0;
}
static int http_fail(http_req *r, int status, const char *why) { r->err = why; return status; }

/* Parses the head of one request from buf[0..len). Lines end in CRLF or a bare LF. Returns 0 with
   r filled (r->head_len bytes used; the body, r->content_length bytes, follows), HTTP_MORE when
   the head is incomplete but still within the limits, or an HTTP status (r->err says why). */
static int http_parse_head(const char *buf, size_t len, const http_limits *lim, http_req *r) {
    size_t pos = 0, start, ln, i, m, tstart;
    const char *line, *nl;
    int n_host = 0, has_te = 0, conn_close = 0, conn_keep = 0;
    memset(r, 0, sizeof *r);
    r->content_length = -1;
    /* empty lines before a request are ignored (RFC 9112 2.2): some clients send CRLF after a body */
    while (pos < len && pos <= lim->max_line && (buf[pos] == '\r' || buf[pos] == '\n')) pos++;
    start = pos;
    nl = (const char *)memchr(buf + pos, '\n', len - pos);
    if (!nl) return len - start > lim->max_line ? http_fail(r, 414, "request line too long") : HTTP_MORE;
    line = buf + pos;
    ln = (size_t)(nl - line);
    pos += ln + 1;
    if (ln && line[ln - 1] == '\r') ln--;
    if (ln > lim->max_line) return http_fail(r, 414, "request line too long");
    /* method SP target SP HTTP/1.x */
    for (i = 0; i < ln && http_tchar((unsigned char)line[i]); i++) {}
    if (i == 0 || i >= ln || line[i] != ' ') return http_fail(r, 400, "malformed request line");
    if (i >= sizeof r->method) return http_fail(r, 501, "unknown method");
    memcpy(r->method, line, i);
    r->method[i] = 0;
    tstart = ++i;
    for (; i < ln && (unsigned char)line[i] > 0x20 && line[i] != 0x7f; i++) {}
    if (i == tstart || i >= ln || line[i] != ' ') return http_fail(r, 400, "malformed request target");
    if (line[tstart] != '/') return http_fail(r, 400, "request target must be a path starting with /");
    r->path = line + tstart;
    for (m = tstart; m < i && line[m] != '?' && line[m] != '#'; m++) {}
    r->path_len = m - tstart;
    i++;
    if (ln - i != 8 || memcmp(line + i, "HTTP/", 5) != 0 || line[i + 6] != '.' ||
        line[i + 5] < '0' || line[i + 5] > '9' || line[i + 7] < '0' || line[i + 7] > '9')
        return http_fail(r, 400, "malformed HTTP version");
    if (line[i + 5] != '1') return http_fail(r, 505, "only HTTP/1.x is supported");
    r->minor = line[i + 7] - '0';
    /* header fields */
    for (;;) {
        size_t nlen, vs, ve;
        if (pos - start > lim->max_head) return http_fail(r, 431, "request head too large");
        nl = (const char *)memchr(buf + pos, '\n', len - pos);
        if (!nl) {
            if (len - start > lim->max_head) return http_fail(r, 431, "request head too large");
            if (len - pos > lim->max_line) return http_fail(r, 431, "header line too long");
            return HTTP_MORE;
        }
        line = buf + pos;
        ln = (size_t)(nl - line);
        pos += ln + 1;
        if (ln && line[ln - 1] == '\r') ln--;
        if (pos - start > lim->max_head) return http_fail(r, 431, "request head too large");
        if (ln > lim->max_line) return http_fail(r, 431, "header line too long");
        if (ln == 0) break;
        if (line[0] == ' ' || line[0] == '\t') return http_fail(r, 400, "obsolete header line folding");
        if (++r->n_headers > lim->max_headers) return http_fail(r, 431, "too many header fields");
        for (nlen = 0; nlen < ln && http_tchar((unsigned char)line[nlen]); nlen++) {}
        if (nlen == 0 || nlen >= ln || line[nlen] != ':') return http_fail(r, 400, "malformed header field");
        for (vs = nlen + 1; vs < ln && (line[vs] == ' ' || line[vs] == '\t'); vs++) {}
        for (ve = ln; ve > vs && (line[ve - 1] == ' ' || line[ve - 1] == '\t'); ve--) {}
        for (m = vs; m < ve; m++) {
            unsigned char c = (unsigned char)line[m];
            if ((c < 0x20 && c != '\t') || c == 0x7f) return http_fail(r, 400, "control character in a header value");
        }
        if (http_ieq(line, nlen, "content-length")) {
            long long v = 0;
            if (ve == vs) return http_fail(r, 400, "empty Content-Length");
            for (m = vs; m < ve; m++) {
                if (line[m] < '0' || line[m] > '9') return http_fail(r, 400, "malformed Content-Length");
                if (v > (LLONG_MAX - 9) / 10) return http_fail(r, 413, "request body too large");
                v = v * 10 + (line[m] - '0');
            }
            if (r->content_length >= 0 && r->content_length != v) return http_fail(r, 400, "conflicting Content-Length fields");
            r->content_length = v;
        } else if (http_ieq(line, nlen, "transfer-encoding")) {
            has_te = 1;
        } else if (http_ieq(line, nlen, "connection")) {
            conn_close |= http_has_token(line + vs, ve - vs, "close");
            conn_keep |= http_has_token(line + vs, ve - vs, "keep-alive");
        } else if (http_ieq(line, nlen, "expect")) {
            if (!http_ieq(line + vs, ve - vs, "100-continue")) return http_fail(r, 417, "unsupported Expect value");
            r->expect_continue = 1;
        } else if (http_ieq(line, nlen, "authorization")) {
            r->auth = line + vs;
            r->auth_len = ve - vs;
        } else if (http_ieq(line, nlen, "host")) {
            if (++n_host > 1) return http_fail(r, 400, "more than one Host field");
        }
    }
    r->head_len = pos;
    if (has_te) {
        if (r->content_length >= 0) return http_fail(r, 400, "both Transfer-Encoding and Content-Length");
        return http_fail(r, 501, "Transfer-Encoding request bodies are not supported; send Content-Length");
    }
    if (r->content_length > lim->max_body) return http_fail(r, 413, "request body too large");
    r->keep_alive = r->minor >= 1 ? !conn_close : (conn_keep && !conn_close);
    return 0;
}

/* ---- request body -> generation request (pure) --------------------------------------------- */
#define GEN_MAX_STOP 16
#define GEN_MAX_STOP_LEN 1024
#define GEN_MAX_MSGS 4096

typedef struct gen_req {
    json_doc doc;                 /* the strings below point into it (or into owned[]) */
    int chat;
    const char *prompt;           /* completions */
    olmoe_chat_msg *msgs;         /* chat */
    int n_msgs;
    olmoe_sampler_params sp;
    int random_seed;              /* no seed given (or a negative one): the server picks one */
    int max_tokens;               /* -1: until the end (EOS or a full context); -2: not given */
    const char *stop[GEN_MAX_STOP];
    int n_stop;
    int stream, include_usage, ignore_eos;
    int cache_prompt;             /* reuse the slot's cached prefix (default 1; llama.cpp's name) */
    char *opt_out;                /* comma-separated list for olmoe_ctx_opt_out, or NULL */
    char **owned;                 /* strings built here (joined content parts) */
    int n_owned;
} gen_req;

static void gen_req_free(gen_req *g) {
    int i;
    json_free(&g->doc);
    free(g->msgs);
    free(g->opt_out);
    for (i = 0; i < g->n_owned; i++) free(g->owned[i]);
    free(g->owned);
    memset(g, 0, sizeof *g);
}

static int gen_err(char *err, size_t n, const char *fmt, const char *a) {
    snprintf(err, n, fmt, a);
    return -1;
}
/* A string without NUL bytes (decoded \u0000 would silently cut C strings short). */
static const char *gen_cstr(const json_node *v) {
    const char *s = json_str(v);
    return s && strlen(s) == v->len ? s : NULL;
}
static int gen_num(const json_node *root, const char *key, double lo, double hi, float *out, char *err, size_t n) {
    const json_node *v = json_get(root, key);
    double d;
    if (json_is_null(v)) return 0;
    if (!json_double(v, &d) || !isfinite(d)) return gen_err(err, n, "'%s' must be a number", key);
    if (d < lo || d > hi) {
        char msg[160];
        snprintf(msg, sizeof msg, "'%s' is out of range [%g, %g]", key, lo, hi);
        return gen_err(err, n, "%s", msg);
    }
    *out = (float)d;
    return 0;
}
static int gen_int(const json_node *root, const char *key, long long lo, long long hi, long long *out, char *err, size_t n) {
    const json_node *v = json_get(root, key);
    if (json_is_null(v)) return 0;
    if (!json_int(v, out)) return gen_err(err, n, "'%s' must be an integer", key);
    if (*out < lo || *out > hi) {
        char msg[160];
        snprintf(msg, sizeof msg, "'%s' is out of range [%lld, %lld]", key, lo, hi);
        return gen_err(err, n, "%s", msg);
    }
    return 1;
}
static int gen_bool(const json_node *root, const char *key, int *out, char *err, size_t n) {
    const json_node *v = json_get(root, key);
    if (json_is_null(v)) return 0;
    if (!json_bool(v, out)) return gen_err(err, n, "'%s' must be true or false", key);
    return 0;
}
static char *gen_own(gen_req *g, size_t n) {
    char **no = (char **)realloc(g->owned, sizeof(char *) * (size_t)(g->n_owned + 1));
    char *s;
    if (!no) return NULL;
    g->owned = no;
    if (!(s = (char *)malloc(n))) return NULL;
    return g->owned[g->n_owned++] = s;
}
/* A message's content: a string, null, or an array of {"type":"text","text":...} parts. */
static const char *gen_content(gen_req *g, const json_node *c, char *err, size_t n) {
    const json_node *p;
    size_t total = 0;
    char *s;
    if (json_is_null(c)) return "";
    if (c->type == JSON_STRING) return gen_cstr(c) ? c->str : (gen_err(err, n, "%s", "message content contains a NUL character"), (const char *)NULL);
    if (c->type != JSON_ARRAY) return gen_err(err, n, "%s", "message content must be a string or an array of text parts"), (const char *)NULL;
    for (p = c->child; p; p = p->next) {
        const json_node *t = json_get(p, "type"), *x = json_get(p, "text");
        if (!json_str(t) || strcmp(t->str, "text") != 0 || !gen_cstr(x))
            return gen_err(err, n, "%s", "only content parts of type \"text\" (with a string \"text\") are supported"), (const char *)NULL;
        total += x->len;
    }
    if (!(s = gen_own(g, total + 1))) return gen_err(err, n, "%s", "out of memory"), (const char *)NULL;
    total = 0;
    for (p = c->child; p; p = p->next) {
        const json_node *x = json_get(p, "text");
        memcpy(s + total, x->str, x->len);
        total += x->len;
    }
    s[total] = 0;
    return s;
}

/* Fields OpenAI defines that this server does not implement: accepted only at their neutral
   value, so that a client never gets a silently different answer. */
static int gen_unsupported(const json_node *root, char *err, size_t n) {
    static const char *const zero[] = { "presence_penalty", "frequency_penalty", "top_logprobs", "logprobs" };
    static const char *const none[] = { "suffix", "tools", "functions", "tool_choice", "function_call" };
    const json_node *v;
    long long k;
    double d;
    int b, i;
    for (i = 0; i < (int)(sizeof zero / sizeof *zero); i++) {
        v = json_get(root, zero[i]);
        if (json_is_null(v) || (json_bool(v, &b) && !b) || (json_double(v, &d) && d == 0)) continue;
        return gen_err(err, n, "'%s' is not supported by this server", zero[i]);
    }
    for (i = 0; i < (int)(sizeof none / sizeof *none); i++) {
        v = json_get(root, none[i]);
        if (json_is_null(v) || ((v->type == JSON_ARRAY || v->type == JSON_OBJECT) && v->count == 0) || (v->type == JSON_STRING && !strcmp(v->str, "none"))) continue;
        return gen_err(err, n, "'%s' is not supported by this server", none[i]);
    }
    if ((v = json_get(root, "n")) && !json_is_null(v) && !(json_int(v, &k) && k == 1)) return gen_err(err, n, "%s", "only 'n': 1 is supported");
    if ((v = json_get(root, "best_of")) && !json_is_null(v) && !(json_int(v, &k) && k == 1)) return gen_err(err, n, "%s", "only 'best_of': 1 is supported");
    if ((v = json_get(root, "echo")) && !json_is_null(v) && !(json_bool(v, &b) && !b)) return gen_err(err, n, "%s", "'echo' is not supported by this server");
    if ((v = json_get(root, "logit_bias")) && !json_is_null(v) && !(v->type == JSON_OBJECT && v->count == 0))
        return gen_err(err, n, "%s", "'logit_bias' is not supported by this server");
    if ((v = json_get(root, "response_format")) && !json_is_null(v) && !(json_str(json_get(v, "type")) && !strcmp(json_get(v, "type")->str, "text")))
        return gen_err(err, n, "%s", "only 'response_format' {\"type\": \"text\"} is supported");
    return 0;
}

/* Parses a /v1/completions (chat = 0) or /v1/chat/completions (chat = 1) body. defaults: the
   sampling parameters a field left out keeps. Returns 0, or -1 with a message for the client. */
static int gen_req_parse(const char *body, size_t len, int chat, const olmoe_sampler_params *defaults,
                         gen_req *g, char *err, size_t n) {
    const json_node *root, *v;
    char jerr[160];
    long long k;
    memset(g, 0, sizeof *g);
    g->chat = chat;
    g->sp = *defaults;
    g->max_tokens = -2;
    g->random_seed = 1;
    g->cache_prompt = 1;
    if (len == 0) return gen_err(err, n, "%s", "the request has no body (a JSON object is expected)");
    if (json_parse(body, len, 32, &g->doc, jerr, sizeof jerr) != 0) return gen_err(err, n, "invalid JSON body: %s", jerr);
    root = json_root(&g->doc);
    if (!root || root->type != JSON_OBJECT) return gen_err(err, n, "%s", "the request body must be a JSON object");
    if (gen_unsupported(root, err, n)) return -1;
    if (!chat) {
        v = json_get(root, "prompt");
        if (v && v->type == JSON_ARRAY && v->count == 1) v = v->child;
        if (!v) return gen_err(err, n, "%s", "'prompt' is required");
        if (v->type != JSON_STRING) return gen_err(err, n, "%s", "'prompt' must be a string (or an array of one string)");
        if (!(g->prompt = gen_cstr(v))) return gen_err(err, n, "%s", "'prompt' contains a NUL character");
    } else {
        const json_node *msg;
        int i = 0;
        v = json_get(root, "messages");
        if (!v || v->type != JSON_ARRAY || v->count == 0) return gen_err(err, n, "%s", "'messages' must be a non-empty array");
        if (v->count > GEN_MAX_MSGS) return gen_err(err, n, "%s", "too many messages");
        g->msgs = (olmoe_chat_msg *)calloc(v->count, sizeof *g->msgs);
        if (!g->msgs) return gen_err(err, n, "%s", "out of memory");
        for (msg = v->child; msg; msg = msg->next, i++) {
            const char *role = gen_cstr(json_get(msg, "role"));
            if (msg->type != JSON_OBJECT || !role) return gen_err(err, n, "%s", "each message must be an object with a string 'role'");
            if (!strcmp(role, "developer")) role = "system";   /* OpenAI's newer name for the system role */
            if (strcmp(role, "system") && strcmp(role, "user") && strcmp(role, "assistant"))
                return gen_err(err, n, "unsupported message role '%s' (system, user, assistant)", role);
            g->msgs[i].role = role;
            if (!(g->msgs[i].content = gen_content(g, json_get(msg, "content"), err, n))) return -1;
        }
        g->n_msgs = i;
    }
    /* max_tokens; max_completion_tokens is the newer chat name, n_predict llama.cpp's */
    {
        static const char *const names[] = { "max_tokens", "max_completion_tokens", "n_predict" };
        int i, r;
        for (i = 0; i < 3; i++) {
            if ((r = gen_int(root, names[i], -1, INT_MAX, &k, err, n)) < 0) return -1;
            if (r) { g->max_tokens = (int)k; break; }
        }
    }
    if (gen_num(root, "temperature", 0, 1e6, &g->sp.temperature, err, n)) return -1;
    if (gen_num(root, "top_p", 0, 1, &g->sp.top_p, err, n)) return -1;
    if (gen_num(root, "min_p", 0, 1, &g->sp.min_p, err, n)) return -1;
    if (gen_num(root, "repeat_penalty", 1e-3, 1e3, &g->sp.repeat_penalty, err, n)) return -1;
    {
        int r = gen_int(root, "top_k", 0, INT_MAX, &k, err, n);
        if (r < 0) return -1;
        if (r) g->sp.top_k = (int)k;
        if ((r = gen_int(root, "repeat_last_n", -1, INT_MAX, &k, err, n)) < 0) return -1;
        if (r) g->sp.repeat_last_n = (int)k;
    }
    {
        int r = gen_int(root, "seed", LLONG_MIN, LLONG_MAX, &k, err, n);
        if (r < 0) return -1;
        if (r && k >= 0) { g->sp.seed = (uint64_t)k; g->random_seed = 0; }   /* -1 = random, as llama.cpp */
    }
    if (gen_bool(root, "stream", &g->stream, err, n)) return -1;
    if (gen_bool(root, "ignore_eos", &g->ignore_eos, err, n)) return -1;
    if (gen_bool(root, "cache_prompt", &g->cache_prompt, err, n)) return -1;
    v = json_get(root, "stream_options");
    if (!json_is_null(v)) {
        if (v->type != JSON_OBJECT) return gen_err(err, n, "%s", "'stream_options' must be an object");
        if (gen_bool(v, "include_usage", &g->include_usage, err, n)) return -1;
    }
    v = json_get(root, "stop");
    if (!json_is_null(v)) {
        const json_node *s = v->type == JSON_ARRAY ? v->child : v;
        if (v->type == JSON_ARRAY && v->count > GEN_MAX_STOP) return gen_err(err, n, "%s", "at most 16 'stop' strings");
        for (; s; s = v->type == JSON_ARRAY ? s->next : NULL) {
            if (s->type != JSON_STRING) return gen_err(err, n, "%s", "'stop' must be a string or an array of strings");
            if (!gen_cstr(s)) return gen_err(err, n, "%s", "a 'stop' string contains a NUL character");
            if (s->len > GEN_MAX_STOP_LEN) return gen_err(err, n, "%s", "a 'stop' string is longer than 1024 bytes");
            if (s->len) g->stop[g->n_stop++] = s->str;
        }
    }
    /* opt_out (extension): FlexOlmo expert names or indices, a "a,b" string or an array */
    v = json_get(root, "opt_out");
    if (!json_is_null(v)) {
        const json_node *e;
        size_t total = 1;
        if (v->type == JSON_STRING) {
            if (!gen_cstr(v)) return gen_err(err, n, "%s", "'opt_out' contains a NUL character");
            total += v->len;
        } else if (v->type == JSON_ARRAY) {
            for (e = v->child; e; e = e->next) {
                if (e->type == JSON_STRING) {
                    if (!gen_cstr(e) || strchr(e->str, ',') || e->len == 0) return gen_err(err, n, "%s", "an 'opt_out' name is empty or holds a comma or NUL");
                } else if (!(json_int(e, &k) && k >= 0 && k < 100000)) {
                    return gen_err(err, n, "%s", "'opt_out' entries must be expert names or indices");
                }
                total += (e->type == JSON_STRING ? e->len : 24) + 1;
            }
        } else {
            return gen_err(err, n, "%s", "'opt_out' must be a string or an array of expert names/indices");
        }
        if (!(g->opt_out = (char *)malloc(total))) return gen_err(err, n, "%s", "out of memory");
        g->opt_out[0] = 0;
        if (v->type == JSON_STRING) memcpy(g->opt_out, v->str, v->len + 1);
        else {
            size_t o = 0;
            for (e = v->child; e; e = e->next) {
                if (o) g->opt_out[o++] = ',';
                if (e->type == JSON_STRING) { memcpy(g->opt_out + o, e->str, e->len); o += e->len; }
                else { json_int(e, &k); o += (size_t)sprintf(g->opt_out + o, "%lld", k); }
            }
            g->opt_out[o] = 0;
        }
    }
    return 0;
}

/* ---- output buffer and JSON strings (pure) ------------------------------------------------ */
typedef struct sbuf { char *p; size_t len, cap; int oom; } sbuf;

static void sb_add(sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = (b->len + n + 1) * 2 + 256;
        char *np = (char *)realloc(b->p, nc);
        if (!np) { b->oom = 1; return; }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}
static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }
static void sb_fmt(sbuf *b, const char *fmt, long long v) {
    char t[64];
    int k = snprintf(t, sizeof t, fmt, v);
    sb_add(b, t, (size_t)k);
}
/* Length of the well-formed UTF-8 sequence at s[0..n), or 0 if it is not one (Unicode table 3-7). */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    size_t k, i;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) k = 2;
    else if (c >= 0xe0 && c <= 0xef) { k = 3; if (c == 0xe0) lo = 0xa0; if (c == 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { k = 4; if (c == 0xf0) lo = 0x90; if (c == 0xf4) hi = 0x8f; }
    else return 0;
    if (n < k || s[1] < lo || s[1] > hi) return 0;
    for (i = 2; i < k; i++) if (s[i] < 0x80 || s[i] > 0xbf) return 0;
    return k;
}
/* A JSON string literal; bytes that are not well-formed UTF-8 become U+FFFD. */
static void sb_json(sbuf *b, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0;
    sb_add(b, "\"", 1);
    while (i < n) {
        unsigned char c = u[i];
        size_t k = utf8_len(u + i, n - i);
        const char *esc = NULL;
        char t[8];
        if (k > 1 || (k == 1 && c >= 0x20 && c != '"' && c != '\\')) { i += k; run += k; continue; }
        sb_add(b, s + i - run, run);
        run = 0;
        if (k == 0) esc = "\xef\xbf\xbd";
        else if (c == '"') esc = "\\\"";
        else if (c == '\\') esc = "\\\\";
        else if (c == '\n') esc = "\\n";
        else if (c == '\r') esc = "\\r";
        else if (c == '\t') esc = "\\t";
        else { snprintf(t, sizeof t, "\\u%04x", c); esc = t; }
        sb_str(b, esc);
        i++;
    }
    sb_add(b, s + i - run, run);
    sb_add(b, "\"", 1);
}

#ifndef SERVE_PARSERS_ONLY
/* ==== the server ================================================================================ */
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#define SERVE_MAX_CONN 64          /* connections (each one thread); more get 503 */
#define SERVE_KEEPALIVE_S 5        /* idle time allowed between requests on one connection */
#define SERVE_MAX_REQS_PER_CONN 1000

typedef struct server {
    olmoe_model *model;
    char model_id[256];
    int n_ctx;
    olmoe_ctx **ctx;
    int *busy;
    char **mask;                    /* per slot: the opt_out list its cache was computed with ("" = none) */
    int n_slots;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned long q_head, q_tail;   /* FIFO tickets of requests waiting for a slot */
    int n_conn;
    unsigned long long n_req;
    int timeout_s, verbose, stopping;
    const char *api_key;
    http_limits lim;
    olmoe_sampler_params defaults;
    unsigned long long seed_base;
    time_t created;
} server;

/* The signal handler can only set a flag; the accept loop polls it. */
static volatile sig_atomic_t serve_signalled;
static void serve_on_signal(int sig) { (void)sig; serve_signalled = 1; }

static int srv_stopping(server *S) { return __atomic_load_n(&S->stopping, __ATOMIC_RELAXED); }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;   /* peer gone, or SO_SNDTIMEO expired on a reader that stalls */
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static const char *status_text(int s) {
    switch (s) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    }
    return "Error";
}

static int send_response(int fd, int status, const char *ctype, const char *body, size_t n, int keep, const char *extra) {
    char head[512];
    int k = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: %s\r\n%s\r\n",
                     status, status_text(status), ctype, n, keep ? "keep-alive" : "close", extra ? extra : "");
    if (send_all(fd, head, (size_t)k) != 0) return -1;
    return send_all(fd, body, n);
}

/* {"error":{"message":...,"type":...,"code":status}}, the shape OpenAI clients read */
static int send_error(int fd, int status, const char *msg, int keep, const char *extra) {
    sbuf b = {0};
    int r;
    const char *type = status == 401 ? "authentication_error" : status == 404 ? "not_found_error"
                     : status == 503 ? "unavailable_error" : status >= 500 ? "server_error" : "invalid_request_error";
    sb_str(&b, "{\"error\":{\"message\":");
    sb_json(&b, msg, strlen(msg));
    sb_str(&b, ",\"type\":\"");
    sb_str(&b, type);
    sb_fmt(&b, "\",\"code\":%lld}}", status);
    r = b.oom ? -1 : send_response(fd, status, "application/json", b.p, b.len, keep, extra);
    free(b.p);
    return r;
}

/* HTTP/1.1 chunked body piece (the streamed responses; an empty piece ends the body). */
static int send_chunk(int fd, const char *p, size_t n) {
    char h[32];
    int k = snprintf(h, sizeof h, "%zx\r\n", n);
    if (send_all(fd, h, (size_t)k) != 0) return -1;
    if (n && send_all(fd, p, n) != 0) return -1;
    return send_all(fd, "\r\n", 2);
}

/* ---- slots ---- */
/* Tokens the slot's cache shares with the prompt, when it was computed with the same opt-out. */
static int slot_common(server *S, int i, const int32_t *tok, int n, const char *mask) {
    const int32_t *have = olmoe_ctx_tokens(S->ctx[i]);
    int k = 0, m = olmoe_ctx_pos(S->ctx[i]);
    if (strcmp(S->mask[i], mask) != 0) return 0;
    while (k < m && k < n && have[k] == tok[k]) k++;
    return k;
}

/* Waits its turn (FIFO), then takes the free slot whose cache shares the longest prefix with the
   prompt; on a tie the one holding the fewest tokens, so that the least is overwritten. */
static int slot_acquire(server *S, const int32_t *tok, int n, const char *mask) {
    int i, best = -1, best_k = -1;
    unsigned long me;
    pthread_mutex_lock(&S->mu);
    me = S->q_tail++;
    for (;;) {
        if (me == S->q_head) {
            for (i = 0; i < S->n_slots; i++) {
                int k;
                if (S->busy[i]) continue;
                k = slot_common(S, i, tok, n, mask);
                if (k > best_k || (k == best_k && olmoe_ctx_pos(S->ctx[i]) < olmoe_ctx_pos(S->ctx[best]))) { best = i; best_k = k; }
            }
            if (best >= 0) break;
        }
        pthread_cond_wait(&S->cv, &S->mu);
    }
    i = best;
    S->busy[i] = 1;
    S->q_head++;
    pthread_cond_broadcast(&S->cv);   /* the next ticket may find another free slot */
    pthread_mutex_unlock(&S->mu);
    return i;
}
static void slot_release(server *S, int i) {
    pthread_mutex_lock(&S->mu);
    S->busy[i] = 0;
    pthread_cond_broadcast(&S->cv);
    pthread_mutex_unlock(&S->mu);
}

/* ---- generation ---- */
typedef struct gen_out {
    server *S;
    int fd, stream, chat, failed;
    sbuf text;            /* the whole text (non-streamed) */
    const char *id;
    long long created;
} gen_out;

static void chunk_prefix(sbuf *b, const gen_out *o) {
    sb_str(b, "data: {\"id\":\"");
    sb_str(b, o->id);
    sb_str(b, o->chat ? "\",\"object\":\"chat.completion.chunk\"" : "\",\"object\":\"text_completion\"");
    sb_fmt(b, ",\"created\":%lld,\"model\":", o->created);
    sb_json(b, o->S->model_id, strlen(o->S->model_id));
    sb_str(b, ",\"system_fingerprint\":\"olmoe.h\"");
}

/* Sends one SSE event with a text delta (or, with fin, the finish reason). */
static int send_delta(gen_out *o, const char *text, size_t n, const char *fin, int role) {
    sbuf b = {0};
    int r;
    chunk_prefix(&b, o);
    sb_str(&b, ",\"choices\":[{\"index\":0,");
    if (o->chat) {
        sb_str(&b, "\"delta\":{");
        if (role) sb_str(&b, "\"role\":\"assistant\",\"content\":\"\"");
        else if (!fin) { sb_str(&b, "\"content\":"); sb_json(&b, text, n); }
        sb_str(&b, "},");
    } else {
        sb_str(&b, "\"text\":");
        sb_json(&b, text, n);
        sb_str(&b, ",");
    }
    sb_str(&b, "\"logprobs\":null,\"finish_reason\":");
    if (fin) { sb_str(&b, "\""); sb_str(&b, fin); sb_str(&b, "\""); } else sb_str(&b, "null");
    sb_str(&b, "}]}\n\n");
    r = b.oom ? -1 : send_chunk(o->fd, b.p, b.len);
    free(b.p);
    return r;
}

/* Whether the client has closed its end (checked between tokens so that an abandoned request
   frees its slot early). A client that half-closes after sending (shutdown of its write side)
   looks the same and is cancelled too; HTTP clients keep both sides open until the response. */
static int peer_closed(int fd) {
    struct pollfd p;
    char c;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, 0) <= 0) return 0;
    if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) return 1;
    return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static int on_text(const char *text, size_t len, void *user) {
    gen_out *o = (gen_out *)user;
    if (srv_stopping(o->S)) return 0;
    if (o->stream) {
        if (send_delta(o, text, len, NULL, 0) != 0) { o->failed = 1; return 0; }
        return 1;
    }
    sb_add(&o->text, text, len);
    if (o->text.oom || peer_closed(o->fd)) { o->failed = 1; return 0; }
    return 1;
}

/* How much of the text s[0..n) must wait: its longest suffix that is a proper prefix of a stop
   string (the next token may complete it). */
static size_t stop_holdback(const char *s, size_t n, const char *const *stop, int n_stop) {
    size_t best = 0, k;
    int i;
    for (i = 0; i < n_stop; i++) {
        size_t sl = strlen(stop[i]);
        k = sl > 0 ? sl - 1 : 0;
        if (k > n) k = n;
        for (; k > best; k--)
            if (memcmp(s + n - k, stop[i], k) == 0) { best = k; break; }
    }
    return best;
}

/* olmoe_generate's loop on a prompt already tokenized (ptok[0..n)), keeping the first `keep` tokens
   the slot's cache already holds (prompt caching). It produces what olmoe_generate produces for the
   same prompt on an empty context: the cache holds the same bits whatever the batch split (olmoe.h,
   "Determinism"), and the sampling, end-of-sequence, stop-string and streaming rules below are
   olmoe_generate's. test_serve compares the two on every request it makes. */
static olmoe_result gen_run(olmoe_ctx *c, const olmoe_model *m, const int32_t *ptok, int n, int keep,
                            const olmoe_gen_params *p, olmoe_gen_stats *st) {
    olmoe_sampler smp;
    olmoe_detok dt;
    olmoe_result r;
    char *pend = NULL;   /* decoded text not yet sent (held back for the stop strings) */
    size_t plen = 0, pcap = 0;
    int i, eos = p->ignore_eos ? -1 : olmoe_model_config(m)->eos_id;
    double t0 = olmoe_time_now();
    memset(st, 0, sizeof *st);
    st->n_prompt = n;
    if (keep >= n) keep = n - 1;   /* at least one token is evaluated: its logits start the reply */
    if ((r = olmoe_ctx_truncate(c, keep)) != OLMOE_OK || (r = olmoe_ctx_eval(c, ptok + keep, n - keep, 0)) != OLMOE_OK) return r;
    st->prefill_s = olmoe_time_now() - t0;
    t0 = olmoe_time_now();
    olmoe_sampler_init(&smp, &p->sampling);
    olmoe_detok_init(&dt);
    st->stop_reason = OLMOE_STOP_LENGTH;
    for (i = 0; i < p->n_predict; i++) {
        int32_t t = olmoe_sampler_sample(&smp, c, olmoe_ctx_logits(c, -1), olmoe_ctx_tokens(c), olmoe_ctx_pos(c));
        char piece[4096];
        int kk, s, stop_at = -1;
        size_t k, hold;
        if (t < 0) { r = (olmoe_result)t; break; }
        if (t == eos) { st->stop_reason = OLMOE_STOP_EOS; break; }
        st->n_gen++;
        kk = olmoe_detok_push(&dt, m, t, piece, sizeof piece);
        k = kk > 0 ? (size_t)kk : 0;
        if (plen + k + 1 > pcap) {
            char *np = (char *)realloc(pend, pcap = (plen + k + 1) * 2 + 64);
            if (!np) { r = OLMOE_ERR_OOM; break; }
            pend = np;
        }
        memcpy(pend + plen, piece, k);
        plen += k;
        pend[plen] = 0;
        for (s = 0; s < p->n_stop; s++) {
            const char *hit = strstr(pend, p->stop[s]);
            if (hit && (stop_at < 0 || hit - pend < stop_at)) stop_at = (int)(hit - pend);
        }
        if (stop_at >= 0) {
            if (stop_at > 0) p->on_text(pend, (size_t)stop_at, p->user);
            plen = 0;
            st->stop_reason = OLMOE_STOP_STRING;
            /* the stop token goes into the cache, as olmoe_generate leaves it */
            if (olmoe_ctx_pos(c) < olmoe_ctx_n_ctx(c)) r = olmoe_ctx_eval(c, &t, 1, 0);
            break;
        }
        hold = stop_holdback(pend, plen, p->stop, p->n_stop);
        if (plen > hold) {
            if (!p->on_text(pend, plen - hold, p->user)) { st->stop_reason = OLMOE_STOP_CANCELLED; r = OLMOE_ERR_CANCELLED; plen = 0; break; }
            memmove(pend, pend + plen - hold, hold);
            plen = hold;
        }
        if (olmoe_ctx_pos(c) >= olmoe_ctx_n_ctx(c)) { st->stop_reason = OLMOE_STOP_CONTEXT_FULL; break; }
        if ((r = olmoe_ctx_eval(c, &t, 1, 0)) != OLMOE_OK) break;
    }
    if (r == OLMOE_OK && st->stop_reason != OLMOE_STOP_STRING) {
        char tail[16];
        int kk = olmoe_detok_flush(&dt, tail, sizeof tail);
        if (plen) p->on_text(pend, plen, p->user);
        if (kk > 0) p->on_text(tail, (size_t)kk, p->user);
    }
    free(pend);
    st->decode_s = olmoe_time_now() - t0;
    return r;
}

static void usage_json(sbuf *b, const olmoe_gen_stats *st, int cached) {
    sb_fmt(b, "\"usage\":{\"prompt_tokens\":%lld", st->n_prompt);
    sb_fmt(b, ",\"completion_tokens\":%lld", st->n_gen);
    sb_fmt(b, ",\"total_tokens\":%lld", (long long)st->n_prompt + st->n_gen);
    sb_fmt(b, ",\"prompt_tokens_details\":{\"cached_tokens\":%lld}}", cached);
}

/* POST /v1/completions and /v1/chat/completions. Returns whether the connection may be kept. */
static int handle_generate(server *S, int fd, const char *body, size_t blen, int chat, int keep) {
    gen_req g;
    gen_out o;
    olmoe_gen_params gp;
    olmoe_gen_stats st;
    olmoe_result r;
    char err[512], id[64];
    char *prompt = NULL;
    int32_t *ptok = NULL;
    int slot, n_tok, cached;
    const char *fin, *mask;
    unsigned long long seq;
    double t0 = now_s();
    memset(&o, 0, sizeof o);
    memset(&st, 0, sizeof st);
    if (gen_req_parse(body, blen, chat, &S->defaults, &g, err, sizeof err) != 0) {
        gen_req_free(&g);
        return send_error(fd, 400, err, keep, NULL) == 0 && keep;
    }
    pthread_mutex_lock(&S->mu);
    seq = ++S->n_req;
    pthread_mutex_unlock(&S->mu);
    snprintf(id, sizeof id, "%s-%llx%06llx", chat ? "chatcmpl" : "cmpl", S->seed_base & 0xffffffffULL, seq);
    if (g.random_seed) g.sp.seed = (S->seed_base ^ (seq * 0x9e3779b97f4a7c15ULL)) >> 1;
    if (chat) {
        int n = olmoe_chat_render(S->model, g.msgs, g.n_msgs, 1, NULL, 0);
        if (n == OLMOE_ERR_UNSUPPORTED) {
            gen_req_free(&g);
            return send_error(fd, 400, "this model has no chat template that olmoe.h knows (use /v1/completions)", keep, NULL) == 0 && keep;
        }
        if (n < 0 || !(prompt = (char *)malloc((size_t)n + 1))) {
            gen_req_free(&g);
            return send_error(fd, 500, "cannot render the chat template", keep, NULL) == 0 && keep;
        }
        olmoe_chat_render(S->model, g.msgs, g.n_msgs, 1, prompt, (size_t)n + 1);
    }
    {
        /* tokenized here, as olmoe_generate would (control-token text recognised), to find the
           slot's reusable prefix and to refuse a prompt the context cannot hold */
        const char *p = chat ? prompt : g.prompt;
        n_tok = olmoe_tokenize(S->model, p, strlen(p), NULL, 0, 1);
        if (n_tok > 0 && n_tok < S->n_ctx && (ptok = (int32_t *)malloc(sizeof(int32_t) * (size_t)n_tok)) != NULL)
            olmoe_tokenize(S->model, p, strlen(p), ptok, n_tok, 1);
        if (n_tok <= 0 || n_tok >= S->n_ctx || !ptok) {
            int st_code = 400;
            if (n_tok == 0) snprintf(err, sizeof err, "the prompt is empty");
            else if (n_tok < 0) snprintf(err, sizeof err, "the prompt cannot be tokenized (%s)", olmoe_result_str((olmoe_result)n_tok));
            else if (n_tok >= S->n_ctx) snprintf(err, sizeof err, "the prompt is %d tokens; the context holds %d (server option -c)", n_tok, S->n_ctx);
            else { snprintf(err, sizeof err, "out of memory"); st_code = 503; }
            free(prompt);
            gen_req_free(&g);
            return send_error(fd, st_code, err, keep, NULL) == 0 && keep;
        }
    }
    mask = g.opt_out ? g.opt_out : "";
    slot = slot_acquire(S, ptok, n_tok, mask);
    if (srv_stopping(S)) {   /* it waited in the queue while the server was asked to stop */
        slot_release(S, slot);
        free(ptok);
        free(prompt);
        gen_req_free(&g);
        send_error(fd, 503, "the server is shutting down", 0, NULL);
        return 0;
    }
    /* the slot is ours: its cache and mask change only here */
    cached = g.cache_prompt ? slot_common(S, slot, ptok, n_tok, mask) : 0;
    if (strcmp(S->mask[slot], mask) != 0) {
        /* a cache computed with other experts is no use; the new mask applies from the next eval */
        char *nm = strdup(mask);
        olmoe_ctx_truncate(S->ctx[slot], 0);
        if (!nm || (r = olmoe_ctx_opt_out(S->ctx[slot], mask)) != OLMOE_OK) {
            int code = nm ? 400 : 503;
            if (nm) snprintf(err, sizeof err, "opt_out: %s", olmoe_ctx_last_error(S->ctx[slot]));
            else snprintf(err, sizeof err, "out of memory");
            free(nm);
            olmoe_ctx_opt_out(S->ctx[slot], "");
            S->mask[slot][0] = 0;   /* an empty string fits any allocation */
            slot_release(S, slot);
            free(ptok);
            free(prompt);
            gen_req_free(&g);
            return send_error(fd, code, err, keep, NULL) == 0 && keep;
        }
        free(S->mask[slot]);
        S->mask[slot] = nm;
    }
    o.S = S;
    o.fd = fd;
    o.stream = g.stream;
    o.chat = chat;
    o.id = id;
    o.created = (long long)time(NULL);
    if (g.stream) {
        const char *h = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                        "Transfer-Encoding: chunked\r\nConnection: ";
        if (send_all(fd, h, strlen(h)) != 0 || send_all(fd, keep ? "keep-alive\r\n\r\n" : "close\r\n\r\n", keep ? 14 : 9) != 0 ||
            (chat && send_delta(&o, "", 0, NULL, 1) != 0))
            o.failed = 1;
    }
    gp = olmoe_gen_default_params();
    gp.sampling = g.sp;
    /* OpenAI's default for completions is 16 tokens; chat runs to the end of the reply */
    gp.n_predict = g.max_tokens >= 0 ? g.max_tokens : g.max_tokens == -1 || chat ? S->n_ctx : 16;
    gp.stop = g.stop;
    gp.n_stop = g.n_stop;
    gp.ignore_eos = g.ignore_eos;
    gp.on_text = on_text;
    gp.user = &o;
    r = o.failed ? OLMOE_ERR_CANCELLED : gen_run(S->ctx[slot], S->model, ptok, n_tok, cached, &gp, &st);
    if (r != OLMOE_OK && r != OLMOE_ERR_CANCELLED) snprintf(err, sizeof err, "generation failed: %s", olmoe_ctx_last_error(S->ctx[slot]));
    if (cached >= n_tok) cached = n_tok - 1;   /* gen_run evaluates at least the last prompt token */
    slot_release(S, slot);
    fin = st.stop_reason == OLMOE_STOP_EOS || st.stop_reason == OLMOE_STOP_STRING ? "stop" : "length";
    if (S->verbose)
        fprintf(stderr, "serve: %s %s slot %d, prompt %d (%d cached), generated %d tokens, %.3f s%s\n", id, chat ? "chat" : "completion",
                slot, st.n_prompt, cached, st.n_gen, now_s() - t0, o.failed ? " (client gone)" : "");
    if (o.failed || srv_stopping(S)) keep = 0;
    else if (g.stream) {
        int ok = 1;   /* every event sent (keep: and the connection stays open after) */
        if (r != OLMOE_OK) {
            sbuf b = {0};
            sb_str(&b, "data: {\"error\":{\"message\":");
            sb_json(&b, err, strlen(err));
            sb_str(&b, ",\"type\":\"server_error\",\"code\":500}}\n\n");
            ok = !b.oom && send_chunk(fd, b.p, b.len) == 0;
            free(b.p);
        } else ok = send_delta(&o, "", 0, fin, 0) == 0;
        if (ok && r == OLMOE_OK && g.include_usage) {
            sbuf b = {0};
            chunk_prefix(&b, &o);
            sb_str(&b, ",\"choices\":[],");
            usage_json(&b, &st, cached);
            sb_str(&b, "}\n\n");
            ok = !b.oom && send_chunk(fd, b.p, b.len) == 0;
            free(b.p);
        }
        ok = ok && send_chunk(fd, "data: [DONE]\n\n", 14) == 0 && send_chunk(fd, "", 0) == 0;
        keep = keep && ok;
    } else if (r != OLMOE_OK) {
        keep = send_error(fd, 500, err, keep, NULL) == 0 && keep;
    } else {
        sbuf b = {0};
        sb_str(&b, "{\"id\":\"");
        sb_str(&b, id);
        sb_str(&b, chat ? "\",\"object\":\"chat.completion\"" : "\",\"object\":\"text_completion\"");
        sb_fmt(&b, ",\"created\":%lld,\"model\":", o.created);
        sb_json(&b, S->model_id, strlen(S->model_id));
        sb_str(&b, ",\"system_fingerprint\":\"olmoe.h\",\"choices\":[{\"index\":0,");
        if (chat) sb_str(&b, "\"message\":{\"role\":\"assistant\",\"content\":");
        else sb_str(&b, "\"text\":");
        sb_json(&b, o.text.p ? o.text.p : "", o.text.len);
        sb_str(&b, chat ? "}," : ",");
        sb_str(&b, "\"logprobs\":null,\"finish_reason\":\"");
        sb_str(&b, fin);
        sb_str(&b, "\"}],");
        usage_json(&b, &st, cached);
        sb_str(&b, "}");
        keep = b.oom ? (send_error(fd, 500, "out of memory", 0, NULL), 0)
                     : send_response(fd, 200, "application/json", b.p, b.len, keep, NULL) == 0 && keep;
        free(b.p);
    }
    free(o.text.p);
    free(ptok);
    free(prompt);
    gen_req_free(&g);
    return keep;
}

static int handle_models(server *S, int fd, int keep) {
    sbuf b = {0};
    const olmoe_config *c = olmoe_model_config(S->model);
    char name[128];
    int e, r;
    sb_str(&b, "{\"object\":\"list\",\"data\":[{\"id\":");
    sb_json(&b, S->model_id, strlen(S->model_id));
    sb_fmt(&b, ",\"object\":\"model\",\"created\":%lld,\"owned_by\":\"olmoe.h\"", (long long)S->created);
    sb_str(&b, ",\"meta\":{\"architecture\":");
    sb_str(&b, c->arch == OLMOE_ARCH_OLMOE ? "\"olmoe\"" : "\"flex_olmo\"");
    sb_fmt(&b, ",\"n_vocab\":%lld", c->n_vocab);
    sb_fmt(&b, ",\"n_ctx_train\":%lld", c->n_ctx_train);
    sb_fmt(&b, ",\"n_ctx\":%lld", S->n_ctx);
    sb_fmt(&b, ",\"n_expert\":%lld", c->n_expert);
    sb_fmt(&b, ",\"n_expert_used\":%lld", c->n_expert_used);
    sb_fmt(&b, ",\"slots\":%lld", S->n_slots);
    sb_str(&b, ",\"expert_names\":");
    if (olmoe_model_expert_name(S->model, 0, name, sizeof name) < 0) sb_str(&b, "null");
    else {
        for (e = 0; e < c->n_expert; e++) {
            int k = olmoe_model_expert_name(S->model, e, name, sizeof name);
            sb_str(&b, e ? "," : "[");
            sb_json(&b, name, k > 0 ? (size_t)k : 0);
        }
        sb_str(&b, "]");
    }
    sb_str(&b, "}}]}");
    r = b.oom ? -1 : send_response(fd, 200, "application/json", b.p, b.len, keep, NULL);
    free(b.p);
    return r == 0 && keep;
}

static int handle_health(server *S, int fd, int keep) {
    char body[256];
    int i, busy = 0, n;
    unsigned long queued;
    pthread_mutex_lock(&S->mu);
    for (i = 0; i < S->n_slots; i++) busy += S->busy[i];
    queued = S->q_tail - S->q_head;
    pthread_mutex_unlock(&S->mu);
    n = snprintf(body, sizeof body, "{\"status\":\"ok\",\"slots_idle\":%d,\"slots_processing\":%d,\"requests_queued\":%lu}",
                 S->n_slots - busy, busy, queued);
    return send_response(fd, 200, "application/json", body, (size_t)n, keep, NULL) == 0 && keep;
}

/* Compares without an early exit, so the time taken does not reveal the key's prefix. */
static int key_ok(const char *key, const char *auth, size_t n) {
    size_t kl = strlen(key), i;
    unsigned d = 0;
    if (!auth || n != kl + 7 || !http_ieq(auth, 7, "bearer ")) return 0;
    for (i = 0; i < kl; i++) d |= (unsigned char)(key[i] ^ auth[7 + i]);
    return d == 0;
}

static int route(server *S, int fd, const http_req *q, const char *body, int keep) {
    int get = !strcmp(q->method, "GET"), post = !strcmp(q->method, "POST");
    const char *p = q->path;
    size_t n = q->path_len;
    int which = http_ieq(p, n, "/health") ? 1 : http_ieq(p, n, "/v1/models") ? 2
              : http_ieq(p, n, "/v1/completions") ? 3 : http_ieq(p, n, "/v1/chat/completions") ? 4 : 0;
    if (!which) return send_error(fd, 404, "no such endpoint (POST /v1/completions, /v1/chat/completions; GET /v1/models, /health)", keep, NULL) == 0 && keep;
    if (which <= 2 && !get) return send_error(fd, 405, "this endpoint takes GET", keep, "Allow: GET\r\n") == 0 && keep;
    if (which >= 3 && !post) return send_error(fd, 405, "this endpoint takes POST", keep, "Allow: POST\r\n") == 0 && keep;
    if (S->api_key && which != 1 && !key_ok(S->api_key, q->auth, q->auth_len))
        return send_error(fd, 401, "missing or wrong API key (Authorization: Bearer KEY)", keep, "WWW-Authenticate: Bearer\r\n") == 0 && keep;
    if (which == 1) return handle_health(S, fd, keep);
    if (which == 2) return handle_models(S, fd, keep);
    return handle_generate(S, fd, body, (size_t)q->content_length, which == 4, keep);
}

/* ---- connections ---- */
typedef struct conn { server *S; int fd; } conn;

/* Waits for bytes until the deadline; returns bytes read, 0 on EOF, -1 on error or shutdown,
   -2 on timeout. */
static ssize_t recv_until(server *S, int fd, char *p, size_t n, double deadline) {
    for (;;) {
        struct pollfd pf;
        int ms = (int)((deadline - now_s()) * 1000.0), k;
        ssize_t got;
        if (srv_stopping(S)) return -1;
        if (ms <= 0) return -2;
        if (ms > 250) ms = 250;   /* wake up now and then to notice a shutdown */
        pf.fd = fd;
        pf.events = POLLIN;
        pf.revents = 0;
        k = poll(&pf, 1, ms);
        if (k < 0 && errno != EINTR) return -1;
        if (k <= 0) continue;
        got = recv(fd, p, n, 0);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        return got < 0 ? -1 : got;
    }
}

static void *conn_main(void *arg) {
    conn *c = (conn *)arg;
    server *S = c->S;
    int fd = c->fd, n_reqs = 0;
    size_t cap = S->lim.max_head + 4096, len = 0;
    char *buf = (char *)malloc(cap);
    free(c);
    while (buf && !srv_stopping(S) && n_reqs < SERVE_MAX_REQS_PER_CONN) {
        http_req q;
        int st = len ? http_parse_head(buf, len, &S->lim, &q) : HTTP_MORE, keep, sent_continue = 0;
        double deadline = now_s() + (len ? S->timeout_s : SERVE_KEEPALIVE_S);
        size_t total;
        /* the head */
        while (st == HTTP_MORE) {
            ssize_t k;
            if (len == cap) { st = http_fail(&q, 431, "request head too large"); break; }
            k = recv_until(S, fd, buf + len, cap - len, deadline);
            if (k == -2 && len == 0) goto done;            /* idle keep-alive connection */
            if (k == -2) { st = 408; q.err = "the request did not arrive in time"; break; }
            if (k <= 0) goto done;
            if (len == 0) deadline = now_s() + S->timeout_s; /* the whole request within the timeout */
            len += (size_t)k;
            if (srv_stopping(S)) goto done;
            st = http_parse_head(buf, len, &S->lim, &q);
        }
        if (st != 0) { send_error(fd, st, q.err ? q.err : "bad request", 0, NULL); goto done; }
        if (!strcmp(q.method, "POST") && q.content_length < 0) {
            send_error(fd, 411, "a POST needs a Content-Length", 0, NULL);
            goto done;
        }
        /* the body */
        total = q.head_len + (size_t)(q.content_length > 0 ? q.content_length : 0);
        if (total > cap) {
            char *nb = (char *)realloc(buf, total);
            if (!nb) { send_error(fd, 503, "out of memory", 0, NULL); goto done; }
            buf = nb;
            cap = total;
        }
        while (len < total) {
            ssize_t k;
            if (q.expect_continue && !sent_continue) {
                sent_continue = 1;
                if (send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0) goto done;
            }
            k = recv_until(S, fd, buf + len, cap - len, deadline);
            if (k == -2) { send_error(fd, 408, "the request body did not arrive in time", 0, NULL); goto done; }
            if (k <= 0) goto done;
            len += (size_t)k;
        }
        n_reqs++;
        keep = route(S, fd, &q, buf + q.head_len, q.keep_alive && n_reqs < SERVE_MAX_REQS_PER_CONN);
        if (!keep) goto done;
        memmove(buf, buf + total, len - total);   /* a pipelined next request */
        len -= total;
        if (cap > S->lim.max_head + 4096 && len <= S->lim.max_head + 4096) {
            char *nb = (char *)realloc(buf, S->lim.max_head + 4096);
            if (nb) { buf = nb; cap = S->lim.max_head + 4096; }
        }
    }
done:
    /* lingering close: a close() with unread bytes resets the connection, and the reset can
       destroy an error response the client has not read yet; so drain for a moment first */
    shutdown(fd, SHUT_WR);
    if (buf) {
        double until = now_s() + 1.0;
        size_t drained = 0;
        ssize_t k;
        while (drained < (4u << 20) && (k = recv_until(S, fd, buf, cap, until)) > 0) drained += (size_t)k;
    }
    free(buf);
    close(fd);
    pthread_mutex_lock(&S->mu);
    S->n_conn--;
    pthread_cond_broadcast(&S->cv);
    pthread_mutex_unlock(&S->mu);
    return NULL;
}

/* ---- command line ---- */
static int parse_int_flag(const char *flag, const char *v, long lo, long hi, int *out) {
    char *end;
    long x;
    errno = 0;
    x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi) {
        fprintf(stderr, "serve: %s takes an integer in [%ld, %ld], not '%s'\n", flag, lo, hi, v);
        return -1;
    }
    *out = (int)x;
    return 0;
}

static void serve_usage(FILE *f) {
    fprintf(f,
        "usage: olmoe serve -m MODEL.gguf [options]\n"
        "An OpenAI-compatible HTTP server: POST /v1/completions, POST /v1/chat/completions (\"stream\": true\n"
        "for server-sent events), GET /v1/models, GET /health. Extension fields: \"opt_out\" (FlexOlmo experts),\n"
        "\"ignore_eos\", \"top_k\", \"min_p\", \"repeat_penalty\", \"cache_prompt\" (default true: a slot's cached prompt\n"
        "prefix is reused by the next request that shares it).\n"
        "options:\n"
        "  -m, --model FILE       the GGUF model (required)\n"
        "  --host ADDR            address to bind (default 127.0.0.1; anything else is reachable by others)\n"
        "  --port N               TCP port (default 8080; 0 = any free port, printed)\n"
        "  -np, --parallel N      slots: requests served at once, each with its own context (default 1)\n"
        "  -c, --ctx-size N       tokens per slot (default: the model's context, at most 4096)\n"
        "  -t, --threads N        threads per slot (default: cores / slots, at least 1)\n"
        "  --kernels K            auto|scalar|avx2|avx512|neon (default auto)\n"
        "  --kv f32|f16           KV cache element (default f32)\n"
        "  --timeout S            seconds a client has to send one request (default 30)\n"
        "  --max-body BYTES       largest request body (default 1048576)\n"
        "  -a, --alias NAME       model id in responses (default: the file's general.name)\n"
        "  --api-key KEY          require \"Authorization: Bearer KEY\" (except /health)\n"
        "  -v, --verbose          one line per request on stderr\n"
        "  --check-tensors        " CLI_CHECK_TENSORS_HELP " (default off)\n"
        "prints \"listening on HOST:PORT\" on stderr once it accepts connections; SIGINT/SIGTERM stop it.\n"
        "example: olmoe serve -m models/austen-olmoe-q8_0.gguf --port 8080 -np 2\n"
        "         curl http://127.0.0.1:8080/v1/completions -d '{\"prompt\":\"It is a truth\",\"max_tokens\":32}'\n");
}

int cmd_serve(int argc, char **argv) {
    const char *model = NULL, *host = "127.0.0.1", *alias = NULL;
    int port = 8080, np = 1, n_ctx = 0, threads = 0, kernels = OLMOE_KERNELS_AUTO, kv = OLMOE_TYPE_F32, i, lfd = -1, rc = 1;
    int max_body = 1 << 20, check = 0;
    olmoe_model_params mp;
    server S;
    char err[512], portstr[16], hbuf[NI_MAXHOST], sbuf_[NI_MAXSERV];
    struct addrinfo hints, *ai = NULL;
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    olmoe_result r;
    struct sigaction act;
    memset(&S, 0, sizeof S);
    S.timeout_s = 30;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { serve_usage(stdout); return 0; }
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) { S.verbose = 1; continue; }
        if (!strcmp(a, "--check-tensors")) { check = 1; continue; }
        if (!v) { fprintf(stderr, "serve: %s %s\n", a, a[0] == '-' ? "needs a value (or is unknown; see olmoe serve --help)" : "is not an option"); return 2; }
        i++;
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "-a") || !strcmp(a, "--alias")) alias = v;
        else if (!strcmp(a, "--api-key")) S.api_key = v;
        else if (!strcmp(a, "--port")) { if (parse_int_flag(a, v, 0, 65535, &port)) return 2; }
        else if (!strcmp(a, "-np") || !strcmp(a, "--parallel")) { if (parse_int_flag(a, v, 1, 256, &np)) return 2; }
        else if (!strcmp(a, "-c") || !strcmp(a, "--ctx-size")) { if (parse_int_flag(a, v, 0, 1 << 20, &n_ctx)) return 2; }
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) { if (parse_int_flag(a, v, 0, 1024, &threads)) return 2; }
        else if (!strcmp(a, "--timeout")) { if (parse_int_flag(a, v, 1, 3600, &S.timeout_s)) return 2; }
        else if (!strcmp(a, "--max-body")) { if (parse_int_flag(a, v, 1024, 1 << 30, &max_body)) return 2; }
        else if (!strcmp(a, "--kernels")) {
            if ((kernels = cli_parse_kernels(v)) < 0) { fprintf(stderr, "serve: --kernels takes auto, scalar, avx2, avx512 or neon, not '%s'\n", v); return 2; }
        } else if (!strcmp(a, "--kv")) {
            if ((kv = cli_parse_kv(v)) < 0) { fprintf(stderr, "serve: --kv takes f32 or f16, not '%s'\n", v); return 2; }
        } else { fprintf(stderr, "serve: unknown option %s (see olmoe serve --help)\n", a); return 2; }
    }
    if (!model) { fprintf(stderr, "serve: -m MODEL is required\n"); serve_usage(stderr); return 2; }
    S.lim.max_line = 8192;
    S.lim.max_head = 16384;
    S.lim.max_headers = 64;
    S.lim.max_body = max_body;
    S.defaults = olmoe_sampler_default_params();
    S.n_slots = np;
    S.created = time(NULL);
    {
        /* per-process seed base: request ids and the seeds of requests that give none */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        S.seed_base = ((unsigned long long)ts.tv_sec * 1000000007ULL) ^ (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 32);
    }

    mp = cli_model_params(check);
    if ((r = olmoe_model_load(model, &mp, &S.model, err, sizeof err)) != OLMOE_OK) {
        fprintf(stderr, "serve: cannot load %s (%s): %s\n", model, olmoe_result_str(r), err);
        return 1;
    }
    {
        const olmoe_config *c = olmoe_model_config(S.model);
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        olmoe_ctx_params cp = olmoe_ctx_default_params();
        if (n_ctx > c->n_ctx_train) {
            fprintf(stderr, "serve: -c %d is larger than the model's context (%d)\n", n_ctx, c->n_ctx_train);
            goto out;
        }
        S.n_ctx = n_ctx ? n_ctx : (c->n_ctx_train < 4096 ? c->n_ctx_train : 4096);
        if (threads == 0) threads = cores > np ? (int)(cores / np) : 1;
        else if (cores > 0 && (long)threads * np > cores)
            fprintf(stderr, "serve: warning: %d slots x %d threads is more than the %ld cores; expect slow replies\n", np, threads, cores);
        if (alias) snprintf(S.model_id, sizeof S.model_id, "%s", alias);
        else if (olmoe_model_meta_str(S.model, "general.name", S.model_id, sizeof S.model_id) <= 0) {
            const char *b = strrchr(model, '/');
            snprintf(S.model_id, sizeof S.model_id, "%s", b ? b + 1 : model);
        }
        S.ctx = (olmoe_ctx **)calloc((size_t)np, sizeof *S.ctx);
        S.busy = (int *)calloc((size_t)np, sizeof *S.busy);
        S.mask = (char **)calloc((size_t)np, sizeof *S.mask);
        if (!S.ctx || !S.busy || !S.mask) { fprintf(stderr, "serve: out of memory\n"); goto out; }
        for (i = 0; i < np; i++)
            if (!(S.mask[i] = strdup(""))) { fprintf(stderr, "serve: out of memory\n"); goto out; }
        cp.n_ctx = S.n_ctx;
        cp.n_threads = threads;
        cp.kernels = kernels;
        cp.kv_type = kv;
        for (i = 0; i < np; i++)
            if ((r = olmoe_ctx_create(S.model, &cp, &S.ctx[i], err, sizeof err)) != OLMOE_OK) {
                fprintf(stderr, "serve: cannot create slot %d (%s): %s\n", i, olmoe_result_str(r), err);
                goto out;
            }
        fprintf(stderr, "serve: model %s (%s), %d slots x %d tokens, %d threads each, kernels %s\n", S.model_id, model, np,
                S.n_ctx, olmoe_ctx_n_threads(S.ctx[0]), cli_kernels_name(olmoe_ctx_kernels(S.ctx[0])));
    }
    pthread_mutex_init(&S.mu, NULL);
    pthread_cond_init(&S.cv, NULL);

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(portstr, sizeof portstr, "%d", port);
    if ((i = getaddrinfo(host, portstr, &hints, &ai)) != 0) { fprintf(stderr, "serve: --host %s: %s\n", host, gai_strerror(i)); goto out_sync; }
    {
        int one = 1;
        if ((lfd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) < 0) { fprintf(stderr, "serve: socket: %s\n", strerror(errno)); goto out_sync; }
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(lfd, ai->ai_addr, ai->ai_addrlen) != 0) { fprintf(stderr, "serve: cannot bind %s:%d: %s\n", host, port, strerror(errno)); goto out_sync; }
        if (listen(lfd, 128) != 0) { fprintf(stderr, "serve: listen: %s\n", strerror(errno)); goto out_sync; }
    }
    if (getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0 ||
        getnameinfo((struct sockaddr *)&sa, sl, hbuf, sizeof hbuf, sbuf_, sizeof sbuf_, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        fprintf(stderr, "serve: getsockname: %s\n", strerror(errno));
        goto out_sync;
    }
    {
        int loop = (sa.ss_family == AF_INET && (ntohl(((struct sockaddr_in *)&sa)->sin_addr.s_addr) >> 24) == 127) ||
                   (sa.ss_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&sa)->sin6_addr));
        if (!loop) fprintf(stderr, "serve: warning: %s is not a loopback address: anyone who can reach it can use the model%s\n",
                           hbuf, S.api_key ? "" : " (no --api-key set)");
    }
    memset(&act, 0, sizeof act);
    act.sa_handler = serve_on_signal;
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGTERM, &act, NULL);
    signal(SIGPIPE, SIG_IGN);
    fprintf(stderr, strchr(hbuf, ':') ? "listening on [%s]:%s\n" : "listening on %s:%s\n", hbuf, sbuf_);
    fflush(stderr);

    while (!serve_signalled) {
        struct pollfd pf;
        int fd, full;
        pf.fd = lfd;
        pf.events = POLLIN;
        pf.revents = 0;
        if (poll(&pf, 1, 250) <= 0) continue;
        if ((fd = accept(lfd, NULL, NULL)) < 0) continue;
        {
            struct timeval tv;
            int one = 1;
            tv.tv_sec = S.timeout_s;
            tv.tv_usec = 0;
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);   /* token-sized SSE events */
        }
        pthread_mutex_lock(&S.mu);
        full = S.n_conn >= SERVE_MAX_CONN;
        if (!full) S.n_conn++;
        pthread_mutex_unlock(&S.mu);
        if (full) {
            send_error(fd, 503, "too many connections; try again later", 0, "Retry-After: 1\r\n");
            close(fd);
            continue;
        }
        {
            pthread_t th;
            pthread_attr_t at;
            conn *c = (conn *)malloc(sizeof *c);
            int ok = 0;
            if (c) {
                c->S = &S;
                c->fd = fd;
                pthread_attr_init(&at);
                pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
                ok = pthread_create(&th, &at, conn_main, c) == 0;
                pthread_attr_destroy(&at);
                if (!ok) free(c);
            }
            if (!ok) {
                send_error(fd, 503, "cannot start a connection thread", 0, NULL);
                close(fd);
                pthread_mutex_lock(&S.mu);
                S.n_conn--;
                pthread_mutex_unlock(&S.mu);
            }
        }
    }
    /* shutdown: stop accepting, cancel running generations, wait (bounded) for the connections */
    close(lfd);
    lfd = -1;
    __atomic_store_n(&S.stopping, 1, __ATOMIC_RELAXED);
    {
        double until = now_s() + 5.0;
        pthread_mutex_lock(&S.mu);
        while (S.n_conn > 0 && now_s() < until) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100000000L;
            if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
            pthread_cond_timedwait(&S.cv, &S.mu, &ts);
        }
        i = S.n_conn;
        pthread_mutex_unlock(&S.mu);
        if (i > 0) {
            /* a thread still holds a context: exit without freeing what it may touch */
            fprintf(stderr, "serve: stopped with %d connections still open\n", i);
            freeaddrinfo(ai);
            return 0;
        }
    }
    fprintf(stderr, "serve: stopped (%llu completion requests)\n", S.n_req);
    rc = 0;
out_sync:
    pthread_cond_destroy(&S.cv);
    pthread_mutex_destroy(&S.mu);
out:
    if (ai) freeaddrinfo(ai);
    if (lfd >= 0) close(lfd);
    for (i = 0; S.ctx && i < np; i++) if (S.ctx[i]) olmoe_ctx_free(S.ctx[i]);
    free(S.ctx);
    free(S.busy);
    for (i = 0; S.mask && i < np; i++) free(S.mask[i]);
    free(S.mask);
    olmoe_model_free(S.model);
    return rc;
}
#endif /* SERVE_PARSERS_ONLY */
