#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "pkt_diff.h"
#include "pktgen.h"
#include "util.h"

static int assemble(const char *text, const int *fds, struct bpf_insn **insns, size_t *cnt)
{
	char buf[16384];
	int f[8] = {0}, n = 0;

	for (const char *p = text; (p = strchr(p, '%')); p += 2)
		if (p[1] == 'd')
			n++;
	for (int i = 0; i < n && i < 8 && fds; i++)
		f[i] = fds[i];
	snprintf(buf, sizeof(buf), text, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
	return exobpf_asm(buf, "test.s", insns, cnt);
}

static void exo_run(struct exobpf_prog *p, const void *pkt, uint32_t len, const void *ctx_in,
		    uint32_t ctx_len, bool checked, struct pkt_out *o)
{
	EXOBPF_OPTS(exobpf_run_opts, ro, .data_in = pkt, .data_size_in = len,
		    .data_out = o->data, .data_size_out = sizeof(o->data), .ctx_in = ctx_in,
		    .ctx_size_in = ctx_len, .ctx_out = o->ctx, .ctx_size_out = sizeof(o->ctx),
		    .flags = checked ? EXOBPF_RUN_CHECKED : 0);
	memset(o, 0, sizeof(*o));
	o->err = exobpf_prog__run(p, &ro);
	o->ran = true;
	o->retval = (uint32_t)ro.retval;
	o->len = o->err ? 0 : ro.data_size_out;
	o->ctx_len = o->err ? 0 : ro.ctx_size_out;
}

static int kern_load(const struct pkt_prog *prog, const struct bpf_insn *insns, size_t cnt,
		     char *log, size_t log_size)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = prog->type;
	attr.expected_attach_type = prog->expected_attach_type;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = (uint32_t)cnt;
	attr.license = (uintptr_t) "GPL";
	if (log) {
		log[0] = '\0';
		attr.log_buf = (uintptr_t)log;
		attr.log_size = (uint32_t)log_size;
		attr.log_level = 1;
	}
	long fd = kbpf_sys(BPF_PROG_LOAD, &attr);
	return fd < 0 ? (int)fd : (int)fd;
}

static void kern_run(int fd, const void *pkt, uint32_t len, const void *ctx_in, uint32_t ctx_len,
		     struct pkt_out *o)
{
	union bpf_attr attr;

	memset(o, 0, sizeof(*o));
	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)fd;
	attr.test.data_in = (uintptr_t)pkt;
	attr.test.data_size_in = len;
	attr.test.data_out = (uintptr_t)o->data;
	attr.test.data_size_out = sizeof(o->data);
	attr.test.ctx_in = (uintptr_t)ctx_in;
	attr.test.ctx_size_in = ctx_len;
	if (ctx_len) {
		attr.test.ctx_out = (uintptr_t)o->ctx;
		attr.test.ctx_size_out = sizeof(o->ctx);
	}
	attr.test.repeat = 1;
	o->ran = true;
	o->err = (int)kbpf_sys(BPF_PROG_TEST_RUN, &attr);
	o->retval = attr.test.retval;
	o->len = o->err ? 0 : attr.test.data_size_out;
	o->ctx_len = o->err || !ctx_len ? 0 : attr.test.ctx_size_out;
}

bool pkt_run_both(const struct pkt_prog *prog, const void *pkt, uint32_t len, const void *ctx_in,
		  uint32_t ctx_len, struct pkt_both *b)
{
	struct bpf_insn *insns = NULL;
	const struct bpf_insn *code = prog->insns;
	size_t cnt = prog->cnt;
	struct pkt_out *fast;

	memset(b, 0, sizeof(*b));
	if (prog->text) {
		if (assemble(prog->text, prog->efds, &insns, &cnt)) {
			snprintf(b->why, sizeof(b->why), "asm: %s", exobpf_errmsg());
			return false;
		}
		code = insns;
	}
	EXOBPF_OPTS(exobpf_prog_opts, po, .type = prog->type, .license = "GPL",
		    .expected_attach_type = prog->expected_attach_type);
	struct exobpf_prog *p = exobpf_prog__new(code, cnt, &po);
	free(insns);
	if (!p) {
		snprintf(b->why, sizeof(b->why), "load: %s", exobpf_errmsg());
		return false;
	}
	fast = malloc(sizeof(*fast));
	if (!fast) {
		exobpf_prog__free(p);
		snprintf(b->why, sizeof(b->why), "out of memory");
		return false;
	}
	exo_run(p, pkt, len, ctx_in, ctx_len, true, &b->exo);
	exo_run(p, pkt, len, ctx_in, ctx_len, false, fast);
	exobpf_prog__free(p);
	if (b->exo.err || fast->err || b->exo.retval != fast->retval || b->exo.len != fast->len ||
	    memcmp(b->exo.data, fast->data, b->exo.len)) {
		snprintf(b->why, sizeof(b->why),
			 "checked run (err %d, r0 %u, %u bytes) and fast run (err %d, r0 %u, %u "
			 "bytes) differ: %s",
			 b->exo.err, b->exo.retval, b->exo.len, fast->err, fast->retval, fast->len,
			 exobpf_errmsg());
		free(fast);
		return false;
	}
	free(fast);
	if ((!prog->kfds && !prog->kinsns && prog->efds) || !kbpf_available())
		return true;
	b->kernel_tried = true;
	insns = NULL;
	code = prog->kinsns ? prog->kinsns : prog->insns;
	cnt = prog->cnt;
	if (prog->text) {
		if (assemble(prog->text, prog->kfds, &insns, &cnt))
			return true;
		code = insns;
	}
	int fd = kern_load(prog, code, cnt, NULL, 0);
	if (fd < 0)
		kern_load(prog, code, cnt, b->klog, sizeof(b->klog));
	free(insns);
	if (fd < 0)
		return true;
	kern_run(fd, pkt, len, ctx_in, ctx_len, &b->kern);
	close(fd);
	return true;
}

