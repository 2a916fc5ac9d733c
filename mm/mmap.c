/* SPDX-License-Identifier: GPL-2.0-only */
/* Address spaces: VMAs, mmap/munmap, fork's copy, mlock and msync. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/dax.h"
#include "memfail/huge_mm.h"
#include "memfail/ksm.h"
#include "memfail/mm.h"

#define MMAP_TOP 0x7f0000000000ULL
#define PMD_SIZE (2ULL << 20)

struct mm_struct *mm_alloc(void)
{
	struct mm_struct *mm = xcalloc(1, sizeof(*mm), "allocating an mm_struct");

	pt_init(&mm->pt);
	mm->mmap_base = MMAP_TOP;
	mm->users = 1;
	return mm;
}

struct vm_area_struct *find_vma(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *v;

	for (v = mm->mmap; v; v = v->vm_next)
		if (addr >= v->vm_start && addr < v->vm_end)
			return v;
	return NULL;
}

static void vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct **pp = &mm->mmap;

	while (*pp && (*pp)->vm_start < vma->vm_start)
		pp = &(*pp)->vm_next;
	vma->vm_next = *pp;
	*pp = vma;
	vma->vm_mm = mm;
	if (vma->vm_file)
		mapping_add_vma(file_mapping(vma->vm_file), vma);
}

static uint64_t vma_seq;

static struct vm_area_struct *vma_alloc(void)
{
	struct vm_area_struct *v = xcalloc(1, sizeof(*v), "allocating a VMA");

	v->seq = ++vma_seq;
	return v;
}

static void vma_free(struct vm_area_struct *vma)
{
	if (vma->vm_file) {
		mapping_del_vma(file_mapping(vma->vm_file), vma);
		fput(vma->vm_file);
	}
	unlink_anon_vmas(vma);
	free(vma->avc);
	free(vma);
}

/* Split vma at addr; the new VMA is the upper part and shares file and anon_vmas. */
static struct vm_area_struct *split_vma(struct vm_area_struct *vma, uint64_t addr)
{
	struct vm_area_struct *n = vma_alloc();
	int i;

	n->vm_start = addr;
	n->vm_end = vma->vm_end;
	n->vm_flags = vma->vm_flags;
	n->vm_pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	n->vm_file = vma->vm_file;
	if (n->vm_file)
		n->vm_file->f_count++;
	n->seq = vma->seq;	/* same place in rmap order as the original */
	n->anon_vma = vma->anon_vma;
	for (i = 0; i < vma->nr_avc; i++)
		anon_vma_link(n, vma->avc[i]);
	vma->vm_end = addr;
	vma_link(vma->vm_mm, n);
	return n;
}

/* Make [start, end) whole VMAs. */
static void split_range(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	struct vm_area_struct *v;

	for (v = mm->mmap; v; v = v->vm_next) {
		if (v->vm_start < start && v->vm_end > start)
			split_vma(v, start);
		if (v->vm_start < end && v->vm_end > end)
			split_vma(v, end);
	}
}

/* Top down; the address is offset modulo align. */
static uint64_t get_unmapped_area(struct mm_struct *mm, uint64_t len, uint64_t align, uint64_t offset)
{
	uint64_t addr = ((mm->mmap_base - len - offset) & ~(align - 1)) + offset;

	/* Leave a guard page between regions so a stray offset faults. */
	mm->mmap_base = addr - PAGE_SIZE;
	return addr;
}

/* 6.1 file_mmap_ok for a regular file: the mapping must end below MAX_LFS_FILESIZE. */
static bool file_mmap_ok(uint64_t pgoff, uint64_t len)
{
	uint64_t maxsize = (uint64_t)INT64_MAX;

	return len <= maxsize && pgoff <= (maxsize - len) >> PAGE_SHIFT;
}

/* totalram_pages() + total_swap_pages */
static uint64_t commit_limit_pages(const struct machine *m)
{
	uint64_t pages = m->swap ? m->swap->nr_slots : 0;
	int i;

	for (i = 0; i < m->nr_zones; i++)
		if (m->zones[i].type != ZONE_DEVICE)	/* pmem is not RAM */
			pages += m->zones[i].managed;
	return pages;
}

