/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Pipes, only as far as vmsplice(2) needs them (fs/pipe.c, fs/splice.c): a
 * pipe's buffers hold references on the user pages spliced into it until the
 * last file of the pipe is closed. That is how a user task pins a page in 6.1
 * without privileges, so scenarios can show what an extra reference does to
 * memory_failure, soft offline, THP split and collapse.
 */
#include <errno.h>
#include <stdlib.h>

#include "memfail/array.h"
#include "memfail/fs.h"
#include "memfail/mm.h"
#include "memfail/pipe.h"

struct pipe_inode_info {
	struct machine *m;
	struct page *bufs[PIPE_DEF_BUFFERS];
	int nrbufs;
};

struct file *create_pipe_file(struct machine *m)
{
	struct file *f = xcalloc(1, sizeof(*f), "making a pipe");

	f->f_pipe = xcalloc(1, sizeof(*f->f_pipe), "making a pipe");
	f->f_pipe->m = m;
	f->f_mode = FMODE_READ | FMODE_WRITE;
	f->f_count = 1;
	return f;
}

/* The last close: every buffer's page reference goes (a page may be freed now). */
void free_pipe_info(struct pipe_inode_info *pipe)
{
	int i;

	for (i = 0; i < pipe->nrbufs; i++)
		put_page(pipe->m, pipe->bufs[i]);
	free(pipe);
}

/* vmsplice(fd, {addr, len}, 1, 0) into an empty pipe: bytes spliced or -errno. */
long do_vmsplice(struct task_struct *t, struct file *f, uint64_t addr, uint64_t len)
{
	struct pipe_inode_info *pipe = f->f_pipe;
	int nr = (int)(len >> PAGE_SHIFT), got;

	if (!pipe)
		return -EBADF;
	if (addr % PAGE_SIZE || len % PAGE_SIZE || nr > PIPE_DEF_BUFFERS - pipe->nrbufs)
		return -EINVAL;	/* the model splices whole pages into free buffers only */
	got = get_user_pages_fast(t, addr, nr, false, &pipe->bufs[pipe->nrbufs]);
	if (got < 0)
		return got;
	pipe->nrbufs += got;
	return (long)got << PAGE_SHIFT;
}
