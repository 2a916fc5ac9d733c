// SPDX-License-Identifier: GPL-2.0-only
/*
 * File system calls of the public API: files a harness declares, open,
 * close, pread, pwrite, fsync, ftruncate, fallocate, unlink, pipe and
 * vmsplice, reflink, sync and drop_caches.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "memfail/dax.h"
#include "memfail/huge_mm.h"
#include "sys-internal.h"

int sys_parse_path(const char *path, enum fs_type *type, const char **name)
{
	static const struct { const char *prefix; enum fs_type type; } fss[] = {
		{ "disk:", FS_DISK }, { "tmpfs:", FS_TMPFS }, { "hugetlbfs:", FS_HUGETLBFS },
		{ "pmem:", FS_DAX },
	};
	size_t i;

	for (i = 0; path && i < ARRAY_SIZE(fss); i++) {
		size_t n = strlen(fss[i].prefix);

		if (!strncmp(path, fss[i].prefix, n) && path[n]) {
			*type = fss[i].type;
			*name = path + n;
			return 0;
		}
	}
	return -EINVAL;
}

struct file *sys_fd_file(struct task_struct *t, int fd)
{
	return fd >= 0 && fd < t->files->nr ? t->files->fd[fd] : NULL;
}

/* The lowest free fd, as the kernel hands them out. */
int sys_install_fd(struct task_struct *t, struct file *f)
{
	struct files_struct *fs = t->files;
	int i;

	for (i = 0; i < fs->nr; i++) {
		if (!fs->fd[i]) {
			fs->fd[i] = f;
			return i;
		}
	}
	fs->fd = xrealloc_array(fs->fd, (size_t)fs->nr + 1, sizeof(*fs->fd), "growing an fd table");
	fs->fd[fs->nr] = f;
	return fs->nr++;
}

/* ---- declared files ------------------------------------------------------------------- */

static uint8_t init_byte(const struct mf_file_init *init, uint64_t off)
{
	return init->fill.kind == MF_FILL_BYTE ? init->fill.byte : (uint8_t)((off >> PAGE_SHIFT) + 1);
}

/*
 * Written through the page cache, then fsynced and dropped as the state asks.
 * A write that fails (ENOSPC: the tmpfs size limit) fails the declaration, as
 * the real runner's write does; the file keeps what fitted.
 */
static int fill_file(struct machine *m, struct inode *inode, const struct mf_file_init *init)
{
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	uint8_t buf[PAGE_SIZE];
	uint64_t off;
	long ret = 0;

	for (off = 0; init->state != MF_FILE_INIT_HOLE && off < init->size && ret >= 0; off += PAGE_SIZE) {
		memset(buf, init_byte(init, off), sizeof(buf));
		ret = fs_pwrite(f, buf, init->size - off < PAGE_SIZE ? init->size - off : PAGE_SIZE, off);
	}
	if (ret < 0) {
		fput(f);
		return (int)ret;
	}
	if (init->state == MF_FILE_INIT_SYNCED || init->state == MF_FILE_INIT_UNCACHED)
		fs_fsync(f, false);
	fput(f);
	if (init->state == MF_FILE_INIT_UNCACHED) {
		lru_add_drain(m);
		truncate_inode_pages_range(&inode->i_data, 0, UINT64_MAX);
	}
	return 0;
}

/* hugetlbfs has no write(2): a harness fills it through a shared mapping. */
static int fill_hugetlbfs(struct inode *inode, const struct mf_file_init *init)
{
	uint64_t off;

	for (off = 0; init->state != MF_FILE_INIT_HOLE && off < init->size; off += PAGE_SIZE) {
		struct page *head = hugetlbfs_get_page(inode, off >> HUGETLB_PAGE_SHIFT);

		if (!head)
			return -ENOMEM;
		page_data_fill(inode->m, head + ((off >> PAGE_SHIFT) & (HPAGE_PMD_NR - 1)), init_byte(init, off));
		put_page(inode->m, head);
	}
	return 0;
}

