/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Removing pages from the page cache: truncation and hole punching, the
 * generic ->error_remove_page memory_failure uses, and invalidation of clean
 * unused pages (drop_caches, and the fallback for the block device).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/dax.h"
#include "memfail/huge_mm.h"
#include "memfail/mm.h"
#include "../fs/internal.h"

/*
 * unmap_mapping_pages() over file pages [start, end), with end clamped to
 * what any VMA maps so that "to end of file" stays a finite count.
 */
void unmap_mapping_span(struct address_space *mapping, uint64_t start, uint64_t end,
			bool even_cows)
{
	uint64_t max = 0;
	int i;

	i_mmap_compact(mapping);
	for (i = 0; i < mapping->nr_mmap; i++) {
		struct vm_area_struct *vma = mapping->i_mmap[i];
		uint64_t e = vma->vm_pgoff + ((vma->vm_end - vma->vm_start) >> PAGE_SHIFT);
		if (e > max)
			max = e;
	}
	if (end > max)
		end = max;
	if (start < end)
		unmap_mapping_pages(mapping, start, end - start, even_cows);
}

/* The buffer heads attached to a page hold a reference of their own. */
static void release_private(struct machine *m, struct page *page)
{
	if (!PageFlag(page, PG_private))
		return;
	ClearPageFlag(page, PG_private);
	put_page(m, page);
}

static uint64_t page_pgoff(struct address_space *mapping, struct page *head)
{
	return hugetlbfs_mapping(mapping) ? head->index << HPAGE_PMD_ORDER : head->index;
}

/* truncate_inode_folio(): unmap if still mapped, drop dirty data and remove. */
static void truncate_one(struct address_space *mapping, struct page *head)
{
	struct machine *m = mapping_machine(mapping);

	if (page_mapped(head))
		unmap_mapping_span(mapping, page_pgoff(mapping, head),
				   page_pgoff(mapping, head) + cache_page_nr(head), false);
	release_private(m, head);
	ClearPageFlag(head, PG_dirty);
	ClearPageFlag(head, PG_mappedtodisk);
	delete_from_page_cache(head);
}

/* Zero file bytes [start, end) of the entry head, skipping poisoned 4K pages. */
static void zero_entry_range(struct address_space *mapping, struct page *head,
			     uint64_t start, uint64_t end)
{
	struct machine *m = mapping_machine(mapping);
	uint64_t base = head->index << mapping_index_shift(mapping);
	uint64_t pos;

	for (pos = start; pos < end;) {
		struct page *sub = head + ((pos - base) >> PAGE_SHIFT);
		uint64_t poff = pos & (PAGE_SIZE - 1);
		uint64_t n = PAGE_SIZE - poff;

		if (n > end - pos)
			n = end - pos;
		/* Touching a poisoned page would consume the error: leave it. */
		if (!PageFlag(sub, PG_hwpoison) && page_data(m, sub))
			memset(page_data_w(m, sub) + poff, 0, n);
		pos += n;
	}
}

/*
 * A shmem THP that straddles the edge of a truncated range: 6.1
 * truncate_inode_partial_folio() zeroes the part in range and splits the
 * folio, so that its 4K pages inside the range can go. When the split fails,
 * a dirty folio stays zeroed and a clean one goes whole. Returns false when
 * the folio stays as it is.
 */
static bool truncate_partial_thp(struct address_space *mapping, struct page *head,
				 uint64_t start, uint64_t end)
{
	struct machine *m = mapping_machine(mapping);
	int ret;

	zero_entry_range(mapping, head, start, end);
	get_page(head);		/* the truncation's reference: the split's caller */
	ret = split_huge_page(m, head);
	put_page(m, head);
	if (!ret)
		return true;
	if (PageFlag(head, PG_dirty))
		return false;
	truncate_one(mapping, head);
	return false;
}

/*
 * Remove the cache entries lying wholly in bytes [lstart, lend] (lend
 * inclusive, UINT64_MAX for "to the end") and zero the parts of the entries
 * that straddle either edge; with split, a straddling shmem THP is split so
 * that its pages in range go too. Dirty data in the range is lost.
 */
