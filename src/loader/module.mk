# The loader reads ELF objects with libelf (which needs zlib for compressed sections).
LDLIBS += -lelf -lz

# exobpf's own BTF (the CO-RE default target): the context structs of
# ctx_types.bpf.h compiled by clang, .BTF extracted and embedded as a C array.
CTX_BTF_C := $(OUT)/gen/ctx_btf_data.c
LIB_GEN_OBJS += $(OUT)/obj/gen/ctx_btf_data.o
$(CTX_BTF_C): src/loader/ctx_types.bpf.h | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	clang -g -O2 -target bpf -I/usr/include/$(shell $(CC) -dumpmachine) -x c -c $< -o $@.o
	llvm-objcopy --dump-section .BTF=$@.btf $@.o
	{ echo '/* Generated from src/loader/ctx_types.bpf.h: exobpf context BTF. */'; \
	  echo '#include <stddef.h>'; \
	  echo 'const unsigned char exo_ctx_btf_data[] __attribute__((aligned(8))) = {'; \
	  od -An -v -tx1 $@.btf | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '};'; echo 'const size_t exo_ctx_btf_size = sizeof(exo_ctx_btf_data);'; } >$@
$(OUT)/obj/gen/ctx_btf_data.o: $(CTX_BTF_C)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