/* A pmem file: written and "fsynced" through DAX, or allocated aligned first. */
static int fill_dax(struct inode *inode, const struct mf_file_init *init)
{
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	uint8_t buf[PAGE_SIZE];
	uint64_t off;
	long ret = 0;

	if (init->aligned)
		ret = daxfs_fallocate_aligned(inode, init->size);
	if (init->state == MF_FILE_INIT_HOLE && !ret)
		ret = fs_ftruncate(f, init->size);
	for (off = 0; init->state != MF_FILE_INIT_HOLE && off < init->size && ret >= 0; off += PAGE_SIZE) {
		memset(buf, init_byte(init, off), sizeof(buf));
		ret = fs_pwrite(f, buf, init->size - off < PAGE_SIZE ? init->size - off : PAGE_SIZE, off);
	}
	fput(f);
	return ret < 0 ? (int)ret : 0;
}

static int file_create(struct mf_machine *mm, const char *path, const struct mf_file_init *init)
{
	enum fs_type type;
	const char *name;
	struct inode *inode;

	if (!init || sys_parse_path(path, &type, &name) || init->state < MF_FILE_INIT_DIRTY ||
	    init->state > MF_FILE_INIT_UNCACHED)
		return -EINVAL;
	if (type == FS_DAX) {
		inode = fs_create(mm->m, FS_DAX, name, 0);
		return inode ? fill_dax(inode, init) : -EEXIST;
	}
	inode = fs_create(mm->m, type, name,
			  init->state == MF_FILE_INIT_HOLE || type == FS_HUGETLBFS ? init->size : 0);
	if (!inode)
		return -EEXIST;
	if (type == FS_HUGETLBFS)
		return fill_hugetlbfs(inode, init);
	return fill_file(mm->m, inode, init);
}

static void replay_file_create(struct mf_machine *mm, const struct sys_rec *r)
{
	mf_file_create(mm, r->s[0], r->blob);
}

int mf_file_create(struct mf_machine *mm, const char *path, const struct mf_file_init *init)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_file_create, NULL, 0, path, NULL, init, init ? sizeof(*init) : 0);
	return (int)sys_leave(mm, file_create(mm, path, init));
}

/* ---- open and close ------------------------------------------------------------------- */

/* open(2): ENOENT once unlinked, EIO on a shut-down DAX filesystem (XFS refuses). */
static int sys_open(struct mf_machine *mm, int tid, const char *path, int flags)
{
	struct task_struct *t = sys_task(mm, tid);
	struct inode *inode;
	enum fs_type type;
	const char *name;
	struct file *f;

	if (!t)
		return -ESRCH;
	if (sys_parse_path(path, &type, &name) || (flags != MF_O_RDONLY && flags != MF_O_RDWR))
		return -EINVAL;
	inode = fs_lookup(mm->m, type, name);
	if (!inode)
		return -ENOENT;
	if (IS_DAX(inode) && daxfs_shutdown(mm->m))
		return -EIO;
	f = fs_open(inode, FMODE_READ | (flags == MF_O_RDWR ? FMODE_WRITE : 0));
	return sys_install_fd(t, f);
}

static void replay_open(struct mf_machine *mm, const struct sys_rec *r)
{
	mf_open(mm, (int)r->a[0], r->s[0], (int)r->a[1]);
}

int mf_open(struct mf_machine *mm, int tid, const char *path, int flags)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_open, (int64_t[]){ tid, flags }, 2, path, NULL, NULL, 0);
	return (int)sys_leave(mm, sys_open(mm, tid, path, flags));
}

static int sys_close(struct mf_machine *mm, int tid, int fd)
{
	struct task_struct *t = sys_task(mm, tid);
	struct file *f;

	if (!t)
		return -ESRCH;
	f = sys_fd_file(t, fd);
	if (!f)
		return -EBADF;
	t->files->fd[fd] = NULL;
	fput(f);
	return 0;
}

static void replay_close(struct mf_machine *mm, const struct sys_rec *r)
{
	mf_close(mm, (int)r->a[0], (int)r->a[1]);
}

int mf_close(struct mf_machine *mm, int tid, int fd)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_close, (int64_t[]){ tid, fd }, 2, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, sys_close(mm, tid, fd));
}

/* ---- calls on an open file -------------------------------------------------------------- */

enum fd_op { F_PREAD, F_PWRITE, F_FSYNC, F_FDATASYNC, F_FTRUNCATE, F_FALLOCATE, F_VMSPLICE };

struct fd_args {
	void *buf;
	uint64_t len, off;
	int mode;
	bool scratch;	/* a replayed pread: read into a buffer of our own */
};

