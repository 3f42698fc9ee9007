/* Text in, text out: olmoe_generate against Hugging Face's greedy continuation, streaming in
   whole UTF-8 characters, stop strings, cancellation, and seeds that give the same text on any
   thread count.  usage: test_generate DATA_DIR GGUF_DIR */
#include "../olmoe.h"
#include "test.h"

typedef struct { char buf[8192]; size_t n; int calls, cancel_after, bad_utf8; } sink;

/* 1 if s[0..n) is complete, well-formed UTF-8 */
static int utf8_ok(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        int len = s[i] < 0x80 ? 1 : (s[i] >> 5) == 6 ? 2 : (s[i] >> 4) == 14 ? 3 : (s[i] >> 3) == 30 ? 4 : 0, k;
        if (!len || i + (size_t)len > n) return 0;
        for (k = 1; k < len; k++) if ((s[i + k] & 0xC0) != 0x80) return 0;
        i += (size_t)len;
    }
    return 1;
}

static int on_text(const char *t, size_t n, void *user) {
    sink *s = (sink *)user;
    if (!utf8_ok((const unsigned char *)t, n)) s->bad_utf8++;
    if (s->n + n < sizeof s->buf) { memcpy(s->buf + s->n, t, n); s->n += n; s->buf[s->n] = 0; }
    s->calls++;
    return !(s->cancel_after && s->calls >= s->cancel_after);
}

static olmoe_ctx *make(const olmoe_model *m, int threads) {
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    olmoe_ctx *c = NULL;
    char err[256];
    cp.n_ctx = 128;
    cp.n_threads = threads;
    olmoe_ctx_create(m, &cp, &c, err, sizeof err);
    return c;
}

static olmoe_result gen(olmoe_ctx *c, const char *prompt, olmoe_gen_params *gp, sink *s, olmoe_gen_stats *st) {
    memset(s, 0, sizeof *s);
    gp->on_text = on_text;
    gp->user = s;
    olmoe_ctx_truncate(c, 0);
    return olmoe_generate(c, prompt, gp, st);
}

