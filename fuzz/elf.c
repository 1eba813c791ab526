/* libFuzzer target for the loader: the input is an object file (ELF with
 * .BTF and .BTF.ext) or raw BTF. Everything that only reads the input runs:
 * open (sections, programs, maps, externs, relocations), both BTF printers,
 * and relocation including CO-RE against the object's own BTF. Nothing is
 * created in the runtime (no maps), so any crash, leak or UB is the
 * loader's. Seeds: the test programs (make fuzz). */
#include <stdint.h>
#include <stdio.h>

#include "common.h"
#include "loader/obj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void dump(const struct exobpf_btf *btf)
{
	FILE *null = fopen("/dev/null", "w");
	if (!null)
		return;
	exobpf_btf__dump(btf, EXOBPF_BTF_DUMP_RAW, null);
	exobpf_btf__dump(btf, EXOBPF_BTF_DUMP_C, null);
	fclose(null);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		fuzz_init(0);
		init = 1;
	}
	struct exobpf_btf *raw = exobpf_btf__new(data, size);
	if (raw) {
		dump(raw);
		exobpf_btf__free(raw);
	}
	struct exobpf_object *obj = exobpf_object__open_mem(data, size, NULL);
	if (!obj)
		return 0;
	if (obj->btf)
		dump(obj->btf);
	/* relocate with no maps created (fds stay -1) and the object's own BTF
	 * as the CO-RE target, which exercises candidate matching fully */
	obj_relocate(obj, obj->btf);
	exobpf_object__close(obj);
	return 0;
}
