/* The bits benchmark (the algorithm is bits.h). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "bits.h"
#include "entry.h"

BENCH_ENTRIES(bits)
