/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * memory_failure(): what Linux 6.1 does when a page of RAM is found corrupted.
 * The order of checks, the page-state table, the handlers, the messages and
 * the results follow 6.1 (see docs/architecture.md for the path of one error).
 * Killing (collect_procs, kill_procs) lives in mm/memory-failure-kill.c, the
 * hugetlb path (try_memory_failure_hugetlb) in mm/memory-failure-hugetlb.c.
 */
#define pr_fmt(fmt) "Memory failure: " fmt

#include <errno.h>

#include "memfail/dax.h"
#include "memfail/filemap.h"
#include "memfail/huge_mm.h"
#include "memfail/memory-failure.h"
#include "memfail/mm.h"
#include "memfail/printk.h"
#include "mf-internal.h"

static const char *const action_name[] = {
	[MF_IGNORED] = "Ignored", [MF_FAILED] = "Failed",
	[MF_DELAYED] = "Delayed", [MF_RECOVERED] = "Recovered",
};

static const char *const action_page_types[] = {
	[MF_MSG_KERNEL] = "reserved kernel page",
	[MF_MSG_KERNEL_HIGH_ORDER] = "high-order kernel page",
	[MF_MSG_SLAB] = "kernel slab page",
	[MF_MSG_DIFFERENT_COMPOUND] = "different compound page after locking",
	[MF_MSG_HUGE] = "huge page",
	[MF_MSG_FREE_HUGE] = "free huge page",
	[MF_MSG_UNMAP_FAILED] = "unmapping failed page",
	[MF_MSG_DIRTY_SWAPCACHE] = "dirty swapcache page",
	[MF_MSG_CLEAN_SWAPCACHE] = "clean swapcache page",
	[MF_MSG_DIRTY_MLOCKED_LRU] = "dirty mlocked LRU page",
	[MF_MSG_CLEAN_MLOCKED_LRU] = "clean mlocked LRU page",
	[MF_MSG_DIRTY_UNEVICTABLE_LRU] = "dirty unevictable LRU page",
	[MF_MSG_CLEAN_UNEVICTABLE_LRU] = "clean unevictable LRU page",
	[MF_MSG_DIRTY_LRU] = "dirty LRU page",
	[MF_MSG_CLEAN_LRU] = "clean LRU page",
	[MF_MSG_TRUNCATED_LRU] = "already truncated LRU page",
	[MF_MSG_BUDDY] = "free buddy page",
	[MF_MSG_DAX] = "dax page",
	[MF_MSG_UNSPLIT_THP] = "unsplit thp",
	[MF_MSG_UNKNOWN] = "unknown page",
	[MF_MSG_GET_HWPOISON] = "get hwpoison page",
	[MF_MSG_ALREADY_POISONED] = "already poisoned page",
};

void action_result(struct machine *m, unsigned long pfn, enum mf_action_page_type type, enum mf_action_result result)
{
	struct mf_trace_rec rec = { pfn, type, result };

	mf_trace_event(m, &rec);
	if (type != MF_MSG_ALREADY_POISONED) {	/* 6.12: a second hit is not a new error */
		m->num_poisoned_pages++;
		m->mf_results[result]++;
		if (m->profile->per_node_mf_stats) {	/* update_per_node_mf_stats */
			uint64_t *st = m->node_mf_stats[page_to_nid(m, pfn_to_page(m, pfn))];

			st[0]++;
			st[1 + result]++;
		}
	}
	pr_err(m, "%#lx: recovery action for %s: %s", pfn, action_page_types[type], action_name[result]);
}

/* 6.12 counts a page it could not unmap as Failed (6.1: Ignored). */
enum mf_action_result unmap_failed_result(const struct machine *m)
{
	return m->profile->unmap_failed_sigbus ? MF_FAILED : MF_IGNORED;
}

/* lru_add_drain_all: make PG_lru trustworthy. */
void shake_page(struct machine *m, struct page *p)
{
	if (!PageFlag(p, PG_slab))
		lru_add_drain(m);
}

static int delete_from_lru_cache(struct machine *m, struct page *p)
{
	if (isolate_lru_page(m, p)) {
		ClearPageFlag(p, PG_active);
		ClearPageFlag(p, PG_unevictable);
		put_page(m, p);
		return 0;
	}
	return -EIO;
}

static enum mf_action_result truncate_error_page(struct machine *m, struct page *p, unsigned long pfn,
					  struct address_space *mapping)
{
	enum mf_action_result ret = MF_FAILED;

