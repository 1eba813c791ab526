/* A program both verifiers must reject: it dereferences a number. Loading
 * shows the verifier log, as libbpf shows Linux's. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int deref_scalar(struct __sk_buff *skb)
{
	int *p = (int *)(long)skb->len;

	return *p;
}

char LICENSE[] SEC("license") = "GPL";
