/* libFuzzer target for the assembler: the input is program text in either
 * syntax (Linux's or uBPF's, chosen per line). What assembles is
 * disassembled in both syntaxes and assembled again: the instructions
 * must round-trip exactly. Seeds: the conformance suite's .data files (read
 * in place) and generated programs' disassembly (make fuzz). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* insns as text in syntax; NULL when an instruction has no text */
static char *text_of(const struct bpf_insn *insns, size_t n, enum exobpf_syntax syntax)
{
	size_t cap = n * 80 + 1, len = 0;
	char *out = malloc(cap), line[256];
	if (!out)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < n;) {
		int k = exobpf_insn_disasm(insns, n, i, syntax, line, sizeof(line));
		if (k <= 0) {
			free(out);
			return NULL;
		}
		len += (size_t)snprintf(out + len, cap - len, "%.78s\n", line);
		i += (size_t)k;
	}
	return out;
}

/* Linux's text for a kfunc call names only the function id, not the BTF
 * module (off) it comes from, as the kernel's disassembler prints it; in
 * that syntax the module index cannot round-trip. */
static bool same_insns(const struct bpf_insn *a, const struct bpf_insn *b, size_t n, int syn)
{
	for (size_t i = 0; i < n; i++) {
		struct bpf_insn x = a[i], y = b[i];
		if (syn == EXOBPF_SYNTAX_LINUX && x.code == (BPF_JMP | BPF_CALL) &&
		    x.src_reg == BPF_PSEUDO_KFUNC_CALL)
			x.off = y.off = 0;
		if (memcmp(&x, &y, sizeof(x)))
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		fuzz_init(0);
		init = 1;
	}
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct bpf_insn *insns = NULL, *again = NULL;
	size_t n = 0, m = 0;
	if (!exobpf_asm(text, "fuzz.s", &insns, &n) && n) {
		for (int syn = EXOBPF_SYNTAX_LINUX; syn <= EXOBPF_SYNTAX_UBPF; syn++) {
			char *t = text_of(insns, n, (enum exobpf_syntax)syn);
			if (!t)
				continue;
			/* jump targets print as offsets, so text round-trips only
			 * the instructions the text can name */
			if (!exobpf_asm(t, "again.s", &again, &m)) {
				if (m != n || !same_insns(again, insns, n, syn)) {
					fprintf(stderr, "asm: %s text does not round-trip:\n%s",
						syn ? "uBPF" : "Linux", t);
					abort();
				}
				free(again);
			}
			free(t);
		}
	}
	free(insns);
	free(text);
	return 0;
}
