/* libFuzzer target for BTF and BTF.ext: the input is a u32 length, that
 * many bytes of BTF, then a BTF.ext. The BTF is parsed and printed both
 * ways (bpftool's raw and C text), every type resolved; the BTF.ext is
 * parsed against it (func, line and CO-RE records, their section and
 * string names). Seeds: the test programs' own sections (make fuzz). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "loader/btf_ext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	uint32_t len;

	if (!null) {
		fuzz_init(0);
		null = fopen("/dev/null", "w");
	}
	if (size < 4)
		return 0;
	memcpy(&len, data, 4);
	data += 4, size -= 4;
	if (len > size)
		len = (uint32_t)size;
	struct exobpf_btf *btf = exobpf_btf__new(data, len);
	if (!btf)
		return 0;
	if (null) {
		exobpf_btf__dump(btf, EXOBPF_BTF_DUMP_RAW, null);
		exobpf_btf__dump(btf, EXOBPF_BTF_DUMP_C, null);
	}
	for (uint32_t id = 1; id < exobpf_btf__type_cnt(btf); id++)
		exobpf_btf__resolve_size(btf, id);
	struct btf_ext ext;
	memset(&ext, 0, sizeof(ext));
	if (size > len && !btf_ext_parse(&ext, data + len, size - len, btf, "fuzz"))
		btf_ext_free(&ext);
	exobpf_btf__free(btf);
	return 0;
}
