# Classic BPF: filter expressions and capture files through the system's libpcap.
LDLIBS += -lpcap
