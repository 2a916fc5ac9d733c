/* SPDX-License-Identifier: GPL-2.0-only */
/* fs/pipe.c: a pipe whose buffers hold page references until its last close. */
#ifndef MEMFAIL_PIPE_H
#define MEMFAIL_PIPE_H

#include <stdint.h>

struct machine;
struct file;
struct task_struct;
struct pipe_inode_info;

#define PIPE_DEF_BUFFERS 16

struct file *create_pipe_file(struct machine *m);
void free_pipe_info(struct pipe_inode_info *pipe);
long do_vmsplice(struct task_struct *t, struct file *f, uint64_t addr, uint64_t len);

#endif
