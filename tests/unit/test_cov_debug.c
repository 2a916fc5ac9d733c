/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The invariant checker (mm/debug.c) must catch what it claims to: each test
 * builds a consistent machine, breaks one thing by hand, asserts the report
 * names it, and puts it back (the machine is consistent again).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mm_test.h"

#include "memfail/dax.h"
#include "memfail/fs.h"
#include "memfail/huge_mm.h"
#include "memfail/ksm.h"
#include "memfail/mm.h"
#include "../../mm/debug.h"

#define RW (VM_READ | VM_WRITE)

static void bad_by(struct machine *m, const char *want, bool full)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int n;

	assert_non_null(f);
	n = full ? check_invariants(m, f) : check_invariants_changed(m, f);
	fclose(f);
	if (n <= 0 || !strstr(text, want))
		fail_msg("expected a violation '%s' (%s check), got %d: %s", want, full ? "full" : "changed",
			 n, text);
	free(text);
}

/*
 * The checker reports at least one violation and its text contains want:
 * first a check of what changed since the last one (it must be one: no full
 * walk is due), then a full walk.
 */
static void bad(struct machine *m, const char *want)
{
	assert_true(m->wp_on && !m->wp_lost && m->ck && m->ck->since_full + 1 < CK_FULL_EVERY);
	bad_by(m, want, false);
	bad_by(m, want, true);
}

/* A machine with one task that wrote one anonymous page; *pfn is that page. */
static struct machine *setup(struct task_struct **t, uint64_t *addr, uint64_t *pfn)
{
	struct machine *m = mk_machine(16);

	*t = task_create(m, "A");
	assert_non_null(*t);
	*addr = map(*t, 4 * PAGE_SIZE, RW);
	store(*t, *addr, 0x42);
	*pfn = page_to_pfn(m, page_at(*t, *addr));
	ok(m);
	return m;
}

/* A head of a free block on some list. */
static struct page *free_head(struct machine *m, unsigned *order)
{
	for (int z = 0; z < m->nr_zones; z++)
		for (unsigned o = 0; o < MAX_ORDER; o++)
			if (m->zones[z].free_area[o].free_list.head != NO_PFN) {
				*order = o;
				return &m->pages[m->zones[z].free_area[o].free_list.head];
			}
	fail_msg("no free page");
	return NULL;
}

/*
 * MF_CHECK_BEGIN (check_invariants_begin) on a machine as boot left it: its
 * free lists and hugetlb pool give the bits, so the next check of what
 * changed agrees with the pool's counters without a full walk, and finds a
 * frame broken after it. On a machine a process has used it is a check of
 * what changed (the first one: full).
 */
static void test_begin(void **state)
{
	struct machine *m = mk_machine(32);
	struct task_struct *t;
	struct page *p;
	unsigned order;
	uint64_t addr;

	(void)state;
	assert_int_equal(hugetlb_set_pool(m, 2, 0), 0);	/* as machine hugepages=2 boots */
	assert_int_equal(check_invariants_begin(m, stderr), 0);
	assert_true(m->wp_on && m->ck);
	assert_int_equal(check_invariants_changed(m, stderr), 0);
	assert_int_equal(m->ck->since_full, 1);		/* not a full walk */
	p = free_head(m, &order);
	p->_refcount = 3;
	bad_by(m, "free pfn", false);
	p->_refcount = 0;
	ok(m);
	machine_destroy(m);

	m = mk_machine(16);
	t = task_create(m, "A");
	addr = map(t, PAGE_SIZE, RW);
	store(t, addr, 1);
	page_at(t, addr)->_mapcount++;
	assert_true(check_invariants_begin(m, stderr) > 0);
	page_at(t, addr)->_mapcount--;
	ok(m);
	machine_destroy(m);
}

static void test_free_lists(void **state)
{
	struct task_struct *t;
	uint64_t addr, pfn;
	struct machine *m = setup(&t, &addr, &pfn);
	unsigned order;
	struct page *p = free_head(m, &order);

	(void)state;
	p->_refcount = 1;
	bad(m, "has refcount 1");
	p->_refcount = 0;
	SetPageFlag(p, PG_hwpoison);
	bad(m, "free list holds hwpoison");
	ClearPageFlag(p, PG_hwpoison);
	p->private = order + 1;
	bad(m, "is not a buddy of that order");
	p->private = order;
	page_zone(m, p)->nr_free++;
	bad(m, "free pages, its lists hold");
	page_zone(m, p)->nr_free--;
	ok(m);
	machine_destroy(m);
}

