/* SPDX-License-Identifier: GPL-2.0-only */
#include <string.h>

#include "memfail/array.h"
#include "memfail/ptr_array.h"

void ptr_array_reserve(void ***arr, int *cap, int nr, const char *what)
{
	ARRAY_GROW(*arr, nr, *cap, what);
}

void ptr_push(void ***arr, int *nr, int *cap, void *p, const char *what)
{
	ARRAY_PUSH(*arr, *nr, *cap, p, what);
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
