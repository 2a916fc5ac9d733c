/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The invariant checker: walks a machine and reports every inconsistency.
 * Tests run it after every scenario step, so a bug shows up at the step that
 * caused it rather than as a wrong trace much later.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memfail/array.h"
#include "memfail/dax.h"
#include "memfail/huge_mm.h"
#include "memfail/ksm.h"
#include "memfail/memory-failure.h"
#include "memfail/mm.h"
#include "../fs/internal.h"
#include "debug.h"

void ck_fail(struct ck *c, const char *fmt, ...)
{
	va_list ap;

	if (c->bad++ >= 8)	/* the first few say enough */
		return;
	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
	fputc(c->bad < 8 ? ';' : '.', c->out);
	fputc(' ', c->out);
}

/* Mark [pfn, pfn + n) free; word at a time where the block covers whole words. */
static void mark_free(struct ck *c, uint64_t pfn, uint64_t n)
{
	uint64_t i;

	c->st->seen_hi = max_u64(c->st->seen_hi, (pfn + n + 63) / 64);
	if (!(pfn % 64) && !(n % 64)) {
		for (i = 0; i < n / 64 && !c->seen[pfn / 64 + i]; i++)
			;
		if (i == n / 64) {
			memset(&c->seen[pfn / 64], 0xff, n / 8);
			return;
		}
	}
	for (i = 0; i < n; i++) {
		if (test_pfn(c->seen, pfn + i))
			ck_fail(c, "pfn %#llx is in two free blocks", (unsigned long long)(pfn + i));
		set_pfn(c->seen, pfn + i);
	}
}

/*
 * A free-list walk entering a section nothing touched (SECTION_FREE): its
 * blocks follow as boot linked them, down to the section's first; mark them
 * without backing the section and return the next pfn on the list (read as
 * usual: it is in another section).
 */
static uint32_t free_section_walk(struct ck *c, uint32_t pfn, uint64_t *nfree)
{
	uint64_t first = pfn - pfn % PAGES_PER_SECTION, n = pfn + (1ULL << (MAX_ORDER - 1)) - first;
	uint32_t next;

	mark_free(c, first, n);
	*nfree += n;
	next = sparse_boot_next(c->m, first);
	/* the list goes on with the next block in a section nothing touched either */
	while (next != NO_PFN && sparse_section_state(c->m, next) == SECTION_FREE &&
	       next % PAGES_PER_SECTION == PAGES_PER_SECTION - (1U << (MAX_ORDER - 1))) {
		first = next - next % PAGES_PER_SECTION;
		mark_free(c, first, PAGES_PER_SECTION);
		*nfree += PAGES_PER_SECTION;
		next = sparse_boot_next(c->m, first);
	}
	return next;
}

void check_free_lists(struct ck *c)
{
	struct machine *m = c->m;
	int zi;
	unsigned o;

	for (zi = 0; zi < m->nr_zones; zi++) {
		struct zone *z = &m->zones[zi];
		uint64_t nfree = 0;
		for (o = 0; o < MAX_ORDER; o++) {
			uint32_t pfn;
			for (pfn = z->free_area[o].free_list.head; pfn != NO_PFN; pfn = m->pages[pfn].lru_next) {
				struct page *p;
				if (o == MAX_ORDER - 1 && !(pfn % (1U << o)) &&
				    sparse_section_state(m, pfn) == SECTION_FREE) {
					pfn = free_section_walk(c, pfn, &nfree);
					if (pfn == NO_PFN)
						break;
				}
				p = &m->pages[pfn];
				if (pfn & ((1U << o) - 1))
					ck_fail(c, "free block %#x of order %u is not aligned", pfn, o);
				if (!PageFlag(p, PG_buddy) || p->private != o)
					ck_fail(c, "pfn %#x on the order-%u free list is not a buddy of that order", pfn, o);
				/* the frames themselves are checked in check_pages' one pass */
				mark_free(c, pfn, pfn + (1ULL << o) <= m->nr_pages ? 1ULL << o : m->nr_pages - pfn);
				nfree += 1ULL << o;
				/* a block freed twice links the list into a cycle: report it, never loop */
				if (nfree > m->nr_pages) {
					ck_fail(c, "order-%u free list of zone %s loops (a block freed twice)", o,
					        z->name);
					return;
				}
			}
		}
		if (nfree != z->nr_free)
			ck_fail(c, "zone %s counts %llu free pages, its lists hold %llu", z->name,
			        (unsigned long long)z->nr_free, (unsigned long long)nfree);
	}
}

