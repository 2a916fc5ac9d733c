/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The page cache: lookup, insertion and removal of file pages, write-back to
 * the modelled disk, and write-back error recording (mapping_set_error).
 *
 * References: the cache holds one reference per 4K page of an entry on its
 * head (the first is the one alloc_pages returned; a hugetlbfs folio holds
 * one). Lookups take another on the head; callers drop it with put_page on
 * the head (pagecache_put for a subpage).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/dax.h"
#include "memfail/errseq.h"
#include "memfail/filemap.h"
#include "memfail/huge_mm.h"
#include "memfail/mm.h"
#include "memfail/profile.h"
#include "../fs/internal.h"

bool mapping_can_writeback(const struct address_space *mapping)
{
	enum fs_type t = mapping->host->i_sb->type;

	return t == FS_DISK || t == FS_BDEV;
}

bool shmem_mapping(const struct address_space *mapping)
{
	return mapping->host->i_sb->type == FS_TMPFS;
}

/* The subpage of the cache entry "entry" that holds cache index "index". */
static struct page *entry_subpage(struct address_space *mapping, struct page *head,
				  uint64_t index)
{
	if (hugetlbfs_mapping(mapping))
		return head;
	return head + (index - head->index);
}

/* Returns the page at index with a reference on its head, or NULL. */
struct page *find_get_page(struct address_space *mapping, uint64_t index)
{
	void *entry = xa_load(&mapping->i_pages, index);

	/* Value entries (shmem swap) are not pages. */
	if (!entry || xa_is_value(entry))
		return NULL;
	get_page(entry);
	return entry_subpage(mapping, entry, index);
}

int add_to_page_cache(struct page *page, struct address_space *mapping, uint64_t index)
{
	unsigned order = 0;
	uint64_t i, nr;
	int ret;

	/* hugetlbfs indexes in huge pages: one slot per huge page. */
	if (!hugetlbfs_mapping(mapping) && PageFlag(page, PG_head))
		order = page->order;
	ret = xa_insert_order(&mapping->i_pages, index, order, page);
	if (ret)
		return ret == -EBUSY ? -EEXIST : ret;
	/* Every subpage of a large folio knows its file and index, so rmap walks work on any. */
	nr = 1ULL << order;
	for (i = 0; i < nr; i++) {
		page[i].mapping = (uintptr_t)mapping;
		page[i].index = index + i;
	}
	page->_refcount += cache_refs(mapping, page) - 1;	/* folio_ref_add(nr) */
	if (shmem_mapping(mapping))
		SetPageFlag(page, PG_swapbacked);
	if (PageFlag(page, PG_dirty))
		xa_set_mark(&mapping->i_pages, index, XA_MARK_DIRTY);
	mapping->nrpages += cache_page_nr(page);
	return 0;
}

/* Remove page (a head) from its cache and drop the cache's references. */
void delete_from_page_cache(struct page *page)
{
	struct address_space *mapping = page_mapping_file(page);
	struct machine *m;
	uint64_t i, nr;

	if (!mapping)
		return;
	m = mapping_machine(mapping);
	xa_erase(&mapping->i_pages, page->index);
	nr = cache_page_nr(page);
	mapping->nrpages -= nr;
	page->_refcount -= cache_refs(mapping, page) - 1;
	for (i = 0; i < (hugetlbfs_mapping(mapping) ? 1 : nr); i++)
		page[i].mapping = 0;
	put_page(m, page);
}

static void read_from_disk(struct inode *inode, struct page *head, uint64_t first, uint64_t nr)
{
	struct machine *m = inode->m;
	uint64_t i;

	for (i = 0; i < nr; i++) {
		uint64_t blk = first + i;
		if (blk < inode->nr_disk && inode->disk[blk])
			memcpy(page_data_w(m, head + i), inode->disk[blk], PAGE_SIZE);
	}
}

struct page *pagecache_get_subpage(struct address_space *mapping, uint64_t pos,
				   bool create, struct vm_area_struct *vma, int *err)
{
	struct machine *m = mapping_machine(mapping);
	uint64_t index = pos >> mapping_index_shift(mapping), first = index;
	void *entry = xa_load(&mapping->i_pages, index);
	struct page *page;
	int ret;

	*err = 0;
	if (entry) {
		get_page(entry);
		if (hugetlbfs_mapping(mapping))
			return (struct page *)entry + ((pos >> PAGE_SHIFT) & (HPAGE_PMD_NR - 1));
		return entry_subpage(mapping, entry, index);
	}
	/* hugetlbfs pages come only from hugetlb faults. */
	if (!create || hugetlbfs_mapping(mapping))
		return NULL;
	/* shmem may answer with a 2M folio starting at first (shmem_get_folio_gfp) */
	*err = -ENOMEM;
	page = shmem_mapping(mapping) ? shmem_alloc_folio(mapping, index, vma, &first, err) :
					alloc_pages(m, 0);
	if (!page)
		return NULL;	/* *err: -ENOMEM, or -ENOSPC from the tmpfs size limit */
	*err = 0;
	SetPageFlag(page, PG_uptodate);
	if (inode_has_disk(mapping->host))
		read_from_disk(mapping->host, page, index, 1);
	ret = add_to_page_cache(page, mapping, first);
	if (ret) {
		put_page(m, page);
		*err = ret;
		return NULL;
	}
	get_page(page);		/* the caller's */
	/* MGLRU's folio_add_lru in a fault (lru_gen_in_fault): active until lru_gen_add_folio */
	if (vma && m->profile->lru_gen)
		SetPageFlag(page, PG_active);
	lru_cache_add(m, page);
	return entry_subpage(mapping, page, index);
}

