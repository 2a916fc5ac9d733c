/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * memory_failure()'s hugetlb path, as 6.1's try_memory_failure_hugetlb
 * (mm/memory-failure.c) with get_huge_page_for_hwpoison and
 * hugetlb_update_hwpoison (mm/hugetlb.c): the folio is poisoned as a whole,
 * each raw error page is remembered, a free folio is dissolved, a used one
 * unmapped whole.
 */
#include <errno.h>

#include "memfail/huge_mm.h"
#include "memfail/memory-failure.h"
#include "memfail/mm.h"
#include "mf-internal.h"

/*
 * 6.1 get_huge_page_for_hwpoison + hugetlb_update_hwpoison. Returns the
 * classification; takes a reference for IN_USED unless the caller has one.
 */
enum { MF_HUGETLB_FREED, MF_HUGETLB_IN_USED, MF_HUGETLB_NON_HUGEPAGE,
       MF_HUGETLB_FOLIO_PRE_POISONED, MF_HUGETLB_PAGE_PRE_POISONED };

static int get_huge_page_for_hwpoison(struct machine *m, struct page *p, int flags)
{
	struct page *head = compound_head_page(p);
	bool count_increased = false;
	int ret, pre;

	if (!PageFlag(head, PG_hugetlb))
		return MF_HUGETLB_NON_HUGEPAGE;
	if (flags & MF_COUNT_INCREASED) {
		ret = MF_HUGETLB_IN_USED;
		count_increased = true;
	} else if (head->_refcount == 0) {
		ret = MF_HUGETLB_FREED;
	} else {
		get_page(head);
		ret = MF_HUGETLB_IN_USED;
		count_increased = true;
	}
	pre = TestSetPageFlag(head, PG_hwpoison) ? MF_HUGETLB_FOLIO_PRE_POISONED : 0;
	if (PageFlag(p, PG_raw_hwp)) {
		pre = MF_HUGETLB_PAGE_PRE_POISONED;
	} else {
		SetPageFlag(p, PG_raw_hwp);
		/* the first raw page is counted by action_result, as is 6.12's "huge page: Failed" */
		if (pre && !m->profile->hugetlb_prepoisoned_msg)
			m->num_poisoned_pages++;
	}
	if (pre) {
		if (count_increased && !(flags & MF_COUNT_INCREASED))
			put_page(m, head);
		return pre;
	}
	return ret;
}

/* hugetlb_clear_page_hwpoison: the filter rejected it after all. */
static void hugetlb_clear_page_hwpoison(struct machine *m, struct page *head)
{
	unsigned long pfn = page_to_pfn(m, head), i;

	ClearPageFlag(head, PG_hwpoison);
	for (i = 0; i < HPAGE_PMD_NR; i++)
		ClearPageFlag(&m->pages[pfn + i], PG_raw_hwp);
}

int try_memory_failure_hugetlb(struct machine *m, unsigned long pfn, int flags, int *hugetlb)
{
	struct page *p = pfn_to_page(m, pfn), *head;
	uint32_t page_flags;
	int res;

	*hugetlb = 1;
	res = get_huge_page_for_hwpoison(m, p, flags);
	if (res == MF_HUGETLB_NON_HUGEPAGE) {
		*hugetlb = 0;
		return 0;
	}
	head = compound_head_page(p);
	if (res == MF_HUGETLB_FOLIO_PRE_POISONED || res == MF_HUGETLB_PAGE_PRE_POISONED)
		return already_poisoned(m, pfn, head, flags,
					res == MF_HUGETLB_FOLIO_PRE_POISONED &&
					m->profile->hugetlb_prepoisoned_msg ?
					MF_MSG_HUGE : MF_MSG_ALREADY_POISONED);
	if (hwpoison_filter(m, pfn)) {
		hugetlb_clear_page_hwpoison(m, head);
		if (res == MF_HUGETLB_IN_USED)
			put_page(m, head);
		return -EOPNOTSUPP;
	}
	if (res == MF_HUGETLB_FREED) {
		enum mf_action_result r = MF_FAILED;
		if (__page_handle_poison(m, p) > 0) {
			get_page(p);
			r = MF_RECOVERED;
		}
		action_result(m, pfn, MF_MSG_FREE_HUGE, r);
		return r == MF_RECOVERED ? 0 : -EBUSY;
	}
	page_flags = head->flags;
	if (!hwpoison_user_mappings(m, p, pfn, flags)) {
		action_result(m, pfn, MF_MSG_UNMAP_FAILED, unmap_failed_result(m));
		return -EBUSY;
	}
	return identify_page_state(m, pfn, p, page_flags);
}
