/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ZONE_DEVICE persistent memory: what a legacy (e820) pmem namespace gives
 * 6.1, as nd_pmem sets it up in fsdax mode. The pfns get struct pages (each
 * holding one reference while idle, as 6.1 initialises fsdax pages) in a
 * device zone, never enter the buddy allocator, the LRU or swap, and are not
 * "online": pfn_to_online_page() is NULL for them, which sends memory_failure
 * to the dev_pagemap path. The pmem driver's memory_failure op forwards to the
 * dax_device holder (drivers/nvdimm/pmem.c, drivers/dax/super.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/dax.h"

#define SZ_2M_PAGES HPAGE_PMD_NR

static int pmem_pagemap_memory_failure(struct dev_pagemap *pgmap, uint64_t pfn, uint64_t nr_pages,
				       int mf_flags)
{
	struct pmem_device *pmem = pgmap->owner;
	uint64_t offset = (pfn - pmem->start_pfn) << PAGE_SHIFT;

	return dax_holder_notify_failure(&pmem->dax_dev, offset, nr_pages << PAGE_SHIFT, mf_flags);
}

static const struct dev_pagemap_ops fsdax_pagemap_ops = {
	.memory_failure = pmem_pagemap_memory_failure,
};

int dax_holder_notify_failure(struct dax_device *dax_dev, uint64_t off, uint64_t len, int mf_flags)
{
	if (!dax_dev->alive)
		return -ENXIO;
	if (!dax_dev->holder_ops)
		return -EOPNOTSUPP;	/* no holder (ext4): the generic path */
	return dax_dev->holder_ops->notify_failure(dax_dev, off, len, mf_flags);
}

/*
 * The frames [from, to) above RAM as memremap leaves them: the hole up to
 * the aligned start reserved by firmware, the device's frames with their
 * pagemap. Boot writes the section RAM shares; the others, SECTION_DEVICE,
 * on first touch (mm/sparse.c).
 */
void pmem_init_frames(struct machine *m, uint64_t from, uint64_t to)
{
	struct pmem_device *pmem = m->pmem;
	uint64_t pfn, end = pmem->start_pfn + pmem->nr_pages;

	for (pfn = from > m->nr_ram_pages ? from : m->nr_ram_pages; pfn < to && pfn < end; pfn++) {
		struct page *p = &m->pages[pfn];

		p->lru_prev = p->lru_next = NO_PFN;
		p->lru_list = LRU_NONE;
		p->_refcount = 1;
		if (pfn < pmem->start_pfn)
			p->flags = (uint32_t)PGF(PG_reserved);
		else
			p->pgmap = &pmem->pgmap;
	}
}

int pmem_create(struct machine *m, uint64_t bytes, char *err, size_t errlen)
{
	uint64_t nr = bytes >> PAGE_SHIFT, start, total, sec, o;
	struct pmem_device *pmem;
	struct zone *z;

	if (!bytes)
		return 0;
	if (bytes % (SZ_2M_PAGES << PAGE_SHIFT) || m->nr_zones >= MAX_NR_ZONES) {
		snprintf(err, errlen, "pmem=%llu: must be a multiple of 2M", (unsigned long long)bytes);
		return -EINVAL;
	}
	/* Section-like alignment keeps 2 MiB extents 2 MiB aligned in pfns too. */
	start = (m->nr_pages + SZ_2M_PAGES - 1) & ~(uint64_t)(SZ_2M_PAGES - 1);
	total = start + nr;
	if (total >= NO_PFN) {	/* pfns fit the 32-bit list links */
		snprintf(err, errlen, "pmem=%llu: memory= and pmem= together must stay below 16T",
			 (unsigned long long)bytes);
		return -EINVAL;
	}
	pmem = xcalloc(1, sizeof(*pmem), "allocating a pmem device");
	/* Nothing points into m->pages at boot but pfns, so moving it is safe. */
	sparse_resize(m, total);
	z = &m->zones[m->nr_zones];
	memset(z, 0, sizeof(*z));
	z->type = ZONE_DEVICE;
	z->start_pfn = start;
	z->end_pfn = total;
	z->name = "Device";
	for (o = 0; o < MAX_ORDER; o++)	/* no buddy lists: nothing is ever free here */
		z->free_area[o].free_list.head = z->free_area[o].free_list.tail = NO_PFN;
	pmem->m = m;
	pmem->start_pfn = start;
	pmem->nr_pages = nr;
	pmem->pgmap = (struct dev_pagemap){ m, start, total, MEMORY_DEVICE_FS_DAX,
					    &fsdax_pagemap_ops, pmem };
	pmem->dax_dev.alive = true;
	m->pmem = pmem;
	sec = (m->nr_pages + PAGES_PER_SECTION - 1) / PAGES_PER_SECTION;	/* the first past RAM's */
	pmem_init_frames(m, m->nr_pages, sec * PAGES_PER_SECTION);
	for (; sec * PAGES_PER_SECTION < total; sec++)
		m->sections[sec] = SECTION_DEVICE;
	m->nr_zones++;
	m->nr_pages = total;
	return 0;
}

void pmem_destroy(struct machine *m)
{
	if (!m->pmem)
		return;
	daxfs_unmount(m);
	free(m->pmem);
	m->pmem = NULL;
}

struct page *pfn_to_online_page(struct machine *m, uint64_t pfn)
{
	struct page *p;

	if (!pfn_valid(m, pfn))
		return NULL;
	p = pfn_to_page(m, pfn);
	return is_zone_device_page(m, p) ? NULL : p;
}

struct dev_pagemap *get_dev_pagemap(struct machine *m, uint64_t pfn)
{
	struct pmem_device *pmem = m->pmem;

	if (pmem && pfn >= pmem->pgmap.start_pfn && pfn < pmem->pgmap.end_pfn)
		return &pmem->pgmap;
	return NULL;
}
