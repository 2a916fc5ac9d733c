// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sparse frame map (the kernel's SPARSEMEM_VMEMMAP): the frame array is
 * one reserved range of host address space, cut in 128 MiB sections. A
 * section whose frames nothing has touched is not backed by the host at all
 * (PROT_NONE); its state says what boot left there:
 *
 *   SECTION_ZERO      all-zero frames (inside free blocks, or not yet used)
 *   SECTION_RESERVED  every frame reserved by boot (refcount 1, LRU_NONE)
 *   SECTION_FREE      order-(MAX_ORDER-1) free blocks, linked as boot links them
 *   SECTION_DEVICE    ZONE_DEVICE pmem frames as memremap leaves them
 *
 * The first access to such a section, by any code (a free-list walk, a
 * kpageflags read, memory_failure on a pfn there), faults; the handler backs
 * the section and writes exactly what boot would have written, so every
 * reader sees each pfn as before and allocation order does not change.
 * Readers that only need to know (the invariant checker, teardown) ask
 * sparse_section_state() and do not touch the section.
 *
 * One process may hold several machines: they are on one list the handler
 * searches. The model is single-threaded; so is this list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "memfail/arena.h"
#include "memfail/array.h"
#include "memfail/mm.h"
/* after the model's headers: <signal.h> makes si_addr a macro, a field name in sched.h */
#include <signal.h>

static struct machine *sparse_machines;
static struct sigaction sparse_old_action;

static uint64_t sections_for(uint64_t nr_pages)
{
	return (nr_pages + PAGES_PER_SECTION - 1) / PAGES_PER_SECTION;
}

static struct page *section_frames(struct machine *m, uint64_t sec)
{
	return m->pages + sec * PAGES_PER_SECTION;
}

/* The order-(MAX_ORDER-1) blocks boot freed in a zone: [a0, aend), listed top first. */
static void boot_blocks(const struct zone *z, uint64_t reserved_end, uint64_t *a0, uint64_t *aend)
{
	const uint64_t nr = 1ULL << (MAX_ORDER - 1);
	uint64_t start = z->start_pfn > reserved_end ? z->start_pfn : reserved_end;

	*a0 = (start + nr - 1) & ~(nr - 1);
	*aend = z->end_pfn & ~(nr - 1);
	if (*aend < *a0)
		*aend = *a0;
}

/* Write the block heads in [from, to) as boot's memblock_free_pages links them. */
static void write_free_heads(struct machine *m, uint64_t from, uint64_t to, uint64_t a0, uint64_t aend)
{
	const uint64_t nr = 1ULL << (MAX_ORDER - 1);
	uint64_t pfn;

	for (pfn = from; pfn < to; pfn += nr) {
		struct page *p = &m->pages[pfn];

		p->flags = (uint32_t)PGF(PG_buddy);
		p->private = MAX_ORDER - 1;
		/* each block went to the list's head in turn: the next one is below */
		p->lru_next = pfn == a0 ? NO_PFN : (uint32_t)(pfn - nr);
		p->lru_prev = pfn + nr == aend ? NO_PFN : (uint32_t)(pfn + nr);
	}
}

static void section_write_free(struct machine *m, uint64_t sec)
{
	uint64_t first = sec * PAGES_PER_SECTION, a0, aend;

	boot_blocks(page_zone(m, &m->pages[first]), m->reserved_end, &a0, &aend);
	write_free_heads(m, first, first + PAGES_PER_SECTION, a0, aend);
}

/* The boot free list's block after the head pfn, in a SECTION_FREE section (not touched). */
uint32_t sparse_boot_next(struct machine *m, uint64_t pfn)
{
	uint64_t a0, aend;

	boot_blocks(page_zone(m, &m->pages[pfn]), m->reserved_end, &a0, &aend);
	return pfn == a0 ? NO_PFN : (uint32_t)(pfn - (1ULL << (MAX_ORDER - 1)));
}


