# Packet hooks: capture files through libpcap.
LDLIBS += -lpcap

# The hooks' BPF test programs share a parser.
$(OUT)/progs/hook_%.bpf.o: tests/progs/hook_pkt.h
