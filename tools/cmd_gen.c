/* exobpf gen skeleton OBJ.o: written below (skeleton generator). */
#include "cli.h"

int cmd_gen(int argc, char **argv)
{
	(void)argc, (void)argv;
	return cli_fail(EXIT_USAGE, "usage: exobpf gen skeleton OBJ.o > OBJ.skel.h");
}
