/* Unit tests for tools/json.c (the JSON reader used by the converter).
   Build: cc -std=c99 -Wall -Wextra -I. -O1 tests/test_json.c tools/json.c -o build/test_json
   Prints one line per check and "N passed, M failed"; exits nonzero on failure. */
#include "tools/json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <time.h>
#include <math.h>

#include "test.h"
#define check t_check

/* Parses a copy of s[0..len) held in a buffer of exactly len bytes (so an overread is a real
   out-of-bounds access under ASan/valgrind). */
static int parse_exact(const char *s, size_t len, int max_depth, json_doc *doc, char *err, size_t en) {
    char *b = (char *)malloc(len ? len : 1);
    int rc;
    if (!b) return -2;
    if (len) memcpy(b, s, len);
    rc = json_parse(b, len, max_depth, doc, err, en);
    /* the document must not point into the source buffer */
    if (rc == 0) memset(b, 'X', len);
    free(b);
    return rc;
}

static int parses(const char *s) {
    json_doc d;
    char err[200];
    int rc = parse_exact(s, strlen(s), 0, &d, err, sizeof err);
    json_free(&d);
    return rc == 0;
}

static int fails_at(const char *s, size_t off) {
    json_doc d;
    char err[200], want[40];
    int rc = parse_exact(s, strlen(s), 0, &d, err, sizeof err);
    json_free(&d);
    snprintf(want, sizeof want, "offset %lu:", (unsigned long)off);
    if (rc == 0) return 0;
    if (!strstr(err, want)) { printf("     (error was: %s)\n", err); return 0; }
    return 1;
}

/* Decodes the single string document s; compares the bytes with want[0..wn). */
static int string_is(const char *s, const char *want, size_t wn) {
    json_doc d;
    char err[200];
    const json_node *r;
    int ok;
    if (parse_exact(s, strlen(s), 0, &d, err, sizeof err) != 0) { printf("     (error: %s)\n", err); return 0; }
    r = json_root(&d);
    ok = r && r->type == JSON_STRING && r->len == wn && memcmp(r->str, want, wn) == 0 && r->str[wn] == '\0';
    json_free(&d);
    return ok;
}

static void test_basic(void) {
    const char *s = " {\"a\": 1, \"b\": [true, false, null], \"c\": {\"d\": \"e\"}, \"empty_o\": {}, \"empty_a\": [] } \n";
    json_doc d;
    char err[200];
    const json_node *r, *b, *c;
    long long v;
    int bv;
    int rc = parse_exact(s, strlen(s), 0, &d, err, sizeof err);
    check(rc == 0, "basic document parses (%s)", rc ? err : "");
    if (rc) return;
    r = json_root(&d);
    check(r && r->type == JSON_OBJECT && r->count == 5, "root is an object with 5 members");
    check(json_int(json_get(r, "a"), &v) && v == 1, "a == 1");
    b = json_get(r, "b");
    check(b && b->type == JSON_ARRAY && b->count == 3, "b is an array of 3");
    check(json_bool(json_at(b, 0), &bv) && bv == 1 && json_bool(json_at(b, 1), &bv) && bv == 0, "b[0] true, b[1] false");
    check(json_is_null(json_at(b, 2)) && json_at(b, 2) != NULL && json_at(b, 2)->type == JSON_NULL, "b[2] is null");
    check(json_at(b, 3) == NULL, "b[3] out of range gives NULL");
    c = json_get(r, "c");
    check(c && json_str(json_get(c, "d")) && !strcmp(json_str(json_get(c, "d")), "e"), "c.d == \"e\"");
    check(json_get(r, "zz") == NULL && json_get(b, "a") == NULL && json_get(NULL, "a") == NULL, "missing keys / non-objects give NULL");
    check(json_get(r, "empty_o")->count == 0 && json_get(r, "empty_o")->child == NULL &&
          json_get(r, "empty_a")->count == 0 && json_get(r, "empty_a")->child == NULL, "empty containers");
    check(json_get(r, "a")->offset == 7 && r->offset == 1, "byte offsets of values recorded");
    check(!strcmp(json_get(r, "c")->key, "c") && json_get(r, "c")->key_len == 1, "member keys recorded");
    check(json_str(json_get(r, "a")) == NULL && !json_int(json_get(r, "c"), &v) && !json_bool(json_get(r, "a"), &bv),
          "typed accessors refuse other types");
    json_free(&d);
    json_free(&d); /* double free of an emptied doc is safe */
    check(1, "json_free twice is safe");
}

