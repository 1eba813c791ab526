/* The checksum benchmark (the algorithm is checksum.h). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "checksum.h"
#include "entry.h"

BENCH_ENTRIES(checksum)
