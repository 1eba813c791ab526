/* Built by tests/suites/40-loader.sh against a skeleton generated with
 * "exobpf gen skeleton globals_data.bpf.o": typed access to globals before
 * load (initial values) and after (the live maps), and to programs. Prints
 * "total calls out" after one run with a = 5. */
#include <stdio.h>

#include "globals_data.skel.h"

struct args {
	__u64 a, b, out;
};

int main(void)
{
	struct globals_data *s = globals_data__open();
	struct args a = {5, 0, 0};

	if (!s) {
		printf("open: %s\n", exobpf_errmsg());
		return 1;
	}
	if (s->data->total != 1000)
		return 2;
	s->data->total = 50; /* an initial value, set before load */
	if (globals_data__load(s)) {
		printf("load: %s\n", exobpf_errmsg());
		return 3;
	}
	EXOBPF_OPTS(exobpf_run_opts, o, .ctx_in = &a, .ctx_size_in = sizeof(a), .ctx_out = &a,
		    .ctx_size_out = sizeof(a));
	if (exobpf_prog__run(exobpf_program__prog(s->progs.add), &o))
		return 4;
	printf("%llu %u %llu\n", (unsigned long long)s->data->total, s->bss->calls,
	       (unsigned long long)a.out);
	globals_data__destroy(s);
	return 0;
}
