/* Hostile input and the API contract.

   usage: test_bad [DIR]        DIR holds the corpus written by gen_bad (default tests/data/bad)

   usage: test_bad [DIR [MODEL]]  MODEL: a model of several MB (the bundled one) for the threaded
                                  validate_weights 2 scan

   1. Every file in DIR/MANIFEST loads (from disk with olmoe_model_load and from memory with
      olmoe_model_load_memory) with exactly the listed olmoe_result and a non-empty message, and
      with validate_weights 2 with the listed check= result (the same by default) and the text
      quoted after `message` in the description in its message; the valid bases load, evaluate, and give the same
      logits on 1 and 2 threads and token by token (every weight type: ok_type_*).
   2. Every prefix of the valid base is OLMOE_ERR_TRUNCATED; every byte of its header set to
      0x00, 0xff or +1 loads or fails cleanly (and, if it loads, evaluates): a deterministic
      mini-fuzz for the sanitizer builds.
   3. The contract's promises: out-of-range tokens and a full context leave the context (and
      its logits) unchanged, the progress callback cancels a load, validate_weights = 0 lets
      NaN norms through, and every public function that takes pointers survives NULL and
      out-of-range arguments (each probe runs in a child process, so one crash is one FAIL). */
#include "../olmoe.h"
#include "test.h"
#include <math.h>
#include <limits.h>
#include <ctype.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *g_dir = "tests/data/bad";

static const struct { const char *name; olmoe_result r; } g_codes[] = {
#define C(x) {#x, x}
    C(OLMOE_OK), C(OLMOE_ERR_INVALID_ARG), C(OLMOE_ERR_IO), C(OLMOE_ERR_OOM), C(OLMOE_ERR_UNSUPPORTED),
    C(OLMOE_ERR_CANCELLED), C(OLMOE_ERR_TRUNCATED), C(OLMOE_ERR_BAD_MAGIC), C(OLMOE_ERR_BAD_VERSION),
    C(OLMOE_ERR_LIMIT), C(OLMOE_ERR_BAD_FORMAT), C(OLMOE_ERR_DUPLICATE), C(OLMOE_ERR_KEY_MISSING),
    C(OLMOE_ERR_KEY_TYPE), C(OLMOE_ERR_BAD_VALUE), C(OLMOE_ERR_TENSOR_MISSING), C(OLMOE_ERR_SHAPE),
    C(OLMOE_ERR_TENSOR_TYPE), C(OLMOE_ERR_TENSOR_RANGE), C(OLMOE_ERR_ALIGNMENT), C(OLMOE_ERR_TOKEN),
    C(OLMOE_ERR_CONTEXT_FULL)
#undef C
};

static int code_of(const char *name, olmoe_result *out) {
    size_t i;
    for (i = 0; i < sizeof g_codes / sizeof g_codes[0]; i++)
        if (!strcmp(g_codes[i].name, name)) { *out = g_codes[i].r; return 1; }
    return 0;
}

static int all_finite(const float *v, int n) {
    int i;
    for (i = 0; i < n; i++) if (!isfinite(v[i])) return 0;
    return 1;
}

static int g_kern = OLMOE_KERNELS_AUTO; /* the kernel path eval_logits uses */

/* Evaluates toks (all at once, or one by one) on a fresh context; copies the last logits. */
static olmoe_result eval_logits(const olmoe_model *m, int n_threads, const int32_t *toks, int n, int one_by_one, float *out) {
    olmoe_ctx *c = NULL;
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    olmoe_result r;
    char err[256];
    int i;
    cp.n_ctx = 16;
    cp.n_threads = n_threads;
    cp.kernels = g_kern;
    r = olmoe_ctx_create(m, &cp, &c, err, sizeof err);
    if (r != OLMOE_OK) return r;
    if (one_by_one) {
        for (i = 0; i < n && r == OLMOE_OK; i++) r = olmoe_ctx_eval(c, toks + i, 1, 0);
    } else {
        r = olmoe_ctx_eval(c, toks, n, 0);
    }
    if (r == OLMOE_OK) memcpy(out, olmoe_ctx_logits(c, -1), sizeof(float) * (size_t)olmoe_model_config(m)->n_vocab);
    olmoe_ctx_free(c);
    return r;
}

/* A model that loaded must evaluate and sample without crashing (its logits may be anything),
   with the best kernels and with the scalar ones (which load in place: UBSan sees misalignment). */
static void smoke_eval(const olmoe_model *m) {
    int k;
    for (k = 0; k < 2; k++) {
        olmoe_ctx *c = NULL;
        olmoe_ctx_params cp = olmoe_ctx_default_params();
        char err[256];
        int32_t t[2] = {0, 1};
        cp.n_ctx = 4;
        cp.n_threads = 1;
        cp.kernels = k ? OLMOE_KERNELS_SCALAR : OLMOE_KERNELS_AUTO;
        if (olmoe_ctx_create(m, &cp, &c, err, sizeof err) != OLMOE_OK) return;
        t[1] = olmoe_model_config(m)->n_vocab > 1 ? 1 : 0;
        if (olmoe_ctx_eval(c, t, 2, 1) == OLMOE_OK) {
            olmoe_sampler s;
            olmoe_sampler_params sp = olmoe_sampler_default_params();
            int32_t id;
            sp.top_k = 3;
            olmoe_sampler_init(&s, &sp);
            id = olmoe_sampler_sample(&s, c, olmoe_ctx_logits(c, -1), t, 2);
            if (id < 0 || id >= olmoe_model_config(m)->n_vocab) CHECK(0, "sampling a loaded model gave %d", (int)id);
        }
        olmoe_ctx_free(c);
    }
}

