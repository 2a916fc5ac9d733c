/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unnamed shmem objects: MAP_SHARED|MAP_ANONYMOUS memory and SysV segments
 * are tmpfs files nobody can open, alive as long as something maps them.
 */
#include "memfail/mm.h"

struct file *shmem_kernel_file_setup(struct machine *m, const char *prefix, uint64_t size)
{
	return unlinked_file_setup(m, FS_TMPFS, prefix, size);
}
