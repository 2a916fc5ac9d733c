// SPDX-License-Identifier: GPL-2.0-only
/*
 * whatif, one page: put into a fresh copy of the skeleton the page the
 * snapshot shows at a pfn, in the state its kpageflags word and the
 * processes' pagemaps show (who maps it, at which address; anonymous, file,
 * tmpfs, dirty or clean, mlocked, THP, KSM, swap cache, hugetlb, free,
 * kernel). The model allocates its own frames, so the page lands at another
 * pfn: whatif.mpfn is the translation, printed in the trace.
 */
#include <errno.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/kpageflags.h"
#include "memfail/whatif.h"

#define B(n) (1ULL << KPF_##n)

static const struct wi_vma *find_vma(const struct wi_proc *wp, uint64_t va)
{
	size_t lo = 0, hi = wp->nr_vmas;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (wp->vmas[mid].end <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == wp->nr_vmas || wp->vmas[lo].start > va || !wp->vmas[lo].mstart)
		return NULL;
	return &wp->vmas[lo];
}

static long fork_slot(const struct whatif *w, size_t proc)
{
	for (size_t i = 0; i < w->nr_forks; i++)
		if (w->fork_proc[i] == proc)
			return (long)i;
	return -1;
}

int wi_model_pid(const struct whatif *w, size_t proc)
{
	long f = fork_slot(w, proc);

	return f >= 0 ? w->fork_pid[f] : w->procs[proc].pid;
}

/* A fork shares the first mapper's layout: its page sits at the first's address. */
uint64_t wi_model_addr(const struct whatif *w, size_t proc, uint64_t va)
{
	const struct wi_vma *v;

	if (fork_slot(w, proc) >= 0) {
		const struct wi_mapper *first = &w->mappers[0];
		uint64_t off = va - (va & ~4095ULL);

		for (size_t i = 0; i < w->nr_mappers; i++)
			if (w->mappers[i].proc == proc)
				return wi_model_addr(w, first->proc, first->va & ~4095ULL) + off;
		return 0;
	}
	v = find_vma(&w->procs[proc], va);
	return v ? v->mstart + (va - v->start) : 0;
}

long wi_snap_proc(const struct whatif *w, int pid)
{
	for (size_t i = 0; i < w->nr_forks; i++)
		if (w->fork_pid[i] == pid)
			return (long)w->fork_proc[i];
	for (size_t i = 0; i < w->nr_procs; i++)
		if (w->procs[i].pid == pid)
			return (long)i;
	return -1;
}

uint64_t wi_snap_addr(const struct whatif *w, size_t proc, uint64_t maddr)
{
	const struct wi_proc *wp = &w->procs[proc];

	for (size_t i = 0; i < w->nr_mappers; i++) {
		uint64_t page = wi_model_addr(w, w->mappers[i].proc, w->mappers[i].va & ~4095ULL);

		if (w->mappers[i].proc == proc && page && maddr - page < 4096)
			return (w->mappers[i].va & ~4095ULL) + (maddr - page);
	}
	if (fork_slot(w, proc) >= 0)
		return 0;
	for (size_t i = 0; i < wp->nr_vmas; i++) {
		const struct wi_vma *v = &wp->vmas[i];
		uint64_t len = v->end - v->start;

		if (v->mstart && maddr >= v->mstart && maddr - v->mstart < len)
			return v->start + (maddr - v->mstart);
	}
	return 0;
}

/* Mappings of one page per process put into the model: a process is signalled once. */
#define MAX_MAPS_PER_PROC 4

