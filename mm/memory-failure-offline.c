/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Soft offline (move the data away from a page that is still good but
 * suspect, then retire the frame) and unpoison (the testing tool that undoes a
 * software injection). Both are 6.1's, messages included.
 */
#include <errno.h>

#include "mf-internal.h"

int migrate_page(struct machine *m, struct page *page, struct page **out);

static bool page_handle_poison(struct machine *m, struct page *page, bool freepage, bool release)
{
	if (freepage && !take_page_off_buddy(m, page))
		return false;
	SetPageFlag(page, PG_hwpoison);
	if (release)
		put_page(m, page);
	get_page(page);
	m->num_poisoned_pages++;
	return true;
}

/* Called with our reference on page; migrates it and retires the old frame. */
static int soft_offline_in_use_page(struct machine *m, struct page *page)
{
	uint64_t pfn = page_to_pfn(m, page);
	struct page *np;
	int ret = 0;

	if (PageFlag(page, PG_hwpoison)) {
		put_page(m, page);
		printk(m, KERN_INFO, "soft offline: %#llx page already poisoned", (unsigned long long)pfn);
		return 0;
	}
	if (PageFlag(page, PG_lru) && !PageFlag(page, PG_swapcache) && page_mapping_file(page))
		ret = invalidate_inode_page(page);
	if (ret) {
		printk(m, KERN_INFO, "soft_offline: %#llx: invalidated", (unsigned long long)pfn);
		page_handle_poison(m, page, false, true);
		return 0;
	}
	if (!isolate_lru_page(m, page)) {
		printk(m, KERN_INFO, "soft offline: %#llx: page isolation failed, page count %d, type %#x",
		       (unsigned long long)pfn, page->_refcount, page->flags);
		put_page(m, page);
		return -EBUSY;
	}
	put_page(m, page);	/* isolate_page drops the get_hwpoison_page reference */
	ret = migrate_page(m, page, &np);
	if (ret) {
		printk(m, KERN_INFO, "soft offline: %#llx: page migration failed %d, type %#x",
		       (unsigned long long)pfn, ret, page->flags);
		putback_lru_page(m, page);
		return -EBUSY;
	}
	/* 6.1: poison first, then drop the isolation reference (the seed 001 fix). */
	page_handle_poison(m, page, false, true);
	return 0;
}

int soft_offline_page(struct machine *m, uint64_t pfn, int flags)
{
	struct page *page;
	int ret;
	bool try_again = true;

	if (!pfn_valid(m, pfn))
		return -ENXIO;
	page = pfn_to_page(m, pfn);
	if (PageFlag(page, PG_hwpoison)) {
		printk(m, KERN_INFO, "soft_offline_page: %#llx page already poisoned", (unsigned long long)pfn);
		if (flags & MF_COUNT_INCREASED)
			put_page(m, page);
		return 0;
	}
retry:
	if (!PageFlag(page, PG_lru))
		shake_page(m, page);	/* get_any_page drains the LRU batches before judging */
	if (flags & MF_COUNT_INCREASED) {
		ret = 1;
	} else if (PageFlag(page, PG_lru) || (lru_add_drain(m), PageFlag(page, PG_lru))) {
		get_page(page);
		ret = 1;
	} else if (page->_refcount == 0 && is_free_buddy_page(m, page)) {
		ret = 0;
	} else {
		printk(m, KERN_ERR, "Memory failure: %#llx: unhandlable page.", (unsigned long long)pfn);
		ret = -EIO;
	}
	if (hwpoison_filter(m, pfn)) {
		if (ret > 0)
			put_page(m, page);
		return -EOPNOTSUPP;
	}
	if (ret > 0) {
		if (!PageFlag(page, PG_lru)) {
			printk(m, KERN_INFO, "soft offline: %#llx: page isolation failed, page count %d, type %#x",
			       (unsigned long long)pfn, page->_refcount, page->flags);
			put_page(m, page);
			return -EBUSY;
		}
		return soft_offline_in_use_page(m, page);
	}
	if (ret == 0 && !page_handle_poison(m, page, true, false)) {
		if (try_again) {
			try_again = false;
			flags &= ~MF_COUNT_INCREASED;
			goto retry;
		}
		return -EBUSY;
	}
	return ret;
}

int unpoison_memory(struct machine *m, uint64_t pfn)
{
	struct page *p;
	int ret = -EBUSY;
	bool freeit = false;

	if (!pfn_valid(m, pfn))
		return -EIO;
	p = pfn_to_page(m, pfn);
	if (m->hw_memory_failure) {
		printk(m, KERN_INFO, "Unpoison: Disabled after HW memory failure %#llx", (unsigned long long)pfn);
		return -EOPNOTSUPP;
	}
	if (!PageFlag(p, PG_hwpoison)) {
		printk(m, KERN_INFO, "Unpoison: Page was already unpoisoned %#llx", (unsigned long long)pfn);
		return -EBUSY;
	}
	if (p->_refcount > 1) {
		printk(m, KERN_INFO, "Unpoison: Someone grabs the hwpoison page %#llx", (unsigned long long)pfn);
		return -EBUSY;
	}
	if (page_mapped(p)) {
		printk(m, KERN_INFO, "Unpoison: Someone maps the hwpoison page %#llx", (unsigned long long)pfn);
		return -EBUSY;
	}
	if (page_mapping_file(p) && p->mapping) {
		printk(m, KERN_INFO, "Unpoison: the hwpoison page has non-NULL mapping %#llx",
		       (unsigned long long)pfn);
		return -EBUSY;
	}
	if (PageFlag(p, PG_slab) || PageFlag(p, PG_table) || PageFlag(p, PG_reserved))
		return -EBUSY;
	if (p->private == MAGIC_HWPOISON) {
		/* taken off the buddy allocator: give it back */
		ret = put_page_back_buddy(m, p) ? 0 : -EBUSY;
	} else if (p->_refcount == 0) {
		ret = PageFlag(p, PG_hwpoison) ? 0 : -EBUSY;
		ClearPageFlag(p, PG_hwpoison);
	} else {
		get_page(p);
		freeit = PageFlag(p, PG_hwpoison);
		ClearPageFlag(p, PG_hwpoison);
		put_page(m, p);
		if (freeit) {
			put_page(m, p);
			ret = 0;
		}
	}
	if (!ret || freeit) {
		m->num_poisoned_pages--;
		printk(m, KERN_INFO, "Unpoison: Software-unpoisoned page %#llx", (unsigned long long)pfn);
	}
	return ret;
}
