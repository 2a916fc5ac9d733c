/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests for tasks and address spaces: fork and copy-on-write, shared
 * memory across fork, mlock and the unevictable LRU, munmap over a hwpoison
 * entry, rmap after fork/munmap/exit, and prctl(PR_MCE_KILL).
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

#define RW (VM_READ | VM_WRITE)

static struct machine *mk(void)
{
	return mk_machine(64);
}

static void done(struct machine *m)
{
	ok(m);
	machine_destroy(m);
}

/* The pfn addr maps in t now, NO_PFN when nothing is present there. */
static uint64_t pfn_at(struct task_struct *t, uint64_t addr)
{
	pte_t *p = pte_lookup(t->mm, addr & ~(PAGE_SIZE - 1));

	return p && pte_present(*p) ? pte_pfn(*p) : NO_PFN;
}

static uint64_t anon_map(struct task_struct *t, uint64_t len, unsigned long flags)
{
	uint64_t addr = 0;

	assert_int_equal(do_mmap(t, len, flags, NULL, 0, false, &addr), 0);
	assert_int_not_equal(addr, 0);
	return addr;
}

static void test_fork_cow(void **state)
{
	struct machine *m = mk();
	struct task_struct *p = task_create(m, "parent"), *c;
	uint64_t addr = anon_map(p, 4 * PAGE_SIZE, RW), ppfn, cpfn;
	struct page *pg;

	(void)state;
	assert_non_null(p);
	/* An untouched page reads as the shared zero page. */
	assert_int_equal(load(p, addr + 3 * PAGE_SIZE), 0);
	assert_int_equal(pfn_at(p, addr + 3 * PAGE_SIZE), m->zero_pfn);
	store(p, addr + 10, 0x11);
	store(p, addr + PAGE_SIZE + 1, 0x12);
	ppfn = pfn_at(p, addr);
	assert_int_not_equal(ppfn, NO_PFN);
	pg = &m->pages[ppfn];
	assert_true(PageAnon(pg));
	assert_int_equal(pg->_mapcount, 1);
	ok(m);

	c = task_fork(p, "child");
	assert_non_null(c);
	assert_int_not_equal(c->pid, p->pid);
	/* Both map the same page, read-only now. */
	assert_int_equal(pfn_at(c, addr), ppfn);
	assert_int_equal(pg->_mapcount, 2);
	assert_false(*pte_lookup(p->mm, addr) & PTE_WRITE);
	assert_false(*pte_lookup(c->mm, addr) & PTE_WRITE);
	assert_int_equal(load(c, addr + 10), 0x11);
	ok(m);

	/* The child's store copies. */
	store(c, addr + 10, 0x22);
	cpfn = pfn_at(c, addr);
	assert_int_not_equal(cpfn, ppfn);
	assert_int_equal(pfn_at(p, addr), ppfn);
	assert_int_equal(pg->_mapcount, 1);
	assert_int_equal(m->pages[cpfn]._mapcount, 1);
	assert_int_equal(load(c, addr + 10), 0x22);
	assert_int_equal(load(p, addr + 10), 0x11);
	assert_int_equal(load(c, addr + 11), 0);
	ok(m);

	/* The parent, alone on its page again, writes in place. */
	store(p, addr + 10, 0x33);
	assert_int_equal(pfn_at(p, addr), ppfn);
	assert_int_equal(load(p, addr + 10), 0x33);
	assert_int_equal(load(c, addr + 10), 0x22);
	/* The parent's store on the second page copies too: the child still maps the old one. */
	{
		uint64_t old = pfn_at(p, addr + PAGE_SIZE);
		store(p, addr + PAGE_SIZE + 1, 0x44);
		assert_int_not_equal(pfn_at(p, addr + PAGE_SIZE), old);
		assert_int_equal(pfn_at(c, addr + PAGE_SIZE), old);
		assert_int_equal(load(c, addr + PAGE_SIZE + 1), 0x12);
	}
	/* Zero page after fork: a store gets a private page in each. */
	store(c, addr + 3 * PAGE_SIZE, 0x55);
	assert_int_equal(load(p, addr + 3 * PAGE_SIZE), 0);
	assert_int_equal(pfn_at(p, addr + 3 * PAGE_SIZE), m->zero_pfn);
	ok(m);

	do_exit_group(c, 0, 0);
	ok(m);
	task_release(c);
	assert_int_equal(load(p, addr + PAGE_SIZE + 1), 0x44);
	done(m);
}

