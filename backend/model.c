/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The model back end: runs scenario statements on a struct machine. Task
 * steps live in model_task.c; this file has setup, system steps, page
 * references and the facts the driver asks for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/huge_mm.h"
#include "memfail/ksm.h"
#include "model.h"

static struct model *MO(struct mf_backend *be)
{
	return be->priv;
}

enum fs_type mb_fs_type(int fs)
{
	if (MF_FS_IS_PMEM(fs))
		return FS_DAX;
	return fs == MF_FS_TMPFS ? FS_TMPFS : fs == MF_FS_HUGETLBFS ? FS_HUGETLBFS : FS_DISK;
}

struct mb_proc *mb_proc(struct model *mo, const char *name)
{
	int i;

	for (i = 0; i < mo->nproc; i++)
		if (!strcmp(mo->procs[i].name, name))
			return &mo->procs[i];
	return NULL;
}

struct mb_region *mb_region(struct mb_proc *p, const char *name)
{
	int i;

	for (i = 0; p && i < p->nreg; i++)
		if (!strcmp(p->reg[i].name, name))
			return &p->reg[i];
	return NULL;
}

struct task_struct *mb_thread(struct model *mo, const char *task, const char *thread)
{
	char full[2 * MF_NAME_MAX];
	int i;

	if (!thread[0] || !strcmp(thread, "main"))
		snprintf(full, sizeof(full), "%s", task);
	else
		snprintf(full, sizeof(full), "%s.%s", task, thread);
	for (i = 0; i < mo->nthread; i++)
		if (!strcmp(mo->threads[i].name, full))
			return mo->threads[i].t;
	return NULL;
}

static int set_sysctl(struct machine *m, const char *key, const char *val, char *msg, size_t len)
{
	char *end;
	long v = strtol(val, &end, 0);

	if (!strncmp(key, "vm.dirty_", 9))
		return 0;	/* write-back happens only when a scenario asks for it */
	if (!strncmp(key, "memfail.", 8)) {
		/* model-only knobs (docs/scenario-language.md, "memfail extensions") */
		int err = mb_dax_sysctl(m, key, val);

		if (err == -ENOENT)
			err = memfail_sysctl_set(m, key, val);
		if (err)
			snprintf(msg, len, "sysctl %s=%s: %s", key, val,
				 err == -ENOENT ? "no such memfail knob" : "bad value");
		return err ? -1 : 0;
	}
	if (*end || v < 0 || v > 1) {
		snprintf(msg, len, "sysctl %s=%s: expected 0 or 1", key, val);
		return -1;
	}
	if (!strcmp(key, "vm.memory_failure_early_kill"))
		m->sysctl_memory_failure_early_kill = (int)v;
	else if (!strcmp(key, "vm.memory_failure_recovery"))
		m->sysctl_memory_failure_recovery = (int)v;
	else {
		snprintf(msg, len, "sysctl %s: not modelled", key);
		return -1;
	}
	return 0;
}

static int model_start(struct mf_backend *be, const struct mf_scenario *sc, struct mf_result *res)
{
	struct model *mo = MO(be);
	struct machine_config cfg = { sc->machine.memory, sc->machine.swap, sc->machine.nodes, be->seed };
	int i;

	if (machine_create(&cfg, &mo->m, res->msg, sizeof(res->msg))) {
		res->kind = MF_RES_ERROR;
		return -1;
	}
	if (mb_dax_start(mo, sc, res->msg, sizeof(res->msg))) {
		res->kind = MF_RES_ERROR;
		return -1;
	}
	mo->m->thp.enabled = sc->machine.thp;
	mo->m->thp.shmem_huge = sc->machine.shmem_thp;	/* never, advise, within_size, always */
	if (hugetlb_set_pool(mo->m, (uint64_t)sc->machine.hugepages, (uint64_t)sc->machine.overcommit)) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "machine hugepages=%ld: not enough memory",
			 sc->machine.hugepages);
		return -1;
	}
	for (i = 0; i < sc->nsysctl; i++) {
		if (set_sysctl(mo->m, sc->sysctl[i].key, sc->sysctl[i].val, res->msg, sizeof(res->msg))) {
			res->kind = MF_RES_ERROR;
			return -1;
		}
	}
	mo->m->log.read_pos = mo->m->log.len;
	return 0;
}

