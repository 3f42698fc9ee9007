/* One model, several contexts in several threads: each thread's logits are bit-identical to
   the same work done serially in one thread (the contract: a model is immutable after load and
   may be shared; there is no global state). Run it under TSan too (make test-tsan).

   usage: test_concurrency [MODEL.gguf ...]     (default tests/data/bad/ok_f32.gguf)

   Four jobs, each on its own context: different token sequences; one with an expert mask; one
   with a 2-thread pool inside its context; one with a routing-trace callback; evals mixing a
   batch with logits for every position, single tokens and a truncate-and-redo. Every job runs
   once serially (the reference), then all four run at once in four pthreads, twice over. */
#include "../olmoe.h"
#include "test.h"
#include <pthread.h>

#define N_JOBS 4
#define SEQ 12
#define ROUNDS 2

typedef struct job {
    const olmoe_model *m;
    int id, n_threads, use_mask, use_trace;
    int32_t toks[SEQ];
    float *out;              /* (SEQ + 2) rows of n_vocab logits */
    int32_t *trace;          /* routing trace: layer*SEQ*K chosen experts, in callback order */
    int n_trace, cap_trace;
    olmoe_result r;
    char err[256];
} job;

static void on_route(const olmoe_route_info *ri, void *user) {
    job *j = (job *)user;
    int k;
    for (k = 0; k < ri->n_used && j->n_trace < j->cap_trace; k++) j->trace[j->n_trace++] = ri->experts[k] * 1000 + ri->layer * 100 + ri->pos;
}

static void run_job(job *j) {
    const olmoe_config *cf = olmoe_model_config(j->m);
    int V = cf->n_vocab, rows = 0, i;
    olmoe_ctx *c = NULL;
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    cp.n_ctx = 32;
    cp.n_threads = j->n_threads;
    cp.n_batch = j->id == 3 ? 3 : 0;  /* job 3 splits its batches */
    j->n_trace = 0;
    j->r = olmoe_ctx_create(j->m, &cp, &c, j->err, sizeof j->err);
    if (j->r != OLMOE_OK) return;
    if (j->use_mask) {
        uint8_t *mask = (uint8_t *)malloc((size_t)cf->n_expert);
        memset(mask, 1, (size_t)cf->n_expert);
        mask[1 % cf->n_expert] = 0;
        if (cf->n_expert > 2) mask[cf->n_expert - 1] = 0;
        j->r = olmoe_ctx_set_expert_mask(c, mask, cf->n_expert);
        free(mask);
        if (j->r != OLMOE_OK) goto done;
    }
    if (j->use_trace) olmoe_ctx_set_route_callback(c, on_route, j, 1);
    /* the first 6 tokens at once, logits for every position */
    j->r = olmoe_ctx_eval(c, j->toks, 6, 1);
    if (j->r != OLMOE_OK) goto done;
    for (i = 0; i < 6; i++) memcpy(j->out + (size_t)(rows++) * V, olmoe_ctx_logits(c, i), sizeof(float) * (size_t)V);
    /* then one by one */
    for (i = 6; i < SEQ; i++) {
        j->r = olmoe_ctx_eval(c, j->toks + i, 1, 0);
        if (j->r != OLMOE_OK) goto done;
        memcpy(j->out + (size_t)(rows++) * V, olmoe_ctx_logits(c, -1), sizeof(float) * (size_t)V);
    }
    /* forget the last 4 and redo them as one batch, and an out-of-range token that changes nothing */
    j->r = olmoe_ctx_truncate(c, SEQ - 4);
    if (j->r == OLMOE_OK) j->r = olmoe_ctx_eval(c, j->toks + SEQ - 4, 4, 0);
    if (j->r != OLMOE_OK) goto done;
    memcpy(j->out + (size_t)(rows++) * V, olmoe_ctx_logits(c, -1), sizeof(float) * (size_t)V);
    {
        int32_t bad = V;
        if (olmoe_ctx_eval(c, &bad, 1, 0) != OLMOE_ERR_TOKEN) { j->r = OLMOE_ERR_INVALID_ARG; goto done; }
    }
    memcpy(j->out + (size_t)(rows++) * V, olmoe_ctx_logits(c, -1), sizeof(float) * (size_t)V);
done:
    olmoe_ctx_free(c);
}

