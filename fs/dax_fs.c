/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The pmem filesystem, mounted dax=always on the pmem device: XFS (reflink,
 * with or without the rmap btree) or ext4. File data lives in 4K pmem blocks;
 * each file has a block map. Reflink shares blocks between files (a refcount
 * per block) and a write to a shared block copies it first. XFS with rmapbt
 * keeps a reverse map, block -> every (owner, offset), metadata blocks
 * included, and is the dax_device holder whose notify_failure walks it.
 * ext4 registers no holder; XFS without rmapbt declines: both end up on 6.1's
 * generic one-file path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/dax.h"
#include "memfail/printk.h"

#define META_BLOCKS 512		/* superblock, AG headers, btree roots, inodes, log */
#define OWN_FS UINT64_MAX	/* XFS_RMAP_OWN_FS and friends: not an inode */
#define KERN_ALERT 1
#define EFSCORRUPTED EUCLEAN

struct rmap_rec {
	uint64_t block, owner, offset;	/* 6.1 sorts its btree by (block, owner, offset) */
};

struct daxfs {
	struct machine *m;
	struct pmem_device *pmem;
	enum daxfs_kind kind;
	struct super_block sb;
	uint64_t nblocks;
	uint16_t *refcnt;		/* owners per block: 0 free */
	uint8_t *busy;			/* freed, not yet reusable (XFS busy extents until the log commits) */
	struct rmap_rec *rmap;		/* XFS rmapbt only */
	size_t nrmap, caprmap;
	bool shutdown;
};

struct daxfs_inode {
	uint64_t *blk;			/* file page -> block + 1; 0 = hole */
	uint64_t nblk;
};

static struct daxfs *FS(struct machine *m)
{
	return m->pmem ? m->pmem->fs : NULL;
}

static struct daxfs_inode *DI(struct inode *inode)
{
	if (!inode->i_private)
		inode->i_private = xcalloc(1, sizeof(struct daxfs_inode), "a DAX inode's block map");
	return inode->i_private;
}

static int rmap_cmp(const struct rmap_rec *a, const struct rmap_rec *b)
{
	if (a->block != b->block)
		return a->block < b->block ? -1 : 1;
	if (a->owner != b->owner)
		return a->owner < b->owner ? -1 : 1;
	return a->offset < b->offset ? -1 : a->offset > b->offset;
}

