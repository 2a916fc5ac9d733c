/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A token slab layer: it only owns pages, so that "kernel slab" pages exist for
 * memory_failure to meet (6.1: "kernel slab page" row, but get_hwpoison_page
 * refuses them first).
 */
#include "memfail/array.h"
#include "memfail/mm.h"

struct page *slab_alloc_page(struct machine *m)
{
	struct page *page = alloc_pages(m, 0);

	if (!page)
		return NULL;
	SetPageFlag(page, PG_slab);
	ARRAY_PUSH(m->slab_pfns, m->nr_slab, m->cap_slab, (uint32_t)page_to_pfn(m, page),
		   "recording a slab page");
	return page;
}
