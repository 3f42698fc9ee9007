/* Load test for olmoe serve: for 1..N concurrent clients, starts `olmoe serve -np C` (threads
   per slot: -t, default the server's cores / C, so that every level uses the whole machine), lets
   C clients each send R streamed /v1/completions requests one after another, and reports
   requests/s, generated tokens/s, the mean time to the first token, the mean request latency and
   the server's CPU time.
   usage: serve_load OLMOE_BIN MODEL.gguf [-N 4] [-r 8] [-n 128] [-p PROMPT] [-t THREADS_PER_SLOT]
                     [--kernels K]
   (make bench-serve runs it on the bundled model; libc + pthreads only) */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
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

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct cfg { int port, reqs, n_predict; const char *prompt; } cfg;
typedef struct client { const cfg *c; int id, ok, failed; long tokens; double ttft_sum, lat_sum; } client;

/* One streamed completion; returns generated tokens (from the usage event) or -1. */
static long one_request(const cfg *c, int seed, double *ttft, double *lat) {
    struct sockaddr_in a;
    char body[4096], req[8192], *buf;
    size_t cap = 1 << 20, len = 0;
    int fd, k;
    long tokens = -1;
    double t0 = now_s(), first = 0;
    const char *u;
    snprintf(body, sizeof body, "{\"prompt\":\"%s\",\"max_tokens\":%d,\"temperature\":0.8,\"seed\":%d,\"ignore_eos\":true,"
             "\"stream\":true,\"stream_options\":{\"include_usage\":true}}", c->prompt, c->n_predict, seed);
    k = snprintf(req, sizeof req, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(body), body);
    if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)c->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 || send(fd, req, (size_t)k, MSG_NOSIGNAL) != k || !(buf = (char *)malloc(cap))) { close(fd); return -1; }
    for (;;) {
        ssize_t got;
        if (len + 1 >= cap) break;
        got = recv(fd, buf + len, cap - len - 1, 0);
        if (got <= 0) break;
        len += (size_t)got;
        buf[len] = 0;
        if (!first && strstr(buf, "\"text\":\"")) first = now_s();   /* the first event carries the first token */
    }
    close(fd);
    buf[len] = 0;
    if (strncmp(buf, "HTTP/1.1 200", 12) == 0 && strstr(buf, "data: [DONE]") && (u = strstr(buf, "\"completion_tokens\":")))
        tokens = atol(u + 20);
    free(buf);
    *ttft = (first ? first : now_s()) - t0;
    *lat = now_s() - t0;
    return tokens;
}

static void *client_main(void *arg) {
    client *cl = (client *)arg;
    int i;
    for (i = 0; i < cl->c->reqs; i++) {
        double ttft, lat;
        long t = one_request(cl->c, 1000 * cl->id + i, &ttft, &lat);
        if (t < 0) { cl->failed++; continue; }
        cl->ok++;
        cl->tokens += t;
        cl->ttft_sum += ttft;
        cl->lat_sum += lat;
    }
    return NULL;
}

static pid_t start_server(const char *bin, const char *model, int np, const char *kernels, const char *threads, const char *log, int *port) {
    char nps[16];
    double until = now_s() + 60;
    pid_t pid;
    snprintf(nps, sizeof nps, "%d", np);
    unlink(log);   /* the previous level's "listening on" line must not be read for this one */
    if ((pid = fork()) == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) { dup2(fd, 2); close(fd); }
        execl(bin, bin, "serve", "-m", model, "-np", nps, "--port", "0", "--kernels", kernels, "--threads", threads, (char *)NULL);
        _exit(127);
    }
    while (pid > 0 && now_s() < until) {
        char t[4096];
        FILE *f = fopen(log, "r");
        size_t n = f ? fread(t, 1, sizeof t - 1, f) : 0;   /* not there yet: n = 0 */
        const char *p;
        int st;
        if (f) fclose(f);
        t[n] = 0;
        if ((p = strstr(t, "listening on 127.0.0.1:"))) { *port = atoi(p + 23); return pid; }
        if (waitpid(pid, &st, WNOHANG) == pid) return -1;
        usleep(20000);
    }
    return -1;
}

/* CPU seconds (user + system) the process has used so far, from /proc (-1 if unreadable). On a
   shared machine wall-clock rates depend on the other load; tokens per CPU second much less. */
