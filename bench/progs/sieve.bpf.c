/* The sieve benchmark (the algorithm is sieve.h). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sieve.h"
#include "entry.h"

BENCH_ENTRIES(sieve)
