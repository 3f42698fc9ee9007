/* olmoe serve over loopback sockets: every endpoint, streaming (SSE framing, [DONE], deltas that
   add up to the non-streamed text), limits and malformed requests (4xx with a JSON error body,
   the server still up), concurrent clients equal to the same requests run one by one, queueing,
   and FlexOlmo opt_out. The expected texts come from olmoe_generate in this process (the server
   must reproduce the library exactly for the same parameters and seed).
   usage: test_serve OLMOE_BIN MODEL.gguf FLEX_NAMED.gguf */
#define _GNU_SOURCE
#include "../olmoe.h"
#include "../tools/json.h"
#include "test.h"
#include <errno.h>
#include <ctype.h>
#include <strings.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- the server process ---- */
typedef struct srv { pid_t pid; int port; char log[256]; } srv;

/* A hung test must not hang `make test` nor leave a server behind: after 300 s the alarm kills the
   server that is running and fails the test. */
static volatile pid_t running_server;
static void on_alarm(int sig) {
    static const char msg[] = "FAIL test_serve took more than 300 s; killed\n";
    (void)sig;
    if (running_server > 0) kill(running_server, SIGKILL);
    if (write(1, msg, sizeof msg - 1) < 0) _exit(1);
    _exit(1);
}

/* Starts OLMOE_BIN serve ARGS... --port 0 and reads the port from its "listening on" line. */
static int srv_start(srv *s, const char *bin, const char *const *args) {
    const char *argv[32];
    int n = 0, i;
    double until = now_s() + 30;
    static int seq;
    snprintf(s->log, sizeof s->log, "build/test_serve.%d.%d.log", (int)getpid(), seq++);
    argv[n++] = bin;
    argv[n++] = "serve";
    for (i = 0; args[i] && n < 28; i++) argv[n++] = args[i];
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n] = NULL;
    s->port = 0;
    if ((s->pid = fork()) == 0) {
        int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) { dup2(fd, 2); close(fd); }
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* the server dies with the test, whatever ends it */
#endif
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    if (s->pid < 0) return -1;
    running_server = s->pid;
    while (now_s() < until) {
        size_t len;
        char *t = t_read_file(s->log, &len), *p;
        int st;
        if (t && (p = strstr(t, "listening on 127.0.0.1:")) != NULL) { s->port = atoi(p + 23); free(t); return 0; }
        free(t);
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) { s->pid = -1; return -1; }
        usleep(20000);
    }
    return -1;
}

/* SIGTERM, then SIGKILL after 10 s; returns the exit status (-1 if it had to be killed). */
static int srv_stop(srv *s) {
    int st = 0;
    double until = now_s() + 10;
    if (s->pid <= 0) return -1;
    kill(s->pid, SIGTERM);
    while (now_s() < until) {
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) { s->pid = -1; return WIFEXITED(st) ? WEXITSTATUS(st) : -1; }
        usleep(20000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &st, 0);
    s->pid = -1;
    return -1;
}
static int srv_alive(srv *s) { int st; return s->pid > 0 && waitpid(s->pid, &st, WNOHANG) == 0; }

/* ---- a small HTTP client ---- */
static int conn_open(int port) {
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { close(fd); return -1; }
    return fd;
}
static int send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}
/* Reads until EOF or the timeout; returns the bytes (NUL-terminated) and their count in *n. */
static char *read_all(int fd, size_t *n, double timeout) {
    size_t cap = 65536, len = 0;
    char *b = (char *)malloc(cap);
    double until = now_s() + timeout;
    while (b) {
        struct pollfd p;
        ssize_t k;
        int ms = (int)((until - now_s()) * 1000);
        if (ms <= 0) break;
        p.fd = fd; p.events = POLLIN; p.revents = 0;
        if (poll(&p, 1, ms) <= 0) continue;
        if (len + 4096 > cap) { char *nb = (char *)realloc(b, cap *= 2); if (!nb) { free(b); return NULL; } b = nb; }
        k = recv(fd, b + len, cap - len - 1, 0);
        if (k <= 0) break;
        len += (size_t)k;
    }
    if (b) b[len] = 0;
    *n = len;
    return b;
}

typedef struct resp {
    int status, chunked;
    char ctype[128];
    char *body;        /* de-chunked, NUL-terminated */
    size_t body_len;
} resp;

/* Parses one response at buf[0..n); returns the bytes it took, 0 if malformed or incomplete. */
static size_t parse_resp(const char *buf, size_t n, resp *r) {
    const char *he = strstr(buf, "\r\n\r\n"), *p;
    long long cl = -1;
    size_t hl;
    memset(r, 0, sizeof *r);
    if (!he || n < 12 || strncmp(buf, "HTTP/1.1 ", 9) != 0) return 0;
    r->status = atoi(buf + 9);
    hl = (size_t)(he - buf) + 4;
    for (p = strstr(buf, "\r\n") + 2; p < he; p = strstr(p, "\r\n") + 2) {
        if (!strncasecmp(p, "Content-Length:", 15)) cl = atoll(p + 15);
        else if (!strncasecmp(p, "Transfer-Encoding: chunked", 26)) r->chunked = 1;
        else if (!strncasecmp(p, "Content-Type: ", 14)) {
            size_t k = strcspn(p + 14, "\r");
            if (k >= sizeof r->ctype) k = sizeof r->ctype - 1;
            memcpy(r->ctype, p + 14, k);
        }
    }
    if (r->chunked) {
        size_t o = hl;
        r->body = (char *)malloc(n + 1);
        for (;;) {
            char *end;
            unsigned long k = strtoul(buf + o, &end, 16);
            if (end == buf + o || strncmp(end, "\r\n", 2) != 0) { free(r->body); r->body = NULL; return 0; }
            o = (size_t)(end - buf) + 2;
            if (o + k + 2 > n) { free(r->body); r->body = NULL; return 0; }
            memcpy(r->body + r->body_len, buf + o, k);
            r->body_len += k;
            o += k;
            if (strncmp(buf + o, "\r\n", 2) != 0) { free(r->body); r->body = NULL; return 0; }
            o += 2;
            if (k == 0) break;
        }
        r->body[r->body_len] = 0;
        return o;
    }
    if (cl < 0 || hl + (size_t)cl > n) return 0;
    r->body = (char *)malloc((size_t)cl + 1);
    memcpy(r->body, buf + hl, (size_t)cl);
    r->body[cl] = 0;
    r->body_len = (size_t)cl;
    return hl + (size_t)cl;
}

