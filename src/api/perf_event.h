/* Perf events exobpf owns (perf_event.c): uprobes in the calling process
 * and BPF output rings, reached through the preload's perf_event_open,
 * ioctl and close, and through LINK_CREATE's BPF_PERF_EVENT. */
#ifndef EXOBPF_API_PERF_EVENT_H
#define EXOBPF_API_PERF_EVENT_H

#include "api/api.h"

struct api_obj;

/* LINK_CREATE with attach_type BPF_PERF_EVENT: prog (a reference the
 * caller keeps) on the perf event target_fd. A link fd or -errno. */
int api_perf_link_create(struct api_obj *prog, const struct api_attr_link_create *a);
/* A perf event link's part of bpf_link_info (Linux 6.18's perf_event
 * member, at offset 16 of the info): *size bytes are filled in info. */
int api_perf_link_info(struct api_obj *link, uint8_t *info, uint32_t len);
/* For an output event's first mmap: the ring map's fd in place of the
 * placeholder (same number), sized len minus the control page. 0 when fd
 * is a ring now (or already was), 1 when fd is no perf event of ours,
 * -errno. */
int api_perf_output_ring(int fd, size_t len);

#endif
