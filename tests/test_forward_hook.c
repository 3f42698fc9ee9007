/* olmoe_ctx_set_forward: a context whose forward pass is an application's hook. The hook here
   forwards to a second, independent context on the same model (what build/olmoe-cuda does with a
   GPU), so everything built on eval (generate greedy and seeded, score, chat-style turns that reuse
   the cached prompt, truncate, opt-out) must give byte-identical results to a plain context; the
   hook's errors must surface as the eval's, with its message.
   usage: test_forward_hook MODEL.gguf (a model with a tokenizer and at least 4 experts) */
#include "../olmoe.h"
#include "test.h"

typedef struct hook {
    olmoe_ctx *inner;          /* the "device": its own KV cache and forward pass */
    int n_vocab;
    int calls, last_pos, last_n, max_n, resyncs, drops;
    int fail_next;             /* fail the next call with OLMOE_ERR_IO */
    uint8_t mask[4096];        /* the mask the last call carried */
    int n_expert;
} hook;

static olmoe_result fwd(void *user, const olmoe_forward_call *fc, char *err, size_t en) {
    hook *h = (hook *)user;
    olmoe_result r;
    int have = olmoe_ctx_pos(h->inner), rows, i;
    h->calls++;
    h->last_pos = fc->pos;
    h->last_n = fc->n;
    if (fc->n > h->max_n) h->max_n = fc->n;
    if (h->fail_next) {
        h->fail_next = 0;
        snprintf(err, en, "device lost (test hook)");
        return OLMOE_ERR_IO;
    }
    /* keyed by position: drop what lies past pos, rebuild from history what is missing */
    if (have > fc->pos) { olmoe_ctx_truncate(h->inner, fc->pos); have = fc->pos; h->drops++; }
    if (have < fc->pos) {
        h->resyncs++;
        if ((r = olmoe_ctx_eval(h->inner, fc->history + have, fc->pos - have, 0)) != OLMOE_OK) goto fail;
    }
    h->n_expert = fc->n_expert;
    memcpy(h->mask, fc->expert_allowed, (size_t)fc->n_expert);
    if ((r = olmoe_ctx_set_expert_mask(h->inner, fc->expert_allowed, fc->n_expert)) != OLMOE_OK) goto fail;
    if ((r = olmoe_ctx_eval(h->inner, fc->tokens, fc->n, fc->logits_all)) != OLMOE_OK) goto fail;
    rows = fc->logits_all ? fc->n : 1;
    for (i = 0; i < rows; i++)
        memcpy(fc->logits + (size_t)i * h->n_vocab, olmoe_ctx_logits(h->inner, fc->logits_all ? i : -1), (size_t)h->n_vocab * 4);
    return OLMOE_OK;
fail:
    snprintf(err, en, "inner: %s", olmoe_ctx_last_error(h->inner));
    return r;
}

typedef struct { char buf[16384]; size_t n; } sink;
static int on_text(const char *t, size_t n, void *user) {
    sink *s = (sink *)user;
    if (s->n + n < sizeof s->buf) { memcpy(s->buf + s->n, t, n); s->n += n; s->buf[s->n] = 0; }
    return 1;
}

/* olmoe_generate appending to what c holds; text into s (cleared first) */
static olmoe_result gen(olmoe_ctx *c, const char *prompt, float temp, uint64_t seed, int n, sink *s, olmoe_gen_stats *st) {
    olmoe_gen_params gp = olmoe_gen_default_params();
    gp.sampling.temperature = temp;
    gp.sampling.seed = seed;
    gp.n_predict = n;
    gp.ignore_eos = 1;
    gp.on_text = on_text;
    gp.user = s;
    memset(s, 0, sizeof *s);
    return olmoe_generate(c, prompt, &gp, st);
}

static int same_state(olmoe_ctx *a, olmoe_ctx *b) {
    return olmoe_ctx_pos(a) == olmoe_ctx_pos(b) &&
           !memcmp(olmoe_ctx_tokens(a), olmoe_ctx_tokens(b), (size_t)olmoe_ctx_pos(a) * 4);
}

static int route_calls;
static void count_route(const olmoe_route_info *ri, void *user) { (void)ri; (void)user; route_calls++; }

