/* The parse benchmark (the algorithm is parse.h). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "parse.h"
#include "entry.h"

BENCH_ENTRIES(parse)
