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

#include "memfail/huge_mm.h"
#include "memfail/locking.h"
#include "mf-internal.h"

enum so_order { SO_POISON_THEN_PUT, SO_PUT_THEN_POISON };

#define PFN(x) ((unsigned long long)(x))

/* ---- %pGp: page flags as 6.1 prints them (x86_64, Debian's configuration) ---------- */

/* struct page flag -> the bit it has in 6.1's page->flags */
static const signed char kernel_bit[__NR_PAGEFLAGS] = {
	[PG_locked] = 0, [PG_referenced] = 1, [PG_uptodate] = 2, [PG_dirty] = 3, [PG_lru] = 4,
	[PG_active] = 5, [PG_workingset] = 6, [PG_error] = 8, [PG_slab] = 9,
	[PG_owner_priv_1] = 10, [PG_swapcache] = 10, [PG_reserved] = 12, [PG_private] = 13,
	[PG_writeback] = 15, [PG_head] = 16, [PG_mappedtodisk] = 17, [PG_reclaim] = 18,
	[PG_swapbacked] = 19, [PG_unevictable] = 20, [PG_mlocked] = 21, [PG_hwpoison] = 23,
	/* the rest are page types or model bookkeeping, not page->flags bits */
	[PG_has_hwpoisoned] = -1, [PG_tail] = -1, [PG_buddy] = -1, [PG_offline] = -1,
	[PG_table] = -1, [PG_zero] = -1, [PG_hugetlb] = -1, [PG_raw_hwp] = -1,
};

/* __def_pageflag_names: the order in which %pGp names the bits */
static const struct { int bit; const char *name; } pageflag_names[] = {
	{ 0, "locked" }, { 7, "waiters" }, { 8, "error" }, { 1, "referenced" },
	{ 2, "uptodate" }, { 3, "dirty" }, { 4, "lru" }, { 5, "active" },
	{ 6, "workingset" }, { 9, "slab" }, { 10, "owner_priv_1" }, { 11, "arch_1" },
	{ 12, "reserved" }, { 13, "private" }, { 14, "private_2" }, { 15, "writeback" },
	{ 16, "head" }, { 17, "mappedtodisk" }, { 18, "reclaim" }, { 19, "swapbacked" },
	{ 20, "unevictable" }, { 21, "mlocked" }, { 22, "uncached" }, { 23, "hwpoison" },
	{ 24, "young" }, { 25, "idle" }, { 26, "arch_2" },
};

/* The fields above the flags: no sections (vmemmap), node, zone, last cpupid. */
#define KF_NODES_PGSHIFT 54
#define KF_ZONES_PGSHIFT 51
#define KF_LAST_CPUPID_PGSHIFT 30
#define KF_LAST_CPUPID_MASK 0x1fffffULL	/* -1 & mask: "no cpupid yet" */

size_t page_flags_format(struct machine *m, const struct page *page, char *buf, size_t len)
{
	/* the model's zones are DMA32, Normal, Movable, Device: 6.1 numbers them from DMA */
	unsigned zone = (unsigned)page_zone(m, page)->type + 1;
	uint64_t kf = 0, left;
	size_t n;
	int i, b;

	for (b = 0; b < __NR_PAGEFLAGS; b++)
		if (PageFlag(page, b) && kernel_bit[b] >= 0)
			kf |= 1ULL << kernel_bit[b];
	if (PageFlag(page, PG_zero))
		kf |= 1ULL << 12;	/* the zero page is reserved */
	left = kf;
	kf |= (uint64_t)page_to_nid(m, page) << KF_NODES_PGSHIFT | (uint64_t)zone << KF_ZONES_PGSHIFT |
	      KF_LAST_CPUPID_MASK << KF_LAST_CPUPID_PGSHIFT;
	n = (size_t)snprintf(buf, len, "%#llx(", (unsigned long long)kf);
	for (i = 0; left && i < (int)(sizeof(pageflag_names) / sizeof(pageflag_names[0])); i++) {
		uint64_t mask = 1ULL << pageflag_names[i].bit;
		if (!(left & mask))
			continue;
		left &= ~mask;
		n += (size_t)snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, "%s|",
				      pageflag_names[i].name);
	}
	n += (size_t)snprintf(buf + (n < len ? n : len), n < len ? len - n : 0,
			      "node=%u|zone=%u|lastcpupid=%#llx)", page_to_nid(m, page), zone,
			      KF_LAST_CPUPID_MASK);
	return n;
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

