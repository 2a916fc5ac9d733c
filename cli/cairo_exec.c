// SPDX-License-Identifier: GPL-2.0-only
/*
 * cairo for the static memfail (Makefile: STATIC=1). A static program cannot
 * load cairo: glibc's dlopen from one brings a second C library in, and
 * cairo's pixman crashes in it. So this mf_cairo_load runs the command line
 * again in memfail-dynamic, the same program linked dynamically and
 * installed next to it. The commands that draw call it right after reading
 * their options, before any work. Linked ahead of libmemfail.a, whose
 * lib/cairo_dl.c then stays out.
 *
 * Why static: a dynamic memfail spent about 0.2 ms of every start loading
 * libc and libm, and conformance/run.sh starts one per scenario.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "memfail/cairo_dl.h"
#include "memfail/self_exec.h"

struct mf_cairo mf_cx;

int mf_cairo_load(const char *who, char *err, size_t errlen)
{
	char path[PATH_MAX];

	mf_exec_sibling("memfail-dynamic", path, sizeof(path));
	snprintf(err, errlen, "%s: cannot load cairo: this memfail is static and draws with %s: %s", who,
		 path, strerror(errno));
	return -1;
}

/* Unreached: this mf_cairo_load never succeeds, so nothing is drawn here. */
void mf_cairo_done(void)
{
}
