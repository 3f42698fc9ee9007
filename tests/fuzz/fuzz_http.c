/* libFuzzer target: olmoe serve's request parsers on arbitrary bytes. The input is an HTTP request
   head (tools/serve.c http_parse_head, with small limits so that every limit is reached); when the
   head is complete, the bytes after it are parsed as a /v1/completions and a /v1/chat/completions
   JSON body (gen_req_parse), and a JSON string of them is written (sb_json). Checks: the result
   is one of the documented codes, every pointer stays inside the input, an error has a reason,
   and sb_json writes valid UTF-8 without raw control characters.
   build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_http.c tools/json.c -lm */
#define SERVE_PARSERS_ONLY
#include "../../tools/serve.c"

static void check_in(const char *p, size_t n, const uint8_t *data, size_t size) {
    if (p && (p < (const char *)data || p + n > (const char *)data + size)) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    http_limits lim;
    http_req r;
    int st, chat;
    lim.max_line = 256;
    lim.max_head = 1024;
    lim.max_headers = 8;
    lim.max_body = 4096;
    st = http_parse_head((const char *)data, size, &lim, &r);
    if (st != 0 && st != HTTP_MORE && (st < 400 || st > 505 || !r.err)) __builtin_trap();
    if (st != 0) return 0;
    if (r.head_len > size || r.head_len > lim.max_head + lim.max_line + 2 || !r.path || r.path_len == 0 || r.path[0] != '/') __builtin_trap();
    if (r.content_length > lim.max_body || strlen(r.method) == 0) __builtin_trap();
    check_in(r.path, r.path_len, data, size);
    check_in(r.auth, r.auth_len, data, size);
    for (chat = 0; chat < 2; chat++) {
        olmoe_sampler_params d;
        gen_req g;
        char err[256];
        int i;
        memset(&d, 0, sizeof d);
        d.temperature = 0.8f;
        d.top_p = 0.95f;
        err[0] = 0;
        if (gen_req_parse((const char *)data + r.head_len, size - r.head_len, chat, &d, &g, err, sizeof err) != 0) {
            if (!err[0]) __builtin_trap();
        } else {
            if (chat ? (g.n_msgs < 1 || !g.msgs) : !g.prompt) __builtin_trap();
            for (i = 0; i < g.n_msgs; i++) if (!g.msgs[i].role || !g.msgs[i].content) __builtin_trap();
            if (g.n_stop < 0 || g.n_stop > GEN_MAX_STOP || g.max_tokens < -2) __builtin_trap();
            for (i = 0; i < g.n_stop; i++) if (!g.stop[i][0]) __builtin_trap();
            if (!(g.sp.temperature >= 0) || !(g.sp.top_p >= 0 && g.sp.top_p <= 1)) __builtin_trap();
        }
        gen_req_free(&g);
    }
    {
        /* the escaper on the raw body bytes: the output must be valid UTF-8, with no byte < 0x20 */
        sbuf b = {0};
        size_t i = 0;
        sb_json(&b, (const char *)data + r.head_len, size - r.head_len);
        if (b.oom) { free(b.p); return 0; }
        while (i < b.len) {
            size_t k = utf8_len((const unsigned char *)b.p + i, b.len - i);
            if (k == 0 || (unsigned char)b.p[i] < 0x20) __builtin_trap();
            i += k;
        }
        free(b.p);
    }
    return 0;
}
