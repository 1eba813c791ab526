/* Program types and their runtime contexts: what each Linux program type's
 * context looks like to a program (which fields, sizes, read or write), how
 * its accesses are rewritten onto exobpf's real context structures (Linux's
 * convert_ctx_access), which return values it may give, which helpers it may
 * call, and how a test run builds its context. The verifier, the test-run
 * path and the packet hooks all use this one description. */
#ifndef EXOBPF_PROGTYPES_H
#define EXOBPF_PROGTYPES_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/bpf.h>

#include "verifier/tnum.h"

/* Where a program sent a packet (bpf_redirect, bpf_redirect_map): Linux
 * keeps this per CPU (struct bpf_redirect_info) and acts on it after the
 * program returns; exobpf keeps it with the packet's context. */
struct exo_redirect {
	uint32_t ifindex; /* target port; 0: none asked (or the lookup failed) */
	uint32_t flags;	  /* BPF_F_INGRESS (tc); BPF_F_BROADCAST|EXCLUDE_INGRESS (xdp) */
	void *map;	  /* broadcast: the device map (struct exo_map *) */
};

/* The skb a program sees through struct __sk_buff. The UAPI part keeps its
 * layout, so every u32/u64 field is read and written in place; the fields
 * Linux hands out as pointers (data, data_end, data_meta, sk) live as real
 * 64-bit pointers after it, and the verifier rewrites those loads to them. */
struct exo_skb {
	struct __sk_buff uapi;
	uint64_t data;	    /* first byte the program may access */
	uint64_t data_end;  /* one past the last */
	uint64_t data_meta; /* metadata before data (tc); == data when none */
	uint64_t sk;	    /* struct bpf_sock *, NULL: no socket */
	/* Runtime-only: the buffer holding the packet. */
	uint8_t *head;	   /* start of the allocation */
	uint32_t headroom; /* bytes before data_meta */
	uint32_t buf_size; /* bytes allocated at head */
	uint32_t mac_len;  /* bytes of link-layer header before the network one */
	struct exo_redirect redir;
	uint32_t max_len; /* Linux's __bpf_skb_max_len: MTU + link header (0: 65550, lo's) */
	uint8_t *own;	  /* a buffer helpers allocated (grew into); whoever frees the
			   * context frees it, never head when head != own */
};

/* The XDP buffer a program sees through struct xdp_md. */
struct exo_xdp {
	struct xdp_md uapi;
	uint32_t pad;
	uint64_t data;
	uint64_t data_end;
	uint64_t data_meta;
	uint8_t *head;	   /* start of the allocation (headroom before data) */
	uint32_t buf_size; /* bytes allocated at head */
	uint32_t frame_sz; /* Linux's frame_sz: head + frame_sz - tailroom ends the data */
	struct exo_redirect redir;
};

/* Linux keeps struct skb_shared_info at the end of every XDP frame
 * (SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64), so data_end
 * can grow to head + frame_sz minus this; BPF_PROG_TEST_RUN frames are one
 * page (frame_sz 4096). */
#define EXO_XDP_TAILROOM   320
#define EXO_XDP_FRAME_SIZE 4096

#define EXO_XDP_HEADROOM     256  /* XDP_PACKET_HEADROOM */
#define EXO_SKB_HEADROOM     512  /* vlan tags and change_head fit without moving the buffer */
#define EXO_TP_CTX_SIZE	     2048 /* PERF_MAX_TRACE_SIZE */
#define EXO_RAW_TP_CTX_SIZE  (12 * 8)
#define EXO_PT_REGS_SIZE     168   /* x86-64 struct pt_regs */
#define EXO_PERF_EVENT_SIZE  184   /* struct bpf_perf_event_data */
#define EXO_SYSCALL_CTX_SIZE 65535 /* U16_MAX: a syscall program's ctx_in at most */
#define EXO_ETH_HLEN	     14

/* What a context load gives the program. */
enum pt_val {
	PT_SCALAR = 0,
	PT_PKT,
	PT_PKT_META,
	PT_PKT_END,
	PT_SOCK_COMMON_OR_NULL,
};

/* The outcome of checking one context access. */
struct pt_access {
	enum pt_val val;
	uint8_t field_size; /* for narrow loads: the whole field's size (0: exact only) */
	/* The access as it must run: offset and size in the runtime struct
	 * (size differs for pointer fields: 4 in the UAPI, 8 at run time). */
	int32_t rt_off;
	uint8_t rt_size;
};

enum pt_access_type { PT_READ = 0, PT_WRITE = 1 };

struct pt_info {
	enum bpf_prog_type type;
	const char *name;	/* "socket_filter" */
	uint16_t helper_groups; /* helpers.h HG_* flags this type may call */
	bool direct_pkt_read;	/* data/data_end loads give packet pointers */
	bool direct_pkt_write;	/* and the packet may be written */
	bool ld_abs;		/* LD_ABS/LD_IND allowed (skb types) */
	bool ctx_is_skb;	/* context is struct exo_skb */
	bool ctx_is_xdp;
	uint32_t raw_ctx_size; /* raw contexts: bytes of ctx_in used (0: not raw) */
};

/* The description of a program type, or NULL when exobpf does not support
 * it (yet). */
const struct pt_info *pt_info(enum bpf_prog_type type);

/* Is this access to the context valid (Linux's is_valid_access)? Fills *acc. */
bool pt_ctx_access(const struct pt_info *pt, enum bpf_attach_type eat, int off, int size,
		   enum pt_access_type t, bool privileged, struct pt_access *acc);

/* Return values Linux enforces at program exit for this type: true with
 * *range set, or false when any value is allowed. */
bool pt_ret_range(const struct pt_info *pt, enum bpf_attach_type eat, struct tnum *range);

/* Linux's name for a program type ("BPF_PROG_TYPE_XDP" -> type), -1 if none. */
int pt_type_by_name(const char *name);
/* "xdp", ... for messages; "unknown" for types without a name. */
const char *pt_type_name(enum bpf_prog_type type);

/* skb->protocol for an Ethernet frame of len >= 14 bytes, as Linux's
 * eth_type_trans sets it: the EtherType (__be16 read little-endian), or
 * 802.3/802.2 for length fields. */
uint32_t pt_eth_protocol(const uint8_t *eth, uint32_t len);

/* A test-run context, built like BPF_PROG_TEST_RUN builds it. */
struct pt_run_ctx {
	void *ctx;	   /* r1 */
	uint32_t ctx_size; /* bytes at ctx the program may access */
	uint8_t *pkt;	   /* packet data the program sees (NULL: none) */
	uint32_t pkt_len;
	void *alloc; /* everything to free (and an skb's own buffer, see exo_skb) */
	const struct pt_info *pt;
	union {
		struct exo_skb *skb;
		struct exo_xdp *xdp;
	};
};

/* Build the context of one test run from data_in and ctx_in (either may be
 * empty). Returns 0 or -errno (-EINVAL with *why set when the input does not
 * fit the type, as BPF_PROG_TEST_RUN refuses it). */
int pt_run_ctx_build(const struct pt_info *pt, const void *data, uint32_t data_size,
		     const void *ctx_in, uint32_t ctx_size_in, struct pt_run_ctx *rc,
		     const char **why);
/* Copy out the packet (data_out) and context (ctx_out) after a run. */
void pt_run_ctx_out(const struct pt_info *pt, const struct pt_run_ctx *rc, void *data_out,
		    uint32_t *data_size_out, void *ctx_out, uint32_t *ctx_size_out);
void pt_run_ctx_free(struct pt_run_ctx *rc);

#endif
