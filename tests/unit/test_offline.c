/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Soft offline and unpoison (mm/memory-failure-offline.c, mm/migrate.c):
 * migration keeps data and moves mappings, free pages leave and come back to
 * buddy, 6.1's refusals and messages, the %pGp format, the two orders of
 * seed 001 with an allocation in the window, the 6.1 unpoison leak, and a
 * seeded stress run (MEMFAIL_OFFLINE_SEED, MEMFAIL_OFFLINE_OPS).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mm_test.h"

#include "memfail/huge_mm.h"
#include "memfail/memory-failure.h"
#include "memfail/mm.h"

#define RW (VM_READ | VM_WRITE)

static struct machine *mk(uint64_t mib)
{
	return mk_machine(mib);
}

static uint64_t pfn_at(struct task_struct *t, uint64_t addr)
{
	pte_t *p = pte_lookup(t->mm, addr & ~(PAGE_SIZE - 1));

	return p && pte_present(*p) ? pte_pfn(*p) : NO_PFN;
}

static uint64_t anon_map(struct task_struct *t, uint64_t len)
{
	uint64_t addr = 0;

	assert_int_equal(do_mmap(t, len, RW, NULL, 0, false, &addr), 0);
	return addr;
}

static int madvise_so(struct machine *m, struct task_struct *t, uint64_t addr)
{
	int ret;

	m->current = t;
	ret = do_madvise(t, addr, PAGE_SIZE, MADV_SOFT_OFFLINE);
	m->current = NULL;
	return ret;
}

static void free_layout(struct machine *m, uint64_t nr[MAX_ORDER])
{
	for (unsigned o = 0; o < MAX_ORDER; o++) {
		nr[o] = 0;
		for (int zi = 0; zi < m->nr_zones; zi++)
			nr[o] += m->zones[zi].free_area[o].free_list.nr;
	}
}

static void test_anon_migrated(void **state)
{
	struct machine *m = mk(32);
	struct task_struct *t = task_create(m, "A");
	uint64_t a = anon_map(t, 2 * PAGE_SIZE), old, nw;
	char want[96];

	(void)state;
	store(t, a + 5, 0x11);
	store(t, a + PAGE_SIZE + 5, 0x22);
	old = pfn_at(t, a);
	logged(m, "");
	assert_int_equal(madvise_so(m, t, a), 0);
	snprintf(want, sizeof(want), "Soft offlining pfn %#llx at process virtual address %#llx",
		 (unsigned long long)old, (unsigned long long)a);
	assert_true(logged(m, want));
	nw = pfn_at(t, a);
	assert_int_not_equal(nw, old);
	assert_int_not_equal(nw, NO_PFN);
	assert_int_equal(load(t, a + 5), 0x11);
	assert_int_equal(load(t, a + PAGE_SIZE + 5), 0x22);
	assert_true(PageFlag(pfn_to_page(m, old), PG_hwpoison));
	assert_int_equal(pfn_to_page(m, old)->_refcount, 1);
	assert_false(is_free_buddy_page(m, pfn_to_page(m, old)));
	assert_int_equal(m->num_poisoned_pages, 1);
	assert_int_equal(m->nr_sigs, 0);
	assert_false(m->hw_memory_failure);
	ok(m);
	/* the old frame never comes back from an allocator */
	for (struct page *p; (p = alloc_pages(m, 0));)
		assert_int_not_equal(page_to_pfn(m, p), old);
	/* unpoison: refcount 1, unmapped, no mapping -> freed */
	assert_int_equal(unpoison_memory(m, old), 0);
	assert_true(logged(m, "Unpoison: Software-unpoisoned page"));
	assert_int_equal(m->num_poisoned_pages, 0);
	assert_true(is_free_buddy_page(m, pfn_to_page(m, old)));
	assert_int_equal(unpoison_memory(m, old), -EBUSY);
	assert_true(logged(m, "Unpoison: Page was already unpoisoned"));
	machine_destroy(m);
}

