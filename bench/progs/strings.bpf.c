/* The strings benchmark (the algorithm is strings.h). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "strings.h"
#include "entry.h"

BENCH_ENTRIES(strings)
