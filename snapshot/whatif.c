// SPDX-License-Identifier: GPL-2.0-only
/*
 * whatif, the skeleton: a model machine shaped like the snapshot's (RAM size,
 * hugetlb pool, swap, sysctls), its processes with their threads and SIGBUS
 * dispositions, and their mappings (anonymous, shared anonymous, files
 * identified by device and inode, tmpfs, hugetlb), built through memfail.h
 * and checkpointed so each injection starts from the same machine.
 * Pages are not populated here: whatif_page.c puts in the ones an injection
 * needs (docs/exposure.md, "whatif").
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/kpageflags.h"
#include "memfail/whatif.h"

#define B(n) (1ULL << KPF_##n)

static void note(struct whatif *w, const char *fmt, ...)
{
	size_t n = strlen(w->notes);
	va_list ap;

	if (n + 2 >= sizeof(w->notes))
		return;
	va_start(ap, fmt);
	vsnprintf(w->notes + n, sizeof(w->notes) - n, fmt, ap);
	va_end(ap);
}

static uint64_t ram_pages(const struct snapshot *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->nr_ranges; i++)
		if (!strcmp(s->ranges[i].type, "System RAM"))
			n += s->ranges[i].end_pfn - s->ranges[i].start_pfn;
	return n ? n : s->nr_pfns;
}

/* "size_kb=2048 nr_hugepages=N ..." of the HUGE section; 0 if none. */
static long huge_pool(const struct snapshot *s)
{
	const char *l = s->hugepages ? strstr(s->hugepages, "size_kb=2048 nr_hugepages=") : NULL;

	return l ? strtol(l + strlen("size_kb=2048 nr_hugepages="), NULL, 10) : 0;
}

/* The sum of /proc/swaps' Size column (KiB), in bytes. */
static uint64_t swap_bytes(const struct snapshot *s)
{
	uint64_t total = 0;

	for (const char *l = s->swaps; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "") {
		char name[256], type[32];
		unsigned long long kb;

		if (sscanf(l, "%255s %31s %llu", name, type, &kb) == 3)
			total += kb << 10;
	}
	return total;
}

uint64_t whatif_memory(const struct snapshot *s)
{
	uint64_t mib = (ram_pages(s) * 4096 + (1 << 20) - 1) >> 20;

	return (mib < 16 ? 16 : mib) << 20;
}

static void make_desc(struct whatif *w)
{
	const struct snapshot *s = w->s;

	mf_machine_desc_default(&w->desc);
	w->desc.kernel = w->e->kernel_id;
	w->desc.memory = whatif_memory(s);
	/*
	 * One pool page more than the snapshot's, for a mapped huge page whose
	 * mapper no pagemap shows (its stand-in maps a new one); without a pool
	 * in the snapshot, as many as its huge pages.
	 */
	w->desc.hugepages = huge_pool(s) + 1;
	if (w->desc.hugepages == 1)
		w->desc.hugepages += (long)((w->e->count[EXP_HUGETLB] +
					     w->e->count[EXP_HUGETLB_FREE]) / 512 + 1);
	w->desc.swap = swap_bytes(s);
	/* the model keeps swap slots in host memory: a few GiB are enough for any one page */
	if (w->desc.swap > (4ULL << 30))
		w->desc.swap = 4ULL << 30;
	if (!w->desc.swap && (w->e->count[EXP_SWAPCACHE_DIRTY] || w->e->count[EXP_SWAPCACHE_CLEAN]))
		w->desc.swap = 64ULL << 20;
	/* THP only where the snapshot shows one: a 4K page stays a 4K page */
	w->desc.thp = MF_THP_MADVISE;
}

static bool path_is(const char *p, const char *prefix)
{
	return !strncmp(p, prefix, strlen(prefix));
}

