/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for boot and the buddy allocator (mm/mm_init.c, mm/page_alloc.c),
 * memory_failure() and unpoison_memory() on free pages, and the invariant
 * checker itself (mm/debug.c): it must pass on good machines and fail on
 * corrupted ones.
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

#include "memfail/memory-failure.h"
#include "memfail/mm.h"

#define MEM_64M (64ULL << 20)

static struct machine *mk(uint64_t bytes)
{
	struct machine_config cfg = { .memory = bytes, .swap = 0, .nodes = 1, .seed = 1 };
	struct machine *m;
	char err[128];

	assert_int_equal(machine_create(&cfg, &m, err, sizeof(err)), 0);
	assert_non_null(m);
	return m;
}

static void done(struct machine *m)
{
	ok(m);
	machine_destroy(m);
}

/* Free blocks per order, over every zone. */
static void free_layout(struct machine *m, uint64_t nr[MAX_ORDER])
{
	unsigned o;
	int zi;

	for (o = 0; o < MAX_ORDER; o++) {
		nr[o] = 0;
		for (zi = 0; zi < m->nr_zones; zi++)
			nr[o] += m->zones[zi].free_area[o].free_list.nr;
	}
}

static void assert_layout_equal(struct machine *m, const uint64_t want[MAX_ORDER])
{
	uint64_t now[MAX_ORDER];
	unsigned o;

	free_layout(m, now);
	for (o = 0; o < MAX_ORDER; o++)
		if (now[o] != want[o])
			fail_msg("order %u: %llu free blocks, expected %llu", o, (unsigned long long)now[o],
				 (unsigned long long)want[o]);
}

/* Is pfn on the order-o free list of its zone? */
static bool on_free_list(struct machine *m, uint64_t pfn, unsigned o)
{
	struct zone *z = page_zone(m, &m->pages[pfn]);
	uint32_t p;

	for (p = z->free_area[o].free_list.head; p != NO_PFN; p = m->pages[p].lru_next)
		if (p == pfn)
			return true;
	return false;
}

static void create_err(uint64_t memory, int nodes, int want, const char *needle)
{
	struct machine_config cfg = { .memory = memory, .swap = 0, .nodes = nodes, .seed = 1 };
	struct machine *m = (struct machine *)&cfg;	/* must be overwritten with NULL */
	char err[128] = "";

	assert_int_equal(machine_create(&cfg, &m, err, sizeof(err)), want);
	assert_null(m);
	assert_true(err[0] != '\0');
	if (!strstr(err, needle))
		fail_msg("error message \"%s\" does not mention \"%s\"", err, needle);
}

static void test_create_errors(void **state)
{
	(void)state;
	create_err(0, 1, -EINVAL, "memory=0");
	create_err((16ULL << 20) + 1, 1, -EINVAL, "multiple of 4K");
	create_err((16ULL << 20) + 2048, 1, -EINVAL, "multiple of 4K");
	create_err((1ULL << 20) - PAGE_SIZE, 1, -EINVAL, "at least 1M");
	create_err(16ULL << 40, 1, -EINVAL, "8T");
	create_err((8ULL << 40) + PAGE_SIZE, 1, -EINVAL, "8T");
	create_err(UINT64_MAX & ~(PAGE_SIZE - 1), 1, -EINVAL, "8T");
	create_err(16ULL << 20, 0, -EINVAL, "nodes=0");
	create_err(16ULL << 20, -1, -EINVAL, "nodes=-1");
	create_err(16ULL << 20, 65, -EINVAL, "nodes=65");
	/* The smallest machine boots and is consistent. */
	done(mk(1ULL << 20));
}

static void test_boot_layout(void **state)
{
	struct machine *m = mk(MEM_64M);
	uint64_t nr[MAX_ORDER], pfn;
	unsigned o;

	(void)state;
	/* 16384 frames; 1/64 (256) reserved; the rest merged into maximal blocks. */
	assert_int_equal(m->nr_pages, 16384);
	assert_int_equal(m->reserved_end, 256);
	assert_int_equal(m->nr_zones, 1);
	assert_int_equal(nr_free_pages(m), 16384 - 256);
	free_layout(m, nr);
	for (o = 0; o < MAX_ORDER; o++) {
		uint64_t want = o == 8 || o == 9 ? 1 : o == 10 ? 15 : 0;
		assert_int_equal(nr[o], want);
	}
	assert_true(on_free_list(m, 256, 8));
	assert_true(on_free_list(m, 512, 9));
	for (pfn = 1024; pfn < 16384; pfn += 1024)
		assert_true(on_free_list(m, pfn, 10));
	for (pfn = 0; pfn < 256; pfn++) {
		assert_true(PageFlag(&m->pages[pfn], PG_reserved));
		assert_int_equal(m->pages[pfn]._refcount, 1);
		assert_false(is_free_buddy_page(m, &m->pages[pfn]));
	}
	assert_true(PageFlag(&m->pages[m->zero_pfn], PG_zero));
	assert_true(is_free_buddy_page(m, &m->pages[256]));
	assert_true(is_free_buddy_page(m, &m->pages[16383]));
	assert_int_equal(find_free_page(m) - m->pages, 256);
	/* A machine above 4 GiB has a Normal zone too. */
	{
		struct machine *big = mk((4ULL << 30) + (64ULL << 20));
		assert_int_equal(big->nr_zones, 2);
		assert_int_equal(nr_free_pages(big), big->nr_pages - big->reserved_end);
		done(big);
	}
	done(m);
}

