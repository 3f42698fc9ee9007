/* gguf_write.c - see gguf_write.h. */
#include "gguf_write.h"
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <errno.h>

typedef struct gw_tensor {
    char *name;
    uint32_t type;
    int n_dims;
    int64_t ne[GGUF_W_MAX_DIMS];
    uint64_t nbytes, offset;
    int offset_set;
} gw_tensor;

struct gguf_writer {
    uint32_t version, alignment;
    int write_align_key, allow_dup;
    int64_t n_tensors_override, n_kv_override;
    unsigned char *kv;
    size_t kv_len, kv_cap;
    uint64_t n_kv;
    char **keys;
    size_t n_keys, keys_cap;
    gw_tensor *t;
    int n_t, cap_t;
    FILE *f;
    uint64_t pos, data_start;
    int header_done, finished, cur;
    uint64_t cur_written;
    char err[256];
};

static int gw_fail(gguf_writer *w, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err, sizeof w->err, fmt, ap);
    va_end(ap);
    return -1;
}

gguf_writer *gguf_w_new(void) {
    gguf_writer *w = (gguf_writer *)calloc(1, sizeof *w);
    if (!w) return NULL;
    w->version = 3;
    w->alignment = GGUF_DEFAULT_ALIGNMENT;
    w->n_tensors_override = -1;
    w->n_kv_override = -1;
    return w;
}

void gguf_w_free(gguf_writer *w) {
    size_t i;
    int j;
    if (!w) return;
    free(w->kv);
    for (i = 0; i < w->n_keys; i++) free(w->keys[i]);
    free(w->keys);
    for (j = 0; j < w->n_t; j++) free(w->t[j].name);
    free(w->t);
    free(w);
}

const char *gguf_w_error(const gguf_writer *w) { return w ? w->err : "no writer"; }

int gguf_w_set_alignment(gguf_writer *w, uint32_t alignment, int write_key) {
    if (w->header_done) return gw_fail(w, "alignment set after the header was written");
    if (alignment == 0) return gw_fail(w, "alignment must be nonzero");
    w->alignment = alignment;
    w->write_align_key = write_key != 0;
    return 0;
}
uint32_t gguf_w_alignment(const gguf_writer *w) { return w->alignment; }
void gguf_w_set_version(gguf_writer *w, uint32_t version) { w->version = version; }
void gguf_w_allow_duplicates(gguf_writer *w, int allow) { w->allow_dup = allow != 0; }
void gguf_w_set_counts(gguf_writer *w, int64_t n_tensors, int64_t n_kv) {
    w->n_tensors_override = n_tensors;
    w->n_kv_override = n_kv;
}

/* ---- serialization into the KV buffer ---- */
static int gw_reserve(gguf_writer *w, size_t extra) {
    size_t need;
    if (extra > ((size_t)-1) - w->kv_len) return gw_fail(w, "metadata too large");
    need = w->kv_len + extra;
    if (need > w->kv_cap) {
        size_t nc = w->kv_cap ? w->kv_cap : 4096;
        unsigned char *p;
        while (nc < need) {
            if (nc > ((size_t)-1) / 2) { nc = need; break; }
            nc *= 2;
        }
        p = (unsigned char *)realloc(w->kv, nc);
        if (!p) return gw_fail(w, "out of memory (metadata)");
        w->kv = p;
        w->kv_cap = nc;
    }
    return 0;
}
static void gw_put(gguf_writer *w, const void *p, size_t n) {
    if (n) memcpy(w->kv + w->kv_len, p, n);
    w->kv_len += n;
}
static void gw_le(unsigned char *o, uint64_t v, int n) {
    int i;
    for (i = 0; i < n; i++) o[i] = (unsigned char)(v >> (8 * i));
}
static void gw_put_u32(gguf_writer *w, uint32_t v) {
    unsigned char b[4];
    gw_le(b, v, 4);
    gw_put(w, b, 4);
}
static void gw_put_u64(gguf_writer *w, uint64_t v) {
    unsigned char b[8];
    gw_le(b, v, 8);
    gw_put(w, b, 8);
}
static int gw_put_str(gguf_writer *w, const char *s, size_t n) {
    if (gw_reserve(w, 8 + n)) return -1;
    gw_put_u64(w, n);
    gw_put(w, s, n);
    return 0;
}

