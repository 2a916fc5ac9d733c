/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * read/write/fsync/ftruncate/fallocate(PUNCH_HOLE) through the page cache,
 * sync(2) and drop_caches. Errors are negative errnos, as system calls return.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "memfail/dax.h"
#include "memfail/huge_mm.h"
#include "memfail/mm.h"
#include "memfail/profile.h"
#include "internal.h"

#define MAX_LFS_FILESIZE ((uint64_t)INT64_MAX)

static uint64_t round_up_page(uint64_t x)
{
	return (x + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
}

/*
 * Reads stop with -EIO at a poisoned page; bytes read before it are returned
 * (a short read), as shmem_file_read_iter does. tmpfs holes read as zeroes
 * without allocating; disk misses are read in and stay cached.
 */
/*
 * A page of a poisoned hugetlbfs folio. 6.1 hugetlbfs_read_iter fails the whole
 * read; 6.12 (hugetlbfs_read_raw_hwp) reads up to the folio's first raw
 * poisoned page: a short read, or EIO when this folio's part of the read
 * starts there. LONG_MIN: this page can be read.
 */
static long hugetlbfs_read_poisoned(struct machine *m, struct page *page, bool folio_start,
				    uint64_t done)
{
	if (!m->profile->hugetlbfs_read_raw_hwp)
		return -EIO;
	if (!PageFlag(page, PG_raw_hwp))
		return LONG_MIN;
	return folio_start ? -EIO : (long)done;
}

long fs_pread(struct file *f, void *buf, uint64_t len, uint64_t off)
{
	struct inode *inode = f->f_inode;
	struct address_space *mapping = &inode->i_data;
	bool create = inode_has_disk(inode);
	struct machine *m = inode->m;
	uint64_t done = 0;

	if (off > MAX_LFS_FILESIZE)
		return -EINVAL;	/* ksys_pread64: a negative loff_t */
	if (!(f->f_mode & FMODE_READ))
		return -EBADF;
	if (len > TASK_SIZE_MAX)
		return -EFAULT;	/* vfs_read's access_ok, before rw_verify_area */
	if (len > MAX_LFS_FILESIZE - off)
		return -EINVAL;	/* rw_verify_area: pos + count overflows loff_t */
	len = mf_rw_count(len);	/* vfs_read: at most MAX_RW_COUNT */
	if (IS_DAX(inode))
		return daxfs_read(f, buf, len, off);
	if (off >= inode->i_size || !len)
		return 0;
	if (len > inode->i_size - off)
		len = inode->i_size - off;	/* i_size <= MAX_LFS_FILESIZE: len fits a long */
	while (done < len) {
		uint64_t pos = off + done, poff = pos & (PAGE_SIZE - 1);
		uint64_t n = PAGE_SIZE - poff;
		const uint8_t *src;
		struct page *page;
		int err;

		if (n > len - done)
			n = len - done;
		page = pagecache_get_subpage(mapping, pos, create, NULL, &err);
		if (err == -ENOMEM)
			out_of_memory(m, "a read");
		if (!err && page && hugetlbfs_mapping(mapping) && PageFlag(page_head(m, page), PG_hwpoison)) {
			long ret = hugetlbfs_read_poisoned(m, page, pos == off ||
							   !(pos & (HPAGE_PMD_SIZE - 1)), done);

			if (ret != LONG_MIN) {
				pagecache_put(m, page);
				return ret;
			}
		} else if (!err && page && PageFlag(page, PG_hwpoison)) {
			err = -EIO;
		}
		if (err) {
			if (page)
				pagecache_put(m, page);
			return done ? (long)done : err;
		}
		src = page ? page_data(m, page) : NULL;
		if (src)
			memcpy((uint8_t *)buf + done, src + poff, n);
		else
			memset((uint8_t *)buf + done, 0, n);
		if (page) {
			SetPageFlag(page_head(m, page), PG_referenced);	/* mark_accessed */
			pagecache_put(m, page);
		}
		done += n;
	}
	return (long)done;
}

/*
 * shmem_write_begin: 6.1 refuses the poisoned page itself; 6.12 the whole large
 * folio that contains one (folio_contain_hwpoisoned_page: PG_has_hwpoisoned).
 */
static bool write_refuses(struct machine *m, struct address_space *mapping, struct page *page)
{
	struct page *head = page_head(m, page);

	if (PageFlag(page, PG_hwpoison))
		return true;
	return m->profile->shmem_write_folio_hwp && shmem_mapping(mapping) &&
	       PageFlag(head, PG_head) && PageFlag(&head[1], PG_has_hwpoisoned);
}

/* Read-modify-write of cached pages, which become dirty; extends i_size. */
static long pwrite_locked(struct file *f, const void *buf, uint64_t len, uint64_t off)
{
	struct inode *inode = f->f_inode;
	struct address_space *mapping = &inode->i_data;
	struct machine *m = inode->m;
	uint64_t done = 0;

	if (off > MAX_LFS_FILESIZE)
		return -EINVAL;	/* ksys_pwrite64: a negative loff_t */
	if (!(f->f_mode & FMODE_WRITE))
		return -EBADF;
	if (inode->i_sb->type == FS_HUGETLBFS)
		return -EINVAL;	/* hugetlbfs has no write(2) */
	if (len > TASK_SIZE_MAX)
		return -EFAULT;	/* vfs_write's access_ok, before rw_verify_area */
	if (len > MAX_LFS_FILESIZE - off)
		return -EINVAL;	/* rw_verify_area: pos + count overflows loff_t */
	if (!len)
		return 0;
	len = mf_rw_count(len);	/* vfs_write: at most MAX_RW_COUNT */
	if (IS_DAX(inode))
		return daxfs_write(f, buf, len, off);	/* straight to pmem */
	while (done < len) {
		uint64_t pos = off + done, poff = pos & (PAGE_SIZE - 1);
		uint64_t n = PAGE_SIZE - poff;
		struct page *page;
		int err;

		if (n > len - done)
			n = len - done;
		page = pagecache_get_subpage(mapping, pos, true, NULL, &err);
		if (err == -ENOMEM)
			out_of_memory(m, "a write");
		if (!err && write_refuses(m, mapping, page))
			err = -EIO;
		if (err) {
			if (page)
				pagecache_put(m, page);
			return done ? (long)done : err;
		}
		page_data_set(m, page, poff, (const uint8_t *)buf + done, n);
		set_page_dirty_cache(mapping, page_head(m, page));
		SetPageFlag(page_head(m, page), PG_referenced);	/* FGP_ACCESSED */
		pagecache_put(m, page);
		done += n;
		if (pos + n > inode->i_size)
			inode->i_size = pos + n;
	}
	return (long)done;
}

/* Write back every dirty page; the first write error (also recorded in the mapping). */
int sync_inode_pages(struct inode *inode)
{
	struct address_space *mapping = &inode->i_data;
	unsigned long index;
	void *entry;
	int ret = 0;

	if (!mapping_can_writeback(mapping))
		return 0;
	/* PG_dirty is the truth; the mark is only the index into it. */
	xa_for_each(&mapping->i_pages, index, entry) {
		int err;

		if (xa_is_value(entry) || !PageFlag((struct page *)entry, PG_dirty))
			continue;
		err = filemap_write_page(entry);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

/*
 * ext4/blkdev: write back, then report what happened since this file last
 * looked (file_write_and_wait_range). tmpfs and hugetlbfs: noop_fsync.
 */
int fs_fsync(struct file *f, bool datasync)
{
	struct inode *inode = f->f_inode;

	(void)datasync;	/* no metadata is modelled: fsync == fdatasync */
	if (IS_DAX(inode))
		return daxfs_fsync(inode);
	if (!mapping_can_writeback(&inode->i_data))
		return 0;
	/* A write error is recorded in wb_err; reporting it here would do it twice. */
	sync_inode_pages(inode);
	return filemap_check_and_advance_wb_err(f);
}

/* Zero the straddling page in the cache and on disk: bytes [from, to). */
static void zero_partial(struct inode *inode, uint64_t from, uint64_t to)
{
	if (from >= to)
		return;
	pagecache_zero_range(&inode->i_data, from, to - 1);
	if (inode_has_disk(inode))
		disk_punch_range(inode, from, to);
}

static int ftruncate_locked(struct file *f, uint64_t size)
{
	struct inode *inode = f->f_inode;
	struct address_space *mapping = &inode->i_data;
	uint64_t old = inode->i_size;

	if (size > MAX_LFS_FILESIZE)
		return -EINVAL;	/* do_sys_ftruncate: a negative length */
	if (!(f->f_mode & FMODE_WRITE) || !inode->regular)
		return -EINVAL;
	if (inode->i_sb->type == FS_HUGETLBFS && size % HPAGE_SIZE)
		return -EINVAL;
	if (IS_DAX(inode))
		return daxfs_truncate(inode, size);
	if (size < old) {
		inode->i_size = size;
		/* truncate_pagecache(): private COW copies go too (even_cows). */
		unmap_mapping_span(mapping, round_up_page(size) >> PAGE_SHIFT, UINT64_MAX, true);
		truncate_inode_pages_range(mapping, size, UINT64_MAX);
		if (inode_has_disk(inode))
			disk_punch_range(inode, size, inode->nr_disk << PAGE_SHIFT);
	} else if (size > old) {
		/* Stores past the old EOF through a mapping must not show up. */
		zero_partial(inode, old, round_up_page(old) < size ? round_up_page(old) : size);
		inode->i_size = size;
	}
	return 0;
}

/* fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) */
static int punch_locked(struct file *f, uint64_t off, uint64_t len)
{
	struct inode *inode = f->f_inode;
	struct address_space *mapping = &inode->i_data;
	uint64_t end, first, last;

	/* vfs_fallocate's order: a negative offset or length before the fd mode */
	if (!len || off > MAX_LFS_FILESIZE || len > MAX_LFS_FILESIZE)
		return -EINVAL;
	if (!(f->f_mode & FMODE_WRITE))
		return -EBADF;
	if (len > MAX_LFS_FILESIZE - off)
		return -EFBIG;
	if (!inode->regular)
		return -ENODEV;
	if (IS_DAX(inode))
		return daxfs_punch(inode, off, len);
	end = off + len;
	if (inode->i_sb->type == FS_HUGETLBFS) {
		/* 6.1 hugetlbfs punches whole huge pages only and zeroes nothing. */
		off = (off + HPAGE_SIZE - 1) & ~(HPAGE_SIZE - 1);
		end &= ~(HPAGE_SIZE - 1);
		if (off >= end)
			return 0;
	}
	first = round_up_page(off) >> PAGE_SHIFT;
	last = end >> PAGE_SHIFT;
	/* truncate_pagecache_range(): whole pages only, COW copies stay. */
	if (first < last)
		unmap_mapping_span(mapping, first, last, false);
	truncate_inode_pages_range(mapping, off, end - 1);
	if (inode_has_disk(inode))
		disk_punch_range(inode, off, end);
	return 0;
}

/* sync(2): write back every dirty page of every writeback-capable file. */
void sync_all(struct machine *m)
{
	int i;

	for (i = 0; i < m->nr_inodes; i++)
		sync_inode_pages(m->inodes[i]);
}

/*
 * echo 1 (or 3) > drop_caches: evict every clean, unmapped, idle page-cache
 * page; write nothing. The LRU batch is drained first so its reference does
 * not pin pages.
 */
void drop_caches(struct machine *m, int mode)
{
	int i;

	if (!(mode & 1))
		return;		/* 2: slab only, which the model does not keep */
	lru_add_drain(m);
	for (i = 0; i < m->nr_inodes; i++) {
		struct address_space *mapping = &m->inodes[i]->i_data;
		unsigned long index;
		void *entry;

		if (hugetlbfs_mapping(mapping))
			continue;	/* hugetlb pages are not page cache to reclaim */
		xa_for_each(&mapping->i_pages, index, entry) {
			struct page *page = entry;

			if (xa_is_value(entry))
				continue;
			get_page(page);
			mapping_evict_page(mapping, page);
			put_page(m, page);
		}
	}
}

/* write, truncate and hole punch run under the inode's i_rwsem (a concurrently block may contend it). */
long fs_pwrite(struct file *f, const void *buf, uint64_t len, uint64_t off)
{
	long ret;

	mf_lock_obj(f->f_inode->m, f->f_inode, "i_rwsem");
	ret = pwrite_locked(f, buf, len, off);
	mf_unlock_obj(f->f_inode->m, f->f_inode);
	return ret;
}

int fs_ftruncate(struct file *f, uint64_t size)
{
	int ret;

	mf_lock_obj(f->f_inode->m, f->f_inode, "i_rwsem");
	ret = ftruncate_locked(f, size);
	mf_unlock_obj(f->f_inode->m, f->f_inode);
	return ret;
}

int fs_punch_hole(struct file *f, uint64_t off, uint64_t len)
{
	int ret;

	mf_lock_obj(f->f_inode->m, f->f_inode, "i_rwsem");
	ret = punch_locked(f, off, len);
	mf_unlock_obj(f->f_inode->m, f->f_inode);
	return ret;
}
