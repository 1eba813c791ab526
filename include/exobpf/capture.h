/* SPDX-License-Identifier: MIT */
/* exobpf: capture files and filter expressions, through the system's libpcap.
 * This header needs no <linux/bpf.h>, so it can sit beside <pcap/pcap.h>
 * (whose struct bpf_insn is classic BPF's). */
#ifndef EXOBPF_CAPTURE_H
#define EXOBPF_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

#include "exobpf/common.h"

/* Filter expressions ("tcp port 80"), compiled by pcap_compile into classic
 * BPF for a link type, exactly as tcpdump would. */
struct exobpf_cbpf_compile_opts {
	size_t sz;
	int linktype;	  /* DLT_* (0 means DLT_EN10MB; DLT_NULL is not a filtering target) */
	uint32_t snaplen; /* what accepting filters return (0 means 262144) */
	bool no_optimize; /* tcpdump -O */
	uint32_t netmask; /* host order, for "ip broadcast" (0: unknown) */
};

/* 0, or -EINVAL with libpcap's message ("expr: syntax error"). *out is
 * malloc'ed. */
EXOBPF_API int exobpf_cbpf_compile(const char *expr, const struct exobpf_cbpf_compile_opts *opts,
				   struct sock_filter **out, size_t *cnt);

/* DLT_* for a name ("EN10MB", "LINUX_SLL", case-insensitive) or a number, or -1. */
EXOBPF_API int exobpf_linktype(const char *name);
/* The name of a DLT_* ("EN10MB"), or NULL. */
EXOBPF_API const char *exobpf_linktype_name(int linktype);

/* A capture file being read (pcap or pcapng) or written (pcap). */
struct exobpf_capture;

struct exobpf_packet {
	const uint8_t *data; /* caplen bytes, valid until the next read */
	uint32_t caplen;     /* bytes captured */
	uint32_t wirelen;    /* bytes on the wire */
	int64_t sec;
	uint32_t usec;
};

/* Open for reading ("-" is standard input). NULL and errno with
 * exobpf_errmsg() naming the file and what is wrong with it. */
EXOBPF_API struct exobpf_capture *exobpf_capture__open(const char *path);
/* Create for writing, as a pcap file of this link type and snap length. */
EXOBPF_API struct exobpf_capture *exobpf_capture__create(const char *path, int linktype,
							 uint32_t snaplen);
EXOBPF_API int exobpf_capture__linktype(const struct exobpf_capture *cap);
EXOBPF_API uint32_t exobpf_capture__snaplen(const struct exobpf_capture *cap);
/* The next packet: 1, 0 at the end, or -errno for a malformed file (the
 * message names the file and the packet number). */
EXOBPF_API int exobpf_capture__next(struct exobpf_capture *cap, struct exobpf_packet *pkt);
EXOBPF_API int exobpf_capture__write(struct exobpf_capture *cap, const struct exobpf_packet *pkt);
/* Compile an expression for a capture being read, as tcpdump -r does: with
 * the file's link type and snap length, and libpcap knowing it filters a
 * file (so it refuses what only live captures can check, such as "inbound"
 * on most link types). opts->linktype and opts->snaplen must be 0. */
EXOBPF_API int exobpf_capture__compile(struct exobpf_capture *cap, const char *expr,
				       const struct exobpf_cbpf_compile_opts *opts,
				       struct sock_filter **out, size_t *cnt);
/* Close (flushing writes); 0 or -errno when the last writes failed. */
EXOBPF_API int exobpf_capture__close(struct exobpf_capture *cap);

#endif