int gguf_w_has_key(const gguf_writer *w, const char *key) {
    size_t i;
    for (i = 0; i < w->n_keys; i++)
        if (!strcmp(w->keys[i], key)) return 1;
    return 0;
}
uint64_t gguf_w_n_kv(const gguf_writer *w) { return w->n_kv; }

/* Starts a KV: checks, records the key, writes key + type. */
static int gw_begin_kv(gguf_writer *w, const char *key, uint32_t type) {
    size_t kl;
    char *copy;
    if (w->header_done) return gw_fail(w, "key %s added after the header was written", key ? key : "(null)");
    if (!key) return gw_fail(w, "NULL key");
    if (!w->allow_dup && gguf_w_has_key(w, key)) return gw_fail(w, "duplicate key %s", key);
    kl = strlen(key);
    if (w->n_keys == w->keys_cap) {
        size_t nc = w->keys_cap ? w->keys_cap * 2 : 32;
        char **nk = (char **)realloc(w->keys, nc * sizeof(char *));
        if (!nk) return gw_fail(w, "out of memory");
        w->keys = nk;
        w->keys_cap = nc;
    }
    copy = (char *)malloc(kl + 1);
    if (!copy) return gw_fail(w, "out of memory");
    memcpy(copy, key, kl + 1);
    if (gw_reserve(w, 8 + kl + 4)) { free(copy); return -1; }
    w->keys[w->n_keys++] = copy;
    gw_put_u64(w, kl);
    gw_put(w, key, kl);
    gw_put_u32(w, type);
    w->n_kv++;
    return 0;
}

static int gw_scalar(gguf_writer *w, const char *key, uint32_t type, uint64_t bits, int nbytes) {
    unsigned char b[8];
    if (gw_begin_kv(w, key, type)) return -1;
    if (gw_reserve(w, (size_t)nbytes)) return -1;
    gw_le(b, bits, nbytes);
    gw_put(w, b, (size_t)nbytes);
    return 0;
}

int gguf_w_kv_strn(gguf_writer *w, const char *key, const char *value, size_t len) {
    if (gw_begin_kv(w, key, GGUF_TYPE_STRING)) return -1;
    return gw_put_str(w, value ? value : "", value ? len : 0);
}
int gguf_w_kv_str(gguf_writer *w, const char *key, const char *value) {
    return gguf_w_kv_strn(w, key, value, value ? strlen(value) : 0);
}
int gguf_w_kv_u32(gguf_writer *w, const char *key, uint32_t v) { return gw_scalar(w, key, GGUF_TYPE_UINT32, v, 4); }
int gguf_w_kv_i32(gguf_writer *w, const char *key, int32_t v) { return gw_scalar(w, key, GGUF_TYPE_INT32, (uint32_t)v, 4); }
int gguf_w_kv_u64(gguf_writer *w, const char *key, uint64_t v) { return gw_scalar(w, key, GGUF_TYPE_UINT64, v, 8); }
int gguf_w_kv_f32(gguf_writer *w, const char *key, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    return gw_scalar(w, key, GGUF_TYPE_FLOAT32, u, 4);
}
int gguf_w_kv_bool(gguf_writer *w, const char *key, int v) { return gw_scalar(w, key, GGUF_TYPE_BOOL, v ? 1u : 0u, 1); }

static int gw_elem_size(uint32_t t) {
    switch (t) {
    case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8: case GGUF_TYPE_BOOL: return 1;
    case GGUF_TYPE_UINT16: case GGUF_TYPE_INT16: return 2;
    case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32: case GGUF_TYPE_FLOAT32: return 4;
    case GGUF_TYPE_UINT64: case GGUF_TYPE_INT64: case GGUF_TYPE_FLOAT64: return 8;
    }
    return 0;
}

