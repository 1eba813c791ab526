/* libpcap behind exobpf/capture.h: filter expressions compiled by
 * pcap_compile, capture files read and written by libpcap (pcap, pcapng).
 * This is the one file that includes <pcap/pcap.h>; its struct bpf_insn is
 * classic BPF's, so nothing here may include <linux/bpf.h>. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pcap/pcap.h>

#include "core/err.h"
#include "core/opts.h"
#include "exobpf/capture.h"

_Static_assert(sizeof(struct bpf_insn) == sizeof(struct sock_filter),
	       "libpcap's and Linux's classic instructions have one layout");

/* pcap_compile on p, copied out as Linux's struct sock_filter. */
static int compile(pcap_t *p, const char *expr, bool optimize, uint32_t netmask,
		   struct sock_filter **out, size_t *cnt)
{
	struct bpf_program prog;
	int err = 0;

	if (pcap_compile(p, &prog, expr, optimize, netmask ? netmask : PCAP_NETMASK_UNKNOWN) < 0) {
		/* libpcap's message names the problem ("syntax error", "unknown
		 * host 'x'"); say which expression and link type it was for */
		const char *name = pcap_datalink_val_to_name(pcap_datalink(p));
		if (name)
			return exo_err(EINVAL, "'%s' for link type %s: %s", expr, name,
				       pcap_geterr(p));
		return exo_err(EINVAL, "'%s' for link type %d: %s", expr, pcap_datalink(p),
			       pcap_geterr(p));
	}
	*out = malloc(prog.bf_len ? prog.bf_len * sizeof(**out) : 1);
	if (!*out) {
		err = exo_err(ENOMEM, "out of memory compiling '%s'", expr);
	} else {
		for (u_int i = 0; i < prog.bf_len; i++)
			(*out)[i] = (struct sock_filter){.code = prog.bf_insns[i].code,
							 .jt = prog.bf_insns[i].jt,
							 .jf = prog.bf_insns[i].jf,
							 .k = prog.bf_insns[i].k};
		*cnt = prog.bf_len;
	}
	pcap_freecode(&prog);
	return err;
}

EXOBPF_API int exobpf_cbpf_compile(const char *expr, const struct exobpf_cbpf_compile_opts *opts,
				   struct sock_filter **out, size_t *cnt)
{
	pcap_t *p;
	int linktype, err;
	uint32_t snaplen;

	if (!OPTS_VALID(opts, exobpf_cbpf_compile_opts))
		return -errno;
	if (!expr || !out || !cnt)
		return exo_err(EINVAL, "exobpf_cbpf_compile: NULL argument");
	linktype = OPT(opts, linktype, 0);
	snaplen = OPT(opts, snaplen, 0);
	if (!linktype)
		linktype = DLT_EN10MB;
	if (!snaplen)
		snaplen = 262144;
	if (linktype < 0)
		return exo_err(EINVAL, "link type %d is not a DLT_ value", linktype);
	if (!(p = pcap_open_dead(linktype, (int)(snaplen > INT32_MAX ? INT32_MAX : snaplen))))
		return exo_err(ENOMEM, "out of memory compiling '%s'", expr);
	err = compile(p, expr, !OPT(opts, no_optimize, false), OPT(opts, netmask, 0), out, cnt);
	pcap_close(p);
	return err;
}

EXOBPF_API int exobpf_linktype(const char *name)
{
	char *end;
	long v;

	if (!name || !*name)
		return -1;
	v = strtol(name, &end, 0);
	if (!*end)
		return v >= 0 && v <= INT32_MAX ? (int)v : -1;
	if (!strncasecmp(name, "DLT_", 4))
		name += 4;
	return pcap_datalink_name_to_val(name);
}

EXOBPF_API const char *exobpf_linktype_name(int linktype)
{
	return pcap_datalink_val_to_name(linktype);
}

struct exobpf_capture {
	char *path;
	pcap_t *pcap;
	pcap_dumper_t *dumper; /* when writing */
	unsigned long packets;
};

static struct exobpf_capture *capture_new(const char *path)
{
	struct exobpf_capture *c = calloc(1, sizeof(*c));

