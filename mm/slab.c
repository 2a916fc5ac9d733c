/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A token slab layer: it only owns pages, so that "kernel slab" pages exist for
 * memory_failure to meet (6.1: "kernel slab page" row, but get_hwpoison_page
 * refuses them first).
 */
#include <stdlib.h>

#include "memfail/mm.h"

struct page *slab_alloc_page(struct machine *m)
{
	struct page *page = alloc_pages(m, 0);

	if (!page)
		return NULL;
	SetPageFlag(page, PG_slab);
	if (m->nr_slab == m->cap_slab) {
		int cap = m->cap_slab ? m->cap_slab * 2 : 16;
		uint32_t *n = realloc(m->slab_pfns, (size_t)cap * sizeof(*n));
		if (!n) {
			put_page(m, page);
			return NULL;
		}
		m->slab_pfns = n;
		m->cap_slab = cap;
	}
	m->slab_pfns[m->nr_slab++] = (uint32_t)page_to_pfn(m, page);
	return page;
}
