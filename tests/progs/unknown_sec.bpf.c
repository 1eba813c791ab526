/* Section names libbpf does not know: reported at load, never guessed. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdpfoo")
int not_xdp(void *ctx)
{
	return 0;
}

SEC("frobnicate/thing")
int frob(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
