/* json.c - see json.h. C99, no global state. */
#include "json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>

#define JSON__NONE ((size_t)-1)
#define JSON__MAX_DEPTH_CAP 4096

typedef struct json__link { size_t child, next; } json__link;

typedef struct json__parser {
    const unsigned char *s;
    size_t len, pos;
    int max_depth;
    json_node *nodes;
    json__link *links;
    size_t n, cap;
    char *arena;
    size_t arena_used, arena_cap;
    char *err;
    size_t err_size;
    int oom;
} json__parser;

static int json__fail(json__parser *p, size_t off, const char *fmt, ...) {
    if (p->err && p->err_size) {
        char msg[192];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(p->err, p->err_size, "json: offset %lu: %s", (unsigned long)off, msg);
    }
    return -1;
}

static size_t json__new_node(json__parser *p, json_type t, size_t off) {
    json_node *nd;
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 64;
        json_node *nn;
        json__link *nl;
        if (nc > ((size_t)-1) / sizeof(json_node) / 2) { p->oom = 1; return JSON__NONE; }
        nn = (json_node *)realloc(p->nodes, nc * sizeof(json_node));
        if (!nn) { p->oom = 1; return JSON__NONE; }
        p->nodes = nn;
        nl = (json__link *)realloc(p->links, nc * sizeof(json__link));
        if (!nl) { p->oom = 1; return JSON__NONE; }
        p->links = nl;
        p->cap = nc;
    }
    nd = &p->nodes[p->n];
    memset(nd, 0, sizeof *nd);
    nd->type = t;
    nd->offset = off;
    p->links[p->n].child = JSON__NONE;
    p->links[p->n].next = JSON__NONE;
    return p->n++;
}

static void json__ws(json__parser *p) {
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') p->pos++;
        else break;
    }
}

static int json__hex4(const unsigned char *s, unsigned *out) {
    unsigned v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        unsigned c = s[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return 0;
        v = v * 16 + d;
    }
    *out = v;
    return 1;
}

/* Length of the valid UTF-8 sequence at s[0..avail), 0 if invalid (overlong, surrogate, > U+10FFFF, truncated). */
static size_t json__utf8_len(const unsigned char *s, size_t avail) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        if (avail < 2 || (s[1] & 0xC0) != 0x80) return 0;
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned lo = 0x80, hi = 0xBF;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
        if (avail < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80) return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned lo = 0x80, hi = 0xBF;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
        if (avail < 4 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        return 4;
    }
    return 0;
}

static size_t json__put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* p->pos is at the opening quote. Decodes into the arena; out and out_len get the result. */
static int json__string(json__parser *p, const char **out, size_t *out_len) {
    size_t start = p->pos, i = p->pos + 1;
    char *o = p->arena + p->arena_used, *o0 = o;
    const unsigned char *s = p->s;
    for (;;) {
        size_t run = i;
        unsigned c;
        while (run < p->len && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\') run++;
        if (run > i) { memcpy(o, s + i, run - i); o += run - i; i = run; }
        if (i >= p->len) return json__fail(p, start, "unterminated string");
        c = s[i];
        if (c == '"') { i++; break; }
        if (c < 0x20) return json__fail(p, i, "control character 0x%02x in string", c);
        if (c >= 0x80) {
            size_t n = json__utf8_len(s + i, p->len - i);
            if (!n) return json__fail(p, i, "invalid UTF-8 in string");
            memcpy(o, s + i, n);
            o += n;
            i += n;
            continue;
        }
        /* backslash */
        if (i + 1 >= p->len) return json__fail(p, start, "unterminated string");
        c = s[i + 1];
        switch (c) {
        case '"': *o++ = '"'; i += 2; break;
        case '\\': *o++ = '\\'; i += 2; break;
        case '/': *o++ = '/'; i += 2; break;
        case 'b': *o++ = '\b'; i += 2; break;
        case 'f': *o++ = '\f'; i += 2; break;
        case 'n': *o++ = '\n'; i += 2; break;
        case 'r': *o++ = '\r'; i += 2; break;
        case 't': *o++ = '\t'; i += 2; break;
        case 'u': {
            unsigned cp, lo;
            if (p->len - i < 6 || !json__hex4(s + i + 2, &cp)) return json__fail(p, i, "bad \\u escape");
            if (cp >= 0xDC00 && cp <= 0xDFFF) return json__fail(p, i, "lone low surrogate \\u%04X", cp);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (p->len - i < 12 || s[i + 6] != '\\' || s[i + 7] != 'u' || !json__hex4(s + i + 8, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return json__fail(p, i, "high surrogate \\u%04X not followed by a low surrogate", cp);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 12;
            } else {
                i += 6;
            }
            o += json__put_utf8(o, cp);
            break;
        }
        default: return json__fail(p, i, "bad escape '\\%c'", c >= 0x20 && c < 0x7f ? (int)c : '?');
        }
    }
    *o = '\0';
    *out = o0;
    *out_len = (size_t)(o - o0);
    p->arena_used += (size_t)(o - o0) + 1;
    p->pos = i;
    return 0;
}

static int json__number(json__parser *p, json_node *nd) {
    const unsigned char *s = p->s;
    size_t i = p->pos, start = p->pos, n;
    int is_int = 1, neg = 0;
    char local[64], *tmp;
    if (i < p->len && s[i] == '-') { neg = 1; i++; }
    if (i >= p->len) return json__fail(p, start, "truncated number");
    if (s[i] == '0') i++;
    else if (s[i] >= '1' && s[i] <= '9') { while (i < p->len && s[i] >= '0' && s[i] <= '9') i++; }
    else return json__fail(p, start, "bad number");
    if (i < p->len && s[i] == '.') {
        is_int = 0;
        i++;
        if (i >= p->len || s[i] < '0' || s[i] > '9') return json__fail(p, start, "bad number (digit expected after '.')");
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        is_int = 0;
        i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= p->len || s[i] < '0' || s[i] > '9') return json__fail(p, start, "bad number (digit expected in exponent)");
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    n = i - start;
    if (is_int) {
        /* exact int64 (accumulate negatively so INT64_MIN fits) */
        int64_t v = 0;
        size_t k;
        for (k = start + (size_t)neg; k < i; k++) {
            int d = s[k] - '0';
            if (v < (INT64_MIN + d) / 10) { is_int = 0; break; }
            v = v * 10 - d;
        }
        if (is_int) {
            if (!neg) {
                if (v == INT64_MIN) is_int = 0;
                else v = -v;
            }
            nd->inum = v;
        }
    }
    nd->is_int = is_int;
    tmp = n < sizeof local ? local : (char *)malloc(n + 1);
    if (!tmp) { p->oom = 1; return -1; }
    memcpy(tmp, s + start, n);
    tmp[n] = '\0';
    nd->num = strtod(tmp, NULL);
    if (tmp != local) free(tmp);
    p->pos = i;
    return 0;
}

static int json__literal(json__parser *p, const char *lit) {
    size_t n = strlen(lit);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, lit, n) != 0)
        return json__fail(p, p->pos, "invalid literal (expected '%s')", lit);
    p->pos += n;
    return 0;
}