static void test_free_page(void **state)
{
	struct machine *m = mk(32);
	uint64_t before[MAX_ORDER], after[MAX_ORDER], nfree = nr_free_pages(m), pfn;
	struct page *p = find_free_page(m);

	(void)state;
	free_layout(m, before);
	pfn = page_to_pfn(m, p);
	assert_int_equal(soft_offline_page(m, pfn, 0), 0);
	assert_true(PageFlag(p, PG_hwpoison));
	assert_int_equal(p->private, MAGIC_HWPOISON);
	assert_int_equal(p->_refcount, 1);
	assert_false(is_free_buddy_page(m, p));
	assert_int_equal(nr_free_pages(m), nfree - 1);	/* only that page left the allocator */
	assert_int_equal(m->num_poisoned_pages, 1);
	ok(m);
	assert_int_equal(soft_offline_page(m, pfn, 0), 0);	/* already poisoned: 0, nothing counted */
	assert_true(logged(m, "soft_offline_page: "));
	assert_int_equal(m->num_poisoned_pages, 1);
	assert_int_equal(unpoison_memory(m, pfn), 0);
	assert_int_equal(nr_free_pages(m), nfree);
	free_layout(m, after);
	assert_memory_equal(before, after, sizeof(before));	/* merged back as it was */
	assert_int_equal(m->num_poisoned_pages, 0);
	ok(m);
	machine_destroy(m);
}

static void test_unhandlable(void **state)
{
	struct machine *m = mk(32);
	struct task_struct *t = task_create(m, "A");
	struct page *slab = slab_alloc_page(m);
	uint64_t a = anon_map(t, PAGE_SIZE);

	(void)state;
	logged(m, "");
	assert_int_equal(soft_offline_page(m, page_to_pfn(m, slab), 0), -EIO);
	assert_true(logged(m, ": unhandlable page."));
	assert_false(PageFlag(slab, PG_hwpoison));
	/* the shared zero page, through madvise */
	assert_int_equal(load(t, a), 0);
	assert_int_equal(madvise_so(m, t, a), -EIO);
	assert_true(logged(m, ": unhandlable page."));
	assert_int_equal(m->num_poisoned_pages, 0);
	assert_int_equal(soft_offline_page(m, m->nr_pages, 0), -ENXIO);
	ok(m);
	machine_destroy(m);
}

static void test_page_flags_format(void **state)
{
	struct machine *m = mk(32);
	struct page *p = alloc_pages(m, 0);
	char buf[192];

	(void)state;
	p->flags = (uint32_t)(PGF(PG_uptodate) | PGF(PG_dirty) | PGF(PG_lru) | PGF(PG_swapbacked));
	assert_int_equal(page_zone(m, p)->type, ZONE_DMA32);
	page_flags_format(m, p, buf, sizeof(buf));
	assert_string_equal(buf, "0xfffffc008001c(uptodate|dirty|lru|swapbacked|node=0|zone=1|lastcpupid=0x1fffff)");
	p->flags = (uint32_t)(PGF(PG_swapcache) | PGF(PG_hwpoison));
	page_flags_format(m, p, buf, sizeof(buf));
	assert_string_equal(buf, "0xfffffc0800400(owner_priv_1|hwpoison|node=0|zone=1|lastcpupid=0x1fffff)");
	p->flags = 0;
	page_flags_format(m, p, buf, sizeof(buf));
	assert_string_equal(buf, "0xfffffc0000000(node=0|zone=1|lastcpupid=0x1fffff)");
	assert_true(page_flags_format(m, p, buf, 8) > 8);	/* truncates safely */
	put_page(m, p);
	machine_destroy(m);
}