/* Sends raw bytes, reads to EOF, parses one response (status 0 if none came back). */
static resp raw(int port, const char *req, size_t n, double timeout) {
    resp r;
    size_t len;
    char *b;
    int fd = conn_open(port);
    memset(&r, 0, sizeof r);
    if (fd < 0) return r;
    send_all(fd, req, n);
    b = read_all(fd, &len, timeout);
    close(fd);
    if (b && !parse_resp(b, len, &r)) r.status = 0;
    free(b);
    return r;
}
static resp post(int port, const char *path, const char *body) {
    char *req = (char *)malloc(strlen(body) + 256);
    resp r;
    int k = sprintf(req, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                    path, strlen(body), body);
    r = raw(port, req, (size_t)k, 60);
    free(req);
    return r;
}
static resp get(int port, const char *path) {
    char req[256];
    int k = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    return raw(port, req, (size_t)k, 30);
}

/* The JSON of a response body (NULL root if it does not parse). */
static const json_node *body_json(const resp *r, json_doc *d) {
    char err[160];
    memset(d, 0, sizeof *d);
    if (!r->body || json_parse(r->body, r->body_len, 0, d, err, sizeof err) != 0) return NULL;
    return json_root(d);
}
static const json_node *path_get(const json_node *n, const char *a, const char *b, const char *c) {
    n = json_get(n, a);
    if (b) n = isdigit((unsigned char)b[0]) ? json_at(n, (size_t)atoi(b)) : json_get(n, b);
    if (c) n = isdigit((unsigned char)c[0]) ? json_at(n, (size_t)atoi(c)) : json_get(n, c);
    return n;
}
static long long jint(const json_node *n) { long long v = -999; json_int(n, &v); return v; }

/* A 4xx whose body is {"error":{"message": "...", "type": "..."}}. */
static void check_error(const resp *r, int want, const char *what) {
    json_doc d;
    const json_node *root = body_json(r, &d);
    const char *msg = json_str(path_get(root, "error", "message", NULL));
    CHECK(r->status == want && msg && msg[0] && json_str(path_get(root, "error", "type", NULL)) &&
          strstr(r->ctype, "application/json"),
          "%s -> %d with a JSON error (got %d: %.160s)", what, want, r->status, r->body ? r->body : "(no body)");
    json_free(&d);
    free(r->body);
}

/* The text of a completion or chat response (malloc'd), with its usage and finish reason. */
typedef struct result { char *text; long long prompt_tokens, completion_tokens, cached; char finish[16]; int status; } result;
static result read_result(const resp *r, int chat) {
    result o;
    json_doc d;
    const json_node *root = body_json(r, &d), *c = path_get(root, "choices", "0", NULL);
    const char *t = chat ? json_str(path_get(c, "message", "content", NULL)) : json_str(json_get(c, "text"));
    memset(&o, 0, sizeof o);
    o.status = r->status;
    o.text = t ? strdup(t) : NULL;
    o.prompt_tokens = jint(path_get(root, "usage", "prompt_tokens", NULL));
    o.completion_tokens = jint(path_get(root, "usage", "completion_tokens", NULL));
    o.cached = jint(path_get(path_get(root, "usage", "prompt_tokens_details", NULL), "cached_tokens", NULL, NULL));
    if (json_str(json_get(c, "finish_reason"))) snprintf(o.finish, sizeof o.finish, "%s", json_str(json_get(c, "finish_reason")));
    json_free(&d);
    return o;
}

/* A server-sent event stream: every event is "data: ...\n\n", the last is [DONE], the others are
   JSON chunks. Returns the concatenated deltas (malloc'd) or NULL on a framing error. */
typedef struct sse { char *text; int n_events, role_first, done, usage_prompt, usage_gen; char finish[16]; char why[256]; } sse;
static sse read_sse(const resp *r, int chat) {
    sse s;
    const char *p = r->body, *end = r->body ? r->body + r->body_len : NULL;
    size_t cap = r->body_len + 1, len = 0;
    memset(&s, 0, sizeof s);
    s.usage_prompt = s.usage_gen = -1;
    s.text = (char *)calloc(1, cap);
    while (p && p < end) {
        const char *e = strstr(p, "\n\n");
        json_doc d;
        char err[160];
        const json_node *root, *c;
        if (strncmp(p, "data: ", 6) != 0 || !e) { snprintf(s.why, sizeof s.why, "event %d does not start with 'data: ' or lacks its blank line", s.n_events); break; }
        if (s.done) { snprintf(s.why, sizeof s.why, "an event after [DONE]"); break; }
        s.n_events++;
        if ((size_t)(e - p) == 12 && !strncmp(p + 6, "[DONE]", 6)) { s.done = 1; p = e + 2; continue; }
        if (json_parse(p + 6, (size_t)(e - p - 6), 0, &d, err, sizeof err) != 0) { snprintf(s.why, sizeof s.why, "event %d is not JSON: %s", s.n_events, err); break; }
        root = json_root(&d);
        c = path_get(root, "choices", "0", NULL);
        if (json_get(root, "usage") && !json_is_null(json_get(root, "usage"))) {
            s.usage_prompt = (int)jint(path_get(root, "usage", "prompt_tokens", NULL));
            s.usage_gen = (int)jint(path_get(root, "usage", "completion_tokens", NULL));
        }
        if (c) {
            const char *t = chat ? json_str(path_get(c, "delta", "content", NULL)) : json_str(json_get(c, "text"));
            if (s.n_events == 1 && chat && json_str(path_get(c, "delta", "role", NULL)) && !strcmp(json_str(path_get(c, "delta", "role", NULL)), "assistant")) s.role_first = 1;
            if (t) { memcpy(s.text + len, t, strlen(t)); len += strlen(t); }
            if (json_str(json_get(c, "finish_reason"))) snprintf(s.finish, sizeof s.finish, "%s", json_str(json_get(c, "finish_reason")));
        }
        json_free(&d);
        p = e + 2;
    }
    if (!s.why[0] && !s.done) snprintf(s.why, sizeof s.why, "no [DONE] event");
    return s;
}

