/* SPDX-License-Identifier: GPL-2.0-only */
/* The model back end's task steps: memory and file system calls of one task. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/huge_mm.h"
#include "memfail/ksm.h"
#include "model.h"

static void errno_res(struct mf_result *res, long ret, bool value)
{
	if (ret < 0) {
		res->kind = MF_RES_ERRNO;
		res->err = (int)-ret;
	} else if (value) {
		res->kind = MF_RES_VALUE;
		res->value = ret;
	} else {
		res->kind = MF_RES_OK;
	}
}

/* How a user access that raised a signal ended: the step's result. */
static void signal_res(struct machine *m, struct task_struct *t, struct mf_result *res)
{
	int i;

	if (t->signal->dead) {
		res->kind = MF_RES_KILLED;
		res->killed_signo = t->signal->exit_signal;
		return;
	}
	for (i = m->nr_sigs - 1; i >= 0; i--) {
		if (m->sigs[i].tid == t->pid) {
			struct kernel_siginfo *si = &m->sigs[i].info;
			res->kind = MF_RES_SIGNAL;
			res->sig = (struct mf_siginfo){ si->si_signo, si->si_code, si->si_addr, si->si_addr_lsb };
			memmove(&m->sigs[i], &m->sigs[i + 1], (size_t)(m->nr_sigs - i - 1) * sizeof(m->sigs[0]));
			m->nr_sigs--;
			return;
		}
	}
	res->kind = MF_RES_ERRNO;
	res->err = EFAULT;
}

static uint8_t pattern_byte(const struct mf_pattern *pat, const struct mb_region *r, uint64_t off)
{
	uint64_t page = off >> PAGE_SHIFT;

	if (pat->kind == MF_PAT_BYTE)
		return pat->byte;
	if (r->file)
		page += r->pgoff;
	return (uint8_t)(page + 1);
}

/* fill/check a range through the page tables, as the CPU would, a page at a time. */
static void fill_check(struct task_struct *t, struct mb_region *r, uint64_t off, uint64_t len,
		       const struct mf_pattern *pat, bool check, struct mf_result *res)
{
	struct machine *m = t->m;
	uint8_t want[PAGE_SIZE], buf[PAGE_SIZE];
	bool ok = true;
	uint64_t done, n;

	for (done = 0; done < len; done += n) {
		uint64_t a = r->addr + off + done;
		n = PAGE_SIZE - (a & (PAGE_SIZE - 1));
		if (n > len - done)
			n = len - done;
		/* the pattern is one byte per page: the whole chunk wants the same one */
		memset(want, pattern_byte(pat, r, off + done), n);
		memcpy(buf, want, n);
		if (access_user_page(t, a, buf, n, !check)) {
			signal_res(m, t, res);
			return;
		}
		if (check && memcmp(buf, want, n))
			ok = false;
	}
	if (check) {
		res->kind = MF_RES_CHECK;
		res->value = ok;
	}
}

static int mb_fd_of(struct mb_proc *p, const char *name)
{
	int i;

	for (i = 0; i < p->nfd; i++)
		if (!strcmp(p->fds[i].name, name))
			return p->fds[i].fd;
	return -1;
}

static struct file *fd_file(struct task_struct *t, int fd)
{
	return fd >= 0 && fd < t->files->nr ? t->files->fd[fd] : NULL;
}

