/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Soft offline: move the data away from a page that is still good but
 * suspect, then retire the frame, as Linux 6.1 does it, messages included. An
 * anon THP is split first and only the base page is moved; a hugetlb folio is
 * moved whole (mm/migrate_hugetlb.c), then dissolved so that only the base
 * page is retired and the other 511 go back to buddy.
 *
 * Seed 001 is about the two steps that end a successful soft offline: drop the
 * last reference of the old frame and set PG_hwpoison on it. Both orders are
 * written out in page_handle_poison() and chosen by the model-only sysctl
 * memfail.soft_offline_order (6.1's poison_then_put by default); the model-only
 * memfail.soft_offline_pause stops the next soft offline between the two so a
 * scenario can run an allocation in that window (docs/scenario-language.md).
 * Unpoison is in mm/memory-failure-unpoison.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "memfail/filemap.h"
#include "memfail/huge_mm.h"
#include "memfail/locking.h"
#include "memfail/printk.h"
#include "mf-internal.h"

enum so_order { SO_POISON_THEN_PUT, SO_PUT_THEN_POISON };

/*
 * Soft offline's messages have no "Memory failure: " prefix. 6.1 spells them
 * three ways (its pr_fmt "soft offline: ", and two by hand); 6.12's pr_fmt is
 * "Soft offline: " for all (profile soft_offline_msgs).
 */
enum { SO_SPLIT_FAILED, SO_IN_USE_POISONED, SO_INVALIDATED, SO_POISONED, SO_NR };
static const char *const so_msg[2][SO_NR] = {
	{
		"soft offline: %#lx: thp split failed",
		"soft offline: %#lx page already poisoned",
		"soft_offline: %#lx: invalidated",
		"soft_offline_page: %#lx page already poisoned",
	},
	{
		"Soft offline: %#lx: thp split failed",
		"Soft offline: %#lx: page already poisoned",
		"Soft offline: %#lx: invalidated",
		"Soft offline: %#lx: page already poisoned",
	},
};
#define so_pr_info(m, i, pfn) printk(m, KERN_INFO, so_msg[(m)->profile->soft_offline_msgs][i], pfn)

static const char *so_pfx(const struct machine *m)
{
	return m->profile->soft_offline_msgs ? "Soft offline: " : "soft offline: ";
}

/* ---- model-only knobs ---------------------------------------------------------------- */

int memfail_sysctl_set(struct machine *m, const char *key, const char *val)
{
	if (!strcmp(key, "memfail.soft_offline_order")) {
		if (!strcmp(val, "poison_then_put"))
			m->soft_offline_order = SO_POISON_THEN_PUT;
		else if (!strcmp(val, "put_then_poison"))
			m->soft_offline_order = SO_PUT_THEN_POISON;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "memfail.soft_offline_pause")) {
		if (!strcmp(val, "1")) {
			m->soft_offline_pause = true;
		} else if (!strcmp(val, "0")) {
			m->soft_offline_pause = false;
			soft_offline_resume(m);
		} else {
			return -EINVAL;
		}
		return 0;
	}
	return -ENOENT;
}

/* ---- retiring a frame ------------------------------------------------------------------ */

/* The second half of a released poisoning, after the window. */
static void release_finish(struct machine *m, struct page *page)
{
	if (m->soft_offline_order == SO_PUT_THEN_POISON) {
		/* the flag lands on whoever owns the frame now: seed 001's race */
		mf_sched_point(m, MF_SP_FLAG, page);
		if (!TestSetPageFlag(page, PG_hwpoison))
			m->num_poisoned_pages++;
		return;
	}
	get_page(page);		/* refcount 1 forever: the frame never reaches an allocator */
	m->num_poisoned_pages++;
}

/* A soft offline stopped in its window (memfail.soft_offline_pause) runs to its end. */
void soft_offline_resume(struct machine *m)
{
	if (!m->soft_offline_paused)
		return;
	m->soft_offline_paused = false;
	mf_mutex_lock(m);
	release_finish(m, pfn_to_page(m, m->soft_offline_pfn));
	mf_mutex_unlock(m);
}

/*
 * 6.1 page_handle_poison(). With release, the caller's reference is the
 * frame's last one (migration and invalidation moved every user away), and
 * the order of "drop it" and "set PG_hwpoison" is seed 001's question:
 *  - poison_then_put (6.1): the flag is set while the reference is held, so
 *    the free path meets a PG_hwpoison order-0 page and keeps it out of the
 *    allocator; no allocation can ever obtain the frame;
 *  - put_then_poison (before the 2016 fix): the frame is freed first, an
 *    allocation may take it in the window, and the flag then lands on a page
 *    that belongs to someone else, who is killed when it is next faulted.
 */
static bool page_handle_poison(struct machine *m, struct page *page, bool hugepage_or_freepage,
			       bool release)
{
	if (hugepage_or_freepage && __page_handle_poison(m, page) <= 0)
		return false;	/* lost the page to an allocator: fine, it is not broken */
	if (!release) {
		SetPageFlag(page, PG_hwpoison);
		get_page(page);
		m->num_poisoned_pages++;
		return true;
	}
	if (m->soft_offline_order == SO_PUT_THEN_POISON) {
		put_page(m, page);
	} else {
		mf_sched_point(m, MF_SP_FLAG, page);
		SetPageFlag(page, PG_hwpoison);
		put_page(m, page);	/* refcount 0: free_pages keeps a PG_hwpoison page out */
	}
	if (m->soft_offline_pause) {
		m->soft_offline_pause = false;
		m->soft_offline_paused = true;
		m->soft_offline_pfn = page_to_pfn(m, page);
		return true;
	}
	release_finish(m, page);
	return true;
}

