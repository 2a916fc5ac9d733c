/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Machine arenas (lib/arena.c): every host allocation the model makes for
 * one machine comes from one region of host address space that belongs to
 * the machine. A checkpoint copies the region's used part; a restore in
 * place copies it back at the same addresses, so every pointer inside stays
 * right and nothing is rebuilt.
 *
 * The model's code (lib/ mm/ fs/ kernel/, compiled with -include of this
 * header) calls malloc/calloc/realloc/free/strdup and the x* allocators as
 * usual; the macros below send them here. A new allocation comes from the
 * current arena, if one is current (the API makes its machine's arena
 * current for each call), else from the C library; realloc and free go by
 * where the pointer lives. Under AddressSanitizer the arena poisons free
 * chunks, chunk headers and the slack after each object, so ASan reports
 * misuse of a machine's objects as it does of the C library's.
 */
#ifndef MEMFAIL_ARENA_H
#define MEMFAIL_ARENA_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct mf_arena;

struct mf_arena *mf_arena_create(void);
void mf_arena_destroy(struct mf_arena *a);
/* Make a the arena of new allocations (NULL: the C library); returns the previous one. */
struct mf_arena *mf_arena_enter(struct mf_arena *a);

/* The host's page size (sysconf, once): pagemap, madvise and mprotect work in it. */
size_t mf_host_page_size(void);

/* Bytes in use from the start of the region. */
size_t mf_arena_used(const struct mf_arena *a);

/*
 * A copy of the bytes in use, as runs of the host pages that hold something
 * (present or swapped out, from /proc/self/pagemap): a page never touched is
 * zero and is not copied, so a machine with gigabytes of zero arrays (an 8T
 * swap device's slots) checkpoints in what it uses.
 */
struct mf_arena_run {
	size_t off, len;
};
struct mf_arena_image {
	size_t len;			/* mf_arena_used() when saved */
	struct mf_arena_run *runs;
	size_t nr_runs;
	char *data;			/* the runs' bytes, one after another */
};
void mf_arena_save(struct mf_arena *a, struct mf_arena_image *img);
void mf_arena_load(struct mf_arena *a, const struct mf_arena_image *img);
void mf_arena_image_free(struct mf_arena_image *img);

void *mf_malloc(size_t size);
void *mf_calloc(size_t nmemb, size_t size);
void *mf_realloc(void *p, size_t size);
void mf_free(void *p);
char *mf_strdup(const char *s);

#define malloc(s) mf_malloc(s)
#define calloc(n, s) mf_calloc((n), (s))
#define realloc(p, s) mf_realloc((p), (s))
#define free(p) mf_free(p)
#define strdup(s) mf_strdup(s)

/*
 * include/memfail/array.h's allocators, for the model's code: the same, by
 * the current arena. Code outside the model (the scenario layer, the CLI, the
 * campaign runner) keeps the C library's even when it runs inside an API call
 * (a hook, a context switch of `memfail explore`), and frees with free(3).
 */
void *mf_xmalloc(size_t size, const char *what);
void *mf_xcalloc(size_t nmemb, size_t size, const char *what);
void *mf_xrealloc_array(void *p, size_t nmemb, size_t size, const char *what);
char *mf_xstrdup(const char *s, const char *what);
#define xmalloc mf_xmalloc
#define xcalloc mf_xcalloc
#define xrealloc_array mf_xrealloc_array
#define xstrdup mf_xstrdup

#endif
