/* The helper table, built from helpers.def, and Linux's names for every id
 * (from the system's <linux/bpf.h>, so disassembly names helpers exobpf does
 * not implement too). */
#include <string.h>
#include <linux/bpf.h>

#include "helpers/helpers.h"

static const struct helper helpers[HELPER_MAX_ID] = {
#define HELPER(hid, nm, rt, a1, a2, a3, a4, a5, grp)                                              \
	[hid] = {.id = hid,                                                                        \
		 .name = #nm,                                                                      \
		 .fn = exo_helper_##nm,                                                            \
		 .ret = rt,                                                                        \
		 .args = {a1, a2, a3, a4, a5},                                                     \
		 .groups = grp},
#include "helpers/helpers.def"
#undef HELPER
};

/* Variadic: newer headers pass (name, id, ...). */
#define LINUX_NAME(x, ...) [BPF_FUNC_##x] = "bpf_" #x
static const char *const linux_names[__BPF_FUNC_MAX_ID] = {__BPF_FUNC_MAPPER(LINUX_NAME)};
#undef LINUX_NAME

_Static_assert(__BPF_FUNC_MAX_ID <= HELPER_MAX_ID, "helper table too small for <linux/bpf.h>");

const struct helper *helper_by_id(int32_t id)
{
	if (id < 0 || id >= HELPER_MAX_ID || !helpers[id].fn)
		return NULL;
	return &helpers[id];
}

const char *helper_linux_name(int32_t id)
{
	if (id < 0 || id >= __BPF_FUNC_MAX_ID)
		return NULL;
	return linux_names[id];
}

int32_t helper_id_by_name(const char *name)
{
	const char *bare = strncmp(name, "bpf_", 4) ? name : name + 4;

	for (int32_t id = 0; id < __BPF_FUNC_MAX_ID; id++)
		if (linux_names[id] && !strcmp(linux_names[id] + 4, bare))
			return id;
	for (int32_t id = 0; id < HELPER_MAX_ID; id++)
		if (helpers[id].fn && !strcmp(helpers[id].name, bare))
			return id;
	return -1;
}
