/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The x* allocation wrappers of include/memfail/array.h (zero sizes made 1,
 * overflow and failure sent to the one out-of-memory policy, mf_oom), written
 * once for both allocator families: X_ALLOCATORS(x, malloc, calloc, realloc)
 * in lib/array.c (the C library's) and X_ALLOCATORS(mf_x, mf_malloc, ...) in
 * lib/arena.c (the machine arenas').
 */
#ifndef MEMFAIL_LIB_X_ALLOC_H
#define MEMFAIL_LIB_X_ALLOC_H

#include <stdint.h>
#include <string.h>

#include "memfail/array.h"

#define X_ALLOCATORS(px, alloc, zalloc, resize)						\
void *px##malloc(size_t size, const char *what)						\
{											\
	void *p = alloc(size ? size : 1);						\
											\
	if (!p)										\
		mf_oom(what);								\
	return p;									\
}											\
											\
void *px##calloc(size_t nmemb, size_t size, const char *what)				\
{											\
	void *p = zalloc(nmemb ? nmemb : 1, size ? size : 1);				\
											\
	if (!p)										\
		mf_oom(what);								\
	return p;									\
}											\
											\
void *px##realloc_array(void *p, size_t nmemb, size_t size, const char *what)		\
{											\
	void *n;									\
											\
	if (size && nmemb > SIZE_MAX / size)						\
		mf_oom(what);								\
	n = resize(p, nmemb && size ? nmemb * size : 1);				\
	if (!n)										\
		mf_oom(what);								\
	return n;									\
}											\
											\
char *px##strdup(const char *s, const char *what)					\
{											\
	size_t len = strlen(s) + 1;							\
											\
	return memcpy(px##malloc(len, what), s, len);					\
}

#endif
