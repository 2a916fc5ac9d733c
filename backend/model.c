// SPDX-License-Identifier: GPL-2.0-only
/*
 * The model back end: translates scenario statements into calls of the public
 * API (memfail/memfail.h). Setup, declarations, system steps, page references
 * and the facts the driver asks for live here; task steps in model_task.c.
 * Statements are dispatched through one table indexed by enum mf_op.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/memfail.h"
#include "model.h"

static struct model *MO(struct mf_backend *be)
{
	return be->priv;
}

void mb_set_errno(struct mf_result *res, long ret, bool value)
{
	if (ret < 0) {
		res->kind = MF_RES_ERRNO;
		res->err = (int)-ret;
	} else if (value) {
		res->kind = MF_RES_VALUE;
		res->value = ret;
	} else {
		res->kind = MF_RES_OK;
	}
}

static void set_error(struct mf_result *res, const char *what)
{
	res->kind = MF_RES_ERROR;
	snprintf(res->msg, sizeof(res->msg), "%s", what);
}

void mb_path(char *buf, size_t len, int fs, const char *file)
{
	static const char *const prefix[] = {
		[MF_FS_DISK] = "disk", [MF_FS_TMPFS] = "tmpfs", [MF_FS_HUGETLBFS] = "hugetlbfs",
	};

	snprintf(buf, len, "%s:%s", MF_FS_IS_PMEM(fs) ? "pmem" : prefix[fs], file);
}

struct mb_proc *mb_proc(struct model *mo, const char *name)
{
	int i = mb_names_get(&mo->proc_idx, name);

	return i < 0 ? NULL : mo->procs[i];
}

struct mb_region *mb_region(struct mb_proc *p, const char *name)
{
	int i = p ? mb_names_get(&p->reg_idx, name) : -1;

	return i < 0 ? NULL : &p->reg[i];
}

int mb_tid(struct model *mo, const char *task, const char *thread)
{
	char full[2 * MF_NAME_MAX];
	int i;

	if (!thread[0] || !strcmp(thread, "main"))
		snprintf(full, sizeof(full), "%s", task);
	else
		snprintf(full, sizeof(full), "%s.%s", task, thread);
	i = mb_names_get(&mo->thread_idx, full);
	return i < 0 ? -1 : mo->threads[i].tid;
}

static struct mb_thread *thread_of_tid(struct model *mo, int tid)
{
	char key[16];
	int i;

	snprintf(key, sizeof(key), "%d", tid);
	i = mb_names_get(&mo->tid_idx, key);
	return i < 0 ? NULL : &mo->threads[i];
}

/* ---- start ---------------------------------------------------------------------------------- */

/* The pmem filesystem: the kind of the scenario's first pmem file. */
static int pmem_fs(const struct mf_scenario *sc)
{
	int i;

	for (i = 0; i < sc->nstmt; i++) {
		const struct mf_stmt *st = &sc->stmt[i];

		if (st->is_expect || st->op != MF_OP_FILE || !MF_FS_IS_PMEM(st->fs))
			continue;
		return st->fs == MF_FS_PMEM_EXT4 ? MF_PMEM_FS_EXT4 :
		       st->fs == MF_FS_PMEM_XFS ? MF_PMEM_FS_XFS : MF_PMEM_FS_XFS_NORMAP;
	}
	return MF_PMEM_FS_NONE;
}

/* The checks of what changed start from the machine as boot left it (its frames are walked at the end). */
static int check_begin(struct model *mo, struct mf_result *res)
{
	char *report = NULL;
	int bad = mf_check_invariants_mode(mo->m, MF_CHECK_BEGIN, &report);

	if (bad) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "invariant violated at boot: %s", report ? report : "?");
	}
	free(report);
	return bad ? -1 : 0;
}

