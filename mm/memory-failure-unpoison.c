/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unpoison, as Linux 6.1 (and 6.12: unpoison_refused, up_msg) does it,
 * messages included. It is a testing tool, as in the kernel: it only undoes
 * what software injected, never a real hardware error, and it restores only
 * the frame and the counter, not lost data nor the hwpoison entries already
 * in page tables nor a dissolved huge page.
 *
 * Hugetlb (6.1): only the head of a poisoned folio carries PG_hwpoison, so
 * only the head's pfn can be unpoisoned; that empties the folio's raw error
 * list and takes all of its pages off HardwareCorrupted at once. A free
 * poisoned folio (one that could not be dissolved) becomes usable in the pool
 * again; an in-use one nobody else holds (a hugetlbfs folio after its hole was
 * punched) is freed to the pool. The raw page a dissolved folio left behind
 * is an ordinary page taken off buddy and goes back to buddy.
 */
#include <errno.h>

#include "memfail/huge_mm.h"
#include "memfail/locking.h"
#include "memfail/printk.h"
#include "mf-internal.h"

/*
 * The messages, pr_fmt included: 6.1 puts the pfn last, 6.12 (unpoison_msgs)
 * first. Both kernels print them through a rate limit (10 per 5 s) that the
 * model does not model; scenarios keep to 10 unpoison steps.
 */
enum { UP_DISABLED, UP_ALREADY, UP_GRABS, UP_MAPS, UP_MAPPING, UP_GRAB_FAILED, UP_DONE };
static const char *const up_msg[2][UP_DONE + 1] = {
	{
		"Unpoison: Disabled after HW memory failure %#lx",
		"Unpoison: Page was already unpoisoned %#lx",
		"Unpoison: Someone grabs the hwpoison page %#lx",
		"Unpoison: Someone maps the hwpoison page %#lx",
		"Unpoison: the hwpoison page has non-NULL mapping %#lx",
		"Unpoison: failed to grab page %#lx",
		"Unpoison: Software-unpoisoned page %#lx",
	},
	{
		"Unpoison: %#lx: disabled after HW memory failure",
		"Unpoison: %#lx: page was already unpoisoned",
		"Unpoison: %#lx: someone grabs the hwpoison page",
		"Unpoison: %#lx: someone maps the hwpoison page",
		"Unpoison: %#lx: the hwpoison page has non-NULL mapping",
		"Unpoison: %#lx: failed to grab page",
		"Unpoison: %#lx: software-unpoisoned page",
	},
};
#define up_pr_info(m, i, pfn) printk(m, KERN_INFO, up_msg[(m)->profile->unpoison_msgs][i], pfn)

/* free_raw_hwp_pages(move_flag=false): forget the folio's raw error pages; how many there were. */
static unsigned long free_raw_hwp_pages(struct machine *m, struct page *head)
{
	unsigned long pfn = page_to_pfn(m, head), i;
	unsigned long count = 0;

	for (i = 0; i < HPAGE_PMD_NR; i++)
		if (TestClearPageFlag(&m->pages[pfn + i], PG_raw_hwp))
			count++;
	return count;
}

/* page_mapping(): the file, or the swap space for a swap-cache page; NULL for anon. */
static bool has_mapping(const struct page *page)
{
	return page_mapping_file(page) || PageFlag(page, PG_swapcache);
}

/* Nobody holds the poisoned page: a free hugetlb folio the pool kept, or a lost frame. */
static int unpoison_unheld(struct machine *m, struct page *p, unsigned long *count)
{
	struct page *head = compound_head_page(p);
	int ret;

	if (PageHuge(p)) {
		/* a free poisoned folio the pool kept: usable again */
		*count = free_raw_hwp_pages(m, head);
		return *count && TestClearPageFlag(head, PG_hwpoison) ? 0 : -EBUSY;
	}
	/*
	 * memory_failure could not take a reference (e.g. a kernel page), and
	 * the page was freed later, which kept it out of the allocator. 6.1
	 * clears the flag and nothing more: the frame is lost until reboot. The
	 * marker tells the invariant checker.
	 */
	ret = TestClearPageFlag(p, PG_hwpoison) ? 0 : -EBUSY;
	if (!ret && !is_free_buddy_page(m, p))
		p->private = MAGIC_UNPOISON_LEAKED;
	return ret;
}

/* A kernel page (slab, page table, reserved, the zero page): refused without a word. */
static bool unpoison_kernel_page(const struct page *page)
{
	return PageFlag(page, PG_slab) || PageFlag(page, PG_table) ||
	       PageFlag(page, PG_reserved) || PageFlag(page, PG_zero);
}

/* The checks before get_hwpoison_page(); 6.12 refuses a kernel page before the mapped ones. */
static bool unpoison_refused(struct machine *m, struct page *p, unsigned long pfn)
{
	struct page *page = compound_head_page(p);
	bool early = m->profile->unpoison_msgs;

	/* no huge zero page in the model */
	if (!PageFlag(p, PG_hwpoison)) {
		up_pr_info(m, UP_ALREADY, pfn);
		return true;
	}
	if (page->_refcount > 1) {
		up_pr_info(m, UP_GRABS, pfn);
		return true;
	}
	if (early && unpoison_kernel_page(page))
		return true;
	if (page_mapped(page) || (PageFlag(page, PG_head) && total_mapcount(page) > 0)) {
		up_pr_info(m, UP_MAPS, pfn);
		return true;
	}
	if (has_mapping(page)) {
		up_pr_info(m, UP_MAPPING, pfn);
		return true;
	}
	return unpoison_kernel_page(page);
}

int unpoison_memory(struct machine *m, unsigned long pfn)
{
	struct page *p, *page;
	unsigned long count = 1;
	int ret = -EBUSY;
	bool freeit = false;

	if (!pfn_valid(m, pfn))
		return -EIO;
	p = pfn_to_page(m, pfn);
	if (page_zone(m, p)->type == ZONE_DEVICE)
		return -EIO;
	page = compound_head_page(p);
	soft_offline_resume(m);
	mf_mutex_lock(m);
	if (m->hw_memory_failure) {
		up_pr_info(m, UP_DISABLED, pfn);
		ret = -EOPNOTSUPP;
		goto unlock;
	}
	if (unpoison_refused(m, p, pfn))
		goto unlock;
	ret = get_hwpoison_page(m, p, MF_UNPOISON);
	if (!ret) {
		ret = unpoison_unheld(m, p, &count);
	} else if (ret == -EHWPOISON) {
		ret = put_page_back_buddy(m, p) ? 0 : -EBUSY;	/* merges with its buddies */
	} else if (ret < 0) {
		up_pr_info(m, UP_GRAB_FAILED, pfn);
	} else {
		if (PageHuge(p)) {
			count = free_raw_hwp_pages(m, page);
			if (!count) {
				put_page(m, page);
				ret = -EBUSY;
				goto unlock;
			}
		}
		freeit = TestClearPageFlag(p, PG_hwpoison);
		put_page(m, page);
		if (freeit) {
			put_page(m, page);	/* the reference memory_failure/soft offline kept */
			ret = 0;
		}
	}
unlock:
	mf_mutex_unlock(m);
	if (!ret || freeit) {
		m->num_poisoned_pages -= count;
		up_pr_info(m, UP_DONE, pfn);
	}
	return ret;
}
