/* build/olmoe convert: Hugging Face OLMoE / FlexOlmo checkpoint directory -> GGUF.

   olmoe convert HF_DIR OUT.gguf [--type f32|f16|bf16|q8_0|q4_0|q4_k_m|...] [--expert-names a,b,c] [--name NAME] [--vocab-only]

   Reads config.json, model.safetensors (or model.safetensors.index.json + shards),
   tokenizer.json and tokenizer_config.json (optional). Writes llama.cpp's `olmoe` layout (and
   `flex_olmo` for FlexOlmo), with llama.cpp's metadata and tokenizer keys. The output goes to a
   temporary file next to OUT that is renamed over OUT only when everything succeeded and olmoe.h
   loads it (and can tokenize with it): what the loader would refuse is refused here, with its
   message. Inputs that are not regular files (a FIFO, a directory) are refused without blocking.
   Exit status: 0 ok, 1 error, 2 usage. */
#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include "cli.h"
#include "json.h"
#include "gguf_write.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <math.h>
#include <float.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>

#define CV_MAX_JSON_FILE (1u << 30)        /* config / tokenizer files: 1 GiB is absurd already */
#define CV_MAX_ST_HEADER (256u << 20)      /* safetensors JSON header */
#define CV_MAX_DIMS 8
#define CV_MAX_LAYERS 4096
#define CV_MAX_EXPERTS 4096

enum { DT_F32 = 0, DT_F16 = 1, DT_BF16 = 2, DT_OTHER = 3 };

/* ------------------------------------------------------------------------------------------ */
/* errors and notes                                                                           */