static void test_scalars_root(void) {
    json_doc d;
    char err[200];
    double x;
    check(parses("1") && parses("\"s\"") && parses("true") && parses("null") && parses(" [ ] "), "scalar and empty roots");
    check(parse_exact("\xEF\xBB\xBF{}", 5, 0, &d, err, sizeof err) == 0, "UTF-8 BOM is skipped");
    json_free(&d);
    check(parse_exact("-0.5e1", 6, 0, &d, err, sizeof err) == 0 && json_double(json_root(&d), &x) && x == -5.0, "root number -0.5e1 == -5");
    json_free(&d);
}

static void test_numbers(void) {
    static const struct { const char *s; double v; int is_int; long long iv; } ok[] = {
        {"0", 0, 1, 0}, {"-0", 0, 1, 0}, {"123", 123, 1, 123}, {"-123", -123, 1, -123},
        {"1.5", 1.5, 0, 0}, {"1e3", 1000, 0, 0}, {"-2.5E-3", -0.0025, 0, 0}, {"1E+2", 100, 0, 0},
        {"9223372036854775807", 9223372036854775807.0, 1, 9223372036854775807LL},
        {"-9223372036854775808", -9223372036854775808.0, 1, (-9223372036854775807LL - 1)},
        {"9223372036854775808", 9223372036854775808.0, 0, 0},
        {"1e-05", 1e-05, 0, 0}, {"500000.0", 500000.0, 0, 0},
    };
    static const char *const bad[] = {"01", "1.", ".5", "-", "+1", "1e", "1e+", "--1", "0x10", "NaN", "Infinity",
                                      "-Infinity", "1.e5", "- 1", "00", "1.5.5", "[1,]", "[01]"};
    size_t i;
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        json_doc d;
        char err[200];
        const json_node *r;
        int good;
        if (parse_exact(ok[i].s, strlen(ok[i].s), 0, &d, err, sizeof err) != 0) { check(0, "number %s parses (%s)", ok[i].s, err); continue; }
        r = json_root(&d);
        good = r->type == JSON_NUMBER && r->num == ok[i].v && r->is_int == ok[i].is_int && (!ok[i].is_int || r->inum == ok[i].iv);
        check(good, "number %s = %.17g (is_int %d)", ok[i].s, r->num, r->is_int);
        json_free(&d);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) check(!parses(bad[i]), "invalid number %s rejected", bad[i]);
    {
        json_doc d;
        char err[200];
        long long v;
        int rc = parse_exact("[4.0, 1e3, 2.5, 1e300]", 22, 0, &d, err, sizeof err);
        const json_node *r = json_root(&d);
        check(rc == 0 && json_int(json_at(r, 0), &v) && v == 4 && json_int(json_at(r, 1), &v) && v == 1000 &&
              !json_int(json_at(r, 2), &v) && !json_int(json_at(r, 3), &v),
              "json_int accepts integral floats, refuses 2.5 and 1e300");
        json_free(&d);
    }
    {
        /* a long number (more than the parser's stack buffer) */
        char b[400];
        json_doc d;
        char err[200];
        memset(b, '1', 300);
        memcpy(b + 300, ".25", 4);
        check(parse_exact(b, strlen(b), 0, &d, err, sizeof err) == 0 && json_root(&d)->num > 1e299, "300-digit number parses");
        json_free(&d);
    }
}

