# exobpf build. `make` builds build/exobpf and the libraries; `make test` runs
# every test (under ASan+UBSan unless SAN=0); `make demo` runs the example.
# Outputs: build/ (release) or build/san/ (SAN=1).

SHARED ?= ../shared
CC ?= gcc
# Tests run sanitized by default; everything else builds release.
SAN ?= $(if $(filter test check,$(or $(MAKECMDGOALS),all)),1,0)

ifeq ($(SAN),1)
OUT := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
OUT := build
SANFLAGS :=
endif

CPPFLAGS := -Iinclude -Isrc -D_GNU_SOURCE -MMD -MP
CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -fPIC -fvisibility=hidden $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS)
LDLIBS := -lpthread -lm
# Each module may add libraries, flags and its own targets in
# src/<module>/module.mk; those come first, so name the default goal.
.DEFAULT_GOAL := all
-include $(sort $(wildcard src/*/module.mk))

LIB_SRCS := $(sort $(wildcard src/*/*.c))
TOOL_SRCS := $(sort $(wildcard tools/*.c))
TEST_SRCS := $(sort $(wildcard tests/unit/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(OUT)/obj/%.o)
TOOL_OBJS := $(TOOL_SRCS:%.c=$(OUT)/obj/%.o)
TEST_OBJS := $(TEST_SRCS:%.c=$(OUT)/obj/%.o)

DEPS_STAMP := build/.deps-ok

.PHONY: all deps test check test-conformance demo clean format format-check test-kernel-verifier
all: $(OUT)/libexobpf.a $(OUT)/libexobpf.so $(OUT)/exobpf $(OUT)/libexobpf.pc

# Installs what is missing from Debian's archive (as root) or says what to run.
deps: $(DEPS_STAMP)
$(DEPS_STAMP): mk/packages.txt mk/deps.sh
	@./mk/deps.sh
	@mkdir -p build && touch $@

$(OUT)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(OUT)/libexobpf.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(OUT)/libexobpf.so: $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libexobpf.so.0 $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Programs linking the static library need the modules' libraries too:
# `PKG_CONFIG_PATH=build pkg-config --static --cflags --libs libexobpf`.
$(OUT)/libexobpf.pc: Makefile $(wildcard src/*/module.mk)
	@mkdir -p $(OUT)
	@printf '%s\n' 'Name: libexobpf' 'Description: eBPF outside the kernel' \
		'Version: 0' 'Cflags: -I$(CURDIR)/include' \
		'Libs: -L$(CURDIR)/$(OUT) -lexobpf' 'Libs.private: $(LDLIBS)' >$@

$(OUT)/exobpf: $(TOOL_OBJS) $(OUT)/libexobpf.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/exobpf-tests: $(TEST_OBJS) $(OUT)/libexobpf.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

test check: all $(OUT)/exobpf-tests
	@SHARED=$(SHARED) ./tests/run-all.sh $(OUT)

test-conformance: all
	@$(OUT)/exobpf conformance $(SHARED)/conformance

# Linux 6.1's test_verifier corpus: verdicts, messages, return values, time.
test-kernel-verifier: all
	@$(OUT)/exobpf verify-corpus $(SHARED)/kernel-verifier/test_verifier-6.1.jsonl \
		--reviewed tests/verifier/accepted-rejects.txt

demo: all examples
	@./examples/demo.sh $(OUT)

format:
	clang-format -i $(LIB_SRCS) $(TOOL_SRCS) $(TEST_SRCS) $(wildcard src/*/*.h include/exobpf/*.h tools/*.h tests/unit/*.h)

format-check:
	clang-format --dry-run -Werror $(LIB_SRCS) $(TOOL_SRCS) $(TEST_SRCS)

clean:
	rm -rf build

# Benchmarks and examples keep their rules beside their sources.
-include bench/bench.mk examples/examples.mk

-include $(LIB_OBJS:.o=.d) $(TOOL_OBJS:.o=.d) $(TEST_OBJS:.o=.d)

# BPF test programs (tests/progs/*.bpf.c), built with clang against
# libbpf-dev's headers, and the libbpf-based comparison helper (tests only:
# libbpf is never linked into the runtime).
BPF_CLANG ?= clang
BPF_CFLAGS := -O2 -g -target bpf -Wall -I/usr/include/$(shell $(CC) -dumpmachine)
PROG_SRCS := $(sort $(wildcard tests/progs/*.bpf.c))
PROG_OBJS := $(PROG_SRCS:tests/progs/%.bpf.c=$(OUT)/progs/%.bpf.o)

$(OUT)/progs/%.bpf.o: tests/progs/%.bpf.c tests/progs/common.h | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(BPF_CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/libbpf_xlated: tests/helpers/libbpf_xlated.c | $(DEPS_STAMP)
	$(CC) -O2 -Wall -o $@ $< -lbpf

$(OUT)/libbpf_vstats: tests/helpers/libbpf_vstats.c | $(DEPS_STAMP)
	$(CC) -O2 -Wall -o $@ $< -lbpf

.PHONY: progs
progs: $(PROG_OBJS) $(OUT)/libbpf_xlated $(OUT)/libbpf_vstats
test check: progs

# Examples (examples/*.bpf.c) build beside their sources, so the README's
# commands name them where they are: exobpf trace examples/opensnoop.bpf.o.
EXAMPLE_OBJS := $(patsubst %.bpf.c,%.bpf.o,$(wildcard examples/*.bpf.c))
examples/%.bpf.o: examples/%.bpf.c $(wildcard examples/*.h) | $(DEPS_STAMP)
	$(BPF_CLANG) $(BPF_CFLAGS) -D__TARGET_ARCH_x86 -c $< -o $@
.PHONY: examples
examples: $(EXAMPLE_OBJS)
all: examples

# Target programs the tracing tests trace: threads, forks, a shared
# library and a PIE executable calling into it.
$(OUT)/trace/libexotarget.so: tests/trace/libexotarget.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -fPIC -shared -o $@ $<
$(OUT)/trace/uprobe_target: tests/trace/uprobe_target.c $(OUT)/trace/libexotarget.so
	$(CC) -O1 -g -fPIE -pie -o $@ $< -L$(OUT)/trace -lexotarget -Wl,-rpath,'$$ORIGIN' -lpthread
$(OUT)/trace/opens: tests/trace/opens.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -o $@ $< -lpthread
$(OUT)/trace/sys_target: tests/trace/sys_target.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -static -o $@ $<
# The fast uprobe path's preload library (exobpf trace --fast). The library
# comes first, so its constructors (opcode indexes) run before the preload's.
$(OUT)/libexobpf-uprobe.so: src/tracing/preload/uprobe_preload.c $(OUT)/libexobpf.a
	$(CC) $(CPPFLAGS) $(CFLAGS) -shared -o $@ -Wl,--whole-archive $(OUT)/libexobpf.a \
		-Wl,--no-whole-archive $< $(LDFLAGS) $(LDLIBS)
all: $(OUT)/libexobpf-uprobe.so
.PHONY: trace-targets
trace-targets: $(OUT)/trace/opens $(OUT)/trace/uprobe_target $(OUT)/trace/sys_target
test check: trace-targets examples

# Fuzz targets keep their rules beside their sources (after PROG_OBJS,
# which seeds them).
include fuzz/fuzz.mk
