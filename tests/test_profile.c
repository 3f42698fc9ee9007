/* The per-phase profile of the forward pass (olmoe_ctx_set_profile / olmoe_ctx_profile).

   test_profile FIXTURE_DIR     (build/fixtures: olmoe_b-q8_0, olmoe_a-q4_0, flex_a-f32)

   On every kernel path, at 1 and 2 threads: profiling on gives the same logits bit for bit as
   off; off, every counter stays zero (no phase was timed, so no clock was read); the bytes each
   phase reports for one decode token are the tensor sizes computed here from the file's shapes and
   types (a block-size table of its own) and add up to olmoe_model_bytes_per_token, what
   `olmoe bench` reports; attention's are the K/V cache rows read; call counts follow n_layer; an
   expert mask and a batch change the counts as they should. No timing is asserted (noisy), only
   the structure: phases lie inside the eval time, waits inside their phases. */
#include "../olmoe.h"
#include "test.h"

/* Bytes of a row of n elements, from GGUF's block layouts (not the library's table). */
static uint64_t row_bytes(int type, int64_t n) {
    switch (type) {
    case OLMOE_TYPE_F32: return (uint64_t)n * 4;
    case OLMOE_TYPE_F16: case OLMOE_TYPE_BF16: return (uint64_t)n * 2;
    case OLMOE_TYPE_Q8_0: return (uint64_t)n / 32 * 34;   /* fp16 scale + 32 int8 */
    case OLMOE_TYPE_Q4_0: return (uint64_t)n / 32 * 18;   /* fp16 scale + 16 bytes of nibbles */
    case OLMOE_TYPE_Q6_K: return (uint64_t)n / 256 * 210;
    default: return 0;
    }
}
/* Bytes of a named tensor from its shape and type; checks the file's nbytes agrees. */
static uint64_t tensor_bytes(const olmoe_model *m, const char *name) {
    olmoe_tensor_info ti;
    uint64_t b;
    int i = olmoe_model_find_tensor(m, name), k;
    if (i < 0 || olmoe_model_tensor(m, i, &ti) != OLMOE_OK) { CHECK(0, "tensor %s present", name); return 0; }
    b = row_bytes(ti.type, ti.ne[0]);
    for (k = 1; k < ti.n_dims; k++) b *= (uint64_t)ti.ne[k];
    if (b != ti.nbytes) CHECK(0, "%s: %llu bytes from its shape, %llu in the file", name, (unsigned long long)b, (unsigned long long)ti.nbytes);
    return b;
}

typedef struct expect { uint64_t b[OLMOE_PHASE_COUNT]; } expect;
/* One decode token's bytes per phase with n_allowed experts allowed (top-K of them used), the
   token at position pos (it reads pos + 1 cached K and V rows of es-byte elements). */
static void expected(const olmoe_model *m, int n_allowed, int pos, int es, expect *e) {
    const olmoe_config *cf = olmoe_model_config(m);
    int l, K = n_allowed < cf->n_expert_used ? n_allowed : cf->n_expert_used;
    char nm[96];
    memset(e, 0, sizeof *e);
    e->b[OLMOE_PHASE_EMBED] = tensor_bytes(m, "token_embd.weight") / (uint64_t)cf->n_vocab;
    e->b[OLMOE_PHASE_HEAD] = tensor_bytes(m, "output.weight");
    for (l = 0; l < cf->n_layer; l++) {
        /* one T per statement: the name buffer is shared */
#define T(s) (snprintf(nm, sizeof nm, "blk.%d.%s.weight", l, s), tensor_bytes(m, nm))
        e->b[OLMOE_PHASE_QKV] += T("attn_q");
        e->b[OLMOE_PHASE_QKV] += T("attn_k");
        e->b[OLMOE_PHASE_QKV] += T("attn_v");
        e->b[OLMOE_PHASE_ATTN_OUT] += T("attn_output");
        e->b[OLMOE_PHASE_ROUTER] += T("ffn_gate_inp") / (uint64_t)cf->n_expert * (uint64_t)n_allowed;
        e->b[OLMOE_PHASE_GATE_UP] += T("ffn_gate_exps") / (uint64_t)cf->n_expert * (uint64_t)K;
        e->b[OLMOE_PHASE_GATE_UP] += T("ffn_up_exps") / (uint64_t)cf->n_expert * (uint64_t)K;
        e->b[OLMOE_PHASE_DOWN] += T("ffn_down_exps") / (uint64_t)cf->n_expert * (uint64_t)K;
#undef T
    }
    e->b[OLMOE_PHASE_ATTENTION] = 2ull * (uint64_t)cf->n_layer * (uint64_t)(pos + 1) * (uint64_t)cf->n_head_kv * (uint64_t)cf->head_dim * (uint64_t)es;
}

static int all_zero(const olmoe_profile *p) {
    static const olmoe_profile z;
    return !memcmp(p, &z, sizeof z);
}

