// SPDX-License-Identifier: GPL-2.0-only
/* The one out-of-memory policy and the allocation wrappers that follow it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the C library's allocators, for code outside the model (lib/arena.c has the model's) */
#include "libc_alloc.h"

#include "memfail/array.h"
#include "x_alloc.h"

static void oom_default(const char *what)
{
	fprintf(stderr, "memfail: out of host memory for %s\n", what);
	exit(3);
}

static mf_oom_handler_t oom_handler = oom_default;

mf_oom_handler_t mf_set_oom_handler(mf_oom_handler_t fn)
{
	mf_oom_handler_t old = oom_handler;

	oom_handler = fn ? fn : oom_default;
	return old;
}

_Noreturn void mf_oom(const char *what)
{
	oom_handler(what);
	/* A handler that returns breaks the contract; never go on with a NULL. */
	abort();
}

X_ALLOCATORS(x, malloc, calloc, realloc)