/* A pinned page cannot be migrated; with no free frame, migration fails with -ENOMEM. */
static void test_migration_fails(void **state)
{
	struct machine *m = mk(32);
	struct task_struct *t = task_create(m, "A");
	uint64_t a = anon_map(t, PAGE_SIZE), pfn;
	struct page *p, *hog = NULL, *q;

	(void)state;
	store(t, a, 0x5a);
	pfn = pfn_at(t, a);
	p = pfn_to_page(m, pfn);
	get_page(p);	/* a long-term pin (GUP) */
	logged(m, "");
	assert_int_equal(soft_offline_page(m, pfn, 0), -EBUSY);
	assert_true(logged(m, "soft offline: "));
	assert_int_equal(pfn_at(t, a), pfn);
	assert_false(PageFlag(p, PG_hwpoison));
	/* putback goes through the add batch; the failed passes moved the PTE's dirty bit */
	assert_true(page_in_pagevec(m, p));
	assert_true(PageFlag(p, PG_dirty));
	lru_add_drain(m);
	assert_true(PageFlag(p, PG_lru));
	put_page(m, p);
	ok(m);
	/* exhaust memory: nothing to migrate to */
	while ((q = alloc_pages(m, 0))) {
		q->lru_next = hog ? (uint32_t)page_to_pfn(m, hog) : NO_PFN;
		hog = q;
	}
	assert_int_equal(soft_offline_page(m, pfn, 0), -ENOMEM);
	assert_true(logged(m, "page migration failed -12, type 0x"));
	assert_int_equal(pfn_at(t, a), pfn);
	assert_int_equal(load(t, a), 0x5a);
	while (hog) {
		q = hog;
		hog = q->lru_next == NO_PFN ? NULL : pfn_to_page(m, q->lru_next);
		q->lru_next = NO_PFN;
		put_page(m, q);
	}
	ok(m);
	assert_int_equal(m->num_poisoned_pages, 0);
	machine_destroy(m);
}

/*
 * Seed 001: stop the soft offline in its window, allocate every free page,
 * and see whether one of them is the old frame.
 */
static uint64_t window_grab_all(struct machine *m, uint64_t old, struct page **list)
{
	uint64_t n = 0, hit = 0;
	struct page *q;

	while ((q = alloc_pages(m, 0))) {
		hit += page_to_pfn(m, q) == old;
		q->lru_next = *list ? (uint32_t)page_to_pfn(m, *list) : NO_PFN;
		*list = q;
		n++;
	}
	assert_true(n > 1000);
	return hit;
}

static void release_all(struct machine *m, struct page *list)
{
	while (list) {
		struct page *q = list;
		list = q->lru_next == NO_PFN ? NULL : pfn_to_page(m, q->lru_next);
		q->lru_next = NO_PFN;
		put_page(m, q);
	}
}

static void test_race_orders(void **state)
{
	for (int unsafe = 0; unsafe < 2; unsafe++) {
		struct machine *m = mk(16);
		struct task_struct *t = task_create(m, "A");
		uint64_t a = anon_map(t, PAGE_SIZE), old;
		struct page *list = NULL;

		(void)state;
		assert_int_equal(memfail_sysctl_set(m, "memfail.soft_offline_order",
						    unsafe ? "put_then_poison" : "poison_then_put"), 0);
		assert_int_equal(memfail_sysctl_set(m, "memfail.soft_offline_pause", "1"), 0);
		store(t, a, 0x33);
		old = pfn_at(t, a);
		assert_int_equal(madvise_so(m, t, a), 0);
		assert_true(m->soft_offline_paused);
		ok(m);	/* the window is a consistent state in both orders */
		assert_int_equal(window_grab_all(m, old, &list), unsafe ? 1 : 0);
		assert_int_equal(memfail_sysctl_set(m, "memfail.soft_offline_pause", "0"), 0);
		assert_false(m->soft_offline_paused);
		assert_true(PageFlag(pfn_to_page(m, old), PG_hwpoison));
		assert_int_equal(m->num_poisoned_pages, 1);
		assert_int_equal(load(t, a), 0x33);
		if (unsafe) {
			/* the flag landed on a page an allocation owns now */
			assert_int_equal(pfn_to_page(m, old)->_refcount, 1);
			assert_true(PageFlag(pfn_to_page(m, old), PG_hwpoison));
		} else {
			ok(m);
		}
		release_all(m, list);
		if (!unsafe)
			ok(m);
		machine_destroy(m);
	}
}

