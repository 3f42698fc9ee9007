/* json.h - a small, bounds-checked JSON reader for the olmoe tools (config.json, tokenizer.json,
   safetensors headers).

   json_parse() reads exactly `len` bytes (the buffer need not be NUL-terminated) into a tree of
   nodes held in one array. Strings (keys and values) are decoded into a private arena: escapes
   are resolved, \uXXXX including surrogate pairs becomes UTF-8, and every decoded string is
   NUL-terminated (it may also contain NUL bytes from \u0000; use the length fields). Invalid
   UTF-8, raw control characters inside strings, lone surrogates, trailing garbage, nesting
   deeper than the limit and numbers that do not follow the JSON grammar are errors; the error
   message gives the byte offset. The parser never reads outside [buf, buf+len).

       json_doc doc;
       char err[160];
       if (json_parse(buf, len, 0, &doc, err, sizeof err) != 0) { fprintf(stderr, "%s\n", err); ... }
       const json_node *v = json_get(json_root(&doc), "vocab_size");
       long long n;
       if (v && json_int(v, &n)) ...
       for (const json_node *c = json_root(&doc)->child; c; c = c->next) ...   // members / elements
       json_free(&doc);

   Node pointers stay valid until json_free. Duplicate object keys are kept (json_get returns the
   first). */
#ifndef OLMOE_TOOLS_JSON_H
#define OLMOE_TOOLS_JSON_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum json_type {
    JSON_NULL = 0, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT
} json_type;

#define JSON_DEFAULT_MAX_DEPTH 128

typedef struct json_node json_node;
struct json_node {
    json_type type;
    const json_node *child;  /* arrays/objects: first element or member value; else NULL */
    const json_node *next;   /* next element/member in the parent; NULL at the end */
    size_t count;            /* arrays/objects: number of elements/members */
    const char *key;         /* object members: decoded key (NUL-terminated); else NULL */
    size_t key_len;
    const char *str;         /* JSON_STRING: decoded value (NUL-terminated); NUMBER: source text */
    size_t len;              /* length of str in bytes */
    double num;              /* JSON_NUMBER: value (strtod) */
    int64_t inum;            /* JSON_NUMBER: exact value when is_int */
    int is_int;              /* JSON_NUMBER: no fraction/exponent and fits in int64 */
    size_t offset;           /* byte offset of the value in the source */
};

typedef struct json_doc {
    json_node *nodes;  /* nodes[0] is the root */
    size_t n_nodes;
    char *arena;       /* decoded strings */
} json_doc;

/* Parse buf[0..len). max_depth 0 means JSON_DEFAULT_MAX_DEPTH. Returns 0 on success, -1 on a
   syntax error or limit (message "json: offset N: ..." in err), -2 when out of memory. On
   failure doc is left empty (json_free is still safe). */
int json_parse(const char *buf, size_t len, int max_depth, json_doc *doc, char *err, size_t err_size);
void json_free(json_doc *doc);

const json_node *json_root(const json_doc *doc);
/* Member of an object by key (first match), NULL if obj is not an object or has no such key. */
const json_node *json_get(const json_node *obj, const char *key);
/* Element i of an array (linear walk), NULL if out of range or not an array. */
const json_node *json_at(const json_node *arr, size_t i);

/* Typed accessors: return 1 and set *out when the node has that type, else 0 (node may be NULL). */
int json_int(const json_node *n, long long *out);       /* integer-valued number in range */
int json_double(const json_node *n, double *out);
int json_bool(const json_node *n, int *out);
int json_is_null(const json_node *n);                   /* NULL node counts as null too */
/* String value or NULL (also NULL for non-strings). It may hold NUL bytes (\u0000): len counts them. */
const char *json_str(const json_node *n);
/* The string value only when it holds no NUL byte, else NULL: for text used as a C string, which a
   \u0000 would silently cut short. json_str(n) && !json_cstr(n) tells that case apart. */
const char *json_cstr(const json_node *n);
const char *json_type_name(json_type t);

#ifdef __cplusplus
}
#endif
#endif