static int map_kind(const struct snap_map *m, bool huge)
{
	const char *p = m->path;
	bool shared = m->perms[3] == 's';

	if (path_is(p, "[vvar") || path_is(p, "[vdso") || path_is(p, "[vsyscall") ||
	    (path_is(p, "/dev/") && !path_is(p, "/dev/shm/")) || path_is(p, "[uprobes"))
		return WI_SKIP;
	if (huge || path_is(p, "/anon_hugepage"))
		return shared || path_is(p, "/") ? WI_HUGETLB_SHARED : WI_HUGETLB;
	if (p[0] == '/' && m->inode)
		return WI_FILE;
	return shared ? WI_ANON_SHARED : WI_ANON;
}

static int file_index(struct whatif *w, const struct snap_map *m)
{
	struct wi_file f = { .inode = m->inode };

	for (size_t i = 0; i < w->nr_files; i++)
		if (w->files[i].inode == m->inode && !strcmp(w->files[i].dev, m->dev))
			return (int)i;
	snprintf(f.dev, sizeof(f.dev), "%s", m->dev);
	if (path_is(m->path, "/dev/shm/") || path_is(m->path, "/memfd:") ||
	    path_is(m->path, "/SYSV"))
		f.fs = WI_FS_TMPFS;
	ARRAY_PUSH(w->files, w->nr_files, w->cap_files, f, "whatif files");
	return (int)(w->nr_files - 1);
}

/*
 * What the pages of a mapping show: THP, tmpfs (swap-backed file pages) in
 * any of them (vor), hugetlb in all of them (vand).
 */
static void scan_pages(struct whatif *w, struct wi_proc *wp, uint64_t *vor, uint64_t *vand)
{
	const struct snap_proc *p = wp->sp;
	size_t mi = 0;

	for (size_t i = 0; i < p->nr_ptes; i++) {
		uint64_t ent = p->ptes[i].entry, pfn = ent & PM_PFN_MASK, va = p->ptes[i].vpn << 12;

		if (!(ent & PM_PRESENT) || !pfn || pfn >= w->s->nr_pfns || !w->s->kpageflags)
			continue;
		while (mi < p->nr_maps && p->maps[mi].end <= va)
			mi++;
		if (mi == p->nr_maps)
			break;
		if (p->maps[mi].start <= va) {
			vor[mi] |= w->s->kpageflags[pfn];
			vand[mi] &= w->s->kpageflags[pfn];
		}
	}
}

static void plan_proc(struct whatif *w, struct wi_proc *wp)
{
	const struct snap_proc *p = wp->sp;
	uint64_t *vflags = xcalloc(p->nr_maps + 1, sizeof(*vflags), "whatif page flags");
	uint64_t *vand = xmalloc((p->nr_maps + 1) * sizeof(*vand), "whatif page flags");

	memset(vand, 0xff, (p->nr_maps + 1) * sizeof(*vand));
	scan_pages(w, wp, vflags, vand);
	wp->vmas = xcalloc(p->nr_maps + 1, sizeof(*wp->vmas), "whatif mappings");
	wp->nr_vmas = p->nr_maps;
	for (size_t i = 0; i < p->nr_maps; i++) {
		const struct snap_map *m = &p->maps[i];
		struct wi_vma *v = &wp->vmas[i];
		uint64_t f = vflags[i];

		*v = (struct wi_vma){ .start = m->start, .end = m->end, .pgoff = m->pgoff,
				      .file = -1, .shared = m->perms[3] == 's' };
		v->kind = map_kind(m, f & vand[i] & B(HUGE));
		v->thp = (f & B(THP)) && (f & B(ANON)) && v->kind == WI_ANON;
		if (v->kind == WI_FILE || (v->kind == WI_HUGETLB_SHARED && m->inode)) {
			struct wi_file *wf;

			v->file = file_index(w, m);
			wf = &w->files[v->file];
			if (v->kind == WI_HUGETLB_SHARED)
				wf->fs = WI_FS_HUGETLBFS;
			else if ((f & B(SWAPBACKED)) && !(f & B(ANON)))
				wf->fs = WI_FS_TMPFS;
			if (m->pgoff + (m->end - m->start) > wf->size)
				wf->size = m->pgoff + (m->end - m->start);
		}
	}
	free(vflags);
	free(vand);
}

