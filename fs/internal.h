/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers shared by fs/ and mm/{filemap,truncate}.c; not part of the API. */
#ifndef MEMFAIL_FS_INTERNAL_H
#define MEMFAIL_FS_INTERNAL_H

#include "memfail/mm.h"

#define HPAGE_SHIFT (PAGE_SHIFT + HPAGE_PMD_ORDER)
#define HPAGE_SIZE (1ULL << HPAGE_SHIFT)

static inline struct machine *mapping_machine(const struct address_space *mapping)
{
	return mapping->host->m;
}

static inline bool hugetlbfs_mapping(const struct address_space *mapping)
{
	return mapping->host->i_sb->type == FS_HUGETLBFS;
}

/* hugetlbfs indexes its cache in huge pages (as 6.1 does), others in 4K pages. */
static inline unsigned mapping_index_shift(const struct address_space *mapping)
{
	return hugetlbfs_mapping(mapping) ? HPAGE_SHIFT : PAGE_SHIFT;
}

static inline struct page *page_head(struct machine *m, struct page *page)
{
	(void)m;
	return page - page->head_delta;
}

/* 4K pages in a cache entry (a compound head counts its tails). */
static inline uint64_t cache_page_nr(const struct page *head)
{
	return PageFlag(head, PG_head) ? 1ULL << head->order : 1;
}

/*
 * References the page cache holds on an entry: one per 4K page, as 6.1's
 * __filemap_add_folio takes folio_nr_pages(); hugetlbfs folios hold one.
 */
static inline int cache_refs(const struct address_space *mapping, const struct page *head)
{
	return hugetlbfs_mapping(mapping) ? 1 : (int)cache_page_nr(head);
}

/* Bytes of file one cache entry covers. */
static inline uint64_t cache_entry_bytes(const struct address_space *mapping,
					 const struct page *head)
{
	return hugetlbfs_mapping(mapping) ? HPAGE_SIZE : cache_page_nr(head) << PAGE_SHIFT;
}

static inline bool inode_has_disk(const struct inode *inode)
{
	return inode->i_sb->type == FS_DISK || inode->i_sb->type == FS_BDEV;
}

/* mm/filemap.c */
/*
 * The 4K page holding byte pos, with a reference on its head; NULL with
 * *err == 0 is a hole (reads as zeroes). create: allocate (and read from
 * disk) on a miss; vma is the faulting mapping (shmem's huge page advice) or NULL.
 */
struct page *pagecache_get_subpage(struct address_space *mapping, uint64_t pos,
				   bool create, struct vm_area_struct *vma, int *err);
void pagecache_put(struct machine *m, struct page *page);	/* drop that reference */
void set_page_dirty_cache(struct address_space *mapping, struct page *head);

/* mm/truncate.c */
void unmap_mapping_span(struct address_space *mapping, uint64_t start, uint64_t end,
			bool even_cows);
void disk_punch_range(struct inode *inode, uint64_t start, uint64_t end);
void pagecache_drop_all(struct address_space *mapping);
void pagecache_zero_range(struct address_space *mapping, uint64_t lstart, uint64_t lend);

#endif