static void check_valid(const char *file, const char *data, size_t len) {
    olmoe_model *m = NULL;
    char err[512];
    float *a, *b, *c1;
    int V, ok;
    int32_t toks[5] = {1, 5, 2, 9, 3};
    olmoe_model_params mp = olmoe_model_default_params();
    int paths[4], np, p, th;
    if (olmoe_model_load_memory(data, len, NULL, &m, err, sizeof err) != OLMOE_OK) return;
    V = olmoe_model_config(m)->n_vocab;
    a = (float *)malloc(sizeof(float) * (size_t)V);
    b = (float *)malloc(sizeof(float) * (size_t)V);
    c1 = (float *)malloc(sizeof(float) * (size_t)V);
    np = t_paths(paths);
    for (p = 0; p < np; p++) { /* every kernel path this CPU has, each against itself */
        g_kern = paths[p];
        t_tag = olmoe_kernels_name(g_kern);
        ok = eval_logits(m, 1, toks, 5, 0, a) == OLMOE_OK;
        CHECK(ok && all_finite(a, V), "%s: evaluates 5 tokens to finite logits", file);
        for (th = 2; th <= 5; th += 3) {
            ok = eval_logits(m, th, toks, 5, 0, b) == OLMOE_OK;
            CHECK(ok && memcmp(a, b, sizeof(float) * (size_t)V) == 0, "%s: %d threads give bit-identical logits", file, th);
        }
        for (th = 1; th <= 3; th += 2) {
            ok = eval_logits(m, th, toks, 5, 1, c1) == OLMOE_OK;
            CHECK(ok && memcmp(a, c1, sizeof(float) * (size_t)V) == 0, "%s: token by token (%d thread%s) gives bit-identical logits", file, th, th > 1 ? "s" : "");
        }
    }
    g_kern = OLMOE_KERNELS_AUTO;
    t_tag = NULL;
    olmoe_model_free(m);
    mp.vocab_only = 1;
    CHECK(olmoe_model_load_memory(data, len, &mp, &m, err, sizeof err) == OLMOE_OK && olmoe_model_config(m)->n_vocab >= 0,
          "%s: loads vocab-only", file);
    olmoe_model_free(m);
    free(a); free(b); free(c1);
}

static int run_manifest(void) {
    char path[4096], line[1024];
    FILE *f;
    int n = 0, n_bad = 0, seen[64];
    size_t k;
    memset(seen, 0, sizeof seen);
    snprintf(path, sizeof path, "%s/MANIFEST", g_dir);
    f = fopen(path, "r");
    CHECK(f != NULL, "open %s", path);
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        char file[256], code[64], what[700], ccode[64], quote[300], *data, *q;
        olmoe_result want, r1, r2, cwant, r3;
        olmoe_model *m1 = NULL, *m2 = NULL, *m3 = NULL;
        olmoe_model_params mp = olmoe_model_default_params();
        char e1[1024], e2[1024], e3[1024];
        size_t len = 0;
        what[0] = 0;
        if (line[0] == '#' || line[0] == '\n') continue;
        if (sscanf(line, "%255s %63s %699[^\n]", file, code, what) < 2 || !code_of(code, &want)) {
            CHECK(0, "MANIFEST line: %s", line);
            continue;
        }
        cwant = want;
        if (!strncmp(what, "check=", 6)) { /* the result with validate_weights 2, where it differs */
            if (sscanf(what + 6, "%63s", ccode) != 1 || !code_of(ccode, &cwant)) { CHECK(0, "MANIFEST line: %s", line); continue; }
            memmove(what, what + 6 + strlen(ccode), strlen(what + 6 + strlen(ccode)) + 1);
        }
        quote[0] = 0;
        if ((q = strstr(what, "message \"")) != NULL && strchr(q + 9, '"')) snprintf(quote, sizeof quote, "%.*s", (int)(strchr(q + 9, '"') - q - 9), q + 9);
        n++;
        snprintf(path, sizeof path, "%s/%s", g_dir, file);
        data = t_read_file(path, &len);
        if (!data) { CHECK(0, "%s: cannot read", path); continue; }
        strcpy(e1, "");
        strcpy(e2, "");
        r1 = olmoe_model_load(path, NULL, &m1, e1, sizeof e1);
        r2 = olmoe_model_load_memory(len ? data : NULL, len, NULL, &m2, e2, sizeof e2);
        if (want == OLMOE_OK) {
            CHECK(r1 == OLMOE_OK && r2 == OLMOE_OK && m1 && m2, "%s -> disk %s, memory %s (want ok): %s%s", file,
                  olmoe_result_str(r1), olmoe_result_str(r2), e1, e2);
        } else {
            n_bad++;
            for (k = 0; k < sizeof g_codes / sizeof g_codes[0]; k++)
                if (g_codes[k].r == want) seen[k] = 1;
            CHECK(r1 == want && r2 == want && !m1 && !m2 && e1[0] && e2[0], "%s -> disk %s, memory %s (want %s: %s): %s",
                  file, olmoe_result_str(r1), olmoe_result_str(r2), code, what, e2[0] ? e2 : "(no message)");
            CHECK(strstr(e1, file) != NULL, "%s: the disk message names the file", file);
        }
        if (m2) smoke_eval(m2);
        olmoe_model_free(m1);
        olmoe_model_free(m2);
        /* validate_weights 2: every tensor scanned (olmoe --check-tensors) */
        mp.validate_weights = 2;
        e3[0] = 0;
        r3 = olmoe_model_load_memory(len ? data : NULL, len, &mp, &m3, e3, sizeof e3);
        CHECK(r3 == cwant && (r3 == OLMOE_OK) == (m3 != NULL) && (r3 == OLMOE_OK || e3[0]), "%s with validate_weights 2 -> %s (want %s): %s",
              file, olmoe_result_str(r3), olmoe_result_str(cwant), e3);
        if (quote[0]) CHECK(strstr(e3, quote) != NULL, "%s with validate_weights 2 says \"%s\" (%s)", file, quote, e3);
        olmoe_model_free(m3);
        if (want == OLMOE_OK && strncmp(file, "nonfinite_", 10) != 0) check_valid(file, data, len);
        free(data);
    }
    fclose(f);
    {
        int n_codes = 0;
        for (k = 0; k < sizeof seen / sizeof seen[0]; k++) n_codes += seen[k];
        CHECK(n_bad >= 40 && n_codes >= 12, "corpus: %d files, %d malformed, %d distinct error codes", n, n_bad, n_codes);
    }
    return n;
}

/* ---- sweeps over the valid base ---------------------------------------------------------- */
static void sweeps(const char *good, size_t len) {
    char *buf = (char *)malloc(len), err[512];
    size_t cut, i;
    int other = 0, loaded = 0, crashed_msg = 0, ok_after = 0, v;
    olmoe_model *m = NULL;
    for (cut = 0; cut < len; cut++) {
        olmoe_result r = olmoe_model_load_memory(good, cut, NULL, &m, err, sizeof err);
        if (r == OLMOE_OK) { loaded++; olmoe_model_free(m); }
        else if (r != OLMOE_ERR_TRUNCATED) other++;
    }
    CHECK(loaded == 0 && other == 0, "all %lu prefixes of ok_f32 give OLMOE_ERR_TRUNCATED (%d loaded, %d other codes)",
          (unsigned long)len, loaded, other);
    /* header bytes: the tables before the data section */
    {
        size_t hdr = len;
        {
            olmoe_tensor_info ti;
            olmoe_model_load_memory(good, len, NULL, &m, err, sizeof err);
            if (m && olmoe_model_tensor(m, 0, &ti) == OLMOE_OK) hdr = (size_t)ti.offset;
            olmoe_model_free(m);
        }
        loaded = 0;
        for (i = 0; i < hdr; i++) {
            static const int how[3] = {0, 1, 2};
            for (v = 0; v < 3; v++) {
                olmoe_result r;
                memcpy(buf, good, len);
                buf[i] = how[v] == 0 ? 0 : how[v] == 1 ? (char)0xff : (char)(buf[i] + 1);
                if (buf[i] == good[i]) continue;
                err[0] = 0;
                r = olmoe_model_load_memory(buf, len, NULL, &m, err, sizeof err);
                if (r == OLMOE_OK) {
                    loaded++;
                    smoke_eval(m);
                    olmoe_model_free(m);
                    ok_after++;
                } else if (!err[0] || r > 0 || !strcmp(olmoe_result_str(r), "unknown error")) {
                    crashed_msg++;
                }
            }
        }
        CHECK(crashed_msg == 0, "every byte of the %lu-byte header set to 0, 0xff, +1: clean errors with messages (%d still load and evaluate, %d without message)",
              (unsigned long)hdr, ok_after, crashed_msg);
    }
    free(buf);
}