/* ---- the reference: olmoe_generate in this process ---- */
typedef struct sink { char *p; size_t n, cap; } sink;
static int sink_text(const char *t, size_t n, void *u) {
    sink *s = (sink *)u;
    if (s->n + n + 1 > s->cap) { s->cap = (s->n + n + 1) * 2; s->p = (char *)realloc(s->p, s->cap); }
    memcpy(s->p + s->n, t, n);
    s->n += n;
    s->p[s->n] = 0;
    return 1;
}
typedef struct ref_req {
    const char *prompt;            /* completion prompt, or the user message of a chat */
    int chat, max_tokens, ignore_eos;
    float temperature, top_p;      /* < 0: the library default */
    long long seed;
    const char *stop;              /* one stop string or NULL */
    const char *opt_out;           /* NULL: none */
} ref_req;

static char *reference(const olmoe_model *m, olmoe_ctx *c, const ref_req *q, olmoe_gen_stats *st) {
    olmoe_gen_params gp = olmoe_gen_default_params();
    sink s = {0};
    char *prompt = NULL;
    const char *stop[1];
    if (q->temperature >= 0) gp.sampling.temperature = q->temperature;
    if (q->top_p >= 0) gp.sampling.top_p = q->top_p;
    gp.sampling.seed = (uint64_t)q->seed;
    gp.n_predict = q->max_tokens;
    gp.ignore_eos = q->ignore_eos;
    if (q->stop) { stop[0] = q->stop; gp.stop = stop; gp.n_stop = 1; }
    gp.on_text = sink_text;
    gp.user = &s;
    if (q->chat) {
        olmoe_chat_msg msg;
        int n;
        msg.role = "user";
        msg.content = q->prompt;
        n = olmoe_chat_render(m, &msg, 1, 1, NULL, 0);
        prompt = (char *)malloc((size_t)n + 1);
        olmoe_chat_render(m, &msg, 1, 1, prompt, (size_t)n + 1);
    }
    olmoe_ctx_truncate(c, 0);
    olmoe_ctx_opt_out(c, q->opt_out ? q->opt_out : "");
    if (olmoe_generate(c, prompt ? prompt : q->prompt, &gp, st) != OLMOE_OK) { free(s.p); s.p = NULL; }
    free(prompt);
    if (!s.p) s.p = strdup("");
    return s.p;
}

/* The request body for q (the same fields the reference used). */
static char *body_for(const ref_req *q, int stream, const char *extra) {
    char *b = (char *)malloc(strlen(q->prompt) * 2 + 1024), *o = b;
    const char *p;
    o += sprintf(o, q->chat ? "{\"messages\":[{\"role\":\"user\",\"content\":\"" : "{\"prompt\":\"");
    for (p = q->prompt; *p; p++) { if (*p == '"' || *p == '\\') *o++ = '\\'; *o++ = *p; }
    o += sprintf(o, q->chat ? "\"}]" : "\"");
    o += sprintf(o, ",\"max_tokens\":%d,\"seed\":%lld", q->max_tokens, q->seed);
    if (q->temperature >= 0) o += sprintf(o, ",\"temperature\":%g", q->temperature);
    if (q->top_p >= 0) o += sprintf(o, ",\"top_p\":%g", q->top_p);
    if (q->ignore_eos) o += sprintf(o, ",\"ignore_eos\":true");
    if (q->stop) o += sprintf(o, ",\"stop\":[\"%s\"]", q->stop);
    if (q->opt_out) o += sprintf(o, ",\"opt_out\":\"%s\"", q->opt_out);
    if (stream) o += sprintf(o, ",\"stream\":true");
    if (extra) o += sprintf(o, ",%s", extra);
    sprintf(o, "}");
    return b;
}
static result run_req(int port, const ref_req *q) {
    char *b = body_for(q, 0, NULL);
    resp r = post(port, q->chat ? "/v1/chat/completions" : "/v1/completions", b);
    result o = read_result(&r, q->chat);
    free(b);
    free(r.body);
    return o;
}

/* ---- concurrent clients ---- */
typedef struct worker { int port, n; const ref_req *reqs; result *out; } worker;
static void *worker_main(void *arg) {
    worker *w = (worker *)arg;
    int i;
    for (i = 0; i < w->n; i++) w->out[i] = run_req(w->port, &w->reqs[i]);
    return NULL;
}

static const char *PROMPTS[] = {
    "It is a truth universally acknowledged", "Mr. Darcy", "Elizabeth could not help", "The family of Dashwood",
    "Emma Woodhouse, handsome, clever, and rich", "She was", "\"My dear,\" said", "In the morning", "Captain Wentworth",
};

