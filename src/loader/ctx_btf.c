/* exobpf's own BTF: the context structures it provides to programs
 * (ctx_types.bpf.h, compiled at build time), the default CO-RE target, so a
 * program built against other headers finds __sk_buff, xdp_md, ... fields
 * where exobpf has them. */
#include <stddef.h>

#include "loader/btf.h"

extern const unsigned char exo_ctx_btf_data[];
extern const size_t exo_ctx_btf_size;

struct exobpf_btf *ctx_btf(void)
{
	static struct exobpf_btf *cached;

	/* parsed once and kept for the life of the process */
	if (!cached)
		cached = btf_parse(exo_ctx_btf_data, exo_ctx_btf_size, "exobpf context BTF");
	return cached;
}
