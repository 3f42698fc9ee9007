/* build/olmoe tokenize: text -> token ids, and ids -> text, with the model's tokenizer.

   olmoe tokenize -m MODEL.gguf -f FILE        ids of the file's whole content (bytes as they are;
                                               "-" reads standard input)
   olmoe tokenize -m MODEL.gguf -p TEXT        ids of TEXT
       output (STABLE): the ids, space-separated, on one line. Added and special tokens are
       recognised like HF encode(text, add_special_tokens=False); --no-special reads special-token
       text as plain text (HF encode_special_tokens=True). No BOS/EOS is added.
       --pieces: one line per token instead, "ID<TAB>PIECE" with the piece's bytes C-escaped.
   olmoe tokenize -m MODEL.gguf --decode -t ID,ID,...
       output (STABLE): the decoded text exactly (like HF decode(ids, skip_special_tokens=False)),
       then one newline so that a terminal or a pipe gets a whole last line; --no-newline leaves
       it out (the text's bytes and nothing else).
   The model is loaded vocab-only (no weights are touched). */
#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/types.h>
#include <sys/stat.h>

int cmd_tokenize(int argc, char **argv);

static void tok_usage(FILE *f) {
    fprintf(f,
            "usage: olmoe tokenize -m MODEL.gguf (-f FILE | -p TEXT) [--no-special] [--pieces]\n"
            "       olmoe tokenize -m MODEL.gguf --decode -t ID,ID,... [--no-newline]\n"
            "Token ids of a text (one line, space-separated; no BOS/EOS added), or the text of ids. The\n"
            "model is loaded vocab-only (a tokenizer-only GGUF works too).\n"
            "options:\n"
            "  -m, --model FILE      the GGUF model or tokenizer (required)\n"
            "  -f, --file FILE       tokenize the file's bytes (- = standard input)\n"
            "  -p, --prompt TEXT     tokenize TEXT\n"
            "  --no-special          read special-token text such as <|endoftext|> as plain text (default: recognised)\n"
            "  --pieces              print ID<TAB>PIECE per token instead of one line of ids (default off)\n"
            "  --decode              print the text of the ids given with -t (default off)\n"
            "  -t, --tokens ID,...   the ids for --decode\n"
            "  --no-newline          --decode: print the text's bytes only, without the final newline (default off)\n"
            "  -h, --help            this help\n"
            "example: olmoe tokenize -m models/austen-olmoe-q8_0.gguf -p \"It is a truth\"\n"
            "         olmoe tokenize -m models/austen-olmoe-q8_0.gguf --decode -t 1031,1226\n");
}

/* NULL with a message naming the cause (missing, a directory, a read error, out of memory) */
static char *tok_read_all(const char *path, size_t *len) {
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    size_t n = 0, cap = 1 << 16, r;
    char *buf;
    struct stat st;
    if (!f) { fprintf(stderr, "tokenize: cannot open %s: %s\n", path, strerror(errno)); return NULL; }
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "tokenize: %s is a directory, not a file\n", path);
        if (f != stdin) fclose(f);
        return NULL;
    }
    buf = (char *)malloc(cap);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = (char *)realloc(buf, cap *= 2);
            if (!nb) { free(buf); buf = NULL; }
            buf = nb;
        }
    }
    if (!buf) fprintf(stderr, "tokenize: %s: out of memory\n", path);
    else if (ferror(f)) { fprintf(stderr, "tokenize: cannot read %s: %s\n", path, strerror(errno)); free(buf); buf = NULL; }
    if (f != stdin) fclose(f);
    *len = n;
    return buf;
}

static void tok_print_escaped(const char *s, int n) {
    int i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') fputs("\\\\", stdout);
        else if (c == '\n') fputs("\\n", stdout);
        else if (c == '\t') fputs("\\t", stdout);
        else if (c == '\r') fputs("\\r", stdout);
        else if (c < 0x20 || c == 0x7F) printf("\\x%02x", c);
        else putchar(c); /* UTF-8 bytes as they are, also partial sequences */
    }
}