void pagecache_put(struct machine *m, struct page *page)
{
	put_page(m, page_head(m, page));
}

/*
 * The fault path's lookup: the page at index, created (and read from disk)
 * on a miss, with a reference on its head; vma is the faulting mapping (it
 * decides shmem's huge page policy). A PG_hwpoison page is returned like any
 * other: the caller tests PG_hwpoison (VM_FAULT_HWPOISON, or evict and retry
 * when clean, as __do_fault does). Errors: -EFAULT beyond EOF (the fault is a
 * SIGBUS), -ENOMEM (the model never swaps shmem out: no value entries in a
 * page-cache mapping). hugetlbfs returns
 * NULL with *err == 0 for a hole (hugetlb faults allocate).
 */
struct page *filemap_get_page(struct address_space *mapping, uint64_t index,
			      struct vm_area_struct *vma, int *err)
{
	unsigned shift = mapping_index_shift(mapping);

	*err = 0;
	if (index >= (mapping->host->i_size + (1ULL << shift) - 1) >> shift) {
		*err = -EFAULT;
		return NULL;
	}
	if (IS_DAX(mapping->host))	/* a private COW of a DAX file copies the pmem page */
		return dax_cow_source(mapping, index, err);
	return pagecache_get_subpage(mapping, index << shift, true, vma, err);
}

void set_page_dirty_cache(struct address_space *mapping, struct page *head)
{
	SetPageFlag(head, PG_dirty);
	xa_set_mark(&mapping->i_pages, head->index, XA_MARK_DIRTY);
}

static void ensure_disk(struct inode *inode, uint64_t nr)
{
	if (nr <= inode->nr_disk)
		return;
	inode->disk = xrealloc_array(inode->disk, nr, sizeof(*inode->disk), "growing a file's disk copy");
	memset(inode->disk + inode->nr_disk, 0, (nr - inode->nr_disk) * sizeof(*inode->disk));
	inode->nr_disk = nr;
}

/*
 * Write a dirty page (a head) back to the disk copy, synchronously. Shared
 * PTEs are write-protected first (page_mkclean) so that a later store dirties
 * the page again. A poisoned page cannot be read: its write-back fails with
 * -EIO, recorded in the mapping like any I/O error; the page is cleaned.
 */
int filemap_write_page(struct page *page)
{
	struct address_space *mapping = page_mapping_file(page);
	struct inode *inode;
	struct machine *m;
	uint64_t i, nr, first;

	if (!mapping || !PageFlag(page, PG_dirty) || !mapping_can_writeback(mapping))
		return 0;
	if (PageFlag(page, PG_writeback))
		return 0;	/* already on its way */
	inode = mapping->host;
	m = inode->m;
	if (page_mapped(page))
		page_mkclean(m, page);
	ClearPageFlag(page, PG_dirty);
	xa_clear_mark(&mapping->i_pages, page->index, XA_MARK_DIRTY);
	nr = cache_page_nr(page);
	for (i = 0; i < nr; i++) {
		if (PageFlag(page + i, PG_hwpoison)) {
			mapping_set_error(mapping, -EIO);
			return -EIO;
		}
	}
	first = page->index;
	for (i = 0; i < nr; i++) {
		uint64_t blk = first + i, pos = blk << PAGE_SHIFT;
		const uint8_t *src = page_data(m, page + i);
		uint8_t *dst;

		if (pos >= inode->i_size)
			break;	/* wholly beyond EOF: nothing to write */
		ensure_disk(inode, blk + 1);
		if (!inode->disk[blk])
			inode->disk[blk] = xcalloc(1, PAGE_SIZE, "writing a page back to disk");
		dst = inode->disk[blk];
		if (src)
			memcpy(dst, src, PAGE_SIZE);
		else
			memset(dst, 0, PAGE_SIZE);
		/* Bytes past EOF go to disk as zeroes, as block_write_full_page does. */
		if (inode->i_size - pos < PAGE_SIZE)
			memset(dst + (inode->i_size - pos), 0, PAGE_SIZE - (inode->i_size - pos));
	}
	return 0;
}

/* Record a write-back error for fsync (per file), syncfs (per sb) and legacy AS_* users. */
void mapping_set_error(struct address_space *mapping, int err)
{
	if (!err)
		return;
	errseq_set(&mapping->wb_err, err);
	if (mapping->host)
		errseq_set(&mapping->host->i_sb->s_wb_err, err);
	if (err == -ENOSPC)
		mapping->flags |= 1UL << AS_ENOSPC;
	else
		mapping->flags |= 1UL << AS_EIO;
}

/* file_check_and_advance_wb_err(): the error fsync reports, once per file. */
int filemap_check_and_advance_wb_err(struct file *f)
{
	struct address_space *mapping = file_mapping(f);
	int err = 0;

	if (errseq_check(&mapping->wb_err, f->f_wb_err))
		err = errseq_check_and_advance(&mapping->wb_err, &f->f_wb_err);
	/* Emulate what a legacy filemap_check_errors() would have consumed. */
	mapping->flags &= ~(1UL << AS_EIO | 1UL << AS_ENOSPC);
	return err;
}