/* Shared anonymous memory is a shmem object, as MAP_SHARED|MAP_ANONYMOUS makes it. */
static uint64_t shared_anon_map(struct task_struct *t, uint64_t len, const char *name)
{
	struct machine *m = t->m;
	struct inode *inode = fs_create(m, FS_TMPFS, name, len);
	struct file *f;
	uint64_t addr = 0;

	assert_non_null(inode);
	f = fs_open(inode, FMODE_READ | FMODE_WRITE);
	assert_non_null(f);
	assert_int_equal(do_mmap(t, len, RW | VM_SHARED | VM_MAYSHARE, f, 0, false, &addr), 0);
	fput(f);
	assert_int_equal(fs_unlink(m, FS_TMPFS, name), 0);
	return addr;
}

static void test_shared_anon_after_fork(void **state)
{
	struct machine *m = mk();
	struct task_struct *p = task_create(m, "parent"), *c, *g;
	uint64_t addr = shared_anon_map(p, 2 * PAGE_SIZE, "dev/zero:1");
	uint64_t pfn;

	(void)state;
	/* Parent touches nothing before fork: the child's store must still be shared. */
	c = task_fork(p, "child");
	assert_non_null(c);
	store(c, addr + 7, 0xab);
	assert_int_equal(load(p, addr + 7), 0xab);
	pfn = pfn_at(c, addr);
	assert_int_not_equal(pfn, NO_PFN);
	assert_int_equal(pfn_at(p, addr), pfn);
	assert_int_equal(m->pages[pfn]._mapcount, 2);
	assert_false(PageAnon(&m->pages[pfn]));
	ok(m);
	/* And the other way, after the page exists. */
	store(p, addr + 8, 0xcd);
	assert_int_equal(load(c, addr + 8), 0xcd);
	assert_int_equal(pfn_at(p, addr), pfn);
	/* A grandchild forked now sees both. */
	g = task_fork(c, "grandchild");
	assert_non_null(g);
	assert_int_equal(load(g, addr + 7), 0xab);
	store(g, addr + PAGE_SIZE, 0xef);
	assert_int_equal(load(p, addr + PAGE_SIZE), 0xef);
	ok(m);
	/* The object outlives the processes that go. */
	task_release(p);
	task_release(c);
	ok(m);
	assert_int_equal(load(g, addr + 8), 0xcd);
	done(m);
}

static void test_mlock_unevictable(void **state)
{
	struct machine *m = mk();
	struct task_struct *t = task_create(m, "locker");
	uint64_t addr = anon_map(t, 4 * PAGE_SIZE, RW), a, unevictable_before;
	struct page *pg;

	(void)state;
	lru_add_drain(m);
	unevictable_before = m->lruvec.lists[LRU_UNEVICTABLE].nr;
	store(t, addr, 1);
	pg = &m->pages[pfn_at(t, addr)];
	/* A new page waits in the per-CPU batch: not on any LRU yet. */
	assert_true(page_in_pagevec(m, pg));
	assert_false(PageFlag(pg, PG_lru));
	lru_add_drain(m);
	assert_true(PageFlag(pg, PG_lru));
	assert_int_equal(pg->lru_list, LRU_INACTIVE_ANON);
	ok(m);

	assert_int_equal(do_mlock(t, addr, 4 * PAGE_SIZE, true), 0);
	assert_true(find_vma(t->mm, addr)->vm_flags & VM_LOCKED);
	/* mlock faulted the rest in; after the drain all four are unevictable. */
	lru_add_drain(m);
	for (a = addr; a < addr + 4 * PAGE_SIZE; a += PAGE_SIZE) {
		uint64_t pfn = pfn_at(t, a);
		assert_int_not_equal(pfn, NO_PFN);
		pg = &m->pages[pfn];
		assert_true(PageFlag(pg, PG_mlocked));
		assert_true(PageFlag(pg, PG_unevictable));
		assert_true(PageFlag(pg, PG_lru));
		assert_int_equal(pg->lru_list, LRU_UNEVICTABLE);
		assert_true(stable_page_flags(m, pfn) & (1ULL << KPF_UNEVICTABLE));
	}
	assert_int_equal(m->lruvec.lists[LRU_UNEVICTABLE].nr, unevictable_before + 4);
	ok(m);

	/* munlock of half: those go back to the evictable anon list. */
	assert_int_equal(do_mlock(t, addr, 2 * PAGE_SIZE, false), 0);
	pg = &m->pages[pfn_at(t, addr)];
	assert_false(PageFlag(pg, PG_mlocked));
	assert_int_equal(pg->lru_list, LRU_INACTIVE_ANON);
	assert_int_equal(m->pages[pfn_at(t, addr + 3 * PAGE_SIZE)].lru_list, LRU_UNEVICTABLE);
	assert_int_equal(m->lruvec.lists[LRU_UNEVICTABLE].nr, unevictable_before + 2);
	ok(m);

	/* A locked mapping made with VM_LOCKED is populated at once. */
	a = anon_map(t, 2 * PAGE_SIZE, RW | VM_LOCKED);
	lru_add_drain(m);
	assert_int_equal(m->pages[pfn_at(t, a + PAGE_SIZE)].lru_list, LRU_UNEVICTABLE);
	ok(m);

	/* Unmapping the locked pages takes them off the LRU and frees them. */
	assert_int_equal(do_munmap(t, addr, 4 * PAGE_SIZE), 0);
	assert_int_equal(do_munmap(t, a, 2 * PAGE_SIZE), 0);
	assert_int_equal(m->lruvec.lists[LRU_UNEVICTABLE].nr, unevictable_before);
	done(m);
}

