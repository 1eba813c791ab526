# `make fuzz`: libFuzzer targets, built with clang under ASan+UBSan from the
# library sources directly (they need coverage instrumentation throughout).
FUZZ_CC ?= clang
FUZZ_OUT := build/fuzz
FUZZ_FLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -Isrc -Itests/unit -D_GNU_SOURCE \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SUPPORT := tests/unit/test_jit_gen.c tests/unit/test_jit_util.c

.PHONY: fuzz
fuzz: $(FUZZ_OUT)/jit-diff

$(FUZZ_OUT)/jit-diff: fuzz/jit_diff.c $(FUZZ_SUPPORT) $(LIB_SRCS) $(wildcard src/*/*.h src/*/*.def tests/unit/*.h) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ fuzz/jit_diff.c $(FUZZ_SUPPORT) $(LIB_SRCS) $(LDLIBS)
