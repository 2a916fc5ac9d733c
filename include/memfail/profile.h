/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel profile (kernel/profile.c): the seam where behaviour that differs
 * between kernel versions is looked up. Code that must behave differently for
 * a later kernel consults m->profile instead of hard-coding 6.1. Only the 6.1
 * profile exists today; 6.12 will add a second instance.
 */
#ifndef MEMFAIL_PROFILE_H
#define MEMFAIL_PROFILE_H

struct kernel_profile {
	int id;			/* enum mf_kernel */
	const char *release;	/* "6.1" */
};

/* The profile of enum mf_kernel value id, or NULL if the model has none. */
const struct kernel_profile *kernel_profile_get(int id);

#endif
