/* Capture files. Reading is libpcap's (it knows both pcap flavours,
 * pcapng, byte orders and their corruptions); exobpf adds the file's name
 * and the packet's place to every error. libpcap writes only pcap, so
 * pcapng output is written here: a section header, one Ethernet interface
 * with nanosecond timestamps, and enhanced packet blocks. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "hooks/capture.h"

struct cap_in {
	pcap_t *p;
	char *path;
	uint64_t seq;
	long offset; /* where the next packet record starts */
	/* pcap records are a 16-byte header and the data, so offsets are
	 * counted; pcapng blocks vary, so they are asked of the stream (an
	 * lseek per packet) */
	bool pcapng;
};

struct cap_out {
	pcap_t *dead;
	pcap_dumper_t *dump; /* pcap */
	FILE *f;	     /* pcapng */
	char *path;
	int err;
};

struct cap_in *cap_in_open(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct cap_in *c;
	FILE *f;
	int dlt;

	/* Open it ourselves first: libpcap's messages for a missing file do
	 * not say which, and a directory reads as a corrupt capture. */
	f = fopen(path, "rb");
	if (!f) {
		exo_err(errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		fclose(f);
		free(c);
		exo_err(ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	uint8_t magic[4] = {0};
	c->pcapng = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "\x0a\x0d\x0d\x0a", 4);
	rewind(f);
	c->p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!c->p) {
		fclose(f);
		exo_err(EINVAL, "%s: not a readable pcap or pcapng file: %s", path, errbuf);
		cap_in_close(c);
		return NULL;
	}
	dlt = pcap_datalink(c->p);
	if (dlt != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(dlt);

		exo_err(EINVAL,
			"%s: link type %s (%d) is not Ethernet; XDP and skb programs see "
			"Ethernet frames",
			path, name ? name : "unknown", dlt);
		cap_in_close(c);
		return NULL;
	}
	c->offset = ftell(pcap_file(c->p));
	return c;
}

int cap_in_next(struct cap_in *c, struct cap_pkt *pkt)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	rc = pcap_next_ex(c->p, &h, &data);
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1)
		return exo_err(EINVAL, "%s: packet %llu at byte %ld: %s", c->path,
			       (unsigned long long)c->seq + 1, c->offset, pcap_geterr(c->p));
	c->seq++;
	pkt->data = data;
	pkt->caplen = h->caplen;
	pkt->len = h->len < h->caplen ? h->caplen : h->len;
	pkt->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
	pkt->seq = c->seq;
	c->offset = c->pcapng ? ftell(pcap_file(c->p)) : c->offset + 16 + (long)h->caplen;
	return 1;
}

const char *cap_in_path(const struct cap_in *c)
{
	return c->path;
}

void cap_in_close(struct cap_in *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p); /* closes the FILE too */
	free(c->path);
	free(c);
}

/* ---- output ---- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static void put_block(struct cap_out *c, uint32_t type, const void *body, uint32_t len,
		      const void *data, uint32_t dlen)
{
	static const uint8_t pad[4];
	uint32_t dpad = (4 - (dlen & 3)) & 3, total = 12 + len + dlen + dpad;

	if (fwrite(&type, 4, 1, c->f) != 1 || fwrite(&total, 4, 1, c->f) != 1 ||
	    (len && fwrite(body, len, 1, c->f) != 1) ||
	    (dlen && fwrite(data, dlen, 1, c->f) != 1) ||
	    (dpad && fwrite(pad, dpad, 1, c->f) != 1) || fwrite(&total, 4, 1, c->f) != 1)
		c->err = errno ? errno : EIO;
}

static int pcapng_start(struct cap_out *c)
{
	/* Section header: byte-order magic, version 1.0, unknown section size */
	const uint32_t shb[4] = {0x1a2b3c4d, 0x00000001, 0xffffffff, 0xffffffff};
	/* Interface: Ethernet, no snap length; if_tsresol (9) = 10^-9 s */
	const uint8_t idb[] = {1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0};

	put_block(c, 0x0a0d0d0a, shb, sizeof(shb), NULL, 0);
	put_block(c, 0x00000001, idb, sizeof(idb), NULL, 0);
	return c->err;
}

struct cap_out *cap_out_open(const char *path)
{
	struct cap_out *c = calloc(1, sizeof(*c));

	if (!c || !(c->path = strdup(path))) {
		free(c);
		exo_err(ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	if (ends_with(path, ".pcapng")) {
		c->f = fopen(path, "wb");
		if (!c->f || pcapng_start(c)) {
			exo_err(c->f ? c->err : errno, "%s: cannot write: %s", path,
				strerror(c->f ? c->err : errno));
			cap_out_close(c);
			return NULL;
		}
		return c;
	}
	c->dead =
	    pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 262144, PCAP_TSTAMP_PRECISION_NANO);
	if (!c->dead) {
		exo_err(ENOMEM, "%s: out of memory", path);
		cap_out_close(c);
		return NULL;
	}
	c->dump = pcap_dump_open(c->dead, path);
	if (!c->dump) {
		exo_err(errno ? errno : EIO, "%s: cannot write: %s", path, pcap_geterr(c->dead));
		cap_out_close(c);
		return NULL;
	}
	return c;
}

int cap_out_write(struct cap_out *c, uint64_t ts_ns, const uint8_t *data, uint32_t caplen,
		  uint32_t len)
{
	if (c->dump) {
		struct pcap_pkthdr h = {.caplen = caplen, .len = len < caplen ? caplen : len};

		h.ts.tv_sec = (time_t)(ts_ns / 1000000000ull);
		h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000ull);
		pcap_dump((u_char *)c->dump, &h, data);
	} else {
		uint32_t epb[5] = {0, (uint32_t)(ts_ns >> 32), (uint32_t)ts_ns, caplen,
				   len < caplen ? caplen : len};

		put_block(c, 0x00000006, epb, sizeof(epb), data, caplen);
	}
	return c->err ? -c->err : 0;
}

int cap_out_close(struct cap_out *c)
{
	int err;

	if (!c)
		return 0;
	err = c->err;
	if (c->dump) {
		if (pcap_dump_flush(c->dump) != 0 && !err)
			err = errno ? errno : EIO;
		pcap_dump_close(c->dump);
	}
	if (c->dead)
		pcap_close(c->dead);
	if (c->f && fclose(c->f) != 0 && !err)
		err = errno ? errno : EIO;
	if (err)
		exo_err(err, "%s: cannot write: %s", c->path, strerror(err));
	free(c->path);
	free(c);
	return -err;
}