static int model_start(struct mf_backend *be, const struct mf_scenario *sc, struct mf_result *res)
{
	struct model *mo = MO(be);
	enum mf_kernel kernel = MF_KERNEL_6_1;	/* the parser took only releases memfail has */
	struct mf_machine_desc d = {
		.kernel = mf_kernel_from_release(sc->kernel, &kernel) ? MF_KERNEL_6_1 : kernel,
		.memory = sc->machine.memory, .swap = sc->machine.swap,
		.nodes = sc->machine.nodes, .hugepages = sc->machine.hugepages,
		.overcommit_hugepages = sc->machine.overcommit, .thp = sc->machine.thp,
		.shmem_thp = sc->machine.shmem_thp, .pmem = sc->machine.pmem,
		.pmem_fs = sc->machine.pmem ? pmem_fs(sc) : MF_PMEM_FS_NONE, .seed = be->seed,
	};
	int i, err;

	if (mf_machine_create(&d, &mo->m, res->msg, sizeof(res->msg))) {
		res->kind = MF_RES_ERROR;
		return -1;
	}
	if (mo->check && !be->check_full && check_begin(mo, res))
		return -1;
	for (i = 0; i < sc->nsysctl; i++) {
		err = mf_sysctl_set(mo->m, sc->sysctl[i].key, sc->sysctl[i].val);
		if (err) {
			mb_sysctl_msg(res, sc->sysctl[i].key, sc->sysctl[i].val, err);
			return -1;
		}
	}
	mf_log_skip(mo->m);
	mo->last = sc->nstmt ? &sc->stmt[sc->nstmt - 1] : NULL;
	return 0;
}

/* ---- system steps --------------------------------------------------------------------------- */

static void sys_pfn_step(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns,
			 struct mf_result *res)
{
	uint64_t pfn = pfns[0];

	switch (st->op) {
	case MF_OP_CORRUPT_PFN:
		mb_set_errno(res, mf_corrupt_pfn(mo->m, pfn), false);
		break;
	case MF_OP_UNPOISON:
		mb_set_errno(res, mf_unpoison_pfn(mo->m, pfn), false);
		break;
	case MF_OP_HARD_OFFLINE:
		mb_set_errno(res, mf_hard_offline(mo->m, pfn * MF_PAGE_SIZE), false);
		break;
	case MF_OP_SOFT_OFFLINE:
		mb_set_errno(res, mf_soft_offline(mo->m, pfn * MF_PAGE_SIZE), false);
		break;
	case MF_OP_RECLAIM:
		mb_set_errno(res, mf_reclaim(mo->m, pfn), false);
		break;
	case MF_OP_MCE_SRAO:
		mf_mce(mo->m, MF_MCE_AO, pfn, 0);
		break;
	default:	/* MF_OP_MCE_SRAR */
		if (mf_mce(mo->m, MF_MCE_AR, pfn, mb_tid(mo, st->ref.task, "")) == -ESRCH) {
			res->kind = MF_RES_ERROR;
			snprintf(res->msg, sizeof(res->msg), "mce srar: task %s is not alive", st->ref.task);
		}
		break;
	}
}

static void sys_filter(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns,
		       struct mf_result *res)
{
	struct mf_hwpoison_filter f;

	(void)pfns, (void)res;
	mf_filter_get(mo->m, &f);
	f.enable = st->op == MF_OP_FILTER_ENABLE;
	f.flags_mask = f.enable ? st->flags_mask : 0;
	f.flags_value = f.enable ? st->flags_value : 0;
	mf_filter_set(mo->m, &f);
}

static void sys_misc(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns,
		     struct mf_result *res)
{
	char src[MF_PATH_MAX + 16], dst[MF_PATH_MAX + 16];

	(void)pfns;
	switch (st->op) {
	case MF_OP_SYNC:
		mf_sync(mo->m);
		break;
	case MF_OP_DROP_CACHES:
		mf_drop_caches(mo->m, st->drop_caches);
		break;
	case MF_OP_KSM_SCAN:
		mb_set_errno(res, mf_ksm_scan(mo->m, 2), false);
		break;
	case MF_OP_SWAPOFF:
		mb_set_errno(res, mf_swapoff(mo->m), false);
		break;
	default:	/* MF_OP_REFLINK */
		snprintf(src, sizeof(src), "pmem:%s", st->file);
		snprintf(dst, sizeof(dst), "pmem:%s", st->file2);
		mb_set_errno(res, mf_reflink(mo->m, src, st->offset, dst, st->offset2, st->size), false);
		break;
	}
}