/*
 * pread into the caller's buffer, or (replaying) into a scratch one, mapped
 * NORESERVE: a read of 1G from a 16K file costs the host 16K.
 */
static long do_pread(struct file *f, const struct fd_args *a)
{
	size_t n = mf_rw_count(a->len);
	void *buf = a->buf;
	long ret;

	if (a->scratch) {
		n = n ? n : 1;
		buf = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			   -1, 0);
		if (buf == MAP_FAILED)
			mf_oom("replaying a read");
	}
	ret = fs_pread(f, buf, a->len, a->off);
	if (a->scratch)
		munmap(buf, n);
	return ret;
}

static long fd_call(struct mf_machine *mm, int op, int tid, int fd, const struct fd_args *a)
{
	struct task_struct *t = sys_task(mm, tid);
	struct file *f = t ? sys_fd_file(t, fd) : NULL;

	if (!t)
		return -ESRCH;
	if (!f || (op != F_VMSPLICE && f->f_pipe))
		return -EBADF;
	switch (op) {
	case F_PREAD:
		return do_pread(f, a);
	case F_PWRITE:
		return fs_pwrite(f, a->buf, a->len, a->off);
	case F_FSYNC:
	case F_FDATASYNC:
		return fs_fsync(f, op == F_FDATASYNC);
	case F_FTRUNCATE:
		return fs_ftruncate(f, a->len);
	case F_FALLOCATE:
		if (a->mode != (MF_FALLOC_PUNCH_HOLE | MF_FALLOC_KEEP_SIZE))
			return -EOPNOTSUPP;
		return fs_punch_hole(f, a->off, a->len);
	default:
		return f->f_pipe ? do_vmsplice(t, f, a->off, a->len) : -EBADF;
	}
}

static void replay_fd(struct mf_machine *mm, const struct sys_rec *r);

static long fd_rec(struct mf_machine *mm, int op, int tid, int fd, const struct fd_args *a)
{
	SYS_ENTER(mm);
	/* nothing happens, and a replay (which reads into scratch) must not read */
	if ((op == F_PREAD || op == F_PWRITE) && !a->buf && !a->scratch && a->len)
		return sys_leave(mm, -EFAULT);
	sys_record(mm, replay_fd, (int64_t[]){ op, tid, fd, (int64_t)a->len, (int64_t)a->off, a->mode },
		   6, NULL, NULL, op == F_PWRITE && a->buf ? a->buf : NULL,
		   op == F_PWRITE ? mf_rw_count(a->len) : 0);
	return sys_leave(mm, fd_call(mm, op, tid, fd, a));
}

static void replay_fd(struct mf_machine *mm, const struct sys_rec *r)
{
	void *buf = sys_rec_blob(r);
	struct fd_args a = { buf, (uint64_t)r->a[3], (uint64_t)r->a[4], (int)r->a[5],
			     r->a[0] == F_PREAD };

	fd_rec(mm, (int)r->a[0], (int)r->a[1], (int)r->a[2], &a);
	sys_rec_blob_put(r, buf);
}

long mf_pread(struct mf_machine *mm, int tid, int fd, void *buf, uint64_t len, uint64_t off)
{
	return fd_rec(mm, F_PREAD, tid, fd, &(struct fd_args){ buf, len, off, 0, false });
}

long mf_pwrite(struct mf_machine *mm, int tid, int fd, const void *buf, uint64_t len, uint64_t off)
{
	return fd_rec(mm, F_PWRITE, tid, fd, &(struct fd_args){ (void *)buf, len, off, 0, false });
}

int mf_fsync(struct mf_machine *mm, int tid, int fd)
{
	return (int)fd_rec(mm, F_FSYNC, tid, fd, &(struct fd_args){ 0 });
}

int mf_fdatasync(struct mf_machine *mm, int tid, int fd)
{
	return (int)fd_rec(mm, F_FDATASYNC, tid, fd, &(struct fd_args){ 0 });
}

int mf_ftruncate(struct mf_machine *mm, int tid, int fd, uint64_t size)
{
	return (int)fd_rec(mm, F_FTRUNCATE, tid, fd, &(struct fd_args){ NULL, size, 0, 0, false });
}