/* ---- contract ------------------------------------------------------------------------------ */
static int g_progress_calls;
static float g_progress_last;
static int g_progress_monotonic = 1;
static int cancel_at_half(float f, void *user) {
    (void)user;
    g_progress_calls++;
    if (f < g_progress_last || f > 1.0f) g_progress_monotonic = 0;
    g_progress_last = f;
    return f < 0.5f;
}
static int keep_going(float f, void *user) {
    (void)user;
    g_progress_calls++;
    if (f < g_progress_last || f > 1.0f) g_progress_monotonic = 0;
    g_progress_last = f;
    return 1;
}

static void contract(const char *good, size_t len, const char *good_path) {
    olmoe_model *m = NULL;
    olmoe_ctx *c = NULL;
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    olmoe_model_params mp = olmoe_model_default_params();
    char err[512];
    int V, i;
    float *before;
    int32_t t[4] = {1, 2, 3, 4};
    olmoe_result r;

    /* progress and cancellation */
    mp.progress = cancel_at_half;
    r = olmoe_model_load_memory(good, len, &mp, &m, err, sizeof err);
    CHECK(r == OLMOE_ERR_CANCELLED && m == NULL && err[0], "progress callback returning 0 cancels the load: %s", err);
    g_progress_calls = 0; g_progress_last = 0;
    mp.progress = keep_going;
    r = olmoe_model_load(good_path, &mp, &m, err, sizeof err);
    CHECK(r == OLMOE_OK && g_progress_calls > 0 && g_progress_monotonic && g_progress_last == 1.0f,
          "progress is called (%d times), monotonic, ends at 1", g_progress_calls);
    olmoe_model_free(m);
    mp.progress = cancel_at_half;
    r = olmoe_model_load(good_path, &mp, &m, err, sizeof err);
    CHECK(r == OLMOE_ERR_CANCELLED && m == NULL, "cancelled load from disk: %s", err);

    r = olmoe_model_load_memory(good, len, NULL, &m, err, sizeof err);
    CHECK(r == OLMOE_OK, "base loads");
    if (r != OLMOE_OK) return;
    V = olmoe_model_config(m)->n_vocab;
    before = (float *)malloc(sizeof(float) * (size_t)V);
    cp.n_ctx = 4;
    cp.n_threads = 1;
    CHECK(olmoe_ctx_create(m, &cp, &c, err, sizeof err) == OLMOE_OK, "ctx n_ctx 4");
    CHECK(olmoe_ctx_eval(c, t, 2, 0) == OLMOE_OK, "eval 2 tokens");
    memcpy(before, olmoe_ctx_logits(c, -1), sizeof(float) * (size_t)V);
    {
        int32_t bad[3] = {3, V, 1};
        CHECK(olmoe_ctx_eval(c, bad, 3, 0) == OLMOE_ERR_TOKEN &&
              olmoe_ctx_pos(c) == 2 && olmoe_ctx_logits(c, -1) && !memcmp(before, olmoe_ctx_logits(c, -1), sizeof(float) * (size_t)V),
              "token n_vocab -> OLMOE_ERR_TOKEN; position and logits unchanged: %s", olmoe_ctx_last_error(c));
        bad[1] = INT32_MIN;
        CHECK(olmoe_ctx_eval(c, bad, 3, 1) == OLMOE_ERR_TOKEN && olmoe_ctx_pos(c) == 2 &&
              !memcmp(before, olmoe_ctx_logits(c, -1), sizeof(float) * (size_t)V), "token INT32_MIN -> OLMOE_ERR_TOKEN, unchanged");
    }
    CHECK(olmoe_ctx_eval(c, t, 3, 1) == OLMOE_ERR_CONTEXT_FULL && olmoe_ctx_pos(c) == 2 &&
          !memcmp(before, olmoe_ctx_logits(c, -1), sizeof(float) * (size_t)V),
          "3 tokens into 2 free slots -> OLMOE_ERR_CONTEXT_FULL, unchanged: %s", olmoe_ctx_last_error(c));
    CHECK(olmoe_ctx_eval(c, t, 2, 1) == OLMOE_OK && olmoe_ctx_pos(c) == 4, "2 tokens fill the context");
    CHECK(olmoe_ctx_eval(c, t, 1, 0) == OLMOE_ERR_CONTEXT_FULL && olmoe_ctx_pos(c) == 4, "a full context refuses one more");
    CHECK(olmoe_ctx_logits(c, 2) == NULL && olmoe_ctx_logits(c, -3) == NULL && olmoe_ctx_logits(c, INT_MIN) == NULL &&
          olmoe_ctx_logits(c, INT_MAX) == NULL && olmoe_ctx_logits(c, 1) != NULL, "logits index out of range -> NULL");
    CHECK(olmoe_ctx_truncate(c, 5) == OLMOE_ERR_INVALID_ARG && olmoe_ctx_truncate(c, -1) == OLMOE_ERR_INVALID_ARG &&
          olmoe_ctx_pos(c) == 4, "truncate beyond the position or negative is refused");
    CHECK(olmoe_ctx_truncate(c, 0) == OLMOE_OK && olmoe_ctx_pos(c) == 0 && olmoe_ctx_logits(c, -1) == NULL, "truncate to 0 clears");
    {
        uint8_t mask[8] = {0, 1, 1, 1, 1, 1, 1, 1};
        CHECK(olmoe_ctx_set_expert_mask(c, mask, 3) == OLMOE_ERR_INVALID_ARG, "mask of the wrong length refused");
        CHECK(olmoe_ctx_set_expert_mask(c, mask, -1) == OLMOE_ERR_INVALID_ARG, "mask of negative length refused");
        CHECK(olmoe_ctx_set_expert_mask(c, mask, olmoe_model_config(m)->n_expert) == OLMOE_OK, "mask of the right length");
        CHECK(olmoe_ctx_set_expert_mask(c, NULL, 0) == OLMOE_OK, "NULL mask allows all");
        CHECK(olmoe_ctx_opt_out(c, "math,3") == OLMOE_OK, "opt out by name and index");
        CHECK(olmoe_ctx_opt_out(c, "") == OLMOE_OK, "empty opt-out list allows all");
        CHECK(olmoe_ctx_opt_out(c, "nosuch") == OLMOE_ERR_INVALID_ARG, "unknown expert name refused: %s", olmoe_ctx_last_error(c));
        CHECK(olmoe_ctx_opt_out(c, "1,,2") == OLMOE_ERR_INVALID_ARG, "empty item refused");
        CHECK(olmoe_ctx_opt_out(c, "99999999999999999999999") == OLMOE_ERR_INVALID_ARG, "huge index refused");
        CHECK(olmoe_ctx_opt_out(c, "-1") == OLMOE_ERR_INVALID_ARG, "negative index refused");
        CHECK(olmoe_ctx_opt_out(c, "0,1,2,3") == OLMOE_ERR_INVALID_ARG, "opting out of every expert refused");
        {
            char longitem[300];
            memset(longitem, 'x', sizeof longitem - 1);
            longitem[sizeof longitem - 1] = 0;
            CHECK(olmoe_ctx_opt_out(c, longitem) == OLMOE_ERR_INVALID_ARG, "overlong item refused");
        }
        CHECK(olmoe_model_expert_index(m, "code") == 1 && olmoe_model_expert_index(m, "") == -1, "expert index by name");
        CHECK(olmoe_model_expert_name(m, 4, NULL, 0) == -1 && olmoe_model_expert_name(m, -1, NULL, 0) == -1 &&
              olmoe_model_expert_name(m, 0, NULL, 0) == 4, "expert name index checks");
    }
    {
        int32_t ctxt[2] = {1, 2}, cont[2] = {3, V};
        double sum = 0;
        CHECK(olmoe_ctx_score(c, ctxt, 2, cont, 2, NULL, &sum, NULL) == OLMOE_ERR_TOKEN, "score with an out-of-range continuation");
        cont[1] = 4;
        ctxt[0] = -7;
        CHECK(olmoe_ctx_score(c, ctxt, 2, cont, 2, NULL, &sum, NULL) == OLMOE_ERR_TOKEN, "score with an out-of-range context token");
        ctxt[0] = 1;
        CHECK(olmoe_ctx_score(c, ctxt, 2, cont, 4, NULL, &sum, NULL) == OLMOE_ERR_CONTEXT_FULL, "score longer than the context");
        CHECK(olmoe_ctx_score(c, ctxt, 2, cont, 2, NULL, &sum, NULL) == OLMOE_OK && isfinite(sum) && sum < 0, "score works: %g", sum);
    }
    olmoe_ctx_free(c);
    c = NULL;
    /* bad context parameters */
    cp = olmoe_ctx_default_params();
    cp.n_threads = 1;
    cp.n_ctx = -1;
    CHECK(olmoe_ctx_create(m, &cp, &c, err, sizeof err) == OLMOE_ERR_INVALID_ARG && !c && err[0], "n_ctx -1 refused: %s", err);
    cp.n_ctx = INT_MAX;
    CHECK(olmoe_ctx_create(m, &cp, &c, err, sizeof err) == OLMOE_ERR_INVALID_ARG && !c, "n_ctx INT_MAX refused: %s", err);
    cp.n_ctx = 4; cp.n_batch = -3;
    CHECK(olmoe_ctx_create(m, &cp, &c, err, sizeof err) == OLMOE_ERR_INVALID_ARG && !c, "n_batch -3 refused");
    cp.n_batch = 0; cp.n_threads = -2;
    CHECK(olmoe_ctx_create(m, &cp, &c, err, sizeof err) == OLMOE_ERR_INVALID_ARG && !c, "n_threads -2 refused");
    cp.n_threads = 1; cp.kernels = 99;
    r = olmoe_ctx_create(m, &cp, &c, err, sizeof err);
    CHECK(r != OLMOE_OK && r != OLMOE_ERR_OOM && !c && err[0], "kernels 99 refused -> %s: %s", olmoe_result_str(r), err);
    cp.kernels = -1;
    r = olmoe_ctx_create(m, &cp, &c, err, sizeof err);
    CHECK(r != OLMOE_OK && r != OLMOE_ERR_OOM && !c && err[0], "kernels -1 refused -> %s: %s", olmoe_result_str(r), err);
    {
        int paths[4], np = t_paths(paths), p;
        for (p = 0; p < np; p++) {
            float a[64], b[64];
            int32_t toks[5] = {1, 5, 2, 9, 3};
            g_kern = cp.kernels = paths[p];
            t_tag = olmoe_kernels_name(g_kern);
            cp.n_batch = 1; cp.n_ctx = 8;
            CHECK(olmoe_ctx_create(m, &cp, &c, err, sizeof err) == OLMOE_OK, "n_batch 1");
            if (!c) continue;
            CHECK(olmoe_ctx_eval(c, toks, 5, 0) == OLMOE_OK && V <= 64, "eval 5 tokens in batches of 1");
            memcpy(a, olmoe_ctx_logits(c, -1), sizeof(float) * (size_t)V);
            CHECK(eval_logits(m, 1, toks, 5, 0, b) == OLMOE_OK && !memcmp(a, b, sizeof(float) * (size_t)V), "n_batch 1 gives the same logits as n_batch 256");
            olmoe_ctx_free(c);
            c = NULL;
        }
        g_kern = cp.kernels = OLMOE_KERNELS_AUTO;
        t_tag = NULL;
    }
    /* vocab-only models cannot evaluate */
    olmoe_model_free(m);
    mp = olmoe_model_default_params();
    mp.vocab_only = 1;
    r = olmoe_model_load_memory(good, len, &mp, &m, err, sizeof err);
    CHECK(r == OLMOE_OK, "vocab-only load");
    if (r == OLMOE_OK) {
        r = olmoe_ctx_create(m, NULL, &c, err, sizeof err);
        CHECK(r != OLMOE_OK && !c && err[0], "ctx on a vocab-only model refused -> %s: %s", olmoe_result_str(r), err);
        CHECK(olmoe_model_bytes_per_token(m) == 0, "vocab-only bytes per token is 0");
        olmoe_model_free(m);
    }
    (void)i;
    free(before);
}

