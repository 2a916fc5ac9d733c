/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The small version of bench_scale: 10,000 forked children that share an
 * anonymous page (one anon_vma) and a file page (one i_mmap), killed in
 * creation order, in reverse, and every other one first. The rmap walk must
 * keep creation order throughout (it fixes the order of SIGBUS signals).
 * Also: frames boot never wrote are checked (and found wrong) like any other,
 * pages of one repeated byte read back right with no buffer, and sections of
 * the sparse frame map stay unbacked until something reads them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memfail/mm.h"

enum { NKIDS = 10000 };

struct family {
	struct machine *m;
	struct task_struct *kids[NKIDS];
	struct page *anon, *shared;
};

static struct page *page_at(struct task_struct *t, uint64_t addr)
{
	pte_t *p = pte_lookup(t->mm, addr);

	assert_non_null(p);
	assert_true(pte_present(*p));
	return pfn_to_page(t->m, pte_pfn(*p));
}

static void setup(struct family *f)
{
	struct machine_config cfg = { .memory = 64ULL << 20, .nodes = 1, .seed = 1 };
	struct task_struct *p;
	struct file *file;
	uint64_t anon, shared;
	uint8_t v = 1;
	char err[128];
	int i;

	assert_int_equal(machine_create(&cfg, &f->m, err, sizeof(err)), 0);
	p = task_create(f->m, "parent");
	file = fs_open(fs_create(f->m, FS_TMPFS, "shared", PAGE_SIZE), FMODE_READ | FMODE_WRITE);
	assert_int_equal(do_mmap(p, PAGE_SIZE, VM_READ | VM_WRITE, NULL, 0, false, &anon), 0);
	assert_int_equal(do_mmap(p, PAGE_SIZE, VM_READ | VM_WRITE | VM_SHARED, file, 0, false, &shared), 0);
	fput(file);
	assert_int_equal(access_user(p, anon, &v, true), 0);
	assert_int_equal(access_user(p, shared, &v, true), 0);
	f->anon = page_at(p, anon);
	f->shared = page_at(p, shared);
	for (i = 0; i < NKIDS; i++)
		assert_non_null(f->kids[i] = task_fork(p, "child"));
}

struct walk {
	uint64_t last_seq;
	int nr;
};

static bool in_order(struct page *page, struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct walk *w = arg;

	(void)page, (void)addr;
	assert_true(vma->vm_mm->owner->signal->seq >= w->last_seq);
	w->last_seq = vma->vm_mm->owner->signal->seq;
	w->nr++;
	return true;
}

static void check_walks(struct family *f, int alive)
{
	struct walk w = { 0, 0 };

	rmap_walk(f->m, f->anon, in_order, &w);
	assert_int_equal(w.nr, alive + 1);
	w = (struct walk){ 0, 0 };
	rmap_walk(f->m, f->shared, in_order, &w);
	assert_int_equal(w.nr, alive + 1);
	assert_int_equal(check_invariants(f->m, stderr), 0);
}

static void kill(struct family *f, int i)
{
	do_exit_group(f->kids[i], SIGKILL, 0);
	task_release(f->kids[i]);
	f->kids[i] = NULL;
}

static void test_kill_in_any_order(void **state)
{
	struct family *f = calloc(1, sizeof(*f));
	int i, alive = NKIDS;

	(void)state;
	setup(f);
	check_walks(f, alive);
	for (i = 0; i < NKIDS; i += 2, alive--)	/* every other one: holes everywhere */
		kill(f, i);
	check_walks(f, alive);
	for (i = NKIDS - 1; i >= NKIDS / 2; i -= 2, alive--)	/* from the end */
		kill(f, i);
	check_walks(f, alive);
	for (i = 1; i < NKIDS; i += 2)
		if (f->kids[i]) {
			kill(f, i);
			alive--;
		}
	check_walks(f, alive);
	assert_int_equal(f->m->nr_threads, 1);
	machine_destroy(f->m);
	free(f);
}

static struct machine *boot(uint64_t bytes)
{
	struct machine_config cfg = { .memory = bytes, .nodes = 1, .seed = 1 };
	struct machine *m;
	char err[128];

	assert_int_equal(machine_create(&cfg, &m, err, sizeof(err)), 0);
	return m;
}

/* A free block's untouched frames that fall off the free lists are leaked pages. */
/* The check of what changed since the last one finds as many violations as the full walk. */
static int changed_then_full(struct machine *m, FILE *f)
{
	int changed = check_invariants_changed(m, f), full = check_invariants(m, f);

	assert_int_equal(changed, full);
	return full;
}

