# The JIT's dump disassembles machine code with capstone (Debian: libcapstone-dev).
LDLIBS += -lcapstone
