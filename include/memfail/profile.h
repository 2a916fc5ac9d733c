/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel profile (kernel/profile.c): the seam where behaviour that differs
 * between kernel versions is looked up. Code that behaves differently on a
 * later kernel tests a named switch of m->profile, never a version number.
 * Every switch is false for 6.1; docs/kernel-6.12.md explains each one (the
 * number in the comment is the cause in its table).
 */
#ifndef MEMFAIL_PROFILE_H
#define MEMFAIL_PROFILE_H

#include <stdbool.h>

struct kernel_profile {
	int id;				/* enum mf_kernel */
	const char *release;		/* "6.1", "6.12" */
	bool madv_hwpoison_ar;		/* 1: MADV_HWPOISON passes MF_ACTION_REQUIRED */
	bool unpoison_msgs;		/* 2: "Unpoison: %#lx: ..." and 6.12's refusal order */
	bool kill_addr_subpage;		/* 3: SIGBUS of a huge mapping names the 4K page */
	bool soft_offline_msgs;		/* 4: "Soft offline: %#lx: ..." */
	bool mf_msg_already_poisoned;	/* 5: "already poisoned page: Failed" */
	bool mf_msg_get_hwpoison;	/* 5: "get hwpoison page: Ignored" */
	bool kpf_anon_ksm;		/* 6: kpageflags reports ksm for every anon page */
	bool thp_unsplit_kill;		/* 7: THP split failure: EHWPOISON and SIGBUS now */
	bool ksm_recoverable;		/* 8: KSM pages handled like anonymous ones */
	bool kpf_folio_flags;		/* 9: a tail page reports its folio's flags */
	bool lru_gen;			/* 10: MGLRU on: no PG_referenced on populate */
	bool mlock_large_on_map;	/* 11: mapping a PMD-mapped file THP mlocks it */
	bool hugetlb_prepoisoned_msg;	/* 12: "huge page: Failed" for a second error */
	bool hugetlbfs_read_raw_hwp;	/* 12: hugetlbfs read fails only at the bad 4K */
	bool hugetlb_poison_unmigratable; /* 4, 12: a poisoned hugetlb folio in use is unhandlable */
	bool collapse_pmd_none_installs; /* 13: MADV_COLLAPSE of a never-faulted range: 0 */
	bool dax_shared_lock_oops;	/* 14: dax_lock_folio() oopses on a shared DAX page */
	bool pgp_names_612;		/* %pGp: 6.12's flag names and order (owner_2) */
	unsigned lru_batch;		/* 10: PAGEVEC_SIZE of the per-CPU add batch (15, 31) */
	bool soft_offline_sysctl;	/* 4: vm.enable_soft_offline (0: EOPNOTSUPP) */
	bool per_node_mf_stats;		/* nodeN/memory_failure/{total,ignored,...} */
	bool shmem_write_folio_hwp;	/* shmem write(): EIO anywhere in a large folio with a poisoned page */
	bool unuse_pte_hwpoison;	/* swapoff leaves a hwpoison entry for a poisoned page */
	bool filter_before_split;	/* 7: hwpoison_filter before the THP split (6.1: after) */
	bool me_unknown_ignored;	/* me_unknown() answers Ignored (6.1: Failed) */
	/*
	 * Not exercised by a saved trace: a page that could not be unmapped is
	 * "unmapping failed page: Failed", its mappers get SIGBUS (not SIGKILL).
	 */
	bool unmap_failed_sigbus;
};

/* The profile of enum mf_kernel value id, or NULL if the model has none. */
const struct kernel_profile *kernel_profile_get(int id);

#endif
