/* SPDX-License-Identifier: GPL-2.0-only */
/* A machine's counters and a page-types-like summary (memfail run --state). */
#include "memfail/array.h"
#include "memfail/memory-failure.h"
#include "memfail/mm.h"

static const struct { int bit; const char *name; } dump_names[] = {
	{ KPF_HWPOISON, "hwpoison" }, { KPF_BUDDY, "buddy" }, { KPF_LRU, "lru" },
	{ KPF_ANON, "anon" }, { KPF_DIRTY, "dirty" }, { KPF_MMAP, "mmap" },
	{ KPF_SWAPCACHE, "swapcache" }, { KPF_UNEVICTABLE, "unevictable" },
	{ KPF_SLAB, "slab" }, { KPF_RESERVED, "reserved" },
};

static void count_page_flags(struct machine *m, uint64_t pfn, uint64_t end, uint64_t *counts)
{
	size_t i;

	for (; pfn < end; pfn++) {
		uint64_t f = stable_page_flags(m, pfn);
		for (i = 0; i < ARRAY_SIZE(dump_names); i++)
			counts[i] += (f >> dump_names[i].bit) & 1;
	}
}

/*
 * kpageflags of every pfn, by section: untouched sections of one state are
 * alike (their list links differ, not their flags), so the first of each
 * state is read (and backed) and the others counted the same.
 */
static void count_all_page_flags(struct machine *m, uint64_t *counts)
{
	uint64_t per[SECTION_PRESENT][ARRAY_SIZE(dump_names)] = { { 0 } }, pfn;
	bool have[SECTION_PRESENT] = { false };
	size_t i;

	for (pfn = 0; pfn < m->nr_pages; pfn += PAGES_PER_SECTION) {
		uint64_t end = m->nr_pages - pfn < PAGES_PER_SECTION ? m->nr_pages : pfn + PAGES_PER_SECTION;
		enum section_state st = sparse_section_state(m, pfn);

		if (st == SECTION_PRESENT || end - pfn < PAGES_PER_SECTION) {
			count_page_flags(m, pfn, end, counts);
			continue;
		}
		if (!have[st])
			count_page_flags(m, pfn, end, per[st]);
		have[st] = true;
		for (i = 0; i < ARRAY_SIZE(dump_names); i++)
			counts[i] += per[st][i];
	}
}

void machine_dump_state(struct machine *m, FILE *out)
{
	uint64_t counts[ARRAY_SIZE(dump_names)] = { 0 };
	size_t i;

	fprintf(out, "MemTotal:       %8llu kB\n", (unsigned long long)(m->nr_pages * 4));
	fprintf(out, "MemFree:        %8llu kB\n", (unsigned long long)(nr_free_pages(m) * 4));
	fprintf(out, "HardwareCorrupted: %5llu kB\n", (unsigned long long)(m->num_poisoned_pages * 4));
	count_all_page_flags(m, counts);
	for (i = 0; i < ARRAY_SIZE(dump_names); i++)
		fprintf(out, "pages %-12s %llu\n", dump_names[i].name, (unsigned long long)counts[i]);
	fprintf(out, "memory_failure results: Ignored %llu, Failed %llu, Delayed %llu, Recovered %llu\n",
		(unsigned long long)m->mf_results[MF_IGNORED], (unsigned long long)m->mf_results[MF_FAILED],
		(unsigned long long)m->mf_results[MF_DELAYED], (unsigned long long)m->mf_results[MF_RECOVERED]);
}
