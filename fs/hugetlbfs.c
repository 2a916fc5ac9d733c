/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hugetlbfs: files whose page cache holds whole hugetlb folios, indexed in
 * huge pages; the internal files behind MAP_SHARED|MAP_HUGETLB and SysV
 * SHM_HUGETLB segments (hugetlb_file_setup).
 */
#include <stdio.h>

#include "memfail/filemap.h"
#include "memfail/huge_mm.h"
#include "memfail/mm.h"
#include "internal.h"

/* The folio at huge index idx, allocated (zeroed, dirty) on a miss; with a reference. */
struct page *hugetlbfs_get_page(struct inode *inode, uint64_t idx)
{
	struct address_space *mapping = &inode->i_data;
	struct machine *m = inode->m;
	struct page *head = find_get_page(mapping, idx);

	if (head)
		return head;
	head = alloc_huge_page(m, false);
	if (!head)
		return NULL;
	clear_huge_page(m, head);	/* as hugetlbfs_fallocate does */
	SetPageFlag(head, PG_uptodate);
	SetPageFlag(head, PG_dirty);
	if (add_to_page_cache(head, mapping, idx)) {
		put_page(m, head);
		return NULL;
	}
	get_page(head);	/* the caller's; alloc's is the cache's */
	return head;
}

/* An unlinked hugetlbfs file of size bytes, open read-write. */
struct file *hugetlb_file_setup(struct machine *m, const char *prefix, uint64_t size)
{
	return unlinked_file_setup(m, FS_HUGETLBFS, prefix, size);
}
