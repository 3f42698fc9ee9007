# olmoe.h — build, test and run. `make` builds build/olmoe; `make run` and `make test` are the
# two commands the README starts with.
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra
BASE    := -std=c99 $(WARN) -I.
LDLIBS  := -lm -lpthread
BUILD   := build

TOOL_SRCS := $(filter-out tools/impl.c,$(wildcard tools/*.c))
TOOL_OBJS := $(patsubst tools/%.c,$(BUILD)/tools/%.o,$(TOOL_SRCS)) $(BUILD)/tools/impl.o

.PHONY: all test run clean examples
all: $(BUILD)/olmoe examples

$(BUILD)/tools/%.o: tools/%.c olmoe.h $(wildcard tools/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -c $< -o $@

$(BUILD)/olmoe: $(TOOL_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
examples: $(EXAMPLES)
$(BUILD)/examples/%: examples/%.c olmoe.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -o $@ $< $(LDLIBS)

clean:
	rm -rf $(BUILD)