static void test_munmap_hwpoison_entry(void **state)
{
	struct machine *m = mk();
	struct task_struct *t = task_create(m, "victim");
	uint64_t free_before = nr_free_pages(m), addr, pfn, a;
	pte_t *pte;

	(void)state;
	t->signal->sigbus = SIG_HANDLER;
	addr = anon_map(t, 4 * PAGE_SIZE, RW);
	for (a = addr; a < addr + 4 * PAGE_SIZE; a += PAGE_SIZE)
		store(t, a, 0x5a);
	pfn = pfn_at(t, addr + PAGE_SIZE);
	m->current = NULL;
	assert_int_equal(memory_failure(m, pfn, MF_SW_SIMULATED), 0);
	pte = pte_lookup(t->mm, addr + PAGE_SIZE);
	assert_non_null(pte);
	assert_true(is_hwpoison_pte(*pte));
	assert_int_equal(swp_offset(*pte), pfn);
	assert_int_equal(m->pages[pfn]._mapcount, 0);
	assert_true(PageFlag(&m->pages[pfn], PG_hwpoison));
	assert_int_equal(m->num_poisoned_pages, 1);
	ok(m);

	/* Touching it: SIGBUS BUS_MCEERR_AR to a task with a handler, which lives on. */
	{
		uint8_t v;
		assert_int_equal(access_user(t, addr + PAGE_SIZE + 3, &v, false), -1);
		assert_int_equal(m->nr_sigs, 1);
		assert_int_equal(m->sigs[0].info.si_signo, SIGBUS);
		assert_int_equal(m->sigs[0].info.si_code, 4);
		assert_int_equal(m->sigs[0].info.si_addr, addr + PAGE_SIZE + 3);
		assert_false(t->signal->dead);
	}

	/* munmap of just the poisoned page splits the VMA and drops the entry. */
	assert_int_equal(do_munmap(t, addr + PAGE_SIZE, PAGE_SIZE), 0);
	assert_null(pte_lookup(t->mm, addr + PAGE_SIZE));
	assert_null(find_vma(t->mm, addr + PAGE_SIZE));
	assert_non_null(find_vma(t->mm, addr));
	assert_non_null(find_vma(t->mm, addr + 2 * PAGE_SIZE));
	assert_int_equal(load(t, addr + 2 * PAGE_SIZE), 0x5a);
	ok(m);

	/* A second poisoned page goes with a munmap of the whole range. */
	pfn = pfn_at(t, addr + 3 * PAGE_SIZE);
	assert_int_equal(memory_failure(m, pfn, MF_SW_SIMULATED), 0);
	assert_true(is_hwpoison_pte(*pte_lookup(t->mm, addr + 3 * PAGE_SIZE)));
	assert_int_equal(do_munmap(t, addr, 4 * PAGE_SIZE), 0);
	assert_null(t->mm->mmap);
	assert_int_equal(t->mm->pt.nr, 0);
	ok(m);
	/* Everything is free again but the two poisoned frames. */
	lru_add_drain(m);
	assert_int_equal(nr_free_pages(m), free_before - 2);
	assert_int_equal(m->num_poisoned_pages, 2);
	/* Nobody maps them: unpoison gives them back. */
	assert_int_equal(unpoison_memory(m, pfn), 0);
	assert_int_equal(nr_free_pages(m), free_before - 1);
	done(m);
}