	if (mapping->host->i_sb->type != FS_BDEV) {
		int err = generic_error_remove_page(mapping, p);
		if (err)
			pr_info(m, "%#lx: Failed to punch page: %d", pfn, err);
		else
			ret = MF_RECOVERED;
	} else {
		if (invalidate_inode_page(p))
			ret = MF_RECOVERED;
		else
			pr_info(m, "%#lx: Failed to invalidate", pfn);
	}
	return ret;
}

struct page_state {
	uint32_t mask, res;
	enum mf_action_page_type type;
	enum mf_action_result (*action)(struct machine *m, const struct page_state *ps, struct page *p);
};

/* 6.1: one reference is ours, and one more is the page cache's when extra_pins. */
static bool has_extra_refcount(struct machine *m, const struct page_state *ps, struct page *p,
			       bool extra_pins)
{
	int count = compound_head_page(p)->_refcount - 1;	/* page_count() is the folio's */

	if (extra_pins)
		count -= 1;
	if (count > 0) {
		pr_err(m, "%#lx: %s still referenced by %d users", page_to_pfn(m, p),
		       action_page_types[ps->type], count);
		return true;
	}
	return false;
}

static enum mf_action_result me_kernel(struct machine *m, const struct page_state *ps, struct page *p)
{
	(void)m, (void)ps, (void)p;
	return MF_IGNORED;
}

static enum mf_action_result me_unknown(struct machine *m, const struct page_state *ps, struct page *p)
{
	(void)ps;
	pr_err(m, "%#lx: Unknown page state", page_to_pfn(m, p));
	return m->profile->me_unknown_ignored ? MF_IGNORED : MF_FAILED;
}

static enum mf_action_result me_pagecache_clean(struct machine *m, const struct page_state *ps, struct page *p)
{
	struct address_space *mapping;
	enum mf_action_result ret;
	bool extra_pins;

	delete_from_lru_cache(m, p);
	if (PageAnon(p))
		return MF_RECOVERED;
	mapping = page_mapping_file(p);
	if (!mapping)
		return MF_FAILED;
	extra_pins = shmem_mapping(mapping);
	ret = truncate_error_page(m, p, page_to_pfn(m, p), mapping);
	if (has_extra_refcount(m, ps, p, extra_pins))
		ret = MF_FAILED;
	return ret;
}

static enum mf_action_result me_pagecache_dirty(struct machine *m, const struct page_state *ps, struct page *p)
{
	struct address_space *mapping = page_mapping_file(p);

	SetPageFlag(p, PG_error);
	if (mapping)
		mapping_set_error(mapping, -EIO);
	return me_pagecache_clean(m, ps, p);
}

/* Keep the page in the swap cache, so that a later swap-in by any owner fails. */
static enum mf_action_result me_swapcache_dirty(struct machine *m, const struct page_state *ps, struct page *p)
{
	enum mf_action_result ret;

	ClearPageFlag(p, PG_dirty);
	ClearPageFlag(p, PG_uptodate);
	ret = delete_from_lru_cache(m, p) ? MF_FAILED : MF_DELAYED;
	if (has_extra_refcount(m, ps, p, ret == MF_DELAYED))
		ret = MF_FAILED;
	return ret;
}

static enum mf_action_result me_swapcache_clean(struct machine *m, const struct page_state *ps, struct page *p)
{
	enum mf_action_result ret;

	delete_from_swap_cache(m, p);
	ret = delete_from_lru_cache(m, p) ? MF_FAILED : MF_RECOVERED;
	if (has_extra_refcount(m, ps, p, false))
		ret = MF_FAILED;
	return ret;
}

/*
 * Dissolve a free hugetlb folio (a no-op for other pages), then take the raw
 * page off buddy: 1 when it left the allocator, 0 when an allocation won it,
 * < 0 when the folio could not be dissolved.
 */
int __page_handle_poison(struct machine *m, struct page *page)
{
	int ret = dissolve_free_huge_page(m, page);

	if (ret)
		return ret;
	lru_add_drain(m);	/* drain_all_pages: no page may sit in a per-CPU cache */
	if (PageFlag(page, PG_hwpoison) && !page->_refcount && !is_free_buddy_page(m, page)) {
		/* a poisoned raw page of the dissolved folio: free_pages kept it out already */
		page->private = MAGIC_HWPOISON;
		return 1;
	}
	return take_page_off_buddy(m, page) ? 1 : 0;
}

