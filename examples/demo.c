/* The demo's reader: loads firewall.bpf.o as a libbpf program would (the
 * verifier checks it, the JIT compiles it), runs it over a capture with
 * the packet hook on two worker threads, then prints what happened: the
 * verdicts, the per-protocol counters (summed over the workers' per-CPU
 * slots), the busiest ports, and the events from the ring buffer.
 *
 * usage: demo FIREWALL.bpf.o CAPTURE.pcap OUTDIR */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exobpf/exobpf.h"
#include "firewall.h"

#define THREADS 2

static const char *const proto_names[FW_PROTO__MAX] = {
    [FW_IPV4] = "IPv4", [FW_IPV6] = "IPv6", [FW_TCP] = "TCP",	[FW_UDP] = "UDP",
    [FW_ICMP] = "ICMP", [FW_ARP] = "ARP",   [FW_VLAN] = "VLAN", [FW_OTHER] = "other",
};

static int map_fd(struct exobpf_object *obj, const char *name)
{
	struct exobpf_map *m = exobpf_object__find_map_by_name(obj, name);

	return m ? exobpf_map__fd(m) : -1;
}

static const char *addr(__u32 a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct fw_event *e = data;
	char a[INET_ADDRSTRLEN];

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	switch (e->kind) {
	case FW_EV_BLOCKED:
		printf("  blocked   %-15s -> port %u (%s)\n", addr(e->saddr, a), e->dport,
		       e->dport == 23 ? "telnet" : "SMB");
		break;
	case FW_EV_SCANNER:
		printf("  scanner   %-15s SYNs to more than %d ports (at port %u): dropped from "
		       "now on\n",
		       addr(e->saddr, a), FW_SCAN_PORTS, e->dport);
		break;
	default:
		printf("  malformed IPv4 header\n");
		break;
	}
	return 0;
}

struct port_row {
	__u16 port;
	struct fw_count c;
};

static int by_packets(const void *a, const void *b)
{
	const struct port_row *x = a, *y = b;

	if (x->c.packets != y->c.packets)
		return x->c.packets < y->c.packets ? 1 : -1;
	return x->port - y->port;
}

static void print_protocols(int fd)
{
	int slots = exobpf_map_num_slots(fd);
	struct fw_count *per = calloc(slots > 0 ? slots : 1, sizeof(*per));

	printf("\nper protocol (a per-CPU array: each worker counted in its own slot)\n");
	for (__u32 k = 0; per && k < FW_PROTO__MAX; k++) {
		struct fw_count sum = {0};
		char split[128] = "";
		size_t n = 0;

		if (exobpf_map_lookup_elem(fd, &k, per))
			continue;
		for (int s = 0; s < slots; s++) {
			sum.packets += per[s].packets;
			sum.bytes += per[s].bytes;
			if (s < THREADS && n < sizeof(split))
				n += snprintf(split + n, sizeof(split) - n, "%s%llu",
					      s ? " + " : "", (unsigned long long)per[s].packets);
		}
		if (sum.packets)
			printf("  %-6s %5llu packets %7llu bytes   (workers: %s)\n", proto_names[k],
			       (unsigned long long)sum.packets, (unsigned long long)sum.bytes,
			       split);
	}
	free(per);
}

static void print_ports(int fd)
{
	struct port_row rows[4096];
	__u16 key, next;
	unsigned n = 0;
	int err;

	for (err = exobpf_map_get_next_key(fd, NULL, &next); !err && n < 4096;
	     err = exobpf_map_get_next_key(fd, &key, &next)) {
		key = next;
		if (!exobpf_map_lookup_elem(fd, &key, &rows[n].c))
			rows[n++].port = key;
	}
	qsort(rows, n, sizeof(rows[0]), by_packets);
	printf("\nbusiest destination ports (a hash map, %u ports seen)\n", n);
	for (unsigned i = 0; i < n && i < 8; i++)
		printf("  %5u  %5llu packets %7llu bytes\n", rows[i].port,
		       (unsigned long long)rows[i].c.packets, (unsigned long long)rows[i].c.bytes);
}

int main(int argc, char **argv)
{
	char pass[4096], drop[4096], tx[4096];
	struct exobpf_object *obj;
	struct exobpf_program *prog;
	struct exobpf_pkt_hook *hook;
	struct exobpf_ring_buffer *rb;
	struct exobpf_pkt_stats st = {.sz = sizeof(st)};

	if (argc != 4) {
		fprintf(stderr, "usage: %s FIREWALL.bpf.o CAPTURE.pcap OUTDIR\n", argv[0]);
		return 2;
	}
	snprintf(pass, sizeof(pass), "%s/passed.pcap", argv[3]);
	snprintf(drop, sizeof(drop), "%s/dropped.pcap", argv[3]);
	snprintf(tx, sizeof(tx), "%s/replies.pcap", argv[3]);
	/* per-CPU maps get a slot per worker (as many as the CPUs by default) */
	if (exobpf_num_slots() < THREADS)
		exobpf_set_num_slots(THREADS);
	obj = exobpf_object__open_file(argv[1], NULL);
	if (!obj || exobpf_object__load(obj)) {
		fprintf(stderr, "%s: %s\n", argv[1], exobpf_errmsg());
		exobpf_object__close(obj);
		return 1;
	}
	prog = exobpf_object__find_program_by_name(obj, "firewall");
	printf("loaded %s: program %s (%s), %zu instructions, verified, %s\n", argv[1],
	       exobpf_program__name(prog), exobpf_prog_type_str(exobpf_program__type(prog)),
	       exobpf_program__insn_cnt(prog),
	       exobpf_prog__is_jited(exobpf_program__prog(prog)) ? "JIT-compiled to x86-64"
								 : "interpreted");

	EXOBPF_OPTS(exobpf_pkt_hook_opts, o, .threads = THREADS, .pass_file = pass,
		    .drop_file = drop, .tx_file = tx);
	hook = exobpf_pkt_hook__new(exobpf_program__prog(prog), &o);
	if (!hook || exobpf_pkt_hook__add_file(hook, argv[2]) || exobpf_pkt_hook__run(hook, 0)) {
		fprintf(stderr, "%s\n", exobpf_errmsg());
		exobpf_pkt_hook__free(hook);
		exobpf_object__close(obj);
		return 1;
	}
	exobpf_pkt_hook__stats(hook, &st);
	printf("ran it over %s on %d worker threads: %llu packets, %llu bytes\n\n", argv[2],
	       THREADS, (unsigned long long)st.packets, (unsigned long long)st.bytes);
	printf("verdicts\n");
	printf("  XDP_PASS     %5llu  -> %s\n", (unsigned long long)st.actions[EXOBPF_PKT_PASS],
	       pass);
	printf("  XDP_DROP     %5llu  -> %s\n", (unsigned long long)st.actions[EXOBPF_PKT_DROP],
	       drop);
	printf("  XDP_TX       %5llu  -> %s (echo replies from 10.0.0.1)\n",
	       (unsigned long long)st.actions[EXOBPF_PKT_TX], tx);
	printf("  XDP_ABORTED  %5llu\n", (unsigned long long)st.actions[EXOBPF_PKT_ABORTED]);
	print_protocols(map_fd(obj, "proto_stats"));
	print_ports(map_fd(obj, "port_stats"));
	printf("\nevents (a ring buffer)\n");
	rb = exobpf_ring_buffer__new(map_fd(obj, "events"), on_event, NULL, NULL);
	if (rb)
		exobpf_ring_buffer__consume(rb);
	exobpf_ring_buffer__free(rb);
	exobpf_pkt_hook__free(hook);
	exobpf_object__close(obj);
	return 0;
}
