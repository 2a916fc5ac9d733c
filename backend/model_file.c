// SPDX-License-Identifier: GPL-2.0-only
/* The model back end's file steps of a task: open, read, write, fsync, truncate, punch, close, unlink. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model.h"

/* Every one of the n bytes at p is b (memcmp against itself shifted: vector compares). */
static bool all_byte(const uint8_t *p, size_t n, uint8_t b)
{
	return !n || (p[0] == b && !memcmp(p, p + 1, n - 1));
}

static void classify_read(const uint8_t *buf, long n, uint64_t off, struct mf_result *res)
{
	bool idx = true;
	size_t i, seg;

	res->kind = MF_RES_READ;
	if (n == 0) {
		res->read_kind = MF_READ_EOF;
		return;
	}
	/* an index file's byte is its page number + 1, page by page */
	for (i = 0; idx && i < (size_t)n; i += seg) {
		uint64_t o = off + i;
		seg = MF_PAGE_SIZE - o % MF_PAGE_SIZE;
		if (seg > (size_t)n - i)
			seg = (size_t)n - i;
		idx = all_byte(buf + i, seg, (uint8_t)(o / MF_PAGE_SIZE + 1));
	}
	/* a read inside page 0 of an index file is "index", not 0x01 */
	res->read_kind = idx ? MF_READ_INDEX : all_byte(buf, (size_t)n, buf[0]) ? MF_READ_BYTE : MF_READ_DATA;
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
	uint8_t *buf = xmalloc(mf_rw_count(st->size), "reading a file");
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

/* What a write writes: one memset per page, a byte, or each page's index + 1 */
static void write_fill(uint8_t *buf, uint64_t len, const struct mf_stmt *st)
{
	uint64_t i, n;

	for (i = 0; i < len; i += n) {
		n = MF_PAGE_SIZE - (st->offset + i) % MF_PAGE_SIZE;
		n = n < len - i ? n : len - i;
		memset(buf + i, st->pat.kind == MF_PAT_BYTE ? st->pat.byte :
		       (uint8_t)(((st->offset + i) / MF_PAGE_SIZE) + 1), n);
	}
}

/*
 * Both patterns repeat every 256 pages: a write of megabytes is one 1 MiB
 * memfd mapped again and again, so the host backs (and first clears) 1 MiB,
 * not the whole write. NULL if the host will not: a plain buffer then.
 */
#define PERIOD (256 * MF_PAGE_SIZE)
static uint8_t *write_map(const struct mf_stmt *st, size_t len)
{
	int fd = memfd_create("memfail-write", MFD_CLOEXEC);
	uint8_t *base = MAP_FAILED, *p;
	size_t off;

	if (fd < 0)
		return NULL;
	if (!ftruncate(fd, PERIOD))
		base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	for (off = 0, p = base; base != MAP_FAILED && off < len; off += PERIOD) {
		p = mmap(base + off, PERIOD, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
		if (p == MAP_FAILED)
			break;
		if (!off)
			write_fill(p, PERIOD, st);
	}
	close(fd);
	if (base != MAP_FAILED && p == MAP_FAILED)
		munmap(base, len);
	return base == MAP_FAILED || p == MAP_FAILED ? NULL : base;
}

static void write_step(struct mf_machine *m, int tid, int fd, const struct mf_stmt *st, struct mf_result *res)
{
	uint64_t size = mf_rw_count(st->size);
	size_t len = (size + PERIOD - 1) / PERIOD * PERIOD;
	uint8_t *map = size >= 2 * PERIOD ? write_map(st, len) : NULL;
	uint8_t *buf = map;

	if (!buf) {
		buf = xmalloc(size, "writing a file");
		write_fill(buf, size, st);
	}
	mb_set_errno(res, mf_pwrite(m, tid, fd, buf, st->size, st->offset), true);
	if (map)
		munmap(map, len);
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