static double cpu_seconds(pid_t pid) {
    char path[64], buf[1024], *p;
    unsigned long ut = 0, st = 0;
    FILE *f;
    size_t n;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (!(f = fopen(path, "r"))) return -1;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* fields after the command name (which may hold spaces) start after the last ')' */
    if (!(p = strrchr(buf, ')')) || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void stop_server(pid_t pid) {
    int st, i;
    kill(pid, SIGTERM);
    for (i = 0; i < 500; i++) { if (waitpid(pid, &st, WNOHANG) == pid) return; usleep(20000); }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
}

int main(int argc, char **argv) {
    const char *bin, *model, *kernels = "auto", *threads = "0";
    cfg c;
    int N = 4, level, i;
    char log[256];
    if (argc < 3) { fprintf(stderr, "usage: serve_load OLMOE_BIN MODEL.gguf [-N 4] [-r 8] [-n 128] [-p PROMPT] [-t THREADS_PER_SLOT] [--kernels K]\n"); return 2; }
    bin = argv[1];
    model = argv[2];
    c.reqs = 8;
    c.n_predict = 128;
    c.prompt = "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.";
    for (i = 3; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) { fprintf(stderr, "serve_load: %s needs a value\n", argv[i]); return 2; }
        if (!strcmp(argv[i], "-N")) N = atoi(v);
        else if (!strcmp(argv[i], "-r")) c.reqs = atoi(v);
        else if (!strcmp(argv[i], "-n")) c.n_predict = atoi(v);
        else if (!strcmp(argv[i], "-p")) c.prompt = v;
        else if (!strcmp(argv[i], "--kernels")) kernels = v;
        else if (!strcmp(argv[i], "-t")) threads = v;
        else { fprintf(stderr, "serve_load: unknown option %s\n", argv[i]); return 2; }
        i++;
        if (N < 1 || N > 64 || c.reqs < 1 || c.n_predict < 1 || strchr(c.prompt, '"') || strchr(c.prompt, '\\')) {
            fprintf(stderr, "serve_load: bad value for %s (N 1..64, r >= 1, n >= 1, prompt without quotes or backslashes)\n", argv[i - 1]);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    snprintf(log, sizeof log, "/tmp/serve_load.%d.log", (int)getpid());
    printf("olmoe serve load test: %s, %d requests per client, %d tokens each (ignore_eos), streamed; %ld cores\n",
           model, c.reqs, c.n_predict, sysconf(_SC_NPROCESSORS_ONLN));
    printf("| clients | server | requests | failed | wall s | requests/s | gen tokens/s | mean TTFT ms | mean latency ms | server CPU s | tokens/CPU s |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
    fflush(stdout);
    for (level = 1; level <= N; level++) {
        client *cl = (client *)calloc((size_t)level, sizeof *cl);
        pthread_t *th = (pthread_t *)calloc((size_t)level, sizeof *th);
        pid_t pid = start_server(bin, model, level, kernels, threads, log, &c.port);
        double t0, wall, ttft = 0, lat = 0, cpu0, cpu;
        long tokens = 0;
        int ok = 0, failed = 0;
        char info[256] = "";
        if (pid < 0 || !cl || !th) { fprintf(stderr, "serve_load: the server did not start (log %s)\n", log); return 1; }
        {
            FILE *f = fopen(log, "r");
            char line[512];
            while (f && fgets(line, sizeof line, f))
                if (!strncmp(line, "serve: model", 12)) {
                    const char *p = strstr(line, "slots x");
                    int slots = 0, thr = 0;
                    sscanf(line, "%*[^,], %d slots", &slots);
                    if (p && (p = strstr(p, "tokens, "))) thr = atoi(p + 8);
                    snprintf(info, sizeof info, "-np %d, %d thr/slot", slots, thr);
                }
            if (f) fclose(f);
        }
        cpu0 = cpu_seconds(pid);
        t0 = now_s();
        for (i = 0; i < level; i++) { cl[i].c = &c; cl[i].id = i; pthread_create(&th[i], NULL, client_main, &cl[i]); }
        for (i = 0; i < level; i++) pthread_join(th[i], NULL);
        wall = now_s() - t0;
        cpu = cpu_seconds(pid) - cpu0;
        stop_server(pid);
        for (i = 0; i < level; i++) { ok += cl[i].ok; failed += cl[i].failed; tokens += cl[i].tokens; ttft += cl[i].ttft_sum; lat += cl[i].lat_sum; }
        printf("| %d | %s | %d | %d | %.2f | %.2f | %.0f | %.1f | %.1f | %.2f | %.0f |\n", level, info, ok, failed, wall, ok / wall,
               tokens / wall, ok ? 1000 * ttft / ok : 0.0, ok ? 1000 * lat / ok : 0.0, cpu, cpu > 0 ? tokens / cpu : 0.0);
        fflush(stdout);
        free(cl);
        free(th);
        if (failed) { fprintf(stderr, "serve_load: %d requests failed (server log %s)\n", failed, log); return 1; }
    }
    unlink(log);
    return 0;
}
