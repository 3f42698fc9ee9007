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
int cmd_routes(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_quantize(int argc, char **argv);

/* tools/quantize.c: llama.cpp's file types and per-tensor mix (what convert --type could share).
   quant_ftype_parse: "q4_k_m" (any case) -> llama_ftype number (15), -1 if unknown;
   quant_mix_type: the GGML type llama-quantize gives a tensor, -1 if it is not quantized. */
int quant_ftype_parse(const char *s);
const char *quant_ftype_name(int ftype);  /* 15 -> "Q4_K_M"; NULL if unknown */
int quant_tensor_allowed(const char *name, int n_dims);
int quant_mix_type(int ftype, const char *name, int n_dims, int64_t ne0, int n_layer, int n_expert, int n_gqa, int tied);

/* --kernels auto|scalar|avx2|avx512|neon <-> OLMOE_KERNELS_*; parse gives -1 for an unknown name. */
int cli_parse_kernels(const char *s);
const char *cli_kernels_name(int k);
/* --kv f32|f16 -> OLMOE_TYPE_F32/F16 (the KV cache's element); -1 for another name. */
int cli_parse_kv(const char *s);

/* A whole decimal integer >= lo for flag (cmd names the command in the message); 0, or -1 with
   the cause on stderr. */
int cli_parse_int(const char *cmd, const char *flag, const char *v, long lo, int *out);

/* --check-tensors, on every command that loads a model: the load parameters with
   validate_weights 2 (olmoe.h scans every f32/f16/bf16 element and every quantized block's scales
   for NaN/Inf, as llama.cpp's --check-tensors), else the defaults. CLI_CHECK_TENSORS_HELP: its help. */
#define CLI_CHECK_TENSORS_HELP "refuse a file with NaN/Inf in any weight: f32/f16/bf16 elements, every quantized block's scales (as llama.cpp's --check-tensors; reads the whole file)"
olmoe_model_params cli_model_params(int check_tensors);

/* Parse "1,2,3" into ids; returns count or -1 on a malformed list. *out is malloc'd. */
int cli_parse_ids(const char *s, int32_t **out);

/* -t N above the online core count: a warning on stderr naming both (threads then wait for a
   core at every barrier, many times slower); nothing for N <= cores or 0 (all cores). */
void cli_check_threads(const char *cmd, int n_threads);

#endif
