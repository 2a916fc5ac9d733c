// SPDX-License-Identifier: GPL-2.0-only
/*
 * Observers of the public API: /proc/kpageflags, kpagecount, pagemap,
 * meminfo, the kernel log, pages a test names (free, kernel, slab, a file's
 * page, a pmem block), the invariant checker and the state dump.
 */
#include <stdlib.h>
#include <string.h>

#include "memfail/dax.h"
#include "memfail/huge_mm.h"
#include "memfail/memory-failure.h"
#include "memfail/profile.h"
#include "sys-internal.h"

static int kpage(struct mf_machine *mm, uint64_t pfn, uint64_t *out, bool count)
{
	struct page *p;

	if (!out || !pfn_valid(mm->m, pfn))
		return -EINVAL;
	if (!count) {
		*out = stable_page_flags(mm->m, pfn);
		return 0;
	}
	p = pfn_to_page(mm->m, pfn);
	*out = p->_mapcount > 0 ? (uint64_t)p->_mapcount : 0;
	return 0;
}

int mf_kpageflags(struct mf_machine *mm, uint64_t pfn, uint64_t *flags)
{
	SYS_ENTER(mm);
	return (int)sys_leave(mm, kpage(mm, pfn, flags, false));
}

int mf_kpagecount(struct mf_machine *mm, uint64_t pfn, uint64_t *count)
{
	SYS_ENTER(mm);
	return (int)sys_leave(mm, kpage(mm, pfn, count, true));
}

static int pagemap(struct mf_machine *mm, int pid, uint64_t addr, uint64_t *entry)
{
	struct task_struct *t = sys_task_any(mm, pid);

	if (!t || t->signal->dead || !t->mm)
		return -ESRCH;
	if (!entry)
		return -EINVAL;
	*entry = pagemap_entry(mm->m, t->mm, addr);
	return 0;
}

int mf_pagemap(struct mf_machine *mm, int pid, uint64_t addr, uint64_t *entry)
{
	SYS_ENTER(mm);
	return (int)sys_leave(mm, pagemap(mm, pid, addr, entry));
}

static int meminfo(struct mf_machine *mm, struct mf_meminfo *out)
{
	struct machine *m = mm->m;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->mem_total_kb = (m->nr_pages - m->reserved_end) * (PAGE_SIZE / 1024);
	out->mem_free_kb = nr_free_pages(m) * (PAGE_SIZE / 1024);
	out->hardware_corrupted_kb = m->num_poisoned_pages * (PAGE_SIZE / 1024);
	out->hugepages_total = (long)m->hstate.nr_huge_pages;
	out->hugepages_free = (long)m->hstate.free_huge_pages;
	return 0;
}

int mf_meminfo(struct mf_machine *mm, struct mf_meminfo *out)
{
	SYS_ENTER(mm);
	return (int)sys_leave(mm, meminfo(mm, out));
}

static int node_mf_stats(struct mf_machine *mm, int node, struct mf_node_mf_stats *out)
{
	struct machine *m = mm->m;
	const uint64_t *st;

	if (!out)
		return -EINVAL;
	if (!m->profile->per_node_mf_stats || node < 0 || node >= m->nr_nodes)
		return -ENOENT;
	st = m->node_mf_stats[node];
	*out = (struct mf_node_mf_stats){ st[0], st[1 + MF_IGNORED], st[1 + MF_FAILED],
					  st[1 + MF_DELAYED], st[1 + MF_RECOVERED] };
	return 0;
}

int mf_node_mf_stats(struct mf_machine *mm, int node, struct mf_node_mf_stats *out)
{
	SYS_ENTER(mm);
	return (int)sys_leave(mm, node_mf_stats(mm, node, out));
}

int mf_machine_panicked(struct mf_machine *mm)
{
	SYS_ENTER(mm);
	return (int)sys_leave(mm, mm->m->panicked);
}

/* ---- the kernel log ------------------------------------------------------------------------ */

static void replay_log(struct mf_machine *mm, const struct sys_rec *r)
{
	if (r->a[0])
		mf_log_skip(mm);
	else
		mf_log_next(mm, NULL);
}

const char *mf_log_next(struct mf_machine *mm, int *level)
{
	SYS_ENTER_PTR(mm);
	sys_record(mm, replay_log, (int64_t[]){ 0 }, 1, NULL, NULL, NULL, 0);
	sys_leave(mm, 0);
	return printk_next_line(mm->m, level);
}

int mf_log_skip(struct mf_machine *mm)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_log, (int64_t[]){ 1 }, 1, NULL, NULL, NULL, 0);
	mm->m->log.read_pos = mm->m->log.len;
	return (int)sys_leave(mm, 0);
}

const char *mf_log_text(struct mf_machine *mm)
{
	return mm && mm->m->log.buf ? mm->m->log.buf : "";
}

/* ---- pages by kind ------------------------------------------------------------------------- */

static int find_page(struct mf_machine *mm, int kind, uint64_t *pfn)
{
	struct machine *m = mm->m;
	struct page *page = NULL;

	if (!pfn)
		return -EINVAL;
	switch (kind) {
	case MF_PAGE_FREE:
		page = find_free_page(m);
		break;
	case MF_PAGE_FREE_HUGE:
		page = find_free_huge_page(m);
		break;
	case MF_PAGE_KERNEL:
		*pfn = m->reserved_end / 2;
		return 0;
	case MF_PAGE_SLAB:
		if (!mm->have_slab) {
			page = slab_alloc_page(m);
			if (!page)
				return -ENOMEM;
			mm->have_slab = true;
			mm->slab_pfn = page_to_pfn(m, page);
		}
		*pfn = mm->slab_pfn;
		return 0;
	case MF_PAGE_METADATA:
	case MF_PAGE_METADATA_BUSY:
		page = bdev_read_metadata(m, kind == MF_PAGE_METADATA_BUSY);
		if (!page)
			return -ENOMEM;
		break;
	default:
		return -EINVAL;
	}
	if (!page)
		return -ENOENT;
	*pfn = page_to_pfn(m, page);
	return 0;
}

