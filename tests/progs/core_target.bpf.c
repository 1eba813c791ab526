/* Not a program to run: its BTF is the CO-RE target for the core_* tests,
 * laying the same types out differently from what those programs compiled
 * against (fields moved, one missing, one added, enum values renumbered). */
#include "common.h"

struct task_lite {
	long pad;
	char comm[16];
	int pid;
	long state;
	unsigned int prio : 3, mode : 5;
	unsigned int nice;
};

struct only_in_target {
	int x;
};

enum exo_state {
	EXO_RUNNING = 0,
	EXO_SLEEPING = 1,
	EXO_STOPPED = 4,
};

struct task_lite target_task;
struct only_in_target target_only;
enum exo_state target_state;

char LICENSE[] SEC("license") = "GPL";
