/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unnamed shmem objects: MAP_SHARED|MAP_ANONYMOUS memory and SysV segments
 * are tmpfs files nobody can open, alive as long as something maps them.
 */
#include <stdio.h>

#include "memfail/mm.h"

struct file *shmem_kernel_file_setup(struct machine *m, const char *prefix, uint64_t size)
{
	char name[48];
	struct inode *inode;
	struct file *f;

	snprintf(name, sizeof(name), "%s%llu", prefix, (unsigned long long)m->next_ino);
	inode = fs_create(m, FS_TMPFS, name, size);
	if (!inode)
		return NULL;
	f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	fs_unlink(m, FS_TMPFS, name);	/* the open file keeps it */
	return f;
}