static void test_checker_sees_untouched_frames(void **state)
{
	struct machine *m = boot(64ULL << 20);
	struct zone *z = &m->zones[0];
	uint32_t head = z->free_area[MAX_ORDER - 1].free_list.head;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(check_invariants_changed(m, stderr), 0);
	assert_int_equal(check_invariants_changed(m, stderr), 0);	/* tracking from here */
	/* drop the first order-10 block from its list: its 1,023 never-written frames leak */
	assert_int_not_equal(head, NO_PFN);
	z->free_area[MAX_ORDER - 1].free_list.head = m->pages[head].lru_next;
	f = open_memstream(&buf, &len);
	assert_true(changed_then_full(m, f) > 1000);
	fclose(f);
	assert_non_null(strstr(buf, "PG_buddy but on no free list"));
	assert_non_null(strstr(buf, "refcount 0 but not free (leaked)"));
	free(buf);
	z->free_area[MAX_ORDER - 1].free_list.head = head;
	assert_int_equal(check_invariants(m, stderr), 0);
	machine_destroy(m);
}

/*
 * The sparse frame map: whole sections of free blocks stay unbacked through
 * boot and checks; the free list reads as boot's (every block at the head in
 * turn); a list that skips untouched sections is caught like any other.
 */
static void test_sparse_sections(void **state)
{
	struct machine *m = boot(1ULL << 30);
	struct page_list *l = &m->zones[0].free_area[MAX_ORDER - 1].free_list;
	uint32_t head = l->head, pfn, expect = (uint32_t)(m->nr_pages - 1024);
	uint64_t sec, nr = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(m->nr_sections, 8);
	for (sec = 1; sec < 8; sec++)
		assert_int_equal(m->sections[sec], SECTION_FREE);
	assert_int_equal(check_invariants_changed(m, stderr), 0);
	assert_int_equal(check_invariants_changed(m, stderr), 0);	/* tracking from here */
	assert_int_equal(m->sections[5], SECTION_FREE);	/* the checker did not back it */
	/* skip sections 4..7 (what a lost list link would do): their blocks leak */
	l->head = (uint32_t)(4 * PAGES_PER_SECTION - 1024);
	f = open_memstream(&buf, &len);
	assert_true(changed_then_full(m, f) > 1000);
	fclose(f);
	assert_non_null(strstr(buf, "PG_buddy but on no free list"));
	free(buf);
	l->head = head;
	assert_int_equal(check_invariants(m, stderr), 0);
	/* reading the list backs the sections and finds boot's order, top block first */
	for (pfn = l->head; pfn != NO_PFN; pfn = m->pages[pfn].lru_next, expect -= 1024, nr++) {
		assert_int_equal(pfn, expect);
		assert_int_equal(m->pages[pfn].private, MAX_ORDER - 1);
		assert_true(PageFlag(&m->pages[pfn], PG_buddy));
	}
	assert_int_equal(nr, l->nr);
	assert_int_equal(expect + 1024, m->reserved_end);
	assert_int_equal(m->sections[5], SECTION_PRESENT);
	assert_int_equal(check_invariants(m, stderr), 0);
	machine_destroy(m);
}

/* Zero and one-byte pages keep no buffer; a partial write gives one, undoing it takes it back. */
static void test_uniform_pages(void **state)
{
	struct machine *m = boot(16ULL << 20);
	struct page *a = alloc_pages(m, 0), *b = alloc_pages(m, 0);
	uint8_t buf[PAGE_SIZE];

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	page_data_set(m, a, 0, buf, PAGE_SIZE);
	assert_int_equal(m->nr_data - m->nr_free_slots, 1);	/* slot 0 only: no buffer */
	assert_int_equal(page_data(m, a)[PAGE_SIZE - 1], 0x5a);
	page_data_set(m, a, 100, (const uint8_t *)"\x01", 1);
	assert_int_equal(page_data(m, a)[100], 1);
	assert_int_equal(page_data(m, a)[101], 0x5a);
	assert_int_equal(m->nr_data - m->nr_free_slots, 2);	/* now one buffer */
	page_data_copy(m, b, a);
	assert_memory_equal(page_data(m, b), page_data(m, a), PAGE_SIZE);
	page_data_set(m, a, 100, buf, 2);			/* uniform again */
	assert_int_equal(m->nr_data - m->nr_free_slots, 2);	/* only b's */
	assert_int_equal(page_data(m, a)[100], 0x5a);
	memset(buf, 0, sizeof(buf));
	page_data_set(m, b, 0, buf, PAGE_SIZE);
	assert_null(page_data(m, b));				/* zero: slot 0 */
	free_pages(m, a, 0);
	free_pages(m, b, 0);
	assert_int_equal(check_invariants(m, stderr), 0);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_in_any_order),
		cmocka_unit_test(test_checker_sees_untouched_frames),
		cmocka_unit_test(test_uniform_pages),
		cmocka_unit_test(test_sparse_sections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
