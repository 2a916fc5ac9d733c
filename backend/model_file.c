// SPDX-License-Identifier: GPL-2.0-only
/* The model back end's file steps of a task: open, read, write, fsync, truncate, punch, close, unlink. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "model.h"

static void classify_read(const uint8_t *buf, long n, uint64_t off, struct mf_result *res)
{
	long i;
	bool idx = true, same = true;

	res->kind = MF_RES_READ;
	if (n == 0) {
		res->read_kind = MF_READ_EOF;
		return;
	}
	for (i = 0; i < n; i++) {
		if (buf[i] != (uint8_t)(((off + (uint64_t)i) / MF_PAGE_SIZE) + 1))
			idx = false;
		if (buf[i] != buf[0])
			same = false;
	}
	/* a read inside page 0 of an index file is "index", not 0x01 */
	res->read_kind = idx ? MF_READ_INDEX : same ? MF_READ_BYTE : MF_READ_DATA;
	res->read_byte = buf[0];
}

static void fd_add(struct mb_proc *p, const char *name, int fd)
{
	struct mb_fd f = { .fd = fd };

	snprintf(f.name, sizeof(f.name), "%s", name);
	mb_names_put(&p->fd_idx, f.name, p->nfd);
	ARRAY_PUSH(p->fds, p->nfd, p->cap_fd, f, "adding an fd");
}

static void fd_del(struct mb_proc *p, const char *name)
{
	int i = mb_names_get(&p->fd_idx, name);

	if (i < 0)
		return;
	mb_names_del(&p->fd_idx, name);
	if (i != --p->nfd) {
		p->fds[i] = p->fds[p->nfd];
		mb_names_put(&p->fd_idx, p->fds[i].name, i);
	}
}

static void read_step(struct mf_machine *m, int tid, int fd, const struct mf_stmt *st, struct mf_result *res)
{
	uint8_t *buf = xmalloc(st->size, "reading a file");
	long ret = mf_pread(m, tid, fd, buf, st->size, st->offset);

	if (ret < 0) {
		mb_set_errno(res, ret, false);
	} else {
		classify_read(buf, ret, st->offset, res);
		if (ret > 0 && (uint64_t)ret < st->size) {
			res->read_short = true;
			res->read_len = (uint64_t)ret;
		}
	}
	free(buf);
}

/*
 * A write's buffer. Megabytes of it are mapped in the host's huge pages when
 * it has them: a fault per 2 MiB instead of one per 4 KiB page.
 */
#define HUGE_BUF (2ULL << 20)
struct wbuf {
	uint8_t *p;
	void *map;	/* the mapping, or NULL: p is malloc's */
	size_t len;
};

static struct wbuf write_buf(uint64_t size)
{
	struct wbuf b = { NULL, NULL, (size + HUGE_BUF - 1) / HUGE_BUF * HUGE_BUF + HUGE_BUF };

	if (size >= HUGE_BUF)
		b.map = mmap(NULL, b.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!b.map || b.map == MAP_FAILED) {
		b.map = NULL;
		b.p = xmalloc(size, "writing a file");
		return b;
	}
	b.p = (uint8_t *)(((uintptr_t)b.map + HUGE_BUF - 1) & ~(uintptr_t)(HUGE_BUF - 1));
	madvise(b.p, b.len - HUGE_BUF, MADV_HUGEPAGE);	/* advice: without THP, 4K pages */
	return b;
}

static void write_step(struct mf_machine *m, int tid, int fd, const struct mf_stmt *st, struct mf_result *res)
{
	struct wbuf b = write_buf(st->size);
	uint8_t *buf = b.p;
	uint64_t i, n;

	/* one memset per page: a byte pattern, or each page's index + 1 */
	for (i = 0; i < st->size; i += n) {
		n = MF_PAGE_SIZE - (st->offset + i) % MF_PAGE_SIZE;
		n = n < st->size - i ? n : st->size - i;
		memset(buf + i, st->pat.kind == MF_PAT_BYTE ? st->pat.byte :
		       (uint8_t)(((st->offset + i) / MF_PAGE_SIZE) + 1), n);
	}
	mb_set_errno(res, mf_pwrite(m, tid, fd, buf, st->size, st->offset), true);
	if (b.map)
		munmap(b.map, b.len);
	else
		free(buf);
}

void mb_exec_file_step(struct model *mo, struct mb_proc *p, int tid, const struct mf_stmt *st,
		       struct mf_result *res)
{
	struct mf_machine *m = mo->m;
	int i = st->fd[0] ? mb_names_get(&p->fd_idx, st->fd) : -1;
	int fd = i < 0 ? -1 : p->fds[i].fd;
	char path[MF_PATH_MAX + 16];

	switch (st->op) {
	case MF_OP_OPEN:
		mb_path(path, sizeof(path), st->fs, st->file);
		fd = mf_open(m, tid, path, st->rw ? MF_O_RDWR : MF_O_RDONLY);
		if (fd >= 0)
			fd_add(p, st->name, fd);
		mb_set_errno(res, fd, false);
		return;
	case MF_OP_READ:
		read_step(m, tid, fd, st, res);
		return;
	case MF_OP_WRITE:
		write_step(m, tid, fd, st, res);
		return;
	case MF_OP_FSYNC:
		mb_set_errno(res, mf_fsync(m, tid, fd), true);
		return;
	case MF_OP_FDATASYNC:
		mb_set_errno(res, mf_fdatasync(m, tid, fd), true);
		return;
	case MF_OP_FTRUNCATE:
		mb_set_errno(res, mf_ftruncate(m, tid, fd, st->size), true);
		return;
	case MF_OP_PUNCH:
		mb_set_errno(res, mf_fallocate(m, tid, fd, MF_FALLOC_PUNCH_HOLE | MF_FALLOC_KEEP_SIZE,
					       st->offset, st->size), true);
		return;
	case MF_OP_CLOSE:
		mb_set_errno(res, mf_close(m, tid, fd), true);
		fd_del(p, st->fd);
		return;
	default:	/* MF_OP_UNLINK */
		mb_path(path, sizeof(path), st->fs, st->file);
		mb_set_errno(res, mf_unlink(m, tid, path), true);
		return;
	}
}
