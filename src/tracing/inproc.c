/* The fast uprobe path: programs run inside the probed process itself. A
 * probed function's first instructions (at least 5 bytes) are moved to a
 * stub page allocated within 2 GiB and replaced by `jmp stub`; the stub
 * saves the registers as struct pt_regs (plus xmm0-7, which may carry
 * arguments), calls the dispatcher, restores everything, runs the moved
 * instructions and jumps back. A hit costs a call and the program, no trap.
 * uretprobes replace the return address with a shared return stub and keep
 * the real one on a per-thread shadow stack.
 *
 * Instructions that depend on where they are (rip-relative operands,
 * relative jumps and calls) are not moved; such functions, and functions
 * shorter than the 5-byte jump, are refused (the breakpoint path takes any
 * function). Patching assumes no other thread runs the patched bytes at that
 * moment: it is done at start-up (the preload library) or by the caller. */
#include <capstone/capstone.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "core/err.h"
#include "core/opts.h"
#include "core/prog.h"
#include "exobpf/map.h"
#include "exobpf/object.h"
#include "tracing/self.h"
#include "tracing/tracing.h"

#define JMP_LEN	     5
#define MAX_MOVED    32
#define MAX_PROGS    8
#define SHADOW_DEPTH 256

/* One patched address, shared by every attachment in the process (an
 * object's uprobes, perf events' programs): one jmp, one stub, program
 * slots read by the stub without a lock. Sites are never freed (a thread
 * may be inside the stub); a site whose last program left gets its bytes
 * back and keeps its stub for a later attachment. */
struct site {
	struct exobpf_prog *entry[MAX_PROGS], *ret[MAX_PROGS];
	const uint32_t *entry_gate[MAX_PROGS], *ret_gate[MAX_PROGS];
	uint64_t entry_cookie[MAX_PROGS], ret_cookie[MAX_PROGS];
	uint64_t addr;
	uint8_t saved[MAX_MOVED]; /* the original bytes */
	size_t moved;
	uint8_t *stub;
	bool patched;
	int users;
	uint64_t hits, missed;
	struct site *next;
};

static pthread_mutex_t sites_mu = PTHREAD_MUTEX_INITIALIZER;
static struct site *sites;
static uint8_t *ret_stub; /* shared by every site; made with the first uretprobe */

/* One program an exobpf_uprobes placed. */
struct reg {
	struct site *site;
	struct exobpf_prog *prog;
	bool ret;
};

struct exobpf_uprobes {
	struct trc_point *pts;
	size_t npts;
	struct reg *regs;
	size_t nregs;
};

/* ---- running the programs ---- */

struct shadow {
	uint64_t sp, ret; /* the stack slot of the return address, and its value */
	struct site *p;
};

static __thread struct shadow shadow[SHADOW_DEPTH];
static __thread int depth;
static __thread struct vm_run tl_run;
/* This thread is running a probe's programs. A probed function reached
 * from there (a helper's getpid, write or malloc, this file's own
 * sched_getcpu, a signal handler) runs no program and counts as missed: a
 * nested run would reuse tl_run under the running one and could recurse
 * without end. Linux never meets such a hit: its programs and helpers run
 * in the kernel, where no uprobe fires. */
static __thread bool running;

/* A gate (a link's "detached" word, which another process may set) closed
 * keeps its program from running. */
static void run_progs(struct site *p, struct exobpf_prog *const *progs,
		      const uint32_t *const *gates, const uint64_t *cookies, void *regs)
{
	bool nested = running;
	int nslots = 0, cpu = -1;

	running = true; /* before any call that could be probed itself */
	if (!nested) {
		nslots = exobpf_num_slots();
		cpu = sched_getcpu();
	}
	for (int i = 0; i < MAX_PROGS; i++) {
		struct exobpf_prog *prog = __atomic_load_n(&progs[i], __ATOMIC_ACQUIRE);
		const uint32_t *gate = __atomic_load_n(&gates[i], __ATOMIC_ACQUIRE);

		if (!prog || (gate && __atomic_load_n(gate, __ATOMIC_ACQUIRE)))
			continue;
		if (nested) {
			__atomic_add_fetch(&p->missed, 1, __ATOMIC_RELAXED);
			continue;
		}
		tl_run.prog = &prog->vm;
		tl_run.slot = (uint32_t)(cpu >= 0 && nslots > 0 ? cpu % nslots : 0);
		tl_run.tail_calls = 0;
		tl_run.executed = 0;
		tl_run.fault = VM_OK;
		tl_run.cookie = __atomic_load_n(&cookies[i], __ATOMIC_RELAXED);
		vm_run(&tl_run, (uintptr_t)regs, 0);
	}
	running = nested;
}