static void test_split_merge(void **state)
{
	struct machine *m = mk(MEM_64M);
	uint64_t boot[MAX_ORDER], boot_free = nr_free_pages(m), used = 0, i;
	struct { struct page *p; unsigned order; } blk[600];
	uint8_t *owner = calloc(m->nr_pages, 1);
	int n = 0, k;
	unsigned o;
	struct page *p;

	(void)state;
	assert_non_null(owner);
	free_layout(m, boot);
	/* The first order-0 page splits the order-8 block at 256 all the way down. */
	p = alloc_pages(m, 0);
	assert_non_null(p);
	assert_int_equal(p - m->pages, 256);
	assert_int_equal(p->_refcount, 1);
	for (o = 0; o < 8; o++)
		assert_true(on_free_list(m, 256 + (1U << o), o));
	assert_false(on_free_list(m, 256, 8));
	assert_int_equal(nr_free_pages(m), boot_free - 1);
	ok(m);
	free_pages(m, p, 0);
	assert_int_equal(nr_free_pages(m), boot_free);
	assert_layout_equal(m, boot);
	ok(m);

	/* Orders beyond the allocator's are refused. */
	assert_null(alloc_pages(m, MAX_ORDER));

	/* A mix of orders: aligned, disjoint, counted. */
	for (k = 0; k < 600; k++) {
		unsigned order = (unsigned)(k * 7 % 11) % 6;
		uint64_t pfn;
		p = alloc_pages(m, order);
		assert_non_null(p);
		pfn = (uint64_t)(p - m->pages);
		assert_int_equal(pfn & ((1ULL << order) - 1), 0);
		assert_true(pfn >= m->reserved_end && pfn + (1ULL << order) <= m->nr_pages);
		for (i = 0; i < (1ULL << order); i++) {
			assert_int_equal(owner[pfn + i], 0);
			owner[pfn + i] = 1;
			assert_false(PageFlag(&m->pages[pfn + i], PG_buddy));
		}
		assert_int_equal(p->_refcount, 1);
		blk[n].p = p;
		blk[n++].order = order;
		used += 1ULL << order;
		assert_int_equal(nr_free_pages(m), boot_free - used);
		if (k % 50 == 0)
			ok(m);
	}
	ok(m);
	/* Free every other block, then the rest: everything merges back. */
	for (k = 0; k < n; k += 2) {
		free_pages(m, blk[k].p, blk[k].order);
		used -= 1ULL << blk[k].order;
		assert_int_equal(nr_free_pages(m), boot_free - used);
	}
	ok(m);
	for (k = n - 1; k >= 0; k -= 2) {
		free_pages(m, blk[k].p, blk[k].order);
		used -= 1ULL << blk[k].order;
	}
	assert_int_equal(used, 0);
	assert_int_equal(nr_free_pages(m), boot_free);
	assert_layout_equal(m, boot);
	for (i = 1024; i < m->nr_pages; i += 1024)
		assert_true(on_free_list(m, i, 10));

	/* Exhaustion: every page can be had, then nothing more. */
	for (used = 0; (p = alloc_pages(m, 0)); used++)
		assert_int_equal(p->_refcount, 1);
	assert_int_equal(used, boot_free);
	assert_int_equal(nr_free_pages(m), 0);
	ok(m);
	for (i = m->reserved_end; i < m->nr_pages; i++)
		put_page(m, &m->pages[i]);
	assert_layout_equal(m, boot);
	free(owner);
	done(m);
}

/* Poison pfn the way memory_failure does for a free page. */
static void take_off(struct machine *m, uint64_t pfn)
{
	struct page *p = &m->pages[pfn];

	assert_true(take_page_off_buddy(m, p));
	SetPageFlag(p, PG_hwpoison);
	get_page(p);
}