/* With the unsafe order, an anonymous page faulted in the window is poisoned under its user. */
static void test_race_unsafe_anon_caught(void **state)
{
	struct machine *m = mk(16);
	struct task_struct *a = task_create(m, "A"), *b = task_create(m, "B");
	uint64_t x = anon_map(a, PAGE_SIZE), y = anon_map(b, 64 * PAGE_SIZE), old, i;
	bool got = false;
	FILE *f = fopen("/dev/null", "w");

	(void)state;
	assert_int_equal(memfail_sysctl_set(m, "memfail.soft_offline_order", "put_then_poison"), 0);
	assert_int_equal(memfail_sysctl_set(m, "memfail.soft_offline_order", "sideways"), -EINVAL);
	assert_int_equal(memfail_sysctl_set(m, "memfail.nonsense", "1"), -ENOENT);
	store(a, x, 1);
	old = pfn_at(a, x);
	assert_int_equal(memfail_sysctl_set(m, "memfail.soft_offline_pause", "1"), 0);
	assert_int_equal(madvise_so(m, a, x), 0);
	for (i = 0; i < 64; i++) {
		store(b, y + i * PAGE_SIZE, 2);
		got |= pfn_at(b, y + i * PAGE_SIZE) == old;
	}
	assert_true(got);
	soft_offline_resume(m);
	/* B maps a PG_hwpoison page it was never told about: the checker says so */
	assert_true(check_invariants(m, f) > 0);
	fclose(f);
	machine_destroy(m);
}

/*
 * memory_failure on an allocated non-LRU page (a slab page: "unknown page:
 * Ignored") takes no reference; freeing the page later keeps it out of the
 * allocator at refcount 0. 6.1's unpoison then only clears the flag: the
 * frame is lost (not free, not referenced), which the checker accepts.
 */
static void test_unpoison_leak_61(void **state)
{
	struct machine *m = mk(16);
	struct page *p = slab_alloc_page(m);
	uint64_t pfn = page_to_pfn(m, p), nfree;

	(void)state;
	assert_int_equal(memory_failure(m, pfn, MF_SW_SIMULATED), -EBUSY);
	assert_true(logged(m, "recovery action for unknown page: Ignored"));
	assert_true(PageFlag(p, PG_hwpoison));
	assert_int_equal(p->_refcount, 1);
	assert_int_equal(unpoison_memory(m, pfn), -EBUSY);	/* slab: refused silently */
	assert_false(logged(m, "Unpoison"));
	ClearPageFlag(p, PG_slab);	/* kmem_cache_free of its last object */
	nfree = nr_free_pages(m);
	put_page(m, p);
	assert_int_equal(p->_refcount, 0);
	assert_int_equal(nr_free_pages(m), nfree);
	ok(m);
	assert_int_equal(unpoison_memory(m, pfn), 0);
	assert_true(logged(m, "Unpoison: Software-unpoisoned page"));
	assert_false(PageFlag(p, PG_hwpoison));
	assert_int_equal(m->num_poisoned_pages, 0);
	assert_false(is_free_buddy_page(m, p));
	assert_int_equal(nr_free_pages(m), nfree);
	ok(m);
	machine_destroy(m);
}

static void test_unpoison_refusals(void **state)
{
	struct machine *m = mk(16);
	struct task_struct *t = task_create(m, "A");
	uint64_t a = anon_map(t, PAGE_SIZE), pfn;
	struct page *p;

	(void)state;
	store(t, a, 7);
	lru_add_drain(m);	/* the LRU batch's reference */
	pfn = pfn_at(t, a);
	p = pfn_to_page(m, pfn);
	SetPageFlag(p, PG_hwpoison);	/* a poisoned page still mapped (e.g. unmap failed) */
	logged(m, "");
	assert_int_equal(unpoison_memory(m, pfn), -EBUSY);
	assert_true(logged(m, "Unpoison: Someone maps the hwpoison page"));
	get_page(p);
	assert_int_equal(unpoison_memory(m, pfn), -EBUSY);
	assert_true(logged(m, "Unpoison: Someone grabs the hwpoison page"));
	put_page(m, p);
	ClearPageFlag(p, PG_hwpoison);
	assert_int_equal(unpoison_memory(m, m->nr_pages + 1), -EIO);
	/* after an error that software did not inject, unpoison is gone for good */
	p = find_free_page(m);
	assert_int_equal(memory_failure(m, page_to_pfn(m, p), 0), 0);
	assert_true(m->hw_memory_failure);
	assert_int_equal(unpoison_memory(m, page_to_pfn(m, p)), -EOPNOTSUPP);
	assert_true(logged(m, "Unpoison: Disabled after HW memory failure"));
	ok(m);
	machine_destroy(m);
}

