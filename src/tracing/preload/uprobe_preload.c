/* libexobpf-uprobe.so: the fast uprobe path inside a traced command.
 * `exobpf trace --fast` puts it in LD_PRELOAD; at start-up (one thread, no
 * probed code running yet) it loads the object with its maps taken from
 * where the tracer pinned them, so both sides share them, and patches the
 * probed functions (exobpf_uprobes__attach_self). Environment:
 *   EXOBPF_UPROBE_OBJ    the object
 *   EXOBPF_UPROBE_PIN    the directory holding its pinned maps
 *   EXOBPF_UPROBE_PROGS  comma-separated program names (optional) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exobpf/exobpf.h"

static struct exobpf_object *obj;
static struct exobpf_uprobes *probes;

static bool is_uprobe(const struct exobpf_program *p)
{
	const char *sec = exobpf_program__section_name(p);

	return !strncmp(sec, "uprobe/", 7) || !strncmp(sec, "uretprobe/", 10);
}

__attribute__((constructor)) static void exobpf_uprobe_preload(void)
{
	const char *path = getenv("EXOBPF_UPROBE_OBJ"), *pin = getenv("EXOBPF_UPROBE_PIN");
	const char *list = getenv("EXOBPF_UPROBE_PROGS");
	struct exobpf_tracer_opts o = {.sz = sizeof(o)};
	const char *names[64];
	char *copy = NULL, *tok, *save;
	struct exobpf_program *p;
	struct exobpf_map *m;

	if (!path || !pin || !(obj = exobpf_object__open_file(path, NULL)))
		goto fail;
	exobpf_object__for_each_map(m, obj)
	{
		char map_pin[4096];

		snprintf(map_pin, sizeof(map_pin), "%s/%s", pin, exobpf_map__name(m));
		exobpf_map__set_pin_path(m, map_pin);
	}
	/* only the uprobes run here; the tracer runs the rest */
	exobpf_object__for_each_program(p, obj) exobpf_program__set_autoload(p, is_uprobe(p));
	if (exobpf_object__load(obj))
		goto fail;
	if (list && *list && (copy = strdup(list))) {
		for (tok = strtok_r(copy, ",", &save); tok && o.nr_programs < 64;
		     tok = strtok_r(NULL, ",", &save))
			names[o.nr_programs++] = tok;
		o.programs = names;
	}
	probes = exobpf_uprobes__attach_self(obj, &o);
	free(copy);
	if (probes)
		return;
fail:
	if (path)
		fprintf(stderr, "exobpf: fast uprobes: %s\n", exobpf_errmsg());
}