static void fill_file(struct model *mo, const struct mf_stmt *st, struct inode *inode, struct mf_result *res)
{
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	uint8_t buf[PAGE_SIZE];
	uint64_t off;

	if (!f)
		return;
	if (st->fstate != MF_FILE_HOLE) {
		for (off = 0; off < st->size; off += PAGE_SIZE) {
			uint8_t b = st->pat.kind == MF_PAT_BYTE ? st->pat.byte : (uint8_t)((off >> PAGE_SHIFT) + 1);
			memset(buf, b, sizeof(buf));
			long n = fs_pwrite(f, buf, st->size - off < PAGE_SIZE ? st->size - off : PAGE_SIZE, off);
			if (n < 0) {	/* e.g. ENOSPC: the tmpfs size limit; the runner's write fails too */
				res->kind = MF_RES_ERRNO;
				res->err = (int)-n;
				fput(f);
				return;
			}
		}
	}
	if (st->fstate == MF_FILE_SYNCED || st->fstate == MF_FILE_UNCACHED)
		fs_fsync(f, false);
	fput(f);
	if (st->fstate == MF_FILE_UNCACHED) {
		lru_add_drain(mo->m);
		truncate_inode_pages_range(&inode->i_data, 0, UINT64_MAX);
	}
}

/* hugetlbfs has no write(2): the runner fills it through a shared mapping. */
static void fill_hugetlbfs(const struct mf_stmt *st, struct inode *inode, struct mf_result *res)
{
	uint64_t off;

	if (st->fstate == MF_FILE_HOLE)
		return;
	for (off = 0; off < st->size; off += PAGE_SIZE) {
		struct page *head = hugetlbfs_get_page(inode, off >> HUGETLB_PAGE_SHIFT);
		uint8_t b = st->pat.kind == MF_PAT_BYTE ? st->pat.byte : (uint8_t)((off >> PAGE_SHIFT) + 1);
		if (!head) {
			res->kind = MF_RES_ERROR;
			snprintf(res->msg, sizeof(res->msg), "file %s: no free huge page", st->file);
			return;
		}
		memset(page_data_w(inode->m, head + ((off >> PAGE_SHIFT) & (HPAGE_PMD_NR - 1))), b, PAGE_SIZE);
		put_page(inode->m, head);
	}
}

static void exec_decl(struct model *mo, const struct mf_stmt *st, struct mf_result *res)
{
	struct machine *m = mo->m;

	switch (st->op) {
	case MF_OP_FILE: {
		struct inode *inode;
		if (MF_FS_IS_PMEM(st->fs)) {
			mb_dax_file_decl(mo, st, res);
			return;
		}
		inode = fs_create(m, mb_fs_type(st->fs),
				  st->file, st->fstate == MF_FILE_HOLE || st->fs == MF_FS_HUGETLBFS ? st->size : 0);
		if (!inode) {
			res->kind = MF_RES_ERROR;
			snprintf(res->msg, sizeof(res->msg), "cannot create file %s", st->file);
			return;
		}
		if (st->fs == MF_FS_HUGETLBFS)
			fill_hugetlbfs(st, inode, res);
		else
			fill_file(mo, st, inode, res);
		return;
	}
	case MF_OP_TASK: {
		struct mb_proc *p = &mo->procs[mo->nproc], *parent = st->parent[0] ? mb_proc(mo, st->parent) : NULL;
		struct task_struct *t;
		if (mo->nproc == MB_MAX || mo->nthread == MB_MAX)
			goto toomany;
		memset(p, 0, sizeof(*p));
		t = parent ? task_fork(parent->leader, st->task) : task_create(m, st->task);
		if (!t) {
			res->kind = MF_RES_ERROR;
			snprintf(res->msg, sizeof(res->msg), "cannot create task %s", st->task);
			return;
		}
		if (parent) {
			memcpy(p->reg, parent->reg, sizeof(p->reg));
			p->nreg = parent->nreg;
			memcpy(p->fds, parent->fds, sizeof(p->fds));
			p->nfd = parent->nfd;
			memcpy(p->pins, parent->pins, sizeof(p->pins));
			p->npin = parent->npin;
		}
		t->signal->sigbus = st->sigbus_default ? SIG_DEFAULT : (parent ? t->signal->sigbus : SIG_HANDLER);
		snprintf(p->name, sizeof(p->name), "%s", st->task);
		p->leader = t;
		mo->nproc++;
		mo->threads[mo->nthread++] = (struct mb_thread){ "", t, p };
		snprintf(mo->threads[mo->nthread - 1].name, sizeof(mo->threads[0].name), "%s", st->task);
		return;
	}
	case MF_OP_THREAD: {
		struct mb_proc *p = mb_proc(mo, st->task);
		struct task_struct *t;
		if (mo->nthread == MB_MAX)
			goto toomany;
		t = thread_create(p->leader, p->leader->comm);
		if (!t)
			goto toomany;
		mo->threads[mo->nthread] = (struct mb_thread){ "", t, p };
		snprintf(mo->threads[mo->nthread].name, sizeof(mo->threads[0].name), "%s.%s", st->task, st->thread);
		mo->nthread++;
		return;
	}
	case MF_OP_SYSCTL:
		if (set_sysctl(m, st->sysctl_key, st->sysctl_val, res->msg, sizeof(res->msg)))
			res->kind = MF_RES_ERROR;
		return;
	default:
		return;
	}
toomany:
	res->kind = MF_RES_ERROR;
	snprintf(res->msg, sizeof(res->msg), "more than %d tasks or threads", MB_MAX);
}