/* Every (process, address) whose pagemap shows pfn present. */
static void find_mappers(struct whatif *w, uint64_t pfn)
{
	size_t left_out = 0;

	w->nr_mappers = 0;
	for (size_t i = 0; i < w->nr_procs; i++) {
		const struct snap_proc *p = w->procs[i].sp;
		size_t mine = 0;

		if (!w->procs[i].pid)
			continue;
		for (size_t j = 0; j < p->nr_ptes; j++) {
			uint64_t ent = p->ptes[j].entry;
			struct wi_mapper mp = { i, p->ptes[j].vpn << 12 };

			if (!(ent & PM_PRESENT) || (ent & PM_PFN_MASK) != pfn ||
			    !wi_model_addr(w, i, mp.va))
				continue;
			if (mine++ >= MAX_MAPS_PER_PROC) {
				left_out++;
				continue;
			}
			ARRAY_PUSH(w->mappers, w->nr_mappers, w->cap_mappers, mp, "whatif mappers");
		}
	}
	if (left_out)
		snprintf(w->approx, sizeof(w->approx), "%zu more mappings of it left out (at most "
			 "%d per process)", left_out, MAX_MAPS_PER_PROC);
}

static int touch(struct whatif *w, size_t i, bool write)
{
	const struct wi_mapper *mp = &w->mappers[i];
	int pid = wi_model_pid(w, mp->proc);
	uint64_t a = wi_model_addr(w, mp->proc, mp->va);
	uint8_t byte = 0x5a;

	return write ? mf_store(w->m, pid, a, byte, NULL) : mf_load(w->m, pid, a, &byte, NULL);
}

static bool private_anon(const struct whatif *w, size_t i)
{
	const struct wi_mapper *mp = &w->mappers[i];
	const struct wi_vma *v = find_vma(&w->procs[mp->proc], mp->va);

	return v && (v->kind == WI_ANON || v->kind == WI_HUGETLB ||
		     (v->kind == WI_FILE && !v->shared));
}

/*
 * An anonymous page mapped by several processes was shared by fork: the
 * other mappers become children of the first (named and signalled as
 * themselves), so they map the very same page at the first's address.
 */
static int share_by_fork(struct whatif *w)
{
	const struct wi_mapper *first = &w->mappers[0];

	for (size_t i = 1; i < w->nr_mappers; i++) {
		const struct wi_proc *wp = &w->procs[w->mappers[i].proc];
		char comm[64];
		int pid;

		if (w->mappers[i].proc == first->proc || fork_slot(w, w->mappers[i].proc) >= 0)
			continue;
		if (!private_anon(w, i) || w->nr_forks == ARRAY_SIZE(w->fork_pid)) {
			touch(w, i, false);
			continue;
		}
		pid = mf_fork(w->m, wi_model_pid(w, first->proc),
			      snap_printable(wp->sp->comm, comm, sizeof(comm)),
			      wp->sigbus == 'c' || (wp->sigbus != 'd' && w->inject != WI_MCE_AR)
				      ? MF_SIGBUS_HANDLER : MF_SIGBUS_DEFAULT);
		if (pid < 0)
			return pid;
		/* a fork inherits the first's early kill; the process it stands for has its own */
		if (wp->early != w->procs[first->proc].early &&
		    mf_prctl_mce_kill(w->m, pid, wp->early ? MF_PR_MCE_KILL_SET : MF_PR_MCE_KILL_CLEAR,
				      wp->early ? MF_PR_MCE_KILL_EARLY : 0))
			return -1;
		w->fork_proc[w->nr_forks] = w->mappers[i].proc;
		w->fork_pid[w->nr_forks++] = pid;
	}
	return 0;
}

static int page_of(struct whatif *w, size_t i)
{
	const struct wi_mapper *mp = &w->mappers[i];

	return mf_virt_to_pfn(w->m, wi_model_pid(w, mp->proc), wi_model_addr(w, mp->proc, mp->va),
			      &w->mpfn);
}

static int owner_flags(int cls)
{
	switch (cls) {
	case EXP_HUGETLB: return MF_MAP_PRIVATE | MF_MAP_ANONYMOUS | MF_MAP_HUGETLB;
	case EXP_THP: return MF_MAP_PRIVATE | MF_MAP_ANONYMOUS | MF_MAP_THP;
	default: return MF_MAP_PRIVATE | MF_MAP_ANONYMOUS;
	}
}

