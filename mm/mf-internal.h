/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared between the memory-failure files of mm/. */
#ifndef MEMFAIL_MF_INTERNAL_H
#define MEMFAIL_MF_INTERNAL_H

#include "memfail/ksm.h"
#include "memfail/memory-failure.h"
#include "memfail/mm.h"
#include "memfail/profile.h"

#define MF_BUS_MCEERR_AR_CODE 4
#define MF_BUS_MCEERR_AO_CODE 5

void action_result(struct machine *m, unsigned long pfn, enum mf_action_page_type type, enum mf_action_result result);
/* memory_failure's steps the hugetlb path (mm/memory-failure-hugetlb.c) shares */
enum mf_action_result unmap_failed_result(const struct machine *m);
int identify_page_state(struct machine *m, unsigned long pfn, struct page *p, uint32_t page_flags);
/* A page poisoned already: the message, a kill for MF_ACTION_REQUIRED; -EHWPOISON or the kill's result */
int already_poisoned(struct machine *m, unsigned long pfn, struct page *page, int flags,
		     enum mf_action_page_type type);
void shake_page(struct machine *m, struct page *p);
/* 1 with a reference, 0 for a free page, < 0 unhandlable or raced (flags: MF_UNPOISON, MF_SOFT_OFFLINE) */
int get_hwpoison_page(struct machine *m, struct page *p, int flags);
/* Dissolve a free hugetlb folio, take the page off buddy: 1 taken, 0 lost to an allocation, < 0 */
int __page_handle_poison(struct machine *m, struct page *page);
bool hwpoison_user_mappings(struct machine *m, struct page *p, unsigned long pfn, int flags);
int kill_accessing_process(struct machine *m, struct task_struct *t, unsigned long pfn, int flags);
void kill_procs_now(struct machine *m, struct page *p, unsigned long pfn, int flags);
/* The thread to signal in tsk's process, or NULL (also used by mm/memory-failure-dax.c). */
struct task_struct *task_early_kill(struct machine *m, struct task_struct *tsk, bool force_early);
void mf_trace_event(struct machine *m, const struct mf_trace_rec *rec);
/* mm/migrate.c: 0 (*newpage set, NULL if the page was freed meanwhile), N pages not migrated, -ENOMEM */
int migrate_pages(struct machine *m, struct page *page, struct page **newpage);
/* mm/migrate_hugetlb.c: the same for an isolated hugetlb folio (head) */
int migrate_huge_page(struct machine *m, struct page *hpage, struct page **newpage);
static inline bool TestClearPageFlag(struct page *p, int b)
{
	bool was = PageFlag(p, b);

	ClearPageFlag(p, b);
	return was;
}

#endif