static enum mf_action_result me_huge_page(struct machine *m, const struct page_state *ps, struct page *p)
{
	struct page *hpage = compound_head_page(p);
	struct address_space *mapping;
	enum mf_action_result res;
	bool extra_pins = false;

	if (!PageFlag(hpage, PG_hugetlb))
		return MF_DELAYED;
	mapping = page_mapping_file(hpage);
	if (mapping) {
		/* hugetlbfs_error_remove_page is a no-op: the folio stays in the file */
		res = MF_RECOVERED;
		extra_pins = true;
	} else {
		/* unmapped behind hwpoison entries: free it, then dissolve it */
		put_page(m, hpage);
		if (__page_handle_poison(m, p) > 0) {
			get_page(p);
			res = MF_RECOVERED;
		} else {
			res = MF_FAILED;
		}
	}
	if (has_extra_refcount(m, ps, p, extra_pins))
		res = MF_FAILED;
	return res;
}

#define F(b) ((uint32_t)PGF(PG_##b))
static const struct page_state error_states[] = {
	{ F(reserved), F(reserved), MF_MSG_KERNEL, me_kernel },
	{ F(slab), F(slab), MF_MSG_SLAB, me_kernel },
	{ F(head), F(head), MF_MSG_HUGE, me_huge_page },
	{ F(swapcache) | F(swapbacked) | F(dirty), F(swapcache) | F(swapbacked) | F(dirty),
	  MF_MSG_DIRTY_SWAPCACHE, me_swapcache_dirty },
	{ F(swapcache) | F(swapbacked) | F(dirty), F(swapcache) | F(swapbacked),
	  MF_MSG_CLEAN_SWAPCACHE, me_swapcache_clean },
	{ F(mlocked) | F(dirty), F(mlocked) | F(dirty), MF_MSG_DIRTY_MLOCKED_LRU, me_pagecache_dirty },
	{ F(mlocked) | F(dirty), F(mlocked), MF_MSG_CLEAN_MLOCKED_LRU, me_pagecache_clean },
	{ F(unevictable) | F(dirty), F(unevictable) | F(dirty), MF_MSG_DIRTY_UNEVICTABLE_LRU, me_pagecache_dirty },
	{ F(unevictable) | F(dirty), F(unevictable), MF_MSG_CLEAN_UNEVICTABLE_LRU, me_pagecache_clean },
	{ F(lru) | F(dirty), F(lru) | F(dirty), MF_MSG_DIRTY_LRU, me_pagecache_dirty },
	{ F(lru) | F(dirty), F(lru), MF_MSG_CLEAN_LRU, me_pagecache_clean },
	{ 0, 0, MF_MSG_UNKNOWN, me_unknown },
};
#undef F

/* The first row matching the current flags; the snapshot only if that is the catch-all. */
int identify_page_state(struct machine *m, unsigned long pfn, struct page *p, uint32_t page_flags)
{
	const struct page_state *ps;
	enum mf_action_result result;

	for (ps = error_states; (p->flags & ps->mask) != ps->res; ps++)
		;
	page_flags |= p->flags & (uint32_t)PGF(PG_dirty);
	if (!ps->mask)
		for (ps = error_states; (page_flags & ps->mask) != ps->res; ps++)
			;
	result = ps->action(m, ps, p);
	action_result(m, pfn, ps->type, result);
	return (result == MF_RECOVERED || result == MF_DELAYED) ? 0 : -EBUSY;
}

/* ---- taking a reference on an error page (6.1 get_hwpoison_page) ---------------------- */

/* Pages memory_failure and soft offline can deal with; the model has no non-LRU movable pages. */
static bool HWPoisonHandlable(struct machine *m, struct page *page)
{
	return PageFlag(compound_head_page(page), PG_lru) || is_free_buddy_page(m, page);
}

static int __get_hwpoison_page(struct machine *m, struct page *page)
{
	struct page *head = compound_head_page(page);

	/*
	 * 6.12's get_huge_page_for_hwpoison clears hugetlb_migratable on a folio
	 * in use that it poisons, and get_hwpoison_hugetlb_folio then answers
	 * EBUSY (profile hugetlb_poison_unmigratable).
	 */
	if (PageHuge(head) && m->profile->hugetlb_poison_unmigratable &&
	    PageFlag(head, PG_hwpoison) && head->_refcount > 0)
		return -EBUSY;
	if (PageHuge(head))
		return get_hwpoison_huge_page(head);
	/* no reference on a page of unknown type: taking one could race with its owner */
	if (!HWPoisonHandlable(m, head))
		return -EBUSY;
	if (head->_refcount > 0) {
		get_page(head);
		if (head == compound_head_page(page))
			return 1;
		pr_info(m, "%#lx cannot catch tail", page_to_pfn(m, page));
		put_page(m, head);
	}
	return 0;
}