void check_lru(struct ck *c, uint64_t flagged)
{
	struct machine *m = c->m;
	uint64_t on_lists = 0;
	int l;

	for (l = 0; l < NR_LRU_LISTS; l++) {
		uint32_t p;
		for (p = m->lruvec.lists[l].head; p != NO_PFN; p = m->pages[p].lru_next) {
			if (!PageFlag(&m->pages[p], PG_lru) || m->pages[p].lru_list != l)
				ck_fail(c, "pfn %#x on LRU list %d without PG_lru", p, l);
			on_lists++;
		}
	}
	if (on_lists != flagged)
		ck_fail(c, "%llu pages have PG_lru but the LRU lists hold %llu", (unsigned long long)flagged,
		        (unsigned long long)on_lists);
}

/*
 * Compound pages: tails hold no references; the head's covers every PTE and
 * PMD mapping; PMD mappings are whole.
 */
static void check_compound_page(struct ck *c, uint64_t pfn)
{
	struct machine *m = c->m;
	struct page *p = &m->pages[pfn];
	int64_t cm;

	if (PageFlag(p, PG_tail)) {
		if (p->_refcount)
			ck_fail(c, "tail pfn %#llx has refcount %d", (unsigned long long)pfn, p->_refcount);
		if (p - p->head_delta != compound_head_page(p))
			ck_fail(c, "tail pfn %#llx: head pfn and offset disagree", (unsigned long long)pfn);
		return;
	}
	if (!PageFlag(p, PG_head))
		return;
	cm = *compound_mapcount_ptr(p);
	if (ck_count_of(c, pfn).pmd_slots != cm * (int64_t)HPAGE_PMD_NR)
		ck_fail(c, "compound pfn %#llx: PMD mapcount %lld but %d PMD slots map it",
		        (unsigned long long)pfn, (long long)cm, ck_count_of(c, pfn).pmd_slots);
	if (p->_refcount < total_mapcount(p))
		ck_fail(c, "compound pfn %#llx: refcount %d below mapcount %d", (unsigned long long)pfn,
		        p->_refcount, total_mapcount(p));
	if (PageFlag(p, PG_hugetlb))
		c->g_huge |= 1ULL << (pfn % 64);
	if (PageFlag(p, PG_hugetlb) && !p->_refcount && PageFlag(p, PG_lru))
		ck_fail(c, "free hugetlb pfn %#llx is on an LRU list", (unsigned long long)pfn);
}

/* The hugetlb pool's counters match its folios (counted by the frame pass) and free list. */
void check_hstate(struct ck *c, uint64_t nr_huge)
{
	struct machine *m = c->m;
	struct hstate *h = &m->hstate;
	uint64_t nr_free = 0;
	uint32_t f;

	for (f = h->freelist.head; f != NO_PFN; f = m->pages[f].lru_next, nr_free++)
		if (!PageFlag(&m->pages[f], PG_hugetlb) || m->pages[f]._refcount)
			ck_fail(c, "hugetlb free list holds pfn %#x in use or not hugetlb", f);
	if (nr_huge != h->nr_huge_pages || nr_free != h->free_huge_pages || nr_free != h->freelist.nr)
		ck_fail(c, "hugetlb pool counts %llu pages, %llu free, but holds %llu, %llu free",
		        (unsigned long long)h->nr_huge_pages, (unsigned long long)h->free_huge_pages,
		        (unsigned long long)nr_huge, (unsigned long long)nr_free);
	if (h->resv_huge_pages > h->free_huge_pages || h->surplus_huge_pages > h->nr_huge_pages)
		ck_fail(c, "hugetlb pool: %llu reserved of %llu free, %llu surplus of %llu",
		        (unsigned long long)h->resv_huge_pages, (unsigned long long)h->free_huge_pages,
		        (unsigned long long)h->surplus_huge_pages, (unsigned long long)h->nr_huge_pages);
}

/* Free frames: what check_free_lists found on the lists. */
static void check_free_page(struct ck *c, uint64_t pfn, const struct page *q)
{
	if (PageFlag(q, PG_hwpoison))
		ck_fail(c, "free list holds hwpoison pfn %#llx", (unsigned long long)pfn);
	if (q->_refcount || q->_mapcount)
		ck_fail(c, "free pfn %#llx has refcount %d mapcount %d", (unsigned long long)pfn, q->_refcount,
		        q->_mapcount);
}