/* Structure of one profile: counts, bytes against e, times nested. */
static void check_profile(const char *what, const olmoe_profile *p, const olmoe_config *cf, const expect *e,
                          uint64_t evals, uint64_t tokens, int heads) {
    int k, ok_b = 1, ok_c = 1, ok_t = 1, nl = cf->n_layer;
    double sum = 0;
    for (k = 0; k < OLMOE_PHASE_COUNT; k++) {
        const olmoe_profile_phase *q = &p->phase[k];
        uint64_t want_calls = k == OLMOE_PHASE_EMBED ? evals : k == OLMOE_PHASE_OUT_NORM || k == OLMOE_PHASE_HEAD ? (uint64_t)heads
                            : k == OLMOE_PHASE_QUANT ? (uint64_t)(4 * nl) * evals + (uint64_t)heads : (uint64_t)nl * evals;
        if (q->bytes != e->b[k]) {
            ok_b = 0;
            printf("     %s: %s read %llu bytes, expected %llu\n", what, olmoe_phase_name(k), (unsigned long long)q->bytes, (unsigned long long)e->b[k]);
        }
        if (q->calls != want_calls) {
            ok_c = 0;
            printf("     %s: %s ran %llu times, expected %llu\n", what, olmoe_phase_name(k), (unsigned long long)q->calls, (unsigned long long)want_calls);
        }
        if (!(q->seconds >= 0 && q->wait_seconds >= 0 && q->wait_seconds <= q->seconds)) ok_t = 0;
        sum += q->seconds;
    }
    CHECK(ok_b, "%s: bytes per phase are the tensor sizes (and K/V rows) read", what);
    CHECK(ok_c, "%s: call counts (%d layers, %llu evals, %d heads)", what, nl, (unsigned long long)evals, heads);
    CHECK(ok_t && sum > 0 && sum <= p->eval_seconds, "%s: phase times >= 0, waits inside their phases, phases inside the eval time (%.3g <= %.3g s)",
          what, sum, p->eval_seconds);
    CHECK(p->evals == evals && p->tokens == tokens, "%s: %llu evals, %llu tokens counted", what, (unsigned long long)p->evals,
          (unsigned long long)p->tokens);
}