static void truncate_range(struct address_space *mapping, uint64_t lstart, uint64_t lend, bool split)
{
	unsigned shift = mapping_index_shift(mapping);
	unsigned long index;
	void *entry;

	if (lend < lstart)
		return;
	if (IS_DAX(mapping->host)) {	/* DAX entries of whole pages: fs/dax.c */
		dax_delete_mapping_range(mapping, (lstart + PAGE_SIZE - 1) >> PAGE_SHIFT,
					 lend == UINT64_MAX ? UINT64_MAX : (lend + 1) >> PAGE_SHIFT);
		return;
	}
	xa_for_each_range(&mapping->i_pages, index, entry, lstart >> shift, lend >> shift) {
		struct page *head = entry;
		uint64_t first = (uint64_t)index << shift, last;

		last = first + cache_entry_bytes(mapping, head) - 1;
		if ((first < lstart || last > lend) && split && PageTransHuge(head)) {
			if (!truncate_partial_thp(mapping, head, first > lstart ? first : lstart,
						  (last < lend ? last : lend) + 1))
				continue;
			/* split: head is a 4K entry now, the walk goes on to its old tails */
			if (page_mapping_file(head) != mapping)
				continue;
			last = first + PAGE_SIZE - 1;
		}
		if (first >= lstart && last <= lend)
			truncate_one(mapping, head);
		else
			zero_entry_range(mapping, head, first > lstart ? first : lstart,
					 (last < lend ? last : lend) + 1);
	}
}

void truncate_inode_pages_range(struct address_space *mapping, uint64_t lstart, uint64_t lend)
{
	truncate_range(mapping, lstart, lend, true);
}

/* Zero bytes [lstart, lend] of cached pages, removing and splitting nothing. */
void pagecache_zero_range(struct address_space *mapping, uint64_t lstart, uint64_t lend)
{
	truncate_range(mapping, lstart, lend, false);
}

/* Teardown/final iput: drop every entry (no mappings remain). */
void pagecache_drop_all(struct address_space *mapping)
{
	struct machine *m = mapping_machine(mapping);
	unsigned long index;
	void *entry;

	if (IS_DAX(mapping->host)) {
		dax_delete_mapping_range(mapping, 0, UINT64_MAX);
		return;
	}
	xa_for_each(&mapping->i_pages, index, entry) {
		release_private(m, entry);
		ClearPageFlag((struct page *)entry, PG_dirty);
		delete_from_page_cache(entry);
	}
}

/* Free the disk blocks wholly inside [start, end) and zero the partial ones. */
void disk_punch_range(struct inode *inode, uint64_t start, uint64_t end)
{
	uint64_t pos = start;

	while (pos < end) {
		uint64_t blk = pos >> PAGE_SHIFT, off = pos & (PAGE_SIZE - 1);
		uint64_t n = PAGE_SIZE - off;

		if (blk >= inode->nr_disk)
			break;
		if (n > end - pos)
			n = end - pos;
		if (n == PAGE_SIZE) {
			free(inode->disk[blk]);
			inode->disk[blk] = NULL;
		} else if (inode->disk[blk]) {
			memset(inode->disk[blk] + off, 0, n);
		}
		pos += n;
	}
}

/*
 * ->error_remove_page of regular files: truncate the page out of the file.
 * memory_failure has normally unmapped it already. -EIO for anything but a
 * regular file (the kernel only trusts this for data pages). For tmpfs this
 * stands in for shmem's own ->error_remove_page, which keeps the page.
 */
int generic_error_remove_page(struct address_space *mapping, struct page *page)
{
	struct page *head;

	if (!mapping)
		return -EINVAL;
	/*
	 * shmem_error_remove_page() is a no-op: the poisoned page stays in
	 * the cache so that the lost data reads as -EIO, not as a hole.
	 */
	if (shmem_mapping(mapping))
		return 0;
	if (!mapping->host->regular)
		return -EIO;
	head = page_head(mapping_machine(mapping), page);
	if (page_mapping_file(head) != mapping || PageAnon(head))
		return -EIO;
	truncate_one(mapping, head);
	return 0;
}

/*
 * mapping_evict_folio(): drop a clean, unused page. The caller holds a
 * reference, so besides the cache's (and the buffers') nobody else may.
 * Returns 1 if the page left the cache, 0 if not.
 */
int mapping_evict_page(struct address_space *mapping, struct page *page)
{
	struct machine *m;

	if (!mapping)
		return 0;
	m = mapping_machine(mapping);
	page = page_head(m, page);
	if (page_mapping_file(page) != mapping)
		return 0;
	if (PageFlag(page, PG_dirty) || PageFlag(page, PG_writeback))
		return 0;
	/* Mapped pages carry a reference per PTE; test it outright too. */
	if (page_mapped(page))
		return 0;
	if (page->_refcount > 1 + cache_refs(mapping, page) + (PageFlag(page, PG_private) ? 1 : 0))
		return 0;
	release_private(m, page);
	/* remove_mapping(): only the caller's and the cache's references may remain. */
	if (page->_refcount != 1 + cache_refs(mapping, page))
		return 0;
	delete_from_page_cache(page);
	return 1;
}

int invalidate_inode_page(struct page *page)
{
	struct address_space *mapping;

	if (PageAnon(page))
		return 0;
	mapping = page_mapping_file(page);
	if (!mapping)
		return 0;
	return mapping_evict_page(mapping, page);
}
