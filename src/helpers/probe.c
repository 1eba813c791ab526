/* bpf_probe_read and friends. The address comes from the program and may be
 * anything; process_vm_readv on ourselves makes the kernel do the copy, so a
 * bad address is -EFAULT, never a fault, exactly what the helpers promise.
 * Without a tracer exobpf has one address space, so the _user and _kernel
 * forms agree. Under a tracer (run->task) user memory is the tracee's and
 * "kernel" memory stays the tracer's own, where the tracer keeps what
 * Linux keeps in the kernel (raw tracepoints' struct pt_regs). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "helpers/helpers.h"
#include "helpers/probe.h"

/* A reader: the running process (task NULL) or a task's memory. */
static long read_mem(const struct helper_task *task, void *dst, size_t size, uint64_t src)
{
	struct iovec local = {dst, size}, remote = {(void *)(uintptr_t)src, size};
	ssize_t n;

	if (!size)
		return 0;
	if (task)
		return task->read(task, dst, size, src) ? -EFAULT : 0;
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	return n == (ssize_t)size ? 0 : -EFAULT;
}

static long probe_read(const struct helper_task *task, void *dst, size_t size, uint64_t src)
{
	long err = read_mem(task, dst, size, src);

	if (err)
		memset(dst, 0, size);
	return err;
}

static long probe_read_str(const struct helper_task *task, char *dst, size_t size, uint64_t src)
{
	size_t done = 0;

	if (!size)
		return 0;
	/* page by page, so a string ending just before unmapped memory reads */
	while (done < size - 1) {
		uint64_t at = src + done;
		size_t chunk = 4096 - (at & 4095), room = size - 1 - done;
		char *nul;

		if (chunk > room)
			chunk = room;
		if (read_mem(task, dst + done, chunk, at)) {
			memset(dst, 0, size);
			return -EFAULT;
		}
		nul = memchr(dst + done, '\0', chunk);
		if (nul)
			return nul - dst + 1;
		done += chunk;
	}
	dst[done] = '\0';
	return (long)done + 1;
}

long exo_probe_read(void *dst, size_t size, const void *src)
{
	return probe_read(NULL, dst, size, (uintptr_t)src);
}

long exo_probe_read_str(char *dst, size_t size, const void *src)
{
	return probe_read_str(NULL, dst, size, (uintptr_t)src);
}

/* Checked mode: the destination must be memory the program may write. */
static bool dst_ok(struct vm_run *run, const char *helper, uint64_t dst, uint64_t size)
{
	if (!run->checked || vm_mem_ok(run, (uintptr_t)dst, size, true))
		return true;
	vm_fail(run, VM_FAULT_HELPER_ARG,
		"%s: %llu bytes at 0x%llx are outside the program's memory", helper,
		(unsigned long long)size, (unsigned long long)dst);
	return false;
}

#define PROBE_READ(name, str)                                                                      \
	HELPER_FN(name)                                                                            \
	{                                                                                          \
		if (!dst_ok(run, "bpf_" #name, r1, (uint32_t)r2))                                  \
			return 0;                                                                  \
		return (uint64_t)(str ? probe_read_str(run->task, (char *)(uintptr_t)r1,           \
						       (uint32_t)r2, r3)                           \
				      : probe_read(run->task, (void *)(uintptr_t)r1, (uint32_t)r2, \
						   r3));                                           \
	}

/* Linux refuses _kernel reads of addresses that cannot be the kernel's with
 * -ERANGE; here the one address range that can be no one's is the low
 * pages below mmap_min_addr (x86-64 default 64 KiB), where NULL-based
 * pointers land. */
#define LOW_PAGES 65536u

#define PROBE_READ_KERNEL(name, str)                                                            \
	HELPER_FN(name)                                                                         \
	{                                                                                       \
		if (!dst_ok(run, "bpf_" #name, r1, (uint32_t)r2))                               \
			return 0;                                                               \
		if (r3 < LOW_PAGES && (uint32_t)r2) {                                           \
			memset((void *)(uintptr_t)r1, 0, (uint32_t)r2);                         \
			return (uint64_t)-ERANGE;                                               \
		}                                                                               \
		return (uint64_t)(str ? exo_probe_read_str((char *)(uintptr_t)r1, (uint32_t)r2, \
							   (const void *)(uintptr_t)r3)         \
				      : exo_probe_read((void *)(uintptr_t)r1, (uint32_t)r2,     \
						       (const void *)(uintptr_t)r3));           \
	}

PROBE_READ(probe_read, false)
PROBE_READ(probe_read_user, false)
PROBE_READ_KERNEL(probe_read_kernel, false)
PROBE_READ(probe_read_str, true)
PROBE_READ(probe_read_user_str, true)
PROBE_READ_KERNEL(probe_read_kernel_str, true)