static int cv_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static int cv_error(const char *fmt, ...) {
    va_list ap;
    fputs("convert: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

static void cv_note(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static void cv_note(const char *fmt, ...) {
    va_list ap;
    fputs("convert: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ------------------------------------------------------------------------------------------ */
/* files                                                                                      */

static int join_path(char *out, size_t n, const char *dir, const char *name) {
    size_t dl = strlen(dir);
    int r;
    if (dl && dir[dl - 1] == '/') r = snprintf(out, n, "%s%s", dir, name);
    else r = snprintf(out, n, "%s/%s", dir, name);
    if (r < 0 || (size_t)r >= n) return cv_error("path too long: %s/%s", dir, name);
    return 0;
}

/* exists at all (a FIFO or a directory too, which open_regular then refuses by name) */
static int path_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static const char *file_kind(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

/* Opens an input for reading without ever blocking: a plain open() of a FIFO waits for a writer
   forever, so open with O_NONBLOCK, refuse anything but a regular file (fstat), then clear
   O_NONBLOCK for the reads. Returns the fd; -1 with a message, or silently with *missing set
   when the file does not exist and missing is given. */
static int open_regular(const char *path, int *missing, struct stat *st) {
    int fd, fl;
    if (missing) *missing = 0;
    fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT && missing) { *missing = 1; return -1; }
        return cv_error("%s: cannot open: %s", path, strerror(errno));
    }
    if (fstat(fd, st) != 0) { cv_error("%s: cannot stat: %s", path, strerror(errno)); close(fd); return -1; }
    if (!S_ISREG(st->st_mode)) { cv_error("%s: not a regular file (%s)", path, file_kind(st->st_mode)); close(fd); return -1; }
    if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        cv_error("%s: fcntl failed: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads a whole (small) file. Returns 0, or -1 with a message; *missing set when it does not exist. */
static int read_whole(const char *path, char **buf, size_t *len, int *missing) {
    struct stat st;
    size_t n, got = 0;
    char *b;
    int fd, rerr = 0;
    *buf = NULL;
    *len = 0;
    if ((fd = open_regular(path, missing, &st)) < 0) return -1;
    if ((uint64_t)st.st_size > CV_MAX_JSON_FILE) { close(fd); return cv_error("%s: file too large (%lld bytes)", path, (long long)st.st_size); }
    n = (size_t)st.st_size;
    b = (char *)malloc(n + 1);
    if (!b) { close(fd); return cv_error("%s: out of memory", path); }
    while (got < n) {
        ssize_t k = read(fd, b + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) rerr = errno;
        if (k <= 0) break;
        got += (size_t)k;
    }
    if (got != n) {
        free(b);
        close(fd);
        return cv_error("%s: read error after %lu of %lu bytes: %s", path, (unsigned long)got, (unsigned long)n,
                        rerr ? strerror(rerr) : "the file shrank while being read");
    }
    close(fd);
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

/* Reads and parses a JSON file. Returns 0; -1 on error (printed); 1 when missing and optional. */
static int load_json(const char *path, json_doc *doc, int optional) {
    char *buf;
    size_t len;
    int missing, rc;
    char err[256];
    memset(doc, 0, sizeof *doc);
    if (read_whole(path, &buf, &len, &missing) != 0) {
        if (missing) {
            if (optional) return 1;
            return cv_error("%s: not found", path);
        }
        return -1;
    }
    rc = json_parse(buf, len, 0, doc, err, sizeof err);
    free(buf);
    if (rc != 0) return cv_error("%s: %s", path, err);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* safetensors                                                                                */

typedef struct st_file {
    char *path;
    const unsigned char *map;
    size_t size;
} st_file;

typedef struct st_tensor {
    char *name;
    int file;
    int dtype;          /* DT_* */
    char dtype_name[16];
    int n_dims;
    int64_t shape[CV_MAX_DIMS];
    uint64_t numel;
    const unsigned char *data;
    uint64_t nbytes;
    int used;
} st_tensor;

typedef struct cv_state {
    const char *dir;
    st_file *files;
    int n_files;
    st_tensor *tensors;
    size_t n_tensors, cap_tensors;
    size_t *hash;       /* open addressing: index+1, 0 = empty */
    size_t hash_cap;
} cv_state;

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ull;
    while (*s) { h ^= (unsigned char)*s++; h *= 1099511628211ull; }
    return h;
}

static st_tensor *st_find(cv_state *S, const char *name) {
    size_t i;
    if (!S->hash_cap) return NULL;
    i = (size_t)fnv1a(name) & (S->hash_cap - 1);
    while (S->hash[i]) {
        st_tensor *t = &S->tensors[S->hash[i] - 1];
        if (!strcmp(t->name, name)) return t;
        i = (i + 1) & (S->hash_cap - 1);
    }
    return NULL;
}

static int st_build_hash(cv_state *S) {
    size_t cap = 16, k;
    while (cap < S->n_tensors * 2 + 2) cap *= 2;
    free(S->hash);
    S->hash = (size_t *)calloc(cap, sizeof(size_t));
    if (!S->hash) return cv_error("out of memory");
    S->hash_cap = cap;
    for (k = 0; k < S->n_tensors; k++) {
        size_t i = (size_t)fnv1a(S->tensors[k].name) & (cap - 1);
        while (S->hash[i]) {
            const st_tensor *o = &S->tensors[S->hash[i] - 1];
            if (!strcmp(o->name, S->tensors[k].name))
                return cv_error("tensor %s appears twice (%s and %s)", o->name, S->files[o->file].path,
                                S->files[S->tensors[k].file].path);
            i = (i + 1) & (cap - 1);
        }
        S->hash[i] = k + 1;
    }
    return 0;
}

static int dtype_of(const char *s, int *dt, int *esize) {
    static const struct { const char *name; int dt, size; } tab[] = {
        {"F32", DT_F32, 4}, {"F16", DT_F16, 2}, {"BF16", DT_BF16, 2}, {"F64", DT_OTHER, 8},
        {"I64", DT_OTHER, 8}, {"U64", DT_OTHER, 8}, {"I32", DT_OTHER, 4}, {"U32", DT_OTHER, 4},
        {"I16", DT_OTHER, 2}, {"U16", DT_OTHER, 2}, {"I8", DT_OTHER, 1}, {"U8", DT_OTHER, 1},
        {"BOOL", DT_OTHER, 1}, {"F8_E4M3", DT_OTHER, 1}, {"F8_E5M2", DT_OTHER, 1}};
    size_t i;
    for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (!strcmp(tab[i].name, s)) { *dt = tab[i].dt; *esize = tab[i].size; return 1; }
    return 0;
}

#define ST_FAIL(...) do { cv_error(__VA_ARGS__); json_free(&doc); return -1; } while (0)
static int st_open(cv_state *S, const char *path) {
    int fd, fi;
    struct stat st;
    void *p;
    uint64_t hlen, data_size;
    const unsigned char *data;
    json_doc doc;
    const json_node *root, *m;
    char err[256];
    st_file *nf;

    nf = (st_file *)realloc(S->files, (size_t)(S->n_files + 1) * sizeof(st_file));
    if (!nf) return cv_error("out of memory");
    S->files = nf;
    fi = S->n_files;

    if ((fd = open_regular(path, NULL, &st)) < 0) return -1;
    if (st.st_size < 8) { close(fd); return cv_error("%s: too small for a safetensors file (%lld bytes)", path, (long long)st.st_size); }
    if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) { close(fd); return cv_error("%s: too large to map", path); }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return cv_error("%s: mmap failed: %s", path, strerror(errno));
    S->files[fi].map = (const unsigned char *)p;
    S->files[fi].size = (size_t)st.st_size;
    S->files[fi].path = (char *)malloc(strlen(path) + 1);
    if (!S->files[fi].path) { munmap(p, (size_t)st.st_size); return cv_error("out of memory"); }
    strcpy(S->files[fi].path, path);
    S->n_files++;

    {
        const unsigned char *b = S->files[fi].map;
        int i;
        hlen = 0;
        for (i = 7; i >= 0; i--) hlen = (hlen << 8) | b[i];
    }
    if (hlen > (uint64_t)st.st_size - 8) return cv_error("%s: header length %llu exceeds the file size %lld", path, (unsigned long long)hlen, (long long)st.st_size);
    if (hlen > CV_MAX_ST_HEADER) return cv_error("%s: header length %llu is too large", path, (unsigned long long)hlen);
    if (hlen < 2) return cv_error("%s: header too short", path);
    data = S->files[fi].map + 8 + hlen;
    data_size = (uint64_t)st.st_size - 8 - hlen;
    if (json_parse((const char *)S->files[fi].map + 8, (size_t)hlen, 16, &doc, err, sizeof err) != 0)
        return cv_error("%s: bad header: %s", path, err);
    root = json_root(&doc);
    if (root->type != JSON_OBJECT) ST_FAIL("%s: header is not a JSON object", path);
    for (m = root->child; m; m = m->next) {
        st_tensor *t;
        const json_node *dt, *shape, *offs, *e;
        long long b0, b1, v;
        int esize = 0, d;
        uint64_t numel = 1;
        if (!strcmp(m->key, "__metadata__")) continue;
        if (m->key_len != strlen(m->key) || m->key_len == 0 || m->key_len > 512)
            ST_FAIL("%s: bad tensor name in header (empty, too long or containing NUL)", path);
        if (m->type != JSON_OBJECT) ST_FAIL("%s: tensor %s: entry is not an object", path, m->key);
        dt = json_get(m, "dtype");
        shape = json_get(m, "shape");
        offs = json_get(m, "data_offsets");
        if (!json_str(dt) || !shape || shape->type != JSON_ARRAY || !offs || offs->type != JSON_ARRAY || offs->count != 2)
            ST_FAIL("%s: tensor %s: needs dtype (string), shape (array) and data_offsets ([begin, end])", path, m->key);
        if (shape->count > CV_MAX_DIMS) ST_FAIL("%s: tensor %s: %lu dimensions", path, m->key, (unsigned long)shape->count);
        if (S->n_tensors == S->cap_tensors) {
            size_t nc = S->cap_tensors ? S->cap_tensors * 2 : 256;
            st_tensor *nt = (st_tensor *)realloc(S->tensors, nc * sizeof(st_tensor));
            if (!nt) ST_FAIL("out of memory");
            S->tensors = nt;
            S->cap_tensors = nc;
        }
        t = &S->tensors[S->n_tensors];
        memset(t, 0, sizeof *t);
        t->file = fi;
        if (!dtype_of(dt->str, &t->dtype, &esize)) { t->dtype = DT_OTHER; esize = 0; }
        snprintf(t->dtype_name, sizeof t->dtype_name, "%s", dt->str);
        for (d = 0, e = shape->child; e; e = e->next, d++) {
            if (!json_int(e, &v) || v < 0 || v > ((long long)1 << 40))
                ST_FAIL("%s: tensor %s: bad shape entry", path, m->key);
            t->shape[d] = v;
            if (v && numel > ((uint64_t)1 << 50) / (uint64_t)v) ST_FAIL("%s: tensor %s: shape too large", path, m->key);
            numel *= (uint64_t)v;
        }
        t->n_dims = d;
        t->numel = numel;
        if (!json_int(offs->child, &b0) || !json_int(offs->child->next, &b1) || b0 < 0 || b1 < b0 ||
            (uint64_t)b1 > data_size)
            ST_FAIL("%s: tensor %s: data_offsets out of range (data section is %llu bytes)", path, m->key,
                    (unsigned long long)data_size);
        t->data = data + b0;
        t->nbytes = (uint64_t)(b1 - b0);
        if (esize && t->nbytes != numel * (uint64_t)esize)
            ST_FAIL("%s: tensor %s: %llu bytes for %llu elements of %s", path, m->key, (unsigned long long)t->nbytes,
                    (unsigned long long)numel, t->dtype_name);
        t->name = (char *)malloc(m->key_len + 1);
        if (!t->name) ST_FAIL("out of memory");
        memcpy(t->name, m->key, m->key_len + 1);
        S->n_tensors++;
    }
    json_free(&doc);
    return 0;
}
#undef ST_FAIL

static int safe_shard_name(const char *s) {
    if (!s[0] || s[0] == '.' || strchr(s, '/') || strchr(s, '\\')) return 0;
    return 1;
}

static int st_load_dir(cv_state *S) {
    char path[4096];
    if (join_path(path, sizeof path, S->dir, "model.safetensors")) return -1;
    if (path_exists(path)) {
        if (st_open(S, path)) return -1;
    } else {
        json_doc idx;
        const json_node *wm, *e;
        const char **names = NULL;
        int n_names = 0, i, rc;
        if (join_path(path, sizeof path, S->dir, "model.safetensors.index.json")) return -1;
        rc = load_json(path, &idx, 1);
        if (rc == 1) return cv_error("%s: neither model.safetensors nor model.safetensors.index.json found", S->dir);
        if (rc) return -1;
        wm = json_get(json_root(&idx), "weight_map");
        if (!wm || wm->type != JSON_OBJECT || !wm->count) { json_free(&idx); return cv_error("%s: no weight_map object", path); }
        names = (const char **)calloc(wm->count, sizeof(char *));
        if (!names) { json_free(&idx); return cv_error("out of memory"); }
        for (e = wm->child; e; e = e->next) {
            const char *fn = json_str(e);
            if (!fn || strlen(fn) != e->len || !safe_shard_name(fn)) {
                cv_error("%s: weight_map entry for %s is not a plain file name", path, e->key);
                free(names);
                json_free(&idx);
                return -1;
            }
            for (i = 0; i < n_names; i++)
                if (!strcmp(names[i], fn)) break;
            if (i == n_names) names[n_names++] = fn;
        }
        for (i = 0; i < n_names; i++) {
            char sp[4096];
            if (join_path(sp, sizeof sp, S->dir, names[i]) || st_open(S, sp)) { free(names); json_free(&idx); return -1; }
        }
        if (st_build_hash(S)) { free(names); json_free(&idx); return -1; }
        for (e = wm->child; e; e = e->next) {
            const st_tensor *t = st_find(S, e->key);
            const char *fp = NULL;
            size_t fl;
            if (t) {
                fp = S->files[t->file].path;
                fl = strlen(fp);
                if (fl < e->len || strcmp(fp + fl - e->len, e->str) != 0 || (fl > e->len && fp[fl - e->len - 1] != '/')) t = NULL;
            }
            if (!t) {
                cv_error("%s: weight_map puts %s in %s, but that file has no such tensor", path, e->key, e->str);
                free(names);
                json_free(&idx);
                return -1;
            }
        }
        free(names);
        json_free(&idx);
        return 0;
    }
    return st_build_hash(S);
}

static void st_free(cv_state *S) {
    size_t k;
    int i;
    for (k = 0; k < S->n_tensors; k++) free(S->tensors[k].name);
    free(S->tensors);
    for (i = 0; i < S->n_files; i++) {
        munmap((void *)S->files[i].map, S->files[i].size);
        free(S->files[i].path);
    }
    free(S->files);
    free(S->hash);
}

static void shape_str(char *b, size_t n, const int64_t *s, int nd) {
    size_t o = 0;
    int i;
    b[0] = '\0';
    for (i = 0; i < nd && o < n; i++) {
        int r = snprintf(b + o, n - o, i ? ", %lld" : "%lld", (long long)s[i]);
        if (r < 0) break;
        o += (size_t)r;
    }
}

/* Finds a tensor and checks its shape (HF order). Marks it used. */
static const st_tensor *need(cv_state *S, const char *name, int nd, int64_t a, int64_t b, int64_t c) {
    st_tensor *t = st_find(S, name);
    int64_t exp[3];
    int i, ok;
    char got[128], want[128];
    exp[0] = a; exp[1] = b; exp[2] = c;
    if (!t) { cv_error("missing tensor %s in %s", name, S->dir); return NULL; }
    ok = t->n_dims == nd;
    for (i = 0; ok && i < nd; i++) ok = t->shape[i] == exp[i];
    if (!ok) {
        shape_str(got, sizeof got, t->shape, t->n_dims);
        shape_str(want, sizeof want, exp, nd);
        cv_error("tensor %s (%s): shape [%s], expected [%s]", name, S->files[t->file].path, got, want);
        return NULL;
    }
    if (t->dtype == DT_OTHER) {
        cv_error("tensor %s (%s): dtype %s is not supported (F32, F16, BF16 are)", name, S->files[t->file].path, t->dtype_name);
        return NULL;
    }
    t->used = 1;
    return t;
}

static const st_tensor *find_either(cv_state *S, const char *a, const char *b, const char **which) {
    st_tensor *t = st_find(S, a);
    *which = a;
    if (!t) { t = st_find(S, b); *which = b; }
    return t;
}

/* ------------------------------------------------------------------------------------------ */
/* config.json                                                                                */

typedef struct cv_config {
    int arch;               /* OLMOE_ARCH_* */
    const char *arch_str;
    long long vocab, d, ff, n_layer, n_head, n_head_kv, n_expert, n_expert_used, ctx;
    double theta, eps;
    long long bos, eos, pad; /* -1 when absent */
} cv_config;

static int cfg_int(const json_node *root, const char *path, const char *key, int required, long long def,
                   long long lo, long long hi, long long *out) {
    const json_node *n = json_get(root, key);
    if (json_is_null(n)) {
        if (required) return cv_error("%s: missing %s", path, key);
        *out = def;
        return 0;
    }
    if (!json_int(n, out)) return cv_error("%s: %s is not an integer", path, key);
    if (*out < lo || *out > hi) return cv_error("%s: %s = %lld is out of range [%lld, %lld]", path, key, *out, lo, hi);
    return 0;
}

static long long cfg_token_id(const json_node *root, const char *key) {
    const json_node *n = json_get(root, key);
    long long v;
    if (n && n->type == JSON_ARRAY) n = n->child; /* eos_token_id may be a list */
    if (json_int(n, &v) && v >= 0 && v <= INT32_MAX) return v;
    return -1;
}

static int cfg_truthy(const json_node *n) {
    int b;
    double d;
    if (json_bool(n, &b)) return b;
    if (json_double(n, &d)) return d != 0.0;
    return !json_is_null(n);
}

/* rope_scaling / rope_parameters: accept only the default (unscaled) rope. */
static int rope_is_default(const json_node *n) {
    const json_node *c;
    if (json_is_null(n)) return 1;
    if (n->type != JSON_OBJECT) return 0;
    for (c = n->child; c; c = c->next) {
        if (!strcmp(c->key, "rope_theta")) continue;
        if (!strcmp(c->key, "rope_type") || !strcmp(c->key, "type")) {
            if (json_is_null(c)) continue;
            if (json_str(c) && !strcmp(c->str, "default")) continue;
        }
        return 0;
    }
    return 1;
}

static int read_config(const char *dir, cv_config *c) {
    char path[4096];
    json_doc doc;
    const json_node *root, *mt, *n, *rp;
    int rc = -1;
    long long hd;
    if (join_path(path, sizeof path, dir, "config.json")) return -1;
    if (load_json(path, &doc, 0)) return -1;
    root = json_root(&doc);
    memset(c, 0, sizeof *c);
    if (root->type != JSON_OBJECT) { cv_error("%s: not a JSON object", path); goto done; }
    mt = json_get(root, "model_type");
    if (json_str(mt) && !json_cstr(mt)) { cv_error("%s: model_type contains a NUL byte (\\u0000)", path); goto done; }
    if (json_str(mt)) {
        if (!strcmp(mt->str, "olmoe")) c->arch = OLMOE_ARCH_OLMOE;
        else if (!strcmp(mt->str, "flex_olmo")) c->arch = OLMOE_ARCH_FLEX_OLMO;
        else { cv_error("%s: model_type '%s' is not supported (olmoe, flex_olmo are)", path, mt->str); goto done; }
    } else {
        const char *a = json_str(json_at(json_get(root, "architectures"), 0));
        if (a && !strcmp(a, "OlmoeForCausalLM")) c->arch = OLMOE_ARCH_OLMOE;
        else if (a && !strcmp(a, "FlexOlmoForCausalLM")) c->arch = OLMOE_ARCH_FLEX_OLMO;
        else { cv_error("%s: no model_type, and architectures[0] is not OlmoeForCausalLM or FlexOlmoForCausalLM", path); goto done; }
    }
    c->arch_str = c->arch == OLMOE_ARCH_OLMOE ? "olmoe" : "flex_olmo";

    /* what this engine cannot run */
    if (cfg_truthy(json_get(root, "norm_topk_prob"))) {
        cv_error("%s: norm_topk_prob is true; this engine implements the released routing without top-k renormalisation", path);
        goto done;
    }
    if (!json_is_null(json_get(root, "clip_qkv"))) { cv_error("%s: clip_qkv is set; q/k/v clipping is not supported", path); goto done; }
    if (!rope_is_default(json_get(root, "rope_scaling"))) { cv_error("%s: rope_scaling is set; RoPE scaling is not supported", path); goto done; }
    rp = json_get(root, "rope_parameters");
    if (!rope_is_default(rp)) { cv_error("%s: rope_parameters asks for a scaled RoPE; only rope_type \"default\" is supported", path); goto done; }
    if (cfg_truthy(json_get(root, "attention_bias"))) { cv_error("%s: attention_bias is true; attention biases are not supported", path); goto done; }
    if (cfg_truthy(json_get(root, "tie_word_embeddings"))) {
        cv_error("%s: tie_word_embeddings is true; this engine needs a separate lm_head (not converting a tied model silently)", path);
        goto done;
    }
    n = json_get(root, "hidden_act");
    if (json_str(n) && (!json_cstr(n) || strcmp(n->str, "silu") != 0)) { cv_error("%s: hidden_act '%s' is not supported (silu is)", path, n->str); goto done; }

    if (cfg_int(root, path, "vocab_size", 1, 0, 1, 1 << 24, &c->vocab) ||
        cfg_int(root, path, "hidden_size", 1, 0, 1, 1 << 20, &c->d) ||
        cfg_int(root, path, "intermediate_size", 1, 0, 1, 1 << 24, &c->ff) ||
        cfg_int(root, path, "num_hidden_layers", 1, 0, 1, CV_MAX_LAYERS, &c->n_layer) ||
        cfg_int(root, path, "num_attention_heads", 1, 0, 1, 1 << 16, &c->n_head) ||
        cfg_int(root, path, "num_key_value_heads", 0, c->n_head, 1, c->n_head, &c->n_head_kv) ||
        cfg_int(root, path, "num_experts", 1, 0, 1, CV_MAX_EXPERTS, &c->n_expert) ||
        cfg_int(root, path, "num_experts_per_tok", 1, 0, 1, c->n_expert, &c->n_expert_used) ||
        cfg_int(root, path, "max_position_embeddings", 0, 4096, 1, INT32_MAX, &c->ctx))
        goto done;
    if (c->d % c->n_head) { cv_error("%s: hidden_size %lld is not a multiple of num_attention_heads %lld", path, c->d, c->n_head); goto done; }
    if (c->n_head % c->n_head_kv) { cv_error("%s: num_attention_heads %lld is not a multiple of num_key_value_heads %lld", path, c->n_head, c->n_head_kv); goto done; }
    if ((c->d / c->n_head) % 2) { cv_error("%s: head dimension %lld is odd", path, c->d / c->n_head); goto done; }
    if (cfg_int(root, path, "head_dim", 0, c->d / c->n_head, 1, 1 << 16, &hd)) goto done;
    if (hd != c->d / c->n_head) { cv_error("%s: head_dim %lld differs from hidden_size/num_attention_heads = %lld; not supported", path, hd, c->d / c->n_head); goto done; }

    /* rope theta: top level (transformers 4.x) or rope_parameters.rope_theta (5.x) */
    n = json_get(root, "rope_theta");
    if (json_is_null(n)) n = json_get(rp, "rope_theta");
    if (json_is_null(n)) {
        c->theta = c->arch == OLMOE_ARCH_OLMOE ? 10000.0 : 500000.0;
        cv_note("config.json has no rope_theta; using the %s default %g", c->arch_str, c->theta);
    } else if (!json_double(n, &c->theta)) {
        cv_error("%s: rope_theta is a %s, not a number", path, json_type_name(n->type));
        goto done;
    } else if (!(c->theta > 0) || !isfinite(c->theta) || c->theta > FLT_MAX) {
        /* JSON's 1e999 parses as infinity; the GGUF stores a float32 */
        cv_error("%s: rope_theta = %g is not a positive number a float32 can hold", path, c->theta);
        goto done;
    }
    n = json_get(root, "rms_norm_eps");
    if (json_is_null(n)) {
        /* the class defaults: OlmoeConfig 1e-5, FlexOlmoConfig 1e-6 */
        c->eps = c->arch == OLMOE_ARCH_OLMOE ? 1e-5 : 1e-6;
        cv_note("config.json has no rms_norm_eps; using the %s default %g", c->arch_str, c->eps);
    } else if (!json_double(n, &c->eps) || !(c->eps >= 0 && c->eps < 1)) { cv_error("%s: bad rms_norm_eps", path); goto done; }
    c->bos = cfg_token_id(root, "bos_token_id");
    c->eos = cfg_token_id(root, "eos_token_id");
    c->pad = cfg_token_id(root, "pad_token_id");
    rc = 0;
done:
    json_free(&doc);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* tokenizer                                                                                  */

enum { TT_NORMAL = 1, TT_CONTROL = 3, TT_USER_DEFINED = 4, TT_UNUSED = 5 };

/* "<tok>" or {"content": "<tok>"} -> string */
static const char *special_content(const json_node *n) {
    if (json_str(n)) return n->str;
    if (n && n->type == JSON_OBJECT) return json_str(json_get(n, "content"));
    return NULL;
}

static long long resolve_token(const json_node *added, const json_node *vocab, const char *s) {
    const json_node *a;
    long long id;
    size_t sl = strlen(s);
    for (a = added ? added->child : NULL; a; a = a->next) {
        const json_node *c = json_get(a, "content");
        if (json_str(c) && c->len == sl && !memcmp(c->str, s, sl) && json_int(json_get(a, "id"), &id)) return id;
    }
    for (a = vocab ? vocab->child : NULL; a; a = a->next)
        if (a->key_len == sl && !memcmp(a->key, s, sl) && json_int(a, &id)) return id;
    return -1;
}

/* The normalizer: none, NFC, or a Sequence of NFCs are what olmoe.h implements; anything else
   (Lowercase, NFKC, Replace, ...) would tokenize differently from HF, so it is an error. Sets
   *nfc; returns 0, or -1 with a message. */
static int read_normalizer(const json_node *n, const char *path, int *nfc) {
    const char *t;
    const json_node *l, *c;
    *nfc = 0;
    if (json_is_null(n)) return 0;
    t = json_cstr(json_get(n, "type"));
    if (t && !strcmp(t, "NFC")) { *nfc = 1; return 0; }
    if (!t || strcmp(t, "Sequence") != 0)
        return cv_error("%s: normalizer %s is not supported (olmoe.h implements none, NFC, or a Sequence of NFC)", path, t ? t : "without a type");
    l = json_get(n, "normalizers");
    if (!l || l->type != JSON_ARRAY) return cv_error("%s: normalizer Sequence without a normalizers array", path);
    for (c = l->child; c; c = c->next) {
        const char *ct = json_cstr(json_get(c, "type"));
        if (!ct || strcmp(ct, "NFC") != 0)
            return cv_error("%s: normalizer Sequence holds %s, which is not supported (olmoe.h implements NFC only)", path, ct ? ct : "an entry without a type");
        *nfc = 1;
    }
    return 0;
}

/* model.vocab's keys, for checking merges the way HF's BPE builder does */
typedef struct vocab_set { const json_node **slot; size_t mask; } vocab_set;
static uint64_t fnv1a_n(uint64_t h, const char *s, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 1099511628211ull; }
    return h;
}
static int vset_build(vocab_set *v, const json_node *vocab) {
    size_t cap = 16;
    const json_node *e;
    while (cap < vocab->count * 2 + 2) cap *= 2;
    v->slot = (const json_node **)calloc(cap, sizeof(json_node *));
    if (!v->slot) return cv_error("out of memory");
    v->mask = cap - 1;
    for (e = vocab->child; e; e = e->next) {
        size_t i = (size_t)fnv1a_n(1469598103934665603ull, e->key, e->key_len) & v->mask;
        while (v->slot[i]) i = (i + 1) & v->mask;
        v->slot[i] = e;
    }
    return 0;
}
/* is the concatenation a + b a key of model.vocab? */
static int vset_has(const vocab_set *v, const char *a, size_t la, const char *b, size_t lb) {
    size_t i = (size_t)fnv1a_n(fnv1a_n(1469598103934665603ull, a, la), b, lb) & v->mask;
    for (; v->slot[i]; i = (i + 1) & v->mask) {
        const json_node *e = v->slot[i];
        if (e->key_len == la + lb && !memcmp(e->key, a, la) && !memcmp(e->key + la, b, lb)) return 1;
    }
    return 0;
}

static int write_tokenizer(gguf_writer *w, const char *dir, const cv_config *cfg, int *wrote) {
    char path[4096], tcpath[4096];
    json_doc tj, tc;
    int rc = -1, have_tc, nfc = 0;
    vocab_set vs = {NULL, 0};
    const json_node *root, *model, *vocab, *merges, *added, *pre, *tcr = NULL, *e;
    const char **tok = NULL, **mrg = NULL;
    size_t *tok_len = NULL, *mrg_len = NULL, n_merges = 0, i;
    int32_t *types = NULL;
    char **owned = NULL;
    size_t n_owned = 0;
    const char *pre_name = NULL, *pre_regex = NULL, *mt;
    long long V = cfg->vocab, id, n_real = 0;
    char *jinja = NULL;

    *wrote = 0;
    if (join_path(path, sizeof path, dir, "tokenizer.json") || join_path(tcpath, sizeof tcpath, dir, "tokenizer_config.json")) return -1;
    rc = load_json(path, &tj, 1);
    if (rc == 1) { cv_note("warning: %s not found; writing no tokenizer metadata", path); return 0; }
    if (rc) return -1;
    rc = -1;
    have_tc = load_json(tcpath, &tc, 1);
    if (have_tc < 0) { json_free(&tj); return -1; }
    have_tc = have_tc == 0;
    if (have_tc) {
        tcr = json_root(&tc);
        if (tcr->type != JSON_OBJECT) { cv_error("%s: not a JSON object", tcpath); goto done; }
    }
    root = json_root(&tj);
    model = json_get(root, "model");
    if (!model || model->type != JSON_OBJECT) { cv_error("%s: no model object", path); goto done; }
    mt = json_str(json_get(model, "type"));
    if (mt && strcmp(mt, "BPE") != 0) { cv_error("%s: tokenizer model type '%s' is not supported (BPE is)", path, mt); goto done; }
    vocab = json_get(model, "vocab");
    merges = json_get(model, "merges");
    if (!vocab || vocab->type != JSON_OBJECT) { cv_error("%s: model.vocab is not an object", path); goto done; }
    if (!merges || merges->type != JSON_ARRAY) { cv_error("%s: model.merges is not an array", path); goto done; }
    if (!vocab->count) { cv_error("%s: model.vocab is empty", path); goto done; }
    {
        /* BPE options olmoe.h does not implement: each would tokenize differently from HF */
        static const char *const unsup[] = {"continuing_subword_prefix", "end_of_word_suffix"};
        const json_node *dn = json_get(model, "dropout");
        double dv = 0;
        int bf, k;
        if (json_bool(json_get(model, "byte_fallback"), &bf) && bf) { cv_error("%s: byte_fallback BPE is not supported", path); goto done; }
        if (json_bool(json_get(model, "ignore_merges"), &bf) && bf) { cv_error("%s: model.ignore_merges is true; not supported", path); goto done; }
        for (k = 0; k < 2; k++) {
            const json_node *x = json_get(model, unsup[k]);
            if (!json_is_null(x) && !(json_str(x) && x->len == 0)) { cv_error("%s: model.%s is set; not supported", path, unsup[k]); goto done; }
        }
        if (!json_is_null(dn) && !(json_double(dn, &dv) && dv == 0)) { cv_error("%s: model.dropout is set; BPE dropout is not supported", path); goto done; }
    }
    if (read_normalizer(json_get(root, "normalizer"), path, &nfc)) goto done;

    /* pre-tokenizer */
    pre = json_get(root, "pre_tokenizer");
    {
        const char *pt = json_str(json_get(pre, "type"));
        int ur = 1, aps = 0;
        if (pt && !strcmp(pt, "ByteLevel")) {
            json_bool(json_get(pre, "use_regex"), &ur);
            json_bool(json_get(pre, "add_prefix_space"), &aps);
            if (ur && !aps) pre_name = "olmo";
        } else if (pt && !strcmp(pt, "Sequence")) {
            const json_node *l = json_get(pre, "pretokenizers"), *sp, *bl;
            if (l && l->type == JSON_ARRAY && l->count == 2) {
                const char *beh, *rx;
                int inv = 0;
                sp = l->child;
                bl = sp->next;
                beh = json_str(json_get(sp, "behavior"));
                rx = json_str(json_get(json_get(sp, "pattern"), "Regex"));
                if (rx && !json_cstr(json_get(json_get(sp, "pattern"), "Regex"))) {
                    cv_error("%s: the pre_tokenizer's Split regex contains a NUL byte (\\u0000)", path);
                    goto done;
                }
                json_bool(json_get(sp, "invert"), &inv);
                ur = 1;
                json_bool(json_get(bl, "use_regex"), &ur);
                json_bool(json_get(bl, "add_prefix_space"), &aps);
                /* Removed + invert keeps exactly the matches as pieces and drops what lies between
                   them; the regexes olmoe.h runs (GPT-2, cl100k: check_output refuses any other)
                   match every character, so nothing lies between and it splits as Isolated does.
                   dolma2 (FlexOlmo's tokenizer) is written that way. */
                if (json_str(json_get(sp, "type")) && !strcmp(json_get(sp, "type")->str, "Split") && rx && beh &&
                    ((!inv && !strcmp(beh, "Isolated")) || (inv && !strcmp(beh, "Removed"))) && json_str(json_get(bl, "type")) &&
                    !strcmp(json_get(bl, "type")->str, "ByteLevel") && !ur && !aps) {
                    pre_name = "dbrx";
                    pre_regex = rx;
                }
            }
        }
        if (!pre_name) {
            cv_error("%s: unsupported pre_tokenizer (supported: ByteLevel with use_regex=true, or Sequence[Split(Regex, Isolated or inverted Removed), ByteLevel(use_regex=false)])", path);
            goto done;
        }
    }

    tok = (const char **)calloc((size_t)V, sizeof(char *));
    tok_len = (size_t *)calloc((size_t)V, sizeof(size_t));
    types = (int32_t *)calloc((size_t)V, sizeof(int32_t));
    owned = (char **)calloc((size_t)V + merges->count + 1, sizeof(char *));
    mrg = (const char **)calloc(merges->count + 1, sizeof(char *));
    mrg_len = (size_t *)calloc(merges->count + 1, sizeof(size_t));
    if (!tok || !tok_len || !types || !owned || !mrg || !mrg_len) { cv_error("out of memory"); goto done; }

    for (e = vocab->child; e; e = e->next) {
        if (!json_int(e, &id) || id < 0) { cv_error("%s: vocab entry has a bad id", path); goto done; }
        if (id >= V) { cv_error("%s: token id %lld is not below vocab_size %lld (config.json)", path, id, V); goto done; }
        if (tok[id]) { cv_note("warning: %s: token id %lld appears twice in model.vocab; keeping the first", path, id); continue; }
        tok[id] = e->key;
        tok_len[id] = e->key_len;
        types[id] = TT_NORMAL;
    }
    added = json_get(root, "added_tokens");
    if (added && added->type != JSON_ARRAY) { cv_error("%s: added_tokens is not an array", path); goto done; }
    for (e = added ? added->child : NULL; e; e = e->next) {
        const json_node *c = json_get(e, "content");
        int special = 0;
        if (!json_int(json_get(e, "id"), &id) || !json_str(c)) { cv_error("%s: added_tokens entry without id/content", path); goto done; }
        if (id < 0 || id >= V) { cv_error("%s: added token id %lld is not below vocab_size %lld", path, id, V); goto done; }
        json_bool(json_get(e, "special"), &special);
        /* the raw content: CONTROL and USER_DEFINED tokens are matched in the text as they are */
        tok[id] = c->str;
        tok_len[id] = c->len;
        types[id] = special ? TT_CONTROL : TT_USER_DEFINED;
    }
    for (id = 0; id < V; id++) {
        if (tok[id]) { n_real++; continue; }
        {
            char b[32];
            int l = snprintf(b, sizeof b, "[PAD%lld]", id);
            char *s = (char *)malloc((size_t)l + 1);
            if (!s) { cv_error("out of memory"); goto done; }
            memcpy(s, b, (size_t)l + 1);
            owned[n_owned++] = s;
            tok[id] = s;
            tok_len[id] = (size_t)l;
            types[id] = TT_UNUSED;
        }
    }
    if (vset_build(&vs, vocab)) goto done;
    for (e = merges->child; e; e = e->next) {
        const char *pa, *pb;
        size_t la, lb;
        if (json_str(e)) {
            /* "a b": exactly two parts, as HF splits it */
            const char *sp1 = (const char *)memchr(e->str, ' ', e->len);
            if (!sp1 || memchr(sp1 + 1, ' ', e->len - (size_t)(sp1 - e->str) - 1)) {
                cv_error("%s: merge #%lu \"%.*s\" is not two tokens separated by one space", path, (unsigned long)n_merges,
                         (int)(e->len < 64 ? e->len : 64), e->str);
                goto done;
            }
            pa = e->str;
            la = (size_t)(sp1 - e->str);
            pb = sp1 + 1;
            lb = e->len - la - 1;
            mrg[n_merges] = e->str;
            mrg_len[n_merges] = e->len;
        } else if (e->type == JSON_ARRAY && e->count == 2 && json_str(e->child) && json_str(e->child->next)) {
            char *s;
            la = e->child->len;
            lb = e->child->next->len;
            pa = e->child->str;
            pb = e->child->next->str;
            if (memchr(pa, ' ', la) || memchr(pb, ' ', lb)) {
                cv_error("%s: merge #%lu has a part with a space, which the GGUF's \"a b\" form cannot hold", path, (unsigned long)n_merges);
                goto done;
            }
            s = (char *)malloc(la + lb + 2);
            if (!s) { cv_error("out of memory"); goto done; }
            memcpy(s, e->child->str, la);
            s[la] = ' ';
            memcpy(s + la + 1, e->child->next->str, lb);
            s[la + lb + 1] = '\0';
            owned[n_owned++] = s;
            mrg[n_merges] = s;
            mrg_len[n_merges] = la + lb + 1;
        } else {
            cv_error("%s: merge #%lu is neither \"a b\" nor [\"a\", \"b\"]", path, (unsigned long)n_merges);
            goto done;
        }
        /* HF refuses to load a merge whose parts or result are not in model.vocab (and so does
           olmoe.h's loader): the file would be useless */
        if (!vset_has(&vs, pa, la, "", 0) || !vset_has(&vs, pb, lb, "", 0)) {
            int first = !vset_has(&vs, pa, la, "", 0);
            cv_error("%s: merge #%lu \"%.*s %.*s\": '%.*s' is not in model.vocab", path, (unsigned long)n_merges, (int)(la < 64 ? la : 64), pa,
                     (int)(lb < 64 ? lb : 64), pb, first ? (int)(la < 64 ? la : 64) : (int)(lb < 64 ? lb : 64), first ? pa : pb);
            goto done;
        }
        if (!vset_has(&vs, pa, la, pb, lb)) {
            cv_error("%s: merge #%lu \"%.*s %.*s\": the merged token is not in model.vocab", path, (unsigned long)n_merges,
                     (int)(la < 64 ? la : 64), pa, (int)(lb < 64 ? lb : 64), pb);
            goto done;
        }
        n_merges++;
    }

    if (gguf_w_kv_str(w, "tokenizer.ggml.model", "gpt2") || gguf_w_kv_str(w, "tokenizer.ggml.pre", pre_name) ||
        gguf_w_kv_arr_str(w, "tokenizer.ggml.tokens", tok, tok_len, (uint64_t)V) ||
        gguf_w_kv_arr_i32(w, "tokenizer.ggml.token_type", types, (uint64_t)V) ||
        gguf_w_kv_arr_str(w, "tokenizer.ggml.merges", mrg, mrg_len, n_merges)) {
        cv_error("gguf: %s", gguf_w_error(w));
        goto done;
    }

    /* special token ids: tokenizer_config.json strings first, then config.json ids */
    {
        static const char *const tc_keys[3] = {"bos_token", "eos_token", "pad_token"};
        static const char *const kv_keys[3] = {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.padding_token_id"};
        long long fallback[3];
        int k;
        fallback[0] = cfg->bos; fallback[1] = cfg->eos; fallback[2] = cfg->pad;
        for (k = 0; k < 3; k++) {
            long long tid = -1;
            const char *s = have_tc ? special_content(json_get(tcr, tc_keys[k])) : NULL;
            if (s) {
                tid = resolve_token(added, vocab, s);
                if (tid < 0) cv_note("warning: %s %s \"%s\" is not in the vocabulary", tcpath, tc_keys[k], s);
            }
            if (tid < 0) tid = fallback[k];
            if (tid < 0) continue;
            if (tid >= V) { cv_note("warning: %s id %lld is not below vocab_size; not written", tc_keys[k], tid); continue; }
            if (gguf_w_kv_u32(w, kv_keys[k], (uint32_t)tid)) { cv_error("gguf: %s", gguf_w_error(w)); goto done; }
        }
    }
    {
        int ab = 0, ae = 0;
        if (have_tc) {
            json_bool(json_get(tcr, "add_bos_token"), &ab);
            json_bool(json_get(tcr, "add_eos_token"), &ae);
        }
        if (gguf_w_kv_bool(w, "tokenizer.ggml.add_bos_token", ab) || gguf_w_kv_bool(w, "tokenizer.ggml.add_eos_token", ae)) {
            cv_error("gguf: %s", gguf_w_error(w));
            goto done;
        }
    }
    {
        const json_node *ct = have_tc ? json_get(tcr, "chat_template") : NULL;
        const char *tmpl = NULL;
        size_t tl = 0;
        if (json_str(ct)) { tmpl = ct->str; tl = ct->len; }
        else if (ct && ct->type == JSON_ARRAY) { /* [{"name": ..., "template": ...}] */
            const json_node *c, *pick = NULL;
            for (c = ct->child; c; c = c->next) {
                const char *nm = json_str(json_get(c, "name"));
                if (!pick || (nm && !strcmp(nm, "default"))) pick = c;
            }
            if (pick && json_str(json_get(pick, "template"))) { tmpl = json_get(pick, "template")->str; tl = json_get(pick, "template")->len; }
        }
        if (!tmpl) { /* transformers >= 4.43 may save it separately */
            char jp[4096];
            size_t jl;
            int missing;
            if (join_path(jp, sizeof jp, dir, "chat_template.jinja")) goto done;
            if (read_whole(jp, &jinja, &jl, &missing) == 0) { tmpl = jinja; tl = jl; }
            else if (!missing) goto done;
        }
        if (tmpl && gguf_w_kv_strn(w, "tokenizer.chat_template", tmpl, tl)) { cv_error("gguf: %s", gguf_w_error(w)); goto done; }
    }
    if (pre_regex && gguf_w_kv_str(w, "tokenizer.olmoe.pre_regex", pre_regex)) { cv_error("gguf: %s", gguf_w_error(w)); goto done; }
    /* written also when there is none: the header's default for pre "olmo" without the key is NFC */
    if (gguf_w_kv_str(w, "tokenizer.olmoe.normalizer", nfc ? "nfc" : "none")) { cv_error("gguf: %s", gguf_w_error(w)); goto done; }
    cv_note("tokenizer: %lld tokens (%lld padding), %lu merges, pre-tokenizer %s%s", n_real, V - n_real,
            (unsigned long)n_merges, pre_name, nfc ? ", NFC" : "");
    *wrote = 1;
    rc = 0;
done:
    free(vs.slot);
    for (i = 0; i < n_owned; i++) free(owned[i]);
    free(owned);
    free(tok);
    free(tok_len);
    free(types);
    free(mrg);
    free(mrg_len);
    free(jinja);
    json_free(&tj);
    if (have_tc) json_free(&tc);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* tensor plan                                                                                */

typedef struct seg { const st_tensor *src; uint64_t row0, nrows; } seg;

typedef struct out_tensor {
    char name[96];
    int type;
    int n_dims;
    int64_t ne[3];
    uint64_t nbytes;
    seg *segs;
    int n_segs;
    char src[200];
    int fallback;
} out_tensor;

typedef struct plan {
    out_tensor *t;
    int n, cap;
} plan;

static out_tensor *plan_add(plan *P, const char *name, int n_dims, int64_t ne0, int64_t ne1, int64_t ne2, int n_segs) {
    out_tensor *o;
    if (P->n == P->cap) {
        int nc = P->cap ? P->cap * 2 : 64;
        out_tensor *nt = (out_tensor *)realloc(P->t, (size_t)nc * sizeof(out_tensor));
        if (!nt) { cv_error("out of memory"); return NULL; }
        P->t = nt;
        P->cap = nc;
    }
    o = &P->t[P->n];
    memset(o, 0, sizeof *o);
    snprintf(o->name, sizeof o->name, "%s", name);
    o->n_dims = n_dims;
    o->ne[0] = ne0; o->ne[1] = ne1; o->ne[2] = ne2;
    o->segs = (seg *)calloc((size_t)n_segs, sizeof(seg));
    if (!o->segs) { cv_error("out of memory"); return NULL; }
    o->n_segs = n_segs;
    P->n++;
    return o;
}

static void plan_free(plan *P) {
    int i;
    for (i = 0; i < P->n; i++) free(P->t[i].segs);
    free(P->t);
}

/* single-source tensor; HF shape = reverse of ne */
static int plan_simple(cv_state *S, plan *P, const char *gname, const char *hname, int n_dims, int64_t ne0, int64_t ne1) {
    const st_tensor *t = n_dims == 1 ? need(S, hname, 1, ne0, 0, 0) : need(S, hname, 2, ne1, ne0, 0);
    out_tensor *o;
    if (!t) return -1;
    o = plan_add(P, gname, n_dims, ne0, n_dims == 1 ? 1 : ne1, 1, 1);
    if (!o) return -1;
    o->segs[0].src = t;
    o->segs[0].row0 = 0;
    o->segs[0].nrows = n_dims == 1 ? 1 : (uint64_t)ne1;
    snprintf(o->src, sizeof o->src, "%s (%s)", hname, t->dtype_name);
    return 0;
}

static int build_plan(cv_state *S, const cv_config *c, plan *P) {
    int64_t d = c->d, F = c->ff, E = c->n_expert, V = c->vocab;
    int64_t qd = c->n_head * (c->d / c->n_head), kvd = c->n_head_kv * (c->d / c->n_head);
    int l;
    char g[128], h[128], h2[128];
    if (plan_simple(S, P, "token_embd.weight", "model.embed_tokens.weight", 2, d, V)) return -1;
    for (l = 0; l < c->n_layer; l++) {
        const char *which;
        const st_tensor *fused;
#define G(s) (snprintf(g, sizeof g, "blk.%d.%s.weight", l, s), g)
#define H(s) (snprintf(h, sizeof h, "model.layers.%d.%s", l, s), h)
        if (c->arch == OLMOE_ARCH_OLMOE) {
            if (plan_simple(S, P, G("attn_norm"), H("input_layernorm.weight"), 1, d, 0)) return -1;
        }
        if (plan_simple(S, P, G("attn_q"), H("self_attn.q_proj.weight"), 2, d, qd) ||
            plan_simple(S, P, G("attn_k"), H("self_attn.k_proj.weight"), 2, d, kvd) ||
            plan_simple(S, P, G("attn_v"), H("self_attn.v_proj.weight"), 2, d, kvd) ||
            plan_simple(S, P, G("attn_output"), H("self_attn.o_proj.weight"), 2, qd, d) ||
            plan_simple(S, P, G("attn_q_norm"), H("self_attn.q_norm.weight"), 1, qd, 0) ||
            plan_simple(S, P, G("attn_k_norm"), H("self_attn.k_norm.weight"), 1, kvd, 0))
            return -1;
        if (c->arch == OLMOE_ARCH_OLMOE) {
            if (plan_simple(S, P, G("ffn_norm"), H("post_attention_layernorm.weight"), 1, d, 0)) return -1;
        } else {
            if (plan_simple(S, P, G("post_attention_norm"), H("post_attention_layernorm.weight"), 1, d, 0) ||
                plan_simple(S, P, G("post_ffw_norm"), H("post_feedforward_layernorm.weight"), 1, d, 0))
                return -1;
        }
        if (plan_simple(S, P, G("ffn_gate_inp"), H("mlp.gate.weight"), 2, d, E)) return -1;

        snprintf(h2, sizeof h2, "model.layers.%d.mlp.experts.gate_up_proj.weight", l);
        fused = find_either(S, H("mlp.experts.gate_up_proj"), h2, &which);
        if (fused) {
            const st_tensor *gu, *dn;
            char gu_name[128], dn_name[128];
            out_tensor *og, *ou, *od;
            int64_t e;
            snprintf(gu_name, sizeof gu_name, "%s", which);
            snprintf(h2, sizeof h2, "model.layers.%d.mlp.experts.down_proj.weight", l);
            if (!find_either(S, H("mlp.experts.down_proj"), h2, &which)) {
                cv_error("missing tensor %s (the fused expert layout has %s) in %s", H("mlp.experts.down_proj"), gu_name, S->dir);
                return -1;
            }
            snprintf(dn_name, sizeof dn_name, "%s", which);
            if (!(gu = need(S, gu_name, 3, E, 2 * F, d)) || !(dn = need(S, dn_name, 3, E, d, F))) return -1;
            if (!(og = plan_add(P, G("ffn_gate_exps"), 3, d, F, E, (int)E))) return -1;
            if (!(od = plan_add(P, G("ffn_down_exps"), 3, F, d, E, (int)E))) return -1;
            if (!(ou = plan_add(P, G("ffn_up_exps"), 3, d, F, E, (int)E))) return -1;
            for (e = 0; e < E; e++) {
                og->segs[e].src = gu; og->segs[e].row0 = (uint64_t)(e * 2 * F); og->segs[e].nrows = (uint64_t)F;
                ou->segs[e].src = gu; ou->segs[e].row0 = (uint64_t)(e * 2 * F + F); ou->segs[e].nrows = (uint64_t)F;
                od->segs[e].src = dn; od->segs[e].row0 = (uint64_t)(e * d); od->segs[e].nrows = (uint64_t)d;
            }
            snprintf(og->src, sizeof og->src, "%s rows [e*2F, e*2F+F) (%s)", gu_name, gu->dtype_name);
            snprintf(ou->src, sizeof ou->src, "%s rows [e*2F+F, (e+1)*2F) (%s)", gu_name, gu->dtype_name);
            snprintf(od->src, sizeof od->src, "%s (%s)", dn_name, dn->dtype_name);
        } else {
            static const char *const gn[3] = {"ffn_gate_exps", "ffn_down_exps", "ffn_up_exps"};
            static const char *const hn[3] = {"gate_proj", "down_proj", "up_proj"};
            int k;
            for (k = 0; k < 3; k++) {
                int is_down = k == 1;
                int64_t e;
                out_tensor *o = plan_add(P, G(gn[k]), 3, is_down ? F : d, is_down ? d : F, E, (int)E);
                if (!o) return -1;
                for (e = 0; e < E; e++) {
                    const st_tensor *t;
                    snprintf(h, sizeof h, "model.layers.%d.mlp.experts.%lld.%s.weight", l, (long long)e, hn[k]);
                    t = is_down ? need(S, h, 2, d, F, 0) : need(S, h, 2, F, d, 0);
                    if (!t) return -1;
                    o->segs[e].src = t;
                    o->segs[e].row0 = 0;
                    o->segs[e].nrows = (uint64_t)(is_down ? d : F);
                }
                snprintf(o->src, sizeof o->src, "%lld x model.layers.%d.mlp.experts.E.%s.weight (%s)", (long long)E, l, hn[k],
                         o->segs[0].src->dtype_name);
            }
        }
#undef G
#undef H
    }
    if (plan_simple(S, P, "output_norm.weight", "model.norm.weight", 1, d, 0)) return -1;
    if (plan_simple(S, P, "output.weight", "lm_head.weight", 2, d, V)) return -1;
    return 0;
}

static int type_is_quant(int t) { return t == OLMOE_TYPE_Q8_0 || t == OLMOE_TYPE_Q4_0; }

/* req: one type for every matrix; or ftype >= 0: llama-quantize's per-tensor mix for that file
   type (tools/quantize.c quant_mix_type: q4_k_m, ...), the same types `olmoe quantize` gives. */
static void assign_types(plan *P, int req, int ftype, const cv_config *c) {
    int i, tied = 1;
    for (i = 0; i < P->n; i++) if (!strcmp(P->t[i].name, "output.weight")) tied = 0;
    for (i = 0; i < P->n; i++) {
        out_tensor *o = &P->t[i];
        size_t nl = strlen(o->name);
        int is_gate_inp = nl > 20 && !strcmp(o->name + nl - 20, ".ffn_gate_inp.weight");
        uint64_t nrows;
        if (o->n_dims == 1 || is_gate_inp) o->type = OLMOE_TYPE_F32;
        else if (ftype >= 0) {
            int t = quant_mix_type(ftype, o->name, o->n_dims, o->ne[0], (int)c->n_layer, (int)c->n_expert,
                                   c->n_head_kv > 0 ? (int)(c->n_head / c->n_head_kv) : 1, tied);
            o->type = t >= 0 ? t : OLMOE_TYPE_F32;
        } else {
            o->type = req;
            if (type_is_quant(req) && o->ne[0] % olmoe_type_block_size(req)) { o->type = OLMOE_TYPE_F16; o->fallback = 1; }
        }
        nrows = (uint64_t)o->ne[1] * (uint64_t)o->ne[2];
        o->nbytes = olmoe_type_row_size(o->type, o->ne[0]) * nrows;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* writing                                                                                    */

static char g_tmp_path[4200];
static volatile sig_atomic_t g_tmp_active;

static void on_signal(int sig) {
    if (g_tmp_active) unlink(g_tmp_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void src_row_f32(const st_tensor *t, uint64_t row, int64_t n, float *out) {
    int64_t i;
    if (t->dtype == DT_F32) {
        memcpy(out, t->data + row * (uint64_t)n * 4, (size_t)n * 4);
    } else {
        const unsigned char *p = t->data + row * (uint64_t)n * 2;
        for (i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            out[i] = t->dtype == DT_F16 ? olmoe_fp16_to_fp32(h) : olmoe_bf16_to_fp32(h);
        }
    }
}

static int same_format(int dtype, int type) {
    return (dtype == DT_F32 && type == OLMOE_TYPE_F32) || (dtype == DT_F16 && type == OLMOE_TYPE_F16) ||
           (dtype == DT_BF16 && type == OLMOE_TYPE_BF16);
}

static int write_tensor(gguf_writer *w, const out_tensor *o, unsigned char *chunk, size_t chunk_cap, float *row) {
    int64_t ne0 = o->ne[0];
    uint64_t rb = olmoe_type_row_size(o->type, ne0);
    size_t used = 0;
    int s;
    for (s = 0; s < o->n_segs; s++) {
        const seg *g = &o->segs[s];
        uint64_t r;
        if (same_format(g->src->dtype, o->type)) {
            /* bit-exact copy straight from the mapping */
            if (used && gguf_w_write_data(w, chunk, used)) return cv_error("%s: %s", o->name, gguf_w_error(w));
            used = 0;
            if (gguf_w_write_data(w, g->src->data + g->row0 * rb, (size_t)(g->nrows * rb)))
                return cv_error("%s: %s", o->name, gguf_w_error(w));
            continue;
        }
        for (r = 0; r < g->nrows; r++) {
            olmoe_result qr;
            if (used + rb > chunk_cap) {
                if (gguf_w_write_data(w, chunk, used)) return cv_error("%s: %s", o->name, gguf_w_error(w));
                used = 0;
            }
            src_row_f32(g->src, g->row0 + r, ne0, row);
            qr = olmoe_quantize_row(o->type, row, chunk + used, ne0);
            if (qr != OLMOE_OK) return cv_error("%s: quantizing to %s failed (%s)", o->name, olmoe_type_name(o->type), olmoe_result_str(qr));
            used += (size_t)rb;
        }
    }
    if (used && gguf_w_write_data(w, chunk, used)) return cv_error("%s: %s", o->name, gguf_w_error(w));
    return 0;
}

static const char *cv_basename(const char *p, char *buf, size_t n) {
    size_t l = strlen(p);
    const char *s;
    while (l > 1 && p[l - 1] == '/') l--;
    s = p + l;
    while (s > p && s[-1] != '/') s--;
    snprintf(buf, n, "%.*s", (int)(p + l - s), s);
    return buf;
}

/* The written file must be one olmoe.h loads: anything its loader refuses is refused here, with
   the loader's message, before OUT is touched. A tokenizer that the loader accepts but cannot
   encode with (a pre-tokenizer regex it does not know) is refused too. */
static int check_output(const char *path, int vocab_only, int wrote_tok, const char *dir) {
    olmoe_model_params mp = olmoe_model_default_params();
    olmoe_model *m = NULL;
    char err[512];
    olmoe_result r;
    int n;
    mp.vocab_only = vocab_only;
    r = olmoe_model_load(path, &mp, &m, err, sizeof err);
    if (r != OLMOE_OK) return cv_error("the loader refuses the output (%s): %s", olmoe_result_str(r), err);
    n = wrote_tok ? olmoe_tokenize(m, "a", 1, NULL, 0, 0) : 0;
    olmoe_model_free(m);
    if (n < 0)
        return cv_error("%s/tokenizer.json: olmoe.h cannot tokenize with this tokenizer (%s)", dir, olmoe_result_str((olmoe_result)n));
    return 0;
}

static void convert_usage(FILE *f) {
    fprintf(f, "usage: olmoe convert HF_DIR OUT.gguf [--type f32|f16|bf16|q8_0|q4_0] [--expert-names a,b,c] [--name NAME] [--vocab-only]\n"
               "  --type          weight type for 2-D/3-D tensors (default f16); norms and the router stay f32;\n"
               "                  or a llama.cpp file type with its per-tensor mix, as `olmoe quantize` writes it:\n"
               "                  q4_k_m q4_k_s q5_k_m q5_k_s q6_k q3_k_m q2_k q4_1 q5_0 q5_1 iq4_nl iq4_xs\n"
               "  --expert-names  comma-separated names, one per expert (stored as ARCH.expert_names; default none)\n"
               "  --name          general.name (default: the directory name)\n"
               "  --vocab-only    write only the tokenizer and metadata, no tensors (default off)\n"
               "  -h, --help      this help\n"
               "example: olmoe convert ~/hf/OLMoE-1B-7B-0924-Instruct olmoe-q8_0.gguf --type q8_0\n");
}
static int usage_err(const char *msg) {
    if (msg) fprintf(stderr, "convert: %s\n", msg);
    convert_usage(stderr);
    return 2;
}

int cmd_convert(int argc, char **argv) {
    const char *dir = NULL, *out = NULL, *type_s = "f16", *names_s = NULL, *name = NULL;
    int i, req_type, file_type, rc = 1, fd = -1, vocab_only = 0, wrote_tok = 0, qftype = -1;
    cv_state S;
    cv_config cfg;
    plan P;
    gguf_writer *w = NULL;
    FILE *f = NULL;
    char **enames = NULL;
    int n_enames = 0;
    unsigned char *chunk = NULL;
    float *row = NULL;
    size_t chunk_cap;
    char namebuf[256];
    uint64_t total = 0;
    int64_t max_ne0 = 1;

    memset(&S, 0, sizeof S);
    memset(&P, 0, sizeof P);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { convert_usage(stdout); return 0; }
        if (!strcmp(a, "--vocab-only")) { vocab_only = 1; continue; }
        if (!strcmp(a, "--type") || !strcmp(a, "--expert-names") || !strcmp(a, "--name")) {
            if (i + 1 >= argc) return usage_err("missing value after an option");
            if (!strcmp(a, "--type")) type_s = argv[++i];
            else if (!strcmp(a, "--expert-names")) names_s = argv[++i];
            else name = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "convert: unknown option %s\n", a);
            return usage_err(NULL);
        } else if (!dir) dir = a;
        else if (!out) out = a;
        else return usage_err("too many arguments");
    }
    if (!dir || !out) return usage_err("HF_DIR and OUT.gguf are required");
    if (!strcmp(type_s, "f32")) { req_type = OLMOE_TYPE_F32; file_type = 0; }
    else if (!strcmp(type_s, "f16")) { req_type = OLMOE_TYPE_F16; file_type = 1; }
    else if (!strcmp(type_s, "bf16")) { req_type = OLMOE_TYPE_BF16; file_type = 32; }
    else if (!strcmp(type_s, "q8_0")) { req_type = OLMOE_TYPE_Q8_0; file_type = 7; }
    else if (!strcmp(type_s, "q4_0")) { req_type = OLMOE_TYPE_Q4_0; file_type = 2; }
    else if ((qftype = quant_ftype_parse(type_s)) >= 0) { req_type = -1; file_type = qftype; }
    else { fprintf(stderr, "convert: unknown --type %s\n", type_s); return usage_err(NULL); }
    if (names_s) {
        const char *p = names_s;
        int cap = 1;
        for (; *p; p++) cap += *p == ',';
        enames = (char **)calloc((size_t)cap, sizeof(char *));
        if (!enames) { cv_error("out of memory"); return 1; }
        p = names_s;
        for (;;) {
            const char *q = strchr(p, ',');
            size_t l = q ? (size_t)(q - p) : strlen(p);
            if (!l) {
                for (i = 0; i < n_enames; i++) free(enames[i]);
                free(enames);
                return usage_err("--expert-names: empty name");
            }
            enames[n_enames] = (char *)malloc(l + 1);
            if (!enames[n_enames]) { cv_error("out of memory"); goto cleanup; }
            memcpy(enames[n_enames], p, l);
            enames[n_enames++][l] = '\0';
            if (!q) break;
            p = q + 1;
        }
        /* --opt-out picks experts by these names (an item starting with a digit is an index, and
           items are under 128 bytes), so each must be one it can reach, and only one expert */
        for (i = 0; i < n_enames; i++) {
            int j;
            const char *why = NULL;
            for (j = 0; j < i && !why; j++)
                if (!strcmp(enames[i], enames[j])) why = "appears twice";
            if (!why && enames[i][0] >= '0' && enames[i][0] <= '9') why = "starts with a digit (--opt-out would read it as an index)";
            if (!why && strlen(enames[i]) >= 128) why = "is longer than 127 bytes";
            if (why) {
                fprintf(stderr, "convert: --expert-names: '%.64s' (name %d) %s\n", enames[i], i + 1, why);
                rc = 2;
                goto cleanup;
            }
        }
    }
    {
        uint16_t one = 1;
        unsigned char b;
        memcpy(&b, &one, 1);
        if (b != 1) { cv_error("big-endian hosts are not supported"); goto cleanup; }
    }

    S.dir = dir;
    if (read_config(dir, &cfg)) goto cleanup;
    if (enames && n_enames != cfg.n_expert) {
        fprintf(stderr, "convert: --expert-names has %d names but the model has %lld experts\n", n_enames, cfg.n_expert);
        rc = 2;
        goto cleanup;
    }
    cv_note("%s: %s, d=%lld, layers=%lld, heads=%lld/%lld, experts=%lld (top-%lld), ffn=%lld, vocab=%lld", dir, cfg.arch_str,
            cfg.d, cfg.n_layer, cfg.n_head, cfg.n_head_kv, cfg.n_expert, cfg.n_expert_used, cfg.ff, cfg.vocab);
    /* --vocab-only: metadata and tokenizer, no tensors (olmoe_model_params.vocab_only loads it) */
    if (!vocab_only && st_load_dir(&S)) goto cleanup;
    if (!vocab_only && build_plan(&S, &cfg, &P)) goto cleanup;
    if (!vocab_only) assign_types(&P, req_type, qftype, &cfg);
    {
        size_t k, skipped = 0;
        for (k = 0; k < S.n_tensors; k++)
            if (!S.tensors[k].used) {
                if (skipped < 32) cv_note("skipping unused tensor %s", S.tensors[k].name);
                skipped++;
            }
        if (skipped > 32) cv_note("... and %lu more unused tensors", (unsigned long)(skipped - 32));
    }

    /* metadata */
    w = gguf_w_new();
    if (!w) { cv_error("out of memory"); goto cleanup; }
    {
        char key[128];
        const char *A = cfg.arch_str;
        int ok = 1;
#define K(s) (snprintf(key, sizeof key, "%s.%s", A, s), key)
        ok = ok && !gguf_w_kv_str(w, "general.architecture", A);
        ok = ok && !gguf_w_kv_str(w, "general.name", name ? name : cv_basename(dir, namebuf, sizeof namebuf));
        ok = ok && !gguf_w_kv_u32(w, "general.file_type", (uint32_t)file_type);
        if (type_is_quant(req_type) || qftype >= 0) ok = ok && !gguf_w_kv_u32(w, "general.quantization_version", 2);
        ok = ok && !gguf_w_kv_u32(w, K("context_length"), (uint32_t)cfg.ctx);
        ok = ok && !gguf_w_kv_u32(w, K("embedding_length"), (uint32_t)cfg.d);
        ok = ok && !gguf_w_kv_u32(w, K("feed_forward_length"), (uint32_t)cfg.ff);
        ok = ok && !gguf_w_kv_u32(w, K("block_count"), (uint32_t)cfg.n_layer);
        ok = ok && !gguf_w_kv_u32(w, K("attention.head_count"), (uint32_t)cfg.n_head);
        ok = ok && !gguf_w_kv_u32(w, K("attention.head_count_kv"), (uint32_t)cfg.n_head_kv);
        ok = ok && !gguf_w_kv_f32(w, K("rope.freq_base"), (float)cfg.theta);
        ok = ok && !gguf_w_kv_f32(w, K("attention.layer_norm_rms_epsilon"), (float)cfg.eps);
        ok = ok && !gguf_w_kv_u32(w, K("expert_count"), (uint32_t)cfg.n_expert);
        ok = ok && !gguf_w_kv_u32(w, K("expert_used_count"), (uint32_t)cfg.n_expert_used);
        ok = ok && !gguf_w_kv_u32(w, K("vocab_size"), (uint32_t)cfg.vocab);
        if (enames) ok = ok && !gguf_w_kv_arr_str(w, K("expert_names"), (const char *const *)enames, NULL, (uint64_t)n_enames);
#undef K
        if (!ok) { cv_error("gguf: %s", gguf_w_error(w)); goto cleanup; }
    }
    if (write_tokenizer(w, dir, &cfg, &wrote_tok)) goto cleanup;
    for (i = 0; i < P.n; i++) {
        if (gguf_w_tensor(w, P.t[i].name, (uint32_t)P.t[i].type, P.t[i].n_dims, P.t[i].ne, P.t[i].nbytes) < 0) {
            cv_error("gguf: %s", gguf_w_error(w));
            goto cleanup;
        }
        if (P.t[i].ne[0] > max_ne0) max_ne0 = P.t[i].ne[0];
        total += P.t[i].nbytes;
    }

    /* output: temp file next to OUT, renamed on success */
    {
        int l = snprintf(g_tmp_path, sizeof g_tmp_path, "%s.tmp.%ld", out, (long)getpid());
        if (l < 0 || (size_t)l >= sizeof g_tmp_path) { cv_error("output path too long"); goto cleanup; }
    }
    fd = open(g_tmp_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) { cv_error("%s: cannot create: %s", g_tmp_path, strerror(errno)); goto cleanup; }
    g_tmp_active = 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    f = fdopen(fd, "wb");
    if (!f) { cv_error("%s: fdopen failed: %s", g_tmp_path, strerror(errno)); goto cleanup; }
    fd = -1;
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    chunk_cap = (size_t)4 << 20;
    {
        uint64_t mr = olmoe_type_row_size(OLMOE_TYPE_F32, max_ne0);
        if (mr > chunk_cap) chunk_cap = (size_t)mr;
    }
    chunk = (unsigned char *)malloc(chunk_cap);
    row = (float *)malloc((size_t)max_ne0 * sizeof(float));
    if (!chunk || !row) { cv_error("out of memory"); goto cleanup; }
    if (gguf_w_write_header(w, f)) { cv_error("%s: %s", g_tmp_path, gguf_w_error(w)); goto cleanup; }
    {
        int width = 1, n = P.n;
        while (n >= 10) { width++; n /= 10; }
        for (i = 0; i < P.n; i++) {
            const out_tensor *o = &P.t[i];
            char shp[96];
            if (write_tensor(w, o, chunk, chunk_cap, row)) goto cleanup;
            shape_str(shp, sizeof shp, o->ne, o->n_dims);
            fprintf(stderr, "[%*d/%d] %-28s %-5s {%s}  %.2f MB  <- %s", width, i + 1, P.n, o->name, olmoe_type_name(o->type), shp,
                    (double)o->nbytes / 1e6, o->src);
            if (o->fallback)
                fprintf(stderr, "  [%s -> f16: %lld is not a multiple of %d]", olmoe_type_name(req_type), (long long)o->ne[0],
                        olmoe_type_block_size(req_type));
            fputc('\n', stderr);
        }
    }
    if (gguf_w_finish(w)) { cv_error("%s: %s", g_tmp_path, gguf_w_error(w)); goto cleanup; }
    if (fsync(fileno(f)) != 0) { cv_error("%s: fsync failed: %s", g_tmp_path, strerror(errno)); goto cleanup; }
    {
        uint64_t size = gguf_w_bytes_written(w);
        int cr = fclose(f);
        f = NULL;
        if (cr != 0) { cv_error("%s: close failed: %s", g_tmp_path, strerror(errno)); goto cleanup; }
        if (check_output(g_tmp_path, vocab_only, wrote_tok, dir)) goto cleanup;
        if (rename(g_tmp_path, out) != 0) { cv_error("cannot rename %s to %s: %s", g_tmp_path, out, strerror(errno)); goto cleanup; }
        g_tmp_active = 0;
        {
            /* make the rename durable */
            char dbuf[4200];
            const char *slash = strrchr(out, '/');
            int dfd;
            if (slash) snprintf(dbuf, sizeof dbuf, "%.*s", (int)(slash - out) + (slash == out ? 1 : 0), out);
            else strcpy(dbuf, ".");
            dfd = open(dbuf, O_RDONLY);
            if (dfd >= 0) { fsync(dfd); close(dfd); }
        }
        cv_note("wrote %s: %d tensors, %.2f MB (%.2f MB of tensor data), type %s", out, P.n, (double)size / 1e6,
                (double)total / 1e6, type_s);
    }
    rc = 0;
cleanup:
    if (f) fclose(f);
    if (fd >= 0) close(fd);
    if (g_tmp_active) { unlink(g_tmp_path); g_tmp_active = 0; }
    free(chunk);
    free(row);
    gguf_w_free(w);
    plan_free(&P);
    st_free(&S);
    if (enames) {
        for (i = 0; i < n_enames; i++) free(enames[i]);
        free(enames);
    }
    return rc;
}