int main(int argc, char **argv) {
    const char *bin, *model_path, *flex_path;
    olmoe_model *m = NULL;
    olmoe_ctx *c = NULL;
    olmoe_ctx_params cp;
    char err[512];
    srv S;
    int port;
    if (argc < 4) { fprintf(stderr, "usage: test_serve OLMOE_BIN MODEL.gguf FLEX_NAMED.gguf\n"); return 2; }
    bin = argv[1]; model_path = argv[2]; flex_path = argv[3];
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_alarm);
    alarm(300);
    if (olmoe_model_load(model_path, NULL, &m, err, sizeof err) != OLMOE_OK) { CHECK(0, "load %s: %s", model_path, err); return t_finish(); }
    cp = olmoe_ctx_default_params();
    cp.n_ctx = 1024;
    cp.n_threads = 1;   /* the reference runs beside the server: no spinning pool competing for cores */
    if (olmoe_ctx_create(m, &cp, &c, err, sizeof err) != OLMOE_OK) { CHECK(0, "ctx: %s", err); return t_finish(); }
    {
        const char *args[] = { "-m", model_path, "-np", "3", "-t", "1", "--timeout", "2", NULL };
        CHECK(srv_start(&S, bin, args) == 0, "server starts and prints its port (log %s)", S.log);
        if (S.pid <= 0) return t_finish();
    }
    port = S.port;

    /* ---- GET endpoints ---- */
    {
        resp r = get(port, "/health");
        json_doc d;
        const json_node *root = body_json(&r, &d);
        CHECK(r.status == 200 && json_str(json_get(root, "status")) && !strcmp(json_str(json_get(root, "status")), "ok") &&
              jint(json_get(root, "slots_idle")) == 3 && jint(json_get(root, "requests_queued")) == 0,
              "GET /health: ok, 3 idle slots, nothing queued (%s)", r.body ? r.body : "");
        json_free(&d); free(r.body);
        r = get(port, "/v1/models");
        root = body_json(&r, &d);
        CHECK(r.status == 200 && !strcmp(json_str(json_get(root, "object")) ? json_str(json_get(root, "object")) : "", "list") &&
              json_str(path_get(root, "data", "0", "id")) && !strcmp(json_str(path_get(root, "data", "0", "id")), "austen-olmoe") &&
              !strcmp(json_str(path_get(root, "data", "0", "object")) ? json_str(path_get(root, "data", "0", "object")) : "", "model"),
              "GET /v1/models lists austen-olmoe");
        json_free(&d); free(r.body);
    }

    /* ---- completions and chat against the library ---- */
    {
        ref_req q[4];
        olmoe_gen_stats st;
        int k;
        memset(q, 0, sizeof q);
        q[0].prompt = "It is a truth universally acknowledged"; q[0].max_tokens = 40; q[0].temperature = 0.7f; q[0].top_p = 0.9f; q[0].seed = 42;
        q[1].prompt = "Elizabeth"; q[1].max_tokens = 60; q[1].temperature = 0; q[1].top_p = -1; q[1].seed = 1; q[1].stop = ",";
        q[2].prompt = "Good morning"; q[2].chat = 1; q[2].max_tokens = 30; q[2].temperature = 0.8f; q[2].top_p = -1; q[2].seed = 7;
        q[3].prompt = "Tell me about \"Bath\" \\ please"; q[3].chat = 1; q[3].max_tokens = 25; q[3].temperature = -1; q[3].top_p = -1; q[3].seed = 9;
        for (k = 0; k < 4; k++) {
            char *want = reference(m, c, &q[k], &st), *b;
            result o = run_req(port, &q[k]);
            resp r;
            sse s;
            const char *fin = st.stop_reason == OLMOE_STOP_EOS || st.stop_reason == OLMOE_STOP_STRING ? "stop" : "length";
            CHECK(o.status == 200 && o.text && !strcmp(o.text, want), "%s %d equals olmoe_generate with the same parameters (%d chars)",
                  q[k].chat ? "chat" : "completion", k, (int)strlen(want));
            CHECK(o.prompt_tokens == st.n_prompt && o.completion_tokens == st.n_gen && !strcmp(o.finish, fin),
                  "%s %d: usage %lld+%lld (want %d+%d), finish_reason %s (want %s)", q[k].chat ? "chat" : "completion", k,
                  o.prompt_tokens, o.completion_tokens, st.n_prompt, st.n_gen, o.finish, fin);
            if (k == 1) CHECK(st.stop_reason == OLMOE_STOP_STRING && !strchr(want, ','), "the stop string ended completion 1 and is not in its text");
            /* the same request streamed */
            b = body_for(&q[k], 1, q[k].chat ? "\"stream_options\":{\"include_usage\":true}" : NULL);
            r = post(port, q[k].chat ? "/v1/chat/completions" : "/v1/completions", b);
            s = read_sse(&r, q[k].chat);
            CHECK(r.status == 200 && r.chunked && strstr(r.ctype, "text/event-stream") && !s.why[0] && s.done,
                  "%s %d streamed: chunked text/event-stream, every event 'data: ...' + blank line, ends with [DONE] (%s)",
                  q[k].chat ? "chat" : "completion", k, s.why);
            CHECK(s.text && !strcmp(s.text, want) && !strcmp(s.finish, fin), "%s %d: the deltas add up to the non-streamed text, finish_reason %s",
                  q[k].chat ? "chat" : "completion", k, s.finish);
            if (q[k].chat) CHECK(s.role_first && s.usage_prompt == st.n_prompt && s.usage_gen == st.n_gen,
                                 "chat %d stream: first delta has the assistant role; include_usage gives %d+%d", k, s.usage_prompt, s.usage_gen);
            free(s.text); free(r.body); free(b); free(want); free(o.text);
        }
    }
    /* defaults: 16 tokens for a completion (OpenAI's default); prompt as an array of one string */
    {
        result o;
        resp r = post(port, "/v1/completions", "{\"prompt\":[\"Mr. Knightley\"],\"ignore_eos\":true,\"stop\":null}");
        o = read_result(&r, 0);
        CHECK(o.status == 200 && o.completion_tokens == 16 && !strcmp(o.finish, "length"), "a completion without max_tokens gives 16 tokens (%lld)", o.completion_tokens);
        free(o.text); free(r.body);
        r = post(port, "/v1/chat/completions", "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"},{\"type\":\"text\",\"text\":\" there\"}]}],\"max_tokens\":4}");
        o = read_result(&r, 1);
        CHECK(o.status == 200 && o.text && o.completion_tokens <= 4, "chat with a system message and content parts (%d)", o.status);
        free(o.text); free(r.body);
    }

    /* ---- malformed requests and limits: a 4xx with a JSON error, and the server stays up ---- */
    {
        char *big = (char *)malloc(40000), *q;
        resp r;
        int k;
        check_error((r = post(port, "/v1/completions", "{\"prompt\": \"x\""), &r), 400, "truncated JSON");
        check_error((r = post(port, "/v1/completions", "[1,2]"), &r), 400, "a body that is not an object");
        check_error((r = post(port, "/v1/completions", ""), &r), 400, "an empty body");
        check_error((r = post(port, "/v1/completions", "{\"max_tokens\":5}"), &r), 400, "no prompt");
        check_error((r = post(port, "/v1/completions", "{\"prompt\":\"a\",\"temperature\":\"hot\"}"), &r), 400, "temperature as a string");
        check_error((r = post(port, "/v1/completions", "{\"prompt\":\"a\",\"top_p\":2}"), &r), 400, "top_p out of range");
        check_error((r = post(port, "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":-5}"), &r), 400, "negative max_tokens");
        check_error((r = post(port, "/v1/completions", "{\"prompt\":\"a\",\"n\":2}"), &r), 400, "n = 2");
        check_error((r = post(port, "/v1/completions", "{\"prompt\":\"a\",\"stop\":[1]}"), &r), 400, "a stop that is not a string");
        check_error((r = post(port, "/v1/completions", "{\"prompt\":\"a\\u0000b\"}"), &r), 400, "a prompt with a NUL");
        check_error((r = post(port, "/v1/completions", "{\"prompt\":\"\"}"), &r), 400, "an empty prompt");
        check_error((r = post(port, "/v1/completions", "{\"prompt\":\"\xff\xfe\"}"), &r), 400, "invalid UTF-8 in the JSON");
        check_error((r = post(port, "/v1/chat/completions", "{\"messages\":[]}"), &r), 400, "no messages");
        check_error((r = post(port, "/v1/chat/completions", "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}"), &r), 400, "an unknown role");
        check_error((r = post(port, "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"function\"}]}"), &r), 400, "tools");
        check_error((r = post(port, "/v1/completions", "{\"prompt\":\"a\",\"opt_out\":\"math\"}"), &r), 400, "opt_out of an expert the model does not name");
        for (q = big, k = 0; k < 3000; k++) q += sprintf(q, "the ");
        sprintf(q, "\"}");
        {
            char *body = (char *)malloc(40100);
            sprintf(body, "{\"prompt\":\"%s", big);
            check_error((r = post(port, "/v1/completions", body), &r), 400, "a prompt longer than the context");
            free(body);
        }
        check_error((r = get(port, "/v1/nothing"), &r), 404, "an unknown path");
        check_error((r = get(port, "/v1/completions"), &r), 405, "GET on a POST endpoint");
        {
            const char *raws[][2] = {
                { "GARBAGE\r\n\r\n", "400" },
                { "GET /health HTTP/2.0\r\n\r\n", "505" },
                { "GET /health HTTP/1.1 extra\r\n\r\n", "400" },
                { "GET health HTTP/1.1\r\n\r\n", "400" },
                { "POST /v1/completions HTTP/1.1\r\nHost: x\r\n\r\n", "411" },
                { "POST /v1/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "501" },
                { "POST /v1/completions HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n", "400" },
                { "POST /v1/completions HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", "400" },
                { "POST /v1/completions HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", "413" },
                { "POST /v1/completions HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", "413" },
                { "GET /health HTTP/1.1\r\nBad Header: x\r\n\r\n", "400" },
                { "GET /health HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", "400" },
                { "GET /health HTTP/1.1\r\nExpect: something\r\n\r\n", "417" },
                { "\x00\x01\x02\xff\r\n\r\n", "400" },
            };
            for (k = 0; k < (int)(sizeof raws / sizeof *raws); k++) {
                size_t len = k == 13 ? 8 : strlen(raws[k][0]);
                char what[96];
                snprintf(what, sizeof what, "raw request %d (%.24s...)", k, k == 13 ? "binary" : raws[k][0]);
                check_error((r = raw(port, raws[k][0], len, 10), &r), atoi(raws[k][1]), what);
            }
        }
        /* limits: request line, header line, header count, body size */
        {
            char *req = (char *)malloc(200000);
            size_t o;
            o = (size_t)sprintf(req, "GET /");
            memset(req + o, 'a', 9000); o += 9000;
            o += (size_t)sprintf(req + o, " HTTP/1.1\r\n\r\n");
            check_error((r = raw(port, req, o, 10), &r), 414, "a 9000-byte request line");
            o = (size_t)sprintf(req, "GET /health HTTP/1.1\r\nX-Long: ");
            memset(req + o, 'a', 9000); o += 9000;
            o += (size_t)sprintf(req + o, "\r\n\r\n");
            check_error((r = raw(port, req, o, 10), &r), 431, "a 9000-byte header line");
            o = (size_t)sprintf(req, "GET /health HTTP/1.1\r\n");
            for (k = 0; k < 100; k++) o += (size_t)sprintf(req + o, "X-H%d: v\r\n", k);
            o += (size_t)sprintf(req + o, "\r\n");
            check_error((r = raw(port, req, o, 10), &r), 431, "100 header fields");
            o = (size_t)sprintf(req, "GET /health HTTP/1.1\r\n");
            for (k = 0; k < 60; k++) { o += (size_t)sprintf(req + o, "X-H%d: ", k); memset(req + o, 'b', 1000); o += 1000; o += (size_t)sprintf(req + o, "\r\n"); }
            o += (size_t)sprintf(req + o, "\r\n");
            check_error((r = raw(port, req, o, 10), &r), 431, "60 KB of headers");
            o = (size_t)sprintf(req, "POST /v1/completions HTTP/1.1\r\nContent-Length: 1100000\r\n\r\n");
            check_error((r = raw(port, req, o, 10), &r), 413, "a 1.1 MB body (limit 1 MiB)");
            free(req);
        }
        /* a request that stops half-way gets 408 after --timeout 2 */
        {
            double t0 = now_s();
            {
                const char *half = "POST /v1/completions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"pro";
                r = raw(port, half, strlen(half), 15);
            }
            CHECK(now_s() - t0 < 8, "a stalled body is answered within the timeout (%.1f s)", now_s() - t0);
            check_error(&r, 408, "a stalled request body");
            t0 = now_s();
            r = raw(port, "GET /hea", 8, 15);
            check_error(&r, 408, "a stalled request head");
        }
        /* Expect: 100-continue; two pipelined requests on one connection */
        {
            int fd = conn_open(port);
            const char *b = "{\"prompt\":\"Mr. Darcy\",\"max_tokens\":3}";
            char h[256], got[64];
            size_t len;
            ssize_t k2;
            char *all;
            resp r1;
            int ok;
            snprintf(h, sizeof h, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", strlen(b));
            send_all(fd, h, strlen(h));
            memset(got, 0, sizeof got);
            {
                struct pollfd p; p.fd = fd; p.events = POLLIN; p.revents = 0;
                k2 = poll(&p, 1, 5000) > 0 ? recv(fd, got, 25, 0) : -1;
            }
            CHECK(k2 == 25 && !strncmp(got, "HTTP/1.1 100 Continue\r\n\r\n", 25), "Expect: 100-continue gets '100 Continue' before the body is sent");
            send_all(fd, b, strlen(b));
            all = read_all(fd, &len, 20);
            ok = all && parse_resp(all, len, &r1) && r1.status == 200;
            CHECK(ok, "... and then the response");
            if (ok) free(r1.body);
            free(all);
            close(fd);
            fd = conn_open(port);
            snprintf(h, sizeof h, "GET /health HTTP/1.1\r\n\r\nGET /v1/models HTTP/1.1\r\nConnection: close\r\n\r\n");
            send_all(fd, h, strlen(h));
            all = read_all(fd, &len, 20);
            {
                resp a, b2;
                size_t u = all ? parse_resp(all, len, &a) : 0, v = u ? parse_resp(all + u, len - u, &b2) : 0;
                CHECK(u && v && u + v == len && a.status == 200 && b2.status == 200 && strstr(a.body, "slots_idle") && strstr(b2.body, "austen-olmoe"),
                      "two pipelined requests on one keep-alive connection, answered in order");
                if (u) free(a.body);
                if (v) free(b2.body);
            }
            free(all);
            close(fd);
        }
        free(big);
        CHECK(srv_alive(&S) && get(port, "/health").status == 200, "the server is up after every malformed request");
    }

    /* ---- concurrency: 3 slots x 3 clients x 3 requests, equal to the same requests one by one ---- */
    {
        ref_req reqs[9];
        result seq[9], par[9];
        char *want[9];
        pthread_t th[3];
        worker w[3];
        olmoe_gen_stats st;
        int k, same_seq = 1, same_par = 1, all_ok = 1, n_stopped = 0;
        memset(reqs, 0, sizeof reqs);
        for (k = 0; k < 9; k++) {
            reqs[k].prompt = PROMPTS[k];
            reqs[k].chat = k % 3 == 2;
            reqs[k].max_tokens = 40 + 10 * k;
            reqs[k].temperature = k % 4 == 0 ? 0.0f : 0.5f + 0.1f * (float)k;
            reqs[k].top_p = k % 2 ? 0.9f : -1;
            reqs[k].seed = 1000 + k;
            reqs[k].ignore_eos = k % 2;
            reqs[k].stop = k % 3 == 1 ? " the" : k == 5 ? "e," : NULL;   /* stop strings that span tokens */
            want[k] = reference(m, c, &reqs[k], &st);
            n_stopped += st.stop_reason == OLMOE_STOP_STRING;
        }
        CHECK(n_stopped >= 2, "%d of the 9 references end at a stop string", n_stopped);
        for (k = 0; k < 9; k++) { seq[k] = run_req(port, &reqs[k]); same_seq &= seq[k].text && !strcmp(seq[k].text, want[k]); }
        CHECK(same_seq, "9 requests one by one equal olmoe_generate");
        for (k = 0; k < 3; k++) { w[k].port = port; w[k].n = 3; w[k].reqs = reqs + 3 * k; w[k].out = par + 3 * k; pthread_create(&th[k], NULL, worker_main, &w[k]); }
        for (k = 0; k < 3; k++) pthread_join(th[k], NULL);
        for (k = 0; k < 9; k++) {
            all_ok &= par[k].status == 200;
            same_par &= par[k].text && seq[k].text && !strcmp(par[k].text, seq[k].text) && par[k].completion_tokens == seq[k].completion_tokens;
        }
        CHECK(all_ok && same_par, "3 clients x 3 requests at once on 3 slots: every output equals the one-by-one run");
        for (k = 0; k < 9; k++) { free(seq[k].text); free(par[k].text); free(want[k]); }
    }

    /* ---- queueing: 6 long requests on 3 slots; /health shows a queue; all come back right ---- */
    {
        ref_req reqs[6];
        result out[6];
        char *want[6];
        pthread_t th[6];
        worker w[6];
        olmoe_gen_stats st;
        int k, max_queued = 0, max_busy = 0, ok = 1;
        double until;
        memset(reqs, 0, sizeof reqs);
        for (k = 0; k < 6; k++) {
            reqs[k].prompt = PROMPTS[k];
            reqs[k].max_tokens = 300;
            reqs[k].temperature = 0.9f;
            reqs[k].top_p = -1;
            reqs[k].seed = 77 + k;
            reqs[k].ignore_eos = 1;
            want[k] = reference(m, c, &reqs[k], &st);
        }
        for (k = 0; k < 6; k++) { w[k].port = port; w[k].n = 1; w[k].reqs = reqs + k; w[k].out = out + k; pthread_create(&th[k], NULL, worker_main, &w[k]); }
        until = now_s() + 60;
        while (now_s() < until) {
            resp r = get(port, "/health");
            json_doc d;
            const json_node *root = body_json(&r, &d);
            int q = (int)jint(json_get(root, "requests_queued")), b = (int)jint(json_get(root, "slots_processing"));
            if (q > max_queued) max_queued = q;
            if (b > max_busy) max_busy = b;
            json_free(&d); free(r.body);
            if (max_queued >= 1 && max_busy == 3) break;
            usleep(2000);
        }
        for (k = 0; k < 6; k++) pthread_join(th[k], NULL);
        for (k = 0; k < 6; k++) ok &= out[k].status == 200 && out[k].text && !strcmp(out[k].text, want[k]);
        CHECK(max_busy == 3 && max_queued >= 1, "6 requests on 3 slots: /health saw 3 slots busy and %d queued", max_queued);
        CHECK(ok, "every queued request completed with the expected text");
        for (k = 0; k < 6; k++) { free(out[k].text); free(want[k]); }
    }

    /* ---- connection limit: beyond 64 open connections a client gets 503 at once ---- */
    {
        int fds[70], k, n503 = 0;
        usleep(200000);   /* the connection threads of the earlier requests have exited */
        for (k = 0; k < 70; k++) fds[k] = conn_open(port);
        usleep(200000);
        for (k = 64; k < 70; k++) {
            size_t len;
            char *b;
            resp r;
            if (fds[k] < 0) continue;
            b = read_all(fds[k], &len, 3);
            if (b && parse_resp(b, len, &r)) { n503 += r.status == 503; free(r.body); }
            free(b);
        }
        for (k = 0; k < 70; k++) if (fds[k] >= 0) close(fds[k]);
        CHECK(n503 == 6, "connections 65..70 of 70 idle ones get 503 (%d)", n503);
        usleep(300000);
        CHECK(get(port, "/health").status == 200, "the server serves again once they close");
    }

    /* shutdown with an idle keep-alive connection and a long generation in flight */
    {
        ref_req q;
        result out;
        worker w;
        pthread_t th;
        double t0;
        int idle = conn_open(port), st;
        memset(&q, 0, sizeof q);
        q.prompt = "It is a truth"; q.max_tokens = 1000; q.temperature = 0.8f; q.top_p = -1; q.seed = 3; q.ignore_eos = 1;
        w.port = port; w.n = 1; w.reqs = &q; w.out = &out;
        pthread_create(&th, NULL, worker_main, &w);
        usleep(150000);
        t0 = now_s();
        st = srv_stop(&S);
        CHECK(st == 0 && now_s() - t0 < 4, "SIGTERM during a generation and with an idle connection: exit 0 in %.1f s", now_s() - t0);
        pthread_join(th, NULL);
        free(out.text);
        if (idle >= 0) close(idle);
    }
    unlink(S.log);

    /* ---- FlexOlmo opt_out on the named-expert fixture ---- */
    {
        olmoe_model *fm = NULL;
        olmoe_ctx *fc = NULL;
        const char *args[] = { "-m", flex_path, "-np", "1", "-t", "1", "-c", "256", NULL };
        if (olmoe_model_load(flex_path, NULL, &fm, err, sizeof err) != OLMOE_OK) CHECK(0, "load %s: %s", flex_path, err);
        cp.n_ctx = 256;
        if (fm && olmoe_ctx_create(fm, &cp, &fc, err, sizeof err) != OLMOE_OK) CHECK(0, "ctx: %s", err);
        if (fc && srv_start(&S, bin, args) == 0) {
            ref_req q;
            olmoe_gen_stats st;
            char *want_out, *want_all, *b;
            result o;
            resp r;
            memset(&q, 0, sizeof q);
            q.prompt = "Hello world"; q.max_tokens = 24; q.temperature = 0; q.top_p = -1; q.seed = 5; q.ignore_eos = 1;
            want_all = reference(fm, fc, &q, &st);
            q.opt_out = "math,code";
            want_out = reference(fm, fc, &q, &st);
            CHECK(strcmp(want_all, want_out) != 0, "opting out of math,code changes the fixture's greedy text (library)");
            o = run_req(S.port, &q);
            CHECK(o.status == 200 && o.text && !strcmp(o.text, want_out), "opt_out \"math,code\" equals olmoe_ctx_opt_out + olmoe_generate");
            free(o.text);
            q.opt_out = NULL;
            b = body_for(&q, 0, "\"opt_out\":[\"math\",2]");
            r = post(S.port, "/v1/completions", b);
            o = read_result(&r, 0);
            CHECK(o.status == 200 && o.text && !strcmp(o.text, want_out), "opt_out [\"math\", 2] (names and indices) is the same");
            free(o.text); free(r.body); free(b);
            o = run_req(S.port, &q);
            CHECK(o.status == 200 && o.text && !strcmp(o.text, want_all), "the next request without opt_out uses every expert again");
            free(o.text);
            /* prompt caching: the slot keeps its tokens; a request sharing a prefix evaluates only the
               rest, and the text stays olmoe_generate's on an empty context */
            {
                char *want1, *want2, *long_prompt;
                result o1, o2, o3, o4;
                ref_req q2 = q;
                q2.prompt = "It was a dark and stormy night";
                want1 = reference(fm, fc, &q2, &st);
                o1 = run_req(S.port, &q2);
                o2 = run_req(S.port, &q2);
                CHECK(o1.status == 200 && o1.text && !strcmp(o1.text, want1) && o2.text && !strcmp(o2.text, want1) &&
                      o2.cached == o2.prompt_tokens - 1 && o1.cached < o2.cached,
                      "the same prompt twice: the same text, the second with %lld of %lld prompt tokens cached (first %lld)",
                      o2.cached, o2.prompt_tokens, o1.cached);
                long_prompt = (char *)malloc(strlen(q2.prompt) + (o1.text ? strlen(o1.text) : 0) + 32);
                sprintf(long_prompt, "%s%s and then", q2.prompt, o1.text ? o1.text : "");
                q2.prompt = long_prompt;
                want2 = reference(fm, fc, &q2, &st);
                o3 = run_req(S.port, &q2);
                CHECK(o3.status == 200 && o3.text && !strcmp(o3.text, want2) && o3.cached >= o1.prompt_tokens && o3.prompt_tokens == st.n_prompt,
                      "a prompt that extends the last one reuses %lld cached tokens and gives olmoe_generate's text", o3.cached);
                {
                    char *b2 = body_for(&q2, 0, "\"cache_prompt\":false");
                    resp r2 = post(S.port, "/v1/completions", b2);
                    o4 = read_result(&r2, 0);
                    CHECK(o4.status == 200 && o4.text && !strcmp(o4.text, want2) && o4.cached == 0, "\"cache_prompt\": false evaluates the whole prompt (same text)");
                    free(b2); free(r2.body);
                }
                free(o1.text); free(o2.text); free(o3.text); free(o4.text); free(want1); free(want2); free(long_prompt);
            }
            /* the same opt_out twice reuses the cache; another opt_out does not */
            {
                result o1, o2;
                q.opt_out = "math,code";
                o1 = run_req(S.port, &q);
                o2 = run_req(S.port, &q);
                CHECK(o1.status == 200 && o1.text && !strcmp(o1.text, want_out) && o1.cached == 0 && o2.text && !strcmp(o2.text, want_out) && o2.cached > 0,
                      "opt_out: a changed mask drops the cache (cached %lld), the same mask keeps it (cached %lld)", o1.cached, o2.cached);
                free(o1.text); free(o2.text);
                q.opt_out = NULL;
                o1 = run_req(S.port, &q);
                CHECK(o1.status == 200 && o1.text && !strcmp(o1.text, want_all) && o1.cached == 0, "... and back to every expert: the cache is dropped again");
                free(o1.text);
            }
            r = post(S.port, "/v1/completions", "{\"prompt\":\"Hello\",\"max_tokens\":-1,\"ignore_eos\":true}");
            o = read_result(&r, 0);
            CHECK(o.status == 200 && !strcmp(o.finish, "length") && o.prompt_tokens + o.completion_tokens >= 256,
                  "max_tokens -1 generates until the context (-c 256) is full (%lld + %lld)", o.prompt_tokens, o.completion_tokens);
            free(o.text); free(r.body);
            b = body_for(&q, 0, "\"opt_out\":[\"nosuch\"]");
            check_error((r = post(S.port, "/v1/completions", b), &r), 400, "opt_out of an unknown expert name");
            free(b);
            b = body_for(&q, 0, "\"opt_out\":\"public,math,code,news,creative,academic,reddit\"");
            check_error((r = post(S.port, "/v1/completions", b), &r), 400, "opt_out of every expert");
            free(b);
            {
                json_doc d;
                const json_node *root;
                r = get(S.port, "/v1/models");
                root = body_json(&r, &d);
                CHECK(json_str(json_at(path_get(path_get(root, "data", "0", "meta"), "expert_names", NULL, NULL), 1)) &&
                      !strcmp(json_str(json_at(path_get(path_get(root, "data", "0", "meta"), "expert_names", NULL, NULL), 1)), "math"),
                      "/v1/models lists the expert names");
                json_free(&d); free(r.body);
            }
            free(want_all); free(want_out);
            CHECK(srv_stop(&S) == 0, "the FlexOlmo server stops cleanly");
            unlink(S.log);
        } else CHECK(0, "FlexOlmo server starts (log %s)", S.log);
        if (fc) olmoe_ctx_free(fc);
        olmoe_model_free(fm);
    }
    /* --api-key: every endpoint but /health wants "Authorization: Bearer KEY" */
    {
        const char *args[] = { "-m", model_path, "-np", "1", "-t", "1", "--api-key", "sekrit", NULL };
        if (srv_start(&S, bin, args) == 0) {
            const char *ok_req = "GET /v1/models HTTP/1.1\r\nAuthorization: Bearer sekrit\r\nConnection: close\r\n\r\n";
            const char *bad_req = "GET /v1/models HTTP/1.1\r\nAuthorization: Bearer sekrix\r\nConnection: close\r\n\r\n";
            resp r = get(S.port, "/health");
            CHECK(r.status == 200, "--api-key: /health needs no key");
            free(r.body);
            check_error((r = get(S.port, "/v1/models"), &r), 401, "--api-key: no Authorization");
            check_error((r = raw(S.port, bad_req, strlen(bad_req), 10), &r), 401, "--api-key: a wrong key");
            r = raw(S.port, ok_req, strlen(ok_req), 10);
            CHECK(r.status == 200 && r.body && strstr(r.body, "austen-olmoe"), "--api-key: the right key is let in");
            free(r.body);
            CHECK(srv_stop(&S) == 0, "the --api-key server stops cleanly");
            unlink(S.log);
        } else CHECK(0, "--api-key server starts (log %s)", S.log);
    }
    /* bad command lines fail with a message, never a crash */
    {
        const char *bad[][6] = {
            { "--port", "70000", NULL }, { "-np", "0", NULL }, { "-c", "abc", NULL }, { "--frobnicate", NULL },
            { "-c", "999999", NULL }, { "--host", "no.such.host.invalid", NULL },
        };
        int k;
        for (k = 0; k < 6; k++) {
            const char *argv2[12];
            int n = 0, j, st;
            pid_t pid;
            argv2[n++] = bin; argv2[n++] = "serve"; argv2[n++] = "-m"; argv2[n++] = model_path;
            for (j = 0; bad[k][j]; j++) argv2[n++] = bad[k][j];
            argv2[n] = NULL;
            if ((pid = fork()) == 0) {
                int fd = open("/dev/null", O_WRONLY);
                if (fd >= 0) { dup2(fd, 2); dup2(fd, 1); }
                alarm(20);
                execv(bin, (char *const *)argv2);
                _exit(127);
            }
            waitpid(pid, &st, 0);
            CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 127, "olmoe serve %s %s exits with an error", bad[k][0], bad[k][1] ? bad[k][1] : "");
        }
    }
    olmoe_ctx_free(c);
    olmoe_model_free(m);
    return t_finish();
}
