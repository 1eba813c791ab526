/* What the demo's firewall (firewall.bpf.c) and its reader (demo.c) share:
 * the layouts of its map values and events. */
#ifndef EXOBPF_EXAMPLE_FIREWALL_H
#define EXOBPF_EXAMPLE_FIREWALL_H

#include <linux/types.h>

#define FW_ADDR	      0x0a000001 /* 10.0.0.1, the firewall itself */
#define FW_SCAN_PORTS 8		 /* SYNs to more ports than this: a scanner */

/* proto_stats keys */
enum fw_proto {
	FW_IPV4,
	FW_IPV6,
	FW_TCP,
	FW_UDP,
	FW_ICMP,
	FW_ARP,
	FW_VLAN,
	FW_OTHER,
	FW_PROTO__MAX
};

struct fw_count {
	__u64 packets, bytes;
};

enum fw_event_kind { FW_EV_BLOCKED = 1, FW_EV_SCANNER, FW_EV_MALFORMED };

struct fw_event {
	__u32 kind;
	__u32 saddr; /* network order */
	__u16 dport;
	__u16 pad;
};

#endif