static void nothing(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns,
		    struct mf_result *res)
{
	(void)mo, (void)st, (void)pfns, (void)res;
}

typedef void mb_exec_fn(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns,
			struct mf_result *res);

/* Every statement kind: declarations and system steps here, task steps in model_task.c. */
static mb_exec_fn *const exec_op[MF_OP__COUNT] = {
	[MF_OP_FILE] = mb_decl_file, [MF_OP_TASK] = mb_decl_task, [MF_OP_THREAD] = mb_decl_thread,
	[MF_OP_SYSCTL] = mb_decl_sysctl,
	[MF_OP_CORRUPT_PFN] = sys_pfn_step, [MF_OP_UNPOISON] = sys_pfn_step,
	[MF_OP_HARD_OFFLINE] = sys_pfn_step, [MF_OP_SOFT_OFFLINE] = sys_pfn_step,
	[MF_OP_MCE_SRAO] = sys_pfn_step, [MF_OP_MCE_SRAR] = sys_pfn_step,
	[MF_OP_RECLAIM] = sys_pfn_step,
	[MF_OP_FILTER_ENABLE] = sys_filter, [MF_OP_FILTER_DISABLE] = sys_filter,
	[MF_OP_SYNC] = sys_misc, [MF_OP_DROP_CACHES] = sys_misc, [MF_OP_KSM_SCAN] = sys_misc,
	[MF_OP_SWAPOFF] = sys_misc,
	[MF_OP_REFLINK] = sys_misc, [MF_OP_LABEL] = nothing,
};

/* ---- events --------------------------------------------------------------------------------- */

/*
 * The signals of a step in the kernel's send order (docs/scenario-language.md):
 * the model delivers in the order its kill lists send, and the real runner
 * sorts what it collected by the kernel's "Sending SIGBUS to" lines.
 */
static void collect_signals(struct model *mo, struct mf_events *evs)
{
	struct mf_sig s;

	while (mf_signal_next(mo->m, &s) == 1) {
		struct mf_event e = { .kind = MF_EV_SIGNAL, .tid = s.tid };

		e.sig = (struct mf_siginfo){ s.signo, s.code, s.addr, s.lsb };
		mf_events_push(evs, &e);
	}
}

static void collect_events(struct model *mo, const struct mf_stmt *st, struct mf_result *res,
			   struct mf_events *evs)
{
	const char *line;
	struct mf_death d;

	while ((line = mf_log_next(mo->m, NULL))) {
		struct mf_event e = { .kind = MF_EV_LOG };
		snprintf(e.text, sizeof(e.text), "%s", line);
		mf_events_push(evs, &e);
	}
	collect_signals(mo, evs);
	while (mf_death_next(mo->m, &d) == 1) {
		struct mb_thread *t = thread_of_tid(mo, d.pid);
		bool stepping = t && !st->is_expect && st->task[0] && !strcmp(st->task, t->proc->name);
		struct mf_event e = { .kind = d.signo ? MF_EV_KILLED : MF_EV_EXITED, .tid = d.pid };

		if (stepping && res->kind == MF_RES_KILLED)
			continue;	/* the stepping task: its result says it */
		e.sig.signo = d.signo;
		e.exit_code = d.code;
		if (!(e.kind == MF_EV_EXITED && st->op == MF_OP_EXIT && stepping))
			mf_events_push(evs, &e);
	}
	if (mf_machine_panicked(mo->m) == 1) {
		struct mf_event e = { .kind = MF_EV_PANIC };
		snprintf(e.text, sizeof(e.text), "the machine panicked");
		mf_events_push(evs, &e);
	}
	if (mf_machine_oops(mo->m) && !mo->oops_told) {
		struct mf_event e = { .kind = MF_EV_OOPS };
		snprintf(e.text, sizeof(e.text), "%s", mf_machine_oops(mo->m));
		mf_events_push(evs, &e);
		mo->oops_told = true;
	}
}