static int json__value(json__parser *p, int depth, size_t *out_idx);

static int json__container(json__parser *p, int depth, size_t idx, int is_obj) {
    size_t last = JSON__NONE, count = 0;
    char close = is_obj ? '}' : ']';
    if (depth >= p->max_depth) return json__fail(p, p->pos, "nesting deeper than %d", p->max_depth);
    p->pos++; /* '{' or '[' */
    json__ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) { p->pos++; return 0; }
    for (;;) {
        size_t child;
        const char *key = NULL;
        size_t key_len = 0;
        json__ws(p);
        if (p->pos >= p->len) return json__fail(p, p->pos, "unexpected end of input in %s", is_obj ? "object" : "array");
        if (is_obj) {
            if (p->s[p->pos] != '"') return json__fail(p, p->pos, "expected a string key");
            if (json__string(p, &key, &key_len)) return -1;
            json__ws(p);
            if (p->pos >= p->len) return json__fail(p, p->pos, "unexpected end of input in object");
            if (p->s[p->pos] != ':') return json__fail(p, p->pos, "expected ':'");
            p->pos++;
            json__ws(p);
        }
        if (json__value(p, depth + 1, &child)) return -1;
        if (is_obj) { p->nodes[child].key = key; p->nodes[child].key_len = key_len; }
        if (last == JSON__NONE) p->links[idx].child = child;
        else p->links[last].next = child;
        last = child;
        count++;
        json__ws(p);
        if (p->pos >= p->len) return json__fail(p, p->pos, "unexpected end of input in %s", is_obj ? "object" : "array");
        if (p->s[p->pos] == ',') { p->pos++; continue; }
        if (p->s[p->pos] == close) { p->pos++; break; }
        return json__fail(p, p->pos, "expected ',' or '%c'", close);
    }
    p->nodes[idx].count = count;
    return 0;
}

static int json__value(json__parser *p, int depth, size_t *out_idx) {
    size_t idx;
    unsigned char c;
    if (p->pos >= p->len) return json__fail(p, p->pos, "unexpected end of input (value expected)");
    c = p->s[p->pos];
    switch (c) {
    case '{': case '[':
        idx = json__new_node(p, c == '{' ? JSON_OBJECT : JSON_ARRAY, p->pos);
        if (idx == JSON__NONE) return -1;
        *out_idx = idx;
        return json__container(p, depth, idx, c == '{');
    case '"': {
        const char *s;
        size_t n;
        idx = json__new_node(p, JSON_STRING, p->pos);
        if (idx == JSON__NONE) return -1;
        *out_idx = idx;
        if (json__string(p, &s, &n)) return -1;
        p->nodes[idx].str = s;
        p->nodes[idx].len = n;
        return 0;
    }
    case 't': case 'f': case 'n':
        idx = json__new_node(p, c == 't' ? JSON_TRUE : c == 'f' ? JSON_FALSE : JSON_NULL, p->pos);
        if (idx == JSON__NONE) return -1;
        *out_idx = idx;
        return json__literal(p, c == 't' ? "true" : c == 'f' ? "false" : "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            idx = json__new_node(p, JSON_NUMBER, p->pos);
            if (idx == JSON__NONE) return -1;
            *out_idx = idx;
            return json__number(p, &p->nodes[idx]);
        }
        if (c >= 0x20 && c < 0x7f) return json__fail(p, p->pos, "unexpected character '%c'", (int)c);
        return json__fail(p, p->pos, "unexpected byte 0x%02x", (unsigned)c);
    }
}

