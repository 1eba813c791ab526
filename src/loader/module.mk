# The loader reads ELF objects with libelf (which needs zlib for compressed sections).
LDLIBS += -lelf -lz