static int sigbus_of(const struct snap_proc *p)
{
	if (p->sigign & SNAP_SIGBUS_BIT)
		return 'i';
	if (p->sigblk & SNAP_SIGBUS_BIT)
		return 'b';
	return p->sigcgt & SNAP_SIGBUS_BIT ? 'c' : 'd';
}

/*
 * The model has two dispositions: a handler that records and returns, or the
 * default (death). A blocked or ignored SIGBUS survives an AO signal (it stays
 * pending or is dropped: the trace says so) but not a forced AR one.
 */
static int model_sigbus(const struct whatif *w, int disp)
{
	if (disp == 'c')
		return MF_SIGBUS_HANDLER;
	if (disp == 'd' || w->inject == WI_MCE_AR)
		return MF_SIGBUS_DEFAULT;
	return MF_SIGBUS_HANDLER;
}

static int create_files(struct whatif *w)
{
	static const char *const fsname[] = { "disk", "tmpfs", "hugetlbfs" };

	for (size_t i = 0; i < w->nr_files; i++) {
		struct wi_file *f = &w->files[i];
		struct mf_file_init in = { .size = f->size, .state = MF_FILE_INIT_HOLE };
		int r;

		if (f->fs == WI_FS_HUGETLBFS)
			in.size = (f->size + MF_HPAGE_SIZE - 1) & ~(uint64_t)(MF_HPAGE_SIZE - 1);
		snprintf(f->name, sizeof(f->name), "%s:i%zu-%llu", fsname[f->fs], i,
			 (unsigned long long)f->inode);
		r = mf_file_create(w->m, f->name, &in);
		if (r)
			return r;
	}
	return 0;
}

static int vma_flags(const struct wi_vma *v)
{
	switch (v->kind) {
	case WI_ANON: return MF_MAP_PRIVATE | MF_MAP_ANONYMOUS | (v->thp ? MF_MAP_THP : 0);
	case WI_ANON_SHARED: return MF_MAP_SHARED | MF_MAP_ANONYMOUS;
	case WI_HUGETLB: return MF_MAP_PRIVATE | MF_MAP_ANONYMOUS | MF_MAP_HUGETLB;
	case WI_HUGETLB_SHARED:
		return v->file < 0 ? MF_MAP_SHARED | MF_MAP_ANONYMOUS | MF_MAP_HUGETLB
				   : MF_MAP_SHARED;
	default: return v->shared ? MF_MAP_SHARED : MF_MAP_PRIVATE;
	}
}

/*
 * mmap one mapping read-write (the protection does not change memory_failure's
 * path). A THP mapping gets 2 MiB more so the snapshot's address keeps its
 * offset in a huge page.
 */
static void map_vma(struct whatif *w, struct wi_proc *wp, struct wi_vma *v)
{
	uint64_t len = v->end - v->start, addr = 0, off = v->pgoff;
	int fd = -1, r;

	if (v->thp)
		len += MF_HPAGE_SIZE;
	if (v->file >= 0) {
		fd = mf_open(w->m, wp->pid, w->files[v->file].name, MF_O_RDWR);
		if (fd < 0) {
			w->vmas_skipped++;
			return;
		}
		if (w->files[v->file].fs == WI_FS_HUGETLBFS)
			off &= ~(uint64_t)(MF_HPAGE_SIZE - 1);
	}
	r = mf_mmap(w->m, wp->pid, len, MF_PROT_READ | MF_PROT_WRITE, vma_flags(v), fd,
		    v->file >= 0 ? off : 0, &addr);
	if (fd >= 0)
		mf_close(w->m, wp->pid, fd);
	if (r) {
		w->vmas_skipped++;
		return;
	}
	v->mstart = addr + (v->thp ? (v->start & (MF_HPAGE_SIZE - 1)) : 0);
	w->vmas_mapped++;
}

