/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Files: inodes, the page cache (address_space), open files, write-back error
 * reporting (errseq), and the filesystems the model has: a disk filesystem
 * whose files have an on-disk copy, tmpfs (shmem), and the block device that
 * holds filesystem metadata.
 */
#ifndef MEMFAIL_FS_H
#define MEMFAIL_FS_H

#include <stdbool.h>
#include <stdint.h>

#include "memfail/xarray.h"

struct machine;
struct page;
struct vm_area_struct;
struct task_struct;
struct pipe_inode_info;

typedef uint32_t errseq_t;

/* lib/errseq.c: the kernel's scheme of an error number, a seen bit and a counter. */
errseq_t errseq_set(errseq_t *eseq, int err);
errseq_t errseq_sample(const errseq_t *eseq);
int errseq_check(const errseq_t *eseq, errseq_t since);
int errseq_check_and_advance(errseq_t *eseq, errseq_t *since);

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

/* mm/filemap.c: the page cache */
struct page *find_get_page(struct address_space *mapping, uint64_t index);
struct page *filemap_get_page(struct address_space *mapping, uint64_t index,
			      struct vm_area_struct *vma, int *err);
int add_to_page_cache(struct page *page, struct address_space *mapping, uint64_t index);
void delete_from_page_cache(struct page *page);
int filemap_write_page(struct page *page);
void mapping_set_error(struct address_space *mapping, int err);
int filemap_check_and_advance_wb_err(struct file *f);
bool mapping_can_writeback(const struct address_space *mapping);
bool shmem_mapping(const struct address_space *mapping);

/* mm/truncate.c */
void truncate_inode_pages_range(struct address_space *mapping, uint64_t lstart, uint64_t lend);
int generic_error_remove_page(struct address_space *mapping, struct page *page);
int invalidate_inode_page(struct page *page);
int mapping_evict_page(struct address_space *mapping, struct page *page);

/* fs/pipe.c: a pipe whose buffers hold page references until its last close */
#define PIPE_DEF_BUFFERS 16
struct file *create_pipe_file(struct machine *m);
void free_pipe_info(struct pipe_inode_info *pipe);
long do_vmsplice(struct task_struct *t, struct file *f, uint64_t addr, uint64_t len);

#endif