/* Dissolve a free hugetlb page (mm/hugetlb.c), then take the raw page off buddy: 1, 0 lost, <0. */
static int __page_handle_poison(struct machine *m, struct page *page)
{
	int ret = dissolve_free_huge_page(m, page);

	if (ret)
		return ret;
	lru_add_drain(m);	/* drain_all_pages: no page may sit in a per-CPU cache */
	return take_page_off_buddy(m, page) ? 1 : 0;
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
static bool page_handle_poison(struct machine *m, struct page *page, bool hugepage_or_freepage, bool release)
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

/* ---- taking a reference (6.1 get_any_page) ------------------------------------------ */

/* HWPoisonHandlable: no non-LRU movable pages exist in the model. */
static bool handlable(struct machine *m, struct page *p)
{
	struct page *head = compound_head_page(p);

	return PageFlag(head, PG_lru) || is_free_buddy_page(m, p);
}

static int __get_hwpoison_page(struct machine *m, struct page *page)
{
	struct page *head = compound_head_page(page);

	if (PageHuge(head))
		return get_hwpoison_huge_page(head);
	if (!handlable(m, page))
		return -EBUSY;
	if (head->_refcount > 0) {
		get_page(head);
		if (head == compound_head_page(page))
			return 1;
		printk(m, KERN_INFO, "Memory failure: %#llx cannot catch tail", PFN(page_to_pfn(m, page)));
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
			if (pass++ < 3) {
				shake_page(m, p);
				goto try_again;
			}
			ret = -EIO;
			goto out;
		}
	}
	if (PageHuge(p) || handlable(m, p)) {
		ret = 1;
	} else {
		/* not something we can handle: maybe it is once the LRU batches are drained */
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
		printk(m, KERN_ERR, "Memory failure: %#llx: unhandlable page.", PFN(page_to_pfn(m, p)));
	return ret;
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
	uint64_t pfn = page_to_pfn(m, page);
	struct page *hpage = compound_head_page(page), *np;
	bool huge = PageHuge(page);
	char type[192];
	long ret = 0;

	if (!huge && PageTransHuge(hpage)) {
		/* try_to_split_thp_page(): the reference moves to page; dropped on failure */
		lock_page(m, hpage);
		ret = split_huge_page(m, page);
		unlock_page(m, hpage);
		if (ret) {
			put_page(m, hpage);
			printk(m, KERN_INFO, "soft offline: %#llx: thp split failed", PFN(pfn));
			return -EBUSY;
		}
		hpage = page;
	}
	lock_page(m, hpage);	/* the folio's lock */
	/* write-back is synchronous in the model: nothing to wait for */
	if (PageFlag(page, PG_hwpoison)) {
		unlock_page(m, hpage);
		put_page(m, hpage);
		printk(m, KERN_INFO, "soft offline: %#llx page already poisoned", PFN(pfn));
		return 0;
	}
	if (!huge && PageFlag(page, PG_lru) && !PageFlag(page, PG_swapcache))
		ret = invalidate_inode_page(page);	/* clean, unmapped page cache */
	unlock_page(m, hpage);
	if (ret) {
		printk(m, KERN_INFO, "soft_offline: %#llx: invalidated", PFN(pfn));
		page_handle_poison(m, page, false, true);
		return 0;
	}
	if (!isolate_page(m, hpage)) {
		page_flags_format(m, page, type, sizeof(type));
		printk(m, KERN_INFO, "soft offline: %#llx: %s isolation failed, page count %d, type %s",
		       PFN(pfn), msg_page[huge], hpage->_refcount, type);
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
	printk(m, KERN_INFO, "soft offline: %#llx: %s migration failed %ld, type %s", PFN(pfn),
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
int soft_offline_page(struct machine *m, uint64_t pfn, int flags)
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
	soft_offline_resume(m);	/* one stopped in its window still holds mf_mutex */
	mf_mutex_lock(m);
	if (PageFlag(page, PG_hwpoison)) {
		printk(m, KERN_INFO, "soft_offline_page: %#llx page already poisoned", PFN(pfn));
		if (ref_page)
			put_page(m, ref_page);
		mf_mutex_unlock(m);
		return 0;
	}
retry:
	ret = get_any_page(m, page, flags | MF_SOFT_OFFLINE);
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
