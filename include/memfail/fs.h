/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Files: inodes, the page cache's address_space, open files, and the
 * filesystems the model has: a disk filesystem whose files have an on-disk
 * copy, tmpfs (shmem), and the block device that holds filesystem metadata.
 */
#ifndef MEMFAIL_FS_H
#define MEMFAIL_FS_H

#include <stdbool.h>
#include <stdint.h>

#include "memfail/errseq.h"
#include "memfail/xarray.h"

/* umbrella, for now: users of these should include them directly */
#include "memfail/filemap.h"
#include "memfail/pipe.h"

struct machine;
struct page;
struct vm_area_struct;
struct task_struct;
struct pipe_inode_info;

enum fs_type { FS_DISK, FS_TMPFS, FS_HUGETLBFS, FS_BDEV, FS_DAX /* pmem filesystem, fs/dax_fs.c */ };

/* address_space flags */
#define AS_EIO 0
#define AS_ENOSPC 1

struct super_block {
	enum fs_type type;
	const char *name;
	errseq_t s_wb_err;
	unsigned dev_major, dev_minor;
};

struct address_space {
	struct inode *host;
	struct xarray i_pages;		/* page offset -> struct page * */
	uint64_t nrpages;
	struct vm_area_struct **i_mmap;	/* the VMAs mapping this file (the kernel's interval tree) */
	int nr_mmap, cap_mmap;
	int dead_mmap;			/* NULL holes in i_mmap (i_mmap_compact) */
	unsigned long flags;		/* AS_EIO, AS_ENOSPC */
	errseq_t wb_err;
};

struct inode {
	uint64_t i_ino;
	struct super_block *i_sb;
	bool regular;			/* S_ISREG; block device inodes are not */
	uint64_t i_size;
	int i_count;			/* open files + mappings + the directory entry */
	bool unlinked;
	bool shm_internal;		/* an object of the internal shm mount: no size limit */
	char name[64];
	struct address_space i_data;
	uint8_t **disk;			/* disk filesystem: the on-disk copy of each page (NULL = hole) */
	uint64_t nr_disk;
	struct machine *m;
	void *i_private;		/* FS_DAX: the file's block map (fs/dax_fs.c) */
};

#define FMODE_READ 1u
#define FMODE_WRITE 2u

struct file {
	struct inode *f_inode;
	unsigned f_mode;
	errseq_t f_wb_err;		/* sample taken at open, advanced by fsync */
	errseq_t f_sb_err;
	int f_count;
	struct pipe_inode_info *f_pipe;	/* a pipe (fs/pipe.c): no inode */
};

static inline struct address_space *file_mapping(struct file *f)
{
	return &f->f_inode->i_data;
}

/* fs/inode.c, fs/open.c, fs/read_write.c, fs/sync.c */
struct inode *fs_create(struct machine *m, enum fs_type type, const char *name, uint64_t size);
struct inode *fs_lookup(struct machine *m, enum fs_type type, const char *name);
struct file *fs_open(struct inode *inode, unsigned mode);
void fput(struct file *f);
void iput(struct inode *inode);
void inode_destroy(struct inode *inode);	/* machine teardown: free regardless of counts */
long fs_pread(struct file *f, void *buf, uint64_t len, uint64_t off);
long fs_pwrite(struct file *f, const void *buf, uint64_t len, uint64_t off);
int fs_fsync(struct file *f, bool datasync);
int fs_ftruncate(struct file *f, uint64_t size);
int fs_punch_hole(struct file *f, uint64_t off, uint64_t len);
int fs_unlink(struct machine *m, enum fs_type type, const char *name);
struct file *unlinked_file_setup(struct machine *m, enum fs_type type, const char *prefix, uint64_t size);
int sync_inode_pages(struct inode *inode);	/* write back dirty pages */
void sync_all(struct machine *m);
void drop_caches(struct machine *m, int mode);

/* fs/block_dev.c: a metadata page in the block device's page cache; busy = buffers in use */
struct page *bdev_read_metadata(struct machine *m, bool busy);

#endif
