/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The model's costs: bytes per modelled frame, boot time per GiB, buddy
 * allocator throughput, and how rmap walks and memory_failure() scale with the
 * number of unrelated tasks (they should not). Prints "bench: <name> <value>
 * [<unit>]" lines; bench/README.md explains each. Never fails on time; exits 1
 * only if the model misbehaves.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "memfail/memory-failure.h"
#include "memfail/mm.h"

#define GiB (1ULL << 30)

static int errors;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_mm: %s\n", what);
	exit(1);
}

static struct machine *boot(uint64_t bytes)
{
	struct machine_config cfg = { .memory = bytes, .swap = 0, .nodes = 1, .seed = 1 };
	struct machine *m;
	char err[128];

	if (machine_create(&cfg, &m, err, sizeof(err)))
		die(err);
	return m;
}

static void bench_boot(void)
{
	static const unsigned gib[] = { 1, 4, 16 };
	double total = 0;
	unsigned i, sum = 0;

	for (i = 0; i < sizeof(gib) / sizeof(gib[0]); i++) {
		double t = now();
		struct machine *m = boot(gib[i] * GiB);
		total += now() - t;
		sum += gib[i];
		machine_destroy(m);
	}
	printf("bench: boot_ms_per_gib %.1f ms\n", total * 1e3 / sum);
}

/* Rounds of: allocate 4096 blocks of orders 0..3, free them in another order. */
static void bench_alloc_free(void)
{
	enum { N = 4096 };
	static struct page *blk[N];
	struct machine *m = boot(GiB);
	uint64_t free0 = nr_free_pages(m), ops = 0;
	double t = now(), el;
	int i;

	do {
		for (i = 0; i < N; i++)
			if (!(blk[i] = alloc_pages(m, (unsigned)i & 3)))
				die("alloc_pages failed");
		for (i = 0; i < N; i++) {
			int k = (i * 1031) % N;	/* 1031 is prime: a permutation */
			free_pages(m, blk[k], (unsigned)k & 3);
		}
		ops += 2 * N;
	} while ((el = now() - t) < 0.5);
	if (nr_free_pages(m) != free0)
		die("alloc/free: free pages do not return to the boot count");
	printf("bench: alloc_free_ops_per_s %.0f ops/s\n", (double)ops / el);
	machine_destroy(m);
}

/* A task with one anonymous page of its own, written (dirty, on the LRU after a drain). */
static struct task_struct *task_with_page(struct machine *m, const char *comm, uint64_t *addr)
{
	struct task_struct *t = task_create(m, comm);
	uint8_t v = 0x5a;

	if (!t || do_mmap(t, PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0, false, addr) ||
	    access_user(t, *addr, &v, true))
		die("cannot set up a task");
	return t;
}

static uint64_t pfn_of(struct task_struct *t, uint64_t addr)
{
	pte_t *p = pte_lookup(t->mm, addr);

	if (!p || !pte_present(*p))
		die("page not present");
	return pte_pfn(*p);
}

static bool count_one(struct page *page, struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	(void)page, (void)vma, (void)addr;
	++*(uint64_t *)arg;
	return true;
}

struct rmap_setup {
	struct machine *m;
	struct page *page;
};

/* One page mapped by a parent and 3 forked children, next to n unrelated tasks. */
static struct rmap_setup rmap_machine(int n)
{
	struct rmap_setup s;
	struct task_struct *p;
	uint64_t addr, a;
	char comm[16];
	int i;

	s.m = boot(GiB / 4);
	p = task_with_page(s.m, "owner", &addr);
	for (i = 0; i < 3; i++)
		if (!task_fork(p, "child"))
			die("fork failed");
	for (i = 0; i < n; i++) {
		snprintf(comm, sizeof(comm), "u%d", i);
		task_with_page(s.m, comm, &a);
	}
	lru_add_drain(s.m);
	s.page = pfn_to_page(s.m, pfn_of(p, addr));
	return s;
}