static void test_lru(void **state)
{
	struct task_struct *t;
	uint64_t addr, pfn;
	struct machine *m = setup(&t, &addr, &pfn);
	struct page *p = &m->pages[pfn];
	unsigned order;
	struct page *f = free_head(m, &order);

	(void)state;
	lru_add_drain(m);
	assert_true(PageFlag(p, PG_lru));
	ClearPageFlag(p, PG_lru);
	bad(m, "without PG_lru");
	SetPageFlag(p, PG_lru);
	SetPageFlag(f, PG_lru);
	bad(m, "have PG_lru but the LRU lists hold");
	ClearPageFlag(f, PG_lru);
	ok(m);
	machine_destroy(m);
}

static void test_page_tables(void **state)
{
	struct task_struct *t;
	uint64_t addr, pfn;
	struct machine *m = setup(&t, &addr, &pfn);
	struct page *p = &m->pages[pfn];
	pte_t save = *pte_lookup(t->mm, addr);

	(void)state;
	p->_mapcount++;
	bad(m, "PTEs map it");
	p->_mapcount--;
	p->_refcount = 0;
	bad(m, "PTE maps free pfn");
	p->_refcount = 1;
	SetPageFlag(p, PG_hwpoison);
	bad(m, "can read hwpoison pfn");
	ClearPageFlag(p, PG_hwpoison);
	*pte_lookup(t->mm, addr) = save | PTE_DEVMAP;
	bad(m, "DAX PTE maps RAM pfn");
	*pte_lookup(t->mm, addr) = ((pte_t)m->nr_pages << PTE_PFN_SHIFT) | PTE_PRESENT;
	bad(m, "PTE maps invalid pfn");
	*pte_lookup(t->mm, addr) = mk_swp_pte(SWP_SWAPFILE, 3);
	p->_mapcount--;
	bad(m, "names a free slot");
	*pte_lookup(t->mm, addr) = mk_swp_pte(SWP_HWPOISON, m->nr_pages + 5);
	bad(m, "hwpoison entry for invalid pfn");
	*pte_lookup(t->mm, addr) = PTE_SWP | ((pte_t)7 << SWP_TYPE_SHIFT) | (1ULL << PTE_PFN_SHIFT);
	bad(m, "unknown PTE");
	*pte_lookup(t->mm, addr) = save;
	p->_mapcount++;
	ok(m);
	/* a PTE where no VMA is */
	set_pte(t->mm, addr + (1ULL << 30), save);
	bad(m, "outside every VMA");
	pte_clear(t->mm, addr + (1ULL << 30));
	ok(m);
	/* a VMA that moves away from a PTE nobody wrote: the check of what changed reads its blocks */
	struct vm_area_struct *vma = find_vma(t->mm, addr);
	vma->vm_start += PAGE_SIZE;
	bad(m, "outside every VMA");
	vma->vm_start -= PAGE_SIZE;
	ok(m);
	machine_destroy(m);
}

static void test_pages(void **state)
{
	struct task_struct *t;
	uint64_t addr, pfn;
	struct machine *m = setup(&t, &addr, &pfn);
	struct page *p = &m->pages[pfn], *q = alloc_pages(m, 0);

	(void)state;
	assert_non_null(q);
	p->_refcount = -1;
	bad(m, "refcount -1");
	p->_refcount = 1;
	q->_refcount = 0;
	bad(m, "refcount 0 but not free (leaked)");
	q->_refcount = 1;
	SetPageFlag(q, PG_buddy);
	bad(m, "PG_buddy but on no free list");
	ClearPageFlag(q, PG_buddy);
	SetPageFlag(q, PG_swapcache);
	bad(m, "PG_swapcache but the swap cache does not hold it");
	ClearPageFlag(q, PG_swapcache);
	put_page(m, q);
	ok(m);
	machine_destroy(m);
}