int gguf_w_kv_arr(gguf_writer *w, const char *key, uint32_t elem_type, const void *data, uint64_t n) {
    int es = gw_elem_size(elem_type);
    uint64_t i;
    const unsigned char *p = (const unsigned char *)data;
    if (!es) return gw_fail(w, "key %s: array element type %u is not a fixed-size type", key ? key : "(null)", elem_type);
    if (n && !data) return gw_fail(w, "key %s: NULL array data", key ? key : "(null)");
    if (n > (((size_t)-1) - 16) / (size_t)es) return gw_fail(w, "key %s: array too large", key ? key : "(null)");
    if (gw_begin_kv(w, key, GGUF_TYPE_ARRAY)) return -1;
    if (gw_reserve(w, 12 + (size_t)n * (size_t)es)) return -1;
    gw_put_u32(w, elem_type);
    gw_put_u64(w, n);
    for (i = 0; i < n; i++) {
        /* host -> little-endian, element by element */
        uint64_t v = 0;
        unsigned char b[8];
        switch (es) {
        case 1: v = p[i]; break;
        case 2: { uint16_t x; memcpy(&x, p + i * 2, 2); v = x; break; }
        case 4: { uint32_t x; memcpy(&x, p + i * 4, 4); v = x; break; }
        default: { uint64_t x; memcpy(&x, p + i * 8, 8); v = x; break; }
        }
        gw_le(b, v, es);
        gw_put(w, b, (size_t)es);
    }
    return 0;
}
int gguf_w_kv_arr_i32(gguf_writer *w, const char *key, const int32_t *v, uint64_t n) { return gguf_w_kv_arr(w, key, GGUF_TYPE_INT32, v, n); }
int gguf_w_kv_arr_u32(gguf_writer *w, const char *key, const uint32_t *v, uint64_t n) { return gguf_w_kv_arr(w, key, GGUF_TYPE_UINT32, v, n); }
int gguf_w_kv_arr_f32(gguf_writer *w, const char *key, const float *v, uint64_t n) { return gguf_w_kv_arr(w, key, GGUF_TYPE_FLOAT32, v, n); }

int gguf_w_kv_arr_str(gguf_writer *w, const char *key, const char *const *strs, const size_t *lens, uint64_t n) {
    uint64_t i;
    if (n && !strs) return gw_fail(w, "key %s: NULL string array", key ? key : "(null)");
    if (gw_begin_kv(w, key, GGUF_TYPE_ARRAY)) return -1;
    if (gw_reserve(w, 12)) return -1;
    gw_put_u32(w, GGUF_TYPE_STRING);
    gw_put_u64(w, n);
    for (i = 0; i < n; i++) {
        const char *s = strs[i] ? strs[i] : "";
        size_t l = lens ? (strs[i] ? lens[i] : 0) : strlen(s);
        if (gw_put_str(w, s, l)) return -1;
    }
    return 0;
}

int gguf_w_kv_raw(gguf_writer *w, const char *key, uint32_t type, const void *bytes, size_t n) {
    if (n && !bytes) return gw_fail(w, "key %s: NULL raw bytes", key ? key : "(null)");
    if (gw_begin_kv(w, key, type)) return -1;
    if (gw_reserve(w, n)) return -1;
    gw_put(w, bytes, n);
    return 0;
}