/* 1 with a reference, 0 for a free page, -EIO unhandlable, -EBUSY raced with an allocation. */
static int get_any_page(struct machine *m, struct page *p, int flags)
{
	bool count_increased = flags & MF_COUNT_INCREASED;
	int ret = 0, pass = 0;

try_again:
	if (!count_increased) {
		ret = __get_hwpoison_page(m, p);
		if (!ret) {
			if (compound_head_page(p)->_refcount) {
				if (pass++ < 3)
					goto try_again;
				ret = -EBUSY;
			} else if (!PageHuge(p) && !is_free_buddy_page(m, p)) {
				if (pass++ < 3)
					goto try_again;
				ret = -EIO;
			}
			goto out;
		} else if (ret == -EBUSY) {
			/* maybe only for now: shake it off the per-CPU batches and look again */
			if (pass++ < 3) {
				shake_page(m, p);
				goto try_again;
			}
			ret = -EIO;
			goto out;
		}
	}
	if (PageHuge(p) || HWPoisonHandlable(m, p)) {
		ret = 1;
	} else {
		put_page(m, compound_head_page(p));
		if (pass++ < 3) {
			shake_page(m, p);
			count_increased = false;
			goto try_again;
		}
		ret = -EIO;
	}
out:
	if (ret == -EIO)
		pr_err(m, "%#lx: unhandlable page.", page_to_pfn(m, p));
	return ret;
}

/*
 * __get_unpoison_page: a hugetlb folio gives 0 when free, else 1 with a
 * reference; otherwise -EHWPOISON for a page taken off buddy, else 1 with a
 * reference or 0.
 */
static int __get_unpoison_page(struct page *p)
{
	struct page *head = compound_head_page(p);

	if (PageHuge(head))
		return get_hwpoison_huge_page(head);
	if (PageFlag(p, PG_hwpoison) && p->private == MAGIC_HWPOISON)
		return -EHWPOISON;
	if (p->_refcount > 0) {
		get_page(p);
		return 1;
	}
	return 0;
}

/*
 * The one way memory_failure, soft offline (MF_SOFT_OFFLINE) and unpoison
 * (MF_UNPOISON) take a reference on a page whose state they do not know yet.
 */
int get_hwpoison_page(struct machine *m, struct page *p, int flags)
{
	if (flags & MF_UNPOISON)
		return __get_unpoison_page(p);
	return get_any_page(m, p, flags);
}

/*
 * The page was poisoned before: only the consumer of an action-required error
 * hears of it again. page is the folio (hugetlb) or the page that was hit.
 * 6.12 reports it through action_result() after the kill (type: already
 * poisoned page, or huge page when another page of the hugetlb folio was).
 */
int already_poisoned(struct machine *m, unsigned long pfn, struct page *page, int flags,
		     enum mf_action_page_type type)
{
	int res = -EHWPOISON;

	if (!m->profile->mf_msg_already_poisoned)
		pr_err(m, "%#lx: already hardware poisoned", pfn);
	if (flags & MF_ACTION_REQUIRED)
		res = kill_accessing_process(m, m->current, page_to_pfn(m, page), flags);
	if (flags & MF_COUNT_INCREASED)
		put_page(m, page);	/* madvise's GUP reference */
	if (m->profile->mf_msg_already_poisoned)
		action_result(m, pfn, type, MF_FAILED);
	return res;
}

/* hwpoison_filter protects the page: leave it as it was (locking it first unless locked). */
static bool mf_filtered(struct machine *m, struct page *p, unsigned long pfn, bool lock)
{
	bool filtered;

	if (lock)
		lock_page(m, p);
	filtered = hwpoison_filter(m, pfn);
	if (filtered)
		ClearPageFlag(p, PG_hwpoison);
	if (filtered || lock)
		unlock_page(m, p);
	if (filtered)
		put_page(m, p);
	return filtered;
}