static void test_page_cache(void **state)
{
	struct machine *m = mk_machine(16);
	struct inode *inode = fs_create(m, FS_DISK, "data", 0);
	struct file *f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	static uint8_t buf[PAGE_SIZE];
	struct page *p;
	int ref;

	(void)state;
	assert_int_equal(fs_pwrite(f, buf, PAGE_SIZE, 0), PAGE_SIZE);
	ok(m);	/* a consistent state: what the next check compares with */
	p = xa_load(&inode->i_data.i_pages, 0);
	assert_non_null(p);
	p->index = 9;
	bad(m, "page-cache entry 0 is pfn");
	p->index = 0;
	ref = p->_refcount;
	p->_refcount = 0;
	bad(m, "has no reference");
	p->_refcount = ref;
	inode->i_data.nrpages++;
	bad(m, "nrpages 2 but 1 pages cached");
	inode->i_data.nrpages--;
	ok(m);
	fput(f);
	machine_destroy(m);
}

/*
 * What the checker compares outside the frame array (a swap-cache slot, a
 * page-table entry) changes with no frame written: the check of what changed
 * still finds it.
 */
static void test_changed_outside_frames(void **state)
{
	struct machine_config cfg = { .memory = 16 << 20, .swap = 1 << 20, .nodes = 1, .seed = 1 };
	struct machine *m;
	struct task_struct *t;
	struct page *q;
	uint64_t addr, slot;
	pte_t *pte, was;
	char err[128];

	(void)state;
	assert_int_equal(machine_create(&cfg, &m, err, sizeof(err)), 0);
	t = task_create(m, "A");
	addr = map(t, PAGE_SIZE, RW);
	store(t, addr, 0x42);
	lru_add_drain(m);
	assert_int_equal(reclaim_page(m, page_at(t, addr)), 0);
	assert_int_equal(load(t, addr), 0x42);	/* swapped in: in the swap cache */
	q = page_at(t, addr);
	assert_true(PageFlag(q, PG_swapcache));
	slot = q->private;
	ok(m);
	ok(m);	/* the second is a check of what changed: tracking is on */
	swap_cache_set(m, slot, NO_PFN);	/* a bug: the page keeps PG_swapcache */
	bad(m, "PG_swapcache but the swap cache does not hold it");
	swap_cache_set(m, slot, (uint32_t)page_to_pfn(m, q));
	ok(m);
	/* the PTE moves to a free frame: the frame it left is not written, but was mapped */
	pte = pte_lookup(t->mm, addr);
	assert_non_null(pte);
	was = *pte;
	*pte = ((pte_t)m->zones[0].free_area[0].free_list.head << PTE_PFN_SHIFT) | PTE_PRESENT;
	bad(m, "mapcount 1 but 0 PTEs map it");
	*pte = was;
	ok(m);
	machine_destroy(m);
}

/*
 * A change to a block's head alone shows in the checks of every tail (here:
 * the head of a 1024-page compound loses its reference, and every page of
 * it is leaked): the check of what changed reads the whole block, across its
 * 16 groups of 64 (more than the 8 host pages a write fault opens), and finds
 * what the full walk finds.
 */
static void test_changed_head_reaches_tails(void **state)
{
	struct machine *m = mk_machine(16);
	struct page *head = alloc_pages(m, MAX_ORDER - 1);
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int changed, full;

	(void)state;
	assert_non_null(head);
	prep_compound_page(m, head, MAX_ORDER - 1);
	ok(m);
	ok(m);
	head->_refcount = 0;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	changed = check_invariants_changed(m, f);
	full = check_invariants(m, f);
	fclose(f);
	free(text);
	assert_true(full >= 1 << (MAX_ORDER - 1));
	assert_int_equal(changed, full);
	head->_refcount = 1;
	ok(m);
	machine_destroy(m);
}

static void test_hugetlb(void **state)
{
	struct machine *m = mk_machine(32);
	struct hstate *h = &m->hstate;
	struct page *head;

	(void)state;
	assert_int_equal(hugetlb_set_pool(m, 2, 0), 0);
	ok(m);
	h->nr_huge_pages++;
	bad(m, "hugetlb pool counts 3 pages");
	h->nr_huge_pages--;
	h->resv_huge_pages = h->free_huge_pages + 1;
	bad(m, "reserved of");
	h->resv_huge_pages = 0;
	head = &m->pages[h->freelist.head];
	head->_refcount = 1;
	bad(m, "hugetlb free list holds pfn");
	head->_refcount = 0;
	head[1]._refcount = 1;
	bad(m, "tail pfn");
	head[1]._refcount = 0;
	ok(m);
	machine_destroy(m);
}