int mf_fallocate(struct mf_machine *mm, int tid, int fd, int mode, uint64_t off, uint64_t len)
{
	return (int)fd_rec(mm, F_FALLOCATE, tid, fd, &(struct fd_args){ NULL, len, off, mode, false });
}

long mf_vmsplice(struct mf_machine *mm, int tid, int fd, uint64_t addr, uint64_t len)
{
	return fd_rec(mm, F_VMSPLICE, tid, fd, &(struct fd_args){ NULL, len, addr, 0, false });
}

/* ---- names, pipes, whole filesystems ---------------------------------------------------- */

static int sys_unlink(struct mf_machine *mm, int tid, const char *path)
{
	enum fs_type type;
	const char *name;

	if (!sys_task(mm, tid))
		return -ESRCH;
	if (sys_parse_path(path, &type, &name))
		return -EINVAL;
	return fs_unlink(mm->m, type, name);
}

static void replay_unlink(struct mf_machine *mm, const struct sys_rec *r)
{
	mf_unlink(mm, (int)r->a[0], r->s[0]);
}

int mf_unlink(struct mf_machine *mm, int tid, const char *path)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_unlink, (int64_t[]){ tid }, 1, path, NULL, NULL, 0);
	return (int)sys_leave(mm, sys_unlink(mm, tid, path));
}

static int sys_pipe(struct mf_machine *mm, int tid)
{
	struct task_struct *t = sys_task(mm, tid);
	struct file *f;

	if (!t)
		return -ESRCH;
	f = create_pipe_file(mm->m);
	return sys_install_fd(t, f);
}

static void replay_pipe(struct mf_machine *mm, const struct sys_rec *r)
{
	mf_pipe(mm, (int)r->a[0]);
}

int mf_pipe(struct mf_machine *mm, int tid)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_pipe, (int64_t[]){ tid }, 1, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, sys_pipe(mm, tid));
}

static int reflink(struct mf_machine *mm, const char *src, uint64_t soff, const char *dst,
		   uint64_t doff, uint64_t len)
{
	enum fs_type st, dt;
	const char *sn, *dn;
	struct inode *si, *di;

	if (sys_parse_path(src, &st, &sn) || sys_parse_path(dst, &dt, &dn) || st != FS_DAX ||
	    dt != FS_DAX)
		return -EINVAL;
	si = fs_lookup(mm->m, FS_DAX, sn);
	di = fs_lookup(mm->m, FS_DAX, dn);
	if (!si || !di)
		return -ENOENT;
	return daxfs_reflink(si, soff, di, doff, len);
}

static void replay_reflink(struct mf_machine *mm, const struct sys_rec *r)
{
	mf_reflink(mm, r->s[0], (uint64_t)r->a[0], r->s[1], (uint64_t)r->a[1], (uint64_t)r->a[2]);
}

int mf_reflink(struct mf_machine *mm, const char *src, uint64_t src_off, const char *dst,
	       uint64_t dst_off, uint64_t len)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_reflink, (int64_t[]){ (int64_t)src_off, (int64_t)dst_off, (int64_t)len },
		   3, src, dst, NULL, 0);
	return (int)sys_leave(mm, reflink(mm, src, src_off, dst, dst_off, len));
}

static int sync_drop(struct mf_machine *mm, int mode)
{
	if (!mode) {
		sync_all(mm->m);
		return 0;
	}
	if (mode < 1 || mode > 3)
		return -EINVAL;
	lru_add_drain(mm->m);
	drop_caches(mm->m, mode);
	return 0;
}

static void replay_sync_drop(struct mf_machine *mm, const struct sys_rec *r)
{
	if (r->a[0])
		mf_drop_caches(mm, (int)r->a[0]);
	else
		mf_sync(mm);
}

int mf_sync(struct mf_machine *mm)
{
	SYS_ENTER(mm);
	sys_record(mm, replay_sync_drop, (int64_t[]){ 0 }, 1, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, sync_drop(mm, 0));
}

int mf_drop_caches(struct mf_machine *mm, int mode)
{
	SYS_ENTER(mm);
	if (!mode)
		return (int)sys_leave(mm, -EINVAL);
	sys_record(mm, replay_sync_drop, (int64_t[]){ mode }, 1, NULL, NULL, NULL, 0);
	return (int)sys_leave(mm, sync_drop(mm, mode));
}
