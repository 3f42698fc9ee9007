/* Shared declarations for the build/olmoe subcommands (tools/...). */
#ifndef OLMOE_CLI_H
#define OLMOE_CLI_H
#include "../olmoe.h"

/* Each subcommand: argv[0] is the subcommand name. Returns the process exit status. */
int cmd_convert(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_chat(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_perplexity(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_routes(int argc, char **argv);

/* --kernels auto|scalar|avx2|avx512|neon <-> OLMOE_KERNELS_*; parse gives -1 for an unknown name. */
int cli_parse_kernels(const char *s);
const char *cli_kernels_name(int k);
/* --kv f32|f16 -> OLMOE_TYPE_F32/F16 (the KV cache's element); -1 for another name. */
int cli_parse_kv(const char *s);

/* Parse "1,2,3" into ids; returns count or -1 on a malformed list. *out is malloc'd. */
int cli_parse_ids(const char *s, int32_t **out);

#endif
