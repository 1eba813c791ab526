# The demo (`make demo`): the firewall XDP program (clang -target bpf, cpu v3
# for its atomic fetch-and-or, as Linux 5.12+ runs), its
# reader linked with the library, and examples/demo.sh to run them.
EX_OUT := $(OUT)/examples

$(EX_OUT)/firewall.bpf.o: examples/firewall.bpf.c examples/firewall.h | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(BPF_CLANG) $(BPF_CFLAGS) -mcpu=v3 -c $< -o $@

$(EX_OUT)/demo: examples/demo.c examples/firewall.h $(OUT)/libexobpf.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Iexamples $(LDFLAGS) -o $@ $< $(OUT)/libexobpf.a $(LDLIBS)

.PHONY: examples
examples: $(EX_OUT)/firewall.bpf.o $(EX_OUT)/demo

# tests/suites/60-hooks-cli.sh runs the demo's firewall
test check: examples