/*
 * __vm_enough_memory with vm.overcommit_memory=0 (OVERCOMMIT_GUESS): a private
 * writable mapping (accountable_mapping) or shared anonymous memory
 * (shmem_acct_size) larger than RAM plus swap is refused at mmap.
 */
static bool vm_enough_memory(const struct machine *m, uint64_t len, unsigned long vm_flags,
			     const struct file *file)
{
	bool huge = (vm_flags & VM_HUGETLB) || (file && file->f_inode->i_sb->type == FS_HUGETLBFS);
	bool accountable = (vm_flags & (VM_SHARED | VM_WRITE)) == VM_WRITE;

	if (huge || !(accountable || (!file && (vm_flags & VM_SHARED))))
		return true;
	return (len >> PAGE_SHIFT) <= commit_limit_pages(m);
}

static long mmap_locked(struct task_struct *t, uint64_t len, unsigned long vm_flags,
			struct file *file, uint64_t pgoff, bool populate, uint64_t *addr_out)
{
	struct mm_struct *mm = t->mm;
	struct vm_area_struct *vma;
	uint64_t addr, offset = 0, align = (vm_flags & (VM_HUGEPAGE | VM_HUGETLB)) ? PMD_SIZE : PAGE_SIZE;

	if (!mm)
		return -EINVAL;
	if (!len || len % PAGE_SIZE)
		return -EINVAL;
	/* hugetlb_get_unmapped_area: whole huge pages; hugetlbfs_file_mmap: at a huge-page offset */
	if ((vm_flags & VM_HUGETLB) && (len % HPAGE_PMD_SIZE || pgoff % HPAGE_PMD_NR))
		return -EINVAL;
	if (file && !file_mmap_ok(pgoff, len))
		return -EOVERFLOW;
	if (file && (vm_flags & VM_WRITE) && (vm_flags & VM_SHARED) && !(file->f_mode & FMODE_WRITE))
		return -EACCES;
	if (!vm_enough_memory(t->m, len, vm_flags, file))
		return -ENOMEM;	/* mmap_region */
	/* thp_get_unmapped_area: XFS and ext4 align DAX mappings of 2 MiB or more */
	if (file && IS_DAX(file->f_inode) && len >= PMD_SIZE && !(pgoff % HPAGE_PMD_NR))
		align = PMD_SIZE;
	/* shmem_zero_setup: shared anonymous memory is an unnamed tmpfs object */
	if (!file && (vm_flags & VM_SHARED)) {
		long ret;
		file = shmem_kernel_file_setup(t->m, "dev/zero:", len);
		if (!file)
			return -ENOMEM;
		ret = do_mmap(t, len, vm_flags, file, 0, populate, addr_out);
		fput(file);
		return ret;
	}
	/* shmem_get_unmapped_area: line shmem huge pages up with PMDs */
	if (file && align == PAGE_SIZE && shmem_mapping(file_mapping(file)))
		align = shmem_mapping_align(t->m, len, pgoff, &offset);
	addr = get_unmapped_area(mm, len, align, offset);
	vma = vma_alloc();
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = vm_flags;
	vma->vm_file = file;
	if (file) {
		file->f_count++;
		vma->vm_pgoff = pgoff;
	} else {
		vma->vm_pgoff = addr >> PAGE_SHIFT;
	}
	vma_link(mm, vma);
	*addr_out = addr;
	if (populate || (vm_flags & VM_LOCKED)) {
		uint64_t a;
		/* MAP_POPULATE writes only into writable private mappings (COW). */
		unsigned fl = (vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE ? FAULT_FLAG_WRITE : 0;
		/* __mm_populate: GUP with FOLL_TOUCH marks every page it finds accessed */
		for (a = addr; a < addr + len; a += PAGE_SIZE) {
			if (!pte_lookup(mm, a))
				handle_mm_fault(vma, a, fl);
			follow_page_touch(vma, a);
		}
		lru_add_drain(t->m);	/* populate_vma_page_range: push the new pages onto the LRU */
	}
	return 0;
}

long do_mmap(struct task_struct *t, uint64_t len, unsigned long vm_flags, struct file *file,
	     uint64_t pgoff, bool populate, uint64_t *addr_out)
{
	void *lock = t->mm;	/* the mm's mmap_lock (a concurrently block may contend it) */
	long ret;

	mf_lock_obj(t->m, lock, "mmap_lock");
	ret = mmap_locked(t, len, vm_flags, file, pgoff, populate, addr_out);
	mf_unlock_obj(t->m, lock);
	return ret;
}

static int munmap_locked(struct task_struct *t, uint64_t start, uint64_t len)
{
	struct mm_struct *mm = t->mm;
	struct vm_area_struct **pp, *v;
	uint64_t end = start + len;

	if (!mm || start % PAGE_SIZE || !len)
		return -EINVAL;
	split_range(mm, start, end);
	pp = &mm->mmap;
	while ((v = *pp)) {
		if (v->vm_start >= start && v->vm_end <= end) {
			zap_page_range(v, v->vm_start, v->vm_end);
			*pp = v->vm_next;
			vma_free(v);
			continue;
		}
		pp = &v->vm_next;
	}
	return 0;
}

int do_munmap(struct task_struct *t, uint64_t start, uint64_t len)
{
	void *lock = t->mm;
	int ret;

	mf_lock_obj(t->m, lock, "mmap_lock");
	ret = munmap_locked(t, start, len);
	mf_unlock_obj(t->m, lock);
	return ret;
}

void mmput(struct machine *m, struct mm_struct *mm)
{
	struct vm_area_struct *v;

	if (--mm->users > 0)
		return;
	ksm_exit(m, mm);
	while ((v = mm->mmap)) {
		zap_page_range(v, v->vm_start, v->vm_end);
		mm->mmap = v->vm_next;
		vma_free(v);
	}
	ck_pt_release(m, &mm->pt);
	pt_free(&mm->pt);
	free(mm);
}

/* fork: shared mappings are not copied (they refault); private ones become COW. */
void dup_mmap(struct mm_struct *dst, struct mm_struct *src, struct task_struct *child)
{
	struct vm_area_struct *v, *n;
	int i;

	(void)child;
	ksm_fork(dst, src);
	dst->mmap_base = src->mmap_base;
	for (v = src->mmap; v; v = v->vm_next) {
		n = vma_alloc();
		n->vm_start = v->vm_start;
		n->vm_end = v->vm_end;
		n->vm_flags = v->vm_flags & ~VM_LOCKED;	/* mlocks are not inherited */
		n->vm_pgoff = v->vm_pgoff;
		n->vm_file = v->vm_file;
		if (n->vm_file)
			n->vm_file->f_count++;
		for (i = 0; i < v->nr_avc; i++)
			anon_vma_link(n, v->avc[i]);
		if (v->anon_vma) {
			/* the child's own anon_vma takes its COW copies */
			n->anon_vma = anon_vma_alloc();
			anon_vma_link(n, n->anon_vma);
			anon_vma_put(n->anon_vma);
		}
		vma_link(dst, n);
		copy_page_range(n, v);
	}
}

/*
 * mlock_fixup (changed: VM_LOCKED was just set or cleared), then for mlock
 * __mm_populate. mlock_pte_range counts or uncounts the locked mapping of
 * each page already there (not the zero page); populate faults in what is
 * missing and, 6.1 populate_vma_page_range's GUP with FOLL_WRITE on a writable
 * private mapping, write-faults what is mapped read-only (COW, zero page,
 * swap cache). A page a fault maps here is counted by the fault (map_page),
 * or here when that path maps without one (a swapped-in page).
 */
static void mlock_vma_pages(struct vm_area_struct *vma, bool lock, bool changed)
{
	struct machine *m = vma->vm_mm->owner->m;
	uint64_t a;

	for (a = vma->vm_start; a < vma->vm_end; a += PAGE_SIZE) {
		unsigned fl = (vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE ?
			      FAULT_FLAG_WRITE : 0;
		pte_t *pte = pte_lookup(vma->vm_mm, a);
		struct page *page;

		if (changed && pte && pte_present(*pte)) {
			page = pfn_to_page(m, pte_pfn(*pte));
			if (!PageFlag(page, PG_reserved))
				lock ? mlock_page(m, page) : munlock_page(m, page);
		}
		if (!lock || !(!pte || (!pte_present(*pte) && !is_hwpoison_pte(*pte)) ||
			       (fl && pte_present(*pte) && !(*pte & PTE_WRITE))))
			continue;
		handle_mm_fault(vma, a, fl);
		pte = pte_lookup(vma->vm_mm, a);
		if (!pte || !pte_present(*pte))
			continue;
		page = pfn_to_page(m, pte_pfn(*pte));
		if (!PageFlag(page, PG_reserved) && !PageFlag(page, PG_mlocked))
			mlock_page(m, page);
	}
}

/*
 * mprotect(): read/write permission on whole VMAs of [start, start+len).
 * Dropping write permission write-protects the PTEs, so the next store faults
 * (SIGSEGV SEGV_ACCERR); granting it leaves them read-only until a write fault
 * upgrades them, as the kernel does for shared and COW pages.
 */
int do_mprotect(struct task_struct *t, uint64_t start, uint64_t len, unsigned long prot)
{
	struct mm_struct *mm = t->mm;
	struct vm_area_struct *v;
	uint64_t end = start + len, a;

	if (!mm || start % PAGE_SIZE || (prot & ~(VM_READ | VM_WRITE)))
		return -EINVAL;
	for (a = start; a < end; a = v->vm_end)
		if (!(v = find_vma(mm, a)))
			return -ENOMEM;	/* a hole in the range */
	for (v = mm->mmap; v; v = v->vm_next)
		if (v->vm_file && (v->vm_flags & VM_SHARED) && (prot & VM_WRITE) &&
		    v->vm_start < end && v->vm_end > start && !(v->vm_file->f_mode & FMODE_WRITE))
			return -EACCES;
	split_range(mm, start, end);
	for (v = mm->mmap; v; v = v->vm_next) {
		if (v->vm_start < start || v->vm_end > end)
			continue;
		v->vm_flags = (v->vm_flags & ~(VM_READ | VM_WRITE)) | prot;
		if (prot & VM_WRITE)
			continue;
		for (a = v->vm_start; a < v->vm_end; a += PAGE_SIZE) {
			pte_t *p = pte_lookup(mm, a);
			if (p && pte_present(*p))
				*p &= ~PTE_WRITE;
		}
	}
	return 0;
}

int do_mlock(struct task_struct *t, uint64_t start, uint64_t len, bool lock)
{
	struct mm_struct *mm = t->mm;
	struct vm_area_struct *v;
	uint64_t end = start + len;

	if (!mm || start % PAGE_SIZE)
		return -EINVAL;
	split_range(mm, start, end);
	for (v = mm->mmap; v; v = v->vm_next) {
		if (v->vm_start < start || v->vm_end > end)
			continue;
		bool changed = !(v->vm_flags & VM_LOCKED) == lock;

		if (lock)
			v->vm_flags |= VM_LOCKED;
		else
			v->vm_flags &= ~VM_LOCKED;
		mlock_vma_pages(v, lock, changed);
	}
	lru_add_drain(t->m);	/* mlock_fixup and populate_vma_page_range drain this CPU */
	return 0;
}

/* msync(MS_SYNC): write back the file and report its write-back error once. */
int do_msync(struct task_struct *t, uint64_t start, uint64_t len)
{
	struct vm_area_struct *v;
	int ret = 0, err;

	if (!t->mm || start % PAGE_SIZE)
		return -EINVAL;
	for (v = t->mm->mmap; v; v = v->vm_next) {
		if (v->vm_end <= start || v->vm_start >= start + len)
			continue;
		if (!v->vm_file || !(v->vm_flags & VM_SHARED))
			continue;
		err = fs_fsync(v->vm_file, false);
		if (err && !ret)
			ret = err;
	}
	return ret;
}
