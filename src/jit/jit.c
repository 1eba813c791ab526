/* Compiling a program: analyses, emission passes until jump sizes settle,
 * then the image: mapped read+write, filled, made read+execute (never both). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "core/err.h"
#include "jit/codegen.h"
#include "jit/runtime.h"
#include "jit/jit.h"

/* Passes before giving up on short jumps altogether (each pass before that
 * lengthens at least one jump, and real programs settle in 2-4). */
#define JIT_MAX_PASSES 64

bool jit_supported(void)
{
#if defined(__x86_64__)
	return true;
#else
	return false;
#endif
}

static bool host_has_bmi2(void)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	return __builtin_cpu_supports("bmi2");
#else
	return false;
#endif
}

static uint64_t random_seed(void)
{
	uint64_t s = 0;
	struct timespec ts;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == sizeof(s) && s)
		return s;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec ^ 1;
}

static void free_image(struct jit_image *img)
{
	if (img) /* the image describes itself from inside its own mapping */
		munmap(img->mem, img->size);
}

static size_t round_up(size_t v, size_t to)
{
	return (v + to - 1) / to * to;
}

/* Map the final pass: the code (read+execute), then on pages of their own
 * the struct jit_image and its tables (read-only). Nothing of an image lives
 * on the heap, so a program's image is exactly its mapping. */
static int build_image(struct jit_cg *cg, const struct jit_opts *opts, unsigned passes,
		       struct jit_image **out)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const struct jit_buf *b = &cg->b;
	uint32_t len = cg->prog->len;
	unsigned nstubs = jit_cg_nstubs(cg);
	size_t code = round_up(b->len, page);
	size_t meta = sizeof(struct jit_image) + ((size_t)len + 1) * sizeof(uint32_t) +
		      nstubs * sizeof(struct jit_stub_info);
	size_t size = code + round_up(meta, page);
	uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		return exo_err(errno, "cannot map %zu bytes for machine code: %s", size,
			       strerror(errno));
	struct jit_image *img = (struct jit_image *)(void *)(mem + code);
	img->insn_off = (uint32_t *)(img + 1);
	img->stubs = (struct jit_stub_info *)(img->insn_off + len + 1);
	img->mem = mem;
	img->size = size;
	img->nstubs = nstubs;
	img->passes = passes;
	img->prog = cg->prog;
	img->opts = *opts;
	img->opts.verifier_facts = NULL; /* not kept */
	/* the final pass's label addresses are now the "previous" ones */
	for (uint32_t i = 0; i <= len; i++)
		img->insn_off[i] = b->prev_addr[i];
	for (unsigned i = 0; i < nstubs; i++)
		img->stubs[i] = jit_cg_stub(cg, i);
	img->entry_off = cg->entry_off;
	img->body_off = cg->body_off;
	img->tcall_off = cg->tcall_off;
	img->stubs_off = cg->stubs_off;
	img->tail_off = cg->tail_off;
	img->batch_off = cg->batch_off;
	img->cb_off = cg->cb_off;
	img->loop_off = cg->loop_off;
	img->each_off = cg->each_off;
	img->code_len = (uint32_t)b->len;
	img->len = len;
	memset(mem, 0xcc, code); /* int3 past the end */
	memcpy(mem, b->code, b->len);
	uint64_t self = (uint64_t)(uintptr_t)img,
		 body = (uint64_t)(uintptr_t)(mem + img->tcall_off);
	memcpy(mem + JIT_HDR_IMG, &self, 8);
	memcpy(mem + JIT_HDR_BODY, &body, 8);
	if (mprotect(mem, code, PROT_READ | PROT_EXEC) ||
	    mprotect(mem + code, size - code, PROT_READ)) {
		int err = errno;
		munmap(mem, size);
		return exo_err(err, "cannot make machine code executable: %s", strerror(err));
	}
	*out = img;
	return 0;
}

int jit_compile(struct vm_prog *prog, const struct jit_opts *opts)
{
	static const struct jit_opts none;
	struct jit_fact *facts = NULL;
	struct jit_image *img = NULL;
	struct jit_cg cg;
	unsigned passes = 0;
	int err;

	if (!opts)
		opts = &none;
	if (!jit_supported())
		return exo_err(EOPNOTSUPP, "no JIT for this architecture");
	jit_release(prog);
	if (!opts->no_facts) {
		facts = calloc((size_t)prog->len + 1, sizeof(*facts));
		if (!facts || jit_analyze(prog, opts->verifier_facts, facts)) {
			free(facts);
			return exo_err(ENOMEM, "out of memory analysing %u instructions",
				       prog->len);
		}
	}
	memset(&cg, 0, sizeof(cg));
	cg.prog = prog;
	cg.facts = facts;
	cg.bmi2 = !opts->no_bmi2 && host_has_bmi2();
	cg.blind = opts->blind;
	cg.verified = opts->verifier_facts != NULL;
	cg.stack_depth = cg.verified ? opts->stack_depth : 0;
	cg.batch = opts->batch && prog->type == BPF_PROG_TYPE_SOCKET_FILTER;
	cg.seed = opts->blind ? (opts->blind_seed ? opts->blind_seed : random_seed()) : 0;
	err = jit_buf_init(&cg.b, prog->len + 1);
	while (!err) {
		cg.b.all_long = passes >= JIT_MAX_PASSES;
		jit_cg_pass(&cg);
		passes++;
		err = cg.b.err;
		if (!err && jit_pass_end(&cg.b))
			break;
	}
	if (err)
		err = exo_err(-err, "JIT: %s", cg.b.errmsg[0] ? cg.b.errmsg : strerror(-err));
	else
		err = build_image(&cg, opts, passes, &img);
	jit_cg_free(&cg);
	free(facts);
	if (err)
		return err;
	prog->jited = (vm_entry_fn *)(void *)(img->mem + img->entry_off);
	if (img->batch_off)
		prog->jited_batch = (vm_batch_fn *)(void *)(img->mem + img->batch_off);
	if (img->cb_off)
		prog->jited_cb = jit_rt_callback;
	if (img->loop_off)
		prog->jited_loop = jit_rt_loop;
	if (img->each_off)
		prog->jited_each = jit_rt_each;
	return 0;
}

const struct jit_image *jit_image_of(const struct vm_prog *prog)
{
	const uint8_t *entry;
	uint64_t magic;
	struct jit_image *img;

	if (!prog || !prog->jited)
		return NULL;
	entry = (const uint8_t *)(uintptr_t)prog->jited;
	memcpy(&magic, entry - JIT_HDR_SIZE, 8);
	if (magic != JIT_HDR_MAGIC)
		return NULL;
	memcpy(&img, entry - JIT_HDR_SIZE + JIT_HDR_IMG, sizeof(img));
	return img;
}

void jit_release(struct vm_prog *prog)
{
	struct jit_image *img = (struct jit_image *)jit_image_of(prog);

	if (!img)
		return;
	prog->jited = NULL;
	prog->jited_batch = NULL;
	prog->jited_cb = NULL;
	prog->jited_loop = NULL;
	prog->jited_each = NULL;
	free_image(img);
}