/*
 * A process the page is given to when no pagemap shows its owner (the owner's
 * pagemap was not readable, or it is the capturing process): "owner?", with
 * a mapping of the page's kind; a huge page keeps the pfn's offset in it.
 */
static int owner(struct whatif *w, uint64_t pfn, int cls)
{
	uint64_t a, len = MF_HPAGE_SIZE, off = (pfn & 511) << 12, p0;
	int r;

	w->helper = mf_task_create(w->m, "owner?", MF_SIGBUS_DEFAULT);
	if (w->helper < 0)
		return w->helper;
	if (cls != EXP_HUGETLB && cls != EXP_THP)
		len = 2 * 4096, off = 0;
	r = mf_mmap(w->m, w->helper, len, MF_PROT_READ | MF_PROT_WRITE, owner_flags(cls), -1, 0, &a);
	if (r)
		return r;
	if (cls == EXP_KSM) {
		mf_madvise(w->m, w->helper, a, len, MF_MADVISE_MERGEABLE);
		mf_store(w->m, w->helper, a + 4096, 0x5a, NULL);
	}
	r = cls == EXP_ZERO ? mf_load(w->m, w->helper, a, &(uint8_t){ 0 }, NULL)
			    : mf_store(w->m, w->helper, a + off, 0x5a, NULL);
	if (!r && cls == EXP_KSM)
		r = mf_ksm_scan(w->m, 3);
	if (!r && cls == EXP_MLOCKED)
		r = mf_mlock(w->m, w->helper, a, 4096);
	if (!r && (cls == EXP_SWAPCACHE_CLEAN || cls == EXP_SWAPCACHE_DIRTY)) {
		r = mf_virt_to_pfn(w->m, w->helper, a, &p0);
		r = r ? r : mf_reclaim(w->m, p0);
		r = r ? r : mf_load(w->m, w->helper, a, &(uint8_t){ 0 }, NULL);
		if (!r && cls == EXP_SWAPCACHE_DIRTY)
			r = mf_store(w->m, w->helper, a, 0x5b, NULL);
	}
	if (!w->approx[0])
		snprintf(w->approx, sizeof(w->approx), "no process maps it in the snapshot: "
			 "given to a process named owner?");
	return r < 0 ? r : mf_virt_to_pfn(w->m, w->helper, a + off, &w->mpfn);
}

static int ksm_page(struct whatif *w)
{
	const struct wi_mapper *first = &w->mappers[0];
	int pid = wi_model_pid(w, first->proc);
	uint64_t a;
	int r;

	for (size_t i = 0; i < w->nr_mappers; i++) {
		const struct wi_mapper *mp = &w->mappers[i];
		uint64_t ma = wi_model_addr(w, mp->proc, mp->va) & ~4095ULL;

		mf_madvise(w->m, wi_model_pid(w, mp->proc), ma, 4096, MF_MADVISE_MERGEABLE);
		touch(w, i, true);
	}
	/* one mapper: a second page of the same content for ksmd to merge with */
	r = mf_mmap(w->m, pid, 4096, MF_PROT_READ | MF_PROT_WRITE,
		    MF_MAP_PRIVATE | MF_MAP_ANONYMOUS, -1, 0, &a);
	if (!r && w->nr_mappers == 1) {
		mf_madvise(w->m, pid, a, 4096, MF_MADVISE_MERGEABLE);
		mf_store(w->m, pid, a, 0x5a, NULL);
	}
	mf_ksm_scan(w->m, 3);
	return page_of(w, 0);
}

static int swapcache_page(struct whatif *w, bool dirty)
{
	uint64_t p0;
	int r = page_of(w, 0);

	p0 = w->mpfn;
	if (!r)
		r = mf_reclaim(w->m, p0);
	if (!r)
		r = touch(w, 0, false);
	if (!r && dirty)
		r = touch(w, 0, true);
	return r < 0 ? r : page_of(w, 0);
}