/* After an oops the dead task may hold mf_mutex: as the real runner, enter none of this. */
static bool enters_memory_failure(const struct mf_stmt *st)
{
	return !st->is_expect &&
	       (st->op == MF_OP_CORRUPT_PFN || st->op == MF_OP_UNPOISON ||
		st->op == MF_OP_HARD_OFFLINE || st->op == MF_OP_SOFT_OFFLINE ||
		(st->op == MF_OP_MADVISE &&
		 (st->madv == MF_MADV_HWPOISON || st->madv == MF_MADV_SOFT_OFFLINE)));
}

/*
 * MEMFAIL_RESTORE_CHECK=1 (make check's restore pass): before each step,
 * checkpoint, change the machine behind the scenario's back (a process that
 * maps and writes memory, a machine check on a free page), restore in place.
 * The run's trace must not change.
 */
static void restore_check(struct model *mo)
{
	struct mf_checkpoint *cp;
	uint64_t addr, pfn;
	int pid;

	/* inside a concurrently block the other contexts are suspended mid-call: no reset */
	if (mf_sched_active() || mf_checkpoint(mo->m, &cp))
		return;
	pid = mf_task_create(mo->m, "detour", 0);
	if (pid > 0 && !mf_mmap(mo->m, pid, 1 << 16, MF_PROT_READ | MF_PROT_WRITE,
				MF_MAP_PRIVATE | MF_MAP_ANONYMOUS, -1, 0, &addr))
		mf_store(mo->m, pid, addr, 1, NULL);
	if (!mf_find_page(mo->m, MF_PAGE_FREE, &pfn))
		mf_mce(mo->m, MF_MCE_AO, pfn, 0);
	if (mf_restore_into(mo->m, cp))
		abort();
	mf_checkpoint_free(cp);
}

static void model_exec(struct mf_backend *be, const struct mf_stmt *st, const uint64_t *pfns, int nr,
		       struct mf_result *res, struct mf_events *evs)
{
	struct model *mo = MO(be);

	(void)nr;
	if (mo->restore_check)
		restore_check(mo);
	memset(res, 0, sizeof(*res));
	res->kind = MF_RES_OK;
	if (mf_machine_panicked(mo->m) == 1) {
		set_error(res, "the machine panicked (vm.memory_failure_recovery=0)");
		return;
	}
	if (mf_machine_oops(mo->m) && enters_memory_failure(st)) {
		snprintf(res->msg, sizeof(res->msg), "not run: the kernel oopsed in %s "
			 "(memory_failure's mutex may be held)", mf_machine_oops(mo->m));
		res->kind = MF_RES_ERROR;
		return;
	}
	/* the statement table's class says who runs it: a task, or the machine */
	if (st->is_expect)
		;
	else if (mf_op_class(st->op) == MF_CLASS_TASK)
		mb_exec_task_step(mo, st, res);
	else if (exec_op[st->op])
		exec_op[st->op](mo, st, pfns, res);
	collect_events(mo, st, res, evs);
	/*
	 * Mid-block the other contexts may be half-way: the block checks at its
	 * end. An expect only reads: the next check of what changed still sees
	 * everything since the last one (the write tracking accumulates).
	 */
	bool full = be->check_full || st == mo->last;

	if (mo->check && res->kind != MF_RES_ERROR && !mf_sched_active() && (full || !st->is_expect)) {
		char *report = NULL;

		/* what the step changed; everything with --check-invariants=full and at the end */
		if (mf_check_invariants_mode(mo->m, full ? MF_CHECK_FULL : MF_CHECK_CHANGED, &report)) {
			res->kind = MF_RES_ERROR;
			snprintf(res->msg, sizeof(res->msg), "invariant violated: %s", report ? report : "?");
		}
		free(report);
	}
	/* out of memory on the host: the machine is unusable and says why */
	if (mf_machine_panicked(mo->m) < 0) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "%s", mf_errmsg(mo->m));
	}
}