/* ---- soft offline ---------------------------------------------------------------------- */

/* isolate_page: takes the isolation reference and drops get_any_page's, either way. */
static bool isolate_page(struct machine *m, struct page *page)
{
	bool isolated = PageHuge(page) ? isolate_hugetlb(page) : isolate_lru_page(m, page);

	put_page(m, page);
	return isolated;
}

static int soft_offline_in_use_page(struct machine *m, struct page *page)
{
	static const char *const msg_page[] = { "page", "hugepage" };
	unsigned long pfn = page_to_pfn(m, page);
	struct page *hpage = compound_head_page(page), *np;
	bool huge = PageHuge(page);
	char type[192];
	long ret = 0;

	if (!huge && PageTransHuge(hpage)) {
		/* the reference moves to page; dropped on failure */
		ret = try_to_split_thp_page(m, page);
		if (ret) {
			put_page(m, hpage);
			so_pr_info(m, SO_SPLIT_FAILED, pfn);
			return -EBUSY;
		}
		hpage = page;
	}
	lock_page(m, hpage);	/* the folio's lock */
	/* write-back is synchronous in the model: nothing to wait for */
	if (PageFlag(page, PG_hwpoison)) {
		unlock_page(m, hpage);
		put_page(m, hpage);
		so_pr_info(m, SO_IN_USE_POISONED, pfn);
		return 0;
	}
	if (!huge && PageFlag(page, PG_lru) && !PageFlag(page, PG_swapcache))
		ret = invalidate_inode_page(page);	/* clean, unmapped page cache */
	unlock_page(m, hpage);
	if (ret) {
		so_pr_info(m, SO_INVALIDATED, pfn);
		page_handle_poison(m, page, false, true);
		return 0;
	}
	if (!isolate_page(m, hpage)) {
		page_flags_format(m, page, type, sizeof(type));
		printk(m, KERN_INFO, "%s%#lx: %s isolation failed, page count %d, type %s",
		       so_pfx(m), pfn, msg_page[huge], hpage->_refcount, type);
		return -EBUSY;
	}
	ret = huge ? migrate_huge_page(m, hpage, &np) : migrate_pages(m, hpage, &np);
	if (!ret) {
		/*
		 * A hugetlb folio was freed when its isolation reference went: back
		 * in the pool it is dissolved here, and only the raw page is retired.
		 */
		if (!page_handle_poison(m, page, huge, !huge))
			ret = -EBUSY;
		return (int)ret;
	}
	if (huge)
		put_page(m, hpage);	/* folio_putback_hugetlb */
	else
		putback_lru_page(m, hpage);
	page_flags_format(m, page, type, sizeof(type));
	printk(m, KERN_INFO, "%s%#lx: %s migration failed %ld, type %s", so_pfx(m), pfn,
	       msg_page[huge], ret, type);
	return ret > 0 ? -EBUSY : (int)ret;
}

/*
 * Returns 0 (offlined, or already poisoned), -EOPNOTSUPP (filtered), -ENXIO
 * (no such pfn), -EIO (not online memory, or an unhandlable page: kernel,
 * slab, page table), -EBUSY (isolation/migration failed, lost a race) or
 * -ENOMEM (no frame to migrate to). Never signals, never counts an
 * action_result, never sets hw_memory_failure.
 */
int soft_offline_page(struct machine *m, unsigned long pfn, int flags)
{
	struct page *page, *ref_page = NULL;
	bool try_again = true;
	int ret;

	if (!pfn_valid(m, pfn))
		return -ENXIO;
	page = pfn_to_page(m, pfn);
	if (flags & MF_COUNT_INCREASED)
		ref_page = page;
	if (page_zone(m, page)->type == ZONE_DEVICE) {
		if (ref_page)
			put_page(m, ref_page);
		return -EIO;
	}
	if (!m->sysctl_enable_soft_offline) {
		if (!m->soft_offline_disabled_said)	/* pr_info_once */
			printk(m, KERN_INFO, "Soft offline: disabled by /proc/sys/vm/enable_soft_offline");
		m->soft_offline_disabled_said = true;
		if (ref_page)
			put_page(m, ref_page);
		return -EOPNOTSUPP;
	}
	soft_offline_resume(m);	/* one stopped in its window still holds mf_mutex */
	mf_mutex_lock(m);
	if (PageFlag(page, PG_hwpoison)) {
		so_pr_info(m, SO_POISONED, pfn);
		if (ref_page)
			put_page(m, ref_page);
		mf_mutex_unlock(m);
		return 0;
	}
retry:
	ret = get_hwpoison_page(m, page, flags | MF_SOFT_OFFLINE);
	if (hwpoison_filter(m, pfn)) {
		if (ret > 0)
			put_page(m, compound_head_page(page));
		mf_mutex_unlock(m);
		return -EOPNOTSUPP;
	}
	if (ret > 0) {
		ret = soft_offline_in_use_page(m, page);
	} else if (ret == 0 && !page_handle_poison(m, page, true, false)) {
		if (try_again) {
			try_again = false;
			flags &= ~MF_COUNT_INCREASED;
			goto retry;
		}
		ret = -EBUSY;
	}
	mf_mutex_unlock(m);
	return ret;
}