/* A page cache page no process maps: a file of one page, dirty or clean. */
static int unmapped_file_page(struct whatif *w, const char *path, bool dirty)
{
	struct mf_file_init in = { .size = 4096, .fill = { .kind = MF_FILL_BYTE, .byte = 0x5a } };
	int r;

	in.state = dirty ? MF_FILE_INIT_DIRTY : MF_FILE_INIT_SYNCED;
	r = mf_file_create(w->m, path, &in);
	return r ? r : mf_file_pfn(w->m, path, 0, &w->mpfn);
}

/* Whether the first mapper's mapping can hold a page of class cls. */
static bool fits(const struct whatif *w, int cls)
{
	const struct wi_vma *v = find_vma(&w->procs[w->mappers[0].proc], w->mappers[0].va);
	int fs = v && v->file >= 0 ? w->files[v->file].fs : -1;

	if (!v)
		return false;
	switch (cls) {
	case EXP_HUGETLB: return v->kind == WI_HUGETLB || v->kind == WI_HUGETLB_SHARED;
	case EXP_THP: return v->thp;
	case EXP_SHMEM: return v->kind == WI_ANON_SHARED || fs == WI_FS_TMPFS;
	case EXP_FILE_DIRTY: case EXP_FILE_CLEAN: return fs == WI_FS_DISK;
	case EXP_ZERO: return v->kind == WI_ANON;
	default: return v->kind == WI_ANON || (v->kind == WI_FILE && !v->shared);
	}
}

/*
 * A file page the first mapper maps privately: a store would make an
 * anonymous copy, so it reads the page through the mapping and, for a dirty
 * page, writes it with pwrite.
 */
static int private_file_page(struct whatif *w, const struct wi_vma *v, bool dirty)
{
	const struct wi_mapper *mp = &w->mappers[0];
	int pid = wi_model_pid(w, mp->proc), fd, r = touch(w, 0, false);
	uint8_t byte = 0x5a;

	if (r || !dirty)
		return r;
	fd = mf_open(w->m, pid, w->files[v->file].name, MF_O_RDWR);
	if (fd < 0)
		return fd;
	r = (int)mf_pwrite(w->m, pid, fd, &byte, 1, v->pgoff + ((mp->va & ~4095ULL) - v->start));
	mf_close(w->m, pid, fd);
	return r < 0 ? r : 0;
}

static void mlock_mapper(struct whatif *w, size_t i)
{
	mf_mlock(w->m, wi_model_pid(w, w->mappers[i].proc),
		 wi_model_addr(w, w->mappers[i].proc, w->mappers[i].va) & ~4095ULL, 4096);
}

static int mapped_page(struct whatif *w, int cls)
{
	const struct wi_vma *v = find_vma(&w->procs[w->mappers[0].proc], w->mappers[0].va);
	bool anon = cls == EXP_ANON || cls == EXP_THP || cls == EXP_SWAPCACHE_DIRTY ||
		    cls == EXP_SWAPCACHE_CLEAN || cls == EXP_HUGETLB || cls == EXP_MLOCKED;
	bool write = cls != EXP_FILE_CLEAN && cls != EXP_ZERO;
	int r;

	if (cls == EXP_KSM)
		return ksm_page(w);
	if (cls != EXP_THP && v->thp)
		mf_madvise(w->m, wi_model_pid(w, w->mappers[0].proc),
			   wi_model_addr(w, w->mappers[0].proc, w->mappers[0].va) & ~4095ULL, 4096,
			   MF_MADVISE_NOHUGEPAGE);
	if (!anon && v->kind == WI_FILE && !v->shared)
		r = private_file_page(w, v, write);
	else
		r = touch(w, 0, write);
	if (r)
		return r < 0 ? r : -EFAULT;
	/*
	 * Locked before the forks that share it: mlock of a private writable
	 * mapping breaks copy-on-write, and a fork does not inherit the lock.
	 */
	if (cls == EXP_MLOCKED)
		mlock_mapper(w, 0);
	r = anon ? share_by_fork(w) : 0;
	for (size_t i = 1; !anon && i < w->nr_mappers; i++)
		touch(w, i, false);
	if (r)
		return r;
	if (cls == EXP_SWAPCACHE_DIRTY || cls == EXP_SWAPCACHE_CLEAN)
		return swapcache_page(w, cls == EXP_SWAPCACHE_DIRTY);
	for (size_t i = 1; cls == EXP_MLOCKED && i < w->nr_mappers; i++)
		if (fork_slot(w, w->mappers[i].proc) < 0)
			mlock_mapper(w, i);
	return page_of(w, 0);
}