/* A PMD-mapped anonymous THP: its head, tails and PMD slots. */
static void test_thp(void **state)
{
	struct machine *m = mk_machine(64);
	struct task_struct *t = task_create(m, "A");
	uint64_t a = map(t, HPAGE_PMD_SIZE, RW | VM_HUGEPAGE);
	struct page *head, *p;

	(void)state;
	store(t, a, 1);
	head = page_at(t, a);
	assert_true(PageFlag(head, PG_head));
	p = &head[5];
	ok(m);
	(*compound_mapcount_ptr(head))++;
	bad(m, "PMD mapcount 2 but 512 PMD slots map it");
	(*compound_mapcount_ptr(head))--;
	p->head_delta++;
	bad(m, "head pfn and offset disagree");
	p->head_delta--;
	SetPageFlag(p, PG_hwpoison);
	bad(m, "can read hwpoison pfn");
	ClearPageFlag(p, PG_hwpoison);
	SetPageFlag(head, PG_hugetlb);
	SetPageFlag(head, PG_hwpoison);
	bad(m, "maps poisoned hugetlb pfn");
	ClearPageFlag(head, PG_hwpoison);
	ClearPageFlag(head, PG_hugetlb);
	ClearPageFlag(head, PG_head);
	bad(m, "outside a live compound page");
	SetPageFlag(head, PG_head);
	ok(m);
	machine_destroy(m);
}

/* A free hugetlb folio on an LRU list. */
static void test_hugetlb_lru(void **state)
{
	struct machine *m = mk_machine(32);
	struct page *head;

	(void)state;
	assert_int_equal(hugetlb_set_pool(m, 1, 0), 0);
	ok(m);	/* a consistent state: what the next check compares with */
	head = &m->pages[m->hstate.freelist.head];
	SetPageFlag(head, PG_lru);
	bad(m, "free hugetlb pfn");
	ClearPageFlag(head, PG_lru);
	ok(m);
	machine_destroy(m);
}

/* A KSM page and its stable node (mm/ksm_mm.c ksm_check). */
static void test_ksm(void **state)
{
	struct machine *m = mk_machine(32);
	struct task_struct *a = task_create(m, "a"), *b = task_create(m, "b");
	uint64_t x = map(a, PAGE_SIZE, RW), y = map(b, PAGE_SIZE, RW);
	struct ksm_stable_node *node;
	struct page *k;
	unsigned long kpfn;
	uintptr_t mapping;

	(void)state;
	store(a, x, 0x5a);
	store(b, y, 0x5a);
	assert_int_equal(do_madvise(a, x, PAGE_SIZE, MADV_MERGEABLE), 0);
	assert_int_equal(do_madvise(b, y, PAGE_SIZE, MADV_MERGEABLE), 0);
	ksm_run_scans(m, 2);
	k = page_at(a, x);
	assert_true(PageKsm(k));
	ok(m);
	node = page_stable_node(k);
	kpfn = node->kpfn;
	node->kpfn = m->nr_pages;	/* no such frame */
	bad(m, "does not own pfn");
	node->kpfn = kpfn;
	SetPageFlag(k, PG_head);
	bad(m, "is free or compound");
	ClearPageFlag(k, PG_head);
	mapping = k->mapping;
	k->mapping = 0;
	bad(m, "0 KSM pages but 1 stable nodes");
	k->mapping = mapping;
	ok(m);
	machine_destroy(m);
}

/* Only the first eight violations are printed; the count is all of them. */
static void test_many(void **state)
{
	struct machine *m = mk_machine(16);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct page *q[10];

	(void)state;
	for (int i = 0; i < 10; i++) {
		q[i] = alloc_pages(m, 0);
		q[i]->_refcount = 0;
	}
	assert_int_equal(check_invariants(m, f), 10);
	fclose(f);
	assert_non_null(strstr(text, "(leaked)."));
	free(text);
	for (int i = 0; i < 10; i++) {
		q[i]->_refcount = 1;
		put_page(m, q[i]);
	}
	ok(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_lists),
		cmocka_unit_test(test_lru),
		cmocka_unit_test(test_begin),
		cmocka_unit_test(test_page_tables),
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_page_cache),
		cmocka_unit_test(test_changed_outside_frames),
		cmocka_unit_test(test_changed_head_reaches_tails),
		cmocka_unit_test(test_hugetlb),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_thp),
		cmocka_unit_test(test_hugetlb_lru),
		cmocka_unit_test(test_ksm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
