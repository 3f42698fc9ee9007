/* Chat templates: olmoe.h's renderings equal Hugging Face apply_chat_template's byte for byte
   (tests/data/chat/ files, written by tools/reference/chat_ref.py).
   usage: test_chat DATA_DIR/chat */
#define _POSIX_C_SOURCE 200809L
#include "../olmoe.h"
#include "test.h"

static char *unhex(const char *h) {
    size_t n = strlen(h), i;
    char *o = (char *)malloc(n / 2 + 1);
    for (i = 0; i + 1 < n && h[i] != '\n'; i += 2) {
        unsigned v;
        sscanf(h + i, "%2x", &v);
        o[i / 2] = (char)v;
    }
    o[i / 2] = 0;
    return o;
}

static void run_file(const char *path) {
    char *data = t_read_file(path, NULL), *line, *save = NULL;
    char *tmpl = NULL, *bos = NULL, *eos = NULL, *want = NULL, *role[16], *content[16];
    int n = 0, gen = 0, cases = 0, casen = -1;
    CHECK(data != NULL, "read %s", path);
    if (!data) return;
    for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!strncmp(line, "template ", 9)) tmpl = unhex(line + 9);
        else if (!strncmp(line, "bos ", 4)) bos = unhex(line + 4);
        else if (!strncmp(line, "eos ", 4)) eos = unhex(line + 4);
        else if (!strncmp(line, "case ", 5)) { casen = atoi(line + 5); n = 0; }
        else if (!strncmp(line, "gen ", 4)) gen = atoi(line + 4);
        else if (!strncmp(line, "msg ", 4) && n < 16) {
            char *sp = strchr(line + 4, ' ');
            if (sp) *sp = 0;
            role[n] = strdup(line + 4);
            content[n] = unhex(sp ? sp + 1 : "");
            n++;
        } else if (!strncmp(line, "text", 4)) want = unhex(line[4] ? line + 5 : "");
        else if (!strcmp(line, "end")) {
            olmoe_chat_msg msgs[16];
            char out[4096];
            int i, len;
            for (i = 0; i < n; i++) { msgs[i].role = role[i]; msgs[i].content = content[i]; }
            len = olmoe_chat_render_template(tmpl, strlen(tmpl), bos, eos, msgs, n, gen, out, sizeof out);
            CHECK(len == (int)strlen(want) && strcmp(out, want) == 0, "%s case %d: %d messages, generation prompt %d, %d bytes identical to HF",
                  strrchr(path, '/') + 1, casen, n, gen, len);
            {   /* the length query with no buffer agrees */
                int l2 = olmoe_chat_render_template(tmpl, strlen(tmpl), bos, eos, msgs, n, gen, NULL, 0);
                if (l2 != len) CHECK(0, "length query %d != %d", l2, len);
            }
            for (i = 0; i < n; i++) { free(role[i]); free(content[i]); }
            free(want); want = NULL;
            n = 0;
            cases++;
        }
    }
    CHECK(cases >= 10, "%s: %d conversations", path, cases);
    if (tmpl) {
        olmoe_chat_msg m1 = {"user", "hi"};
        char out[64];
        size_t tl = strlen(tmpl);
        CHECK(olmoe_chat_template_kind(tmpl, tl) != OLMOE_CHAT_UNKNOWN, "template recognised");
        tmpl[tl / 2] ^= 1; /* one changed byte: an unknown template, an explicit error */
        CHECK(olmoe_chat_render_template(tmpl, tl, bos, eos, &m1, 1, 1, out, sizeof out) == OLMOE_ERR_UNSUPPORTED,
              "a template that differs by one byte is OLMOE_ERR_UNSUPPORTED, not a guess");
    }
    free(tmpl); free(bos); free(eos); free(data);
}

int main(int argc, char **argv) {
    char p[1024];
    if (argc < 2) { fprintf(stderr, "usage: test_chat DIR\n"); return 2; }
    snprintf(p, sizeof p, "%s/olmoe_0924.txt", argv[1]);
    run_file(p);
    snprintf(p, sizeof p, "%s/tulu3.txt", argv[1]);
    run_file(p);
    {
        char out[8];
        olmoe_chat_msg m1 = {"user", "a long message that does not fit"};
        int len = olmoe_chat_render_template("x", 1, "", "", &m1, 1, 0, out, sizeof out);
        CHECK(len == OLMOE_ERR_UNSUPPORTED, "template 'x' unsupported");
    }
    return t_finish();
}
