// SPDX-License-Identifier: GPL-2.0-only
/*
 * %pGp: a page's flags as 6.1 prints them (x86_64, Debian's configuration):
 * the raw flags word with node, zone and last-cpupid fields, then the set
 * bits by name in mm/debug.c's order. Soft offline's messages carry it.
 */
#include <stdio.h>

#include "memfail/array.h"
#include "memfail/mm.h"
#include "memfail/printk.h"
#include "memfail/profile.h"

/* struct page flag -> the bit it has in 6.1's page->flags */
static const signed char kernel_bit[__NR_PAGEFLAGS] = {
	[PG_locked] = 0, [PG_referenced] = 1, [PG_uptodate] = 2, [PG_dirty] = 3, [PG_lru] = 4,
	[PG_active] = 5, [PG_workingset] = 6, [PG_error] = 8, [PG_slab] = 9,
	[PG_owner_priv_1] = 10, [PG_swapcache] = 10, [PG_reserved] = 12, [PG_private] = 13,
	[PG_writeback] = 15, [PG_head] = 16, [PG_mappedtodisk] = 17, [PG_reclaim] = 18,
	[PG_swapbacked] = 19, [PG_unevictable] = 20, [PG_mlocked] = 21, [PG_hwpoison] = 23,
	/* the rest are page types or model bookkeeping, not page->flags bits */
	[PG_has_hwpoisoned] = -1, [PG_tail] = -1, [PG_buddy] = -1, [PG_offline] = -1,
	[PG_table] = -1, [PG_zero] = -1, [PG_hugetlb] = -1, [PG_raw_hwp] = -1,
};

struct pageflag_name {
	int bit;
	const char *name;
};

/* __def_pageflag_names: the order in which %pGp names the bits */
static const struct pageflag_name pageflag_names[] = {
	{ 0, "locked" }, { 7, "waiters" }, { 8, "error" }, { 1, "referenced" },
	{ 2, "uptodate" }, { 3, "dirty" }, { 4, "lru" }, { 5, "active" },
	{ 6, "workingset" }, { 9, "slab" }, { 10, "owner_priv_1" }, { 11, "arch_1" },
	{ 12, "reserved" }, { 13, "private" }, { 14, "private_2" }, { 15, "writeback" },
	{ 16, "head" }, { 17, "mappedtodisk" }, { 18, "reclaim" }, { 19, "swapbacked" },
	{ 20, "unevictable" }, { 21, "mlocked" }, { 22, "uncached" }, { 23, "hwpoison" },
	{ 24, "young" }, { 25, "idle" }, { 26, "arch_2" },
};

/* 6.12's (profile pgp_names_612): owner_2 for mappedtodisk, no error, slab or uncached */
static const struct pageflag_name pageflag_names_612[] = {
	{ 0, "locked" }, { 7, "waiters" }, { 1, "referenced" }, { 2, "uptodate" },
	{ 3, "dirty" }, { 4, "lru" }, { 5, "active" }, { 6, "workingset" },
	{ 10, "owner_priv_1" }, { 17, "owner_2" }, { 11, "arch_1" }, { 12, "reserved" },
	{ 13, "private" }, { 14, "private_2" }, { 15, "writeback" }, { 16, "head" },
	{ 18, "reclaim" }, { 19, "swapbacked" }, { 20, "unevictable" }, { 21, "mlocked" },
	{ 23, "hwpoison" }, { 25, "idle" }, { 24, "young" }, { 26, "arch_2" },
};

/* The fields above the flags: no sections (vmemmap), node, zone, last cpupid. */
#define KF_NODES_PGSHIFT 54
#define KF_ZONES_PGSHIFT 51
#define KF_LAST_CPUPID_PGSHIFT 30
#define KF_LAST_CPUPID_MASK 0x1fffffULL	/* -1 & mask: "no cpupid yet" */

size_t page_flags_format(struct machine *m, const struct page *page, char *buf, size_t len)
{
	/* the model's zones are DMA32, Normal, Movable, Device: 6.1 numbers them from DMA */
	unsigned zone = (unsigned)page_zone(m, page)->type + 1;
	bool v612 = m->profile->pgp_names_612;
	const struct pageflag_name *names = v612 ? pageflag_names_612 : pageflag_names;
	int nr_names = v612 ? (int)ARRAY_SIZE(pageflag_names_612) : (int)ARRAY_SIZE(pageflag_names);
	uint64_t kf = 0, left;
	size_t n;
	int i, b;

	for (b = 0; b < __NR_PAGEFLAGS; b++)
		if (PageFlag(page, b) && kernel_bit[b] >= 0)
			kf |= 1ULL << kernel_bit[b];
	if (PageFlag(page, PG_zero))
		kf |= 1ULL << 12;	/* the zero page is reserved */
	left = kf;
	kf |= (uint64_t)page_to_nid(m, page) << KF_NODES_PGSHIFT | (uint64_t)zone << KF_ZONES_PGSHIFT |
	      KF_LAST_CPUPID_MASK << KF_LAST_CPUPID_PGSHIFT;
	n = (size_t)snprintf(buf, len, "%#llx(", (unsigned long long)kf);
	for (i = 0; left && i < nr_names; i++) {
		uint64_t mask = 1ULL << names[i].bit;
		if (!(left & mask))
			continue;
		left &= ~mask;
		n += (size_t)snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, "%s|",
				      names[i].name);
	}
	n += (size_t)snprintf(buf + (n < len ? n : len), n < len ? len - n : 0,
			      "node=%u|zone=%u|lastcpupid=%#llx)", page_to_nid(m, page), zone,
			      KF_LAST_CPUPID_MASK);
	return n;
}