/* ---- tensors ---- */
int gguf_w_tensor(gguf_writer *w, const char *name, uint32_t type, int n_dims, const int64_t *ne, uint64_t nbytes) {
    gw_tensor *t;
    size_t nl;
    int i;
    if (w->header_done) return gw_fail(w, "tensor %s declared after the header was written", name ? name : "(null)");
    if (!name) return gw_fail(w, "NULL tensor name");
    if (n_dims < 0 || n_dims > GGUF_W_MAX_DIMS) return gw_fail(w, "tensor %s: n_dims %d out of range", name, n_dims);
    if (n_dims && !ne) return gw_fail(w, "tensor %s: NULL ne", name);
    if (!w->allow_dup)
        for (i = 0; i < w->n_t; i++)
            if (!strcmp(w->t[i].name, name)) return gw_fail(w, "duplicate tensor %s", name);
    if (w->n_t == w->cap_t) {
        int nc = w->cap_t ? w->cap_t * 2 : 64;
        gw_tensor *nt;
        if (nc < w->cap_t) return gw_fail(w, "too many tensors");
        nt = (gw_tensor *)realloc(w->t, (size_t)nc * sizeof(gw_tensor));
        if (!nt) return gw_fail(w, "out of memory");
        w->t = nt;
        w->cap_t = nc;
    }
    t = &w->t[w->n_t];
    memset(t, 0, sizeof *t);
    nl = strlen(name);
    t->name = (char *)malloc(nl + 1);
    if (!t->name) return gw_fail(w, "out of memory");
    memcpy(t->name, name, nl + 1);
    t->type = type;
    t->n_dims = n_dims;
    for (i = 0; i < n_dims; i++) t->ne[i] = ne[i];
    t->nbytes = nbytes;
    return w->n_t++;
}

int gguf_w_tensor_set_offset(gguf_writer *w, int index, uint64_t offset) {
    if (w->header_done) return gw_fail(w, "offset set after the header was written");
    if (index < 0 || index >= w->n_t) return gw_fail(w, "tensor index %d out of range", index);
    w->t[index].offset = offset;
    w->t[index].offset_set = 1;
    return 0;
}

int gguf_w_n_tensors(const gguf_writer *w) { return w->n_t; }

static uint64_t gw_align(uint64_t x, uint64_t a) {
    uint64_t r = x % a;
    return r ? x + (a - r) : x;
}

static int gw_layout(gguf_writer *w) {
    int i;
    uint64_t end = 0;
    for (i = 0; i < w->n_t; i++) {
        gw_tensor *t = &w->t[i];
        if (!t->offset_set) {
            uint64_t o = gw_align(end, w->alignment);
            if (o < end) return gw_fail(w, "tensor %s: offset overflows", t->name);
            t->offset = o;
        }
        end = t->offset + t->nbytes;
        if (end < t->offset) return gw_fail(w, "tensor %s: size overflows", t->name);
    }
    return 0;
}

uint64_t gguf_w_tensor_offset(gguf_writer *w, int index) {
    if (index < 0 || index >= w->n_t) return 0;
    if (!w->header_done) gw_layout(w);
    return w->t[index].offset;
}

static int gw_auto_align_key(const gguf_writer *w) {
    return w->write_align_key && !gguf_w_has_key(w, "general.alignment");
}

static const char gw_align_key[] = "general.alignment";

uint64_t gguf_w_header_size(gguf_writer *w) {
    uint64_t n = 4 + 4 + 8 + 8 + w->kv_len;
    int i;
    if (gw_auto_align_key(w)) n += 8 + (sizeof gw_align_key - 1) + 4 + 4;
    for (i = 0; i < w->n_t; i++) n += 8 + strlen(w->t[i].name) + 4 + 8 * (uint64_t)w->t[i].n_dims + 4 + 8;
    return gw_align(n, w->alignment);
}

/* ---- output ---- */
static int gw_write(gguf_writer *w, const void *p, size_t n) {
    if (n && fwrite(p, 1, n, w->f) != n) return gw_fail(w, "write failed: %s", strerror(errno));
    w->pos += n;
    return 0;
}
static int gw_zeros(gguf_writer *w, uint64_t n) {
    static const unsigned char z[4096] = {0};
    while (n) {
        size_t k = n < sizeof z ? (size_t)n : sizeof z;
        if (gw_write(w, z, k)) return -1;
        n -= k;
    }
    return 0;
}
static int gw_w32(gguf_writer *w, uint32_t v) { unsigned char b[4]; gw_le(b, v, 4); return gw_write(w, b, 4); }
static int gw_w64(gguf_writer *w, uint64_t v) { unsigned char b[8]; gw_le(b, v, 8); return gw_write(w, b, 8); }

static void gw_skip_empty(gguf_writer *w) {
    while (w->cur < w->n_t && w->cur_written == 0 && w->t[w->cur].nbytes == 0) w->cur++;
}