static void hex(char *out, size_t size, const uint8_t *p, uint32_t n)
{
	size_t o = 0;

	for (uint32_t i = 0; i < n && o + 4 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%02x", p[i]);
}

bool pkt_same(struct pkt_both *b, bool compare_ctx)
{
	const struct pkt_out *e = &b->exo, *k = &b->kern;
	char eh[400] = "", kh[400] = "";

	if (!k->ran)
		return true;
	if (e->err != k->err || e->retval != k->retval) {
		snprintf(b->why, sizeof(b->why), "exobpf: err %d r0 %u; Linux: err %d r0 %u", e->err,
			 e->retval, k->err, k->retval);
		return false;
	}
	if (e->len != k->len || memcmp(e->data, k->data, e->len)) {
		uint32_t i = 0;

		while (i < e->len && i < k->len && e->data[i] == k->data[i])
			i++;
		hex(eh, sizeof(eh), e->data + i, e->len - i < 48 ? e->len - i : 48);
		hex(kh, sizeof(kh), k->data + i, k->len - i < 48 ? k->len - i : 48);
		snprintf(b->why, sizeof(b->why),
			 "output differs from byte %u: exobpf %u bytes (...%s), Linux %u bytes "
			 "(...%s)",
			 i, e->len, eh, k->len, kh);
		return false;
	}
	if (compare_ctx && (e->ctx_len != k->ctx_len || memcmp(e->ctx, k->ctx, e->ctx_len))) {
		uint32_t i = 0;

		while (i < e->ctx_len && i < k->ctx_len && e->ctx[i] == k->ctx[i])
			i++;
		snprintf(b->why, sizeof(b->why),
			 "context out differs at byte %u: exobpf %u bytes, Linux %u bytes", i,
			 e->ctx_len, k->ctx_len);
		return false;
	}
	return true;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4 header for an L4 payload of l4len bytes; returns 34. */
static size_t eth_ip4(uint8_t *buf, const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
		      size_t l4len)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	uint8_t *ip = buf + 14;

	memcpy(buf, macs, 12);
	put16(buf + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, pg_csum(ip, 20));
	return 34;
}

/* The L4 checksum over the IPv4 pseudo-header and the segment. */
static uint16_t l4_csum(const uint8_t *ip, const uint8_t *l4, size_t len)
{
	uint8_t *tmp = malloc(12 + len);
	uint16_t c;

	if (!tmp)
		return 0;
	memcpy(tmp, ip + 12, 8);
	tmp[8] = 0;
	tmp[9] = ip[9];
	put16(tmp + 10, (uint16_t)len);
	memcpy(tmp + 12, l4, len);
	c = pg_csum(tmp, 12 + len);
	free(tmp);
	return c;
}

size_t pkt_make_udp4(uint8_t *buf, const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
		     uint16_t dport, const void *payload, size_t plen)
{
	size_t off = eth_ip4(buf, src, dst, 17, 8 + plen);
	uint8_t *udp = buf + off;
	uint16_t c;

	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + plen));
	put16(udp + 6, 0);
	if (plen)
		memcpy(udp + 8, payload, plen);
	c = l4_csum(buf + 14, udp, 8 + plen);
	put16(udp + 6, c ? c : 0xffff);
	return off + 8 + plen;
}

size_t pkt_make_tcp4(uint8_t *buf, const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
		     uint16_t dport, uint8_t flags, const void *payload, size_t plen)
{
	size_t off = eth_ip4(buf, src, dst, 6, 20 + plen);
	uint8_t *tcp = buf + off;

	memset(tcp, 0, 20);
	put16(tcp, sport);
	put16(tcp + 2, dport);
	tcp[4] = 0x11; /* sequence number 0x11000000 */
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	if (plen)
		memcpy(tcp + 20, payload, plen);
	put16(tcp + 16, l4_csum(buf + 14, tcp, 20 + plen));
	return off + 20 + plen;
}
