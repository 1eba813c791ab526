/* Sections whose target is a kernel BTF function: fentry, fexit, lsm, the
 * sleepable variants, and iterators. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("fentry/do_nanosleep")
int p_fentry(void *ctx)
{
	return 0;
}

SEC("fexit/do_nanosleep")
int p_fexit(void *ctx)
{
	return 0;
}

SEC("lsm/file_open")
int p_lsm(void *ctx)
{
	return 0;
}

SEC("lsm.s/bprm_committed_creds")
int p_lsm_s(void *ctx)
{
	return 0;
}

SEC("iter/task")
int p_iter(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
