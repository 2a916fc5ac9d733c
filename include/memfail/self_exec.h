/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running this process's command line again in a sibling program: memfail
 * becomes memfail-mpi under an MPI launcher (campaign/mpi.c), and the static
 * memfail becomes memfail-dynamic to draw (cli/cairo_exec.c).
 */
#ifndef MEMFAIL_SELF_EXEC_H
#define MEMFAIL_SELF_EXEC_H

#include <stddef.h>

/* This program's path (/proc/self/exe) in buf; -1 (errno set) if it cannot be read or is too long. */
int mf_self_path(char *buf, size_t len);

/*
 * Runs the command line this process started with (/proc/self/cmdline) in
 * NAME, the program of this one's directory, whose path goes to path (NAME
 * alone when this program's own path cannot be read). Returns only if it
 * could not, -1 with errno set (ENOENT: there is no such program).
 */
int mf_exec_sibling(const char *name, char *path, size_t len);

#endif