static bool any_ret(struct site *p)
{
	for (int i = 0; i < MAX_PROGS; i++)
		if (__atomic_load_n(&p->ret[i], __ATOMIC_ACQUIRE))
			return true;
	return false;
}

/* struct pt_regs offsets (x86-64) */
#define REGS_SP 152

static void on_entry(struct site *p, uint8_t *regs)
{
	uint64_t sp;
	uint8_t *rs = __atomic_load_n(&ret_stub, __ATOMIC_ACQUIRE);

	__atomic_add_fetch(&p->hits, 1, __ATOMIC_RELAXED);
	run_progs(p, p->entry, p->entry_gate, p->entry_cookie, regs);
	if (!rs || !any_ret(p) || depth == SHADOW_DEPTH)
		return;
	memcpy(&sp, regs + REGS_SP, 8);
	shadow[depth].sp = sp;
	memcpy(&shadow[depth].ret, (void *)(uintptr_t)sp, 8);
	shadow[depth].p = p;
	depth++;
	memcpy((void *)(uintptr_t)sp, &rs, 8);
}

/* Returns where the function really returns to. */
static uint64_t on_return(void *unused, uint8_t *regs)
{
	uint64_t sp;
	struct shadow s;

	(void)unused;
	memcpy(&sp, regs + REGS_SP, 8);
	if (!depth) /* cannot happen: only hijacked returns come here */
		__builtin_trap();
	/* frames a longjmp skipped are deeper than this return */
	while (depth > 1 && shadow[depth - 1].sp + 8 < sp)
		depth--;
	s = shadow[--depth];
	memcpy(regs + 128, &s.ret, 8); /* ip: the real return address */
	run_progs(s.p, s.p->ret, s.p->ret_gate, s.p->ret_cookie, regs);
	return s.ret;
}

/* ---- machine code ---- */

struct emit {
	uint8_t *p;
};

static void bytes(struct emit *e, const void *b, size_t n)
{
	memcpy(e->p, b, n);
	e->p += n;
}

static void imm64(struct emit *e, uint8_t b0, uint8_t b1, uint64_t v)
{
	uint8_t op[2] = {b0, b1};

	bytes(e, op, 2);
	bytes(e, &v, 8);
}

/* Push struct pt_regs (ip 0, orig_ax -1), fix its sp by adj, point rsi at
 * it, save xmm0-7 below it. */
static void save_regs(struct emit *e, uint8_t adj)
{
	static const uint8_t push[] = {
	    0x6a, 0x00,					    /* ss */
	    0x54,					    /* sp */
	    0x9c,					    /* flags */
	    0x6a, 0x00, 0x6a, 0x00,			    /* cs, ip */
	    0x6a, 0xff,					    /* orig_ax */
	    0x57, 0x56, 0x52, 0x51, 0x50,		    /* rdi rsi rdx rcx rax */
	    0x41, 0x50, 0x41, 0x51, 0x41, 0x52, 0x41, 0x53, /* r8-r11 */
	    0x53, 0x55,					    /* rbx rbp */
	    0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, /* r12-r15 */
	};
	const uint8_t fix_sp[] = {0x48, 0x83, 0x84, 0x24, 0x98, 0, 0, 0, adj};
	static const uint8_t rsi_regs[] = {0x48, 0x89, 0xe6};
	static const uint8_t sub128[] = {0x48, 0x81, 0xec, 0x80, 0, 0, 0};

	bytes(e, push, sizeof(push));
	bytes(e, fix_sp, sizeof(fix_sp));
	bytes(e, rsi_regs, sizeof(rsi_regs));
	bytes(e, sub128, sizeof(sub128));
	for (int i = 0; i < 8; i++) {
		uint8_t st[] = {
		    0xf3, 0x0f, 0x7f, (uint8_t)(0x44 | i << 3), 0x24, (uint8_t)(16 * i)};
		bytes(e, st, sizeof(st));
	}
}

static void call(struct emit *e, uint64_t arg, uint64_t fn)
{
	static const uint8_t call_rax[] = {0xff, 0xd0};

	imm64(e, 0x48, 0xbf, arg); /* mov rdi, arg */
	imm64(e, 0x48, 0xb8, fn);  /* mov rax, fn */
	bytes(e, call_rax, 2);
}

