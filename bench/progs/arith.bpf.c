/* The arith benchmark (the algorithm is arith.h). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "arith.h"
#include "entry.h"

BENCH_ENTRIES(arith)
