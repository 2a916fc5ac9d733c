/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/ptr_array.h"

int ptr_array_reserve(void ***arr, int *cap, int nr)
{
	void **n;
	int c;

	if (nr < *cap)
		return 0;
	c = *cap ? *cap * 2 : 4;
	n = realloc(*arr, (size_t)c * sizeof(void *));
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = c;
	return 0;
}

int ptr_push(void ***arr, int *nr, int *cap, void *p)
{
	if (ptr_array_reserve(arr, cap, *nr))
		return -ENOMEM;
	(*arr)[(*nr)++] = p;
	return 0;
}

void ptr_del(void **arr, int *nr, int i)
{
	memmove(&arr[i], &arr[i + 1], (size_t)(*nr - i - 1) * sizeof(*arr));
	(*nr)--;
}

void ptr_remove(void **arr, int *nr, void *p)
{
	int i;

	for (i = 0; i < *nr; i++) {
		if (arr[i] == p) {
			ptr_del(arr, nr, i);
			return;
		}
	}
}