/* Restore xmm0-7 and the general registers; leaves rsp at pt_regs' ip. */
static void restore_regs(struct emit *e)
{
	static const uint8_t add128[] = {0x48, 0x81, 0xc4, 0x80, 0, 0, 0};
	static const uint8_t pop[] = {
	    0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, /* r15-r12 rbp rbx */
	    0x41, 0x5b, 0x41, 0x5a, 0x41, 0x59, 0x41, 0x58,		/* r11-r8 */
	    0x58, 0x59, 0x5a, 0x5e, 0x5f,				/* rax rcx rdx rsi rdi */
	    0x48, 0x8d, 0x64, 0x24, 0x08,				/* skip orig_ax */
	};

	for (int i = 0; i < 8; i++) {
		uint8_t ld[] = {
		    0xf3, 0x0f, 0x6f, (uint8_t)(0x44 | i << 3), 0x24, (uint8_t)(16 * i)};
		bytes(e, ld, sizeof(ld));
	}
	bytes(e, add128, sizeof(add128));
	bytes(e, pop, sizeof(pop));
}

/* From pt_regs' ip slot: skip ip and cs, restore flags, skip sp and ss. */
static void pop_rest(struct emit *e)
{
	static const uint8_t rest[] = {0x48, 0x8d, 0x64, 0x24, 0x10, 0x9d,
				       0x48, 0x8d, 0x64, 0x24, 0x10};
	bytes(e, rest, sizeof(rest));
}

static void emit_entry_stub(struct emit *e, struct site *p)
{
	/* mov [rsp+256], rax: pt_regs' ip, above the 128 bytes of xmm */
	static const uint8_t store_ip[] = {0x48, 0x89, 0x84, 0x24, 0x00, 0x01, 0, 0};
	static const uint8_t jmp_abs[] = {0xff, 0x25, 0, 0, 0, 0};
	uint64_t back = p->addr + p->moved;

	save_regs(e, 8);
	/* ip = the probed address, as Linux reports it */
	imm64(e, 0x48, 0xb8, p->addr); /* mov rax, addr */
	bytes(e, store_ip, sizeof(store_ip));
	call(e, (uintptr_t)p, (uintptr_t)on_entry);
	restore_regs(e);
	pop_rest(e);
	bytes(e, p->saved, p->moved); /* the moved instructions */
	bytes(e, jmp_abs, sizeof(jmp_abs));
	bytes(e, &back, 8);
}

static void emit_ret_stub(struct emit *e)
{
	static const uint8_t pad[] = {0x6a, 0x00};
	/* mov [rsp+128+168], rax: the pad slot above pt_regs gets the target */
	static const uint8_t store_pad[] = {0x48, 0x89, 0x84, 0x24, 0x28, 0x01, 0, 0};
	static const uint8_t ret[] = {0xc3};

	bytes(e, pad, sizeof(pad));
	save_regs(e, 16);
	call(e, 0, (uintptr_t)on_return);
	bytes(e, store_pad, sizeof(store_pad));
	restore_regs(e);
	pop_rest(e);
	bytes(e, ret, sizeof(ret));
}

/* ---- placing the stubs ---- */