/* validate_weights = 0 lets the NaN/Inf corpus files load (and they still evaluate). */
static void no_validation(void) {
    static const char *const files[] = {"nan_ffn_norm.gguf", "inf_output_norm.gguf", "inf_attn_k_norm.gguf", "inf_router.gguf", "nan_router_q8_0.gguf"};
    size_t i;
    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[4096], err[512];
        olmoe_model *m = NULL;
        olmoe_model_params mp = olmoe_model_default_params();
        olmoe_result r;
        snprintf(path, sizeof path, "%s/%s", g_dir, files[i]);
        mp.validate_weights = 0;
        r = olmoe_model_load(path, &mp, &m, err, sizeof err);
        CHECK(r == OLMOE_OK, "%s loads with validate_weights = 0 (%s)", files[i], olmoe_result_str(r));
        if (m) smoke_eval(m);
        olmoe_model_free(m);
    }
}

/* validate_weights 2 on a model of several MB, so that the scan runs on every core: a NaN scale
   in the last block of the first q8_0 tensor and an Inf one in the first block of the last; the
   message names the first in the tensor table on every run, whichever thread finds what first. */
static void scan_threads(const char *path) {
    size_t len = 0;
    char *data = t_read_file(path, &len), err[512], want[300];
    olmoe_model *m = NULL, *m0 = NULL;  /* m0 owns the names in a and b */
    olmoe_model_params mp = olmoe_model_default_params();
    olmoe_tensor_info a, b, ti;
    int i, n, k, same = 0, reps = 12;
    uint64_t last_block;
    if (!data || olmoe_model_load_memory(data, len, NULL, &m0, err, sizeof err) != OLMOE_OK) {
        CHECK(0, "scan: load %s", path);
        free(data);
        return;
    }
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    n = olmoe_model_n_tensors(m0);
    for (i = 0; i < n; i++)
        if (olmoe_model_tensor(m0, i, &ti) == OLMOE_OK && ti.type == OLMOE_TYPE_Q8_0) { if (!a.name) a = ti; b = ti; }
    CHECK(len >= ((size_t)4 << 20) && a.name && b.name && a.offset < b.offset, "scan: %s has several MB and q8_0 tensors", path);
    if (!a.name || !b.name || a.offset >= b.offset) { olmoe_model_free(m0); free(data); return; }
    mp.validate_weights = 2;
    CHECK(olmoe_model_load_memory(data, len, &mp, &m, err, sizeof err) == OLMOE_OK, "scan: %s passes validate_weights 2: %s", path, err);
    olmoe_model_free(m);
    m = NULL;
    data[b.offset + 1] = (char)0x7c; data[b.offset] = 0;  /* +Inf: the d of b's block 0 */
    snprintf(want, sizeof want, "tensor %s: block 0 has a non-finite scale (d is Inf; row 0)", b.name);
    for (k = 0; k < reps; k++) {
        err[0] = 0;
        same += olmoe_model_load_memory(data, len, &mp, &m, err, sizeof err) == OLMOE_ERR_BAD_VALUE && strstr(err, want);
        olmoe_model_free(m);
        m = NULL;
    }
    CHECK(same == reps, "scan: an Inf scale in the last q8_0 tensor found %d of %d times: %s", same, reps, err);
    last_block = a.nbytes / 34 - 1;
    data[a.offset + last_block * 34] = 0; data[a.offset + last_block * 34 + 1] = (char)0x7e;  /* NaN */
    snprintf(want, sizeof want, "tensor %s: block %llu has a non-finite scale (d is NaN; row %llu)", a.name,
             (unsigned long long)last_block, (unsigned long long)(last_block / (uint64_t)(a.ne[0] / 32)));
    for (same = 0, k = 0; k < reps; k++) {
        err[0] = 0;
        same += olmoe_model_load_memory(data, len, &mp, &m, err, sizeof err) == OLMOE_ERR_BAD_VALUE && strstr(err, want);
        olmoe_model_free(m);
        m = NULL;
    }
    CHECK(same == reps, "scan: with a NaN scale in the first q8_0 tensor too, that one is named %d of %d times: %s", same, reps, err);
    mp.validate_weights = 1;
    CHECK(olmoe_model_load_memory(data, len, &mp, &m, err, sizeof err) == OLMOE_OK, "scan: the default validation does not scan matrices");
    olmoe_model_free(m);
    olmoe_model_free(m0);
    free(data);
}