static void *thread_main(void *p) {
    run_job((job *)p);
    return NULL;
}

static void setup(job *j, const olmoe_model *m, int id) {
    const olmoe_config *cf = olmoe_model_config(m);
    int i, V = cf->n_vocab;
    memset(j, 0, sizeof *j);
    j->m = m;
    j->id = id;
    j->n_threads = id == 2 ? 2 : 1;
    j->use_mask = id == 1;
    j->use_trace = id == 3;
    for (i = 0; i < SEQ; i++) j->toks[i] = (int32_t)((i * 7 + id * 13 + (i * i * (id + 1))) % V);
    j->out = (float *)calloc((size_t)(SEQ + 2) * (size_t)V, sizeof(float));
    j->cap_trace = cf->n_layer * (SEQ + 4) * cf->n_expert_used;
    j->trace = (int32_t *)calloc((size_t)j->cap_trace + 1, sizeof(int32_t));
}

static void test_model(const char *path) {
    olmoe_model *m = NULL;
    char err[512];
    job ref[N_JOBS], par[N_JOBS];
    int i, round, V;
    size_t rowbytes;
    if (olmoe_model_load(path, NULL, &m, err, sizeof err) != OLMOE_OK) { CHECK(0, "load %s: %s", path, err); return; }
    V = olmoe_model_config(m)->n_vocab;
    rowbytes = sizeof(float) * (size_t)V * (SEQ + 2);
    for (i = 0; i < N_JOBS; i++) {
        setup(&ref[i], m, i);
        run_job(&ref[i]);
        CHECK(ref[i].r == OLMOE_OK, "%s: job %d serially: %s", path, i, ref[i].r == OLMOE_OK ? "ok" : ref[i].err);
    }
    /* the jobs differ from each other (different tokens, a mask), else the test proves little */
    CHECK(memcmp(ref[0].out, ref[1].out, rowbytes) != 0 && memcmp(ref[0].out, ref[2].out, rowbytes) != 0,
          "%s: the jobs compute different logits", path);
    for (round = 0; round < ROUNDS; round++) {
        pthread_t th[N_JOBS];
        int started[N_JOBS];
        for (i = 0; i < N_JOBS; i++) setup(&par[i], m, i);
        for (i = 0; i < N_JOBS; i++) started[i] = pthread_create(&th[i], NULL, thread_main, &par[i]) == 0;
        for (i = 0; i < N_JOBS; i++) if (started[i]) pthread_join(th[i], NULL);
        for (i = 0; i < N_JOBS; i++) {
            CHECK(started[i] && par[i].r == OLMOE_OK && memcmp(par[i].out, ref[i].out, rowbytes) == 0,
                  "%s: round %d, job %d (%d threads%s%s) in parallel: logits bit-identical to serial", path, round, i,
                  par[i].n_threads, par[i].use_mask ? ", expert mask" : "", par[i].use_trace ? ", route trace" : "");
            if (par[i].use_trace)
                CHECK(par[i].n_trace == ref[i].n_trace && par[i].n_trace > 0 &&
                      memcmp(par[i].trace, ref[i].trace, sizeof(int32_t) * (size_t)par[i].n_trace) == 0,
                      "%s: round %d, job %d: routing trace (%d entries) identical to serial", path, round, i, par[i].n_trace);
            free(par[i].out);
            free(par[i].trace);
        }
    }
    for (i = 0; i < N_JOBS; i++) { free(ref[i].out); free(ref[i].trace); }
    olmoe_model_free(m);
}

int main(int argc, char **argv) {
    int i;
    if (argc < 2) test_model("tests/data/bad/ok_f32.gguf");
    for (i = 1; i < argc; i++) test_model(argv[i]);
    return t_finish();
}