static int kernel_page(struct whatif *w, int cls)
{
	int kind = cls == EXP_SLAB ? MF_PAGE_SLAB : MF_PAGE_KERNEL;

	if (cls == EXP_PGTABLE || cls == EXP_KERNEL)
		snprintf(w->approx, sizeof(w->approx), "modelled as a reserved kernel page "
			 "(both unhandlable in 6.1)");
	return mf_find_page(w->m, kind, &w->mpfn);
}

static int unmapped_page(struct whatif *w, uint64_t pfn, int cls)
{
	switch (cls) {
	case EXP_NOT_RAM:
		w->mpfn = (w->desc.memory >> 12) + 16;
		return 0;
	case EXP_FREE:
		return mf_find_page(w->m, MF_PAGE_FREE, &w->mpfn);
	case EXP_HUGETLB_FREE: {
		int r = mf_find_page(w->m, MF_PAGE_FREE_HUGE, &w->mpfn);

		w->mpfn += pfn & 511;
		return r;
	}
	case EXP_RESERVED: case EXP_SLAB: case EXP_PGTABLE: case EXP_KERNEL:
		return kernel_page(w, cls);
	case EXP_FILE_DIRTY: case EXP_FILE_CLEAN:
		return unmapped_file_page(w, "disk:whatif-unmapped", cls == EXP_FILE_DIRTY);
	case EXP_SHMEM:
		return unmapped_file_page(w, "tmpfs:whatif-unmapped", true);
	default:
		return owner(w, pfn, cls);
	}
}

static int reset(struct whatif *w)
{
	w->nr_forks = 0, w->helper = 0, w->approx[0] = 0, w->mpfn = 0;
	if (w->fresh) {
		w->fresh = false;
		return 0;
	}
	mf_machine_destroy(w->m);
	w->m = NULL;
	return mf_restore(w->cp, &w->m);
}

int wi_materialize(struct whatif *w, uint64_t pfn, char *err, size_t errlen)
{
	int cls = w->e->cls[pfn], r;

	if (reset(w)) {
		snprintf(err, errlen, "restoring the model machine failed");
		return -1;
	}
	if (cls == EXP_DAX || cls == EXP_UNKNOWN) {
		snprintf(err, errlen, "pfn %#llx: %s pages are not modelled by whatif",
			 (unsigned long long)pfn, exp_classes[cls].label);
		return 1;
	}
	find_mappers(w, pfn);
	if (cls == EXP_HWPOISON) {
		/* poisoned before: a page the first injection retired */
		r = mf_find_page(w->m, MF_PAGE_FREE, &w->mpfn);
		if (!r)
			r = mf_corrupt_pfn(w->m, w->mpfn);
		w->nr_mappers = 0;
	} else if (w->nr_mappers && cls != EXP_HUGETLB_FREE && cls != EXP_FREE &&
		   cls != EXP_NOT_RAM && fits(w, cls)) {
		r = mapped_page(w, cls);
	} else {
		if (w->nr_mappers && cls != EXP_HUGETLB_FREE && cls != EXP_FREE)
			snprintf(w->approx, sizeof(w->approx), "the snapshot's mapping of it "
				 "cannot hold such a page in the model: given to owner?");
		w->nr_mappers = 0;
		r = unmapped_page(w, pfn, cls);
	}
	/* what memory_failure's shake_page does first: flags as it will see them */
	if (r >= 0)
		mf_lru_drain(w->m);
	if (r < 0) {
		snprintf(err, errlen, "pfn %#llx: putting a %s page into the model failed: %s %s",
			 (unsigned long long)pfn, exp_classes[cls].label, strerrorname_np(-r),
			 mf_errmsg(w->m));
		return -1;
	}
	return 0;
}