/* The 64 pfns of word w are checked: keep their lru, huge and ksm bits and the counts. */
static void group_done(struct ck *c, uint64_t w)
{
	struct ck_state *st = c->st;

	if (!(c->g_lru | c->g_huge | c->g_ksm | st->lru[w] | st->huge[w] | st->ksm[w]))
		return;	/* the usual case: none before, none now */
	c->lru_touched |= (c->g_lru | st->lru[w]) != 0;
	if (c->g_lru | c->g_huge | c->g_ksm)
		st->bits_hi = max_u64(st->bits_hi, w + 1);
	st->nr_lru += (uint64_t)__builtin_popcountll(c->g_lru) - (uint64_t)__builtin_popcountll(st->lru[w]);
	st->nr_huge += (uint64_t)__builtin_popcountll(c->g_huge) - (uint64_t)__builtin_popcountll(st->huge[w]);
	st->nr_ksm += (uint64_t)__builtin_popcountll(c->g_ksm) - (uint64_t)__builtin_popcountll(st->ksm[w]);
	st->lru[w] = c->g_lru;
	st->huge[w] = c->g_huge;
	st->ksm[w] = c->g_ksm;
	c->g_lru = c->g_huge = c->g_ksm = 0;
}

/*
 * Frames the host never backed are all zero bytes: the checks below, worked
 * out for a zero frame, leave only these two (the same messages).
 */
static void check_zero_frames(struct ck *c, uint64_t pfn, uint64_t n)
{
	if (!(pfn % 64) && n == 64 && c->seen[pfn / 64] == ~0ULL && !c->mapped[pfn / 64])
		return;	/* free and unmapped: the usual case, a word each */
	for (; n--; pfn++) {
		int32_t maps = ck_count_of(c, pfn).maps;
		c->suspect |= maps != 0;
		if (maps)
			ck_fail(c, "pfn %#llx: mapcount 0 but %d PTEs map it", (unsigned long long)pfn, maps);
		if (!test_pfn(c->seen, pfn))
			ck_fail(c, "pfn %#llx: refcount 0 but not free (leaked)", (unsigned long long)pfn);
	}
}

static void check_frame(struct ck *c, uint64_t pfn)
{
	struct machine *m = c->m;
	bool seen = test_pfn(c->seen, pfn);
	struct page *p = &m->pages[pfn];
	struct page *head = compound_head_page(p);
	int32_t maps = ck_count_of(c, pfn).maps;

	if (!c->suspect && !c->ptes_all)
		c->suspect = frame_suspect(c, pfn);
	if (PageFlag(p, PG_lru))
		c->g_lru |= 1ULL << (pfn % 64);
	if (page_stable_node(p))
		c->g_ksm |= 1ULL << (pfn % 64);
	if (seen)
		check_free_page(c, pfn, p);
	check_compound_page(c, pfn);
	if (PageCompound(p)) {
		/* refcounts are the folio's: check_compound; a free pool folio is not leaked */
		if (p->_mapcount < 0 || p->_mapcount != maps)
			ck_fail(c, "pfn %#llx: mapcount %d but %d PTEs map it", (unsigned long long)pfn,
			        p->_mapcount, maps);
		if (!head->_refcount && !PageFlag(head, PG_hugetlb))
			ck_fail(c, "compound pfn %#llx: refcount 0 but not free (leaked)",
			        (unsigned long long)pfn);
		return;
	}
	if (p->_refcount < 0 || p->_mapcount < 0)
		ck_fail(c, "pfn %#llx: refcount %d mapcount %d", (unsigned long long)pfn, p->_refcount, p->_mapcount);
	if (p->_mapcount != maps)
		ck_fail(c, "pfn %#llx: mapcount %d but %d PTEs map it", (unsigned long long)pfn, p->_mapcount,
		        maps);
	if (p->_refcount < p->_mapcount)
		ck_fail(c, "pfn %#llx: refcount %d below mapcount %d", (unsigned long long)pfn, p->_refcount,
		        p->_mapcount);
	if (PageFlag(p, PG_buddy) && !seen)
		ck_fail(c, "pfn %#llx: PG_buddy but on no free list", (unsigned long long)pfn);
	/* tails of a live high-order block have refcount 0: the head holds the block */
	/* MAGIC_UNPOISON_LEAKED: 6.1's unpoison of an unreferenced page loses it (known) */
	if (!seen && p->_refcount == 0 && !PageFlag(p, PG_hwpoison) &&
	    p->private != MAGIC_UNPOISON_LEAKED &&
	    !(p->head_delta && p->head_delta <= pfn && p[-(int64_t)p->head_delta]._refcount > 0))
		ck_fail(c, "pfn %#llx: refcount 0 but not free (leaked)", (unsigned long long)pfn);
	if (PageFlag(p, PG_swapcache) &&
	    (!m->swap || p->private >= m->swap->nr_slots || swap_cache_pfn(m->swap, p->private) != pfn))
		ck_fail(c, "pfn %#llx: PG_swapcache but the swap cache does not hold it", (unsigned long long)pfn);
}