int gguf_w_write_header(gguf_writer *w, FILE *f) {
    int i, auto_key = gw_auto_align_key(w);
    uint64_t n_kv = w->n_kv + (auto_key ? 1 : 0), hs;
    if (w->header_done) return gw_fail(w, "header already written");
    if (!f) return gw_fail(w, "NULL FILE");
    if (gw_layout(w)) return -1;
    hs = gguf_w_header_size(w);
    w->f = f;
    w->pos = 0;
    if (gw_write(w, "GGUF", 4) || gw_w32(w, w->version) ||
        gw_w64(w, w->n_tensors_override >= 0 ? (uint64_t)w->n_tensors_override : (uint64_t)w->n_t) ||
        gw_w64(w, w->n_kv_override >= 0 ? (uint64_t)w->n_kv_override : n_kv))
        return -1;
    if (gw_write(w, w->kv, w->kv_len)) return -1;
    if (auto_key) {
        if (gw_w64(w, sizeof gw_align_key - 1) || gw_write(w, gw_align_key, sizeof gw_align_key - 1) ||
            gw_w32(w, GGUF_TYPE_UINT32) || gw_w32(w, w->alignment))
            return -1;
    }
    for (i = 0; i < w->n_t; i++) {
        const gw_tensor *t = &w->t[i];
        size_t nl = strlen(t->name);
        int d;
        if (gw_w64(w, nl) || gw_write(w, t->name, nl) || gw_w32(w, (uint32_t)t->n_dims)) return -1;
        for (d = 0; d < t->n_dims; d++)
            if (gw_w64(w, (uint64_t)t->ne[d])) return -1;
        if (gw_w32(w, t->type) || gw_w64(w, t->offset)) return -1;
    }
    if (gw_zeros(w, hs - w->pos)) return -1;
    w->data_start = w->pos;
    w->header_done = 1;
    w->cur = 0;
    w->cur_written = 0;
    gw_skip_empty(w);
    return 0;
}

int gguf_w_write_data(gguf_writer *w, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    if (!w->header_done) return gw_fail(w, "tensor data written before the header");
    if (w->finished) return gw_fail(w, "tensor data written after gguf_w_finish");
    while (n) {
        gw_tensor *t;
        uint64_t need;
        size_t k;
        if (w->cur >= w->n_t) return gw_fail(w, "more tensor data than declared");
        t = &w->t[w->cur];
        if (w->cur_written == 0) {
            uint64_t target = w->data_start + t->offset;
            if (w->pos > target)
                return gw_fail(w, "tensor %s: offset %llu lies before the end of the previous tensor (write the data section yourself)",
                               t->name, (unsigned long long)t->offset);
            if (gw_zeros(w, target - w->pos)) return -1;
        }
        need = t->nbytes - w->cur_written;
        k = need < (uint64_t)n ? (size_t)need : n;
        if (gw_write(w, p, k)) return -1;
        p += k;
        n -= k;
        w->cur_written += k;
        if (w->cur_written == t->nbytes) {
            w->cur++;
            w->cur_written = 0;
            gw_skip_empty(w);
        }
    }
    return 0;
}

int gguf_w_current_tensor(const gguf_writer *w) { return w->cur; }
uint64_t gguf_w_bytes_written(const gguf_writer *w) { return w->pos; }

int gguf_w_finish(gguf_writer *w) {
    if (!w->header_done) return gw_fail(w, "finish before the header was written");
    if (w->finished) return 0;
    gw_skip_empty(w);
    if (w->cur < w->n_t)
        return gw_fail(w, "tensor %s: %llu of %llu bytes written", w->t[w->cur].name,
                       (unsigned long long)w->cur_written, (unsigned long long)w->t[w->cur].nbytes);
    if (gw_zeros(w, gw_align(w->pos, w->alignment) - w->pos)) return -1;
    if (fflush(w->f) != 0) return gw_fail(w, "flush failed: %s", strerror(errno));
    if (ferror(w->f)) return gw_fail(w, "write error");
    w->finished = 1;
    return 0;
}
