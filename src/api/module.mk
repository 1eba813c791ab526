# The preload library (LD_PRELOAD; `exobpf exec`): the whole library plus
# the interposers in src/api/preload, which are not part of libexobpf.
# It needs -ldl for dlsym(RTLD_NEXT).
PRELOAD_SO := $(OUT)/libexobpf-preload.so
all: $(PRELOAD_SO)

$(PRELOAD_SO): $(OUT)/obj/src/api/preload/preload.o $(OUT)/libexobpf.a
	$(CC) -shared $(LDFLAGS) -o $@ $< -Wl,--whole-archive $(OUT)/libexobpf.a \
		-Wl,--no-whole-archive $(LDLIBS) -ldl