static void test_take_page_off_buddy(void **state)
{
	struct machine *m = mk(MEM_64M);
	uint64_t boot[MAX_ORDER], boot_free = nr_free_pages(m), target = 3 * 1024 + 517, n, pfn;
	static struct page *blocks[16384];
	struct page *p;
	unsigned o;

	(void)state;
	free_layout(m, boot);
	assert_true(on_free_list(m, 3 * 1024, 10));
	take_off(m, target);
	/* Exactly one page left; the rest of the block is split around it. */
	assert_int_equal(nr_free_pages(m), boot_free - 1);
	assert_false(on_free_list(m, 3 * 1024, 10));
	assert_false(is_free_buddy_page(m, &m->pages[target]));
	assert_int_equal(m->pages[target].private, MAGIC_HWPOISON);
	for (o = 0; o < 10; o++) {
		uint64_t buddy = (target & ~((1ULL << o) - 1)) ^ (1ULL << o);
		assert_true(on_free_list(m, buddy, o));
	}
	assert_true(is_free_buddy_page(m, &m->pages[target - 1]));
	assert_true(is_free_buddy_page(m, &m->pages[target + 1]));
	ok(m);
	/* A page that is not free cannot be taken off. */
	p = alloc_pages(m, 0);
	assert_false(take_page_off_buddy(m, p));
	assert_false(take_page_off_buddy(m, &m->pages[target]));
	assert_false(take_page_off_buddy(m, &m->pages[10]));	/* reserved */
	free_pages(m, p, 0);
	ok(m);

	/* No block of any order ever covers the poisoned pfn. */
	for (o = 1; o < MAX_ORDER; o++) {
		uint64_t got = 0;
		while ((p = alloc_pages(m, o))) {
			pfn = (uint64_t)(p - m->pages);
			if (target >= pfn && target < pfn + (1ULL << o))
				fail_msg("order-%u block at %#llx covers the poisoned pfn", o,
					 (unsigned long long)pfn);
			blocks[got++] = p;
		}
		/* the aligned block around target is lost to order o, no other */
		n = (m->reserved_end + (1ULL << o) - 1) & ~((1ULL << o) - 1);
		assert_int_equal(got, ((m->nr_pages - n) >> o) - 1);
		ok(m);
		while (got)
			free_pages(m, blocks[--got], o);
		assert_int_equal(nr_free_pages(m), boot_free - 1);
	}
	/* Allocate everything page by page: never the poisoned pfn. */
	for (n = 0; (p = alloc_pages(m, 0)); n++)
		assert_int_not_equal(p - m->pages, target);
	assert_int_equal(n, boot_free - 1);
	assert_int_equal(nr_free_pages(m), 0);
	ok(m);
	for (pfn = m->reserved_end; pfn < m->nr_pages; pfn++)
		if (pfn != target)
			put_page(m, &m->pages[pfn]);
	assert_int_equal(nr_free_pages(m), boot_free - 1);
	ok(m);

	/* Back into the allocator: the order-10 block is whole again. */
	assert_true(put_page_back_buddy(m, &m->pages[target]));
	assert_false(PageFlag(&m->pages[target], PG_hwpoison));
	assert_int_equal(nr_free_pages(m), boot_free);
	assert_true(on_free_list(m, 3 * 1024, 10));
	assert_layout_equal(m, boot);
	done(m);
}

/* Next log line containing needle, skipping others; fails if there is none. */
static void expect_log(struct machine *m, const char *needle)
{
	const char *l;

	while ((l = printk_next_line(m, NULL)))
		if (strstr(l, needle))
			return;
	fail_msg("no log line contains \"%s\"", needle);
}