struct who {
	struct machine *m;
	struct task_struct *mapper[8];
	int nr, visited;
};

/* rmap_walk callback: note the process whose PTE really maps the page here. */
static bool note_mapper(struct page *page, struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct who *w = arg;
	pte_t *p = pte_lookup(vma->vm_mm, addr);

	w->visited++;
	if (p && pte_present(*p) && pte_pfn(*p) == page_to_pfn(w->m, page)) {
		assert_true(w->nr < 8);
		w->mapper[w->nr++] = vma->vm_mm->owner;
	}
	return true;
}

static void expect_mappers(struct machine *m, uint64_t pfn, int nr, ...)
{
	struct who w = { .m = m };
	va_list ap;
	int i, j;

	rmap_walk(m, &m->pages[pfn], note_mapper, &w);
	assert_int_equal(w.nr, nr);
	assert_int_equal(m->pages[pfn]._mapcount, nr);
	va_start(ap, nr);
	for (i = 0; i < nr; i++) {
		struct task_struct *t = va_arg(ap, struct task_struct *);
		for (j = 0; j < w.nr && w.mapper[j] != t; j++)
			;
		if (j == w.nr)
			fail_msg("rmap_walk missed %s", t->comm);
	}
	va_end(ap);
}

static void test_rmap_fork_munmap_exit(void **state)
{
	struct machine *m = mk();
	struct task_struct *p = task_create(m, "parent"), *c1, *c2, *c3, *other;
	uint64_t addr = anon_map(p, 2 * PAGE_SIZE, RW), oaddr, pfn;

	(void)state;
	other = task_create(m, "other");	/* unrelated: never found */
	oaddr = anon_map(other, PAGE_SIZE, RW);
	store(other, oaddr, 9);
	store(p, addr, 1);
	pfn = pfn_at(p, addr);
	expect_mappers(m, pfn, 1, p);
	ok(m);

	c1 = task_fork(p, "c1");
	c2 = task_fork(p, "c2");
	expect_mappers(m, pfn, 3, p, c1, c2);
	ok(m);

	/* c1 copies on write: no longer a mapper of the parent's page. */
	store(c1, addr, 2);
	expect_mappers(m, pfn, 2, p, c2);
	expect_mappers(m, pfn_at(c1, addr), 1, c1);
	ok(m);

	/* c2 unmaps: gone from the walk entirely. */
	assert_int_equal(do_munmap(c2, addr, 2 * PAGE_SIZE), 0);
	{
		struct who w = { .m = m };
		int i;
		rmap_walk(m, &m->pages[pfn], note_mapper, &w);
		assert_int_equal(w.nr, 1);
		assert_int_equal(w.mapper[0], p);
		/* the walk visits p and c1 (whose VMA still links the anon_vma), not c2 */
		assert_int_equal(w.visited, 2);
		for (i = 0; i < w.nr; i++)
			assert_ptr_not_equal(w.mapper[i], c2);
	}
	ok(m);

	/* A new child, then the parent exits: only the new child maps the page. */
	c3 = task_fork(p, "c3");
	expect_mappers(m, pfn, 2, p, c3);
	do_exit_group(p, 0, 0);
	ok(m);
	task_release(p);
	expect_mappers(m, pfn, 1, c3);
	assert_int_equal(load(c3, addr), 1);
	ok(m);
	do_exit_group(c3, SIGKILL, 0);
	task_release(c3);
	lru_add_drain(m);	/* the per-CPU batch may still hold it */
	/* The page is free; other's page never appeared anywhere. */
	assert_true(is_free_buddy_page(m, &m->pages[pfn]));
	expect_mappers(m, pfn_at(other, oaddr), 1, other);
	done(m);
}