static int __memory_failure(struct machine *m, unsigned long pfn, int flags)
{
	struct page *p = pfn_to_page(m, pfn), *hpage;
	uint32_t page_flags;
	bool retry = true;
	int res, hugetlb = 0;

try_again:
	res = try_memory_failure_hugetlb(m, pfn, flags, &hugetlb);
	if (hugetlb)
		return res;
	mf_sched_point(m, MF_SP_FLAG, p);
	if (TestSetPageFlag(p, PG_hwpoison))
		return already_poisoned(m, pfn, p, flags, MF_MSG_ALREADY_POISONED);
	if (!(flags & MF_COUNT_INCREASED)) {
		res = get_hwpoison_page(m, p, flags);
		if (!res) {
			enum mf_action_result r;
			if (is_free_buddy_page(m, p)) {
				if (take_page_off_buddy(m, p)) {
					get_page(p);
					r = MF_RECOVERED;
				} else {
					if (retry) {
						ClearPageFlag(p, PG_hwpoison);
						retry = false;
						goto try_again;
					}
					r = MF_FAILED;
				}
				action_result(m, pfn, MF_MSG_BUDDY, r);
				return r == MF_RECOVERED ? 0 : -EBUSY;
			}
			action_result(m, pfn, MF_MSG_KERNEL_HIGH_ORDER, MF_IGNORED);
			return -EBUSY;
		} else if (res < 0) {
			action_result(m, pfn, m->profile->mf_msg_get_hwpoison ? MF_MSG_GET_HWPOISON :
					      MF_MSG_UNKNOWN, MF_IGNORED);
			return -EBUSY;
		}
	}
	hpage = compound_head_page(p);
	/* 6.12 asks hwpoison_filter before the THP split, 6.1 after it */
	if (m->profile->filter_before_split && mf_filtered(m, p, pfn, true))
		return -EOPNOTSUPP;
	if (PageTransHuge(hpage)) {
		/* split first: on success only this 4K page is handled */
		SetPageFlag(&hpage[1], PG_has_hwpoisoned);
		if (try_to_split_thp_page(m, p) < 0) {
			bool now = m->profile->thp_unsplit_kill;

			if (now)
				kill_procs_now(m, p, pfn, flags);
			put_page(m, p);
			action_result(m, pfn, MF_MSG_UNSPLIT_THP, now ? MF_FAILED : MF_IGNORED);
			return now ? -EHWPOISON : -EBUSY;
		}
	}
	shake_page(m, p);
	lock_page(m, p);
	page_flags = p->flags;
	if (!m->profile->filter_before_split && mf_filtered(m, p, pfn, false))
		return -EOPNOTSUPP;
	if (!PageFlag(p, PG_lru) && !PageFlag(p, PG_writeback)) {
		/* handled without hwpoison_user_mappings: its mappers keep it */
		if (page_mapped(p))
			u64map_put(&m->hwpoison_mapped, pfn, 1);
		goto identify_page_state;
	}
	if (!hwpoison_user_mappings(m, p, pfn, flags)) {
		action_result(m, pfn, MF_MSG_UNMAP_FAILED, unmap_failed_result(m));
		res = -EBUSY;
		goto unlock;
	}
	if (PageFlag(p, PG_lru) && !PageFlag(p, PG_swapcache) && !p->mapping) {
		action_result(m, pfn, MF_MSG_TRUNCATED_LRU, MF_IGNORED);
		res = -EBUSY;
		goto unlock;
	}
identify_page_state:
	res = identify_page_state(m, pfn, p, page_flags);
unlock:
	unlock_page(m, p);	/* the kernel's handlers unlock; the frame stays ours */
	return res;
}

int memory_failure(struct machine *m, unsigned long pfn, int flags)
{
	int res;

	if (!m->sysctl_memory_failure_recovery) {
		m->panicked = true;
		printk(m, 0, "Kernel panic - not syncing: Memory failure on page %lx", pfn);
		return -EFAULT;
	}
	soft_offline_resume(m);	/* a soft offline stopped in its window holds mf_mutex */
	mf_mutex_lock(m);
	if (!(flags & MF_SW_SIMULATED))
		m->hw_memory_failure = true;
	if (!pfn_to_online_page(m, pfn)) {
		/* 6.1: ZONE_DEVICE pfns (pmem) go to their dev_pagemap */
		struct dev_pagemap *pgmap = pfn_valid(m, pfn) ? get_dev_pagemap(m, pfn) : NULL;

		if (pgmap) {
			res = memory_failure_dev_pagemap(m, pfn, flags, pgmap);
		} else {
			pr_err(m, "%#lx: memory outside kernel control", pfn);
			res = -ENXIO;
		}
	} else {
		res = __memory_failure(m, pfn, flags);
	}
	mf_mutex_unlock(m);
	return res;
}