static void test_memory_failure_free_page(void **state)
{
	struct machine *m = mk(MEM_64M);
	uint64_t boot[MAX_ORDER], boot_free = nr_free_pages(m), pfn = 5 * 1024 + 33;
	struct page *p = &m->pages[pfn];
	char want[128];

	(void)state;
	free_layout(m, boot);
	m->current = NULL;
	assert_int_equal(memory_failure(m, pfn, MF_SW_SIMULATED), 0);
	snprintf(want, sizeof(want), "Memory failure: %#llx: recovery action for free buddy page: Recovered",
		 (unsigned long long)pfn);
	expect_log(m, want);
	assert_int_equal(m->num_poisoned_pages, 1);
	assert_int_equal(m->mf_results[MF_RECOVERED], 1);
	assert_int_equal(m->nr_trace, 1);
	assert_int_equal(m->trace[0].type, MF_MSG_BUDDY);
	assert_int_equal(m->trace[0].result, MF_RECOVERED);
	assert_true(PageFlag(p, PG_hwpoison));
	assert_int_equal(p->_refcount, 1);
	assert_false(is_free_buddy_page(m, p));
	assert_int_equal(nr_free_pages(m), boot_free - 1);
	assert_false(m->hw_memory_failure);
	assert_true(stable_page_flags(m, pfn) & (1ULL << KPF_HWPOISON));
	ok(m);

	/* Again: already poisoned, nothing changes. */
	assert_int_equal(memory_failure(m, pfn, MF_SW_SIMULATED), -EHWPOISON);
	expect_log(m, "already hardware poisoned");
	assert_int_equal(m->num_poisoned_pages, 1);
	ok(m);

	/* find_free_page skips it. */
	{
		struct machine *m2 = mk(MEM_64M);
		uint64_t first = (uint64_t)(find_free_page(m2) - m2->pages);
		assert_int_equal(memory_failure(m2, first, MF_SW_SIMULATED), 0);
		assert_int_equal(find_free_page(m2) - m2->pages, first + 1);
		assert_int_equal(unpoison_memory(m2, first), 0);
		assert_int_equal(find_free_page(m2) - m2->pages, first);
		done(m2);
	}

	assert_int_equal(unpoison_memory(m, pfn), 0);
	snprintf(want, sizeof(want), "Unpoison: Software-unpoisoned page %#llx", (unsigned long long)pfn);
	expect_log(m, want);
	assert_int_equal(m->num_poisoned_pages, 0);
	assert_false(PageFlag(p, PG_hwpoison));
	assert_int_equal(p->_refcount, 0);
	assert_true(is_free_buddy_page(m, p));
	assert_int_equal(nr_free_pages(m), boot_free);
	assert_layout_equal(m, boot);
	ok(m);
	assert_int_equal(unpoison_memory(m, pfn), -EBUSY);
	expect_log(m, "Unpoison: Page was already unpoisoned");
	assert_int_equal(memory_failure(m, m->nr_pages, MF_SW_SIMULATED), -ENXIO);
	expect_log(m, "memory outside kernel control");
	assert_int_equal(unpoison_memory(m, m->nr_pages), -EIO);
	ok(m);

	/* A real (not simulated) failure disables unpoison. */
	assert_int_equal(memory_failure(m, pfn, 0), 0);
	assert_true(m->hw_memory_failure);
	assert_int_equal(unpoison_memory(m, pfn), -EOPNOTSUPP);
	assert_int_equal(m->num_poisoned_pages, 1);
	assert_int_equal(nr_free_pages(m), boot_free - 1);
	done(m);
}

/*
 * Both checks complain: the one of what changed since the last ok() (which
 * must not miss what a full walk finds), then the full walk.
 */
static bool both_bad(struct machine *m, FILE *out)
{
	int changed = check_invariants_changed(m, out);

	return changed > 0 && changed == check_invariants(m, out);
}

/* Each corruption must make the checker complain; undoing it must silence it. */
static void test_checker_catches_corruption(void **state)
{
	struct machine *m = mk(16ULL << 20);
	uint64_t fpfn = (uint64_t)(find_free_page(m) - m->pages) + 3;
	struct page *f = &m->pages[fpfn], *a = alloc_pages(m, 0);
	uint32_t save;
	FILE *devnull = fopen("/dev/null", "w");

	(void)state;
	assert_non_null(devnull);
	ok(m);

	SetPageFlag(f, PG_hwpoison);		/* poisoned page on a free list */
	assert_true(both_bad(m, devnull));
	ClearPageFlag(f, PG_hwpoison);
	ok(m);

	f->_refcount++;				/* free page with a reference */
	assert_true(both_bad(m, devnull));
	f->_refcount--;
	ok(m);

	a->_refcount--;				/* allocated page leaked at refcount 0 */
	assert_true(both_bad(m, devnull));
	a->_refcount++;
	ok(m);

	a->_mapcount++;				/* mapcount without a PTE */
	assert_true(both_bad(m, devnull));
	a->_mapcount--;
	ok(m);

	m->zones[0].nr_free++;			/* counter out of step with the lists */
	assert_true(both_bad(m, devnull));
	m->zones[0].nr_free--;
	ok(m);

	SetPageFlag(a, PG_buddy);		/* buddy flag off every list */
	assert_true(both_bad(m, devnull));
	ClearPageFlag(a, PG_buddy);
	ok(m);

	SetPageFlag(a, PG_lru);			/* PG_lru but on no LRU list */
	assert_true(both_bad(m, devnull));
	ClearPageFlag(a, PG_lru);
	ok(m);

	/* a free block of the wrong order */
	f = &m->pages[m->zones[0].free_area[0].free_list.head];
	save = (uint32_t)f->private;
	f->private = 1;
	assert_true(both_bad(m, devnull));
	f->private = save;
	ok(m);

	free_pages(m, a, 0);
	fclose(devnull);
	done(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_boot_layout),
		cmocka_unit_test(test_split_merge),
		cmocka_unit_test(test_take_page_off_buddy),
		cmocka_unit_test(test_memory_failure_free_page),
		cmocka_unit_test(test_checker_catches_corruption),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
