// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exposure: what 6.1's (or 6.12's) memory_failure would do to each pfn,
 * predicted from its /proc/kpageflags word (docs/exposure.md). The order of
 * the tests is the order in which memory_failure looks at a page: outside
 * kernel control, hugetlb (try_memory_failure_hugetlb), already poisoned
 * (TestSetPageHWPoison), free buddy page, unhandlable non-LRU pages
 * (get_hwpoison_page fails), KSM (6.1: hwpoison_user_mappings gives up),
 * THP (split first), then error_states[].
 */
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/memory-failure.h"
#include "memfail/snapshot.h"

#define B(n) (1ULL << KPF_##n)

const struct exp_class_info exp_classes[EXP_NR_CLASSES] = {
	[EXP_NOT_RAM] = { "not_ram", "not RAM", "memory outside kernel control: ignored "
			  "(-ENXIO)", false, false, { .93, .93, .93 } },
	[EXP_DAX] = { "dax", "DAX (pmem)", "dax page: mappers get SIGBUS, the file system is "
		      "told", true, false, { .55, .35, .75 } },
	[EXP_HWPOISON] = { "hwpoison", "already poisoned", "already hardware poisoned: "
			   "nothing more", false, false, { 0, 0, 0 } },
	[EXP_RESERVED] = { "reserved", "kernel: reserved", "unhandlable: ignored; if the "
			   "kernel consumes it the machine panics", false, false, { .35, .05, .05 } },
	[EXP_SLAB] = { "slab", "kernel: slab", "unhandlable: ignored; if the kernel consumes "
		       "it the machine panics", false, false, { .55, .08, .08 } },
	[EXP_PGTABLE] = { "pgtable", "kernel: page table", "unhandlable: ignored; if the "
			  "kernel consumes it the machine panics", false, false, { .70, .15, .10 } },
	[EXP_KERNEL] = { "kernel", "kernel: other", "in use: unhandlable, ignored, fatal if "
			 "the kernel consumes it; a free page on a per-CPU list looks the "
			 "same and is retired", false, false, { .85, .25, .20 } },
	[EXP_FREE] = { "free", "free", "free buddy page: taken off the free lists, silently "
		       "retired (Recovered)", false, false, { .55, .85, .55 } },
	[EXP_HUGETLB_FREE] = { "hugetlb_unmapped", "hugetlb, unmapped", "free huge page "
			       "dissolved, or an unmapped hugetlbfs page dropped (its data "
			       "lost): no signal", false, false, { .75, .90, .95 } },
	[EXP_HUGETLB] = { "hugetlb", "hugetlb, mapped", "huge page: every mapper loses the "
			  "whole huge page, SIGBUS lsb 21", true, false, { .10, .45, .75 } },
	[EXP_ZERO] = { "zero_page", "zero page", "reserved: ignored but marked poisoned; "
		       "every process reading a zero-mapped page gets SIGBUS", true, true,
		       { .60, .60, .60 } },
	[EXP_KSM] = { "ksm", "KSM", "\"can't handle KSM pages\": unmapping fails, sharers "
		      "get SIGBUS on access", true, true, { .95, .55, .10 } },
	[EXP_THP] = { "thp", "anon THP", "THP split, then as anonymous (if the split fails: "
		      "ignored, SIGBUS on access)", true, false, { .90, .40, .60 } },
	[EXP_MLOCKED] = { "mlocked", "mlocked", "dirty LRU page (unmapping clears the lock "
			  "first): data lost, mappers get SIGBUS", true, false, { .80, .20, .55 } },
	[EXP_SWAPCACHE_DIRTY] = { "swapcache_dirty", "swap cache, dirty", "dirty swapcache "
				  "page: kept in swap cache, mappers get SIGBUS", true, false,
				  { .95, .75, .35 } },
	[EXP_SWAPCACHE_CLEAN] = { "swapcache_clean", "swap cache, clean", "clean swapcache "
				  "page: dropped, re-read from swap (Recovered)", false, false,
				  { .85, .90, .60 } },
	[EXP_ANON] = { "anon", "anonymous", "dirty LRU page: data lost, mappers get SIGBUS",
		       true, false, { .95, .35, .35 } },
	[EXP_SHMEM] = { "shmem", "tmpfs/shmem", "dirty LRU page: no backing copy, data lost, "
			"mappers get SIGBUS, reads get EIO", true, false, { .85, .45, .15 } },
	[EXP_FILE_DIRTY] = { "file_dirty", "page cache, dirty", "dirty LRU page: data lost, "
			     "fsync gets EIO, mappers get SIGBUS", true, false,
			     { .95, .80, .10 } },
	[EXP_FILE_CLEAN] = { "file_clean", "page cache, clean", "clean LRU page: dropped, "
			     "re-read from disk (Recovered)", false, false, { .30, .65, .90 } },
	[EXP_UNKNOWN] = { "unknown", "unknown", "no page flags in the snapshot", false, false,
			  { 1, 1, 1 } },
};

