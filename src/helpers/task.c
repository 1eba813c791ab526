/* The current task: Linux's tgid/pid are our process and thread ids, or
 * the traced task's when a tracer runs the program (run->task). */
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include <errno.h>

#include "helpers/helpers.h"

HELPER_FN(get_current_pid_tgid)
{
	if (run->task)
		return (uint64_t)run->task->tgid << 32 | run->task->pid;
	return (uint64_t)(uint32_t)getpid() << 32 | (uint32_t)gettid();
}

/* The cookie the program was attached with (LINK_CREATE's
 * perf_event.bpf_cookie); 0 when it has none. */
HELPER_FN(get_attach_cookie)
{
	return run->cookie;
}

HELPER_FN(get_current_uid_gid)
{
	if (run->task)
		return run->task->uid_gid(run->task);
	return (uint64_t)(uint32_t)getgid() << 32 | (uint32_t)getuid();
}

/* Linux's strscpy_pad of the 16-byte comm into buf. */
HELPER_FN(get_current_comm)
{
	char comm[17] = "";
	uint32_t size = (uint32_t)r2;

	if (run->checked && !vm_mem_ok(run, (uintptr_t)r1, size, true))
		return vm_fail(
		    run, VM_FAULT_HELPER_ARG,
		    "bpf_get_current_comm: %u bytes at 0x%llx are outside the program's memory",
		    size, (unsigned long long)r1);
	if (!size)
		return 0;
	if (run->task)
		run->task->comm(run->task, comm);
	else
		prctl(PR_GET_NAME, comm);
	memset((void *)(uintptr_t)r1, 0, size);
	memcpy((void *)(uintptr_t)r1, comm, strnlen(comm, size - 1));
	return 0;
}