static void test_strings(void) {
    check(string_is("\"abc\"", "abc", 3), "plain string");
    check(string_is("\"\"", "", 0), "empty string");
    check(string_is("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", "\" \\ / \b \f \n \r \t", 15), "simple escapes");
    check(string_is("\"\\u0041\\u00e9\\u20AC\"", "A\xC3\xA9\xE2\x82\xAC", 6), "\\u escapes to 1-, 2-, 3-byte UTF-8");
    check(string_is("\"\\ud83d\\ude42\"", "\xF0\x9F\x99\x82", 4), "surrogate pair to 4-byte UTF-8");
    check(string_is("\"\\uDBFF\\uDFFF\"", "\xF4\x8F\xBF\xBF", 4), "highest surrogate pair U+10FFFF");
    check(string_is("\"a\\u0000b\"", "a\0b", 3), "\\u0000 keeps an embedded NUL (length 3)");
    check(string_is("\"\xC4\xA0t \xE4\xB8\xAD \xF0\x9F\x99\x82\"", "\xC4\xA0t \xE4\xB8\xAD \xF0\x9F\x99\x82", 12), "raw UTF-8 copied");
    check(!parses("\"\\ud83d\""), "lone high surrogate rejected");
    check(!parses("\"\\ude42\""), "lone low surrogate rejected");
    check(!parses("\"\\ud83d\\u0041\""), "high surrogate followed by a non-surrogate rejected");
    check(!parses("\"\\ud83dx\""), "high surrogate followed by text rejected");
    check(!parses("\"\\u12G4\""), "bad hex digit rejected");
    check(!parses("\"\\u12\""), "short \\u escape rejected");
    check(!parses("\"\\x41\""), "unknown escape rejected");
    check(!parses("\"a\nb\""), "raw newline in string rejected");
    check(!parses("\"a\tb\""), "raw tab in string rejected");
    check(!parses("\"\xC0\x80\""), "overlong UTF-8 rejected");
    check(!parses("\"\xED\xA0\x80\""), "UTF-8-encoded surrogate rejected");
    check(!parses("\"\xF5\x80\x80\x80\""), "UTF-8 beyond U+10FFFF rejected");
    check(!parses("\"\xE4\xB8\""), "truncated UTF-8 sequence rejected");
    check(!parses("\"\x80\""), "stray continuation byte rejected");
    check(!parses("\"abc"), "unterminated string rejected");
    check(!parses("\"abc\\"), "string ending in a backslash rejected");
    {
        json_doc d;
        char err[200];
        const char *s = "{\"a\\u0062\": 1, \"x\": 2, \"x\": 3}";
        long long v;
        int rc = parse_exact(s, strlen(s), 0, &d, err, sizeof err);
        check(rc == 0 && json_get(json_root(&d), "ab") != NULL, "escaped keys are decoded");
        check(rc == 0 && json_int(json_get(json_root(&d), "x"), &v) && v == 2 && json_root(&d)->count == 3,
              "duplicate keys kept; json_get returns the first");
        json_free(&d);
    }
}

static void test_syntax_errors(void) {
    static const char *const bad[] = {"", "   ", "{", "}", "[", "]", "{\"a\"}", "{\"a\":}", "{\"a\" 1}", "{a:1}", "{'a':1}",
                                      "[1 2]", "[1,,2]", "[,1]", "{\"a\":1,}", "{,}", "tru", "true false", "nul", "nulll",
                                      "[1]]", "{}{}", "[1] x", "\"a\" \"b\"", "[\"a\":1]", "{\"a\":1 \"b\":2}", "/* c */ 1",
                                      "[1] //", "\x01", "[\x00]"};
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) check(!parses(bad[i]), "syntax error rejected: '%s'", bad[i]);
    check(fails_at("[1,2,x]", 5), "error names offset 5 for '[1,2,x]'");
    check(fails_at("{\"a\":1,\n \"b\" 2}", 13), "error names offset 13 for a missing ':'");
    check(fails_at("[1, 2", 5), "error names offset 5 (end) for a truncated array");
    check(fails_at("[\"ok\", \"a\\qb\"]", 9), "error names offset 9 for a bad escape");
    {
        json_doc d;
        char err[200];
        /* a NUL byte inside the buffer is just a bad byte, not an end marker */
        check(parse_exact("[1]\0", 4, 0, &d, err, sizeof err) != 0, "NUL after the document rejected (len counts it)");
        check(parse_exact("[1]\0garbage", 3, 0, &d, err, sizeof err) == 0, "parser stops at len");
        json_free(&d);
        check(json_parse(NULL, 0, 0, &d, err, sizeof err) != 0, "NULL/empty input rejected");
        check(json_parse("1", 1, 0, &d, NULL, 0) == 0, "NULL err buffer allowed");
        json_free(&d);
    }
}

