# `make bench`: the JIT benchmarks (bench/bench.c). BPF programs are built by
# clang -O2 -target bpf from bench/progs, their native twins by gcc -O2; the
# runner links the release library. Prints ratios; never fails on time.
BENCH_OUT := build/bench
BENCH_NAMES := parse checksum arith bits strings dispatch sieve hashmap empty
BENCH_BINS := $(BENCH_NAMES:%=$(BENCH_OUT)/%.bin)
BENCH_BPF_CFLAGS := -O2 -target bpf -mcpu=v3 -Wall -Werror -Ibench/progs \
	-I/usr/include/$(shell $(CC) -dumpmachine)

.PHONY: bench
.PRECIOUS: $(BENCH_OUT)/%.bpf.o
bench: $(BENCH_OUT)/exobpf-bench $(BENCH_BINS)
	$(BENCH_OUT)/exobpf-bench $(BENCH_OUT) $(BENCH)

$(BENCH_OUT)/%.bpf.o: bench/progs/%.bpf.c $(wildcard bench/progs/*.h) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	clang $(BENCH_BPF_CFLAGS) -c $< -o $@

$(BENCH_OUT)/%.bin: $(BENCH_OUT)/%.bpf.o bench/extract.sh
	./bench/extract.sh $< $(BENCH_OUT)/$*

# The twins: gcc -O2 exactly, whatever CFLAGS say.
$(BENCH_OUT)/native.o: bench/native.c bench/bench.h $(wildcard bench/progs/*.h)
	@mkdir -p $(dir $@)
	gcc -O2 -std=gnu11 -Wall -Wextra -Werror -Iinclude -Isrc -Ibench -D_GNU_SOURCE -c $< -o $@

$(BENCH_OUT)/exobpf-bench: bench/bench.c bench/bench.h $(BENCH_OUT)/native.o build/libexobpf.a
	$(CC) -O2 -std=gnu11 -Wall -Wextra -Werror -Iinclude -Isrc -Ibench -D_GNU_SOURCE \
		-o $@ bench/bench.c $(BENCH_OUT)/native.o build/libexobpf.a $(LDLIBS)