/* First record not below key. */
static size_t rmap_find(struct daxfs *fs, const struct rmap_rec *key)
{
	size_t lo = 0, hi = fs->nrmap;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (rmap_cmp(&fs->rmap[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void rmap_add(struct daxfs *fs, uint64_t block, uint64_t owner, uint64_t offset)
{
	struct rmap_rec key = { block, owner, offset };
	size_t at;

	if (fs->kind != DAXFS_XFS)
		return;
	ARRAY_GROW(fs->rmap, fs->nrmap, fs->caprmap, "recording a daxfs reverse mapping");
	at = rmap_find(fs, &key);
	memmove(&fs->rmap[at + 1], &fs->rmap[at], (fs->nrmap - at) * sizeof(key));
	fs->rmap[at] = key;
	fs->nrmap++;
}

static void rmap_del(struct daxfs *fs, uint64_t block, uint64_t owner, uint64_t offset)
{
	struct rmap_rec key = { block, owner, offset };
	size_t at;

	if (fs->kind != DAXFS_XFS)
		return;
	at = rmap_find(fs, &key);
	if (at < fs->nrmap && !rmap_cmp(&fs->rmap[at], &key)) {
		memmove(&fs->rmap[at], &fs->rmap[at + 1], (fs->nrmap - at - 1) * sizeof(key));
		fs->nrmap--;
	}
}

static uint64_t block_pfn(struct daxfs *fs, uint64_t b)
{
	return fs->pmem->start_pfn + b;
}

/*
 * First fit, 4K or 2 MiB aligned runs of n blocks; the blocks are zeroed.
 * Blocks freed since are busy and skipped, unless nothing else is left (a
 * rewrite after a hole punch gets another block, as on XFS).
 */
static uint64_t alloc_blocks(struct daxfs *fs, uint64_t n, uint64_t align)
{
	uint64_t b, i;
	int pass;

	for (pass = 0; pass < 2; pass++)
	for (b = META_BLOCKS; b + n <= fs->nblocks; b += align) {
		for (i = 0; i < n && !fs->refcnt[b + i] && (pass || !fs->busy[b + i]); i++)
			;
		if (i < n)
			continue;
		for (i = 0; i < n; i++) {
			fs->refcnt[b + i] = 1;
			fs->busy[b + i] = 0;
			page_data_release(fs->m, pfn_to_page(fs->m, block_pfn(fs, b + i)));
		}
		return b;
	}
	return UINT64_MAX;
}

static void put_block(struct daxfs *fs, uint64_t b, uint64_t owner, uint64_t offset)
{
	rmap_del(fs, b, owner, offset);
	if (fs->refcnt[b] && !--fs->refcnt[b])
		fs->busy[b] = 1;	/* a freed block keeps its bytes, as pmem does */
}

static void di_grow(struct daxfs_inode *di, uint64_t n)
{
	if (n <= di->nblk)
		return;
	di->blk = xrealloc_array(di->blk, n, sizeof(*di->blk), "growing a daxfs block map");
	memset(di->blk + di->nblk, 0, (n - di->nblk) * sizeof(*di->blk));
	di->nblk = n;
}

static void set_block(struct daxfs *fs, struct inode *inode, uint64_t index, uint64_t b)
{
	struct daxfs_inode *di = DI(inode);

	if (di->blk[index])
		put_block(fs, di->blk[index] - 1, inode->i_ino, index);
	di->blk[index] = b + 1;
	rmap_add(fs, b, inode->i_ino, index);
}

static uint64_t lookup_block(struct inode *inode, uint64_t index)
{
	struct daxfs_inode *di = inode->i_private;

	return di && index < di->nblk && di->blk[index] ? di->blk[index] - 1 : UINT64_MAX;
}

bool daxfs_shutdown(struct machine *m)
{
	return FS(m) && FS(m)->shutdown;
}

bool daxfs_is_shared(struct inode *inode, uint64_t index)
{
	uint64_t b = lookup_block(inode, index);

	return b != UINT64_MAX && FS(inode->m)->refcnt[b] > 1;
}

uint64_t daxfs_iomap(struct inode *inode, uint64_t index, bool write, bool *cow, int *err)
{
	struct daxfs *fs = FS(inode->m);
	uint64_t b = lookup_block(inode, index), nb;

	*err = 0;
	if (fs->shutdown) {
		*err = -EIO;
		return NO_PFN;
	}
	if (!write)
		return b == UINT64_MAX ? NO_PFN : block_pfn(fs, b);
	if (b != UINT64_MAX && fs->refcnt[b] == 1)
		return block_pfn(fs, b);
	nb = alloc_blocks(fs, 1, 1);
	if (nb == UINT64_MAX) {
		*err = -ENOSPC;
		return NO_PFN;
	}
	di_grow(DI(inode), index + 1);
	if (b != UINT64_MAX) {	/* copy on write of a shared block */
		page_data_copy(inode->m, pfn_to_page(inode->m, block_pfn(fs, nb)),
			       pfn_to_page(inode->m, block_pfn(fs, b)));
		if (cow)
			*cow = true;
	}
	set_block(fs, inode, index, nb);
	return block_pfn(fs, nb);
}

uint64_t daxfs_iomap_pmd(struct inode *inode, uint64_t index)
{
	struct daxfs *fs = FS(inode->m);
	uint64_t first = lookup_block(inode, index), i;

	if (first == UINT64_MAX || first % HPAGE_PMD_NR)
		return NO_PFN;
	for (i = 1; i < HPAGE_PMD_NR; i++)
		if (lookup_block(inode, index + i) != first + i)
			return NO_PFN;
	return block_pfn(fs, first);
}

long daxfs_read(struct file *f, void *buf, uint64_t len, uint64_t off)
{
	struct inode *inode = f->f_inode;
	struct machine *m = inode->m;
	uint64_t done = 0;

	if (FS(m)->shutdown)
		return -EIO;
	if (off >= inode->i_size)
		return 0;
	if (len > inode->i_size - off)
		len = inode->i_size - off;
	/* No PG_hwpoison check on the DAX read path in 6.1 (software poison reads fine). */
	while (done < len) {
		uint64_t pos = off + done, poff = pos & (PAGE_SIZE - 1), n = PAGE_SIZE - poff;
		uint64_t b = lookup_block(inode, pos >> PAGE_SHIFT);
		const uint8_t *src = b == UINT64_MAX ? NULL :
				     page_data(m, pfn_to_page(m, block_pfn(FS(m), b)));

		if (n > len - done)
			n = len - done;
		if (src)
			memcpy((uint8_t *)buf + done, src + poff, n);
		else
			memset((uint8_t *)buf + done, 0, n);
		done += n;
	}
	return (long)done;
}

long daxfs_write(struct file *f, const void *buf, uint64_t len, uint64_t off)
{
	struct inode *inode = f->f_inode;
	struct machine *m = inode->m;
	uint64_t done = 0;

	if (FS(m)->shutdown)
		return -EIO;
	while (done < len) {
		uint64_t pos = off + done, poff = pos & (PAGE_SIZE - 1), n = PAGE_SIZE - poff;
		uint64_t index = pos >> PAGE_SHIFT, pfn;
		bool cow = false, fresh = lookup_block(inode, index) == UINT64_MAX;
		int err;

		if (n > len - done)
			n = len - done;
		pfn = daxfs_iomap(inode, index, true, &cow, &err);
		if (err)
			return done ? (long)done : err;
		if (cow || fresh)	/* dax_iomap_iter: drop the hole's or the old block's entry */
			dax_delete_mapping_range(&inode->i_data, index, index + 1);
		memcpy(page_data_w(m, pfn_to_page(m, pfn)) + poff, (const uint8_t *)buf + done, n);
		done += n;
		if (pos + n > inode->i_size)
			inode->i_size = pos + n;
	}
	return (long)done;
}

static void free_range(struct inode *inode, uint64_t first, uint64_t last)
{
	struct daxfs *fs = FS(inode->m);
	struct daxfs_inode *di = inode->i_private;
	uint64_t i;

	dax_delete_mapping_range(&inode->i_data, first, last);
	for (i = first; di && i < last && i < di->nblk; i++) {
		if (di->blk[i])
			put_block(fs, di->blk[i] - 1, inode->i_ino, i);
		di->blk[i] = 0;
	}
}

static void zero_bytes(struct inode *inode, uint64_t from, uint64_t to)
{
	struct machine *m = inode->m;

	while (from < to) {
		uint64_t n = PAGE_SIZE - (from & (PAGE_SIZE - 1)), pfn;
		bool cow = false;
		int err;

		if (n > to - from)
			n = to - from;
		if (lookup_block(inode, from >> PAGE_SHIFT) != UINT64_MAX) {
			pfn = daxfs_iomap(inode, from >> PAGE_SHIFT, true, &cow, &err);
			if (!err)
				memset(page_data_w(m, pfn_to_page(m, pfn)) + (from & (PAGE_SIZE - 1)), 0, n);
		}
		from += n;
	}
}

int daxfs_punch(struct inode *inode, uint64_t off, uint64_t len)
{
	uint64_t end = off + len, first = (off + PAGE_SIZE - 1) >> PAGE_SHIFT, last = end >> PAGE_SHIFT;

	if (FS(inode->m)->shutdown)
		return -EIO;
	if (end > inode->i_size)
		end = inode->i_size;
	if (first < last)
		free_range(inode, first, last);
	zero_bytes(inode, off, first << PAGE_SHIFT < end ? first << PAGE_SHIFT : end);
	if (last << PAGE_SHIFT > off)
		zero_bytes(inode, last << PAGE_SHIFT > off ? last << PAGE_SHIFT : off, end);
	return 0;
}

int daxfs_truncate(struct inode *inode, uint64_t size)
{
	if (FS(inode->m)->shutdown)
		return -EIO;
	if (size < inode->i_size) {
		free_range(inode, (size + PAGE_SIZE - 1) >> PAGE_SHIFT, UINT64_MAX);
		zero_bytes(inode, size, (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	}
	inode->i_size = size;
	return 0;
}

int daxfs_fsync(struct inode *inode)
{
	return FS(inode->m)->shutdown ? -EIO : 0;
}

void daxfs_evict_inode(struct inode *inode)
{
	struct daxfs_inode *di = inode->i_private;

	if (FS(inode->m))
		free_range(inode, 0, UINT64_MAX);
	if (di)
		free(di->blk);
	free(di);
	inode->i_private = NULL;
}

int daxfs_fallocate_aligned(struct inode *inode, uint64_t size)
{
	struct daxfs *fs = FS(inode->m);
	uint64_t n = ((size + (HPAGE_PMD_NR << PAGE_SHIFT) - 1) >> PAGE_SHIFT) & ~(uint64_t)(HPAGE_PMD_NR - 1);
	uint64_t b, i;

	if (fs->shutdown)
		return -EIO;
	b = alloc_blocks(fs, n, HPAGE_PMD_NR);
	if (b == UINT64_MAX)
		return -ENOSPC;
	di_grow(DI(inode), n);
	for (i = 0; i < n; i++)
		set_block(fs, inode, i, b + i);
	if (size > inode->i_size)
		inode->i_size = size;
	return 0;
}

int daxfs_reflink(struct inode *src, uint64_t soff, struct inode *dst, uint64_t doff, uint64_t len)
{
	struct daxfs *fs = FS(src->m);
	bool whole = !len;
	uint64_t i, n;

	if (fs->kind == DAXFS_EXT4)
		return -EOPNOTSUPP;
	if (fs->shutdown)
		return -EIO;
	if (src == dst || (soff | doff | len) & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!len) {	/* FICLONE: the whole file, dst becomes a copy */
		len = (src->i_size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		daxfs_truncate(dst, 0);
	}
	if (soff + len > ((src->i_size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)))
		return -EINVAL;
	n = len >> PAGE_SHIFT;
	di_grow(DI(dst), (doff >> PAGE_SHIFT) + n);
	/* xfs_flush_unmap_range on the destination */
	free_range(dst, doff >> PAGE_SHIFT, (doff >> PAGE_SHIFT) + n);
	for (i = 0; i < n; i++) {
		uint64_t b = lookup_block(src, (soff >> PAGE_SHIFT) + i);

		if (b == UINT64_MAX)
			continue;
		fs->refcnt[b]++;
		DI(dst)->blk[(doff >> PAGE_SHIFT) + i] = b + 1;
		rmap_add(fs, b, dst->i_ino, (doff >> PAGE_SHIFT) + i);
	}
	if (whole)
		dst->i_size = src->i_size;
	else if (doff + len > dst->i_size)
		dst->i_size = doff + len;
	return 0;
}

static struct inode *find_inode(struct machine *m, uint64_t ino)
{
	int i;

	for (i = 0; i < m->nr_inodes; i++)
		if (m->inodes[i]->i_ino == ino && IS_DAX(m->inodes[i]))
			return m->inodes[i];
	return NULL;
}

static void xfs_shutdown_corrupt(struct daxfs *fs)
{
	fs->shutdown = true;
	printk(fs->m, KERN_ALERT, "XFS (pmem0): Corruption of on-disk metadata (0x10) detected at "
	       "xfs_dax_notify_failure+0x3d7/0x430 [xfs] (fs/xfs/xfs_notify_failure.c:169).  "
	       "Shutting down filesystem.");
	printk(fs->m, KERN_ALERT, "XFS (pmem0): Please unmount the filesystem and rectify the problem(s)");
}

/* xfs_dax_notify_failure: every rmap owner of the failed blocks, in btree order. */
static int xfs_notify_failure(struct dax_device *dax_dev, uint64_t offset, uint64_t len, int mf_flags)
{
	struct daxfs *fs = dax_dev->holder_data;
	uint64_t block = offset >> PAGE_SHIFT, end = (offset + len) >> PAGE_SHIFT;
	bool want_shutdown = false;
	int error = 0;

	if (fs->kind != DAXFS_XFS)
		return -EOPNOTSUPP;	/* "needs rmapbt enabled!" is xfs_debug: silent */
	for (; block < end && !error; block++) {
		struct rmap_rec key = { block, 0, 0 }, *recs;
		size_t at = rmap_find(fs, &key), n, i;

		for (n = 0; at + n < fs->nrmap && fs->rmap[at + n].block == block; n++)
			;
		/* the walk may not change the tree, but copy so kills cannot disturb it */
		recs = xrealloc_array(NULL, n ? n : 1, sizeof(*recs), "walking the DAX reverse map");
		memcpy(recs, &fs->rmap[at], n * sizeof(*recs));
		for (i = 0; i < n && !error; i++) {
			struct inode *inode;

			if (recs[i].owner == OWN_FS) {
				want_shutdown = true;
				continue;
			}
			inode = find_inode(fs->m, recs[i].owner);
			if (!inode)
				continue;	/* not in core: nobody can map it */
			error = mf_dax_kill_procs(&inode->i_data, recs[i].offset, 1, mf_flags);
		}
		free(recs);
	}
	if (error || want_shutdown) {
		xfs_shutdown_corrupt(fs);
		if (!error)
			error = -EFSCORRUPTED;
	}
	return error;
}

static const struct dax_holder_operations xfs_dax_holder_operations = {
	.notify_failure = xfs_notify_failure,
};

int daxfs_mount(struct machine *m, enum daxfs_kind kind)
{
	struct pmem_device *pmem = m->pmem;
	struct daxfs *fs;
	uint64_t b;

	if (!pmem || pmem->fs || pmem->nr_pages <= META_BLOCKS)
		return -EINVAL;
	fs = xcalloc(1, sizeof(*fs), "mounting a DAX filesystem");
	fs->refcnt = xcalloc(pmem->nr_pages, sizeof(*fs->refcnt), "mounting a DAX filesystem");
	fs->busy = xcalloc(pmem->nr_pages, 1, "mounting a DAX filesystem");
	fs->m = m;
	fs->pmem = pmem;
	fs->kind = kind;
	fs->nblocks = pmem->nr_pages;
	fs->sb = (struct super_block){ FS_DAX, kind == DAXFS_EXT4 ? "ext4" : "xfs", 0, 259, 0 };
	for (b = 0; b < META_BLOCKS; b++) {
		fs->refcnt[b] = 1;
		rmap_add(fs, b, OWN_FS, 0);
	}
	pmem->fs = fs;
	if (kind != DAXFS_EXT4) {
		/* both XFS variants hold the dax_device; ext4 in 6.1 does not */
		pmem->dax_dev.holder_data = fs;
		pmem->dax_dev.holder_ops = &xfs_dax_holder_operations;
		printk(m, KERN_WARNING, "XFS (pmem0): DAX enabled. Warning: EXPERIMENTAL, use at your own risk");
		printk(m, 5, "XFS (pmem0): Mounting V5 Filesystem");
		printk(m, KERN_INFO, "XFS (pmem0): Ending clean mount");
	} else {
		printk(m, KERN_INFO, "EXT4-fs (pmem0): mounted filesystem with ordered data mode. Quota mode: none.");
	}
	return 0;
}

struct super_block *daxfs_sb(struct machine *m)
{
	return FS(m) ? &FS(m)->sb : NULL;
}

void daxfs_unmount(struct machine *m)
{
	struct daxfs *fs = FS(m);

	if (!fs)
		return;
	m->pmem->dax_dev.holder_data = NULL;
	m->pmem->dax_dev.holder_ops = NULL;
	m->pmem->fs = NULL;
	free(fs->refcnt);
	free(fs->busy);
	free(fs->rmap);
	free(fs);
}

uint64_t daxfs_pmem_pfn(struct machine *m, uint64_t dev_off)
{
	if (!m->pmem || dev_off >= m->pmem->nr_pages << PAGE_SHIFT)
		return NO_PFN;
	return m->pmem->start_pfn + (dev_off >> PAGE_SHIFT);
}