int main(int argc, char **argv) {
    char path[1024], err[512], prompt[512], want[4096];
    olmoe_model *m = NULL;
    olmoe_ctx *c;
    int32_t ids[64] = {0}, ids2[64] = {0};
    int np = 0, ng = 0, n2;
    sink s, s2;
    olmoe_gen_params gp;
    olmoe_gen_stats st;
    olmoe_result r;
    if (argc < 3) { fprintf(stderr, "usage: test_generate DATA_DIR GGUF_DIR\n"); return 2; }
    snprintf(path, sizeof path, "%s/olmoe_c-f32.gguf", argv[2]);
    if (olmoe_model_load(path, NULL, &m, err, sizeof err) != OLMOE_OK) { CHECK(0, "load %s: %s", path, err); return t_finish(); }
    c = make(m, 2);
    {   /* HF's greedy continuation, as ids and as text */
        char *g;
        snprintf(path, sizeof path, "%s/olmoe_c/greedy.txt", argv[1]);
        g = t_read_file(path, NULL);
        if (g) {
            char *p = g, *e, *nl = strchr(g, '\n');
            if (nl) *nl = 0;
            while (np < 64) { long v = strtol(p, &e, 10); if (e == p) break; ids[np++] = (int32_t)v; p = e; }
            p = nl ? nl + 1 : p;
            while (ng < 64) { long v = strtol(p, &e, 10); if (e == p) break; ids2[ng++] = (int32_t)v; p = e; }
            free(g);
        }
    }
    CHECK(np > 0 && ng > 0, "HF greedy reference read (%d + %d ids)", np, ng);
    olmoe_detokenize(m, ids, np, prompt, sizeof prompt);
    n2 = olmoe_tokenize(m, prompt, strlen(prompt), ids2 + 32, 32, 1);
    if (n2 == np && memcmp(ids, ids2 + 32, sizeof(int32_t) * (size_t)np) == 0) {
        int i, stop_eos = -1;
        int32_t eos = olmoe_model_config(m)->eos_id;
        for (i = 0; i < ng; i++) if (ids2[i] == eos) { stop_eos = i; break; }
        olmoe_detokenize(m, ids2, stop_eos >= 0 ? stop_eos : ng, want, sizeof want);
        gp = olmoe_gen_default_params();
        gp.sampling.temperature = 0.0f;
        gp.n_predict = ng;
        r = gen(c, prompt, &gp, &s, &st);
        CHECK(r == OLMOE_OK && strcmp(s.buf, want) == 0, "greedy olmoe_generate text equals HF's greedy continuation (%d tokens, stop %d)", st.n_gen, st.stop_reason);
        CHECK(s.bad_utf8 == 0, "every streamed chunk is complete UTF-8 (%d chunks)", s.calls);
    } else {
        printf("info: the decoded prompt does not re-tokenize to HF's ids; greedy text check skipped\n");
    }
    /* stop strings: cut the greedy text at the first occurrence */
    gp = olmoe_gen_default_params();
    gp.sampling.temperature = 0.0f;
    gp.n_predict = 40;
    gp.ignore_eos = 1;
    gen(c, "Once upon a time", &gp, &s2, &st);
    CHECK(s2.n > 8, "greedy text of %zu bytes", s2.n);
    if (s2.n > 8) {
        char stop[8];
        const char *stops[1];
        size_t cut;
        memcpy(stop, s2.buf + s2.n / 2, 3);
        stop[3] = 0;
        cut = (size_t)(strstr(s2.buf, stop) - s2.buf);
        stops[0] = stop;
        gp.stop = stops;
        gp.n_stop = 1;
        r = gen(c, "Once upon a time", &gp, &s, &st);
        CHECK(r == OLMOE_OK && st.stop_reason == OLMOE_STOP_STRING && s.n == cut && memcmp(s.buf, s2.buf, cut) == 0,
              "stop string '%s': output ends just before it (%zu bytes, stop reason %d)", stop, s.n, st.stop_reason);
        gp.stop = NULL;
        gp.n_stop = 0;
    }
    /* cancellation from the callback */
    gp.n_predict = 40;
    memset(&s, 0, sizeof s);
    s.cancel_after = 2;
    gp.on_text = on_text;
    gp.user = &s;
    olmoe_ctx_truncate(c, 0);
    r = olmoe_generate(c, "Once upon a time", &gp, &st);
    CHECK(r == OLMOE_ERR_CANCELLED && st.stop_reason == OLMOE_STOP_CANCELLED && s.calls == 2,
          "a callback returning 0 cancels: %s after %d calls", olmoe_result_str(r), s.calls);
    /* the same seed gives the same text on 1 and 3 threads */
    {
        olmoe_ctx *c1 = make(m, 1), *c3 = make(m, 3);
        gp = olmoe_gen_default_params();
        gp.sampling.temperature = 1.2f;
        gp.sampling.seed = 7;
        gp.n_predict = 48;
        gp.ignore_eos = 1;
        gen(c1, "The", &gp, &s, &st);
        gen(c3, "The", &gp, &s2, &st);
        CHECK(s.n > 0 && s.n == s2.n && memcmp(s.buf, s2.buf, s.n) == 0, "seed 7 samples the same %zu bytes on 1 and 3 threads", s.n);
        gp.sampling.seed = 8;
        gen(c3, "The", &gp, &s2, &st);
        CHECK(s.n != s2.n || memcmp(s.buf, s2.buf, s.n) != 0, "seed 8 samples other text");
        olmoe_ctx_free(c1);
        olmoe_ctx_free(c3);
    }
    /* a full context stops generation cleanly */
    {
        olmoe_ctx_params cp = olmoe_ctx_default_params();
        olmoe_ctx *cs = NULL;
        cp.n_ctx = 12;
        olmoe_ctx_create(m, &cp, &cs, err, sizeof err);
        gp = olmoe_gen_default_params();
        gp.n_predict = 100;
        gp.ignore_eos = 1;
        r = gen(cs, "Hi", &gp, &s, &st);
        CHECK(r == OLMOE_OK && st.stop_reason == OLMOE_STOP_CONTEXT_FULL && olmoe_ctx_pos(cs) == 12,
              "generation stops at a full context (stop reason %d, %d tokens in the cache)", st.stop_reason, olmoe_ctx_pos(cs));
        r = gen(cs, "Once upon a time, in a land far away, there lived a king.", &gp, &s, &st);
        CHECK(r == OLMOE_ERR_CONTEXT_FULL && olmoe_ctx_pos(cs) == 0, "a prompt longer than the context: %s, context unchanged", olmoe_result_str(r));
        olmoe_ctx_free(cs);
    }
    olmoe_ctx_free(c);
    olmoe_model_free(m);
    return t_finish();
}