/* A page within 2 GiB of addr (the jmp's reach), read-write for now. */
static uint8_t *page_near(uint64_t addr)
{
	const uint64_t step = 1ull << 20, reach = (1ull << 31) - (1ull << 21);

	for (uint64_t d = step; d < reach; d += step) {
		for (int dir = -1; dir <= 1; dir += 2) {
			uint64_t at = ((dir < 0 ? addr - d : addr + d) & ~0xfffull);
			void *p;

			if (dir < 0 && d > addr)
				continue;
			p = mmap((void *)(uintptr_t)at, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			if (p == MAP_FAILED)
				continue;
			if ((uint64_t)(uintptr_t)p == at)
				return p;
			munmap(p, 4096); /* an old kernel ignored the flag */
		}
	}
	return NULL;
}

/* How many bytes from addr to move: whole instructions covering the jmp,
 * none of them position-dependent. 0 with the message set when it cannot. */
static size_t movable(const struct trc_point *pt, uint64_t addr)
{
	csh cs;
	cs_insn *insn = NULL;
	size_t n, len = 0;

	if (pt->left < JMP_LEN) {
		exo_err(EOPNOTSUPP, "%s:%s: %llu bytes, shorter than the 5-byte jump", pt->path,
			pt->func, (unsigned long long)pt->left);
		return 0;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return 0;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	n = cs_disasm(cs, (const uint8_t *)(uintptr_t)addr, MAX_MOVED, addr, 0, &insn);
	for (size_t i = 0; i < n && len < JMP_LEN; i++) {
		const cs_x86 *x = &insn[i].detail->x86;
		bool bad = cs_insn_group(cs, &insn[i], CS_GRP_JUMP) ||
			   cs_insn_group(cs, &insn[i], CS_GRP_CALL) || insn[i].bytes[0] == 0xcc;

		for (int o = 0; o < x->op_count; o++)
			if (x->operands[o].type == X86_OP_MEM &&
			    x->operands[o].mem.base == X86_REG_RIP)
				bad = true;
		if (bad) {
			exo_err(EOPNOTSUPP,
				"%s:%s: '%s %s' at +%zu depends on its address; cannot move it",
				pt->path, pt->func, insn[i].mnemonic, insn[i].op_str, len);
			len = 0;
			break;
		}
		len += insn[i].size;
		if (cs_insn_group(cs, &insn[i], CS_GRP_RET))
			break;
	}
	if (!n)
		exo_err(EOPNOTSUPP, "%s:%s: cannot decode its first instructions", pt->path,
			pt->func);
	if (insn)
		cs_free(insn, n);
	cs_close(&cs);
	return len;
}

static int set_prot(uint64_t addr, size_t len, int prot)
{
	uint64_t lo = addr & ~0xfffull, hi = (addr + len + 0xfff) & ~0xfffull;

	return mprotect((void *)(uintptr_t)lo, hi - lo, prot) ? -errno : 0;
}

static void write_code(uint64_t addr, const uint8_t *code, size_t len)
{
	memcpy((void *)(uintptr_t)addr, code, len);
	__builtin___clear_cache((char *)(uintptr_t)addr, (char *)(uintptr_t)addr + len);
}

/* A new site at addr with its stub (not yet patched), or NULL with the
 * message set. */
static struct site *site_new(const struct trc_point *pt, uint64_t addr)
{
	struct site *p = calloc(1, sizeof(*p));
	struct emit e;

	if (!p) {
		exo_err(ENOMEM, "out of memory");
		return NULL;
	}
	p->addr = addr;
	p->moved = movable(pt, addr);
	if (p->moved && p->moved < JMP_LEN)
		exo_err(EOPNOTSUPP, "%s:%s: returns within 5 bytes", pt->path, pt->func);
	if (p->moved < JMP_LEN) {
		free(p);
		return NULL;
	}
	memcpy(p->saved, (void *)(uintptr_t)addr, p->moved);
	if (!(p->stub = page_near(addr))) {
		exo_err(ENOMEM, "%s:%s: no free page within 2 GiB for its stub", pt->path,
			pt->func);
		free(p);
		return NULL;
	}
	e.p = p->stub;
	emit_entry_stub(&e, p);
	if (mprotect(p->stub, 4096, PROT_READ | PROT_EXEC)) {
		exo_err(errno, "%s:%s: mprotect: %s", pt->path, pt->func, strerror(errno));
		munmap(p->stub, 4096);
		free(p);
		return NULL;
	}
	return p;
}

/* Write (on) or remove the jmp. While it is written the page is writable
 * and executable at once: the patching code itself may live on that page. */
static int site_patch(struct site *p, bool on)
{
	uint8_t jmp[MAX_MOVED];
	int32_t rel = (int32_t)((int64_t)(uintptr_t)p->stub - (int64_t)(p->addr + JMP_LEN));
	int err;

	memset(jmp, 0xcc, sizeof(jmp)); /* bytes after the jmp are never reached */
	jmp[0] = 0xe9;
	memcpy(jmp + 1, &rel, 4);
	if ((err = set_prot(p->addr, p->moved, PROT_READ | PROT_WRITE | PROT_EXEC)))
		return exo_err(-err, "0x%llx: mprotect: %s", (unsigned long long)p->addr,
			       strerror(-err));
	write_code(p->addr, on ? jmp : p->saved, p->moved);
	set_prot(p->addr, p->moved, PROT_READ | PROT_EXEC);
	p->patched = on;
	return 0;
}

static int make_ret_stub(void)
{
	uint8_t *page;
	struct emit e;

	if (ret_stub)
		return 0;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return exo_err(errno, "uretprobe stub: mmap: %s", strerror(errno));
	e.p = page;
	emit_ret_stub(&e);
	if (mprotect(page, 4096, PROT_READ | PROT_EXEC)) {
		munmap(page, 4096);
		return exo_err(errno, "uretprobe stub: mprotect: %s", strerror(errno));
	}
	__atomic_store_n(&ret_stub, page, __ATOMIC_RELEASE);
	return 0;
}

int trc_self_attach(const struct trc_point *pt, uint64_t addr, struct exobpf_prog *prog,
		    const uint32_t *gate, uint64_t cookie, bool ret, void **site_out)
{
	struct site *p;
	struct exobpf_prog **slots;
	const uint32_t **gates;
	int i, err = 0;

	pthread_mutex_lock(&sites_mu);
	for (p = sites; p && p->addr != addr; p = p->next)
		;
	if (!p && (p = site_new(pt, addr))) {
		p->next = sites;
		sites = p;
	}
	if (!p) {
		err = errno > 0 ? -errno : -EOPNOTSUPP; /* site_new set the message */
		goto out;
	}
	if (ret && (err = make_ret_stub()))
		goto out;
	slots = ret ? p->ret : p->entry;
	gates = ret ? p->ret_gate : p->entry_gate;
	for (i = 0; i < MAX_PROGS && slots[i]; i++)
		;
	if (i == MAX_PROGS) {
		err = exo_err(E2BIG, "%s:%s: more than %d programs on one uprobe", pt->path,
			      pt->func, MAX_PROGS);
		goto out;
	}
	if (!p->patched && (err = site_patch(p, true)))
		goto out;
	__atomic_store_n(&gates[i], gate, __ATOMIC_RELEASE);
	__atomic_store_n(&(ret ? p->ret_cookie : p->entry_cookie)[i], cookie, __ATOMIC_RELEASE);
	__atomic_store_n(&slots[i], prog, __ATOMIC_RELEASE);
	p->users++;
	*site_out = p;
out:
	pthread_mutex_unlock(&sites_mu);
	return err;
}

void trc_self_detach(void *site, struct exobpf_prog *prog, bool ret)
{
	struct site *p = site;
	struct exobpf_prog **slots;

	if (!p)
		return;
	pthread_mutex_lock(&sites_mu);
	slots = ret ? p->ret : p->entry;
	for (int i = 0; i < MAX_PROGS; i++)
		if (slots[i] == prog) {
			__atomic_store_n(&slots[i], NULL, __ATOMIC_RELEASE);
			(ret ? p->ret_gate : p->entry_gate)[i] = NULL;
			if (!--p->users && p->patched)
				site_patch(p, false);
			break;
		}
	pthread_mutex_unlock(&sites_mu);
}

struct locate_ctx {
	uint64_t *addrs;
};

static void found(void *arg, int point, uint64_t addr)
{
	struct locate_ctx *c = arg;

	if (!c->addrs[point])
		c->addrs[point] = addr;
}

struct locate_one {
	uint64_t addr;
};

static void found_one(void *arg, int point, uint64_t addr)
{
	struct locate_one *c = arg;

	(void)point;
	if (!c->addr)
		c->addr = addr;
}

int trc_self_locate(struct trc_point *pt, uint64_t *addr)
{
	struct locate_one c = {0};
	int err;

	if ((err = trc_points_locate(getpid(), pt, 1, found_one, &c)))
		return err;
	if (!c.addr)
		return exo_err(ENOENT, "%s:%s: not mapped in this process", pt->path, pt->func);
	*addr = c.addr;
	return 0;
}

/* ---- an object's uprobes (exobpf_uprobes__attach_self) ---- */

EXOBPF_API void exobpf_uprobes__detach(struct exobpf_uprobes *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nregs; i++)
		trc_self_detach(u->regs[i].site, u->regs[i].prog, u->regs[i].ret);
	for (size_t i = 0; i < u->npts; i++)
		trc_point_free(&u->pts[i]);
	free(u->pts);
	free(u->regs);
	free(u);
}

/* A counter of u's sites, each site once (a site shared with another
 * attachment counts for it too). */
static uint64_t sum_sites(const struct exobpf_uprobes *u, size_t off)
{
	uint64_t n = 0;

	for (size_t i = 0; u && i < u->nregs; i++) {
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = u->regs[j].site == u->regs[i].site;
		if (!seen)
			n += __atomic_load_n((uint64_t *)((char *)u->regs[i].site + off),
					     __ATOMIC_RELAXED);
	}
	return n;
}

EXOBPF_API uint64_t exobpf_uprobes__hits(const struct exobpf_uprobes *u)
{
	return sum_sites(u, offsetof(struct site, hits));
}

EXOBPF_API uint64_t exobpf_uprobes__missed(const struct exobpf_uprobes *u)
{
	return sum_sites(u, offsetof(struct site, missed));
}

struct want {
	struct exobpf_prog *prog;
	const char *name;
	size_t point;
	bool ret;
};

/* The object's wanted u(ret)probe programs and their points. */
static int collect(struct exobpf_uprobes *u, struct exobpf_object *obj,
		   const struct exobpf_tracer_opts *opts, struct want **wants, size_t *nwants)
{
	struct exobpf_program *prog;

	exobpf_object__for_each_program(prog, obj)
	{
		const char *sec = exobpf_program__section_name(prog);
		struct trc_attach a;
		struct trc_point pt, *grown;
		struct want *w;
		size_t i;
		bool wanted = !OPT(opts, programs, NULL);
		int err;

		for (size_t k = 0; !wanted && k < opts->nr_programs; k++)
			wanted = !strcmp(opts->programs[k], exobpf_program__name(prog));
		if (!wanted || (strncmp(sec, "uprobe/", 7) && strncmp(sec, "uretprobe/", 10)))
			continue;
		if (!exobpf_program__prog(prog))
			return exo_err(EINVAL, "program %s: not loaded",
				       exobpf_program__name(prog));
		if ((err = trc_parse_attach(sec, exobpf_program__name(prog), &a, &pt)) < 0)
			return err;
		for (i = 0; i < u->npts; i++)
			if (!strcmp(u->pts[i].path, pt.path) && !strcmp(u->pts[i].func, pt.func) &&
			    u->pts[i].off == pt.off)
				break;
		if (i < u->npts) {
			trc_point_free(&pt);
		} else if ((grown = realloc(u->pts, (i + 1) * sizeof(*grown)))) {
			u->pts = grown;
			u->pts[u->npts++] = pt;
		} else {
			trc_point_free(&pt);
			return exo_err(ENOMEM, "out of memory");
		}
		if (!(w = realloc(*wants, (*nwants + 1) * sizeof(*w))))
			return exo_err(ENOMEM, "out of memory");
		*wants = w;
		w[(*nwants)++] =
		    (struct want){exobpf_program__prog(prog), exobpf_program__name(prog), i,
				  a.kind == TRC_URETPROBE};
	}
	return 0;
}

EXOBPF_API struct exobpf_uprobes *exobpf_uprobes__attach_self(struct exobpf_object *obj,
							      const struct exobpf_tracer_opts *opts)
{
	struct exobpf_uprobes *u;
	struct want *wants = NULL;
	size_t nwants = 0;
	uint64_t *addrs = NULL;
	int err;

	if (!obj) {
		exo_err(EINVAL, "exobpf_uprobes__attach_self: no object");
		return NULL;
	}
	if (!OPTS_VALID(opts, exobpf_tracer_opts))
		return NULL;
	if (!(u = calloc(1, sizeof(*u)))) {
		exo_err(ENOMEM, "out of memory");
		return NULL;
	}
	err = collect(u, obj, opts, &wants, &nwants);
	if (!err && !u->npts)
		err = exo_err(ENOENT, "%s: no uprobe program to attach", exobpf_object__name(obj));
	if (!err && (!(addrs = calloc(u->npts, sizeof(*addrs))) ||
		     !(u->regs = calloc(nwants, sizeof(*u->regs)))))
		err = exo_err(ENOMEM, "out of memory");
	if (!err) {
		struct locate_ctx c = {addrs};
		err = trc_points_locate(getpid(), u->pts, u->npts, found, &c);
	}
	for (size_t i = 0; !err && i < u->npts; i++)
		if (!addrs[i])
			err = exo_err(ENOENT, "%s:%s: not mapped in this process", u->pts[i].path,
				      u->pts[i].func);
	for (size_t i = 0; !err && i < nwants; i++) {
		struct reg *r = &u->regs[u->nregs];

		err = trc_self_attach(&u->pts[wants[i].point], addrs[wants[i].point], wants[i].prog,
				      NULL, 0, wants[i].ret, (void **)&r->site);
		if (!err) {
			r->prog = wants[i].prog;
			r->ret = wants[i].ret;
			u->nregs++;
		}
	}
	free(addrs);
	free(wants);
	if (err) {
		exobpf_uprobes__detach(u);
		errno = -err;
		return NULL;
	}
	return u;
}
