/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inodes and open files. A file lives in m->inodes from creation until its
 * last reference goes: the directory entry holds one (dropped by unlink),
 * every open file and every mapping another. An unlinked file stays usable
 * through the references left and is truncated when the last one goes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/dax.h"
#include "memfail/errseq.h"
#include "memfail/filemap.h"
#include "memfail/mm.h"
#include "memfail/pipe.h"
#include "internal.h"

static struct super_block *fs_sb(struct machine *m, enum fs_type type)
{
	switch (type) {
	case FS_DISK:
		return &m->disk_sb;
	case FS_TMPFS:
		return &m->tmpfs_sb;
	case FS_HUGETLBFS:
		return &m->hugetlbfs_sb;
	case FS_BDEV:
		return &m->bdev_sb;
	case FS_DAX:
		return daxfs_sb(m);	/* NULL until the pmem filesystem is mounted */
	}
	return NULL;
}

/* Returns NULL for a bad type or name, a name in use, or no host memory. */
struct inode *fs_create(struct machine *m, enum fs_type type, const char *name, uint64_t size)
{
	struct super_block *sb = fs_sb(m, type);
	struct inode *inode;

	if (!sb || !name || !*name || strlen(name) >= sizeof(inode->name))
		return NULL;
	if (fs_lookup(m, type, name))
		return NULL;
	ARRAY_GROW(m->inodes, m->nr_inodes, m->cap_inodes, "creating an inode");
	inode = xcalloc(1, sizeof(*inode), "creating an inode");
	inode->i_ino = ++m->next_ino;
	inode->i_sb = sb;
	inode->regular = type != FS_BDEV;
	inode->i_size = size;
	inode->i_count = 1;	/* the directory entry */
	strcpy(inode->name, name);
	inode->i_data.host = inode;
	xa_init(&inode->i_data.i_pages);
	inode->m = m;
	/* The disk copy starts as one hole; it grows as pages are written back. */
	m->inodes[m->nr_inodes++] = inode;
	return inode;
}

struct inode *fs_lookup(struct machine *m, enum fs_type type, const char *name)
{
	int i;

	for (i = 0; i < m->nr_inodes; i++) {
		struct inode *inode = m->inodes[i];
		if (!inode->unlinked && inode->i_sb->type == type && !strcmp(inode->name, name))
			return inode;
	}
	return NULL;
}

struct file *fs_open(struct inode *inode, unsigned mode)
{
	struct file *f;

	if (!inode || !mode || (mode & ~(FMODE_READ | FMODE_WRITE)))
		return NULL;
	f = xcalloc(1, sizeof(*f), "opening a file");
	f->f_inode = inode;
	f->f_mode = mode;
	/* An error nobody has seen yet is reported to this file too. */
	f->f_wb_err = errseq_sample(&inode->i_data.wb_err);
	f->f_sb_err = errseq_sample(&inode->i_sb->s_wb_err);
	f->f_count = 1;
	inode->i_count++;
	return f;
}

void fput(struct file *f)
{
	struct inode *inode;

	if (!f || --f->f_count > 0)
		return;
	if (f->f_pipe) {
		free_pipe_info(f->f_pipe);
		free(f);
		return;
	}
	inode = f->f_inode;
	free(f);
	iput(inode);
}

/* Take the inode out of m->inodes (keeping creation order) and free it. */
static void inode_free(struct inode *inode)
{
	struct machine *m = inode->m;
	uint64_t i;
	int k;

	if (IS_DAX(inode))
		daxfs_evict_inode(inode);	/* its pmem blocks and block map */
	for (k = 0; k < m->nr_inodes; k++) {
		if (m->inodes[k] == inode) {
			memmove(&m->inodes[k], &m->inodes[k + 1],
				(size_t)(m->nr_inodes - k - 1) * sizeof(*m->inodes));
			m->nr_inodes--;
			break;
		}
	}
	for (i = 0; i < inode->nr_disk; i++)
		free(inode->disk[i]);
	free(inode->disk);
	free(inode->i_data.i_mmap);
	xa_destroy(&inode->i_data.i_pages, NULL, NULL);
	free(inode);
}

/* The last reference to an unlinked file frees it and its blocks. */
void iput(struct inode *inode)
{
	if (!inode || --inode->i_count > 0)
		return;
	if (!inode->unlinked)
		return;		/* stays cached with its pages, like an unused dentry */
	truncate_inode_pages_range(&inode->i_data, 0, UINT64_MAX);
	inode_free(inode);
}

/* Machine teardown: drop the page cache's references and free, whatever the counts. */
void inode_destroy(struct inode *inode)
{
	if (!inode)
		return;
	pagecache_drop_all(&inode->i_data);
	inode_free(inode);
}

int fs_unlink(struct machine *m, enum fs_type type, const char *name)
{
	struct inode *inode = fs_lookup(m, type, name);

	if (!inode)
		return -ENOENT;
	inode->unlinked = true;
	iput(inode);		/* the directory entry's reference */
	return 0;
}

/* An unnamed file (shared anonymous memory, SysV segments): alive while open or mapped. */
struct file *unlinked_file_setup(struct machine *m, enum fs_type type, const char *prefix, uint64_t size)
{
	char name[48];
	struct inode *inode;
	struct file *f;

	snprintf(name, sizeof(name), "%s%llu", prefix, (unsigned long long)m->next_ino);
	inode = fs_create(m, type, name, size);
	if (!inode)
		return NULL;
	f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	fs_unlink(m, type, name);	/* the open file keeps it */
	return f;
}
