/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * For the two files that define allocators (lib/array.c, lib/arena.c): undo
 * memfail/arena.h's redirection, which -include put in, so that malloc and
 * friends, and the x* names, are the C library's and their own. No include
 * guard: it undoes whatever was defined before it.
 */
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef strdup
#undef xmalloc
#undef xcalloc
#undef xrealloc_array
#undef xstrdup
