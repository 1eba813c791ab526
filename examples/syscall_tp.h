/* The records Linux's syscall tracepoints give programs (x86-64), as
 * /sys/kernel/tracing/events/syscalls/sys_{enter,exit}_NAME/format show
 * them: 8 bytes of common fields, the call's number, then its arguments or
 * its return value. raw_syscalls/sys_enter and sys_exit have the same
 * offsets (a long id where these have an int and padding). */
#ifndef EXAMPLES_SYSCALL_TP_H
#define EXAMPLES_SYSCALL_TP_H

struct sys_enter_ctx {
	__u64 common;
	long nr;
	unsigned long args[6];
};

struct sys_exit_ctx {
	__u64 common;
	long nr;
	long ret;
};

#endif