/* ---- the whole snapshot at once (memfail campaign's snapshot machines) ---------------------- */

static bool pte_present(const struct whatif *w, const struct snap_pte *pte)
{
	uint64_t pfn = pte->entry & PM_PFN_MASK;

	return (pte->entry & PM_PRESENT) && pfn && pfn < w->s->nr_pfns;
}

/* Written (dirty) in the machine the snapshot shows, as opposed to read. */
static bool page_written(const struct whatif *w, const struct wi_vma *v, const struct snap_pte *pte)
{
	uint64_t f = w->s->kpageflags[pte->entry & PM_PFN_MASK];

	if (v->kind != WI_FILE)
		return true;
	return (f & B(ANON)) || (v->shared && (f & B(DIRTY)));
}

/* The run of pages from ptes[k] on that shares k's mapping and kind of access. */
static size_t run_len(const struct whatif *w, const struct snap_proc *p, size_t k,
		      const struct wi_vma *v, bool write)
{
	size_t n = 1;

	while (k + n < p->nr_ptes && p->ptes[k + n].vpn == p->ptes[k].vpn + n &&
	       (p->ptes[k + n].vpn << 12) < v->end && pte_present(w, &p->ptes[k + n]) &&
	       page_written(w, v, &p->ptes[k + n]) == write)
		n++;
	return n;
}

static int put_run(struct whatif *w, int pid, uint64_t addr, size_t n, bool write)
{
	struct mf_fill fill = { .kind = MF_FILL_BYTE, .byte = (uint8_t)(pid | 1) };
	uint8_t b;
	int r = 0;

	if (write)
		return mf_fill(w->m, pid, addr, n * 4096, &fill, NULL);
	for (size_t i = 0; i < n && r >= 0; i++)
		r = mf_load(w->m, pid, addr + i * 4096, &b, NULL);
	return r < 0 ? r : 0;
}

int whatif_populate(struct whatif *w, wi_region_fn fn, void *ctx, char *err, size_t errlen)
{
	for (size_t i = 0; i < w->nr_procs; i++) {
		const struct wi_proc *wp = &w->procs[i];
		const struct snap_proc *p = wp->sp;

		for (size_t k = 0, n; wp->pid > 0 && k < p->nr_ptes; k += n) {
			uint64_t va = p->ptes[k].vpn << 12, addr;
			const struct wi_vma *v = find_vma(wp, va);
			bool write;
			int r;

			n = 1;
			if (!v || !pte_present(w, &p->ptes[k]))
				continue;
			write = page_written(w, v, &p->ptes[k]);
			n = run_len(w, p, k, v, write);
			addr = v->mstart + (va - v->start);
			r = put_run(w, wp->pid, addr, n, write);
			if (r < 0) {
				snprintf(err, errlen, "putting the pages of pid %d into the model failed: "
					 "%s %s", p->pid, strerrorname_np(-r), mf_errmsg(w->m));
				return -1;
			}
			if (fn)
				fn(ctx, wp->pid, addr, n * 4096);
		}
	}
	if (mf_lru_drain(w->m) < 0) {
		snprintf(err, errlen, "draining the LRU: %s", mf_errmsg(w->m));
		return -1;
	}
	return 0;
}
