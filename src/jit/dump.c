/* Disassembly of JIT images (see dump.h). */
#include <capstone/capstone.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "core/err.h"
#include "jit/dump.h"

struct dumper {
	csh cs;
	const struct jit_image *img;
	bool json, first_block;
	FILE *out;
};

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* One block: a title (what the code comes from) and the code in [from, to). */
static void block(struct dumper *d, const char *kind, long insn, const char *bpf, uint32_t from,
		  uint32_t to)
{
	cs_insn *ci = NULL;
	size_t n = 0, done = from;

	if (to > from)
		n = cs_disasm(d->cs, d->img->mem + from, to - from, from, 0, &ci);
	if (d->json) {
		fprintf(d->out, "%s\n    {\"kind\": \"%s\"", d->first_block ? "" : ",", kind);
		if (insn >= 0)
			fprintf(d->out, ", \"insn\": %ld", insn);
		if (bpf) {
			fprintf(d->out, ", \"bpf\": ");
			json_string(d->out, bpf);
		}
		fprintf(d->out, ", \"code\": [");
	} else if (insn >= 0) {
		fprintf(d->out, "; %s%ld%s%s\n", strcmp(kind, "insn") ? "out of line, insn " : "",
			insn, bpf ? ": " : "", bpf ? bpf : "");
	} else {
		fprintf(d->out, "; %s\n", kind);
	}
	d->first_block = false;
	for (size_t i = 0; i <= n; i++) {
		char hex[64] = "", text[192];
		const uint8_t *bytes;
		uint32_t off, size;
		if (i < n) {
			off = (uint32_t)ci[i].address;
			size = ci[i].size;
			bytes = ci[i].bytes;
			snprintf(text, sizeof(text), "%s%s%s", ci[i].mnemonic,
				 ci[i].op_str[0] ? " " : "", ci[i].op_str);
			done = off + size;
		} else if (done < to) { /* bytes capstone could not decode */
			off = (uint32_t)done;
			size = to - (uint32_t)done;
			bytes = d->img->mem + done;
			snprintf(text, sizeof(text), "(bad)");
		} else {
			break;
		}
		for (uint32_t k = 0; k < size && k < 16; k++)
			snprintf(hex + 3 * k, sizeof(hex) - 3 * k, "%02x ", bytes[k]);
		if (d->json) {
			fprintf(d->out, "%s{\"off\": %" PRIu32 ", \"bytes\": \"", i ? ", " : "",
				off);
			for (uint32_t k = 0; k < size; k++)
				fprintf(d->out, "%02x", bytes[k]);
			fprintf(d->out, "\", \"asm\": ");
			json_string(d->out, text);
			fputc('}', d->out);
		} else {
			fprintf(d->out, "  %5" PRIu32 ":  %-30s %s\n", off, hex, text);
		}
	}
	if (d->json)
		fprintf(d->out, "]}");
	cs_free(ci, n);
}

/* Where the block at off, after the fault tail, ends: at the next entry. */
static uint32_t entry_end(const struct jit_image *img, uint32_t off)
{
	const uint32_t next[] = {img->cb_off, img->loop_off, img->each_off, img->batch_off};
	uint32_t end = img->code_len;

	for (size_t i = 0; i < sizeof(next) / sizeof(next[0]); i++)
		if (next[i] > off && next[i] < end)
			end = next[i];
	return end;
}

int jit_dump(const struct jit_image *img, const struct bpf_insn *insns, size_t cnt,
	     const char *name, bool json, FILE *out)
{
	struct dumper d = {.img = img, .json = json, .first_block = true, .out = out};
	char text[160];

	if (!img)
		return exo_err(EINVAL, "%s: not JIT-compiled", name);
	if (cnt != img->len)
		return exo_err(EINVAL, "%s: %zu instructions given for an image of %u", name, cnt,
			       img->len);
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &d.cs) != CS_ERR_OK)
		return exo_err(ENOMEM, "%s: capstone cannot open an x86-64 disassembler", name);
	if (json) {
		fprintf(out, "{\"name\": ");
		json_string(out, name);
		fprintf(out, ", \"size\": %zu, \"passes\": %u, \"blocks\": [", img->size,
			img->passes);
	}
	/* a leaf or a direct program has its own tail-call adapter and, in
	 * place of the trampoline, a prologue (a leaf's is empty) */
	block(&d, img->tcall_off > img->body_off ? "prologue" : "trampoline", -1, NULL,
	      img->entry_off, img->body_off);
	for (uint32_t i = 0; i < img->len; i++) {
		int n = exobpf_insn_disasm(insns, cnt, i, EXOBPF_SYNTAX_LINUX, text, sizeof(text));
		uint32_t next = i + (n == 2 ? 2 : 1);
		block(&d, "insn", i, n > 0 ? text : "(invalid)", img->insn_off[i],
		      img->insn_off[next]);
		i = next - 1;
	}
	block(&d, "end of program", -1, NULL, img->insn_off[img->len], img->stubs_off);
	uint32_t stubs_end = img->tcall_off > img->body_off ? img->tcall_off : img->tail_off;
	for (unsigned s = 0; s < img->nstubs; s++) {
		uint32_t end = s + 1 < img->nstubs ? img->stubs[s + 1].off : stubs_end;
		block(&d, "stub", img->stubs[s].pc, NULL, img->stubs[s].off, end);
	}
	if (stubs_end < img->tail_off) /* a leaf's */
		block(&d, "tail-call entry", -1, NULL, stubs_end, img->tail_off);
	block(&d, "fault tail", -1, NULL, img->tail_off, entry_end(img, img->tail_off));
	if (img->cb_off)
		block(&d, "callback entry", -1, NULL, img->cb_off, entry_end(img, img->cb_off));
	if (img->loop_off)
		block(&d, "bpf_loop entry", -1, NULL, img->loop_off, entry_end(img, img->loop_off));
	if (img->each_off)
		block(&d, "for_each entry (arrays)", -1, NULL, img->each_off,
		      entry_end(img, img->each_off));
	if (img->batch_off)
		block(&d, "batch entry", -1, NULL, img->batch_off, entry_end(img, img->batch_off));
	if (json)
		fprintf(out, "\n]}\n");
	cs_close(&d.cs);
	return 0;
}