/* Non-LRU pages memory_failure cannot handle; the zero page is reserved too. */
static enum exp_class kernel_kind(uint64_t f)
{
	if (f & B(ZERO_PAGE))
		return EXP_ZERO;
	if (f & B(RESERVED))
		return EXP_RESERVED;
	if (f & B(SLAB))
		return EXP_SLAB;
	if (f & B(PGTABLE))
		return EXP_PGTABLE;
	return EXP_KERNEL;
}

/* A page on the LRU (or about to be: shake_page drains the per-CPU batches). */
static enum exp_class lru_kind(uint64_t f)
{
	bool dirty = f & (B(DIRTY) | B(WRITEBACK));

	if (f & B(SWAPCACHE))
		return dirty ? EXP_SWAPCACHE_DIRTY : EXP_SWAPCACHE_CLEAN;
	if (f & B(THP) && f & B(ANON))
		return EXP_THP;
	if (f & B(MLOCKED) && (f & B(ANON) || f & B(SWAPBACKED) || dirty))
		return EXP_MLOCKED;
	if (f & B(ANON))
		return EXP_ANON;
	if (f & B(SWAPBACKED))
		return EXP_SHMEM;
	return dirty ? EXP_FILE_DIRTY : EXP_FILE_CLEAN;
}

enum exp_class exp_classify(uint64_t f, bool ram, bool dax, enum mf_kernel k)
{
	if (dax)
		return EXP_DAX;
	if (!ram || f & B(NOPAGE))
		return EXP_NOT_RAM;
	if (f & B(HWPOISON))
		return EXP_HWPOISON;
	if (f & B(HUGE))
		return f & (B(MMAP) | B(ANON)) ? EXP_HUGETLB : EXP_HUGETLB_FREE;
	if (f & B(BUDDY))
		return EXP_FREE;
	/*
	 * 6.12's stable_page_flags sets KSM on every anonymous page (it tests
	 * the mapping's low bits against PAGE_MAPPING_KSM with &), and 6.12
	 * recovers a KSM page as an anonymous one (collect_procs_ksm): there
	 * the bit tells nothing.
	 */
	if (f & B(KSM) && mf_kpf_ksm_is_ksm(k))
		return EXP_KSM;
	if (f & (B(LRU) | B(ANON) | B(THP)) && !(f & (B(SLAB) | B(RESERVED) | B(ZERO_PAGE))))
		return lru_kind(f);
	return kernel_kind(f);
}

static bool is_dax_range(const char *type)
{
	return strstr(type, "Persistent Memory") || strstr(type, "persistent");
}

/* Where [pfn, ...) stops being of one kind; *ram and *dax tell the kind. */
static uint64_t range_kind(const struct snapshot *s, uint64_t pfn, bool *ram, bool *dax)
{
	uint64_t next = UINT64_MAX;

	*ram = *dax = false;
	if (!s->nr_ranges) {
		*ram = true;
		return next;
	}
	for (size_t i = 0; i < s->nr_ranges; i++) {
		const struct snap_range *r = &s->ranges[i];
		bool is_ram = !strcmp(r->type, "System RAM"), is_dax = is_dax_range(r->type);

		if (!is_ram && !is_dax)
			continue;
		if (pfn >= r->start_pfn && pfn < r->end_pfn) {
			*ram = is_ram, *dax = is_dax;
			return r->end_pfn;
		}
		if (r->start_pfn > pfn && r->start_pfn < next)
			next = r->start_pfn;
	}
	return next;
}

void exp_classify_all(const struct snapshot *s, uint64_t n, const uint64_t *kpf,
		      uint64_t first_pfn, uint8_t *cls, enum mf_kernel k)
{
	uint64_t end = first_pfn + n;

	for (uint64_t pfn = first_pfn; pfn < end;) {
		bool ram, dax;
		uint64_t stop = range_kind(s, pfn, &ram, &dax);

		stop = stop < end ? stop : end;
		if (!kpf) {
			memset(cls + (pfn - first_pfn), ram ? EXP_UNKNOWN : EXP_NOT_RAM, stop - pfn);
			pfn = stop;
			continue;
		}
		for (; pfn < stop; pfn++)
			cls[pfn - first_pfn] = (uint8_t)exp_classify(kpf[pfn - first_pfn], ram, dax, k);
	}
}
