/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Seeded random stress of the buddy allocator with memory_failure() and
 * unpoison_memory() on free pages, against a plain reference model: which
 * pfns are allocated (and in which blocks) and which are poisoned. After every
 * operation the machine must pass check_invariants and agree with the
 * reference. MEMFAIL_STRESS_SEED and MEMFAIL_STRESS_OPS override the defaults.
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

#include "memfail/memory-failure.h"
#include "memfail/mm.h"

enum { R_FREE, R_ALLOC, R_POISON };

struct block {
	uint64_t pfn;
	unsigned order;
};

struct ref {
	uint8_t *state;		/* per pfn: R_* */
	struct block *blk;
	uint64_t nr_blk, alloc_pages, nr_poison, boot_free;
	uint64_t *poison;	/* poisoned pfns, unordered */
	uint64_t rng;
	uint64_t nr_alloc_failed, nr_poisoned, nr_unpoisoned, max_alloc; /* coverage */
};

static uint64_t rnd(struct ref *r)
{
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return r->rng * 0x2545f4914f6cdd1dULL;
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

static void layout(struct machine *m, uint64_t nr[MAX_ORDER])
{
	unsigned o;
	int zi;

	for (o = 0; o < MAX_ORDER; o++)
		for (nr[o] = 0, zi = 0; zi < m->nr_zones; zi++)
			nr[o] += m->zones[zi].free_area[o].free_list.nr;
}

static void agree(struct machine *m, struct ref *r, uint64_t seed, int op)
{
	int bad = check_invariants(m, stderr);

	if (bad)
		fail_msg("seed %llu op %d: %d invariant violations", (unsigned long long)seed, op, bad);
	if (nr_free_pages(m) != r->boot_free - r->alloc_pages - r->nr_poison)
		fail_msg("seed %llu op %d: %llu free pages, reference says %llu", (unsigned long long)seed, op,
			 (unsigned long long)nr_free_pages(m),
			 (unsigned long long)(r->boot_free - r->alloc_pages - r->nr_poison));
	if (m->num_poisoned_pages != r->nr_poison)
		fail_msg("seed %llu op %d: num_poisoned_pages %llu, reference %llu", (unsigned long long)seed, op,
			 (unsigned long long)m->num_poisoned_pages, (unsigned long long)r->nr_poison);
}

static void do_alloc(struct machine *m, struct ref *r, uint64_t seed, int op)
{
	unsigned order = (unsigned)(rnd(r) % 4), o;
	struct page *p = alloc_pages(m, order);
	uint64_t pfn, i;

	if (!p) {
		/* Only when no block of that order or above is free. */
		for (o = order; o < MAX_ORDER; o++)
			if (m->zones[0].free_area[o].free_list.nr || (m->nr_zones > 1 &&
								    m->zones[1].free_area[o].free_list.nr))
				fail_msg("seed %llu op %d: order-%u allocation failed with an order-%u block free",
					 (unsigned long long)seed, op, order, o);
		r->nr_alloc_failed++;
		return;
	}
	pfn = (uint64_t)(p - m->pages);
	if (pfn & ((1ULL << order) - 1))
		fail_msg("seed %llu op %d: order-%u block at unaligned pfn %#llx", (unsigned long long)seed, op,
			 order, (unsigned long long)pfn);
	if (pfn < m->reserved_end || pfn + (1ULL << order) > m->nr_pages)
		fail_msg("seed %llu op %d: block %#llx outside the free range", (unsigned long long)seed, op,
			 (unsigned long long)pfn);
	for (i = 0; i < (1ULL << order); i++) {
		if (r->state[pfn + i] == R_POISON || PageFlag(&m->pages[pfn + i], PG_hwpoison))
			fail_msg("seed %llu op %d: allocation returned poisoned pfn %#llx",
				 (unsigned long long)seed, op, (unsigned long long)(pfn + i));
		if (r->state[pfn + i] != R_FREE)
			fail_msg("seed %llu op %d: allocation returned allocated pfn %#llx",
				 (unsigned long long)seed, op, (unsigned long long)(pfn + i));
		r->state[pfn + i] = R_ALLOC;
	}
	assert_int_equal(p->_refcount, 1);
	r->blk[r->nr_blk++] = (struct block){ pfn, order };
	r->alloc_pages += 1ULL << order;
	if (r->alloc_pages > r->max_alloc)
		r->max_alloc = r->alloc_pages;
}

static void do_free(struct machine *m, struct ref *r)
{
	uint64_t k, i;
	struct block b;

	if (!r->nr_blk)
		return;
	k = rnd(r) % r->nr_blk;
	b = r->blk[k];
	r->blk[k] = r->blk[--r->nr_blk];
	free_pages(m, &m->pages[b.pfn], b.order);
	for (i = 0; i < (1ULL << b.order); i++)
		r->state[b.pfn + i] = R_FREE;
	r->alloc_pages -= 1ULL << b.order;
}

/* A free pfn at or after a random one (wrapping), or NO_PFN. */
static uint64_t pick_free(struct machine *m, struct ref *r)
{
	uint64_t span = m->nr_pages - m->reserved_end, start = rnd(r) % span, i;

	for (i = 0; i < span; i++) {
		uint64_t pfn = m->reserved_end + (start + i) % span;
		if (r->state[pfn] == R_FREE)
			return pfn;
	}
	return NO_PFN;
}

static void do_poison(struct machine *m, struct ref *r, uint64_t seed, int op)
{
	uint64_t pfn = pick_free(m, r);
	int ret;

	if (pfn == NO_PFN)
		return;
	if (!is_free_buddy_page(m, &m->pages[pfn]))
		fail_msg("seed %llu op %d: reference-free pfn %#llx is not a free buddy page",
			 (unsigned long long)seed, op, (unsigned long long)pfn);
	ret = memory_failure(m, pfn, MF_SW_SIMULATED);
	if (ret)
		fail_msg("seed %llu op %d: memory_failure(%#llx) = %d", (unsigned long long)seed, op,
			 (unsigned long long)pfn, ret);
	assert_true(PageFlag(&m->pages[pfn], PG_hwpoison));
	r->state[pfn] = R_POISON;
	r->poison[r->nr_poison++] = pfn;
	r->nr_poisoned++;
}

static void do_repoison(struct machine *m, struct ref *r)
{
	if (!r->nr_poison)
		return;
	assert_int_equal(memory_failure(m, r->poison[rnd(r) % r->nr_poison], MF_SW_SIMULATED), -EHWPOISON);
}

static void do_unpoison(struct machine *m, struct ref *r, uint64_t seed, int op)
{
	uint64_t k, pfn;
	int ret;

	if (!r->nr_poison) {
		pfn = pick_free(m, r);
		if (pfn != NO_PFN)
			assert_int_equal(unpoison_memory(m, pfn), -EBUSY);
		return;
	}
	k = rnd(r) % r->nr_poison;
	pfn = r->poison[k];
	ret = unpoison_memory(m, pfn);
	if (ret)
		fail_msg("seed %llu op %d: unpoison_memory(%#llx) = %d", (unsigned long long)seed, op,
			 (unsigned long long)pfn, ret);
	r->poison[k] = r->poison[--r->nr_poison];
	r->state[pfn] = R_FREE;
	r->nr_unpoisoned++;
	assert_true(is_free_buddy_page(m, &m->pages[pfn]));
}

static void stress(uint64_t memory, uint64_t seed, int ops)
{
	struct machine_config cfg = { .memory = memory, .swap = 0, .nodes = 2, .seed = seed };
	uint64_t boot[MAX_ORDER], now[MAX_ORDER];
	struct machine *m;
	struct ref r = { 0 };
	char err[128];
	int op;
	unsigned o;

	seed = env_u64("MEMFAIL_STRESS_SEED", seed);
	ops = (int)env_u64("MEMFAIL_STRESS_OPS", (uint64_t)ops);
	assert_int_equal(machine_create(&cfg, &m, err, sizeof(err)), 0);
	r.state = calloc(m->nr_pages, 1);
	r.blk = calloc(m->nr_pages, sizeof(*r.blk));
	r.poison = calloc(m->nr_pages, sizeof(*r.poison));
	assert_true(r.state && r.blk && r.poison);
	r.rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	r.boot_free = nr_free_pages(m);
	layout(m, boot);
	m->current = NULL;
	agree(m, &r, seed, -1);

	for (op = 0; op < ops; op++) {
		/* Phases push toward exhaustion, then back toward empty. */
		unsigned x = (unsigned)(rnd(&r) % 100), alloc_bias = (op / 500) % 2 ? 20 : 60;

		if (x < alloc_bias)
			do_alloc(m, &r, seed, op);
		else if (x < 75)
			do_free(m, &r);
		else if (x < 87)
			do_poison(m, &r, seed, op);
		else if (x < 90)
			do_repoison(m, &r);
		else
			do_unpoison(m, &r, seed, op);
		agree(m, &r, seed, op);
	}

	/* The run went where it should: deep into memory, through many poisonings. */
	if (getenv("MEMFAIL_STRESS_VERBOSE"))
		fprintf(stderr, "seed %llu: %llu alloc failures, %llu/%llu pages peak, %llu poisoned, %llu unpoisoned\n",
			(unsigned long long)seed, (unsigned long long)r.nr_alloc_failed,
			(unsigned long long)r.max_alloc, (unsigned long long)r.boot_free,
			(unsigned long long)r.nr_poisoned, (unsigned long long)r.nr_unpoisoned);
	if (ops >= 5000) {
		assert_true(r.nr_poisoned >= 200 && r.nr_unpoisoned >= 100);
		assert_true(r.max_alloc * 2 >= r.boot_free);
	}

	/* Give everything back: the boot layout returns exactly. */
	while (r.nr_blk)
		do_free(m, &r);
	while (r.nr_poison)
		do_unpoison(m, &r, seed, ops);
	agree(m, &r, seed, ops);
	assert_int_equal(nr_free_pages(m), r.boot_free);
	layout(m, now);
	for (o = 0; o < MAX_ORDER; o++)
		if (now[o] != boot[o])
			fail_msg("seed %llu: order %u holds %llu blocks after the run, %llu at boot",
				 (unsigned long long)seed, o, (unsigned long long)now[o],
				 (unsigned long long)boot[o]);
	free(r.state);
	free(r.blk);
	free(r.poison);
	machine_destroy(m);
}

static void test_stress_4m_seed1(void **state)
{
	(void)state;
	stress(4ULL << 20, 1, 5000);
}

static void test_stress_4m_seed2(void **state)
{
	(void)state;
	stress(4ULL << 20, 2, 5000);
}

static void test_stress_8m_seed3(void **state)
{
	(void)state;
	stress(8ULL << 20, 3, 5000);
}

static void test_stress_1m_seed4(void **state)
{
	(void)state;
	stress(1ULL << 20, 4, 5000);	/* 192 free pages: exhaustion is common */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_4m_seed1),
		cmocka_unit_test(test_stress_4m_seed2),
		cmocka_unit_test(test_stress_8m_seed3),
		cmocka_unit_test(test_stress_1m_seed4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
