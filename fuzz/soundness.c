/* libFuzzer target for the soundness and interpreter/JIT oracles: the input
 * drives the structured generator (fuzz/progen.h), so coverage feedback
 * steers it towards programs that reach new verifier and engine code; the
 * program then goes through fuzz/oracle.h (checked run within the
 * verifier's processed count, fast interpreter, JIT). Any finding aborts
 * with the oracle's words. `exobpf-fuzz soundness` is the seeded,
 * long-running form of the same oracles. */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct oracle o;
	static struct pg_prog p;
	static int init;
	if (!init) {
		fuzz_init(1);
		if (oracle_init(&o, ORACLE_SOUND | ORACLE_JIT)) {
			fprintf(stderr, "soundness: %s\n", o.why);
			abort();
		}
		init = 1;
	}
	struct pg_rng rng = pg_bytes(data, size);
	progen(&rng, &p);
	if (oracle_run(&o, &p) == 1) {
		fprintf(stderr, "soundness: %s\n", o.why);
		abort();
	}
	return 0;
}
