/* The dispatch benchmark (the algorithm is dispatch.h). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "dispatch.h"
#include "entry.h"

BENCH_ENTRIES(dispatch)
