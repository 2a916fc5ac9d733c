/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The disk's block device, whose page cache holds filesystem metadata (seed
 * 002's "metadata page" case). Such pages carry buffer heads (PG_private, with
 * a reference of their own); while the filesystem uses a buffer, the page
 * cannot be invalidated, so memory_failure can only report Failed.
 */
#include "memfail/filemap.h"
#include "memfail/mm.h"

#define BDEV_NAME "vda"

static struct inode *bdev_inode(struct machine *m)
{
	struct inode *inode = fs_lookup(m, FS_BDEV, BDEV_NAME);

	return inode ? inode : fs_create(m, FS_BDEV, BDEV_NAME, 64ULL << 20);
}

/* Read one more metadata block into the block device's page cache. */
struct page *bdev_read_metadata(struct machine *m, bool busy)
{
	struct inode *inode = bdev_inode(m);
	struct page *page;

	if (!inode)
		return NULL;
	page = alloc_pages(m, 0);
	if (!page)
		return NULL;
	SetPageFlag(page, PG_uptodate);
	if (add_to_page_cache(page, &inode->i_data, inode->i_data.nrpages)) {
		put_page(m, page);
		return NULL;
	}
	/* attach buffer heads: they hold the page */
	SetPageFlag(page, PG_private);
	get_page(page);
	/* a buffer the filesystem holds (journal, superblock) pins the page */
	if (busy)
		get_page(page);
	lru_cache_add(m, page);
	lru_add_drain(m);
	return page;
}
