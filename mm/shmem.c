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
#include "memfail/huge_mm.h"
#include "memfail/mm.h"
#include "../fs/internal.h"

struct file *shmem_kernel_file_setup(struct machine *m, const char *prefix, uint64_t size)
{
	return unlinked_file_setup(m, FS_TMPFS, prefix, size);
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
 * a 2M folio when the policy allows and one can be had, else a 4K page.
 * *first is the index it goes in at. NULL when memory is exhausted.
 */
struct page *shmem_alloc_folio(struct address_space *mapping, uint64_t index,
			       struct vm_area_struct *vma, uint64_t *first)
{
	struct page *page = NULL;

	*first = index;
	if (shmem_is_huge(vma, mapping->host, index))
		page = shmem_alloc_hugefolio(mapping, index);
	if (page) {
		*first = index & ~(uint64_t)(HPAGE_PMD_NR - 1);
		return page;
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