static void replay_find_page(struct mf_machine *mm, const struct sys_rec *r)
{
	uint64_t pfn;

	mf_find_page(mm, (int)r->a[0], &pfn);
}

int mf_find_page(struct mf_machine *mm, int kind, uint64_t *pfn)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_find_page, (int64_t[]){ kind }, 1, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, find_page(mm, kind, pfn));
}

static int virt_to_pfn(struct mf_machine *mm, int pid, uint64_t addr, uint64_t *pfn)
{
	struct task_struct *t = sys_task_any(mm, pid);
	struct vm_area_struct *vma;
	struct page *page;
	bool hwp;

	if (!pfn)
		return -EINVAL;
	if (!t || !t->mm)
		return -ESRCH;
	vma = find_vma(t->mm, addr);
	page = vma ? follow_page(vma, addr, &hwp) : NULL;
	/* pagemap shows a hugetlb hwpoison entry as nothing (fs/proc_task_mmu.c) */
	if (!page || (hwp && (vma->vm_flags & VM_HUGETLB)))
		return -ENOENT;
	*pfn = page_to_pfn(mm->m, page);
	return 0;
}

int mf_virt_to_pfn(struct mf_machine *mm, int pid, uint64_t addr, uint64_t *pfn)
{
	SYS_ENTER(mm);
	return (int)sys_leave(mm, virt_to_pfn(mm, pid, addr, pfn));
}

static int file_pfn(struct mf_machine *mm, const char *path, uint64_t off, uint64_t *pfn)
{
	struct inode *inode;
	enum fs_type type;
	const char *name;
	struct page *page;
	unsigned shift;
	int err;

	if (!pfn || sys_parse_path(path, &type, &name))
		return -EINVAL;
	inode = fs_lookup(mm->m, type, name);
	if (type == FS_DAX) {
		/* FIEMAP: the block behind that file offset */
		*pfn = inode ? daxfs_iomap(inode, off >> PAGE_SHIFT, false, NULL, &err) : NO_PFN;
		return *pfn != NO_PFN ? 0 : -ENOENT;
	}
	/* hugetlbfs indexes its cache in huge pages */
	shift = type == FS_HUGETLBFS ? HUGETLB_PAGE_SHIFT : PAGE_SHIFT;
	page = inode ? xa_load(&inode->i_data.i_pages, off >> shift) : NULL;
	if (!page || xa_is_value(page))
		return -ENOENT;
	if (type == FS_HUGETLBFS)	/* the 4K page of that offset */
		page += (off >> PAGE_SHIFT) & (HPAGE_PMD_NR - 1);
	else if (PageTransHuge(page))	/* a shmem THP: the 4K page of that offset */
		page += (off >> PAGE_SHIFT) - page->index;
	*pfn = page_to_pfn(mm->m, page);
	return 0;
}

int mf_file_pfn(struct mf_machine *mm, const char *path, uint64_t off, uint64_t *pfn)
{
	SYS_ENTER(mm);
	return (int)sys_leave(mm, file_pfn(mm, path, off, pfn));
}

static int pmem_pfn(struct mf_machine *mm, uint64_t off, uint64_t *pfn)
{
	if (!pfn)
		return -EINVAL;
	*pfn = daxfs_pmem_pfn(mm->m, off);
	return *pfn != NO_PFN ? 0 : -ENOENT;
}

int mf_pmem_pfn(struct mf_machine *mm, uint64_t off, uint64_t *pfn)
{
	SYS_ENTER(mm);
	return (int)sys_leave(mm, pmem_pfn(mm, off, pfn));
}

/* ---- whole-machine views -------------------------------------------------------------------- */

/*
 * The checker's report goes to one stream, kept and rewound for every check:
 * nearly every check finds nothing, and a stream opened and closed for each
 * cost more than a small scenario's checks. The C library's memory, as the
 * report handed out (strndup), which the caller frees.
 */
static int invariants(struct mf_machine *mm, enum mf_check_mode mode, char **report)
{
	static FILE *f;
	static char *buf;
	static size_t len;
	int bad;

	if (!f && !(f = open_memstream(&buf, &len)))
		mf_oom("opening the invariant report");
	rewind(f);
	bad = mode == MF_CHECK_CHANGED ? check_invariants_changed(mm->m, f) :
	      mode == MF_CHECK_BEGIN ? check_invariants_begin(mm->m, f) : check_invariants(mm->m, f);
	if (fflush(f))
		mf_oom("writing the invariant report");
	if (bad && report && !(*report = strndup(buf, len)))
		mf_oom("the invariant report");
	return bad;
}

int mf_check_invariants(struct mf_machine *mm, char **report)
{
	return mf_check_invariants_mode(mm, MF_CHECK_FULL, report);
}

int mf_check_invariants_mode(struct mf_machine *mm, enum mf_check_mode mode, char **report)
{
	SYS_ENTER(mm);
	if (report)
		*report = NULL;
	if (mode != MF_CHECK_FULL && mode != MF_CHECK_CHANGED && mode != MF_CHECK_BEGIN)
		return (int)sys_leave(mm, -EINVAL);
	return (int)sys_leave(mm, invariants(mm, mode, report));
}

int mf_dump_state(struct mf_machine *mm, FILE *f)
{
	SYS_ENTER(mm);
	if (f)
		machine_dump_state(mm->m, f);
	return (int)sys_leave(mm, f ? 0 : -EINVAL);
}