static char *nested(int depth, int objects) {
    char *s = (char *)malloc((size_t)depth * 8 + 16), *p = s;
    int i;
    for (i = 0; i < depth; i++) {
        if (objects) { memcpy(p, "{\"k\":", 5); p += 5; }
        else *p++ = '[';
    }
    *p++ = '1';
    for (i = 0; i < depth; i++) *p++ = objects ? '}' : ']';
    *p = '\0';
    return s;
}

static void test_depth(void) {
    json_doc d;
    char err[200];
    char *s;
    s = nested(JSON_DEFAULT_MAX_DEPTH, 0);
    check(parse_exact(s, strlen(s), 0, &d, err, sizeof err) == 0, "%d nested arrays accepted (default limit)", JSON_DEFAULT_MAX_DEPTH);
    json_free(&d);
    free(s);
    s = nested(JSON_DEFAULT_MAX_DEPTH + 1, 0);
    check(parse_exact(s, strlen(s), 0, &d, err, sizeof err) != 0 && strstr(err, "nesting"), "%d nested arrays rejected: %s",
          JSON_DEFAULT_MAX_DEPTH + 1, err);
    free(s);
    s = nested(JSON_DEFAULT_MAX_DEPTH + 1, 1);
    check(parse_exact(s, strlen(s), 0, &d, err, sizeof err) != 0, "%d nested objects rejected", JSON_DEFAULT_MAX_DEPTH + 1);
    free(s);
    s = nested(3, 1);
    check(parse_exact(s, strlen(s), 3, &d, err, sizeof err) == 0, "depth 3 accepted with max_depth 3");
    json_free(&d);
    free(s);
    s = nested(4, 1);
    check(parse_exact(s, strlen(s), 3, &d, err, sizeof err) != 0, "depth 4 rejected with max_depth 3");
    free(s);
    s = nested(1000000, 0);
    check(parse_exact(s, strlen(s), 1 << 30, &d, err, sizeof err) != 0, "a million nested arrays rejected without a stack overflow");
    free(s);
}

static const char sample[] =
    "{\"version\": \"1.0\", \"added_tokens\": [{\"id\": 0, \"content\": \"|||IP_ADDRESS|||\", \"special\": false},"
    " {\"id\": 1, \"content\": \"<|padding|>\", \"special\": true}],\n"
    " \"normalizer\": {\"type\": \"NFC\"}, \"model\": {\"type\": \"BPE\", \"dropout\": null, \"vocab\": {\"!\": 2, \"\\\"\": 3,"
    " \"\\u0120t\": 4, \"caf\\u00e9\": 5, \"\\ud83d\\ude42\": 6, \"x\": -1.5e-3}, \"merges\": [\"\\u0120 t\", [\"h\", \"e\"]]}}";

