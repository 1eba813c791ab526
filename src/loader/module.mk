# The loader reads ELF objects with libelf (which needs zlib for compressed sections).
LDLIBS += -lelf -lz

# exobpf's own BTF (the CO-RE default target) is the .BTF of the context
# structs in ctx_types.bpf.h, kept as src/loader/ctx_btf_data.c so building
# the library needs no clang. "make ctx-btf" regenerates it; the loader suite
# checks it matches what clang makes of this machine's headers.
.PHONY: ctx-btf
ctx-btf:
	./src/loader/gen_ctx_btf.sh src/loader/ctx_types.bpf.h >src/loader/ctx_btf_data.c