static void set_errno(struct mf_result *res, int ret)
{
	if (ret < 0) {
		res->kind = MF_RES_ERRNO;
		res->err = -ret;
	} else {
		res->kind = MF_RES_OK;
	}
}

static void exec_system(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns, struct mf_result *res)
{
	struct machine *m = mo->m;
	struct task_struct *t;

	switch (st->op) {
	case MF_OP_CORRUPT_PFN:
		set_errno(res, hwpoison_inject_corrupt_pfn(m, pfns[0]));
		break;
	case MF_OP_UNPOISON:
		set_errno(res, hwpoison_inject_unpoison_pfn(m, pfns[0]));
		break;
	case MF_OP_HARD_OFFLINE:
		set_errno(res, sysfs_hard_offline_page(m, pfns[0] << PAGE_SHIFT));
		break;
	case MF_OP_SOFT_OFFLINE:
		set_errno(res, sysfs_soft_offline_page(m, pfns[0] << PAGE_SHIFT));
		break;
	case MF_OP_FILTER_ENABLE:
		m->filter.enable = true;
		m->filter.flags_mask = st->flags_mask;
		m->filter.flags_value = st->flags_value;
		break;
	case MF_OP_FILTER_DISABLE:
		m->filter.enable = false;
		m->filter.flags_mask = m->filter.flags_value = 0;
		break;
	case MF_OP_MCE_SRAO:
		memory_failure_queue(m, pfns[0], 0);
		memory_failure_work(m);
		break;
	case MF_OP_MCE_SRAR:
		t = mb_thread(mo, st->ref.task, "");
		if (!t || t->signal->dead) {
			res->kind = MF_RES_ERROR;
			snprintf(res->msg, sizeof(res->msg), "mce srar: task %s is not alive", st->ref.task);
			return;
		}
		printk(m, KERN_ERR, "Uncorrected hardware memory error in user-access at %llx",
		       (unsigned long long)(pfns[0] << PAGE_SHIFT));
		mce_srar(m, t, pfns[0]);
		break;
	case MF_OP_SYNC:
		sync_all(m);
		break;
	case MF_OP_KSM_SCAN:
		set_errno(res, ksm_run_scans(m, 2) < 0 ? -ENOMEM : 0);
		break;
	case MF_OP_DROP_CACHES:
		lru_add_drain(m);
		drop_caches(m, st->drop_caches);
		break;
	case MF_OP_REFLINK:
		set_errno(res, mb_dax_reflink(mo, st));
		break;
	case MF_OP_RECLAIM:
		set_errno(res, reclaim_page(m, pfn_to_page(m, pfns[0])));
		break;
	default:
		break;
	}
}

static void collect_events(struct model *mo, const struct mf_stmt *st, int sig_from, struct mf_result *res,
			   struct mf_events *evs)
{
	struct machine *m = mo->m;
	const char *line;
	int i, level;

