/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * File steps of the Linux back end, run inside the task: the task's table of
 * open files and open, read, write, fsync, fdatasync, ftruncate, punch, close
 * and unlink with real system calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lb.h"
#include "memfail/array.h"

struct t_fd {
	char name[MF_NAME_MAX];
	int fd;
};

/* growable; a free slot (name empty) is reused */
static struct t_fd *fds;
static int nfds, cap_fds;

static struct t_fd *fd_find(const char *name)
{
	for (int i = 0; i < nfds; i++)
		if (fds[i].name[0] && !strcmp(fds[i].name, name))
			return &fds[i];
	return NULL;
}

/* The descriptor a declared fd name stands for, or -1. */
int lb_fd_of(const char *name)
{
	struct t_fd *f = fd_find(name);

	return f ? f->fd : -1;
}

void lb_res_value(struct mf_result *res, long ret)
{
	if (ret < 0) {
		lb_set_errno(res, errno);
	} else {
		res->kind = MF_RES_VALUE;
		res->value = ret;
	}
}

/* classify a read buffer: index pattern of its file offsets, one byte, or data */
static void classify_read(const uint8_t *buf, uint64_t off, long n, uint64_t want,
			  struct mf_result *res)
{
	bool index = true, same = true;
	struct mf_pattern idx = { .kind = MF_PAT_INDEX };

	res->kind = MF_RES_READ;
	if (n == 0) {
		res->read_kind = MF_READ_EOF;
		return;
	}
	for (long i = 0; i < n; i++) {
		if (index && buf[i] != lb_pattern_byte(&idx, (off + (uint64_t)i) / LB_PAGE))
			index = false;
		if (same && buf[i] != buf[0])
			same = false;
	}
	if (index) {
		res->read_kind = MF_READ_INDEX;
	} else if (same) {
		res->read_kind = MF_READ_BYTE;
		res->read_byte = buf[0];
	} else {
		res->read_kind = MF_READ_DATA;
	}
	if ((uint64_t)n < want) {
		res->read_short = true;
		res->read_len = (uint64_t)n;
	}
}

/* A buffer of the statement's size (no cap: a read or write is one system call). */
/*
 * A read or write moves at most MAX_RW_COUNT bytes, so a buffer of that size
 * serves any count; NORESERVE, so the guest lends address space only.
 */
static uint8_t *io_buffer(uint64_t len, size_t *maplen, struct mf_result *res)
{
	uint8_t *buf;

	*maplen = len ? mf_rw_count(len) : 1;
	buf = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (buf != MAP_FAILED)
		return buf;
	res->kind = MF_RES_ERROR;
	snprintf(res->msg, sizeof(res->msg), "cannot map a %zu-byte buffer", *maplen);
	return NULL;
}

void lb_op_file(const struct lb_req *rq, struct mf_result *res)
{
	const struct mf_stmt *st = &rq->st;
	struct t_fd *f = NULL;

	if (st->op != MF_OP_OPEN && st->op != MF_OP_UNLINK) {
		f = fd_find(st->fd[0] ? st->fd : st->name);
		if (!f) {
			res->kind = MF_RES_ERROR;
			snprintf(res->msg, sizeof(res->msg), "no fd %s", st->fd);
			return;
		}
	}
	switch (st->op) {
	case MF_OP_OPEN: {
		struct t_fd *slot = NULL;

		for (int i = 0; i < nfds && !slot; i++)
			if (!fds[i].name[0])
				slot = &fds[i];
		int fd = open(rq->path, st->rw ? O_RDWR : O_RDONLY);

		if (fd < 0) {
			lb_set_errno(res, errno);
			return;
		}
		if (!slot) {
			ARRAY_GROW(fds, nfds, cap_fds, "the task's fds");
			slot = &fds[nfds++];
		}
		snprintf(slot->name, sizeof(slot->name), "%s", st->name);
		slot->fd = fd;
		res->kind = MF_RES_OK;
		break;
	}
	case MF_OP_READ: {
		size_t len;
		uint8_t *buf = io_buffer(st->size, &len, res);
		long n = buf ? pread(f->fd, buf, st->size, (off_t)st->offset) : 0;

		if (n < 0)
			lb_set_errno(res, errno);
		else if (buf)
			classify_read(buf, st->offset, n, st->size, res);
		if (buf)
			munmap(buf, len);
		break;
	}
	case MF_OP_WRITE: {
		size_t len;
		uint8_t *buf = io_buffer(st->size, &len, res);

		if (!buf)
			break;
		for (uint64_t i = 0; i < len && i < st->size; i++)
			buf[i] = lb_pattern_byte(&st->pat, (st->offset + i) / LB_PAGE);
		lb_res_value(res, pwrite(f->fd, buf, st->size, (off_t)st->offset));
		munmap(buf, len);
		break;
	}
	case MF_OP_FSYNC:
		lb_res_value(res, fsync(f->fd));
		break;
	case MF_OP_FDATASYNC:
		lb_res_value(res, fdatasync(f->fd));
		break;
	case MF_OP_FTRUNCATE:
		lb_res_value(res, ftruncate(f->fd, (off_t)st->size));
		break;
	case MF_OP_PUNCH:
		lb_res_value(res, fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					 (off_t)st->offset, (off_t)st->size));
		break;
	case MF_OP_CLOSE:
		lb_res_value(res, close(f->fd));
		memset(f, 0, sizeof(*f));
		break;
	case MF_OP_UNLINK:
		lb_res_value(res, unlink(rq->path));
		break;
	default:
		break;
	}
}