	if (!c || !(c->path = strdup(path))) {
		free(c);
		exo_err(ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	return c;
}

EXOBPF_API struct exobpf_capture *exobpf_capture__open(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct exobpf_capture *c;

	if (!path) {
		exo_err(EINVAL, "exobpf_capture__open: no path");
		return NULL;
	}
	if (!(c = capture_new(path)))
		return NULL;
	c->pcap = pcap_open_offline(path, errbuf);
	if (!c->pcap) {
		/* libpcap says what is wrong ("unknown file format", "truncated
		 * dump file; ..."); the errno is not kept, so call it bad input */
		int err = strstr(errbuf, "No such file") ? ENOENT : EINVAL;
		/* some of libpcap's messages already start with the path */
		if (!strncmp(errbuf, path, strlen(path)))
			exo_err(err, "%s", errbuf);
		else
			exo_err(err, "%s: %s", path, errbuf);
		free(c->path);
		free(c);
		return NULL;
	}
	return c;
}

EXOBPF_API struct exobpf_capture *exobpf_capture__create(const char *path, int linktype,
							 uint32_t snaplen)
{
	struct exobpf_capture *c;

	if (!path) {
		exo_err(EINVAL, "exobpf_capture__create: no path");
		return NULL;
	}
	if (!(c = capture_new(path)))
		return NULL;
	c->pcap = pcap_open_dead(linktype, (int)(snaplen > INT32_MAX ? INT32_MAX : snaplen));
	if (c->pcap)
		c->dumper = pcap_dump_open(c->pcap, path);
	if (!c->dumper) {
		exo_err(EIO, "%s: %s", path, c->pcap ? pcap_geterr(c->pcap) : "out of memory");
		if (c->pcap)
			pcap_close(c->pcap);
		free(c->path);
		free(c);
		return NULL;
	}
	return c;
}

EXOBPF_API int exobpf_capture__linktype(const struct exobpf_capture *c)
{
	return pcap_datalink(c->pcap);
}

EXOBPF_API uint32_t exobpf_capture__snaplen(const struct exobpf_capture *c)
{
	return (uint32_t)pcap_snapshot(c->pcap);
}

EXOBPF_API int exobpf_capture__next(struct exobpf_capture *c, struct exobpf_packet *pkt)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	if (!c || !pkt)
		return exo_err(EINVAL, "exobpf_capture__next: NULL argument");
	if (c->dumper)
		return exo_err(EINVAL, "%s: opened for writing", c->path);
	rc = pcap_next_ex(c->pcap, &h, &data);
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1)
		return exo_err(EINVAL, "%s: packet %lu: %s", c->path, c->packets + 1,
			       pcap_geterr(c->pcap));
	c->packets++;
	*pkt = (struct exobpf_packet){.data = data,
				      .caplen = h->caplen,
				      .wirelen = h->len,
				      .sec = h->ts.tv_sec,
				      .usec = (uint32_t)h->ts.tv_usec};
	return 1;
}

EXOBPF_API int exobpf_capture__write(struct exobpf_capture *c, const struct exobpf_packet *pkt)
{
	struct pcap_pkthdr h;

	if (!c || !pkt || (!pkt->data && pkt->caplen))
		return exo_err(EINVAL, "exobpf_capture__write: NULL argument");
	if (!c->dumper)
		return exo_err(EINVAL, "%s: opened for reading", c->path);
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)pkt->sec;
	h.ts.tv_usec = (suseconds_t)pkt->usec;
	h.caplen = pkt->caplen;
	h.len = pkt->wirelen;
	pcap_dump((u_char *)c->dumper, &h, pkt->data);
	c->packets++;
	return 0;
}

EXOBPF_API int exobpf_capture__compile(struct exobpf_capture *c, const char *expr,
				       const struct exobpf_cbpf_compile_opts *opts,
				       struct sock_filter **out, size_t *cnt)
{
	if (!OPTS_VALID(opts, exobpf_cbpf_compile_opts))
		return -errno;
	if (!c || !expr || !out || !cnt)
		return exo_err(EINVAL, "exobpf_capture__compile: NULL argument");
	if (c->dumper)
		return exo_err(EINVAL, "%s: opened for writing", c->path);
	if (OPT(opts, linktype, 0) || OPT(opts, snaplen, 0))
		return exo_err(EINVAL,
			       "%s: a capture's filter has the capture's link type and snap length",
			       c->path);
	int err =
	    compile(c->pcap, expr, !OPT(opts, no_optimize, false), OPT(opts, netmask, 0), out, cnt);
	if (err)
		exo_err_prefix("%s", c->path);
	return err;
}

EXOBPF_API int exobpf_capture__close(struct exobpf_capture *c)
{
	int err = 0;

	if (!c)
		return 0;
	if (c->dumper) {
		if (pcap_dump_flush(c->dumper) || ferror(pcap_dump_file(c->dumper)))
			err = exo_err(EIO, "%s: writing failed after %lu packets", c->path,
				      c->packets);
		pcap_dump_close(c->dumper);
	}
	pcap_close(c->pcap);
	free(c->path);
	free(c);
	return err;
}