static void test_truncation(void) {
    size_t n = strlen(sample), i;
    int all_fail = 1, full_ok;
    json_doc d;
    char err[200];
    full_ok = parse_exact(sample, n, 0, &d, err, sizeof err) == 0;
    check(full_ok, "sample tokenizer-like document parses (%s)", full_ok ? "" : err);
    if (full_ok) {
        const json_node *v = json_get(json_get(json_root(&d), "model"), "vocab");
        const json_node *m = json_get(json_get(json_root(&d), "model"), "merges");
        long long id;
        check(v && v->count == 6 && json_int(json_get(v, "\xC4\xA0t"), &id) && id == 4 && json_get(v, "caf\xC3\xA9") &&
              json_get(v, "\xF0\x9F\x99\x82") && json_get(v, "\""),
              "sample vocab keys decoded");
        check(m && m->count == 2 && json_at(m, 1)->type == JSON_ARRAY && !strcmp(json_str(json_at(json_at(m, 1), 1)), "e"), "sample merges");
    }
    json_free(&d);
    for (i = 0; i < n; i++) {
        if (parse_exact(sample, i, 0, &d, err, sizeof err) == 0) {
            all_fail = 0;
            printf("     prefix of %lu bytes parsed\n", (unsigned long)i);
            json_free(&d);
        }
    }
    check(all_fail, "every one of the %lu proper prefixes of the sample is rejected", (unsigned long)n);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static void test_garbage(void) {
    int i, ok_count = 0, n = 20000;
    size_t len = strlen(sample);
    char *b = (char *)malloc(len);
    json_doc d;
    char err[200];
    static const char alphabet[] = "{}[]\":,0123456789.eE+-tfnrulsa\\u \n\x80\xC3\xA9\xF0";
    for (i = 0; i < n; i++) {
        size_t l = rnd() % 64, k;
        char buf[64];
        for (k = 0; k < l; k++) buf[k] = (rnd() & 1) ? (char)(rnd() & 0xFF) : alphabet[rnd() % (sizeof alphabet - 1)];
        if (parse_exact(buf, l, 0, &d, err, sizeof err) == 0) ok_count++;
        json_free(&d);
    }
    check(1, "%d random byte strings: no crash (%d happened to be valid)", n, ok_count);
    ok_count = 0;
    for (i = 0; i < n; i++) {
        int flips = 1 + (int)(rnd() % 4), f;
        memcpy(b, sample, len);
        for (f = 0; f < flips; f++) b[rnd() % len] = (char)(rnd() & 0xFF);
        if (parse_exact(b, len, 0, &d, err, sizeof err) == 0) ok_count++;
        json_free(&d);
    }
    check(1, "%d mutated samples: no crash (%d still valid)", n, ok_count);
    free(b);
}

static void test_large(void) {
    /* a tokenizer.json-sized document: 100k vocab entries and 100k merges, about 3 MB */
    size_t cap = 8u << 20, o = 0;
    char *s = (char *)malloc(cap);
    int i, rc;
    json_doc d;
    char err[200];
    clock_t t0;
    double secs;
    o += (size_t)sprintf(s + o, "{\"model\": {\"type\": \"BPE\", \"vocab\": {");
    for (i = 0; i < 100000; i++) o += (size_t)sprintf(s + o, "%s\"\\u0120tok%d\\u00e9\": %d", i ? ", " : "", i, i);
    o += (size_t)sprintf(s + o, "}, \"merges\": [");
    for (i = 0; i < 100000; i++) o += (size_t)sprintf(s + o, "%s\"\\u0120t ok%d\"", i ? ", " : "", i);
    o += (size_t)sprintf(s + o, "]}}");
    t0 = clock();
    rc = json_parse(s, o, 0, &d, err, sizeof err);
    secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    check(rc == 0, "%.1f MB document parses (%s)", o / 1e6, rc ? err : "");
    if (rc == 0) {
        const json_node *m = json_get(json_root(&d), "model");
        const json_node *v = json_get(m, "vocab"), *last = NULL, *c;
        long long id;
        for (c = v ? v->child : NULL; c; c = c->next) last = c;
        check(v && v->count == 100000 && json_get(m, "merges")->count == 100000, "100000 vocab entries and 100000 merges");
        check(last && !strcmp(last->key, "\xC4\xA0tok99999\xC3\xA9") && json_int(last, &id) && id == 99999, "last vocab entry decoded");
    }
    check(secs < 1.0, "parse time %.3f s (< 1 s)", secs);
    json_free(&d);
    free(s);
}

int main(void) {
    test_basic();
    test_scalars_root();
    test_numbers();
    test_strings();
    test_syntax_errors();
    test_depth();
    test_truncation();
    test_garbage();
    test_large();
    return t_finish();
}