int main(int argc, char **argv) {
    char err[512];
    olmoe_model *m;
    olmoe_ctx *plain, *hooked, *inner;
    const olmoe_config *cf;
    hook h;
    sink sp, sh;
    olmoe_gen_stats stp, sth;
    olmoe_result rp, rh;
    int32_t ids[64];
    float lpp[32], lph[32];
    double sump = 0, sumh = 0;
    int gp_ = 0, gh = 0, n, i, V;
    if (argc < 2) { fprintf(stderr, "usage: test_forward_hook MODEL.gguf\n"); return 2; }
    if (olmoe_model_load(argv[1], NULL, &m, err, sizeof err) != OLMOE_OK) { CHECK(0, "load %s: %s", argv[1], err); return t_finish(); }
    cf = olmoe_model_config(m);
    V = cf->n_vocab;
    /* small batches on the plain and inner contexts, so the hook's one call per eval is checked
       against the header's own batch split too */
    plain = t_ctx(m, 256, 2, 7, OLMOE_KERNELS_AUTO, OLMOE_TYPE_F32);
    inner = t_ctx(m, 256, 2, 5, OLMOE_KERNELS_AUTO, OLMOE_TYPE_F32);
    hooked = t_ctx(m, 256, 1, 1, OLMOE_KERNELS_AUTO, OLMOE_TYPE_F32);
    if (!plain || !inner || !hooked) { CHECK(0, "contexts"); return t_finish(); }
    memset(&h, 0, sizeof h);
    h.inner = inner;
    h.n_vocab = V;
    /* installing empties the context */
    ids[0] = 1; ids[1] = 2;
    olmoe_ctx_eval(hooked, ids, 2, 0);
    olmoe_ctx_set_forward(hooked, fwd, &h);
    CHECK(olmoe_ctx_pos(hooked) == 0 && olmoe_ctx_logits(hooked, -1) == NULL, "installing the hook empties the context");
    olmoe_ctx_set_route_callback(hooked, count_route, NULL, 0);

    /* greedy, then seeded sampling: same text, same tokens in the context */
    rp = gen(plain, "It is a truth universally acknowledged", 0.0f, 1, 40, &sp, &stp);
    rh = gen(hooked, "It is a truth universally acknowledged", 0.0f, 1, 40, &sh, &sth);
    CHECK(rp == OLMOE_OK && rh == OLMOE_OK && sp.n > 0 && sp.n == sh.n && !memcmp(sp.buf, sh.buf, sp.n) && same_state(plain, hooked),
          "greedy generate through the hook is byte-identical (%zu bytes, %d tokens in the context)", sh.n, olmoe_ctx_pos(hooked));
    CHECK(h.calls == 1 + sth.n_gen && h.max_n == sth.n_prompt && route_calls == 0,
          "one hook call per eval (%d calls: a %d-token prompt in one, then one per token), route callback not called",
          h.calls, sth.n_prompt);
    olmoe_ctx_truncate(plain, 0);
    olmoe_ctx_truncate(hooked, 0);
    i = h.drops;
    rp = gen(plain, "She said", 0.9f, 1234, 48, &sp, &stp);
    rh = gen(hooked, "She said", 0.9f, 1234, 48, &sh, &sth);
    CHECK(rp == OLMOE_OK && rh == OLMOE_OK && sp.n > 0 && sp.n == sh.n && !memcmp(sp.buf, sh.buf, sp.n) && same_state(plain, hooked),
          "seeded sampling (temp 0.9, seed 1234) through the hook is byte-identical");
    CHECK(h.drops == i + 1 && h.last_pos + h.last_n == olmoe_ctx_pos(hooked) && olmoe_ctx_pos(inner) == olmoe_ctx_pos(hooked),
          "the hook saw truncate(0) as a call at position 0 and holds what the context holds (%d)", olmoe_ctx_pos(inner));

    /* chat-style turns: each turn appends to the cached conversation, then one is redone after a
       truncate (the chat's reset/edit) */
    {
        static const char *turns[] = {"<|user|>\nHow do you do?\n<|assistant|>\n", "<|user|>\nAnd your sister?\n<|assistant|>\n",
                                      "<|user|>\nTell me of Bath.\n<|assistant|>\n"};
        int t, ok = 1, keep = 0, calls0;
        olmoe_ctx_truncate(plain, 0);
        olmoe_ctx_truncate(hooked, 0);
        for (t = 0; t < 3; t++) {
            if (t == 2) keep = olmoe_ctx_pos(plain);
            rp = gen(plain, turns[t], 0.7f, 99 + (uint64_t)t, 20, &sp, &stp);
            rh = gen(hooked, turns[t], 0.7f, 99 + (uint64_t)t, 20, &sh, &sth);
            ok &= rp == OLMOE_OK && rh == OLMOE_OK && sp.n == sh.n && !memcmp(sp.buf, sh.buf, sp.n) && same_state(plain, hooked);
            ok &= sth.n_prompt == stp.n_prompt;
        }
        CHECK(ok, "three chat turns, each reusing the cached conversation, are byte-identical (%d tokens)", olmoe_ctx_pos(hooked));
        /* redo the last turn: truncate to before it and generate again */
        olmoe_ctx_truncate(plain, keep);
        olmoe_ctx_truncate(hooked, keep);
        calls0 = h.resyncs;
        rp = gen(plain, turns[2], 0.7f, 7, 20, &sp, &stp);
        rh = gen(hooked, turns[2], 0.7f, 7, 20, &sh, &sth);
        CHECK(rp == OLMOE_OK && rh == OLMOE_OK && sp.n == sh.n && !memcmp(sp.buf, sh.buf, sp.n) && same_state(plain, hooked) &&
              h.resyncs == calls0 && olmoe_ctx_pos(inner) == olmoe_ctx_pos(hooked),
              "a turn redone after truncate(%d) is byte-identical, the hook dropping its cache past %d (no rebuild)", keep, keep);
    }

    /* score: the same log-likelihoods, bit for bit */
    {
        const char *text = "It is a truth universally acknowledged, that a single man in possession of a good fortune";
        n = olmoe_tokenize(m, text, strlen(text), ids, 64, 0);
    }
    if (n > 40) n = 40;
    rp = olmoe_ctx_score(plain, ids, 6, ids + 6, n - 6, lpp, &sump, &gp_);
    rh = olmoe_ctx_score(hooked, ids, 6, ids + 6, n - 6, lph, &sumh, &gh);
    CHECK(n > 8 && rp == OLMOE_OK && rh == OLMOE_OK && sump == sumh && gp_ == gh && !memcmp(lpp, lph, (size_t)(n - 6) * 4) &&
          h.last_pos == 5 && h.last_n == n - 6,
          "olmoe_ctx_score through the hook: the same %d log-probs bit for bit (sum %.6f)", n - 6, sumh);

    /* opt-out: the mask travels with every call and changes the result as on the plain context */
    if (cf->n_expert >= 4) {
        const float *a, *b;
        float *unmasked = (float *)malloc((size_t)V * 4);
        olmoe_ctx_truncate(hooked, 0);
        olmoe_ctx_eval(hooked, ids, n, 0);
        memcpy(unmasked, olmoe_ctx_logits(hooked, -1), (size_t)V * 4);
        rp = olmoe_ctx_opt_out(plain, "1,3");
        rh = olmoe_ctx_opt_out(hooked, "1,3");
        olmoe_ctx_truncate(plain, 0);
        olmoe_ctx_truncate(hooked, 0);
        olmoe_ctx_eval(plain, ids, n, 0);
        olmoe_ctx_eval(hooked, ids, n, 0);
        a = olmoe_ctx_logits(plain, -1);
        b = olmoe_ctx_logits(hooked, -1);
        CHECK(rp == OLMOE_OK && rh == OLMOE_OK && a && b && !memcmp(a, b, (size_t)V * 4) && memcmp(b, unmasked, (size_t)V * 4) &&
              h.n_expert == cf->n_expert && !h.mask[1] && !h.mask[3] && h.mask[0] && h.mask[2],
              "opt-out 1,3 reaches the hook as the mask and gives the plain context's logits (which the mask changed)");
        olmoe_ctx_opt_out(plain, "");
        olmoe_ctx_opt_out(hooked, "");
        free(unmasked);
    }

    /* the header's argument checks come before the hook */
    {
        int calls0 = h.calls, pos0;
        int32_t bad[2] = {1, V};
        olmoe_ctx_truncate(hooked, 0);
        olmoe_ctx_eval(hooked, ids, 4, 0);
        pos0 = olmoe_ctx_pos(hooked);
        calls0 = h.calls;
        rh = olmoe_ctx_eval(hooked, bad, 2, 0);
        CHECK(rh == OLMOE_ERR_TOKEN && h.calls == calls0 && olmoe_ctx_pos(hooked) == pos0, "an out-of-range token is refused before the hook");
        rh = olmoe_ctx_eval(hooked, ids, 0, 0);
        CHECK(rh == OLMOE_ERR_INVALID_ARG && h.calls == calls0, "an empty eval is refused before the hook");
        {
            int32_t *many = (int32_t *)calloc(300, 4);
            rh = olmoe_ctx_eval(hooked, many, 300, 0);
            CHECK(rh == OLMOE_ERR_CONTEXT_FULL && h.calls == calls0 && olmoe_ctx_pos(hooked) == pos0, "a full context is refused before the hook");
            free(many);
        }
        /* the hook's error is the eval's, with its message; the context keeps its position */
        h.fail_next = 1;
        rh = olmoe_ctx_eval(hooked, ids + 4, 3, 0);
        CHECK(rh == OLMOE_ERR_IO && strstr(olmoe_ctx_last_error(hooked), "device lost (test hook)") && olmoe_ctx_pos(hooked) == pos0 &&
              olmoe_ctx_logits(hooked, -1) == NULL,
              "a hook error is the eval's (%s: \"%s\"), position kept, no logits", olmoe_result_str(rh), olmoe_ctx_last_error(hooked));
        /* and the next eval goes on from there: same logits as the plain context */
        olmoe_ctx_truncate(plain, 0);
        olmoe_ctx_eval(plain, ids, 7, 0);
        rh = olmoe_ctx_eval(hooked, ids + 4, 3, 0);
        CHECK(rh == OLMOE_OK && same_state(plain, hooked) && !memcmp(olmoe_ctx_logits(plain, -1), olmoe_ctx_logits(hooked, -1), (size_t)V * 4),
              "after the error the next eval continues and matches the plain context");
        /* an error inside the hook during generate is generate's */
        olmoe_ctx_truncate(hooked, 0);
        h.fail_next = 1;
        rh = gen(hooked, "Hello", 0.0f, 1, 8, &sh, &sth);
        CHECK(rh == OLMOE_ERR_IO && strstr(olmoe_ctx_last_error(hooked), "device lost"), "a hook error during olmoe_generate is its result");
        /* the hook lost its cache (a device reset): it rebuilds from history */
        olmoe_ctx_truncate(hooked, 0);
        olmoe_ctx_eval(hooked, ids, 5, 0);
        olmoe_ctx_truncate(inner, 0);
        calls0 = h.resyncs;
        olmoe_ctx_eval(hooked, ids + 5, 2, 0);
        CHECK(h.resyncs == calls0 + 1 && !memcmp(olmoe_ctx_logits(plain, -1), olmoe_ctx_logits(hooked, -1), (size_t)V * 4),
              "history lets a hook rebuild a lost cache (same logits)");
    }

    /* removing the hook: empty context, the header's own forward pass again */
    {
        int calls0 = h.calls;
        olmoe_ctx_set_forward(hooked, NULL, NULL);
        olmoe_ctx_set_route_callback(hooked, NULL, NULL, 0);
        CHECK(olmoe_ctx_pos(hooked) == 0, "removing the hook empties the context");
        olmoe_ctx_eval(hooked, ids, 7, 0);
        CHECK(h.calls == calls0 && !memcmp(olmoe_ctx_logits(plain, -1), olmoe_ctx_logits(hooked, -1), (size_t)V * 4),
              "without the hook the context runs its own forward pass (same logits, hook not called)");
    }
    olmoe_ctx_free(hooked);
    olmoe_ctx_free(inner);
    olmoe_ctx_free(plain);
    olmoe_model_free(m);
    return t_finish();
}