/* mprotect splits the VMA, write-protects its PTEs, and a store then faults with SEGV_ACCERR. */
static void test_mprotect(void **state)
{
	struct machine *m = mk();
	struct task_struct *t = task_create(m, "p");
	uint64_t addr = anon_map(t, 2 * PAGE_SIZE, RW);
	uint8_t v = 1;

	(void)state;
	m->current = t;
	store(t, addr, 0x11);
	store(t, addr + PAGE_SIZE, 0x22);
	assert_int_equal(do_mprotect(t, addr, PAGE_SIZE, VM_READ), 0);
	assert_ptr_not_equal(find_vma(t->mm, addr), find_vma(t->mm, addr + PAGE_SIZE));
	assert_int_equal(load(t, addr), 0x11);
	store(t, addr + PAGE_SIZE, 0x33);				/* the other half stays writable */
	assert_int_equal(do_mprotect(t, addr, 4 * PAGE_SIZE, VM_READ), -ENOMEM);	/* hole */
	assert_int_equal(do_mprotect(t, addr + 1, PAGE_SIZE, VM_READ), -EINVAL);
	assert_int_equal(do_mprotect(t, addr, PAGE_SIZE, RW), 0);
	store(t, addr, 0x44);
	assert_int_equal(load(t, addr), 0x44);
	assert_int_equal(do_mprotect(t, addr, 2 * PAGE_SIZE, VM_READ), 0);
	ok(m);
	/* a store to a read-only page: SIGSEGV SEGV_ACCERR, which kills the task */
	assert_int_equal(access_user(t, addr + 5, &v, true), -1);
	assert_true(t->signal->dead);
	assert_int_equal(t->signal->exit_signal, SIGSEGV);
	done(m);
}

static void test_prctl_mce_kill(void **state)
{
	struct machine *m = mk();
	struct task_struct *t = task_create(m, "p"), *c, *th;

	(void)state;
	assert_int_equal(sys_prctl_mce_kill_get(t), 2);		/* PR_MCE_KILL_DEFAULT */
	assert_int_equal(sys_prctl_mce_kill(t, 1, 1), 0);	/* SET, EARLY */
	assert_int_equal(sys_prctl_mce_kill_get(t), 1);
	assert_true(t->flags & PF_MCE_PROCESS);
	assert_true(t->flags & PF_MCE_EARLY);
	/* inherited by fork and by new threads */
	c = task_fork(t, "c");
	assert_int_equal(sys_prctl_mce_kill_get(c), 1);
	th = thread_create(t, "th");
	assert_int_equal(sys_prctl_mce_kill_get(th), 1);
	assert_int_equal(sys_prctl_mce_kill(t, 1, 0), 0);	/* SET, LATE */
	assert_int_equal(sys_prctl_mce_kill_get(t), 0);
	assert_int_equal(sys_prctl_mce_kill_get(th), 1);	/* per thread */
	assert_int_equal(sys_prctl_mce_kill(t, 1, 2), 0);	/* SET, DEFAULT */
	assert_int_equal(sys_prctl_mce_kill_get(t), 2);
	assert_int_equal(sys_prctl_mce_kill(t, 1, 1), 0);
	assert_int_equal(sys_prctl_mce_kill(t, 0, 0), 0);	/* CLEAR */
	assert_int_equal(sys_prctl_mce_kill_get(t), 2);
	/* errors */
	assert_int_equal(sys_prctl_mce_kill(t, 0, 1), -EINVAL);
	assert_int_equal(sys_prctl_mce_kill(t, 7, 0), -EINVAL);
	/*
	 * 6.1 sets PF_MCE_PROCESS before it rejects a bad policy. CLEAR left
	 * PF_MCE_EARLY behind, so the task is now "early"; after DEFAULT it is "late".
	 */
	assert_int_equal(sys_prctl_mce_kill(t, 1, 5), -EINVAL);
	assert_int_equal(sys_prctl_mce_kill_get(t), 1);
	assert_int_equal(sys_prctl_mce_kill(t, 1, 2), 0);
	assert_int_equal(sys_prctl_mce_kill(t, 1, 5), -EINVAL);
	assert_int_equal(sys_prctl_mce_kill_get(t), 0);
	done(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_cow),
		cmocka_unit_test(test_shared_anon_after_fork),
		cmocka_unit_test(test_mlock_unevictable),
		cmocka_unit_test(test_munmap_hwpoison_entry),
		cmocka_unit_test(test_rmap_fork_munmap_exit),
		cmocka_unit_test(test_prctl_mce_kill),
		cmocka_unit_test(test_mprotect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