/* A section nothing touched: what boot left there, checked word by word from the bitmaps. */
void check_untouched_section(struct ck *c, uint64_t pfn, uint64_t end)
{
	enum section_state st = sparse_section_state(c->m, pfn);
	uint64_t free_word = st == SECTION_RESERVED || st == SECTION_DEVICE ? 0 : ~0ULL;

	for (; pfn < end; pfn += 64) {
		uint64_t i;
		if (st == SECTION_ZERO) {
			check_zero_frames(c, pfn, end - pfn < 64 ? end - pfn : 64);
		} else if (c->seen[pfn / 64] != free_word || c->mapped[pfn / 64]) {
			/* something disagrees: read the frames (this backs the section) */
			for (i = pfn; i < pfn + 64 && i < end; i++)
				check_frame(c, i);
		}
		group_done(c, pfn / 64);
	}
}

/* A frame equal to like, read as words (a call to memcmp per frame cost more than the test). */
static bool frame_is(const struct page *p, const struct page *like)
{
	uint64_t x[sizeof(*p) / 8], y[sizeof(*p) / 8], acc = 0;
	size_t i;

	memcpy(x, p, sizeof(x));
	memcpy(y, like, sizeof(y));
	for (i = 0; i < ARRAY_SIZE(x); i++)
		acc |= x[i] ^ y[i];
	return !acc;
}

#define RUN 8	/* frames compared with their template by one memcmp */
#define RESERVED_FRAME { .flags = (uint32_t)PGF(PG_reserved), ._refcount = 1, .lru_list = LRU_NONE }

/*
 * Backed frames. In a run of 64 that is all free (or all not free) and
 * unmapped, a frame equal to an unused free frame (all zero) or to a boot
 * reserved frame passes every check of check_frame: only the others are read
 * field by field. Most backed frames are those (free blocks' host pages,
 * reserved low memory): RUN of them at a time are compared whole first.
 */
void check_frames(struct ck *c, uint64_t pfn, uint64_t end)
{
	static const struct page zero[RUN], reserved[RUN] = { RESERVED_FRAME, RESERVED_FRAME,
		RESERVED_FRAME, RESERVED_FRAME, RESERVED_FRAME, RESERVED_FRAME, RESERVED_FRAME,
		RESERVED_FRAME };
	const struct page *m_pages = c->m->pages;

	while (pfn < end) {
		uint64_t w = pfn / 64, to = (w + 1) * 64 < end ? (w + 1) * 64 : end;
		const struct page *like = c->seen[w] == ~0ULL ? zero : !c->seen[w] ? reserved : NULL;

		if (c->mapped[w])
			like = NULL;
		while (pfn < to) {
			uint64_t n = to - pfn < RUN ? to - pfn : RUN, i;
			if (like && !memcmp(&m_pages[pfn], like, n * sizeof(*like))) {
				pfn += n;
				continue;
			}
			for (i = 0; i < n; i++, pfn++)
				if (!like || !frame_is(&m_pages[pfn], like))
					check_frame(c, pfn);
		}
		group_done(c, w);
	}
}

/*
 * A backed section: host pages of it the host never backed hold zero frames
 * (mincore: the model writes only frames it uses, so reading the others
 * would cost a fault per host page per check).
 */