static void run_fixture(const char *dir, const char *fx, int kern, int threads, int kv_type) {
    char path[512], what[160];
    olmoe_model *m = NULL;
    olmoe_ctx *a = NULL, *b = NULL;
    const olmoe_config *cf;
    olmoe_profile p;
    expect e;
    int32_t prompt[5] = {1, 7, 42, 3, 11}, tok;
    int i, same = 1, es = kv_type == OLMOE_TYPE_F16 ? 2 : 4;
    uint64_t sumw = 0;
    snprintf(path, sizeof path, "%s/%s.gguf", dir, fx);
    if (olmoe_model_load(path, NULL, &m, what, sizeof what) != OLMOE_OK) { CHECK(0, "load %s: %s", path, what); return; }
    cf = olmoe_model_config(m);
    snprintf(what, sizeof what, "%s %s t%d kv %s", fx, olmoe_kernels_name(kern), threads, es == 2 ? "f16" : "f32");
    a = t_ctx(m, 64, threads, 8, kern, kv_type);
    b = t_ctx(m, 64, threads, 8, kern, kv_type);
    if (!a || !b) { CHECK(0, "%s: contexts", what); goto done; }
    for (i = 0; i < 5; i++) prompt[i] %= cf->n_vocab;

    /* on vs off: same logits, bit for bit, through a prompt and ten decode steps */
    CHECK(olmoe_ctx_set_profile(b, 1) == OLMOE_OK, "%s: set_profile on", what);
    if (olmoe_ctx_eval(a, prompt, 5, 1) != OLMOE_OK || olmoe_ctx_eval(b, prompt, 5, 1) != OLMOE_OK) { CHECK(0, "%s: eval", what); goto done; }
    for (i = 0; i < 5; i++) same &= !memcmp(olmoe_ctx_logits(a, i), olmoe_ctx_logits(b, i), sizeof(float) * (size_t)cf->n_vocab);
    tok = 5;
    for (i = 0; i < 10; i++) {
        if (olmoe_ctx_eval(a, &tok, 1, 0) != OLMOE_OK || olmoe_ctx_eval(b, &tok, 1, 0) != OLMOE_OK) { CHECK(0, "%s: decode", what); goto done; }
        same &= !memcmp(olmoe_ctx_logits(a, -1), olmoe_ctx_logits(b, -1), sizeof(float) * (size_t)cf->n_vocab);
        tok = (tok * 31 + 7) % cf->n_vocab;
    }
    CHECK(same, "%s: profiling on gives the same logits as off (prompt of 5, 10 decode steps)", what);
    olmoe_ctx_profile(a, &p);
    CHECK(all_zero(&p), "%s: off, every counter stays zero (no phase timed, no clock read)", what);
    olmoe_ctx_profile(b, &p);
    CHECK(p.evals == 11 && p.tokens == 15 && p.phase[OLMOE_PHASE_HEAD].calls == 11, "%s: on, 11 evals of 15 tokens counted", what);

    /* one decode token at position 15 */
    olmoe_ctx_set_profile(b, 1);
    if (olmoe_ctx_eval(b, &tok, 1, 0) != OLMOE_OK) { CHECK(0, "%s: decode", what); goto done; }
    olmoe_ctx_profile(b, &p);
    expected(m, cf->n_expert, 15, es, &e);
    check_profile(what, &p, cf, &e, 1, 1, 1);
    for (i = 0; i < OLMOE_PHASE_COUNT; i++) if (i != OLMOE_PHASE_ATTENTION) sumw += p.phase[i].bytes;
    CHECK(sumw == olmoe_model_bytes_per_token(m), "%s: the weight phases add up to olmoe_model_bytes_per_token (%llu = %llu)", what,
          (unsigned long long)sumw, (unsigned long long)olmoe_model_bytes_per_token(m));

    /* off keeps the counters and adds nothing */
    olmoe_ctx_set_profile(b, 0);
    if (olmoe_ctx_eval(b, &tok, 1, 0) != OLMOE_OK) { CHECK(0, "%s: decode", what); goto done; }
    {
        olmoe_profile q;
        olmoe_ctx_profile(b, &q);
        CHECK(!memcmp(&p, &q, sizeof p), "%s: turned off, the counters are kept and not added to", what);
    }

    /* a mask: the router reads the allowed experts' rows, the experts min(K, allowed) experts' */
    if (cf->n_expert > 2) {
        uint8_t allowed[4096];
        int n_allowed = 0;
        for (i = 0; i < cf->n_expert; i++) { allowed[i] = i % 3 != 1; n_allowed += allowed[i]; }
        olmoe_ctx_set_expert_mask(b, allowed, cf->n_expert);
        olmoe_ctx_set_profile(b, 1);
        if (olmoe_ctx_eval(b, &tok, 1, 0) != OLMOE_OK) { CHECK(0, "%s: decode", what); goto done; }
        olmoe_ctx_profile(b, &p);
        expected(m, n_allowed, 17, es, &e);
        check_profile(what, &p, cf, &e, 1, 1, 1);
        olmoe_ctx_set_expert_mask(b, NULL, 0);
    }

    /* a batch of 5 without logits (the head skipped), then one with every position's logits:
       weights read once per batch; token t of a batch at pos0 reads pos0 + t + 1 K/V rows */
    olmoe_ctx_truncate(b, 0);
    olmoe_ctx_set_profile(b, 1);
    if (olmoe_ctx_eval(b, prompt, 5, 0) != OLMOE_OK) { CHECK(0, "%s: batch", what); goto done; }
    olmoe_ctx_profile(b, &p);
    CHECK(p.phase[OLMOE_PHASE_HEAD].calls == 1 && p.phase[OLMOE_PHASE_EMBED].bytes == 5 * tensor_bytes(m, "token_embd.weight") / (uint64_t)cf->n_vocab &&
          p.phase[OLMOE_PHASE_QKV].calls == (uint64_t)cf->n_layer && p.phase[OLMOE_PHASE_ATTENTION].bytes == 15ull * 2 * (uint64_t)(cf->n_layer * cf->n_head_kv * cf->head_dim * es),
          "%s: a batch of 5: one head, 5 embedding rows, one pass over the layers, 1+..+5 cached rows", what);
    CHECK(olmoe_ctx_set_profile(NULL, 1) == OLMOE_ERR_INVALID_ARG && olmoe_ctx_profile(b, NULL) == OLMOE_ERR_INVALID_ARG,
          "%s: NULL context or output refused", what);
done:
    olmoe_ctx_free(a);
    olmoe_ctx_free(b);
    olmoe_model_free(m);
}

int main(int argc, char **argv) {
    static const char *fx[] = {"olmoe_b-q8_0", "olmoe_a-q4_0", "flex_a-f32"};
    int paths[4], np, i, j, k;
    if (argc < 2) { fprintf(stderr, "usage: test_profile FIXTURE_DIR\n"); return 2; }
    for (k = 0, i = 1; k < OLMOE_PHASE_COUNT; k++) i &= olmoe_phase_name(k) != NULL;
    CHECK(i && olmoe_phase_name(-1) == NULL && olmoe_phase_name(OLMOE_PHASE_COUNT) == NULL && !strcmp(olmoe_phase_name(OLMOE_PHASE_HEAD), "head"),
          "every phase has a name; out-of-range indices have none");
    np = t_paths(paths);
    for (i = 0; i < np; i++)
        for (j = 0; j < 3; j++) {
            run_fixture(argv[1], fx[j], paths[i], 1, OLMOE_TYPE_F32);
            run_fixture(argv[1], fx[j], paths[i], 2, j == 0 ? OLMOE_TYPE_F16 : OLMOE_TYPE_F32);
        }
    CHECK(t_fail == 0, "profile: %d kernel paths x %d fixtures x 1 and 2 threads (%d checks)", np, 3, t_pass);
    return t_finish();
}