int cmd_tokenize(int argc, char **argv) {
    const char *model = NULL, *file = NULL, *text = NULL, *ids_arg = NULL;
    int decode = 0, special = 1, pieces = 0, newline = 1, i, n, rc = 0;
    char err[512];
    olmoe_model *m = NULL;
    olmoe_model_params mp = olmoe_model_default_params();
    olmoe_result r;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if ((!strcmp(a, "-m") || !strcmp(a, "--model")) && has) model = argv[++i];
        else if ((!strcmp(a, "-f") || !strcmp(a, "--file")) && has) file = argv[++i];
        else if ((!strcmp(a, "-p") || !strcmp(a, "--prompt")) && has) text = argv[++i];
        else if ((!strcmp(a, "-t") || !strcmp(a, "--tokens")) && has) ids_arg = argv[++i];
        else if (!strcmp(a, "--decode")) decode = 1;
        else if (!strcmp(a, "--no-special")) special = 0;
        else if (!strcmp(a, "--pieces")) pieces = 1;
        else if (!strcmp(a, "--no-newline")) newline = 0;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { tok_usage(stdout); return 0; }
        else { fprintf(stderr, "tokenize: unknown or incomplete option '%s'\n", a); tok_usage(stderr); return 2; }
    }
    if (!model || (decode ? !ids_arg || file || text : (!file == !text) || ids_arg)) { tok_usage(stderr); return 2; }
    /* a flag that would be ignored is refused by name */
    if (decode && (pieces || !special)) { fprintf(stderr, "tokenize: %s does not apply to --decode\n", pieces ? "--pieces" : "--no-special"); return 2; }
    if (!decode && !newline) { fprintf(stderr, "tokenize: --no-newline applies to --decode only\n"); return 2; }

    mp.vocab_only = 1;
    r = olmoe_model_load(model, &mp, &m, err, sizeof err);
    if (r != OLMOE_OK) { fprintf(stderr, "error (%s): %s\n", olmoe_result_str(r), err); return 1; }

    if (decode) {
        int32_t *ids = NULL;
        char *out;
        n = cli_parse_ids(ids_arg, &ids);
        if (n < 0) { fprintf(stderr, "tokenize: malformed id list '%s'\n", ids_arg); olmoe_model_free(m); return 2; }
        i = olmoe_detokenize(m, ids, n, NULL, 0);
        out = i >= 0 ? (char *)malloc((size_t)i + 1) : NULL;
        if (i >= 0 && out) i = olmoe_detokenize(m, ids, n, out, (size_t)i + 1);
        if (i < 0) { fprintf(stderr, "error: %s\n", olmoe_result_str((olmoe_result)i)); rc = 1; }
        else if (!out) { fprintf(stderr, "error: out of memory\n"); rc = 1; }
        else {
            fwrite(out, 1, (size_t)i, stdout);
            if (newline) putchar('\n');
        }
        free(out);
        free(ids);
    } else {
        size_t len = 0;
        char *buf = file ? tok_read_all(file, &len) : NULL;
        const char *src = file ? buf : text;
        int32_t *ids = NULL;
        if (file && !buf) { olmoe_model_free(m); return 1; }
        if (!file) len = strlen(text);
        n = olmoe_tokenize(m, src, len, NULL, 0, special);
        if (n >= 0) {
            ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
            if (!ids) n = OLMOE_ERR_OOM;
            else n = olmoe_tokenize(m, src, len, ids, n, special);
        }
        if (n < 0) {
            fprintf(stderr, "error (%s): %s\n", olmoe_result_str((olmoe_result)n),
                    n == OLMOE_ERR_UNSUPPORTED ? "the model has no tokenizer this build can run" : "tokenize failed");
            rc = 1;
        } else if (pieces) {
            char piece[4096];
            for (i = 0; i < n; i++) {
                int l = olmoe_token_to_piece(m, ids[i], piece, sizeof piece);
                printf("%d\t", ids[i]);
                if (l > 0) tok_print_escaped(piece, l < (int)sizeof piece ? l : (int)sizeof piece);
                putchar('\n');
            }
        } else {
            for (i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
            putchar('\n');
        }
        free(ids);
        free(buf);
    }
    olmoe_model_free(m);
    if (fflush(stdout) != 0) rc = 1;
    return rc;
}
