/* GGUF loader tests: damaged copies of a valid file each give their own error code and a
   message, never a crash (run it under ASan/UBSan too: make test-asan).
   usage: test_loader GOOD.gguf */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include "../olmoe.h"
#include "test.h"
#include <sys/stat.h>
#include <unistd.h>

static char *good;
static size_t good_len;

/* Loads buf from memory and checks the result code. */
static void expect(const char *what, const void *buf, size_t len, olmoe_result want) {
    olmoe_model *m = NULL;
    char err[512];
    olmoe_result r;
    err[0] = 0;
    r = olmoe_model_load_memory(buf, len, NULL, &m, err, sizeof err);
    CHECK(r == want && (r == OLMOE_OK) == (m != NULL) && (r == OLMOE_OK || err[0]),
          "%s -> %s (want %s): %s", what, olmoe_result_str(r), olmoe_result_str(want), err[0] ? err : "(no message)");
    olmoe_model_free(m);
}

/* Position of the tensor-info record of `name` (the u64 length before the name). */
static size_t find_info(const char *name) {
    size_t n = strlen(name), i;
    for (i = 8; i + n <= good_len; i++)
        if (memcmp(good + i, name, n) == 0) {
            uint64_t l;
            memcpy(&l, good + i - 8, 8);
            if (l == n) return i - 8;
        }
    return 0;
}

