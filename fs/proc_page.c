/* SPDX-License-Identifier: GPL-2.0-only */
/* /proc/kpageflags: the stable flag word user space sees for each pfn. */
#include "memfail/huge_mm.h"
#include "memfail/kpageflags.h"
#include "memfail/ksm.h"
#include "memfail/mm.h"
#include "memfail/profile.h"

#define KPF(b) (1ULL << (b))

uint64_t stable_page_flags(struct machine *m, unsigned long pfn)
{
	struct page *p;
	uint64_t u = 0;
	uint32_t f;

	if (!pfn_valid(m, pfn))
		return KPF(KPF_NOPAGE);
	p = pfn_to_page(m, pfn);
	if (page_zone(m, p)->type == ZONE_DEVICE)
		return KPF(KPF_NOPAGE);	/* 6.1: not an online page (pmem) */
	f = p->flags;
	/* 6.1 page_mapped() is folio_mapped(): every page of a mapped THP shows mmap */
	if (PageCompound(p) ? folio_mapped(p) : p->mapping && page_mapped(p))
		u |= KPF(KPF_MMAP);
	if (PageAnon(p))
		u |= KPF(KPF_ANON);
	/* 6.12 tests PAGE_MAPPING_KSM's bits, which every anon mapping has */
	if (PageKsm(p) || (m->profile->kpf_anon_ksm && PageAnon(p)))
		u |= KPF(KPF_KSM);
	if (pfn == m->zero_pfn)
		u |= KPF(KPF_ZERO_PAGE);
	if (PageFlag(p, PG_buddy) && p->_refcount == 0)
		u |= KPF(KPF_BUDDY);
	if (f & PGF(PG_head))
		u |= KPF(KPF_COMPOUND_HEAD);
	if (f & PGF(PG_tail))
		u |= KPF(KPF_COMPOUND_TAIL);
	if (f & (PGF(PG_head) | PGF(PG_tail))) {
		/* PageHuge / PageTransCompound look at the folio: every subpage shows them */
		struct page *head = compound_head_page(p);
		if (PageFlag(head, PG_hugetlb))
			u |= KPF(KPF_HUGE);
		else if (PageFlag(head, PG_lru) || PageAnon(head))
			u |= KPF(KPF_THP);
	}
	/* 6.12 copies the folio's flags to every page; PG_hwpoison stays the page's (not hugetlb's) */
	if (m->profile->kpf_folio_flags && (f & PGF(PG_tail))) {
		struct page *head = compound_head_page(p);

		f = (head->flags & ~PGF(PG_hwpoison)) |
		    ((PageFlag(head, PG_hugetlb) ? head->flags : f) & PGF(PG_hwpoison));
	}
#define MAP(pg, kpf) do { if (f & PGF(pg)) u |= KPF(kpf); } while (0)
	MAP(PG_locked, KPF_LOCKED);
	MAP(PG_slab, KPF_SLAB);
	MAP(PG_error, KPF_ERROR_BIT);
	MAP(PG_dirty, KPF_DIRTY);
	MAP(PG_uptodate, KPF_UPTODATE);
	MAP(PG_writeback, KPF_WRITEBACK);
	MAP(PG_lru, KPF_LRU);
	MAP(PG_referenced, KPF_REFERENCED);
	MAP(PG_active, KPF_ACTIVE);
	MAP(PG_reclaim, KPF_RECLAIM);
	MAP(PG_swapcache, KPF_SWAPCACHE);
	MAP(PG_swapbacked, KPF_SWAPBACKED);
	MAP(PG_unevictable, KPF_UNEVICTABLE);
	MAP(PG_mlocked, KPF_MLOCKED);
	MAP(PG_hwpoison, KPF_HWPOISON);
	MAP(PG_reserved, KPF_RESERVED);
	MAP(PG_offline, KPF_OFFLINE);
	MAP(PG_table, KPF_PGTABLE);
	MAP(PG_private, KPF_PRIVATE);
	MAP(PG_owner_priv_1, KPF_OWNER_PRIVATE);
	MAP(PG_mappedtodisk, KPF_MAPPEDTODISK);
#undef MAP
	return u;
}
