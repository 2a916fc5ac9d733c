// SPDX-License-Identifier: GPL-2.0-only
/* Kernel profiles: one per modelled kernel version (include/memfail/profile.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/memfail.h"
#include "memfail/profile.h"

static const struct kernel_profile profiles[] = {
	{ .id = MF_KERNEL_6_1, .release = "6.1", .mlock_large_on_map = true, .lru_batch = 15 },
	{
		.id = MF_KERNEL_6_12,
		.release = "6.12",
		.madv_hwpoison_ar = true,
		.unpoison_msgs = true,
		.kill_addr_subpage = true,
		.soft_offline_msgs = true,
		.mf_msg_already_poisoned = true,
		.mf_msg_get_hwpoison = true,
		.kpf_anon_ksm = true,
		.thp_unsplit_kill = true,
		.ksm_recoverable = true,
		.kpf_folio_flags = true,
		.lru_gen = true,
		.hugetlb_prepoisoned_msg = true,
		.hugetlbfs_read_raw_hwp = true,
		.hugetlb_poison_unmigratable = true,
		.collapse_pmd_none_installs = true,
		.dax_shared_lock_oops = true,
		.pgp_names_612 = true,
		.lru_batch = 31,
		.soft_offline_sysctl = true,
		.per_node_mf_stats = true,
		.shmem_write_folio_hwp = true,
		.unuse_pte_hwpoison = true,
		.me_unknown_ignored = true,
		.filter_before_split = true,
		.unmap_failed_sigbus = true,
	},
};

const struct kernel_profile *kernel_profile_get(int id)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(profiles); i++)
		if (profiles[i].id == id)
			return &profiles[i];
	return NULL;
}

const char *mf_kernel_name(enum mf_kernel k)
{
	const struct kernel_profile *p = kernel_profile_get((int)k);

	return p ? p->release : NULL;
}

bool mf_kpf_ksm_is_ksm(enum mf_kernel k)
{
	const struct kernel_profile *p = kernel_profile_get((int)k);

	return p && !p->kpf_anon_ksm;
}

int mf_kernel_from_release(const char *release, enum mf_kernel *k)
{
	for (size_t i = 0; release && i < ARRAY_SIZE(profiles); i++)
		if (!strcmp(profiles[i].release, release)) {
			*k = (enum mf_kernel)profiles[i].id;
			return 0;
		}
	return -EINVAL;
}
