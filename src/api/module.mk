# The preload library (LD_PRELOAD; `exobpf exec`): the whole library plus
# the interposers in src/api/preload, which are not part of libexobpf.
# It needs -ldl for dlsym(RTLD_NEXT). It is never sanitized: it lives inside
# other programs (bpftool, libbpf applications), which a sanitizer runtime
# would have to come first in and would slow down beyond use.
PRELOAD_SO := $(OUT)/libexobpf-preload.so
all: $(PRELOAD_SO)

ifeq ($(SAN),1)
.PHONY: preload-release
preload-release:
	@$(MAKE) --no-print-directory SAN=0 build/libexobpf-preload.so
$(PRELOAD_SO): preload-release
	@mkdir -p $(dir $@)
	cp build/libexobpf-preload.so $@
else
$(PRELOAD_SO): $(OUT)/obj/src/api/preload/preload.o $(OUT)/libexobpf.a
	$(CC) -shared -o $@ $< -Wl,--whole-archive $(OUT)/libexobpf.a \
		-Wl,--no-whole-archive $(LDLIBS) -ldl
endif