static int build_procs(struct whatif *w)
{
	const struct snapshot *s = w->s;

	w->procs = xcalloc(s->nr_procs + 1, sizeof(*w->procs), "whatif processes");
	w->nr_procs = s->nr_procs;
	for (size_t i = 0; i < s->nr_procs; i++) {
		struct wi_proc *wp = &w->procs[i];

		wp->sp = &s->procs[i];
		wp->sigbus = sigbus_of(wp->sp);
		for (size_t k = 0; k < w->nr_early; k++)
			wp->early |= w->early_pids[k] == wp->sp->pid;
		if (!wp->sp->nr_maps) {
			w->kthreads++;
			continue;
		}
		plan_proc(w, wp);
	}
	if (create_files(w))
		return -1;
	for (size_t i = 0; i < w->nr_procs; i++) {
		struct wi_proc *wp = &w->procs[i];
		char comm[64]; /* a newline in a comm would split the model's log lines */

		if (!wp->sp->nr_maps)
			continue;
		wp->pid = mf_task_create(w->m, snap_printable(wp->sp->comm, comm, sizeof(comm)),
					 model_sigbus(w, wp->sigbus));
		if (wp->pid < 0)
			return -1;
		if (wp->early && mf_prctl_mce_kill(w->m, wp->pid, MF_PR_MCE_KILL_SET,
						   MF_PR_MCE_KILL_EARLY))
			return -1;
		for (int t = 1; t < wp->sp->threads; t++)
			if (mf_thread_create(w->m, wp->pid) < 0)
				return -1;
		for (size_t j = 0; j < wp->nr_vmas; j++)
			if (wp->vmas[j].kind != WI_SKIP)
				map_vma(w, wp, &wp->vmas[j]);
	}
	return 0;
}

static void set_sysctls(struct whatif *w)
{
	static const char *const keys[] = { "memory_failure_early_kill",
					     "memory_failure_recovery" };

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = snapshot_info(w->s, keys[i]);
		char key[64];

		snprintf(key, sizeof(key), "vm.%s", keys[i]);
		if (v && (!strcmp(v, "0") || !strcmp(v, "1")))
			mf_sysctl_set(w->m, key, v);
		else
			note(w, "vm.%s not in the snapshot: %s's default assumed\n", keys[i], w->e->kernel);
	}
}

int whatif_build(struct whatif *w, const struct snapshot *s, const struct exposure *e,
		 int inject, int inject_pid, const int *early_pids, size_t nr_early, char *err,
		 size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->s = s, w->e = e, w->inject = inject, w->inject_pid = inject_pid;
	w->early_pids = early_pids, w->nr_early = nr_early;
	if (!s->kpageflags) {
		snprintf(err, errlen, "the snapshot has no page flags (/proc/kpageflags was not "
				      "read): nothing to model");
		return -1;
	}
	w->ram_pages = ram_pages(s);
	make_desc(w);
	if (mf_machine_create(&w->desc, &w->m, err, errlen))
		return -1;
	set_sysctls(w);
	if (build_procs(w)) {
		snprintf(err, errlen, "building the model machine failed: %s", mf_errmsg(w->m));
		return -1;
	}
	if (w->vmas_skipped)
		note(w, "%zu mappings could not be made in the model (e.g. hugetlb mappings the "
			"pool cannot reserve); their pages are left out\n", w->vmas_skipped);
	if (mf_checkpoint(w->m, &w->cp)) {
		snprintf(err, errlen, "checkpoint: %s", mf_errmsg(w->m));
		return -1;
	}
	w->fresh = true;
	return 0;
}

void whatif_free(struct whatif *w)
{
	for (size_t i = 0; i < w->nr_procs; i++)
		free(w->procs[i].vmas);
	free(w->procs);
	free(w->files);
	free(w->mappers);
	mf_checkpoint_free(w->cp);
	mf_machine_destroy(w->m);
	memset(w, 0, sizeof(*w));
}
