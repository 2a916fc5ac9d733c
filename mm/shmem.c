/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shmem: unnamed shmem objects (MAP_SHARED|MAP_ANONYMOUS memory and SysV
 * segments are tmpfs files nobody can open, alive as long as something maps
 * them) and huge pages in shmem's page cache. One policy covers every shmem
 * object, as the runner sets the sysfs shmem_enabled and the tmpfs huge=
 * option to the same value: the 6.1 shmem_is_huge() decides per index
 * whether a miss allocates a 2M folio, shmem_get_unmapped_area() aligns
 * mappings that could hold one.
 */
#include <errno.h>

#include "memfail/huge_mm.h"
#include "memfail/mm.h"
#include "../fs/internal.h"

/* An object of the internal shm mount (shared anonymous memory, SysV): not size-limited. */
struct file *shmem_kernel_file_setup(struct machine *m, const char *prefix, uint64_t size)
{
	struct file *f = unlinked_file_setup(m, FS_TMPFS, prefix, size);

	if (f)
		f->f_inode->shm_internal = true;
	return f;
}

/*
 * shmem_inode_acct_block: the tmpfs mount's size limit, 6.1's default
 * (shmem_default_max_blocks) half of RAM: here half of the machine's memory
 * (the real runner mounts its tmpfs with that size). Blocks in use are the
 * page-cache pages of every tmpfs file, unlinked ones still open included.
 */
static bool shmem_acct_block(struct address_space *mapping, uint64_t pages)
{
	struct machine *m = mapping_machine(mapping);
	uint64_t used = 0, ram = 0;
	int i;

	if (mapping->host->shm_internal)
		return true;
	for (i = 0; i < m->nr_zones; i++)
		if (m->zones[i].type != ZONE_DEVICE)	/* pmem is not RAM */
			ram += m->zones[i].end_pfn - m->zones[i].start_pfn;
	for (i = 0; i < m->nr_inodes; i++) {
		struct inode *inode = m->inodes[i];

		if (inode->i_sb == &m->tmpfs_sb && !inode->shm_internal)
			used += inode->i_data.nrpages;
	}
	return used + pages <= ram / 2;
}

/*
 * 6.1 __shmem_is_huge(): may the page-cache miss at index (of a fault in
 * vma, or of a write or fallocate when vma is NULL) allocate a huge page?
 */
bool shmem_is_huge(struct vm_area_struct *vma, struct inode *inode, uint64_t index)
{
	uint64_t end, pages;

	if (!inode->regular)
		return false;
	if (vma && (vma->vm_flags & VM_NOHUGEPAGE))
		return false;
	switch (inode->m->thp.shmem_huge) {
	case SHMEM_HUGE_ALWAYS:
		return true;
	case SHMEM_HUGE_WITHIN_SIZE:
		/* the whole huge page that holds index must lie inside i_size */
		end = (index + HPAGE_PMD_NR) & ~(uint64_t)(HPAGE_PMD_NR - 1);
		pages = (inode->i_size + PAGE_SIZE - 1) >> PAGE_SHIFT;
		return pages >= end || (vma && (vma->vm_flags & VM_HUGEPAGE));	/* or advised */
	case SHMEM_HUGE_ADVISE:
		return vma && (vma->vm_flags & VM_HUGEPAGE);
	default:
		return false;
	}
}

/*
 * shmem_alloc_hugefolio(): a 2M folio for the aligned range holding index,
 * unless part of that range is cached (or swapped) already or no free 2M
 * block is left: NULL, and the caller falls back to a 4K page.
 */
static struct page *shmem_alloc_hugefolio(struct address_space *mapping, uint64_t index)
{
	struct machine *m = mapping_machine(mapping);
	unsigned long hindex = index & ~(uint64_t)(HPAGE_PMD_NR - 1);
	struct page *head;

	if (xa_find(&mapping->i_pages, &hindex, hindex + HPAGE_PMD_NR - 1, XA_PRESENT))
		return NULL;
	head = alloc_pages(m, HPAGE_PMD_ORDER);
	if (!head)
		return NULL;	/* THP_FILE_FALLBACK */
	prep_compound_page(m, head, HPAGE_PMD_ORDER);
	return head;
}

/*
 * The page a shmem page-cache miss at index allocates (shmem_get_folio_gfp):
 * a 2M folio when the policy allows, the size limit has room and one can be
 * had, else a 4K page. *first is the index it goes in at. NULL when the
 * mount is full (*err = -ENOSPC) or memory is exhausted (*err untouched).
 */
struct page *shmem_alloc_folio(struct address_space *mapping, uint64_t index,
			       struct vm_area_struct *vma, uint64_t *first, int *err)
{
	struct page *page = NULL;

	*first = index;
	if (shmem_is_huge(vma, mapping->host, index) && shmem_acct_block(mapping, HPAGE_PMD_NR))
		page = shmem_alloc_hugefolio(mapping, index);
	if (page) {
		*first = index & ~(uint64_t)(HPAGE_PMD_NR - 1);
		return page;
	}
	if (!shmem_acct_block(mapping, 1)) {
		*err = -ENOSPC;
		return NULL;
	}
	return alloc_pages(mapping_machine(mapping), 0);
}

/*
 * shmem_get_unmapped_area(): the alignment a new mapping of a shmem object
 * gets, as (align, offset): the address must be offset modulo align. A
 * mapping of 2M or more is placed so that huge pages of the object line up
 * with PMDs, unless shmem never uses huge pages.
 */
uint64_t shmem_mapping_align(struct machine *m, uint64_t len, uint64_t pgoff, uint64_t *offset)
{
	uint64_t off = (pgoff << PAGE_SHIFT) & (HPAGE_PMD_SIZE - 1);

	*offset = 0;
	if (m->thp.shmem_huge == SHMEM_HUGE_NEVER || len < HPAGE_PMD_SIZE)
		return PAGE_SIZE;
	if (off && off + len < 2 * HPAGE_PMD_SIZE)
		return PAGE_SIZE;
	*offset = off;
	return HPAGE_PMD_SIZE;
}