static void test_free_hugetlb(void **state)
{
	struct machine *m = mk(64);
	struct page *head;
	uint64_t pfn;

	(void)state;
	assert_int_equal(hugetlb_set_pool(m, 2, 0), 0);
	head = find_free_huge_page(m);
	assert_non_null(head);
	pfn = page_to_pfn(m, head) + 3;
	assert_int_equal(soft_offline_page(m, pfn, 0), 0);
	assert_int_equal(m->hstate.nr_huge_pages, 1);
	assert_true(PageFlag(pfn_to_page(m, pfn), PG_hwpoison));
	assert_int_equal(m->num_poisoned_pages, 1);
	assert_false(PageFlag(head, PG_hwpoison));
	assert_true(is_free_buddy_page(m, head));	/* the 511 good pages went back */
	ok(m);
	assert_int_equal(unpoison_memory(m, pfn), 0);
	assert_int_equal(m->num_poisoned_pages, 0);
	ok(m);
	machine_destroy(m);
}

/* ---- stress: soft offline and unpoison while tasks allocate and touch memory ---- */

#define ST_TASKS 3
#define ST_REGIONS 4
#define ST_PAGES 8

struct st_region {
	uint64_t addr;
	uint8_t val[ST_PAGES];	/* byte at offset (page * 97) % PAGE_SIZE of each page; 0 untouched */
};

struct st {
	struct machine *m;
	struct task_struct *t[ST_TASKS];
	struct st_region r[ST_TASKS][ST_REGIONS];
	uint64_t poisoned[256];
	int nr_poisoned;
	uint64_t rng, nr_offlined, nr_unpoisoned;	/* coverage */
};

static uint64_t st_rnd(struct st *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545f4914f6cdd1dULL;
}

static uint64_t off_of(int pg)
{
	return (uint64_t)pg * PAGE_SIZE + (uint64_t)(pg * 97) % PAGE_SIZE;
}

static void st_verify(struct st *s)
{
	for (int i = 0; i < ST_TASKS; i++)
		for (int j = 0; j < ST_REGIONS; j++)
			for (int pg = 0; s->r[i][j].addr && pg < ST_PAGES; pg++)
				assert_int_equal(load(s->t[i], s->r[i][j].addr + off_of(pg)), s->r[i][j].val[pg]);
}

static void st_offline(struct st *s, int i, int j)
{
	int pg = (int)(st_rnd(s) % ST_PAGES);
	uint64_t addr = s->r[i][j].addr + (uint64_t)pg * PAGE_SIZE, pfn = pfn_at(s->t[i], addr);
	bool zero = pfn == s->m->zero_pfn || pfn == NO_PFN;
	int ret;

	if (st_rnd(s) & 1) {
		ret = madvise_so(s->m, s->t[i], addr);
		pfn = pfn == NO_PFN ? pfn_at(s->t[i], addr) : pfn;	/* madvise faulted it in */
		zero |= pfn == s->m->zero_pfn;
	} else if (zero) {
		return;
	} else {
		ret = sysfs_soft_offline_page(s->m, pfn << PAGE_SHIFT);
	}
	if (zero) {
		assert_int_equal(ret, -EIO);
		return;
	}
	assert_int_equal(ret, 0);
	assert_int_not_equal(pfn_at(s->t[i], addr), pfn);
	s->poisoned[s->nr_poisoned++] = pfn;
	s->nr_offlined++;
}

