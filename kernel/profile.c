// SPDX-License-Identifier: GPL-2.0-only
/* Kernel profiles: one per modelled kernel version (include/memfail/profile.h). */
#include <stddef.h>

#include "memfail/array.h"
#include "memfail/memfail.h"
#include "memfail/profile.h"

static const struct kernel_profile profiles[] = {
	{ MF_KERNEL_6_1, "6.1" },
};

const struct kernel_profile *kernel_profile_get(int id)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(profiles); i++)
		if (profiles[i].id == id)
			return &profiles[i];
	return NULL;
}