int main(int argc, char **argv) {
    char *buf;
    size_t p, i;
    int k;
    olmoe_model *m = NULL;
    char err[512];
    if (argc < 2) { fprintf(stderr, "usage: test_loader GOOD.gguf\n"); return 2; }
    good = t_read_file(argv[1], &good_len);
    CHECK(good != NULL, "read %s", argv[1]);
    if (!good) return t_finish();
    buf = (char *)malloc(good_len);

    expect("the good file", good, good_len, OLMOE_OK);

    /* Non-regular files are refused with OLMOE_ERR_IO before anything could block: a FIFO with no
       writer used to hang open() forever (alarm turns a hang into a failure instead). */
    {
        char dir[] = "/tmp/olmoe_loader_XXXXXX", fifo[64];
        const char *paths[3];
        const char *what[3] = {"a FIFO", "a directory", "a character device (/dev/zero)"};
        int j;
        if (mkdtemp(dir)) {
            snprintf(fifo, sizeof fifo, "%s/fifo.gguf", dir);
            paths[0] = mkfifo(fifo, 0600) == 0 ? fifo : NULL;
            paths[1] = dir;
            paths[2] = "/dev/zero";
            alarm(20);
            for (j = 0; j < 3; j++) {
                olmoe_result r;
                if (!paths[j]) { CHECK(0, "mkfifo %s", fifo); continue; }
                err[0] = 0;
                r = olmoe_model_load(paths[j], NULL, &m, err, sizeof err);
                CHECK(r == OLMOE_ERR_IO && !m && strstr(err, "not a regular file"), "%s is refused with OLMOE_ERR_IO, without blocking: %s", what[j], err);
                olmoe_model_free(m);
                m = NULL;
            }
            alarm(0);
            unlink(fifo);
            rmdir(dir);
        } else CHECK(0, "mkdtemp");
    }

    /* olmoe_model_load_memory reads tensors in place: a buffer that leaves them misaligned is
       refused (OLMOE_ERR_ALIGNMENT), a 4-byte-aligned copy of the same bytes loads */
    {
        char *raw = (char *)malloc(good_len + 8);
        int off, ok = 1;
        for (off = 1; raw && off < 8; off++) {
            olmoe_result r;
            memcpy(raw + off, good, good_len);
            r = olmoe_model_load_memory(raw + off, good_len, NULL, &m, err, sizeof err);
            if (r != ((off & 3) ? OLMOE_ERR_ALIGNMENT : OLMOE_OK)) { ok = 0; printf("offset %d: %s (%s)\n", off, olmoe_result_str(r), err); }
            olmoe_model_free(m);
            m = NULL;
        }
        CHECK(raw && ok, "load_memory at buffer offsets 1..7: misaligned refused with OLMOE_ERR_ALIGNMENT, offset 4 loads");
        free(raw);
    }

    memcpy(buf, good, good_len); buf[0] = 'X';
    expect("wrong magic", buf, good_len, OLMOE_ERR_BAD_MAGIC);
    memcpy(buf, good, good_len); buf[4] = 1;
    expect("version 1", buf, good_len, OLMOE_ERR_BAD_VERSION);
    memcpy(buf, good, good_len); buf[4] = 4;
    expect("version 4", buf, good_len, OLMOE_ERR_BAD_VERSION);

    /* truncation: every prefix in the header region, then a spread of points through the data */
    {
        int bad = 0, crashed_codes = 0;
        size_t cut;
        for (cut = 0; cut < good_len; cut += (cut < 4096 ? 1 : 997)) {
            olmoe_result r = olmoe_model_load_memory(good, cut, NULL, &m, err, sizeof err);
            if (r == OLMOE_OK) { olmoe_model_free(m); bad++; }
            else if (r != OLMOE_ERR_TRUNCATED) crashed_codes++;
        }
        CHECK(bad == 0 && crashed_codes == 0, "every truncated prefix gives OLMOE_ERR_TRUNCATED (%d loaded, %d other codes)", bad, crashed_codes);
        expect("truncated by one byte", good, good_len - 1, OLMOE_ERR_TRUNCATED);
    }

    /* a missing tensor: rename blk.0.ffn_up_exps.weight in place */
    p = find_info("blk.0.ffn_up_exps.weight");
    CHECK(p != 0, "found tensor info blk.0.ffn_up_exps.weight");
    if (p) {
        memcpy(buf, good, good_len);
        buf[p + 8 + 6] = 'X'; /* blk.0.Xfn_up_exps */
        expect("missing tensor blk.0.ffn_up_exps.weight", buf, good_len, OLMOE_ERR_TENSOR_MISSING);
        {
            olmoe_model_load_memory(buf, good_len, NULL, &m, err, sizeof err);
            CHECK(strstr(err, "blk.0.ffn_up_exps.weight") != NULL, "message names the tensor: %s", err);
        }
        /* a wrong shape: shrink ne[1] of the 3-D expert tensor (data stays in range) */
        memcpy(buf, good, good_len);
        {
            size_t q = p + 8 + strlen("blk.0.ffn_up_exps.weight") + 4 + 8;
            uint64_t ne1;
            memcpy(&ne1, buf + q, 8);
            ne1 /= 2;
            memcpy(buf + q, &ne1, 8);
            expect("wrong shape blk.0.ffn_up_exps.weight", buf, good_len, OLMOE_ERR_SHAPE);
            olmoe_model_load_memory(buf, good_len, NULL, &m, err, sizeof err);
            CHECK(strstr(err, "expected") && strstr(err, "got"), "shape message says expected/got: %s", err);
        }
        /* an unknown type */
        memcpy(buf, good, good_len);
        {
            size_t q = p + 8 + strlen("blk.0.ffn_up_exps.weight") + 4 + 3 * 8;
            uint32_t ty = 77;
            memcpy(buf + q, &ty, 4);
            expect("unknown tensor type", buf, good_len, OLMOE_ERR_TENSOR_TYPE);
        }
        /* an offset far outside the data section */
        memcpy(buf, good, good_len);
        {
            size_t q = p + 8 + strlen("blk.0.ffn_up_exps.weight") + 4 + 3 * 8 + 4;
            uint64_t off = (uint64_t)1 << 60;
            memcpy(buf + q, &off, 8);
            expect("tensor offset 2^60", buf, good_len, OLMOE_ERR_TENSOR_RANGE);
            off = 0;
            memcpy(buf + q, &off, 8);
            expect("tensor overlapping another", buf, good_len, OLMOE_ERR_TENSOR_RANGE);
            off = 2;
            memcpy(buf + q, &off, 8);
            expect("misaligned tensor offset", buf, good_len, OLMOE_ERR_ALIGNMENT);
        }
        /* a duplicate tensor name: rename blk.0.ffn_up_exps to blk.0.ffn_gate_exps is length-
           changing, so instead rename attn_q -> attn_k within layer 0 (same length) */
    }
    p = find_info("blk.0.attn_q.weight");
    if (p) {
        memcpy(buf, good, good_len);
        buf[p + 8 + 11] = 'k';
        expect("duplicate tensor blk.0.attn_k.weight", buf, good_len, OLMOE_ERR_DUPLICATE);
    }
    /* huge counts */
    memcpy(buf, good, good_len);
    { uint64_t n = (uint64_t)1 << 40; memcpy(buf + 8, &n, 8); }
    expect("2^40 tensors", buf, good_len, OLMOE_ERR_LIMIT);
    memcpy(buf, good, good_len);
    { uint64_t n = 1000000; memcpy(buf + 16, &n, 8); }
    expect("a million metadata entries in a small file", buf, good_len, OLMOE_ERR_TRUNCATED);
    /* a string length of 2^40 in the first key */
    memcpy(buf, good, good_len);
    { uint64_t n = (uint64_t)1 << 40; memcpy(buf + 24, &n, 8); }
    expect("a 2^40-byte key", buf, good_len, OLMOE_ERR_LIMIT);
    /* metadata of the wrong type: make olmoe.block_count a float */
    for (k = 0, i = 0; i + 18 < good_len; i++)
        if (memcmp(good + i, "olmoe.block_count", 17) == 0 || memcmp(good + i, "flex_olmo.block_count", 21) == 0) { k = 1; break; }
    if (k) {
        size_t kl = good[i] == 'o' ? 17 : 21;
        uint32_t ty = 6; /* f32 */
        memcpy(buf, good, good_len);
        memcpy(buf + i + kl, &ty, 4);
        expect("block_count stored as f32", buf, good_len, OLMOE_ERR_KEY_TYPE);
        memcpy(buf, good, good_len);
        buf[i + 3] = 'X'; /* rename the key */
        expect("block_count missing", buf, good_len, OLMOE_ERR_KEY_MISSING);
    }
    /* unsupported architecture */
    for (i = 0; i + 6 < good_len; i++)
        if (memcmp(good + i, "olmoe", 5) == 0 && good[i - 1] == 0 && good[i - 8] == 5) break;
    if (i + 6 < good_len) {
        memcpy(buf, good, good_len);
        buf[i] = 'X';
        expect("architecture Xlmoe", buf, good_len, OLMOE_ERR_UNSUPPORTED);
    }
    /* the file-based loader: wrong path, a directory, an empty file */
    {
        olmoe_result r = olmoe_model_load("/nonexistent/model.gguf", NULL, &m, err, sizeof err);
        CHECK(r == OLMOE_ERR_IO && m == NULL && strstr(err, "/nonexistent/model.gguf"), "missing file -> %s: %s", olmoe_result_str(r), err);
        r = olmoe_model_load("/", NULL, &m, err, sizeof err);
        CHECK(r == OLMOE_ERR_IO && m == NULL, "a directory -> %s: %s", olmoe_result_str(r), err);
        r = olmoe_model_load(argv[1], NULL, &m, err, sizeof err);
        CHECK(r == OLMOE_OK, "the good file from disk");
        olmoe_model_free(m);
    }
    /* bad calls */
    {
        olmoe_ctx *c = NULL;
        olmoe_ctx_params cp = olmoe_ctx_default_params();
        int32_t t[3] = {1, 2, 3};
        olmoe_model_load_memory(good, good_len, NULL, &m, err, sizeof err);
        cp.n_ctx = 2;
        CHECK(olmoe_ctx_create(m, &cp, &c, err, sizeof err) == OLMOE_OK, "ctx with n_ctx 2");
        t[1] = olmoe_model_config(m)->n_vocab;
        CHECK(olmoe_ctx_eval(c, t, 2, 0) == OLMOE_ERR_TOKEN && olmoe_ctx_pos(c) == 0, "token id n_vocab -> OLMOE_ERR_TOKEN, context unchanged: %s", olmoe_ctx_last_error(c));
        t[1] = -1;
        CHECK(olmoe_ctx_eval(c, t, 2, 0) == OLMOE_ERR_TOKEN, "token id -1 -> OLMOE_ERR_TOKEN");
        t[1] = 2;
        CHECK(olmoe_ctx_eval(c, t, 3, 0) == OLMOE_ERR_CONTEXT_FULL && olmoe_ctx_pos(c) == 0, "3 tokens into n_ctx 2 -> OLMOE_ERR_CONTEXT_FULL: %s", olmoe_ctx_last_error(c));
        CHECK(olmoe_ctx_eval(c, t, 2, 0) == OLMOE_OK && olmoe_ctx_pos(c) == 2, "2 tokens fit");
        CHECK(olmoe_ctx_eval(c, t, 1, 0) == OLMOE_ERR_CONTEXT_FULL && olmoe_ctx_pos(c) == 2, "one more -> OLMOE_ERR_CONTEXT_FULL");
        CHECK(olmoe_ctx_eval(c, t, 0, 0) == OLMOE_ERR_INVALID_ARG, "zero tokens -> OLMOE_ERR_INVALID_ARG");
        CHECK(olmoe_ctx_truncate(c, 1) == OLMOE_OK && olmoe_ctx_eval(c, t, 1, 0) == OLMOE_OK, "truncate then eval");
        {
            uint8_t none[64];
            memset(none, 0, sizeof none);
            CHECK(olmoe_ctx_set_expert_mask(c, none, olmoe_model_config(m)->n_expert) == OLMOE_ERR_INVALID_ARG, "a mask allowing no expert is refused");
            CHECK(olmoe_ctx_opt_out(c, "999") == OLMOE_ERR_INVALID_ARG, "opt-out of expert 999 is refused: %s", olmoe_ctx_last_error(c));
        }
        cp.n_ctx = -5;
        CHECK(olmoe_ctx_create(m, &cp, &c, err, sizeof err) == OLMOE_ERR_INVALID_ARG, "negative n_ctx refused");
        olmoe_ctx_free(c);
        olmoe_model_free(m);
        CHECK(olmoe_model_load(NULL, NULL, &m, err, sizeof err) == OLMOE_ERR_INVALID_ARG, "NULL path refused");
    }
    free(buf);
    free(good);
    return t_finish();
}