/* ---- page references ------------------------------------------------------------------------ */

static int resolve_fail(char *msg, size_t len, const char *fmt, const char *a, uint64_t off)
{
	snprintf(msg, len, fmt, a, (unsigned long long)off);
	return -1;
}

static int model_resolve(struct mf_backend *be, const struct mf_pageref *ref, uint64_t *pfn, char *msg,
			 size_t len)
{
	static const int page_kind[] = {
		[MF_PREF_FREE] = MF_PAGE_FREE, [MF_PREF_FREE_HUGE] = MF_PAGE_FREE_HUGE,
		[MF_PREF_KERNEL] = MF_PAGE_KERNEL, [MF_PREF_SLAB] = MF_PAGE_SLAB,
		[MF_PREF_METADATA] = MF_PAGE_METADATA, [MF_PREF_METADATA_BUSY] = MF_PAGE_METADATA_BUSY,
	};
	static const char *const page_fail[] = {
		[MF_PREF_FREE] = "no free page", [MF_PREF_FREE_HUGE] = "no free huge page",
		[MF_PREF_KERNEL] = "no kernel page", [MF_PREF_SLAB] = "no memory for a slab page",
		[MF_PREF_METADATA] = "no memory for a metadata page",
		[MF_PREF_METADATA_BUSY] = "no memory for a metadata page",
	};
	struct model *mo = MO(be);
	char path[MF_PATH_MAX + 16];
	struct mb_proc *p;
	struct mb_region *r;

	switch (ref->kind) {
	case MF_PREF_TASK:
		p = mb_proc(mo, ref->task);
		r = mb_region(p, ref->addr.region);
		if (r && !mf_virt_to_pfn(mo->m, p->pid, r->addr + ref->addr.off, pfn))
			return 0;
		snprintf(msg, len, "nothing mapped at %s:%s+0x%llx", ref->task, ref->addr.region,
			 (unsigned long long)ref->addr.off);
		return -1;
	case MF_PREF_PMEM:
		if (!mf_pmem_pfn(mo->m, ref->file_off, pfn))
			return 0;
		return resolve_fail(msg, len, "pmem+%s%#llx: outside the pmem", "", ref->file_off);
	case MF_PREF_FILE:
		mb_path(path, sizeof(path), ref->fs, ref->file);
		if (!mf_file_pfn(mo->m, path, ref->file_off, pfn))
			return 0;
		return resolve_fail(msg, len, MF_FS_IS_PMEM(ref->fs) ? "no pmem block at file %s+%#llx" :
				    "no page-cache page at file %s+%#llx", ref->file, ref->file_off);
	case MF_PREF_FREE:
	case MF_PREF_FREE_HUGE:
	case MF_PREF_KERNEL:
	case MF_PREF_SLAB:
	case MF_PREF_METADATA:
	case MF_PREF_METADATA_BUSY:
		if (!mf_find_page(mo->m, page_kind[ref->kind], pfn))
			return 0;
		snprintf(msg, len, "%s", page_fail[ref->kind]);
		return -1;
	default:
		snprintf(msg, len, "page reference kind %d: not supported", (int)ref->kind);
		return -1;
	}
}

/* ---- facts ---------------------------------------------------------------------------------- */

static uint64_t model_hwcorrupt(struct mf_backend *be)
{
	struct mf_meminfo mi = { 0 };

	mf_meminfo(MO(be)->m, &mi);
	return mi.hardware_corrupted_kb;
}

static int model_kpageflags(struct mf_backend *be, uint64_t pfn, uint64_t *flags)
{
	return mf_kpageflags(MO(be)->m, pfn, flags) ? -1 : 0;
}

static int model_hugepages(struct mf_backend *be, long *free_, long *total)
{
	struct mf_meminfo mi = { 0 };

	mf_meminfo(MO(be)->m, &mi);
	*free_ = mi.hugepages_free;
	*total = mi.hugepages_total;
	return 0;
}