static void section_populate(struct machine *m, uint64_t sec)
{
	struct page *f = section_frames(m, sec);
	uint64_t i;

	if (mprotect(f, SECTION_BYTES, PROT_READ | PROT_WRITE))
		mf_oom("backing a section of the frame array");
	if (m->sections[sec] == SECTION_RESERVED) {
		for (i = 0; i < PAGES_PER_SECTION; i++) {
			f[i].flags = (uint32_t)PGF(PG_reserved);
			f[i]._refcount = 1;
			f[i].lru_list = LRU_NONE;
		}
	} else if (m->sections[sec] == SECTION_FREE) {
		section_write_free(m, sec);
	} else if (m->sections[sec] == SECTION_DEVICE) {
		pmem_init_frames(m, sec * PAGES_PER_SECTION, (sec + 1) * PAGES_PER_SECTION);
	}
	m->sections[sec] = SECTION_PRESENT;
	/* tracked: what boot would have written is what the checker assumed; later writes fault */
	if (m->wp_on && mprotect(f, SECTION_BYTES, PROT_READ))
		sparse_track_lose(m);
}

static bool sparse_fault_is_ours(void *addr)
{
	struct machine *m;

	for (m = sparse_machines; m; m = m->sparse_next) {
		uintptr_t a = (uintptr_t)addr, base = (uintptr_t)m->pages;
		uint64_t sec;

		if (a < base || a >= base + m->nr_sections * SECTION_BYTES)
			continue;
		sec = (a - base) / SECTION_BYTES;
		if (m->sections[sec] == SECTION_PRESENT)
			return sparse_track_fault(m, a - base);
		section_populate(m, sec);
		return true;
	}
	return false;
}

static void sparse_fault(int sig, siginfo_t *si, void *ctx)
{
	if (sparse_fault_is_ours(si->si_addr))
		return;	/* the access is retried, now on backed frames */
	if (sparse_old_action.sa_flags & SA_SIGINFO) {
		sparse_old_action.sa_sigaction(sig, si, ctx);
	} else if (sparse_old_action.sa_handler == SIG_DFL || sparse_old_action.sa_handler == SIG_IGN) {
		/* a real fault: the retried access takes the default action */
		sigaction(SIGSEGV, &sparse_old_action, NULL);
	} else {
		sparse_old_action.sa_handler(sig);
	}
}

/*
 * Installed at every machine's creation unless already the handler (a test
 * harness may have put its own in between): the one replaced is called for
 * faults that are not ours. A program that installs a SIGSEGV handler of its
 * own while machines live must call the one it replaces, as usual.
 */
static void sparse_install_handler(void)
{
	struct sigaction sa, cur;

	if (sigaction(SIGSEGV, NULL, &cur))
		mf_oom("installing the frame array's fault handler");
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == sparse_fault)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sparse_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &sparse_old_action))
		mf_oom("installing the frame array's fault handler");
}