	while ((line = printk_next_line(m, &level))) {
		struct mf_event e = { .kind = MF_EV_LOG };
		snprintf(e.text, sizeof(e.text), "%s", line);
		mf_events_push(evs, &e);
	}
	for (i = sig_from; i < m->nr_sigs; i++) {
		struct mf_event e = { .kind = MF_EV_SIGNAL, .tid = m->sigs[i].tid };
		e.sig = (struct mf_siginfo){ m->sigs[i].info.si_signo, m->sigs[i].info.si_code,
					     m->sigs[i].info.si_addr, m->sigs[i].info.si_addr_lsb };
		mf_events_push(evs, &e);
	}
	m->nr_sigs = 0;
	for (i = 0; i < mo->nproc; i++) {
		struct mb_proc *p = &mo->procs[i];
		struct signal_struct *sig = p->leader->signal;
		struct mf_event e = { .tid = p->leader->pid };
		if (!sig->dead || p->reported_dead)
			continue;
		p->reported_dead = true;
		if (!st->is_expect && st->task[0] && !strcmp(st->task, p->name) && res->kind == MF_RES_KILLED)
			continue;	/* the stepping task: its result says it */
		e.kind = sig->exit_signal ? MF_EV_KILLED : MF_EV_EXITED;
		e.sig.signo = sig->exit_signal;
		e.exit_code = sig->exit_code;
		if (!(e.kind == MF_EV_EXITED && st->op == MF_OP_EXIT && !strcmp(st->task, p->name)))
			mf_events_push(evs, &e);
	}
	if (m->panicked) {
		struct mf_event e = { .kind = MF_EV_PANIC };
		snprintf(e.text, sizeof(e.text), "the machine panicked");
		mf_events_push(evs, &e);
	}
}

static void model_exec(struct mf_backend *be, const struct mf_stmt *st, const uint64_t *pfns, int nr,
		       struct mf_result *res, struct mf_events *evs)
{
	struct model *mo = MO(be);

	memset(res, 0, sizeof(*res));
	res->kind = MF_RES_OK;
	if (mo->m->panicked) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "the machine panicked (vm.memory_failure_recovery=0)");
		return;
	}
	if (st->is_expect)
		;
	else if (st->op <= MF_OP_SYSCTL)
		exec_decl(mo, st, res);
	else if (st->op <= MF_OP_UNLINK)
		mb_exec_task_step(mo, st, pfns, nr, res);
	else
		exec_system(mo, st, pfns, res);
	collect_events(mo, st, 0, res, evs);
	if (mo->m->oom_stop) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg),
			 "out of modelled memory in %s: Linux would reclaim or run the OOM killer, which the model does not (give the machine more memory=)",
			 mo->m->oom_stop);
		return;
	}
	if (mo->check && res->kind != MF_RES_ERROR) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		int bad = f ? check_invariants(mo->m, f) : 0;
		if (f)
			fclose(f);
		if (bad) {
			res->kind = MF_RES_ERROR;
			snprintf(res->msg, sizeof(res->msg), "invariant violated: %s", buf ? buf : "?");
		}
		free(buf);
	}
}

static int model_resolve(struct mf_backend *be, const struct mf_pageref *ref, uint64_t *pfn, char *msg,
			 size_t len)
{
	struct model *mo = MO(be);
	struct machine *m = mo->m;

	switch (ref->kind) {
	case MF_PREF_TASK: {
		struct mb_proc *p = mb_proc(mo, ref->task);
		struct mb_region *r = mb_region(p, ref->addr.region);
		struct vm_area_struct *vma;
		struct page *page;
		bool hwp;
		if (!r || !p->leader->mm || !(vma = find_vma(p->leader->mm, r->addr + ref->addr.off)) ||
		    !(page = follow_page(vma, r->addr + ref->addr.off, &hwp)) ||
		    (hwp && (vma->vm_flags & VM_HUGETLB))) {
			/* pagemap shows a hugetlb hwpoison entry as nothing (fs/proc_task_mmu.c) */
			snprintf(msg, len, "nothing mapped at %s:%s+0x%llx", ref->task, ref->addr.region,
				 (unsigned long long)ref->addr.off);
			return -1;
		}
		*pfn = page_to_pfn(m, page);
		return 0;
	}
	case MF_PREF_PMEM:
		return mb_dax_resolve(mo, ref, pfn, msg, len);
	case MF_PREF_FILE: {
		struct inode *inode = fs_lookup(m, mb_fs_type(ref->fs), ref->file);
		struct page *page;
		if (MF_FS_IS_PMEM(ref->fs))
			return mb_dax_resolve(mo, ref, pfn, msg, len);
		page = inode ? xa_load(&inode->i_data.i_pages, ref->file_off >> PAGE_SHIFT) : NULL;
		if (!page || xa_is_value(page)) {
			snprintf(msg, len, "no page-cache page at file %s+%#llx", ref->file,
				 (unsigned long long)ref->file_off);
			return -1;
		}
		if (PageTransHuge(page))	/* a shmem THP: the 4K page of that offset */
			page += (ref->file_off >> PAGE_SHIFT) - page->index;
		*pfn = page_to_pfn(m, page);
		return 0;
	}
	case MF_PREF_FREE: {
		struct page *page = find_free_page(m);
		if (!page) {
			snprintf(msg, len, "no free page");
			return -1;
		}
		*pfn = page_to_pfn(m, page);
		return 0;
	}
	case MF_PREF_KERNEL:
		*pfn = m->reserved_end / 2;
		return 0;
	case MF_PREF_METADATA:
	case MF_PREF_METADATA_BUSY: {
		struct page *page = bdev_read_metadata(m, ref->kind == MF_PREF_METADATA_BUSY);
		if (!page) {
			snprintf(msg, len, "no memory for a metadata page");
			return -1;
		}
		*pfn = page_to_pfn(m, page);
		return 0;
	}
	case MF_PREF_SLAB:
		if (!mo->slab_pfn) {
			struct page *page = slab_alloc_page(m);
			if (!page) {
				snprintf(msg, len, "no memory for a slab page");
				return -1;
			}
			mo->slab_pfn = (uint32_t)page_to_pfn(m, page);
		}
		*pfn = mo->slab_pfn;
		return 0;
	case MF_PREF_FREE_HUGE: {
		struct page *page = find_free_huge_page(m);
		if (!page) {
			snprintf(msg, len, "no free huge page");
			return -1;
		}
		*pfn = page_to_pfn(m, page);
		return 0;
	}
	default:
		snprintf(msg, len, "page reference kind %d: not supported", (int)ref->kind);
		return -1;
	}
}

