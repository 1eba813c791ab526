# Fuzzing. `make fuzz` builds one libFuzzer target per input surface (clang,
# ASan+UBSan) and their seed corpora; `make fuzz-smoke` runs each briefly
# (part of `make test`); `make exobpf-fuzz` builds the generator and oracle
# tool (soundness, interpreter/JIT, Linux differential). See
# docs/reliability.md.
FUZZ_CC ?= clang
FUZZ_OUT := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -Isrc -Itests/unit -Ifuzz \
	-D_GNU_SOURCE -MMD -MP $(FUZZ_SAN)

# Every target, named after fuzz/<name with - as _>.c.
FUZZ_TARGETS := elf btf verifier cbpf asm pcap jit-diff soundness attr
# Code the targets share: the program generator and the oracles, the JIT's
# generator, and the tests' kernel helpers.
FUZZ_SUPPORT := fuzz/progen.c fuzz/oracle.c tests/unit/test_jit_gen.c tests/unit/test_jit_util.c \
	tests/unit/util.c

# The library is instrumented once (coverage without libFuzzer's main) and
# linked into every target, instead of each target compiling it again.
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_OUT)/obj/%.o)
FUZZ_SUPPORT_OBJS := $(FUZZ_SUPPORT:%.c=$(FUZZ_OUT)/obj/%.o)

$(FUZZ_OUT)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/libexobpf.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

define FUZZ_TARGET_RULE
$(FUZZ_OUT)/$(1): $(FUZZ_OUT)/obj/fuzz/$(subst -,_,$(1)).o $(FUZZ_SUPPORT_OBJS) $(FUZZ_OUT)/libexobpf.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$^ $(LDLIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_TARGET_RULE,$(t))))

# Seed corpora, generated from the project's own tests: the test programs'
# objects, their BTF, the classic and assembler texts of the test
# expressions, the kernel verifier corpus's programs, generated programs.
# Shared data that is already an input (conformance .data, capture files) is
# read in place by fuzz/run.sh rather than copied.
FUZZ_SEEDED := $(FUZZ_OUT)/corpus/.seeded
$(FUZZ_SEEDED): $(OUT)/exobpf-fuzz $(PROG_OBJS)
	@rm -rf $(FUZZ_OUT)/corpus && mkdir -p $(FUZZ_OUT)/corpus
	SHARED=$(SHARED) $(OUT)/exobpf-fuzz seeds $(FUZZ_OUT)/corpus $(PROG_OBJS)
	@touch $@

.PHONY: fuzz fuzz-smoke exobpf-fuzz
fuzz: $(FUZZ_TARGETS:%=$(FUZZ_OUT)/%) $(FUZZ_SEEDED)

# Each target for a fixed number of runs from a fixed seed: no time limit,
# the same run every time.
fuzz-smoke: fuzz $(OUT)/exobpf
	@SHARED=$(SHARED) BUILD=$(OUT) ./fuzz/smoke.sh $(FUZZ_TARGETS)

# The generator and oracle tool, built like the other programs (sanitized
# under SAN=1).
FUZZ_TOOL_SRCS := fuzz/exobpf_fuzz.c fuzz/attr_seeds.c $(FUZZ_SUPPORT)
FUZZ_TOOL_OBJS := $(FUZZ_TOOL_SRCS:%.c=$(OUT)/obj/%.o)
$(FUZZ_TOOL_OBJS): CPPFLAGS += -Itests/unit -Ifuzz
$(OUT)/exobpf-fuzz: $(FUZZ_TOOL_OBJS) $(OUT)/libexobpf.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
exobpf-fuzz: $(OUT)/exobpf-fuzz
all: $(OUT)/exobpf-fuzz
# The unit tests exercise the generator and the oracles too.
$(OUT)/exobpf-tests: $(OUT)/obj/fuzz/progen.o $(OUT)/obj/fuzz/oracle.o
$(OUT)/obj/fuzz/progen.o $(OUT)/obj/fuzz/oracle.o: CPPFLAGS += -Itests/unit -Ifuzz
$(TEST_OBJS): CPPFLAGS += -Ifuzz

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_SUPPORT_OBJS:.o=.d) $(FUZZ_TOOL_OBJS:.o=.d)
-include $(foreach t,$(FUZZ_TARGETS),$(FUZZ_OUT)/obj/fuzz/$(subst -,_,$(t)).d)