/* ---- NULL and out-of-range arguments, each in a child process ------------------------------ */
static olmoe_model *P_m;     /* the valid base */
static olmoe_ctx *P_c;       /* a single-threaded context on it (forks keep it usable) */
static const char *P_good;
static size_t P_len;

typedef int (*probe_fn)(void);

static void probe(const char *what, probe_fn fn) {
    pid_t pid;
    int st = 0;
    fflush(stdout);
    pid = fork();
    if (pid < 0) { CHECK(0, "%s: fork failed", what); return; }
    if (pid == 0) {
        int ok = fn();
        fflush(stdout);
        _exit(ok ? 0 : 3);
    }
    if (waitpid(pid, &st, 0) < 0) { CHECK(0, "%s: waitpid failed", what); return; }
    if (WIFSIGNALED(st)) CHECK(0, "%s: CRASHED (signal %d)", what, WTERMSIG(st));
    else if (WEXITSTATUS(st) == 3) CHECK(0, "%s: returned the wrong value", what);
    else CHECK(WEXITSTATUS(st) == 0, "%s%s", what, WEXITSTATUS(st) ? ": sanitizer error (exit status nonzero)" : "");
}

static int p_load_null_path(void) { olmoe_model *m = P_m; return olmoe_model_load(NULL, NULL, &m, NULL, 0) == OLMOE_ERR_INVALID_ARG && !m; }
static int p_load_null_out(void) { char e[64]; return olmoe_model_load("tests/data/bad/ok_f32.gguf", NULL, NULL, e, sizeof e) == OLMOE_ERR_INVALID_ARG; }
static int p_load_null_err(void) { olmoe_model *m; return olmoe_model_load("/nonexistent", NULL, &m, NULL, 0) == OLMOE_ERR_IO && !m; }
static int p_load_err_small(void) { olmoe_model *m; char e[1] = {'x'}; return olmoe_model_load("/nonexistent/x.gguf", NULL, &m, e, 1) == OLMOE_ERR_IO && e[0] == 0; }
static int p_mem_null_data(void) { olmoe_model *m; return olmoe_model_load_memory(NULL, 100, NULL, &m, NULL, 0) == OLMOE_ERR_INVALID_ARG && !m; }
static int p_mem_null_empty(void) { olmoe_model *m; olmoe_result r = olmoe_model_load_memory(NULL, 0, NULL, &m, NULL, 0); return r < 0 && !m; }
static int p_mem_null_out(void) { return olmoe_model_load_memory(P_good, P_len, NULL, NULL, NULL, 0) == OLMOE_ERR_INVALID_ARG; }
static int p_model_free_null(void) { olmoe_model_free(NULL); return 1; }
static int p_model_getters_null(void) {
    olmoe_tensor_info ti;
    char b[8];
    return olmoe_model_config(NULL) == NULL && olmoe_model_n_tensors(NULL) == 0 && olmoe_model_tensor(NULL, 0, &ti) == OLMOE_ERR_INVALID_ARG &&
           olmoe_model_meta_str(NULL, "general.name", b, sizeof b) == -1 && olmoe_model_file_size(NULL) == 0 &&
           olmoe_model_bytes_per_token(NULL) == 0 && olmoe_model_expert_index(NULL, "math") == -1 &&
           olmoe_model_expert_name(NULL, 0, b, sizeof b) == -1;
}
static int p_model_tensor_bad(void) {
    olmoe_tensor_info ti;
    return olmoe_model_tensor(P_m, 0, NULL) == OLMOE_ERR_INVALID_ARG && olmoe_model_tensor(P_m, -1, &ti) == OLMOE_ERR_INVALID_ARG &&
           olmoe_model_tensor(P_m, INT_MAX, &ti) == OLMOE_ERR_INVALID_ARG && olmoe_model_tensor(P_m, olmoe_model_n_tensors(P_m), &ti) == OLMOE_ERR_INVALID_ARG;
}
static int p_meta_str_bad(void) {
    char b[4];
    int n = olmoe_model_meta_str(P_m, "general.name", NULL, 0);
    return olmoe_model_meta_str(P_m, NULL, b, sizeof b) == -1 && n > 0 && olmoe_model_meta_str(P_m, "general.name", b, 0) == n &&
           olmoe_model_meta_str(P_m, "general.name", b, sizeof b) == n && strlen(b) == 3 &&
           olmoe_model_meta_str(P_m, "olmoe.block_count", b, sizeof b) == -1 && olmoe_model_meta_str(P_m, "", b, sizeof b) == -1;
}
static int p_expert_bad(void) {
    char b[2];
    return olmoe_model_expert_index(P_m, NULL) == -1 && olmoe_model_expert_name(P_m, 0, NULL, 0) == 4 &&
           olmoe_model_expert_name(P_m, 0, b, sizeof b) == 4 && b[1] == 0 && olmoe_model_expert_name(P_m, INT_MAX, b, sizeof b) == -1;
}
static int p_ctx_create_null(void) {
    olmoe_ctx *c = (olmoe_ctx *)&c;
    char e[64];
    return olmoe_ctx_create(NULL, NULL, &c, e, sizeof e) == OLMOE_ERR_INVALID_ARG && !c &&
           olmoe_ctx_create(P_m, NULL, NULL, NULL, 0) == OLMOE_ERR_INVALID_ARG;
}
static int p_ctx_free_null(void) { olmoe_ctx_free(NULL); return 1; }
static int p_ctx_getters_null(void) {
    return olmoe_ctx_logits(NULL, 0) == NULL && olmoe_ctx_logits(NULL, -1) == NULL && olmoe_ctx_pos(NULL) == 0 && olmoe_ctx_n_ctx(NULL) == 0 &&
           olmoe_ctx_last_error(NULL) != NULL && olmoe_ctx_kernels(NULL) >= 0 && olmoe_ctx_n_threads(NULL) == 0 &&
           olmoe_ctx_tokens(NULL) == NULL;
}
static int p_eval_null(void) {
    int32_t t = 1;
    return olmoe_ctx_eval(NULL, &t, 1, 0) == OLMOE_ERR_INVALID_ARG && olmoe_ctx_eval(P_c, NULL, 1, 0) == OLMOE_ERR_INVALID_ARG &&
           olmoe_ctx_eval(P_c, &t, 0, 0) == OLMOE_ERR_INVALID_ARG && olmoe_ctx_eval(P_c, &t, -5, 0) == OLMOE_ERR_INVALID_ARG &&
           olmoe_ctx_eval(P_c, &t, INT_MIN, 1) == OLMOE_ERR_INVALID_ARG;
}
static int p_truncate_null(void) { return olmoe_ctx_truncate(NULL, 0) == OLMOE_ERR_INVALID_ARG; }
static int p_mask_null(void) {
    uint8_t mk[4] = {1, 1, 1, 1};
    return olmoe_ctx_set_expert_mask(NULL, mk, 4) == OLMOE_ERR_INVALID_ARG && olmoe_ctx_set_expert_mask(P_c, NULL, 0) == OLMOE_OK &&
           olmoe_ctx_set_expert_mask(P_c, mk, INT_MAX) == OLMOE_ERR_INVALID_ARG;
}
static int p_opt_out_null(void) { return olmoe_ctx_opt_out(NULL, "1") == OLMOE_ERR_INVALID_ARG && olmoe_ctx_opt_out(P_c, NULL) == OLMOE_ERR_INVALID_ARG; }
static int p_route_cb_null(void) {
    int32_t t = 1;
    olmoe_ctx_set_route_callback(NULL, NULL, NULL, 1);
    olmoe_ctx_set_route_callback(P_c, NULL, NULL, 1);
    return olmoe_ctx_eval(P_c, &t, 1, 0) == OLMOE_OK;
}
static int p_score_null(void) {
    int32_t a[2] = {1, 2};
    double s;
    int g;
    float lp[2];
    return olmoe_ctx_score(NULL, a, 1, a, 1, lp, &s, &g) == OLMOE_ERR_INVALID_ARG &&
           olmoe_ctx_score(P_c, NULL, 1, a, 1, lp, &s, &g) == OLMOE_ERR_INVALID_ARG &&
           olmoe_ctx_score(P_c, a, 1, NULL, 1, lp, &s, &g) == OLMOE_ERR_INVALID_ARG &&
           olmoe_ctx_score(P_c, a, 0, a, 1, lp, &s, &g) == OLMOE_ERR_INVALID_ARG &&
           olmoe_ctx_score(P_c, a, 1, a, 0, lp, &s, &g) == OLMOE_ERR_INVALID_ARG &&
           olmoe_ctx_score(P_c, a, 2, a, 2, NULL, NULL, NULL) == OLMOE_OK;
}
static int p_score_overflow(void) {
    int32_t a[2] = {1, 2};
    double s;
    /* n_context + n_cont overflows int: must be refused before anything reads the arrays */
    return olmoe_ctx_score(P_c, a, INT_MAX, a, INT_MAX, NULL, &s, NULL) == OLMOE_ERR_CONTEXT_FULL;
}
static int p_logprob_null(void) {
    float l[2] = {0, 0};
    return olmoe_logprob(NULL, 2, 0) == -INFINITY && olmoe_logprob(l, 2, 2) == -INFINITY && olmoe_logprob(l, 2, -1) == -INFINITY &&
           olmoe_logprob(l, 0, 0) == -INFINITY;
}
static int p_chat_null(void) {
    char out[8];
    olmoe_chat_msg msg = {NULL, NULL};
    return olmoe_chat_template_kind(NULL, 5) == OLMOE_CHAT_UNKNOWN &&
           olmoe_chat_render_template(NULL, 10, NULL, NULL, &msg, 1, 1, out, sizeof out) == OLMOE_ERR_UNSUPPORTED &&
           olmoe_chat_render(NULL, &msg, 1, 1, out, sizeof out) == OLMOE_ERR_INVALID_ARG &&
           olmoe_chat_render(P_m, &msg, 1, 1, out, sizeof out) == OLMOE_ERR_UNSUPPORTED &&
           olmoe_chat_render(P_m, NULL, 1, 1, NULL, 0) < 0;
}
static int p_chat_template_bad(void) {
    /* the real template text, with NULL roles/contents/bos/eos and NULL/short outputs */
    size_t n = 0, i;
    char *file = t_read_file("tests/data/chat/olmoe_0924.txt", NULL), *tm, out[4];
    olmoe_chat_msg msg[2] = {{NULL, NULL}, {"user", NULL}};
    int r1, r2, r3, r4;
    if (!file || strncmp(file, "template ", 9) != 0) { free(file); return 1; } /* no template file: nothing to probe */
    tm = (char *)malloc(strlen(file));
    for (i = 9; isxdigit((unsigned char)file[i]) && isxdigit((unsigned char)file[i + 1]); i += 2) {
        unsigned v = 0;
        sscanf(file + i, "%2x", &v);
        tm[n++] = (char)v;
    }
    free(file);
    if (olmoe_chat_template_kind(tm, n) != OLMOE_CHAT_OLMOE_0924) { free(tm); return 0; }
    r1 = olmoe_chat_render_template(tm, n, NULL, NULL, msg, 2, 1, NULL, 0);
    r2 = olmoe_chat_render_template(tm, n, NULL, NULL, msg, 2, 1, out, sizeof out);
    r3 = olmoe_chat_render_template(tm, n, "<s>", "</s>", NULL, 1, 1, out, sizeof out);
    r4 = olmoe_chat_render_template(tm, n, "<s>", "</s>", msg, -1, 1, out, sizeof out);
    free(tm);
    return (r1 == r2) && (r1 < 0 || strlen(out) == 3) && r3 == OLMOE_ERR_INVALID_ARG && r4 == OLMOE_ERR_INVALID_ARG;
}
static int p_sampler_null(void) {
    olmoe_sampler s;
    float lg[64];
    memset(lg, 0, sizeof lg);
    olmoe_sampler_init(NULL, NULL);
    olmoe_sampler_init(&s, NULL);
    return olmoe_sampler_sample(NULL, P_c, lg, NULL, 0) == OLMOE_ERR_INVALID_ARG && olmoe_sampler_sample(&s, NULL, lg, NULL, 0) == OLMOE_ERR_INVALID_ARG &&
           olmoe_sampler_sample(&s, P_c, NULL, NULL, 0) == OLMOE_ERR_INVALID_ARG && olmoe_sampler_sample(&s, P_c, lg, NULL, 5) >= 0;
}
static int p_sampler_recent_bad(void) {
    olmoe_sampler s;
    olmoe_sampler_params sp = olmoe_sampler_default_params();
    float lg[64];
    int32_t recent[4] = {-5, INT32_MAX, 3, INT32_MIN};
    memset(lg, 0, sizeof lg);
    sp.repeat_penalty = 1.3f;
    sp.repeat_last_n = -1;
    olmoe_sampler_init(&s, &sp);
    return olmoe_sampler_sample(&s, P_c, lg, recent, 4) >= 0;
}
static int p_sampler_uniform_null(void) { return olmoe_sampler_uniform(NULL) >= 0.0f; }
static int p_sampler_nan_logits(void) {
    /* a hostile file can hold NaN weights in a matrix (only norms and routers are validated),
       so logits can be NaN: sampling must still return a token id */
    olmoe_sampler s;
    olmoe_sampler_params sp = olmoe_sampler_default_params();
    float lg[64];
    int i, ok = 1, V = olmoe_model_config(P_m)->n_vocab;
    for (i = 0; i < 64; i++) lg[i] = (i % 3) ? NAN : (float)i;
    sp.top_k = 4;
    olmoe_sampler_init(&s, &sp);
    for (i = 0; i < 20; i++) {
        int32_t t = olmoe_sampler_sample(&s, P_c, lg, NULL, 0);
        if (t < 0 || t >= V) ok = 0;
    }
    for (i = 0; i < 64; i++) lg[i] = NAN;
    for (i = 0; i < 20; i++) {
        int32_t t = olmoe_sampler_sample(&s, P_c, lg, NULL, 0);
        if (t < 0 || t >= V) ok = 0;
    }
    return ok;
}
static int p_sampler_params_odd(void) {
    olmoe_sampler s;
    olmoe_sampler_params sp = olmoe_sampler_default_params();
    float lg[64];
    int i, ok = 1, V = olmoe_model_config(P_m)->n_vocab;
    for (i = 0; i < 64; i++) lg[i] = (float)(i % 7) - 3.0f;
    sp.top_k = INT_MAX; sp.top_p = -1.0f; sp.min_p = 2.0f; sp.temperature = 1e-30f; sp.repeat_last_n = INT_MAX;
    olmoe_sampler_init(&s, &sp);
    for (i = 0; i < 10; i++) { int32_t t = olmoe_sampler_sample(&s, P_c, lg, NULL, 0); if (t < 0 || t >= V) ok = 0; }
    sp.temperature = NAN; sp.top_p = NAN; sp.min_p = NAN; sp.top_k = -5;
    olmoe_sampler_init(&s, &sp);
    for (i = 0; i < 10; i++) { int32_t t = olmoe_sampler_sample(&s, P_c, lg, NULL, 0); if (t < 0 || t >= V) ok = 0; }
    for (i = 0; i < 64; i++) lg[i] = -INFINITY;
    sp = olmoe_sampler_default_params();
    olmoe_sampler_init(&s, &sp);
    for (i = 0; i < 10; i++) { int32_t t = olmoe_sampler_sample(&s, P_c, lg, NULL, 0); if (t < 0 || t >= V) ok = 0; }
    return ok;
}
static int p_generate_null(void) {
    olmoe_gen_params gp = olmoe_gen_default_params();
    olmoe_gen_stats st;
    return olmoe_generate(NULL, "hi", &gp, &st) == OLMOE_ERR_INVALID_ARG && olmoe_generate(P_c, NULL, &gp, &st) == OLMOE_ERR_INVALID_ARG &&
           olmoe_generate(P_c, "hi", NULL, NULL) != OLMOE_OK; /* the base has no tokenizer */
}
static int p_formats_bad(void) {
    float x[32];
    unsigned char q[64];
    memset(x, 0, sizeof x);
    return olmoe_type_name(-1) == NULL && olmoe_type_name(INT_MAX) == NULL && olmoe_type_block_size(12345) == 0 &&
           olmoe_type_row_size(OLMOE_TYPE_F32, -5) == 0 && olmoe_type_row_size(777, 32) == 0 &&
           olmoe_quantize_row(OLMOE_TYPE_Q8_0, NULL, q, 32) == OLMOE_ERR_INVALID_ARG &&
           olmoe_quantize_row(OLMOE_TYPE_Q8_0, x, NULL, 32) == OLMOE_ERR_INVALID_ARG &&
           olmoe_quantize_row(OLMOE_TYPE_Q8_0, x, q, 31) == OLMOE_ERR_INVALID_ARG &&
           olmoe_quantize_row(OLMOE_TYPE_Q8_0, x, q, -32) == OLMOE_ERR_INVALID_ARG &&
           olmoe_quantize_row(9 /* q8_1 */, x, q, 32) == OLMOE_ERR_UNSUPPORTED &&
           olmoe_dequantize_row(OLMOE_TYPE_Q8_0, NULL, x, 32) == OLMOE_ERR_INVALID_ARG &&
           olmoe_dequantize_row(OLMOE_TYPE_Q8_0, q, NULL, 32) == OLMOE_ERR_INVALID_ARG &&
           olmoe_dequantize_row(OLMOE_TYPE_Q6_K, q, x, 32) == OLMOE_ERR_INVALID_ARG &&
           olmoe_dequantize_row(12345, q, x, 32) == OLMOE_ERR_UNSUPPORTED &&
           strcmp(olmoe_result_str((olmoe_result)12345), "unknown error") == 0;
}

