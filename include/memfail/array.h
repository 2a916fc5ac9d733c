/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARRAY_SIZE, growable arrays and the one out-of-memory policy (lib/array.c).
 *
 * memfail never degrades quietly when the host cannot give it memory: an
 * allocation that fails calls mf_oom(what), which hands "what" to the
 * installed handler. The default handler prints "memfail: out of host memory for
 * WHAT" on stderr and exits with status 3; the library's API installs one
 * that unwinds to the API call and reports a run-time error instead. A
 * handler never returns.
 */
#ifndef MEMFAIL_ARRAY_H
#define MEMFAIL_ARRAY_H

#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

typedef void (*mf_oom_handler_t)(const char *what);

/* Install a handler (NULL: the default); returns the previous one. */
mf_oom_handler_t mf_set_oom_handler(mf_oom_handler_t fn);
_Noreturn void mf_oom(const char *what);

/* malloc/calloc/realloc/strdup that call mf_oom(what) instead of returning NULL. */
void *xmalloc(size_t size, const char *what);
void *xcalloc(size_t nmemb, size_t size, const char *what);
void *xrealloc_array(void *p, size_t nmemb, size_t size, const char *what);
char *xstrdup(const char *s, const char *what);

/*
 * Room for one more element in a growable array: `arr` (any element type),
 * `nr` elements in use, `cap` allocated (any integer types). Capacity
 * doubles, so appending n elements costs O(n).
 */
#define ARRAY_GROW(arr, nr, cap, what)                                                  \
	do {                                                                            \
		if ((size_t)(nr) >= (size_t)(cap)) {                                    \
			size_t new_cap_ = (cap) ? 2 * (size_t)(cap) : 4;                \
			(arr) = xrealloc_array((arr), new_cap_, sizeof(*(arr)), (what)); \
			(cap) = new_cap_;                                               \
		}                                                                       \
	} while (0)

/* Append one element (an lvalue-free expression of the element type). */
#define ARRAY_PUSH(arr, nr, cap, val, what)               \
	do {                                              \
		ARRAY_GROW((arr), (nr), (cap), (what));   \
		(arr)[(nr)++] = (val);                    \
	} while (0)

#endif
