/* libFuzzer target: the converter's JSON reader (tools/json.h) on arbitrary bytes, walking the
   whole tree through the accessors; then the same bytes as a safetensors file (8-byte header
   length + JSON header + data) through the converter's st_open (tools/convert.c is included so
   that its static functions are reachable; define FUZZ_NO_SAFETENSORS to leave it out).
   build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_json.c
          tools/json.c tools/gguf_write.c tools/impl.c -lm -lpthread */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "../../tools/json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#ifndef FUZZ_NO_SAFETENSORS
#include "../../tools/convert.c"
#include <sys/mman.h>
#endif

static volatile size_t g_sink;

static void walk(const json_node *n, int depth) {
    const json_node *c;
    size_t i = 0;
    long long iv;
    double dv;
    int bv;
    if (!n || depth > 200) return;
    g_sink += (size_t)json_int(n, &iv) + (size_t)json_double(n, &dv) + (size_t)json_bool(n, &bv) + (size_t)json_is_null(n);
    if (json_str(n)) g_sink += strlen(json_str(n)) + n->len;
    g_sink += strlen(json_type_name(n->type));
    for (c = n->child; c; c = c->next, i++) {
        if (n->type == JSON_OBJECT) {
            if (!c->key) __builtin_trap();
            /* a member's own key finds a member (keys holding \u0000 cannot be looked up by C string) */
            if (strlen(c->key) == c->key_len && json_get(n, c->key) == NULL) __builtin_trap();
        } else if (n->type == JSON_ARRAY && i < 4) {
            if (json_at(n, i) != c) __builtin_trap();
        }
        walk(c, depth + 1);
    }
    if ((n->type == JSON_ARRAY || n->type == JSON_OBJECT) && i != n->count) __builtin_trap();
    if (json_at(n, n->count) != NULL) __builtin_trap();
}

#ifndef FUZZ_NO_SAFETENSORS
static void safetensors(const uint8_t *data, size_t size) {
    cv_state S;
    char path[64];
    int fd = memfd_create("st", 0), saved;
    if (fd < 0) return;
    if (size && write(fd, data, size) != (ssize_t)size) { close(fd); return; }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    memset(&S, 0, sizeof S);
    S.dir = "/nonexistent";
    fflush(stderr);
    saved = dup(2);
    {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) { dup2(devnull, 2); close(devnull); }
    }
    if (st_open(&S, path) == 0) {
        size_t k;
        if (st_build_hash(&S) == 0)
            for (k = 0; k < S.n_tensors; k++)
                if (st_find(&S, S.tensors[k].name) == NULL) __builtin_trap();
    }
    if (saved >= 0) { dup2(saved, 2); close(saved); }
    st_free(&S);
    close(fd);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_doc doc;
    char err[160];
    int depth = size ? (data[0] % 4 == 0 ? 4 : 0) : 0; /* sometimes a tight depth limit */
    memset(&doc, 0, sizeof doc);
    if (json_parse((const char *)data, size, depth, &doc, err, sizeof err) == 0) {
        walk(json_root(&doc), 0);
    } else if (!err[0]) {
        __builtin_trap();
    }
    json_free(&doc);
    json_free(&doc); /* freeing twice is documented as safe after a failure; must be after success too */
#ifndef FUZZ_NO_SAFETENSORS
    safetensors(data, size);
#endif
    return 0;
}
