/* gguf_write.h - a small GGUF v3 writer for the olmoe tools (converter, synthetic-model writer,
   malformed-file generator). Little-endian output on any host; C99; no global state.

   Two phases, so that huge models stream straight from their source:

     gguf_writer *w = gguf_w_new();
     gguf_w_kv_str(w, "general.architecture", "olmoe");           // 1. metadata (kept in memory)
     gguf_w_kv_u32(w, "olmoe.block_count", 16);
     int64_t ne[2] = { 2048, 50304 };                              // ne[0] innermost
     gguf_w_tensor(w, "token_embd.weight", 1, 2, ne, nbytes);      // 2. declare tensors (type = GGML id)
     ...
     gguf_w_write_header(w, f);          // 3. header + KVs + tensor infos + padding to the alignment
     gguf_w_write_data(w, p, n); ...     // 4. every tensor's bytes, in declaration order, in any
                                         //    number of pieces; padding is inserted by the writer
     gguf_w_finish(w);                   // 5. checks that every tensor got exactly its bytes, flushes
     gguf_w_free(w);

   Offsets are computed by the writer: each tensor starts at the next multiple of the alignment
   (32 unless gguf_w_set_alignment says otherwise) after the previous one ends.

   For deliberately odd files (tests): gguf_w_set_alignment accepts any nonzero value and can
   leave out the general.alignment key; gguf_w_set_version writes another version number;
   gguf_w_allow_duplicates lets a key or tensor name repeat; gguf_w_kv_raw writes a value's bytes
   verbatim after any type id; gguf_w_tensor_set_offset overrides a tensor's offset (streaming
   with gguf_w_write_data then only works while offsets increase: for overlapping or backwards
   offsets, write the data section yourself after gguf_w_write_header, which leaves the FILE
   positioned at the start of the data section). gguf_w_set_counts overrides the n_tensors/n_kv
   header fields. Nothing is validated against a model: type ids, shapes and byte sizes are
   written as given.

   Every function returning int gives 0 on success, -1 on error (message: gguf_w_error). */
#ifndef OLMOE_TOOLS_GGUF_WRITE_H
#define OLMOE_TOOLS_GGUF_WRITE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* GGUF metadata value types */
enum {
    GGUF_TYPE_UINT8 = 0, GGUF_TYPE_INT8 = 1, GGUF_TYPE_UINT16 = 2, GGUF_TYPE_INT16 = 3,
    GGUF_TYPE_UINT32 = 4, GGUF_TYPE_INT32 = 5, GGUF_TYPE_FLOAT32 = 6, GGUF_TYPE_BOOL = 7,
    GGUF_TYPE_STRING = 8, GGUF_TYPE_ARRAY = 9, GGUF_TYPE_UINT64 = 10, GGUF_TYPE_INT64 = 11,
    GGUF_TYPE_FLOAT64 = 12
};
#define GGUF_DEFAULT_ALIGNMENT 32u
#define GGUF_W_MAX_DIMS 8

typedef struct gguf_writer gguf_writer;

gguf_writer *gguf_w_new(void);          /* NULL when out of memory */
void gguf_w_free(gguf_writer *w);
const char *gguf_w_error(const gguf_writer *w);

/* Alignment of the data section and of every tensor (default 32). write_key: also store it as
   general.alignment (u32) in the header, unless that key was added explicitly. */
int gguf_w_set_alignment(gguf_writer *w, uint32_t alignment, int write_key);
uint32_t gguf_w_alignment(const gguf_writer *w);
void gguf_w_set_version(gguf_writer *w, uint32_t version);    /* default 3 */
void gguf_w_allow_duplicates(gguf_writer *w, int allow);       /* default 0: duplicates are errors */
/* Override the n_tensors / n_kv header fields (tests only); a negative value keeps the real count. */
void gguf_w_set_counts(gguf_writer *w, int64_t n_tensors, int64_t n_kv);

/* ---- metadata (before gguf_w_write_header) ---- */
int gguf_w_kv_str(gguf_writer *w, const char *key, const char *value);
int gguf_w_kv_strn(gguf_writer *w, const char *key, const char *value, size_t len);
int gguf_w_kv_u32(gguf_writer *w, const char *key, uint32_t value);
int gguf_w_kv_i32(gguf_writer *w, const char *key, int32_t value);
int gguf_w_kv_u64(gguf_writer *w, const char *key, uint64_t value);
int gguf_w_kv_f32(gguf_writer *w, const char *key, float value);
int gguf_w_kv_bool(gguf_writer *w, const char *key, int value);
/* Array of fixed-size elements (any type but STRING/ARRAY), data in host byte order. */
int gguf_w_kv_arr(gguf_writer *w, const char *key, uint32_t elem_type, const void *data, uint64_t n);
int gguf_w_kv_arr_i32(gguf_writer *w, const char *key, const int32_t *v, uint64_t n);
int gguf_w_kv_arr_u32(gguf_writer *w, const char *key, const uint32_t *v, uint64_t n);
int gguf_w_kv_arr_f32(gguf_writer *w, const char *key, const float *v, uint64_t n);
/* Array of strings; lens may be NULL (then strlen is used for each). */
int gguf_w_kv_arr_str(gguf_writer *w, const char *key, const char *const *strs, const size_t *lens, uint64_t n);
/* Any type id followed by raw value bytes (tests: wrong types, truncated values, nested arrays). */
int gguf_w_kv_raw(gguf_writer *w, const char *key, uint32_t type, const void *bytes, size_t n);
int gguf_w_has_key(const gguf_writer *w, const char *key);
uint64_t gguf_w_n_kv(const gguf_writer *w);

/* ---- tensors (before gguf_w_write_header) ---- */
/* Declare a tensor: GGML type id, n_dims (0..GGUF_W_MAX_DIMS), ne[0] innermost, data size in
   bytes. Returns the tensor's index (>= 0) or -1. */
int gguf_w_tensor(gguf_writer *w, const char *name, uint32_t type, int n_dims, const int64_t *ne, uint64_t nbytes);
int gguf_w_tensor_set_offset(gguf_writer *w, int index, uint64_t offset);  /* relative to the data section */
int gguf_w_n_tensors(const gguf_writer *w);
/* Offset of tensor i relative to the data section (final once gguf_w_write_header has run). */
uint64_t gguf_w_tensor_offset(gguf_writer *w, int index);
/* Bytes before the data section (header, KVs, tensor infos, padding). */
uint64_t gguf_w_header_size(gguf_writer *w);

/* ---- output ---- */
int gguf_w_write_header(gguf_writer *w, FILE *f);
/* Stream tensor bytes in declaration order; pieces may span tensor boundaries. */
int gguf_w_write_data(gguf_writer *w, const void *data, size_t n);
/* The tensor that the next gguf_w_write_data bytes belong to (n_tensors when all are done). */
int gguf_w_current_tensor(const gguf_writer *w);
/* All tensors written in full? Pads the last one, flushes the FILE. Does not close it. */
int gguf_w_finish(gguf_writer *w);
uint64_t gguf_w_bytes_written(const gguf_writer *w);

#ifdef __cplusplus
}
#endif
#endif
