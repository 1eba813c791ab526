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
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "core/err.h"
#include "core/opts.h"
#include "core/prog.h"
#include "exobpf/map.h"
#include "exobpf/object.h"
#include "tracing/tracing.h"

#define JMP_LEN	     5
#define MAX_MOVED    32
#define MAX_PROGS    8
#define SHADOW_DEPTH 256

struct ip_point {
	struct exobpf_prog *entry[MAX_PROGS], *ret[MAX_PROGS];
	int nentry, nret;
	uint64_t addr;
	uint8_t saved[MAX_MOVED]; /* the original bytes */
	size_t moved;
	uint8_t *stub;
	struct exobpf_uprobes *owner;
};

struct exobpf_uprobes {
	struct trc_point *pts;
	size_t npts;
	struct ip_point *ips; /* one per patched address */
	size_t nips;
	uint8_t *ret_stub;
	uint64_t hits;
};

/* ---- running the programs ---- */

struct shadow {
	uint64_t sp, ret; /* the stack slot of the return address, and its value */
	struct ip_point *p;
};

static __thread struct shadow shadow[SHADOW_DEPTH];
static __thread int depth;
static __thread struct vm_run tl_run;

static void run_progs(struct exobpf_prog *const *progs, int n, void *regs)
{
	int nslots = exobpf_num_slots();
	int cpu = sched_getcpu();

	for (int i = 0; i < n; i++) {
		tl_run.prog = &progs[i]->vm;
		tl_run.slot = (uint32_t)(cpu >= 0 && nslots > 0 ? cpu % nslots : 0);
		tl_run.tail_calls = 0;
		tl_run.executed = 0;
		tl_run.fault = VM_OK;
		vm_run(&tl_run, (uintptr_t)regs, 0);
	}
}

/* struct pt_regs offsets (x86-64) */
#define REGS_SP 152

static void on_entry(struct ip_point *p, uint8_t *regs)
{
	uint64_t sp;

	__atomic_add_fetch(&p->owner->hits, 1, __ATOMIC_RELAXED);
	run_progs(p->entry, p->nentry, regs);
	if (!p->nret || depth == SHADOW_DEPTH)
		return;
	memcpy(&sp, regs + REGS_SP, 8);
	shadow[depth].sp = sp;
	memcpy(&shadow[depth].ret, (void *)(uintptr_t)sp, 8);
	shadow[depth].p = p;
	depth++;
	memcpy((void *)(uintptr_t)sp, &p->owner->ret_stub, 8);
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
	run_progs(s.p->ret, s.p->nret, regs);
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

static void emit_entry_stub(struct emit *e, struct ip_point *p)
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

/* Patch one address. While the jmp is written the page is writable and
 * executable at once: the patching code itself may live on that page. */
static int patch(struct exobpf_uprobes *u, struct ip_point *p, const struct trc_point *pt)
{
	struct emit e;
	uint8_t jmp[MAX_MOVED];
	int32_t rel;
	int err;

	p->moved = movable(pt, p->addr);
	if (!p->moved)
		return -EOPNOTSUPP;
	if (p->moved < JMP_LEN)
		return exo_err(EOPNOTSUPP, "%s:%s: returns within 5 bytes", pt->path, pt->func);
	memcpy(p->saved, (void *)(uintptr_t)p->addr, p->moved);
	if (!(p->stub = page_near(p->addr)))
		return exo_err(ENOMEM, "%s:%s: no free page within 2 GiB for its stub", pt->path,
			       pt->func);
	if (!u->ret_stub && p->nret) {
		u->ret_stub = p->stub + 2048;
		e.p = u->ret_stub;
		emit_ret_stub(&e);
	}
	e.p = p->stub;
	emit_entry_stub(&e, p);
	if (mprotect(p->stub, 4096, PROT_READ | PROT_EXEC))
		return exo_err(errno, "%s:%s: mprotect: %s", pt->path, pt->func, strerror(errno));
	rel = (int32_t)((int64_t)(uintptr_t)p->stub - (int64_t)(p->addr + JMP_LEN));
	memset(jmp, 0xcc, sizeof(jmp)); /* bytes after the jmp are never reached */
	jmp[0] = 0xe9;
	memcpy(jmp + 1, &rel, 4);
	if ((err = set_prot(p->addr, p->moved, PROT_READ | PROT_WRITE | PROT_EXEC)))
		return exo_err(-err, "%s:%s: mprotect: %s", pt->path, pt->func, strerror(-err));
	memcpy((void *)(uintptr_t)p->addr, jmp, p->moved);
	__builtin___clear_cache((char *)(uintptr_t)p->addr, (char *)(uintptr_t)p->addr + p->moved);
	set_prot(p->addr, p->moved, PROT_READ | PROT_EXEC);
	return 0;
}

struct locate_ctx {
	struct exobpf_uprobes *u;
	uint64_t *addrs;
};

static void found(void *arg, int point, uint64_t addr)
{
	struct locate_ctx *c = arg;

	c->addrs[point] = addr;
}

EXOBPF_API void exobpf_uprobes__detach(struct exobpf_uprobes *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nips; i++) {
		struct ip_point *p = &u->ips[i];

		if (!p->stub || set_prot(p->addr, p->moved, PROT_READ | PROT_WRITE | PROT_EXEC))
			continue;
		memcpy((void *)(uintptr_t)p->addr, p->saved, p->moved);
		set_prot(p->addr, p->moved, PROT_READ | PROT_EXEC);
		/* the stub page stays: a thread may still be inside it */
	}
	for (size_t i = 0; i < u->npts; i++)
		trc_point_free(&u->pts[i]);
	free(u->pts);
	free(u->ips);
	free(u);
}