/* Each section's frames on a host huge page of their own (SECTION_BYTES is 2 MiB): sparse_split_hint. */
static struct page *frames_reserve(uint64_t nr_sections)
{
	size_t len = nr_sections * SECTION_BYTES;
	char *p = mmap(NULL, len + SECTION_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	char *a;

	if (p == MAP_FAILED)
		mf_oom("reserving the frame array");
	a = (char *)(((uintptr_t)p + SECTION_BYTES - 1) & ~(uintptr_t)(SECTION_BYTES - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	munmap(a + len, (size_t)(p + SECTION_BYTES - a));
	return (struct page *)a;
}

/*
 * The allocator splits the top-order block at pfn. Allocations that went
 * through SPLIT_RUN such blocks in a row (a populate, as anon/oom-kill.mf's
 * 500M) will fill the section they enter next: when it is one nothing touched
 * yet, the host backs its frames with one huge page, one fault instead of 512.
 * Other sections keep small pages: a huge one costs more to clear than the
 * few pages a small scenario writes.
 */
#define SPLIT_RUN 8
void sparse_split_hint(struct machine *m, uint64_t pfn)
{
	uint64_t next = pfn + (1ULL << (MAX_ORDER - 1));

	m->split_run = pfn == m->split_next ? m->split_run + 1 : 1;
	m->split_next = next;
	/* the next block's section: taking this block off the list writes that block's head */
	if (m->split_run > SPLIT_RUN && next < m->nr_pages && sparse_section_state(m, next) == SECTION_FREE)
		madvise(section_frames(m, next / PAGES_PER_SECTION), SECTION_BYTES, MADV_HUGEPAGE);
}

/* ---- write tracking (for the invariant checker) -------------------------------------------- */

uint64_t sparse_host_page_frames(void)
{
	return mf_host_page_size() / sizeof(struct page);
}

/*
 * The frame array of the last machine destroyed, and its section states: the
 * next machine of its size takes it, its backed sections zeroed. A process
 * running scenario after scenario would otherwise give the host back every
 * frame page it wrote and take a fault for each again; zeroing what was
 * written costs a fraction of that. Zeroed when taken: a process that ends
 * after its last machine pays nothing.
 */
#define SPARE_MAX_SECTIONS 32	/* machines up to 4 GiB: the host keeps at most 64 MiB for it */
static struct page *spare_pages;
static uint64_t spare_sections;
static uint8_t *spare_states;

static bool bytes_zero(const char *p, size_t n)
{
	static const char zero[4096];	/* memcmp: vector compares, most pages are zero already */

	for (; n; p += sizeof(zero), n -= n < sizeof(zero) ? n : sizeof(zero))
		if (memcmp(p, zero, n < sizeof(zero) ? n : sizeof(zero)))
			return false;
	return true;
}

/* Zero what a section's host pages hold (mincore: only those the host backed). */
static bool section_scrub(struct page *f)
{
	uint64_t hpb = mf_host_page_size(), n = SECTION_BYTES / hpb, i;
	unsigned char *vec = xmalloc(n, "reusing a frame array");
	bool ok = !mprotect(f, SECTION_BYTES, PROT_READ | PROT_WRITE) && !mincore(f, SECTION_BYTES, vec);

	for (i = 0; ok && i < n; i++) {
		char *w = (char *)f + i * hpb;
		/* a page only read maps the host's zero page: writing it would back it */
		if ((vec[i] & 1) && !bytes_zero(w, hpb))
			memset(w, 0, hpb);
	}
	free(vec);
	return ok;
}

static void spare_drop(void)
{
	if (spare_pages)
		munmap(spare_pages, spare_sections * SECTION_BYTES);
	free(spare_states);
	spare_pages = NULL;
	spare_states = NULL;
}

/*
 * The spare for nr_sections, or NULL. Its backed sections come back backed,
 * zeroed and writable (SECTION_PRESENT in states: zero frames are unused
 * frames, what SECTION_ZERO stands for); the others were never touched.
 */
static struct page *spare_take(uint64_t nr_sections, uint8_t *states)
{
	struct page *pages = spare_pages;
	bool ok = pages && spare_sections == nr_sections;
	uint64_t sec;

	for (sec = 0; ok && sec < nr_sections; sec++) {
		if (spare_states[sec] != SECTION_PRESENT)
			continue;
		ok = section_scrub(pages + sec * PAGES_PER_SECTION);
		states[sec] = SECTION_PRESENT;
	}
	if (!ok) {
		memset(states, SECTION_ZERO, nr_sections);
		spare_drop();
		return NULL;
	}
	free(spare_states);
	spare_pages = NULL;
	spare_states = NULL;
	return pages;
}

/* nr frames, every section SECTION_ZERO (or present and zero): boot marks the others. */
void sparse_init(struct machine *m, uint64_t nr)
{
	sparse_install_handler();
	m->nr_sections = sections_for(nr);
	m->sections = xcalloc(m->nr_sections, 1, "the section table");
	m->pages = spare_take(m->nr_sections, m->sections);
	if (!m->pages)
		m->pages = frames_reserve(m->nr_sections);
	m->sparse_next = sparse_machines;
	sparse_machines = m;
}

/* Grow to nr frames (pmem after RAM): backed sections are copied, the rest keep their state. */
void sparse_resize(struct machine *m, uint64_t nr)
{
	uint64_t n = sections_for(nr), sec;
	struct page *pages = frames_reserve(n);
	uint8_t *states = xcalloc(n, 1, "the section table");

	for (sec = 0; sec < m->nr_sections; sec++) {
		states[sec] = m->sections[sec];
		if (states[sec] != SECTION_PRESENT)
			continue;
		if (mprotect(pages + sec * PAGES_PER_SECTION, SECTION_BYTES, PROT_READ | PROT_WRITE))
			mf_oom("backing a section of the frame array");
		memcpy(pages + sec * PAGES_PER_SECTION, section_frames(m, sec), SECTION_BYTES);
	}
	munmap(m->pages, m->nr_sections * SECTION_BYTES);
	free(m->sections);
	sparse_track_free(m);
	m->wp_lost = m->wp_on;	/* the copy is writable: the next check walks everything */
	m->wp_on = false;
	m->pages = pages;
	m->sections = states;
	m->nr_sections = n;
}

void sparse_destroy(struct machine *m)
{
	struct machine **pp;

	for (pp = &sparse_machines; *pp; pp = &(*pp)->sparse_next)
		if (*pp == m) {
			*pp = m->sparse_next;
			break;
		}
	spare_drop();
	if (m->pages && m->nr_sections <= SPARE_MAX_SECTIONS) {
		/* the spare outlives the machine's arena (lib/arena.c): its states are the host's */
		struct mf_arena *arena = mf_arena_enter(NULL);

		spare_pages = m->pages;
		spare_sections = m->nr_sections;
		spare_states = memcpy(xmalloc(m->nr_sections, "keeping a frame array"), m->sections,
				      m->nr_sections);
		mf_arena_enter(arena);
	} else if (m->pages) {
		munmap(m->pages, m->nr_sections * SECTION_BYTES);
	}
	free(m->sections);
	sparse_track_free(m);
}

/*
 * Boot's order-(MAX_ORDER-1) blocks of a zone: the list and counters are set
 * here, the heads are written only in sections something already backs (the
 * ends); the sections wholly inside stay SECTION_FREE.
 */
void sparse_free_blocks(struct machine *m, struct zone *z)
{
	const uint64_t nr = 1ULL << (MAX_ORDER - 1);
	struct page_list *l = &z->free_area[MAX_ORDER - 1].free_list;
	uint64_t a0, aend, sec;

	boot_blocks(z, m->reserved_end, &a0, &aend);
	if (aend == a0)
		return;
	l->head = (uint32_t)(aend - nr);
	l->tail = (uint32_t)a0;
	l->nr += (aend - a0) / nr;
	z->nr_free += aend - a0;
	for (sec = a0 / PAGES_PER_SECTION; sec * PAGES_PER_SECTION < aend; sec++) {
		uint64_t first = sec * PAGES_PER_SECTION;

		if (first >= a0 && first + PAGES_PER_SECTION <= aend && m->sections[sec] == SECTION_ZERO) {
			m->sections[sec] = SECTION_FREE;
			continue;
		}
		write_free_heads(m, first > a0 ? first : a0,
				 first + PAGES_PER_SECTION < aend ? first + PAGES_PER_SECTION : aend, a0, aend);
	}
}

/* Boot's reserved frames [0, end): whole sections stay SECTION_RESERVED. */
void sparse_reserve(struct machine *m, uint64_t end)
{
	uint64_t pfn = 0;

	while (pfn < end) {
		uint64_t sec = pfn / PAGES_PER_SECTION;

		if (!(pfn % PAGES_PER_SECTION) && pfn + PAGES_PER_SECTION <= end &&
		    m->sections[sec] == SECTION_ZERO) {
			m->sections[sec] = SECTION_RESERVED;
			pfn += PAGES_PER_SECTION;
			continue;
		}
		m->pages[pfn].flags = (uint32_t)PGF(PG_reserved);
		m->pages[pfn]._refcount = 1;
		m->pages[pfn].lru_list = LRU_NONE;
		pfn++;
	}
}
