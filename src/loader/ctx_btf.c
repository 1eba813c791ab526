/* exobpf's own BTF: the context structures it provides to programs, the
 * default CO-RE target. Built from <linux/bpf.h> by clang at build time
 * would need clang for the library; instead the descriptions come from the
 * program side: until generated, the target is empty and every CO-RE
 * relocation against it takes its "not found" value. */
#include <string.h>

#include "loader/btf.h"

struct exobpf_btf *ctx_btf(void)
{
	static const struct {
		struct btf_header h;
		char strs[1];
	} empty = {{BTF_MAGIC, BTF_VERSION, 0, sizeof(struct btf_header), 0, 0, 0, 1}, {0}};
	static struct exobpf_btf *cached;

	if (!cached)
		cached = btf_parse(&empty, sizeof(empty), "exobpf context BTF");
	return cached;
}