EXOBPF_API uint64_t exobpf_uprobes__hits(const struct exobpf_uprobes *u)
{
	return u ? __atomic_load_n(&u->hits, __ATOMIC_RELAXED) : 0;
}

EXOBPF_API struct exobpf_uprobes *exobpf_uprobes__attach_self(struct exobpf_object *obj,
							      const struct exobpf_tracer_opts *opts)
{
	struct exobpf_uprobes *u;
	struct exobpf_program *prog;
	uint64_t *addrs = NULL;
	int err = 0;

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
	/* the points, and which programs each runs */
	exobpf_object__for_each_program(prog, obj)
	{
		const char *sec = exobpf_program__section_name(prog);
		struct trc_attach a;
		struct trc_point pt, *grown;
		size_t i;
		bool wanted = !OPT(opts, programs, NULL);

		for (size_t k = 0; !wanted && k < opts->nr_programs; k++)
			wanted = !strcmp(opts->programs[k], exobpf_program__name(prog));
		if (!wanted || (strncmp(sec, "uprobe/", 7) && strncmp(sec, "uretprobe/", 10)))
			continue;
		if ((err = trc_parse_attach(sec, exobpf_program__name(prog), &a, &pt)) < 0)
			break;
		err = 0; /* 1: a uprobe, with its point in pt */
		for (i = 0; i < u->npts; i++)
			if (!strcmp(u->pts[i].path, pt.path) && !strcmp(u->pts[i].func, pt.func) &&
			    u->pts[i].off == pt.off)
				break;
		if (i < u->npts) {
			trc_point_free(&pt);
		} else if ((grown = realloc(u->pts, (i + 1) * sizeof(*grown))) &&
			   (u->ips = realloc(u->ips, (i + 1) * sizeof(*u->ips)))) {
			u->pts = grown;
			u->pts[u->npts++] = pt;
			memset(&u->ips[i], 0, sizeof(u->ips[i]));
			u->ips[i].owner = u;
		} else {
			if (grown)
				u->pts = grown;
			trc_point_free(&pt);
			err = exo_err(ENOMEM, "out of memory");
			break;
		}
		{
			struct ip_point *p = &u->ips[i];
			bool ret = a.kind == TRC_URETPROBE;
			int *n = ret ? &p->nret : &p->nentry;

			if (*n == MAX_PROGS) {
				err = exo_err(E2BIG, "%s: more than %d programs on one uprobe",
					      exobpf_program__name(prog), MAX_PROGS);
				break;
			}
			(ret ? p->ret : p->entry)[(*n)++] = exobpf_program__prog(prog);
			if (!exobpf_program__prog(prog)) {
				err = exo_err(EINVAL, "program %s: not loaded",
					      exobpf_program__name(prog));
				break;
			}
		}
	}
	u->nips = u->npts;
	if (!err && !u->npts)
		err = exo_err(ENOENT, "%s: no uprobe program to attach", exobpf_object__name(obj));
	if (!err && !(addrs = calloc(u->npts, sizeof(*addrs))))
		err = exo_err(ENOMEM, "out of memory");
	if (!err) {
		struct locate_ctx c = {u, addrs};
		err = trc_points_locate(getpid(), u->pts, u->npts, found, &c);
	}
	for (size_t i = 0; !err && i < u->npts; i++) {
		if (!addrs[i]) {
			err = exo_err(ENOENT, "%s:%s: not mapped in this process", u->pts[i].path,
				      u->pts[i].func);
			break;
		}
		u->ips[i].addr = addrs[i];
		err = patch(u, &u->ips[i], &u->pts[i]);
	}
	free(addrs);
	if (err) {
		exobpf_uprobes__detach(u);
		errno = -err;
		return NULL;
	}
	return u;
}