static bool frames_zero(const struct page *p, uint64_t n)
{
	static const struct page zero[64];

	for (; n; p += 64, n -= n < 64 ? n : 64)
		if (memcmp(p, zero, (n < 64 ? n : 64) * sizeof(*p)))
			return false;
	return true;
}

static void check_section(struct ck *c, uint64_t pfn, uint64_t end, uint64_t per)
{
	struct machine *m = c->m;
	uint64_t n = (end - pfn + per - 1) / per, hp;
	unsigned char *backed = xmalloc(n, "the invariant checker");

	if (mincore(&m->pages[pfn], n * per * sizeof(struct page), backed))
		memset(backed, 1, n);	/* cannot tell: read every frame */
	for (hp = 0; pfn < end; hp++) {
		uint64_t to = end - pfn < per ? end : pfn + per;
		/* a backed page of zero bytes (a reused frame array's) holds zero frames too */
		if (!(backed[hp] & 1) || frames_zero(&m->pages[pfn], to - pfn)) {
			for (; pfn < to; pfn += 64) {
				check_zero_frames(c, pfn, to - pfn < 64 ? to - pfn : 64);
				group_done(c, pfn / 64);
			}
			continue;
		}
		check_frames(c, pfn, to);
		pfn = to;
	}
	free(backed);
}

void check_pages(struct ck *c)
{
	struct machine *m = c->m;
	uint64_t pfn, per = sparse_host_page_frames();

	for (pfn = 0; pfn < m->nr_pages; pfn += PAGES_PER_SECTION) {
		uint64_t end = m->nr_pages - pfn < PAGES_PER_SECTION ? m->nr_pages : pfn + PAGES_PER_SECTION;
		enum section_state s = sparse_section_state(m, pfn);
		if (s == SECTION_PRESENT)
			check_section(c, pfn, end, per);
		else if ((s != SECTION_DEVICE && s != SECTION_RESERVED) ||
			 pfn / 64 < max_u64(max_u64(c->st->seen_hi, c->st->mapped_hi), c->st->bits_hi))
			check_untouched_section(c, pfn, end);
		/* else: no bit set there, and none expected: nothing to read */
	}
}

/* A page-cache THP: every page names its file and index; the cache holds a reference per page. */
static void check_cache_folio(struct ck *c, struct inode *inode, struct page *head, unsigned long index)
{
	struct machine *m = c->m;
	uint64_t i, nr = cache_page_nr(head);

	if (head->_refcount < cache_refs(&inode->i_data, head) + total_mapcount(head))
		ck_fail(c, "%s: page-cache THP pfn %#llx has refcount %d, below %d (cache) + %d (mapcount)",
		        inode->name, (unsigned long long)page_to_pfn(m, head), head->_refcount,
		        cache_refs(&inode->i_data, head), total_mapcount(head));
	for (i = 1; i < nr; i++)
		if (page_mapping_file(&head[i]) != &inode->i_data || head[i].index != index + i)
			ck_fail(c, "%s: page %llu of the THP at entry %lu names another file/index",
			        inode->name, (unsigned long long)i, index);
}

void check_page_cache(struct ck *c)
{
	struct machine *m = c->m;
	int i;

	for (i = 0; i < m->nr_inodes; i++) {
		struct address_space *mapping = &m->inodes[i]->i_data;
		unsigned long index;
		uint64_t n = 0;
		struct page *p;
		xa_for_each(&mapping->i_pages, index, p) {
			if (xa_is_value(p))
				continue;
			if (page_mapping_file(p) != mapping || p->index != index)
				ck_fail(c, "%s: page-cache entry %lu is pfn %#llx of another file/index",
				        m->inodes[i]->name, index, (unsigned long long)page_to_pfn(m, p));
			if (p->_refcount < 1)
				ck_fail(c, "%s: page-cache pfn %#llx has no reference", m->inodes[i]->name,
				        (unsigned long long)page_to_pfn(m, p));
			if (PageTransHuge(p))
				check_cache_folio(c, m->inodes[i], p, index);
			else if (PageFlag(p, PG_tail))
				ck_fail(c, "%s: page-cache entry %lu is a tail page", m->inodes[i]->name, index);
			n += cache_page_nr(p);	/* a folio counts its pages */
		}
		if (n != mapping->nrpages)
			ck_fail(c, "%s: nrpages %llu but %llu pages cached", m->inodes[i]->name,
			        (unsigned long long)mapping->nrpages, (unsigned long long)n);
	}
}