static void st_step(struct st *s)
{
	int i = (int)(st_rnd(s) % ST_TASKS), j = (int)(st_rnd(s) % ST_REGIONS), op = (int)(st_rnd(s) % 8);
	struct st_region *r = &s->r[i][j];

	if (!r->addr) {
		r->addr = anon_map(s->t[i], ST_PAGES * PAGE_SIZE);
		memset(r->val, 0, sizeof(r->val));
		for (int pg = 0; pg < ST_PAGES - 1; pg++) {	/* the last page stays a zero page */
			r->val[pg] = (uint8_t)(st_rnd(s) | 1);
			store(s->t[i], r->addr + off_of(pg), r->val[pg]);
		}
		return;
	}
	switch (op) {
	case 0: case 1: {
		int pg = (int)(st_rnd(s) % ST_PAGES);
		r->val[pg] = (uint8_t)(st_rnd(s) | 1);
		store(s->t[i], r->addr + off_of(pg), r->val[pg]);
		break;
	}
	case 2: case 3:
		st_offline(s, i, j);
		break;
	case 4: {
		struct page *f = find_free_page(s->m);
		assert_int_equal(soft_offline_page(s->m, page_to_pfn(s->m, f), 0), 0);
		s->poisoned[s->nr_poisoned++] = page_to_pfn(s->m, f);
		break;
	}
	case 5: case 6:
		if (s->nr_poisoned) {
			int k = (int)(st_rnd(s) % (uint64_t)s->nr_poisoned);
			assert_int_equal(unpoison_memory(s->m, s->poisoned[k]), 0);
			s->poisoned[k] = s->poisoned[--s->nr_poisoned];
			s->nr_unpoisoned++;
		}
		break;
	default:
		assert_int_equal(do_munmap(s->t[i], r->addr, ST_PAGES * PAGE_SIZE), 0);
		r->addr = 0;
		break;
	}
}

static void test_stress(void **state)
{
	const char *e1 = getenv("MEMFAIL_OFFLINE_SEED"), *e2 = getenv("MEMFAIL_OFFLINE_OPS");
	uint64_t seed = e1 && *e1 ? strtoull(e1, NULL, 0) : 1, ops = e2 && *e2 ? strtoull(e2, NULL, 0) : 3000;
	struct st s = { .m = mk(16), .rng = seed * 2654435761ULL + 1 };

	(void)state;
	for (int i = 0; i < ST_TASKS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "T%d", i);
		s.t[i] = task_create(s.m, name);
	}
	for (uint64_t op = 0; op < ops; op++) {
		if (s.nr_poisoned > 200)
			while (s.nr_poisoned)
				assert_int_equal(unpoison_memory(s.m, s.poisoned[--s.nr_poisoned]), 0);
		st_step(&s);
		if (check_invariants(s.m, stderr))
			fail_msg("seed %llu op %llu: invariants", (unsigned long long)seed, (unsigned long long)op);
		assert_int_equal(s.m->nr_sigs, 0);
		assert_int_equal(s.m->num_poisoned_pages, (uint64_t)s.nr_poisoned);
		if (op % 16 == 0)
			st_verify(&s);
	}
	st_verify(&s);
	assert_true(s.nr_offlined > ops / 10 && s.nr_unpoisoned > ops / 10);
	for (int i = 0; i < ST_TASKS; i++)
		assert_false(s.t[i]->signal->dead);
	machine_destroy(s.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anon_migrated),
		cmocka_unit_test(test_free_page),
		cmocka_unit_test(test_unhandlable),
		cmocka_unit_test(test_page_flags_format),
		cmocka_unit_test(test_migration_fails),
		cmocka_unit_test(test_race_orders),
		cmocka_unit_test(test_race_unsafe_anon_caught),
		cmocka_unit_test(test_unpoison_leak_61),
		cmocka_unit_test(test_unpoison_refusals),
		cmocka_unit_test(test_free_hugetlb),
		cmocka_unit_test(test_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