static int install_fd(struct task_struct *t, struct file *f)
{
	struct files_struct *fs = t->files;
	struct file **n;
	int i;

	for (i = 0; i < fs->nr; i++) {
		if (!fs->fd[i]) {
			fs->fd[i] = f;
			return i;
		}
	}
	n = realloc(fs->fd, (size_t)(fs->nr + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	fs->fd = n;
	fs->fd[fs->nr] = f;
	return fs->nr++;
}

/* open(2) of a declared file: ENOENT once unlinked, EIO on a shut-down DAX fs. */
static struct file *open_declared(struct machine *m, const struct mf_stmt *st, bool write, long *err)
{
	struct inode *inode = fs_lookup(m, mb_fs_type(st->fs), st->file);
	struct file *f;

	*err = !inode ? -ENOENT : mb_dax_open_fails(inode) ? -EIO : 0;
	if (*err)
		return NULL;
	f = fs_open(inode, FMODE_READ | (write ? FMODE_WRITE : 0));
	if (!f)
		*err = -ENOMEM;
	return f;
}

static void do_mmap_step(struct model *mo, struct mb_proc *p, struct task_struct *t, const struct mf_stmt *st,
			 struct mf_result *res)
{
	struct machine *m = mo->m;
	unsigned long flags = VM_READ | (st->ro ? 0 : VM_WRITE);
	struct file *file = NULL;
	struct mb_region *r;
	uint64_t addr = 0;
	long ret;

	uint64_t resv = 0;

	if (p->nreg == MB_MAX) {
		errno_res(res, -ENOMEM, false);
		return;
	}
	switch (st->mkind) {
	case MF_MAP_ANON:
		if (st->shared)
			flags |= VM_SHARED;	/* do_mmap makes the shmem object */
		if (st->shared && st->hugetlb) {
			/* MAP_SHARED|MAP_HUGETLB: an internal hugetlbfs file */
			file = hugetlb_file_setup(m, "anon_hugepage", st->size);
			if (!file) {
				errno_res(res, -ENOMEM, false);
				return;
			}
		}
		break;
	case MF_MAP_SYSV:
		/* shmget + shmat: a SysV segment is a shmem (or hugetlbfs) object mapped shared */
		file = st->hugetlb ? hugetlb_file_setup(m, "SYSV", st->size) :
				     shmem_kernel_file_setup(m, "SYSV", st->size);
		if (!file) {
			errno_res(res, -ENOMEM, false);
			return;
		}
		flags |= VM_SHARED;
		break;
	case MF_MAP_FILE: {
		long err;
		file = open_declared(m, st, !st->ro, &err);
		if (!file) {
			errno_res(res, err, false);
			return;
		}
		if (st->shared && !st->ro)
			flags |= VM_SHARED;
		break;
	}
	case MF_MAP_FD:
		file = fd_file(t, mb_fd_of(p, st->fd));
		if (!file) {
			errno_res(res, -EBADF, false);
			return;
		}
		file->f_count++;
		if (st->shared && !st->ro)
			flags |= VM_SHARED;
		break;
	}
	if (st->locked)
		flags |= VM_LOCKED;
	if (st->thp)
		flags |= VM_HUGEPAGE;	/* 2M aligned, then MADV_HUGEPAGE */
	if (st->hugetlb || (file && file->f_inode->i_sb->type == FS_HUGETLBFS)) {
		flags |= VM_HUGETLB;
		resv = hugetlb_mmap_reserve(m, file, st->offset, st->size, flags);
		if (resv == UINT64_MAX) {
			if (file)
				fput(file);
			errno_res(res, -ENOMEM, false);
			return;
		}
	}
	ret = do_mmap(t, st->size, flags, file, st->offset >> PAGE_SHIFT,
		      !(flags & VM_HUGETLB) && (st->populate || st->pat.kind != MF_PAT_NONE), &addr);
	if (file)
		fput(file);	/* the mapping holds its own reference; the fd is closed */
	if (ret) {
		if (resv)
			hugetlb_unreserve_pages(m, resv);
		errno_res(res, ret, false);
		return;
	}
	if (flags & VM_HUGETLB) {
		struct vm_area_struct *vma = find_vma(t->mm, addr);
		uint64_t a;
		vma->hugetlb_resv = resv;
		/* MAP_POPULATE after the reservation, as the kernel's mmap does */
		if (st->populate || st->pat.kind != MF_PAT_NONE || st->locked)
			for (a = addr; a < addr + st->size; a += HPAGE_PMD_SIZE)
				handle_mm_fault(vma, a, (flags & (VM_WRITE | VM_SHARED)) == VM_WRITE ?
						 FAULT_FLAG_WRITE : 0);
	}
	r = &p->reg[p->nreg++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", st->name);
	r->addr = addr;
	r->len = st->size;
	r->file = st->mkind == MF_MAP_FILE || st->mkind == MF_MAP_FD;
	r->pgoff = st->offset >> PAGE_SHIFT;
	if (st->pat.kind != MF_PAT_NONE)
		fill_check(t, r, 0, st->size, &st->pat, false, res);
}

static int classify_read(const uint8_t *buf, long n, uint64_t off, struct mf_result *res)
{
	long i;
	bool idx = true, same = true;

	res->kind = MF_RES_READ;
	if (n == 0) {
		res->read_kind = MF_READ_EOF;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (buf[i] != (uint8_t)(((off + (uint64_t)i) >> PAGE_SHIFT) + 1))
			idx = false;
		if (buf[i] != buf[0])
			same = false;
	}
	/* a read inside page 0 of an index file is "index", not 0x01 */
	res->read_kind = idx ? MF_READ_INDEX : same ? MF_READ_BYTE : MF_READ_DATA;
	res->read_byte = buf[0];
	return 0;
}

static void file_step(struct model *mo, struct mb_proc *p, struct task_struct *t, const struct mf_stmt *st,
		      struct mf_result *res)
{
	struct machine *m = mo->m;
	struct file *f = st->fd[0] ? fd_file(t, mb_fd_of(p, st->fd)) : NULL;
	long ret;

	if (st->fd[0] && st->op != MF_OP_OPEN && !f) {
		errno_res(res, -EBADF, false);
		return;
	}
	switch (st->op) {
	case MF_OP_OPEN: {
		long err;
		int fd;
		f = open_declared(m, st, st->rw, &err);
		fd = f ? install_fd(t, f) : (int)err;
		if (fd < 0) {
			errno_res(res, fd, false);
			return;
		}
		snprintf(p->fds[p->nfd].name, MF_NAME_MAX, "%s", st->name);
		p->fds[p->nfd++].fd = fd;
		res->kind = MF_RES_OK;
		return;
	}
	case MF_OP_READ: {
		uint8_t *buf = malloc(st->size ? st->size : 1);
		if (!buf) {
			errno_res(res, -ENOMEM, false);
			return;
		}
		ret = fs_pread(f, buf, st->size, st->offset);
		if (ret < 0)
			errno_res(res, ret, false);
		else {
			classify_read(buf, ret, st->offset, res);
			if (ret > 0 && (uint64_t)ret < st->size) {
				res->read_short = true;
				res->read_len = (uint64_t)ret;
			}
		}
		free(buf);
		return;
	}
	case MF_OP_WRITE: {
		uint8_t *buf = malloc(st->size ? st->size : 1);
		uint64_t i;
		if (!buf) {
			errno_res(res, -ENOMEM, false);
			return;
		}
		for (i = 0; i < st->size; i++)
			buf[i] = st->pat.kind == MF_PAT_BYTE ? st->pat.byte : (uint8_t)(((st->offset + i) >> PAGE_SHIFT) + 1);
		errno_res(res, fs_pwrite(f, buf, st->size, st->offset), true);
		free(buf);
		return;
	}
	case MF_OP_FSYNC:
	case MF_OP_FDATASYNC:
		errno_res(res, fs_fsync(f, st->op == MF_OP_FDATASYNC), true);
		return;
	case MF_OP_FTRUNCATE:
		errno_res(res, fs_ftruncate(f, st->size), true);
		return;
	case MF_OP_PUNCH:
		errno_res(res, fs_punch_hole(f, st->offset, st->size), true);
		return;
	case MF_OP_CLOSE: {
		int i, fd = mb_fd_of(p, st->fd);
		t->files->fd[fd] = NULL;
		fput(f);
		for (i = 0; i < p->nfd; i++)
			if (!strcmp(p->fds[i].name, st->fd))
				p->fds[i] = p->fds[--p->nfd];
		errno_res(res, 0, true);
		return;
	}
	case MF_OP_UNLINK:
		errno_res(res, fs_unlink(m, mb_fs_type(st->fs), st->file), true);
		return;
	default:
		return;
	}
}

static void madvise_step(struct model *mo, struct task_struct *t, struct mb_region *r, const struct mf_stmt *st,
			 struct mf_result *res)
{
	static const int adv[] = {
		[MF_MADV_HWPOISON] = MADV_HWPOISON, [MF_MADV_SOFT_OFFLINE] = MADV_SOFT_OFFLINE,
		[MF_MADV_HUGEPAGE] = MADV_HUGEPAGE, [MF_MADV_NOHUGEPAGE] = MADV_NOHUGEPAGE,
		[MF_MADV_DONTNEED] = MADV_DONTNEED, [MF_MADV_PAGEOUT] = MADV_PAGEOUT,
		[MF_MADV_WILLNEED] = MADV_WILLNEED, [MF_MADV_COLLAPSE] = MADV_COLLAPSE,
		[MF_MADV_MERGEABLE] = MADV_MERGEABLE, [MF_MADV_UNMERGEABLE] = MADV_UNMERGEABLE,
	};

	(void)mo;
	errno_res(res, do_madvise(t, r->addr + st->addr.off, st->size, adv[st->madv]), true);
}

/* pin: a new pipe the task keeps open, with the range vmspliced into it. */
static void pin_step(struct mb_proc *p, struct task_struct *t, struct mb_region *r, const struct mf_stmt *st,
		     struct mf_result *res)
{
	struct file *f;
	long ret;
	int fd;

	if (p->npin == MB_MAX) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "more than %d pins in task %s", MB_MAX, p->name);
		return;
	}
	f = create_pipe_file(t->m);
	fd = f ? install_fd(t, f) : -ENOMEM;
	if (fd < 0) {
		fput(f);
		errno_res(res, fd, false);
		return;
	}
	p->pins[p->npin++] = fd;
	ret = do_vmsplice(t, f, r->addr + st->addr.off, st->size);
	errno_res(res, ret, true);	/* bytes spliced, as vmsplice returns */
}

void mb_exec_task_step(struct model *mo, const struct mf_stmt *st, const uint64_t *pfns, int nr,
		       struct mf_result *res)
{
	struct machine *m = mo->m;
	struct mb_proc *p = mb_proc(mo, st->task);
	struct task_struct *t = mb_thread(mo, st->task, st->thread);
	struct mb_region *r = NULL;
	uint8_t b;

	(void)pfns, (void)nr;
	if (!p || !t || p->leader->signal->dead) {
		res->kind = MF_RES_ERROR;
		snprintf(res->msg, sizeof(res->msg), "task %s is not alive", st->task);
		return;
	}
	m->current = t;
	if (st->addr.region[0]) {
		r = mb_region(p, st->addr.region);
		if (!r) {
			res->kind = MF_RES_ERROR;
			snprintf(res->msg, sizeof(res->msg), "%s has no region %s", st->task, st->addr.region);
			return;
		}
	}
	switch (st->op) {
	case MF_OP_MMAP:
		do_mmap_step(mo, p, t, st, res);
		break;
	case MF_OP_MUNMAP: {
		int i;
		r = mb_region(p, st->name);
		errno_res(res, do_munmap(t, r->addr, r->len), true);
		for (i = 0; i < p->nreg; i++)
			if (&p->reg[i] == r)
				p->reg[i] = p->reg[--p->nreg];
		break;
	}
	case MF_OP_MLOCK:
	case MF_OP_MUNLOCK:
		errno_res(res, do_mlock(t, r->addr + st->addr.off, st->size, st->op == MF_OP_MLOCK), true);
		break;
	case MF_OP_MSYNC:
		r = mb_region(p, st->name);
		errno_res(res, do_msync(t, r->addr, st->size ? st->size : r->len), true);
		break;
	case MF_OP_MADVISE:
		madvise_step(mo, t, r, st, res);
		break;
	case MF_OP_LOAD:
		if (access_user(t, r->addr + st->addr.off, &b, false))
			signal_res(m, t, res);
		else {
			res->kind = MF_RES_BYTE;
			res->value = b;
		}
		break;
	case MF_OP_STORE:
		b = st->byte;
		if (access_user(t, r->addr + st->addr.off, &b, true))
			signal_res(m, t, res);
		break;
	case MF_OP_FILL:
	case MF_OP_CHECK:
		fill_check(t, r, st->addr.off, st->size, &st->pat, st->op == MF_OP_CHECK, res);
		break;
	case MF_OP_PRCTL_MCE_KILL:
		errno_res(res, sys_prctl_mce_kill(t, st->mce_kill == MF_MCE_KILL_CLEAR ? 0 : 1,
						  st->mce_kill == MF_MCE_KILL_EARLY ? 1 : 0), true);
		break;
	case MF_OP_PRCTL_MCE_KILL_GET:
		errno_res(res, sys_prctl_mce_kill_get(t), true);
		break;
	case MF_OP_PIN:
		pin_step(p, t, r, st, res);
		break;
	case MF_OP_UNPIN:
		while (p->npin) {
			int fd = p->pins[--p->npin];
			fput(t->files->fd[fd]);
			t->files->fd[fd] = NULL;
		}
		res->kind = MF_RES_OK;
		break;
	case MF_OP_EXIT:
		do_exit_group(t, 0, 0);
		res->kind = MF_RES_OK;
		break;
	default:
		file_step(mo, p, t, st, res);
		break;
	}
	/* e.g. an early-kill SIGBUS during its own madvise: the step never returns */
	if (p->leader->signal->dead && st->op != MF_OP_EXIT && res->kind != MF_RES_KILLED) {
		res->kind = MF_RES_KILLED;
		res->killed_signo = p->leader->signal->exit_signal;
	}
	m->current = NULL;
}