static uint64_t model_hwcorrupt(struct mf_backend *be)
{
	return MO(be)->m->num_poisoned_pages * 4;
}

static int model_kpageflags(struct mf_backend *be, uint64_t pfn, uint64_t *flags)
{
	if (!pfn_valid(MO(be)->m, pfn))
		return -1;
	lru_add_drain(MO(be)->m);	/* reading kpageflags drains nothing, but page-types does */
	*flags = stable_page_flags(MO(be)->m, pfn);
	return 0;
}

static int model_hugepages(struct mf_backend *be, long *free_, long *total)
{
	struct hstate *h = &MO(be)->m->hstate;

	*free_ = (long)h->free_huge_pages;
	*total = (long)h->nr_huge_pages;
	return 0;
}

static enum mf_task_state model_task_state(struct mf_backend *be, const char *task, int *v)
{
	struct mb_proc *p = mb_proc(MO(be), task);

	if (!p)
		return MF_TASK_UNKNOWN;
	if (!p->leader->signal->dead)
		return MF_TASK_ALIVE;
	if (p->leader->signal->exit_signal) {
		*v = p->leader->signal->exit_signal;
		return MF_TASK_KILLED;
	}
	*v = p->leader->signal->exit_code;
	return MF_TASK_EXITED;
}

static const char *model_name_of_tid(struct mf_backend *be, int tid)
{
	struct model *mo = MO(be);
	int i;

	for (i = 0; i < mo->nthread; i++)
		if (mo->threads[i].t->pid == tid)
			return mo->threads[i].name;
	return NULL;
}

static int model_tid_of(struct mf_backend *be, const char *task, const char *thread)
{
	struct task_struct *t = mb_thread(MO(be), task, thread);

	return t ? t->pid : -1;
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
	return MO(be)->m->log.buf ? MO(be)->m->log.buf : "";
}

static void model_dump_state(struct mf_backend *be, void *file)
{
	machine_dump_state(MO(be)->m, file);
}

static void model_destroy(struct mf_backend *be)
{
	machine_destroy(MO(be)->m);
	free(be->priv);
	free(be);
}

static const struct mf_backend_ops model_ops = {
	.name = "model",
	.model_only_ok = true,
	.start = model_start,
	.exec = model_exec,
	.resolve = model_resolve,
	.hardware_corrupted_kb = model_hwcorrupt,
	.kpageflags = model_kpageflags,
	.hugepages = model_hugepages,
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
	struct mf_backend *be = calloc(1, sizeof(*be));
	struct model *mo = calloc(1, sizeof(*mo));

	if (!be || !mo) {
		free(be);
		free(mo);
		return NULL;
	}
	mo->check = check_invariants;
	be->ops = &model_ops;
	be->priv = mo;
	be->seed = seed;
	be->check_invariants = check_invariants;
	return be;
}