int json_parse(const char *buf, size_t len, int max_depth, json_doc *doc, char *err, size_t err_size) {
    json__parser p;
    size_t root, i;
    int rc;
    if (err && err_size) err[0] = '\0';
    if (!doc) return -1;
    memset(doc, 0, sizeof *doc);
    memset(&p, 0, sizeof p);
    p.err = err;
    p.err_size = err_size;
    if (!buf && len) return json__fail(&p, 0, "NULL buffer");
    p.s = (const unsigned char *)buf;
    p.len = len;
    p.max_depth = max_depth <= 0 ? JSON_DEFAULT_MAX_DEPTH : max_depth > JSON__MAX_DEPTH_CAP ? JSON__MAX_DEPTH_CAP : max_depth;
    /* decoded strings never exceed their quoted source, NUL included */
    p.arena_cap = len + 1;
    p.arena = (char *)malloc(p.arena_cap);
    if (!p.arena) { json__fail(&p, 0, "out of memory"); return -2; }
    if (len >= 3 && p.s[0] == 0xEF && p.s[1] == 0xBB && p.s[2] == 0xBF) p.pos = 3; /* UTF-8 BOM */
    json__ws(&p);
    if (p.pos >= p.len) { rc = json__fail(&p, p.pos, "empty document"); goto fail; }
    rc = json__value(&p, 0, &root);
    if (rc == 0) {
        json__ws(&p);
        if (p.pos != p.len) rc = json__fail(&p, p.pos, "trailing characters after the document");
    }
    if (rc != 0 || p.oom) goto fail;
    for (i = 0; i < p.n; i++) {
        p.nodes[i].child = p.links[i].child == JSON__NONE ? NULL : &p.nodes[p.links[i].child];
        p.nodes[i].next = p.links[i].next == JSON__NONE ? NULL : &p.nodes[p.links[i].next];
    }
    free(p.links);
    doc->nodes = p.nodes;
    doc->n_nodes = p.n;
    doc->arena = p.arena;
    return 0;
fail:
    if (p.oom) { json__fail(&p, p.pos, "out of memory"); rc = -2; }
    else rc = -1;
    free(p.nodes);
    free(p.links);
    free(p.arena);
    return rc;
}

void json_free(json_doc *doc) {
    if (!doc) return;
    free(doc->nodes);
    free(doc->arena);
    memset(doc, 0, sizeof *doc);
}

const json_node *json_root(const json_doc *doc) { return doc && doc->n_nodes ? &doc->nodes[0] : NULL; }

const json_node *json_get(const json_node *obj, const char *key) {
    const json_node *c;
    size_t kl;
    if (!obj || obj->type != JSON_OBJECT || !key) return NULL;
    kl = strlen(key);
    for (c = obj->child; c; c = c->next)
        if (c->key_len == kl && memcmp(c->key, key, kl) == 0) return c;
    return NULL;
}

const json_node *json_at(const json_node *arr, size_t i) {
    const json_node *c;
    if (!arr || arr->type != JSON_ARRAY || i >= arr->count) return NULL;
    for (c = arr->child; c && i; c = c->next) i--;
    return c;
}

int json_int(const json_node *n, long long *out) {
    if (!n || n->type != JSON_NUMBER) return 0;
    if (n->is_int) { *out = (long long)n->inum; return 1; }
    /* accept 4.0 / 1e3 style integral values within the exactly-representable range */
    if (n->num >= -9007199254740992.0 && n->num <= 9007199254740992.0 && n->num == (double)(long long)n->num) {
        *out = (long long)n->num;
        return 1;
    }
    return 0;
}

int json_double(const json_node *n, double *out) {
    if (!n || n->type != JSON_NUMBER) return 0;
    *out = n->num;
    return 1;
}

int json_bool(const json_node *n, int *out) {
    if (!n || (n->type != JSON_TRUE && n->type != JSON_FALSE)) return 0;
    *out = n->type == JSON_TRUE;
    return 1;
}

int json_is_null(const json_node *n) { return !n || n->type == JSON_NULL; }

const char *json_str(const json_node *n) { return n && n->type == JSON_STRING ? n->str : NULL; }
const char *json_cstr(const json_node *n) {
    return n && n->type == JSON_STRING && !memchr(n->str, 0, n->len) ? n->str : NULL;
}

const char *json_type_name(json_type t) {
    switch (t) {
    case JSON_NULL: return "null";
    case JSON_FALSE: return "false";
    case JSON_TRUE: return "true";
    case JSON_NUMBER: return "number";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
    }
    return "?";
}