static void bench_rmap(void)
{
	struct rmap_setup few = rmap_machine(10), many = rmap_machine(10000);
	double t_few = 0, t_many = 0, t;
	uint64_t n_few = 0, n_many = 0;
	int round, i;

	for (round = 0; round < 20; round++) {
		t = now();
		for (i = 0; i < 50000; i++)
			rmap_walk(few.m, few.page, count_one, &n_few);
		t_few += now() - t;
		t = now();
		for (i = 0; i < 50000; i++)
			rmap_walk(many.m, many.page, count_one, &n_many);
		t_many += now() - t;
	}
	if (n_few != n_many || n_few != 20ULL * 50000 * 4)
		die("rmap_walk visited a different number of VMAs");
	printf("bench: rmap_cost_ratio_10000_vs_10_tasks %.2f\n", t_many / t_few);
	machine_destroy(few.m);
	machine_destroy(many.m);
}

static double poison(struct machine *m, uint64_t pfn)
{
	double t = now();
	int ret = memory_failure(m, pfn, MF_SW_SIMULATED);

	t = now() - t;
	if (ret) {
		if (errors++ < 5)
			fprintf(stderr, "bench_mm: memory_failure(%#llx) = %d\n", (unsigned long long)pfn, ret);
	}
	return t;
}

/*
 * memory_failure() on dirty anonymous pages of a 4 GiB model. "many": 10,000
 * tasks each mapping one page, all poisoned. "few": 10 tasks each mapping one
 * page, remapped after every round so there are as many events. The two run
 * in alternation, 10 events each, so both see the same host conditions.
 */
static void bench_memory_failure(void)
{
	enum { NT = 10000, NF = 10 };
	struct machine *many = boot(4 * GiB), *few = boot(4 * GiB);
	static struct task_struct *tm[NT];
	static uint64_t am[NT];
	struct task_struct *tf[NF];
	uint64_t af[NF];
	double t_many = 0, t_few = 0;
	char comm[16];
	int i, round;

	for (i = 0; i < NT; i++) {
		snprintf(comm, sizeof(comm), "t%d", i);
		tm[i] = task_with_page(many, comm, &am[i]);
	}
	lru_add_drain(many);
	for (i = 0; i < NF; i++) {
		snprintf(comm, sizeof(comm), "f%d", i);
		tf[i] = task_create(few, comm);
		if (!tf[i])
			die("task_create failed");
		af[i] = 0;
	}
	many->current = few->current = NULL;
	for (round = 0; round < NT / NF; round++) {
		for (i = 0; i < NF; i++) {
			uint8_t v = 0x5a;
			if (af[i] && do_munmap(tf[i], af[i], PAGE_SIZE))
				die("munmap failed");
			if (do_mmap(tf[i], PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0, false, &af[i]) ||
			    access_user(tf[i], af[i], &v, true))
				die("cannot map a page");
		}
		lru_add_drain(few);
		for (i = 0; i < NF; i++)
			t_few += poison(few, pfn_of(tf[i], af[i]));
		for (i = round * NF; i < (round + 1) * NF; i++) {
			pte_t *p = pte_lookup(tm[i]->mm, am[i]);
			if (!p || !pte_present(*p))
				die("page not present");
			t_many += poison(many, pte_pfn(*p));
		}
	}
	if (many->num_poisoned_pages != NT || few->num_poisoned_pages != NT ||
	    many->mf_results[MF_RECOVERED] != NT || few->mf_results[MF_RECOVERED] != NT)
		errors++;
	if (check_invariants(many, stderr) || check_invariants(few, stderr))
		errors++;
	printf("bench: mf_events_per_s %.0f events/s\n", NT / t_many);
	printf("bench: mf_cost_ratio_10000_vs_10_tasks %.2f\n", t_many / t_few);
	machine_destroy(many);
	machine_destroy(few);
}

int main(void)
{
	printf("bench: bytes_per_frame %zu B\n", sizeof(struct page));
	fflush(stdout);
	bench_boot();
	fflush(stdout);
	bench_alloc_free();
	fflush(stdout);
	bench_rmap();
	fflush(stdout);
	bench_memory_failure();
	if (errors) {
		fprintf(stderr, "bench_mm: %d errors in the model\n", errors);
		return 1;
	}
	return 0;
}