static void probes(const char *good, size_t len) {
    char err[256];
    olmoe_ctx_params cp = olmoe_ctx_default_params();
    P_good = good;
    P_len = len;
    if (olmoe_model_load_memory(good, len, NULL, &P_m, err, sizeof err) != OLMOE_OK) { CHECK(0, "probes: base load: %s", err); return; }
    cp.n_ctx = 8;
    cp.n_threads = 1;
    if (olmoe_ctx_create(P_m, &cp, &P_c, err, sizeof err) != OLMOE_OK) { CHECK(0, "probes: ctx: %s", err); return; }
#define PROBE(f, what) probe(what, f)
    PROBE(p_load_null_path, "olmoe_model_load(NULL path)");
    PROBE(p_load_null_out, "olmoe_model_load(out NULL)");
    PROBE(p_load_null_err, "olmoe_model_load(err NULL) on a missing file");
    PROBE(p_load_err_small, "olmoe_model_load with a 1-byte err buffer");
    PROBE(p_mem_null_data, "olmoe_model_load_memory(NULL, 100)");
    PROBE(p_mem_null_empty, "olmoe_model_load_memory(NULL, 0)");
    PROBE(p_mem_null_out, "olmoe_model_load_memory(out NULL)");
    PROBE(p_model_free_null, "olmoe_model_free(NULL)");
    PROBE(p_model_getters_null, "olmoe_model_* getters on a NULL model");
    PROBE(p_model_tensor_bad, "olmoe_model_tensor: NULL out, index -1, INT_MAX, n_tensors");
    PROBE(p_meta_str_bad, "olmoe_model_meta_str: NULL key, NULL/0/short buffer, non-string key");
    PROBE(p_expert_bad, "olmoe_model_expert_index/name: NULL name, NULL/short buffer, index INT_MAX");
    PROBE(p_ctx_create_null, "olmoe_ctx_create(NULL model / NULL out)");
    PROBE(p_ctx_free_null, "olmoe_ctx_free(NULL)");
    PROBE(p_ctx_getters_null, "olmoe_ctx_* getters on a NULL context");
    PROBE(p_eval_null, "olmoe_ctx_eval: NULL ctx, NULL tokens, n 0, -5, INT_MIN");
    PROBE(p_truncate_null, "olmoe_ctx_truncate(NULL)");
    PROBE(p_mask_null, "olmoe_ctx_set_expert_mask: NULL ctx, NULL mask, n INT_MAX");
    PROBE(p_opt_out_null, "olmoe_ctx_opt_out: NULL ctx, NULL list");
    PROBE(p_route_cb_null, "olmoe_ctx_set_route_callback: NULL ctx, NULL fn");
    PROBE(p_score_null, "olmoe_ctx_score: NULL ctx, context, continuation; n 0; NULL outputs");
    PROBE(p_score_overflow, "olmoe_ctx_score(n_context INT_MAX, n_cont INT_MAX) -> OLMOE_ERR_CONTEXT_FULL");
    PROBE(p_logprob_null, "olmoe_logprob: NULL logits, t out of range, n_vocab 0");
    PROBE(p_chat_null, "olmoe_chat_*: NULL template, NULL model, model without a template");
    PROBE(p_chat_template_bad, "olmoe_chat_render_template: NULL role/content/bos/eos/out, NULL msgs, n -1");
    PROBE(p_sampler_null, "olmoe_sampler_init/sample: NULL sampler, ctx, logits");
    PROBE(p_sampler_recent_bad, "olmoe_sampler_sample: out-of-range ids in recent, repeat_last_n -1");
    PROBE(p_sampler_uniform_null, "olmoe_sampler_uniform(NULL)");
    PROBE(p_sampler_nan_logits, "olmoe_sampler_sample on NaN logits (top_k 4) returns a token");
    PROBE(p_sampler_params_odd, "olmoe_sampler_sample with odd parameters (NaN temperature, top_k INT_MAX, all -inf logits)");
    PROBE(p_generate_null, "olmoe_generate: NULL ctx, NULL prompt, NULL params/stats");
    PROBE(p_formats_bad, "olmoe_type_*/quantize/dequantize: NULL buffers, bad types and lengths");
#undef PROBE
    olmoe_ctx_free(P_c);
    olmoe_model_free(P_m);
}

int main(int argc, char **argv) {
    char path[4096], *good;
    size_t len = 0;
    if (argc > 1) g_dir = argv[1];
    run_manifest();
    if (argc > 2) scan_threads(argv[2]);
    snprintf(path, sizeof path, "%s/ok_f32.gguf", g_dir);
    good = t_read_file(path, &len);
    CHECK(good != NULL, "read %s", path);
    if (good) {
        t_verbose = 0;
        sweeps(good, len);
        t_verbose = 1;
        contract(good, len, path);
        no_validation();
        probes(good, len);
        free(good);
    }
    return t_finish();
}