static int model_mf_stats(struct mf_backend *be, int node, uint64_t v[5])
{
	struct mf_node_mf_stats st;

	if (mf_node_mf_stats(MO(be)->m, node, &st))
		return -1;
	v[0] = st.total, v[1] = st.ignored, v[2] = st.failed, v[3] = st.delayed;
	v[4] = st.recovered;
	return 0;
}

static enum mf_task_state model_task_state(struct mf_backend *be, const char *task, int *v)
{
	struct mb_proc *p = mb_proc(MO(be), task);
	int st = p ? mf_proc_state(MO(be)->m, p->pid, v) : -ESRCH;

	return st == MF_PROC_ALIVE ? MF_TASK_ALIVE : st == MF_PROC_KILLED ? MF_TASK_KILLED :
	       st == MF_PROC_EXITED ? MF_TASK_EXITED : MF_TASK_UNKNOWN;
}

static const char *model_name_of_tid(struct mf_backend *be, int tid)
{
	struct mb_thread *t = thread_of_tid(MO(be), tid);

	return t ? t->name : NULL;
}

static int model_tid_of(struct mf_backend *be, const char *task, const char *thread)
{
	return mb_tid(MO(be), task, thread);
}

static uint64_t model_region_base(struct mf_backend *be, const char *task, const char *region)
{
	struct mb_region *r = mb_region(mb_proc(MO(be), task), region);

	return r ? r->addr : 0;
}

static bool model_addr_region(struct mf_backend *be, const char *task, uint64_t addr, char *region, size_t len,
			      uint64_t *off)
{
	struct mb_proc *p = mb_proc(MO(be), task);
	int i;

	for (i = 0; p && i < p->nreg; i++) {
		if (addr >= p->reg[i].addr && addr < p->reg[i].addr + p->reg[i].len) {
			snprintf(region, len, "%s", p->reg[i].name);
			*off = addr - p->reg[i].addr;
			return true;
		}
	}
	return false;
}

static const char *model_dmesg(struct mf_backend *be)
{
	return mf_log_text(MO(be)->m);
}

static void model_dump_state(struct mf_backend *be, void *file)
{
	mf_dump_state(MO(be)->m, file);
}

static void model_destroy(struct mf_backend *be)
{
	struct model *mo = MO(be);
	int i;

	mf_machine_destroy(mo->m);
	for (i = 0; i < mo->nproc; i++) {
		struct mb_proc *p = mo->procs[i];

		mb_names_free(&p->reg_idx);
		mb_names_free(&p->fd_idx);
		free(p->reg);
		free(p->fds);
		free(p->pins);
		free(p);
	}
	free(mo->procs);
	free(mo->threads);
	mb_names_free(&mo->proc_idx);
	mb_names_free(&mo->thread_idx);
	mb_names_free(&mo->tid_idx);
	free(mo);
	free(be);
}

static const struct mf_backend_ops model_ops = {
	.name = "model",
	.model_only_ok = true,
	.conc = &mb_conc_ops,
	.start = model_start,
	.exec = model_exec,
	.resolve = model_resolve,
	.hardware_corrupted_kb = model_hwcorrupt,
	.kpageflags = model_kpageflags,
	.hugepages = model_hugepages,
	.mf_stats = model_mf_stats,
	.task_state = model_task_state,
	.name_of_tid = model_name_of_tid,
	.tid_of = model_tid_of,
	.region_base = model_region_base,
	.addr_region = model_addr_region,
	.dmesg = model_dmesg,
	.dump_state = model_dump_state,
	.destroy = model_destroy,
};

struct mf_backend *mf_model_backend_new(uint64_t seed, bool check_invariants)
{
	struct mf_backend *be = xcalloc(1, sizeof(*be), "making the model back end");
	struct model *mo = xcalloc(1, sizeof(*mo), "making the model back end");

	mo->check = check_invariants;
	mo->restore_check = getenv("MEMFAIL_RESTORE_CHECK") != NULL;
	be->ops = &model_ops;
	be->priv = mo;
	be->seed = seed;
	be->check_invariants = check_invariants;
	return be;
}
