#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "helper_run.h"
#include "util.h"

static int assemble(const char *text, const int *fds, struct bpf_insn **insns, size_t *cnt)
{
	char buf[8192];
	int f[8] = {0}, n = 0;

	/* each %d takes the next fd: read exactly as many as the text uses */
	for (const char *p = text; (p = strchr(p, '%')); p += 2)
		if (p[1] == 'd')
			n++;
	for (int i = 0; i < n && i < 8 && fds; i++)
		f[i] = fds[i];
	snprintf(buf, sizeof(buf), text, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
	return exobpf_asm(buf, "test.s", insns, cnt);
}

bool run_both(const char *text, const int *efds, const int *kfds, uint32_t slot, struct both *b)
{
	uint8_t data[64] = {0};
	struct bpf_insn *insns;
	struct exobpf_prog *p;
	size_t cnt;
	uint64_t r0[2];

	memset(b, 0, sizeof(*b));
	if (assemble(text, efds, &insns, &cnt)) {
		snprintf(b->why, sizeof(b->why), "asm: %s", exobpf_errmsg());
		return false;
	}
	p = exobpf_prog__new(insns, cnt, NULL);
	free(insns);
	if (!p) {
		snprintf(b->why, sizeof(b->why), "load: %s", exobpf_errmsg());
		return false;
	}
	for (int checked = 1; checked >= 0; checked--) {
		EXOBPF_OPTS(exobpf_run_opts, o, .data_in = data, .data_size_in = sizeof(data),
			    .flags = checked ? EXOBPF_RUN_CHECKED : 0, .slot = slot);
		if (exobpf_prog__run(p, &o)) {
			snprintf(b->why, sizeof(b->why), "%s run: %s", checked ? "checked" : "fast",
				 exobpf_errmsg());
			exobpf_prog__free(p);
			return false;
		}
		r0[checked] = o.retval;
	}
	exobpf_prog__free(p);
	b->r0 = r0[1];
	if (!kfds || !kbpf_available())
		return true;
	b->kernel_tried = true;
	if (assemble(text, kfds, &insns, &cnt))
		return true;
	/* without a log first: a short log buffer fails a good load with ENOSPC */
	int fd = kbpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, insns, cnt, NULL, 0, 0);
	if (fd < 0 && kbpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, insns, cnt, b->klog,
				     sizeof(b->klog), 1) >= 0)
		snprintf(b->klog, sizeof(b->klog), "load failed (%d), then passed with a log", fd);
	free(insns);
	if (fd < 0)
		return true;
	b->kernel_ran = kbpf_test_run(fd, data, sizeof(data), &b->kr0) == 0;
	close(fd);
	return true;
}

int make_rodata(const char *s, uint32_t size, int *kfd)
{
	struct exobpf_map_create_opts o = {.sz = sizeof(o), .map_flags = BPF_F_RDONLY_PROG};
	int fd = exobpf_map_create(BPF_MAP_TYPE_ARRAY, "rodata", 4, size, 1, &o);
	char *v = calloc(1, size);
	uint32_t k = 0;

	memcpy(v, s, strlen(s) + 1 < size ? strlen(s) + 1 : size);
	if (fd >= 0) {
		exobpf_map_update_elem(fd, &k, v, 0);
		exobpf_map_freeze(fd);
	}
	*kfd = -1;
	if (kbpf_available()) {
		*kfd = kbpf_map_create(BPF_MAP_TYPE_ARRAY, 4, size, 1, BPF_F_RDONLY_PROG, 0, 0);
		if (*kfd >= 0) {
			kbpf_map_update(*kfd, &k, v, 0);
			kbpf_map_freeze(*kfd);
		}
	}
	free(v);
	return fd;
}
